"""The layouts operators really paste (issue 14): digital-edition article pages, PDF-to-text copies,
photo news, credits in odd places, paragraphs without closing punctuation. Every input here is
invented for the test in the paper's style; what is asserted is what a reader of the page would
call right (which line is furniture, which names are credited, where a paragraph ends)."""

from __future__ import annotations

from datetime import date

import pytest

from worker.parsing.config import build_config, parsing_config
from worker.parsing.credits import glued_credit, is_name, names_line
from worker.parsing.furniture import find_furniture
from worker.parsing.parser import DEBRIS_KINDS, account, parse_issue
from worker.parsing.patterns import _num
from worker.parsing.roles import wrap_width
from worker.parsing.sentences import first_sentence, sentence_spans, split_sentences


def _parse(text: str, **kw):
    parsed = parse_issue(text, **kw)
    assert account(text, parsed) == []
    assert [d.line for d in parsed.explain] == list(range(len(text.split("\n"))))
    assert all(d.kind in DEBRIS_KINDS for d in parsed.debris)
    return parsed


def _names(a) -> list[str]:
    return [x.name for x in a.authors]


def _rule(parsed, line_text: str) -> str:
    return next(d.rule for d in parsed.explain if d.text.strip() == line_text)


def _became(parsed, line_text: str) -> str:
    return next(d.became for d in parsed.explain if d.text.strip() == line_text)


# ------------------------------------------------------------------------------------------------
# 1. digital-edition pages
# ------------------------------------------------------------------------------------------------
def _page(day: int, page: str, title: str, body: list[str]) -> str:
    weekday = "一二三四五六日"[date(2025, 3, day).weekday()]
    return "\n".join([
        "浙江工人日报数字报", page, "上一篇　下一篇　返回目录", title, "",
        *("\u3000\u3000" + p for p in body),
        f"浙江工人日报 | 2025-03-{day:02d} | {page} | {title} | 2025年03月{day:02d}日 星期{weekday}",
    ])


SZB = "\n".join([
    _page(4, "第01版：要闻", "嘉兴为环卫工人建起暖心小屋",
          ["本报讯 记者 周一航 3月3日，嘉兴市南湖区首批20个环卫工人暖心小屋投入使用。",
           "小屋配有热水、微波炉和应急药箱。"]),
    _page(4, "第02版：综合", "台州举办职工书法比赛",
          ["本报讯（通讯员 林可）3月2日，台州市职工书法比赛举行，86名职工参赛。"]),
    _page(5, "第03版：维权", "一起欠薪案在工会调解下化解",
          ["本报讯 记者 周一航 3月4日，绍兴市越城区总工会调解一起欠薪纠纷，帮助12名职工拿回工资。"]),
    "技术支持：某某网络科技有限公司",
    "浙ICP备00012345号-1",
    "互联网新闻信息服务许可证编号：33120100000",
])


def test_digital_edition_pages_split_into_articles_with_furniture_removed() -> None:
    parsed = _parse(SZB)
    assert [a.title for a in parsed.articles] == [
        "嘉兴为环卫工人建起暖心小屋", "台州举办职工书法比赛", "一起欠薪案在工会调解下化解"]
    first = parsed.articles[0]
    assert first.paragraphs == ["3月3日，嘉兴市南湖区首批20个环卫工人暖心小屋投入使用。",
                                "小屋配有热水、微波炉和应急药箱。"]
    assert _names(first) == ["周一航"]
    kinds = {d.text: d.kind for d in parsed.debris}
    assert kinds["技术支持：某某网络科技有限公司"] == "site_footer"
    assert kinds["浙ICP备00012345号-1"] == "site_footer"
    assert kinds["上一篇　下一篇　返回目录"] == "navigation"
    assert kinds["浙江工人日报数字报"] == "masthead"
    assert [p.number for p in parsed.pages] == [1, 2, 3]


def test_footer_metadata_dates_each_article_and_the_issue_takes_the_earliest() -> None:
    parsed = _parse(SZB)
    assert [a.published_on for a in parsed.articles] == [date(2025, 3, 4), date(2025, 3, 4), date(2025, 3, 5)]
    assert parsed.issue_date == date(2025, 3, 4)
    assert parsed.issue_date_source == "article_dates"


