"""Screenshots of the console's main pages for the README (docs/screenshots/*.png).

Run by hand, never by the test suite (CI must not write into the tree)::

    uv run python docs/screenshots.py [--broker redis://127.0.0.1:6379/7]

It builds a throw-away installation in a temporary folder (SQLite, the bundled sample issues put
through the real inbox and pipeline, a daily briefing, one admin account), serves the console
with uvicorn on a free port and drives Debian's chromium (``/usr/bin/chromium`` +
``/usr/bin/chromedriver``, selenium) through the pages. Needs no broker; with ``--broker`` (a Redis
database of its own: it is used as is) a Celery worker runs meanwhile, so 系统 shows it.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "screenshot password"


def _prepare(var: Path, broker: str) -> dict:
    """A fresh installation in ``var`` with two processed issues, a briefing and an admin."""
    os.environ.update(BRIEFING_VAR_DIR=str(var), BRIEFING_BROKER_URL=broker)
    os.environ.pop("BRIEFING_DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    from worker import pipeline
    from worker.briefing.build import make_briefing
    from worker.core.db import migrate, session_scope
    from worker.core.settings import get_settings
    from worker.intake import inbox
    from worker.ops import audit
    from worker.ops.accounts import add_user

    settings = get_settings()
    settings.ensure_dirs()
    migrate()
    ids = []
    for sample in sorted((ROOT / "samples").glob("*.txt")):
        (settings.inbox_dir / sample.name).write_bytes(sample.read_bytes())
    ids = inbox.scan(session_scope, settings, time.time() + 3600).new_issue_ids
    for issue_id in ids:
        pipeline.process_issue(issue_id, settings=settings)
    with session_scope() as s:
        add_user(s, "张敏", "admin", "zhangmin@example.org", PASSWORD, signer=True)
        audit.record(s, "张敏", "login", ip="10.0.0.8")
        briefing = make_briefing(s, "daily", date(2024, 12, 24))
    return {"issue": ids[-1], "briefing": briefing.id}


def main() -> int:
    import argparse
    import contextlib

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default="memory://localhost/")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="briefing-screens-"))
    made = _prepare(var, args.broker)
    with contextlib.ExitStack() as stack:
        if args.broker.startswith("redis"):
            from celery.contrib.testing.worker import start_worker

            from worker.core.app import celery_app

            stack.enter_context(start_worker(celery_app, pool="threads", concurrency=1, perform_ping_check=False,
                                             queues=["inbox", "ingest", "reports"], loglevel="WARNING"))
        return _shoot(made)


def _shoot(made: dict) -> int:
    import uvicorn
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.1)
    base = f"http://127.0.0.1:{port}"

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--window-size=1280,900", "--lang=zh-CN", "--hide-scrollbars"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        driver.get(base + "/login")
        driver.save_screenshot(str(OUT / "login.png"))
        driver.find_element(By.ID, "name").send_keys("张敏")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login").click()
        with __import__("worker.core.db", fromlist=["session_scope"]).session_scope() as s:
            from sqlmodel import select

            from worker.core.models import Article

            article = s.exec(select(Article.id).where(Article.issue_id == made["issue"]).order_by(Article.seq)).first()
        pages = {"intake": "/intake", "issue": f"/issues/{made['issue']}", "article": f"/articles/{article}",
                 "search": "/search?q=书画展",
                 "briefings": "/briefings", "briefing": f"/briefings/{made['briefing']}", "system": "/system"}
        for name, path in pages.items():
            driver.get(base + path)
            time.sleep(0.5)
            driver.save_screenshot(str(OUT / f"{name}.png"))
            print(f"docs/screenshots/{name}.png")
    finally:
        driver.quit()
        server.should_exit = True
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
