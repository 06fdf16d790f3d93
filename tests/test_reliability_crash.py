# ruff: noqa: F811  (pytest fixtures imported from procs.py, then requested by name)
"""Crash safety with real worker processes that the tests SIGKILL (the whole process group, as an
OOM kill or a power cut would): mid-processing, mid-claim (before and after the commit), and a
poison file that kills its worker process every time.

How the kills land: the first worker starts with tests/faults/sitecustomize.py on its PYTHONPATH
(``procs.fault_env``), which wraps product functions from outside: it sleeps at a named point so the
SIGKILL hits exactly between two steps (the restarted worker runs without it), or makes the process
that analyses the poison file's content SIGKILL itself. The product has no test hooks.
"""

from __future__ import annotations

import hashlib
import time

import pytest
from conftest import SAMPLES, wait_for
from procs import (  # noqa: F401  (fixtures)
    app_env,
    chinese_text,
    database,
    fault_env,
    own_redis,
    procs,
    send,
    start_worker,
)
from sqlmodel import func, select

from worker.core.models import Article, Issue, Receipt

pytestmark = pytest.mark.slow
SAMPLE = SAMPLES / "000_251c0b359e5127ab.txt"
FAST = {"task_soft_time_limit": 6, "task_time_limit": 8, "attempt_grace_seconds": 1,
        "broker_visibility_timeout": 10, "processing_stale_seconds": 1,
        "reconcile_requeue_after_seconds": 1}


def _issue(db, name):
    rows = db.all(select(Issue).where(Issue.file_name == name))
    return rows[0] if rows else None


def _articles(db, issue_id) -> int:
    return db.one(select(func.count()).select_from(Article).where(Article.issue_id == issue_id))


def _drop(var_dir, name, data):
    tmp = var_dir / "inbox" / f".{name}.part"
    tmp.write_bytes(data)
    tmp.rename(var_dir / "inbox" / name)


def test_worker_killed_mid_processing_processes_the_issue_exactly_once(var_dir, database, own_redis, procs,
                                                                      tmp_path):
    env = app_env(var_dir, own_redis.url, database.url, **FAST)
    first = start_worker(fault_env(env, pause_at={"processing": 120}), tmp_path / "w1.log",
                         "inbox,ingest", 2, "first")
    procs.append(first)
    _drop(var_dir, "issue.txt", SAMPLE.read_bytes())
    send(own_redis.url, "briefing.scan_inbox")
    first.wait_for_output("TEST HOOK: pausing", 60)
    issue = _issue(database, "issue.txt")
    assert issue.status == "processing" and issue.attempts == 1
    first.kill()  # SIGKILL, main process and pool children, in the middle of process_issue
    assert not first.alive()
    issue = _issue(database, "issue.txt")
    assert issue.status == "processing" and _articles(database, issue.id) == 0

    second = start_worker(env, tmp_path / "w2.log", "inbox,ingest", 2, "second")
    procs.append(second)
    # Two ways back, both exercised: Redis redelivers the unacknowledged message after the
    # visibility timeout (same task id: start_attempt resumes it), and reconcile re-queues the
    # Issue from the database once its attempt is stale. Whichever comes second finds it done.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _issue(database, "issue.txt").status != "processed":
        send(own_redis.url, "briefing.reconcile")
        time.sleep(1)
    issue = _issue(database, "issue.txt")
    assert issue.status == "processed", issue.error
    time.sleep(FAST["broker_visibility_timeout"] + 3)  # let the other path deliver its copy too
    wait_for(lambda: own_redis.client().hlen("unacked") == 0 and own_redis.client().llen("ingest") == 0, 30)
    issue = _issue(database, "issue.txt")
    assert issue.status == "processed" and issue.article_count == 8
    assert _articles(database, issue.id) == 8
    assert issue.attempts == 2
    assert len(database.all(select(Receipt))) == 1
    assert not second.alive() or "database is locked" not in second.output()


@pytest.mark.parametrize("point, receipt_before_restart", [("after_claim", False), ("after_commit", True)])
def test_worker_killed_mid_claim_file_is_reclaimed_never_lost_never_twice(var_dir, own_redis, procs, tmp_path,
                                                                         point, receipt_before_restart):
    env = app_env(var_dir, own_redis.url, **FAST)
    first = start_worker(fault_env(env, pause_at={point: 120}), tmp_path / "w1.log", "inbox", 1, "first")
    procs.append(first)
    data = chinese_text(1)
    _drop(var_dir, "claimed.txt", data)
    send(own_redis.url, "briefing.scan_inbox")
    first.wait_for_output("TEST HOOK: pausing", 60)
    first.kill()
    [claim] = list((var_dir / "processing").iterdir())
    assert (claim / "claimed.txt").read_bytes() == data  # left in processing/, not lost
    db = __import__("procs").Db(None, var_dir)
    assert len(db.all(select(Receipt))) == int(receipt_before_restart)

    second = start_worker(env, tmp_path / "w2.log", "inbox,ingest", 2, "second")
    procs.append(second)
    send(own_redis.url, "briefing.reconcile")

    def done():
        issues = db.all(select(Issue))
        return issues and all(i.status == "processed" for i in issues) and issues

    wait_for(lambda: done() or send(own_redis.url, "briefing.reconcile") or time.sleep(1), 60)
    [receipt] = db.all(select(Receipt))
    assert receipt.outcome == "accepted" and receipt.file_name == "claimed.txt"
    assert (var_dir / receipt.stored_path).read_bytes() == data
    [issue] = db.all(select(Issue))
    assert issue.raw == data and _articles(db, issue.id) == issue.article_count >= 1
    assert not any((var_dir / "processing").iterdir()) and not any((var_dir / "inbox").iterdir())
    db.engine.dispose()


def test_poison_file_that_kills_its_worker_ends_failed_after_max_attempts(var_dir, database, own_redis, procs,
                                                                          tmp_path):
    poison = chinese_text(666)
    env = fault_env(app_env(var_dir, own_redis.url, database.url, **FAST, max_attempts=3),
                    crash_sha256=hashlib.sha256(poison).hexdigest())
    worker = start_worker(env, tmp_path / "w.log", "inbox,ingest", 1, "poisoned")
    procs.append(worker)
    _drop(var_dir, "poison.txt", poison)
    _drop(var_dir, "good.txt", chinese_text(1))
    send(own_redis.url, "briefing.scan_inbox")

    def settled():
        issues = database.all(select(Issue))
        return len(issues) == 2 and all(i.status in ("processed", "failed") for i in issues) and issues

    wait_for(settled, 90)
    bad = _issue(database, "poison.txt")
    good = _issue(database, "good.txt")
    assert good.status == "processed"
    assert bad.status == "failed" and bad.attempts == 4  # 3 attempts died, the 4th gave up
    assert "gave up after 3 attempts" in bad.error
    assert worker.output().count("TEST HOOK: issue") == 3
    assert "WorkerLostError" in worker.output()
    assert worker.alive()  # the pool replaced its dead child; the worker itself never stopped
    # visible to operations: a copy with the reason in failed/
    error_json = wait_for(lambda: list((var_dir / "failed").glob("issue*_poison.txt.error.json")), 30)
    assert "gave up" in error_json[0].read_text(encoding="utf-8")
