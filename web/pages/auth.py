"""Login, logout, the start page and /healthz (the only page without a login)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse

from web.security import (
    CSRF_FIELD,
    check_csrf,
    checked_form,
    client_ip,
    current_user,
    login_session,
    session_user,
)
from web.templating import render
from worker.core.db import schema_problem, session_scope
from worker.ops import audit
from worker.ops.accounts import authenticate, end_sessions

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz():
    """For load balancers and compose: 200 when the database answers at the newest schema."""
    problem = schema_problem()
    return JSONResponse({"ok": problem is None, "problem": problem}, status_code=200 if problem is None else 503)


def _safe_next(target: str | None) -> str:
    # only paths on this site: "//host" and "/\\host" would leave it
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/")
def home(request: Request, user=Depends(current_user)):
    return RedirectResponse("/issues" if user.role == "editor" else "/intake", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None):
    if session_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
async def login(request: Request):
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, form.get(CSRF_FIELD))
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/")))
    ip = client_ip(request)
    with session_scope() as s:
        if audit.login_locked(s, name, ip):
            error = "登录失败次数过多，请 15 分钟后再试。"
            user = None
            audit.record(s, name or "(空)", "login_failed", audit.LOCKED, ip=ip)  # not counted
        else:
            user = authenticate(s, name, password)
            error = None if user else "用户名或密码不正确，或账户已停用。"
            audit.record(s, name or "(空)", "login" if user else "login_failed", ip=ip)
    if user is None:
        return render(request, "login.html", 401, next=target, error=error, name=name)
    login_session(request, user)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, user=Depends(current_user), form=Depends(checked_form)):
    with session_scope() as s:
        end_sessions(s, user.id)  # copies of this cookie, and the account's other sessions, die too
        audit.record(s, user.name, "logout", ip=client_ip(request))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
