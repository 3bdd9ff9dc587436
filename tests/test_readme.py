"""Every SQL example of the README runs against the seed warehouse and returns rows."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PROJECT_ROOT

README_QUERIES = re.findall(r"```sql\n(.*?)```", (PROJECT_ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)


def test_readme_has_queries():
    assert len(README_QUERIES) >= 3


@pytest.mark.parametrize("query", README_QUERIES, ids=[f"query{i}" for i in range(len(README_QUERIES))])
def test_readme_query_runs(seed_db, query):
    rows = seed_db.execute(query).fetchall()
    assert rows, "the query returned nothing on the seeds"


def test_readme_language_query_matches_the_seeds(seed_db):
    assert dict(seed_db.execute(README_QUERIES[0]).fetchall()) == {"fr": 4, "en": 1}


def test_readme_has_a_cookbook():
    assert 6 <= len(README_QUERIES) - 3 <= 8


def test_the_same_story_in_two_languages_is_found(seed_db):
    query = next(q for q in README_QUERIES if "shared_entities" in q)
    doc_a, _, doc_b, _, _ = seed_db.execute(query).fetchone()
    paths = dict(seed_db.execute("select doc_id, source_path from core.documents").fetchall())
    assert {paths[doc_a][:3], paths[doc_b][:3]} == {"000", "004"}
