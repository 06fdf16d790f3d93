"""The briefing desk (issue 19): drafts, edits, late changes, 签发, 修订稿, reminders — on real
SQLite (and PostgreSQL where concurrency matters), real .docx read back, a real local SMTP
server (aiosmtpd), the real command line. The week of issues is the hand-written briefing corpus
(tests/data/briefing_week)."""

from __future__ import annotations

import hashlib
import shutil
import threading
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiosmtpd.controller import Controller
from docx import Document
from sqlmodel import Session, SQLModel, select
from test_briefing_delivery import Collect, free_port
from typer.testing import CliRunner

from bench.briefing_corpus import load, week
from worker.briefing import desk
from worker.briefing.build import make_briefing, make_due_briefings
from worker.briefing.config import load_briefing_config
from worker.briefing.delivery import deliver
from worker.core.models import Article, Briefing, Delivery, Issue, User
from worker.core.settings import PROJECT_ROOT, get_settings
from worker.ops.accounts import add_user

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2024, 12, 24)
runner = CliRunner()


@pytest.fixture()
def smtp():
    handler, port = Collect(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture()
def env(settings, monkeypatch, tmp_path, smtp):
    """approval: required, the week loaded, an editor, a signer and a plain editor without the
    signer right; e-mail to a local SMTP server. Yields (settings, cfg, handler, engine)."""
    from worker.core.db import get_engine

    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config)
    data = yaml.safe_load((config / "briefing.yaml").read_text(encoding="utf-8"))
    data.update(approval="required", pdf=False, remind_after_hours=24)
    data["email"]["daily"] = ["leader@union.test"]
    (config / "briefing.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    handler, port = smtp
    for key, value in {"CONFIG_DIR": config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                       "SMTP_SECURITY": "none", "APPROVAL": "required", "SCHEDULE_START": "2024-12-23"}.items():
        monkeypatch.setenv(f"BRIEFING_{key}", str(value))
    get_settings.cache_clear()
    settings = get_settings()
    cfg = load_briefing_config(config)
    engine = get_engine()
    with Session(engine) as s:
        load(s, week())
        add_user(s, "bianji", "editor", "bianji@union.test", "editor-pass-1")
        add_user(s, "qianfa", "admin", "qianfa@union.test", "signer-pass-1", signer=True)
        add_user(s, "xiaozhang", "editor", "xz@union.test", "editor-pass-2")
        s.commit()
    yield settings, cfg, handler, engine


def _user(s: Session, name: str) -> User:
    return s.exec(select(User).where(User.name == name)).one()


def _ids(row: Briefing) -> list[str]:
    return [e["id"] for sec in row.generated["sections"] for e in sec["entries"]]


def _texts(path) -> list[str]:
    return [p.text for p in Document(path).paragraphs]


def test_required_makes_a_draft_without_number_and_beat_makes_no_second(env):
    settings, cfg, handler, engine = env
    now = datetime(2024, 12, 25, 8, 0, tzinfo=SH)
    with Session(engine, expire_on_commit=False) as s:
        made = make_due_briefings(s, "daily", now, settings=settings, config=cfg)
        assert [(b.period_start, b.status, b.number, b.file_path) for b in made] == [
            (date(2024, 12, 23), "draft", None, None), (DAY, "draft", None, None)]
        assert make_due_briefings(s, "daily", now, settings=settings, config=cfg) == []  # beat again
        assert make_briefing(s, "daily", DAY, settings=settings, config=cfg) is None
        assert make_briefing(s, "daily", DAY, force=True, settings=settings, config=cfg) is None  # open draft
        assert len(s.exec(select(Briefing)).all()) == 2
        assert not list(settings.outbox_dir.iterdir())  # nothing rendered, nothing to send
        assert deliver(made[1].id, settings=settings, config=cfg) == "nothing to deliver"
    assert handler.messages == []


def test_empty_period_makes_no_draft_only_the_skip(env):
    settings, cfg, _, engine = env
    with Session(engine, expire_on_commit=False) as s:
        row = make_briefing(s, "daily", date(2024, 12, 29), settings=settings, config=cfg)
        assert (row.status, row.number) == ("skipped", None)


def test_numbers_in_sign_off_order_and_a_discarded_draft_leaves_no_gap(env):
    settings, cfg, _, engine = env
    with Session(engine, expire_on_commit=False) as s:
        d23 = make_briefing(s, "daily", date(2024, 12, 23), settings=settings, config=cfg)
        d24 = make_briefing(s, "daily", DAY, settings=settings, config=cfg)
        d25 = make_briefing(s, "daily", date(2024, 12, 25), settings=settings, config=cfg)
        signer = _user(s, "qianfa")
        b24 = desk.sign_off(s, d24.id, signer, "console", settings=settings, config=cfg)
        assert b24.number == 1 and "2024年第1期（日报）  总第1期" in _texts(b24.path_in(settings.var_dir))
        desk.discard(s, d23.id)
        b25 = desk.sign_off(s, d25.id, signer, "console", settings=settings, config=cfg)
        assert (b25.number, b25.year) == (2, 2024)
        assert "2024年第2期（日报）  总第2期" in _texts(b25.path_in(settings.var_dir))
        with pytest.raises(ValueError):
            desk.sign_off(s, d23.id, signer, "console", settings=settings, config=cfg)  # discarded


def test_edits_reach_the_signed_docx_with_signer_and_date(env):
    settings, cfg, handler, engine = env
    with Session(engine, expire_on_commit=False) as s:
        row = make_briefing(s, "daily", DAY, settings=settings, config=cfg)
        first, second, *_ = _ids(row)
        gone_title = row.generated["sections"][0]["entries"][1]["title"] if len(
            row.generated["sections"][0]["entries"]) > 1 else None
        titles = {e["id"]: e["title"] for sec in row.generated["sections"] for e in sec["entries"]}
        draft = desk.save_edits(s, row.id, {
            "exclude": [second], "entries": {first: {"summary": "编辑改写的摘要：十条措施覆盖快递、外卖等行业。"}},
            "highlights": {first: "新就业形态劳动者权益保障十条措施出台"}, "editor_note": "请各地抓好落实。"},
            0, "bianji", settings=settings, config=cfg)
        assert any("删去" in c for c in draft.changes) and any("摘要" in c for c in draft.changes)
        signed = desk.sign_off(s, row.id, _user(s, "qianfa"), "console", settings=settings, config=cfg,
                               now=datetime(2024, 12, 25, 1, 0, tzinfo=UTC))
        assert (signed.signed_by, signed.sign_channel, signed.number) == ("qianfa", "console", 1)
        text = "\n".join(_texts(signed.path_in(settings.var_dir)))
        assert "2024年第1期（日报）" in text and "签发人：qianfa" in text and "2024年12月25日" in text
        assert "编辑改写的摘要：十条措施覆盖快递、外卖等行业。" in text
        assert "新就业形态劳动者权益保障十条措施出台（见第一条）" in text
        assert "编者按：请各地抓好落实。" in text
        assert titles[second] not in text and (gone_title is None or gone_title not in text)
        assert deliver(signed.id, settings=settings, config=cfg).startswith("e-mailed")
    [(_, _, raw)] = [m for m in handler.messages if "leader@union.test" in m[1]]
    assert "签发人：qianfa" in message_from_bytes(raw, policy=policy.default)["Subject"]


def test_two_editors_saving_at_once_one_conflict_nothing_lost(env):
    settings, cfg, _, engine = env
    with Session(engine, expire_on_commit=False) as s:
        row = make_briefing(s, "daily", DAY, settings=settings, config=cfg)
        ids = _ids(row)
    mine = {"editor_note": "乙的编者按"}
    with Session(engine) as a, Session(engine) as b:
        desk.save_edits(a, row.id, {"exclude": [ids[0]]}, 0, "bianji", settings=settings, config=cfg)
        with pytest.raises(desk.EditConflict) as err:
            desk.save_edits(b, row.id, mine, 0, "xiaozhang", settings=settings, config=cfg)
    conflict = err.value
    assert conflict.who == "bianji" and conflict.current == 1 and conflict.mine == mine
    assert any(ids[0] in line and "删去" in line for line in conflict.theirs)
    with Session(engine, expire_on_commit=False) as s:
        assert s.get(Briefing, row.id).edits == {"exclude": [ids[0]]}  # the first save is kept
        merged = {**s.get(Briefing, row.id).edits, **conflict.mine}  # the second editor merges, saves
        desk.save_edits(s, row.id, merged, conflict.current, "xiaozhang", settings=settings, config=cfg)
        assert s.get(Briefing, row.id).edits == {"exclude": [ids[0]], "editor_note": "乙的编者按"}


def _extra_issue(s: Session, day: date, title: str, text: str) -> Issue:
    raw = f"late {title}".encode()
    issue = Issue(file_name="late.txt", sha256=hashlib.sha256(raw).hexdigest(), raw=raw, issue_date=day,
                  masthead="浙江工人日报", status="processed", article_count=1)
    s.add(issue)
    s.flush()
    s.add(Article(issue_id=issue.id, seq=1, page=3, page_name="职工", title=title, category="worker_services",
                  source="本报", paragraphs=[text], places=["宁波"]))
    s.commit()
    return issue


def test_late_issue_after_an_edit_gives_a_notice_and_keeps_the_edits_that_apply(env):
    settings, cfg, _, engine = env
    with Session(engine, expire_on_commit=False) as s:
        row = make_briefing(s, "daily", DAY, settings=settings, config=cfg)
        ids = _ids(row)
        late = _extra_issue(s, DAY, "宁波职工书屋新增120家",
                            "本报讯 记者日前获悉，宁波市总工会今年新建职工书屋120家，覆盖职工8万人。")
        assert desk.refresh_draft(s, row, settings=settings, config=cfg)  # the late issue arrives
        late_id = next(i for i in _ids(s.get(Briefing, row.id)) if i not in ids)
        edits = {"entries": {ids[0]: {"title": "编辑改过的标题"}, late_id: {"summary": "书屋摘要（编辑）"}},
                 "exclude": [ids[1]]}
        desk.save_edits(s, row.id, edits, 0, "bianji", settings=settings, config=cfg)
        late.status = "withdrawn"  # withdrawn after the edit (worker.ops.issues.withdraw sets this)
        s.add(late)
        s.commit()
        notice = desk.refresh_draft(s, row, settings=settings, config=cfg)
        assert any("删去：《宁波职工书屋新增120家》" in n for n in notice)
        assert any("已不适用" in n and "宁波职工书屋新增120家" in n for n in notice)
        view = desk.view(s, s.get(Briefing, row.id), settings=settings, config=cfg)
        shown = [(str(e.article_id), e.title) for sec in view.content.sections for e in sec.articles]
        assert shown[0] == (ids[0], "编辑改过的标题") and ids[1] not in dict(shown)  # kept where they apply
        assert s.get(Briefing, row.id).notice == notice
        assert desk.refresh_draft(s, s.get(Briefing, row.id), settings=settings, config=cfg) == []  # no change


def test_sign_off_twice_sends_once_and_a_non_signer_cannot_sign(env):
    settings, cfg, handler, engine = env
    with Session(engine, expire_on_commit=False) as s:
        row = make_briefing(s, "daily", DAY, settings=settings, config=cfg)
        with pytest.raises(PermissionError):
            desk.sign_off(s, row.id, _user(s, "bianji"), "console", settings=settings, config=cfg)
        assert s.get(Briefing, row.id).status == "draft"
        signed = desk.sign_off(s, row.id, _user(s, "qianfa"), "console", settings=settings, config=cfg)
        with pytest.raises(ValueError):
            desk.sign_off(s, row.id, _user(s, "qianfa"), "console", settings=settings, config=cfg)
        deliver(signed.id, settings=settings, config=cfg)
        assert len(s.exec(select(Briefing).where(Briefing.number.is_not(None))).all()) == 1
    assert [m[1] for m in handler.messages] == [["leader@union.test"]]


def test_correction_after_sending_is_a_revision_with_its_own_sign_off(env):
    settings, cfg, handler, engine = env
    with Session(engine, expire_on_commit=False) as s:
        row = make_briefing(s, "daily", DAY, settings=settings, config=cfg)
        v1 = desk.sign_off(s, row.id, _user(s, "qianfa"), "cli", settings=settings, config=cfg)
        deliver(v1.id, settings=settings, config=cfg)
        sent_bytes = v1.path_in(settings.var_dir).read_bytes()
        v2 = desk.open_correction(s, v1.id, settings=settings, config=cfg)
        assert (v2.status, v2.version, v2.number) == ("draft", 2, None)
        with pytest.raises(ValueError):
            desk.open_correction(s, v1.id, settings=settings, config=cfg)  # one open draft per period
        assert deliver(v2.id, settings=settings, config=cfg) == "nothing to deliver"  # not signed yet
        ids = _ids(v2)
        desk.save_edits(s, v2.id, {"entries": {ids[0]: {"summary": "更正后的摘要。"}}}, 0, "bianji",
                        settings=settings, config=cfg)
        signed = desk.sign_off(s, v2.id, _user(s, "qianfa"), "console", settings=settings, config=cfg)
        assert (signed.number, signed.version, signed.signed_by) == (1, 2, "qianfa")
        text = "\n".join(_texts(signed.path_in(settings.var_dir)))
        assert "修订稿" in text and "更正后的摘要。" in text
        assert v1.path_in(settings.var_dir).read_bytes() == sent_bytes  # a sent file is never rewritten
        assert signed.file_path != v1.file_path
        deliver(signed.id, settings=settings, config=cfg)
        versions = [(b.version, b.status, b.signed_by) for b in desk.versions(s, signed)]
        assert versions == [(1, "made", "qianfa"), (2, "made", "qianfa")]
    subjects = [message_from_bytes(m[2], policy=policy.default)["Subject"] for m in handler.messages
                if "leader@union.test" in m[1]]
    assert len(subjects) == 2 and "修订稿" not in subjects[0] and "修订稿" in subjects[1]


def test_editors_are_told_and_reminded_once(env):
    settings, cfg, handler, engine = env
    with Session(engine, expire_on_commit=False) as s:
        row = make_briefing(s, "daily", DAY, settings=settings, config=cfg)
        assert desk.notify_editors(s, row, settings=settings) == 2  # the two active editors
        created = s.get(Briefing, row.id).created_at.replace(tzinfo=UTC)
        assert desk.remind_overdue(s, created + timedelta(hours=23), settings=settings, config=cfg) == []
        later = created + timedelta(hours=25)
        assert desk.overdue(s.get(Briefing, row.id), later, 24)
        assert desk.remind_overdue(s, later, settings=settings, config=cfg) == [row.id]
        assert desk.remind_overdue(s, later + timedelta(hours=5), settings=settings, config=cfg) == []
    to_editors = [message_from_bytes(m[2], policy=policy.default)["Subject"] for m in handler.messages]
    assert len(to_editors) == 2 and "待审" in to_editors[0] and "提醒" in to_editors[1]
    assert sorted(handler.messages[1][1]) == ["bianji@union.test", "xz@union.test"]


def test_approval_auto_numbers_and_renders_at_once(env, monkeypatch):
    settings, cfg, _, engine = env
    with Session(engine, expire_on_commit=False) as s:
        row = make_briefing(s, "daily", DAY, settings=settings, config={**cfg, "approval": "auto"})
        assert (row.status, row.number, row.signed_by) == ("made", 1, None)
        assert row.path_in(settings.var_dir).is_file()
        # under auto nothing waits for a signature: delivery sends it
        assert deliver(row.id, settings=settings, config={**cfg, "approval": "auto"}).startswith("e-mailed")


def test_cli_report_drafts_approve_discard(env):
    from worker.ops.cli import app

    _, _, handler, engine = env
    out = runner.invoke(app, ["report", "daily", "--date", "2024-12-24"])
    assert out.exit_code == 0, out.output
    draft_id = int(out.stdout.split("draft:")[1].split()[0])
    listed = runner.invoke(app, ["drafts"])
    assert listed.exit_code == 0 and str(draft_id) in listed.stdout
    refused = runner.invoke(app, ["approve", str(draft_id), "--as", "bianji"], input="editor-pass-1\n")
    assert refused.exit_code == 1 and "no right to sign" in refused.output
    wrong = runner.invoke(app, ["approve", str(draft_id), "--as", "qianfa"], input="not-the-password\n")
    assert wrong.exit_code == 1 and "wrong user name or password" in wrong.output
    ok = runner.invoke(app, ["approve", str(draft_id), "--as", "qianfa"], input="signer-pass-1\n")
    assert ok.exit_code == 0, ok.output
    assert "signed: 2024年第1期 v1" in ok.stdout and "e-mailed to 1" in ok.stdout
    again = runner.invoke(app, ["approve", str(draft_id), "--as", "qianfa"], input="signer-pass-1\n")
    assert again.exit_code == 1
    other = runner.invoke(app, ["report", "daily", "--date", "2024-12-23"])
    other_id = int(other.stdout.split("draft:")[1].split()[0])
    assert runner.invoke(app, ["discard", str(other_id)]).exit_code == 0
    assert "no drafts wait" in runner.invoke(app, ["drafts"]).stdout
    with Session(engine) as s:
        row = s.get(Briefing, draft_id)
        assert (row.sign_channel, row.signed_by) == ("cli", "qianfa")
        assert len(s.exec(select(Delivery)).all()) == 1
    assert len([m for m in handler.messages if "leader@union.test" in m[1]]) == 1


def test_postgres_concurrent_saves_and_sign_offs(postgres_url, tmp_path, monkeypatch):
    """Two editors saving at the same moment and two signers pressing 签发 at the same moment,
    on PostgreSQL: one save wins, one conflict; one sign-off, one number."""
    from worker.core.db import make_engine

    engine = make_engine(postgres_url)
    SQLModel.metadata.create_all(engine)
    monkeypatch.setenv("BRIEFING_APPROVAL", "required")
    get_settings.cache_clear()
    settings = get_settings().model_copy(update={"var_dir": tmp_path / "var"})
    settings.ensure_dirs()
    cfg = {**load_briefing_config(), "pdf": False}
    try:
        with Session(engine, expire_on_commit=False) as s:
            load(s, week())
            row = make_briefing(s, "daily", DAY, settings=settings, config=cfg)
            signer = User(name="qianfa", email="q@union.test", role="admin", signer=True, password_hash="x")
            s.add(signer)
            s.commit()
        ids = _ids(row)
        gate, results = threading.Barrier(2), []

        def save(edits, who):
            with Session(engine) as s:
                gate.wait()
                try:
                    desk.save_edits(s, row.id, edits, 0, who, settings=settings, config=cfg)
                    results.append("saved")
                except desk.EditConflict as exc:
                    results.append(exc)

        threads = [threading.Thread(target=save, args=({"exclude": [ids[0]]}, "a")),
                   threading.Thread(target=save, args=({"exclude": [ids[1]]}, "b"))]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert results.count("saved") == 1 and len(results) == 2
        conflict = next(r for r in results if r != "saved")
        with Session(engine) as s:
            assert s.get(Briefing, row.id).edits["exclude"] != conflict.mine["exclude"]  # both kept

        def sign():
            with Session(engine, expire_on_commit=False) as s:
                gate.wait()
                try:
                    desk.sign_off(s, row.id, signer, "console", settings=settings, config=cfg)
                    results.append("signed")
                except ValueError:
                    results.append("refused")

        results.clear()
        threads = [threading.Thread(target=sign) for _ in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert sorted(results) == ["refused", "signed"]
        with Session(engine) as s:
            assert [b.number for b in s.exec(select(Briefing))] == [1]
    finally:
        engine.dispose()
        get_settings.cache_clear()


def test_withdrawing_an_issue_while_a_draft_waits_gives_the_draft_a_notice(env):
    from worker.ops.cli import app

    settings, cfg, _, engine = env
    with Session(engine, expire_on_commit=False) as s:
        row = make_briefing(s, "daily", DAY, settings=settings, config=cfg)
        late = _extra_issue(s, DAY, "宁波职工书屋新增120家",
                            "本报讯 记者日前获悉，宁波市总工会今年新建职工书屋120家，覆盖职工8万人。")
        desk.refresh_draft(s, row, settings=settings, config=cfg)
    out = runner.invoke(app, ["withdraw", str(late.id)])
    assert out.exit_code == 0, out.output
    with Session(engine) as s:
        notice = s.get(Briefing, row.id).notice
    assert any("删去：《宁波职工书屋新增120家》" in n for n in notice)


def test_health_says_libreoffice_is_required_under_approval_required(var_dir, monkeypatch, tmp_path):
    from worker.ops.status import check_health

    empty = tmp_path / "no-soffice"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # a host without LibreOffice
    monkeypatch.setenv("BRIEFING_APPROVAL", "required")
    assert any("LibreOffice" in p and "approval: required" in p for p in check_health())
    monkeypatch.setenv("BRIEFING_APPROVAL", "auto")
    assert not any("LibreOffice" in p for p in check_health())


def test_an_earlier_period_signed_later_takes_the_next_numbers(env):
    settings, cfg, _, engine = env
    with Session(engine, expire_on_commit=False) as s:
        d23 = make_briefing(s, "daily", date(2024, 12, 23), settings=settings, config=cfg)
        d24 = make_briefing(s, "daily", DAY, settings=settings, config=cfg)
        signer = _user(s, "qianfa")
        desk.sign_off(s, d24.id, signer, "console", settings=settings, config=cfg)
        b23 = desk.sign_off(s, d23.id, signer, "console", settings=settings, config=cfg)
        assert b23.number == 2  # sign-off order, and 总第N期 follows it (never two 总第1期)
        assert "2024年第2期（日报）  总第2期" in _texts(b23.path_in(settings.var_dir))
