"""The ``briefing`` command line (typer + rich). Heavy modules are imported inside commands so
``briefing parse`` needs no database or broker and starts quickly."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from worker.core.models import MAX_ID
from worker.core.settings import PROJECT_ROOT

app = typer.Typer(help="union-briefing: newspaper issues in, Word briefings (简报) out.",
                  no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True, soft_wrap=True)  # messages stay one line for scripts and grep

KIND_HELP = "daily | weekly | monthly"


class OutputFormat(StrEnum):
    """Output of ``briefing parse`` and ``briefing article``."""

    table = "table"
    json = "json"


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {value}") from exc
    if not 1900 <= day.year <= 2999:  # periods around 0001-01-01 or 9999-12-31 overflow date arithmetic
        raise typer.BadParameter(f"{value}: a date between 1900 and 2999, please")
    return day


def _check_kind(kind: str) -> str:
    from worker.core.schedule import KINDS

    if kind not in KINDS:
        raise typer.BadParameter(f"kind must be one of {', '.join(KINDS)}")
    return kind


def parse_to_contract(path: Path) -> dict:
    """Decode, parse and enrich one file → the parse contract of docs/ARCHITECTURE.md (a JSON-ready dict)."""
    import hashlib

    from worker.pipeline import analyse

    data = path.read_bytes()
    result = analyse(data, path.name)
    decoded, parsed = result["decoded"], result["parsed"]
    articles = []
    for art, enr in zip(parsed.articles, result["enrichments"], strict=True):
        articles.append({
            "seq": art.seq, "page": art.page, "page_name": art.page_name, "kind": art.kind,
            "kicker": art.kicker, "title": art.title, "subtitle": art.subtitle,
            "title_derived": art.title_derived, "byline": art.byline, "source": art.source,
            "authors": [{"name": a.name, "role": a.role} for a in art.authors],
            "dateline": art.dateline, "paragraphs": art.paragraphs, "captions": art.captions,
            "date": art.published_on.isoformat() if art.published_on else None,
            **enr.to_dict(),
        })
    return {
        "issue": {"file": path.name, "sha256": hashlib.sha256(data).hexdigest(),
                  "encoding": decoded.encoding, "encoding_confidence": decoded.confidence,
                  "warnings": decoded.warnings,
                  "issue_date": parsed.issue_date.isoformat() if parsed.issue_date else None,
                  "issue_date_source": parsed.issue_date_source, "masthead": parsed.masthead,
                  "pages": [{"number": p.number, "name": p.name} for p in parsed.pages],
                  "debris": [{"kind": d.kind, "text": d.text, "line": d.line} for d in parsed.debris]},
        "articles": articles,
    }


@app.command()
def parse(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help=".txt, .docx or .pdf"),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="json: the parse contract"),
    explain: bool = typer.Option(False, help="show each input line, what it became and which rule decided "
                                 "(with --format json: a JSON array, one object per input line)"),
) -> None:
    """Parse one issue file and print its articles (no database or broker needed)."""
    from worker.intake.reading import RefusedFile

    try:
        if explain:
            _explain(file, format)
            return
        out = parse_to_contract(file)
    except RefusedFile as exc:
        err.print(f"[red]refused:[/red] {exc.reason}")
        raise typer.Exit(2) from exc
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return
    issue = out["issue"]
    console.print(f"[bold]{issue['file']}[/bold]  encoding {issue['encoding']}  "
                  f"date {issue['issue_date']} ({issue['issue_date_source']})")
    table = _table("#", "版", "title", "authors", "category", "places", "figures")
    for a in out["articles"]:
        title = " / ".join(x for x in (a["kicker"], a["title"], a["subtitle"]) if x)
        table.add_row(str(a["seq"]), str(a["page"] or ""), title,
                      "、".join(f"{x['role']}{x['name']}" for x in a["authors"]),
                      a["category_label"], "、".join(a["places"]),
                      "、".join(f["text"] for f in a["figures"]))
    console.print(table)


def _table(*columns: str) -> Table:
    """A table whose long cells wrap (fold) inside their column instead of being cut with "…"
    (Chinese text has no spaces to wrap at)."""
    table = Table()
    for col in columns:
        table.add_column(col, overflow="fold")
    return table


def _explain(file: Path, format: OutputFormat) -> None:
    """``parse --explain``: every input line (1-based number, text), what it became and the rule.
    JSON: ``[{"line", "text", "became", "rule"}, …]``, one object per input line."""
    from worker.intake.reading import read_document
    from worker.parsing.parser import parse_issue

    decoded = read_document(file.read_bytes(), file.name)
    parsed = parse_issue(decoded.text, file_name=file.name, headline_hints=decoded.headline_hints)
    rows = [{"line": d.line + 1, "text": d.text, "became": d.became, "rule": d.rule} for d in parsed.explain]
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    table = _table("line", "text", "became", "rule")
    for r in rows:
        table.add_row(str(r["line"]), r["text"], r["became"], r["rule"])
    console.print(table)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic)."""
    from worker.core.db import migrate as run
    from worker.core.settings import get_settings

    run()
    console.print(f"database ready: {_safe_url(get_settings().db_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True) if "://" in url else url


@app.command()
def ingest(files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="issue files to drop")) -> None:
    """Copy files into the inbox (atomically) and ask the inbox worker to scan now."""
    from worker.core.settings import get_settings
    from worker.intake.inbox import InboxDrop

    settings = get_settings()
    settings.ensure_dirs()
    for f in files:
        # no size limit here: the inbox worker refuses (and keeps) an oversized file with a receipt
        drop = InboxDrop(settings, f.name, max_bytes=1 << 62)
        with open(f, "rb") as fh:
            while chunk := fh.read(1 << 20):
                drop.write(chunk)
        console.print(f"queued {drop.commit().name}")
    if not _send("briefing.scan_inbox"):
        err.print("the files wait in the inbox; the watcher or beat's next scan takes them")


