"""Issue 10 on real SQLite and PostgreSQL: corrections survive a re-parse, article ids stay put, the
same paper in other bytes is stored once, and a store-step error ends the attempt visibly."""

from __future__ import annotations

import sqlite3
import time

import psycopg
import pytest
from conftest import SAMPLES
from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from worker import pipeline
from worker.core.db import get_engine, migrate, session_scope
from worker.core.models import Article, Briefing, Correction, Issue, Receipt
from worker.core.settings import get_settings
from worker.enrich import identity
from worker.intake import inbox
from worker.ops.cli import app

runner = CliRunner()
LATER = time.time() + 3600  # scans "an hour later": every dropped file is stable by then
SAMPLE = SAMPLES / "2024-12-24_zjgrrb.txt"  # GB18030, CRLF: 7 articles on two pages
SAMPLE_TEXT = SAMPLE.read_bytes().decode("gb18030")
WENZHOU = "温州：“工会驿站”升级为“暖新驿站”"
SHAOXING = "绍兴一企业拖欠工资 工会介入两周追回"  # as printed; the parser drops the space
SHAOXING_TITLE = SHAOXING.replace(" ", "")
FROZEN = "articles are frozen by the test"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, var_dir, monkeypatch):
    """Settings for a migrated database of either backend (folders under ``var_dir``); the CLI's
    tables printed wide enough that no cell wraps."""
    from worker.ops import cli

    monkeypatch.setattr(cli.console, "_width", 400)
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("BRIEFING_DATABASE_URL", url)
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
        migrate()
    return get_settings()


def is_sqlite(settings) -> bool:
    return settings.db_url.startswith("sqlite")


def ingest(settings, name: str, data: bytes) -> int:
    (settings.inbox_dir / name).write_bytes(data)
    [receipt_id] = inbox.scan(session_scope, settings, LATER).receipts
    with session_scope() as s:
        return s.get(Receipt, receipt_id).issue_id


def articles_of(issue_id: int) -> list[Article]:
    with session_scope() as s:
        return list(s.exec(select(Article).where(Article.issue_id == issue_id).order_by(Article.seq)))


def reprocess(*issue_ids: int) -> list[pipeline.Outcome]:
    with session_scope() as s:
        pipeline.reset_for_rerun(s, list(issue_ids))
    return [pipeline.process_issue(i) for i in issue_ids]


def by_title(arts: list[Article], title: str) -> Article:
    return next(a for a in arts if a.title == title)


def test_relabel_then_reprocess_keeps_ids_the_correction_and_its_topic(db):
    issue_id = ingest(db, SAMPLE.name, SAMPLE.read_bytes())
    assert pipeline.process_issue(issue_id).status == "processed"
    before = articles_of(issue_id)
    target = by_title(before, WENZHOU)
    assert target.category != "worker_services"
    out = runner.invoke(app, ["relabel", str(target.id), "服务职工", "--who", "编辑甲"])
    assert out.exit_code == 0, out.output

    # was: IntegrityError FOREIGN KEY constraint failed, the issue stuck in `processing`
    assert [o.status for o in reprocess(issue_id)] == ["processed"]
    after = articles_of(issue_id)
    assert [(a.id, a.seq, a.title) for a in after] == [(a.id, a.seq, a.title) for a in before]
    kept = by_title(after, WENZHOU)
    assert kept.category == "worker_services" and kept.category_confirmed
    assert "worker_services" not in kept.secondary_categories
    assert sum(a.category_confirmed for a in after) == 1
    with session_scope() as s:
        [c] = s.exec(select(Correction)).all()
        assert (c.article_id, c.issue_id, c.new_category, c.who) == (target.id, issue_id, "worker_services", "编辑甲")
        assert c.article_text["title"] == WENZHOU and c.fingerprint
        assert s.get(Issue, issue_id).status == "processed"


