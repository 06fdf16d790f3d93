# ruff: noqa: F811  (pytest fixtures imported from procs.py, then requested by name)
"""Two worker processes (two pool processes each) writing at once — receipts, issues, articles and
task events — on SQLite (WAL, busy timeout) and on PostgreSQL: no "database is locked", every file
one receipt, every issue processed once."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import SAMPLES, wait_for
from procs import app_env, chinese_text, database, own_redis, procs, send, start_worker  # noqa: F401
from sqlmodel import func, select

from worker.core.models import Article, Issue, Receipt, TaskEvent

pytestmark = pytest.mark.slow
N = 60


def test_two_workers_write_at_once_without_lock_errors(var_dir, database, own_redis, procs, tmp_path):
    env = app_env(var_dir, own_redis.url, database.url)
    workers = [start_worker(env, tmp_path / f"w{i}.log", "inbox,ingest", 2, f"w{i}") for i in range(2)]
    procs += workers
    files = {f"n{i:02d}.txt": chinese_text(i) for i in range(N)}
    files["sample.txt"] = (SAMPLES / "000_251c0b359e5127ab.txt").read_bytes()
    for name, data in files.items():
        (var_dir / "inbox" / name).write_bytes(data)
    for _ in range(4):  # several scans at once, on both workers: they race for the same files
        send(own_redis.url, "briefing.scan_inbox")

    def processed():
        return database.one(select(func.count()).select_from(Issue).where(Issue.status == "processed"))

    wait_for(lambda: processed() == len(files), 120)
    receipts = Counter(r.file_name for r in database.all(select(Receipt)))
    assert receipts == Counter(list(files))
    counts = dict(database.all(select(Article.issue_id, func.count()).group_by(Article.issue_id)))
    issues = database.all(select(Issue))
    assert all(counts[i.id] == i.article_count for i in issues) and sum(counts.values()) == N + 8
    assert all(i.attempts == 1 for i in issues)
    assert database.one(select(func.count()).select_from(TaskEvent).where(TaskEvent.state == "failed")) == 0
    for w in workers:
        assert "database is locked" not in w.output() and "Traceback" not in w.output(), w.output()[-3000:]
