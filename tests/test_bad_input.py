# ruff: noqa: F811  (pytest fixtures imported from procs.py, then requested by name)
"""Bad input, each case a real file through the real scan (and processing where the refusal is
about content), each ending with exactly one receipt and a clear stored reason.

Two kinds of refusal: at scan time (type, size, not a regular file, unreadable: Receipt refused,
file in failed/ with .error.json), and in processing (content: empty, not Chinese, mixed encodings,
zip bomb, PDF without text: Receipt accepted because the bytes are stored, Issue failed with the
reason, original archived, and a copy with .error.json in failed/ so operations see it in one place).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import unicodedata
import zipfile

import pytest
from conftest import SAMPLES, wait_for
from procs import app_env, own_redis, procs, send, start_worker  # noqa: F401  (fixtures)
from sqlmodel import select

from worker import pipeline
from worker.core.db import session_scope
from worker.core.models import Issue, Receipt
from worker.intake import inbox

LATER = time.time() + 3600
GOOD = "本报讯 全省工会召开工作会议，研究部署明年职工服务工作。会议强调要切实维护职工合法权益。\n"


def _receipts():
    with session_scope() as s:
        return s.exec(select(Receipt).order_by(Receipt.id)).all()


def _issue(issue_id):
    with session_scope() as s:
        return s.get(Issue, issue_id)


def take(settings, name, data: bytes | None = None):
    """Drop ``name`` (unless already there), scan, process what was accepted, sync failed/.
    Returns the receipts of this scan."""
    if data is not None:
        (settings.inbox_dir / name).write_bytes(data)
    result = inbox.scan(session_scope, settings, LATER)
    for issue_id in result.new_issue_ids:
        pipeline.process_issue(issue_id, settings=settings)
    inbox.sync_failed(session_scope, settings)
    with session_scope() as s:
        return [s.get(Receipt, i) for i in result.receipts]


def _error_json(settings, rel_path):
    path = settings.var_dir / rel_path
    return json.loads(path.with_name(path.name + ".error.json").read_text(encoding="utf-8"))


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


PDF_NO_TEXT = (b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
               b"2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
               b"3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>> endobj\n"
               b"trailer <</Root 1 0 R>>\n%%EOF\n")

SCAN_REFUSALS = {
    "empty.txt": (b"", "empty file"),
    "photo.txt": (b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG"),
    "macro.docm": (_zip({"word/document.xml": b"<w:document/>"}), ".docm"),
    "old.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), ".doc"),
    "sheet.xlsx": (_zip({"xl/workbook.xml": b"<workbook/>"}), "spreadsheets"),
    "fake.docx": (GOOD.encode(), "not a zip"),
}


@pytest.mark.parametrize("name", list(SCAN_REFUSALS))
def test_refused_at_scan_time_with_reason_in_failed(settings, name):
    data, words = SCAN_REFUSALS[name]
    [r] = take(settings, name, data)
    assert r.outcome == "refused" and words in r.reason and r.issue_id is None
    kept = settings.var_dir / r.stored_path
    assert kept.parent == settings.failed_dir and kept.read_bytes() == data  # kept, byte for byte
    assert _error_json(settings, r.stored_path)["reason"] == r.reason


def test_over_the_size_limit_is_refused(settings, monkeypatch):
    monkeypatch.setattr(settings, "max_file_bytes", 1000)
    [r] = take(settings, "huge.txt", GOOD.encode() * 20)
    assert r.outcome == "refused" and "too big" in r.reason and "limit 1000 bytes" in r.reason
    assert (settings.var_dir / r.stored_path).stat().st_size == len(GOOD.encode()) * 20


def _bomb() -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"0" * (8 * 1024 * 1024)})


CONTENT_REFUSALS = {
    "blank.txt": (b"  \n\t \r\n   \n", "empty file"),
    "english.txt": (b"The quick brown fox jumps over the lazy dog. " * 20, "not Chinese"),
    "mixed.txt": ((GOOD * 3).encode("utf-8") + (GOOD * 3).encode("gbk"), "mixed encodings"),
    "bomb.docx": (None, "zip bomb"),
    "scan.pdf": (PDF_NO_TEXT, "no text layer"),
}


@pytest.mark.parametrize("name", list(CONTENT_REFUSALS))
def test_refused_by_content_in_processing_kept_and_visible_in_failed(settings, name):
    data, words = CONTENT_REFUSALS[name]
    data = _bomb() if data is None else data
    [r] = take(settings, name, data)
    assert r.outcome == "accepted"  # the bytes are stored: `briefing retry` can re-run them
    issue = _issue(r.issue_id)
    assert issue.status == "failed" and words in issue.error, issue.error
    assert (settings.var_dir / r.stored_path).read_bytes() == data  # original archived
    copy = settings.var_dir / issue.failed_path
    assert copy.parent == settings.failed_dir and copy.read_bytes() == data
    info = _error_json(settings, issue.failed_path)
    assert info["reason"] == issue.error and info["retry"] == f"briefing retry {issue.id}"
    assert info["archived_as"] == r.stored_path


def test_failed_copy_is_removed_once_a_retry_processes_the_issue(settings):
    [r] = take(settings, "english.txt", b"Plain English only, no Chinese at all here. " * 10)
    issue = _issue(r.issue_id)
    copy = settings.var_dir / issue.failed_path
    assert copy.exists()
    with session_scope() as s:  # an operator fixed the parser / the bytes; here: swap the bytes in
        row = s.get(Issue, issue.id)
        row.raw = GOOD.encode()
        pipeline.reset_for_rerun(s, [issue.id])
    assert pipeline.process_issue(issue.id, settings=settings).status == "processed"
    inbox.sync_failed(session_scope, settings)
    assert not copy.exists() and not copy.with_name(copy.name + ".error.json").exists()
    assert _issue(issue.id).failed_path is None


def test_truncated_gb18030_is_read_with_a_stored_warning(settings):
    data = (GOOD * 4).strip().encode("gb18030")[:-1]  # cut in the middle of the last character (。)
    [r] = take(settings, "cut.txt", data)
    issue = _issue(r.issue_id)
    assert issue.status == "processed" and issue.encoding == "gb18030"
    assert any("truncated" in w for w in issue.warnings), issue.warnings


def test_directory_fifo_and_symlink_outside_are_refused_never_followed(settings, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text(GOOD, encoding="utf-8")
    os.symlink(outside, settings.inbox_dir / "link.txt")
    (settings.inbox_dir / "folder").mkdir()
    (settings.inbox_dir / "folder" / "inner.txt").write_text(GOOD, encoding="utf-8")
    os.mkfifo(settings.inbox_dir / "pipe.txt")
    receipts = {r.file_name: r for r in take(settings, "unused")}
    assert "symbolic link" in receipts["link.txt"].reason
    assert "directory" in receipts["folder"].reason
    assert "FIFO" in receipts["pipe.txt"].reason
    assert {r.outcome for r in receipts.values()} == {"refused"}
    assert outside.read_text(encoding="utf-8") == GOOD  # never followed, never moved
    assert (settings.failed_dir / "link.txt").is_symlink()
    assert (settings.failed_dir / "folder" / "inner.txt").exists()  # kept whole
    with session_scope() as s:
        assert s.exec(select(Issue)).all() == []


def test_awkward_names_are_stored_under_safe_names_and_received_as_dropped(settings):
    names = ["with spaces 2024-12-24 要闻.txt", "浙江工人日报.txt", unicodedata.normalize("NFD", "café 报纸.txt"),
             "-rf --help.txt", "长" * 80 + ".txt"]  # 80 × 3 bytes + 4 = 244 bytes
    long_name = "x" * 251 + ".txt"  # 255 bytes: the file-system limit
    names.append(long_name)
    for i, name in enumerate(names):
        (settings.inbox_dir / name).write_bytes((GOOD + f"第{i}篇。").encode())
    raw = b"bad-\xff\xfe-name.txt"  # bytes that are not UTF-8
    with open(os.path.join(os.fsencode(settings.inbox_dir), raw), "wb") as fh:
        fh.write((GOOD + "第九篇。").encode())
    receipts = take(settings, "unused")
    assert len(receipts) == len(names) + 1
    assert {r.outcome for r in receipts} == {"accepted"}
    by_name = {r.file_name: r for r in receipts}
    for name in names:
        r = by_name[name]  # the receipt keeps the name as dropped (NFD stays NFD)
        stored = settings.var_dir / r.stored_path
        assert stored.exists() and len(stored.name.encode()) <= inbox.MAX_NAME_BYTES
        assert unicodedata.is_normalized("NFC", stored.name) and not stored.name.startswith("-")
        assert _issue(r.issue_id).status == "processed"
    r = by_name["bad-\\xff\\xfe-name.txt"]
    assert (settings.var_dir / r.stored_path).name == "bad-_xff_xfe-name.txt"  # shown escaped, no backslash
    assert not any(settings.inbox_dir.iterdir())


def test_same_bytes_under_two_names_at_once(settings):
    data = (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes()
    (settings.inbox_dir / "a.txt").write_bytes(data)
    (settings.inbox_dir / "b.txt").write_bytes(data)
    a, b = take(settings, "unused")
    assert (a.outcome, b.outcome) == ("accepted", "duplicate") and b.issue_id == a.issue_id
    assert b.reason == f"same bytes as issue {a.issue_id}"
    assert (settings.var_dir / b.stored_path).read_bytes() == data


def test_same_bytes_in_two_concurrent_scans_one_issue(settings):
    """Two scans racing (two inbox workers by mistake): the unique sha256 settles it."""
    import threading

    data = GOOD.encode() * 3
    for i in range(6):
        (settings.inbox_dir / f"copy{i}.txt").write_bytes(data)
    threads = [threading.Thread(target=inbox.scan, args=(session_scope, settings, LATER)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    receipts = _receipts()
    assert sorted(r.file_name for r in receipts) == [f"copy{i}.txt" for i in range(6)]
    assert sorted(r.outcome for r in receipts) == ["accepted"] + ["duplicate"] * 5
    with session_scope() as s:
        assert len(s.exec(select(Issue)).all()) == 1


def test_file_still_being_written_slowly_is_never_taken_half_written(settings):
    """A writer that stalls for longer than stable_seconds (a slow network copy) keeps the file
    open: the scan sees the open writer (Linux lease check) and waits."""
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "f = open(sys.argv[1], 'wb')\n"
        "f.write(sys.argv[2].encode()); f.flush()\n"
        "print('half', flush=True); time.sleep(3)\n"
        "f.write(sys.argv[2].encode()); f.close()\n"), str(settings.inbox_dir / "slow.txt"), GOOD],
        stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "half"
    time.sleep(settings.stable_seconds + 0.5)  # mtime is now "stable"; the writer is not done
    result = inbox.scan(session_scope, settings, LATER)
    assert result.receipts == [] and result.waiting == ["slow.txt"] and result.rescan_in
    writer.wait(10)
    [r] = take(settings, "slow.txt")
    with session_scope() as s:
        assert s.get(Issue, r.issue_id).raw == (GOOD * 2).encode()  # the whole file


def test_file_removed_before_the_claim_is_skipped_and_the_rest_taken(settings, monkeypatch):
    (settings.inbox_dir / "gone.txt").write_bytes(GOOD.encode())
    (settings.inbox_dir / "stays.txt").write_bytes((GOOD * 2).encode())
    real = inbox.find_stable

    def operator_removes_it_meanwhile(*args, **kwargs):
        found = real(*args, **kwargs)
        (settings.inbox_dir / "gone.txt").unlink()
        return found

    monkeypatch.setattr(inbox, "find_stable", operator_removes_it_meanwhile)
    receipts = take(settings, "unused")
    assert [r.file_name for r in receipts] == ["stays.txt"]  # a withdrawn file has no receipt
    assert not any(settings.processing_dir.iterdir())


def _unprivileged_prefix() -> tuple[str | None, list[str] | None]:
    """Run as ``nobody`` when it can execute our interpreter; otherwise (the interpreter lives
    under /root) as root *without* the capabilities that let root read any file
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) — for file permissions, the same as an ordinary user."""
    probe = subprocess.run(["runuser", "-u", "nobody", "--", sys.executable, "-c", "pass"], capture_output=True)
    if probe.returncode == 0:
        return "nobody", None
    return None, ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


@pytest.mark.slow
def test_file_the_worker_may_not_read_is_refused_by_a_real_unprivileged_worker(settings, own_redis, procs,
                                                                             tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to make a file its worker cannot read")  # CI runs as root
    user, prefix = _unprivileged_prefix()
    var = settings.var_dir
    if user:
        subprocess.run(["chown", "-R", "nobody", str(var)], check=True)
        os.chmod(tmp_path, 0o755)
    secret = var / "inbox" / "locked.txt"
    secret.write_bytes(GOOD.encode())
    os.chown(secret, 65534, 65534) if not user else None  # owned by someone else (or by nobody, mode 000)
    secret.chmod(0)
    worker = start_worker(app_env(var, own_redis.url), tmp_path / "w.log", "inbox", 1, "unprivileged",
                          user=user, prefix=prefix)
    procs.append(worker)
    send(own_redis.url, "briefing.scan_inbox")
    r = wait_for(lambda: _receipts(), 60)[0]
    assert r.outcome == "refused" and "permission denied" in r.reason
    assert wait_for(lambda: (var / r.stored_path).exists(), 30)  # moved after the commit, after its .error.json
    assert _error_json(settings, r.stored_path)["reason"] == r.reason


def test_content_hash_not_name_decides_identity(settings):
    data = GOOD.encode()
    [r] = take(settings, "2024-12-24.txt", data)
    assert r.sha256 == hashlib.sha256(data).hexdigest()
