"""A synthetic 10-year archive for the search figure: issues and articles written straight into the
tables (bulk INSERT, no parser), from our own sentence templates and word lists, so every run with
the same seed builds the same archive.

Word frequencies are planned so the query mix of ``bench/search.py`` falls into three strata over
the default 3,650 issues / ~150,000 articles: *very common* words (工会 in nearly every article, 职工
in most), *medium* words (a topic's own terms, in 100–10,000 articles) and *rare* words (one special
term in roughly one article in 3,000: tens of hits). The counts are measured, not assumed: the
figure prints each query's hit count.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

START = date(2015, 1, 1)
CITIES = {
    "杭州": ("西湖", "拱墅", "萧山", "余杭", "临平"), "宁波": ("鄞州", "北仑", "镇海", "慈溪"),
    "温州": ("鹿城", "瑞安", "乐清", "龙湾"), "嘉兴": ("海宁", "桐乡", "平湖"), "湖州": ("南浔", "长兴", "安吉"),
    "绍兴": ("柯桥", "上虞", "诸暨"), "金华": ("义乌", "东阳", "永康"), "衢州": ("江山", "龙游", "常山"),
    "舟山": ("定海", "普陀", "岱山"), "台州": ("椒江", "温岭", "临海"), "丽水": ("莲都", "龙泉", "景宁"),
}
ORGS = ("市总工会", "区总工会", "县总工会", "产业工会", "企业工会", "街道工会", "工会联合会", "园区工会")
UNITS = ("机械厂", "纺织公司", "港务集团", "电力公司", "物流园", "医院", "汽配厂", "化工企业", "建筑公司", "食品厂",
         "供电所", "轨道交通公司", "数字产业园", "农业合作社", "商贸城")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国志红晓峰海燕春梅雪松立新文斌浩然思远一鸣秋"
#: category key → (headline words, body terms). Body terms are the medium stratum.
TOPICS = {
    "culture": (("书画展", "职工运动会", "合唱比赛", "读书会", "摄影展"),
                ("书画展", "文艺汇演", "职工书屋", "合唱团", "摄影作品", "广场舞", "非遗", "篮球赛")),
    "skills_competition": (("技能比武", "劳动竞赛", "工匠学院", "技术创新"),
               ("技能比武", "劳动竞赛", "职业技能等级", "数控车工", "焊工", "电工", "师带徒", "创新工作室")),
    "rights_protection": (("欠薪", "集体协商", "法律援助", "劳动争议"),
                          ("集体协商", "劳动合同", "欠薪", "法律援助", "劳动争议调解", "工资支付", "仲裁", "维权")),
    "work_safety": (("安全生产", "隐患排查", "应急演练"),
                    ("安全生产", "隐患排查", "职业病防治", "应急演练", "防暑降温", "安全帽", "消防")),
    "care_and_relief": (("送温暖", "困难职工", "金秋助学", "医疗互助"),
                        ("困难职工", "送温暖", "帮扶资金", "医疗互助", "金秋助学", "慰问品", "大病救助")),
    "new_employment": (("快递小哥", "外卖骑手", "暖新驿站", "网约车司机"),
                       ("快递小哥", "外卖骑手", "网约车司机", "暖新驿站", "货车司机", "入会", "爱心驿站")),
    "model_workers": (("劳动模范", "五一劳动奖章", "劳模工作室"),
                      ("劳动模范", "五一劳动奖章", "工匠精神", "劳模工作室", "先进事迹", "宣讲")),
    "union_building": (("工会经费", "职代会", "基层工会建设"),
                       ("工会经费", "会员发展", "基层工会建设", "职代会", "经审", "厂务公开", "换届")),
}
#: Special terms: each goes into about one article in RARE_EVERY (the rare stratum).
RARE = ("珐琅彩", "古法造纸", "龙舟邀请赛", "茶艺师", "竹编技艺", "木雕工坊", "船模比赛", "围棋擂台赛", "盲人按摩",
        "蜂农合作社", "青瓷烧制", "越剧票友")
RARE_EVERY = 3000
KINDS = (("news", 70), ("brief", 20), ("photo", 5), ("commentary", 5))
PAGE_NAMES = ("要闻", "综合", "基层", "维权", "职工生活", "劳动者", "文化", "视点")

HEADLINES = (
    "{city}{org}开展{hw}活动", "{district}{hw}吸引{n}名职工参与", "{city}：{hw}走进{unit}", "{hw}，{city}这样做",
    "{unit}职工的{hw}故事", "{city}{org}部署{hw}工作", "{n}家企业参加{district}{hw}",
)
SENTENCES = (
    "{month}月{day}日，{city}{org}在{district}举办{term}活动，{n}余名职工参加。",
    "{city}{district}{org}负责人{person}介绍，今年以来共开展{term}{n}场次，覆盖职工{n2}人。",
    "活动现场，{unit}职工{person}说：“有了{term}，我们心里更踏实了。”",
    "据了解，{org}将{term}纳入年度重点工作，建立了长效机制。",
    "{city}各级工会组织积极推进{term}，服务职工{n2}人次。",
    "近年来，{district}{unit}把{term}作为职工关心的大事来抓，职工满意度明显提升。",
    "下一步，{city}{org}将继续深化{term}，让更多一线职工受益。",
    "{person}是{unit}的一名普通职工，在{term}中取得了好成绩。",
    "记者从{city}{org}获悉，{term}已在全市{n}个镇街推开。",
    "此次{term}共投入资金{n}万元，惠及{district}{n2}户职工家庭。",
    "“{term}不是一阵风，而要常态化。”{person}表示。",
    "今年{month}月，{unit}工会与企业签订协议，明确了{term}的具体安排。",
)


@dataclass
class ArchiveSize:
    issues: int
    articles: int


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _fill(template: str, rng: random.Random, ctx: dict, term: str) -> str:
    return template.format(term=term, month=rng.randint(1, 12), day=rng.randint(1, 28), n=rng.randint(2, 300),
                           n2=rng.randint(100, 20000), person=_person(rng), unit=rng.choice(UNITS), **ctx)


def article(rng: random.Random, issue_id: int, seq: int, day: date) -> dict:
    """Column values of one ``article`` row (the tables' own names; see worker.core.models.Article)."""
    topic = rng.choice(list(TOPICS))
    head_words, terms = TOPICS[topic]
    city = rng.choice(list(CITIES))
    district = rng.choice(CITIES[city])
    ctx = {"city": city, "district": district, "org": rng.choice(ORGS)}
    title = rng.choice(HEADLINES).format(hw=rng.choice(head_words), n=rng.randint(3, 300), unit=rng.choice(UNITS),
                                         **ctx)
    kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
    n_par = 1 if kind == "brief" else rng.randint(3, 7)
    focus = rng.sample(terms, 2)  # an article is about two of its topic's terms: each in ~3 % of the archive
    paragraphs = []
    for _ in range(n_par):
        sents = [_fill(rng.choice(SENTENCES), rng, ctx, rng.choice(focus)) for _ in range(rng.randint(2, 4))]
        paragraphs.append("".join(sents))
    if rng.randrange(RARE_EVERY // len(RARE)) == 0:  # some rare term in 1 of 250: each in 1 of RARE_EVERY
        rare = rng.choice(RARE)
        paragraphs[-1] += f"其中，{rare}项目格外引人注目，{_person(rng)}已经坚持了{rng.randint(3, 30)}年。"
    people = [_person(rng) for _ in range(rng.randint(0, 2))]
    body = "\n".join(paragraphs)
    page = rng.randint(1, 8)
    return dict(issue_id=issue_id, seq=seq, page=page, page_name=PAGE_NAMES[page - 1], kind=kind, kicker=None,
                title=title, subtitle=None, title_derived=False, byline=None, source=None, dateline=None,
                authors=[], paragraphs=paragraphs, captions=[], category=topic, category_scores={},
                secondary_categories=[], category_confirmed=False, places=[city, district], people=people,
                organizations=[], figures=[], keywords=[], summary=paragraphs[0][:60],
                search_text=title + "\n" + body)


def issues(seed: int, n_issues: int) -> Iterator[tuple[dict, list[dict]]]:
    """Yield (issue row, its article rows) for ``n_issues`` consecutive days from :data:`START`;
    30–52 articles an issue (mean 41: 3,650 issues ≈ 150,000 articles). Issue ids are 1…n."""
    for i in range(n_issues):
        rng = random.Random(f"archive-{seed}-{i}")
        day = START + timedelta(days=i)
        issue_id = i + 1
        arts = [article(rng, issue_id, s + 1, day) for s in range(rng.randint(30, 52))]
        name = f"{day.isoformat()}_zjgrrb.txt"
        yield (dict(id=issue_id, file_name=name, sha256=hashlib.sha256(f"{seed}/{name}".encode()).hexdigest(),
                    size=0, raw=b"", issue_date=day, issue_date_source="file_name", status="processed",
                    warnings=[], attempts=1, article_count=len(arts)), arts)


def build(engine, seed: int, n_issues: int, progress=None) -> ArchiveSize:
    """Fill the (migrated, empty) database of ``engine`` with the archive and its search index.
    Articles are inserted in batches of ~50 issues; the index is built like the migration builds it
    for existing rows (:func:`worker.search.index.rebuild_index`). Returns the sizes."""
    from sqlalchemy import insert

    from worker.core.models import Article, Issue
    from worker.search.index import create_index, drop_index, rebuild_index

    n_articles = 0
    batch_issues, batch_articles = [], []

    def flush(conn):
        nonlocal batch_issues, batch_articles
        if batch_issues:
            conn.execute(insert(Issue.__table__), batch_issues)
            conn.execute(insert(Article.__table__), batch_articles)
        batch_issues, batch_articles = [], []

    with engine.begin() as conn:
        drop_index(conn)  # built once after the load (as the migration does for existing rows)
        for issue, arts in issues(seed, n_issues):
            batch_issues.append(issue)
            batch_articles.extend(arts)
            n_articles += len(arts)
            if len(batch_issues) >= 50:
                flush(conn)
                if progress:
                    progress(f"{issue['id']} issues, {n_articles:,} articles stored")
        flush(conn)
        create_index(conn, indexes=False)
        rebuild_index(conn, progress=(lambda d: progress(f"{d:,} articles indexed")
                                      if progress and d % 20000 < 2000 else None))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            from sqlalchemy import text

            conn.execute(text("VACUUM ANALYZE"))
    return ArchiveSize(n_issues, n_articles)
