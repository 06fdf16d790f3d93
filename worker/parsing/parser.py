"""Issue text → articles: the newspaper-layout parser (pure functions, no I/O besides reading
``config/parsing.yaml`` once).

CONTRACT (owned by the parser work; other modules rely on these names and fields).

The stages, each a module of ``worker/parsing`` (all rules are typographic / structural, never keyed
to one issue's words; paper names and page names live in ``config/parsing.yaml``):

1. decoded text → lines (``\\n``, ``\\r\\n`` or ``\\r``); every line gets exactly one
   :class:`LineDecision` in ``ParsedIssue.explain`` (``briefing parse --explain``).
2. :mod:`~worker.parsing.furniture` — page furniture found by shape and by repetition within the
   file: digital-edition site header/footer, navigation lines, footer metadata lines restating
   paper, page, title and date (which also date the article above), PDF page headers.
3. :mod:`~worker.parsing.roles` — each remaining line's role on its own: masthead, date line, page
   marker, running header, 责任编辑 line, 下转/上接 marker, section label, bullet item, byline /
   dateline / credit line, photo caption, headline candidate or plain text.
4. :mod:`~worker.parsing.assemble` — one linear pass builds articles: a run of headline candidates
   (kicker / title / subtitle) opens an article when the text before it is closed or a byline
   follows; text that follows an open paragraph continues it (hard-wrapped PDF lines, page breaks);
   ``下转``/``上接`` re-attach a continued article.
5. :mod:`~worker.parsing.credits` — credits glued to the end of the last paragraph (``… 通讯员 X 摄``)
   and a bare signature name closing the body become the article's byline/authors.
6. :mod:`~worker.parsing.finish` — kinds (photo, brief, interview), derived titles of 简讯 items,
   per-article dates and the issue date (earliest article date, else masthead date line, file
   name, inference).

Nothing is lost: every non-whitespace character of the input lands in exactly one article field
(kicker, title, subtitle, byline, paragraphs, captions, bullet) or one :class:`Debris` entry.
:func:`account` checks that (derived titles, authors, source and dateline are *derived* data and
are not counted).

Display normalisation (:func:`normalize_display`): half-width ``, : ; ? ! ( )`` next to Chinese
become full-width, indentation is stripped, spaces inside headlines are removed. The text before
normalisation is kept in ``ParsedArticle.original_paragraphs`` / ``original_headline`` /
``original_captions`` and the source line numbers in ``ParsedArticle.source_lines``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from worker.parsing.assemble import assemble
from worker.parsing.config import parsing_config
from worker.parsing.credits import attach_credits
from worker.parsing.finish import finish
from worker.parsing.furniture import find_furniture
from worker.parsing.model import (
    DEBRIS_KINDS,
    Author,
    Debris,
    LineDecision,
    Page,
    ParsedArticle,
    ParsedIssue,
)
from worker.parsing.patterns import (
    _LINE_SPLIT,
    _headline_score,
    _is_rule,
    normalize_display,
    normalize_headline,
)
from worker.parsing.roles import tag_lines

__all__ = [
    "DEBRIS_KINDS", "Author", "Debris", "LineDecision", "Page", "ParsedArticle", "ParsedIssue", "_headline_score",
    "_is_rule", "account", "normalize_display", "normalize_headline", "parse_issue", "placed_text",
]


def _indent_mode(lines: list[str]) -> bool:
    """One paragraph a line, marked by indentation (≥ 30 % of lines indented, few blank lines)."""
    nonblank = [x for x in lines if x.strip()]
    indented = sum(1 for x in nonblank if x[:1] in "\u3000" or x.startswith("  "))
    blanks = sum(1 for x in lines if not x.strip())
    return bool(nonblank) and indented >= 0.3 * len(nonblank) and blanks <= 0.2 * len(nonblank) + 1


def parse_issue(text: str, file_name: str | None = None, headline_hints: set[int] | None = None) -> ParsedIssue:
    """Split decoded issue text into articles (the stages of this module's docstring).

    Args:
        text: the decoded issue text (``\\n``, ``\\r\\n`` or ``\\r`` line ends; any characters).
        file_name: original file name, used for the issue date when there is no masthead date line
            (``2024-12-24`` or ``20241224`` anywhere in the name).
        headline_hints: 0-based line indexes that the source format marked as headlines (docx heading
            styles / bold short lines); they are treated as strong headline candidates.

    Returns:
        ParsedIssue with articles in reading order, debris, pages, issue date and one LineDecision
        per input line. Never raises on any ``str`` input (checked by tests/test_parse_property.py);
        runs in time linear in the text length (regexes per line, bounded look-ahead, a per-file
        count of line shapes, no segmentation).
    """
    lines = _LINE_SPLIT.split(text)
    issue = ParsedIssue()
    indent_mode = _indent_mode(lines)
    issue.layout = "indented" if indent_mode else "blocks"
    furniture = find_furniture(lines, parsing_config())
    cls, issue.masthead = tag_lines(lines, set(headline_hints or ()), indent_mode, furniture)
    assemble(issue, cls, indent_mode)
    attach_credits(issue)
    finish(issue, text, file_name)
    return issue


# --------------------------------------------------------------------------------------------
# Accounting ("Nothing lost")
# --------------------------------------------------------------------------------------------
def _chars(s: str) -> Counter:
    c: Counter = Counter()
    for ch in s:
        for x in unicodedata.normalize("NFKC", ch):
            if not x.isspace():
                c[x] += 1
    return c


def placed_text(parsed: ParsedIssue) -> list[str]:
    """Every piece of source text the parse placed somewhere: article kicker/title/subtitle (not a
    derived title), byline, bullet, paragraphs, captions, and every debris text."""
    out: list[str] = []
    for a in parsed.articles:
        if not a.title_derived:
            out += [x for x in (a.kicker, a.title, a.subtitle) if x]
        elif a.kicker or a.subtitle:
            out += [x for x in (a.kicker, a.subtitle) if x]
        out += [x for x in (a.byline, a.bullet) if x]
        out += a.paragraphs + a.captions
    out += [d.text for d in parsed.debris]
    return out


def account(text: str, parsed: ParsedIssue) -> list[str]:
    """Check "nothing lost": compare the multiset of characters of ``text`` with the multiset of
    characters placed by the parse (:func:`placed_text`). Both sides are NFKC-normalised per
    character and whitespace is ignored (display normalisation only changes width, and rejoined
    paragraphs only drop line breaks).

    Returns a list of human-readable problems, e.g. ``"lost '字' ×2"`` (in the text, placed
    nowhere) or ``"double '字' ×1"`` (placed more often than it occurs). Empty list = all accounted.
    """
    src = _chars(text)
    got: Counter = Counter()
    for piece in placed_text(parsed):
        got.update(_chars(piece))
    problems = []
    for ch, cnt in (src - got).items():
        problems.append(f"lost {ch!r} ×{cnt}")
    for ch, cnt in (got - src).items():
        problems.append(f"double {ch!r} ×{cnt}")
    return problems
