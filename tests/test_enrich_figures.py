"""Figures: every supported form with exact Decimal values, and what is not a figure."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from worker.enrich.figures import Figure, extract_figures, parse_number
from worker.enrich.segment import make_doc


def figs(text: str) -> list[Figure]:
    return extract_figures(make_doc([], [text]))


def one(text: str) -> Figure:
    found = figs(text)
    assert len(found) == 1, [f.text for f in found]
    return found[0]


@pytest.mark.parametrize(
    ("sentence", "text", "value", "value_max", "unit", "qualifier"),
    [
        ("共为职工发放保障金7720.91万元。", "7720.91万元", "77209100", None, "元", None),
        ("共为44.77万人次职工发放保障金。", "44.77万人次", "447700", None, "人次", None),
        ("审计资金总额41.6亿元。", "41.6亿元", "4160000000", None, "元", None),
        ("给予1000—50000元不等的奖励。", "1000—50000元", "1000", "50000", "元", None),
        ("给予1-5万元的补助。", "1-5万元", "10000", "50000", "元", None),
        ("每人补助500元至1000元不等。", "500元至1000元", "500", "1000", "元", None),
        ("企业有30余人次获得荣誉称号。", "30余人次", "30", None, "人次", "余"),
        ("其余入展作品400余幅。", "400余幅", "400", None, "幅", "余"),
        ("产业实现规上工业总产值超2200亿元。", "超2200亿元", "220000000000", None, "元", "超"),
        ("共收到作品近万幅。", "近万幅", "10000", None, "幅", "近"),
        ("全年共计发放慰问金10余万元。", "10余万元", "100000", None, "元", "余"),
        ("每天在路上的危险化学品多达4万多吨。", "多达4万多吨", "40000", None, "吨", "多达"),
        ("补贴报销了7700多元。", "7700多元", "7700", None, "元", "多"),
        ("共有二十八名选手参赛。", "二十八名", "28", None, "名", None),
        ("项目总投资两千三百万元。", "两千三百万元", "23000000", None, "元", None),
        ("全市共3,862个项目完成审计。", "3,862个", "3862", None, "个", None),
        ("覆盖率达到12.5%。", "12.5%", "12.5", None, "%", None),
        ("覆盖率提高到百分之三十。", "百分之三十", "30", None, "%", None),
        ("全市386家工会驿站升级改造。", "386家", "386", None, "家", None),
        ("首批5000份暖心包送到骑手手中。", "5000份", "5000", None, "份", None),
        ("帮助120户困难家庭。", "120户", "120", None, "户", None),
        ("提出审计建议228项。", "228项", "228", None, "项", None),
        ("受理案件15件。", "15件", "15", None, "件", None),
        ("排查隐患点12处。", "12处", "12", None, "处", None),
        ("参保人数从最初的不超过7万人开始。", "不超过7万人", "70000", None, "人", "不超过"),
        ("来自全市46家企业的200余名职工参赛。", "200余名", "200", None, "名", "余"),
        ("上万名职工参加。", "上万名", "10000", None, "名", "上"),
        ("自负费用1万元以上的患病职工。", "1万元", "10000", None, "元", "以上"),
        ("涵盖危险化学品367种。", "367种", "367", None, "种", None),
    ],
)
def test_figure_forms(sentence, text, value, value_max, unit, qualifier):
    found = [f for f in figs(sentence) if f.text == text]
    assert found, [f.text for f in figs(sentence)]
    f = found[0]
    assert f.value == Decimal(value)
    assert f.value_max == (Decimal(value_max) if value_max else None)
    assert f.unit == unit
    assert f.qualifier == qualifier
    assert f.sentence == sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "一举斩获钳工项目第二名的好成绩。",
        "省产业工会联席会议第二十八次会议召开。",
        "这是第28次会议。",
        "2024年12月20日举行。",
        "本届书画展自2024年7月启动以来。",
        "工资被拖欠近三个月。",
        "这是一项重要政治任务。",
        "为他们二次减负。",
        "温暖送进千家万户。",
        "95后姜博然有一双巧手。",
        "冬日2.0版正式启动。",
        "获得前三名的选手。",
    ],
)
def test_not_figures(sentence):
    assert figs(sentence) == []


def test_several_figures_keep_order_and_sentence():
    text = "去年共完成审计项目3862个，审计资金总额41.6亿元。今年11月，37名职工领到工资，共计62.3万元。"
    found = figs(text)
    assert [f.text for f in found] == ["3862个", "41.6亿元", "37名", "62.3万元"]
    assert found[2].sentence == "今年11月，37名职工领到工资，共计62.3万元。"
    assert found[3].value == Decimal("623000")


def test_headline_figure_not_repeated_when_body_has_it():
    doc = make_doc(["首批5000份暖心包送到骑手手中"], ["省总工会启动服务行动，首批5000份暖心包当天送到骑手手中。"])
    assert [f.text for f in extract_figures(doc)] == ["5000份"]


def test_to_dict_is_json_safe_and_exact():
    f = one("共为职工发放保障金7720.91万元。")
    d = f.to_dict()
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d
    assert d["value"] == "77209100" and d["value_max"] is None and d["unit"] == "元"
    assert Figure.from_dict(d) == f
    r = one("给予1000—50000元不等的奖励。").to_dict()
    assert (r["value"], r["value_max"]) == ("1000", "50000")


def test_parse_number():
    assert parse_number("44.77", "万") == Decimal("447700")
    assert parse_number("二十八") == Decimal(28)
    assert parse_number("两千三百万") == Decimal(23000000)
    assert parse_number("1,234.50") == Decimal("1234.5")
    with pytest.raises(ValueError):
        parse_number("不是数字")


def test_counts_of_sessions_cases_and_batches() -> None:
    # units found missing by the regression set: 场次 (not 场 + 次), 例 (medical cases), 宗, 批次
    assert [f.text for f in figs("累计举办竞赛1300余场次，查出疑似病例12例，受理案件58宗，分3批次实施。")] == [
        "1300余场次", "12例", "58宗", "3批次"]
    assert one("共举办活动200余场次。").unit == "场次"
    assert figs("例如三个月") == []


@pytest.mark.parametrize(("sentence", "text", "value", "unit"), [
    ("三百余名职工参加了开幕式。", "三百余名", "300", "名"),
    ("上千人在广场观看演出。", "上千人", "1000", "人"),
    ("十二对新人举行集体婚礼。", "十二对", "12", "对"),
    ("帮扶48户困难家庭。", "48户", "48", "户"),
    ("直播吸引上万人次观看。", "上万人次", "10000", "人次"),
    ("全市二十余支队伍参赛。", "二十余支", "20", "支"),
    ("开展宣讲三十五场。", "三十五场", "35", "场"),
    ("发放首批慰问品两批。", "两批", "2", "批"),
    ("举办培训班十一期。", "十一期", "11", "期"),
    ("走访企业百余家。", "百余家", "100", "家"),
    ("5对劳模夫妻受表彰。", "5对", "5", "对"),
])
def test_chinese_numerals_and_bare_magnitudes_with_measure_words(sentence, text, value, unit):
    found = {f.text: f for f in figs(sentence)}
    assert text in found, list(found)
    assert found[text].value == Decimal(value) and found[text].unit == unit


def test_chinese_and_arabic_amounts_have_the_same_value():
    a, b = one("项目总投资两千万元。"), one("项目总投资2000万元。")
    assert a.value == b.value == Decimal("20000000") and a.unit == b.unit == "元"
    assert one("奖励一千二百万元。").value == one("奖励1200万元。").value


@pytest.mark.parametrize("sentence", [
    "两地工会加强对接。", "双方开展对口支援。", "师徒一对一结对。", "这对于企业很重要。",
    "培训持续三个月。", "他获得第三名。", "千家万户喜迎新春。",
])
def test_measure_words_inside_other_words_are_not_figures(sentence):
    assert figs(sentence) == []


def test_every_measure_word_comes_from_the_config_table():
    from worker.enrich.figures import load_measure_words

    table = load_measure_words()
    expected = {"名", "人", "人次", "户", "家", "对", "个", "项", "场", "支", "件", "批", "期", "所", "次", "元"}
    assert expected <= set(table)
    for unit in ("对", "户", "支"):
        assert one(f"共有18{unit}参与。").unit == unit


def test_a_sentence_of_thousands_of_figures_is_stored_at_a_bounded_size():
    # adversarial run: 3,000 amounts in one sentence stored the whole sentence with each figure
    # (a 38 KB file → a 60 MB article row, 934 MB to make the briefing)
    from worker.enrich.figures import MAX_FIGURES, extract_figures
    from worker.enrich.segment import make_doc

    body = "本报讯 记者 王明 " + "，".join(f"{i}万元" for i in range(1, 3001)) + "。"
    figs = extract_figures(make_doc(["职工大会召开"], [body]))
    assert len(figs) == MAX_FIGURES
    assert all(len(f.sentence) <= 160 and f.text in f.sentence for f in figs)
    assert figs[0].text == "1万元" and figs[-1].text == f"{MAX_FIGURES}万元"


def test_a_short_sentence_is_kept_whole_as_the_figures_context():
    from worker.enrich.figures import extract_figures
    from worker.enrich.segment import make_doc

    sentence = "今年以来，全省各级工会共筹集帮扶资金3.6亿元，走访慰问困难职工12万户。"
    figs = extract_figures(make_doc(["帮扶"], [sentence]))
    assert [f.sentence for f in figs] == [sentence, sentence]
