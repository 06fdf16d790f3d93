"""Withdraw / restore / supersede (worker/ops/issues.py) and the shared inbox drop, on a real
SQLite database with the real pipeline."""

from __future__ import annotations

import pytest
from conftest import SAMPLES
from sqlmodel import select
from typer.testing import CliRunner
from webhelp import HOSTILE_ISSUE, LATER, ingest_and_process

from worker import pipeline
from worker.core.db import session_scope
from worker.core.models import AuditLog, Issue
from worker.intake import inbox
from worker.ops import issues


def _status(issue_id: int) -> str:
    with session_scope() as s:
        return s.get(Issue, issue_id).status


def test_withdrawn_while_processing_drops_the_result_and_restore_processes_again(settings):
    (settings.inbox_dir / "a.txt").write_bytes(HOSTILE_ISSUE)
    [issue_id] = inbox.scan(session_scope, settings, LATER).new_issue_ids
    with session_scope() as s:
        assert pipeline.start_attempt(s, issue_id, "task-1", settings) is None  # a worker took it
        issues.withdraw(s, issue_id, "op")
    assert _status(issue_id) == "withdrawn"
    # the attempt finishes, but the issue is no longer its to store
    assert pipeline.process_issue(issue_id, task_id="task-1", settings=settings).status == "skipped"
    assert _status(issue_id) == "withdrawn"
    with session_scope() as s:
        assert issues.restore(s, issue_id) is True  # pending again: the caller queues it
    assert _status(issue_id) == "pending"
    assert pipeline.process_issue(issue_id, settings=settings).status == "processed"


def test_restore_puts_back_what_was_there_and_refuses_nonsense(settings):
    issue_id = ingest_and_process(settings, "a.txt", HOSTILE_ISSUE)
    with session_scope() as s:
        issues.withdraw(s, issue_id, "op")
        with pytest.raises(ValueError, match="withdrawn already"):
            issues.withdraw(s, issue_id, "op")
    with session_scope() as s:
        assert issues.restore(s, issue_id) is False
        issue = s.get(Issue, issue_id)
        assert (issue.status, issue.withdrawn_from, issue.withdrawn_by) == ("processed", None, None)
        with pytest.raises(ValueError, match="not withdrawn"):
            issues.restore(s, issue_id)
        with pytest.raises(LookupError):
            issues.withdraw(s, 999, "op")


def test_reprocess_command_leaves_withdrawn_issues_withdrawn(settings):
    from worker.ops.cli import app

    keep = ingest_and_process(settings, "a.txt", HOSTILE_ISSUE)
    gone = ingest_and_process(settings, "b.txt", (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes())
    runner = CliRunner()
    assert runner.invoke(app, ["withdraw", str(gone)]).exit_code == 0
    runner.invoke(app, ["reprocess", "--all"])  # the broker may be down: exit 1, issues stay pending
    assert _status(gone) == "withdrawn" and _status(keep) == "pending"
    r = runner.invoke(app, ["restore", str(gone)])
    assert r.exit_code == 0 and _status(gone) == "processed"
    with session_scope() as s:
        assert s.exec(select(AuditLog.action).order_by(AuditLog.id)).all() == ["withdraw", "restore"]
    assert runner.invoke(app, ["restore", str(gone)]).exit_code == 2


def test_possible_replacement_needs_the_same_date_and_mostly_the_same_headlines(settings):
    data = (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes()
    first = ingest_and_process(settings, "first.txt", data)
    # a corrected re-send: same date, same headlines, one sentence changed (identical text would end
    # as a text duplicate of the first, issue 10)
    corrected = data.replace("。".encode("gb18030"), "；".encode("gb18030"), 1)  # the sample is GB18030
    assert corrected != data
    again = ingest_and_process(settings, "again.txt", corrected)
    other = ingest_and_process(settings, "other.txt", HOSTILE_ISSUE)
    with session_scope() as s:
        assert issues.possible_replacements(s) == {again: first}
        with pytest.raises(ValueError):
            issues.supersede(s, first, first, "op")
        issues.supersede(s, again, first, "op")
        assert issues.possible_replacements(s) == {}
        assert s.get(Issue, first).superseded_by == again and s.get(Issue, other).status == "processed"


def test_inbox_drop_renames_into_place_never_overwrites_and_stops_at_the_limit(settings):
    drop = inbox.InboxDrop(settings, "../../etc/第1版.txt", max_bytes=10)
    drop.write(b"12345")
    [only] = [p.name for p in settings.inbox_dir.iterdir()]
    assert only.startswith(".")  # hidden while written
    assert inbox.find_stable(settings, LATER)[0] == []  # the scanner ignores it
    assert drop.commit() == settings.inbox_dir / "第1版.txt"
    second = inbox.InboxDrop(settings, "第1版.txt", max_bytes=10)
    second.write(b"abc")
    assert second.commit().name == "第1版-2.txt"
    big = inbox.InboxDrop(settings, "big.txt", max_bytes=10)
    big.write(b"x" * 10)
    with pytest.raises(inbox.FileTooLarge):
        big.write(b"x")
    assert sorted(p.name for p in settings.inbox_dir.iterdir()) == ["第1版-2.txt", "第1版.txt"]
    assert (settings.inbox_dir / "第1版.txt").read_bytes() == b"12345"


def test_a_dropped_file_with_a_temporary_looking_name_is_taken_not_left_in_the_inbox(settings):
    # adversarial run: `briefing ingest x.crdownload` / an upload named x.part or ~$x.txt said
    # "queued", then sat in the inbox for good with no receipt (the scanner ignores such names)
    names = []
    for name in ("x.part", "~$会议.txt", "advz.crdownload", ".hidden.txt", "稿件.pdf.part"):
        drop = inbox.InboxDrop(settings, name)
        drop.write(b"x")
        names.append(drop.commit().name)
    assert names == ["x", "会议.txt", "advz", "hidden.txt", "稿件.pdf"]
    assert not any(inbox.is_ignored(n) for n in names)
    assert sorted(inbox.find_stable(settings, LATER)[0]) == sorted(names)