def test_explain_names_the_furniture_rule_for_every_removed_line() -> None:
    parsed = _parse(SZB)
    footer = next(d for d in parsed.explain if d.text.startswith("浙江工人日报 | 2025-03-05"))
    assert footer.became == "debris:page_header_footer"
    assert "footer metadata line" in footer.rule and "2025-03-05 → article #3" in footer.rule
    assert _rule(parsed, "浙ICP备00012345号-1").startswith("site footer")
    assert _rule(parsed, "上一篇　下一篇　返回目录").startswith("navigation line")
    assert _rule(parsed, "浙江工人日报数字报").startswith("site header")
    body_rules = ("text line", "continues open paragraph", "blank line")
    for d in parsed.explain:  # every removed line names the furniture rule that removed it
        if d.became.startswith("debris:"):
            assert d.rule and not d.rule.startswith(body_rules), d


def test_one_page_paste_is_recognised_by_shape_alone() -> None:
    one = _page(6, "第04版：文体", "湖州职工合唱节落幕",
                ["本报讯 记者 沈一 3月5日，湖州市职工合唱节落幕，32支合唱队参加展演。记者 沈一 摄"])
    parsed = _parse(one + "\n技术支持：某某网络科技有限公司")
    assert len(parsed.articles) == 1
    a = parsed.articles[0]
    assert a.title == "湖州职工合唱节落幕"
    assert a.paragraphs == ["3月5日，湖州市职工合唱节落幕，32支合唱队参加展演。"]
    assert _names(a) == ["沈一"]
    assert a.published_on == date(2025, 3, 6)


def test_repeated_lines_with_only_numbers_changing_are_furniture_without_config() -> None:
    """A site header this project has never seen: found because it recurs next to other furniture."""
    text = "\n".join([
        "某地职工网 第12期", "返回目录", "甲地开展职工培训", "", "本报讯 记者 王一 3月1日，甲地开展职工培训。",
        "某地职工网 第13期", "返回目录", "乙地举办职工运动会", "", "本报讯 记者 王一 3月2日，乙地举办职工运动会。",
    ])
    parsed = _parse(text)
    assert [a.title for a in parsed.articles] == ["甲地开展职工培训", "乙地举办职工运动会"]
    assert _rule(parsed, "某地职工网 第13期").startswith("repeated furniture")


def test_another_paper_is_a_config_change() -> None:
    cfg = build_config({"papers": ["江南职工报"], "site_footer_words": ["技术支持"]})
    found = find_furniture(["江南职工报电子版", "江南职工报 2025-01-02 第3版 某某标题文字在此 2025年1月2日"], cfg)
    assert found[0]["kind"] == "masthead"
    assert found[1]["article_date"] == date(2025, 1, 2)
    assert "浙江工人日报" in parsing_config().papers  # this paper's names live in config/parsing.yaml


# ------------------------------------------------------------------------------------------------
# 2. PDF-to-text copies
# ------------------------------------------------------------------------------------------------
def _wrap(p: str, width: int = 18) -> str:
    return "\n".join(p[k:k + width] for k in range(0, len(p), width))


PDF = "\n\n".join([
    "浙江工人日报　　2025年3月4日　星期二", "第2版　综合",
    "丽水开展职工健康义诊",
    _wrap("3月3日，丽水市总工会组织医疗专家走进工业园区，为300余名一线职工开展健康义诊。义诊项目包括血压、血糖检测和中医问诊。"),
    _wrap("活动还向职工发放了健康手册。"),
    "舟山渔民学急救",
    _wrap("本报讯 通讯员 王海 3月2日，舟山市普陀区总工会为渔民开展海上急救培训，120余名渔民参加了培训。"),
])


def test_hard_wrapped_pdf_text_keeps_headlines_without_byline_and_joins_wrapped_lines() -> None:
    assert wrap_width(PDF.split("\n")) == 18
    parsed = _parse(PDF)
    assert [a.title for a in parsed.articles] == ["丽水开展职工健康义诊", "舟山渔民学急救"]
    first = parsed.articles[0]
    assert first.paragraphs == [
        "3月3日，丽水市总工会组织医疗专家走进工业园区，为300余名一线职工开展健康义诊。义诊项目包括血压、血糖检测和中医问诊。",
        "活动还向职工发放了健康手册。"]
    assert _names(parsed.articles[1]) == ["王海"]
    assert parsed.pages[0].number == 2


