"""Quotations, amounts and dates on the seeds, end to end (issue 17's "done when")."""

from __future__ import annotations

import datetime as dt

import pytest


def _document(seed_db, prefix: str) -> str:
    return seed_db.execute("select doc_id from core.documents where source_path like ?", [f"{prefix}%"]).fetchone()[0]


def test_rowan_currans_quotations_are_his_in_both_languages(seed_db):
    curran = seed_db.execute("select entity_id from core.entities where name = 'Rowan Curran'").fetchone()[0]
    french = seed_db.execute(
        "select speaker_entity_id, kind from core.quotations where doc_id = ? and quote_text like 'Il est important de reconnaître%'",
        [_document(seed_db, "000")],
    ).fetchall()
    assert french == [(curran, "direct")]
    english = seed_db.execute(
        "select count(*) from core.quotations where doc_id = ? and speaker_entity_id = ?", [_document(seed_db, "004"), curran]
    ).fetchone()[0]
    assert english >= 3  # "an insecure platform …", "It's important to recognize …", "The organizational resources …"
    assert seed_db.execute(
        "select n_quotes >= 5 from marts.speaker_overview where entity_name = 'Rowan Curran'"
    ).fetchone() == (True,)


@pytest.mark.parametrize(
    ("prefix", "text", "value", "currency"),
    [
        ("002", "14 milliards de dollars", 1.4e10, "USD"),
        ("003", "13 milliards de dollars", 1.3e10, "USD"),
        ("001", "$10B", 1e10, "USD"),
    ],
)
def test_the_seeds_sums_are_money_in_dollars(seed_db, prefix, text, value, currency):
    rows = seed_db.execute(
        "select kind, value, currency from core.amounts where doc_id = ? and mention_text = ?",
        [_document(seed_db, prefix), text],
    ).fetchall()
    assert rows == [("money", value, currency)]


@pytest.mark.parametrize(
    ("prefix", "text", "kind", "status", "resolved", "granularity"),
    [
        ("002", "2019", "absolute", "resolved", dt.date(2019, 1, 1), "year"),
        ("001", "La semaine dernière", "relative", "no_anchor", None, "week"),  # 001 has no publication date
        ("000", "Mardi dernier", "relative", "anchor_too_coarse", None, "day"),  # 000 is dated to the month
    ],
)
def test_the_seeds_dates_are_resolved_against_their_publication_dates(seed_db, prefix, text, kind, status, resolved, granularity):
    rows = seed_db.execute(
        "select kind, status, resolved_date, granularity from core.date_mentions where doc_id = ? and mention_text = ?",
        [_document(seed_db, prefix), text],
    ).fetchall()
    assert rows == [(kind, status, resolved, granularity)]


@pytest.mark.parametrize(
    ("table", "column"), [("quotations", "quote_text"), ("amounts", "mention_text"), ("date_mentions", "mention_text")]
)
def test_no_row_points_outside_its_documents_text(seed_db, table, column):
    outside = seed_db.execute(
        f"select count(*) from core.{table} t join core.documents d using (doc_id) "
        f"where t.start_char < 0 or t.end_char > length(d.text) or t.start_char >= t.end_char "
        f"or substring(d.text, t.start_char + 1, t.end_char - t.start_char) <> t.{column}"
    ).fetchone()[0]
    assert outside == 0
    assert seed_db.execute(f"select count(*) from core.{table}").fetchone()[0] > 0
    speakers_outside = seed_db.execute(
        "select count(*) from core.quotations q join core.documents d using (doc_id) where q.speaker_start_char is not null "
        "and substring(d.text, q.speaker_start_char + 1, q.speaker_end_char - q.speaker_start_char) <> q.speaker_text"
    ).fetchone()[0]
    assert speakers_outside == 0


def test_the_marts_carry_quotes_and_amounts(seed_db):
    assert seed_db.execute("select count(*) from marts.quotes").fetchone()[0] == seed_db.execute(
        "select count(*) from core.quotations"
    ).fetchone()[0]
    microsoft = seed_db.execute(
        "select largest_value, currency from marts.entity_amounts where entity_name = 'Microsoft' and currency = 'USD'"
    ).fetchone()
    assert microsoft == (1.4e10, "USD")
    assert seed_db.execute("select max(n_quotes) from marts.entity_overview").fetchone()[0] >= 5
