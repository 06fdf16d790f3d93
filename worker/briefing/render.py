"""Render a briefing (简报) to .docx: a plain function of a :class:`BriefingContent` (no DB).

Approach: python-docx throughout, starting from ``templates/briefing.docx``. The template holds
only the *frame* — page setup, odd/even page-number footers and named styles (Normal,
Heading 1/2, ``Briefing …`` styles) — so the office can restyle it in Word; it contains no
template code. Every text that comes from articles enters the document as a run's text through
python-docx (lxml escapes ``& < >``), so it can never be read as markup or template syntax.
If the template file is missing it is built in memory by :func:`build_template_document`
(the same code ``templates/build_template.py`` uses to write it).

Format (GB/T 9704-2012《党政机关公文格式》):

* A4 210×297 mm; margins top 37, bottom 35, left 28, right 26 mm (§5.2.1 版心 156×225 mm);
* body 仿宋_GB2312 三号 16 pt, first-line indent 2 characters, exact line pitch 28.95 pt
  (22 lines per page, §5.2.2); level-1 headings 黑体 三号 ("一、"), level-2 楷体_GB2312 三号
  ("（一）") (§7.3.3); digits and Latin text Times New Roman;
* page numbers "— 1 —" 宋体 四号 14 pt, odd pages right, even pages left, one character in from
  the edge (§7.5) — different odd/even footers (``w:evenAndOddHeaders``) with a PAGE field;
* masthead: red title (方正小标宋简体), 期号, issuing unit left / date right, red rule (§7.2);
* closing block (版记): 报/送/发 and 共印N份 between rules, at the foot of the last page (§7.4).

Word only applies an East Asian font that is named in ``w:rFonts/@w:eastAsia`` — python-docx's
``font.name`` sets only ascii/hAnsi — and theme attributes (``w:asciiTheme``…) override
explicit names, so every run gets explicit ``ascii/hAnsi/cs/eastAsia`` (copied from its style in
the template, so edits of the template in Word still win) and theme attributes are removed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, RGBColor, Twips
from docx.text.paragraph import Paragraph
from PIL import Image

from worker.briefing import charts
from worker.briefing.ooxml import apply_hygiene
from worker.core.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

DEFAULT_TEMPLATE = PROJECT_ROOT / "templates" / "briefing.docx"

# --- GB/T 9704-2012 numbers -----------------------------------------------------------------
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGIN_TOP_MM, MARGIN_BOTTOM_MM, MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 37, 35, 28, 26
TEXT_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156 mm
BODY_PT = 16  # 三号
SMALL_PT = 14  # 四号
LINE_PITCH_PT = 28.95  # 225 mm / 22 lines
MASTHEAD_PT = 44
RED = RGBColor(0xFF, 0x00, 0x00)

FONT_FANGSONG = "仿宋_GB2312"
FONT_HEI = "黑体"
FONT_KAI = "楷体_GB2312"
FONT_SONG = "宋体"
FONT_XBS = "方正小标宋简体"
FONT_LATIN = "Times New Roman"

# Style names used by the renderer (the template must define them; build_template_document does).
S_NORMAL = "Normal"
S_H1 = "Heading 1"
S_H2 = "Heading 2"
S_MARK = "Briefing Mark"
S_MASTHEAD = "Briefing Masthead"
S_NUMBER = "Briefing Number"
S_UNIT = "Briefing Unit Line"
S_TOC_TITLE = "Briefing Contents Title"
S_TOC1 = "Briefing Contents 1"
S_TOC2 = "Briefing Contents 2"
S_META = "Briefing Meta"
S_CAPTION = "Briefing Caption"
S_CHART = "Briefing Chart"
S_TABLE = "Briefing Table"
S_CLOSING = "Briefing Closing"
S_NOTE = "Briefing Editor Note"
S_HIGHLIGHT = "Briefing Highlight"
S_PAGENUM = "Briefing Page Number"

CN_DIGITS = "零一二三四五六七八九"


# ============================================================================================
# Content model (built by worker.briefing.build from the DB, or by hand in tests/benchmarks)


@dataclass
class ArticleEntry:
    """One entry as shown in a briefing. ``figures`` are display strings ("41.6亿元");
    ``source_line`` is 《报名》日期第N版 记者 姓名 (names joined by U+2060); ``same_event`` the source
    lines of the other reports of its event (同题报道); ``ref`` its running number (第N条, 1-based),
    0 when it is only in the appendix; ``late`` marks 补报; ``score`` its importance."""

    title: str
    summary: str = ""
    issue_date: date | None = None
    page: int | None = None
    page_name: str | None = None
    newspaper: str | None = None
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    category: str = "other"
    city: str | None = None
    source_line: str = ""
    same_event: list[str] = field(default_factory=list)
    late: bool = False
    score: float = 0.0
    ref: int = 0
    article_id: int | None = None  # the (head) article's id: what the desk's edits refer to


@dataclass
class TopicSection:
    """Entries of one section (a taxonomy topic), most important first; ``more`` counts the
    entries left out for the section's cap (另有N篇, listed in the appendix)."""

    key: str
    label: str
    articles: list[ArticleEntry] = field(default_factory=list)
    more: int = 0


