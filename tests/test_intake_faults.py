"""Intake faults done for real (issue 11): an immutable file (``chattr +i``), a full disk (a small
tmpfs), a file written in two sessions, a storm of scan requests. The tests run as root (CI does).
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import time

import pytest
from rich.console import Console
from sqlmodel import select

from worker.core.db import session_scope
from worker.core.models import Issue, Receipt
from worker.intake import inbox, problems

LATER = time.time() + 3600


def _need_root():
    if os.geteuid() != 0:
        pytest.skip("needs root (chattr, mount)")


def _receipts():
    with session_scope() as s:
        return s.exec(select(Receipt).order_by(Receipt.id)).all()


def _text(i: int) -> bytes:
    return (f"本报讯 第{i}号 全省工会召开第{i}次工作会议，研究部署职工服务工作。会议强调，"
            f"要把第{i}项任务落到实处，切实维护职工合法权益。\n").encode()


def _status_text() -> str:
    from worker.ops.status import show_intake

    console = Console(record=True, width=250)
    show_intake(console)
    return console.export_text()


@pytest.fixture
def immutable(settings):
    """Files made immutable by the test; made mutable again afterwards (or tmp cleanup fails)."""
    made: list = []
    yield made
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_an_immutable_file_never_stops_the_others(settings, redis_url, immutable, caplog):
    _need_root()
    for i, name in enumerate(["a.txt", "b-stuck.txt", "c.txt"]):
        (settings.inbox_dir / name).write_bytes(_text(i))
    stuck = settings.inbox_dir / "b-stuck.txt"
    subprocess.run(["chattr", "+i", str(stuck)], check=True)
    immutable.append(stuck)

    with caplog.at_level(logging.WARNING, logger="worker.intake.inbox"):
        result = inbox.scan(session_scope, settings, LATER)
    assert len(result.new_issue_ids) == 2 and result.problems == ["b-stuck.txt"]
    by_name = {r.file_name: r for r in _receipts()}
    assert by_name["a.txt"].outcome == by_name["c.txt"].outcome == "accepted"
    refused = by_name["b-stuck.txt"]
    assert refused.outcome == "refused" and "Operation not permitted (EPERM)" in refused.reason
    assert "cannot take b-stuck.txt" in caplog.text and "EPERM" in caplog.text
    assert list(settings.processing_dir.iterdir()) == []  # no empty claim folder left behind
    assert stuck.exists()
    status = _status_text()
    assert "b-stuck.txt" in status and "Operation not permitted" in status

    # Later scans try again without piling up claim folders, receipts or warnings.
    caplog.clear()
    for _ in range(3):
        with caplog.at_level(logging.WARNING, logger="worker.intake.inbox"):
            assert inbox.scan(session_scope, settings, LATER).problems == ["b-stuck.txt"]
    assert list(settings.processing_dir.iterdir()) == [] and len(_receipts()) == 3
    assert "cannot take" not in caplog.text
    assert problems.current(settings)[0]["scans"] == 4

    subprocess.run(["chattr", "-i", str(stuck)], check=True)  # the operator fixes it
    result = inbox.scan(session_scope, settings, LATER)
    assert len(result.new_issue_ids) == 1 and result.problems == []
    assert _receipts()[-1].file_name == "b-stuck.txt" and _receipts()[-1].outcome == "accepted"
    assert problems.current(settings) == [] and "b-stuck.txt" not in _status_text()


@pytest.fixture
def small_disk(tmp_path, monkeypatch, redis_url):
    """BRIEFING_VAR_DIR (database included) on a 3 MiB tmpfs, migrated."""
    _need_root()
    from worker.core.db import get_engine, migrate
    from worker.core.settings import get_settings

    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], check=True)
    monkeypatch.setenv("BRIEFING_VAR_DIR", str(mnt / "var"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_settings().ensure_dirs()
    migrate()
    yield get_settings()
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(folder) -> object:
    """Fill the file system of ``folder`` to the last byte; returns the filler file."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as fh:
        for chunk in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * chunk)
    return filler


