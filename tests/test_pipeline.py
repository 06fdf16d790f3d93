"""process_issue on a real SQLite database: exactly once, idempotent, failures visible."""

from __future__ import annotations

import time

from conftest import SAMPLES
from sqlmodel import func, select

from worker import pipeline
from worker.core.db import session_scope
from worker.core.models import Article, Issue
from worker.intake import inbox

LATER = time.time() + 3600  # scans "an hour later": every dropped file is stable by then


def _ingest(settings, name: str, data: bytes) -> int:
    path = settings.inbox_dir / name
    path.write_bytes(data)
    [issue_id] = inbox.scan(session_scope, settings, LATER).new_issue_ids
    return issue_id


def _article_count(issue_id: int) -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(Article).where(Article.issue_id == issue_id)).one()


def test_sample_issue_processed_once(settings):
    issue_id = _ingest(settings, "000_251c0b359e5127ab.txt", (SAMPLES / "000_251c0b359e5127ab.txt").read_bytes())
    first = pipeline.process_issue(issue_id, task_id="t1")
    assert first.status == "processed" and first.articles == 8
    again = pipeline.process_issue(issue_id, task_id="t2")
    assert again.status == "skipped" and again.detail == "issue is processed"
    assert _article_count(issue_id) == 8
    with session_scope() as s:
        issue = s.get(Issue, issue_id)
        assert issue.encoding.lower().replace("-", "") in ("utf8", "ascii") or "utf" in issue.encoding.lower()
        assert issue.attempts == 1 and issue.processed_at is not None
        titles = [a.title for a in s.exec(select(Article).where(Article.issue_id == issue_id)
                                          .order_by(Article.seq))]
    assert titles[1] == "《中国共产党历史》第三卷上册出版发行"


def test_reprocess_replaces_articles_not_duplicates(settings):
    issue_id = _ingest(settings, "2024-12-24_zjgrrb.txt", (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes())
    pipeline.process_issue(issue_id)
    n = _article_count(issue_id)
    with session_scope() as s:
        assert pipeline.reset_for_rerun(s, [issue_id]) == 1
    assert pipeline.process_issue(issue_id).status == "processed"
    assert _article_count(issue_id) == n == 7
    with session_scope() as s:
        issue = s.get(Issue, issue_id)
        assert str(issue.issue_date) == "2024-12-24" and issue.encoding.lower().startswith("gb")


def test_unreadable_issue_fails_with_reason_and_retry_works(settings):
    with session_scope() as s:
        issue = Issue(file_name="english.txt", sha256="x" * 64, raw=b"Hello world, this is not Chinese. " * 20)
        s.add(issue)
        s.flush()
        issue_id = issue.id
    out = pipeline.process_issue(issue_id)
    assert out.status == "failed"
    with session_scope() as s:
        issue = s.get(Issue, issue_id)
        assert issue.status == "failed" and "Chinese" in issue.error
        pipeline.reset_for_rerun(s, [issue_id])
    with session_scope() as s:
        assert s.get(Issue, issue_id).status == "pending"


def test_redelivered_task_resumes_but_another_task_waits(settings):
    issue_id = _ingest(settings, "2024-12-24_zjgrrb.txt", (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes())
    with session_scope() as s:
        assert pipeline.start_attempt(s, issue_id, "task-A", settings) is None  # then "killed"
    with session_scope() as s:
        assert pipeline.start_attempt(s, issue_id, "task-B", settings) == "issue is processing"
    out = pipeline.process_issue(issue_id, task_id="task-A")  # the same message, redelivered
    assert out.status == "processed"
    with session_scope() as s:
        assert s.get(Issue, issue_id).attempts == 2


def test_attempts_are_capped(settings):
    issue_id = _ingest(settings, "2024-12-24_zjgrrb.txt", (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes())
    for _ in range(settings.max_attempts):
        with session_scope() as s:
            assert pipeline.start_attempt(s, issue_id, "same-task", settings) is None
    with session_scope() as s:
        reason = pipeline.start_attempt(s, issue_id, "same-task", settings)
    assert "gave up after 3 attempts" in reason
    with session_scope() as s:
        assert s.get(Issue, issue_id).status == "failed"


def test_one_huge_article_is_stored_whole_and_enriched_within_bounds():
    # A 16 MB file that is one 6-million-character paragraph used to peak at ~2 GB: the headline
    # test counted Han characters of every line, and enrichment segmented all of it.
    from worker.enrich.segment import MAX_DOC_CHARS, make_doc
    from worker.parsing.parser import _headline_score

    sentence = "杭州市总工会举办职工技能大赛，共有120名职工参赛，奖金共计3万元。"
    body = sentence * (6_000_000 // len(sentence))
    text = "浙江工人日报\n2024年12月24日\n第1版 要闻\n\n职工技能大赛举行\n\n" + body
    out = pipeline.analyse(text.encode(), "huge.txt")
    [article] = out["parsed"].articles
    assert article.title == "职工技能大赛举行" and "".join(article.paragraphs) == body  # nothing lost
    assert out["enrichments"][0].category == "skills_competition"
    doc = make_doc(["标题"], [body, "第二段。"], ["图片说明"])
    assert len(doc.text) <= MAX_DOC_CHARS and doc.text.startswith("标题\n杭州市总工会")
    assert _headline_score(body, hinted=True) == 0 and _headline_score("职工技能大赛举行", hinted=False) == 2
