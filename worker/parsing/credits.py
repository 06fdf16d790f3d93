"""Credits (署名): bylines, datelines and photo credits — recognised on a line, and attached to
the article they belong to."""

from __future__ import annotations

import re

from worker.parsing.model import Author
from worker.parsing.patterns import (
    _BOX,
    _BYLINE_AFTER_SRC,
    _BYLINE_BARE,
    _BYLINE_ONLY,
    _COMMENTARY,
    _HAN_RE,
    _ROLE,
    _ROLE_WORD,
    _SRC_LOCAL,
    _SRC_WIRE,
)

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
    Also (unseen-issue check): ``据新华社电`` without a date, space-separated names closed by 报道
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




def attach_credits(issue) -> None:
    """Stage 5 (filled in below)."""
    return None
