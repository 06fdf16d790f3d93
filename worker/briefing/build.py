"""Making, numbering and recording briefings (简报); what goes into one is
:mod:`worker.briefing.content`.

* :func:`make_briefing` allocates 第N期, builds the content, renders, writes the .docx to the
  outbox atomically and records the :class:`worker.core.models.Briefing` row;
* :func:`make_due_briefings` makes every due, not-yet-made period of a kind (catch-up after
  downtime), using :func:`worker.briefing.periods.due_periods`.

Numbering: 第N期 counts per (kind, year of the period start) — daily, weekly and monthly have
independent sequences, a new year restarts at 1; 总第N期 counts every made briefing of the kind
ever. A number is never reused: the next number is the largest ever recorded + 1 (rows are never
deleted). ``force`` re-makes a period as version +1 with the same number. A period without any
processed issue is, per ``empty_period`` in ``config/briefing.yaml``, either a short briefing
(takes a number) or a row with status ``skipped`` with no file and no number (NULL).
"""

from __future__ import annotations

import logging
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from worker.briefing.config import load_briefing_config
from worker.briefing.content import build_content
from worker.briefing.delivery import PdfConversionError, convert_to_pdf, outbox_name, write_atomic
from worker.briefing.periods import DEFAULT_TIMEZONE, due_at, due_periods, period_containing
from worker.briefing.render import render
from worker.briefing.select import gather
from worker.core.models import Briefing, ServiceMeta
from worker.core.schedule import briefing_schedule

log = logging.getLogger(__name__)

MAX_NUMBER_ATTEMPTS = 5


# ============================================================================================
# Making briefings


def _next_number(session: Session, kind: str, year: int) -> int:
    top = session.exec(select(func.max(Briefing.number)).where(
        Briefing.kind == kind, Briefing.year == year)).one()
    return max(int(top or 0), 0) + 1


def _tz(settings) -> ZoneInfo:
    return ZoneInfo(getattr(settings, "timezone", None) or DEFAULT_TIMEZONE)


def _total_number(session: Session, row: Briefing) -> int:
    """总第N期: how many numbered briefings of the kind there are up to and including this one,
    over all years, in (year, 第N期) order — numbering order, which under the briefing desk is
    sign-off order, not period order (a re-made or corrected briefing keeps its place)."""
    pairs = session.exec(select(Briefing.year, Briefing.number).where(
        Briefing.kind == row.kind, Briefing.number.is_not(None), Briefing.year <= row.year).distinct()).all()
    return len({(y, n) for y, n in pairs if (y, n) <= (row.year, row.number)} | {(row.year, row.number)})


def made_on_for(row: Briefing, settings) -> date:
    """The masthead's date of an unsigned briefing: the day the period's scheduled run falls on,
    also when back-filled (:func:`worker.briefing.periods.due_at`)."""
    return due_at(row.kind, row.period_start,
                  crontab=briefing_schedule(settings.config_dir)[0][row.kind]["crontab"],
                  tz=str(_tz(settings))).date()


def content_for(session: Session, row: Briefing, made_on: date, cfg: dict[str, Any], settings, *,
                data=None, editor_note: str | None = None, edition: int | None = None):
    """The generated :class:`~worker.briefing.render.BriefingContent` of ``row`` (kind, period,
    number — 0 while unnumbered —, version or ``edition`` for the 修订稿 mark) before any desk edit."""
    return build_content(session, row.kind, row.period_start, year=row.year, number=row.number or 0,
                         version=edition or row.version, made_on=made_on, config=cfg, editor_note=editor_note,
                         total=_total_number(session, row) if row.number else None,
                         config_dir=settings.config_dir, data=data)


def write_content(row: Briefing, content, settings) -> str:
    """Render ``content`` and write it to the outbox atomically (named by its number and
    ``content.version``); returns its path relative to ``settings.var_dir`` (absolute when the
    outbox lies outside it)."""
    blob = render(content, Path(settings.templates_dir) / "briefing.docx")
    name = outbox_name(content.title, row.kind, content.kind_label, row.year, row.number,
                       row.period_start, row.period_end, content.version)
    path = write_atomic(Path(settings.outbox_dir) / name, blob)
    return str(path.relative_to(settings.var_dir)) if path.is_relative_to(settings.var_dir) else str(path)