@dataclass
class Highlight:
    """A line of 本期要情: ``text`` and the running number of the entry it points to."""

    text: str
    ref: int
    article_id: int | None = None


@dataclass
class KeyFigure:
    """A row of the 关键数据 table: ``text`` ("62.3万元"), ``what`` (金额/人数…), ``context`` (a
    short excerpt of the sentence), and the article it comes from."""

    text: str
    what: str
    context: str
    article_title: str
    issue_date: date | None = None
    page: int | None = None


@dataclass
class ClosingBlock:
    """版记: recipients per line (报/送/发) and the number of printed copies (共印N份)."""

    bao: list[str] = field(default_factory=list)
    song: list[str] = field(default_factory=list)
    fa: list[str] = field(default_factory=list)
    copies: int | None = None
    issuing_unit: str = ""


@dataclass
class BriefingContent:
    """Everything a briefing shows. Dates are inclusive; ``made_on`` is the date printed in the
    masthead and the 印发 line (the period's due date). ``empty_note`` set → a short briefing (no
    sections). ``*_counts`` feed the charts as ``(label, count)`` pairs (weekly/monthly only);
    ``appendix`` is the 本期文章目录 (weekly/monthly, when configured)."""

    kind: str
    kind_label: str
    title: str
    issuing_unit: str
    year: int
    number: int
    period_start: date
    period_end: date
    made_on: date
    version: int = 1
    total_number: int | None = None
    internal_mark: str | None = None
    issue_count: int = 0
    article_count: int = 0
    highlights: list[Highlight] = field(default_factory=list)
    editor_note: str | None = None
    sections: list[TopicSection] = field(default_factory=list)
    key_figures: list[KeyFigure] = field(default_factory=list)
    topic_counts: list[tuple[str, int]] = field(default_factory=list)
    city_counts: list[tuple[str, int]] = field(default_factory=list)
    appendix: list[ArticleEntry] = field(default_factory=list)
    closing: ClosingBlock | None = None
    contact: tuple[str, str] | None = None
    empty_note: str | None = None
    charts: bool = True
    chart_font: str | None = None
    signer: str | None = None  # 签发人, printed on the masthead once signed (issue 19)
    left_out: list[ArticleEntry] = field(default_factory=list)  # entries not shown (desk may include)


# ============================================================================================
# Small text helpers


def cn_number(n: int) -> str:
    """Chinese numeral for 1..999 (一, 十, 十一, 二十三, 一百零五); other numbers fall back to digits.
    One notation throughout: a briefing never goes from （九十九） to （100）."""
    if n <= 0 or n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    if hundreds:
        if not rest:
            return CN_DIGITS[hundreds] + "百"
        return CN_DIGITS[hundreds] + "百" + ("零" + CN_DIGITS[rest] if rest < 10 else
                                           "一" + cn_number(rest) if rest < 20 else cn_number(rest))
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_DIGITS[ones]
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def cn_date(d: date) -> str:
    """``2024年12月24日`` (Arabic numerals, GB/T 9704-2012 §7.3.5.3)."""
    return f"{d.year}年{d.month}月{d.day}日"


def period_text(kind: str, start: date, end: date) -> str:
    """Human period: ``2024年12月24日`` / ``2024年12月23日至29日`` / ``2024年12月``."""
    if kind == "daily" or start == end:
        return cn_date(start)
    if kind == "monthly":
        return f"{start.year}年{start.month}月"
    if start.year != end.year:
        return f"{cn_date(start)}至{cn_date(end)}"
    if start.month != end.month:
        return f"{cn_date(start)}至{end.month}月{end.day}日"
    return f"{cn_date(start)}至{end.day}日"


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: object) -> str:
    """Text safe for an XML run: drops control characters python-docx would refuse."""
    return _XML_BAD.sub("", "" if text is None else str(text))


# ============================================================================================
# Low-level XML helpers

# Child order of w:pPr (ECMA-376 Part 1, §17.3.1.26 CT_PPrBase), as python-docx uses it.
_PPR_SEQ = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
    "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
    "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
    "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
    "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
    "w:sectPr", "w:pPrChange",
)

_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _set_rfonts(rpr, east_asia: str, latin: str) -> None:
    """Set explicit fonts on an ``w:rPr`` and drop theme font attributes (which would win)."""
    rfonts = rpr.get_or_add_rFonts()
    for attr in _THEME_ATTRS:
        key = qn(attr)
        if key in rfonts.attrib:
            del rfonts.attrib[key]
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)


def _strip_theme_fonts(element) -> None:
    for rfonts in element.iter(qn("w:rFonts")):
        for attr in _THEME_ATTRS:
            key = qn(attr)
            if key in rfonts.attrib:
                del rfonts.attrib[key]


def _insert_ppr_child(ppr, child) -> None:
    """Insert ``child`` into ``w:pPr`` honouring the schema order (Word rejects wrong order)."""
    seq = _PPR_SEQ
    tag = child.tag
    names = [qn(t) for t in seq]
    existing = ppr.find(tag)
    if existing is not None:
        ppr.remove(existing)
    idx = names.index(tag)
    successors = seq[idx + 1:]
    ppr.insert_element_before(child, *successors)


