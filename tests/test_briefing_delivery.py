"""Delivery: outbox writes, e-mail through a real local SMTP server (aiosmtpd), Delivery rows,
and LibreOffice discovery. No mocks."""

from __future__ import annotations

import email
import os
import smtplib
import socket
import time
from datetime import date
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlmodel import Session, SQLModel, select

from bench.synthetic import synthetic_content
from worker.briefing.delivery import (
    DOCX_MIME,
    convert_to_pdf,
    deliver_email,
    outbox_name,
    soffice_binary,
    write_atomic,
)
from worker.briefing.render import render
from worker.core.db import make_engine
from worker.core.models import Briefing, Delivery
from worker.core.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collect:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                              or envelope.content))
        return "250 OK"


@pytest.fixture()
def smtp():
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture()
def made(tmp_path):
    """A Briefing row with a real rendered .docx in a temp outbox."""
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    SQLModel.metadata.create_all(engine)
    content = synthetic_content(5, "daily", start=date(2024, 12, 24))
    name = outbox_name("工会信息简报", "daily", "日报", 2024, 52, date(2024, 12, 24), date(2024, 12, 24))
    path = write_atomic(tmp_path / "outbox" / name, render(content))
    with Session(engine, expire_on_commit=False) as session:
        b = Briefing(kind="daily", period_start=date(2024, 12, 24), period_end=date(2024, 12, 24),
                     year=2024, number=52, file_path=str(path), issue_count=1, article_count=5)
        session.add(b)
        session.commit()
        session.refresh(b)
        yield session, b, path
    engine.dispose()


def test_outbox_name_and_atomic_write(tmp_path):
    assert outbox_name("工会信息简报", "daily", "日报", 2024, 52, date(2024, 12, 24),
                       date(2024, 12, 24)) == "工会信息简报-日报-2024年第52期-2024-12-24.docx"
    assert outbox_name("工会信息简报", "daily", "日报", 2024, 52, date(2024, 12, 24), date(2024, 12, 24),
                       version=2) == "工会信息简报-日报-2024年第52期-2024-12-24-v2.docx"
    assert outbox_name("a/b:c", "weekly", "周报", 2024, 1, date(2024, 12, 23), date(2024, 12, 29)) == \
        "a_b_c-周报-2024年第1期-2024-12-23至2024-12-29.docx"
    target = tmp_path / "out" / "x.docx"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["x.docx"]  # no temp files left
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600: others read the outbox


def test_email_delivers_attachment_byte_identical(smtp, made):
    handler, port = smtp
    session, briefing, path = made
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                        smtp_sender="briefing@union.test")
    recipients = ["leader@union.test", "office@union.test"]
    deliver_email(briefing, settings, recipients, session=session)
    deadline = time.monotonic() + 10
    while not handler.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(handler.messages) == 1
    mail_from, rcpts, raw = handler.messages[0]
    assert mail_from == "briefing@union.test" and sorted(rcpts) == sorted(recipients)
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert "2024年第52期" in msg["Subject"] and "日报" in msg["Subject"]
    atts = list(msg.iter_attachments())
    assert len(atts) == 1
    att = atts[0]
    assert att.get_content_type() == DOCX_MIME
    assert att.get_filename() == path.name
    assert att.get_payload(decode=True) == path.read_bytes()
    row = session.exec(select(Delivery).where(Delivery.briefing_id == briefing.id)).one()
    assert (row.status, row.attempts, row.error) == ("sent", 1, None) and row.sent_at is not None
    assert row.recipients == recipients


def test_email_failure_raises_and_is_recorded(made):
    session, briefing, path = made
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none")
    for attempt in (1, 2):
        with pytest.raises(OSError):
            deliver_email(briefing, settings, ["a@union.test"], session=session, timeout=5)
        row = session.exec(select(Delivery).where(Delivery.briefing_id == briefing.id)).one()
        assert row.status == "failed" and row.attempts == attempt and row.error
    assert path.is_file()  # the .docx is never deleted
    with pytest.raises(RuntimeError):
        deliver_email(briefing, Settings(smtp_host=None), ["a@union.test"])