def test_ids_are_stable_across_reprocess_all_of_several_issues(db):
    first = ingest(db, SAMPLE.name, SAMPLE.read_bytes())
    other = ingest(db, "000_251c0b359e5127ab.txt", (SAMPLES / "000_251c0b359e5127ab.txt").read_bytes())
    pipeline.process_issue(first)
    pipeline.process_issue(other)
    before = {i: [(a.id, a.seq) for a in articles_of(i)] for i in (first, other)}
    assert len(before[first]) == 7 and len(before[other]) == 8
    assert [o.status for o in reprocess(other, first)] == ["processed", "processed"]
    assert [o.status for o in reprocess(first, other)] == ["processed", "processed"]
    assert {i: [(a.id, a.seq) for a in articles_of(i)] for i in (first, other)} == before


def _set_raw(issue_id: int, new_text: str) -> None:
    """As if a parser upgrade read the stored issue differently: its text changes under it."""
    with session_scope() as s:
        issue = s.get(Issue, issue_id)
        issue.raw = new_text.encode("gb18030")
        s.add(issue)


def test_changed_parse_reattaches_by_headline_or_first_paragraph_and_keeps_the_rest(db):
    issue_id = ingest(db, SAMPLE.name, SAMPLE.read_bytes())
    pipeline.process_issue(issue_id)
    before = articles_of(issue_id)
    wenzhou, shaoxing = by_title(before, WENZHOU), by_title(before, SHAOXING_TITLE)
    first = before[0]
    for art, topic in ((wenzhou, "服务职工"), (shaoxing, "服务职工"), (shaoxing, "维权与劳动关系"),
                       (first, "工会建设")):
        assert runner.invoke(app, ["relabel", str(art.id), topic]).exit_code == 0

    # the 温州 headline reads differently now (same first paragraph), 绍兴 is gone, a brief is new
    start = SAMPLE_TEXT.index(SHAOXING)
    changed = (SAMPLE_TEXT[:start] + SAMPLE_TEXT[SAMPLE_TEXT.index("简讯", start):])
    changed = changed.replace(WENZHOU, "温州386家工会驿站升级为暖新驿站")
    changed = changed.replace("■近日，湖州市", "■日前，衢州市总工会为200名环卫工人送去棉衣。\r\n\r\n■近日，湖州市")
    _set_raw(issue_id, changed)
    assert [o.status for o in reprocess(issue_id)] == ["processed"]

    after = articles_of(issue_id)
    assert len(after) == 7 and SHAOXING_TITLE not in [a.title for a in after]
    moved = next(a for a in after if a.title.startswith("温州386家"))
    assert moved.id == wenzhou.id and moved.category == "worker_services" and moved.category_confirmed
    assert after[0].id == first.id and after[0].category == "union_building" and after[0].category_confirmed
    old_ids = {a.id for a in before}
    new = [a for a in after if a.id not in old_ids]
    assert [a.title[:6] for a in new] == ["衢州市总工会"] and new[0].id > max(old_ids)
    assert {a.id for a in after} - {new[0].id} == old_ids - {shaoxing.id}
    with session_scope() as s:
        assert s.get(Article, shaoxing.id) is None
        gone = s.exec(select(Correction).where(Correction.article_id.is_(None)).order_by(Correction.id)).all()
        assert [(c.issue_id, c.article_text["title"], c.new_category) for c in gone] == [
            (issue_id, SHAOXING_TITLE, "worker_services"), (issue_id, SHAOXING_TITLE, "rights_protection")]
        assert len(s.exec(select(Correction)).all()) == 4  # nothing was deleted
        from worker.enrich.learning import _labels
        labels = {lb.key: lb.category for lb in _labels(s)}
    # the vanished article's newest correction still teaches the model, with the text it was made on
    assert labels[f"correction:{gone[1].id}"] == "rights_protection" and f"correction:{gone[0].id}" not in labels
    assert labels[f"article:{wenzhou.id}"] == "worker_services" and len(labels) == 3

    out = runner.invoke(app, ["corrections", "--unattached"])
    assert out.exit_code == 0, out.output
    assert "绍兴一企业拖欠工资" in out.stdout and "unattached" in out.stdout and "温州" not in out.stdout

    # the old text comes back (a parser fix reverted): the corrections find their article again
    _set_raw(issue_id, SAMPLE_TEXT)
    reprocess(issue_id)
    back = by_title(articles_of(issue_id), SHAOXING_TITLE)
    assert back.category == "rights_protection" and back.category_confirmed
    with session_scope() as s:
        assert not s.exec(select(Correction).where(Correction.article_id.is_(None))).all()


