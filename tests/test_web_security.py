"""Defects found by an adversarial test of the console and the account commands: sessions that
outlive logout and disable, login throttling that could be abused, huge ids that crashed pages
and commands, and account names that were never checked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner
from webhelp import PASSWORD, add_user, login, token

from worker.core.db import session_scope
from worker.core.models import AuditLog, User

HUGE = str(2**64 + 7)


@pytest.fixture
def app(settings):
    from web.app import create_app

    return create_app()


def _client(app, host: str = "testclient") -> TestClient:
    return TestClient(app, base_url="http://testserver", client=(host, 50000))


def _with_cookie(app, cookie: str) -> TestClient:
    c = _client(app)
    c.cookies.set("briefing_session", cookie)
    return c


# 1. sessions end for real -------------------------------------------------------------------------

def test_a_copied_cookie_is_dead_after_logout(app):
    add_user("wang", "operator")
    with _client(app) as c:
        assert login(c, "wang").status_code == 303
        copied = c.cookies.get("briefing_session")
        c.post("/logout", data={"csrf_token": token(c, "/intake")})
    with _with_cookie(app, copied) as thief:
        r = thief.get("/intake", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_disable_then_enable_does_not_revive_old_or_logged_out_cookies(app):
    from worker.ops.cli import app as cli

    add_user("victim", "operator")
    with _client(app) as c:
        login(c, "victim")
        logged_out = c.cookies.get("briefing_session")
        c.post("/logout", data={"csrf_token": token(c, "/intake")})
    with _client(app) as c:
        login(c, "victim")
        still_open = c.cookies.get("briefing_session")
    runner = CliRunner()
    assert runner.invoke(cli, ["user", "disable", "victim"]).exit_code == 0
    assert runner.invoke(cli, ["user", "disable", "victim", "--enable"]).exit_code == 0
    for cookie in (logged_out, still_open):
        with _with_cookie(app, cookie) as c:
            assert c.get("/intake", follow_redirects=False).status_code == 303
    with _client(app) as c:  # the account itself works again, with a fresh login
        assert login(c, "victim").status_code == 303
        assert c.get("/intake").status_code == 200


def test_logout_ends_the_users_other_sessions_too(app):
    add_user("wang", "operator")
    with _client(app) as phone, _client(app) as desk:
        login(phone, "wang")
        login(desk, "wang")
        desk.post("/logout", data={"csrf_token": token(desk, "/intake")})
        assert phone.get("/intake", follow_redirects=False).status_code == 303


# 2. login throttling ------------------------------------------------------------------------------

def _age_real_failures(minutes: int) -> None:
    """Move the real password failures back in time, as if ``minutes`` had passed since."""
    with session_scope() as s:
        for row in s.exec(select(AuditLog).where(AuditLog.action == "login_failed", AuditLog.target.is_(None))):
            row.at = row.at - timedelta(minutes=minutes)
            s.add(row)


def test_attempts_while_locked_do_not_extend_the_lock(app):
    add_user("wang", "operator")
    with _client(app) as c:
        for _ in range(5):
            assert login(c, "wang", "wrong password").status_code == 401
        for _ in range(10):  # hammering the locked account
            r = login(c, "wang")
            assert r.status_code == 401 and "15 分钟" in r.text
        _age_real_failures(16)
        assert login(c, "wang").status_code == 303


def test_one_names_failures_lock_only_that_name_from_that_address(app):
    add_user("adm", "admin")
    add_user("wang", "operator")
    with _client(app, "10.0.0.9") as attacker:
        for _ in range(5):
            login(attacker, "adm", "wrong password")
        assert login(attacker, "adm").status_code == 401  # locked for this pair
        # a colleague behind the same NAT logs in under their own name
        assert login(attacker, "wang").status_code == 303
    with _client(app, "10.0.0.1") as office:  # the admin from elsewhere is not locked out
        assert login(office, "adm").status_code == 303


def test_an_address_spraying_many_names_is_locked(app):
    from worker.ops.audit import LOGIN_ADDRESS_LIMIT, LOGIN_FAILURE_LIMIT

    add_user("wang", "operator")
    assert LOGIN_ADDRESS_LIMIT > LOGIN_FAILURE_LIMIT
    with _client(app, "10.0.0.66") as c:
        for i in range(LOGIN_ADDRESS_LIMIT):
            login(c, f"guess{i}", "wrong password")
        r = login(c, "wang")
        assert r.status_code == 401 and "15 分钟" in r.text
    with _client(app, "10.0.0.1") as other:
        assert login(other, "wang").status_code == 303


def test_name_case_does_not_buy_more_attempts(app):
    add_user("wang", "operator")
    with _client(app) as c:
        for name in ("wang", "WANG", "Wang", "wAng", "waNg"):
            login(c, name, "wrong password")
        assert login(c, "wang").status_code == 401


# 3. huge ids --------------------------------------------------------------------------------------

GET_ROUTES = ["/issues/{}", "/articles/{}", "/briefings/{}", "/issues/{}/original", "/issues/{}/withdraw",
              "/issues/{}/supersede?old=1", "/issues/1/supersede?old={}", "/briefings/{}/docx",
              "/briefings/{}/pdf", "/briefings/{}/preview/1.png", "/briefings/1/preview/{}.png"]
POST_ROUTES = ["/issues/{}/withdraw", "/issues/{}/restore", "/issues/{}/retry", "/issues/{}/supersede",
               "/receipts/{}/retry", "/articles/{}/topic"]


@pytest.mark.parametrize("bad", [HUGE, "0", "-1"])
def test_out_of_range_ids_give_a_chinese_error_page_not_500(app, bad):
    add_user("root", "admin")
    with _client(app) as c:
        login(c, "root")
        csrf = token(c, "/intake")
        answers = [c.get(p.format(bad)) for p in GET_ROUTES]
        answers += [c.post(p.format(bad), data={"csrf_token": csrf, "topic": "x", "old": "1"}) for p in POST_ROUTES]
    for path, r in zip(GET_ROUTES + POST_ROUTES, answers, strict=True):
        assert r.status_code in (404, 422), (path, r.status_code)
        assert "text/html" in r.headers["content-type"] and "没有这个" in r.text, path


def test_a_huge_id_in_a_form_or_search_is_refused_in_chinese(app):
    add_user("root", "admin")
    with _client(app) as c:
        login(c, "root")
        csrf = token(c, "/intake")
        r = c.post("/issues/1/supersede", data={"csrf_token": csrf, "old": HUGE, "confirm": "on"})
        assert r.status_code == 400 and "期次号无效" in r.text
        r = c.get(f"/search?q=工会&issue={HUGE}&p={HUGE}")
        assert r.status_code in (200, 422) and "检索" in r.text


@pytest.mark.parametrize("args", [["withdraw", HUGE], ["restore", HUGE], ["retry", HUGE], ["article", HUGE],
                                  ["relabel", HUGE, "劳动保障"], ["withdraw", "0"]])
def test_cli_commands_refuse_out_of_range_ids(settings, args):
    from worker.ops.cli import app as cli

    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    assert not isinstance(r.exception, OverflowError) and "Traceback" not in r.output
    assert "Invalid value" in r.output


# 4. account names ---------------------------------------------------------------------------------

BAD_NAMES = ["a/b", "..", ".hidden", "%2F", "x\ny", "x" * 33, "x" * 5000, "<b>x</b>", "a b", "", "名字?"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_account_names_are_refused(settings, name):
    from worker.ops.accounts import add_user as add

    with session_scope() as s, pytest.raises(ValueError, match="账户名"):
        add(s, name, "operator", "x@example.org", PASSWORD)


@pytest.mark.parametrize("name", ["adm", "li.ming", "wang_2", "zhang-san", "张三", "x" * 32])
def test_good_account_names_are_accepted(settings, name):
    add_user(name, "operator")
    with session_scope() as s:
        assert s.exec(select(User).where(User.name == name)).one().active


def test_names_are_unique_ignoring_case(settings):
    from worker.ops.accounts import add_user as add

    add_user("adm", "admin")
    with session_scope() as s, pytest.raises(ValueError, match="已存在"):
        add(s, "ADM", "operator", "x@example.org", PASSWORD)


def test_console_refuses_bad_names_in_chinese(app):
    add_user("root", "admin")
    with _client(app) as c:
        login(c, "root")
        csrf = token(c, "/system")
        for name in ("a/b", "..", "<b>x</b>", "ROOT"):
            r = c.post("/system/users", data={"csrf_token": csrf, "name": name, "role": "operator",
                                              "email": "x@example.org", "password": "a long password"})
            assert r.status_code == 200 and "未创建" in r.text, name
    with session_scope() as s:
        assert [u.name for u in s.exec(select(User))] == ["root"]


def test_console_error_for_a_bad_name_is_chinese_and_escaped(app):
    add_user("root", "admin")
    with _client(app) as c:
        login(c, "root")
        csrf = token(c, "/system")
        r = c.post("/system/users", data={"csrf_token": csrf, "name": "<b>x</b>", "role": "operator",
                                          "email": "x@example.org", "password": "a long password"})
        assert "账户名只能" in r.text and "<b>x</b>" not in r.text


def test_cli_refuses_bad_names_in_chinese(settings):
    from worker.ops.cli import app as cli

    r = CliRunner().invoke(cli, ["user", "add", "a/b", "--role", "operator", "--email", "a@example.org"],
                           input=(PASSWORD + "\n") * 2)
    assert r.exit_code == 2 and "账户名只能" in r.output, r.output
    with session_scope() as s:
        assert s.exec(select(User)).all() == []
