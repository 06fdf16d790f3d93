"""Text of a briefing entry: titles, summaries, bylines, and cutting text to a length at word
boundaries — never inside a number, quotations kept paired (the issue-16 rules for titles and
summaries). Pure functions of an :class:`worker.core.models.Article` or a string; no DB."""

from __future__ import annotations

import re
from typing import Any

from worker.core.models import Article
from worker.enrich.keywords import QUOTE_PAIRS, closing_marks
from worker.enrich.segment import SENTENCE_RE

SUMMARY_MAX_CHARS = 120


def sentences(text: str) -> list[str]:
    """``text`` split by the project's sentence splitter (:data:`worker.enrich.segment.SENTENCE_RE`:
    a quotation is never split), stripped, empty pieces dropped."""
    return [s for m in SENTENCE_RE.finditer(text or "") if (s := m.group().strip())]

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


#: A running header taken for a title: page + page name, 责任编辑 line, the date line.
_RUNNING_HEADER = re.compile(r"^(?:第\s*\d+\s*版|.*(?:责任编辑|美术编辑|校对)\s*[:：]"
                             r"|\d{4}年\d{1,2}月\d{1,2}日\s*星期)")
#: A title names an actor when it holds an organisation or place word (省总工会, 温州, 快递网点).
_ACTOR = re.compile(r"工会|公司|集团|企业|[厅局委办部院校社站所队]|协会|联合会|政府|中心|医院|大学|"
                    r"车间|班组|网点|全省|全国|全市|[省市县区镇村]|街道|园区|职工之家")
#: A sentence that does not stand on its own as a summary: starts with a pronoun or demonstrative.
_DEPENDENT = re.compile(r"^(?:他们|她们|它们|他|她|它|这些|那些|这|那|此|该|其|对此|为此|此外|同时|另外|与此同时)")
#: Question-and-answer lines of an interview (记者：…？ / 问：… / 答：…).
_QA = re.compile(r"^(?:记者|问|答|主持人|本报记者)\s*[:：]|[？?][”」]?$")
#: The speaker of an interview answer (李建国：…).
_SPEAKER = re.compile(r"^[\u4e00-\u9fff·]{2,6}[:：]")
#: Reporting boilerplate a lead starts with (本报讯 / 本报杭州12月23日讯 / 新华社北京12月22日电).
_LEAD = re.compile(r"^(?:本报讯|本报[\u4e00-\u9fff]{0,6}\d{1,2}月\d{1,2}日讯|(?:据)?新华社[\u4e00-\u9fff]{0,6}"
                   r"\d{1,2}月\d{1,2}日电)\s*")
#: A sentence that is complete: it ends with final punctuation (and closing quotes/brackets).
_COMPLETE = re.compile(r"(?:[。！？!?]|……)[”’」』\")）]*$")
#: The longest title shown; a longer one is cut at a word boundary with ….
TITLE_MAX_CHARS = 40


def _named_actor(text: str, places: list[str] | None = None, people: list[str] | None = None) -> bool:
    """Whether ``text`` (a 主题) names who acts: an organisation or place word, a known place or
    person of the article."""
    return bool(_ACTOR.search(text)) or any(p and p in text for p in (places or []) + (people or []))


def is_running_header(text: str) -> bool:
    """Whether ``text`` is a page's running header (第2版 综合 / 责任编辑：… / the date line) rather
    than a headline."""
    return bool(_RUNNING_HEADER.match(text.strip()))