def recoded(text_: str) -> bytes:
    """The same paper saved again: UTF-8 with a BOM, LF line ends, trailing spaces, NFD-free text."""
    lines = text_.replace("\r\n", "\n").split("\n")
    return ("\ufeff" + "\n".join(line + ("  " if i % 3 == 0 else "") for i, line in enumerate(lines))).encode()


def test_same_text_in_other_bytes_ends_duplicate_and_counts_once(db):
    first = ingest(db, SAMPLE.name, SAMPLE.read_bytes())
    copy = ingest(db, "2024-12-24_zjgrrb_utf8.txt", recoded(SAMPLE_TEXT))
    assert copy != first
    with session_scope() as s:
        assert {r.outcome for r in s.exec(select(Receipt)).all()} == {"accepted"}  # the door cannot tell
    assert pipeline.process_issue(first).status == "processed"
    out = pipeline.process_issue(copy)
    reason = f"same text as issue {first} (file {SAMPLE.name})"
    assert (out.status, out.detail, out.articles) == ("duplicate", reason, 0)
    with session_scope() as s:
        issue = s.get(Issue, copy)
        assert (issue.status, issue.duplicate_of, issue.error, issue.article_count) == ("duplicate", first, reason, 0)
    assert articles_of(copy) == [] and len(articles_of(first)) == 7

    report = runner.invoke(app, ["report", "daily", "--date", "2024-12-24"])
    assert report.exit_code == 0, report.output  # a duplicate is final: nothing waits for a worker
    with session_scope() as s:
        [b] = s.exec(select(Briefing)).all()
        assert (b.issue_count, b.article_count) == (1, 7)

    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0
    flat = "".join(status.stdout.split())
    assert "".join(f"issue{copy}:{reason}".split()) in flat and "duplicate1" in flat

    # re-processing both, the copy first, changes nothing: the first issue still holds the text
    assert [o.status for o in reprocess(copy, first)] == ["duplicate", "processed"]
    assert articles_of(copy) == [] and len(articles_of(first)) == 7


def test_a_copy_stored_before_the_fix_loses_its_articles_on_reprocess(db):
    first = ingest(db, SAMPLE.name, SAMPLE.read_bytes())
    copy = ingest(db, "copy.txt", recoded(SAMPLE_TEXT))
    forget_text = text("UPDATE issue SET text_sha256 = NULL")  # as in a database from before issue 10
    pipeline.process_issue(first)
    with session_scope() as s:
        s.execute(forget_text)
    assert pipeline.process_issue(copy).status == "processed"
    with session_scope() as s:
        s.execute(forget_text)
    copied = articles_of(copy)
    assert len(copied) == 7
    assert runner.invoke(app, ["relabel", str(copied[2].id), "服务职工"]).exit_code == 0

    assert [o.status for o in reprocess(first, copy)] == ["processed", "duplicate"]
    assert articles_of(copy) == [] and len(articles_of(first)) == 7
    with session_scope() as s:
        [c] = s.exec(select(Correction)).all()
        assert c.article_id is None and c.issue_id == copy  # kept, unattached, still a label


def test_text_hash_ignores_how_the_file_was_saved():
    from worker.intake.reading import normalised_text, text_sha256

    base = "浙江工人日报\n第1版 要闻\n\n职工技能大赛举行\n本报讯 杭州市总工会举办比赛。"
    variants = ["\ufeff" + base, base.replace("\n", "\r\n"), base.replace("\n", "\r"), base + "\n\n  ",
                base.replace(" ", "  \t"), base.replace("\n\n", "\n \n\n")]
    assert {text_sha256(v) for v in variants} == {text_sha256(base)}
    assert normalised_text("e\u0301  x") == "\u00e9 x"  # NFC
    assert text_sha256(base.replace("举办", "主办")) != text_sha256(base)


