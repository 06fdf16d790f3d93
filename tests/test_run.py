"""`briefing run` as operations start it: real worker processes, beat, and the watcher on the real
Redis. A dropped file is taken within seconds; duplicates and binaries end where they should."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest
import redis
from conftest import ROOT, SAMPLES, TEST_REDIS_URL, wait_for
from sqlmodel import Session, create_engine, select

from worker.core.models import Issue, Receipt, TaskEvent

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(tmp_path, redis_url):
    url = TEST_REDIS_URL.rsplit("/", 1)[0] + "/11"
    redis.Redis.from_url(url).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update(BRIEFING_VAR_DIR=str(tmp_path / "var"), BRIEFING_BROKER_URL=url,
               BRIEFING_STABLE_SECONDS="0.5", BRIEFING_SCHEDULE_START="2024-01-01")
    proc = subprocess.Popen([sys.executable, "-m", "worker.ops.cli", "run", "-c", "1"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'briefing.db'}")
    inbox = tmp_path / "var" / "inbox"
    wait_for(lambda: inbox.exists() and (tmp_path / "var" / "briefing.db").exists(), 30)
    yield proc, env, engine, tmp_path / "var"
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("briefing run did not stop on SIGTERM")
    engine.dispose()
    redis.Redis.from_url(url).flushdb()


def _events(engine, name, state):
    with Session(engine) as s:
        return s.exec(select(TaskEvent).where(TaskEvent.name == name, TaskEvent.state == state)).first()


def _receipt(engine, name):
    with Session(engine) as s:
        return s.exec(select(Receipt).where(Receipt.file_name == name)).first()


def test_briefing_run_takes_files_within_seconds(stack):
    proc, env, engine, var = stack
    name = "2024-12-24_zjgrrb.txt"
    # the watcher's first scan request has been served: the inbox worker is up
    wait_for(lambda: _events(engine, "briefing.scan_inbox", "succeeded"), 60, interval=0.2)
    tmp = var / "inbox" / f".{name}.part"
    shutil.copyfile(SAMPLES / name, tmp)
    os.replace(tmp, var / "inbox" / name)

    def processed():
        r = _receipt(engine, name)
        if r is None or r.issue_id is None:
            return None
        with Session(engine) as s:
            issue = s.get(Issue, r.issue_id)
            return issue if issue.status == "processed" else None

    # "within seconds" is measured by the latency benchmark (bench/), not asserted here
    issue = wait_for(processed, 60, interval=0.1)
    # the receipt commits before the file moves to the place it names
    assert wait_for(lambda: (var / _receipt(engine, name).stored_path).exists(), 30)
    assert not (var / "inbox" / name).exists()

    shutil.copyfile(SAMPLES / name, var / "inbox" / "copy.txt")
    (var / "inbox" / "binary.txt").write_bytes(bytes(range(256)) * 10)
    assert wait_for(lambda: _receipt(engine, "copy.txt"), 30).outcome == "duplicate"
    bad = wait_for(lambda: _receipt(engine, "binary.txt"), 30)
    assert bad.outcome == "refused" and bad.reason
    assert wait_for(lambda: (var / "failed" / "binary.txt").exists(), 30)
    assert (var / "failed" / "binary.txt.error.json").exists()  # written before the move

    out = subprocess.run([sys.executable, "-m", "worker.ops.cli", "report", "daily", "--date", str(issue.issue_date)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    # the shipped config has approval: required (issue 19): a draft waits for 签发, no file yet
    assert out.stdout.startswith("draft: ") and ".docx" not in out.stdout
    assert proc.poll() is None  # still running