def test_full_disk_files_stay_visible_and_finish_when_space_returns(small_disk):
    settings = small_disk
    for i in range(3):
        (settings.inbox_dir / f"2024-05-0{i + 1}.txt").write_bytes(_text(i) * 20)
    filler = _fill(settings.var_dir)

    result = inbox.scan(session_scope, settings, LATER)  # raised "database or disk is full" before
    assert sorted(result.problems) == ["2024-05-01.txt", "2024-05-02.txt", "2024-05-03.txt"]
    assert _receipts() == [] and list(settings.processing_dir.iterdir()) == []
    assert len(list(settings.inbox_dir.iterdir())) == 3  # not hidden in processing/
    status = _status_text()
    assert "2024-05-02.txt" in status and "receipt not written" in status and "full" in status

    # A claim whose receipt never got written (the worker died there) is shown too, and why.
    claimed = inbox.claim(settings, "2024-05-03.txt")
    status = _status_text()
    assert "Claimed into processing/" in status and claimed.claim_id in status and "no receipt yet" in status

    filler.unlink()  # space returns
    inbox.reconcile_processing(session_scope, settings, now=LATER)
    result = inbox.scan(session_scope, settings, LATER)
    assert len(result.new_issue_ids) == 3 and result.problems == []
    assert sorted(r.outcome for r in _receipts()) == ["accepted"] * 3
    with session_scope() as s:
        assert len(s.exec(select(Issue)).all()) == 3
    assert list(settings.processing_dir.iterdir()) == [] and _status_text().strip() == ""


def _clear_scan_keys(redis_url):
    import redis

    from worker.intake import coalesce

    client = redis.Redis.from_url(redis_url)
    client.delete(coalesce.QUEUED, coalesce.RUNNING, coalesce.AGAIN, coalesce.DELAYED, "inbox")
    return client


def test_a_storm_of_scan_requests_queues_one_scan(settings, redis_url):
    """20 watcher events queued 20 scans (and each scan one more rescan): now one waits."""
    from worker.intake.watch import request_scan

    client = _clear_scan_keys(redis_url)
    for _ in range(20):
        assert request_scan()
    assert client.llen("inbox") == 1
    client.delete("inbox")


def test_a_scan_that_finds_one_running_leaves_a_note_and_none_is_lost(settings, redis_url):
    from tasks.inbox import scan_inbox
    from worker.intake import coalesce

    client = _clear_scan_keys(redis_url)
    running = coalesce.begin(settings)
    assert running is not None
    (settings.inbox_dir / "late.txt").write_bytes(_text(1))
    assert scan_inbox.run() == {"skipped": "another scan is running; it scans again when done"}
    assert _receipts() == []  # not taken by a second, concurrent scan
    assert running.finish() is True  # …but the running one is told to scan again
    again = coalesce.begin(settings)
    assert again is not None and again.finish() is False
    client.delete("inbox")


def test_file_written_in_20_appends_is_one_issue_and_the_queue_never_piles_up(celery_worker_thread, settings,
                                                                               redis_url):
    from conftest import wait_for

    from worker.intake.watch import request_scan

    client = _clear_scan_keys(redis_url)
    path = settings.inbox_dir / "2024-06-01.txt"
    parts = [_text(i) for i in range(20)]
    peak = 0
    for part in parts:
        with open(path, "ab") as fh:
            fh.write(part)
        request_scan()  # what the watcher does on each write
        peak = max(peak, client.llen("inbox"))
        time.sleep(0.05)
    assert peak <= 1
    [receipt] = wait_for(lambda: _receipts(), 30)
    with session_scope() as s:
        [issue] = s.exec(select(Issue)).all()
    assert receipt.outcome == "accepted" and issue.raw == b"".join(parts)

    def processed():
        with session_scope() as s:
            return s.get(Issue, issue.id).status == "processed"

    wait_for(processed, 30)


