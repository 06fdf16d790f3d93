"""Stage 3: each line's role, tagged on its own (masthead, page marker, byline, headline
candidate, text …); page furniture found by :mod:`worker.parsing.furniture` wins."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from worker.parsing.config import parsing_config
from worker.parsing.credits import _match_byline, _parse_credits, glued_credit, names_line, names_to_authors
from worker.parsing.patterns import (
    _BULLET,
    _BYLINE_BRACKET,
    _BYLINE_ONLY,
    _COMMENTARY,
    _CONT_BARE,
    _CONT_DOWN,
    _CONT_UP,
    _DATE_LINE,
    _EDITOR,
    _END_MARK,
    _INTERVIEW_A,
    _INTERVIEW_Q,
    _LEAD_TIME,
    _MASTHEAD,
    _PAGE_BRACKETS,
    _PAGE_IN_LINE,
    _PAGE_MARKER,
    _PAGE_NUMBER,
    _PHOTO_TAIL,
    _RUNNING_HEADER,
    _SOURCE_ONLY,
    _WS,
    _headline_score,
    _is_rule,
    _num,
)

# A picture's caption by its opening words: 图为… / 上图… / 图①…
_CAPTION_OPENER = re.compile(r"^(?:图为|图中|上图|下图|左图|右图|图[①-⑩一二三四五六1-9][：:，,、为]?)(?![片表书])")


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



def tag_lines(lines: list[str], hints: set[int], indent_mode: bool,
              furniture: dict[int, dict] | None = None) -> tuple[list[_Line], str | None]:
    """One :class:`_Line` per input line with its role (``kind``), and the masthead text (or None).

    ``furniture`` (from :func:`worker.parsing.furniture.find_furniture`) decides first: those
    lines become ``debris:<kind>`` with the furniture rule in ``data["rule"]``. The other lines are
    tagged on their own (``hints`` = docx heading lines), except that in a hard-wrapped text (see
    :func:`wrap_width`) a full-width line and the line right after it are body text.
    """
    furniture = furniture or {}
    width = wrap_width(lines)
    state = {"masthead": None, "seen": 0}
    out: list[_Line] = []
    for i, raw in enumerate(lines):
        t = raw.strip()
        ln = _Line(i, raw, t, "text", indented=bool(raw) and raw[0] in "\u3000 \t" and bool(t))
        out.append(ln)
        if not t:
            ln.kind = "blank"
        elif i in furniture:
            ln.kind = "debris:" + furniture[i]["kind"]
            ln.data.update(furniture[i])
            if ln.kind == "debris:masthead" and state["masthead"] is None:
                state["masthead"] = _WS.sub("", t)  # a digital edition's site header
        elif _is_rule(t):
            ln.kind = "debris:rule"
        elif not _tag_layout(ln, _WS.sub("", t), state):
            _tag_content(ln, _WS.sub("", t), i in hints, indent_mode)
    if width:
        _mark_wrapped(out, width)
    return out, state["masthead"]


def wrap_width(lines: list[str]) -> int | None:
    """The fixed line width of a hard-wrapped text (PDF-to-text copies): the most common length
    (≥ 12 characters, spaces and indentation counted) when at least 3 lines and a quarter of the non-blank lines
    have it (±1), else None."""
    lengths = Counter(len(x.rstrip()) for x in lines if len(x.strip()) >= 12)
    nonblank = sum(1 for x in lines if x.strip())
    if not lengths:
        return None
    width = max(lengths, key=lambda n: (lengths[n], n))
    near = lengths[width - 1] + lengths[width] + lengths[width + 1]
    return width if near >= 3 and near >= 0.25 * nonblank else None


def _mark_wrapped(out: list[_Line], width: int) -> None:
    """Hard wrap: a line of (about) the full width with a non-blank line right after it is cut
    mid-paragraph; it and its successor are body text, never headline candidates."""
    for k, ln in enumerate(out[:-1]):
        nxt = out[k + 1]
        if nxt.indented and not ln.indented:
            continue  # the next line is indented: a new paragraph begins (PDF text without blank lines)
        if ln.kind in ("headline", "text", "byline", "caption") and len(ln.raw.rstrip()) >= width - 1 \
                and nxt.kind in ("headline", "text", "name_line", "caption", "bracket_byline"):
            ln.data["wrapped"] = True
            if ln.kind == "headline":
                ln.kind, ln.score = "text", 0
            nxt.data["wrap_tail"] = True
            if nxt.kind in ("headline", "name_line", "bracket_byline") or (
                    nxt.kind == "caption" and "rule" in nxt.data):
                nxt.kind, nxt.score = "text", 0


def _tag_layout(ln: _Line, compact: str, state: dict) -> bool:
    """Masthead, date line, page marker, running header, editor line, 下转/上接, bare page number."""
    t = ln.text
    early = state["seen"] < 6
    state["seen"] += 1
    if _MASTHEAD.match(compact) and (early or compact == state["masthead"]):
        state["masthead"] = state["masthead"] or compact
        ln.kind = "debris:masthead"
        return True
    m = _DATE_LINE.match(t)
    if m and len(compact) <= 50:
        ln.kind = "debris:date_line"
        ln.data["date"] = (m.group(1), m.group(2), m.group(3))
        return True
    m = _PAGE_MARKER.match(t) or _PAGE_MARKER.match(_PAGE_BRACKETS.sub(r"\1", t))
    num = _num(m.group(1) or m.group(3) or m.group(5) or "") if m else None
    if num is not None and 0 < num < 1000:
        ln.kind = "debris:page_marker"
        ln.data["page"] = num
        ln.data["name"] = (m.group(2) or m.group(4) or m.group(6) or "").strip() or None
        return True
    masthead = state["masthead"]
    header = masthead and compact.startswith(masthead) and len(compact) <= 50 and "。" not in compact
    if header or (_RUNNING_HEADER.match(t) and len(compact) <= 50):
        ln.kind = "debris:page_header_footer"
        pm = _PAGE_IN_LINE.search(t)
        if pm and _num(pm.group(1)):
            ln.data["page"] = _num(pm.group(1))
            if header:
                ln.kind = "debris:page_marker"
                ln.data["name"] = pm.group(2) or None
        return True
    if _EDITOR.match(t) and len(compact) <= 40 and "。" not in compact:
        ln.kind = "debris:editor_line"
        return True
    return _tag_continuation(ln, compact)


def _tag_continuation(ln: _Line, compact: str) -> bool:
    t = ln.text
    m = _CONT_DOWN.fullmatch(t) or _CONT_DOWN.fullmatch(compact)
    mb = _CONT_BARE.match(compact)
    if m or (mb and mb.group(1)):
        ln.kind = "cont_down"
        ln.data["page"] = _num(m.group(1) if m else mb.group(3))
        ln.data["rest"] = ""
        return True
    m = _CONT_UP.match(t)
    if m or (mb and mb.group(2)):
        ln.kind = "cont_up"
        ln.data["page"] = _num(m.group(1) if m else mb.group(3))
        ln.data["marker"] = m.group(0) if m else t
        ln.data["rest"] = t[m.end():] if m else ""
        return True
    if _PAGE_NUMBER.match(t) and len(compact) <= 8:
        ln.kind = "pageno"  # decided in context (a bare number may be a broken paragraph part)
        return True
    return False


def _tag_content(ln: _Line, compact: str, hinted: bool, indent_mode: bool) -> None:
    """Section label, bullet, source line, byline, caption, names-only line, headline candidate, text."""
    t = ln.text
    if parsing_config().section.match(compact):
        ln.kind = "section"
        return
    if _END_MARK.match(compact):
        return
    m = _BULLET.match(t)
    if m and (_BYLINE_ONLY.match(t[m.end():].strip()) or _COMMENTARY.match(t[m.end():].strip())):
        b = _match_byline(t[m.end():])
        if b:  # a signature marked with a bullet: ■本报记者 李凡
            ln.kind = "byline"
            ln.data.update(b, byline=t)
            return
    m2 = _SOURCE_ONLY.match(compact) if len(compact) <= 20 and "据" in compact[:3] else None
    if m2 and not m:
        ln.kind, ln.data["source"] = "source_line", m2.group(1)
    elif m:
        ln.kind, ln.data["bullet"] = "bullet", m.group(1)
    elif _BYLINE_BRACKET.match(t) or (len(compact) < 40 and _BYLINE_BRACKET.match(compact)):
        ln.kind, ln.data["authors"] = "bracket_byline", _parse_credits(t)
    elif (b := _match_byline(t)) is not None:
        ln.kind = "byline"
        ln.data.update(b)
    elif len(compact) <= 200 and "摄" in t and (_PHOTO_TAIL.search(t) or glued_credit(t)):
        ln.kind = "caption"
    elif len(compact) <= 120 and _CAPTION_OPENER.match(compact):
        ln.kind, ln.data["rule"] = "caption", "caption (图为…)"
    elif len(compact) <= 16 and (names := names_line(t)):
        ln.kind, ln.data["authors"] = "name_line", names_to_authors(" ".join(names))
    elif (indent_mode and ln.indented and not hinted) or _INTERVIEW_Q.match(t) or _INTERVIEW_A.match(t):
        ln.kind = "text"
    else:
        ln.score = _headline_score(t, hinted)
        if indent_mode and not ln.indented and ln.score == 1:
            ln.score = 2
        ln.kind = "headline" if ln.score else "text"


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


def _dated_item(ln: _Line) -> bool:
    """A bullet line whose text opens with a time phrase (``■3月2日，…`` / ``●日前，…``)."""
    m = _BULLET.match(ln.text)
    return bool(m) and _LEAD_TIME.match(ln.text[m.end():]) is not None