def _border(edge: str, sz_eighths: int, color: str = "000000", space: int = 1):
    el = OxmlElement(f"w:{edge}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(sz_eighths))  # eighths of a point
    el.set(qn("w:space"), str(space))
    el.set(qn("w:color"), color)
    return el


def _set_pborders(ppr, **edges: tuple[int, str]) -> None:
    """Paragraph borders, e.g. ``bottom=(12, "FF0000")`` (size in 1/8 pt, RGB hex)."""
    pbdr = OxmlElement("w:pBdr")
    for edge in ("top", "left", "bottom", "right", "between"):
        if edge in edges:
            sz, color = edges[edge]
            pbdr.append(_border(edge, sz, color, space=4 if edge == "bottom" else 1))
    _insert_ppr_child(ppr, pbdr)


def _set_first_line_chars(ppr, chars: int) -> None:
    """Add ``w:firstLineChars`` (1/100 character) so the indent follows the font size in Word."""
    ind = ppr.get_or_add_ind()
    ind.set(qn("w:firstLineChars"), str(chars * 100))


# ============================================================================================
# Template (styles and page frame)


def _para_style(doc: DocxDocument, name: str, *, base: str | None = S_NORMAL):
    styles = doc.styles
    try:
        st = styles[name]
    except KeyError:
        st = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base and name != base:
        st.base_style = styles[base]
    st.quick_style = True
    return st


def _style_fmt(st, *, east_asia: str, latin: str = FONT_LATIN, size: float = BODY_PT,
               bold: bool = False, color: RGBColor | None = None, align=None,
               first_line_chars: int | None = None, exact_pt: float | None = LINE_PITCH_PT,
               before: float = 0, after: float = 0, left_pt: float | None = None,
               right_pt: float | None = None, keep_next: bool = False) -> None:
    font = st.font
    font.size = Pt(size)
    font.bold = bold
    font.italic = False
    rpr = st.element.get_or_add_rPr()
    _set_rfonts(rpr, east_asia, latin)
    old_color = rpr.find(qn("w:color"))
    if old_color is not None:
        rpr.remove(old_color)
    if color is not None:
        font.color.rgb = color
    pf = st.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if exact_pt:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(exact_pt)
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if align is not None:
        pf.alignment = align
    # Explicit 0 when not indented, or the 2-character indent of Normal would be inherited.
    pf.first_line_indent = Pt(size * (first_line_chars or 0))
    _set_first_line_chars(st.element.get_or_add_pPr(), first_line_chars or 0)
    if left_pt is not None:
        pf.left_indent = Pt(left_pt)
    if right_pt is not None:
        pf.right_indent = Pt(right_pt)
    pf.keep_with_next = keep_next
    pf.widow_control = True


def _page_number_paragraph(paragraph: Paragraph, doc_align, indent_side: str) -> None:
    """Fill a footer paragraph with ``— PAGE —`` (宋体 四号) aligned to one side, one character
    (14 pt) in from the edge (GB/T 9704-2012 §7.5)."""
    paragraph.alignment = doc_align
    if indent_side == "right":
        paragraph.paragraph_format.right_indent = Pt(SMALL_PT)
    else:
        paragraph.paragraph_format.left_indent = Pt(SMALL_PT)

    def run(text: str | None = None):
        r = paragraph.add_run(text)
        _set_rfonts(r._r.get_or_add_rPr(), FONT_SONG, FONT_SONG)
        r.font.size = Pt(SMALL_PT)
        return r

    run("— ")
    r = run()
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), "begin")
    r._r.append(fld)
    r = run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    r._r.append(instr)
    r = run()
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), "separate")
    r._r.append(fld)
    run("1")
    r = run()
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), "end")
    r._r.append(fld)
    run(" —")


