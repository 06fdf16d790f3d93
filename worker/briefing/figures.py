"""Figures (数字) of an article for a briefing: which are reportable (no caps, no history), the
phrase shown under an entry, and the 关键数据 table rows. Pure functions; no DB."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from worker.briefing.render import ArticleEntry, KeyFigure
from worker.briefing.text import cut_around, sentences

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
#: … and right after it (3000元以下, 10万元封顶, 给予1000—50000元不等的奖励: a range per person).
_LIMIT_AFTER = re.compile(r"\s*(?:以下|以内|封顶|为限|为上限|不等)")
#: "由A提高至" just before a figure B: B is the new value of what A was (限额由20000元提高至30000元),
#: so the limit words are looked for before 由.
_CHANGED_TO = re.compile(r"由[^，；：,;:]{0,15}?(?:提高|提升|上调|下调|调高|调低|调整|降低|增加|减少)?"
                         r"(?:至|到|为)\s*$")
#: A figure for one person or family (向该职工家属送去慰问金5万元, 每人补助…): an anecdote or a
#: rate, not what the union reached — looked for before the figure in its clause.
_SINGLE = re.compile(r"该职工|其家属|家属|遗属|一名|一位|1名|一户|每人|每户|每名|人均|户均|这位|该户")
#: A figure's own wording without a number (a row "万人次"): never shown.
_HAS_NUMBER = re.compile(r"[\d〇○零一二三四五六七八九十两]")
#: An organisation named in a sentence, the subject a figure phrase is given when its clause has
#: none ("携万份礼包出发" → "温州市总工会：携万份礼包出发").
_ORGANISATION = re.compile(r"[\u4e00-\u9fff]{1,12}?(?:总工会|工会|公司|集团|人社厅|人社局)")
#: Words that give a clause its subject.
_SUBJECT = re.compile(r"工会|公司|集团|企业|[厅局委办部院校社站所队]|协会|联合会|政府|中心|全省|全国|全市|[省市县区]")
#: Q&A prefixes a figure's sentence must not start with in a table (答：…).
_QA_PREFIX = re.compile(r"^(?:答|问|记者)\s*[:：]\s*")
#: A count since an earlier year (2019年以来, 2019年起, 自2019年…至今): a multi-year total.
_SINCE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年(?:[初底末]|[\d一二三四五六七八九十]{1,2}月)?\s*(?:以来|起|至今|迄今)")
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
KEY_FIGURE_CONTEXT_CHARS = 40


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
        if (not _is_cap(clause, pos, text) and not _is_historic(sentence, at, issue_date)
                and not _SINGLE.search(clause[:pos]) and not clause.startswith("其中")):
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
            for s in sentences(para) if figure_positions(s, text)]


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
                    limit: int, subject: str | None = None) -> list[str]:
    """Up to ``limit`` figure phrases (see :func:`figure_phrase`) to show under an article, in text
    order: of the reportable figures (see :func:`is_reportable`; the phrase shows the reportable
    occurrence), the largest amounts (元) and head counts first, then figures written with a scale
    or qualifier or of at least 10 — a bare "3个" says nothing on its own. One phrase per clause and
    per figure text (37名 said twice shows once). Each phrase is :func:`stated` (``subject``, e.g.
    the article's city, where its sentence names none); one left without a subject is not shown."""
    ranked = []
    for n, f in enumerate(figs):
        text = str(f.get("text") or "")
        if not text:
            continue
        found = _reportable_sentence(f, paragraphs, issue_date)
        if found is None:
            continue
        value = _dec(f.get("value_max")) or _dec(f.get("value")) or Decimal(0)
        if not _HAS_NUMBER.search(text):
            continue
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
    for rank, n, text, sentence, at in ranked:
        if len(out) >= limit:
            break
        clause = clause_with(sentence, text, at)[0] or text
        fact = f"{rank[1]}" if rank[0] == 0 else text  # one fact once: 36万元 = 三十六万元
        phrase = stated(figure_phrase(sentence, text, at=at), sentence, subject,
                        year=issue_date.year if issue_date else None)
        has_subject = _SUBJECT.search(phrase) or (subject and subject in phrase)
        if text not in seen and clause not in seen and fact not in seen and has_subject:
            seen.update((text, clause, fact))
            out.append((n, phrase))
    return [p for _, p in sorted(out)]


def stated(phrase: str, sentence: str, fallback: str | None = None, year: int | None = None) -> str:
    """A figure ``phrase`` as a briefing states it: with a subject — the organisation its
    ``sentence`` names (else ``fallback``, e.g. the article's city), ``主体：`` in front — when the
    phrase has none, and ``（2019年以来累计）`` after it when the sentence counts since a year before
    ``year`` (the issue's) and the phrase does not say 累计. Q&A prefixes (答：) are dropped
    (issue 16)."""
    phrase = _QA_PREFIX.sub("", phrase)
    m = _ORGANISATION.search(_QA_PREFIX.sub("", sentence))
    if m and phrase.startswith("…"):  # a cut inside the organisation's name: show it whole
        org = m.group()
        k = next((k for k in range(len(org) - 1, 1, -1) if phrase[1:].startswith(org[-k:])), 0)
        if k:
            phrase = org + phrase[1 + k:]
    if not _SUBJECT.search(phrase):
        subject = m.group() if m else fallback
        if subject and subject not in phrase:
            phrase = f"{subject}：{phrase.lstrip('…')}"
    since = _SINCE_YEAR.search(sentence)
    if since and year and int(since.group(1)) < year and "累计" not in phrase:
        end = len(phrase.rstrip("。；…"))  # before the sentence's own final mark
        phrase = phrase[:end] + f"（{since.group(1)}年以来累计）" + phrase[end:]
    return phrase


def figures_from_text(paragraphs: list[str], limit: int = 6) -> list[dict[str, Any]]:
    """Fallback when enrichment has not produced ``figures``: amounts (元) and person counts
    found by a regular expression, as Article.figures-like dicts."""
    out: list[dict[str, Any]] = []
    for para in paragraphs or []:
        for sentence in sentences(para):
            for m in _FIG_RE.finditer(sentence):
                out.append({"text": m.group(0).replace(" ", ""), "value": m.group(1),
                            "unit": (m.group(2) or "") + m.group(3), "sentence": sentence.strip()})
                if len(out) >= limit:
                    return out
    return out


def key_figures(candidates: list[tuple[_Fig, ArticleEntry]], limit: int) -> list[KeyFigure]:
    """The 关键数据 rows: up to ``limit`` of the reportable figures, the largest amounts (元) and
    head counts taken in turn, amounts first, each largest first; a figure text shows once per
    article, one fact once (same value, unit and article). 内容 is at most
    :data:`KEY_FIGURE_CONTEXT_CHARS` characters of the figure's sentence
    around it, cut by :func:`cut_around` (word boundaries, quotations kept paired)."""
    if limit <= 0:
        return []
    groups: dict[str, list[tuple[_Fig, ArticleEntry]]] = {"金额": [], "人数": []}
    seen: set[tuple] = set()
    for fig, entry in sorted(candidates, key=lambda c: -c[0].amount):
        # one fact once: the same value in base units, same unit, same article (36万元 = 三十六万元)
        key = (fig.what, fig.amount.normalize(), id(entry))
        if key in seen or (fig.what, fig.text, entry.title) in seen:
            continue
        seen.update((key, (fig.what, fig.text, entry.title)))
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
        ctx = stated(ctx, fig.context, entry.city,
                     entry.issue_date.year if entry.issue_date else None)
        out.append(KeyFigure(fig.text, fig.what, ctx, entry.title, entry.issue_date, entry.page))
    return out