def test_explain_shows_wrap_decisions() -> None:
    parsed = _parse(PDF)
    line = PDF.split("\n")[6]  # the first body line: full width, cut mid-paragraph
    d = next(x for x in parsed.explain if x.text == line)
    assert "hard-wrapped" in d.rule
    tail = next(x for x in parsed.explain if x.text == PDF.split("\n")[7])
    assert "line after a hard-wrapped line" in tail.rule


def test_page_header_page_line_with_number_first() -> None:
    text = "2025年3月4日　星期二　　浙江工人日报\n3　劳动保障\n\n标题在这里\n\n本报讯 记者 王一 正文内容。"
    parsed = _parse(text)
    assert [(p.number, p.name) for p in parsed.pages] == [(3, "劳动保障")]
    assert parsed.articles[0].page == 3


# ------------------------------------------------------------------------------------------------
# 3. photo news and credits in every position
# ------------------------------------------------------------------------------------------------
PHOTO = "\n".join([
    "第6版　视觉", "",
    "田间课堂", "3月3日，衢州市总工会组织农技专家走进田间讲解技术。 记者 潘越 摄影报道", "",
    "巧手编织", "吕婷 文/摄", "3月2日，金华市一家草编工坊里，女工们正在编织草帽。", "",
    "码头夜色", "3月1日夜，温州港的职工正在装卸集装箱。", "图/章宇航", "",
    "暑期课堂", "3月3日，绍兴市一家企业的暑托班里，孩子们在制作航模。", "记者 潘越", "通讯员 林佳 摄影报道", "",
    "送清凉到一线", "图为工会干部为交警送上饮品。", "3月3日，杭州市总工会走访慰问户外劳动者。", "赵敏", "",
    "技能比武", "3月2日，台州市模具行业职工技能比武举行。通讯员 方磊 摄",
])


def test_photo_news_credits_in_every_position() -> None:
    parsed = _parse(PHOTO)
    by_title = {a.title: a for a in parsed.articles}
    assert list(by_title) == ["田间课堂", "巧手编织", "码头夜色", "暑期课堂", "送清凉到一线", "技能比武"]
    assert by_title["田间课堂"].paragraphs == ["3月3日，衢州市总工会组织农技专家走进田间讲解技术。"]
    assert _names(by_title["田间课堂"]) == ["潘越"]
    assert _names(by_title["巧手编织"]) == ["吕婷"] and by_title["巧手编织"].subtitle is None
    assert _names(by_title["码头夜色"]) == ["章宇航"]
    assert _names(by_title["暑期课堂"]) == ["潘越", "林佳"]
    assert _names(by_title["送清凉到一线"]) == ["赵敏"]
    assert by_title["送清凉到一线"].captions == ["图为工会干部为交警送上饮品。"]
    assert by_title["送清凉到一线"].paragraphs == ["3月3日，杭州市总工会走访慰问户外劳动者。"]
    assert by_title["技能比武"].paragraphs == ["3月2日，台州市模具行业职工技能比武举行。"]
    assert _names(by_title["技能比武"]) == ["方磊"]
    assert "glued to the last paragraph" in _rule(parsed, "3月2日，台州市模具行业职工技能比武举行。通讯员 方磊 摄")


def test_a_photo_report_credit_closes_an_article_and_never_opens_one() -> None:
    parsed = _parse("甲地职工运动会开幕\n\n3月1日，甲地职工运动会开幕。\n\n记者 王一\n通讯员 李二 摄影报道\n\n"
                    "乙地举办读书会\n\n3月2日，乙地举办职工读书会。")
    assert [a.title for a in parsed.articles] == ["甲地职工运动会开幕", "乙地举办读书会"]
    assert _names(parsed.articles[0]) == ["王一", "李二"]
    assert _names(parsed.articles[1]) == []


def test_glued_credit_in_mid_body_stays_a_caption() -> None:
    """An in-body picture caption with its credit is not the end of the article (regression set, issue_0318)."""
    parsed = _parse("标题一二三四\n\n本报讯 记者 朱明 3月1日，某地举行活动。\n\n"
                    "骑手在驿站休息。 记者 朱明 摄\n\n活动还有后续安排。")
    a = parsed.articles[0]
    assert a.captions == ["骑手在驿站休息。 记者 朱明 摄"]
    assert a.paragraphs[-1] == "活动还有后续安排。"


