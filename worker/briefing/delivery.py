"""Getting briefings out: outbox file names, atomic writes, PDF via LibreOffice, e-mail (SMTP).

The .docx in the outbox is the record of a briefing and is never deleted here; e-mail failures
raise so the caller (a Celery task with autoretry and exponential backoff) can retry.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import smtplib
import ssl
import subprocess
import tempfile
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from worker.core.settings import check_smtp_security

if TYPE_CHECKING:  # pragma: no cover
    from sqlmodel import Session

    from worker.core.models import Briefing, Delivery

log = logging.getLogger(__name__)

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TIMEOUT_S = 180

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def outbox_name(title: str, kind: str, kind_label: str, year: int, number: int,
                period_start: date, period_end: date, version: int = 1, ext: str = "docx") -> str:
    """File name of a briefing in the outbox.

    ``工会信息简报-日报-2024年第52期-2024-12-24.docx``; weekly carries the range
    ``…-周报-2024年第52期-2024-12-23至2024-12-29.docx``; monthly the month ``…-2024-12.docx``;
    version > 1 adds ``-v2``. Characters not allowed in Windows file names are replaced by ``_``.
    """
    if kind == "monthly":
        when = f"{period_start:%Y-%m}"
    elif kind == "daily" or period_start == period_end:
        when = period_start.isoformat()
    else:
        when = f"{period_start.isoformat()}至{period_end.isoformat()}"
    name = f"{title}-{kind_label}-{year}年第{number}期-{when}"
    if version > 1:
        name += f"-v{version}"
    return _UNSAFE.sub("_", name) + f".{ext}"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _pdf_fontconfig() -> Path:
    """``templates/fonts/fonts.conf``: maps the GB/T 9704 font names in the .docx to free CJK faces
    for LibreOffice (see that file)."""
    from worker.core.settings import get_settings

    return get_settings().templates_dir / "fonts" / "fonts.conf"


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temp file in the same folder, fsync, then
    ``os.replace`` (readers see the old file or the complete new one, never a partial one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outbox readers need the umask's mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def soffice_binary() -> str | None:
    """Path of LibreOffice's ``soffice`` (or ``libreoffice``) if installed, else None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


#: Writer's PDF export keeping the blank page a reader inserts before an even-page section (the
#: 版记 page, GB/T 9704-2012 §7.5): by default LibreOffice leaves such pages out, and a duplex
#: print would put the 版记 on an odd page.
PDF_FILTER = 'pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}'


class PdfConversionError(RuntimeError):
    """LibreOffice ran but produced no PDF (message has its exit code and output)."""


def convert_to_pdf(docx_path: Path, *, timeout: float = PDF_TIMEOUT_S) -> Path | None:
    """Convert a .docx to a PDF next to it (same stem) with LibreOffice headless.

    Returns the PDF path, or ``None`` when LibreOffice is not installed. Each call uses a private
    user profile (``-env:UserInstallation=file:///tmp/…``) so concurrent conversions don't
    collide, converts into a temp folder and moves the result in atomically. Raises
    :class:`PdfConversionError` if no PDF came out and ``subprocess.TimeoutExpired`` after
    ``timeout`` seconds.
    """
    exe = soffice_binary()
    if exe is None:
        return None
    docx_path = Path(docx_path).resolve()
    with tempfile.TemporaryDirectory(prefix="briefing-lo-") as tmp:
        profile = Path(tmp) / "profile"
        outdir = Path(tmp) / "out"
        outdir.mkdir()
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", PDF_FILTER, "--outdir", str(outdir), str(docx_path)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HOME": tmp, "FONTCONFIG_FILE": str(_pdf_fontconfig())})
        produced = outdir / (docx_path.stem + ".pdf")
        if not produced.is_file() or produced.stat().st_size == 0:
            raise PdfConversionError(
                f"LibreOffice produced no PDF for {docx_path.name} (exit {proc.returncode}): "
                f"{(proc.stdout + proc.stderr).strip()[-500:]}")
        target = docx_path.with_suffix(".pdf")
        tmp_target = target.with_name(f".tmp-{os.getpid()}-{target.name}")
        shutil.copyfile(produced, tmp_target)
        os.replace(tmp_target, target)
    return target


# ---------------------------------------------------------------------------------------------
# E-mail


def build_message(briefing: Briefing, sender: str, recipients: list[str], *, var_dir: Path,
                  title: str | None = None, kind_label: str | None = None) -> EmailMessage:
    """The e-mail for a briefing: plain-text body, the .docx attached (MIME type
    ``application/vnd.openxmlformats-officedocument.wordprocessingml.document``) and the PDF
    too if one exists next to it; ``var_dir`` resolves ``briefing.file_path`` (see
    :meth:`Briefing.path_in`). Raises ``FileNotFoundError`` if the .docx is missing."""
    if not briefing.file_path:
        raise FileNotFoundError(f"briefing {briefing.id} has no file")
    path = briefing.path_in(var_dir)
    data = path.read_bytes()
    if kind_label is None:
        from worker.briefing.periods import kind_label as _label

        kind_label = _label(briefing.kind)
    title = title or path.name.split("-", 1)[0]
    subject = f"{title}（{kind_label}）{briefing.year}年第{briefing.number}期"
    if briefing.version > 1:  # a correction after sending (issue 19); 版 is a newspaper page
        subject += "（修订稿）"
    if briefing.signed_by:
        subject += f" 签发人：{briefing.signed_by}"
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "localhost")
    period = (briefing.period_start.isoformat() if briefing.period_start == briefing.period_end
              else f"{briefing.period_start.isoformat()} 至 {briefing.period_end.isoformat()}")
    msg.set_content(
        f"{subject}\n期间：{period}\n收录报纸 {briefing.issue_count} 期，文章 {briefing.article_count} 篇。\n"
        f"简报见附件（{path.name}）。\n")
    maintype, subtype = DOCX_MIME.split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    pdf = path.with_suffix(".pdf")
    if pdf.is_file():
        msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    return msg


