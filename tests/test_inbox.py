"""Inbox scan on real folders and a real SQLite database: stability, claim, receipts, outcomes."""

from __future__ import annotations

import json
import os
import time
from datetime import date

from conftest import SAMPLES
from sqlmodel import select

from worker.core.db import session_scope
from worker.core.models import Issue, Receipt
from worker.intake import inbox

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


LATER = time.time() + 3600  # scans "an hour later": every dropped file is stable by then


def _drop(settings, name: str, data: bytes) -> None:
    path = settings.inbox_dir / name
    path.write_bytes(data)


def _receipts():
    with session_scope() as s:
        return s.exec(select(Receipt).order_by(Receipt.id)).all()


def test_date_from_file_name():
    assert inbox.date_from_file_name("2024-12-24_zjgrrb.txt") == date(2024, 12, 24)
    assert inbox.date_from_file_name("zjgrrb20241224.txt") == date(2024, 12, 24)
    assert inbox.date_from_file_name("000_251c0b359e5127ab.txt") is None
    assert inbox.date_from_file_name("2024-13-40.txt") is None


def test_ignored_names():
    assert inbox.is_ignored(".hidden.txt")
    assert inbox.is_ignored("~$issue.docx")
    assert inbox.is_ignored("issue.txt.part")
    assert inbox.is_ignored("issue.txt.crdownload")
    assert not inbox.is_ignored("2024-12-24 要闻.txt")


def test_accepted_file_is_stored_and_archived(settings):
    data = (SAMPLES / "000_251c0b359e5127ab.txt").read_bytes()
    _drop(settings, "000_251c0b359e5127ab.txt", data)
    result = inbox.scan(session_scope, settings, LATER)
    assert len(result.receipts) == 1 and len(result.new_issue_ids) == 1
    [r] = _receipts()
    assert r.outcome == "accepted" and r.size == len(data)
    with session_scope() as s:
        issue = s.get(Issue, r.issue_id)
        assert issue.raw == data and issue.status == "pending"
    archived = settings.var_dir / r.stored_path
    assert archived.read_bytes() == data
    assert r.stored_path.startswith("archive/") and len(archived.parent.parent.name) == 4
    assert not any(settings.inbox_dir.iterdir()) and not any(settings.processing_dir.iterdir())


def test_same_bytes_again_is_a_duplicate(settings):
    data = (SAMPLES / "000_251c0b359e5127ab.txt").read_bytes()
    _drop(settings, "a.txt", data)
    inbox.scan(session_scope, settings, LATER)
    _drop(settings, "a.txt", data)
    result = inbox.scan(session_scope, settings, LATER)
    assert result.new_issue_ids == []
    first, second = _receipts()
    assert second.outcome == "duplicate" and second.issue_id == first.issue_id
    assert second.stored_path.startswith("archive/duplicates/")
    assert (settings.var_dir / second.stored_path).exists()


def test_png_renamed_txt_is_refused_with_reason(settings):
    _drop(settings, "photo.txt", PNG)
    inbox.scan(session_scope, settings, LATER)
    [r] = _receipts()
    assert r.outcome == "refused" and r.issue_id is None
    failed = settings.var_dir / r.stored_path
    assert failed.parent == settings.failed_dir and failed.read_bytes() == PNG
    info = json.loads(failed.with_name(failed.name + ".error.json").read_text(encoding="utf-8"))
    assert info["reason"] == r.reason and "PNG" in r.reason.upper()


def test_file_still_being_written_waits(settings):
    (settings.inbox_dir / "fresh.txt").write_bytes("正在写入".encode())
    result = inbox.scan(session_scope, settings)
    assert result.receipts == [] and result.waiting == ["fresh.txt"]
    assert 0 < result.rescan_in <= settings.stable_seconds
    assert (settings.inbox_dir / "fresh.txt").exists()


