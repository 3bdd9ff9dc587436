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
