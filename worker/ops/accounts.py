"""Console accounts: create, change password, disable, authenticate. Passwords are hashed with
argon2id (argon2-cffi's ``PasswordHasher`` defaults, RFC 9106); nothing stores or prints them."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session, select

from worker.core.models import User, utcnow

ROLES = ("operator", "editor", "admin")
ROLE_LABELS = {"operator": "收件员", "editor": "编辑", "admin": "管理员"}
MIN_PASSWORD_CHARS = 8

_hasher = PasswordHasher()
# verified against when the name is unknown, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")


def add_user(session: Session, name: str, role: str, email: str, password: str, signer: bool = False) -> User:
    """Create an active account. Raises ValueError for an unknown role, an empty or taken name, a
    missing e-mail address or a password shorter than :data:`MIN_PASSWORD_CHARS`."""
    name = name.strip()
    if not name:
        raise ValueError("the name is empty")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email:
        raise ValueError(f"not an e-mail address: {email!r}")
    _check_password(password)
    if get_user(session, name) is not None:
        raise ValueError(f"user {name!r} exists already")
    user = User(name=name, role=role, email=email.strip(), signer=signer, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> User | None:
    """The account called ``name`` (active or not), or None."""
    return session.exec(select(User).where(User.name == name)).first()


def set_password(session: Session, name: str, password: str) -> User:
    """Replace ``name``'s password (its open console sessions end: they carry the old change time).
    Raises LookupError for an unknown name, ValueError for a short password."""
    _check_password(password)
    user = get_user(session, name)
    if user is None:
        raise LookupError(f"no user {name!r}")
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = utcnow()
    user.session_epoch += 1
    session.add(user)
    session.flush()
    return user


def set_active(session: Session, name: str, active: bool) -> User:
    """Disable (``active=False``: cannot log in, open sessions end for good) or re-enable an
    account (sessions ended before stay ended). Raises LookupError for an unknown name."""
    user = get_user(session, name)
    if user is None:
        raise LookupError(f"no user {name!r}")
    if not active:
        user.session_epoch += 1
    user.active = active
    session.add(user)
    session.flush()
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """End every open console session of the account ``user_id`` (logout): raise its
    ``session_epoch``, which each session carries and each request compares. Unknown ids are ignored."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_epoch += 1
        session.add(user)
        session.flush()


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active account when ``password`` is right, else None. Upgrades the stored hash when
    the hasher's parameters changed since it was made."""
    user = get_user(session, name)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.add(user)
    return user


def active_user_count(session: Session) -> int:
    """How many accounts can log in."""
    return session.exec(select(func.count()).select_from(User).where(User.active == True)).one()  # noqa: E712