# ------------------------------------------------------------------------------------------------
# 4. bylines without role words or in odd places
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("line", "names", "body"), [
    ("本报讯 李文涛报道  连日来，港区气温走高。", ["李文涛"], "连日来，港区气温走高。"),
    ("本报讯 通讯员 吴迪 胡安 记者 方晴 9月22日，会议召开。", ["吴迪", "胡安", "方晴"], "9月22日，会议召开。"),
    ("本报讯 记者孙晴通讯员杨帆 9月20日，联合会成立。", ["孙晴", "杨帆"], "9月20日，联合会成立。"),
])
def test_byline_forms(line: str, names: list[str], body: str) -> None:
    parsed = _parse(f"某某活动在杭州举行\n\n{line}")
    a = parsed.articles[0]
    assert _names(a) == names
    assert a.paragraphs == [body]


def test_names_only_line_and_photo_credit_under_the_headline() -> None:
    parsed = _parse("工会驿站里的时光\n\n徐丹 顾晓晨\n\n9月19日，快递小哥在驿站里歇脚。\n\n"
                    "南浔举行趣味运动会\n\n通讯员 沈佳 摄\n\n9月21日，南浔区职工趣味运动会举行。")
    first, second = parsed.articles
    assert (first.title, _names(first), first.kicker) == ("工会驿站里的时光", ["徐丹", "顾晓晨"], None)
    assert (second.title, _names(second), second.subtitle) == ("南浔举行趣味运动会", ["沈佳"], None)
    assert second.paragraphs == ["9月21日，南浔区职工趣味运动会举行。"]


def test_credit_split_over_two_lines_under_the_headline_is_not_an_empty_article() -> None:
    parsed = _parse("工会帮职工讨回赔偿\n\n记者 黄晓雨\n通讯员 任杰 摄影报道\n\n本报讯 9月18日，受伤职工拿到了赔偿金。")
    assert len(parsed.articles) == 1
    a = parsed.articles[0]
    assert _names(a) == ["黄晓雨", "任杰"] and a.paragraphs == ["9月18日，受伤职工拿到了赔偿金。"]


# ------------------------------------------------------------------------------------------------
# 5. paragraphs without closing punctuation
# ------------------------------------------------------------------------------------------------
def test_open_last_paragraph_does_not_swallow_the_next_headline() -> None:
    parsed = _parse("海曙职工夜市开市\n\n本报讯 钱小雨报道 1月4日晚，职工夜市开市。\n\n"
                    "夜市每月开放两次，收入全部用于困难职工帮扶\n\n诸暨袜业工会开展集体协商\n\n杨柳 杜鹃\n\n"
                    "1月3日，行业工会召开集体协商会议。")
    first, second = parsed.articles
    assert first.paragraphs[-1] == "夜市每月开放两次，收入全部用于困难职工帮扶"
    assert (second.kicker, second.title) == (None, "诸暨袜业工会开展集体协商")
    assert _names(second) == ["杨柳", "杜鹃"]


def test_rejected_headline_label_gives_the_real_reason() -> None:
    """Bug: after a paragraph ending in 。 the label said "previous paragraph open" (the open flag
    was read after the rejected line had been appended)."""
    parsed = _parse("某地工会开展活动\n\n本报讯 记者 王一 3月1日，某地工会开展活动。\n"
                    "某项活动，持续进行\n后续还有更多内容安排")
    rule = _rule(parsed, "某项活动，持续进行")
    assert rule.startswith("headline-like line rejected")
    assert "previous paragraph open" not in rule
    assert "previous paragraph open" in _rule(parsed, "后续还有更多内容安排")


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------
def test_name_shapes() -> None:
    assert is_name("徐丹") and is_name("欧阳明") and not is_name("任务报道") and not is_name("近日")
    assert names_line("徐丹 顾晓晨") == ["徐丹", "顾晓晨"]
    assert names_line("萧山 首批职工夜校开课") is None
    assert glued_credit("…技术。 记者 潘越 摄影报道").group(1).strip() == "记者 潘越 摄影报道"
    assert glued_credit("…布面。吴晓 文/摄").group(1).strip() == "吴晓 文/摄"
    assert glued_credit("他说：我们去拍摄") is None


def test_page_numbers_read_with_cn2an() -> None:
    assert [_num(x) for x in ("3", "０３", "A2", "十二", "三十九", "五五", "")] == [3, 3, 2, 12, 39, None, None]


