"""The console speaks Chinese: the engine's English reasons, the parser's line decisions, task
history and audit rows are shown in Chinese (web/zh.py), while the database keeps the English
record. Reasons are produced for real (the inbox and the pipeline refuse real files)."""

from __future__ import annotations

import html
import re
import struct
import zlib

import pytest
from conftest import SAMPLES
from fastapi.testclient import TestClient
from sqlmodel import select
from webhelp import HOSTILE_ISSUE, LATER, add_user, ingest_and_process, login, token

from web import zh
from worker import pipeline
from worker.core.db import session_scope
from worker.core.models import AuditLog, Issue, Receipt
from worker.intake import inbox

_WORD = re.compile(r"(?<![.\w/])[a-z]{3,}\b")
#: format names kept as they are (as are upper-case codes like UTF-8 and PNG, and extensions like .txt)
FORMAT_NAMES = {"zip", "gzip", "docx", "xlsx", "bzip2", "pypdf"}


def english_words(text: str) -> list[str]:
    """Lower-case English words left in ``text``."""
    return [w for w in _WORD.findall(text) if w not in FORMAT_NAMES]


def _png() -> bytes:
    """A real 1×1 PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def visible(page: str) -> str:
    """The text a reader sees: tags (and their title attributes) removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.fixture
def client(settings):
    from web.app import create_app

    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def intake(settings):
    """Real files through the real inbox and pipeline: an empty file, a PNG named .txt, English
    text, an issue, the same bytes again, and the same text re-encoded as GB18030."""
    issue_id = ingest_and_process(settings, "a.txt", HOSTILE_ISSUE)
    files = {"empty.txt": b"", "picture.txt": _png(), "english.txt": b"This is an English memo, not a newspaper.",
             "same-bytes.txt": HOSTILE_ISSUE, "gb.txt": HOSTILE_ISSUE.decode().encode("gb18030")}
    for name, data in files.items():
        (settings.inbox_dir / name).write_bytes(data)
    new = inbox.scan(session_scope, settings, LATER).new_issue_ids
    outcomes = {i: pipeline.process_issue(i, settings=settings).status for i in new}
    with session_scope() as s:
        receipts = {r.file_name: r for r in s.exec(select(Receipt))}
        issues = {i.file_name: i for i in s.exec(select(Issue))}
        for x in (*receipts.values(), *issues.values()):
            s.expunge(x)
    return {"issue": issue_id, "receipts": receipts, "issues": issues, "outcomes": outcomes}


def test_every_real_refusal_and_duplicate_reason_has_a_chinese_form(intake):
    r, i = intake["receipts"], intake["issues"]
    # the record stays English (CLI, logs and .error.json read the same text)
    assert r["empty.txt"].reason == "empty file"
    assert r["picture.txt"].reason == "extension .txt does not match content: the file is a PNG image"
    assert r["same-bytes.txt"].reason == f"same bytes as issue {intake['issue']}"
    assert i["gb.txt"].status == "duplicate"
    assert i["gb.txt"].error == f"same text as issue {intake['issue']} (file a.txt)"
    assert i["english.txt"].status == "failed" and i["english.txt"].error.startswith("not Chinese text: ")

    assert zh.reason(r["empty.txt"].reason) == "空文件"
    assert zh.reason(r["picture.txt"].reason) == "扩展名 .txt 与内容不符：文件实际是 PNG 图片"
    assert zh.reason(r["same-bytes.txt"].reason) == f"与第{intake['issue']}号期次的文件完全相同（字节一致）"
    assert zh.reason(i["gb.txt"].error) == f"与第{intake['issue']}号期次（文件 a.txt）文字相同"
    english = zh.reason(i["english.txt"].error)
    assert english.startswith("不是中文文本：") and "个汉字" in english and "已尝试" in english
    assert not english_words(english), english
    # what no pattern knows is shown as it is
    assert zh.reason("something new went wrong") == "something new went wrong"


def test_every_sniffer_refusal_is_translated():
    """Each refusal the sniffer can give (every refused type, every magic number under .txt,
    .docx and .pdf, markup under .txt) has a Chinese form without English words left."""
    from worker.intake import reading

    names = [f"x{ext}" for ext in (*reading._REFUSED_EXTS, *reading._IMAGE_EXTS, *reading._ARCHIVE_EXTS,
                                   *reading._EXEC_EXTS, ".xyz")]
    reasons = [reading.sniff(n, b"data") for n in names]
    for magic, _what in reading._MAGIC:
        reasons += [reading.sniff(n, magic + b"\x00" * 64) for n in ("x.txt", "x", "x.docx", "x.pdf")]
    reasons += [reading.sniff("x.txt", b"<html><body>x</body></html>"), reading.sniff("x.txt", b'{"a": 1}'),
                reading.sniff("x.docx", "纯文本".encode()), reading.sniff("x.pdf", "纯文本".encode()),
                reading.sniff("x.txt", b"ab\x00cd" * 20), reading.sniff("x.txt", b"")]
    reasons = {x for x in reasons if x}
    assert len(reasons) > 30
    for reason in reasons:
        shown = zh.reason(reason)
        assert shown != reason and not english_words(shown), (reason, shown)