def _block_writes(db):
    """Hold a lock another connection's store step must wait for; returns a release function."""
    if is_sqlite(db):
        conn = sqlite3.connect(db.db_url.split("///", 1)[1], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return lambda: (conn.execute("ROLLBACK"), conn.close())
    conn = psycopg.connect(db.db_url)
    conn.execute("LOCK TABLE article IN ACCESS EXCLUSIVE MODE")
    return lambda: (conn.rollback(), conn.close())


def _store_with_lock(db, issue_id: int, task_id: str) -> pipeline.Outcome:
    """One attempt whose store step meets a real lock timeout (kept short). The lock is released
    as soon as the driver reports the error, so the attempt can record what happened (on SQLite a
    lock covers the whole database)."""
    from sqlalchemy import event

    from worker.intake.reading import text_sha256

    result = pipeline.analyse(SAMPLE.read_bytes(), SAMPLE.name)
    rows = pipeline.article_rows(issue_id, result["parsed"], result["enrichments"])
    with session_scope() as s:
        assert pipeline.start_attempt(s, issue_id, task_id, db) is None
    release = _block_writes(db)
    released = []

    def on_error(_context) -> None:
        if not released:
            released.append(release())

    event.listen(get_engine(), "handle_error", on_error)
    try:
        return pipeline.store_result(session_scope, issue_id, task_id, rows, {},
                                     text_sha256(result["decoded"].text), db)
    finally:
        event.remove(get_engine(), "handle_error", on_error)
        if not released:
            release()


def test_operational_store_error_is_retried_and_counted(db, monkeypatch):
    import worker.core.db as core_db

    if is_sqlite(db):
        monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    else:
        with psycopg.connect(db.db_url, autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE \"{db.db_url.rsplit('/', 1)[1]}\" SET lock_timeout = '200ms'")
    get_engine().dispose()
    get_engine.cache_clear()
    issue_id = ingest(db, SAMPLE.name, SAMPLE.read_bytes())
    out = _store_with_lock(db, issue_id, "t1")
    assert out.status == "retry" and "OperationalError" in out.detail
    with session_scope() as s:
        issue = s.get(Issue, issue_id)
        assert issue.status == "pending" and issue.attempts == 1
        assert issue.error.startswith("attempt 1 could not store the articles (OperationalError")
    # status lists it among the issues not processed, with the reason (the last column; rich wraps it)
    shown = runner.invoke(app, ["status"]).stdout
    assert "Issues not processed" in shown
    assert "itistriedagain" in "".join(ch for ch in shown if not ch.isspace() and ch not in "│┃|")
    for n in (2, 3):
        out = _store_with_lock(db, issue_id, f"t{n}")
        assert out.status == ("retry" if n < 3 else "failed")
    with session_scope() as s:
        issue = s.get(Issue, issue_id)
        assert issue.status == "failed" and issue.error.startswith("gave up after 3 attempts; the database kept")
    # once the database is well again, `briefing retry` works
    with session_scope() as s:
        pipeline.reset_for_rerun(s, [issue_id])
    assert pipeline.process_issue(issue_id).status == "processed"


def _forbid_article_inserts(db) -> None:
    with session_scope() as s:
        if is_sqlite(db):
            s.execute(text("CREATE TRIGGER no_articles BEFORE INSERT ON article "
                           f"BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END"))
        else:
            s.execute(text("CREATE FUNCTION no_articles() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
                           f"'{FROZEN}' USING ERRCODE = 'check_violation'; END $$ "
                           "LANGUAGE plpgsql"))
            s.execute(text("CREATE TRIGGER no_articles BEFORE INSERT ON article "
                           "FOR EACH ROW EXECUTE FUNCTION no_articles()"))


def test_deterministic_store_error_fails_the_issue_with_the_reason(db):
    issue_id = ingest(db, SAMPLE.name, SAMPLE.read_bytes())
    _forbid_article_inserts(db)
    out = pipeline.process_issue(issue_id)  # was: the exception escaped, the issue stayed `processing`
    assert out.status == "failed"
    assert out.detail.startswith("could not store the articles: IntegrityError: ")
    assert FROZEN in out.detail
    with session_scope() as s:
        issue = s.get(Issue, issue_id)
        assert (issue.status, issue.error, issue.attempts, issue.text_sha256) == ("failed", out.detail, 1, None)
    assert articles_of(issue_id) == []
    status = runner.invoke(app, ["status"])
    assert f"could not store the articles: IntegrityError: {FROZEN}" in status.stdout
    assert runner.invoke(app, ["retry", str(issue_id)]).exit_code in (0, 1)  # a failed issue can be retried
    with session_scope() as s:
        assert s.get(Issue, issue_id).status == "pending"


def test_match_articles_passes():
    k = identity.Keys
    old = [k(1, "h1", "l1"), k(2, "h2", "l2"), k(3, "h3", "l3"), k(4, None, "l4"), k(5, "h5", "l5")]
    new = [k(1, "hX", "l2"),   # first paragraph of old 2
           k(2, "h1", "lY"),   # headline of old 1
           k(3, "h3", "l3"),   # both of old 3
           k(4, "hZ", "lZ"),   # nothing in common: position 4 (old 4 still free)
           k(5, "hQ", "lQ"),   # position 5 is old 5, free: paired by position
           k(6, "hN", "lN")]   # new
    assert identity.match_articles(old, new) == {2: 2, 1: 0, 0: 1, 3: 3, 4: 4}
    # two articles with the same headline pair in order, the one whose paragraph also matches first
    old = [k(1, "pic", "a"), k(2, "pic", "b")]
    assert identity.match_articles(old, [k(1, "pic", "b"), k(2, "pic", "c")]) == {0: 1, 1: 0}
    assert identity.find_article("h", "l", [k(1, None, "l"), k(2, "h", "x")]) == 1
    assert identity.find_article("h", "l", [k(1, "h", "l"), k(2, "h", "l")], prefer_seq=2) == 1
    assert identity.find_article(None, None, [k(1, None, None)]) is None
    assert identity.headline_key("引题", "主题", None) == identity.headline_key(None, "引题 主题！", "")
    assert identity.lead_key(["", "——", "第一段，内容。"]) == identity.lead_key(["第一段内容"])


def test_two_copies_stored_at_the_same_moment_keep_one(db):
    """The check for an earlier copy and the write are not one step: the unique text hash settles
    the race — the copy whose write waited on the other's ends duplicate instead of failing."""
    import threading

    from conftest import wait_for

    from worker.intake.reading import text_sha256

    first = ingest(db, SAMPLE.name, SAMPLE.read_bytes())
    copy = ingest(db, "copy.txt", recoded(SAMPLE_TEXT))
    result = pipeline.analyse(SAMPLE.read_bytes(), SAMPLE.name)
    text_hash = text_sha256(result["decoded"].text)
    assert text_hash == text_sha256(pipeline.analyse(recoded(SAMPLE_TEXT), "copy.txt")["decoded"].text)
    for issue_id in (first, copy):
        with session_scope() as s:
            assert pipeline.start_attempt(s, issue_id, f"t{issue_id}", db) is None
    outcomes = {}
    with session_scope() as s:  # the first copy's store step, not yet committed
        rows = pipeline.article_rows(first, result["parsed"], result["enrichments"])
        outcomes[first] = pipeline._store(s, first, f"t{first}", rows, {}, text_hash)
        worker = threading.Thread(target=lambda: outcomes.setdefault(copy, pipeline.store_result(
            session_scope, copy, f"t{copy}", pipeline.article_rows(copy, result["parsed"], result["enrichments"]),
            {}, text_hash, db)))
        worker.start()
        if is_sqlite(db):
            time.sleep(0.5)  # (only lets the copy reach its write; nothing is asserted on time)
        else:
            with psycopg.connect(db.db_url) as conn:
                wait_for(lambda: conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0])
    worker.join(60)
    assert outcomes[first].status == "processed"
    reason = f"same text as issue {first} (file {SAMPLE.name})"
    assert (outcomes[copy].status, outcomes[copy].detail) == ("duplicate", reason)
    assert articles_of(copy) == [] and len(articles_of(first)) == 7
