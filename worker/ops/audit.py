"""The audit log: who did what and when (console actions and account commands).

Rows are added to the caller's session, so an action and its audit row commit together.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from worker.core.models import AuditLog, utcnow

#: Login throttling: this many failed logins for one name or from one address within the window
#: lock further attempts until the window has passed (OWASP authentication cheat sheet: throttle
#: per account and per source).
LOGIN_FAILURE_LIMIT = 5
LOGIN_WINDOW = timedelta(minutes=15)


def record(session: Session, who: str, action: str, target: str | None = None,
           detail: str | None = None, ip: str | None = None) -> AuditLog:
    """Add one :class:`AuditLog` row (flushed, not committed) and return it. ``action`` is one of
    the names listed on :class:`AuditLog`; ``detail`` is cut to 500 characters."""
    row = AuditLog(who=who, action=action, target=target, detail=(detail or None) and detail[:500], ip=ip)
    session.add(row)
    session.flush()
    return row


def login_locked(session: Session, name: str, ip: str | None) -> bool:
    """True when ``name`` or ``ip`` had :data:`LOGIN_FAILURE_LIMIT` failed logins within
    :data:`LOGIN_WINDOW` (counted from the ``login_failed`` audit rows)."""
    since = utcnow() - LOGIN_WINDOW
    who_or_ip = AuditLog.who == name if ip is None else or_(AuditLog.who == name, AuditLog.ip == ip)
    failures = session.exec(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "login_failed", AuditLog.at >= since, who_or_ip)).one()
    return failures >= LOGIN_FAILURE_LIMIT


def recent(session: Session, limit: int = 200) -> list[AuditLog]:
    """The newest ``limit`` audit rows, newest first."""
    return list(session.exec(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)))
