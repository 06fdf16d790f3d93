"""What goes into a briefing (简报), read from the DB, and making/numbering/recording one.

* :func:`build_content` reads the processed issues and articles of a period and returns a
  :class:`worker.briefing.render.BriefingContent` (no rendering here);
* :func:`make_briefing` allocates 第N期, renders, writes the .docx to the outbox atomically and
  records the :class:`worker.core.models.Briefing` row;
* :func:`make_due_briefings` makes every due, not-yet-made period of a kind (catch-up after
  downtime), using :func:`worker.briefing.periods.due_periods`.

Numbering: 第N期 counts per (kind, year of the period start) — daily, weekly and monthly have
independent sequences, a new year restarts at 1. A number is never reused: the next number is
the largest ever recorded + 1 (rows are never deleted). ``force`` re-makes a period as version
+1 with the same number. A period without any processed issue is, per ``empty_period`` in
``config/briefing.yaml``, either a short briefing (takes a number) or a row with status
``skipped`` with no file and no number (NULL), so it never takes a printed 第N期 number.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from worker.briefing.config import load_briefing_config
from worker.briefing.delivery import PdfConversionError, convert_to_pdf, outbox_name, write_atomic
from worker.briefing.periods import (
    DEFAULT_TIMEZONE,
    due_periods,
    period_containing,
)
from worker.briefing.render import (
    ArticleEntry,
    BriefingContent,
    ClosingBlock,
    KeyFigure,
    TopicSection,
    period_text,
    render,
)
from worker.core.models import Article, Briefing, Issue, ServiceMeta
from worker.core.schedule import briefing_schedule
from worker.enrich.keywords import QUOTE_PAIRS, closing_marks
from worker.enrich.segment import SENTENCE_RE

log = logging.getLogger(__name__)

#: Fallback taxonomy (key → label) in section order, used when config/taxonomy.yaml is missing.

#: Prefecture-level cities of Zhejiang: preferred over other place names for the city chart.
ZHEJIANG_CITIES = ("杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水")

#: Article kinds never shown in a briefing.
EXCLUDED_KINDS = frozenset({"ad", "advert", "advertisement"})

SUMMARY_MAX_CHARS = 120
MAX_NUMBER_ATTEMPTS = 5

def load_taxonomy(config_dir: Path | None = None) -> list[tuple[str, str]]:
    """Topic ``(key, label)`` pairs in section order (the order of ``config/taxonomy.yaml``,
    ``other`` last) — the classifier's own taxonomy, so sections and topics never disagree.
    ``config_dir`` reads another folder's file instead (tests). Raises FileNotFoundError /
    yaml.YAMLError / ValueError for a missing or malformed file."""
    from worker.enrich.classify import Taxonomy, get_taxonomy

    if config_dir is None:
        taxonomy = get_taxonomy()
    else:
        taxonomy = Taxonomy(yaml.safe_load((Path(config_dir) / "taxonomy.yaml").read_text(encoding="utf-8")))
    return [(key, taxonomy.labels[key]) for key in taxonomy.keys]


# ============================================================================================
# Article → entry helpers


_SENTENCE_END = re.compile(r"(?<=[。！？!?；])")

# --------------------------------------------------------------------------------------------
# Cutting text to a length: at word boundaries, never inside a number, quotations kept paired

#: Opening → closing quotation marks and brackets; a cut piece shows none without its partner.
_PAIRS = QUOTE_PAIRS
_CLOSERS = frozenset(_PAIRS.values())
#: Punctuation a piece neither starts nor ends with where it was cut (no "…，衢州" or "万元。…").
_PUNCT = frozenset("，。、；：！？,.;:!? \u3000")
#: One-character words a piece does not start with where it was cut ("…和2024年分别…").
_CONJUNCTIONS = frozenset("和及与或并、")
#: Characters that are not content: a cut that leaves out only these needs no ….
_NOT_CONTENT = _PUNCT | frozenset(_PAIRS) | _CLOSERS
_NUM = r"(?:\d+(?:[.,]\d+)*|[〇○零一二三四五六七八九十百千两]{2,})"
#: A number with its range, scale and unit (3.5万人, 1000—50000元, 10余万元, 2023年12月31日,
#: 二〇二二年): a cut never falls inside one.
_NUMBER_SPAN = re.compile(
    rf"(?:{_NUM}(?:\s*[—\-~～至到]\s*\d+(?:[.,]\d+)*)*"
    r"(?:万亿|亿|千万|百万|万|千|百)?(?:余|多)?(?:万亿|亿|千万|百万|万|千)?"
    r"(?:年|月|日|号|元|人次|人|名|位|户|个|家|次|岁|%|％|项|场|批|件|份|所|篇|条|天|小时)?)+")


def _cut_points(text: str, words: bool = True) -> list[int]:
    """Ascending offsets where ``text`` may be cut: word boundaries (rjieba tokens; every character
    when not ``words``) that are not inside a number with its unit, 0 and ``len(text)`` included."""
    inside: set[int] = set()
    for m in _NUMBER_SPAN.finditer(text):
        inside.update(range(m.start() + 1, m.end()))
    if words:
        import rjieba

        offsets, offset = [], 0
        for word in rjieba.cut(text):
            offset += len(word)
            offsets.append(offset)
    else:
        offsets = list(range(1, len(text) + 1))
    return [0] + [p for p in offsets if p not in inside]


def _balanced(text: str) -> bool:
    """Whether every quotation mark or bracket of ``text`` is closed in it and every closing one
    was opened in it."""
    stack: list[str] = []
    for ch in text:
        if ch in _PAIRS:
            stack.append(_PAIRS[ch])
        elif ch in _CLOSERS and (not stack or stack.pop() != ch):
            return False
    return not stack


def cut_around(text: str, start: int, end: int, limit: int, after: int = 6) -> str:
    """``text[start:end]`` (a figure) with as many whole words of ``text`` around it as fit in
    ``limit`` characters, ``…`` on each side where words were left out.

    Cuts fall only at word boundaries (rjieba tokens), never inside a number or a year; the piece
    shows no quotation mark or bracket without its partner and does not start or end with
    punctuation where cut. Of the pieces that fit, the one with (1) up to ``after`` characters
    after the figure (the words that complete it: "11家单位作"), (2) the most text — so a figure
    near one end gets more on the other side, (3) more before the figure than after (subject and
    verb: "共为…发放保障金7720.91万元"). ``text`` itself when it fits and is balanced;
    ``text[start:end]`` when no piece fits. ``start == end == 0`` gives the longest head of
    ``text`` (pass ``after=limit``)."""
    if len(text) <= limit and _balanced(text):
        return text
    points = sorted(set(_cut_points(text)) | {start, end})
    content = [i for i, c in enumerate(text) if c not in _NOT_CONTENT]
    first, last = (content[0], content[-1]) if content else (len(text), -1)
    lefts = [p for p in points if p <= start and end - p <= limit]
    rights = [p for p in points if p >= end and p - start <= limit]
    best: tuple[tuple[int, int, int], int, int, bool, bool] | None = None
    for s in lefts:
        lead = first < s  # content left out before
        if lead and s < start and (text[s] in _PUNCT or (text[s] in _CONJUNCTIONS and s + 1 in points)):
            continue
        for t in rights:
            if t <= s:
                continue
            trail = last >= t
            shown = lead + (t - s) + trail
            if shown > limit or (trail and text[t - 1] in _PUNCT) or not _balanced(text[s:t]):
                continue
            key = (min(t - end, after), t - s, -s)
            if best is None or key > best[0]:
                best = (key, s, t, lead, trail)
    if best is None:
        return text[start:end]
    _, s, t, lead, trail = best
    return ("…" if lead else "") + text[s:t] + ("…" if trail else "")


def _cut_head(text: str, limit: int) -> str:
    """The longest head of ``text`` that, with ``…`` and the closing marks of any quotation or
    bracket it leaves open (“…很好…”), fits in ``limit`` characters; cut at a word boundary,
    never inside a number (any character boundary when no word boundary fits)."""
    if len(text) <= limit:
        return text
    room = text[: limit + 20]  # enough to see the words and numbers around the cut
    for words in (True, False):
        fits = [p for p in _cut_points(room, words) if 0 < p < limit
                and p + 1 + len(closing_marks(text[:p])) <= limit]
        fits = [p for p in fits if text[p - 1] not in _PAIRS] or fits  # not "他说：“…”"
        if fits:
            head = text[: max(fits)].rstrip("，、；：,;: ")  # never a closing mark: the marks stay right
            return head + "…" + closing_marks(head)
    return "…"


def summary_of(article: Article, limit: int = SUMMARY_MAX_CHARS) -> str:
    """The article's ``summary``, else its first whole sentences up to ``limit`` characters
    (a single longer first sentence is cut at a word boundary, not inside a number, and ends with
    ``…`` plus the closing marks of any quotation or bracket the cut leaves open; always at most
    ``limit`` characters)."""
    if article.summary and article.summary.strip():
        return article.summary.strip()
    text = "".join(p.strip() for p in (article.paragraphs or []) if p and p.strip())
    if not text:
        return ""
    out = ""
    for m in SENTENCE_RE.finditer(text):  # a quotation is never split into two sentences
        if len(out) + len(m.group()) > limit:
            break
        out += m.group()
    return out or _cut_head(text, limit)


UNTITLED_CHARS = 30
_CLAUSE_MARK = re.compile(r"[，；：,;:]")


def title_of(article: Article) -> str:
    """The article title; an untitled one (e.g. a 简讯 item) gets its first sentence, at most
    30 characters, or ``（无题）`` when it has no text either. A longer sentence is cut with ``…``
    at its last clause boundary (，；：) if that keeps at least two thirds of the room, else at the
    last word boundary that fits — never inside a number ("…共计36…") or a quotation."""
    if article.title and article.title.strip():
        return article.title.strip()
    text = "".join(p.strip() for p in article.paragraphs or []).lstrip("■□●◆·-— ")
    if not text:
        return "（无题）"
    first = _SENTENCE_END.split(text, maxsplit=1)[0].rstrip("。！？!?；")
    if len(first) <= UNTITLED_CHARS and _balanced(first):
        return first
    room = UNTITLED_CHARS - 1
    for m in reversed(list(_CLAUSE_MARK.finditer(first, 0, room + 1))):
        head = first[: m.start()]
        if len(head) >= room * 2 // 3 and _balanced(head):
            return head + "…"
    out = cut_around(first, 0, 0, UNTITLED_CHARS, after=UNTITLED_CHARS)
    return out if out.strip("…") else first[:room] + "…"


def city_of(places: list[str] | None) -> str | None:
    """The city an article is about: the first place that is a Zhejiang city (``市`` dropped),
    else 省外 when it names places elsewhere only, else None (``worker.enrich.places.region_of``)."""
    from worker.enrich.places import region_of

    return region_of(places)


def author_names(authors: list[Any] | None) -> list[str]:
    """Names from ``[{name, role}]`` (or plain strings)."""
    out = []
    for a in authors or []:
        name = a.get("name") if isinstance(a, dict) else a
        if name and str(name).strip():
            out.append(str(name).strip())
    return out


_MULTIPLIERS = (("万亿", Decimal(10) ** 12), ("亿", Decimal(10) ** 8), ("千万", Decimal(10) ** 7),
                ("百万", Decimal(10) ** 6), ("万", Decimal(10) ** 4), ("千", Decimal(1000)))
_PEOPLE_UNITS = ("人次", "人", "名", "位", "户")
_FIG_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(万亿|亿|千万|百万|万|千)?\s*(元|人次|人|名|位|户)")


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@dataclass
class _Fig:
    what: str  # 金额 | 人数
    amount: Decimal  # in 元 or persons
    text: str
    context: str  # the sentence the figure comes from ("" if unknown)
    at: int = -1  # offset of ``text`` in ``context`` (-1: not found)


def classify_figure(fig: dict[str, Any]) -> _Fig | None:
    """Normalise an Article.figures item to (金额 in 元 | 人数 in persons); other units → None.

    ``value`` may be given either in the unit as written (41.6 with unit 亿元) or already scaled
    (4160000000 with unit 亿元 or 元); the number in ``text`` decides which.
    """
    unit = str(fig.get("unit") or "")
    text = str(fig.get("text") or "")
    mult, base = Decimal(1), unit
    for prefix, m in _MULTIPLIERS:
        if unit.startswith(prefix):
            mult, base = m, unit[len(prefix):]
            break
    if not base:
        m = _FIG_RE.search(text)
        if not m:
            return None
        mult = dict(_MULTIPLIERS).get(m.group(2) or "", Decimal(1))
        base = m.group(3)
    if base == "元":
        what = "金额"
    elif base in _PEOPLE_UNITS:
        what = "人数"
    else:
        return None
    low = _dec(fig.get("value"))
    high = _dec(fig.get("value_max")) or low
    m = re.search(r"\d+(?:\.\d+)?", text)
    written = _dec(m.group(0)) if m else None
    if high is None:
        if written is None:
            return None
        value = written * mult
    elif mult != 1 and (written is None or (low is not None and abs(low - written) < Decimal("0.0001"))):
        value = high * mult  # value given in the unit as written (41.6 + 亿元)
    else:
        value = high  # already in base units
    context = str(fig.get("sentence") or fig.get("qualifier") or "").strip()
    return _Fig(what, value, text or f"{value}{unit}", context)


#: Qualifiers that make a figure a limit or a shortfall, not an achievement (不超过7万人).
_LIMIT_QUALIFIERS = frozenset(("不超过", "不到", "不足", "以下", "以内"))
#: Words a few characters before a figure in its clause that make it a cap or threshold
#: (每人最高补助5000元, 单笔报销封顶10万元, 对月收入低于3000元的…), looked for in the last
#: :data:`_LIMIT_WINDOW` characters before it.
_LIMIT_BEFORE = re.compile(r"不超过|不到|不足|低于|最高|上限|封顶|至多|未满|限额")
_LIMIT_WINDOW = 8
#: … and right after it (3000元以下, 10万元封顶).
_LIMIT_AFTER = re.compile(r"\s*(?:以下|以内|封顶|为限|为上限)")
#: "由A提高至" just before a figure B: B is the new value of what A was (限额由20000元提高至30000元),
#: so the limit words are looked for before 由.
_CHANGED_TO = re.compile(r"由[^，；：,;:]{0,15}?(?:提高|提升|上调|下调|调高|调低|调整|降低|增加|减少)?"
                         r"(?:至|到|为)\s*$")
_CLAUSE_END = re.compile(r"[，；：。！？,;:!?]")
_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
#: Year expressions: 2022年, 二〇二二年, 去年/前年/上年 (earlier), 今年/本年 (the issue's year).
_YEAR_EXPR = re.compile(r"(?<![\d.])((?:19|20)\d{2})\s*年|([〇○零一二三四五六七八九]{4})年"
                        r"|(?<![过马早晚])(去年|前年|上年)(?!纪)|(今年|本年)")
_RELATIVE_YEARS = {"去年": -1, "前年": -2, "上年": -1, "今年": 0, "本年": 0}
#: A year that is a comparison base (较2023年增长, 同比2023年, 比去年同期, 与2023年相比): searched in
#: the 3 characters before the year (within its clause) and right after it.
_COMPARED_BEFORE = re.compile(r"较|比(?!赛|例)|(?<!参)与")
_COMPARED_AFTER = re.compile(r"\s*(?:全年)?(?:同期|相比)")
#: A year that starts a period up to now (2014年以来, 2018年起, 2020年至今, 2014年累计), right
#: after the year (or its month), or 自/从 the year … 以来 before the figure.
_SINCE_AFTER = re.compile(r"(?:[初底末中]|度|[\d一二三四五六七八九十]{1,2}月(?:份|底|初|末)?)?\s*"
                          r"(?:以来|起|至今|迄今|累计)")
_SINCE_LATER = re.compile(r"以来|至今|迄今")
#: A figure phrase in a briefing is at most this many characters (the clause around the figure).
FIGURE_PHRASE_CHARS = 28
#: The 关键数据 table's 内容 column shows at most this many characters of the figure's sentence.
KEY_FIGURE_CONTEXT_CHARS = 60


def figure_positions(sentence: str, text: str) -> list[int]:
    """Offsets in ``sentence`` where the figure ``text`` stands as a whole number: not right after
    a digit, '.' or a digit and ',' (5万人 is not in 3.5万人, 200元 not in 1,200元 — but is in
    "…,200元", where ',' is a clause comma) nor, when it ends in a digit, right before one."""
    if not text:
        return []
    pattern = re.escape(text)
    if text[0].isdigit():
        pattern = r"(?<![\d.．])(?<!\d,)" + pattern
    if text[-1].isdigit():
        pattern += r"(?![\d]|\.\d)"
    return [m.start() for m in re.finditer(pattern, sentence)]


def clause_with(sentence: str, text: str, at: int | None = None) -> tuple[str, int]:
    """The clause of ``sentence`` (between ，；：。！？) that contains the figure ``text`` and the
    position of ``text`` in it. ``at`` is the offset of the occurrence in ``sentence`` (default:
    the first, see :func:`figure_positions`); ("", -1) when ``sentence`` does not contain ``text``
    (or ``at`` is negative)."""
    if at is None:
        found = figure_positions(sentence, text)
        at = found[0] if found else -1
    if at < 0 or not text:
        return "", -1
    start = 0
    for m in _CLAUSE_END.finditer(sentence, 0, at):
        start = m.end()
    end_m = _CLAUSE_END.search(sentence, at + len(text))
    raw = sentence[start: end_m.start() if end_m else len(sentence)]
    indent = len(raw) - len(raw.lstrip())
    return raw.strip(), at - start - indent


def _is_cap(clause: str, pos: int, text: str) -> bool:
    """Whether the figure ``text`` at ``pos`` of ``clause`` is a cap or threshold: a limit word
    (:data:`_LIMIT_BEFORE`) in the few characters before it or 以下/以内/封顶 right after it."""
    before = clause[:pos]
    changed = _CHANGED_TO.search(before)
    if changed:
        before = before[: changed.start()]
    return bool(_LIMIT_BEFORE.search(before[-_LIMIT_WINDOW:])
                or _LIMIT_AFTER.match(clause, pos + len(text)))


def _is_historic(sentence: str, at: int, issue_date: date | None) -> bool:
    """Whether the figure at offset ``at`` of ``sentence`` is about a year before the issue's.

    Its time is the nearest year expression before it in the sentence (2022年, 二〇二二年,
    去年/前年/上年, 今年) — the nearest, since "去年帮扶3.5万人，今年帮扶5万人" has two. A
    comparison base (较2023年增长500万元, 比去年同期) is skipped: it dates the comparison, not the
    figure. A year that starts a period up to now (2014年以来累计…, 自2014年…以来) makes it current.
    Without ``issue_date`` only 去年/前年/上年 count as earlier."""
    for m in reversed(list(_YEAR_EXPR.finditer(sentence, 0, at))):
        s, e = m.span()
        lo = max(0, s - 3)
        for c in _CLAUSE_END.finditer(sentence, lo, s):
            lo = c.end()
        if _COMPARED_BEFORE.search(sentence, lo, s) or _COMPARED_AFTER.match(sentence, e):
            continue
        if _SINCE_AFTER.match(sentence, e) or (
                sentence[s - 1: s] in ("自", "从") and _SINCE_LATER.search(sentence, e, at)):
            return False
        arabic, chinese, earlier, current = m.groups()
        if earlier or current:
            return _RELATIVE_YEARS[earlier or current] < 0
        if issue_date is None:
            return False
        year = int(arabic) if arabic else int("".join(str(_CN_DIGIT[c]) for c in chinese))
        return year < issue_date.year
    return False


def reportable_at(fig: dict[str, Any], sentence: str, issue_date: date | None) -> int | None:
    """Where in ``sentence`` the figure ``fig`` (an Article.figures item) is reportable (see
    :func:`is_reportable`): the offset of its first occurrence that is, -1 when ``sentence`` does
    not contain it (only its qualifier can be judged), None when it is not reportable."""
    if str(fig.get("qualifier") or "") in _LIMIT_QUALIFIERS:
        return None
    text = str(fig.get("text") or "")
    if any(text.startswith(q) for q in _LIMIT_QUALIFIERS) or text.endswith(("以下", "以内")):
        return None
    found = figure_positions(sentence, text)
    if not found:
        return -1
    for at in found:  # "2023年发放100万元，2024年又发放100万元": the second one counts
        clause, pos = clause_with(sentence, text, at)
        if not _is_cap(clause, pos, text) and not _is_historic(sentence, at, issue_date):
            return at
    return None


def is_reportable(fig: dict[str, Any], sentence: str, issue_date: date | None) -> bool:
    """Whether a figure (an Article.figures item) belongs among a briefing's key figures.
    ``sentence`` is the sentence the figure comes from ("" if unknown); each occurrence of the
    figure's text in it is judged, and one reportable occurrence is enough.

    Not reportable: limits and shortfalls — qualifier 不超过 不到 不足 以下 以内 (不超过7万人 is a
    threshold, not an achievement), or one of 不超过 不到 不足 低于 最高 上限 封顶 至多 未满 限额 a
    few characters before it in its clause (每人最高补助5000元; also 最高报销限额由20000元提高至
    30000元, both), or 以下/以内/封顶 right after it — and historic figures: the nearest year
    expression before it in its sentence is before the issue's year (2022年，…超2200亿元 or
    去年，…1.2亿元 in a 2024 issue), unless that year is a comparison base (较2023年增长500万元) or
    starts a period up to now (2014年以来累计…); see :func:`_is_historic`."""
    return reportable_at(fig, sentence, issue_date) is not None


def figure_phrase(sentence: str, text: str, limit: int = FIGURE_PHRASE_CHARS,
                  at: int | None = None) -> str:
    """The figure ``text`` with the words around it in its clause, at most ``limit`` characters
    ("共为44.77万人次职工发放保障金7720.91万元"). ``at`` is the offset of the occurrence in
    ``sentence`` (default: the first). A longer clause is cut by :func:`cut_around` (word
    boundaries, never inside a number, quotations kept paired, … where cut); ``text`` alone when
    ``sentence`` does not contain it."""
    clause, pos = clause_with(sentence, text, at)
    if pos < 0:
        return text
    return cut_around(clause, pos, pos + len(text), limit)


def _sentences_with(paragraphs: list[str] | None, text: str) -> list[str]:
    """The sentences of ``paragraphs`` that contain the figure ``text`` (see
    :func:`figure_positions`), in order, stripped."""
    if not text:
        return []
    return [s.strip() for para in paragraphs or [] if text in para
            for s in _SENTENCE_END.split(para) if figure_positions(s, text)]


def _reportable_sentence(fig: dict[str, Any], paragraphs: list[str] | None,
                         issue_date: date | None) -> tuple[str, int] | None:
    """(sentence, offset) of a reportable figure (see :func:`reportable_at`), None when it is not
    reportable. The sentence is the figure's own ``sentence``, else the first sentence of
    ``paragraphs`` in which it is reportable ("" with offset -1 when no sentence contains it)."""
    given = str(fig.get("sentence") or "")
    for sentence in [given] if given else _sentences_with(paragraphs, str(fig.get("text") or "")) or [""]:
        at = reportable_at(fig, sentence, issue_date)
        if at is not None:
            return sentence, at
    return None


def article_figures(figs: list[dict[str, Any]], paragraphs: list[str] | None, issue_date: date | None,
                    limit: int) -> list[str]:
    """Up to ``limit`` figure phrases (see :func:`figure_phrase`) to show under an article, in text
    order: of the reportable figures (see :func:`is_reportable`; the phrase shows the reportable
    occurrence), the largest amounts (元) and head counts first, then figures written with a scale
    or qualifier or of at least 10 — a bare "3个" says nothing on its own. One phrase per clause and
    per figure text (37名 said twice shows once)."""
    ranked = []
    for n, f in enumerate(figs):
        text = str(f.get("text") or "")
        if not text:
            continue
        found = _reportable_sentence(f, paragraphs, issue_date)
        if found is None:
            continue
        value = _dec(f.get("value_max")) or _dec(f.get("value")) or Decimal(0)
        money_or_people = classify_figure(f)
        if money_or_people is not None:
            rank = (0, -money_or_people.amount, n)  # the largest amounts and head counts first
        elif f.get("qualifier") or re.search(r"[万亿千]", text) or value >= 10:
            rank = (1, Decimal(0), n)
        else:
            continue
        ranked.append((rank, n, text, *found))
    ranked.sort()
    out: list[tuple[int, str]] = []
    seen: set[str] = set()  # figure texts and clauses already shown
    for _, n, text, sentence, at in ranked:
        if len(out) >= limit:
            break
        clause = clause_with(sentence, text, at)[0] or text
        if text not in seen and clause not in seen:
            seen.update((text, clause))
            out.append((n, figure_phrase(sentence, text, at=at)))
    return [p for _, p in sorted(out)]


def figures_from_text(paragraphs: list[str], limit: int = 6) -> list[dict[str, Any]]:
    """Fallback when enrichment has not produced ``figures``: amounts (元) and person counts
    found by a regular expression, as Article.figures-like dicts."""
    out: list[dict[str, Any]] = []
    for para in paragraphs or []:
        for sentence in _SENTENCE_END.split(para):
            for m in _FIG_RE.finditer(sentence):
                out.append({"text": m.group(0).replace(" ", ""), "value": m.group(1),
                            "unit": (m.group(2) or "") + m.group(3), "sentence": sentence.strip()})
                if len(out) >= limit:
                    return out
    return out


# ============================================================================================
# Content


@dataclass
class PeriodData:
    """Processed issues and their articles in a period (ordered by date, page, seq)."""

    issues: list[Issue] = field(default_factory=list)
    articles: list[tuple[Article, Issue]] = field(default_factory=list)

    @property
    def issue_count(self) -> int:
        return len(self.issues)

    @property
    def article_count(self) -> int:
        return len(self.articles)


def gather(session: Session, start: date, end: date) -> PeriodData:
    """Issues with ``status == "processed"`` and ``start <= issue_date <= end`` and their
    articles (advertisements excluded)."""
    issues = list(session.exec(
        select(Issue).where(Issue.status == "processed", Issue.issue_date >= start,
                            Issue.issue_date <= end).order_by(Issue.issue_date, Issue.id)).all())
    data = PeriodData(issues=issues)
    if not issues:
        return data
    by_id = {i.id: i for i in issues}
    arts = session.exec(select(Article).where(Article.issue_id.in_(list(by_id)))).all()
    rows = [(a, by_id[a.issue_id]) for a in arts if (a.kind or "news") not in EXCLUDED_KINDS]
    rows.sort(key=lambda r: (r[1].issue_date, r[1].id, r[0].page or 999, r[0].seq))
    data.articles = rows
    return data


def _count_articles(session: Session, start: date, end: date) -> tuple[int, int]:
    issues = session.exec(select(Issue.id).where(
        Issue.status == "processed", Issue.issue_date >= start, Issue.issue_date <= end)).all()
    if not issues:
        return 0, 0
    n = session.exec(select(func.count()).select_from(Article).where(
        Article.issue_id.in_(list(issues)), Article.kind.notin_(list(EXCLUDED_KINDS)))).one()
    return len(issues), int(n)


def _overview(kind: str, start: date, end: date, data: PeriodData, sections: list[TopicSection],
              cities: list[tuple[str, int]], prev: tuple[int, int]) -> str:
    """The 概述 paragraph: issues and articles of the period, the leading topics and places, and the
    change in articles against the previous period (``prev`` = its issues, articles). Only topics
    and places with at least 2 articles are called 较集中/较多 (the top 3); when each has one, they
    are listed plainly (up to 3, else just counted)."""
    text = (f"本期（{period_text(kind, start, end)}）共收到报纸{data.issue_count}期，"
            f"选编文章{data.article_count}篇")
    ranked = sorted(sections, key=lambda s: -len(s.articles))
    if ranked:
        text += f"，涉及{len(sections)}个主题"
        top = [s for s in ranked if len(s.articles) >= 2][:3]
        if top:
            text += "，报道较集中的是" + "、".join(f"{s.label}（{len(s.articles)}篇）" for s in top)
        elif len(ranked) <= 3:
            text += "（" + "、".join(s.label for s in ranked) + (
                "，各1篇）" if len(ranked) > 1 else "）")
        else:
            text += "，各主题各1篇"
    text += "。"
    if cities:
        top_cities = [(c, n) for c, n in cities if n >= 2][:3]
        if top_cities:
            text += "报道较多的地区为" + "、".join(f"{c}（{n}篇）" for c, n in top_cities) + "。"
        elif len(cities) <= 3:
            text += "报道涉及" + "、".join(c for c, _ in cities) + ("，各1篇。" if len(cities) > 1 else "。")
        else:
            text += f"报道涉及{len(cities)}个地区，各1篇。"
    prev_issues, prev_articles = prev
    if prev_issues == 0:
        text += "上期未收到报纸。"
    else:
        diff = data.article_count - prev_articles
        if diff > 0:
            text += f"较上期增加{diff}篇。"
        elif diff < 0:
            text += f"较上期减少{-diff}篇。"
        else:
            text += "文章数与上期持平。"
    return text


def build_content(session: Session, kind: str, period_start: date, *, year: int, number: int,
                  version: int = 1, made_on: date, config: dict[str, Any] | None = None,
                  config_dir: Path | None = None, data: PeriodData | None = None) -> BriefingContent:
    """Everything the briefing of ``kind`` for the period containing ``period_start`` shows.

    ``year``/``number``/``version`` are the 第N期 allocated by the caller; ``made_on`` is the date
    printed in the masthead. ``data`` may be passed to avoid querying twice.
    """
    cfg = config or load_briefing_config(config_dir)
    start, end = period_containing(kind, period_start)
    label = briefing_schedule(config_dir)[0][kind]["label"]
    mh, cl = cfg["masthead"], cfg["closing"]
    content = BriefingContent(
        kind=kind, kind_label=label, title=str(mh.get("title") or "工会信息简报"),
        issuing_unit=str(mh.get("issuing_unit") or ""), year=year, number=number,
        period_start=start, period_end=end, made_on=made_on, version=version,
        internal_mark=(str(mh.get("internal_mark_text") or "内部资料") if mh.get("internal_mark")
                       else None),
        closing=ClosingBlock(bao=list(cl.get("bao") or []), song=list(cl.get("song") or []),
                             fa=list(cl.get("fa") or []), copies=cl.get("copies"),
                             issuing_unit=str(mh.get("issuing_unit") or "")),
        charts=bool(cfg.get("charts", True)),
        chart_font=cfg.get("chart_font"),
    )
    data = data or gather(session, start, end)
    content.issue_count, content.article_count = data.issue_count, data.article_count
    if not data.issues:
        content.empty_note = f"本期（{period_text(kind, start, end)}）未收到报纸，暂无信息。"
        return content

    taxonomy = load_taxonomy(config_dir)
    known = {k for k, _ in taxonomy}
    sections = {k: TopicSection(k, lab) for k, lab in taxonomy}
    per_article = int(cfg.get("figures_per_article") or 0)
    candidates: list[tuple[_Fig, ArticleEntry]] = []
    cities: Counter[str] = Counter()
    days: Counter[date] = Counter()
    for art, issue in data.articles:
        figs = list(art.figures or []) or figures_from_text(art.paragraphs)
        entry = ArticleEntry(
            title=title_of(art), summary=summary_of(art), issue_date=issue.issue_date,
            page=art.page, page_name=art.page_name, newspaper=issue.masthead,
            source=art.source, authors=author_names(art.authors),
            figures=article_figures(figs, art.paragraphs, issue.issue_date, per_article),
            category=art.category if art.category in known else "other",
            city=city_of(art.places))
        sections[entry.category].articles.append(entry)
        if entry.city:
            cities[entry.city] += 1
        days[issue.issue_date] += 1
        for f in figs:
            fig = classify_figure(f)
            found = None if fig is None else _reportable_sentence(f, art.paragraphs, issue.issue_date)
            if found is not None:
                fig.context, fig.at = found
                candidates.append((fig, entry))
    content.sections = [s for s in sections.values() if s.articles]
    content.topic_counts = [(s.label, len(s.articles)) for s in content.sections]
    content.city_counts = cities.most_common()
    if kind != "daily":
        d, content.day_counts = start, []
        while d <= end:
            lab = f"{d.month}月{d.day}日" if kind == "weekly" else f"{d.day}日"
            content.day_counts.append((lab, days.get(d, 0)))
            d += timedelta(days=1)
    content.key_figures = _key_figures(candidates, int(cfg.get("key_figures") or 0))
    prev_start = period_containing(kind, start - timedelta(days=1))[0]
    prev = _count_articles(session, prev_start, start - timedelta(days=1))
    content.overview = _overview(kind, start, end, data, content.sections, content.city_counts, prev)
    return content


def _key_figures(candidates: list[tuple[_Fig, ArticleEntry]], limit: int) -> list[KeyFigure]:
    """The 关键数据 rows: up to ``limit`` of the reportable figures, the largest amounts (元) and
    head counts taken in turn, amounts first, each largest first; a figure text shows once per
    article. 内容 is at most :data:`KEY_FIGURE_CONTEXT_CHARS` characters of the figure's sentence
    around it, cut by :func:`cut_around` (word boundaries, quotations kept paired)."""
    if limit <= 0:
        return []
    groups: dict[str, list[tuple[_Fig, ArticleEntry]]] = {"金额": [], "人数": []}
    seen: set[tuple[str, str]] = set()
    for fig, entry in sorted(candidates, key=lambda c: -c[0].amount):
        key = (fig.text, entry.title)
        if key in seen:
            continue
        seen.add(key)
        groups[fig.what].append((fig, entry))
    picked: list[tuple[_Fig, ArticleEntry]] = []
    # Alternate: the largest amounts and the largest head counts, up to ``limit`` rows.
    a, p = groups["金额"], groups["人数"]
    i = 0
    while len(picked) < limit and (i < len(a) or i < len(p)):
        for grp in (a, p):
            if i < len(grp) and len(picked) < limit:
                picked.append(grp[i])
        i += 1
    picked.sort(key=lambda c: (c[0].what != "金额", -c[0].amount))
    out = []
    n = KEY_FIGURE_CONTEXT_CHARS
    for fig, entry in picked:
        ctx = fig.context
        if fig.at >= 0:  # a window around the figure, cut like the phrases
            ctx = cut_around(ctx, fig.at, fig.at + len(fig.text), n, after=12)
        elif len(ctx) > n:
            ctx = cut_around(ctx, 0, 0, n, after=n)
        out.append(KeyFigure(fig.text, fig.what, ctx, entry.title, entry.issue_date, entry.page))
    return out


# ============================================================================================
# Making briefings


def _next_number(session: Session, kind: str, year: int) -> int:
    top = session.exec(select(func.max(Briefing.number)).where(
        Briefing.kind == kind, Briefing.year == year)).one()
    return max(int(top or 0), 0) + 1


def _tz(settings) -> ZoneInfo:
    return ZoneInfo(getattr(settings, "timezone", None) or DEFAULT_TIMEZONE)


def make_briefing(session: Session, kind: str, period_start: date, *, force: bool = False,
                  now: datetime | None = None, settings=None, config: dict[str, Any] | None = None,
                  pdf: bool | None = None) -> Briefing | None:
    """Make the briefing of ``kind`` for the period containing ``period_start``.

    Returns the new :class:`Briefing` row (committed), or ``None`` when one already exists for
    (kind, period) and not ``force`` — including when a concurrent worker made it first (the
    unique keys raise ``IntegrityError``, which is taken as "already made"). ``force`` makes
    version+1 with the same 第N期 number. The .docx goes to ``settings.outbox_dir`` (written
    atomically); a PDF is added beside it when ``pdf`` (default: ``pdf`` in briefing.yaml) and
    LibreOffice is installed — PDF failures are logged, not raised. ``now`` (aware; default: now)
    gives the date printed in the masthead. An empty period follows ``empty_period``.

    Commits ``session`` (the row must be durable once the file exists); on any error the session
    is rolled back and the error re-raised. ``settings``/``config`` default to
    ``get_settings()`` / ``config/briefing.yaml``.
    """
    if settings is None:
        from worker.core.settings import get_settings

        settings = get_settings()
    cfg = config or load_briefing_config(settings.config_dir)
    start, end = period_containing(kind, period_start)
    tz = _tz(settings)
    now = now or datetime.now(tz)
    made_on = now.astimezone(tz).date()

    for _attempt in range(MAX_NUMBER_ATTEMPTS):
        existing = session.exec(select(Briefing).where(
            Briefing.kind == kind, Briefing.period_start == start
        ).order_by(Briefing.version.desc())).all()
        if existing and not force:
            return None
        data = gather(session, start, end)
        latest = existing[0] if existing else None
        published = latest is not None and latest.number is not None
        skip = data.issue_count == 0 and cfg["empty_period"] == "skip" and not published
        version = (latest.version + 1) if latest else 1
        year = latest.year if latest else start.year
        if published:
            number = latest.number
        elif skip:
            number = None
        else:
            number = _next_number(session, kind, year)
        row = Briefing(kind=kind, period_start=start, period_end=end, version=version, year=year,
                       number=number, status="skipped" if skip else "made",
                       issue_count=data.issue_count, article_count=data.article_count)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            log.info("briefing %s %s v%s: unique key taken concurrently; re-checking",
                     kind, start, version)
            continue
        try:
            if not skip:
                content = build_content(session, kind, start, year=year, number=number,
                                        version=version, made_on=made_on, config=cfg,
                                        config_dir=settings.config_dir, data=data)
                blob = render(content, Path(settings.templates_dir) / "briefing.docx")
                name = outbox_name(content.title, kind, content.kind_label, year, number, start,
                                   end, version)
                path = write_atomic(Path(settings.outbox_dir) / name, blob)
                row.file_path = str(path.relative_to(settings.var_dir)) if path.is_relative_to(
                    settings.var_dir) else str(path)  # an outbox outside var/ stays absolute
            session.add(row)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        session.refresh(row)
        log.info("briefing %s %s: %s 第%s期 v%s (%s issues, %s articles) %s", kind, start,
                 row.status, number, version, row.issue_count, row.article_count, row.file_path)
        if row.file_path and (cfg.get("pdf", True) if pdf is None else pdf):
            try:
                convert_to_pdf(row.path_in(settings.var_dir))
            except (PdfConversionError, OSError, subprocess.SubprocessError) as exc:
                log.warning("PDF conversion of %s failed: %s", row.file_path, exc)
        return row
    raise RuntimeError(f"could not allocate a number for the {kind} briefing of {start} "
                       f"after {MAX_NUMBER_ATTEMPTS} attempts")


def schedule_start_for(session: Session, settings, today: date) -> date:
    """The first period to make: ``settings.schedule_start``, else the ServiceMeta ``first_run``
    date (ISO date or datetime), else ``today``."""
    if getattr(settings, "schedule_start", None):
        return settings.schedule_start
    meta = session.get(ServiceMeta, "first_run")
    if meta and meta.value:
        try:
            return date.fromisoformat(meta.value.strip()[:10])
        except ValueError:
            log.warning("ServiceMeta first_run %r is not a date; using today", meta.value)
    return today


class IssuesPending(Exception):
    """A due period still has unprocessed issues (see ``worker.pipeline.unfinished_issues``): its
    briefing would say 未收到报纸 or miss them. ``made`` holds the earlier periods' rows made before
    it; ``period_start`` and ``count`` say what is waited for."""

    def __init__(self, made: list[Briefing], period_start: date, count: int):
        super().__init__(f"{count} issue(s) of the period starting {period_start} are not processed yet")
        self.made, self.period_start, self.count = made, period_start, count


def make_due_briefings(session: Session, kind: str, now: datetime, *, settings=None,
                       config: dict[str, Any] | None = None, pdf: bool | None = None
                       ) -> list[Briefing]:
    """Make every period of ``kind`` that is due at ``now`` (aware) and has no Briefing row yet,
    oldest first (catch-up after downtime). Returns the rows made, including ``skipped`` ones
    (only ``status == "made"`` rows have a file to deliver).

    Raises :class:`IssuesPending` (carrying the rows made so far) at the first due period that
    still has pending or processing issues; later periods wait too, so numbers stay in order."""
    from worker.pipeline import unfinished_issues

    if settings is None:
        from worker.core.settings import get_settings

        settings = get_settings()
    tz = _tz(settings)
    sched, _ = briefing_schedule(settings.config_dir)
    made = set(session.exec(select(Briefing.period_start).where(Briefing.kind == kind)).all())
    first = schedule_start_for(session, settings, now.astimezone(tz).date())
    out: list[Briefing] = []
    for start in due_periods(kind, now, first, made, crontab=sched[kind]["crontab"], tz=str(tz)):
        waiting = unfinished_issues(session, *period_containing(kind, start))
        if waiting:
            raise IssuesPending(out, start, waiting)
        row = make_briefing(session, kind, start, now=now, settings=settings, config=config, pdf=pdf)
        if row is not None:
            out.append(row)
    return out
