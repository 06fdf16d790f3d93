"""Gazetteer completeness, normalisation and place extraction rules."""

from __future__ import annotations

import pytest

from worker.enrich.places import extract_places, get_gazetteer, normalise_place, short_name
from worker.enrich.segment import make_doc

ZHEJIANG = {
    "杭州": "上城 拱墅 西湖 滨江 萧山 余杭 临平 钱塘 富阳 临安 桐庐 淳安 建德",
    "宁波": "海曙 江北 北仑 镇海 鄞州 奉化 余姚 慈溪 象山 宁海",
    "温州": "鹿城 龙湾 瓯海 洞头 永嘉 平阳 苍南 文成 泰顺 瑞安 乐清 龙港",
    "嘉兴": "南湖 秀洲 嘉善 海盐 海宁 平湖 桐乡",
    "湖州": "吴兴 南浔 德清 长兴 安吉",
    "绍兴": "越城 柯桥 上虞 新昌 诸暨 嵊州",
    "金华": "婺城 金东 武义 浦江 磐安 兰溪 义乌 东阳 永康",
    "衢州": "柯城 衢江 常山 开化 龙游 江山",
    "舟山": "定海 普陀 岱山 嵊泗",
    "台州": "椒江 黄岩 路桥 三门 天台 仙居 温岭 临海 玉环",
    "丽水": "莲都 青田 缙云 遂昌 松阳 云和 庆元 景宁 龙泉",
}


def places(*paragraphs: str, title: str | None = None, authors: frozenset[str] = frozenset()) -> list[str]:
    return extract_places(make_doc([title] if title else [], list(paragraphs)), authors)


def test_gazetteer_has_all_zhejiang_cities_and_counties():
    gaz = get_gazetteer()
    cities = {p.name for p in gaz.places.values() if p.level == "city" and p.parent == "浙江"}
    assert cities == set(ZHEJIANG)
    for city, counties in ZHEJIANG.items():
        got = {p.name for p in gaz.places.values() if p.level == "county" and p.parent == city}
        assert got == set(counties.split()), city
    assert sum(len(c.split()) for c in ZHEJIANG.values()) == 90


@pytest.mark.parametrize(("name", "expected"), [
    ("金华", "金华"), ("金华市", "金华"), ("镇海区", "镇海"), ("长兴县", "长兴"), ("义乌市", "义乌"),
    ("景宁畲族自治县", "景宁"), ("景宁县", "景宁"), ("景宁", "景宁"), ("内蒙古", "内蒙古"),
    ("内蒙古自治区", "内蒙古"), ("广西", "广西"), ("北京市", "北京"), ("香港", "香港"), ("苏州市", "苏州"),
    ("火星", None), ("总工会", None),
])
def test_normalise(name, expected):
    assert normalise_place(name) == expected


def test_short_name():
    assert short_name("景宁畲族自治县") == "景宁"
    assert short_name("新疆维吾尔自治区") == "新疆"
    assert short_name("雄安新区") == "雄安"


def test_county_brings_its_city_first():
    assert places("省产业工会联席会议第二十八次会议在长兴县举行。") == ["湖州", "长兴"]
    assert places("活动在湖州南浔举行。") == ["湖州", "南浔"]
    assert places("竞赛在宁波市镇海区举行，镇海已连续举办两届。") == ["宁波", "镇海"]
    assert places("在绍兴柯桥区某纺织企业务工的职工领到工资。") == ["绍兴", "柯桥"]


def test_places_inside_organisations_and_companies_count():
    assert places("金华市总工会承办书画展。") == ["金华"]
    assert places("参观了浙能长兴发电有限公司。") == ["湖州", "长兴"]
    assert places("中节能(长兴)太阳能科技有限公司光伏项目。") == ["湖州", "长兴"]


def test_title_and_body_in_order_of_mention():
    assert places("分会场设在义乌国际商贸城、东阳横店影视城。", title="全国职工书画展在金华开幕") == [
        "金华", "义乌", "东阳"]


def test_dateline_place_is_not_what_the_article_is_about():
    assert places("据新华社北京12月22日电 经党中央批准，该书正式出版。") == []
    assert places("新华社北京12月22日电 经党中央批准，该书正式出版。") == []


def test_home_province_is_not_listed():
    assert places("浙江省总工会主办，浙江广大职工参与。") == []


def test_other_provinces_and_cities():
    assert places("来自江苏苏州和上海的选手。") == ["江苏", "苏州", "上海"]
    assert places("上海宁波两地的职工。") == ["上海", "宁波"]  # not 海宁


def test_strict_short_names_need_their_city():
    assert places("游客在西湖边散步。") == []
    assert places("杭州西湖边的职工驿站。") == ["杭州", "西湖"]
    assert places("上海市普陀区总工会来访。") == ["上海", "普陀区"]  # Shanghai's, as written
    assert places("舟山市普陀区总工会组织活动。") == ["舟山", "普陀"]
    assert places("守护好大好江山。") == []
    assert places("台州市天台县总工会。") == ["台州", "天台"]
    assert places("天台县总工会开展活动。") == ["台州", "天台"]  # suffix form is unambiguous


def test_strict_name_inside_a_longer_word_is_not_a_place():
    assert places("杭州职工在钱塘江边健步走。") == ["杭州"]
    assert places("杭州市钱塘区总工会。") == ["杭州", "钱塘"]


def test_word_boundary_and_people():
    assert places("祝大家平安吉祥。") == []
    assert places("记者钱塘报道，杭州街头骑手。", authors=frozenset({"钱塘"})) == ["杭州"]
    assert places("通讯员钱塘报道，杭州街头骑手。") == ["杭州"]


def test_counterpart_regions_and_ethnic_autonomous_names():
    # East–West cooperation partners that Zhejiang papers report on; autonomous-prefecture suffixes
    assert short_name("凉山彝族自治州") == "凉山"
    assert short_name("黔东南苗族侗族自治州") == "黔东南"
    assert short_name("伊犁哈萨克自治州") == "伊犁"
    assert places("一列满载四川凉山、广元等地务工人员的专列抵达杭州。") == ["四川", "凉山", "广元", "杭州"]
    assert places("两地工会在凉山州设立劳务协作站。") == ["四川", "凉山"]
    assert places("对口支援贵州黔东南苗族侗族自治州。") == ["贵州", "黔东南"]