def _cut_title(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    """``text`` cut at a word boundary with ``…``, never inside a number or a quotation (only cut
    points outside every quotation mark are used; :func:`_cut_head` otherwise)."""
    if len(text) <= limit:
        return text
    points = [p for p in _cut_points(text[: limit + 10]) if 0 < p < limit and _balanced(text[:p])
              and text[p - 1] not in _PUNCT]
    return text[: max(points)] + "…" if points else _cut_head(text, limit)


def headline_of(article: Article) -> str:
    """The title a briefing shows: the 主题 with its 引题 in front (``引题：主题``) when the 主题 names
    no actor, or with an interview's 副题 beginning ``——访`` after it; a running header is never a
    title (the first sentence is taken, as for an untitled item). Cut at a word boundary with ``…``
    to :data:`TITLE_MAX_CHARS` (issue 16)."""
    main = (article.title or "").strip()
    if not main or is_running_header(main):
        return title_of(Article(issue_id=0, seq=0, paragraphs=article.paragraphs))
    subtitle = (getattr(article, "subtitle", None) or "").strip()
    kicker = (getattr(article, "kicker", None) or "").strip()
    if subtitle.startswith("——访"):
        return _cut_title(main + subtitle, TITLE_MAX_CHARS + 10)
    if kicker and not _named_actor(main, article.places, article.people):
        return _cut_title(f"{kicker}：{main}")
    return _cut_title(main)


def _same_text(a: str, b: str) -> bool:
    norm = lambda t: re.sub(r"[\W_]", "", t)  # noqa: E731
    x, y = norm(a), norm(b)
    return bool(x) and (x == y or (x in y and len(x) >= len(y) * 0.8))


def _interview_summary(article: Article, limit: int) -> str | None:
    """An interview's summary: its 副题 (who) plus the first answer's first sentence (the point)."""
    subtitle = (getattr(article, "subtitle", None) or "").strip().lstrip("—")
    if not subtitle.startswith("访"):
        return None
    for para in article.paragraphs or []:
        para = para.strip()
        if _SPEAKER.match(para) and not _QA.search(para):
            answer = _SPEAKER.sub("", para, count=1).strip()
            point = (sentences(answer) or [answer])[0]
            return _cut_head(f"{subtitle[1:]}表示，{point}", limit)
    return None


def summary_of(article: Article, limit: int = SUMMARY_MAX_CHARS, title: str | None = None) -> str:
    """The article's ``summary`` when enrichment gave one, else its first whole sentences up to
    ``limit`` characters that can stand alone: no sentence starting with a pronoun or
    demonstrative (他/这/该/其/此外…), no Q&A line (记者：…？), not the ``title`` again; an
    interview (副题 ``——访``) gets the person plus the first answer's point; only complete
    sentences (ending in 。！？…), never a fragment or a headline glued on. A single longer
    sentence is cut at a word boundary, never inside a number, with ``…`` (and the closing marks of
    a quotation it leaves open); "" when no sentence qualifies (issue 16)."""
    if article.summary and article.summary.strip():
        return article.summary.strip()
    interview = _interview_summary(article, limit)
    if interview is not None:
        return interview
    title = title if title is not None else (article.title or "")
    usable = []
    for para in article.paragraphs or []:
        if _QA.search(para.strip()) or _SPEAKER.match(para.strip()):
            continue
        for s in sentences(para):
            s = _LEAD.sub("", s)
            if s and not _DEPENDENT.match(s) and not _QA.search(s) and not _same_text(s.rstrip("。"), title):
                usable.append(s)
    # whole sentences only: a piece without final punctuation is a fragment or the next headline
    # glued on by the layout
    complete = [s for s in usable if _COMPLETE.search(s)]
    out = ""
    for s in complete:
        if len(out) + len(s) > limit:
            break
        out += s
    return out or (_cut_head((complete or usable)[0], limit) if usable else "")


UNTITLED_CHARS = 30
_CLAUSE_MARK = re.compile(r"[，；：,;:]")


def title_of(article: Article) -> str:
    """The article title; an untitled one (e.g. a 简讯 item) gets its first sentence, at most
    30 characters, or ``（无题）`` when it has no text either. A longer sentence is cut with ``…``
    at its last clause boundary (，；：) if that keeps at least two thirds of the room, else at the
    last word boundary that fits — never inside a number ("…共计36…") or a quotation."""
    if article.title and article.title.strip():
        return article.title.strip()
    text = _LEAD.sub("", "".join(p.strip() for p in article.paragraphs or []).lstrip("■□●◆·-— "))
    if not text:
        return "（无题）"
    first = (sentences(text) or [text])[0].rstrip("。！？!?；")
    if len(first) <= UNTITLED_CHARS and _balanced(first):
        return first
    room = UNTITLED_CHARS - 1
    for m in reversed(list(_CLAUSE_MARK.finditer(first, 0, room + 1))):
        head = first[: m.start()]
        if len(head) >= room * 2 // 3 and _balanced(head):
            return head + "…"
    out = cut_around(first, 0, 0, UNTITLED_CHARS, after=UNTITLED_CHARS)
    return out if out.strip("…") else first[:room] + "…"


#: U+2060 WORD JOINER: between the characters of a name, so a line never breaks inside it.
WORD_JOINER = "\u2060"
#: Sources that are the paper itself: the source line names the reporters, not "本报".
_OWN_SOURCES = ("本报", "")


def joined(name: str) -> str:
    """``name`` with a word joiner between its characters (陈⁠一⁠鸣): no line break inside it."""
    return WORD_JOINER.join(name)


def source_line(paper: str | None, day, page: int | None, source: str | None,
                authors: list[Any] | None, *, short: bool = False) -> str:
    """``《浙江工人日报》2024年12月24日第2版 记者 陈一鸣``: the paper, date and page, then the bylines
    by role (记者 A B 通讯员 C) — or, for copy from elsewhere, its source (新华社稿). Names carry word
    joiners (:func:`joined`); the paper's own "本报" is never shown (it reads as if the briefing
    reported it). ``short``: without the paper and the year (12月24日第2版 记者 钱塘), for the
    other reports listed under 同题报道."""
    where = f"《{paper}》" if paper and not short else ""
    if day is not None:
        where += (f"{day.month}月{day.day}日" if short else f"{day.year}年{day.month}月{day.day}日")
    if page:
        where += f"第{page}版"
    roles: dict[str, list[str]] = {}
    for a in authors or []:
        name = (a.get("name") if isinstance(a, dict) else a) or ""
        role = (a.get("role") if isinstance(a, dict) else "") or ""
        if str(name).strip():
            roles.setdefault(str(role).strip(), []).append(joined(str(name).strip()))
    bits = [where] if where else []
    src = (source or "").strip()
    if src not in _OWN_SOURCES and not src.startswith("本报"):
        bits.append(f"{src}稿")
    bits += [" ".join(([role] if role else []) + names) for role, names in roles.items()]
    return " ".join(bits)


def author_names(authors: list[Any] | None) -> list[str]:
    """Names from ``[{name, role}]`` (or plain strings)."""
    out = []
    for a in authors or []:
        name = a.get("name") if isinstance(a, dict) else a
        if name and str(name).strip():
            out.append(str(name).strip())
    return out