def _smtp_send(settings, msg: EmailMessage, recipients: list[str], timeout: float) -> None:
    host = settings.smtp_host
    if not host:
        raise RuntimeError("e-mail not configured: BRIEFING_SMTP_HOST is empty")
    check_smtp_security(settings)  # before connecting: never a password in clear unless allowed
    security = (settings.smtp_security or "starttls").lower()
    port = int(settings.smtp_port)
    context = ssl.create_default_context()
    if security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        smtp.ehlo()
        if security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
        refused = smtp.send_message(msg, from_addr=settings.smtp_sender, to_addrs=recipients)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)


def send_notice(settings, msg: EmailMessage, recipients: list[str], timeout: float = 60.0) -> None:
    """Send a short notice (e.g. to editors: a draft waits) through the configured SMTP server;
    sets From, To and Date. Raises like :func:`deliver_email`."""
    msg["From"] = settings.smtp_sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    _smtp_send(settings, msg, recipients, timeout)


def record_delivery_attempt(session: Session, briefing: Briefing, recipients: list[str], *,
                            ok: bool, error: str | None = None, channel: str = "email") -> Delivery:
    """Record one delivery attempt: the Delivery row of (briefing, channel) is created on the first
    attempt and updated after (``attempts`` +1, ``status`` sent|failed, ``error``, ``sent_at``
    naive UTC like every timestamp column). Commits the session."""
    from sqlmodel import select

    from worker.core.models import Delivery, utcnow

    row = session.exec(select(Delivery).where(Delivery.briefing_id == briefing.id,
                                              Delivery.channel == channel)).first()
    if row is None:
        row = Delivery(briefing_id=briefing.id, channel=channel)
    row.recipients = list(recipients)
    row.attempts = (row.attempts or 0) + 1
    if ok:
        row.status, row.error, row.sent_at = "sent", None, utcnow()
    else:
        row.status, row.error = "failed", (error or "")[:2000]
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def deliver_email(briefing: Briefing, settings, recipients: list[str], *,
                  session: Session | None = None, timeout: float = 60.0) -> None:
    """E-mail ``briefing`` (its .docx attached, and its PDF if present) to ``recipients``.

    SMTP per settings: ``smtp_host``, ``smtp_port``, ``smtp_security`` (starttls | ssl | none),
    optional ``smtp_user``/``smtp_password`` (SecretStr) login, ``smtp_sender``. With ``session``
    each call is recorded via :func:`record_delivery_attempt`. No recipients → nothing is sent
    (logged). Raises on any failure (``smtplib.SMTPException``, ``OSError``, ``RuntimeError`` if
    SMTP is not configured) after recording it; the .docx is never deleted.
    """
    recipients = [r.strip() for r in recipients if r and r.strip()]
    if not recipients:
        log.info("briefing %s: no e-mail recipients configured; not sent", briefing.id)
        return
    try:
        msg = build_message(briefing, settings.smtp_sender, recipients, var_dir=settings.var_dir)
        _smtp_send(settings, msg, recipients, timeout)
    except Exception as exc:
        if session is not None:
            record_delivery_attempt(session, briefing, recipients, ok=False,
                                    error=f"{type(exc).__name__}: {exc}")
        raise
    if session is not None:
        record_delivery_attempt(session, briefing, recipients, ok=True)
    log.info("briefing %s e-mailed to %d recipient(s)", briefing.id, len(recipients))


def deliver(briefing_id: int, settings=None, config: dict | None = None) -> str:
    """Deliver one made briefing by e-mail to the recipients of its kind (``config/briefing.yaml``).

    Returns a short status for the task history. Raises on an SMTP/network failure after recording
    the attempt in the Delivery table (the Celery task retries with backoff); the .docx stays in
    outbox/ whatever happens. Without ``BRIEFING_SMTP_HOST`` or recipients nothing is sent.
    """
    from worker.briefing.config import load_briefing_config, recipients_for
    from worker.core.db import session_scope
    from worker.core.models import Briefing
    from worker.core.settings import get_settings

    settings = settings or get_settings()
    with session_scope() as session:
        briefing = session.get(Briefing, briefing_id)
        if briefing is None or briefing.status != "made" or not briefing.file_path:
            return "nothing to deliver"
        cfg = config or load_briefing_config()
        if cfg.get("approval", "required") == "required" and not briefing.signed_by:
            return "not signed off (签发); under approval: required nothing is sent unsigned"
        recipients = recipients_for(briefing.kind, cfg)
        if not recipients:
            return "no e-mail recipients configured; the briefing stays in outbox/"
        if not settings.smtp_host:
            return "SMTP not configured (BRIEFING_SMTP_HOST); the briefing stays in outbox/"
        deliver_email(briefing, settings, recipients, session=session)
        return f"e-mailed to {len(recipients)} recipient(s)"