def _send(name: str, *args) -> bool:
    """Send a task; False (and a warning) when the broker is unreachable."""
    from worker.core.app import celery_app

    try:
        celery_app.send_task(name, args=list(args))
        return True
    except Exception as exc:  # noqa: BLE001 - kombu raises many kinds
        err.print(f"[yellow]broker unreachable ({type(exc).__name__})[/yellow]")
        return False


def _requeue(ids: list[int]) -> None:
    """Reset Issues to pending and queue their processing. When the broker is down nothing is
    lost (they stay pending in the database) but the command exits 1 and says when they will run."""
    from worker.core.db import session_scope
    from worker.core.settings import get_settings
    from worker.pipeline import reset_for_rerun

    with session_scope() as session:
        reset_for_rerun(session, ids)
    if ids and not all([_send("briefing.process_issue", i) for i in ids]):
        after = get_settings().reconcile_requeue_after_seconds
        err.print(f"{len(ids)} issue(s) are pending in the database; reconcile (beat, every 5 min) queues "
                  f"them once they have waited {after:.0f} s and the broker is back")
        raise typer.Exit(1)
    console.print(f"queued {len(ids)} issue(s) for processing: {ids}")


@app.command()
def retry(
    issue_id: int | None = typer.Argument(None, min=1, max=MAX_ID, help="id of a failed issue (see `briefing status`)"),
    all_failed: bool = typer.Option(False, "--all-failed", help="every failed issue"),
) -> None:
    """Re-run processing of a failed Issue (or all failed ones) on its stored bytes."""
    from sqlmodel import select

    from worker.core.db import session_scope
    from worker.core.models import Issue

    with session_scope() as session:
        if all_failed:
            ids = list(session.exec(select(Issue.id).where(Issue.status == "failed")))
        elif issue_id is not None:
            issue = session.get(Issue, issue_id)
            if issue is None:
                err.print(f"no issue {issue_id}")
                raise typer.Exit(2)
            if issue.status != "failed":
                hint = "; to parse it again use `briefing reprocess`" if issue.status == "processed" else ""
                err.print(f"issue {issue_id} is {issue.status}, not failed{hint}")
                raise typer.Exit(2)
            ids = [issue_id]
        else:
            raise typer.BadParameter("give an ISSUE id or --all-failed")
    _requeue(ids)


@app.command()
def reprocess(
    all_: bool = typer.Option(False, "--all", help="every stored issue"),
    since: str | None = typer.Option(None, help="issues dated on or after YYYY-MM-DD"),
) -> None:
    """Re-parse stored Issues (after a parser upgrade): --all, or --since an issue date."""
    from sqlmodel import select

    from worker.core.db import session_scope
    from worker.core.models import Issue

    since_d = _parse_date(since)
    if not all_ and since_d is None:
        raise typer.BadParameter("give --all or --since YYYY-MM-DD")
    with session_scope() as session:
        stmt = select(Issue.id).where(Issue.status != "withdrawn")  # withdrawn stays withdrawn
        if since_d:
            stmt = stmt.where(Issue.issue_date >= since_d)
        ids = list(session.exec(stmt))
    _requeue(ids)


