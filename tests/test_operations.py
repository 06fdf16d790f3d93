# ruff: noqa: F811  (pytest fixtures imported from procs.py, then requested by name)
"""What operations see, with a real worker process: task history from Celery signals (including a
failure and a retry), ``briefing status``, ``briefing health`` exit codes, one-line and JSON logs,
and no secret in any of it."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from datetime import date, timedelta

import pytest
from conftest import ROOT, wait_for
from procs import CLI, Db, RedisServer, app_env, free_port, procs, send, start_worker  # noqa: F401
from sqlmodel import select

from worker.core.models import Issue, TaskEvent

REDIS_PW = "redis-pw-Zq81x"
SMTP_PW = "smtp-pw-Kk27y"
DB_PW = "db-pw-Mm55w"


def _cli(env, *args, timeout=60):
    return subprocess.run([*CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_task_history_status_health_and_no_secrets(var_dir, procs, tmp_path):
    redis = RedisServer(tmp_path / "redis", password=REDIS_PW).start()
    procs.append(redis)
    cfg = tmp_path / "config"
    shutil.copytree(ROOT / "config", cfg)
    text = (cfg / "briefing.yaml").read_text(encoding="utf-8")
    # an empty day makes a short briefing here (the default skips it): something to deliver
    (cfg / "briefing.yaml").write_text(text.replace("daily: []", "daily: [leader@example.org]")
                                       .replace("pdf: true", "pdf: false")
                                       # made and sent at once: the delivery's retry is what is watched
                                       .replace("approval: required", "approval: auto")
                                       .replace("empty_period: skip", "empty_period: short"), encoding="utf-8")
    env = app_env(var_dir, redis.url, config_dir=cfg, log_format="json", smtp_host="127.0.0.1",
                  smtp_port=free_port(), smtp_security="none", smtp_allow_plaintext_login="true",
                  smtp_user="briefing", smtp_password=SMTP_PW)
    worker = start_worker(env, tmp_path / "w.log", "inbox,ingest,reports", 2, "ops")
    procs.append(worker)
    db = Db(None, var_dir)

    (var_dir / "inbox" / "english.txt").write_bytes(b"No Chinese here at all, only English. " * 10)
    send(redis.url, "briefing.scan_inbox")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    send(redis.url, "briefing.make_briefing", "daily", yesterday)  # → deliver_briefing: SMTP refuses → retry
    send(redis.url, "briefing.make_briefing", "hourly", yesterday)  # not a kind → the task fails

    def states():
        return {(e.name, e.state) for e in db.all(select(TaskEvent))}

    wait_for(lambda: {("briefing.deliver_briefing", "retried"), ("briefing.make_briefing", "failed"),
                      ("briefing.process_issue", "succeeded")} <= states(), 60)
    events = db.all(select(TaskEvent))
    assert {"received", "started", "succeeded", "failed", "retried"} <= {e.state for e in events}
    done = [e for e in events if e.state in ("succeeded", "failed")]
    assert all(e.duration is not None and e.duration >= 0 for e in done)
    [failed] = [e for e in events if e.state == "failed"]
    assert "hourly" in failed.detail and "Error" in failed.detail
    [retried] = [e for e in events if e.state == "retried"]
    assert retried.detail.startswith("Retry in 30s: "), retried.detail  # backoff, with the error
    wait_for(lambda: db.all(select(Issue)) and db.all(select(Issue))[0].status == "failed", 30)

    from worker.intake.watch import HEARTBEAT_KEY, heartbeat

    heartbeat(HEARTBEAT_KEY)
    out = _cli(env, "status")
    assert out.returncode == 0, out.stderr
    status = out.stdout
    for expected in ("english.txt", "accepted", "Issues not processed", "not Chinese", "daily", "retried",
                     "failed", "Queues: inbox 0", "Workers: ops@", "Beat: not running", "Watcher: last heartbeat"):
        assert expected in status, (expected, status)

    healthy = _cli(env, "health")
    assert healthy.returncode == 0 and "healthy" in healthy.stdout, healthy.stdout + healthy.stderr
    bad_db = _cli({**env, "BRIEFING_DATABASE_URL": f"postgresql://briefing:{DB_PW}@127.0.0.1:1/briefing"}, "health")
    assert bad_db.returncode == 1 and "database unreachable" in bad_db.stderr

    for text_ in (status, healthy.stdout + healthy.stderr, bad_db.stdout + bad_db.stderr, worker.output()):
        for secret in (REDIS_PW, SMTP_PW, DB_PW):
            assert secret not in text_

    # JSON logs: every line the worker logged is one JSON object
    log_lines = [line for line in worker.output().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in log_lines]
    assert any("succeeded" in r["message"] for r in records)
    assert {"asctime", "levelname", "name", "message"} <= set(records[0])

    worker.kill()
    no_worker = _cli(env, "health")
    assert no_worker.returncode == 1 and "no worker answers" in no_worker.stderr
    redis.kill()
    no_redis = _cli(env, "health")
    assert no_redis.returncode == 1 and "broker unreachable" in no_redis.stderr
    down = _cli(env, "status")
    assert down.returncode == 0 and "Queues: not available" in down.stdout and "none answering" in down.stdout
    assert REDIS_PW not in down.stdout + down.stderr
    db.engine.dispose()


def test_text_logs_are_one_line_per_event_even_with_a_traceback(tmp_path):
    code = ("import logging\nfrom worker.core.logs import configure_logging\nconfigure_logging()\n"
            "log = logging.getLogger('t')\n"
            "try:\n    raise ValueError('boom\\nsecond line')\nexcept ValueError:\n    log.exception('failed')\n"
            "log.info('url redis://:%s@host/0', 'pw-in-url-77')\n")
    for fmt in ("text", "json"):
        env = {"BRIEFING_LOG_FORMAT": fmt, "BRIEFING_BROKER_URL": "redis://:pw-in-url-77@host:6379/0",
               "BRIEFING_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 2, out.stderr
        assert "Traceback" in lines[0] and "boom" in lines[0] and "pw-in-url-77" not in out.stderr
        if fmt == "json":
            rec = json.loads(lines[0])
            assert rec["levelname"] == "ERROR" and "ValueError" in rec["exc_info"]
            assert json.loads(lines[1])["message"] == "url redis://:***@host/0"


def test_redaction_helpers():
    from worker.core.logs import redact, secrets_of
    from worker.core.settings import Settings

    s = Settings(broker_url="rediss://:p%40ss%3Aword@redis:6380/0", smtp_password="smtp-secret",
                 database_url="postgresql://u:dbsecret@db/x")
    found = secrets_of(s)
    assert {"p@ss:word", "p%40ss%3Aword", "smtp-secret", "dbsecret"} <= set(found)
    assert redact("login smtp-secret to rediss://:p%40ss%3Aword@redis", found) == "login *** to rediss://:***@redis"
    logging.getLogger(__name__).debug("ok")