def test_directory_and_symlink_are_refused_never_followed(settings, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("机密", encoding="utf-8")
    os.symlink(outside, settings.inbox_dir / "link.txt")
    (settings.inbox_dir / "folder").mkdir()
    inbox.scan(session_scope, settings, LATER)
    reasons = {r.file_name: r.reason for r in _receipts()}
    assert "symbolic link" in reasons["link.txt"]
    assert "directory" in reasons["folder"]
    assert outside.read_text(encoding="utf-8") == "机密"
    assert (settings.failed_dir / "link.txt").is_symlink()


def test_too_big_is_refused(settings, monkeypatch):
    monkeypatch.setattr(settings, "max_file_bytes", 100)
    _drop(settings, "big.txt", "工会".encode() * 100)
    inbox.scan(session_scope, settings, LATER)
    [r] = _receipts()
    assert r.outcome == "refused" and "too big" in r.reason


def test_name_collision_in_archive_never_overwrites(settings):
    _drop(settings, "issue.txt", "第一份报纸的内容。".encode())
    inbox.scan(session_scope, settings, LATER)
    _drop(settings, "issue.txt", "第二份报纸的内容。".encode())
    inbox.scan(session_scope, settings, LATER)
    a, b = _receipts()
    assert a.outcome == b.outcome == "accepted" and a.stored_path != b.stored_path
    assert (settings.var_dir / a.stored_path).read_bytes() != (settings.var_dir / b.stored_path).read_bytes()


def test_reconcile_returns_uncommitted_claim_and_files_committed_one(settings):
    # A claim whose receipt never committed (worker killed between rename and commit) → back to inbox.
    claimed = inbox.claim(settings, _drop(settings, "lost.txt", "报纸".encode()) or "lost.txt")
    old = time.time() - settings.processing_stale_seconds - 10
    os.utime(claimed.path.parent, (old, old))
    actions = inbox.reconcile_processing(session_scope, settings)
    assert actions == ["returned lost.txt to the inbox"]
    assert (settings.inbox_dir / "lost.txt").exists() and not any(settings.processing_dir.iterdir())
    # A claim committed but not yet moved (killed after the commit) → filed where its receipt says.
    claimed = inbox.claim(settings, "lost.txt")
    found = inbox.inspect(settings, claimed)
    with session_scope() as s:
        receipt, _ = inbox.record(s, settings, claimed, found)
    os.utime(claimed.path.parent, (old, old))
    inbox.reconcile_processing(session_scope, settings)
    assert (settings.var_dir / receipt.stored_path).exists()
    assert len(_receipts()) == 1


def test_a_dropped_error_json_gets_a_receipt_too(settings):
    """Every dropped file gets exactly one receipt: a name ending in .error.json used to be skipped
    silently (adversarial run)."""
    _drop(settings, "report.error.json", b'{"reason": "x"}')
    inbox.scan(session_scope, settings, LATER)
    [r] = _receipts()
    assert r.file_name == "report.error.json" and r.outcome == "refused" and "unsupported" in r.reason


def test_second_reconcile_of_the_same_claim_changes_nothing(settings):
    """Two reconcile tasks raced for one stale claim: the loser renamed the receipt's path to an
    alternative name and then failed to move the (already moved) file, leaving the receipt pointing
    at nothing (found by tests/test_reliability_crash.py under load)."""
    _drop(settings, "raced.txt", "报纸内容。".encode())
    claimed = inbox.claim(settings, "raced.txt")
    found = inbox.inspect(settings, claimed)
    with session_scope() as s:
        receipt, _ = inbox.record(s, settings, claimed, found)
    winner = inbox.file_away(settings, claimed.path, receipt, session_scope)
    loser = inbox.file_away(settings, claimed.path, receipt, session_scope)  # same claim, file gone
    [stored] = _receipts()
    assert loser == winner == settings.var_dir / stored.stored_path
    assert winner.read_bytes() == "报纸内容。".encode()