def build_template_document() -> DocxDocument:
    """Build the default briefing template (page setup, footers, styles) with python-docx.

    Returns an unsaved python-docx Document whose body is empty. Sizes: page and margins in mm
    (GB/T 9704-2012 §5.2), fonts in pt. ``templates/build_template.py`` saves it to
    ``templates/briefing.docx``.
    """
    doc = Document()
    styles_el = doc.styles.element
    _strip_theme_fonts(styles_el)
    # Document defaults: 仿宋 / Times New Roman, 三号, Chinese language.
    rpr_default = styles_el.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_rfonts(rpr_default, FONT_FANGSONG, FONT_LATIN)
    for tag, val in (("w:sz", BODY_PT * 2), ("w:szCs", BODY_PT * 2)):
        el = rpr_default.find(qn(tag))
        if el is not None:
            el.set(qn("w:val"), str(val))
    lang = rpr_default.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    ppr_default = styles_el.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    sp = ppr_default.find(qn("w:spacing"))
    if sp is not None:
        ppr_default.remove(sp)

    normal = _para_style(doc, S_NORMAL, base=None)
    _style_fmt(normal, east_asia=FONT_FANGSONG, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2)
    h1 = _para_style(doc, S_H1)
    _style_fmt(h1, east_asia=FONT_HEI, first_line_chars=2, keep_next=True)
    h2 = _para_style(doc, S_H2)
    _style_fmt(h2, east_asia=FONT_KAI, first_line_chars=2, keep_next=True,
               align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    for name, kw in (
        (S_MARK, dict(east_asia=FONT_HEI, exact_pt=None, after=6)),
        (S_NOTE, dict(east_asia=FONT_KAI, first_line_chars=2)),
        (S_HIGHLIGHT, dict(east_asia=FONT_FANGSONG, first_line_chars=2)),
        (S_MASTHEAD, dict(east_asia=FONT_XBS, size=MASTHEAD_PT, color=RED, exact_pt=None,
                          align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=6)),
        (S_NUMBER, dict(east_asia=FONT_FANGSONG, exact_pt=None, align=WD_ALIGN_PARAGRAPH.CENTER,
                        after=12)),
        (S_UNIT, dict(east_asia=FONT_FANGSONG, exact_pt=None, after=18)),
        (S_TOC_TITLE, dict(east_asia=FONT_HEI, align=WD_ALIGN_PARAGRAPH.CENTER, keep_next=True)),
        (S_TOC1, dict(east_asia=FONT_HEI, size=SMALL_PT, exact_pt=24, keep_next=True)),
        (S_TOC2, dict(east_asia=FONT_FANGSONG, size=SMALL_PT, exact_pt=24, left_pt=2 * SMALL_PT)),
        (S_META, dict(east_asia=FONT_KAI, size=SMALL_PT, exact_pt=24, first_line_chars=2)),
        (S_CAPTION, dict(east_asia=FONT_KAI, size=SMALL_PT, exact_pt=24,
                         align=WD_ALIGN_PARAGRAPH.CENTER, after=6)),
        (S_CHART, dict(east_asia=FONT_FANGSONG, exact_pt=None, align=WD_ALIGN_PARAGRAPH.CENTER,
                       before=6, keep_next=True)),
        (S_TABLE, dict(east_asia=FONT_FANGSONG, size=12, exact_pt=None)),
        (S_CLOSING, dict(east_asia=FONT_FANGSONG, size=SMALL_PT, exact_pt=None, left_pt=SMALL_PT,
                         right_pt=SMALL_PT, before=3, after=3, keep_next=True)),
        (S_PAGENUM, dict(east_asia=FONT_SONG, latin=FONT_SONG, size=SMALL_PT, exact_pt=None)),
    ):
        _style_fmt(_para_style(doc, name), **kw)
    # Issuing unit left, date right (right tab at the text width), red rule beneath (§7.2).
    unit = doc.styles[S_UNIT]
    unit.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    _set_pborders(unit.element.get_or_add_pPr(), bottom=(12, "FF0000"))
    closing = doc.styles[S_CLOSING]
    closing.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM) - Pt(2 * SMALL_PT),
                                                    WD_TAB_ALIGNMENT.RIGHT)

    _page_frame(doc)
    doc.core_properties.title = "工会信息简报"
    doc.core_properties.author = "union-briefing"
    _strip_theme_fonts(styles_el)
    return doc


def _page_frame(doc: DocxDocument) -> None:
    """Page: A4, GB/T 9704 margins, footers 7 mm below the text block, odd/even page numbers."""
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    sec.top_margin, sec.bottom_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
    sec.left_margin, sec.right_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
    sec.header_distance = Mm(15)
    sec.footer_distance = Mm(23)
    grid = sec._sectPr.find(qn("w:docGrid"))
    if grid is not None:  # no snapping grid: the exact line spacing of the styles sets the pitch
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))
    doc.settings.odd_and_even_pages_header_footer = True
    odd = sec.footer
    odd.is_linked_to_previous = False
    p = odd.paragraphs[0]
    p.style = doc.styles[S_PAGENUM]
    _page_number_paragraph(p, WD_ALIGN_PARAGRAPH.RIGHT, "right")
    even = sec.even_page_footer
    even.is_linked_to_previous = False
    p = even.paragraphs[0]
    p.style = doc.styles[S_PAGENUM]
    _page_number_paragraph(p, WD_ALIGN_PARAGRAPH.LEFT, "left")


def load_template(path: Path | None = None) -> DocxDocument:
    """Open the briefing template (``templates/briefing.docx`` by default) with its body
    emptied; build the default one in memory when the file does not exist. Either way the
    .docx hygiene of :func:`worker.briefing.ooxml.apply_hygiene` is applied."""
    path = Path(path) if path else DEFAULT_TEMPLATE
    if path.is_file():
        doc = Document(str(path))
        body = doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        _strip_theme_fonts(doc.styles.element)
        return apply_hygiene(doc)
    return apply_hygiene(build_template_document())


# ============================================================================================
# Renderer


