"""People and organisations. The people test lists BY HAND every person named in the two sample
issues; ``people`` over all their articles must name nobody else and at least 80 % of them.

Decisions: 小郑 (外卖骑手小郑), 姜师傅 and 王师傅 are forms of address, not full names, so they are not
in the list and must not be output. 习近平 is named in the samples and is in the list. Byline
authors (including the reporter 钱塘, whose name is also a Hangzhou district) are people.
"""

from __future__ import annotations

from conftest import SAMPLES

from worker.enrich.people import extract_organizations, extract_people
from worker.enrich.segment import make_doc
from worker.parsing.parser import Author, ParsedArticle

PEOPLE_IN_SAMPLES = {
    # 000_251c0b359e5127ab.txt
    "李凡", "魏地春", "刘忻", "李守镇",           # 书画展 (李凡: byline)
    "习近平",                                     # 《中国共产党历史》
    "荣荣江", "胡柯",                             # 产业工会联席会议 (荣荣江: byline)
    "寿慧桢", "施科",                             # 生活品质 (寿慧桢: byline)
    "张璐", "张微",                               # 城市超人 (bylines, with 李凡)
    "沈佳慧", "姜博然", "王中",                   # 姜博然 (沈佳慧: byline)
    "镇工轩", "张佳婷", "李永军", "李京威",       # 危运大赛 (bylines: 李凡 镇工轩 张佳婷)
    "贾馨然", "徐冬云", "毛彩霞",                 # 衢州医疗互助 (bylines: 贾馨然 徐冬云)
    # 2024-12-24_zjgrrb.txt
    "周晓岚", "刘思源", "钱塘", "陈一鸣", "何秋",
}
NOT_FULL_NAMES = {"小郑", "姜师傅", "王师傅"}


def _sample_articles():
    from worker.pipeline import analyse

    out = []
    for name in ("000_251c0b359e5127ab.txt", "2024-12-24_zjgrrb.txt"):
        out += analyse((SAMPLES / name).read_bytes(), name)["enrichments"]
    return out


def test_people_in_the_samples_precision_and_recall():
    found: set[str] = set()
    for enr in _sample_articles():
        found.update(enr.people)
    wrong = found - PEOPLE_IN_SAMPLES
    assert not wrong, f"not people (or not full names): {sorted(wrong)}"
    assert not found & NOT_FULL_NAMES
    recall = len(found & PEOPLE_IN_SAMPLES) / len(PEOPLE_IN_SAMPLES)
    assert recall >= 0.8, f"missing {sorted(PEOPLE_IN_SAMPLES - found)}"


def people(text: str, authors: list[str] | None = None) -> list[str]:
    return extract_people(make_doc([], [text]), authors)


def test_role_then_name():
    assert people("省总工会党组成员、副主席胡柯出席。") == ["胡柯"]
    assert people("衢州市总工会职工服务中心主任毛彩霞说。") == ["毛彩霞"]
    assert people("动态监控赛项一等奖的获得者李京威表示，这是一次机会。") == ["李京威"]


def test_authors_first_then_text_order():
    assert people("副主席施科出席。", ["寿慧桢"]) == ["寿慧桢", "施科"]


def test_words_the_tagger_calls_names_are_not_people():
    text = ("姜博然荣获舟山市技术能手称号，通过技能比武提升自己，获得荣誉。体现了镇海高超的技能水平。"
            "弘扬劳模精神，拓宽平台，送上祝福，连连道谢。")
    assert "荣获" not in people(text) and "比武" not in people(text)
    assert set(people(text)) <= {"姜博然"}


def test_forms_of_address_are_not_names():
    assert people("“现在有了服务站，累了可以进去歇歇脚。”外卖骑手小郑说。") == []
    assert people("浙江衢州安邦护卫有限公司的王师傅收到了慰问金。王师傅感动不已。") == []


def test_role_followed_by_a_common_word_is_not_a_name():
    assert people("省各产业工会负责人、联席会议成员单位联络员参会。") == []
    assert people("为高速公路交警和地铁运行保障人员送上祝福。") == []


def test_name_with_speech_verb():
    assert people("“获得这份荣誉是对我多年工作的肯定。”李永军是一名从业7年的老司机。") == ["李永军"]


def test_organizations():
    doc = make_doc([], ["由全国总工会宣传教育部、浙江省总工会主办，中国职工文化体育协会、金华市总工会承办。"
                        "参观了浙江三行电气科技有限公司和湖州市南浔区总工会。各级工会、基层工会积极参与。"])
    orgs = extract_organizations(doc)
    for name in ("全国总工会", "全国总工会宣传教育部", "浙江省总工会", "中国职工文化体育协会", "金华市总工会",
                 "浙江三行电气科技有限公司", "湖州市南浔区总工会"):
        assert name in orgs
    assert "各级工会" not in orgs and "基层工会" not in orgs and "工会" not in orgs
    assert "金华" not in orgs


def test_org_crosses_a_conjunction_only_inside_a_national_name():
    doc = make_doc([], ["经党中央批准，中央党史和文献研究院编写的书出版。"])
    assert extract_organizations(doc) == ["中央党史和文献研究院"]


def test_enrich_article_people_uses_byline_authors():
    from worker.enrich.article import enrich_article

    art = ParsedArticle(seq=1, title="绍兴一企业拖欠工资 工会介入两周追回",
                        authors=[Author("钱塘", "记者"), Author("何秋", "通讯员")],
                        paragraphs=["“没想到工会出面这么快就把钱要回来了。”12月20日，在绍兴柯桥区某纺织企业务工的"
                                    "37名职工领到了被拖欠的工资，共计62.3万元。"])
    enr = enrich_article(art)
    assert enr.people == ["钱塘", "何秋"]
    assert enr.places == ["绍兴", "柯桥"]
