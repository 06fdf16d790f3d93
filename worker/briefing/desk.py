"""The briefing desk (简报台, issue 19): drafts wait for review and 签发 before anything reaches
leadership (``approval: required`` in ``config/briefing.yaml``).

* :func:`save_edits` stores editors' edits with optimistic concurrency (``Briefing.revision``);
  a stale save raises :class:`EditConflict` carrying the other editor's change and its own edits;
* :func:`refresh_draft` regenerates a draft's generated part after a late issue (arrived,
  re-processed, withdrawn) and records a notice: what changed and which edits no longer apply;
* :func:`sign_off` (签发, signer right only) numbers the draft in sign-off order per kind and
  year, renders .docx + PDF with the signer's name and the sign-off date on the masthead;
* :func:`discard`, :func:`open_correction` (a sent briefing's new draft version, sent as 修订稿);
* :func:`notify_editors` / :func:`remind_overdue` e-mail the editors (once when a draft waits,
  once more after ``remind_after_hours``).
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from worker.briefing import build
from worker.briefing.config import load_briefing_config
from worker.briefing.content import section_order
from worker.briefing.delivery import PdfConversionError, convert_to_pdf, send_notice, write_atomic
from worker.briefing.edits import apply_edits, describe_edits, diff_snapshots, normalise, snapshot, titles_of
from worker.briefing.periods import kind_label
from worker.briefing.render import BriefingContent, render
from worker.briefing.select import gather
from worker.core.models import Briefing, BriefingEdit, User, utcnow

log = logging.getLogger(__name__)

OPEN = ("draft",)


class EditConflict(Exception):
    """Another editor saved the draft since ``base`` revision. ``theirs`` lists their change
    (Chinese lines), ``who`` made it, ``current`` is the revision now; ``mine`` the edits this
    save carried (kept, so nothing is lost: merge and save again on ``current``)."""

    def __init__(self, base: int, current: int, who: str, theirs: list[str], mine: dict[str, Any]):
        super().__init__(f"草稿已被{who}修改（第{current}次保存），请核对后重新保存：" + "；".join(theirs))
        self.base, self.current, self.who, self.theirs, self.mine = base, current, who, theirs, mine


@dataclass
class Draft:
    """A draft as the desk shows it: the row, the content with the edits applied, the edits that
    no longer apply, and the change against the generated draft (Chinese lines)."""

    row: Briefing
    content: BriefingContent
    stale: list[str]
    changes: list[str]


def _settings_cfg(settings, config):
    if settings is None:
        from worker.core.settings import get_settings

        settings = get_settings()
    return settings, config or load_briefing_config(settings.config_dir)


def get_draft(session: Session, briefing_id: int) -> Briefing:
    """The briefing row; ``LookupError`` if there is none."""
    row = session.get(Briefing, briefing_id)
    if row is None:
        raise LookupError(f"no briefing {briefing_id}")
    return row


def list_drafts(session: Session) -> list[Briefing]:
    """Drafts waiting for 签发, oldest first."""
    return list(session.exec(select(Briefing).where(Briefing.status.in_(OPEN)).order_by(Briefing.created_at)))


def _generated(session: Session, row: Briefing, settings, cfg, *, made_on: date | None = None,
               edition: int | None = None) -> BriefingContent:
    data = gather(session, row.period_start, row.period_end, kind=row.kind, tz=str(build._tz(settings)))
    row.issue_count, row.article_count = data.issue_count, data.article_count
    return build.content_for(session, row, made_on or build.made_on_for(row, settings), cfg, settings,
                             data=data, edition=edition)


def view(session: Session, row: Briefing, *, settings=None, config=None) -> Draft:
    """The draft (or any briefing) with its stored edits applied to freshly generated content."""
    settings, cfg = _settings_cfg(settings, config)
    content = _generated(session, row, settings, cfg)
    stale = apply_edits(content, row.edits, section_order(cfg, settings.config_dir))
    return Draft(row, content, stale, diff_snapshots(row.generated or {}, snapshot(content)))


def save_edits(session: Session, briefing_id: int, edits: dict[str, Any], base_revision: int, who: str,
               *, settings=None, config=None) -> Draft:
    """Store ``edits`` (the whole edits dict, see :mod:`worker.briefing.edits`) on the draft if
    nobody saved since ``base_revision``; returns the draft as it now reads (``changes`` against
    the generated draft). Raises :class:`EditConflict` when another save came first (its change
    is in the error; nothing is stored), ``ValueError`` when the briefing is not a draft or the
    edits are malformed, ``LookupError`` for an unknown id. Commits."""
    edits = normalise(edits)
    row = get_draft(session, briefing_id)
    if row.status not in OPEN:
        raise ValueError(f"briefing {briefing_id} is not a draft (status {row.status})")
    done = session.execute(update(Briefing).where(
        Briefing.id == briefing_id, Briefing.revision == base_revision, Briefing.status.in_(OPEN)
    ).values(edits=edits, revision=base_revision + 1))
    if done.rowcount != 1:
        session.rollback()
        row = get_draft(session, briefing_id)
        session.refresh(row)
        history = {e.revision: e for e in session.exec(select(BriefingEdit).where(
            BriefingEdit.briefing_id == briefing_id))}
        base = history[base_revision].edits if base_revision in history else {}
        last = history.get(row.revision)
        raise EditConflict(base_revision, row.revision, last.who if last else "另一位编辑",
                           describe_edits(base, row.edits), edits)
    session.add(BriefingEdit(briefing_id=briefing_id, revision=base_revision + 1, who=who, edits=edits))
    session.commit()
    session.refresh(row)
    return view(session, row, settings=settings, config=config)


def refresh_draft(session: Session, row: Briefing, *, settings=None, config=None) -> list[str]:
    """Regenerate the draft's generated part (after an issue arrived, was re-processed or
    withdrawn). When it changed, ``row.notice`` becomes the change plus the edits that no longer
    apply, and the new snapshot is stored; returns the notice lines ([] when nothing changed).
    Commits."""
    settings, cfg = _settings_cfg(settings, config)
    content = _generated(session, row, settings, cfg)
    new = snapshot(content)
    if new == (row.generated or {}):
        session.commit()
        return []
    changes = diff_snapshots(row.generated or {}, new)
    stale = apply_edits(content, row.edits, section_order(cfg, settings.config_dir), titles_of(row.generated or {}))
    row.generated = new
    row.notice = [f"{ts()} 稿件有变动：" + ("；".join(changes) or "文章内容更新")] + (
        ["以下修改已不适用：" + "；".join(stale)] if stale else [])
    session.add(row)
    session.commit()
    log.info("draft %s regenerated: %s", row.id, row.notice)
    return list(row.notice)


def ts() -> str:
    """Now, Asia/Shanghai, minutes (notices are read by people in the office)."""
    from zoneinfo import ZoneInfo

    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M%z")


def refresh_open_drafts(session: Session, *, settings=None, config=None) -> dict[int, list[str]]:
    """:func:`refresh_draft` for every open draft; returns ``{id: notice}`` of those that changed."""
    out = {}
    for row in list_drafts(session):
        notice = refresh_draft(session, row, settings=settings, config=config)
        if notice:
            out[row.id] = notice
    return out


def _claim(session: Session, briefing_id: int, to: str) -> None:
    """Move a draft to ``to`` atomically; ValueError when it is not an open draft any more (a
    second 签发 or a discard came first)."""
    done = session.execute(update(Briefing).where(Briefing.id == briefing_id, Briefing.status.in_(OPEN))
                           .values(status=to))
    if done.rowcount != 1:
        session.rollback()
        row = get_draft(session, briefing_id)
        raise ValueError(f"briefing {briefing_id} is not a draft waiting for 签发 (status {row.status})")
    session.commit()


def _sent_before(session: Session, row: Briefing) -> list[Briefing]:
    return list(session.exec(select(Briefing).where(
        Briefing.kind == row.kind, Briefing.period_start == row.period_start, Briefing.status == "made",
        Briefing.id != row.id).order_by(Briefing.version)))


def sign_off(session: Session, briefing_id: int, user: User, channel: str, *, settings=None,
             config=None, now: datetime | None = None, pdf: bool | None = None) -> Briefing:
    """签发: number the draft (第N期 in sign-off order per kind and year; a correction keeps its
    briefing's number), render .docx (+ PDF) with ``user``'s name and the sign-off date (Asia/
    Shanghai or BRIEFING_TIMEZONE) on the masthead, write it to the outbox (a new file: a sent
    file is never rewritten; a correction is 修订稿) and record who, when and ``channel``
    (console | cli). The caller delivers it. Raises ``PermissionError`` unless ``user`` is an
    active signer, ``ValueError`` when the briefing is not an open draft (signed already: a second
    签发 sends nothing). Commits."""
    settings, cfg = _settings_cfg(settings, config)
    if not (user.signer and user.active):
        raise PermissionError(f"{user.name} has no right to sign off (签发) briefings")
    _claim(session, briefing_id, "signing")
    row = get_draft(session, briefing_id)
    now = now or utcnow()
    try:
        earlier = _sent_before(session, row)
        for _attempt in range(build.MAX_NUMBER_ATTEMPTS):
            row.number = earlier[-1].number if earlier else build._next_number(session, row.kind, row.year)
            session.add(row)
            try:
                session.flush()
                break
            except IntegrityError:
                session.rollback()
                row = get_draft(session, briefing_id)
        signed_on = now.astimezone(build._tz(settings)).date()
        content = _generated(session, row, settings, cfg, made_on=signed_on, edition=len(earlier) + 1)
        apply_edits(content, row.edits, section_order(cfg, settings.config_dir))
        content.signer = user.name
        row.file_path = build.write_content(row, content, settings)
        row.status, row.signed_by, row.signed_at, row.sign_channel = "made", user.name, now, channel
        row.created_at = row.created_at or now
        session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        session.execute(update(Briefing).where(Briefing.id == briefing_id)
                        .values(status="draft", number=None, file_path=None))
        session.commit()
        raise
    session.refresh(row)
    log.info("briefing %s signed off by %s (%s): %s 第%s期", row.id, user.name, channel, row.kind, row.number)
    if cfg.get("pdf", True) if pdf is None else pdf:
        try:
            convert_to_pdf(row.path_in(settings.var_dir))
        except (PdfConversionError, OSError, subprocess.SubprocessError) as exc:
            log.warning("PDF conversion of %s failed: %s", row.file_path, exc)
    return row


def discard(session: Session, briefing_id: int) -> Briefing:
    """Discard an open draft (it took no number, so nothing is skipped). ValueError when it is not
    an open draft. Commits."""
    _claim(session, briefing_id, "discarded")
    return get_draft(session, briefing_id)


def open_correction(session: Session, briefing_id: int, *, settings=None, config=None) -> Briefing:
    """A correction (修订) of a sent briefing: a new draft version of its period starting from its
    edits; it needs its own 签发 and goes out as 修订稿. ValueError when the briefing was not sent
    or its period has an open draft already. Commits."""
    settings, cfg = _settings_cfg(settings, config)
    row = get_draft(session, briefing_id)
    if row.status != "made":
        raise ValueError(f"briefing {briefing_id} was not sent (status {row.status}); edit the draft instead")
    made = build.make_briefing(session, row.kind, row.period_start, force=True, settings=settings,
                               config={**cfg, "approval": "required"})
    if made is None:
        raise ValueError(f"the {row.kind} briefing of {row.period_start} has an open draft already")
    return made


def preview(session: Session, row: Briefing, *, settings=None, config=None) -> Path:
    """Render the draft as leadership will see it (edits applied, unnumbered) to
    ``var/drafts/draft-ID-rREVISION.docx`` and convert it to PDF (LibreOffice required); returns
    the PDF's path. Raises :class:`PdfConversionError` when LibreOffice is missing or fails."""
    settings, cfg = _settings_cfg(settings, config)
    draft = view(session, row, settings=settings, config=cfg)
    blob = render(draft.content, Path(settings.templates_dir) / "briefing.docx")
    path = write_atomic(Path(settings.var_dir) / "drafts" / f"draft-{row.id}-r{row.revision}.docx", blob)
    pdf = convert_to_pdf(path)
    if pdf is None:
        raise PdfConversionError("LibreOffice (soffice) is not installed: the draft cannot be shown as pages")
    return pdf


def _editors(session: Session) -> list[str]:
    return [u.email for u in session.exec(select(User).where(User.role == "editor", User.active == True))  # noqa: E712
            if u.email]


def notify_editors(session: Session, row: Briefing, *, settings=None, reminder: bool = False) -> int:
    """E-mail the active editors that ``row`` waits for review (``reminder``: once more, it is
    overdue) and record it (``notified_at`` / ``reminded_at``). Returns how many were e-mailed (0
    without editors or SMTP; logged, never raised: the console lists the draft anyway)."""
    settings, _ = _settings_cfg(settings, None)
    to = _editors(session)
    label = kind_label(row.kind)
    period = row.period_start.isoformat() + ("" if row.period_start == row.period_end else f" 至 {row.period_end}")
    subject = (f"【提醒】简报待签发已超时：{label} {period}" if reminder else f"简报待审：{label} {period}")
    body = (f"{label}（{period}）草稿 #{row.id} 等待审核和签发。\n收录报纸 {row.issue_count} 期，文章 "
            f"{row.article_count} 篇。\n请在简报台（/desk/{row.id}）审核；签发后才会编号并发送。\n")
    sent = 0
    if to and settings.smtp_host:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg.set_content(body)
        try:
            send_notice(settings, msg, to)
            sent = len(to)
        except Exception as exc:  # noqa: BLE001 - SMTP/network: the console's list still shows the draft
            log.warning("could not e-mail editors about draft %s: %s", row.id, exc)
    if reminder:
        row.reminded_at = utcnow()
    else:
        row.notified_at = utcnow()
    session.add(row)
    session.commit()
    return sent


def overdue(row: Briefing, now: datetime, hours: float) -> bool:
    """A draft waiting longer than ``hours`` (``remind_after_hours``) is flagged."""
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return row.status in OPEN and now - created > timedelta(hours=float(hours))


def remind_overdue(session: Session, now: datetime | None = None, *, settings=None, config=None) -> list[int]:
    """Beat: e-mail the editors once more about every draft waiting longer than
    ``remind_after_hours``, once per draft; returns the reminded drafts' ids."""
    settings, cfg = _settings_cfg(settings, config)
    now = now or utcnow()
    out = []
    for row in list_drafts(session):
        if row.reminded_at is None and overdue(row, now, cfg.get("remind_after_hours") or 24):
            notify_editors(session, row, settings=settings, reminder=True)
            out.append(row.id)
    return out


def versions(session: Session, row: Briefing) -> list[Briefing]:
    """Every version of ``row``'s period (sent, drafts, discarded), oldest first."""
    return list(session.exec(select(Briefing).where(
        Briefing.kind == row.kind, Briefing.period_start == row.period_start).order_by(Briefing.version)))