class _Writer:
    """Appends styled paragraphs to a document; every run gets explicit fonts from its style."""

    def __init__(self, doc: DocxDocument):
        self.doc = doc
        self._fonts: dict[str, tuple[str, str]] = {}
        self._styles: dict[str, object] = {}
        self._sect_pr = None

    def style(self, name: str):
        st = self._styles.get(name)
        if st is None:
            try:
                st = self.doc.styles[name]
            except KeyError:
                log.warning("template has no style %r; using Normal", name)
                st = self.doc.styles[S_NORMAL]
            self._styles[name] = st
        return st

    def fonts(self, name: str) -> tuple[str, str]:
        """(eastAsia, latin) font names of a style, following ``w:basedOn``."""
        hit = self._fonts.get(name)
        if hit:
            return hit
        east, latin = None, None
        st = self.style(name)
        while st is not None and (east is None or latin is None):
            rpr = st.element.rPr
            rfonts = rpr.rFonts if rpr is not None else None
            if rfonts is not None:
                east = east or rfonts.get(qn("w:eastAsia"))
                latin = latin or rfonts.get(qn("w:ascii"))
            st = st.base_style
        self._fonts[name] = (east or FONT_FANGSONG, latin or FONT_LATIN)
        return self._fonts[name]

    def para(self, style: str, *parts: str | tuple[str, str], align=None) -> Paragraph:
        """A paragraph of ``style``; a part may be ``(text, font_style)`` to borrow the fonts of
        another style for that run (e.g. a 黑体 label inside a 楷体 line)."""
        # Insert before the body's final w:sectPr directly: Document.add_paragraph looks that element
        # up by scanning the whole body each time, which made a 10,000-article briefing quadratic.
        if self._sect_pr is None:
            self._sect_pr = self.doc.element.body.sectPr
        if self._sect_pr is None:
            p = self.doc.add_paragraph(style=self.style(style))
        else:
            element = OxmlElement("w:p")
            self._sect_pr.addprevious(element)
            p = Paragraph(element, self.doc._body)
            p.style = self.style(style)
        if align is not None:
            p.alignment = align
        for part in parts:
            text, fstyle = (part, style) if isinstance(part, str) else part
            self.run(p, text, fstyle)
        return p

    def run(self, p: Paragraph, text: str, font_style: str):
        r = p.add_run(clean(text))
        east, latin = self.fonts(font_style)
        _set_rfonts(r._r.get_or_add_rPr(), east, latin)
        return r


def _masthead(w: _Writer, c: BriefingContent) -> None:
    """版头 (GB/T 9704-2012 §7.2): mark, red title, 第N期 (总第N期), issuing unit left and the
    date right above the red rule."""
    if c.internal_mark:
        w.para(S_MARK, c.internal_mark)
    p = w.para(S_MASTHEAD, c.title)
    color = w.style(S_MASTHEAD).font.color
    rgb = color.rgb if color is not None and color.type is not None else RED
    for r in p.runs:  # explicit on the runs too, so every reader sees the red
        r.font.color.rgb = rgb
    number = f"{c.year}年第{c.number}期（{c.kind_label}）" if c.number else f"{c.year}年（{c.kind_label}）待签发稿"
    if c.total_number and c.number:
        number += f"  总第{c.total_number}期"
    if c.version > 1:  # not "第2版": 版 is a newspaper page in the same document (第1版 要闻)
        number += " 修订稿" if c.version == 2 else f" 第{c.version - 1}次修订稿"
    w.para(S_NUMBER, number)
    signer = f"  签发人：{c.signer}" if c.signer else ""
    w.para(S_UNIT, f"{c.issuing_unit}{signer}\t{cn_date(c.made_on)}")


def _front(w: _Writer, c: BriefingContent) -> None:
    """Page 1 after the masthead: the optional 编者按, then 本期要情, one line per highlight ending
    with the number of its entry (（见第N条）)."""
    if c.editor_note:
        w.para(S_NOTE, ("编者按：", S_H1), c.editor_note)
    if c.highlights:
        w.para(S_TOC_TITLE, "本期要情")
        for h in c.highlights:
            w.para(S_HIGHLIGHT, f"{h.text}（见第{cn_number(h.ref)}条）")


def _entry(w: _Writer, a: ArticleEntry) -> None:
    """One entry: （N）headline, its source line (kept with the heading and the first lines),
    同题报道N篇 with the other reports' sources, the summary and the figures."""
    w.para(S_H2, f"（{cn_number(a.ref)}）{a.title}" + ("（补报）" if a.late else ""))
    # left-aligned: a justified line that ends in a manual break is spread across the line
    if a.source_line:
        p = w.para(S_META, wrap_source_line(a.source_line), align=WD_ALIGN_PARAGRAPH.LEFT)
        p.paragraph_format.keep_with_next = True
    if a.same_event:
        label = f"同题报道{len(a.same_event) + 1}篇"
        more = "等" if len(a.same_event) > SAME_EVENT_SHOWN else ""
        text = wrap_source_line(label + "，另见" + "；".join(a.same_event[:SAME_EVENT_SHOWN]) + more + "。")
        w.para(S_META, (label, S_TOC1), text[len(label):], align=WD_ALIGN_PARAGRAPH.LEFT)
    if a.summary:
        w.para(S_NORMAL, a.summary)
    if a.figures:
        w.para(S_META, ("关键数据：", S_TOC1), "；".join(a.figures))