def _write_docx(session: Session, row: Briefing, data, made_on: date, cfg: dict[str, Any],
                settings, editor_note: str | None = None) -> str:
    """Build, render and write the briefing of ``row`` (see :func:`write_content`)."""
    content = content_for(session, row, made_on, cfg, settings, data=data, editor_note=editor_note)
    return write_content(row, content, settings)


def _make_draft(session: Session, kind: str, start: date, end: date, latest: Briefing | None, data,
                made_on: date, cfg: dict[str, Any], settings, editor_note: str | None) -> Briefing | None:
    """Under ``approval: required``: a draft (no number, no file) with its generated snapshot;
    a correction of a sent version starts from that version's edits. None when the period has
    an open draft already (or a concurrent worker made one)."""
    from worker.briefing.edits import snapshot

    if latest is not None and latest.status in ("draft", "signing"):
        return None
    row = Briefing(kind=kind, period_start=start, period_end=end, year=latest.year if latest else start.year,
                   version=(latest.version + 1) if latest else 1, number=None, status="draft",
                   issue_count=data.issue_count, article_count=data.article_count,
                   edits=dict(latest.edits or {}) if latest is not None and latest.status == "made" else {})
    if editor_note:
        row.edits = {**row.edits, "editor_note": editor_note}
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    row.generated = snapshot(content_for(session, row, made_on, cfg, settings, data=data))
    session.add(row)
    session.commit()
    session.refresh(row)
    log.info("briefing %s %s: draft v%s (%s issues, %s articles) waits for 签发", kind, start,
             row.version, row.issue_count, row.article_count)
    return row


def make_briefing(session: Session, kind: str, period_start: date, *, force: bool = False,
                  now: datetime | None = None, settings=None, config: dict[str, Any] | None = None,
                  pdf: bool | None = None, editor_note: str | None = None) -> Briefing | None:
    """Make the briefing of ``kind`` for the period containing ``period_start``.

    Returns the new :class:`Briefing` row (committed), or ``None`` when one already exists for
    (kind, period) and not ``force`` — including when a concurrent worker made it first (the
    unique keys raise ``IntegrityError``, which is taken as "already made"). ``force`` makes
    version+1 with the same 第N期 number. The .docx goes to ``settings.outbox_dir`` (written
    atomically); a PDF is added beside it when ``pdf`` (default: ``pdf`` in briefing.yaml) and
    LibreOffice is installed — PDF failures are logged, not raised. The masthead and 印发 date
    is the period's due date (:func:`worker.briefing.periods.due_at`), also for a back-filled
    period (``now`` is accepted for callers that pass the run's time and no longer changes the
    date); ``editor_note`` is this briefing's 编者按 (none by default). A period without any
    article follows ``empty_period`` (default ``skip``: a ``skipped`` row, no number, no file).

    Under ``approval: required`` (issue 19) the row is a ``draft`` instead: no number, no file,
    its generated snapshot stored; :func:`worker.briefing.desk.sign_off` numbers, renders and
    records it. ``force`` then opens a correction (a new draft version) of a sent briefing, and
    returns None while the period has an open draft.

    Commits ``session`` (the row must be durable once the file exists); on any error the session
    is rolled back and the error re-raised. ``settings``/``config`` default to
    ``get_settings()`` / ``config/briefing.yaml``.
    """
    if settings is None:
        from worker.core.settings import get_settings

        settings = get_settings()
    cfg = config or load_briefing_config(settings.config_dir)
    start, end = period_containing(kind, period_start)
    tz = _tz(settings)
    # The masthead's date is the day the period's scheduled run falls on, also when back-filled.
    made_on = made_on_for(Briefing(kind=kind, period_start=start, period_end=end, year=start.year), settings)

    for _attempt in range(MAX_NUMBER_ATTEMPTS):
        existing = session.exec(select(Briefing).where(
            Briefing.kind == kind, Briefing.period_start == start
        ).order_by(Briefing.version.desc())).all()
        if existing and not force:
            return None
        data = gather(session, start, end, kind=kind, tz=str(tz))
        latest = existing[0] if existing else None
        published = latest is not None and latest.number is not None
        skip = not data.articles and cfg["empty_period"] == "skip" and not published
        if cfg.get("approval", "required") == "required" and not skip:
            return _make_draft(session, kind, start, end, latest, data, made_on, cfg, settings, editor_note)
        version = (latest.version + 1) if latest else 1
        year = latest.year if latest else start.year
        if published:
            number = latest.number
        elif skip:
            number = None
        else:
            number = _next_number(session, kind, year)
        row = Briefing(kind=kind, period_start=start, period_end=end, version=version, year=year,
                       number=number, status="skipped" if skip else "made",
                       issue_count=data.issue_count, article_count=data.article_count)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            log.info("briefing %s %s v%s: unique key taken concurrently; re-checking",
                     kind, start, version)
            continue
        try:
            if not skip:
                row.file_path = _write_docx(session, row, data, made_on, cfg, settings, editor_note)
            session.add(row)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        session.refresh(row)
        log.info("briefing %s %s: %s 第%s期 v%s (%s issues, %s articles) %s", kind, start,
                 row.status, number, version, row.issue_count, row.article_count, row.file_path)
        if row.file_path and (cfg.get("pdf", True) if pdf is None else pdf):
            try:
                convert_to_pdf(row.path_in(settings.var_dir))
            except (PdfConversionError, OSError, subprocess.SubprocessError) as exc:
                log.warning("PDF conversion of %s failed: %s", row.file_path, exc)
        return row
    raise RuntimeError(f"could not allocate a number for the {kind} briefing of {start} "
                       f"after {MAX_NUMBER_ATTEMPTS} attempts")