def test_one_sentence_splitter() -> None:
    assert split_sentences("甲。乙！“丙。丁。”戊说。己") == ["甲。", "乙！", "“丙。丁。”戊说。", "己"]
    assert first_sentence("  ") == ""
    from worker.enrich.segment import make_doc

    doc = make_doc(["标题"], ["第一句。第二句！"])
    assert [doc.text[s:e] for s, e in doc.sentences] == [doc.body[s:e] for s, e in sentence_spans(doc.body)]


def test_bracketed_credit_wrapped_into_the_last_pdf_line_is_the_byline() -> None:
    body = ("2月1日，义乌市总工会在稠城街道开展外来务工人员技能培训，300余名职工参加。"
            "培训内容涵盖电工、焊工等工种。（通讯员 楼晓东）")
    text = "\n\n".join(["浙江工人日报　2025年2月3日　星期一", "5　综合新闻", "义乌开展外来务工人员技能培训",
                       "\n".join(body[k:k + 16] for k in range(0, len(body), 16)),
                       "永康五金工匠比技艺", "本报讯 记者 应一帆 2月2日，永康市五金行业职工技能大赛举行。"])
    parsed = _parse(text)
    first = parsed.articles[0]
    assert first.title == "义乌开展外来务工人员技能培训"
    assert first.paragraphs[-1].endswith("焊工等工种。") and _names(first) == ["楼晓东"]


def test_slash_credit_glued_to_an_open_ending_does_not_swallow_the_next_article() -> None:
    parsed = _parse("绍兴开展安全培训\n\n本报讯 李明明报道  近日，绍兴市总工会开展安全培训。\n\n"
                    "培训共有200人参加。 图/王小东\n\n"
                    "温州职工运动会\n\n8月1日，温州职工运动会开幕。林一 文/摄")
    first, second = parsed.articles
    assert first.paragraphs == ["近日，绍兴市总工会开展安全培训。", "培训共有200人参加。"]
    assert _names(first) == ["李明明", "王小东"]
    assert (second.title, second.paragraphs) == ("温州职工运动会", ["8月1日，温州职工运动会开幕。"])
    assert _names(second) == ["林一"]


def test_cut_line_does_not_swallow_a_headline_whose_body_opens_with_a_lead() -> None:
    parsed = _parse("甲地开展安全检查\n\n本报讯 记者 王一 9月1日，甲地开展检查。\n\n"
                    "会议要求，各级工会要组织职工开展隐患排查\n\n"
                    "乙地举办职工运动会\n\n9月2日，乙地举办职工运动会。")
    assert [a.title for a in parsed.articles] == ["甲地开展安全检查", "乙地举办职工运动会"]
    # an open paragraph still continues across a blank line when no article starts there
    again = _parse("甲地开展安全检查\n\n本报讯 记者 王一 9月1日，甲地开展检查，检查发现的问题\n\n已经全部整改到位。")
    assert again.articles[0].paragraphs == ["9月1日，甲地开展检查，检查发现的问题已经全部整改到位。"]


def test_short_first_part_of_a_one_line_headline_is_not_a_kicker() -> None:
    parsed = _parse("余杭 “暖心食堂”开张迎来首批客人\n\n本报讯 记者 王一 2月3日，余杭区“暖心食堂”开张。")
    assert (parsed.articles[0].kicker, parsed.articles[0].title) == (None, "余杭“暖心食堂”开张迎来首批客人")


def test_a_page_line_repeated_on_every_article_page_keeps_its_page_number() -> None:
    page = ["浙江工人日报电子版", "", "第02版:综合", ""]
    text = "\n".join([*page, "长兴建成一批爱心母婴室", "", "本报讯 通讯员 钱一 近日，长兴县建成一批母婴室。", "",
                      *page, "嵊州开展职工篮球赛", "", "本报讯 记者 何一 6月29日，嵊州市职工篮球赛开赛。"])
    parsed = _parse(text)
    assert [(a.title, a.page, a.page_name) for a in parsed.articles] == [
        ("长兴建成一批爱心母婴室", 2, "综合"), ("嵊州开展职工篮球赛", 2, "综合")]


def test_a_line_restating_the_current_headline_is_furniture() -> None:
    parsed = _parse("嵊州开展职工篮球赛\n\n本报讯 记者 何一 6月29日，嵊州市职工篮球赛开赛。\n\n嵊州开展职工篮球赛\n\n"
                    "新昌举办读书会\n\n本报讯 记者 何一 6月28日，新昌县举办职工读书会。")
    assert [a.title for a in parsed.articles] == ["嵊州开展职工篮球赛", "新昌举办读书会"]
    assert parsed.articles[0].paragraphs == ["6月29日，嵊州市职工篮球赛开赛。"]
    assert "restating the current headline" in next(d.rule for d in parsed.explain if d.line == 4)


