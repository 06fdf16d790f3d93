# ruff: noqa: F811  (pytest fixtures imported from procs.py, then requested by name)
"""Recovery within seconds after a worker dies (issue 11 item 3), with real worker processes and
the production time limits (an attempt is stale only after 390 s, reconcile runs every 5 min, Redis
redelivers after an hour): a worker that starts reclaims what a gone worker held, through the
compare-and-set, so a worker that was only stopped (``kill -STOP``) never stores a second result.

The kill lands mid-processing through the test-only fault hooks (``procs.fault_env``, see
test_reliability_crash.py).
"""

from __future__ import annotations

import os
import signal

import pytest
from conftest import SAMPLES, wait_for
from procs import (  # noqa: F401  (fixtures)
    app_env,
    database,
    fault_env,
    own_redis,
    procs,
    send,
    start_worker,
)
from sqlmodel import func, select

from worker.core.models import Article, Issue

pytestmark = pytest.mark.slow
SAMPLE = SAMPLES / "000_251c0b359e5127ab.txt"
#: Recovery target: an interrupted issue is processed again this soon after a worker comes back.
RECOVERY_S = 60


def _issue(db):
    rows = db.all(select(Issue))
    return rows[0] if rows else None


def _articles(db, issue_id) -> int:
    return db.one(select(func.count()).select_from(Article).where(Article.issue_id == issue_id))


def _drop(var_dir, name, data):
    tmp = var_dir / "inbox" / f".{name}.part"
    tmp.write_bytes(data)
    tmp.rename(var_dir / "inbox" / name)


def _start_paused_first(var_dir, database, own_redis, procs, tmp_path):
    env = app_env(var_dir, own_redis.url, database.url)
    first = start_worker(fault_env(env, pause_at={"processing": 30}), tmp_path / "w1.log",
                         "inbox,ingest", 1, "first")
    procs.append(first)
    _drop(var_dir, "issue.txt", SAMPLE.read_bytes())
    send(own_redis.url, "briefing.scan_inbox")
    first.wait_for_output("TEST HOOK: pausing", 60)
    assert _issue(database).status == "processing"
    return env, first


def test_issue_of_a_killed_worker_is_processed_soon_after_a_worker_starts(var_dir, database, own_redis, procs,
                                                                          tmp_path):
    env, first = _start_paused_first(var_dir, database, own_redis, procs, tmp_path)
    first.kill()  # SIGKILL: its attempt stays "processing", its message unacknowledged
    second = start_worker(env, tmp_path / "w2.log", "inbox,ingest", 1, "second")
    procs.append(second)
    # no reconcile sent, no stale time waited: the starting worker reclaims it
    issue = wait_for(lambda: (i := _issue(database)).status == "processed" and i, RECOVERY_S)
    assert issue.attempts == 2 and _articles(database, issue.id) == issue.article_count == 8
    assert "sending it again" in second.output()


def test_a_stopped_worker_that_continues_never_stores_a_second_result(var_dir, database, own_redis, procs,
                                                                     tmp_path):
    env, first = _start_paused_first(var_dir, database, own_redis, procs, tmp_path)
    os.killpg(first.proc.pid, signal.SIGSTOP)  # alive but silent: it answers no ping
    second = start_worker(env, tmp_path / "w2.log", "inbox,ingest", 1, "second")
    procs.append(second)
    issue = wait_for(lambda: (i := _issue(database)).status == "processed" and i, RECOVERY_S)
    os.killpg(first.proc.pid, signal.SIGCONT)  # the slow attempt wakes up and tries to store its result
    first.wait_for_output("taken over by another attempt", 60)
    after = _issue(database)
    assert after.task_id == issue.task_id and after.processed_at == issue.processed_at
    assert after.status == "processed" and _articles(database, after.id) == after.article_count == 8
    assert first.alive() and second.alive()


def test_reclaim_rules_on_the_database(settings):
    """Which Issues ``reclaim_interrupted`` sends again, decided on a real SQLite database."""
    from datetime import timedelta

    from worker.core.db import session_scope
    from worker.core.models import utcnow
    from worker.pipeline import reclaim_interrupted

    now = utcnow()
    old, young = now - timedelta(minutes=5), now - timedelta(seconds=1)
    rows = {  # name: (status, task_id, received_at, started_at)
        "dead": ("processing", "t-dead", old, old), "live": ("processing", "t-live", old, old),
        "local": ("processing", "local-1", old, old), "after": ("processing", "t-new", old, now + timedelta(1)),
        "lost": ("pending", None, old, None), "queued": ("pending", None, old, None),
        "fresh": ("pending", None, young, None), "done": ("processed", "t-x", old, old)}
    ids = {}
    with session_scope() as s:
        for i, (name, (status, task_id, received, started)) in enumerate(rows.items()):
            issue = Issue(file_name=name, sha256=f"{i:064d}", raw=b"x", status=status, task_id=task_id,
                          received_at=received, started_at=started)
            s.add(issue)
            s.flush()
            ids[name] = issue.id
    with session_scope() as s:  # reconcile's periodic pass: attempts younger than a minute are left alone
        assert reclaim_interrupted(s, set(), {ids["queued"]}, as_of=old + timedelta(seconds=30),
                                   min_age_s=60) == [ids["lost"]]
    with session_scope() as s:
        again = reclaim_interrupted(s, {"t-live"}, {ids["queued"]}, as_of=now)
    assert sorted(again) == sorted([ids["dead"], ids["lost"]])
    with session_scope() as s:
        dead = s.get(Issue, ids["dead"])
        assert (dead.status, dead.task_id) == ("pending", None)  # its late result can no longer land
        assert s.get(Issue, ids["live"]).status == s.get(Issue, ids["after"]).status == "processing"