def schedule_start_for(session: Session, settings, today: date) -> date:
    """The first period to make: ``settings.schedule_start``, else the ServiceMeta ``first_run``
    date (ISO date or datetime), else ``today``."""
    if getattr(settings, "schedule_start", None):
        return settings.schedule_start
    meta = session.get(ServiceMeta, "first_run")
    if meta and meta.value:
        try:
            return date.fromisoformat(meta.value.strip()[:10])
        except ValueError:
            log.warning("ServiceMeta first_run %r is not a date; using today", meta.value)
    return today


class IssuesPending(Exception):
    """A due period still has unprocessed issues (see ``worker.pipeline.unfinished_issues``): its
    briefing would say 未收到报纸 or miss them. ``made`` holds the earlier periods' rows made before
    it; ``period_start`` and ``count`` say what is waited for."""

    def __init__(self, made: list[Briefing], period_start: date, count: int):
        super().__init__(f"{count} issue(s) of the period starting {period_start} are not processed yet")
        self.made, self.period_start, self.count = made, period_start, count


def make_due_briefings(session: Session, kind: str, now: datetime, *, settings=None,
                       config: dict[str, Any] | None = None, pdf: bool | None = None
                       ) -> list[Briefing]:
    """Make every period of ``kind`` that is due at ``now`` (aware) and has no Briefing row yet,
    oldest first (catch-up after downtime). Returns the rows made, including ``skipped`` ones
    (only ``status == "made"`` rows have a file to deliver).

    Raises :class:`IssuesPending` (carrying the rows made so far) at the first due period that
    still has pending or processing issues; later periods wait too, so numbers stay in order."""
    from worker.pipeline import unfinished_issues

    if settings is None:
        from worker.core.settings import get_settings

        settings = get_settings()
    tz = _tz(settings)
    sched, _ = briefing_schedule(settings.config_dir)
    made = set(session.exec(select(Briefing.period_start).where(Briefing.kind == kind)).all())
    first = schedule_start_for(session, settings, now.astimezone(tz).date())
    out: list[Briefing] = []
    for start in due_periods(kind, now, first, made, crontab=sched[kind]["crontab"], tz=str(tz)):
        waiting = unfinished_issues(session, *period_containing(kind, start))
        if waiting:
            raise IssuesPending(out, start, waiting)
        row = make_briefing(session, kind, start, now=now, settings=settings, config=config, pdf=pdf)
        if row is not None:
            out.append(row)
    return out