@app.command()
def report(
    kind: str = typer.Argument(..., help=KIND_HELP),
    on: str = typer.Option(None, "--date", help="a day in the period (YYYY-MM-DD); default: today"),
    force: bool = typer.Option(False, "--force", help="make a new version even if one exists"),
    send: bool = typer.Option(False, "--send", help="e-mail it (or the existing one) to the kind's recipients"),
    editor_note: str = typer.Option(None, "--editor-note", help="编者按 for this briefing only (none by default)"),
) -> None:
    """Make the briefing of KIND for the period containing --date, now, in this process. Only
    processed issues count: while issues of the period wait for a worker, nothing is made (exit
    code 1). With --send, e-mail the briefing — the one just made, or the newest existing version
    — to the kind's recipients (exit code 1 when nothing was sent; the .docx stays in outbox/).
    --editor-note puts a 编者按 on page 1 of this briefing only. Under `approval: required`
    (config/briefing.yaml) it makes a draft instead and prints `draft: ID`; editors are e-mailed,
    and only `briefing approve ID --as SIGNER` numbers and sends it (--force opens a correction of
    a sent briefing, sent as 修订稿 after its own 签发)."""
    from sqlmodel import select

    from worker.briefing.build import make_briefing
    from worker.briefing.periods import period_containing
    from worker.core.db import session_scope
    from worker.core.models import Briefing
    from worker.core.settings import get_settings
    from worker.pipeline import unfinished_issues

    _check_kind(kind)
    day = _parse_date(on) or date.today()
    start, end = period_containing(kind, day)
    with session_scope() as session:
        waiting = unfinished_issues(session, start, end)
        if waiting:
            err.print(f"[red]not made[/red]: {waiting} issue(s) that may belong to {start}…{end} are not processed "
                      "yet; start a worker (`briefing run`) or wait, then run this again (`briefing status` "
                      "lists them)", highlight=False)
            raise typer.Exit(1)
        made = make_briefing(session, kind, start, force=force, editor_note=editor_note)
        existed = f"a {kind} briefing for {start}…{end} exists already (use --force for a new version)"
        if made is None:
            if not send:
                console.print(existed)
                return
            made = session.exec(select(Briefing).where(Briefing.kind == kind, Briefing.period_start == start)
                                .order_by(Briefing.version.desc())).first()
        elif made.status == "draft":
            from worker.briefing.desk import notify_editors

            # approval: required — a draft waits for review and 签发 (`briefing approve ID --as USER`)
            print(f"draft: {made.id}", flush=True)
            notify_editors(session, made)
            if send:
                err.print("[red]not sent[/red]: a draft is sent only after 签发 (`briefing approve`)")
                raise typer.Exit(1)
            return
        else:
            existed = None
            # plain print: the path must not be wrapped when a script reads it
            print(f"{made.status}: {made.path_in(get_settings().var_dir) or '(skipped: empty period)'}",
                  flush=True)
        made_id, made_status, version = made.id, made.status, made.version
    if send:
        _email_briefing(kind, made_id, made_status, version, existed)


def _email_briefing(kind: str, briefing_id: int, status: str, version: int, existed: str | None = None) -> None:
    """E-mail one briefing for ``report --send``; typer.Exit(1) whenever nothing was sent. ``existed``:
    the "exists already" note, printed only when something is actually sent (when nothing can be
    sent, the one line says why)."""
    from worker.briefing.config import load_briefing_config, recipients_for
    from worker.briefing.delivery import deliver
    from worker.core.settings import get_settings

    reason = None
    if status != "made":
        reason = "the period was skipped (empty), there is no document"
    elif not recipients_for(kind, load_briefing_config()):
        reason = f"no recipients for {kind} briefings (email.{kind} in config/briefing.yaml)"
    elif not get_settings().smtp_host:
        reason = "SMTP is not configured (BRIEFING_SMTP_HOST)"
    if reason is None:
        if existed:
            console.print(f"{existed}; sending version {version}")
        try:
            console.print(f"sent (v{version}): {deliver(briefing_id)}")
            return
        except Exception as exc:  # noqa: BLE001 - SMTP/network; deliver() recorded it in the Delivery table
            s = get_settings()
            reason = f"{type(exc).__name__}: {exc} (SMTP {s.smtp_host}:{s.smtp_port})"
    err.print(f"[red]not sent[/red]: {reason}; the .docx stays in outbox/", highlight=False)
    raise typer.Exit(1)


