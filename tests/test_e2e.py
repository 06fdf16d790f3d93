"""The whole pipeline through a real Celery worker on the real Redis: a file dropped into the inbox
becomes a receipt, stored classified articles, and a .docx briefing read back here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import GOLD, ROOT, SAMPLES, wait_for
from docx import Document
from docx.oxml.ns import qn
from sqlmodel import select

from worker.core.db import session_scope
from worker.core.models import Article, Briefing, Issue, Receipt, TaskEvent

SAMPLE = "000_251c0b359e5127ab.txt"


def _drop(settings, src, name):
    tmp = settings.inbox_dir / f".{name}.part"
    shutil.copyfile(src, tmp)
    os.replace(tmp, settings.inbox_dir / name)


def _receipt(name):
    with session_scope() as s:
        return s.exec(select(Receipt).where(Receipt.file_name == name)).first()


def _docx_text(path) -> str:
    doc = Document(path)
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def test_inbox_to_briefing_through_a_real_worker(celery_worker_thread, settings):
    from worker.core.app import celery_app

    _drop(settings, SAMPLES / SAMPLE, SAMPLE)
    celery_app.send_task("briefing.scan_inbox")
    receipt = wait_for(lambda: _receipt(SAMPLE), 30)
    assert receipt.outcome == "accepted"

    def processed():
        with session_scope() as s:
            issue = s.get(Issue, receipt.issue_id)
            return issue if issue.status in ("processed", "failed") else None

    issue = wait_for(processed, 60)
    assert issue.status == "processed", issue.error
    with session_scope() as s:
        articles = s.exec(select(Article).where(Article.issue_id == issue.id).order_by(Article.seq)).all()
    assert len(articles) == 8
    import json

    gold = json.loads((GOLD / f"{SAMPLE.removesuffix('.txt')}.json").read_text(encoding="utf-8"))
    for art, ref in zip(articles, gold["articles"], strict=True):
        assert art.category in [ref["category"], *ref["also_ok"]], (art.title, art.category)

    # the same bytes again → duplicate; a PNG renamed .txt → refused into failed/
    _drop(settings, SAMPLES / SAMPLE, "again.txt")
    (settings.inbox_dir / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    celery_app.send_task("briefing.scan_inbox")
    dup = wait_for(lambda: _receipt("again.txt"), 30)
    bad = wait_for(lambda: _receipt("picture.txt"), 30)
    assert dup.outcome == "duplicate" and dup.issue_id == issue.id
    assert bad.outcome == "refused"
    # the receipt commits first, then the file moves to the place it names (docs/ARCHITECTURE.md)
    assert wait_for(lambda: (settings.failed_dir / "picture.txt").exists(), 30)
    assert (settings.failed_dir / "picture.txt.error.json").exists()  # written before the move

    celery_app.send_task("briefing.make_briefing", args=["daily", issue.issue_date.isoformat()])

    def briefing():
        with session_scope() as s:
            return s.exec(select(Briefing).where(Briefing.kind == "daily")).first()

    made = wait_for(briefing, 90)
    path = settings.var_dir / made.file_path
    text = _docx_text(path)
    for art in articles:
        assert art.title in text, art.title
    doc = Document(path)
    fonts = {r._r.rPr.rFonts.get(qn("w:eastAsia")) for p in doc.paragraphs for r in p.runs
             if r.text.strip() and r._r.rPr is not None and r._r.rPr.rFonts is not None}
    assert None not in fonts and fonts  # every run with text names its East Asian font

    def history():
        with session_scope() as s:
            rows = s.exec(select(TaskEvent.name, TaskEvent.state)).all()
        return {(n, st) for n, st in rows}

    events = wait_for(lambda: (h := history()) and ("briefing.make_briefing", "succeeded") in h and h, 30)
    assert {("briefing.scan_inbox", "succeeded"), ("briefing.process_issue", "succeeded")} <= events


def test_demo_command_from_the_readme(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env["BRIEFING_VAR_DIR"] = str(tmp_path / "var")
    out = subprocess.run([sys.executable, "-m", "worker.ops.cli", "demo"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stdout + out.stderr
    docx_path = out.stdout.strip().splitlines()[-1].strip()
    assert docx_path.endswith(".docx") and os.path.exists(docx_path), out.stdout
    assert "8 articles" in out.stdout
    # its own var folder (issue 19: approval auto, never the service's database)
    assert "approval: auto" in out.stdout and Path(docx_path).is_relative_to(tmp_path / "var" / "demo")
    env["BRIEFING_VAR_DIR"] = str(tmp_path / "var" / "demo")
    status = subprocess.run([sys.executable, "-m", "worker.ops.cli", "status"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert "process_issue" in status.stdout and "accepted" in status.stdout
