"""Figure 4 — briefing render, and the reports worker's memory (figure 5, second half).

A month of daily issues (December 2024, ~10 articles a day, so daily ≈ 10, weekly ≈ 70, monthly
≈ 300 articles) is run through the real pipeline (``worker.pipeline.process_issue``) into a fresh
SQLite database; then ``worker.briefing.build.make_briefing`` makes each briefing in this process
(``pdf=False``: the .docx is the figure; the LibreOffice PDF conversion is timed on its own).
Baseline: python-docx writing the same articles' titles and summaries as plain paragraphs.

The reports worker's peak RSS is measured on a real ``briefing worker -Q reports`` making the
monthly briefing (with its PDF, as configured) from the same database."""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.corpus import generate_issue
from bench.report import Figure, Printer
from bench.stack import Memory, RedisServer, Stack, temp_folder, worker_memory

MONTH = date(2024, 12, 1)
DAYS = 31
DAILY_CHARS = 4_500  # ~10 articles
MONTHLY_TARGET_S = 3.0
KINDS = (("daily", date(2024, 12, 10)), ("weekly", date(2024, 12, 9)), ("monthly", MONTH))


@dataclass
class RenderResult:
    seconds: dict[str, float] = field(default_factory=dict)
    articles: dict[str, int] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    split: dict[str, tuple[float, float]] = field(default_factory=dict)  # kind → (build_content, render)
    cold_s: float = 0.0
    build_db_s: float = 0.0
    pdf_s: float | None = None
    pdf_error: str | None = None



def build_db(var_dir: Path, url: str, seed: int) -> int:
    """Migrate ``url`` and fill it with DAYS processed daily issues; returns the article count."""
    from worker.core.db import make_engine, migrate
    from worker.core.db import session_factory as db_session_factory
    from worker.core.models import Issue
    from worker.core.settings import Settings
    from worker.pipeline import process_issue

    migrate(url)
    settings = Settings(var_dir=var_dir, database_url=url)
    engine = make_engine(url)
    scope = db_session_factory(engine)
    total = 0
    for d in range(DAYS):
        day = MONTH + timedelta(days=d)
        ci = generate_issue(seed, 900_000 + d, target_chars=DAILY_CHARS, issue_date=day, dated_name=True)
        with scope() as s:
            issue = Issue(file_name=ci.name, sha256=hashlib.sha256(ci.data).hexdigest(), size=len(ci.data),
                          raw=ci.data, issue_date=day, issue_date_source="file_name")
            s.add(issue)
            s.flush()
            issue_id = issue.id
        out = process_issue(issue_id, session_factory=scope, settings=settings)
        total += out.articles
    engine.dispose()
    return total


def plain_docx_seconds(session, kind: str, start: date) -> float:
    """Baseline: python-docx, one heading + one paragraph per article of the period, saved."""
    import docx

    from worker.briefing.periods import period_containing
    from worker.briefing.select import gather
    from worker.briefing.text import summary_of, title_of

    s, e = period_containing(kind, start)
    data = gather(session, s, e)
    t0 = time.perf_counter()
    doc = docx.Document()
    doc.add_heading(f"{kind} {s}–{e}", 0)
    for art, _issue in data.articles:
        doc.add_heading(title_of(art), 2)
        doc.add_paragraph(summary_of(art))
    buf = io.BytesIO()
    doc.save(buf)
    return time.perf_counter() - t0


def measure(var_dir: Path, url: str, *, pdf: bool = True) -> RenderResult:
    from sqlmodel import Session

    from worker.briefing.build import make_briefing
    from worker.briefing.content import build_content
    from worker.briefing.periods import period_containing
    from worker.briefing.render import render
    from worker.briefing.select import gather
    from worker.core.db import make_engine
    from worker.core.settings import Settings

    settings = Settings(var_dir=var_dir, database_url=url)
    settings.ensure_dirs()
    engine = make_engine(url)
    res = RenderResult()
    now = datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
    with Session(engine, expire_on_commit=False) as session:
        t0 = time.perf_counter()  # first briefing in a fresh process: imports, template, fonts
        make_briefing(session, "daily", date(2024, 12, 3), force=True, now=now, settings=settings, pdf=False)
        res.cold_s = time.perf_counter() - t0
        plain_docx_seconds(session, "daily", date(2024, 12, 3))  # warm python-docx for the baseline
        for kind, start in KINDS:
            t0 = time.perf_counter()
            row = make_briefing(session, kind, start, force=True, now=now, settings=settings, pdf=False)
            res.seconds[kind] = time.perf_counter() - t0
            res.articles[kind] = row.article_count
            res.baseline[kind] = plain_docx_seconds(session, kind, start)
            s, e = period_containing(kind, start)
            data = gather(session, s, e)
            a = time.perf_counter()
            content = build_content(session, kind, s, year=2024, number=99, made_on=now.date(), data=data)
            b = time.perf_counter()
            render(content, Path(settings.templates_dir) / "briefing.docx")
            c = time.perf_counter()
            res.split[kind] = (b - a, c - b)
            if kind == "monthly" and pdf:
                from worker.briefing.delivery import PdfConversionError, convert_to_pdf, soffice_binary

                if soffice_binary() is None:
                    res.pdf_error = "LibreOffice not installed"
                else:
                    try:
                        t0 = time.perf_counter()
                        convert_to_pdf(row.path_in(settings.var_dir))
                        res.pdf_s = time.perf_counter() - t0
                    except (PdfConversionError, OSError) as exc:
                        res.pdf_error = str(exc)[:200]
    engine.dispose()
    return res


