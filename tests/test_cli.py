"""The `briefing` command line, run in-process with typer's CliRunner on real files and a real
SQLite database."""

from __future__ import annotations

import json
import shutil

from conftest import SAMPLES
from sqlmodel import select
from typer.testing import CliRunner

from worker.ops.cli import app

runner = CliRunner()
SAMPLE = SAMPLES / "2024-12-24_zjgrrb.txt"


def test_parse_json_follows_the_contract():
    out = runner.invoke(app, ["parse", str(SAMPLE), "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["issue"]["issue_date"] == "2024-12-24" and doc["issue"]["encoding"].startswith("gb")
    first = doc["articles"][0]
    assert first["title"] == "全省工会经费审查工作会议在杭州召开"
    assert first["authors"] == [{"name": "周晓岚", "role": "记者"}]
    assert "推动建章立制228项" in "".join(first["paragraphs"])
    assert first["category"] == "union_building" and first["category_label"] == "工会建设"
    assert {"text": "41.6亿元"}.items() <= next(f for f in first["figures"] if f["text"] == "41.6亿元").items()
    for key in ("seq", "page", "kicker", "subtitle", "byline", "source", "dateline", "captions",
                "category_scores", "places", "people", "organizations", "keywords", "summary"):
        assert key in first, key


def test_parse_explain_shows_rules():
    out = runner.invoke(app, ["parse", str(SAMPLE), "--explain"])
    assert out.exit_code == 0
    assert "page_marker" in out.stdout and "title" in out.stdout


def test_parse_refused_file_exits_2_with_reason(tmp_path):
    bad = tmp_path / "photo.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    out = runner.invoke(app, ["parse", str(bad)])
    assert out.exit_code == 2 and "refused" in out.output


def test_report_twice_makes_nothing_new_unless_forced(settings):
    from sqlmodel import select

    from worker import pipeline
    from worker.core.db import session_scope
    from worker.core.models import Briefing
    from worker.intake import inbox

    shutil.copyfile(SAMPLE, settings.inbox_dir / SAMPLE.name)
    [issue_id] = inbox.scan(session_scope, settings, now=2e10).new_issue_ids
    pipeline.process_issue(issue_id)
    first = runner.invoke(app, ["report", "daily", "--date", "2024-12-24"])
    assert first.exit_code == 0 and "made:" in first.stdout
    again = runner.invoke(app, ["report", "daily", "--date", "2024-12-24"])
    assert "exists already" in again.stdout
    forced = runner.invoke(app, ["report", "daily", "--date", "2024-12-24", "--force",
                                 "--editor-note", "请各地关注职工欠薪问题。"])
    assert forced.exit_code == 0
    from docx import Document

    v1, v2 = (Document(line.split(": ", 1)[1].strip()) for line in (first.stdout, forced.stdout))
    assert "编者按：请各地关注职工欠薪问题。" in [p.text for p in v2.paragraphs]  # this briefing only
    assert not any(p.text.startswith("编者按") for p in v1.paragraphs)
    with session_scope() as s:
        rows = s.exec(select(Briefing).order_by(Briefing.version)).all()
    assert [(b.version, b.number) for b in rows] == [(1, 1), (2, 1)]


def test_relabel_errors_are_clear(settings):
    out = runner.invoke(app, ["relabel", "999", "culture"])
    assert out.exit_code == 2 and "no article 999" in out.output
    out = runner.invoke(app, ["report", "yearly"])
    assert out.exit_code == 2


def _processed_sample(settings) -> int:
    from worker import pipeline
    from worker.core.db import session_scope
    from worker.intake import inbox

    shutil.copyfile(SAMPLE, settings.inbox_dir / SAMPLE.name)
    [issue_id] = inbox.scan(session_scope, settings, now=2e10).new_issue_ids
    pipeline.process_issue(issue_id)
    return issue_id


def test_retry_refuses_unknown_and_processed_issues(settings):
    issue_id = _processed_sample(settings)
    out = runner.invoke(app, ["retry", "999"])
    assert out.exit_code == 2 and "no issue 999" in out.output
    out = runner.invoke(app, ["retry", str(issue_id)])
    assert out.exit_code == 2 and "briefing reprocess" in out.output


def test_reprocess_with_the_broker_down_keeps_issues_pending_and_says_so(settings):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    from worker.core.db import session_scope
    from worker.core.models import Issue

    issue_id = _processed_sample(settings)
    env = {**os.environ, "BRIEFING_VAR_DIR": str(settings.var_dir), "BRIEFING_BROKER_URL": "redis://127.0.0.1:1/0"}
    out = subprocess.run([sys.executable, "-m", "worker.ops.cli", "reprocess", "--since", "2024-12-01"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "pending in the database" in out.stderr, out.stderr
    with session_scope() as s:
        assert s.get(Issue, issue_id).status == "pending"


def test_articles_lists_ids_and_relabel_takes_a_label(settings):
    from worker.core.db import session_scope
    from worker.core.models import Article, Correction

    issue_id = _processed_sample(settings)
    out = runner.invoke(app, ["articles", "--issue", str(issue_id)])
    assert out.exit_code == 0 and "全省工会经费审查工作会议" in out.stdout
    with session_scope() as s:
        first = s.exec(select(Article).where(Article.issue_id == issue_id, Article.seq == 1)).one()
    out = runner.invoke(app, ["relabel", str(first.id), "工会建设", "--who", "编辑甲"])
    assert out.exit_code == 0, out.output
    with session_scope() as s:
        c = s.exec(select(Correction)).one()
        assert (c.new_category, c.who) == ("union_building", "编辑甲")
        assert s.get(Article, first.id).category_confirmed


def test_report_send_emails_through_real_smtp(settings, monkeypatch, tmp_path):
    import yaml
    from aiosmtpd.controller import Controller
    from test_briefing_delivery import Collect, free_port

    from worker import pipeline
    from worker.core.db import session_scope
    from worker.core.models import Delivery
    from worker.core.settings import PROJECT_ROOT, get_settings
    from worker.intake import inbox

    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    data = yaml.safe_load((config / "briefing.yaml").read_text(encoding="utf-8"))
    data["email"]["daily"] = ["leader@union.test"]
    data["pdf"] = False
    (config / "briefing.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    handler, port = Collect(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        for key, value in {"CONFIG_DIR": config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                           "SMTP_SECURITY": "none"}.items():
            monkeypatch.setenv(f"BRIEFING_{key}", str(value))
        get_settings.cache_clear()
        shutil.copyfile(SAMPLE, settings.inbox_dir / SAMPLE.name)
        [issue_id] = inbox.scan(session_scope, get_settings(), now=2e10).new_issue_ids
        pipeline.process_issue(issue_id)
        out = runner.invoke(app, ["report", "daily", "--date", "2024-12-24", "--send"])
        assert out.exit_code == 0, out.output
        assert "sent (v1): e-mailed to 1 recipient(s)" in out.stdout
        again = runner.invoke(app, ["report", "daily", "--date", "2024-12-24", "--send"])  # resend v1
        assert again.exit_code == 0 and "exists already" in again.stdout and "sent (v1)" in again.stdout
        [(sender, rcpts, _), _resent] = handler.messages
        assert sender == get_settings().smtp_sender
        assert rcpts == ["leader@union.test"]
        with session_scope() as s:
            delivery = s.exec(select(Delivery)).one()  # one attempt series per briefing and channel
            assert (delivery.status, delivery.attempts) == ("sent", 2)
    finally:
        controller.stop()
    # SMTP gone: the briefing is made, the failure is shown with the server, and the exit code says so
    out = runner.invoke(app, ["report", "daily", "--date", "2024-12-24", "--force", "--send"])
    assert out.exit_code == 1 and "made:" in out.stdout
    assert "not sent" in out.stderr and f"127.0.0.1:{port}" in out.stderr
    # nothing configured to send with: not a success either
    monkeypatch.delenv("BRIEFING_SMTP_HOST")
    get_settings.cache_clear()
    out = runner.invoke(app, ["report", "daily", "--date", "2024-12-24", "--send"])
    assert out.exit_code == 1 and "SMTP is not configured" in out.stderr


def test_report_waits_for_unprocessed_issues(settings):
    # An ingested but unprocessed issue made a briefing saying 未收到报纸, using up 第1期.
    from worker import pipeline
    from worker.core.db import session_scope
    from worker.core.models import Briefing
    from worker.intake import inbox

    shutil.copyfile(SAMPLE, settings.inbox_dir / SAMPLE.name)
    [issue_id] = inbox.scan(session_scope, settings, now=2e10).new_issue_ids
    out = runner.invoke(app, ["report", "daily", "--date", "2024-12-24"])
    assert out.exit_code == 1 and "1 issue(s)" in out.stderr and "not processed yet" in out.stderr
    with session_scope() as s:
        assert s.exec(select(Briefing)).all() == []
    pipeline.process_issue(issue_id)
    out = runner.invoke(app, ["report", "daily", "--date", "2024-12-24"])
    assert out.exit_code == 0 and "made:" in out.stdout


def test_unmigrated_database_says_run_migrate(tmp_path):
    import subprocess
    import sys

    from worker.core.settings import PROJECT_ROOT

    env = {**__import__("os").environ, "BRIEFING_VAR_DIR": str(tmp_path / "fresh")}
    (tmp_path / "fresh").mkdir()
    out = subprocess.run([sys.executable, "-m", "worker.ops.cli", "articles"], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "run `briefing migrate`" in out.stderr and "Traceback" not in out.stderr


def test_status_shows_hostile_file_names_literally(settings):
    # File names and reasons are data: "[red]" was read as rich markup (and "[/b]" in a reason
    # raised MarkupError); a U+202E reversed the rest of the row, a newline split it.
    from worker.core.db import session_scope
    from worker.core.models import Issue
    from worker.intake import inbox

    names = ["[red]x.txt", "evil\u202etxt.exe", "new\nline.txt"]
    for name in names:
        (settings.inbox_dir / name).write_bytes("本报讯 职工技能比武在杭州举行，共有120名职工参赛。".encode())
    inbox.scan(session_scope, settings, now=2e10)
    with session_scope() as s:
        s.add(Issue(file_name="[b]old.txt", sha256="f" * 64, raw=b"x", status="failed", error="bad [/b] tag"))
    out = runner.invoke(app, ["status"], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    assert "[red]x.txt" in out.stdout and "bad [/b] tag" in out.stdout and "[b]old.txt" in out.stdout
    assert "evil\\u202etxt.exe" in out.stdout and "\u202e" not in out.stdout
    assert "new\\nline.txt" in out.stdout


def test_status_shows_a_skipped_empty_period(settings):
    # empty_period: skip (the default) numbers and sends nothing, but the skip is recorded and shown
    from worker.core.db import session_scope
    from worker.core.models import Briefing

    out = runner.invoke(app, ["report", "daily", "--date", "2024-12-26"])
    assert out.exit_code == 0 and "skipped" in out.stdout
    with session_scope() as s:
        [row] = s.exec(select(Briefing)).all()
        assert (row.status, row.number, row.file_path) == ("skipped", None, None)
    out = runner.invoke(app, ["status"], env={"COLUMNS": "250"})
    assert "2024-12-26: no issue received" in out.stdout


def test_ingest_copies_and_asks_for_a_scan_even_with_the_broker_down(settings):
    # A second helper named _send (for report --send) once replaced the one ingest and retry use.
    # A subprocess: the Celery app of this process is bound to the broker it first connected to.
    import os
    import socket
    import subprocess
    import sys

    from worker.core.settings import PROJECT_ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    env = {**os.environ, "BRIEFING_VAR_DIR": str(settings.var_dir), "BRIEFING_BROKER_URL": f"redis://127.0.0.1:{dead}/0"}
    out = subprocess.run([sys.executable, "-m", "worker.ops.cli", "ingest", str(SAMPLE)], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (settings.inbox_dir / SAMPLE.name).read_bytes() == SAMPLE.read_bytes()
    assert "broker unreachable" in out.stderr and "wait in the inbox" in out.stderr


def test_status_on_an_unmigrated_database_exits_non_zero(tmp_path):
    # It printed "database unreachable or not migrated" and exited 0, so scripts saw success.
    import os
    import socket
    import subprocess
    import sys

    from worker.core.settings import PROJECT_ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    (tmp_path / "fresh").mkdir()
    env = {**os.environ, "BRIEFING_VAR_DIR": str(tmp_path / "fresh"),
           "BRIEFING_BROKER_URL": f"redis://127.0.0.1:{dead}/0"}
    out = subprocess.run([sys.executable, "-m", "worker.ops.cli", "status"], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "run `briefing migrate`" in out.stdout and "Traceback" not in out.stderr


def test_status_lists_unfinished_and_failed_issues_and_refused_files_with_the_zone(settings):
    from datetime import UTC, datetime

    from worker.core.db import session_scope
    from worker.core.models import Issue
    from worker.intake import inbox

    (settings.inbox_dir / "waiting.txt").write_bytes("本报讯 职工技能比武在杭州举行，共有120名职工参赛。".encode())
    (settings.inbox_dir / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    inbox.scan(session_scope, settings, now=2e10)
    at = datetime(2024, 12, 24, 0, 30, tzinfo=UTC)
    with session_scope() as s:
        s.add(Issue(file_name="busy.txt", sha256="a" * 64, raw=b"x", status="processing", attempts=1,
                    received_at=at))
        s.add(Issue(file_name="broken.txt", sha256="b" * 64, raw=b"x", status="failed", attempts=3,
                    error="not Chinese text", received_at=at))
        s.add(Issue(file_name="done.txt", sha256="c" * 64, raw=b"x", status="processed", received_at=at))
        ids = {i.file_name: i.id for i in s.exec(select(Issue)).all()}
    out = runner.invoke(app, ["status"], env={"COLUMNS": "250"})
    assert out.exit_code == 0, out.output
    rows = {line.split("│")[2].strip(): line for line in out.stdout.splitlines() if line.count("│") >= 6}
    for name, status in (("waiting.txt", "pending"), ("busy.txt", "processing"), ("broken.txt", "failed")):
        assert name in rows and status in rows[name] and f"│ {ids[name]} " in rows[name], name
    assert "done.txt" not in out.stdout  # processed: nothing to do
    assert "not Chinese text" in rows["broken.txt"]
    assert "2024-12-24 08:30:00+08:00" in rows["busy.txt"]  # Asia/Shanghai, offset shown
    assert "Times: Asia/Shanghai" in out.stdout
    # the refused file has no issue id: status says to drop it again, not to retry
    refused = [line for line in out.stdout.splitlines() if "photo.txt" in line and "failed/photo.txt" in line]
    assert refused and "drop it into the inbox again" in out.stdout
    error_json = json.loads((settings.failed_dir / "photo.txt.error.json").read_text(encoding="utf-8"))
    assert error_json["received_at"].endswith("+08:00") and error_json["time_zone"] == "Asia/Shanghai"


def test_relabel_takes_keys_or_chinese_labels_and_lists_both_when_unknown(settings):
    from worker.core.db import session_scope
    from worker.core.models import Article

    issue_id = _processed_sample(settings)
    with session_scope() as s:
        first = s.exec(select(Article).where(Article.issue_id == issue_id, Article.seq == 1)).one()
    out = runner.invoke(app, ["relabel", str(first.id), "体育"])
    assert out.exit_code == 2
    message = " ".join(out.output.split())
    assert "culture (职工文化)" in message and "worker_services (服务职工)" in message
    for given, key in (("职工文化", "culture"), (" 服务职工 ", "worker_services"), ("Culture", "culture")):
        out = runner.invoke(app, ["relabel", str(first.id), given, "--who", "编辑甲"])
        assert out.exit_code == 0 and f"→ {key}" in out.stdout, out.output


def _table_column(stdout: str, index: int) -> str:
    """The text of one column of a rich table, its wrapped pieces joined."""
    return "".join(line.split("│")[index + 1].strip() for line in stdout.splitlines() if line.startswith("│"))


def test_parse_table_wraps_long_cells_instead_of_cutting_them():
    out = runner.invoke(app, ["parse", str(SAMPLE)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    titles = _table_column(out.stdout, 2).replace(" ", "")
    doc = json.loads(runner.invoke(app, ["parse", str(SAMPLE), "--format", "json"]).stdout)
    for a in doc["articles"]:
        assert a["title"].replace(" ", "") in titles, a["title"]


def test_parse_explain_json_has_one_object_per_input_line():
    out = runner.invoke(app, ["parse", str(SAMPLE), "--explain", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    from worker.intake.reading import read_document

    lines = read_document(SAMPLE.read_bytes(), SAMPLE.name).text.split("\n")
    assert [r["line"] for r in rows] == list(range(1, len(lines) + 1))
    assert all(set(r) == {"line", "text", "became", "rule"} and r["rule"] for r in rows)
    by_text = {r["text"]: r for r in rows}
    assert "page_marker" in by_text["第1版 要闻"]["became"]
    assert "title" in by_text["全省工会经费审查工作会议在杭州召开"]["became"]


def test_article_prints_one_article_whole(settings):
    from worker.core.db import session_scope
    from worker.core.models import Article

    issue_id = _processed_sample(settings)
    with session_scope() as s:
        a = s.exec(select(Article).where(Article.issue_id == issue_id, Article.seq == 1)).one()
        stored = a.model_dump(mode="json", exclude={"search_text"})
    out = runner.invoke(app, ["article", str(a.id)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.output
    for p in stored["paragraphs"]:
        assert p in out.stdout  # whole paragraphs, not cut or wrapped
    for field in stored:
        assert f"{field}:" in out.stdout, field
    assert "category_label: 工会建设" in out.stdout and f"issue_file: {SAMPLE.name}" in out.stdout
    doc = json.loads(runner.invoke(app, ["article", str(a.id), "--format", "json"]).stdout)
    assert {k: doc[k] for k in stored} == stored
    missing = runner.invoke(app, ["article", "99999"])
    assert missing.exit_code == 2 and "no article 99999" in missing.output


def test_report_send_without_recipients_says_only_that(settings):
    from worker import pipeline
    from worker.core.db import session_scope
    from worker.intake import inbox

    shutil.copyfile(SAMPLE, settings.inbox_dir / SAMPLE.name)
    [issue_id] = inbox.scan(session_scope, settings, now=2e10).new_issue_ids
    pipeline.process_issue(issue_id)
    assert runner.invoke(app, ["report", "daily", "--date", "2024-12-24"]).exit_code == 0
    out = runner.invoke(app, ["report", "daily", "--date", "2024-12-24", "--send"])
    assert out.exit_code == 1
    assert "exists already" not in out.output
    assert " ".join(out.output.split()).startswith("not sent: no recipients for daily briefings")


def test_report_refuses_a_date_outside_the_calendar_it_can_count(settings):
    # adversarial run: --date 0001-01-01 and 9999-12-31 ended in an OverflowError traceback
    from typer.testing import CliRunner

    from worker.ops.cli import app

    for day in ("0001-01-01", "9999-12-31"):
        out = CliRunner().invoke(app, ["report", "daily", "--date", day])
        assert out.exit_code == 2 and "between 1900 and 2999" in out.output, out.output
        assert not isinstance(out.exception, OverflowError)
