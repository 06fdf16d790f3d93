"""The audit log: who did what and when (console actions and account commands).

Rows are added to the caller's session, so an action and its audit row commit together.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from worker.core.models import AuditLog, utcnow

#: Login throttling (OWASP authentication cheat sheet): :data:`LOGIN_FAILURE_LIMIT` wrong passwords
#: for one name from one address within :data:`LOGIN_WINDOW` lock that pair, and
#: :data:`LOGIN_ADDRESS_LIMIT` wrong passwords from one address (any names) lock the address. Only
#: real password failures count (an attempt refused while locked is recorded with target
#: ``locked`` and does not count), so a lock ends at most :data:`LOGIN_WINDOW` after the last real
#: failure. Keyed on the pair, nobody can lock an account out from another address, and one
#: name's failures do not block the other people behind the same NAT.
LOGIN_FAILURE_LIMIT = 5
LOGIN_ADDRESS_LIMIT = 30
LOGIN_WINDOW = timedelta(minutes=15)
#: the ``target`` of a ``login_failed`` row for an attempt refused by the throttle
LOCKED = "locked"


def record(session: Session, who: str, action: str, target: str | None = None,
           detail: str | None = None, ip: str | None = None) -> AuditLog:
    """Add one :class:`AuditLog` row (flushed, not committed) and return it. ``action`` is one of
    the names listed on :class:`AuditLog`; ``detail`` is cut to 500 characters."""
    row = AuditLog(who=who, action=action, target=target, detail=(detail or None) and detail[:500], ip=ip)
    session.add(row)
    session.flush()
    return row


def login_locked(session: Session, name: str, ip: str | None) -> bool:
    """True when the pair (``name`` ignoring case, ``ip``) had :data:`LOGIN_FAILURE_LIMIT` wrong
    passwords within :data:`LOGIN_WINDOW`, or ``ip`` had :data:`LOGIN_ADDRESS_LIMIT` (counted from
    the ``login_failed`` audit rows, leaving out attempts refused while locked)."""

    def failures(*where) -> int:
        return session.exec(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "login_failed", AuditLog.at >= utcnow() - LOGIN_WINDOW,
            or_(AuditLog.target.is_(None), AuditLog.target != LOCKED), *where)).one()

    same_ip = AuditLog.ip.is_(None) if ip is None else AuditLog.ip == ip
    if failures(func.lower(AuditLog.who) == name.lower(), same_ip) >= LOGIN_FAILURE_LIMIT:
        return True
    return ip is not None and failures(same_ip) >= LOGIN_ADDRESS_LIMIT


def recent(session: Session, limit: int = 200) -> list[AuditLog]:
    """The newest ``limit`` audit rows, newest first."""
    return list(session.exec(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)))
