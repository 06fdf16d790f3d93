"""The console in a real browser: Debian's chromium driven by selenium through chromedriver
(nothing downloads a browser), against the real app served by uvicorn, a real Celery worker and
Redis. The clerk's and the office's path: log in; upload the sample; see it processed; open an
article and correct its topic; withdraw the issue and restore it; find an article on 检索 and open
it; download a briefing."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest
from conftest import SAMPLES, service_missing, wait_for
from sqlmodel import select
from webhelp import PASSWORD, add_user

from worker.core.db import session_scope
from worker.core.models import Article, AuditLog, Correction, Issue, TaskEvent

pytestmark = pytest.mark.slow
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def console_url(celery_worker_thread):
    """The console served by a real uvicorn on a free port, in this process (same settings)."""
    import uvicorn

    from web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=30)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        service_missing("chromium and chromium-driver (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                "--lang=zh-CN"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.downloads = downloads
    yield driver
    driver.quit()


def _wait_text(driver, css: str, text: str, timeout: float = 60, reload: bool = False) -> None:
    """Wait until the element ``css`` contains ``text`` (reloading the page each second if asked)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    def seen():
        try:
            if text in driver.find_element(By.CSS_SELECTOR, css).text:
                return True
        except (NoSuchElementException, StaleElementReferenceException):  # htmx swapped it meanwhile
            pass
        if reload:
            time.sleep(0.5)
            driver.refresh()
        return False

    wait_for(seen, timeout=timeout, interval=0.2)


def _href(driver, css: str) -> str | None:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return driver.find_element(By.CSS_SELECTOR, css).get_attribute("href")
    except (NoSuchElementException, StaleElementReferenceException):
        return None


