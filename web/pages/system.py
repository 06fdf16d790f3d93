"""系统 (admin): health of database, broker, workers, beat and watcher; queue lengths; task
history; accounts (add, disable, enable); the audit log; a link to Flower."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlmodel import select

from web.security import checked_form, client_ip, require
from web.templating import flash, render
from worker.core.db import schema_problem, session_scope
from worker.core.models import ServiceMeta, TaskEvent, User, utcnow
from worker.core.settings import get_settings
from worker.ops import audit
from worker.ops.accounts import ROLES, add_user, set_active
from worker.ops.status import beat_alive, queue_lengths, workers_alive

NAV = ("系统", "/system", ("admin",))
router = APIRouter()
admin = require("admin")
WATCHER_STALE_S = 90


def _health() -> dict:
    """Each part's state, as the status command sees it (slow calls: run in a thread)."""
    with session_scope() as s:
        beat = s.get(ServiceMeta, "heartbeat:watcher")
    age = (utcnow() - datetime.fromisoformat(beat.value)).total_seconds() if beat else None
    return {"db": schema_problem(), "queues": queue_lengths(), "workers": workers_alive(timeout=1.0),
            "beat": beat_alive(), "watcher_age": age, "watcher_stale": age is None or age > WATCHER_STALE_S}


@router.get("/system")
async def system(request: Request, user=Depends(admin)):
    health = await run_in_threadpool(_health)
    with session_scope() as s:
        events = s.exec(select(TaskEvent).order_by(TaskEvent.id.desc()).limit(40)).all()
        users = s.exec(select(User).order_by(User.name)).all()
        log = audit.recent(s, 100)
    return render(request, "system.html", title="系统", health=health, events=events, users=users, log=log,
                  roles=ROLES, flower_url=get_settings().flower_url)


@router.get("/system/audit")
def audit_page(request: Request, user=Depends(admin)):
    with session_scope() as s:
        log = audit.recent(s, 1000)
    return render(request, "audit.html", title="审计日志", log=log)


@router.post("/system/users")
def create_user(request: Request, user=Depends(admin), form=Depends(checked_form)):
    name = str(form.get("name", ""))
    role = str(form.get("role", ""))
    try:
        with session_scope() as s:
            name = add_user(s, name, role, str(form.get("email", "")), str(form.get("password", "")),
                            signer=form.get("signer") == "on").name  # as stored (trimmed, NFKC)
            audit.record(s, user.name, "user_add", f"user {name}", f"role {role}", ip=client_ip(request))
    except ValueError as exc:
        flash(request, f"未创建：{exc}")
    else:
        flash(request, f"已创建账户 {name}。")
    return RedirectResponse("/system#users", status_code=303)


@router.post("/system/users/{name}/active")
def toggle_user(request: Request, name: str, user=Depends(admin), form=Depends(checked_form)):
    active = form.get("active") == "1"
    if name == user.name and not active:
        flash(request, "不能停用自己的账户。")
        return RedirectResponse("/system#users", status_code=303)
    try:
        with session_scope() as s:
            set_active(s, name, active)
            audit.record(s, user.name, "user_enable" if active else "user_disable", f"user {name}",
                         ip=client_ip(request))
    except LookupError:
        flash(request, f"没有账户 {name}。")
    else:
        flash(request, f"账户 {name} 已{'启用' if active else '停用'}。")
    return RedirectResponse("/system#users", status_code=303)
