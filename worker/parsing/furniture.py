"""Stage 2: page furniture — the lines a web page or a PDF page adds around the articles.

Found by shape (rules that also work on a one-page paste) and by repetition within the file, never
by a list of one paper's strings (paper names and page names come from ``config/parsing.yaml``):

- ``site footer``: a line with a site-footer word (技术支持, ICP备…号, 新闻信息服务许可证 …);
- ``navigation``: a line made only of navigation words (上一篇　下一篇, 放大　缩小);
- ``site header``: a configured paper name plus a short suffix (浙江工人日报数字报, …·电子版);
- ``footer metadata``: a line with a date (ISO or 年月日) and a page reference or paper name plus
  other text — the digital edition's footer restating paper, page, the article's title and its
  date. It gives the article above its own date and closes it;
- ``page line in a header``: ``3　劳动保障`` / ``劳动保障　3`` next to a masthead or date line, or
  naming a configured page;
- ``repeated furniture``: a short line without sentence punctuation that recurs in the file with
  only numbers, dates or one field (the title) changing, next to another such line.

Returns per line index a dict ``{"kind": debris kind, "rule": str, ...}`` (``page``/``name`` for
page lines, ``article_date`` for dated footers, ``ends_article``); lines not listed are left to
:mod:`worker.parsing.roles`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

from worker.parsing.config import ParsingConfig
from worker.parsing.patterns import _DATE_FULL, _DATE_LINE, _HAN, _MASTHEAD, _PAGE_MARKER, _RUNNING_HEADER, _WS

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_PAGE_REF = re.compile(r"(?:第\s*)?[A-Z]?\d{1,2}\s*版")
_WEEKDAY = re.compile(r"(?:星期|周|礼拜)[一二三四五六日天]")
_FIELD_SPLIT = re.compile(r"[\s|｜>»＞/]+")
_SENTENCE_PUNCT = re.compile(r"[。！？!?；;]")
_DIGITS = re.compile(r"\d+")
_NUMBER_NAME = re.compile(rf"^(?:第\s*)?(\d{{1,2}})(?:\s*版)?[\s:：·|｜]+([{_HAN}·]{{2,8}})$"
                          rf"|^([{_HAN}·]{{2,8}})[\s:：·|｜]+(?:第\s*)?(\d{{1,2}})(?:\s*版)?$")
_DATED_PAGE_HEADER = re.compile(
    rf"^(?:\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日|\d{{4}}-\d{{1,2}}-\d{{1,2}})\s*(?:(?:星期|周)[一二三四五六日天])?"
    rf"[\s|｜]+(?:第\s*)?(?:([{_HAN}]{{2,6}})[\s|｜]+(?:第\s*)?(\d{{1,2}})(?:\s*版)?"
    rf"|(\d{{1,2}})(?:\s*版)?[\s|｜]+([{_HAN}]{{2,6}}))$")
_MAX_FURNITURE = 150  # characters; furniture lines are short


def find_furniture(lines: list[str], cfg: ParsingConfig) -> dict[int, dict]:
    """Furniture lines of ``lines`` (see the module docstring): ``{index: {"kind", "rule", …}}``."""
    out: dict[int, dict] = {}
    for i, raw in enumerate(lines):
        found = _by_shape(raw.strip(), cfg)
        if found:
            out[i] = found
    for i in _repeated(lines, out):
        t = lines[i].strip()
        if _PAGE_MARKER.match(t) or _DATE_LINE.match(t):
            continue  # the roles stage reads their page number / date
        out.setdefault(i, {"kind": "page_header_footer",
                           "rule": "repeated furniture (recurs with only numbers, dates or one field changing)"})
    _page_lines(lines, out, cfg)
    return out


def _by_shape(t: str, cfg: ParsingConfig) -> dict | None:
    if not t or len(t) > _MAX_FURNITURE:
        return None
    compact = _WS.sub("", t)
    if cfg.site_footer.search(t) and not _SENTENCE_PUNCT.search(t) and len(compact) <= 80:
        return {"kind": "site_footer", "rule": "site footer (support / licence / copyright line)"}
    if cfg.navigation.match(t):
        return {"kind": "navigation", "rule": "navigation line (上一篇/下一篇/放大…)"}
    fields = _metadata_fields(t, cfg)
    if fields is not None:
        authors = fields.get("作者")
        if authors:  # 作者：记者 王一 — a credit as well: the roles stage makes it a byline
            return None
        return {"kind": "page_header_footer", "rule": "web page metadata line (来源：/发布时间：…)"}
    for paper in cfg.papers:
        if compact.startswith(paper) and 0 < len(compact) - len(paper) <= 6 \
                and re.fullmatch(rf"[·•\-—_]?[{_HAN}]{{2,5}}", compact[len(paper):]):
            return {"kind": "masthead", "rule": "site header (paper name + edition)"}
    return _dated_footer(t, compact, cfg)


_FIELD_START = re.compile(r"[【\[]?[\u4e00-\u9fff]{1,4}[】\]]?\s*[:：]")


def _metadata_fields(t: str, cfg: ParsingConfig) -> dict[str, str] | None:
    """``{label: value}`` of a line made only of web metadata fields (来源：X　发布时间：Y), else None."""
    if not cfg.metadata.match(t) or len(t) > 100 or _SENTENCE_PUNCT.search(t):
        return None
    starts = [m for m in _FIELD_START.finditer(t) if cfg.metadata.match(t, m.start())]
    fields = {}
    for k, m in enumerate(starts):
        end = starts[k + 1].start() if k + 1 < len(starts) else len(t)
        fields[re.sub(r"[【】\[\]\s:：]", "", m.group())] = t[m.end():end].strip()
    return fields


def _dated_footer(t: str, compact: str, cfg: ParsingConfig) -> dict | None:
    """A footer metadata line: a date, a page reference or paper name, and other text (a title)."""
    if _SENTENCE_PUNCT.search(t):
        return None
    m = _ISO_DATE.search(t) or _DATE_FULL.search(t)
    if not m:
        return None
    has_paper = any(p in compact for p in cfg.papers) or _MASTHEAD.match(_FIELD_SPLIT.split(t)[0] or "")
    if not (_PAGE_REF.search(t) or has_paper):
        return None
    rest = _ISO_DATE.sub("", t)
    rest = _DATE_FULL.sub("", rest)
    rest = _WEEKDAY.sub("", _PAGE_REF.sub("", rest))
    for p in cfg.papers:
        rest = rest.replace(p, "")
    words = [w for w in _FIELD_SPLIT.split(rest) if len(re.findall(f"[{_HAN}]", w)) >= 1]
    if sum(len(w) for w in words) < 6:
        return None  # a running page header (date + paper / page only): left to the roles stage
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        day = None
    return {"kind": "page_header_footer", "rule": "footer metadata line (paper, page, title, date)",
            "article_date": day, "ends_article": True}


def _template(t: str) -> str:
    return _DIGITS.sub("0", _WS.sub(" ", t.strip()))


def _repeated(lines: list[str], known: dict[int, dict]) -> set[int]:
    """Short non-sentence lines that recur (whole, or with one field masked) next to other such lines."""
    groups: dict[object, set[int]] = defaultdict(set)
    for i, raw in enumerate(lines):
        t = raw.strip()
        if not t or len(t) > 80 or _SENTENCE_PUNCT.search(t):
            continue
        tpl = _template(t)
        groups[tpl].add(i)
        fields = _FIELD_SPLIT.split(tpl)
        if 3 <= len(fields) <= 12:
            for k in range(len(fields)):
                groups[(k, tuple(fields[:k]), tuple(fields[k + 1:]))].add(i)
    recurring = set()
    for members in groups.values():
        if len(members) >= 2:
            recurring |= members
    furniture_like = recurring | known.keys()
    return {i for i in recurring
            if _neighbour(lines, i, -1) in furniture_like or _neighbour(lines, i, 1) in furniture_like}


def _neighbour(lines: list[str], i: int, step: int) -> int | None:
    j = i + step
    while 0 <= j < len(lines) and abs(j - i) <= 2:
        if lines[j].strip():
            return j
        j += step
    return None


def _page_lines(lines: list[str], out: dict[int, dict], cfg: ParsingConfig) -> None:
    """``3　劳动保障`` page lines: a configured page name, or any name right after a header line."""
    for i, raw in enumerate(lines):
        t = raw.strip()
        dated = _DATED_PAGE_HEADER.match(t) if len(t) <= 50 else None
        if dated:  # 2025年6月11日 星期三　要闻　3 (a PDF page header on one line)
            num, name = (dated.group(2), dated.group(1)) if dated.group(2) else (dated.group(3), dated.group(4))
            if name in cfg.page_names or not any(c in name for c in "的了是在和"):
                day = _DATE_FULL.match(t) or _ISO_DATE.match(t)
                out[i] = {"kind": "page_marker", "rule": "page header (date, page name, number)",
                          "page": int(num), "name": name, "date": day.groups()}
            continue
        m = _NUMBER_NAME.match(t) if len(t) <= 16 else None
        if not m or _PAGE_MARKER.match(t):
            continue
        num, name = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        prev = _neighbour(lines, i, -1)
        in_header = prev is not None and (
            prev in out or _DATE_LINE.match(lines[prev].strip()) or _RUNNING_HEADER.match(lines[prev].strip())
            or _MASTHEAD.match(_WS.sub("", lines[prev])))
        if name in cfg.page_names or in_header:
            out[i] = {"kind": "page_marker", "rule": "page line in a page header (number + page name)",
                      "page": int(num), "name": name}