#: Other reports of an event whose sources an entry lists (then 等).
SAME_EVENT_SHOWN = 3
#: Characters of 四号 (14 pt) on a line of the text block (156 mm), and on a first line indented
#: two characters.
META_CHARS_PER_LINE = int(Mm(TEXT_WIDTH_MM).pt // SMALL_PT)  # 31
META_FIRST_LINE_CHARS = META_CHARS_PER_LINE - 2
#: Characters of slack per line for what the width estimate cannot know (digit widths, spacing
#: between CJK and Latin text, punctuation compression), so the reader never wraps first.
META_SLACK_CHARS = 2.5


def _width(text: str) -> float:
    """Printed width in characters: CJK and full-width 1, Latin and digits ½, word joiners 0."""
    return sum(0 if ch == "\u2060" else 0.5 if ch < "\u2e80" else 1 for ch in text)


def wrap_source_line(line: str) -> str:
    """``line`` (space-separated: where, then roles and names; or the 同题报道 line) with a line break (``\n``, a
    ``w:br``) before the first word that would run past the line end, so no name is ever split
    across lines — also where a reader ignores the word joiners inside names (LibreOffice's CJK
    line breaking does)."""
    out, room = "", META_FIRST_LINE_CHARS - META_SLACK_CHARS
    for word in line.split(" "):
        piece = (" " if out and not out.endswith("\n") else "") + word
        if out and _width(piece) > room:
            out += "\n" + word
            room = META_CHARS_PER_LINE - META_SLACK_CHARS - _width(word)
        else:
            out += piece
            room -= _width(piece)
    return out


def _appendix(w: _Writer, c: BriefingContent) -> None:
    """附：本期文章目录 on its own page: every article of the period (duplicates merged), by
    section, with its date and page."""
    p = w.para(S_TOC_TITLE, "附：本期文章目录")
    p.paragraph_format.page_break_before = True
    for a in c.appendix:
        where = f"{a.issue_date.month}月{a.issue_date.day}日" if a.issue_date else ""
        where += f"第{a.page}版" if a.page else ""
        w.para(S_TOC2, f"{a.title}（{where}）" if where else a.title)


def _repeat_as_header(row) -> None:
    """Repeat ``row`` at the top of every page the table runs onto (``w:tblHeader``, ECMA-376
    §17.4.49)."""
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _key_figure_table(w: _Writer, c: BriefingContent, heading_no: int) -> None:
    w.para(S_H1, f"{cn_number(heading_no)}、关键数据")
    table = w.doc.add_table(rows=1, cols=4)
    with contextlib.suppress(KeyError):
        table.style = w.doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = (Mm(32), Mm(14), Mm(62), Mm(48))  # = 156 mm text width
    for col, width in zip(table.columns, widths, strict=True):
        col.width = width  # w:gridCol, which LibreOffice uses
    _repeat_as_header(table.rows[0])
    head = ("数据", "类别", "内容", "出处")
    for cell, text, width in zip(table.rows[0].cells, head, widths, strict=True):
        cell.width = width
        p = cell.paragraphs[0]
        p.style = w.style(S_TABLE)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        w.run(p, text, S_TOC1).bold = True
    for kf in c.key_figures:
        where = kf.article_title
        if kf.issue_date:
            where += f"（{kf.issue_date.month}月{kf.issue_date.day}日" + (
                f"第{kf.page}版）" if kf.page else "）")
        cells = table.add_row().cells
        for cell, text, width in zip(cells, (kf.text, kf.what, kf.context, where), widths, strict=True):
            cell.width = width
            p = cell.paragraphs[0]
            p.style = w.style(S_TABLE)
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT  # justified CJK in narrow cells spreads characters apart
            w.run(p, text, S_TABLE)
    w.para(S_CAPTION, "注：按金额、人数等分类取本期数值最大者。")


#: The two charts together take well under a page (版心 225 mm), so they share the page the text
#: ends on rather than leave it mostly blank: each at most this high, with its top 8 bars.
CHART_MAX_HEIGHT_MM = 65
CHART_BARS = 8


def _charts(w: _Writer, c: BriefingContent, heading_no: int) -> None:
    """数据图表 (weekly/monthly): articles per topic and per city over the period, at most one
    page; a chart whose bars are all 1 says nothing and is left out."""
    specs = [(t, data[:CHART_BARS]) for t, data in (("各主题文章数", c.topic_counts), ("各地文章数", c.city_counts))
             if data and max(v for _, v in data) >= 2]
    if not specs:
        return
    w.para(S_H1, f"{cn_number(heading_no)}、数据图表")
    font = charts.find_cjk_font(c.chart_font)
    if font is None:
        msg = ("未找到可用的中文字体，本期图表从略（可设置环境变量 BRIEFING_CJK_FONT 指向中文字体文件，"
               "或安装 fonts-noto-cjk）。")
        log.warning("briefing charts omitted: no CJK font found (set BRIEFING_CJK_FONT or install "
                    "fonts-noto-cjk); candidates: %s",
                    ", ".join(str(p) for p in charts.font_candidates(c.chart_font)))
        w.para(S_NORMAL, msg)
        return
    for i, (title, data) in enumerate(specs, 1):
        png = charts.bar_chart([d[0] for d in data], [d[1] for d in data], title, font, horizontal=True)
        with Image.open(io.BytesIO(png)) as im:
            width_px, height_px = im.size
        width = min(150.0, CHART_MAX_HEIGHT_MM * width_px / height_px)
        p = w.para(S_CHART)
        w.run(p, "", S_CHART).add_picture(io.BytesIO(png), width=Mm(width))
        w.para(S_CAPTION, f"图{i}  {title}")


_TBLPR_SEQ = ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
              "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders",
              "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")


