"""Sessions, logins, roles and CSRF for the console.

* Session: Starlette's signed cookie (itsdangerous), HttpOnly, SameSite=Lax, Secure when
  ``BRIEFING_WEB_SECURE_COOKIES`` is set or the request came over https (behind a proxy that sends
  X-Forwarded-Proto, which uvicorn believes from ``BRIEFING_WEB_FORWARDED_ALLOW_IPS``).
* Secret: ``BRIEFING_WEB_SECRET``, else ``var/web-secret`` generated once with mode 0600.
* CSRF: synchronizer token kept in the signed session, sent in every form as ``csrf_token``
  (or the ``X-CSRF-Token`` header), compared in constant time.
* A session holds the account id and the account's ``session_epoch``; logout, a new password and
  disabling raise the epoch (re-enabling does not lower it), so every cookie issued before is
  refused even if someone kept a copy. Logout therefore ends all of that account's sessions.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from fastapi import Request
from markupsafe import Markup, escape
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from worker.core.db import session_scope
from worker.core.models import User
from worker.core.settings import Settings

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "briefing_session"


class LoginRequired(Exception):
    """No valid session: the handler answers with a redirect to the login page."""


class Forbidden(Exception):
    """Logged in, but the role may not do this (403)."""


class CsrfFailed(Exception):
    """A form came without the session's CSRF token (403)."""


def session_secret(settings: Settings) -> str:
    """``BRIEFING_WEB_SECRET``, or the secret in ``var/web-secret``, created (mode 0600, 32
    random bytes as hex) on first use. The file is created with O_EXCL so two starting processes
    cannot write different secrets."""
    if settings.web_secret is not None:
        return settings.web_secret.get_secret_value()
    path = Path(settings.var_dir) / "web-secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()


class SessionByScheme:
    """Starlette's SessionMiddleware, with the Secure flag on for https requests (and for every
    request when ``force_secure``)."""

    def __init__(self, app: ASGIApp, secret: str, max_age: int, force_secure: bool):
        common = dict(secret_key=secret, session_cookie=SESSION_COOKIE, max_age=max_age, same_site="lax")
        self.plain = SessionMiddleware(app, https_only=force_secure, **common)
        self.secure = SessionMiddleware(app, https_only=True, **common)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        https = scope.get("scheme") in ("https", "wss")
        await (self.secure if https else self.plain)(scope, receive, send)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_input(request: Request) -> Markup:
    """The hidden form field carrying the CSRF token (for templates)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(csrf_token(request)))


def check_csrf(request: Request, sent: str | None) -> None:
    """Raise CsrfFailed unless ``sent`` (form field or header) equals the session's token."""
    expected = request.session.get("csrf")
    sent = sent or request.headers.get(CSRF_HEADER)
    if not expected or not sent or not hmac.compare_digest(str(sent), expected):
        raise CsrfFailed()


async def checked_form(request: Request):
    """FastAPI dependency for POST handlers: the parsed form, after the CSRF check."""
    form = await request.form(max_files=0, max_fields=50)
    check_csrf(request, form.get(CSRF_FIELD))
    return form


def login_session(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too: no fixation across the login)."""
    request.session.clear()
    request.session.update(uid=user.id, sep=user.session_epoch, csrf=secrets.token_urlsafe(32))


def session_user(request: Request) -> User | None:
    """The logged-in, active account of this request, or None."""
    uid = request.session.get("uid")
    if uid is None:
        return None
    with session_scope() as s:
        user = s.get(User, uid)
    if user is None or not user.active or user.session_epoch != request.session.get("sep"):
        request.session.clear()
        return None
    return user


def current_user(request: Request) -> User:
    """FastAPI dependency: the logged-in account, else LoginRequired."""
    user = session_user(request)
    if user is None:
        raise LoginRequired()
    request.state.user = user
    return user


def require(*roles: str):
    """FastAPI dependency factory: the logged-in account when its role is one of ``roles``
    (an admin may do everything), else Forbidden."""

    def dependency(request: Request) -> User:
        user = current_user(request)
        if user.role != "admin" and user.role not in roles:
            raise Forbidden()
        return user

    return dependency


def client_ip(request: Request) -> str | None:
    """The client's address (uvicorn sets it from X-Forwarded-For for trusted proxies)."""
    return request.client.host if request.client else None
