"""Every SQL example of the README runs against the seed warehouse and returns rows."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PROJECT_ROOT

README_QUERIES = re.findall(r"```sql\n(.*?)```", (PROJECT_ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)
# A query about something the seeds do not hold (a second version of an article) says so in its
# first line; it must run, not return rows.
MAY_BE_EMPTY = "-- may be empty"


def test_readme_has_queries():
    assert len(README_QUERIES) >= 3


@pytest.mark.parametrize("query", README_QUERIES, ids=[f"query{i}" for i in range(len(README_QUERIES))])
def test_readme_query_runs(seed_db, query):
    rows = seed_db.execute(query).fetchall()
    assert rows or query.startswith(MAY_BE_EMPTY), "the query returned nothing on the seeds"


def test_readme_language_query_matches_the_seeds(seed_db):
    assert dict(seed_db.execute(README_QUERIES[0]).fetchall()) == {"fr": 4, "en": 1}


def test_readme_has_a_cookbook():
    assert 6 <= len(README_QUERIES) - 3 <= 14
    assert sum(query.startswith(MAY_BE_EMPTY) for query in README_QUERIES) <= 1


def test_the_same_story_in_two_languages_is_found(seed_db):
    query = next(q for q in README_QUERIES if "n_languages >= 2" in q)
    story_id, *_ = seed_db.execute(query).fetchone()
    paths = seed_db.execute(
        "select d.source_path from core.stories as s join core.documents as d using (doc_id) where s.story_id = ?",
        [story_id],
    ).fetchall()
    assert {"000", "004"} <= {path[:3] for (path,) in paths}
