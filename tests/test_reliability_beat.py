# ruff: noqa: F811  (pytest fixtures imported from procs.py, then requested by name)
"""Beat and the watcher as real processes: two beats started by mistake make each briefing once
(RedBeat's lock; the unique key on Briefing(kind, period_start, version) behind it), the second
beat takes over when the first dies; the watcher takes a burst of 100 files; with the watcher
stopped, beat's periodic scan takes what arrives."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date, timedelta

import pytest
from conftest import ROOT, wait_for
from procs import (  # noqa: F401  (fixtures)
    Db,
    app_env,
    chinese_text,
    own_redis,
    procs,
    send,
    start_beat,
    start_watcher,
    start_worker,
)
from sqlmodel import func, select

from worker.core.models import Briefing, Issue, Receipt

pytestmark = pytest.mark.slow


def _config_without_pdf(tmp_path):
    """A copy of config/ whose briefings skip the (slow) LibreOffice PDF: the test is about counts."""
    cfg = tmp_path / "config"
    shutil.copytree(ROOT / "config", cfg)
    text = (cfg / "briefing.yaml").read_text(encoding="utf-8")
    (cfg / "briefing.yaml").write_text(text.replace("pdf: true", "pdf: false"), encoding="utf-8")
    return cfg


def test_two_beats_make_each_briefing_once_and_the_second_takes_over(var_dir, own_redis, procs, tmp_path):
    env = app_env(var_dir, own_redis.url, config_dir=_config_without_pdf(tmp_path),
                  schedule_start=(date.today() - timedelta(days=2)).isoformat(),
                  schedule_every={"briefing_daily": 0.5}, beat_lock_timeout=4, beat_max_interval=1)
    worker = start_worker(env, tmp_path / "w.log", "reports", 2, "reports")
    procs.append(worker)
    beats = [start_beat(env, tmp_path / "beat1.log"), start_beat(env, tmp_path / "beat2.log")]
    procs += beats
    db = Db(None, var_dir)

    def holder():
        owners = [b for b in beats if "Acquired lock" in b.output()]
        return owners[0] if len(owners) == 1 else None

    first = wait_for(holder, 60)
    assert own_redis.client().exists("redbeat::lock")  # the key `briefing status` looks at
    wait_for(lambda: db.one(select(func.count()).select_from(Briefing)) >= 2, 90)
    for _ in range(4):  # and concurrent runs on the two worker processes, beside beat's own
        send(own_redis.url, "briefing.make_due_briefings", "daily")
    wait_for(lambda: "make_due_briefings" in worker.output(), 30)
    other = next(b for b in beats if b is not first)
    assert "Acquired lock" not in other.output()  # the second beat waits

    first.kill()  # SIGKILL: the lock is not released, it expires
    other.wait_for_output("Acquired lock", 30)
    sent_before = other.output().count("Sending due task")
    wait_for(lambda: other.output().count("Sending due task") >= sent_before + 3, 30)
    rows = db.all(select(Briefing))
    periods = Counter((b.kind, b.period_start, b.version) for b in rows)
    assert periods and set(periods.values()) == {1}, periods
    assert {b.kind for b in rows} == {"daily"}
    assert "Traceback" not in worker.output(), worker.output()[-3000:]
    db.engine.dispose()


def test_watcher_takes_a_burst_and_beat_takes_over_when_it_is_stopped(var_dir, own_redis, procs, tmp_path):
    env = app_env(var_dir, own_redis.url, schedule_every={"scan_inbox": 1})
    worker = start_worker(env, tmp_path / "w.log", "inbox,ingest", 2, "all")
    watcher = start_watcher(env, tmp_path / "watch.log")
    procs += [worker, watcher]
    watcher.wait_for_output("watching", 60)
    db = Db(None, var_dir)

    def receipts() -> int:
        return db.one(select(func.count()).select_from(Receipt))

    for i in range(100):  # a burst: 100 files at once
        (var_dir / "inbox" / f"burst-{i:03d}.txt").write_bytes(chinese_text(i))
    wait_for(lambda: receipts() == 100, 60)

    watcher.kill()  # watcher gone; beat's periodic scan is the safety net
    beat = start_beat(env, tmp_path / "beat.log")
    procs.append(beat)
    for i in range(100, 120):
        (var_dir / "inbox" / f"late-{i:03d}.txt").write_bytes(chinese_text(i))
    wait_for(lambda: receipts() == 120, 60)
    wait_for(lambda: db.one(select(func.count()).select_from(Issue).where(Issue.status == "processed")) == 120, 60)
    names = Counter(r.file_name for r in db.all(select(Receipt)))
    assert len(names) == 120 and set(names.values()) == {1}
    assert not any((var_dir / "inbox").iterdir())
    db.engine.dispose()