def _set_tblpr_child(tbl_pr, child) -> None:
    """Put ``child`` into ``w:tblPr`` in schema order (ECMA-376 §17.4.60), replacing its kind."""
    existing = tbl_pr.find(child.tag)
    if existing is not None:
        tbl_pr.remove(existing)
    tbl_pr.insert_element_before(child, *_TBLPR_SEQ[[qn(t) for t in _TBLPR_SEQ].index(child.tag) + 1:])


def _element(tag: str, **attrs: str):
    el = OxmlElement(tag)
    for key, value in attrs.items():
        el.set(qn(f"w:{key}"), value)
    return el


#: 版记 rules (GB/T 9704-2012 §7.4): first and last thick (0.35 mm ≈ 1 pt), the one between
#: recipients and the printing line thin (0.25 mm ≈ 0.75 pt); in eighths of a point.
CLOSING_THICK, CLOSING_THIN = 8, 6
#: Width of the 版记 in mm. §7.4 wants the rules as wide as the text block (156 mm), but LibreOffice
#: (7.4, which makes our PDFs) imports a floating table within ~4.7 mm of the text width as an
#: ordinary inline table, and the block would no longer sit at the page foot: measured, 151.0 mm
#: floats, 151.3 mm does not. So 151 mm, centred: 2.5 mm short on each side.
CLOSING_WIDTH_MM = 151.0
#: A floating table cannot continue on the next page: a 版记 longer than this many lines is laid
#: out inline after the content instead, so nothing is cut.
CLOSING_MAX_FLOAT_LINES = 12


def _closing_line_chars(width_mm: float) -> float:
    """Characters of 四号 (14 pt) on a line of a 版记 ``width_mm`` wide (14 pt indents each side)."""
    return (Mm(width_mm).pt - 2 * SMALL_PT) / SMALL_PT


#: Whole characters on a line of the floating 版记: 151 mm less the indents is 400 pt, 28.6.
CLOSING_CHARS_PER_LINE = int(_closing_line_chars(CLOSING_WIDTH_MM))  # 28


def _em(text: str) -> float:
    """Width of ``text`` in characters of its size: CJK and full-width 1, Latin and digits ½."""
    return sum(0.5 if ch < "\u2e80" else 1 for ch in text)


def _closing_tab(p: Paragraph, style, width: Length) -> None:
    """Give the 版记 paragraph ``p`` (in a cell ``width`` wide, no cell margins) one right tab stop
    at its text edge — ``width`` less the style's right indent — clearing the style's own stops
    for it (``WD_TAB_ALIGNMENT.CLEAR``)."""
    tabs = p.paragraph_format.tab_stops
    edge = Twips(width.twips - Length(style.paragraph_format.right_indent or 0).twips)
    for stop in style.paragraph_format.tab_stops:
        if stop.position != edge:
            tabs.add_tab_stop(stop.position, WD_TAB_ALIGNMENT.CLEAR)
    tabs.add_tab_stop(edge, WD_TAB_ALIGNMENT.RIGHT)