def test_intake_page_shows_reasons_in_chinese_and_the_duplicate_receipt(client, intake):
    add_user("op", "operator")
    login(client, "op")
    page = client.get("/intake").text
    seen = visible(page)
    for english in ("empty file", "does not match content", "same bytes as issue", "not Chinese text"):
        assert english not in seen
    assert "空文件" in seen and "文件实际是 PNG 图片" in seen and "不是中文文本" in seen
    # the English record stays available as a tooltip
    assert 'title="empty file"' in page
    # 第N号期次 and the reason are separated, not glued together
    first = intake["issue"]
    assert f"第{first}号期次：与第{first}号期次的文件完全相同" in seen
    assert f"第{first}号期次same" not in seen
    # the re-encoded copy was accepted as a file, its issue ended duplicate
    assert f"重复（与第{first}号期次文字相同）" in seen
    # the failed and issue tables refresh like the receipts (htmx), and their fragments answer
    assert 'hx-get="/intake/issues"' in page and 'hx-get="/intake/failed"' in page
    failed = visible(client.get("/intake/failed").text)
    assert "处理失败的期次" in failed and "english.txt" in failed and "不是中文文本" in failed
    issues = visible(client.get("/intake/issues").text)
    assert f"（与第{first}号期次文字相同）" in issues
    assert visible(client.get("/intake/receipts").text).count("空文件") == 1


def test_duplicate_and_failed_issue_pages(client, intake):
    add_user("op", "operator")
    login(client, "op")
    first, dup, failed = intake["issue"], intake["issues"]["gb.txt"].id, intake["issues"]["english.txt"].id
    page = client.get(f"/issues/{dup}").text
    seen = visible(page)
    assert "重复说明" in seen and "失败原因" not in seen
    assert f"与第{first}号期次文字相同，未重复存储文章" in seen
    assert "尚未处理" not in seen and "本功能上线之前" not in seen
    # a duplicate has no articles: nothing to withdraw, and the server refuses it too
    assert "button" not in page.split('class="actions"')[1].split("</p>")[0]
    r = client.post(f"/issues/{dup}/withdraw", data={"csrf_token": token(client), "confirm": "on"})
    assert "无需撤回" in r.text
    with session_scope() as s:
        assert s.get(Issue, dup).status == "duplicate"

    seen = visible(client.get(f"/issues/{failed}").text)
    assert "失败原因" in seen and "不是中文文本" in seen and "处理失败，没有文章" in seen
    assert "尚未处理" not in seen and "本功能上线之前" not in seen and "重复说明" not in seen


