"""Places an article is about, from the gazetteer in ``config/gazetteer.yaml``.

Output names are short canonical forms (金华, 义乌, 镇海 — no 市/县/区 suffix), ordered by first
mention and grouped city → county: a county brings its city in front of it even when only the
county is named (长兴 → ["湖州", "长兴"]), because the briefing groups and filters by city. Cities of
other provinces bring their province (苏州 → ["江苏", "苏州"]). The home province (浙江) is never
listed: every article of a Zhejiang paper is in it.

Rules (each guards against a real false positive):
  * a match must start on a word boundary of the article's segmentation (安吉 in 平安吉祥 is not
    a place);
  * short names that are ordinary words or places elsewhere (``strict`` in the gazetteer: 西湖,
    江北, 钱塘, 普陀, 江山, 天台 …) count only when the parent city is also mentioned, or, unless they
    are in ``clash``, when written with their suffix (天台县); a strict short name must also end on a
    word boundary (钱塘 in 钱塘江 is the river);
  * the dateline's place (据新华社北京12月22日电) is not what the article is about: a dateline
    left at the start of the first paragraph is skipped, and ``article.dateline`` is never read;
  * a name that is a byline author's name (记者钱塘) or follows 记者/通讯员 is a person, not a place.
Places inside organisation names count (金华市总工会 → 金华): the organisation is in that place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from worker.enrich.segment import Doc, load_yaml, register_words, trie_regex

# Ethnic names before 自治区/州/县 (凉山彝族自治州 → 凉山, 黔东南苗族侗族自治州 → 黔东南).
_ETHNIC = ("(?:(?:壮|回|畲|白|傣|彝|藏|羌|苗|侗|布依|土家|朝鲜|蒙古|黎|瑶|哈尼|傈僳|景颇|纳西|土|撒拉|满|仡佬|水)族"
           "|维吾尔|哈萨克|柯尔克孜)")
_SUFFIX_RE = re.compile(rf"(?:{_ETHNIC}*自治[区县州]|特别行政区|新区|地区|[省市县区])$")
_DATELINE_RE = re.compile(r"^[（(]?(?:据)?(?:新华社|中新社|人民日报|本报|央视|工人日报)[^\s，,。]{0,12}?"
                          r"\d{1,2}月\d{1,2}日(?:电|讯)[)）]?")
_PERSON_BEFORE = ("记者", "通讯员", "摄影", "实习生", "见习记者")


def short_name(full: str) -> str:
    """The canonical short form of an official name: 余杭区 → 余杭, 景宁畲族自治县 → 景宁,
    广西壮族自治区 → 广西, 香港特别行政区 → 香港. Names with nothing to strip are returned as is."""
    s = _SUFFIX_RE.sub("", full)
    return s if len(s) >= 2 else full


@dataclass(frozen=True)
class Place:
    """A gazetteer entry: canonical ``name`` (short form), ``level`` (province | city | county),
    ``parent`` (the city of a county, the province of a city, None for a province), ``home`` (the
    home province, never output)."""

    name: str
    level: str
    parent: str | None
    home: bool = False


@dataclass(frozen=True)
class _Surface:
    place: Place
    strict: bool        # needs the parent city in the article
    boundary_end: bool  # must also end on a word boundary


class Gazetteer:
    """Compiled gazetteer: surface form → entry, plus one trie regex over all surface forms."""

    def __init__(self, data: dict):
        self.surfaces: dict[str, _Surface] = {}
        self.places: dict[str, Place] = {}
        home_full = data.get("home_province", "浙江省")
        home = short_name(home_full)
        strict = set(data.get("strict") or [])
        clash = set(data.get("clash") or [])
        strict_other = set(data.get("strict_other") or [])
        self._add(home_full, Place(home, "province", None, home=True), strict_short=False)
        for city_full, counties in (data.get("zhejiang") or {}).items():
            city = Place(short_name(city_full), "city", home)
            self._add(city_full, city, strict_short=False)
            for county_full in counties or []:
                place = Place(short_name(county_full), "county", city.name)
                self._add(county_full, place, strict_short=place.name in strict,
                          strict_full=county_full in clash)
        for prov_full, cities in (data.get("provinces") or {}).items():
            prov = Place(short_name(prov_full), "province", None)
            self._add(prov_full, prov, strict_short=False)
            for city_full in cities or []:
                city = Place(short_name(city_full), "city", prov.name)
                self._add(city_full, city, strict_short=False, short_ok=city.name not in strict_other)
        for alias, full in (data.get("aliases") or {}).items():
            target = self.surfaces.get(full)
            if target is None:
                raise ValueError(f"gazetteer alias {alias!r} points to unknown name {full!r}")
            self.surfaces[alias] = _Surface(target.place, strict=False, boundary_end=False)
        self.pattern = trie_regex(self.surfaces)

    def _add(self, full: str, place: Place, strict_short: bool, strict_full: bool = False,
             short_ok: bool = True) -> None:
        self.places[place.name] = place
        self.surfaces[full] = _Surface(place, strict=strict_full, boundary_end=False)
        if short_ok and place.name != full:
            self.surfaces.setdefault(place.name, _Surface(place, strict=strict_short,
                                                          boundary_end=strict_short))

    def normalise(self, name: str) -> str | None:
        """Canonical short name for any known surface form (金华市 → 金华, 景宁县 → 景宁), else None."""
        s = self.surfaces.get(name.strip())
        return s.place.name if s else None

    def dictionary_words(self) -> list[str]:
        """Surface forms safe to add to the segmenter's dictionary (not the strict short names,
        which are ordinary words too)."""
        return [w for w, s in self.surfaces.items() if not s.boundary_end and len(w) >= 2]


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


def extract_places(doc: Doc, author_names: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Places ``doc`` is about, as canonical short names (see the module docstring for the rules).

    ``author_names``: byline names, never taken as places. Returns [] when nothing matches."""
    gaz = get_gazetteer()
    text = doc.text
    skip_to = 0
    m = _DATELINE_RE.match(text, doc.title_end)
    if m:
        skip_to = m.end()
    mentions: list[tuple[_Surface, str]] = []
    last_end = -1
    starts = doc.start_set
    for m in gaz.pattern.finditer(text):
        s, e = m.span()
        surface_text = m.group()
        if doc.title_end <= s < skip_to:
            continue
        if s not in starts and s != last_end:
            continue
        surf = gaz.surfaces[surface_text]
        if surf.boundary_end and e not in starts and e != len(text):
            continue
        if surface_text in author_names or text[max(0, s - 5):s].endswith(_PERSON_BEFORE):
            continue
        mentions.append((surf, surface_text))
        last_end = e
    if not mentions:
        return []
    mentioned = {surf.place.name for surf, _ in mentions if not surf.strict}
    out: list[str] = []
    seen: set[str] = set()

    def emit(name: str) -> None:
        if name not in seen:
            seen.add(name)
            out.append(name)

    for surf, _ in mentions:
        place = surf.place
        if place.home:
            continue
        if surf.strict and place.parent not in mentioned:
            continue
        if place.parent and not gaz.places[place.parent].home:
            emit(place.parent)
        emit(place.name)
    return out
