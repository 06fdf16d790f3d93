# ruff: noqa: F811  (pytest fixtures imported from procs.py, then requested by name)
"""Redis restarted (empty: no AOF) in the middle of a backlog of 200 files, under ``briefing run``
(inbox worker, processing worker, beat and watcher, supervised). Whatever Redis lost — queued
scans, queued and unacknowledged process_issue messages, a scan cut off by the connection loss —
is recovered from the database and the folders by reconcile: the database is the truth, the broker
is a hint. Workers shut down on a lost broker connection and are started again by the supervisor
(in-place reconnection sometimes stops consuming: celery/celery#8030; see worker/core/app.py), beat
exits when its Redis lock vanishes and is started again too.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from conftest import wait_for
from procs import CLI, Db, Proc, app_env, chinese_text, own_redis, procs  # noqa: F401
from sqlmodel import func, select

from worker.core.models import Article, Issue, Receipt

pytestmark = pytest.mark.slow
N = 200


def test_redis_restart_during_a_backlog_loses_nothing(var_dir, own_redis, procs, tmp_path):
    env = app_env(var_dir, own_redis.url, task_soft_time_limit=6, task_time_limit=8, attempt_grace_seconds=1,
                  broker_visibility_timeout=10, processing_stale_seconds=2, reconcile_requeue_after_seconds=3,
                  schedule_every={"scan_inbox": 1, "reconcile": 2}, beat_max_interval=1, beat_lock_timeout=5)
    run = Proc([*CLI, "run", "--concurrency", "2"], env, tmp_path / "run.log")
    procs.append(run)
    run.wait_for_output("ingest@", 90)
    run.wait_for_output("watching", 90)
    db = Db(None, var_dir)
    texts = {f"file {i:03d}.txt": chinese_text(i) for i in range(N)}
    for name, data in texts.items():
        (var_dir / "inbox" / name).write_bytes(data)

    def receipts() -> int:
        return db.one(select(func.count()).select_from(Receipt))

    wait_for(lambda: receipts() >= 40, 60, 0.02)
    own_redis.kill()  # everything in Redis is gone: queued messages, unacked ones, the beat lock
    time.sleep(1.5)
    own_redis.start()

    def all_done():
        done = db.one(select(func.count()).select_from(Issue).where(Issue.status == "processed"))
        return done == N and receipts() == N

    try:
        wait_for(all_done, 150, 0.5)
    except BaseException:
        statuses = Counter(i.status for i in db.all(select(Issue)))
        print("receipts", receipts(), "issues", statuses, "inbox", list((var_dir / "inbox").iterdir())[:5],
              "processing", list((var_dir / "processing").rglob("*"))[:5])
        print(run.output()[-8000:])
        raise
    rows = db.all(select(Receipt))
    assert Counter(r.file_name for r in rows) == Counter(list(texts))  # exactly one receipt per file
    assert {r.outcome for r in rows} == {"accepted"}
    issues = db.all(select(Issue))
    assert sorted(i.raw for i in issues) == sorted(texts.values())
    per_issue = dict(db.all(select(Article.issue_id, func.count()).group_by(Article.issue_id)))
    assert all(per_issue[i.id] == i.article_count == 1 for i in issues)  # stored once each
    assert not any((var_dir / "inbox").iterdir()) and not any((var_dir / "processing").iterdir())
    out = run.output()
    assert "broker_connection_retry=False). Shutting down" in out  # the workers noticed Redis going away
    assert "worker exited with" in out and "starting it again" in out  # … and were started again
    assert "database is locked" not in out
    assert run.alive()
    db.engine.dispose()
