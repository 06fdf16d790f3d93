"""People and organisations named in an article, from the shared segmentation (no second pass).

People — precision first (a wrong name in a leadership briefing is worse than a missing one):
  * byline authors (``article.authors``) always count, listed first in byline order;
  * any other name needs a common Chinese surname (:data:`SURNAMES`, 百家姓 top ~220 and the
    compound surnames) AND evidence:
      - an office title or role right before it (:data:`ROLES`, or a longer word ending in one:
        高级技师, 车间主任, 护士长) — strong evidence. The name is then read character by
        character, because the segmenter glues speech verbs to names (张华说/nr, 李/明说): surname
        + one character when a speech verb or particle follows (劳模张华说 → 张华, 黄明的徒弟),
        else surname + two characters when a name boundary follows (王建国表示, 许立新和员工),
        else surname + one (冠军吴杰。). No stop list of given-name characters: 王岩, 刘长城 and
        徐建业 are names; or
      - a person-tagged token glued to a speech verb (张华说 → 张华) or a surname followed by one;
        or
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
#: Speech verbs: a name ends right before one (张华说 → 张华, 周敏笑着说 → 周敏).
SPEECH = ("笑着说", "说道", "笑道", "说", "表示", "介绍", "指出", "强调", "坦言", "告诉", "回忆", "认为", "感慨",
          "笑着", "透露", "提到", "谈到", "直言", "解释", "补充", "称")
#: Particles that end a name as well (黄明的徒弟, 李明们 is not a name).
PARTICLES = ("的", "了", "着", "们", "吗", "呢", "吧", "啊", "呀")
#: Function words that do not end a given name: 李明也在 is 李明, not 李明也.
_NOT_NAME_END = frozenset("也还就都又已曾将被把给在是与及对从")
_AFTER_STARTS = tuple(sorted(AFTER_NAME | set(SPEECH) | set(PARTICLES), key=len, reverse=True))
_FORMS_OF_ADDRESS = ("师傅", "老师", "阿姨", "大姐", "大哥", "小哥", "大叔", "大爷", "大妈", "同志", "先生",
                     "女士", "姐", "哥", "叔", "伯", "总", "工", "们", "某", "某某")
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
_FUNCTION_TAGS = frozenset(("c", "p", "u", "uj", "ul", "r", "y"))
_ORG_GENERIC_START = ("各级", "基层", "相关", "全省", "全市", "全县", "全区", "我省", "我市", "当地", "该",
                      "其", "本", "各地", "各", "有关", "多家", "一家", "这家", "原", "新", "省部属")


def _has_surname(name: str) -> bool:
    return name[:2] in COMPOUND_SURNAMES or name[0] in SURNAMES


def _name_shape_ok(name: str, place_ok: bool = False) -> bool:
    if not 2 <= len(name) <= 4:
        return False
    if not all("\u4e00" <= ch <= "\u9fff" for ch in name):
        return False
    if len(name) == 4 and name[:2] not in COMPOUND_SURNAMES:
        return False
    if not _has_surname(name) or name.endswith(_FORMS_OF_ADDRESS):
        return False
    if name[0] in "小老":
        return False
    return place_ok or not get_gazetteer().is_place_name(name)


@lru_cache(maxsize=4096)
def _lexically_common(name: str) -> bool:
    """True when the segmenter reads ``name`` on its own as one ordinary word (单位/n, 钟情/n)."""
    tagged = get_segmenter().tag(name)
    return len(tagged) == 1 and tagged[0][1] in _COMMON_TAGS


@lru_cache(maxsize=4096)
def _in_dictionary(word: str) -> bool:
    return get_segmenter().has_word(word)


def _ends_name(text: str, end: int) -> bool:
    """A name may end at ``end`` of ``text``: the end of the text, punctuation, a number, or a word
    that follows names (说 表示 出席 在 … :data:`AFTER_NAME`, speech verbs, particles)."""
    if end >= len(text):
        return True
    ch = text[end]
    return ch in _PUNCT or ch.isdigit() or text.startswith(_AFTER_STARTS, end)


def _name_at(doc: Doc, offset: int, speech_only: bool = False) -> str | None:
    """The full name starting at character ``offset`` (a surname, then one or two characters of
    given name), read character by character because the segmenter glues speech verbs to names
    (张华说/nr, 李/明说): the short reading when a speech verb or particle follows it (张华说 →
    张华), else the long reading when a name boundary follows it (王建国表示), else the short one
    (吴杰。). A long reading ending in a function word is not taken (李明也在 → 李明).
    ``speech_only``: accept only a name followed by a speech verb. None when nothing fits."""
    text = doc.text
    base = 2 if text[offset:offset + 2] in COMPOUND_SURNAMES else 1
    if base == 1 and text[offset:offset + 1] not in SURNAMES:
        return None
    short, long_ = text[offset:offset + base + 1], text[offset:offset + base + 2]
    after_short = offset + len(short)
    if text.startswith(SPEECH, after_short) or (not speech_only and text.startswith(PARTICLES, after_short)):
        # a title before and a speech verb after make even a place-like name a person (主任许昌说)
        place_ok = not speech_only and text.startswith(SPEECH, after_short)
        return short if _name_ok(short, place_ok) else None
    if speech_only:
        return long_ if text.startswith(SPEECH, offset + len(long_)) and _name_ok(long_) else None
    if (len(long_) == base + 2 and long_[-1] not in _NOT_NAME_END and _ends_name(text, offset + len(long_))
            and _name_ok(long_)):
        return long_
    return short if _ends_name(text, after_short) and _name_ok(short) else None


def _name_ok(name: str, place_ok: bool = False) -> bool:
    return _name_shape_ok(name, place_ok) and not _lexically_common(name)


def extract_people(doc: Doc, authors: list[str] | None = None) -> list[str]:
    """Full names of people in ``doc``: byline ``authors`` first, then names found in the text in
    order of first mention (rules in the module docstring). Returns [] for an empty article."""
    out: list[str] = []
    seen: set[str] = set()

    def add(name: str | None) -> None:
        if name and name not in seen:
            seen.add(name)
            out.append(name)

    for a in authors or []:
        add(a.strip())
    words, tags, starts = doc.words, doc.tags, doc.starts
    n = len(words)
    counts = Counter(words)
    for i in _indices(words, tags):
        w = words[i]
        # 1) role word + name: the role is the evidence, the name ends at a boundary
        if _is_role(w):
            # 交警和地铁: 和 is a conjunction; 教练员何/r 东升/nr: 何 is a surname before a given name
            if i + 1 < n and (words[i + 1][0] in SURNAMES or words[i + 1][:2] in COMPOUND_SURNAMES) and (
                    tags[i + 1] not in _FUNCTION_TAGS or (i + 2 < n and tags[i + 2] in _NR_TAGS)):
                add(_name_at(doc, starts[i + 1]))  # other tags are no evidence: 许/m 立新/d
            continue
        # 2) tagged names with their own evidence
        speech = next((sp for sp in SPEECH if len(w) > len(sp) + 1 and w.endswith(sp)), None)
        if speech or len(w) == 1:  # 张华说/nr, 李/nr + 明说: the name ends before the speech verb
            add(_name_at(doc, starts[i], speech_only=True))
            continue
        if not _name_shape_ok(w):
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


#: A longer token ending in one of these is an office title too (高级技师, 车间主任, 护士长, 教练员).
_ROLE_ENDINGS = tuple(sorted({r for r in ROLES if len(r) >= 2 and not r[0].isdigit()} | {"员", "长"},
                             key=len, reverse=True))


@lru_cache(maxsize=8192)
def _is_role(word: str) -> bool:
    """``word`` is an office title or role: in :data:`ROLES`, or 3+ characters ending in one."""
    return word in ROLES or (len(word) >= 3 and word.endswith(_ROLE_ENDINGS) and word[0] not in _PUNCT)


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
    for role in {w for w in set(words) if _is_role(w)}:
        idx += _positions(words, role)
    for t in _NR_TAGS.intersection(tags):
        idx += _positions(tags, t)
    return sorted(set(idx))


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
            if gaz.is_place_name(words[p]) and words[p - 1] not in ("(", "（") and not any(
                    gaz.is_place_name(words[q]) for q in range(j, p)):
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
        strong = (name.startswith(_ORG_STRONG_START) or gaz.contains_place(body)
                  or any(tags[k] in ("nt", "nz", "j", "eng", "nr", "ns") for k in range(j, i + 1)))
        if not strong or (len(body) < 2 and not name.startswith(_ORG_STRONG_START)):
            continue
        seen.add(name)
        out.append(name)
    return out