def test_email_login_over_starttls_refused_without_tls(smtp, made):
    # aiosmtpd without TLS does not offer STARTTLS: the client must fail, not send in clear.
    handler, port = smtp
    session, briefing, _ = made
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="starttls",
                        smtp_user="u", smtp_password=SecretStr("p"))
    with pytest.raises(smtplib.SMTPNotSupportedError):
        deliver_email(briefing, settings, ["a@union.test"], session=session, timeout=5)
    assert handler.messages == []


def test_no_recipients_sends_nothing(smtp, made):
    handler, port = smtp
    session, briefing, _ = made
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    deliver_email(briefing, settings, [], session=session)
    assert handler.messages == []


def test_convert_to_pdf_none_without_libreoffice(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty PATH: no soffice
    assert soffice_binary() is None
    docx = write_atomic(tmp_path / "a.docx", render(synthetic_content(1, "daily")))
    assert convert_to_pdf(docx) is None
    assert not Path(docx).with_suffix(".pdf").exists()


def test_deliver_by_id_as_the_task_does(smtp, settings):
    """worker.briefing.delivery.deliver(briefing_id) — the body of the deliver_briefing task — on the
    configured database (it once failed with NameError: Briefing, so every delivery retried)."""
    from worker.briefing.config import load_briefing_config
    from worker.briefing.delivery import deliver
    from worker.core.db import session_scope

    handler, port = smtp
    path = write_atomic(settings.outbox_dir / "b.docx", render(synthetic_content(3, "daily")))
    with session_scope() as s:
        b = Briefing(kind="daily", period_start=date(2024, 12, 24), period_end=date(2024, 12, 24),
                     year=2024, number=1, file_path=str(path))
        s.add(b)
        s.flush()
        briefing_id = b.id
    config = {**load_briefing_config(), "email": {"daily": ["leader@union.test"]}}
    assert deliver(briefing_id, settings, config).startswith("SMTP not configured")
    assert "no e-mail recipients" in deliver(briefing_id, settings)
    with_smtp = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"})
    assert deliver(briefing_id, with_smtp, config) == "e-mailed to 1 recipient(s)"
    assert len(handler.messages) == 1
    with session_scope() as s:
        assert s.exec(select(Delivery).where(Delivery.briefing_id == briefing_id)).one().status == "sent"


class Logins(Collect):
    """aiosmtpd handler that also accepts one login (AUTH PLAIN/LOGIN) and remembers it."""

    def __init__(self):
        super().__init__()
        self.logins: list[tuple[bytes, bytes]] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)


@pytest.fixture()
def plaintext_auth_smtp():
    """An SMTP server offering AUTH without TLS (as a careless relay would)."""
    handler = Logins()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=handler.authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_login_without_tls_is_refused_unless_allowed_explicitly(plaintext_auth_smtp, made):
    # smtp_security none with a login sent the password in clear to any server that offered AUTH.
    from pydantic import ValidationError

    handler, port = plaintext_auth_smtp
    session, briefing, _ = made
    plain = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none", "smtp_user": "u",
             "smtp_password": SecretStr("p")}
    with pytest.raises(ValidationError, match="in clear"):
        Settings(**plain)
    with pytest.raises(ValidationError, match="smtp_security must be"):
        Settings(smtp_security="tls")
    # settings that skipped validation (model_copy) are refused again by delivery, before connecting
    unchecked = Settings().model_copy(update=plain)
    with pytest.raises(ValueError, match="in clear"):
        deliver_email(briefing, unchecked, ["a@union.test"], session=session, timeout=5)
    assert handler.logins == [] and handler.messages == []
    row = session.exec(select(Delivery).where(Delivery.briefing_id == briefing.id)).one()
    assert row.status == "failed" and "in clear" in row.error
    # explicitly allowed (a relay on a trusted network): the login and the message go through
    deliver_email(briefing, Settings(**plain, smtp_allow_plaintext_login=True), ["a@union.test"],
                  session=session, timeout=5)
    assert handler.logins == [(b"u", b"p")] and len(handler.messages) == 1