@app.command()
def drafts() -> None:
    """Briefing drafts waiting for review and 签发 (overdue ones flagged), with their ids."""
    from worker.briefing.config import load_briefing_config
    from worker.briefing.desk import list_drafts, overdue
    from worker.briefing.periods import kind_label
    from worker.core.db import session_scope
    from worker.core.models import local_time, utcnow
    from worker.core.settings import get_settings

    hours = load_briefing_config().get("remind_after_hours") or 24
    zone = get_settings().timezone
    table = _table("id", "kind", "period", "version", "waiting since", "saves", "flag")
    with session_scope() as session:
        rows = list_drafts(session)
        for r in rows:
            table.add_row(str(r.id), kind_label(r.kind), f"{r.period_start}…{r.period_end}", str(r.version),
                          local_time(r.created_at, zone), str(r.revision),
                          "超时" if overdue(r, utcnow(), hours) else "")
    if rows:
        console.print(table)
    else:
        console.print("no drafts wait for 签发")


@app.command()
def approve(
    draft: int = typer.Argument(..., help="draft id (`briefing drafts`)"),
    as_user: str = typer.Option(..., "--as", help="the signer's login name; the password is asked for"),
) -> None:
    """签发 a draft as USER (who needs the signer right): number it, render .docx + PDF with the
    signer's name and date on the masthead, and e-mail it. Exit 1 when it was not signed."""
    from worker.briefing.delivery import deliver
    from worker.core.db import session_scope
    from worker.ops.accounts import authenticate

    password = typer.prompt(f"password of {as_user}", hide_input=True)
    try:
        with session_scope() as session:
            user = authenticate(session, as_user, password)
            if user is None:
                raise PermissionError("wrong user name or password")
            from worker.briefing.desk import sign_off

            row = sign_off(session, draft, user, "cli")
            _audit_cli(session, "sign_off", f"briefing {draft}", f"as {user.name}, 第{row.number}期 v{row.version}")
            made = (row.id, row.year, row.number, row.version, row.path_in(_var_dir()))
    except (PermissionError, ValueError, LookupError) as exc:
        err.print(f"[red]not signed[/red]: {exc}", highlight=False)
        raise typer.Exit(1) from exc
    print(f"signed: {made[1]}年第{made[2]}期 v{made[3]} {made[4]}", flush=True)
    try:
        console.print(f"delivery: {deliver(made[0])}")
    except Exception as exc:
        err.print(f"[red]not sent[/red]: {type(exc).__name__}: {exc}; the .docx stays in outbox/", highlight=False)
        raise typer.Exit(1) from exc


def _var_dir():
    from worker.core.settings import get_settings

    return get_settings().var_dir


@app.command()
def discard(draft: int = typer.Argument(..., help="draft id (`briefing drafts`)")) -> None:
    """Discard a draft (it took no number: the next 签发 takes the next number, no gap)."""
    from worker.briefing.desk import discard as run
    from worker.core.db import session_scope

    try:
        with session_scope() as session:
            run(session, draft)
            _audit_cli(session, "discard", f"briefing {draft}")
    except (ValueError, LookupError) as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from exc
    console.print(f"draft {draft} discarded")


@app.command()
def watch() -> None:
    """Watch the inbox and trigger a scan as soon as files appear (beat's scan is the safety net)."""
    from worker.intake.watch import watch_inbox

    watch_inbox()


@app.command()
def worker(
    queues: str = typer.Option("inbox,ingest,reports", "--queues", "-Q"),
    concurrency: int = typer.Option(2, "--concurrency", "-c"),
    loglevel: str = typer.Option("INFO", "--loglevel", "-l"),
    hostname: str | None = typer.Option(None, "--hostname", "-n", help="node name, e.g. ingest@%h"),
) -> None:
    """Start a Celery worker for the given queues."""
    from worker.core.app import celery_app

    argv = ["worker", "-Q", queues, "-c", str(concurrency), "-l", loglevel, "-E"]
    if hostname:
        argv += ["-n", hostname]
    celery_app.worker_main(argv)


@app.command()
def beat(loglevel: str = typer.Option("INFO", "--loglevel", "-l")) -> None:
    """Start Celery beat (one per installation; RedBeat's lock stops a second one)."""
    from worker.core.app import celery_app

    celery_app.start(["beat", "-l", loglevel])


@app.command()
def run(concurrency: int = typer.Option(2, "--concurrency", "-c", help="processing worker processes")) -> None:
    """Run everything on one machine: inbox worker, processing worker, beat and watcher."""
    from worker.ops.supervise import run_all

    raise typer.Exit(run_all(concurrency))