def test_web_metadata_lines_are_furniture_and_the_author_field_credits() -> None:
    text = "\n".join(["浙江工人日报数字报", "第01版：要闻", "【字号　大　中　小】", "宁波开展职工技能比武",
                      "作者：记者 王一 通讯员 李二　来源：浙江工人日报", "发布时间：2025-06-11　浏览次数：120",
                      "\u3000\u30006月10日，宁波市职工技能比武举行，200名选手参赛。"])
    parsed = _parse(text)
    a = parsed.articles[0]
    assert (a.title, _names(a), a.paragraphs) == ("宁波开展职工技能比武", ["王一", "李二"],
                                                  ["6月10日，宁波市职工技能比武举行，200名选手参赛。"])
    assert _rule(parsed, "发布时间：2025-06-11　浏览次数：120").startswith("web page metadata line")
    assert _became(parsed, "【字号　大　中　小】") == "debris:navigation"


def test_wrapped_pdf_text_without_blank_lines_starts_paragraphs_at_the_indent() -> None:
    def wrap(p: str) -> str:
        p = "\u3000\u3000" + p
        return "\n".join(p[k:k + 20] for k in range(0, len(p), 20))

    # the first paragraph's last line is exactly full width and ends in 。; few lines are indented
    first = ("平阳县总工会举办职工电商直播技能培训班，来自全县的职工参加培训，" * 4)[:117] + "。"
    second = ("培训结束后，还将组织学员参加技能等级认定和岗位练兵，" * 3)[:57] + "。"
    assert len("\u3000\u3000" + first) % 20 == 0
    text = "\n".join(["平阳职工学直播", wrap(first), wrap(second)])
    parsed = _parse(text)
    assert parsed.articles[0].paragraphs == [first, second]


@pytest.mark.parametrize(("line", "credited"), [
    ("摄影：王小一", [("王小一", "摄影")]),
    ("文：王一 图：李二", [("王一", "作者"), ("李二", "摄影")]),
    ("作者：本报记者 王一　来源：浙江工人日报", [("王一", "记者")]),
])
def test_credit_fields_with_a_colon(line: str, credited: list[tuple[str, str]]) -> None:
    parsed = _parse(f"雨中坚守\n\n{line}\n\n3月1日，杭州交警在雨中指挥交通。")
    a = parsed.articles[0]
    assert (a.kicker, a.title) == (None, "雨中坚守")
    assert [(x.name, x.role) for x in a.authors] == credited
    assert a.paragraphs == ["3月1日，杭州交警在雨中指挥交通。"]


def test_an_interview_question_is_not_a_credit_field() -> None:
    parsed = _parse("访谈标题在这里\n\n本报讯 记者 王一\n\n记者：您怎么看这件事？\n\n答：我们会继续努力。")
    assert _names(parsed.articles[0]) == ["王一"]
    assert parsed.articles[0].paragraphs[0] == "记者：您怎么看这件事？"


@pytest.mark.parametrize("header", ["2025年3月4日　星期二　　要闻　　3", "2025年3月4日 星期二 3 要闻"])
def test_one_line_pdf_page_header_with_date_page_name_and_number(header: str) -> None:
    parsed = _parse(f"{header}\n\n丽水开展职工健康义诊\n\n3月3日，丽水市总工会组织医疗专家走进工业园区。")
    assert [(p.number, p.name) for p in parsed.pages] == [(3, "要闻")]
    assert [a.title for a in parsed.articles] == ["丽水开展职工健康义诊"]
    assert (parsed.issue_date, parsed.issue_date_source) == (date(2025, 3, 4), "masthead")


def test_a_one_word_kicker_above_a_title_is_not_a_signature() -> None:
    parsed = _parse("甲地开展安全检查\n\n本报讯 记者 王一 9月1日，甲地开展检查。\n\n温州\n职工书屋里的读书声\n\n"
                    "本报讯 记者 李二 9月2日，温州市一家企业的职工书屋开放。")
    first, second = parsed.articles
    assert _names(first) == ["王一"]
    assert (second.kicker, second.title, _names(second)) == ("温州", "职工书屋里的读书声", ["李二"])