@dataclass
class ReportsMemory:
    idle: Memory
    peak: Memory
    task_s: float


def reports_worker_memory(folder: Path, url: str, timeout: float = 180.0) -> ReportsMemory:
    """A real ``briefing worker -Q reports -c 1`` makes the monthly briefing; its pool child's
    VmHWM afterwards."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from worker.core.models import Briefing, TaskEvent

    with RedisServer(folder / "redis") as redis:
        stack = Stack(folder, redis.url, url)
        try:
            proc = stack.start_worker("reports", "reports", 1)
            stack.wait_workers(1)
            time.sleep(0.5)
            idle = worker_memory(proc.pid, "VmRSS")
            engine = stack.engine()
            with Session(engine) as s:
                before = s.exec(select(func.count()).select_from(Briefing)).one()
            app = stack.control_app()
            t0 = time.time()
            app.send_task("briefing.make_briefing", args=["monthly", "2024-12-15", True], queue="reports")
            deadline = time.time() + timeout
            with Session(engine) as s:
                while True:
                    done = s.exec(select(func.count()).select_from(TaskEvent).where(
                        TaskEvent.name == "briefing.make_briefing",
                        TaskEvent.state.in_(["succeeded", "failed"]))).one()
                    s.rollback()
                    if done:
                        break
                    if time.time() > deadline:
                        raise RuntimeError("the reports worker did not finish the monthly briefing")
                    time.sleep(0.2)
                after = s.exec(select(func.count()).select_from(Briefing)).one()
            task_s = time.time() - t0
            time.sleep(1.0)  # deliver_briefing follows on the same queue
            peak = worker_memory(proc.pid)
            engine.dispose()
            app.close()
            if after <= before:
                raise RuntimeError("the reports worker made no briefing (see reports.log)")
        finally:
            stack.stop_all()
    return ReportsMemory(idle, peak, task_s)


def run(printer: Printer, seed: int, *, keep: bool = False, pdf: bool = True
        ) -> tuple[RenderResult, ReportsMemory | None]:
    with temp_folder("bench-render-", keep) as folder:
        var = folder / "var"
        url = f"sqlite:///{var / 'briefing.db'}"
        t0 = time.perf_counter()
        n = build_db(var, url, seed)
        build_s = time.perf_counter() - t0
        res = measure(var, url, pdf=pdf)
        res.build_db_s = build_s
        for kind, _ in KINDS:
            target = kind == "monthly"
            printer.figure(Figure(
                f"briefing render {kind}", res.seconds[kind], "s", res.baseline[kind], "s",
                f"plain python-docx, same {res.articles[kind]} articles",
                target=f"<= {MONTHLY_TARGET_S:g} s" if target else None,
                passed=res.seconds[kind] <= MONTHLY_TARGET_S if target else None))
        printer.info(f"{DAYS} issues, {n} articles through the pipeline into SQLite in {build_s:.1f} s; "
                     f"first briefing in a fresh process (cold) {res.cold_s:.2f} s")
        printer.info("make_briefing split: " + "; ".join(
            f"{k} build_content {a:.3f} s + render {b:.3f} s" for k, (a, b) in res.split.items()))
        if res.pdf_s is not None:
            printer.info(f"monthly PDF conversion (LibreOffice, not in the figure): {res.pdf_s:.2f} s")
        elif pdf:
            printer.info(f"monthly PDF conversion skipped: {res.pdf_error}")
        mem = None
        try:
            mem = reports_worker_memory(folder, url)
        except Exception as exc:  # noqa: BLE001
            printer.info(f"reports worker memory not measured: {exc}")
        return res, mem
