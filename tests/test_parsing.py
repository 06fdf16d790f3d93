"""Parser tests: one small hand-made input per layout case, plus both real sample issues."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest

from worker.intake.reading import read_document
from worker.parsing.parser import (
    DEBRIS_KINDS,
    account,
    normalize_display,
    normalize_headline,
    parse_issue,
)

ROOT = Path(__file__).resolve().parents[1]


def _parse(text: str, **kw):
    parsed = parse_issue(text, **kw)
    assert account(text, parsed) == []  # every test input is fully accounted for
    assert len(parsed.explain) == len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    assert all(d.kind in DEBRIS_KINDS for d in parsed.debris)
    return parsed


def _authors(a):
    return [(x.name, x.role) for x in a.authors]


# ---------------------------------------------------------------------------------------------
# Real samples
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_000():
    path = ROOT / "samples" / "000_251c0b359e5127ab.txt"
    d = read_document(path.read_bytes(), path.name)
    return d.text, parse_issue(d.text, file_name=path.name, headline_hints=d.headline_hints)


@pytest.fixture(scope="module")
def sample_gb():
    path = ROOT / "samples" / "2024-12-24_zjgrrb.txt"
    d = read_document(path.read_bytes(), path.name)
    return d.text, parse_issue(d.text, file_name=path.name, headline_hints=d.headline_hints)


def test_sample_000_articles_and_headlines(sample_000) -> None:
    text, p = sample_000
    assert account(text, p) == []
    assert len(p.articles) == 8
    a = p.articles
    assert (a[0].kicker, a[0].title) == ("以艺术之美展现劳动之美", "“中国梦·劳动美”第九届全国职工书画展在金华开幕")
    assert a[1].title == "《中国共产党历史》第三卷上册出版发行"
    # kicker and title on one line separated by spaces
    assert (a[3].kicker, a[3].title) == ("持续为职工幸福“加码”", "2024年全省工会提升职工生活品质工作经验交流活动举行")
    assert a[5].title == "95后姜博然：四年“三连跳”"
    assert (a[6].kicker, a[6].title) == ("全力保障危化品运输安全",
                                         "2024年全国危险货物道路运输从业人员安全应急能力全国总决赛在宁波举办")
    assert [len(x.paragraphs) for x in a] == [6, 2, 5, 4, 2, 5, 5, 8]


def test_sample_000_bylines(sample_000) -> None:
    _, p = sample_000
    a = p.articles
    assert _authors(a[0]) == [("李凡", "记者")] and a[0].source == "本报"
    assert a[0].paragraphs[0].startswith("以翰墨之姿，绘劳动之美。")
    assert (a[1].source, a[1].dateline, a[1].authors) == ("新华社", "据新华社北京12月22日电", [])
    assert _authors(a[4]) == [("李凡", "记者"), ("张璐", "通讯员"), ("张微", "通讯员")]
    assert a[4].byline == "本报讯 记者李凡 通讯员张璐、张微摄影报道"
    assert _authors(a[5]) == [("沈佳慧", "记者")] and a[5].source is None  # bare 记者X报道
    assert _authors(a[7]) == [("贾馨然", "见习记者"), ("徐冬云", "通讯员")]


def test_sample_000_rejoin_duplicate_caption(sample_000) -> None:
    _, p = sample_000
    a = p.articles
    assert "“中国梦·劳动美”全国职工书画展已经连续举办九届" in a[0].paragraphs[3]
    assert "共为44.77万人次职工发放保障金" in a[7].paragraphs[4]  # broken after a number
    # the gold: article 2's paragraph repeated by the layout is dropped once, as debris
    dup = [d for d in p.debris if d.kind == "duplicate_fragment"]
    assert len(dup) == 1 and dup[0].text.startswith("《中国共产党历史》第一卷、第二卷之后")
    def nfkc(t: str) -> str:  # the input's half-width punctuation is shown full-width in articles
        return unicodedata.normalize("NFKC", t)

    assert sum(nfkc(dup[0].text) in nfkc(para) for x in a for para in x.paragraphs) == 1
    assert a[5].captions == ["姜博然在苦练技术。"]
    assert a[5].paragraphs[0].startswith("95后姜博然，有着一双")


def test_sample_000_issue_date_is_not_claimed_as_known(sample_000) -> None:
    """Sample 000 has no masthead, no date line and no date in its name, and its gold has no issue
    date: the parser may not present one as known. A date it guesses from dates in the text must be
    marked as a guess (source "inferred", with a warning); the contract allows null."""
    _, p = sample_000
    assert p.issue_date_source in (None, "inferred")
    if p.issue_date is not None:
        assert p.issue_date_source == "inferred"
        assert any("inferred" in w for w in p.warnings)


def test_sample_gb_metadata(sample_gb) -> None:
    text, p = sample_gb
    assert account(text, p) == []
    assert p.issue_date == date(2024, 12, 24) and p.issue_date_source == "masthead"
    assert p.masthead == "浙江工人日报"
    assert [(x.number, x.name) for x in p.pages] == [(1, "要闻"), (2, "综合")]
    kinds = [(d.kind, d.text) for d in p.debris]
    assert ("masthead", "浙江工人日报") in kinds
    assert ("date_line", "2024年12月24日 星期二") in kinds
    assert ("page_marker", "第1版 要闻") in kinds
    assert ("continuation_marker", "（下转第2版）") in kinds
    assert ("section_label", "简讯") in kinds


def test_sample_gb_articles(sample_gb) -> None:
    _, p = sample_gb
    a = p.articles
    assert len(a) == 7
    assert [x.title for x in a[:4]] == [
        "全省工会经费审查工作会议在杭州召开", "省总工会开展新就业形态劳动者“暖冬”服务行动",
        "温州：“工会驿站”升级为“暖新驿站”", "绍兴一企业拖欠工资工会介入两周追回"]
    assert a[1].subtitle == "首批5000份暖心包送到骑手手中"
    # continued across pages: one article, split sentence rejoined
    assert len(a[0].paragraphs) == 3
    assert "推动建章立制228项。" in a[0].paragraphs[1]
    assert (a[0].page, a[0].page_name, a[0].continued_pages) == (1, "要闻", [2])
    assert _authors(a[1]) == [("刘思源", "通讯员"), ("钱塘", "记者")]
    # trailing byline in brackets
    assert _authors(a[2]) == [("陈一鸣", "通讯员")] and a[2].byline == "（通讯员 陈一鸣）"
    assert (a[2].page, a[2].page_name) == (2, "综合")
    # 简讯 items: separate headline-less articles
    briefs = a[4:]
    assert [x.kind for x in briefs] == ["brief"] * 3
    assert all(x.title_derived and x.bullet == "■" and x.section == "简讯" for x in briefs)
    assert briefs[0].paragraphs == ["12月20日，嘉兴市总工会举办职工乒乓球比赛，来自全市46家企业的200余名职工参赛。"]
    assert briefs[0].title == "嘉兴市总工会举办职工乒乓球比赛，来自全市46家企业的200…"


def test_explain_covers_every_line(sample_gb) -> None:
    text, p = sample_gb
    assert [d.line for d in p.explain] == list(range(len(text.split("\n"))))
    # each line is explained by what it is, found by its text (not by its number or exact wording)
    lines = text.split("\n")
    became = {lines[d.line]: d.became for d in p.explain if lines[d.line].strip()}
    assert "page_marker" in became["第1版 要闻"] and "page_marker" in became["第2版 综合"]
    assert "title" in became["全省工会经费审查工作会议在杭州召开"]
    assert "subtitle" in became["首批5000份暖心包送到骑手手中"]
    resumed = next(line for line in lines if line.startswith("（上接第1版）"))
    # the 上接 marker is debris and its text continues article 1, not a new article
    assert "continuation_marker" in became[resumed] and "#1." in became[resumed]
    assert all(d.rule for d in p.explain)


# ---------------------------------------------------------------------------------------------
# Layout cases (small inputs)
# ---------------------------------------------------------------------------------------------
INDENTED = """浙江工人日报
2024年3月5日 星期二
第3版 综合
全省职工技能大赛开幕
　　本报讯 记者王小明报道 3月4日，全省职工技能大赛在杭州开幕。
　　本次大赛共设10个工种，吸引了来自全省的500名选手参赛。
工会送温暖活动走进社区
　　本报讯 通讯员李红 记者张强报道 近日，市总工会开展送温暖活动。
　　活动共慰问困难职工120户。
"""


def test_indented_one_paragraph_a_line() -> None:
    p = _parse(INDENTED)
    assert p.layout == "indented"
    assert [a.title for a in p.articles] == ["全省职工技能大赛开幕", "工会送温暖活动走进社区"]
    assert p.articles[0].paragraphs == ["3月4日，全省职工技能大赛在杭州开幕。",
                                        "本次大赛共设10个工种，吸引了来自全省的500名选手参赛。"]
    assert (p.articles[1].page, p.articles[1].page_name) == (3, "综合")
    assert p.issue_date == date(2024, 3, 5)


def test_title_wrapped_onto_two_lines() -> None:
    p = _parse("新时代产业工人队伍建设改革的\n浙江实践与探索\n\n本报讯 记者王小明报道 改革推进以来，成效明显。\n")
    a = p.articles[0]
    assert (a.kicker, a.title) == (None, "新时代产业工人队伍建设改革的浙江实践与探索")


def test_kicker_title_subtitle_and_standalone_credits() -> None:
    text = ("奋进新征程\n工会在行动\n——写在全省工会工作会议召开之际\n\n本报记者 张强 通讯员 李四\n\n"
            "一年来，全省各级工会围绕中心工作，取得了显著成绩。\n")
    a = _parse(text).articles[0]
    assert (a.kicker, a.title, a.subtitle) == ("奋进新征程", "工会在行动", "——写在全省工会工作会议召开之际")
    assert _authors(a) == [("张强", "记者"), ("李四", "通讯员")]
    assert a.paragraphs == ["一年来，全省各级工会围绕中心工作，取得了显著成绩。"]


def test_commentary_signature_has_no_authors() -> None:
    a = _parse("让每一位劳动者都有尊严\n\n□本报评论员\n\n劳动创造价值，奋斗成就梦想。我们要尊重劳动。\n").articles[0]
    assert a.kind == "commentary"
    assert a.authors == []
    assert a.byline == "□本报评论员"
    assert a.paragraphs == ["劳动创造价值，奋斗成就梦想。我们要尊重劳动。"]


def test_wire_dateline_with_reporter() -> None:
    text = ("国务院常务会议召开\n\n新华社北京3月1日电（记者 王小丫） 国务院总理主持召开国务院常务会议。\n\n"
            "会议指出，要稳就业。\n")
    a = _parse(text).articles[0]
    assert (a.source, a.dateline) == ("新华社", "新华社北京3月1日电")
    assert _authors(a) == [("王小丫", "记者")]
    assert a.paragraphs[0] == "国务院总理主持召开国务院常务会议。"


def test_interview() -> None:
    text = ("把职工的事当成自己的事\n——访省总工会主席\n\n记者：今年工会工作的重点是什么？\n\n"
            "答：重点是维护职工权益。\n\n记者：如何落实？\n\n答：抓好基层。\n")
    a = _parse(text).articles[0]
    assert a.kind == "interview"
    assert (a.title, a.subtitle) == ("把职工的事当成自己的事", "——访省总工会主席")
    assert len(a.paragraphs) == 4 and a.authors == []


def test_photo_items() -> None:
    text = ("图片新闻\n\n冬日暖阳\n\n12月22日，杭州市的环卫工人在驿站休息。（记者 张三 摄）\n\n"
            "春运开始\n\n1月10日，旅客在车站候车。（通讯员 李四 摄）\n")
    p = _parse(text)
    assert [a.kind for a in p.articles] == ["photo", "photo"]
    assert [a.title for a in p.articles] == ["冬日暖阳", "春运开始"]
    assert _authors(p.articles[0]) == [("张三", "记者")]
    assert p.articles[1].paragraphs == ["1月10日，旅客在车站候车。（通讯员 李四 摄）"]
    assert [(d.kind, d.text) for d in p.debris] == [("section_label", "图片新闻")]


def test_caption_inside_article_with_credit() -> None:
    text = ("工匠风采\n\n本报讯 记者王明报道 他是一名钳工。\n\n图为王师傅在车间工作。（通讯员 李四 摄）\n\n"
            "他带出了多名徒弟。\n")
    a = _parse(text).articles[0]
    assert a.captions == ["图为王师傅在车间工作。（通讯员 李四 摄）"]
    assert a.paragraphs == ["他是一名钳工。", "他带出了多名徒弟。"]
    assert _authors(a) == [("王明", "记者"), ("李四", "通讯员")]


def test_paragraph_broken_after_number() -> None:
    text = ("技能补贴惠及职工\n\n本报讯 记者王明报道 今年以来，共为44.77\n\n万人次职工发放补贴7720.91万元。\n\n"
            "此举受到欢迎。\n")
    a = _parse(text).articles[0]
    assert a.paragraphs == ["今年以来，共为44.77万人次职工发放补贴7720.91万元。", "此举受到欢迎。"]


def test_running_header_inside_paragraph_and_editor_line() -> None:
    text = ("工会服务进园区\n\n本报讯 记者王明报道 近日，市总工会在高新园区开展服务活动，为职工提供\n\n"
            "浙江工人日报 2024年12月24日 星期二 第3版\n\n法律咨询和健康体检。\n\n责任编辑：刘洋\n")
    p = _parse(text)
    assert p.articles[0].paragraphs == ["近日，市总工会在高新园区开展服务活动，为职工提供法律咨询和健康体检。"]
    assert [d.kind for d in p.debris] == ["page_header_footer", "editor_line"]


def test_running_header_inline_in_a_line() -> None:
    text = "工会服务进园区\n\n本报讯 记者王明报道 为职工提供 浙江工人日报 2024年12月24日 星期二 法律咨询。\n"
    p = _parse(text)
    assert p.articles[0].paragraphs == ["为职工提供法律咨询。"]
    assert p.debris[0].text == "浙江工人日报 2024年12月24日 星期二"


def test_repeated_fragment_dropped() -> None:
    text = ("新闻标题示例\n\n本报讯 记者王明报道 第一段内容。\n\n"
            "编写工作是一项重要政治任务，为编写工作指明正确方向、提供根本遵循。\n\n"
            "一项重要政治任务，为编写工作指明正确方向、提供根本遵循。\n")
    p = _parse(text)
    assert len(p.articles[0].paragraphs) == 2
    assert [d.kind for d in p.debris] == ["duplicate_fragment"]


def test_structural_section_label_and_wrapped_bullet_item() -> None:
    text = ("第4版 基层\n\n工会动态速递\n\n■3月1日，宁波市总工会举办职工篮球赛。\n\n"
            "■近日，台州市总工会开展\n送清凉活动，惠及职工3000人。\n")
    p = _parse(text)
    assert [a.paragraphs for a in p.articles] == [["3月1日，宁波市总工会举办职工篮球赛。"],
                                                   ["近日，台州市总工会开展送清凉活动，惠及职工3000人。"]]
    assert [a.title for a in p.articles] == ["宁波市总工会举办职工篮球赛", "台州市总工会开展送清凉活动，惠及职工3000人"]
    assert ("section_label", "工会动态速递") in [(d.kind, d.text) for d in p.debris]


def test_trailing_credits_at_end_of_paragraph() -> None:
    text = "驿站温暖户外劳动者\n\n走进驿站，热水一应俱全。今年服务职工10万人次。（通讯员 陈一鸣 王芳）\n"
    a = _parse(text).articles[0]
    assert a.paragraphs == ["走进驿站，热水一应俱全。今年服务职工10万人次。"]
    assert _authors(a) == [("陈一鸣", "通讯员"), ("王芳", "通讯员")]


def test_continuation_with_repeated_title() -> None:
    text = ("第1版 要闻\n工会经费审查会议召开\n本报讯 记者周晓岚报道 会议总结了今年工作，推动建章立制\n（下转第2版）\n"
            "第2版 综合\n工会经费审查会议召开\n（上接第1版）228项。会议强调要加强监督。\n")
    p = _parse(text)
    assert len(p.articles) == 1
    assert p.articles[0].paragraphs == ["会议总结了今年工作，推动建章立制228项。会议强调要加强监督。"]
    assert [d.kind for d in p.debris].count("continuation_marker") == 3


def test_no_byline_article() -> None:
    a = _parse("职工书屋建设推进会召开\n\n全省职工书屋建设推进会召开。会议要求各地加快建设。\n").articles[0]
    assert a.title == "职工书屋建设推进会召开" and a.byline is None and a.authors == []


def test_comma_title_needs_byline_or_hint() -> None:
    p = _parse("稳就业，工会在行动\n本报讯 记者王明报道 今年以来，各级工会多措并举稳就业。\n")
    assert p.articles[0].title == "稳就业，工会在行动"
    p = _parse("稳就业，工会在行动\n今年以来，各级工会多措并举稳就业。\n", headline_hints={0})
    assert p.articles[0].title == "稳就业，工会在行动"


def test_continuation_fragment_is_not_a_headline() -> None:
    text = ("标题示例新闻\n\n本报讯 记者王明报道 第一段。\n\n作为重要的品牌活动,“中国梦·劳\n\n"
            "动美”展览已经连续举办九届。\n")
    a = _parse(text).articles[0]
    assert a.paragraphs == ["第一段。", "作为重要的品牌活动，“中国梦·劳动美”展览已经连续举办九届。"]


def test_issue_date_from_file_name() -> None:
    p = _parse("职工书屋建设推进会召开\n\n全省职工书屋建设推进会召开。\n", file_name="zjgrrb_20240301.txt")
    assert (p.issue_date, p.issue_date_source) == (date(2024, 3, 1), "file_name")
    p = _parse("标题新闻\n\n内容。\n", file_name="2024-12-24_x.txt")
    assert p.issue_date == date(2024, 12, 24)


def test_issue_date_inferred_and_none() -> None:
    p = _parse("职工书屋建设推进会召开\n\n2024年5月12日，推进会召开。\n")
    assert (p.issue_date, p.issue_date_source) == (date(2024, 5, 12), "inferred")
    p = _parse("标题新闻\n\n内容。\n")
    assert (p.issue_date, p.issue_date_source) == (None, None)


def test_display_normalisation() -> None:
    assert normalize_display("今天,职工们说:好!时间是10:30,共1,000人(含家属)。") == \
        "今天，职工们说：好！时间是10:30，共1,000人（含家属）。"
    assert normalize_display("Hello, world (test)") == "Hello, world (test)"
    assert normalize_headline("安全应急能力 全国总决赛") == "安全应急能力全国总决赛"


def test_original_text_kept() -> None:
    p = _parse("工会帮扶\n\n本报讯 记者王明报道 今天,职工们(部分)参加。\n")
    a = p.articles[0]
    assert a.paragraphs == ["今天，职工们（部分）参加。"]
    assert a.original_paragraphs == ["今天,职工们(部分)参加。"]
    assert a.original_headline == ["工会帮扶"]
    assert a.source_lines == [0, 2]


def test_account_reports_lost_and_double() -> None:
    text = "工会帮扶\n\n本报讯 记者王明报道 今天参加。\n"
    p = parse_issue(text)
    p.articles[0].paragraphs = ["今天参加。参"]
    p.debris.clear()
    assert account(text, p) == ["double '参' ×1"]
    p.articles[0].paragraphs = ["今天"]
    assert set(account(text, p)) == {"lost '加' ×1", "lost '参' ×1", "lost '。' ×1"}


def test_empty_and_blank_text() -> None:
    assert _parse("").articles == []
    p = _parse("\n\n  \n")
    assert p.articles == [] and [d.became for d in p.explain] == ["blank"] * 4


def test_question_and_comma_titles_without_byline() -> None:
    body = "今年以来，多地工会开展欠薪专项治理行动，帮助职工追回欠薪数千万元，维护了职工合法权益。"
    p = _parse(f"上一篇结束了。\n\n工资被拖欠怎么办？\n\n{body}\n")
    assert [a.title for a in p.articles] == ["上一篇结束了", "工资被拖欠怎么办？"]
    assert p.articles[1].paragraphs == [body]
    p = _parse(f"上一篇结束了。\n\n稳就业，工会在行动\n\n{body}\n")
    assert p.articles[1].title == "稳就业，工会在行动"


def test_enumerated_subheads_stay_in_article() -> None:
    text = ("工会服务进园区\n\n本报讯 记者王明报道 近日开展服务。\n\n一、强化服务意识\n\n各级工会要强化服务。\n\n"
            "（二）精准帮扶\n\n要精准帮扶。\n")
    p = _parse(text)
    assert len(p.articles) == 1
    assert p.articles[0].paragraphs == ["近日开展服务。", "一、强化服务意识", "各级工会要强化服务。",
                                        "（二）精准帮扶", "要精准帮扶。"]


def test_byline_variants() -> None:
    a = _parse("标题一则新闻\n本报讯（记者 张三 通讯员 李四）近日，会议召开。\n").articles[0]
    assert _authors(a) == [("张三", "记者"), ("李四", "通讯员")] and a.paragraphs == ["近日，会议召开。"]
    a = _parse("标题一则新闻\n本报杭州12月23日讯 记者 张三 近日，会议召开。\n").articles[0]
    assert (a.source, a.dateline, _authors(a)) == ("本报", "本报杭州12月23日讯", [("张三", "记者")])
    a = _parse("标题一则新闻\n本报讯 特约记者赵六 实习生钱七报道 会议召开。\n").articles[0]
    assert _authors(a) == [("赵六", "特约记者"), ("钱七", "实习生")]


def test_page_marker_variants() -> None:
    p = _parse("第01版：要闻\n标题一\n正文一。\nA2 要闻\n标题二\n正文二。\n第三版 综合\n标题三\n正文三。\n")
    assert [(x.number, x.name) for x in p.pages] == [(1, "要闻"), (2, "要闻"), (3, "综合")]
    assert [(a.title, a.page) for a in p.articles] == [("标题一", 1), ("标题二", 2), ("标题三", 3)]


def test_indented_layout_broken_paragraph() -> None:
    text = ("工会送温暖活动走进社区\n　　本报讯 记者张强报道 近日，市总工会开展送温暖活动，为\n困难职工送去慰问品。\n"
            "　　活动共慰问困难职工120户，发放慰问金\n　　另据统计，全年慰问职工一万人次。\n")
    a = _parse(text).articles[0]
    assert a.paragraphs == ["近日，市总工会开展送温暖活动，为困难职工送去慰问品。",
                            "活动共慰问困难职工120户，发放慰问金", "另据统计，全年慰问职工一万人次。"]


# ---------------------------------------------------------------------------------------------
# Layouts found by the regression set (tests/data/regression, tests/test_regression_set.py)
# ---------------------------------------------------------------------------------------------
def test_bracketed_page_markers() -> None:
    p = _parse("【第1版】\n\n标题一则新闻\n\n正文一。\n\n［第2版 综合］\n\n标题二则新闻\n\n正文二。\n\nA3\n")
    assert [(x.number, x.name) for x in p.pages] == [(1, None), (2, "综合")]
    assert [(a.title, a.page, a.paragraphs) for a in p.articles] == [("标题一则新闻", 1, ["正文一。"]),
                                                                       ("标题二则新闻", 2, ["正文二。"])]
    assert {d.kind for d in p.debris} == {"page_marker", "page_header_footer"}


def test_signature_line_with_space_separated_names() -> None:
    a = _parse("工地上的职工书屋\n\n本报通讯员 周彤 胡晓\n\n在工地上，职工书屋每天晚上都亮着灯。\n").articles[0]
    assert (a.title, _authors(a)) == ("工地上的职工书屋", [("周彤", "通讯员"), ("胡晓", "通讯员")])
    assert a.paragraphs == ["在工地上，职工书屋每天晚上都亮着灯。"]
    # after 本报讯, space-separated names are taken when 报道 closes them
    a = _parse("标题一则新闻\n本报讯 记者 张三 通讯员 李四 王五 报道 近日，会议召开。\n").articles[0]
    assert _authors(a) == [("张三", "记者"), ("李四", "通讯员"), ("王五", "通讯员")]
    assert a.paragraphs == ["近日，会议召开。"]


def test_byline_credit_prefixes_and_agency_roles() -> None:
    a = _parse("标题一则新闻\n文/记者 李凡 图/通讯员 王芳\n近日，会议召开。\n").articles[0]
    assert _authors(a) == [("李凡", "记者"), ("王芳", "通讯员")]
    a = _parse("标题一则新闻\n文/图 李凡\n近日，会议召开。\n").articles[0]
    assert _authors(a) == [("李凡", "作者")]
    a = _parse("标题一则新闻\n新华社记者 张三\n近日，会议召开。\n").articles[0]
    assert _authors(a) == [("张三", "记者")]
    a = _parse("标题一则新闻\n■本报记者 李凡\n近日，会议召开。\n").articles[0]
    assert _authors(a) == [("李凡", "记者")] and a.kind == "news" and a.paragraphs == ["近日，会议召开。"]


def test_column_labels_are_not_bylines() -> None:
    a = _parse("记者手记\n让骑手跑得安心\n本报记者 王五\n外卖骑手是城市的摆渡人，理应得到更多关爱。\n").articles[0]
    assert (a.kicker, a.title, _authors(a)) == ("记者手记", "让骑手跑得安心", [("王五", "记者")])


def test_wire_and_source_lines_without_date() -> None:
    a = _parse("国务院常务会议召开\n据新华社电（记者 张三）国务院常务会议研究稳就业举措。\n").articles[0]
    assert (a.source, a.dateline, _authors(a), a.paragraphs) == (
        "新华社", "据新华社电", [("张三", "记者")], ["国务院常务会议研究稳就业举措。"])
    p = _parse("国务院常务会议研究稳就业举措\n\n会议研究部署进一步稳就业的政策措施。\n\n（据新华社）\n\n"
               "工会送岗位进社区\n\n本报讯 记者 李四 3月5日，市总工会举办招聘会。\n")
    assert [(a.title, a.source, a.paragraphs) for a in p.articles] == [
        ("国务院常务会议研究稳就业举措", "新华社", ["会议研究部署进一步稳就业的政策措施。"]),
        ("工会送岗位进社区", "本报", ["3月5日，市总工会举办招聘会。"])]
    assert _parse("新华社发来贺电\n\n正文一句话。\n").articles[0].source is None


def test_dated_bullet_items_after_an_article_are_briefs() -> None:
    p = _parse("全省工会经审工作会议召开\n\n本报讯 记者 张三 3月1日，会议在杭州召开。\n\n"
               "■3月2日，宁波市总工会举办职工乒乓球赛。\n\n■日前，丽水市总工会发放帮扶资金36万元。\n")
    assert [(a.kind, a.paragraphs) for a in p.articles] == [
        ("news", ["3月1日，会议在杭州召开。"]), ("brief", ["3月2日，宁波市总工会举办职工乒乓球赛。"]),
        ("brief", ["日前，丽水市总工会发放帮扶资金36万元。"])]
    # bullets that are a list inside the article stay in it
    p = _parse("标题一则新闻\n\n本报讯 记者 张三 会议提出三项要求。\n\n■强化服务意识。\n\n■精准开展帮扶。\n")
    assert len(p.articles) == 1 and len(p.articles[0].paragraphs) == 3


def test_photo_credit_line_under_a_picture_item() -> None:
    p = _parse("图片新闻\n\n春耕正当时\n\n4月2日，农机手在田间忙着春耕。\n\n记者 张三 摄\n\n"
               "巧手绣新春\n\n3月28日，职工在学习剪纸技艺。 通讯员 李四 摄\n")
    assert [(a.title, a.kind, _authors(a)) for a in p.articles] == [
        ("春耕正当时", "photo", [("张三", "记者")]), ("巧手绣新春", "photo", [("李四", "通讯员")])]


_TWELVE = ["李凡", "王芳", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏", "孙丽", "郑强"]


# these inputs once backtracked for minutes; the suite-wide timeout (pyproject.toml) is the hang guard
@pytest.mark.parametrize("line", [
    "记者李凡摄" * 10 + "。",
    " ".join("记者" + n for n in _TWELVE) + " 等。",
    "（" + " ".join("记者 " + n for n in _TWELVE[:10]) + " 摄",
    "本报讯 " + "记者" * 20,
    "记者" * 5000,
])
def test_byline_patterns_do_not_backtrack_catastrophically(line):
    """Found by an adversarial run: names could contain role words and adjacent names could split a
    run of Han many ways, so the byline regexes backtracked exponentially."""
    from worker.parsing.parser import account

    text = "工会新闻标题\n\n本报讯 记者周晓岚报道 今天召开会议。\n\n" + line + "\n"
    parsed = parse_issue(text)
    assert account(text, parsed) == []  # finished, and every character landed somewhere
    assert parsed.articles[0].authors[0].name == "周晓岚"


def test_bracket_byline_with_space_separated_names_still_splits():
    parsed = parse_issue("标题一二三四\n\n本报讯 记者李凡报道 开会了。\n\n（通讯员 沈一丹 陆晓）\n")
    authors = [(a.name, a.role) for a in parsed.articles[0].authors]
    assert authors[-2:] == [("沈一丹", "通讯员"), ("陆晓", "通讯员")]


def test_separator_rules_are_debris_not_text():
    # One 100,000-character junk line once became an article of its own (at the top of an issue)
    # or 100,000 characters of an article's body (in the middle).
    sample = (ROOT / "samples" / "000_251c0b359e5127ab.txt").read_text(encoding="utf-8")
    lines = sample.split("\n")
    junk = "\n".join(["=" * 100_000, *lines[:40], "-" * 100_000, "＊＊＊", *lines[40:]])
    clean, dirty = _parse(sample), _parse(junk)  # _parse: every character accounted for
    assert [a.paragraphs for a in dirty.articles] == [a.paragraphs for a in clean.articles]
    assert [d.text[:3] for d in dirty.debris if d.kind == "rule"] == ["===", "---", "＊＊＊"]
    # "……" alone may close a quotation; short runs and text with symbols are not rules
    assert not any(d.kind == "rule" for d in _parse("标题\n\n正文第一段。\n……\n正文第二段。").debris)


def test_quotation_tails_on_their_own_line_are_text_not_rules():
    # "……”" wrapped onto its own line was taken for a separator rule and the paragraphs around it glued.
    from worker.parsing.parser import _is_rule

    text = ("浙江工人日报\n2024年12月24日 星期二\n第1版 要闻\n\n全省工会经费审查工作会议在杭召开\n\n"
            "本报讯 记者张三报道 12月23日，全省工会经费审查工作会议在杭州召开。"
            "他说：“我们将继续努力，把好事办好\n……”\n\n"
            "会议指出，全省共审计项目3862个。\n")
    [article] = _parse(text, file_name="2024-12-24_x.txt").articles
    assert article.paragraphs[-1] == "会议指出，全省共审计项目3862个。"
    assert article.paragraphs[-2].endswith("把好事办好……”")
    not_rules = ("……”", "）。”", "“……”", "……！", "？？？", "⋯⋯⋯", "\u00b7" * 6, "-- 完 --", "——")
    assert [t for t in not_rules if _is_rule(t)] == []
    assert all(_is_rule(t) for t in ("=====", "———", "＊＊＊", "■■■■", "*   *   *", "★☆★"))
