"""People and organisations named in an article, from the shared segmentation (no second pass).

People — precision first (a wrong name in a leadership briefing is worse than a missing one):
  * byline authors (``article.authors``) always count, listed first in byline order;
  * any other name needs a common Chinese surname (:data:`SURNAMES`, 百家姓 top ~220 and the
    compound surnames) AND evidence:
      - a role word right before it and a boundary right after it: 副主席胡柯出席, 党组成员魏地春，
        主任毛彩霞说, 获得者李京威表示, 徒弟王中2024年… (role list :data:`ROLES`; boundary =
        punctuation, a number, or a word from :data:`AFTER_NAME` such as 说 表示 出席 等); or
      - a 3-character token the tagger marks as a person (nr) that is not a dictionary word
        (the jieba dictionary tags 黄金周 or 贡献者 as nr), or one that is followed by a speech verb
        or appears twice; or
      - a 2-character nr token followed by a speech verb (李凡说).
  * never: nicknames and forms of address (小郑, 老王, 王师傅, 姜师傅 — not full names), words the
    tagger alone calls names (荣获, 比武, 高超 — 2-character nr tokens without evidence), place names
    (柯桥), or words whose own tag is a common part of speech (单位, 钟情).

Organisations: a word ending in an organisation suffix (总工会, 工会, 有限公司, 协会, 研究院,
委员会, 局, 中心, 集团 … :data:`ORG_SUFFIXES`) extended leftwards over name-like words (nouns,
places, abbreviations, brackets) up to a verb, preposition or punctuation; kept only when it is more
than a generic phrase (基层工会, 各级工会 are not names) — i.e. it contains a place, a proper noun or
starts with 省/市/县/全国/中国/中华/中央. A conjunction 和/与 is crossed only inside names that start
like that (中央党史和文献研究院), and never between two complete organisations.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from worker.enrich.places import get_gazetteer
from worker.enrich.segment import Doc, get_segmenter

SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
    "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫"
    "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝封钭寿洪诸楼占胥宣蔚鄢嵇竺习"
)
COMPOUND_SURNAMES = frozenset(("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容",
                               "令狐", "司徒", "夏侯", "端木", "长孙", "宇文", "独孤", "轩辕", "南宫"))
ROLES = frozenset((
    "主席", "副主席", "书记", "副书记", "主任", "副主任", "会长", "副会长", "秘书长", "部长", "副部长", "局长",
    "副局长", "厅长", "副厅长", "处长", "科长", "省长", "副省长", "市长", "副市长", "县长", "区长", "镇长", "乡长",
    "村长", "董事长", "总经理", "经理", "总裁", "院长", "校长", "所长", "站长", "队长", "班长", "组长", "主管",
    "负责人", "成员", "委员", "常委", "劳模", "工匠", "技师", "工程师", "总工程师", "教授", "专家", "医生",
    "护士", "律师", "教师", "老师", "民警", "交警", "选手", "冠军", "获得者", "徒弟", "骑手", "快递员", "司机",
    "驾驶员", "监控员", "调解员", "志愿者", "主持人", "创始人", "研究员", "博士", "首席技师", "网格员", "党员",
    "作者", "画家", "书法家", "作家", "演员", "运动员", "教练", "记者",
    "通讯员", "摄影", "主任医师", "副总经理", "总监", "厂长", "车间主任", "党组成员", "理事长", "副理事长",
    "95后", "90后", "00后", "80后", "名誉主席", "第一书记", "原主席", "总书记", "国家主席", "总理",
))
AFTER_NAME = frozenset((
    "说", "表示", "介绍", "指出", "强调", "坦言", "告诉", "回忆", "认为", "感慨", "笑着说", "出席", "主持",
    "致辞", "讲话", "等", "同志", "带领", "一行", "参加", "获得", "荣获", "在", "是", "从", "对", "和", "与",
    "及", "也", "还", "就", "都", "又", "已", "曾", "正", "将", "被", "作", "为", "自", "先后", "今年", "去年",
    "现任", "担任", "出任", "当选", "发言", "宣读", "通报", "解读", "作了", "带着", "向", "把", "给", "和他",
    "所在", "来到", "走进", "看望", "慰问", "调研", "察看", "要求", "希望", "提出",
))
_NR_TAGS = frozenset(("nr", "nrfg", "nrt"))
SPEECH = frozenset(("说", "表示", "介绍", "指出", "强调", "坦言", "告诉", "回忆", "认为", "感慨", "笑着说"))
_FORMS_OF_ADDRESS = ("师傅", "老师", "阿姨", "大姐", "大哥", "小哥", "大叔", "大爷", "大妈", "同志", "先生",
                     "女士", "姐", "哥", "叔", "伯", "总", "工", "们", "某", "某某")
_NOT_LAST = frozenset("者权年素岩城寺殿河湖省市县区村路街会部局厅院所站周式化性型类级业费率界期代节日月馆"
                      "园场港湾岛店厂司社校队组班团家号")
_COMMON_TAGS = frozenset(("n", "v", "vn", "a", "an", "ad", "d", "m", "t", "c", "p", "r", "q", "s", "b", "i",
                          "l", "ns", "nt", "u", "uj", "ul", "y", "z", "vd", "vg", "ag", "ng", "tg", "mq"))
_PUNCT = frozenset("，。、；：,.;:！？!?“”‘’\"'（）()《》【】「」 \n\t—…·-")

ORG_SUFFIXES = ("总工会", "工会", "有限公司", "有限责任公司", "股份公司", "公司", "集团", "协会", "学会", "研究会",
                "联合会", "基金会", "促进会", "研究院", "研究所", "设计院", "委员会", "常委会", "办公室", "办事处",
                "管理局", "局", "厅", "中心", "大学", "学院", "学校", "医院", "银行", "出版社", "报社", "电视台",
                "法院", "检察院", "党委", "政府", "联盟", "俱乐部", "合作社", "事务所", "宣传教育部", "教育部",
                "部")
_ORG_SUFFIX_LAST = frozenset(s[-1] for s in ORG_SUFFIXES)
_ORG_NOT = frozenset(("干部", "全部", "内部", "外部", "局部", "部分", "大局", "格局", "布局", "结局", "当局",
                      "中心", "重心", "核心", "市中心", "工会", "总工会", "公司", "集团", "部", "局", "厅",
                      "基层工会", "各级工会", "产业工会", "工会组织", "企业工会", "各地工会", "单位工会",
                      "基层党委", "各级党委", "地方政府", "各级政府", "服务中心", "驿站", "服务站", "工作站",
                      "工作室", "俱乐部", "办公室", "委员会"))
_ORG_STRONG_START = ("省", "市", "县", "区", "全国", "中国", "中华", "中央", "国家", "国务院")
_ORG_PART_TAGS = frozenset(("n", "ns", "nt", "nz", "nr", "j", "vn", "b", "eng", "an", "ng", "l", "nrt",
                            "nrfg", "x", "f", "s", "k", "h", "z", "a"))
_NAME_START_TAGS = frozenset(("c", "p", "u", "uj", "ul", "d", "r", "v", "y", "m", "q"))
_ORG_GENERIC_START = ("各级", "基层", "相关", "全省", "全市", "全县", "全区", "我省", "我市", "当地", "该",
                      "其", "本", "各地", "各", "有关", "多家", "一家", "这家", "原", "新", "省部属")


def _has_surname(name: str) -> bool:
    return name[:2] in COMPOUND_SURNAMES or name[0] in SURNAMES


def _name_shape_ok(name: str) -> bool:
    if not 2 <= len(name) <= 4:
        return False
    if not all("\u4e00" <= ch <= "\u9fff" for ch in name):
        return False
    if len(name) == 4 and name[:2] not in COMPOUND_SURNAMES:
        return False
    if not _has_surname(name) or name.endswith(_FORMS_OF_ADDRESS):
        return False
    if name[0] in "小老" or name[-1] in _NOT_LAST:
        return False
    return get_gazetteer().normalise(name) is None


@lru_cache(maxsize=4096)
def _lexically_common(name: str) -> bool:
    """True when the segmenter reads ``name`` on its own as one ordinary word (单位/n, 钟情/n)."""
    tagged = get_segmenter().tag(name)
    return len(tagged) == 1 and tagged[0][1] in _COMMON_TAGS


@lru_cache(maxsize=4096)
def _in_dictionary(word: str) -> bool:
    return get_segmenter().has_word(word)


def _boundary(doc: Doc, k: int) -> bool:
    """Token ``k`` (the one after a candidate name) ends a name: punctuation, end, a number or an
    AFTER_NAME word."""
    if k >= len(doc.words):
        return True
    w = doc.words[k]
    return w[0] in _PUNCT or w[0].isdigit() or w in AFTER_NAME or (doc.tags[k] == "m" and w[0].isdigit())


def extract_people(doc: Doc, authors: list[str] | None = None) -> list[str]:
    """Full names of people in ``doc``: byline ``authors`` first, then names found in the text in
    order of first mention (rules in the module docstring). Returns [] for an empty article."""
    out: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        if name and name not in seen:
            seen.add(name)
            out.append(name)

    for a in authors or []:
        add(a.strip())
    words, tags = doc.words, doc.tags
    n = len(words)
    counts = Counter(words)
    for i in _indices(words, tags):
        w, t = words[i], tags[i]
        # 1) role word + name + boundary
        if w in ROLES:
            j = i + 1
            if j >= n or not (words[j][0] in SURNAMES or words[j][:2] in COMPOUND_SURNAMES):
                continue  # (also: a list of roles 主席、书记 — the name comes after the last one)
            cand = _name_after(doc, j)
            if cand:
                add(cand)
            continue
        # 2) tagged names with their own evidence
        if not t.startswith("nr") or not _name_shape_ok(w):
            continue
        speech_after = i + 1 < n and words[i + 1] in SPEECH
        if len(w) == 2:
            if speech_after and not _lexically_common(w):
                add(w)
        elif len(w) >= 3:
            after_ok = i + 1 < n and (words[i + 1] in AFTER_NAME or words[i + 1] in ROLES)
            before_ok = i == 0 or words[i - 1][0] in _PUNCT or words[i - 1] in ROLES
            if (speech_after or counts.get(w, 0) >= 2 or not _in_dictionary(w)
                    or (after_ok and before_ok)):
                add(w)
    return out


def _positions(seq: list[str], value: str) -> list[int]:
    """Every index of ``value`` in ``seq`` (``list.index`` runs at C speed)."""
    out, i = [], -1
    try:
        while True:
            i = seq.index(value, i + 1)
            out.append(i)
    except ValueError:
        return out


def _indices(words: list[str], tags: list[str]) -> list[int]:
    """Indices of role words and of person-tagged tokens, found without a Python loop over
    every token."""
    idx: list[int] = []
    for role in ROLES.intersection(words):
        idx += _positions(words, role)
    for t in _NR_TAGS.intersection(tags):
        idx += _positions(tags, t)
    return sorted(set(idx))


def _name_after(doc: Doc, j: int) -> str | None:
    """A name made of the 1–3 tokens starting at ``j`` (2–4 characters) followed by a boundary."""
    words = doc.words
    if j >= len(words) or (doc.tags[j] in _NAME_START_TAGS and not doc.tags[j].startswith("nr")):
        return None
    best = None
    cand = ""
    for k in range(j, min(j + 3, len(words))):
        w = words[k]
        if w[0] in _PUNCT or w[0].isdigit():
            break
        cand += w
        if len(cand) > 4:
            break
        if len(cand) >= 2 and _boundary(doc, k + 1) and _name_shape_ok(cand):
            best = cand
            break
    if best is None or _lexically_common(best):
        return None
    return best


def extract_organizations(doc: Doc) -> list[str]:
    """Organisation names in ``doc`` in order of first mention (rules in the module docstring);
    a name that is a prefix-free part of a longer one found in the same article is kept too
    (全国总工会 and 全国总工会宣传教育部 are both organisations)."""
    words, tags = doc.words, doc.tags
    gaz = get_gazetteer()
    out: list[str] = []
    seen: set[str] = set()
    last = _ORG_SUFFIX_LAST
    for i in [i for i, w in enumerate(words) if w[-1] in last]:
        w = words[i]
        if not w.endswith(ORG_SUFFIXES) or w in ("干部", "全部", "内部", "外部", "局部", "大局", "格局",
                                                "布局", "结局", "当局", "重心", "核心"):
            continue
        # extend leftwards over name-like words
        j = i
        cut_at_conj = None
        while j > 0:
            pw, pt = words[j - 1], tags[j - 1]
            if pw in ("和", "与") and cut_at_conj is None and j >= 2 and not words[j - 2].endswith(ORG_SUFFIXES):
                cut_at_conj = j
                j -= 1
                continue
            if pw in ("(", "（"):
                break
            if pw in (")", "）"):
                # a bracketed place inside a company name: 中节能(长兴)太阳能
                if j >= 3 and words[j - 3] in ("(", "（"):
                    j -= 3
                    continue
                break
            if pt not in _ORG_PART_TAGS or pw[0] in _PUNCT or pw.strip() == "" or pw[0].isdigit():
                break
            if pw in ("的", "等", "和", "与", "及", "或", "在", "由", "为", "向", "对", "将"):
                break
            j -= 1
            if doc.starts[i] + len(w) - doc.starts[j] > 24:
                j += 1
                break
        # a chain that runs into a place name from the left starts at the place (广惠职工衢州工会)
        for p in range(j + 1, i + 1):
            if words[p] in gaz.surfaces and words[p - 1] not in ("(", "（") and not any(
                    words[q] in gaz.surfaces for q in range(j, p)):
                if not "".join(words[j:p]).startswith(_ORG_STRONG_START):
                    j = p
                break
        while j <= i and words[j] in ("(", "（"):
            close = next((q for q in range(j, i + 1) if words[q] in (")", "）")), None)
            if close is None:
                break
            j = close + 1
        name = "".join(words[j:i + 1])
        if cut_at_conj is not None and not name.startswith(_ORG_STRONG_START):
            name = "".join(words[cut_at_conj:i + 1])
        for g in _ORG_GENERIC_START:
            if name.startswith(g) and len(name) > len(g) + 1:
                name = name[len(g):]
                break
        if name in _ORG_NOT or len(name) < 3 or name in seen:
            continue
        body = name
        for suffix in ORG_SUFFIXES:
            if name.endswith(suffix):
                body = name[: -len(suffix)]
                break
        strong = (name.startswith(_ORG_STRONG_START) or gaz.pattern.search(body) is not None
                  or any(tags[k] in ("nt", "nz", "j", "eng", "nr", "ns") for k in range(j, i + 1)))
        if not strong or (len(body) < 2 and not name.startswith(_ORG_STRONG_START)):
            continue
        seen.add(name)
        out.append(name)
    return out