def test_clerk_and_office_path_in_a_real_browser(console_url, browser, settings, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    add_user("张敏", "admin")
    b = browser
    b.get(console_url + "/intake")
    assert "/login" in b.current_url  # every page needs a login
    b.find_element(By.ID, "name").send_keys("张敏")
    b.find_element(By.ID, "password").send_keys(PASSWORD)
    b.find_element(By.ID, "login").click()
    _wait_text(b, "h1", "收件")
    assert b.current_url.endswith("/intake")

    # upload the sample through the file picker
    sample = tmp_path / "2024-12-24_zjgrrb.txt"
    shutil.copyfile(SAMPLES / "2024-12-24_zjgrrb.txt", sample)
    b.find_element(By.ID, "files").send_keys(str(sample))
    b.find_element(By.ID, "upload-button").click()
    _wait_text(b, ".flash", "已放入收件箱 1 个文件")
    # htmx refreshes the receipts table in place until the inbox worker's receipt shows up
    _wait_text(b, "#receipts", "已接收")
    # (followed by its address: htmx may swap the table between finding the link and a click)
    b.get(wait_for(lambda: _href(b, "#receipts a[href^='/issues/']")))
    _wait_text(b, "#issue-status", "已处理", reload=True)
    with session_scope() as s:
        issue = s.exec(select(Issue)).one()
    assert b.current_url.endswith(f"/issues/{issue.id}")
    assert "原文与解析" in b.page_source and b.find_elements(By.CSS_SELECTOR, "#lines tbody tr")

    # open an article and correct its topic
    b.find_element(By.CSS_SELECTOR, "a.article-link").click()
    _wait_text(b, "h2", "主题")
    article_id = int(b.current_url.rsplit("/", 1)[1])
    with session_scope() as s:
        before = s.get(Article, article_id).category
    select_ = Select(b.find_element(By.ID, "category-select"))
    choice = next(o for o in select_.options if o.get_attribute("value") != before)
    target, label = choice.get_attribute("value"), choice.text
    select_.select_by_value(target)
    b.find_element(By.ID, "topic-submit").click()
    _wait_text(b, ".flash", "主题已更正")
    assert b.find_element(By.ID, "category").text == label
    with session_scope() as s:
        assert s.get(Article, article_id).category == target
        assert s.exec(select(Correction.who)).all() == ["张敏"]

    # withdraw the issue, then restore it
    b.get(f"{console_url}/issues/{issue.id}")
    b.find_element(By.CSS_SELECTOR, "button.withdraw").click()
    # a confirmation step: the box must be ticked (the browser's own `required` check, and the server's)
    _wait_text(b, "h1", "确认撤回")
    with session_scope() as s:
        assert s.get(Issue, issue.id).status == "processed"
    b.find_element(By.ID, "confirm").click()
    b.find_element(By.CSS_SELECTOR, "#confirm-form button.withdraw").click()
    _wait_text(b, "#issue-status", "已撤回")
    with session_scope() as s:
        assert s.get(Issue, issue.id).status == "withdrawn"
    b.find_element(By.CSS_SELECTOR, "button.restore").click()
    _wait_text(b, "#issue-status", "已处理")
    with session_scope() as s:
        assert s.get(Issue, issue.id).status == "processed"
        actions = s.exec(select(AuditLog.action).where(AuditLog.who == "张敏").order_by(AuditLog.id)).all()
    assert actions == ["login", "upload", "correction", "withdraw", "restore"]

    # 检索: find the sample's 暖心包 article and open it from the results
    b.find_element(By.CSS_SELECTOR, "header nav a[href='/search']").click()
    _wait_text(b, "h1", "检索")
    b.execute_script("window.samePage = true")  # gone if the browser loaded a new page
    b.find_element(By.ID, "q").send_keys("暖心包")
    b.find_element(By.ID, "search-button").click()
    _wait_text(b, "#results", "暖冬")
    wait_for(lambda: "/search?q=" in b.current_url)
    assert b.execute_script("return window.samePage") is True  # htmx swapped the results, pushed the address
    assert b.find_element(By.CSS_SELECTOR, "#results mark").text == "暖心包"
    b.find_element(By.CSS_SELECTOR, "#results a.hit-title").click()
    _wait_text(b, "#article-title", "暖冬")
    with session_scope() as s:
        found = s.get(Article, int(b.current_url.rsplit("/", 1)[1]))
    assert found.issue_id == issue.id and "暖心包" in "".join(found.paragraphs)

    # the daily briefing, made by the real task on the worker, downloaded from the list
    from worker.core.app import celery_app
    from worker.core.models import Briefing

    celery_app.send_task("briefing.make_briefing", args=["daily", "2024-12-24"])

    def made():  # the task finished (its history row written), so nothing is left running at teardown
        with session_scope() as s:
            done = s.exec(select(TaskEvent.id).where(TaskEvent.name == "briefing.make_briefing",
                                                     TaskEvent.state == "succeeded")).first()
            return done and s.exec(select(Briefing.id).where(Briefing.status == "made")).first()

    wait_for(made, timeout=180)
    b.get(console_url + "/briefings")
    link = b.find_element(By.CSS_SELECTOR, "#briefings a.docx")
    link.click()
    got = wait_for(lambda: [p for p in b.downloads.iterdir() if p.suffix == ".docx"], timeout=60)
    import docx

    text = "\n".join(p.text for p in docx.Document(got[0]).paragraphs)
    assert "2024年第1期" in text.replace(" ", "") and got[0].name.startswith("工会信息简报-日报")


@pytest.fixture
def desk_console(settings, monkeypatch, tmp_path):
    """approval: required, e-mail to a local SMTP server (aiosmtpd) started here, and the console
    served by a real uvicorn (no worker needed: the desk signs and sends in the request)."""
    import uvicorn
    import yaml
    from aiosmtpd.controller import Controller
    from test_briefing_delivery import Collect, free_port

    from web.app import create_app
    from worker.core.settings import PROJECT_ROOT, get_settings

    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    data = yaml.safe_load((config / "briefing.yaml").read_text(encoding="utf-8"))
    data.update(approval="required")
    data["email"]["daily"] = ["leader@union.test"]
    (config / "briefing.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    handler, smtp_port = Collect(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    for key, value in {"CONFIG_DIR": config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_port,
                       "SMTP_SECURITY": "none", "APPROVAL": "required"}.items():
        monkeypatch.setenv(f"BRIEFING_{key}", str(value))
    get_settings.cache_clear()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=30)
    yield f"http://127.0.0.1:{port}", handler
    server.should_exit = True
    thread.join(timeout=10)
    controller.stop()