def test_a_writer_that_pauses_inside_a_character_and_appends_later_gives_one_issue(settings):
    """FTP/SMB resume: the writer closes the file after a cut inside a character, then reopens it
    to append. The pause used to be taken as the end: two issues, the first "file truncated"."""
    whole = _text(1) + _text(2)
    cut = len(_text(1)) + 11  # inside 第, the 3-byte UTF-8 character at offset 10
    path = settings.inbox_dir / "2024-06-02.txt"
    with open(path, "wb") as fh:
        fh.write(whole[:cut])
    # the pause: 5 s after the last write (by the file's own clock, so a slow machine cannot shift
    # it), well past the stability window, well within the truncated-file window
    result = inbox.scan(session_scope, settings, path.stat().st_mtime + 5)
    assert result.receipts == [] and result.waiting == ["2024-06-02.txt"]
    # it is looked at again when the truncated-file window has run out, not before
    assert result.rescan_in == pytest.approx(settings.truncated_wait_seconds - 5, abs=0.5)
    with open(path, "ab") as fh:  # resumed
        fh.write(whole[cut:])
    result = inbox.scan(session_scope, settings, time.time() + 5)
    [receipt] = _receipts()
    with session_scope() as s:
        assert receipt.outcome == "accepted" and s.get(Issue, receipt.issue_id).raw == whole


def test_a_file_cut_inside_a_character_is_taken_after_the_longer_wait_with_the_warning(settings):
    from worker.intake.reading import read_document

    data = _text(3)[:-2]
    (settings.inbox_dir / "2024-06-03.txt").write_bytes(data)
    assert inbox.scan(session_scope, settings, time.time() + 5).receipts == []
    inbox.scan(session_scope, settings, time.time() + settings.truncated_wait_seconds + 1)
    [receipt] = _receipts()
    assert receipt.outcome == "accepted"
    with session_scope() as s:
        raw = s.get(Issue, receipt.issue_id).raw
    assert raw == data and any(w.startswith("file truncated") for w in read_document(raw, "x.txt").warnings)
    # a complete file is not held back by the longer window
    (settings.inbox_dir / "2024-06-04.txt").write_bytes(_text(4))
    assert len(inbox.scan(session_scope, settings, time.time() + 5).receipts) == 1


def _first_scan_done() -> bool:
    from worker.core.models import TaskEvent

    with session_scope() as s:
        return bool(s.exec(select(TaskEvent).where(TaskEvent.name == "briefing.scan_inbox",
                                                   TaskEvent.state == "succeeded")).first())


def test_watcher_keeps_watching_past_a_name_that_is_not_utf8(var_dir, redis_url, tmp_path):
    """watchfiles died on ``Unable to decode path`` (even for an ignored .part name) and again
    after each restart. The watcher (a real process) must go on asking for scans, and the file is
    recorded under its name with the undecodable byte escaped."""
    from conftest import wait_for
    from procs import Proc, app_env, procs_cleanup, start_watcher, start_worker

    _clear_scan_keys(redis_url)
    env = app_env(var_dir, redis_url)
    started: list = []
    try:
        worker = start_worker(env, tmp_path / "w.log", "inbox", 1, "inbox")
        started.append(worker)
        watcher: Proc = start_watcher(env, tmp_path / "watch.log")
        started.append(watcher)
        watcher.wait_for_output("watching", 60)
        wait_for(_first_scan_done, 60)  # the watcher sends it just before it starts watching
        time.sleep(1)
        inbox_b = os.fsencode(var_dir / "inbox")
        with open(inbox_b + b"/caf\xe9-2024-06-05.txt.part", "wb") as fh:  # ignored, and not UTF-8
            fh.write(_text(5))
        time.sleep(1)
        os.rename(inbox_b + b"/caf\xe9-2024-06-05.txt.part", inbox_b + b"/caf\xe9-2024-06-05.txt")
        (var_dir / "inbox" / "2024-06-06.txt").write_bytes(_text(6))
        receipts = wait_for(lambda: len(r := _receipts()) == 2 and r, 60)
        assert sorted(r.file_name for r in receipts) == ["2024-06-06.txt", "caf\\xe9-2024-06-05.txt"]
        assert all(r.outcome == "accepted" for r in receipts)
        assert watcher.alive() and "listing the inbox" in watcher.output()
    finally:
        procs_cleanup(started)
