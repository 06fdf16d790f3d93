"""Per-article dates (issue 14) stored by process_issue on a real SQLite database: a digital-edition
copy holding pages of two dates stores each article's own date, and the issue's date is the
earliest of them even when the file name says otherwise."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from sqlmodel import select

from worker import pipeline
from worker.core.db import session_scope
from worker.core.models import Article, Issue
from worker.intake import inbox

TUNING = Path(__file__).resolve().parent / "data" / "tuning"


def test_article_dates_from_digital_edition_footers_are_stored(settings):
    # the file name claims a later day; the footers of the pages (2025-10-14 and -15) win
    (settings.inbox_dir / "2025-10-20_szb.txt").write_bytes((TUNING / "szb_2025-10-14_pages.txt").read_bytes())
    [issue_id] = inbox.scan(session_scope, settings, time.time() + 3600).new_issue_ids
    assert pipeline.process_issue(issue_id).status == "processed"
    with session_scope() as s:
        issue = s.get(Issue, issue_id)
        dates = [a.published_on for a in s.exec(select(Article).where(Article.issue_id == issue_id)
                                                 .order_by(Article.seq))]
    assert dates == [date(2025, 10, 14)] * 3 + [date(2025, 10, 15)] * 3
    assert issue.issue_date == date(2025, 10, 14) and issue.issue_date_source == "article_dates"


def test_articles_without_furniture_dates_store_none(settings):
    sample = Path(__file__).resolve().parents[1] / "samples" / "2024-12-24_zjgrrb.txt"
    (settings.inbox_dir / sample.name).write_bytes(sample.read_bytes())
    [issue_id] = inbox.scan(session_scope, settings, time.time() + 3600).new_issue_ids
    pipeline.process_issue(issue_id)
    with session_scope() as s:
        assert {a.published_on for a in s.exec(select(Article).where(Article.issue_id == issue_id))} == {None}
        assert s.get(Issue, issue_id).issue_date == date(2024, 12, 24)
