"""Issue text → articles: the newspaper-layout parser (pure functions, no I/O).

CONTRACT (owned by the parser work; other modules rely on these names and fields).

How it works (all rules are typographic / structural, never keyed to one issue's words):

1. The text is split into lines (``\\n``, ``\\r\\n`` or ``\\r``); every line gets exactly one
   :class:`LineDecision` in ``ParsedIssue.explain``.
2. Each line is classified on its own (one pass, module-level regexes): masthead, date line, page
   marker (``第1版 要闻``), running header/footer, 责任编辑 line, continuation marker
   (``（下转第2版）`` / ``（上接第1版）``), section label (``简讯``), bullet item (``■…``), byline /
   dateline (``本报讯 记者X报道``, ``据新华社北京12月22日电``, ``（通讯员 X）``, ``□本报评论员``),
   photo caption with credit (``…（记者 X 摄）``), headline candidate (short, no sentence
   punctuation) or plain text.
3. A second linear pass builds articles: a run of headline candidates (kicker / title / subtitle)
   opens an article when the text before it is closed (ended with 。！？…”) or a byline follows;
   text lines that follow an open paragraph (no sentence-final punctuation) continue it, across
   blank lines, page headers and page breaks; ``下转``/``上接`` re-attach a continued article.
4. Nothing is lost: every non-whitespace character of the input lands in exactly one article field
   (kicker, title, subtitle, byline, paragraphs, captions, bullet) or one :class:`Debris` entry.
   :func:`account` checks that (derived titles, authors, source and dateline are *derived* data and
   are not counted).

Display normalisation (:func:`normalize_display`): half-width ``, : ; ? ! ( )`` next to Chinese
become full-width, indentation is stripped, spaces inside headlines are removed. The text before
normalisation is kept in ``ParsedArticle.original_paragraphs`` / ``original_headline`` /
``original_captions`` and the source line numbers in ``ParsedArticle.source_lines``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from worker.intake.reading import date_from_file_name

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
    normalisation (same length and order as ``paragraphs`` / ``captions``).
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


# --------------------------------------------------------------------------------------------
# Patterns (compiled once). Character classes.
# --------------------------------------------------------------------------------------------
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{_HAN}]")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_WS = re.compile(r"\s+")
_NUM = r"[0-9０-９一二三四五六七八九十]{1,3}"

# Sentence-final punctuation (a paragraph that ends otherwise continues in the next block).
_FINAL = set("。！？!?…")
_CLOSE_QUOTES = set("”’」』\"'")
# A headline/paragraph line may not end with these (it is cut mid-sentence).
_OPEN_END = set("，,、；;：:（(《“‘「『—-·")

_MASTHEAD = re.compile(rf"^[{_HAN}]{{2,10}}(?:日报|晚报|早报|周报|时报|商报|导报|报)$")
_DATE_FULL = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_LINE = re.compile(
    r"^(?:公元)?(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
    r"(?:[\s，,、]*(?:星期|周|礼拜)[一二三四五六日天])?"
    r"(?:[\s，,、]*(?:农历[^\s。，,]{1,12}|(?:总)?第\s*\d+\s*期|今日\s*\d+\s*版|[\u4e00-\u9fff]{0,4}\s*[A-Z]{0,2}\d{0,3}\s*版"
    r"|国内统一连续出版物号\S*|CN\s*\S+|[一-龥]{2,10}(?:日报|报)|[（(].{0,12}[）)]))*\s*$"
)
_PAGE_MARKER = re.compile(
    rf"^(?:[{_HAN}]{{2,10}}报\s*)?第\s*({_NUM}|[A-Z]\d{{1,2}})\s*版\s*[：:·\-—|｜]?\s*([{_HAN}A-Za-z·]{{0,10}})\s*$"
    rf"|^([A-Z]?\d{{1,2}})\s*版\s*[：:·\-—|｜]?\s*([{_HAN}·]{{0,10}})\s*$"
    rf"|^([A-Z]\d{{1,2}})\s*[：:·\-—|｜ \u3000]\s*([{_HAN}·]{{2,8}})\s*$"
)
_PAGE_BRACKETS = re.compile(r"^[【\[〔［〖]\s*(.*?)\s*[】\]〕］〗]$")
_HDR_DATE = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
_HDR_PAPER = rf"[{_HAN}]{{2,10}}(?:日报|晚报|早报|周报|时报|报)"
_HDR_PAGE = rf"第\s*{_NUM}\s*版"
_HDR_PART = (rf"(?:{_HDR_PAPER}|{_HDR_DATE}|(?:星期|周)[一二三四五六日天]|{_HDR_PAGE}|农历\S{{2,8}}"
             rf"|[{_HAN}]{{2,4}}|[|｜·—\-])")
# A running page header/footer: a date and a paper name or page number, nothing sentence-like.
_RUNNING_HEADER = re.compile(
    rf"^(?=.*{_HDR_DATE})(?=.*(?:{_HDR_PAPER}|{_HDR_PAGE}))(?:{_HDR_PART}[ \t\u3000]*){{2,8}}$")
_INLINE_HEADER = re.compile(
    rf"[ \t\u3000]+({_HDR_PAPER}[ \t\u3000]*{_HDR_DATE}(?:[ \t\u3000]*(?:星期|周)[一二三四五六日天])?"
    rf"(?:[ \t\u3000]*{_HDR_PAGE}(?:[ \t\u3000]*[{_HAN}]{{2,4}}(?=[ \t\u3000]))?)?)[ \t\u3000]+")
_PAGE_NUMBER = re.compile(r"^[-—–\s]*(?:第\s*)?(?:\d{1,3}|[A-H]\d{1,2})\s*(?:页|/\s*\d{1,3})?[-—–\s]*$")
_EDITOR = re.compile(
    r"^(?:(?:责任编辑|本版责编|本版编辑|责编|美术编辑|美编|图片编辑|校对|版式设计|版式|组版|审读|值班编辑|制图|设计|编辑)"
    r"\s*[:：]|(?:责任编辑|本版责编|本版编辑|责编|美术编辑|校对)\s+)"
)
_CONT_DOWN = re.compile(rf"[（(]\s*(?:下转|转)\s*(?:第\s*)?({_NUM}|[A-Z]\d{{1,2}})\s*版[^）)\n]{{0,12}}[）)]")
_CONT_UP = re.compile(rf"[（(]\s*(?:上接|紧接|接)\s*(?:第\s*)?({_NUM}|[A-Z]\d{{1,2}})\s*版[^）)\n]{{0,12}}[）)]")
_CONT_BARE = re.compile(rf"^(?:(下转|转)|(上接|紧接))\s*(?:第\s*)?({_NUM}|[A-Z]\d{{1,2}})\s*版\s*$")
# Labels of sections whose items are separate articles (also detected structurally: a short line
# followed by bullet items). Operators may extend this list here.
SECTION_LABELS = (
    "简讯", "短讯", "快讯", "要闻简报", "新闻简报", "新闻速递", "工会简讯", "一句话新闻", "图片新闻",
    "图片报道", "图说", "资讯", "动态", "工会动态", "基层动态", "各地动态", "速览", "信息窗",
)
_COMMENT_LABELS = ("评论", "言论", "时评", "社论", "短评", "评论员文章", "工会论坛", "观点")
_SECTION_RE = re.compile("^(?:" + "|".join(map(re.escape, SECTION_LABELS + _COMMENT_LABELS)) + ")$")
_BULLET = re.compile(r"^([■●◆▲★▶►•◼⬛])\s*")
_BOX = re.compile(r"^([□◇◎○☆])\s*")

# Bylines. Roles longest first; names 2–4 Han (lazy), joined with 、 or spaces.
_ROLES = ("本报记者", "本报通讯员", "本报特约记者", "特约通讯员", "特约记者", "见习记者", "实习记者",
          "首席记者", "通讯员", "实习生", "记者", "摄影", "摄像", "作者")
# A role may carry the agency (新华社记者 张三) or a "文/" "图/" credit prefix (文/记者 李凡, 文/图 李凡,
# 图/通讯员 王芳); a bare "文/" or "文/图" prefix is a role of its own.
_MEDIA = r"(?:新华社|中新社|人民日报|工人日报|光明日报|经济日报|中国青年报|浙江日报|央视|央广)"
_SLASH = r"(?:(?:文图|文|图|摄影|摄)[ \t\u3000]*[/／]|(?:文/图|图/文|文／图|图／文)(?=[ \t\u3000]))[ \t\u3000]*"
_ROLE_WORD = "(?:" + "|".join(_ROLES) + ")"
_ROLE = rf"(?:{_SLASH}(?:{_MEDIA}?{_ROLE_WORD})?|{_MEDIA}?{_ROLE_WORD})"
# Column labels that look like "role + name" (记者手记, 记者观察, 记者走基层) are not names.
_NOT_NAME = ("报道|摄影|摄像|图文|手记|观察|走基层|调查|探访|直击|蹲点|视点|连线|在线|热线|眼中|笔记|札记|随笔|日记"
             "|来信|感言")
_TERM = r"(?:摄影报道|图文报道|报道|摄影|摄|文/图|图/文|文图)"
# No role word or credit term inside a name, so a run of Han has one way to split into credits:
# without this, "记者李凡摄" × 10 took minutes to reject (backtracking; found by an adversarial test).
_NAME = rf"(?!{_NOT_NAME})(?:(?!{_ROLE_WORD}|{_TERM})[{_HAN}·]){{2,4}}?"
_CREDIT = rf"{_ROLE}[ \t\u3000]*{_NAME}(?:[ \t\u3000]*[、，,][ \t\u3000]*{_NAME})*"
_CREDITS = rf"{_CREDIT}(?:[ \t\u3000]*(?:[、，,][ \t\u3000]*)?{_CREDIT})*"
# Inside brackets names may also be separated by spaces: （通讯员 陈一鸣 王芳） — but by something:
# adjacent names are ambiguous (and made the match exponential).
_CREDIT_BR = rf"{_ROLE}[ \t\u3000]*{_NAME}(?:(?:[ \t\u3000]*[、，,][ \t\u3000]*|[ \t\u3000]+){_NAME})*"
_CREDITS_BR = rf"{_CREDIT_BR}(?:[ \t\u3000]*(?:[、，,][ \t\u3000]*)?{_CREDIT_BR})*"
_SRC_LOCAL = re.compile(rf"^本报(?:([{_HAN}]{{2,8}}?)(\d{{1,2}}月\d{{1,2}}日)?)?讯")
_SRC_WIRE = re.compile(
    rf"^据?\s*((?:新华社|中新社|中国新闻社|人民日报|工人日报|央视|央广|[{_HAN}]{{2,8}}?(?:社|日报|报|网|台)))"
    rf"\s*([{_HAN}]{{0,10}}?)\s*(\d{{1,2}}\s*月\s*\d{{1,2}}\s*日)\s*(?:专)?电"
    # a wire dateline without a date (据新华社电, 新华社北京电) — news agencies only, short place
    # (with 据, or followed by a space/bracket: 新华社发来贺电 is a sentence)
    rf"|^(?:据\s*(?=[新中])|(?=[新中][^\n]{{0,12}}电[\s（(]))(新华社|中新社|中国新闻社)\s*"
    rf"((?:(?![发贺致唁])[{_HAN}]){{0,4}}?)\s*()(?:专)?电(?![视话力影子网商台脑器池费])"
)
# A whole line naming only the source: 据新华社 / （据人民日报） / 据工人日报报道 (a lead or trailing credit).
_SOURCE_ONLY = re.compile(
    rf"^[（(]?\s*据\s*((?:新华社|中新社|中国新闻社|人民日报|工人日报|央视新闻|央视|央广"
    rf"|[{_HAN}]{{2,8}}?(?:社|日报|晚报|报|网|台|新闻)))\s*(?:报道|消息|电|综合)?\s*[）)]?$")
_BYLINE_AFTER_SRC = re.compile(rf"^[ \t\u3000]*(?:[（(][ \t\u3000]*(?P<br>{_CREDITS_BR})[ \t\u3000]*{_TERM}?"
                               rf"[ \t\u3000]*[）)]"
                               # space-separated names are safe when a 报道/摄 term closes them
                               rf"|(?P<sp>{_CREDITS_BR})[ \t\u3000]*{_TERM}(?=\s|$|[，,：:])"
                               rf"|(?P<pl>{_CREDITS})[ \t\u3000]*{_TERM}?(?=\s|$|[，,：:]))")
_BYLINE_BARE = re.compile(rf"^({_CREDITS})[ \t\u3000]*({_TERM})(?=\s|$)")
# A whole-line signature may separate names with spaces: 本报通讯员 周彤 胡晓
_BYLINE_ONLY = re.compile(rf"^({_CREDITS_BR})[ \t\u3000]*{_TERM}?$")
_BYLINE_BRACKET = re.compile(rf"^[（(][ \t\u3000]*({_CREDITS_BR})[ \t\u3000]*{_TERM}?[ \t\u3000]*[）)]$")
_BYLINE_TAIL = re.compile(rf"[（(][ \t\u3000]*({_CREDITS_BR})[ \t\u3000]*({_TERM})?[ \t\u3000]*[）)]\s*$")
_COMMENTARY = re.compile(rf"^(?:本报)?(?:特约)?(?:评论员|社论|短评|时评|本报编辑部)(?:[ \t\u3000]*[{_HAN}·]{{2,4}})?$")
_PHOTO_TAIL = re.compile(rf"[（(][^（）()]{{0,30}}摄[）)]\s*$|(?:{_ROLE})[ \t\u3000]*{_NAME}[ \t\u3000]*摄\s*$")
_PHOTO_TAIL_BARE = re.compile(rf"((?:{_ROLE})[ \t\u3000]*{_NAME}(?:[ \t\u3000]*[、，,][ \t\u3000]*{_NAME})*)"
                              rf"[ \t\u3000]*摄(?:影)?\s*$")
_PHOTO_CREDIT_END = re.compile(r"摄(?:影)?\s*[）)]?$")
_INTERVIEW_Q = re.compile(r"^(?:记者|本报记者|问|主持人|Q)\s*[：:]")
_INTERVIEW_A = re.compile(r"^(?:答|A)\s*[：:]")
_END_MARK = re.compile(r"^[（(]\s*(?:完|全文完|待续|续完)\s*[）)]$")
_MD = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})日")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})年")
_LEAD_TIME = re.compile(
    r"^(?:\d{1,2}月\d{1,2}日(?:[上下]午|晚)?|日前|近日|近期|昨天|昨日|今天|今年以来|连日来)[，,]\s*")
_CLOSING_BRACKET_WORDS = re.compile(r"摄|记者|通讯员|完|下转|待续")
_PAGE_IN_LINE = re.compile(rf"第\s*({_NUM})\s*版\s*([{_HAN}]{{0,8}})")
_SENTENCE_END = re.compile(r"[。！？!?]")
# Enumerated sub-heads inside an article (一、… （二）… 3.…) stay in the article body.
_ENUM_SUBHEAD = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[、.．](?!\d))")
_SUBTITLE = re.compile(r"^(?:——|—|──|--|－－)")

# Display normalisation: half-width punctuation next to Han → full width.
_HALF_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_PUNCT_RE = re.compile(rf"(?<=[{_HAN}”’）》」』])\s*([,:;?!])|([,:;?!])\s*(?=[{_HAN}“‘（《「『])")
_PAREN_RE = re.compile(r"\(([^()\n]{0,60})\)")
_HEAD_SPACE = re.compile(rf"(?<=[{_HAN}“”‘’《》（）、：:！？·\"])\s+|\s+(?=[{_HAN}“”‘’《》（）、：:！？·\"])")
_CJK_NUM = {c: i for i, c in enumerate("零一二三四五六七八九十")}


def _num(s: str) -> int | None:
    """Parse a page number written with ASCII/full-width digits or 一…十 (up to 三十九)."""
    s = s.strip()
    if not s:
        return None
    if s[0].isalpha() and s[0].isascii():  # "A2" → 2
        s = s[1:]
    try:
        return int(s)
    except ValueError:
        pass
    if all(c in _CJK_NUM for c in s):
        if s == "十":
            return 10
        if "十" in s:
            a, _, b = s.partition("十")
            return (_CJK_NUM.get(a, 1) if a else 1) * 10 + (_CJK_NUM.get(b, 0) if b else 0)
        return _CJK_NUM[s[0]] if len(s) == 1 else None
    return None


def normalize_display(text: str) -> str:
    """Display form of a body/caption string: half-width ``, : ; ? ! ( )`` next to Chinese
    characters become full-width (``，：；？！（）``); digits like ``10:30`` or ``1,000`` are left
    alone; leading/trailing whitespace (incl. ideographic indentation) is stripped.

    Only punctuation width changes, so NFKC of the result equals NFKC of the input up to whitespace.
    """
    text = text.strip()
    if not text:
        return text
    text = _PUNCT_RE.sub(lambda m: _HALF_FULL[m.group(1) or m.group(2)], text)

    def paren(m: re.Match) -> str:
        inner = m.group(1)
        before = text[m.start() - 1] if m.start() > 0 else ""
        if _HAN_RE.search(inner) or (before and _HAN_RE.match(before)):
            return "（" + inner + "）"
        return m.group(0)

    return _PAREN_RE.sub(paren, text)


def normalize_headline(text: str) -> str:
    """Display form of a headline part: :func:`normalize_display` plus whitespace between Chinese
    characters removed (a wrapped title or a layout gap ``安全应急能力 全国总决赛`` reads as one)."""
    return normalize_display(_HEAD_SPACE.sub("", text.strip()))


def _strip(line: str) -> str:
    return line.strip()


def _is_closed(s: str) -> bool:
    """True when ``s`` ends a paragraph: sentence-final punctuation (。！？…), possibly inside a
    closing quote, a closing bracket after such punctuation, or a wholly bracketed line."""
    s = s.rstrip()
    if not s:
        return True
    last = s[-1]
    if last in _FINAL:
        return True
    if last in _CLOSE_QUOTES:
        t = s.rstrip("”’」』\"'")
        return bool(t) and t[-1] in _FINAL
    if last in "）)】]":
        if s[0] in "（(【[" and len(s) < 60:
            return True
        opening = max(s.rfind("（"), s.rfind("("), s.rfind("【"), s.rfind("["))
        if opening > 0 and s[opening - 1] in _FINAL | _CLOSE_QUOTES:
            return True
        inner = s[opening + 1:-1] if opening >= 0 else ""
        return bool(_CLOSING_BRACKET_WORDS.search(inner))
    return bool(last == "." and len(s) > 1 and _HAN_RE.match(s[-2]))


def _weak_title_ok(t: str) -> bool:
    """A weak headline candidate (comma, or ending ！？) that may still open an article without a
    byline: 6–24 characters, at most one comma, balanced quotes and brackets (a layout fragment
    like ``…活动,“中国梦·劳`` has an unclosed quote; sample 000_…txt)."""
    c = _WS.sub("", t)
    if not 6 <= len(c) <= 24 or c.count("，") + c.count(",") > 1:
        return False
    pairs = ("“”", "《》", "（）", "()", "「」", "‘’")
    return all(c.count(a) == c.count(b) for a, b in pairs)


def _headline_score(t: str, hinted: bool) -> int:
    """0 = not a headline, 1 = weak candidate (needs a byline after it), 2 = strong candidate.

    A headline is short (≤ 42 characters without spaces, a —— subtitle ≤ 60), has no 。；, does
    not end with a comma/colon/opening bracket, and has at least two Han characters.
    """
    if len(t) > 200:  # never a headline; spares counting a 6-million-character line (400 MB)
        return 0
    compact = _WS.sub("", t)
    n = len(compact)
    if n < 2 or n > 60:
        return 0
    han = len(_HAN_RE.findall(compact))
    if han < 2:
        return 0
    if _SUBTITLE.match(compact):
        return 2 if n <= 60 else 0
    if hinted:
        return 2 if n <= 60 else 0
    if n > 42:
        return 0
    if compact[0] in "（(【[" or _ENUM_SUBHEAD.match(compact):
        return 0
    if "。" in compact or "；" in compact or ";" in compact:
        return 0
    last = compact[-1]
    if last in _OPEN_END:
        return 0
    if last in _CLOSE_QUOTES:
        inner = compact.rstrip("”’」』\"'")
        if inner and inner[-1] in _FINAL:
            return 0
    if last in "…":
        return 0
    if last in "！？!?":
        return 1 if n <= 30 else 0
    if "，" in compact or "," in compact or ("：" in compact[:-1] and "：" not in compact[:9]):
        return 1
    return 2


@dataclass
class _Line:
    idx: int
    raw: str
    text: str  # stripped
    kind: str  # blank, debris:<kind>, byline, credit_line, bracket_byline, commentary, bullet, caption,
    # headline, text, cont_down, cont_up, section
    score: int = 0
    indented: bool = False
    data: dict = field(default_factory=dict)


_ROLE_SPLIT = re.compile(f"({_ROLE})")
_ROLE_IN = re.compile(_ROLE_WORD)
_NAME_SPLIT = re.compile(r"[\s、，,（）()]+")
_TERM_END = re.compile(r"(?:摄影报道|图文报道|报道|摄影|摄|文/图|图/文|文图)$")


def _parse_credits(s: str) -> list[Author]:
    """Authors from a credits string like ``记者李凡 通讯员张璐、张微`` or ``（通讯员 陈一鸣 王芳）``
    (each with its role). Space-separated names are split only when the parts are 2–4 Han each."""
    out: list[Author] = []
    parts = _ROLE_SPLIT.split(s)
    role = None
    for part in parts:
        if _ROLE_SPLIT.fullmatch(part):
            w = _ROLE_IN.search(part)
            if w:
                role = w.group()
                role = role[2:] if role.startswith("本报") and len(role) > 2 else role
            else:  # a bare 文/ 图/ 文/图 credit
                role = "摄影" if part.lstrip().startswith(("图", "摄")) else "作者"
            continue
        if role is None:
            continue
        for name in _NAME_SPLIT.split(part):
            name = _TERM_END.sub("", name.strip())
            if 2 <= len(name) <= 4 and all(_HAN_RE.match(c) or c == "·" for c in name):
                out.append(Author(name=name, role=role))
            elif name and len(name) > 4:
                break
    return out


def _match_byline(t: str) -> dict | None:
    """A byline / dateline at the start of line ``t``. Returns ``{"byline": str, "rest": str,
    "source", "dateline", "authors", "commentary"}`` or None.

    Forms (samples 000_…txt and 2024-12-24_zjgrrb.txt, and the common Chinese press forms):
    ``本报讯 记者X报道 …``, ``本报讯 记者X 通讯员Y、Z摄影报道 …``, ``本报讯（记者 X）…``,
    ``本报杭州12月23日讯 …``, ``据新华社北京12月22日电 …`` / ``新华社北京12月22日电（记者 X）``,
    a bare ``记者X报道 …``; and whole-line signatures ``本报记者 X 通讯员 Y``, ``□本报评论员``.
    Also (regression set): ``据新华社电`` without a date, space-separated names closed by 报道
    (``通讯员 李四 王五 报道``) or on a whole signature line (``本报通讯员 周彤 胡晓``), agency roles
    (``新华社记者 X``) and ``文/``/``图/`` credits (``文/记者 李凡 图/通讯员 王芳``, ``文/图 李凡``).
    Column labels (记者手记, 记者观察, 记者走基层) are not bylines.
    """
    s = t
    box = _BOX.match(s)
    if box:
        s = s[box.end():]
    if _COMMENTARY.match(s.strip()):
        return {"byline": t.strip(), "rest": "", "source": "本报" if s.startswith("本报") else None,
                "dateline": None, "authors": [], "commentary": True}
    source = dateline = None
    pos = 0
    m = _SRC_LOCAL.match(s)
    if m:
        source = "本报"
        if m.group(1) or m.group(2):
            dateline = m.group(0)
        pos = m.end()
    else:
        m = _SRC_WIRE.match(s)
        if m:
            source = m.group(1) or m.group(4)
            dateline = m.group(0).strip()
            pos = m.end()
    if source:
        m2 = _BYLINE_AFTER_SRC.match(s[pos:])
        authors: list[Author] = []
        if m2:
            authors = _parse_credits(m2.group("br") or m2.group("sp") or m2.group("pl") or "")
            pos += m2.end()
        byl = (t[: (box.end() if box else 0) + pos]).strip()
        return {"byline": byl, "rest": s[pos:], "source": source, "dateline": dateline,
                "authors": authors, "commentary": False}
    m = _BYLINE_BARE.match(s) or _BYLINE_ONLY.match(s.strip())
    if m:
        end = m.end() if m.re is _BYLINE_BARE else len(s)
        return {"byline": t[: (box.end() if box else 0) + end].strip(), "rest": s[end:] if end < len(s) else "",
                "source": None, "dateline": None, "authors": _parse_credits(m.group(1)), "commentary": False}
    return None


_RULE_MIN_CHARS = 3
#: Other punctuation (category Po) that separator lines are made of; 。！？…, quotes and brackets
#: are not among them, so the wrapped tail of a quotation (……” or ）。”) stays text.
_RULE_PUNCTUATION = frozenset("*＊#＃•※/\\|｜")  # not · (U+00B7): ······ can be an ellipsis


def _is_rule(t: str) -> bool:
    """A separator line: at least 3 characters of symbols (category S, e.g. = ■ ★ ─, not the
    ellipsis ⋯), dashes and connectors (Pd, Pc: - — _), :data:`_RULE_PUNCTUATION` and spaces
    (=====, ———, ＊＊＊, a 100,000-character junk run); no Han, letter, digit, quote, bracket
    or sentence punctuation."""
    if len(t) < _RULE_MIN_CHARS:
        return False
    for ch in t:
        cat = unicodedata.category(ch)
        if not ((cat[0] == "S" and ch != "⋯") or cat in ("Pd", "Pc", "Zs") or ch in _RULE_PUNCTUATION):
            return False
    return True


def _classify(lines: list[str], hints: set[int], indent_mode: bool) -> tuple[list[_Line], str | None]:
    """First pass: one _Line per input line (static classification, no context except position)."""
    out: list[_Line] = []
    masthead: str | None = None
    seen_content = 0
    for i, raw in enumerate(lines):
        t = raw.strip()
        indented = bool(raw) and raw[0] in "\u3000 \t" and bool(t)
        ln = _Line(i, raw, t, "text", indented=indented)
        out.append(ln)
        if not t:
            ln.kind = "blank"
            continue
        if _is_rule(t):
            ln.kind = "debris:rule"
            continue
        compact = _WS.sub("", t)
        early = seen_content < 6
        seen_content += 1
        if _MASTHEAD.match(compact) and (early or compact == masthead):
            if masthead is None:
                masthead = compact
            ln.kind = "debris:masthead"
            continue
        m = _DATE_LINE.match(t)
        if m and len(compact) <= 50:
            ln.kind = "debris:date_line"
            ln.data["date"] = (m.group(1), m.group(2), m.group(3))
            continue
        m = _PAGE_MARKER.match(t) or _PAGE_MARKER.match(_PAGE_BRACKETS.sub(r"\1", t))
        if m:
            num = _num(m.group(1) or m.group(3) or m.group(5) or "")
            if num is not None and 0 < num < 1000:
                ln.kind = "debris:page_marker"
                ln.data["page"] = num
                ln.data["name"] = (m.group(2) or m.group(4) or m.group(6) or "").strip() or None
                continue
        if masthead and compact.startswith(masthead) and len(compact) <= 50 and "。" not in compact:
            pm = _PAGE_IN_LINE.search(t)
            if pm and _num(pm.group(1)):
                ln.kind = "debris:page_marker"
                ln.data["page"] = _num(pm.group(1))
                ln.data["name"] = pm.group(2) or None
            else:
                ln.kind = "debris:page_header_footer"
            continue
        if _RUNNING_HEADER.match(t) and len(compact) <= 50:
            ln.kind = "debris:page_header_footer"
            pm = _PAGE_IN_LINE.search(t)
            if pm and _num(pm.group(1)):
                ln.data["page"] = _num(pm.group(1))
            continue
        if _EDITOR.match(t) and len(compact) <= 40 and "。" not in compact:
            ln.kind = "debris:editor_line"
            continue
        m = _CONT_DOWN.fullmatch(t) or _CONT_DOWN.fullmatch(compact)
        mb = _CONT_BARE.match(compact)
        if m or (mb and mb.group(1)):
            ln.kind = "cont_down"
            ln.data["page"] = _num(m.group(1) if m else mb.group(3))
            ln.data["rest"] = ""
            continue
        m = _CONT_UP.match(t)
        if m or (mb and mb.group(2)):
            ln.kind = "cont_up"
            ln.data["page"] = _num(m.group(1) if m else mb.group(3))
            ln.data["marker"] = m.group(0) if m else t
            ln.data["rest"] = t[m.end():] if m else ""
            continue
        if _PAGE_NUMBER.match(t) and len(compact) <= 8:
            ln.kind = "pageno"  # decided in context (a bare number may be a broken paragraph part)
            continue
        if _SECTION_RE.match(compact):
            ln.kind = "section"
            continue
        if _END_MARK.match(compact):
            ln.kind = "text"
            continue
        m = _BULLET.match(t)
        if m and (_BYLINE_ONLY.match(t[m.end():].strip()) or _COMMENTARY.match(t[m.end():].strip())):
            b = _match_byline(t[m.end():])
            if b:  # a signature marked with a bullet: ■本报记者 李凡
                ln.kind = "byline"
                ln.data.update(b, byline=t)
                continue
        m2 = _SOURCE_ONLY.match(compact) if len(compact) <= 20 and "据" in compact[:3] else None
        if m2 and not m:
            ln.kind = "source_line"
            ln.data["source"] = m2.group(1)
            continue
        if m:
            ln.kind = "bullet"
            ln.data["bullet"] = m.group(1)
            continue
        if _BYLINE_BRACKET.match(t) or (len(compact) < 40 and _BYLINE_BRACKET.match(compact)):
            ln.kind = "bracket_byline"
            ln.data["authors"] = _parse_credits(t)
            continue
        b = _match_byline(t)
        if b:
            ln.kind = "byline"
            ln.data.update(b)
            continue
        if len(compact) <= 200 and "摄" in t and _PHOTO_TAIL.search(t):
            ln.kind = "caption"
            continue
        if (indent_mode and indented and i not in hints) or _INTERVIEW_Q.match(t) or _INTERVIEW_A.match(t):
            ln.kind = "text"
            continue
        ln.score = _headline_score(t, i in hints)
        if indent_mode and not indented and ln.score == 1:
            ln.score = 2
        ln.kind = "headline" if ln.score else "text"
    return out, masthead


class _Builder:
    """Second pass state: articles, debris, explain, pages."""

    def __init__(self, issue: ParsedIssue):
        self.issue = issue
        self.cur: ParsedArticle | None = None
        self.open = False  # last paragraph of cur is open (no sentence-final punctuation)
        self.page: int | None = None
        self.page_name: str | None = None
        self.section: str | None = None
        self.bullets_are_articles = False
        self.suspended: list[tuple[ParsedArticle, int | None, int | None, bool]] = []
        self.seq = 0

    # -- helpers -------------------------------------------------------------------------------
    def new_article(self, line: int) -> ParsedArticle:
        self.seq += 1
        a = ParsedArticle(seq=self.seq, page=self.page, page_name=self.page_name, section=self.section)
        if self.section in _COMMENT_LABELS:
            a.kind = "commentary"
        self.issue.articles.append(a)
        self.cur = a
        self.open = False
        return a

    def decide(self, ln: _Line, became: str, rule: str) -> None:
        self.issue.explain.append(LineDecision(ln.idx, ln.raw, became, rule))

    def debris(self, kind: str, text: str, line: int) -> None:
        self.issue.debris.append(Debris(kind, text, line))

    def add_lines(self, a: ParsedArticle, idx: int) -> None:
        if not a.source_lines or a.source_lines[-1] != idx:
            a.source_lines.append(idx)

    def add_byline(self, a: ParsedArticle, text: str, authors: list[Author], source=None, dateline=None) -> None:
        a.byline = f"{a.byline} {text}" if a.byline else text
        names = {x.name for x in a.authors}
        for au in authors:
            if au.name not in names:
                a.authors.append(au)
                names.add(au.name)
        if source and not a.source:
            a.source = source
        if dateline and not a.dateline:
            a.dateline = dateline

    def add_text(self, ln: _Line, text: str, rule: str, new_para: bool | None = None) -> str:
        """Add body text to the current article (continuing an open paragraph unless new_para)."""
        mh = _INLINE_HEADER.search(text)
        if mh:  # a running header that landed inside a line
            self.debris("page_header_footer", mh.group(1), ln.idx)
            text = text[: mh.start()] + text[mh.end():]
        a = self.cur
        if a is None:
            a = self.new_article(ln.idx)
        self.add_lines(a, ln.idx)
        text = text.strip()
        if not text:
            return "nothing"
        if self.open and a.original_paragraphs and not new_para:
            prev = a.original_paragraphs[-1]
            if _is_duplicate(prev, text):
                self.debris("duplicate_fragment", text, ln.idx)
                return "debris:duplicate_fragment"
            joiner = " " if (prev[-1].isascii() and prev[-1].isalnum() and text[0].isascii()
                             and text[0].isalnum() and not prev[-1].isdigit()) else ""
            joined = prev + joiner + text
            a.original_paragraphs[-1] = joined
            a.paragraphs[-1] = normalize_display(joined)
            self.open = not _is_closed(joined)
            return f"paragraph #{a.seq}.{len(a.paragraphs)} (continued)"
        if a.original_paragraphs and _is_duplicate(a.original_paragraphs[-1], text):
            self.debris("duplicate_fragment", text, ln.idx)
            return "debris:duplicate_fragment"
        a.original_paragraphs.append(text)
        a.paragraphs.append(normalize_display(text))
        # an enumerated sub-head (一、… （二）…) is a paragraph of its own
        self.open = not _is_closed(text) and not (_ENUM_SUBHEAD.match(text) and len(text) <= 30)
        return f"paragraph #{a.seq}.{len(a.paragraphs)}"

    def add_caption(self, ln: _Line, text: str) -> str:
        a = self.cur or self.new_article(ln.idx)
        self.add_lines(a, ln.idx)
        m = _BYLINE_TAIL.search(text) or ("摄" in text and _PHOTO_TAIL_BARE.search(text)) or None
        if m:
            names = {x.name for x in a.authors}
            for au in _parse_credits(m.group(1)):
                if au.name not in names:
                    a.authors.append(au)
        a.original_captions.append(text)
        a.captions.append(normalize_display(text))
        return f"caption #{a.seq}.{len(a.captions)}"


def _is_duplicate(prev: str, text: str) -> bool:
    """True when ``text`` repeats the end of ``prev`` (a layout repeat): it is a suffix of it, or
    equals the aligned tail with ≤ 5 % differing characters. Needs ≥ 12 characters. Linear time.
    (sample 000_…txt: a paragraph re-printed as the tail of the previous one.)"""
    a = _WS.sub("", text)
    b = _WS.sub("", prev)
    if len(a) < 12 or len(a) > len(b):
        return False
    if b.endswith(a):
        return True
    tail = b[-len(a):]
    if a[:4] != tail[:4] and a[-4:] != tail[-4:]:
        return False
    diff = sum(1 for x, y in zip(a, tail, strict=True) if x != y)
    return diff <= len(a) * 0.05


def _split_headline(lines: list[str]) -> tuple[str | None, str | None, str | None]:
    """Kicker (引题) / title (主题) / subtitle (副题) from the lines of one headline block.

    - lines starting with —— are the subtitle;
    - one line with space-separated parts: when the longest part (with what follows) is much longer
      than what precedes it, the preceding parts are the kicker (``持续为职工幸福“加码” 2024年…``);
    - two lines: a line that ends mid-phrase (或 next starts with closing punctuation) is a wrapped
      title; else the shorter first line is the kicker, a longer first line is title + subtitle;
    - three or more: kicker, title, subtitle (or title wrapped when a —— subtitle exists).
    """
    subs = [x for x in lines if _SUBTITLE.match(x)]
    main = [x for x in lines if not _SUBTITLE.match(x)]
    kicker = title = None
    subtitle = " ".join(subs) if subs else None
    if len(main) == 1:
        parts = _WS.split(main[0].strip())
        if len(parts) >= 2:
            lens = [len(p) for p in parts]
            k = max(range(len(parts)), key=lambda j: lens[j])
            before = sum(lens[:k])
            after = sum(lens[k:])
            if k > 0 and lens[k] >= 8 and after >= 1.5 * before:
                kicker, title = " ".join(parts[:k]), " ".join(parts[k:])
            else:
                title = main[0]
        else:
            title = main[0]
    elif len(main) == 2:
        a, b = main
        if a.rstrip()[-1:] in "的和与及、“《（(" or b.lstrip()[:1] in "”》）)、，":
            title = a + b
        elif len(_WS.sub("", a)) < len(_WS.sub("", b)) or subtitle:
            kicker, title = a, b
        else:
            title, subtitle = a, b
    elif len(main) >= 3:
        if subtitle:
            kicker, title = main[0], "".join(main[1:])
        else:
            kicker, title, subtitle = main[0], "".join(main[1:-1]), main[-1]
    return kicker, title, subtitle


def _derive_title(text: str) -> str:
    """Title made from the first sentence of a headline-less item (简讯): the sentence up to the
    first 。！？, without a leading time phrase (``12月20日，`` / ``日前，``), at most 30 characters."""
    first = _SENTENCE_END.split(text, maxsplit=1)[0]
    first = _LEAD_TIME.sub("", first.strip()) or first.strip()
    first = first.rstrip("，,；;：: ")
    return first if len(first) <= 30 else first[:29] + "…"


def _next_content(cls: list[_Line], j: int, limit: int = 6) -> list[_Line]:
    """Up to ``limit`` non-blank lines starting at index j (bounded look-ahead, keeps parse linear)."""
    out = []
    n = len(cls)
    while j < n and len(out) < limit:
        if cls[j].kind != "blank":
            out.append(cls[j])
        j += 1
    return out


def _is_headline_start(kind: str) -> bool:
    return kind in ("byline", "caption", "bullet", "text", "cont_up", "headline", "bracket_byline", "source_line")


def parse_issue(text: str, file_name: str | None = None, headline_hints: set[int] | None = None) -> ParsedIssue:
    """Split decoded issue text into articles.

    Args:
        text: the decoded issue text (``\\n``, ``\\r\\n`` or ``\\r`` line ends; any characters).
        file_name: original file name, used for the issue date when there is no masthead date line
            (``2024-12-24`` or ``20241224`` anywhere in the name).
        headline_hints: 0-based line indexes that the source format marked as headlines (docx heading
            styles / bold short lines); they are treated as strong headline candidates.

    Returns:
        ParsedIssue with articles in reading order, debris, pages, issue date and one LineDecision
        per input line. Never raises on any ``str`` input (checked by tests/test_parse_property.py);
        runs in time linear in the text length (regexes per line, bounded look-ahead, no
        segmentation).
    """
    hints = set(headline_hints or ())
    lines = _LINE_SPLIT.split(text)
    issue = ParsedIssue()
    nonblank = [x for x in lines if x.strip()]
    indented = sum(1 for x in nonblank if x[:1] in "\u3000" or x.startswith("  "))
    blanks = sum(1 for x in lines if not x.strip())
    indent_mode = bool(nonblank) and indented >= 0.3 * len(nonblank) and blanks <= 0.2 * len(nonblank) + 1
    issue.layout = "indented" if indent_mode else "blocks"
    cls, masthead = _classify(lines, hints, indent_mode)
    issue.masthead = masthead
    b = _Builder(issue)
    n = len(cls)
    i = 0
    while i < n:
        ln = cls[i]
        k = ln.kind
        if k == "blank":
            b.decide(ln, "blank", "blank line")
            i += 1
            continue
        if k.startswith("debris:"):
            kind = k[7:]
            b.debris(kind, ln.text, ln.idx)
            if kind == "page_header_footer" and ln.data.get("page") and ln.data["page"] != b.page:
                b.page, b.page_name = ln.data["page"], None
                if not any(p.number == b.page for p in issue.pages):
                    issue.pages.append(Page(b.page, None))
            if kind == "page_marker":
                b.page, b.page_name = ln.data["page"], ln.data["name"]
                if not any(p.number == b.page for p in issue.pages):
                    issue.pages.append(Page(b.page, b.page_name))
                b.section = None
                b.bullets_are_articles = False
            if kind == "date_line" and issue.issue_date is None and not issue.articles:
                try:
                    y, m, d = (int(x) for x in ln.data["date"])
                    issue.issue_date, issue.issue_date_source = date(y, m, d), "masthead"
                except ValueError:
                    pass
            b.decide(ln, f"debris:{kind}", f"{kind} pattern")
            i += 1
            continue
        if k == "pageno":
            if b.open:
                r = b.add_text(ln, ln.text, "continuation")
                b.decide(ln, r, "bare number after an open paragraph: continuation")
            else:
                b.debris("page_header_footer", ln.text, ln.idx)
                b.decide(ln, "debris:page_header_footer", "bare page number")
            i += 1
            continue
        if k == "cont_down":
            b.debris("continuation_marker", ln.text, ln.idx)
            if b.cur is not None:
                b.suspended.append((b.cur, b.page, ln.data["page"], b.open))
                if ln.data["page"] and ln.data["page"] not in b.cur.continued_pages:
                    b.cur.continued_pages.append(ln.data["page"])
            b.cur, b.open = None, False
            b.decide(ln, "debris:continuation_marker", "下转 marker: article suspended")
            i += 1
            continue
        if k == "cont_up":
            b.debris("continuation_marker", ln.data["marker"], ln.idx)
            _resume(b, ln.data["page"])
            rest = ln.data["rest"].strip()
            became = "debris:continuation_marker"
            if rest:
                became += " + " + b.add_text(ln, rest, "continuation")
            b.decide(ln, became, "上接 marker: continued article resumed")
            i += 1
            continue
        if k == "section":
            nxt = _next_content(cls, i + 1, 1)
            b.debris("section_label", ln.text, ln.idx)
            b.section = _WS.sub("", ln.text)
            b.bullets_are_articles = True
            b.cur, b.open = None, False
            b.decide(ln, "debris:section_label", "section label" + (" before items" if nxt else ""))
            i += 1
            continue
        if k == "headline":
            j = i
            block: list[_Line] = []
            blank_gap = 0
            while j < n and len(block) < 5:
                c = cls[j]
                if c.kind == "blank":
                    blank_gap += 1
                    if blank_gap > 3:
                        break
                    j += 1
                    continue
                if c.kind != "headline":
                    break
                if block and _SUBTITLE.match(block[-1].text):
                    break  # a —— subtitle is the last line of a headline block
                block.append(c)
                blank_gap = 0
                j += 1
            nxt = _next_content(cls, j, 4)
            after = nxt[0] if nxt else None
            strong_after = (after is not None and after.kind in ("byline", "bracket_byline", "source_line")) or (
                after is not None and after.kind in ("caption", "text") and len(nxt) > 1
                and nxt[1].kind == "byline" and len(after.text) <= 60)
            if after is not None and after.kind == "text" and len(block) == 1 and block[0].score == 1 \
                    and len(nxt) > 1 and nxt[1].kind == "byline" and _is_closed(after.text) is False:
                strong_after = False
            all_strong = all(c.score == 2 for c in block)
            content_follows = after is not None and _is_headline_start(after.kind)
            if not all_strong and not b.open and after is not None and after.kind == "text" \
                    and len(after.text) >= 40 and all(c.score == 2 or _weak_title_ok(c.text) for c in block):
                # a short question/exclamation or comma title, followed by a body paragraph
                all_strong = True
            accept = (strong_after or (all_strong and not b.open and content_follows)
                      or (all_strong and not b.open and after is None and b.cur is None)
                      or (after is not None and after.kind in ("bullet",) and not b.open))
            if accept and len(block) == 1 and after is not None and after.kind == "bullet" \
                    and len(_WS.sub("", block[0].text)) <= 8:
                # a short line heading bullet items: a section label (sample 2024-12-24: 简讯 ■…)
                b.debris("section_label", block[0].text, block[0].idx)
                b.section = _WS.sub("", block[0].text)
                b.bullets_are_articles = True
                b.cur, b.open = None, False
                b.decide(block[0], "debris:section_label", "short line before bullet items")
                _decide_blanks(b, cls, i, j)
                i = j
                continue
            if accept and after is not None and after.kind == "cont_up":
                rep = _WS.sub("", "".join(c.text for c in block))
                for art, *_ in b.suspended:
                    if rep and rep == _WS.sub("", "".join(art.original_headline)):
                        for c in block:
                            b.debris("continuation_marker", c.text, c.idx)
                            b.decide(c, "debris:continuation_marker", "headline repeated before 上接")
                        _decide_blanks(b, cls, i, j)
                        break
                else:
                    rep = ""
                if rep:
                    i = j
                    continue
            if accept:
                a = b.new_article(block[0].idx)
                b.bullets_are_articles = False
                kick, tit, sub = _split_headline([c.text for c in block])
                a.kicker = normalize_headline(kick) if kick else None
                a.title = normalize_headline(tit) if tit else None
                a.subtitle = normalize_headline(sub) if sub else None
                a.original_headline = [c.text for c in block]
                for c in block:
                    b.add_lines(a, c.idx)
                    part = ("kicker" if kick and c.text in kick else "subtitle" if sub and c.text in sub
                            else "title")
                    rule = "headline block" + (" (byline follows)" if strong_after else
                                               " (previous paragraph closed)")
                    b.decide(c, f"{part} #{a.seq}", rule)
                _decide_blanks(b, cls, i, j)
                i = j
                continue
            # not a headline: body text
            r = b.add_text(ln, ln.text, "text")
            b.decide(ln, r, "headline-like line rejected (" + ("previous paragraph open" if b.open
                                                               else "no byline after weak candidate") + ")")
            i += 1
            continue
        if k == "byline":
            a = b.cur
            d = ln.data
            if (a is not None and (a.paragraphs or a.captions) and not b.open and d["source"] is None
                    and not d["rest"].strip() and _PHOTO_CREDIT_END.search(d["byline"])):
                # a photo credit on its own line under a picture item: 记者 张三 摄
                b.add_lines(a, ln.idx)
                b.add_byline(a, d["byline"], d["authors"])
                b.decide(ln, f"byline #{a.seq}", "photo credit line after the item (… 摄)")
                i += 1
                continue
            if a is None or a.paragraphs or (a.byline and not a.title):
                a = b.new_article(ln.idx)
            b.add_lines(a, ln.idx)
            d = ln.data
            b.add_byline(a, d["byline"], d["authors"], d["source"], d["dateline"])
            if d["commentary"]:
                a.kind = "commentary"
            became = f"byline #{a.seq}"
            rest = d["rest"].strip()
            if rest:
                became += " + " + b.add_text(ln, rest, "body", new_para=True)
            b.decide(ln, became, "byline/dateline pattern")
            i += 1
            continue
        if k == "source_line":
            # 据新华社 / （据人民日报）: the source of the current article (lead or trailing credit)
            a = b.cur or b.new_article(ln.idx)
            b.add_lines(a, ln.idx)
            b.add_byline(a, ln.text, [], ln.data["source"])
            b.decide(ln, f"byline #{a.seq}", "source-only line (据…)")
            i += 1
            continue
        if k == "bracket_byline":
            a = b.cur or (b.issue.articles[-1] if b.issue.articles else b.new_article(ln.idx))
            b.add_lines(a, ln.idx)
            b.add_byline(a, ln.text, ln.data["authors"])
            b.decide(ln, f"byline #{a.seq}", "credits in brackets (trailing byline)")
            i += 1
            continue
        if k == "bullet":
            if not b.bullets_are_articles and b.cur is not None and not b.open and _dated_item(ln):
                nxt = _next_content(cls, i + 1, 1)
                if (b.cur.bullet is not None) or (nxt and nxt[0].kind == "bullet" and _dated_item(nxt[0])):
                    # a run of ■ items that each open with a time phrase (3月2日，/日前，): 简讯 items
                    # even without a section label
                    b.bullets_are_articles = True
            if b.bullets_are_articles or b.cur is None:
                a = b.new_article(ln.idx)
                a.kind = "brief"
                a.bullet = ln.data["bullet"]
                body = ln.text[_BULLET.match(ln.text).end():]
                r = b.add_text(ln, body, "bullet item", new_para=True)
                b.decide(ln, f"bullet item #{a.seq} + {r}", "bullet item under a section label")
            else:
                r = b.add_text(ln, ln.text, "bullet paragraph", new_para=True)
                b.decide(ln, r, "bullet inside an article body")
            i += 1
            continue
        if k == "caption":
            if b.open:
                r = b.add_text(ln, ln.text, "continuation")
                b.decide(ln, r, "photo credit inside an open paragraph")
            else:
                r = b.add_caption(ln, ln.text)
                b.decide(ln, r, "line ending with a photo credit (… 摄)")
            i += 1
            continue
        if k == "section":  # pragma: no cover - handled above
            i += 1
            continue
        # plain text
        t = ln.text
        a = b.cur
        if (a is not None and not a.paragraphs and not a.byline and (a.title or a.kicker) and not b.open
                and len(_WS.sub("", t)) <= 40 and _is_closed(t)):
            nxt = _next_content(cls, i + 1, 3)
            if any(x.kind == "byline" for x in nxt[:2]) and all(
                    x.kind in ("byline", "text", "caption") for x in nxt[:2]):
                r = b.add_caption(ln, t)
                b.decide(ln, r, "short closed line between headline and byline: caption")
                i += 1
                continue
        # trailing bracketed credits at the end of a paragraph line: "…。（通讯员 X）"
        m = _BYLINE_TAIL.search(t)
        if m and m.start() > 0 and _is_closed(t[: m.start()]) and not b.open:
            body = t[: m.start()]
            r = b.add_text(ln, body, "text")
            a = b.cur
            b.add_byline(a, m.group(0).strip(), _parse_credits(m.group(1)))
            b.decide(ln, f"{r} + byline #{a.seq}", "trailing credits in brackets")
            i += 1
            continue
        if b.bullets_are_articles and b.cur is not None and b.cur.bullet and not b.open:
            b.bullets_are_articles = False
            b.cur = None
        # one-paragraph-a-line layout: an indented line always starts a paragraph
        r = b.add_text(ln, t, "text", new_para=True if (indent_mode and ln.indented) else None)
        rule = "continues open paragraph" if "continued" in r else "text line"
        b.decide(ln, r, rule)
        i += 1
    _finish(issue, text, file_name)
    return issue


def _dated_item(ln: _Line) -> bool:
    """A bullet line whose text opens with a time phrase (``■3月2日，…`` / ``●日前，…``)."""
    m = _BULLET.match(ln.text)
    return bool(m) and _LEAD_TIME.match(ln.text[m.end():]) is not None


def _decide_blanks(b: _Builder, cls: list[_Line], i: int, j: int) -> None:
    for c in cls[i:j]:
        if c.kind == "blank":
            b.decide(c, "blank", "blank line inside a headline block")


def _resume(b: _Builder, from_page: int | None) -> None:
    """Re-attach the article suspended by ``（下转第N版）`` (the one sent to the current page, else
    the oldest). No suspended article → a new article begins."""
    pick = None
    for k, (_art, pg, to, _open) in enumerate(b.suspended):
        if (to is None or b.page is None or to == b.page) and (from_page is None or pg is None or pg == from_page):
            pick = k
            break
    if pick is None and b.suspended:
        pick = 0
    if pick is None:
        b.new_article(-1)
        if b.page is not None:
            b.cur.continued_pages.append(b.page)
        return
    art, _pg, _to, was_open = b.suspended.pop(pick)
    b.cur, b.open = art, was_open
    if b.page is not None and b.page not in art.continued_pages:
        art.continued_pages.append(b.page)




def _finish(issue: ParsedIssue, text: str, file_name: str | None) -> None:
    """Post-pass: derived titles, kinds, issue date from file name / inference."""
    issue.explain.sort(key=lambda d: d.line)
    for a in issue.articles:
        if not a.title and not a.kicker and a.paragraphs:
            a.title = _derive_title(a.paragraphs[0])
            a.title_derived = True
            if a.kind == "news":
                a.kind = "brief"
        if a.kind == "news":
            q = sum(1 for p in a.paragraphs if _INTERVIEW_Q.match(p))
            ans = sum(1 for p in a.paragraphs if _INTERVIEW_A.match(p))
            if q >= 2 or (q and ans):
                a.kind = "interview"
            elif a.captions and not a.paragraphs:
                # a photo item (图片新闻): its caption is its body
                a.kind = "photo"
                a.paragraphs, a.original_paragraphs = a.captions, a.original_captions
                a.captions, a.original_captions = [], []
            elif a.section in ("图片新闻", "图片报道", "图说") and len(a.paragraphs) <= 1:
                a.kind = "photo"
    if issue.issue_date is None and file_name:
        issue.issue_date = date_from_file_name(file_name)
        if issue.issue_date:
            issue.issue_date_source = "file_name"
    if issue.issue_date is None:
        issue.issue_date = _infer_date(text)
        if issue.issue_date:
            issue.issue_date_source = "inferred"
            issue.warnings.append("issue date inferred from dates in the text")


def _infer_date(text: str) -> date | None:
    """Latest full date (YYYY年M月D日) in the text; else the most frequent year with the latest
    month/day mentioned. None when the text has no usable date."""
    best: date | None = None
    for m in _DATE_FULL.finditer(text):
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
        if best is None or d > best:
            best = d
    if best:
        return best
    years = Counter(int(y) for y in _YEAR.findall(text))
    if not years:
        return None
    year = years.most_common(1)[0][0]
    for m in _MD.finditer(text):
        try:
            d = date(year, int(m.group(1)), int(m.group(2)))
        except ValueError:
            continue
        if best is None or d > best:
            best = d
    return best


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