@app.command()
def status(limit: int = typer.Option(10, help="rows per table")) -> None:
    """Receipts, unprocessed and failed issues, refused files, briefings, task history, queues and
    liveness (times in BRIEFING_TIMEZONE, zone shown). Exit 1 when the database is unreachable or
    not migrated."""
    from worker.ops.status import show_status

    raise typer.Exit(show_status(console, limit))


@app.command()
def health() -> None:
    """Exit 0 when the database, the broker and at least one worker answer; else 1."""
    from worker.ops.status import check_health

    problems = check_health()
    for p in problems:
        err.print(f"[red]✗[/red] {p}")
    if problems:
        raise typer.Exit(1)
    console.print("[green]healthy[/green]")


@app.command()
def demo(
    broker: str = typer.Option("memory://localhost/", help="broker URL; default: an embedded in-process broker"),
    workdir: Path | None = typer.Option(None, help="use this fresh working folder (wiped first) "
                                        "instead of BRIEFING_VAR_DIR/demo"),
) -> None:
    """Run the whole pipeline on the bundled sample issue and print the briefing's path. Runs in
    its own var folder (BRIEFING_VAR_DIR/demo, wiped first) with approval: auto (no 签发)."""
    from worker.ops.demo import run_demo

    raise typer.Exit(run_demo(console, broker, workdir))


@app.command()
def articles(
    issue_id: int | None = typer.Option(None, "--issue", min=1, max=MAX_ID, help="only this issue"),
    limit: int = typer.Option(50, help="rows"),
) -> None:
    """List stored articles (id, issue, page, title, topic) — the ids `briefing relabel` takes."""
    from sqlmodel import select

    from worker.core.db import session_scope
    from worker.core.models import Article
    from worker.enrich.classify import get_taxonomy

    labels = get_taxonomy().labels
    with session_scope() as session:
        stmt = select(Article).order_by(Article.id.desc()).limit(limit)
        if issue_id is not None:
            stmt = select(Article).where(Article.issue_id == issue_id).order_by(Article.seq)
        rows = session.exec(stmt).all()
    table = _table("id", "issue", "版", "title", "topic", "confirmed")
    for a in rows:
        table.add_row(str(a.id), str(a.issue_id), str(a.page or ""), a.title or "",
                      labels.get(a.category, a.category), "✓" if a.category_confirmed else "")
    console.print(table)


@app.command()
def article(
    article_id: int = typer.Argument(..., min=1, max=MAX_ID, help="article id (see `briefing articles`)"),
    format: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f",
                                        help="json: every stored field as one JSON object"),
) -> None:
    """Print one stored article whole: every field (the internal search text aside), with its
    issue's file name and date and its topic label. Exit 2 when there is no such article."""
    from worker.core.db import session_scope
    from worker.core.models import Article, Issue
    from worker.enrich.classify import get_taxonomy

    with session_scope() as session:
        row = session.get(Article, article_id)
        if row is None:
            err.print(f"no article {article_id}")
            raise typer.Exit(2)
        issue = session.get(Issue, row.issue_id)
        fields = row.model_dump(mode="json", exclude={"search_text"})
        fields["category_label"] = get_taxonomy().labels.get(row.category, row.category)
        fields["issue_file"] = issue.file_name if issue else None
        fields["issue_date"] = issue.issue_date.isoformat() if issue and issue.issue_date else None
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(fields, ensure_ascii=False, indent=2) + "\n")
        return
    lines = []
    for key, value in fields.items():
        if isinstance(value, list) and value and key in ("paragraphs", "captions"):
            lines.append(f"{key}:")
            lines += [f"  [{i}] {p}" for i, p in enumerate(value, 1)]
        elif isinstance(value, list | dict):
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
        else:
            lines.append(f"{key}: {'' if value is None else value}")
    sys.stdout.write("\n".join(lines) + "\n")


