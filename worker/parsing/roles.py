"""Stage 3: each line's role, tagged on its own (masthead, page marker, byline, headline
candidate, text …); page furniture found by :mod:`worker.parsing.furniture` wins."""

from __future__ import annotations

from dataclasses import dataclass, field

from worker.parsing.credits import _match_byline, _parse_credits
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
    _SECTION_RE,
    _SOURCE_ONLY,
    _WS,
    _headline_score,
    _is_rule,
    _num,
)


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
    tagged on their own (no context except position; ``hints`` = docx heading lines)."""
    furniture = furniture or {}
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
        if i in furniture:
            ln.kind = "debris:" + furniture[i]["kind"]
            ln.data.update(furniture[i])
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


