"""Data shapes of a parse: articles, pages, debris and the per-line explanation (the parse contract
of docs/ARCHITECTURE.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Debris kinds: the only places a non-article line may go (issue #3 "Nothing lost").
DEBRIS_KINDS = (
    "masthead",
    "date_line",
    "page_marker",
    "page_header_footer",
    "editor_line",
    "continuation_marker",
    "section_label",
    "duplicate_fragment",
    "rule",
    "site_footer",  # a web site's own footer: technical support, ICP licence, copyright
    "navigation",  # digital-edition navigation/tool lines: 上一篇　下一篇, 放大　缩小
)


@dataclass
class Author:
    """A person credited in a byline (署名): ``name`` and ``role`` (记者, 通讯员, 见习记者, 特约记者,
    实习生, 摄影 …)."""

    name: str
    role: str


@dataclass
class Page:
    """A newspaper page (版): ``number`` (1-based) and ``name`` (要闻, 综合 …; may be None)."""

    number: int
    name: str | None = None


@dataclass
class Debris:
    """Text that is not part of any article: ``kind`` is one of DEBRIS_KINDS, ``line`` 0-based."""

    kind: str
    text: str
    line: int


@dataclass
class LineDecision:
    """What one input line became and which rule decided (for ``briefing parse --explain``)."""

    line: int
    text: str
    became: str  # e.g. "title #3", "paragraph #3.2", "debris:page_marker"
    rule: str


@dataclass
class ParsedArticle:
    """One article as laid out in the paper. Text fields keep display-normalised text.

    Added fields (beyond the original contract, all defaulted):
    ``bullet`` – the item marker (``■``) of a 简讯 item, kept so no character is lost;
    ``section`` – the section label the article sits under (``简讯``, ``图片新闻`` …);
    ``continued_pages`` – pages the article was continued on (``下转``/``上接``);
    ``source_lines`` – 0-based input lines that contributed to the article;
    ``original_headline`` – the headline lines exactly as in the source (before normalisation);
    ``original_paragraphs`` / ``original_captions`` – paragraphs/captions before display
    normalisation (same length and order as ``paragraphs`` / ``captions``);
    ``published_on`` – the article's own date when page furniture gives one (a digital-edition
    footer restating title and date), else None (the issue's date applies).
    """

    seq: int
    page: int | None = None
    page_name: str | None = None
    kicker: str | None = None
    title: str | None = None
    subtitle: str | None = None
    byline: str | None = None  # byline (署名) as written, e.g. "本报讯 记者李凡报道"
    source: str | None = None  # 本报, 新华社 …
    dateline: str | None = None  # 电头, e.g. "据新华社北京12月22日电"
    authors: list[Author] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    kind: str = "news"  # news | brief | interview | photo | commentary
    title_derived: bool = False  # True when title was made from the first sentence (简讯 items)
    bullet: str | None = None
    section: str | None = None
    continued_pages: list[int] = field(default_factory=list)
    source_lines: list[int] = field(default_factory=list)
    original_headline: list[str] = field(default_factory=list)
    original_paragraphs: list[str] = field(default_factory=list)
    original_captions: list[str] = field(default_factory=list)
    published_on: date | None = None  # the article's own date, from page furniture (数字报 footer)


@dataclass
class ParsedIssue:
    """A whole issue: metadata, articles in reading order, and the debris set aside.

    Added fields: ``layout`` ("blocks" = paragraphs separated by blank lines / layout breaks,
    "indented" = one paragraph a line with ideographic-space indentation) and ``warnings``.
    """

    issue_date: date | None = None
    issue_date_source: str | None = None  # "masthead" | "file_name" | "inferred" | None
    masthead: str | None = None
    pages: list[Page] = field(default_factory=list)
    articles: list[ParsedArticle] = field(default_factory=list)
    debris: list[Debris] = field(default_factory=list)
    explain: list[LineDecision] = field(default_factory=list)
    layout: str = "blocks"
    warnings: list[str] = field(default_factory=list)


