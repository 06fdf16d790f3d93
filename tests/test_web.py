"""The web console over HTTP (starlette TestClient against the real app, a real SQLite or
PostgreSQL database): logins and roles, CSRF, literal display of hostile names, uploads into the
inbox, withdraw / restore / supersede and the audit log."""

from __future__ import annotations

import html
import shutil

import pytest
from conftest import SAMPLES
from fastapi.testclient import TestClient
from sqlmodel import select
from webhelp import HOSTILE_ISSUE, HOSTILE_TITLE, PASSWORD, add_user, ingest_and_process, login, token

from worker.core.db import session_scope
from worker.core.models import Article, AuditLog, Issue, User


@pytest.fixture
def client(settings):
    from web.app import create_app

    with TestClient(create_app(), base_url="http://testserver") as c:
        yield c


def _audit(action: str) -> list[AuditLog]:
    with session_scope() as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_anonymous_is_sent_to_login_everywhere_but_healthz(client):
    from fastapi.routing import APIRoute

    from web.pages import routers

    routes = [r for router in routers() for r in router.routes if isinstance(r, APIRoute)]
    assert len(routes) > 15
    for route in routes:
        path = route.path.replace("{issue_id}", "1").replace("{article_id}", "1").replace(
            "{briefing_id}", "1").replace("{page}", "1").replace("{name}", "x")
        for method in route.methods:
            r = client.request(method, path, follow_redirects=False)
            if path == "/healthz":
                assert r.status_code == 200 and r.json()["ok"] is True
            elif path == "/login":
                assert r.status_code in (200, 403)  # the form; a POST without a CSRF token is refused
            else:
                assert r.status_code == 303, (method, path, r.status_code)
                assert r.headers["location"].startswith("/login?next="), (method, path)
    r = client.get("/issues/7?x=1", follow_redirects=False)
    assert r.headers["location"] == "/login?next=/issues/7%3Fx%3D1"
    # htmx polling after the session ended: the whole page goes to the login, not the fragment
    r = client.get("/intake/receipts", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/login"
    # static files (CSS, vendored htmx) are public and served from here, no CDN
    assert client.get("/static/htmx.min.js").status_code == 200


def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(client):
    add_user("wang", "operator")
    r = login(client, "wang")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert client.get("/intake").status_code == 200
    r = client.post("/logout", data={"csrf_token": token(client, "/intake")}, follow_redirects=False)
    assert r.headers["location"] == "/login"
    assert client.get("/intake", follow_redirects=False).status_code == 303
    assert [a.who for a in _audit("login")] == ["wang"] and [a.who for a in _audit("logout")] == ["wang"]


def test_secure_cookie_when_configured_or_over_https(settings, monkeypatch):
    from web.app import create_app
    from worker.core.settings import get_settings

    add_user("wang", "operator")
    with TestClient(create_app(), base_url="https://testserver") as c:
        assert "secure" in login(c, "wang").headers["set-cookie"].lower()
    monkeypatch.setenv("BRIEFING_WEB_SECURE_COOKIES", "1")
    get_settings.cache_clear()
    with TestClient(create_app(), base_url="http://testserver") as c:
        # the browser would not send a Secure cookie back over http; the first answer shows the flag
        assert "secure" in c.get("/login").headers["set-cookie"].lower()


def test_session_secret_is_generated_once_with_mode_0600(settings):
    from web.security import session_secret

    first = session_secret(settings)
    path = settings.var_dir / "web-secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert session_secret(settings) == first and len(first) == 64


def test_wrong_passwords_are_throttled_even_for_the_right_one_afterwards(client):
    add_user("wang", "operator")
    for _ in range(5):
        assert login(client, "wang", "wrong password").status_code == 401
    r = login(client, "wang")
    assert r.status_code == 401 and "15 分钟" in r.text
    assert len(_audit("login_failed")) == 6


def test_password_change_or_disable_ends_open_sessions(client):
    from worker.ops.accounts import set_active, set_password

    add_user("wang", "operator")
    login(client, "wang")
    assert client.get("/intake").status_code == 200
    with session_scope() as s:
        set_password(s, "wang", "another password")
    assert client.get("/intake", follow_redirects=False).status_code == 303
    login(client, "wang", "another password")
    assert client.get("/intake").status_code == 200
    with session_scope() as s:
        set_active(s, "wang", False)
    assert client.get("/intake", follow_redirects=False).status_code == 303
    assert login(client, "wang", "another password").status_code == 401


def test_operator_cannot_manage_users_or_see_the_system_page(client):
    add_user("wang", "operator")
    login(client, "wang")
    csrf = token(client, "/intake")
    assert client.get("/system").status_code == 403
    assert client.get("/system/audit").status_code == 403
    r = client.post("/system/users", data={"csrf_token": csrf, "name": "evil", "role": "admin",
                                           "email": "e@example.org", "password": "12345678"})
    assert r.status_code == 403
    r = client.post("/system/users/wang/active", data={"csrf_token": csrf, "active": "0"})
    assert r.status_code == 403
    with session_scope() as s:
        assert [u.name for u in s.exec(select(User))] == ["wang"]
    assert "系统" not in client.get("/intake").text.split("<main>")[0]  # no menu entry either


def test_admin_adds_and_disables_users_and_it_is_audited(client):
    add_user("root", "admin")
    login(client, "root")
    csrf = token(client, "/system")
    client.post("/system/users", data={"csrf_token": csrf, "name": "li", "role": "editor", "signer": "on",
                                       "email": "li@example.org", "password": "a long password"})
    client.post("/system/users/li/active", data={"csrf_token": csrf, "active": "0"})
    with session_scope() as s:
        li = s.exec(select(User).where(User.name == "li")).one()
    assert li.role == "editor" and li.signer and not li.active
    assert li.password_hash.startswith("$argon2id$")
    assert [(a.who, a.target) for a in _audit("user_add")] == [("root", "user li")]
    assert [(a.who, a.target) for a in _audit("user_disable")] == [("root", "user li")]
    page = client.get("/system").text
    assert "停用账户" in page and "新建账户" in page


def test_editor_cannot_upload_or_withdraw_and_operator_cannot_correct_topics(client, settings):
    issue_id = ingest_and_process(settings, "a.txt", HOSTILE_ISSUE)
    add_user("ed", "editor")
    add_user("op", "operator")
    login(client, "ed")
    csrf = token(client)
    assert client.post(f"/issues/{issue_id}/withdraw", data={"csrf_token": csrf}).status_code == 403
    assert client.post("/intake/upload", files={"files": ("x.txt", b"x")}, data={"csrf_token": csrf}).status_code == 403
    login(client, "op")
    with session_scope() as s:
        article_id = s.exec(select(Article.id).where(Article.issue_id == issue_id)).first()
    r = client.post(f"/articles/{article_id}/topic", data={"csrf_token": token(client), "category": "culture"})
    assert r.status_code == 403


def test_missing_or_wrong_csrf_token_is_rejected_and_changes_nothing(client, settings):
    issue_id = ingest_and_process(settings, "a.txt", HOSTILE_ISSUE)
    add_user("root", "admin")
    login(client, "root")
    for data in ({}, {"csrf_token": "forged"}):
        r = client.post(f"/issues/{issue_id}/withdraw", data=data)
        assert r.status_code == 403 and "CSRF" in r.text
        r = client.post("/intake/upload", data=data, files={"files": ("new.txt", b"text")})
        assert r.status_code == 403
        r = client.post("/system/users", data={**data, "name": "x", "role": "admin",
                                               "email": "x@example.org", "password": "12345678"})
        assert r.status_code == 403
    with session_scope() as s:
        assert s.get(Issue, issue_id).status == "processed"
        assert s.exec(select(User).where(User.name == "x")).first() is None
    assert [p.name for p in settings.inbox_dir.iterdir()] == []  # the upload left nothing, not even a .part
    # a login form without the token is refused too (login CSRF)
    client.cookies.clear()
    assert client.post("/login", data={"name": "root", "password": PASSWORD}).status_code == 403


def test_markup_in_file_names_and_titles_is_shown_literally_everywhere(client, settings):
    name = "<img src=x onerror=alert(1)>.txt"
    issue_id = ingest_and_process(settings, name, HOSTILE_ISSUE)
    with session_scope() as s:
        article = s.exec(select(Article).where(Article.issue_id == issue_id, Article.title == HOSTILE_TITLE)).one()
    add_user("root", "admin")
    login(client, "root")
    pages = ["/intake", "/intake/receipts", "/issues", f"/issues/{issue_id}", f"/articles/{article.id}",
             "/system", "/system/audit", "/briefings"]
    for path in pages:
        body = client.get(path).text
        assert "<script>alert" not in body and "<img src=x" not in body, path
    for path in ["/intake", "/intake/receipts", "/issues", f"/issues/{issue_id}"]:
        assert html.escape(name, quote=False) in client.get(path).text, path
    for path in [f"/issues/{issue_id}", f"/articles/{article.id}"]:
        assert html.escape('<script>alert(', quote=False) in client.get(path).text, path
    # the audit log shows the uploaded name literally as well
    client.post("/intake/upload", data={"csrf_token": token(client, "/intake")},
                files={"files": ('<b onmouseover="x">.txt', b"text")})
    assert "&lt;b onmouseover=" in client.get("/system/audit").text


def test_upload_streams_files_into_the_inbox_and_refuses_oversized_ones(client, settings, monkeypatch):
    from worker.core.settings import get_settings

    monkeypatch.setenv("BRIEFING_MAX_FILE_BYTES", "1000")
    get_settings.cache_clear()
    add_user("op", "operator")
    login(client, "op")
    files = [("files", ("第一.txt", b"a" * 10)), ("files", ("big.txt", b"b" * 5000)), ("files", ("第一.txt", b"c"))]
    r = client.post("/intake/upload", data={"csrf_token": token(client, "/intake")}, files=files)
    assert r.status_code == 200
    assert "已放入收件箱 2 个文件" in r.text and "未保存：big.txt" in r.text
    got = {p.name: p.read_bytes() for p in get_settings().inbox_dir.iterdir()}
    assert got == {"第一.txt": b"a" * 10, "第一-2.txt": b"c"}  # never overwritten; nothing half-written
    assert [a.target for a in _audit("upload")] == ["第一.txt", "第一-2.txt", "big.txt"]
    # the inbox worker's scan takes them as usual and writes a receipt each
    from webhelp import LATER

    from worker.intake import inbox

    assert len(inbox.scan(session_scope, get_settings(), LATER).receipts) == 2


def test_download_original_is_an_attachment_with_the_real_name(client, settings):
    issue_id = ingest_and_process(settings, "浙江工人日报 3月5日.txt", HOSTILE_ISSUE)
    add_user("op", "operator")
    login(client, "op")
    r = client.get(f"/issues/{issue_id}/original")
    assert r.content == HOSTILE_ISSUE
    assert r.headers["content-disposition"] == (
        f"attachment; filename=\"issue-{issue_id}.txt\"; "
        "filename*=UTF-8''%E6%B5%99%E6%B1%9F%E5%B7%A5%E4%BA%BA%E6%97%A5%E6%8A%A5%203%E6%9C%885%E6%97%A5.txt")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-type"] == "application/octet-stream"


def test_issue_page_shows_the_stored_line_decisions(client, settings):
    from worker.core.models import IssueLines

    issue_id = ingest_and_process(settings, "a.txt", HOSTILE_ISSUE)
    with session_scope() as s:
        decisions = s.get(IssueLines, issue_id).decisions
        # change what was stored: the page must show the stored decisions, not a re-parse
        s.get(IssueLines, issue_id).decisions = [[0, "浙江工人日报", "masthead", "stored rule X"]]
    assert [d[1] for d in decisions] == HOSTILE_ISSUE.decode().split("\n")  # every line, in order
    assert any(d[2].startswith("title") and d[1] == HOSTILE_TITLE for d in decisions)
    add_user("ed", "editor")
    login(client, "ed")
    body = client.get(f"/issues/{issue_id}").text
    assert "stored rule X" in body


def test_topic_correction_is_the_relabel_correction(client, settings):
    from worker.core.models import Correction

    issue_id = ingest_and_process(settings, "a.txt", HOSTILE_ISSUE)
    add_user("ed", "editor")
    login(client, "ed")
    with session_scope() as s:
        article = s.exec(select(Article).where(Article.issue_id == issue_id).order_by(Article.seq)).first()
    target = "culture" if article.category != "culture" else "safety"
    r = client.post(f"/articles/{article.id}/topic", data={"csrf_token": token(client), "category": target})
    assert r.status_code == 200 and "主题已更正" in r.text
    with session_scope() as s:
        stored = s.get(Article, article.id)
        [c] = s.exec(select(Correction)).all()
    assert stored.category == target and stored.category_confirmed
    assert (c.old_category, c.new_category, c.who) == (article.category, target, "ed")
    assert [a.detail for a in _audit("correction")] == [f"{article.category} → {target}"]
    r = client.post(f"/articles/{article.id}/topic", data={"csrf_token": token(client), "category": "nonsense"})
    assert "未更正" in r.text


def _withdraw_restore_and_audit(client, settings):
    from datetime import date

    from worker.briefing.build import make_briefing

    issue_id = ingest_and_process(settings, "2024-12-24_zjgrrb.txt", (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes())
    add_user("op", "operator")
    login(client, "op")
    # without the 确认撤回 box the POST only asks again and changes nothing
    r = client.post(f"/issues/{issue_id}/withdraw", data={"csrf_token": token(client)})
    assert r.status_code == 400 and 'name="confirm"' in r.text and "确认撤回" in r.text
    with session_scope() as s:
        assert s.get(Issue, issue_id).status == "processed"
    assert 'name="confirm"' in client.get(f"/issues/{issue_id}/withdraw").text
    r = client.post(f"/issues/{issue_id}/withdraw", data={"csrf_token": token(client), "confirm": "on"})
    assert r.status_code == 200 and "已撤回" in r.text
    with session_scope() as s:
        issue = s.get(Issue, issue_id)
        assert (issue.status, issue.withdrawn_from, issue.withdrawn_by) == ("withdrawn", "processed", "op")
        # reprocess (briefing reprocess) leaves it withdrawn
        from worker import pipeline

        assert pipeline.reset_for_rerun(s, [issue_id]) == 0
    # the withdrawn issue's articles are in no briefing made from now on
    with session_scope() as s:
        made = make_briefing(s, "daily", date(2024, 12, 24), pdf=False)
        assert (made.issue_count, made.article_count) == (0, 0)
    r = client.post(f"/issues/{issue_id}/restore", data={"csrf_token": token(client)})
    assert r.status_code == 200 and "已恢复" in r.text
    with session_scope() as s:
        assert s.get(Issue, issue_id).status == "processed"
        made = make_briefing(s, "daily", date(2024, 12, 24), force=True, pdf=False)
        assert made.issue_count == 1 and made.article_count > 0
    rows = [(a.who, a.action, a.target) for a in _audit("withdraw") + _audit("restore")]
    assert rows == [("op", "withdraw", f"issue {issue_id}"), ("op", "restore", f"issue {issue_id}")]
    add_user("root", "admin")
    login(client, "root")
    page = client.get("/system/audit").text
    # the target reads 第N号期次 (the row keeps "issue N")
    assert page.count(f"<td>第{issue_id}号期次</td>") == 2 and "撤回" in page and "恢复" in page


def test_withdraw_restore_and_audit_on_sqlite(client, settings):
    _withdraw_restore_and_audit(client, settings)


def test_withdraw_restore_and_audit_on_postgresql(postgres_url, var_dir, monkeypatch):
    from web.app import create_app
    from worker.core.db import get_engine, migrate
    from worker.core.settings import get_settings

    monkeypatch.setenv("BRIEFING_DATABASE_URL", postgres_url)
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
    migrate()
    try:
        assert get_engine().dialect.name == "postgresql"
        with TestClient(create_app()) as c:
            _withdraw_restore_and_audit(c, get_settings())
    finally:
        get_engine().dispose()


def test_possible_replacement_is_flagged_and_supersedes(client, settings):
    data = (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes()
    old = ingest_and_process(settings, "first.txt", data)
    new = ingest_and_process(settings, "corrected.txt", data + "\n更正：第2版一处数字有误。\n".encode("gb18030"))
    other = ingest_and_process(settings, "other.txt", HOSTILE_ISSUE)
    add_user("op", "operator")
    login(client, "op")
    page = client.get("/intake").text
    assert f"可能替换第 {old} 号" in page and f"可能替换第 {other} 号" not in page
    r = client.post(f"/issues/{new}/supersede", data={"csrf_token": token(client), "old": str(old)})
    assert r.status_code == 400 and "确认替换" in r.text  # asked again: no box ticked
    with session_scope() as s:
        assert s.get(Issue, old).status == "processed"
    r = client.post(f"/issues/{new}/supersede", data={"csrf_token": token(client), "old": str(old), "confirm": "on"})
    assert r.status_code == 200
    with session_scope() as s:
        o = s.get(Issue, old)
        assert (o.status, o.superseded_by) == ("withdrawn", new)
        assert s.get(Issue, new).status == "processed"
    assert "可能替换第" not in client.get("/intake").text


def test_briefing_list_and_docx_download(client, settings):
    from datetime import date

    from worker.briefing.build import make_briefing

    ingest_and_process(settings, "2024-12-24_zjgrrb.txt", (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes())
    with session_scope() as s:
        b = make_briefing(s, "daily", date(2024, 12, 24), pdf=False)
    add_user("ed", "editor")
    login(client, "ed")
    page = client.get("/briefings?kind=daily").text
    assert "2024 年第 " in page and f"/briefings/{b.id}/docx" in page
    r = client.get(f"/briefings/{b.id}/docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert r.headers["content-disposition"].startswith(f'attachment; filename="briefing-{b.id}.docx"; filename*=UTF-8')
    import io

    import docx

    assert "简报" in "".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)


def test_web_command_refuses_to_start_without_an_account(settings):
    from typer.testing import CliRunner

    from worker.ops.cli import app

    r = CliRunner().invoke(app, ["web"])
    assert r.exit_code == 2 and "briefing user add NAME --role admin" in r.output


def test_user_commands_prompt_for_the_password_and_are_audited(settings):
    from typer.testing import CliRunner

    from worker.ops.accounts import authenticate
    from worker.ops.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["user", "add", "zhang", "--role", "admin", "--signer", "--email", "z@example.org"],
                      input="first password\nfirst password\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["user", "add", "li", "--role", "boss", "--email", "l@example.org"],
                      input=("x" * 9 + "\n") * 2)
    assert r.exit_code == 2 and "role must be one of operator, editor, admin" in r.output
    r = runner.invoke(app, ["user", "passwd", "zhang"], input="second password\nsecond password\n")
    assert r.exit_code == 0
    with session_scope() as s:
        assert authenticate(s, "zhang", "first password") is None
        assert authenticate(s, "zhang", "second password").signer
    assert runner.invoke(app, ["user", "disable", "zhang"]).exit_code == 0
    with session_scope() as s:
        assert authenticate(s, "zhang", "second password") is None
    assert [a.action for a in _audit("user_add") + _audit("user_passwd") + _audit("user_disable")] == [
        "user_add", "user_passwd", "user_disable"]


def test_refused_file_retry_goes_through_the_inbox_worker(settings, monkeypatch, celery_worker_thread):
    from conftest import wait_for

    from web.app import create_app
    from worker.core.models import Receipt
    from worker.core.settings import get_settings

    monkeypatch.setenv("BRIEFING_MAX_FILE_BYTES", "100")
    get_settings.cache_clear()
    (get_settings().inbox_dir / "<b>big<b>.txt").write_bytes(HOSTILE_ISSUE)
    from webhelp import LATER

    from worker.intake import inbox

    [receipt_id] = inbox.scan(session_scope, get_settings(), LATER).receipts
    add_user("op", "operator")
    with TestClient(create_app()) as c:
        login(c, "op")
        page = c.get("/intake").text
        assert "拒收的文件" in page and "&lt;b&gt;big&lt;b&gt;.txt" in page
        monkeypatch.setenv("BRIEFING_MAX_FILE_BYTES", "100000")  # the cause is fixed
        get_settings.cache_clear()
        r = c.post(f"/receipts/{receipt_id}/retry", data={"csrf_token": token(c, "/intake")})
        assert "已请收件程序重新收取" in r.text

        def accepted():
            with session_scope() as s:
                return s.exec(select(Receipt).where(Receipt.outcome == "accepted")).first()

        new = wait_for(accepted, timeout=60)
        assert new.file_name == "<b>big<b>.txt" and new.id != receipt_id
        with session_scope() as s:
            assert s.get(Receipt, receipt_id).stored_path is None  # retried once, no second button
        assert not list(get_settings().failed_dir.glob("*big*"))
        assert [a.target for a in _audit("retry")] == [f"receipt {receipt_id}"]
        assert "拒收的文件" not in c.get("/intake").text


@pytest.mark.slow
def test_briefing_pdf_download_and_page_previews(client, settings):
    from datetime import date

    from conftest import service_missing

    from worker.briefing.build import make_briefing
    from worker.briefing.delivery import soffice_binary

    if soffice_binary() is None or shutil.which("pdftoppm") is None:
        service_missing("LibreOffice (soffice) and poppler (pdftoppm)")
    ingest_and_process(settings, "2024-12-24_zjgrrb.txt", (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes())
    with session_scope() as s:
        b = make_briefing(s, "daily", date(2024, 12, 24), pdf=False)
    add_user("ed", "editor")
    login(client, "ed")
    page = client.get(f"/briefings/{b.id}").text
    assert f'src="/briefings/{b.id}/preview/1.png"' in page and "alt=\"第 2 页\"" in page
    png = client.get(f"/briefings/{b.id}/preview/1.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = client.get(f"/briefings/{b.id}/pdf")
    assert pdf.content[:5] == b"%PDF-" and pdf.headers["content-disposition"].startswith("attachment;")
    assert client.get(f"/briefings/{b.id}/preview/99.png").status_code == 404
