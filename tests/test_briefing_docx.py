"""Briefing content, numbering and the generated .docx (read back with python-docx; real files,
a real temporary SQLite DB, no mocks)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from PIL import Image
from sqlmodel import Session, SQLModel, select

from bench.synthetic import synthetic_content
from worker.briefing import charts
from worker.briefing.build import make_briefing, make_due_briefings
from worker.briefing.config import DEFAULT_CONFIG
from worker.briefing.delivery import outbox_name
from worker.briefing.figures import classify_figure
from worker.briefing.render import render
from worker.briefing.select import load_taxonomy
from worker.briefing.text import summary_of, title_of
from worker.core.db import make_engine
from worker.core.models import Article, Briefing, Issue
from worker.core.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
SH = ZoneInfo("Asia/Shanghai")
# The two sample issues; 000_… carries no date in its text, so the test gives it one.
SAMPLE_DATES = {"2024-12-24_zjgrrb": date(2024, 12, 24), "000_251c0b359e5127ab": date(2024, 12, 23)}


# ---------------------------------------------------------------------------------------------
# Fixtures: a temp DB filled from tests/data/gold/*.json + samples/*.txt


def _decode(raw: bytes) -> str:
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("gb18030", errors="replace")


def _figure(text: str) -> dict:
    m = re.match(r"(\d+(?:\.\d+)?)(?:[—-]\d+(?:\.\d+)?)?(.*)", text)
    return {"text": text, "value": m.group(1) if m else None, "unit": m.group(2) if m else "",
            "sentence": ""}


def shown_title(a: dict) -> str:
    """The title the briefing shows for a sample article (untitled 简讯 items get their start)."""
    return title_of(Article(issue_id=0, seq=0, title=a["title"], paragraphs=a["paragraphs"]))


def sample_articles() -> list[tuple[str, date, list[dict]]]:
    """[(file stem, issue date, [article field dicts])] from the gold files and sample texts."""
    out = []
    for gold_path in sorted((ROOT / "tests/data/gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        stem = gold_path.stem
        text = _decode((ROOT / "samples" / gold["file"]).read_bytes()).replace("\r\n", "\n")
        arts = []
        for i, g in enumerate(gold["articles"]):
            body = ""
            s = text.find(g["body_starts"])
            if s >= 0:
                e = text.find(g["body_ends"], s)
                body = text[s:e + len(g["body_ends"])] if e >= 0 else text[s:s + 400]
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
            arts.append(dict(
                seq=i + 1, page=1 + i // 3, page_name="要闻" if i < 3 else "综合",
                title=g["headline_text"], source=g.get("source"),
                authors=[{"name": a, "role": "记者"} for a in g.get("authors") or []],
                paragraphs=paragraphs, category=g["category"], places=g.get("places") or [],
                figures=[_figure(f) for f in g.get("figures") or []], summary=""))
        out.append((stem, SAMPLE_DATES.get(stem, date(2024, 12, 24)), arts))
    return out


def add_issue(session: Session, issue_date: date, articles: list[dict], *, name: str = "x",
              status: str = "processed") -> Issue:
    raw = f"{name}-{issue_date}-{len(articles)}-{id(articles)}".encode()
    issue = Issue(file_name=f"{name}.txt", sha256=hashlib.sha256(raw).hexdigest(), raw=raw,
                  issue_date=issue_date, masthead="浙江工人日报", status=status,
                  article_count=len(articles))
    session.add(issue)
    session.flush()
    for a in articles:
        session.add(Article(issue_id=issue.id, **a))
    session.commit()
    return issue


def simple_article(seq: int, title: str, category: str = "union_building", **kw) -> dict:
    base = dict(seq=seq, page=1, title=title, category=category, source="本报",
                paragraphs=[f"{title}。这是第{seq}篇文章的正文，共有120名职工参加。"], places=["杭州"])
    base.update(kw)
    return base


@pytest.fixture()
def env(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'briefing.db'}")
    SQLModel.metadata.create_all(engine)
    settings = Settings(var_dir=tmp_path / "var", templates_dir=ROOT / "templates",
                        config_dir=ROOT / "config", schedule_start=date(2024, 12, 23))
    # empty_period short: numbering tests count empty periods too (the skip default has its own test)
    # approval auto: these tests are about numbering and rendering at once (the desk: test_briefing_desk)
    config = {**DEFAULT_CONFIG, "pdf": False, "empty_period": "short", "approval": "auto",
              "masthead": {**DEFAULT_CONFIG["masthead"], "title": "工会信息简报"},
              "closing": {"bao": ["全国总工会办公厅"], "song": ["省委办公厅"], "fa": ["各设区市总工会"],
                          "copies": 60}}
    with Session(engine, expire_on_commit=False) as session:
        yield session, settings, config, engine
    engine.dispose()


@pytest.fixture()
def samples_db(env):
    session = env[0]
    for stem, d, arts in sample_articles():
        add_issue(session, d, arts, name=stem)
    return env


NOW = datetime(2024, 12, 30, 9, 0, tzinfo=SH)


def texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


# ---------------------------------------------------------------------------------------------
# Format


def test_page_setup_fonts_masthead_and_footers(samples_db):
    session, settings, config, _ = samples_db
    b = make_briefing(session, "daily", date(2024, 12, 24), now=NOW, settings=settings, config=config)
    assert b is not None and b.status == "made" and b.path_in(settings.var_dir).is_file()
    assert b.file_path.startswith("outbox/")  # relative to BRIEFING_VAR_DIR: any host can resolve it
    doc = Document(b.path_in(settings.var_dir))
    sec = doc.sections[0]
    # A4 and GB/T 9704-2012 margins (EMU; allow rounding to whole twips)
    for got, want in ((sec.page_width, Mm(210)), (sec.page_height, Mm(297)),
                      (sec.top_margin, Mm(37)), (sec.bottom_margin, Mm(35)),
                      (sec.left_margin, Mm(28)), (sec.right_margin, Mm(26))):
        assert abs(got - want) < Mm(0.1)
    # Every run has an explicit East Asian font; body 仿宋, headings 黑体/楷体.
    fonts_by_style: dict[str, set[str]] = {}
    for p in doc.paragraphs:
        for r in p.runs:
            rfonts = r._r.rPr.rFonts
            assert rfonts is not None and rfonts.get(qn("w:eastAsia")), p.text
            assert rfonts.get(qn("w:ascii")) in ("Times New Roman", "宋体")
            fonts_by_style.setdefault(p.style.name, set()).add(rfonts.get(qn("w:eastAsia")))
    assert fonts_by_style["Normal"] >= {"仿宋_GB2312"}
    assert fonts_by_style["Heading 1"] == {"黑体"}
    assert fonts_by_style["Heading 2"] == {"楷体_GB2312"}
    normal = doc.styles["Normal"]
    assert normal.font.size.pt == 16
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert 28 <= normal.paragraph_format.line_spacing.pt <= 29
    assert abs(normal.paragraph_format.first_line_indent.pt - 32) < 0.1  # two characters
    # No theme font attributes anywhere (they would override the explicit names in Word).
    with zipfile.ZipFile(b.path_in(settings.var_dir)) as z:
        for part in ("word/document.xml", "word/styles.xml"):
            xml = z.read(part).decode()
            assert "asciiTheme" not in xml and "eastAsiaTheme" not in xml
        settings_xml = z.read("word/settings.xml").decode()
    assert "evenAndOddHeaders" in settings_xml
    # Red masthead title, 第N期 line, unit + date with a red rule.
    title_p = next(p for p in doc.paragraphs if p.text == "工会信息简报")
    assert (title_p.runs[0].font.size or title_p.style.font.size).pt >= 36
    rgb = title_p.runs[0].font.color.rgb
    assert rgb is not None and rgb[0] >= 0xC0 and rgb[1] < 0x40 and rgb[2] < 0x40
    assert title_p.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert any(t == "2024年第1期（日报）  总第1期" for t in texts(doc))
    unit = next(p for p in doc.paragraphs if p.text.startswith("浙江省总工会办公室\t"))
    assert unit.text.endswith("2024年12月25日")  # the period's due date (07:30 the day after)
    border = unit.style.element.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")).upper() == "FF0000"
    assert texts(doc)[0] == "内部资料 注意保存"
    # Page numbers: odd right, even left, "— PAGE —".
    odd, even = sec.footer.paragraphs[0], sec.even_page_footer.paragraphs[0]
    assert odd.alignment == 2 and even.alignment == 0  # RIGHT, LEFT
    for p in (odd, even):
        assert "PAGE" in p._p.xml and p.text.startswith("— ") and p.text.endswith(" —")
        assert p.runs[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
        assert p.runs[0].font.size.pt == 14
    # Closing block (版记): the last table, floating at the foot of the page, thick rules top and
    # bottom, a thin one above the printing line (GB/T 9704-2012 §7.4)
    closing = doc.tables[-1]
    rows = [r.cells[0].text for r in closing.rows]
    assert rows[0] == "报：全国总工会办公厅。" and "共印60份" in rows[-2]
    assert rows[-1] == "浙江省总工会办公室\t2024年12月25日印发"
    tbl_pr = closing._tbl.tblPr
    assert tbl_pr.find(qn("w:tblpPr")).get(qn("w:tblpYSpec")) == "bottom"
    borders = tbl_pr.find(qn("w:tblBorders"))
    assert [borders.find(qn(f"w:{e}")).get(qn("w:sz")) for e in ("top", "bottom")] == ["8", "8"]
    assert closing.rows[-1].cells[0]._tc.tcPr.find(qn("w:tcBorders")).find(qn("w:top")).get(qn("w:sz")) == "6"
    assert doc.element.body[-2].tag == qn("w:p")  # the paragraph the floating table anchors to


def test_sections_follow_the_config_and_key_figures(samples_db):
    session, settings, config, _ = samples_db
    b = make_briefing(session, "weekly", date(2024, 12, 23), now=NOW, settings=settings, config=config)
    assert b.issue_count == 2 and b.article_count == 15
    doc = Document(b.path_in(settings.var_dir))
    paras = texts(doc)
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    labels = dict(load_taxonomy(ROOT / "config"))
    order = config["sections"]["order"] or list(labels)
    shown = [t.split("、", 1)[1] for t in h1 if not t.endswith(("关键数据", "数据图表"))]
    ranks = [order.index(k) for lab in shown for k, v in labels.items() if v == lab]
    assert ranks == sorted(ranks) and "本期要目" not in paras and not any(p.startswith("概述") for p in paras)
    assert [t.split("、")[0] for t in h1] == ["一二三四五六七八九十"[i] for i in range(len(h1))]
    # every article is in the appendix; entries are numbered through the briefing
    appendix = paras[paras.index("附：本期文章目录") + 1:]
    for _, _, arts in sample_articles():
        for a in arts:
            assert any(t.startswith(shown_title(a)[:12]) for t in appendix), a["title"]
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert [t[1:t.index("）")] for t in h2] == ["一二三四五六七八九十"[i] for i in range(len(h2))]
    # source line: paper, date, page, reporters — never "来源：本报"
    meta = [p.text for p in doc.paragraphs if p.style.name == "Briefing Meta"]
    assert any(m.startswith("《浙江工人日报》2024年12月24日第1版 记者 周\u2060晓\u2060岚") for m in meta)
    assert not any("来源：本报" in m for m in meta)
    # 关键数据 table: largest amount first; 2022年…2200亿元 is historic in a 2024 briefing
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["数据", "类别", "内容", "出处"]
    assert table.rows[1].cells[0].text == "41.6亿元"
    assert 2 <= len(table.rows) <= 9  # header + at most 8 rows
    assert all(r.cells[0].text != "2200亿元" for r in table.rows)


def test_chart_images(samples_db):
    session, settings, config, _ = samples_db
    daily = make_briefing(session, "daily", date(2024, 12, 24), now=NOW, settings=settings, config=config)
    weekly = make_briefing(session, "weekly", date(2024, 12, 23), now=NOW, settings=settings, config=config)
    assert len(Document(daily.path_in(settings.var_dir)).inline_shapes) == 0  # weekly/monthly only
    if charts.find_cjk_font() is None:  # no CJK font on this machine: charts omitted, said so
        assert any("未找到可用的中文字体" in t for t in texts(Document(weekly.path_in(settings.var_dir))))
        assert not os.environ.get("CI"), "CI installs fonts-noto-cjk; charts must be drawn there"
        return
    doc = Document(weekly.path_in(settings.var_dir))
    images = [r for r in doc.part.rels.values() if "image" in r.reltype]
    assert 1 <= len(doc.inline_shapes) == len(images) <= 2
    for rel in images:
        blob = rel.target_part.blob
        assert blob[:8] == b"\x89PNG\r\n\x1a\n"
        im = Image.open(io.BytesIO(blob))
        dpi = im.info.get("dpi", (0, 0))[0]
        assert round(dpi) >= 200 and im.width >= 1000
    # both charts and their captions fit one page (版心 225 mm)
    assert sum(s.height for s in doc.inline_shapes) <= Mm(190)
    captions = [t for t in texts(doc) if t.startswith("图")]
    assert captions[0] == "图1  各主题文章数"


def test_special_characters_render_literally(env):
    session, settings, config, _ = env
    nasty = "R&D <b>{{x}}</b> {% if 1 %}\"引号\"'单'{#c#}"
    add_issue(session, date(2024, 12, 24), [
        simple_article(1, nasty, paragraphs=[f"正文含有 {nasty} 以及控制字符\x07。"],
                       summary="", authors=[{"name": "<script>", "role": "记者"}]),
    ], name="nasty")
    b = make_briefing(session, "daily", date(2024, 12, 24), now=NOW, settings=settings, config=config)
    doc = Document(b.path_in(settings.var_dir))  # still opens
    paras = texts(doc)
    assert f"（一）{nasty}" in paras
    assert f"{nasty}（见第一条）" in paras  # 本期要情
    assert any(f"正文含有 {nasty} 以及控制字符。" == p for p in paras)
    assert any("记者 <\u2060s\u2060c\u2060r\u2060i\u2060p\u2060t\u2060>" in p for p in paras)
    with zipfile.ZipFile(b.path_in(settings.var_dir)) as z:
        xml = z.read("word/document.xml").decode()
    assert "R&amp;D &lt;b&gt;{{x}}&lt;/b&gt;" in xml


def test_numbering_sequences_years_and_force(env):
    session, settings, config, _ = env
    for d in (date(2024, 12, 29), date(2024, 12, 30), date(2024, 12, 31), date(2025, 1, 1),
              date(2025, 1, 2)):
        add_issue(session, d, [simple_article(1, f"{d}的文章")], name=str(d))
    mk = lambda kind, d, **kw: make_briefing(session, kind, d, now=NOW, settings=settings,  # noqa: E731
                                             config=config, **kw)
    d1, d2, d3 = (mk("daily", date(2024, 12, 29 + i)) for i in range(3))
    assert [(b.year, b.number) for b in (d1, d2, d3)] == [(2024, 1), (2024, 2), (2024, 3)]
    w = mk("weekly", date(2024, 12, 23))
    assert (w.year, w.number) == (2024, 1)  # independent of daily
    n1 = mk("daily", date(2025, 1, 1))
    assert (n1.year, n1.number) == (2025, 1)  # new year restarts
    assert mk("daily", date(2024, 12, 30)) is None  # already made
    f = mk("daily", date(2024, 12, 30), force=True)
    assert (f.number, f.version) == (2, 2) and f.file_path.endswith("-v2.docx")
    assert d2.path_in(settings.var_dir).is_file()  # version 1 kept
    assert any(p == "2024年第2期（日报）  总第2期 修订稿" for p in texts(Document(f.path_in(settings.var_dir))))
    n2 = mk("daily", date(2025, 1, 2))
    assert n2.number == 2  # force did not consume a number
    # numbers are never reused, even for an out-of-order period
    late = mk("daily", date(2024, 12, 20))
    assert (late.year, late.number) == (2024, 4)
    assert Path(d1.file_path).name == "工会信息简报-日报-2024年第1期-2024-12-29.docx"
    assert Path(w.file_path).name == "工会信息简报-周报-2024年第1期-2024-12-23至2024-12-29.docx"
    assert outbox_name("工会信息简报", "monthly", "月报", 2024, 12, date(2024, 12, 1),
                       date(2024, 12, 31)) == "工会信息简报-月报-2024年第12期-2024-12.docx"


def test_empty_period_short_and_skip(env):
    session, settings, config, _ = env
    assert DEFAULT_CONFIG["empty_period"] == "skip"  # the default: nothing numbered or sent
    short = make_briefing(session, "daily", date(2024, 12, 25), now=NOW, settings=settings,
                          config={**config, "empty_period": "short"})
    assert short.status == "made" and short.number == 1 and short.issue_count == 0
    paras = texts(Document(short.path_in(settings.var_dir)))
    assert any("未收到报纸" in p for p in paras) and "工会信息简报" in paras
    skip_cfg = {**config, "empty_period": "skip"}
    sk = make_briefing(session, "daily", date(2024, 12, 26), now=NOW, settings=settings, config=skip_cfg)
    assert sk.status == "skipped" and sk.file_path is None and sk.number is None
    assert make_briefing(session, "daily", date(2024, 12, 26), now=NOW, settings=settings,
                         config=skip_cfg) is None
    add_issue(session, date(2024, 12, 27), [simple_article(1, "有内容")])
    nxt = make_briefing(session, "daily", date(2024, 12, 27), now=NOW, settings=settings, config=skip_cfg)
    assert nxt.number == 2  # the skipped day took no number
    # a late issue for the skipped day: force makes it for real, with a fresh number
    add_issue(session, date(2024, 12, 26), [simple_article(1, "迟到的报纸")], name="late")
    redo = make_briefing(session, "daily", date(2024, 12, 26), force=True, now=NOW, settings=settings,
                         config=skip_cfg)
    assert redo.status == "made" and redo.version == 2 and redo.number == 3


def test_make_due_briefings_after_downtime(samples_db):
    session, settings, config, _ = samples_db
    # schedule_start = 2024-12-23 (Monday); the service was down until 2024-12-27 10:00
    now = datetime(2024, 12, 27, 10, 0, tzinfo=SH)
    made = make_due_briefings(session, "daily", now, settings=settings, config=config)
    assert [b.period_start for b in made] == [date(2024, 12, 23) + timedelta(days=i) for i in range(4)]
    assert [b.number for b in made] == [1, 2, 3, 4]
    assert all(b.period_start >= settings.schedule_start for b in made)
    assert make_due_briefings(session, "daily", now, settings=settings, config=config) == []
    assert make_due_briefings(session, "weekly", now, settings=settings, config=config) == []
    later = datetime(2024, 12, 30, 8, 0, tzinfo=SH)
    weekly = make_due_briefings(session, "weekly", later, settings=settings, config=config)
    assert [(b.period_start, b.number) for b in weekly] == [(date(2024, 12, 23), 1)]
    daily = make_due_briefings(session, "daily", later, settings=settings, config=config)
    assert [b.period_start for b in daily] == [date(2024, 12, 27), date(2024, 12, 28),
                                               date(2024, 12, 29)]  # the 29th was due at 30th 07:30
    rows = session.exec(select(Briefing).where(Briefing.kind == "daily")).all()
    assert len(rows) == len({r.period_start for r in rows}) == 7


def test_due_briefings_wait_for_unprocessed_issues(samples_db):
    # A briefing made while its issues wait for a worker said 未收到报纸 and used up its 第N期.
    from worker.briefing.build import IssuesPending

    session, settings, config, _ = samples_db
    pending = add_issue(session, date(2024, 12, 25), [], name="late", status="pending")
    now = datetime(2024, 12, 27, 10, 0, tzinfo=SH)
    with pytest.raises(IssuesPending) as exc:
        make_due_briefings(session, "daily", now, settings=settings, config=config)
    assert [b.period_start for b in exc.value.made] == [date(2024, 12, 23), date(2024, 12, 24)]
    assert (exc.value.period_start, exc.value.count) == (date(2024, 12, 25), 1)
    pending.status = "processed"
    session.add(pending)
    session.commit()
    made = make_due_briefings(session, "daily", now, settings=settings, config=config)
    assert [(b.period_start, b.number) for b in made] == [(date(2024, 12, 25), 3), (date(2024, 12, 26), 4)]


def test_concurrent_duplicate_is_made_once(samples_db, tmp_path):
    _, settings, config, engine = samples_db
    results, errors = [], []
    barrier = threading.Barrier(4)

    def worker():
        try:
            with Session(engine, expire_on_commit=False) as s:
                barrier.wait()
                results.append(make_briefing(s, "daily", date(2024, 12, 24), now=NOW,
                                             settings=settings, config=config))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    made = [r for r in results if r is not None]
    assert len(made) == 1 and len(results) == 4
    with Session(engine) as s:
        assert len(s.exec(select(Briefing)).all()) == 1
    assert len(list(Path(settings.outbox_dir).glob("*.docx"))) == 1


def test_summary_fallback_and_figures():
    a = Article(issue_id=1, seq=1, paragraphs=["第一句话。第二句话！" + "长" * 200 + "。"])
    assert summary_of(a) == "第一句话。第二句话！"
    a = Article(issue_id=1, seq=1, paragraphs=["长" * 300])
    assert 115 <= len(summary_of(a)) <= 120 and summary_of(a).endswith("…")  # cut at a word boundary
    a = Article(issue_id=1, seq=1, summary="已有摘要", paragraphs=["正文。"])
    assert summary_of(a) == "已有摘要"
    f = classify_figure({"text": "41.6亿元", "value": "41.6", "unit": "亿元"})
    assert f.what == "金额" and f.amount == Decimal("4160000000.0")
    f = classify_figure({"text": "41.6亿元", "value": "4160000000", "unit": "元"})
    assert f.amount == Decimal("4160000000")
    assert classify_figure({"text": "20万人次", "value": "20", "unit": "万人次"}).what == "人数"
    assert classify_figure({"text": "386家", "value": "386", "unit": "家"}) is None


def test_render_is_a_plain_function():
    content = synthetic_content(300, "monthly")
    blob = render(content)  # its time is measured in bench/ (render), never asserted here
    assert blob[:2] == b"PK"
    assert len(Document(io.BytesIO(blob)).paragraphs) > 300


# The PDF (page layout, fonts, 版记) is checked in tests/test_briefing_layout.py, converted once.


def test_no_cjk_font_omits_charts_with_a_note(monkeypatch, tmp_path):
    # No candidate anywhere (an env path that is not a font, no system paths): no tofu charts.
    bogus = tmp_path / "not-a-font.ttf"
    bogus.write_bytes(b"nope")
    monkeypatch.setenv("BRIEFING_CJK_FONT", str(bogus))
    get_settings.cache_clear()
    monkeypatch.setattr(charts, "SYSTEM_FONT_CANDIDATES", ())
    monkeypatch.setattr(charts, "SHIPPED_FONT_DIR", tmp_path / "none")
    charts._find.cache_clear()
    try:
        assert charts.find_cjk_font() is None
        out = tmp_path / "a.docx"
        out.write_bytes(render(synthetic_content(40, "weekly")))
        doc = Document(str(out))
        assert len(doc.inline_shapes) == 0
        assert any("未找到可用的中文字体" in p.text for p in doc.paragraphs)
    finally:
        charts._find.cache_clear()
        monkeypatch.delenv("BRIEFING_CJK_FONT")
        get_settings.cache_clear()


def test_shipped_cjk_font_is_found_and_a_setting_overrides_it(monkeypatch):
    charts._find.cache_clear()
    shipped = charts.find_cjk_font()
    assert shipped == charts.SHIPPED_FONT_DIR / "wqy-microhei.ttc"
    monkeypatch.setenv("BRIEFING_CJK_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    get_settings.cache_clear()
    try:
        assert str(charts.font_candidates()[0]) == "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    finally:
        monkeypatch.delenv("BRIEFING_CJK_FONT")
        get_settings.cache_clear()
        charts._find.cache_clear()


def test_key_figure_table_repeats_its_header_and_is_left_aligned(tmp_path):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    out = tmp_path / "m.docx"
    out.write_bytes(render(synthetic_content(40, "monthly")))
    table, _closing = Document(str(out)).tables  # the key figures, then the 版记
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.LEFT for row in table.rows[1:] for c in row.cells
               for p in c.paragraphs)


def test_summary_fallback_never_leaves_a_quotation_open():
    a = Article(issue_id=1, seq=1, paragraphs=["“" + "很好。" * 50 + "”他说。"])
    out = summary_of(a)
    assert len(out) <= 120 and out.endswith("…”")
    a = Article(issue_id=1, seq=1, paragraphs=["“很好。”他说。第二句。"])
    assert summary_of(a) == "“很好。”他说。第二句。"  # quotation kept whole, not split at its 。


def test_key_figures_leave_out_limits_and_history():
    from worker.briefing.figures import is_reportable

    day = date(2024, 12, 24)
    cap = {"text": "不超过7万人", "qualifier": "不超过"}
    assert not is_reportable(cap, "参保人数从最初的不超过7万人，到如今已突破20万人。", day)
    old = {"text": "超2200亿元", "qualifier": "超"}
    assert not is_reportable(old, "2022年镇海绿色石化产业实现规上工业总产值超2200亿元，成为支柱产业。", day)
    assert is_reportable(old, "2024年镇海绿色石化产业实现规上工业总产值超2200亿元。", day)
    since = {"text": "231.28万元"}
    assert is_reportable(since, "2014年以来，衢州工会已累计补贴资金231.28万元。", day)
    assert not is_reportable({"text": "7700多元"}, "去年医疗互助保障也给我补贴报销了7700多元。", day)


def test_article_figures_are_phrases_ranked_by_size():
    from worker.briefing.figures import article_figures, figure_phrase

    sentence = "以来，衢州工会已累计补贴资金231.28万元，共为44.77万人次职工发放保障金7720.91万元，职工受益面大幅增长。"
    assert figure_phrase(sentence, "7720.91万元") == "共为44.77万人次职工发放保障金7720.91万元"
    long = "会议上，杭州市总工会职工服务中心、浙江富春江通信集团等11家单位作经验交流发言"
    phrase = figure_phrase(long + "。", "11家", limit=20)
    assert len(phrase) <= 20 and "11家" in phrase and phrase.startswith("…")
    assert figure_phrase("无关的句子。", "5元") == "5元"
    figs = [{"text": "3个", "value": "3", "unit": "个", "sentence": "设3个分会场。"},
            {"text": "80元", "value": "80", "unit": "元", "sentence": "人均增加了80元。"},
            {"text": "20万人", "value": "200000", "unit": "人", "sentence": "参保职工已突破20万人。"},
            {"text": "13家", "value": "13", "unit": "家", "sentence": "13家企业被评为试点。"},
            {"text": "不超过7万人", "value": "70000", "unit": "人", "qualifier": "不超过",
             "sentence": "从最初的不超过7万人。"}]
    # 20万人 outranks 13家; the bare 3个, the cap and a per-person amount (人均80元: not what the
    # union reached, issue 16) never show; text order kept; a phrase without a subject gets the
    # article's (its city), or is not shown
    day = date(2024, 12, 24)
    assert article_figures(figs, [], day, 2, "衢州") == ["衢州：参保职工已突破20万人", "13家企业被评为试点"]
    assert article_figures(figs, [], day, 4, "衢州") == ["衢州：参保职工已突破20万人", "13家企业被评为试点"]
    assert article_figures(figs, [], date(2024, 12, 24), 4) == ["13家企业被评为试点"]
    twice = [{"text": "37名", "value": "37", "unit": "名", "sentence": "37名职工领到了工资。"},
             {"text": "37名", "value": "37", "unit": "名", "sentence": "37名职工的工资被拖欠近三个月。"},
             {"text": "120名", "value": "120", "unit": "名", "sentence": "为120名困难职工发放资金共计36万元。"},
             {"text": "36万元", "value": "360000", "unit": "元", "sentence": "为120名困难职工发放资金共计36万元。"}]
    assert article_figures(twice, [], None, 4, "丽水") == ["丽水：37名职工领到了工资",
                                                          "丽水：为120名困难职工发放资金共计36万元"]


def test_a_long_closing_block_is_laid_out_inline_not_floating():
    # A floating table cannot break across pages: 200 recipients vanished from the PDF.
    from worker.briefing.render import ClosingBlock

    for names, floats in ((["全国总工会办公厅"], True), ([f"单位{i}工会委员会" for i in range(200)], False)):
        content = synthetic_content(2, "daily")
        content.closing = ClosingBlock(names, ["省委办公厅"], ["各设区市总工会"], 60, "浙江省总工会办公室")
        closing = Document(io.BytesIO(render(content))).tables[-1]
        assert (closing._tbl.tblPr.find(qn("w:tblpPr")) is not None) is floats
        assert closing.rows[0].cells[0].text == f"报：{'，'.join(names)}。"


# ---------------------------------------------------------------------------------------------
# Key figures: dating, caps, phrases and their cuts


def test_a_figure_is_dated_by_the_nearest_year_before_it_in_its_sentence():
    from worker.briefing.figures import is_reportable

    day = date(2024, 12, 24)
    historic = [("超2200亿元", "2022年，全省工会经费收入超2200亿元。"),  # the year is in an earlier clause
                ("1.2亿元", "去年，全省工会共发放慰问金1.2亿元。"),
                ("1500万名", "截至2023年底，全省共有工会会员1500万名。"),
                ("2200亿元", "二〇二二年全省工会经费收入2200亿元。"),
                ("3.5万人", "去年帮扶3.5万人，今年帮扶5万人。"),
                ("2200亿元", "2022年，全省工会经费收入较2021年增长10%，达到2200亿元。")]
    for text, sentence in historic:
        assert not is_reportable({"text": text, "qualifier": "超" if text[0] == "超" else None},
                                 sentence, day), sentence
    current = [("5万人", "去年帮扶3.5万人，今年帮扶5万人。"),  # 今年 is nearer than 去年
               ("500万元", "较2023年增长了500万元，达到3000万元。"),  # a comparison base dates nothing
               ("3000万元", "较2023年增长了500万元，达到3000万元。"),
               ("1.2万人", "同比2023年增加1.2万人。"),
               ("500万元", "比去年同期增长了500万元。"),
               ("800万元", "与2023年相比，今年多发放800万元。"),
               ("231.28万元", "2014年以来累计补贴资金231.28万元。"),  # cumulative up to now
               ("231.28万元", "自2014年开展职工医疗互助保障工作以来，衢州工会已累计补贴资金231.28万元。"),
               ("300万元", "2018年起，全市共投入300万元。"),
               ("2200亿元", "2024年，全省工会经费收入2200亿元。"),
               ("2200亿元", "全省工会经费收入2200亿元。")]
    for text, sentence in current:
        assert is_reportable({"text": text}, sentence, day), sentence
    # without an issue date only 去年/前年/上年 date a figure
    assert is_reportable({"text": "2200亿元"}, "2022年，收入2200亿元。", None)
    assert not is_reportable({"text": "1.2亿元"}, "去年，发放1.2亿元。", None)


def test_a_figure_is_found_only_as_a_whole_number():
    from worker.briefing.figures import clause_with, figure_phrase, is_reportable

    assert clause_with("去年帮扶3.5万人，今年帮扶5万人。", "5万人") == ("今年帮扶5万人", 4)
    assert figure_phrase("不超过1200元的部分全额报销，今年共报销200元。", "200元") == "今年共报销200元"
    assert is_reportable({"text": "200元"}, "不超过1200元的部分全额报销，今年共报销200元。", date(2024, 12, 24))
    assert clause_with("共报销1,200元。", "200元") == ("", -1)  # a thousands separator is inside the number
    assert clause_with("其中,3名选手脱颖而出。", "3名") == ("3名选手脱颖而出", 0)  # ',' as a clause comma


def test_every_occurrence_of_a_figure_is_judged():
    from worker.briefing.figures import article_figures, is_reportable

    day = date(2024, 12, 24)
    sentence = "2023年发放100万元，2024年又发放100万元。"
    fig = {"text": "100万元", "value": "100", "unit": "万元", "sentence": sentence}
    assert is_reportable(fig, sentence, day)
    assert article_figures([fig], [], day, 4, "衢州") == ["衢州：2024年又发放100万元"]
    assert article_figures([{**fig, "sentence": ""}], [sentence], day, 4, "衢州") == \
        ["衢州：2024年又发放100万元"]
    old = "2022年发放100万元，2023年又发放100万元。"
    assert not is_reportable(fig, old, day) and article_figures([{**fig, "sentence": old}], [], day, 4) == []


def test_caps_and_thresholds_are_not_key_figures():
    from worker.briefing.figures import is_reportable

    day = date(2024, 12, 24)
    caps = [("5000元", "每人最高补助5000元。"), ("10万元", "单笔报销封顶10万元。"),
            ("3000元", "对月收入低于3000元的困难职工给予补助。"),
            ("20000元", "最高报销限额由20000元提高至30000元。"),
            ("30000元", "最高报销限额由20000元提高至30000元。"),  # the new value of the cap
            ("3000元", "月收入3000元以下的职工可以申请。"), ("18岁", "未满18岁的子女。")]
    for text, sentence in caps:
        assert not is_reportable({"text": text}, sentence, day), (text, sentence)
    # a limit word further back in the clause does not make a later figure a cap
    assert is_reportable({"text": "200万元"}, "对月收入低于3000元的困难职工发放补助200万元。", day)


def test_figure_phrases_cut_at_words_and_keep_quotations_paired():
    from worker.briefing.figures import figure_phrase
    from worker.briefing.text import _balanced

    cases = {
        ("在“全国就业援助月暨2024年春节期间工作暨春风行动”专场招聘活动提供就业岗位3.5万个以上。", "3.5万个"):
            "…专场招聘活动提供就业岗位3.5万个以上",
        ("全省各级工会在“两节”期间走访慰问困难职工家庭1.2万户（含单亲困难职工，下同）。", "1.2万户"):
            "…各级工会在“两节”期间走访慰问困难职工家庭1.2万户…",
        ("据统计2023年和2024年分别发放补助资金合计达到1.5亿元。", "1.5亿元"):
            "…2024年分别发放补助资金合计达到1.5亿元",
        ("1.2亿元全部用于为困难职工家庭和患病职工提供生活救助和医疗救助及子女助学。", "1.2亿元"):
            "1.2亿元全部用于为困难职工家庭和患病职工提供生活救助…",
    }
    for (sentence, text), want in cases.items():
        got = figure_phrase(sentence, text)
        assert got == want and len(got) <= 28 and _balanced(got), got
    # the clause is whole when it fits; … only where words were left out
    assert figure_phrase("共为44.77万人次职工发放保障金7720.91万元。", "7720.91万元") == \
        "共为44.77万人次职工发放保障金7720.91万元"
    assert figure_phrase("“今年共发放100万元，惠及职工。”", "100万元") == "今年共发放100万元"


def test_key_figure_context_is_cut_at_words_and_quotations(env):
    from worker.briefing.text import _balanced, cut_around

    session, settings, config, _ = env
    paras = [
        "2024年全国危险货物道路运输从业人员安全应急能力竞赛（决赛）在宁波市镇海区举行，"
        "共有来自全国15个省市的200名选手参加。",
        "“我们主动在职工医疗互助保障已参保职工中筛选出自负费用万元以上的患病职工，开展送温暖活动，"
        "为他们‘二次减负’，全年共计发放慰问金10余万元。”衢州市总工会职工服务中心主任毛彩霞说。",
        "衢州工会将职工医疗互助保障金起付标准从原来的500元降至300元，住院职工报销额度人均增加了80元，"
        "全年为3.2万名职工报销医疗费用共计1200万元。",
    ]
    figs = [_figure(t) for t in ("200名", "500元", "1200万元")] + [
        {"text": "10余万元", "value": "10", "unit": "万元", "qualifier": "余", "sentence": ""}]
    add_issue(session, date(2024, 12, 24), [simple_article(1, "危货运输竞赛", paragraphs=paras, figures=figs)])
    # the 关键数据 table is in weekly and monthly briefings only
    b = make_briefing(session, "weekly", date(2024, 12, 24), now=NOW, settings=settings, config=config)
    rows = {r.cells[0].text: r.cells[2].text for r in Document(b.path_in(settings.var_dir)).tables[0].rows[1:]}
    # 内容 is at most 40 characters (KEY_FIGURE_CONTEXT_CHARS), cut at words around the figure
    assert rows["200名"] == "…能力竞赛（决赛）在宁波市镇海区举行，共有来自全国15个省市的200名选手参加。"  # not "…24年…"
    # inside a quotation too long to show whole: the window stays inside it, “ and ” left out (the
    # project's sentence splitter keeps a quotation and its 某某说 in one sentence)
    assert rows["10余万元"].endswith("，全年共计发放慰问金10余万元…") and "“" not in rows["10余万元"]
    assert rows["1200万元"].endswith("全年为3.2万名职工报销医疗费用共计1200万元。")
    # with the whole sentence (as enrichment gives it) the closing ” and what follows are left out
    sentence = paras[1]
    at = sentence.index("10余万元")
    assert cut_around(sentence, at, at + len("10余万元"), 60, after=12).endswith("，全年共计发放慰问金10余万元…")
    for ctx in rows.values():  # 40 characters, plus the subject a clause without one is given
        assert len(ctx.split("：", 1)[-1]) <= 40 and _balanced(ctx), ctx
        assert not re.match(r"…\d", ctx) or re.match(r"…\d+(?:\.\d+)?[万亿千]?(?:元|名|人)", ctx), ctx


def test_untitled_items_are_cut_at_clauses_or_words_not_numbers():
    def title(text: str) -> str:
        return title_of(Article(issue_id=1, seq=1, title="", paragraphs=[text]))

    assert title("丽水市总工会为全市120名困难职工家庭发放帮扶资金共计36万元，惠及困难职工。") == \
        "丽水市总工会为全市120名困难职工家庭发放帮扶资金共计…"
    assert title("近日，来自全市46家企业的200余名职工参加了技能比武大赛并获得好成绩。") == \
        "近日，来自全市46家企业的200余名职工参加了技能比武大赛…"
    assert title("市总工会举办职工技能大赛决赛暨表彰大会，全市各行业的优秀选手参加比赛。") == \
        "市总工会举办职工技能大赛决赛暨表彰大会…"  # a clause boundary keeping ≥ ⅔ of the room
    assert title("短讯一则。后文。") == "短讯一则"
    for text in ("丽水市总工会为全市120名困难职工家庭发放帮扶资金共计36万元。", "“" + "甲" * 40 + "”。"):
        out = title(text)
        assert len(out) <= 30 and out.endswith("…") and not re.search(r"\d…", out), out


def test_summary_fallback_is_never_longer_than_its_limit():
    from worker.briefing.text import _balanced

    for paras in (["“" + "甲" * 115 + "“乙”" + "丙" * 50 + "。"], ["《" * 200],
                  ["为全市" + "1234567" * 30 + "名职工服务。"]):
        out = summary_of(Article(issue_id=1, seq=1, paragraphs=paras))
        assert len(out) <= 120 and "…" in out and out != "…", out
        assert _balanced(out.replace("…", "")), out
    out = summary_of(Article(issue_id=1, seq=1, paragraphs=["“" + "甲" * 115 + "“乙”" + "丙" * 50 + "。"]))
    assert out == "“" + "甲" * 115 + "…”"


def test_closing_printing_line_has_its_own_right_tab_at_the_cell_edge():
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Pt, Twips

    from worker.briefing.render import CLOSING_CHARS_PER_LINE, CLOSING_WIDTH_MM, TEXT_WIDTH_MM, ClosingBlock

    assert CLOSING_CHARS_PER_LINE == 28  # 151 mm less 14 pt each side, in 14 pt characters
    cases = ((["全国总工会办公厅"], "浙江省总工会办公室", CLOSING_WIDTH_MM),
             ([f"单位{i}工会委员会" for i in range(200)], "浙江省总工会办公室", TEXT_WIDTH_MM))
    for bao, unit, width_mm in cases:
        content = synthetic_content(2, "daily")
        content.closing = ClosingBlock(bao, ["省委办公厅"], ["各设区市总工会"], 123456, unit)
        doc = Document(io.BytesIO(render(content)))
        style_stops = [s.position for s in doc.styles["Briefing Closing"].paragraph_format.tab_stops]
        p = doc.tables[-1].rows[-1].cells[0].paragraphs[0]
        stops = {s.position: s.alignment for s in p.paragraph_format.tab_stops}
        edge = Twips(Mm(width_mm).twips - Pt(14).twips)  # the cell's width less the right indent
        assert [pos for pos, a in stops.items() if a == WD_TAB_ALIGNMENT.RIGHT] == [edge]
        assert style_stops and all(stops[pos] == WD_TAB_ALIGNMENT.CLEAR for pos in style_stops)
        assert p.text == "浙江省总工会办公室\t2024年12月2日印发"  # §7.4.3: unit left, 印发 date right
    # 12 lines at 30 characters a line, 13 at 28: inline now
    content = synthetic_content(2, "daily")
    content.closing = ClosingBlock(["甲" * 259], ["省委办公厅"], ["各设区市总工会"], 60, "浙江省总工会办公室")
    assert Document(io.BytesIO(render(content))).tables[-1]._tbl.tblPr.find(qn("w:tblpPr")) is None
    # an issuing unit too long to share its line puts the 印发 date on the next, whole
    content = synthetic_content(2, "daily")
    content.closing = ClosingBlock(["全国总工会办公厅"], [], [], 123456, "浙" * 21)
    p = Document(io.BytesIO(render(content))).tables[-1].rows[-1].cells[0].paragraphs[0]
    assert p.text == "浙" * 21 + "\n\t2024年12月2日印发"