def test_line_view_shows_roles_and_rules_in_chinese_with_the_english_as_tooltip(client, settings):
    issue_id = ingest_and_process(settings, "2024-12-24_zjgrrb.txt", (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes())
    add_user("ed", "editor")
    login(client, "ed")
    page = client.get(f"/issues/{issue_id}").text
    rows = re.findall(r'<td class="became" title="([^"]*)">([^<]*)</td><td class="rule" title="([^"]*)">([^<]*)</td>',
                      page)
    assert len(rows) > 20
    shown = {html.unescape(b): (html.unescape(cb), html.unescape(cr)) for b, cb, _r, cr in rows}
    assert shown["blank"][0] == "空行"
    assert shown["title #1"][0] == "第1篇 主题"
    assert any(b.startswith("debris:masthead") for b in shown) and "报头" in {c for c, _ in shown.values()}
    for b, r_en, (b_zh, r_zh) in ((html.unescape(b), html.unescape(r), shown[html.unescape(b)])
                                  for b, _cb, r, _cr in rows):
        assert not english_words(b_zh), (b, b_zh)
        assert not english_words(r_zh), (r_en, r_zh)
    assert zh.rule("headline block (byline follows)") == "标题组（其后是署名）"
    assert zh.rule("下转 marker: article suspended") == "“下转”标记：文章转到他版"
    assert zh.became("paragraph #2.1 + byline #2") == "第2篇 正文第1段＋第2篇 署名/电头"


def test_system_page_names_tasks_in_chinese_with_readable_results(settings, celery_worker_thread):
    from conftest import wait_for

    from web.app import create_app
    from worker.core.app import celery_app
    from worker.core.models import TaskEvent

    (settings.inbox_dir / "a.txt").write_bytes(HOSTILE_ISSUE)
    [issue_id] = inbox.scan(session_scope, settings, LATER).new_issue_ids
    celery_app.send_task("briefing.process_issue", args=[issue_id], queue="ingest")

    def done():
        with session_scope() as s:
            return s.exec(select(TaskEvent).where(TaskEvent.name == "briefing.process_issue",
                                                  TaskEvent.state == "succeeded")).first()

    wait_for(done, timeout=60)
    add_user("root", "admin")
    with TestClient(create_app()) as c:
        login(c, "root")
        page = c.get("/system").text
    assert '<td title="briefing.process_issue">处理期次</td>' in page
    seen = visible(page)
    assert "briefing.process_issue" not in seen and "{'issue'" not in seen
    with session_scope() as s:
        articles = s.get(Issue, issue_id).article_count
    assert f"第{issue_id}号期次：已处理，文章 {articles} 篇" in seen
    assert zh.task_detail("briefing.scan_inbox", "succeeded",
                          str({"receipts": 2, "new_issues": [3, 4], "waiting": 0, "problems": 0})) \
        == "回执 2 张，新期次 第3号、第4号，等待写完 0 个，问题 0 个"
    assert zh.task_name("briefing.reconcile") == "核对" and zh.task_name("briefing.deliver_briefing") == "发送简报"


def test_audit_log_in_chinese_topic_labels_targets_and_the_cli_user(client, settings, monkeypatch):
    import getpass

    from typer.testing import CliRunner

    from worker.core.models import Article
    from worker.enrich.classify import get_taxonomy
    from worker.ops.cli import app

    issue_id = ingest_and_process(settings, "a.txt", HOSTILE_ISSUE)
    labels = get_taxonomy().labels
    with session_scope() as s:
        article = s.exec(select(Article).where(Article.issue_id == issue_id)).first()
    new = next(k for k in labels if k != article.category)
    add_user("ed", "editor")
    login(client, "ed")
    client.post(f"/articles/{article.id}/topic", data={"csrf_token": token(client), "category": new})
    # no $USER (sudo -i, cron, a container): the account is still named, from the password database
    for var in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.delenv(var, raising=False)
    r = CliRunner().invoke(app, ["user", "add", "zhang", "--role", "operator", "--email", "z@example.org"],
                           input="first password\nfirst password\n")
    assert r.exit_code == 0, r.output
    with session_scope() as s:
        who = s.exec(select(AuditLog.who).where(AuditLog.action == "user_add")).one()
    assert who == f"cli:{getpass.getuser()}" and who != "cli:unknown"
    add_user("root", "admin")
    login(client, "root")
    seen = visible(client.get("/system/audit").text)
    assert f"{labels.get(article.category, article.category)} → {labels[new]}" in seen
    assert f"{article.category} → {new}" not in seen
    assert f"命令行（{getpass.getuser()}）" in seen and "账户 zhang" in seen and "角色：收件员" in seen
    assert f"文章 {article.id}" in seen


def test_briefing_versions_are_drafts_not_pages(client, settings):
    from datetime import date

    from worker.briefing.build import make_briefing

    ingest_and_process(settings, "2024-12-24_zjgrrb.txt", (SAMPLES / "2024-12-24_zjgrrb.txt").read_bytes())
    with session_scope() as s:
        first = make_briefing(s, "daily", date(2024, 12, 24), pdf=False).id
        second = make_briefing(s, "daily", date(2024, 12, 24), force=True, pdf=False).id
    add_user("ed", "editor")
    login(client, "ed")
    seen = visible(client.get(f"/briefings/{second}").text)
    assert "第2稿（修订稿）" in seen and "第1稿" in seen and " 版" not in seen.split("页面预览")[0]
    listing = visible(client.get("/briefings").text)
    assert "稿次" in listing and "版本" not in listing and "（旧稿）" in listing
    assert first != second


def test_decoding_warning_on_the_issue_page_is_chinese(client, settings):
    data = (HOSTILE_ISSUE.decode() + "全文完。").encode("gb18030")[:-1]  # cut inside the last character
    issue_id = ingest_and_process(settings, "cut.txt", data)
    with session_scope() as s:
        warnings = s.get(Issue, issue_id).warnings
    assert any(w.startswith("file truncated") for w in warnings), warnings
    add_user("ed", "editor")
    login(client, "ed")
    seen = visible(client.get(f"/issues/{issue_id}").text)
    assert "文件末尾不完整" in seen and "file truncated" not in seen
