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


def author_names(authors: list[Any] | None) -> list[str]:
    """Names from ``[{name, role}]`` (or plain strings)."""
    out = []
    for a in authors or []:
        name = a.get("name") if isinstance(a, dict) else a
        if name and str(name).strip():
            out.append(str(name).strip())
    return out
