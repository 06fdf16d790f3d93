"""Console accounts: create, change password, disable, authenticate. Passwords are hashed with
argon2id (argon2-cffi's ``PasswordHasher`` defaults, RFC 9106); nothing stores or prints them."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func
from sqlmodel import Session, select

from worker.core.models import User, utcnow

ROLES = ("operator", "editor", "admin")
ROLE_LABELS = {"operator": "收件员", "editor": "编辑", "admin": "管理员"}
MIN_PASSWORD_CHARS = 8
MAX_NAME_CHARS = 32
NAME_RULE = (f"账户名只能由 1–{MAX_NAME_CHARS} 个字母（含汉字）、数字、“.”、“_”、“-”组成，"
             "不能以“.”或“-”开头")

_hasher = PasswordHasher()
# verified against when the name is unknown, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")


def check_name(name: str) -> str:
    """``name`` as an account will be called: surrounding blanks removed, Unicode NFKC-normalised
    (full-width ``ＡＤＭ`` is ``ADM``). Raises ValueError (:data:`NAME_RULE`, in Chinese) unless it
    is 1–:data:`MAX_NAME_CHARS` characters of letters (any script, CJK included), ASCII digits,
    ``.``, ``_`` and ``-``, not starting with ``.`` (no ``..``, no hidden-file look) or ``-`` (it
    would read as an option to ``briefing user``). The one place account names are checked: the
    console and the CLI both come here; names are safe in a URL path segment and a log line."""
    name = unicodedata.normalize("NFKC", name.strip())
    ok = 1 <= len(name) <= MAX_NAME_CHARS and name[0] not in ".-" and all(
        c.isalpha() or (c.isascii() and c.isdigit()) or c in "._-" for c in name)
    if not ok:
        raise ValueError(NAME_RULE)
    return name


def name_taken(session: Session, name: str) -> str | None:
    """The existing account name equal to ``name`` ignoring case (``ADM`` takes ``adm``), or None."""
    wanted = name.casefold()
    return next((n for n in session.exec(select(User.name)) if n.casefold() == wanted), None)


def add_user(session: Session, name: str, role: str, email: str, password: str, signer: bool = False) -> User:
    """Create an active account. Raises ValueError (message in Chinese for the name) for a name
    :func:`check_name` refuses or one taken ignoring case, an unknown role, a missing e-mail
    address or a password shorter than :data:`MIN_PASSWORD_CHARS`."""
    name = check_name(name)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email:
        raise ValueError(f"not an e-mail address: {email!r}")
    _check_password(password)
    taken = name_taken(session, name)
    if taken is not None:
        raise ValueError(f"账户名 {name} 已存在（与 {taken} 只差大小写或相同）")
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
