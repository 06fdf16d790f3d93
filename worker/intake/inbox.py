"""The inbox: find completely written files, claim them, record one receipt each, file them away.

Only the worker serving the ``inbox`` queue calls this module, so the folders live on one machine;
processing workers elsewhere need only Redis and the database (Mayan EDMS / paperless-ngx shape:
the file's bytes are copied into the database before anything is queued).

Life of a file (folders under ``settings.var_dir``)::

    inbox/NAME ──claim (atomic rename)──► processing/CLAIM/NAME
        ──one transaction: Receipt (+ Issue with the raw bytes if new)──►
        archive/YYYY/MM/NAME | archive/duplicates/NAME | failed/NAME + NAME.error.json

The final path is decided before the commit and stored in the receipt, so a crash between the
commit and the move is finished by ``reconcile_processing`` from the database.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import sys
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from worker.core.models import Issue, Receipt, local_time, utcnow
from worker.core.settings import Settings
from worker.intake import problems
from worker.intake.reading import date_from_file_name, sniff, truncation_warning

log = logging.getLogger(__name__)

# Editors and copy tools write under these names first and rename when done.
TEMP_NAME = re.compile(r"(^~\$|^\.|~$|\.(tmp|temp|part|partial|crdownload|swp|download|filepart)$)",
                       re.IGNORECASE)
ERROR_SUFFIX = ".error.json"
SNIFF_BYTES = 8192


@dataclass
class ClaimedFile:
    """A file moved into ``processing/CLAIM/``: ``name`` as dropped, ``path`` now."""

    claim_id: str
    name: str
    path: Path


@dataclass
class ScanResult:
    """What one scan did: receipts written (ids), issues to process, the seconds after which a
    file that was still being written should be looked at again (None: nothing pending), and the
    files that could not be taken (see ``worker.intake.problems``)."""

    receipts: list[int] = field(default_factory=list)
    new_issue_ids: list[int] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    rescan_in: float | None = None
    problems: list[str] = field(default_factory=list)  # display names that could not be taken


def display_name(name: str | bytes) -> str:
    """A file name as text for receipts and logs; bytes that are not UTF-8 are shown escaped."""
    if isinstance(name, bytes):
        return name.decode("utf-8", "backslashreplace")
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


MAX_NAME_BYTES = 200  # leaves room under the 255-byte limit for "-2", the claim id and ".error.json"
UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")


def safe_name(name: str) -> str:
    """The name a file is stored under in archive/ or failed/: valid UTF-8 (undecodable bytes shown
    as ``\\xNN``), NFC-normalised, no control characters or slashes, no leading dash or dot, at
    most MAX_NAME_BYTES bytes with the extension kept. The receipt keeps the name as dropped."""
    text = unicodedata.normalize("NFC", display_name(name))
    text = UNSAFE_CHARS.sub("_", text).lstrip("-.") or "unnamed"
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext.encode()) > 16:
        stem, ext = text, ""
    ext = f".{ext}" if ext else ""
    while len((stem + ext).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + ext


def is_ignored(name: str) -> bool:
    """Hidden and temporary files (editor/download partials) are never taken."""
    return bool(TEMP_NAME.search(name))


def takeable_name(name: str) -> str:
    """``name`` without what would make the inbox ignore it (``~$`` and ``.`` prefixes, a ``~``
    suffix, a temporary extension such as ``.part`` or ``.crdownload``), for files handed over
    whole by ``briefing ingest`` and the console's upload: they are complete, so they must be
    taken and get a receipt (an upload named ``x.part`` sat in the inbox for good). Returns
    ``unnamed`` when nothing is left."""
    while name and is_ignored(name):
        name = re.sub(r"^(~\$|\.)+|~$", "", name)
        name = re.sub(r"\.(tmp|temp|part|partial|crdownload|swp|download|filepart)$", "", name, flags=re.IGNORECASE)
    return name or "unnamed"




F_SETLEASE = getattr(fcntl, "F_SETLEASE", 1024)


def open_for_writing(path: Path) -> bool | None:
    """True when some process on this machine still has the file open for writing.

    Linux only: a read lease (``fcntl F_SETLEASE F_RDLCK``) is refused with EAGAIN exactly while
    any process holds the file open for writing — a copy that stalls longer than
    ``stable_seconds`` is therefore still not taken. The lease is released at once. Returns None
    when it cannot tell (not Linux, not the file's owner and no CAP_LEASE, a file system without
    leases such as NFS): the size+mtime window alone decides then.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        fcntl.fcntl(fd, F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        return True if exc.errno == errno.EAGAIN else None
    else:
        fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
        return False
    finally:
        os.close(fd)


def find_stable(settings: Settings, now: float | None = None) -> tuple[list[str], list[str], float | None]:
    """List inbox entries ready to claim.

    A regular file is ready when its mtime and ctime are at least ``settings.stable_seconds`` old
    and no process has it open for writing (:func:`open_for_writing`); a text file whose last
    character is cut needs ``settings.truncated_wait_seconds`` (:func:`_cut_short`). Anything that is not a
    regular file (directory, FIFO, symlink …) is returned as ready too, to be refused.
    Returns (ready names, names still being written, seconds until the earliest may be ready).
    """
    now = time.time() if now is None else now
    window = settings.stable_seconds
    ready, waiting, rescan = [], [], None
    try:
        entries = list(os.scandir(settings.inbox_dir))
    except FileNotFoundError:
        return [], [], None
    for entry in sorted(entries, key=lambda e: e.name):
        if is_ignored(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(st.st_mode):
            ready.append(entry.name)
            continue
        age = now - max(st.st_mtime, st.st_ctime)
        if age < window:
            waiting.append(entry.name)
            wait = window - age
            rescan = wait if rescan is None else min(rescan, wait)
            continue
        if open_for_writing(Path(entry.path)):
            waiting.append(entry.name)
            rescan = window if rescan is None else min(rescan, window)
            continue
        if age < settings.truncated_wait_seconds and _cut_short(settings, entry, st):
            waiting.append(entry.name)
            wait = settings.truncated_wait_seconds - age
            rescan = wait if rescan is None else min(rescan, wait)
            continue
        ready.append(entry.name)
    return ready, waiting, rescan


def _cut_short(settings: Settings, entry: os.DirEntry, st: os.stat_result) -> bool:
    """True when a text file's last character is cut (``reading.truncation_warning``): its writer
    may have paused to reopen it and append (FTP/SMB resume), so it waits for
    ``settings.truncated_wait_seconds`` — then it is taken, with the warning."""
    if st.st_size > settings.max_file_bytes:
        return False
    try:
        fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(settings.max_file_bytes + 1)
    except OSError:
        return False  # taking it will say why
    warning = truncation_warning(data, entry.name)
    if warning:
        log.info("%s ends inside a character; waiting up to %.0f s for the rest (%s)",
                 display_name(entry.name), settings.truncated_wait_seconds, warning)
    return warning is not None


def claim(settings: Settings, name: str) -> ClaimedFile | None:
    """Move ``inbox/name`` into a fresh ``processing/CLAIM/`` folder by an atomic rename.

    Returns None when the file vanished first (another scan claimed it or the operator removed it).
    """
    claim_id = f"{datetime.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    folder = settings.processing_dir / claim_id
    folder.mkdir(parents=True)
    src = settings.inbox_dir / name
    dst = folder / name
    try:
        os.rename(src, dst)
    except FileNotFoundError:
        folder.rmdir()
        return None
    except OSError:  # EPERM (immutable, sticky folder), EACCES, EBUSY, EXDEV …: leave no empty claim
        folder.rmdir()
        raise
    return ClaimedFile(claim_id=claim_id, name=name, path=dst)


@dataclass
class Inspection:
    """What reading a claimed file found: its bytes (when acceptable) or why it is refused."""

    size: int
    sha256: str | None
    data: bytes | None
    refusal: str | None


def inspect(settings: Settings, claimed: ClaimedFile) -> Inspection:
    """Check a claimed file without following links: type, size limit, readability, content sniff.

    Returns an Inspection; never raises for a bad file (that is a refusal with a reason).
    """
    try:
        st = os.lstat(claimed.path)
    except OSError as exc:
        return Inspection(0, None, None, f"cannot stat file: {exc.strerror}")
    if stat.S_ISLNK(st.st_mode):
        return Inspection(0, None, None, "symbolic link: refused, never followed")
    if stat.S_ISDIR(st.st_mode):
        return Inspection(0, None, None, "a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        return Inspection(0, None, None, "not a regular file (FIFO, socket or device)")
    if st.st_size > settings.max_file_bytes:
        return Inspection(st.st_size, None, None,
                          f"file too big: {st.st_size} bytes, limit {settings.max_file_bytes} bytes")
    try:
        fd = os.open(claimed.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(settings.max_file_bytes + 1)
    except PermissionError:
        return Inspection(st.st_size, None, None, "permission denied: the worker may not read this file")
    except OSError as exc:
        return Inspection(st.st_size, None, None, f"unreadable: {exc.strerror or exc}")
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > settings.max_file_bytes:
        return Inspection(len(data), digest, None,
                          f"file too big: over the limit of {settings.max_file_bytes} bytes")
    reason = sniff(claimed.name, data[:SNIFF_BYTES])
    if reason:
        return Inspection(len(data), digest, None, reason)
    return Inspection(len(data), digest, data, None)


def unique_path(folder: Path, name: str, taken: set[Path] | None = None) -> Path:
    """``folder/name``, or ``folder/stem-2.ext``… when that exists (never overwrites)."""
    base = Path(name)
    candidate = folder / name
    n = 2
    while candidate.exists() or candidate.is_symlink() or (taken and candidate in taken):
        candidate = folder / f"{base.stem}-{n}{base.suffix}"
        n += 1
    return candidate


def _local_now(settings: Settings) -> datetime:
    return datetime.now(ZoneInfo(settings.timezone))


def final_place(settings: Settings, claimed: ClaimedFile, outcome: str) -> Path:
    """Where a claimed file ends: archive/YYYY/MM, archive/duplicates, or failed/."""
    if outcome == "accepted":
        now = _local_now(settings)
        folder = settings.archive_dir / f"{now:%Y}" / f"{now:%m}"
    elif outcome == "duplicate":
        folder = settings.archive_dir / "duplicates"
    else:
        folder = settings.failed_dir
    folder.mkdir(parents=True, exist_ok=True)
    return unique_path(folder, safe_name(claimed.name))


def record(session: Session, settings: Settings, claimed: ClaimedFile, found: Inspection) -> tuple[Receipt, bool]:
    """Write the receipt (and the Issue when the bytes are new) in the caller's transaction.

    Returns (receipt, issue_is_new). Duplicate detection is by sha256; the unique index on
    ``Issue.sha256`` settles a race between two scans (the loser gets IntegrityError and should
    call again, when it finds the winner's Issue).
    """
    name = display_name(claimed.name)
    if found.refusal:
        dest = final_place(settings, claimed, "refused")
        receipt = Receipt(file_name=name, size=found.size, sha256=found.sha256, outcome="refused",
                          reason=found.refusal, claim_id=claimed.claim_id,
                          stored_path=str(dest.relative_to(settings.var_dir)))
        session.add(receipt)
        return receipt, False
    existing = session.exec(select(Issue.id).where(Issue.sha256 == found.sha256)).first()
    if existing is not None:
        dest = final_place(settings, claimed, "duplicate")
        receipt = Receipt(file_name=name, size=found.size, sha256=found.sha256, outcome="duplicate",
                          reason=f"same bytes as issue {existing}", issue_id=existing,
                          claim_id=claimed.claim_id, stored_path=str(dest.relative_to(settings.var_dir)))
        session.add(receipt)
        return receipt, False
    issue = Issue(file_name=name, sha256=found.sha256, size=found.size, raw=found.data,
                  issue_date=date_from_file_name(name), issue_date_source=None)
    if issue.issue_date is not None:
        issue.issue_date_source = "file_name"
    session.add(issue)
    session.flush()
    dest = final_place(settings, claimed, "accepted")
    receipt = Receipt(file_name=name, size=found.size, sha256=found.sha256, outcome="accepted",
                      issue_id=issue.id, claim_id=claimed.claim_id,
                      stored_path=str(dest.relative_to(settings.var_dir)))
    session.add(receipt)
    return receipt, True


def file_away(settings: Settings, claimed_path: Path, receipt: Receipt, session_factory=None) -> Path:
    """Move a claimed file to the place its receipt names; refused files get a ``.error.json``
    beside them (name, size, sha256, reason, time). Never overwrites: if that place was taken in the
    meantime, the claim id is added to the name and the receipt updated — after the move succeeded,
    so when two reconciles race for the same claim the loser changes nothing. Removes the claim
    folder. Returns the final path."""
    dest = settings.var_dir / receipt.stored_path
    dest.parent.mkdir(parents=True, exist_ok=True)
    moved_elsewhere = dest.exists() or dest.is_symlink()
    if moved_elsewhere:
        dest = unique_path(dest.parent, f"{Path(receipt.stored_path).stem}-{receipt.claim_id}"
                           f"{Path(receipt.stored_path).suffix}")
    if not (claimed_path.exists() or claimed_path.is_symlink()):
        return settings.var_dir / receipt.stored_path  # already filed by a concurrent reconcile
    if receipt.outcome == "refused":
        info = {"file_name": receipt.file_name, "size": receipt.size, "sha256": receipt.sha256,
                "reason": receipt.reason, "receipt_id": receipt.id,
                "received_at": local_time(receipt.received_at, settings.timezone), "time_zone": settings.timezone}
        err = dest.with_name(dest.name + ERROR_SUFFIX)
        tmp = err.with_name(f"{err.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, err)
    try:
        os.rename(claimed_path, dest)
    except FileNotFoundError:
        return settings.var_dir / receipt.stored_path  # a concurrent reconcile filed it first
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.move(str(claimed_path), str(dest))
    if moved_elsewhere:
        receipt.stored_path = str(dest.relative_to(settings.var_dir))
        if session_factory is not None:
            with session_factory() as session:
                session.get(Receipt, receipt.id).stored_path = receipt.stored_path
    with contextlib.suppress(OSError):  # not empty: another claim's file is still there
        claimed_path.parent.rmdir()
    return dest


class TakeError(Exception):
    """Taking one inbox file failed; ``where`` the file is now (relative to var_dir), ``reason``
    one sentence for operations, ``stage`` claim | record | file_away."""

    def __init__(self, where: str, reason: str, stage: str):
        super().__init__(reason)
        self.where, self.reason, self.stage = where, reason, stage


def _why(exc: Exception) -> str:
    """``exc`` as one sentence: the OS error's text and errno name, or the exception type."""
    if isinstance(exc, OSError) and exc.errno:
        return f"{exc.strerror} ({errno.errorcode.get(exc.errno, exc.errno)})"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}".rstrip(": ")


def _give_back(settings: Settings, claimed: ClaimedFile) -> str:
    """Return a claimed file whose receipt was not written to the inbox (the next scan tries
    again) and remove its claim folder. Returns where the file is now, relative to var_dir."""
    back = unique_path(settings.inbox_dir, claimed.name)
    try:
        os.rename(claimed.path, back)
    except OSError as exc:
        log.warning("could not return %s to the inbox (%s); reconcile will", display_name(claimed.name), _why(exc))
        return str(claimed.path.relative_to(settings.var_dir))
    with contextlib.suppress(OSError):
        claimed.path.parent.rmdir()
    return str(back.relative_to(settings.var_dir))


def take(session_factory, settings: Settings, name: str) -> tuple[Receipt, bool] | None:
    """Claim, inspect, record and file away one inbox entry. Returns (receipt, issue_is_new), or
    None when the entry vanished before the claim.

    Raises TakeError when the file cannot be moved out of the inbox (it stays there), its receipt
    cannot be written (the file goes back to the inbox) or it cannot be filed away after the
    commit (it stays in ``processing/``; reconcile files it as the receipt says)."""
    try:
        claimed = claim(settings, name)
    except OSError as exc:
        raise TakeError(f"inbox/{display_name(name)}", f"cannot be moved out of the inbox: {_why(exc)}",
                        "claim") from exc
    if claimed is None:
        return None
    found = inspect(settings, claimed)
    try:
        for attempt in range(2):
            try:
                with session_factory() as session:
                    receipt, is_new = record(session, settings, claimed, found)
                break
            except IntegrityError:
                if attempt:
                    raise
                log.info("same bytes stored concurrently; recording %s as a duplicate", display_name(name))
    except Exception as exc:
        where = _give_back(settings, claimed)
        raise TakeError(display_name(where), f"receipt not written: {_why(exc)}", "record") from exc
    try:
        file_away(settings, claimed.path, receipt, session_factory)
    except OSError as exc:
        raise TakeError(display_name(str(claimed.path.relative_to(settings.var_dir))),
                        f"receipt {receipt.id} ({receipt.outcome}) written, but not moved to "
                        f"{receipt.stored_path}: {_why(exc)}", "file_away") from exc
    log.info("receipt %s: %s %s%s", receipt.id, display_name(name), receipt.outcome,
             f" ({receipt.reason})" if receipt.reason else "")
    return receipt, is_new


def scan(session_factory, settings: Settings, now: float | None = None, on_new_issue=None,
         before_each=None) -> ScanResult:
    """One pass over the inbox: take every ready entry (``now``: epoch seconds, for tests).

    ``on_new_issue(issue_id)`` is called right after each new Issue's commit, so processing starts
    while the scan goes on (a backfill of 1,000 files otherwise idles the ingest workers for
    seconds; bench/ backfill). ``before_each()`` is called before each file (the task renews its
    scan lock there)."""
    settings.ensure_dirs()
    ready, waiting, rescan = find_stable(settings, now)
    result = ScanResult(waiting=waiting, rescan_in=rescan)
    taken_names = []
    for name in ready:
        if before_each is not None:
            before_each()
        try:  # one bad file never stops the others
            taken = take(session_factory, settings, name)
        except TakeError as exc:
            _report(session_factory, settings, name, exc)
            result.problems.append(display_name(name))
            continue
        taken_names.append(display_name(name))
        if taken is None:
            continue
        receipt, is_new = taken
        result.receipts.append(receipt.id)
        if is_new:
            result.new_issue_ids.append(receipt.issue_id)
            if on_new_issue is not None:
                on_new_issue(receipt.issue_id)
    _forget_solved(settings, taken_names)
    return result


def _report(session_factory, settings: Settings, name: str, exc: TakeError) -> None:
    """Make a file that could not be taken visible: the problem for ``briefing status``, a
    warning log line (first time and when the reason changes; debug after), and — when it could
    not even leave the inbox but can be read — one ``refused`` receipt with the reason."""
    news = problems.note(settings, display_name(name), exc.where, exc.reason)
    level = logging.WARNING if news else logging.DEBUG
    log.log(level, "cannot take %s (%s): %s; tried again at the next scan", display_name(name), exc.where,
            exc.reason, exc_info=news and exc.stage != "claim")
    if exc.stage == "claim":
        try:
            _refuse_in_place(session_factory, settings, name, exc.reason)
        except Exception as err:  # noqa: BLE001 - the problem record and the log line remain
            log.warning("no receipt for %s: %s", display_name(name), _why(err))


def _refuse_in_place(session_factory, settings: Settings, name: str, reason: str) -> None:
    """One ``refused`` receipt for a readable file that cannot leave the inbox (not one a scan:
    a receipt with the same name, bytes and reason already exists then)."""
    path = settings.inbox_dir / name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return
            data = fh.read(settings.max_file_bytes + 1)
    except OSError:
        return  # cannot be read: the problem record is all there is
    digest = hashlib.sha256(data).hexdigest()
    reason = f"{reason}; left in the inbox and tried again at every scan"
    shown = display_name(name)
    with session_factory() as session:
        if session.exec(select(Receipt.id).where(Receipt.file_name == shown, Receipt.sha256 == digest,
                                                 Receipt.outcome == "refused", Receipt.reason == reason)).first():
            return
        session.add(Receipt(file_name=shown, size=len(data), sha256=digest, outcome="refused", reason=reason,
                            stored_path=f"inbox/{shown}"))


def _forget_solved(settings: Settings, taken: list[str]) -> None:
    """Drop the problems of files taken now, and of files no longer where the problem says."""
    gone = list(taken)
    for row in problems.current(settings) or []:
        if row["file"] not in gone and not os.path.lexists(settings.var_dir / row["where"]):
            gone.append(row["file"])
    problems.clear(settings, gone)


def reconcile_processing(session_factory, settings: Settings, now: float | None = None) -> list[str]:
    """Finish or undo claims left in ``processing/`` by a crash, once older than
    ``settings.processing_stale_seconds``: a claim with a committed receipt is filed away as its
    receipt says; a claim without one goes back to the inbox to be taken again. Returns actions."""
    now = time.time() if now is None else now
    actions: list[str] = []
    if not settings.processing_dir.exists():
        return actions
    for folder in sorted(settings.processing_dir.iterdir()):
        if not folder.is_dir() or now - folder.stat().st_mtime < settings.processing_stale_seconds:
            continue
        with session_factory() as session:
            receipt = session.exec(select(Receipt).where(Receipt.claim_id == folder.name)).first()
        for item in list(folder.iterdir()):
            if receipt is not None:
                file_away(settings, item, receipt, session_factory)
                actions.append(f"filed {item.name} as {receipt.outcome}")
            else:
                back = unique_path(settings.inbox_dir, item.name)
                os.rename(item, back)
                actions.append(f"returned {item.name} to the inbox")
        with contextlib.suppress(OSError):
            folder.rmdir()
    for action in actions:
        log.warning("reconcile: %s", action)
    return actions


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def sync_failed(session_factory, settings: Settings) -> list[str]:
    """Keep ``failed/`` in step with Issues whose *content* was refused or whose processing failed
    (decided by ``process_issue``, possibly on another machine, after the file was archived).

    A failed Issue gets a copy of its stored bytes at ``failed/issueID_NAME`` with
    ``issueID_NAME.error.json`` (reason, attempts, where the original is archived, how to retry),
    so ``failed/`` is the one place operations look for "cannot be processed". The archived
    original stays where its receipt says. When the Issue is processed after all (``briefing
    retry``), the copy and its .error.json are removed. Only the inbox worker calls this (it owns
    the folders). Returns what it did.
    """
    from sqlalchemy import or_

    actions: list[str] = []
    with session_factory() as session:
        rows = session.exec(select(Issue.id, Issue.status, Issue.failed_path).where(or_(
            (Issue.status == "failed") & Issue.failed_path.is_(None),
            (Issue.status != "failed") & Issue.failed_path.is_not(None)))).all()
    for issue_id, _status, _failed_path in rows:  # re-read under its own session below
        with session_factory() as session:
            issue = session.get(Issue, issue_id)
            if issue.status == "failed" and issue.failed_path is None:
                settings.failed_dir.mkdir(parents=True, exist_ok=True)
                name = f"issue{issue.id}_{safe_name(issue.file_name)}"
                dest = settings.failed_dir / name
                receipt = session.exec(select(Receipt).where(Receipt.issue_id == issue.id,
                                                             Receipt.outcome == "accepted")).first()
                info = {"file_name": issue.file_name, "size": issue.size, "sha256": issue.sha256,
                        "reason": issue.error, "issue_id": issue.id, "attempts": issue.attempts,
                        "archived_as": receipt.stored_path if receipt else None,
                        "received_at": local_time(issue.received_at, settings.timezone),
                        "time_zone": settings.timezone,
                        "retry": f"briefing retry {issue.id}"}
                _write_atomic(dest, issue.raw)
                _write_atomic(dest.with_name(dest.name + ERROR_SUFFIX),
                              json.dumps(info, ensure_ascii=False, indent=2).encode())
                issue.failed_path = str(dest.relative_to(settings.var_dir))
                session.add(issue)
                actions.append(f"issue {issue.id} failed: copied to {issue.failed_path}")
            elif issue.status != "failed" and issue.failed_path is not None:
                dest = settings.var_dir / issue.failed_path
                for p in (dest, dest.with_name(dest.name + ERROR_SUFFIX)):
                    with contextlib.suppress(FileNotFoundError):
                        p.unlink()
                actions.append(f"issue {issue.id} is {issue.status} now: removed {issue.failed_path}")
                issue.failed_path = None
                session.add(issue)
    for action in actions:
        log.info("failed/: %s", action)
    return actions


def received_local_date(settings: Settings, received_at: datetime) -> date:
    """The local (``settings.timezone``) calendar date of a UTC receipt time."""
    if received_at.tzinfo is None:
        from datetime import UTC

        received_at = received_at.replace(tzinfo=UTC)
    return received_at.astimezone(ZoneInfo(settings.timezone)).date()


__all__ = ["ClaimedFile", "ScanResult", "date_from_file_name", "reconcile_processing", "scan", "sync_failed",
           "utcnow"]


class FileTooLarge(ValueError):
    """A dropped file grew past the size limit while it was being written (nothing was kept)."""


class InboxDrop:
    """Write one file into the inbox the way every producer must: under a hidden temporary name
    (``.NAME.RANDOM.part``, which :func:`find_stable` ignores), then an atomic rename to its
    final name, so the inbox worker never claims half a file. ``briefing ingest`` and the console's
    upload both use it; the inbox worker stays the only one that claims files and writes receipts.

    ``write`` raises :class:`FileTooLarge` past ``max_bytes`` (the temporary file is removed).
    ``commit`` returns the final path: ``safe_name(name)``, or ``stem-2.ext``… when a file of that
    name still waits in the inbox (never overwritten). ``abort`` removes the temporary file.
    """

    def __init__(self, settings: Settings, name: str, max_bytes: int | None = None):
        settings.inbox_dir.mkdir(parents=True, exist_ok=True)
        self.inbox = settings.inbox_dir
        self.name = takeable_name(safe_name(os.path.basename(name.replace("\\", "/")) or "unnamed"))
        self.max_bytes = settings.max_file_bytes if max_bytes is None else max_bytes
        self.size = 0
        self.tmp = self.inbox / f".{self.name}.{uuid.uuid4().hex[:8]}.part"
        self._fh = open(self.tmp, "xb")  # noqa: SIM115 - closed in commit/abort

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; FileTooLarge (and the temporary file removed) past ``max_bytes``."""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.abort()
            raise FileTooLarge(f"{self.name}: larger than {self.max_bytes} bytes")
        self._fh.write(chunk)

    def commit(self) -> Path:
        """Flush to disk and rename into place; returns the final path."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        final = unique_path(self.inbox, self.name)
        os.replace(self.tmp, final)
        return final

    def abort(self) -> None:
        """Drop the temporary file (idempotent)."""
        if not self._fh.closed:
            self._fh.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)


def retry_refused(session_factory, settings: Settings, receipt_id: int) -> str:
    """Put a refused file back into the inbox for another try (after a limit was raised or the
    reader fixed): its kept copy in ``failed/`` is renamed into ``inbox/`` (same file system, so
    the scanner never sees half a file), its ``.error.json`` removed, and the old receipt's
    ``stored_path`` cleared (the retry gets a receipt of its own). Inbox worker only: it owns the
    folders. Returns the name in the inbox. Raises LookupError for an unknown receipt, ValueError
    when it was not refused or its copy is gone (already retried)."""
    with session_factory() as session:
        receipt = session.get(Receipt, receipt_id)
        if receipt is None:
            raise LookupError(f"no receipt {receipt_id}")
        if receipt.outcome != "refused" or not receipt.stored_path:
            raise ValueError(f"receipt {receipt_id} has no refused file to retry")
        kept = settings.var_dir / receipt.stored_path
        if not kept.is_file():
            raise ValueError(f"the refused copy {receipt.stored_path} is gone")
        settings.inbox_dir.mkdir(parents=True, exist_ok=True)
        target = unique_path(settings.inbox_dir, safe_name(receipt.file_name))
        os.rename(kept, target)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(kept.with_name(kept.name + ERROR_SUFFIX))
        receipt.stored_path = None
        session.add(receipt)
    log.info("receipt %s: refused file put back into the inbox as %s", receipt_id, target.name)
    return target.name