def _closing(w: _Writer, c: BriefingContent) -> None:
    """版记 at the foot of the last page (GB/T 9704-2012 §7.4): a one-column table floating at the
    bottom margin (``w:tblpPr`` vertAnchor=margin, tblpYSpec=bottom), rows 报/送/发, 联系人/电话
    (with 共印N份) and the printing line (issuing unit, ``YYYY年M月D日印发``), ruled by the
    table's own borders (paragraph borders are lost when LibreOffice
    turns a framed paragraph into a frame). Longer than :data:`CLOSING_MAX_FLOAT_LINES` (estimated at
    :data:`CLOSING_CHARS_PER_LINE` characters a line), it follows the content inline at the full text
    width, since a floating table cannot break across pages. The printing line's 印发 date sits at its
    own right tab stop at the cell's text edge (cell width less the right indent): the style's stop
    (text width − 2 characters) lies beyond the 151 mm table's edge and would wrap it; an issuing
    unit too long to share the line puts it on the next line, whole."""
    cl = c.closing
    if cl is None:
        return
    rows = [f"{label}：{'，'.join(names)}。" for label, names in (("报", cl.bao), ("送", cl.song),
                                                               ("发", cl.fa)) if names]
    if c.contact or cl.copies:
        name, phone = c.contact or ("", "")
        rows.append("  ".join(b for b in (f"联系人：{name}" if name else "", f"电话：{phone}" if phone else "",
                                          f"（共印{cl.copies}份）" if cl.copies else "") if b))
    # The printing line (§7.4.3): the issuing unit left, 印发 date right.
    unit, copies = cl.issuing_unit or "", f"{cn_date(c.made_on)}印发"

    def printing_line(width_mm: float) -> str:
        # Too long for one line: the 印发 date goes right-aligned on a line of its own, not broken.
        apart = bool(copies) and _em(unit) + _em(copies) > _closing_line_chars(width_mm)
        return unit + ("\n" if apart else "") + ("\t" + copies if copies else "")

    rows.append(printing_line(CLOSING_WIDTH_MM))
    lines = sum(-(-max(len(line), 1) // CLOSING_CHARS_PER_LINE) for r in rows for line in r.split("\n"))
    floating = lines <= CLOSING_MAX_FLOAT_LINES
    if not floating:
        rows[-1] = printing_line(TEXT_WIDTH_MM)
        w.para(S_NORMAL, "")  # a blank line between the content and an inline 版记
    table = w.doc.add_table(rows=len(rows), cols=1)
    table.autofit = False
    width = Mm(CLOSING_WIDTH_MM if floating else TEXT_WIDTH_MM)
    table.columns[0].width = width
    tbl_pr = table._tbl.tblPr
    if floating:
        _set_tblpr_child(tbl_pr, _element("w:tblpPr", vertAnchor="margin", horzAnchor="margin",
                                          tblpXSpec="center", tblpYSpec="bottom"))
    _set_tblpr_child(tbl_pr, _element("w:tblW", w=str(width.twips), type="dxa"))
    borders = _element("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        thick = edge in ("top", "bottom")
        borders.append(_element(f"w:{edge}", val="single" if thick else "nil",
                                sz=str(CLOSING_THICK if thick else 0), space="0", color="000000"))
    _set_tblpr_child(tbl_pr, borders)
    _set_tblpr_child(tbl_pr, _element("w:tblLayout", type="fixed"))
    margins = _element("w:tblCellMar")
    for edge in ("left", "right"):
        margins.append(_element(f"w:{edge}", w="0", type="dxa"))
    _set_tblpr_child(tbl_pr, margins)
    for i, (row, text) in enumerate(zip(table.rows, rows, strict=True)):
        cell = row.cells[0]
        cell.width = width
        row._tr.get_or_add_trPr().append(_element("w:cantSplit"))  # a row never breaks across pages
        if i == len(rows) - 1 and len(rows) > 1:  # thin rule above the printing line
            tc_borders = _element("w:tcBorders")
            tc_borders.append(_element("w:top", val="single", sz=str(CLOSING_THIN), space="0",
                                       color="000000"))
            cell._tc.get_or_add_tcPr().append(tc_borders)
        p = cell.paragraphs[0]
        p.style = w.style(S_CLOSING)
        if i == len(rows) - 1:
            _closing_tab(p, w.doc.styles[S_CLOSING], width)
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT  # a justified line ending in a break is stretched
        w.run(p, text, S_CLOSING)
    # A floating table is anchored to the paragraph after it: LibreOffice drops one that ends the
    # body, and Word needs a paragraph after every table anyway.
    w.para(S_NORMAL, "")


def render_document(content: BriefingContent, template: Path | None = None) -> DocxDocument:
    """Build the python-docx Document for ``content`` (see :func:`render`)."""
    c = content
    doc = load_template(template)
    doc.core_properties.title = f"{c.title} {c.year}年第{c.number}期（{c.kind_label}）"
    w = _Writer(doc)
    _masthead(w, c)
    if c.empty_note is not None:
        w.para(S_NORMAL, c.empty_note)
    else:
        _front(w, c)
        for n, sec in enumerate(c.sections, 1):
            w.para(S_H1, f"{cn_number(n)}、{sec.label}")
            for a in sec.articles:
                _entry(w, a)
            if sec.more:
                w.para(S_META, f"另有{sec.more}篇" + ("，见附录。" if c.appendix else "。"))
        n = len(c.sections)
        if c.key_figures:
            n += 1
            _key_figure_table(w, c, n)
        if c.charts and c.article_count:
            _charts(w, c, n + 1)
        if c.appendix:
            _appendix(w, c)
    _closing_section(w)
    _closing(w, c)
    return doc


def _closing_section(w: _Writer) -> None:
    """Start the 版记's own section on an even page (GB/T 9704-2012 §7.4–7.5: the 版记 is on the
    last page, an even page; a blank page put before it and the 版记 page carry no page number):
    section type ``evenPage`` (the reader inserts the blank page when the text ends on an even
    page) with footers of its own that hold no PAGE field."""
    w.doc.add_section(WD_SECTION.EVEN_PAGE)  # the text's section ends at the last paragraph
    # The section opens with a paragraph: LibreOffice moves a floating table that opens a section
    # into the section before, and the page break is lost.
    w.para(S_NORMAL, "")
    sec = w.doc.sections[-1]
    sec.start_type = WD_SECTION.EVEN_PAGE
    for footer in (sec.footer, sec.even_page_footer, sec.first_page_footer):
        footer.is_linked_to_previous = False  # a new, empty footer: no page number
    for header in (sec.header, sec.even_page_header):
        header.is_linked_to_previous = False


def render(content: BriefingContent, template: Path | None = None) -> bytes:
    """Render ``content`` to .docx bytes (a plain function: no DB, no files written).

    ``template``: path of the Word template (default ``templates/briefing.docx``; built in memory
    if missing). Charts need a CJK font (see :mod:`worker.briefing.charts`); without one they are
    omitted with a note in the document. Raises whatever python-docx raises on a broken template.
    """
    buf = io.BytesIO()
    render_document(content, template).save(buf)
    return buf.getvalue()