def _login(b, url: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    b.delete_all_cookies()
    b.get(url + "/login")
    b.find_element(By.ID, "name").send_keys(name)
    b.find_element(By.ID, "password").send_keys(PASSWORD)
    b.find_element(By.ID, "login").click()
    wait_for(lambda: "/login" not in b.current_url, timeout=30)


def test_desk_edit_and_sign_off_in_a_real_browser(desk_console, browser, settings):
    """An editor opens the draft of the sample's period, excludes an article, edits a summary and
    a 要情 line, saves; a signer signs; the e-mailed .docx holds exactly those edits, is 第1期."""
    import io
    from datetime import date
    from email import message_from_bytes, policy

    import docx
    from selenium.webdriver.common.by import By
    from webhelp import ingest_and_process

    from worker.briefing.build import make_briefing
    from worker.core.models import Briefing

    url, smtp = desk_console
    add_user("李编辑", "editor")
    add_user("王签发", "editor", signer=True)
    ingest_and_process(settings, "2024-12-24_zjgrrb.txt", (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes())
    with session_scope() as s:  # what beat (or `briefing report`) makes under approval: required
        draft = make_briefing(s, "daily", date(2024, 12, 24))
        assert draft.status == "draft" and draft.number is None
        draft_id, generated = draft.id, draft.generated
    entries = [e for sec in generated["sections"] for e in sec["entries"]]
    lines = generated["highlights"]
    dropped = next(e for e in reversed(entries) if e["id"] != lines[0]["id"])
    edited = lines[0]["id"]
    new_summary = "编辑改写：本文摘要由编辑在简报台修改。"
    new_line = "编辑改写的要情一行"

    b = browser
    _login(b, url, "李编辑")
    b.get(url + "/desk")
    b.find_element(By.CSS_SELECTOR, f"a[href='/desk/{draft_id}']").click()
    _wait_text(b, "h2", "与生成稿相比")
    assert b.find_elements(By.CSS_SELECTOR, "#pages img")  # the draft as pages (LibreOffice PDF)
    assert not b.find_elements(By.ID, "sign")  # an editor without the signer right sees no 签发
    b.find_element(By.ID, f"inc_{dropped['id']}").click()
    summary = b.find_element(By.ID, f"summary_{edited}")
    summary.clear()
    summary.send_keys(new_summary)
    line = b.find_element(By.ID, f"hl_{edited}")
    line.clear()
    line.send_keys(new_line)
    b.find_element(By.ID, "save").click()
    _wait_text(b, ".flash", "已保存")
    assert f"删去：《{dropped['title']}》" in b.find_element(By.ID, "changes").text

    _login(b, url, "王签发")
    b.get(f"{url}/desk/{draft_id}")
    b.find_element(By.ID, "sign").click()
    _wait_text(b, ".flash", "已签发：2024年第1期")
    with session_scope() as s:
        row = s.get(Briefing, draft_id)
        assert (row.status, row.number, row.signed_by, row.sign_channel) == ("made", 1, "王签发", "console")
    [(_, rcpts, raw)] = smtp.messages
    assert rcpts == ["leader@union.test"]
    msg = message_from_bytes(raw, policy=policy.default)
    [attachment] = [p for p in msg.iter_attachments() if p.get_filename().endswith(".docx")]
    text = [p.text for p in docx.Document(io.BytesIO(attachment.get_content())).paragraphs]
    body = "\n".join(text)
    assert "2024年第1期（日报）" in body and "签发人：王签发" in body
    assert new_summary in text and dropped["title"] not in body
    expected = [new_line if h["id"] == edited else h["text"] for h in lines if h["id"] != dropped["id"]]
    shown = [t.split("（见第")[0] for t in text if "（见第" in t and t.endswith("条）")]
    assert shown == expected  # exactly those 要情 edits
    others = [e for e in entries if e["id"] not in (edited, dropped["id"])]
    assert all(e["summary"] in text for e in others if e["summary"])  # nothing else changed