@app.command()
def relabel(
    article_id: int = typer.Argument(..., min=1, max=MAX_ID, help="article id (see `briefing articles`)"),
    category: str = typer.Argument(..., help="topic key or label from config/taxonomy.yaml, e.g. culture or 职工文化"),
    who: str = typer.Option(os.environ.get("USER", "operator"), help="who corrects"),
) -> None:
    """Record a person's topic correction (or confirmation) for an article."""
    from worker.core.db import session_scope
    from worker.enrich.learning import record_correction

    try:
        with session_scope() as session:
            c = record_correction(session, article_id, category, who)
            console.print(f"article {article_id}: {c.old_category} → {c.new_category} (by {c.who})")
    except (LookupError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def corrections(
    unattached: bool = typer.Option(False, "--unattached", help="only those whose article vanished in a re-parse"),
    limit: int = typer.Option(50, help="rows (newest first)"),
) -> None:
    """List topic corrections (who, when, old → new, the article now). A correction outlives its
    article: after a re-parse it follows the article with the same headline or first paragraph, or
    stays unattached (still a training label)."""
    from zoneinfo import ZoneInfo

    from sqlmodel import select

    from worker.core.db import session_scope
    from worker.core.models import Correction
    from worker.core.settings import get_settings
    from worker.enrich.classify import get_taxonomy
    from worker.ops.status import shown

    zone = ZoneInfo(get_settings().timezone)
    labels = get_taxonomy().labels
    with session_scope() as session:
        stmt = select(Correction).order_by(Correction.id.desc()).limit(limit)
        if unattached:
            stmt = stmt.where(Correction.article_id.is_(None))
        rows = session.exec(stmt).all()
    table = Table("id", "time", "who", "issue", "article", "title", "old → new",
                  title="Unattached corrections" if unattached else "Corrections (newest first)")
    for c in rows:
        title = " ".join(x for x in (c.article_text.get("kicker"), c.article_text.get("title")) if x)
        when = c.at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        table.add_row(str(c.id), when, shown(c.who), str(c.issue_id or ""),
                      str(c.article_id) if c.article_id else "unattached", shown(title[:40]),
                      f"{labels.get(c.old_category or '', c.old_category or '')} → "
                      f"{labels.get(c.new_category, c.new_category)}")
    console.print(table)
    if unattached and not rows:
        console.print("no unattached corrections")


@app.command()
def reclassify(since: str | None = typer.Option(None, help="only issues dated on/after YYYY-MM-DD")) -> None:
    """Re-run topic classification over stored articles (confirmed ones are kept)."""
    from worker.core.db import session_scope
    from worker.enrich.learning import reclassify as run

    with session_scope() as session:
        n = run(session, _parse_date(since))
    console.print(f"reclassified {n} article(s)")


@app.command()
def evaluate(
    gold_dir: Path | None = typer.Option(None, exists=True, file_okay=False,
                                         help="one gold folder (default: every gold folder under tests/data)"),
    samples_dir: Path = typer.Option(PROJECT_ROOT / "samples", exists=True, file_okay=False,
                                     help="where issue files are looked up first (then beside each gold folder)"),
) -> None:
    """Per-topic precision and recall, place and figure recall on the gold files: every gold folder
    in the repository (tests/data/gold, tests/data/regression/gold, held-out sets …), each reported
    on its own, then all together."""
    from worker.ops.evaluate import evaluate_all, evaluate_on_gold

    if gold_dir is not None:
        console.print(evaluate_on_gold(gold_dir, samples_dir))
        return
    for name, report_ in evaluate_all(PROJECT_ROOT / "tests" / "data", samples_dir):
        console.print(f"\n== {name}", markup=False)
        console.print(report_)


user_app = typer.Typer(help="Console accounts (briefing web).", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _cli_who() -> str:
    """``cli:`` + the operating-system user running the command (getpass.getuser(): LOGNAME, USER,
    LNAME, USERNAME, then the password database, so ``sudo``, cron and containers without $USER
    still name someone); ``cli:unknown`` only when none of those knows."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError, ImportError):
        return "cli:unknown"


def _audit_cli(session, action: str, target: str, detail: str | None = None) -> None:
    from worker.ops.audit import record

    record(session, _cli_who(), action, target, detail)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="login name"),
    role: str = typer.Option(..., help="operator | editor | admin"),
    email: str = typer.Option(..., help="e-mail address"),
    signer: bool = typer.Option(False, "--signer", help="may sign off (签发) briefings"),
) -> None:
    """Create a console account; the password is asked for (twice), never taken from arguments."""
    from worker.core.db import session_scope
    from worker.ops.accounts import ROLES, add_user, check_name

    try:  # before asking for a password
        check_name(name)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME") from exc
    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}")
    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope() as session:
            user = add_user(session, name, role, email, password, signer)
            _audit_cli(session, "user_add", f"user {user.name}", f"role {role}" + (", signer" if signer else ""))
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from exc
    console.print(f"user {name} ({role}{', signer' if signer else ''}) created")


@user_app.command("passwd")
def user_passwd(name: str = typer.Argument(..., help="login name")) -> None:
    """Set a new password for an account (asked for twice); its open console sessions end."""
    from worker.core.db import session_scope
    from worker.ops.accounts import set_password

    password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope() as session:
            set_password(session, name, password)
            _audit_cli(session, "user_passwd", f"user {name}")
    except (LookupError, ValueError) as exc:
        err.print(f"[red]{exc.args[0]}[/red]", highlight=False)
        raise typer.Exit(2) from exc
    console.print(f"password of {name} changed")


@user_app.command("disable")
def user_disable(
    name: str = typer.Argument(..., help="login name"),
    enable: bool = typer.Option(False, "--enable", help="re-enable instead"),
) -> None:
    """Disable an account (it cannot log in; open sessions end), or --enable it again."""
    from worker.core.db import session_scope
    from worker.ops.accounts import set_active

    try:
        with session_scope() as session:
            set_active(session, name, enable)
            _audit_cli(session, "user_enable" if enable else "user_disable", f"user {name}")
    except LookupError as exc:
        err.print(f"[red]{exc.args[0]}[/red]", highlight=False)
        raise typer.Exit(2) from exc
    console.print(f"user {name} {'enabled' if enable else 'disabled'}")


@user_app.command("list")
def user_list() -> None:
    """List console accounts."""
    from sqlmodel import select

    from worker.core.db import session_scope
    from worker.core.models import User
    from worker.ops.status import shown

    with session_scope() as session:
        users = session.exec(select(User).order_by(User.name)).all()
    table = Table("name", "role", "signer", "e-mail", "active")
    for u in users:
        table.add_row(shown(u.name), u.role, "✓" if u.signer else "", shown(u.email), "✓" if u.active else "✗")
    console.print(table)


@app.command()
def withdraw(issue_id: int = typer.Argument(..., min=1, max=MAX_ID, help="issue id")) -> None:
    """Withdraw an issue (撤回): its articles leave every briefing made from now on; the row and the
    file stay, `reprocess` keeps it withdrawn, `briefing restore` brings it back."""
    from worker.core.db import session_scope
    from worker.ops.issues import withdraw as run

    try:
        with session_scope() as session:
            run(session, issue_id, _cli_who())
            _audit_cli(session, "withdraw", f"issue {issue_id}")
    except (LookupError, ValueError) as exc:
        err.print(f"[red]{exc.args[0]}[/red]", highlight=False)
        raise typer.Exit(2) from exc
    from worker.ops.issues import refresh_drafts

    refresh_drafts()  # a briefing draft waiting for 签发 shows what changed
    console.print(f"issue {issue_id} withdrawn")


@app.command()
def restore(issue_id: int = typer.Argument(..., min=1, max=MAX_ID, help="issue id")) -> None:
    """Restore a withdrawn issue (恢复) to what it was (processed; otherwise it is processed again)."""
    from worker.core.db import session_scope
    from worker.ops.issues import queue_processing
    from worker.ops.issues import restore as run

    try:
        with session_scope() as session:
            again = run(session, issue_id)
            _audit_cli(session, "restore", f"issue {issue_id}")
    except (LookupError, ValueError) as exc:
        err.print(f"[red]{exc.args[0]}[/red]", highlight=False)
        raise typer.Exit(2) from exc
    if again and not queue_processing([issue_id]):
        err.print("broker unreachable: the issue is pending; reconcile queues it later")
    if not again:
        from worker.ops.issues import refresh_drafts

        refresh_drafts()
    console.print(f"issue {issue_id} restored")


@app.command()
def web(
    host: str | None = typer.Option(None, help="address to listen on (default BRIEFING_WEB_HOST, 127.0.0.1)"),
    port: int | None = typer.Option(None, help="port (default BRIEFING_WEB_PORT, 8000)"),
) -> None:
    """Serve the web console (中文控制台) with uvicorn. Refuses to start while no account exists."""
    import uvicorn

    from worker.core.db import schema_problem, session_scope
    from worker.core.settings import get_settings
    from worker.ops.accounts import active_user_count

    problem = schema_problem()
    if problem:
        err.print(f"[red]{problem}[/red]", highlight=False)
        raise typer.Exit(2)
    with session_scope() as session:
        if not active_user_count(session):
            err.print("no console account yet: create the first one with "
                      "`briefing user add NAME --role admin --email ADDRESS`", highlight=False)
            raise typer.Exit(2)
    settings = get_settings()
    # by import string: the console (web/) is the layer above this one and is not imported here
    uvicorn.run("web.app:create_app", factory=True, host=host or settings.web_host, port=port or settings.web_port,
                proxy_headers=True, forwarded_allow_ips=settings.web_forwarded_allow_ips)


class SortOrder(StrEnum):
    """Order of ``briefing search`` hits."""

    relevance = "relevance"
    date = "date"


@app.command()
def search(
    query: str = typer.Argument(..., help='words (all must match), "exact phrase", -excluded (a query that '
                                'begins with - goes after --)'),
    date_from: str | None = typer.Option(None, "--from", help="issues dated on/after YYYY-MM-DD"),
    date_to: str | None = typer.Option(None, "--to", help="issues dated on/before YYYY-MM-DD"),
    topic: str | None = typer.Option(None, help="topic key or label from config/taxonomy.yaml (culture, 职工文化)"),
    place: str | None = typer.Option(None, help="place mentioned (杭州, 金华市 …)"),
    person: str | None = typer.Option(None, help="person mentioned"),
    page: int | None = typer.Option(None, help="版 number"),
    issue_id: int | None = typer.Option(None, "--issue", min=1, max=MAX_ID, help="only this issue id"),
    kind: str | None = typer.Option(None, help="article kind: news, brief, …"),
    sort: SortOrder = typer.Option(SortOrder.relevance, help="relevance, or date (newest first)"),
    limit: int = typer.Option(20, min=1, max=500, help="hits to show"),
    offset: int = typer.Option(0, min=0, help="skip this many hits (paging)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    include_withdrawn: bool = typer.Option(False, "--include-withdrawn",
                                           help="also articles of withdrawn and duplicate issues"),
) -> None:
    """Search every stored article: words, "phrases", -excluded, with filters. Exit code 1 when
    nothing is found, 2 for a query that cannot be run."""
    from worker.core.db import session_scope
    from worker.enrich.classify import get_taxonomy
    from worker.search.query import QueryError, SearchQuery
    from worker.search.query import search as run

    labels = get_taxonomy().labels
    if topic is not None:
        topic = {label: key for key, label in labels.items()}.get(topic, topic)
        if topic not in labels:
            raise typer.BadParameter(f"unknown topic {topic!r}; one of: {', '.join(labels)}")
    q = SearchQuery(query, date_from=_parse_date(date_from), date_to=_parse_date(date_to), topic=topic,
                    place=place, person=person, page=page, issue_id=issue_id, kind=kind, sort=sort.value,
                    limit=limit, offset=offset, include_withdrawn=include_withdrawn)
    try:
        with session_scope() as session:
            result = run(session, q)
    except QueryError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps({"query": query, "total": result.total, "total_label": result.total_label,
                                     "hits": [h.to_dict() for h in result.hits]}, ensure_ascii=False, indent=2)
                         + "\n")
    else:
        _print_hits(result, labels)
    if not result.hits:
        raise typer.Exit(1)


def _print_hits(result, labels: dict[str, str]) -> None:
    """``briefing search`` as a table: matched words in bold (rich markup escaped first)."""
    from rich.markup import escape

    def marked(snippet) -> str:
        out, pos = [], 0
        for s, e in snippet.spans:
            out += [escape(snippet.text[pos:s]), "[bold yellow]", escape(snippet.text[s:e]), "[/bold yellow]"]
            pos = e
        return "".join([*out, escape(snippet.text[pos:])])

    console.print(f"{result.total_label} article(s) found; showing {len(result.hits)} from "
                  f"{result.query.offset + 1 if result.hits else 0}", highlight=False)
    table = Table("id", "date", "版", "topic", "headline / snippet", show_lines=True)
    for h in result.hits:
        table.add_row(str(h.article_id), h.issue_date.isoformat() if h.issue_date else "", str(h.page or ""),
                      labels.get(h.category, h.category), marked(h.headline) + "\n" + marked(h.snippet))
    console.print(table)


@app.command()
def reindex() -> None:
    """Rebuild the search index from the stored articles (after the segmenter's dictionary changed:
    new places in config/gazetteer.yaml or terms in config/taxonomy.yaml)."""
    from worker.core.db import get_engine
    from worker.search.index import rebuild_index

    with get_engine().begin() as conn:
        n = rebuild_index(conn)
    console.print(f"search index rebuilt: {n} article(s)")


def main() -> None:
    """The ``briefing`` console script: :data:`app`, with database errors explained in one line
    (a database that was never migrated printed a long SQLAlchemy traceback ending in "no such
    table"). Exit code 2 for those."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        app()
    except (OperationalError, ProgrammingError) as exc:
        from worker.core.db import schema_problem

        err.print(f"[red]{schema_problem() or f'database error: {type(exc.orig).__name__}: {exc.orig}'}[/red]",
                  markup=True, highlight=False)
        raise SystemExit(2) from None


if __name__ == "__main__":  # pragma: no cover
    main()
