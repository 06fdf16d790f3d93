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
    _BYLINE_TAIL,
    _COMMENTARY,
    _HAN,
    _HAN_RE,
    _ROLE,
    _ROLE_WORD,
    _SRC_LOCAL,
    _SRC_WIRE,
    _is_closed,
    normalize_display,
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
    Also (regression-set check): ``据新华社电`` without a date, space-separated names closed by 报道
    (``通讯员 李四 王五 报道``) or on a whole signature line (``本报通讯员 周彤 胡晓``), agency roles
    (``新华社记者 X``) and ``文/``/``图/`` credits (``文/记者 李凡 图/通讯员 王芳``, ``文/图 李凡``).
    Column labels (记者手记, 记者观察, 记者走基层) are not bylines.
    """
    if _AUTHOR_FIELD.match(t.strip()):
        # 作者：记者 王一 (a web page; other metadata fields may follow), 摄影：王一, 文：王一 图：李二
        authors = _field_credits(t.strip())
        if authors:
            return {"byline": t.strip(), "rest": "", "source": None, "dateline": None,
                    "authors": authors, "commentary": False}
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
            pos += _more_names(s, pos, authors)
        else:
            m3 = _NAMES_TERM.match(s[pos:])
            if m3 and all(is_name(x) for x in _NAME_SPLIT.split(m3.group(1).strip())):
                authors = names_to_authors(m3.group(1), m3.group(2))
                pos += m3.end()
        byl = (t[: (box.end() if box else 0) + pos]).strip()
        return {"byline": byl, "rest": s[pos:], "source": source, "dateline": dateline,
                "authors": authors, "commentary": False}
    m = _NAMES_TERM.fullmatch(s.strip())
    if m and all(is_name(x) for x in _NAME_SPLIT.split(m.group(1).strip())):  # 吕婷 文/摄, 赵敏 摄
        return {"byline": t.strip(), "rest": "", "source": None, "dateline": None,
                "authors": names_to_authors(m.group(1), m.group(2)), "commentary": False}
    m = _BYLINE_BARE.match(s) or _BYLINE_ONLY.match(s.strip())
    if m:
        end = m.end() if m.re is _BYLINE_BARE else len(s)
        return {"byline": t[: (box.end() if box else 0) + end].strip(), "rest": s[end:] if end < len(s) else "",
                "source": None, "dateline": None, "authors": _parse_credits(m.group(1)), "commentary": False}
    return None




# Names without a role word, closed by a credit term: 李文涛报道 / 吕婷 文/摄 / 赵敏 摄影报道
_NAMES_TERM = re.compile(rf"^[ \t\u3000]*([{_HAN}·]{{2,4}}?(?:[ \t\u3000、]+[{_HAN}·]{{2,4}}?)*)[ \t\u3000]*"
                         r"(文[/／]摄|文[/／]图|摄影报道|图文报道|报道|摄影|摄)(?=[ \t\u3000，,]|$)")
_NAMES_ONLY = re.compile(rf"^[{_HAN}·]{{2,4}}(?:[ \t\u3000、]+[{_HAN}·]{{2,4}})*$")
# A credit glued to the end of a paragraph after 。 or a space (not in brackets): … 通讯员 邵峰 摄
_GLUED_CREDIT = re.compile(
    rf"(?:(?<=[。！？!?”’」』])|[ \t\u3000]+)((?:{_ROLE})?[ \t\u3000]*[{_HAN}·]{{2,4}}?"
    rf"(?:[ \t\u3000、]+(?:{_ROLE})?[ \t\u3000]*[{_HAN}·]{{2,4}}?)*[ \t\u3000]*"
    r"(?:文[/／]摄|摄影报道|图文报道|摄影|摄)"
    # or a slash credit: … 图/王小东, …。文/李四
    rf"|(?:文|图|摄影|摄)[/／][ \t\u3000]*[{_HAN}·]{{2,4}}(?:[ \t\u3000、]+[{_HAN}·]{{2,4}})*)[ \t\u3000]*$")
_TERM_WORDS = ("摄影报道", "图文报道", "报道", "摄影", "文/摄", "文／摄", "文/图", "摄")


_AUTHOR_FIELD = re.compile(r"^[【\[]?(作者|摄影|摄|文字|文|图片|图|记者|通讯员)[】\]]?[ \t\u3000]*[:：][ \t\u3000]*"
                           r"(.+?)(?=[ \t\u3000]+\S{1,4}[:：]|$)")
_LABEL_ROLE = {"摄": "摄影", "图": "摄影", "图片": "摄影", "文": "作者", "文字": "作者"}
_ANY_FIELD = re.compile(r"[【\[]?(\S{1,4}?)[】\]]?[ \t\u3000]*[:：][ \t\u3000]*(.+?)(?=[ \t\u3000]+\S{1,4}[:：]|$)")


def _field_credits(t: str) -> list[Author]:
    """Authors named in the credit fields (作者/摄影/文/图/记者/通讯员：…) of a line of label：value fields."""
    authors: list[Author] = []
    for m in _ANY_FIELD.finditer(t):
        if not _AUTHOR_FIELD.match(m.group(0)):
            continue  # 来源：…, 发布时间：…
        role = _LABEL_ROLE.get(m.group(1), m.group(1))
        authors += _parse_credits(m.group(2)) or [
            Author(x, role) for x in _NAME_SPLIT.split(m.group(2).strip()) if is_name(x)]
    return authors
_MORE_NAME = re.compile(rf"[ \t\u3000]+(?:({_ROLE})[ \t\u3000]*)?([{_HAN}·]{{2,4}})(?=[ \t\u3000])")


def _more_names(s: str, pos: int, authors: list[Author]) -> int:
    """Names after a byline's credits separated by spaces (``通讯员 梁晓 吴斌 记者 黄立 近日，…``):
    each must be a name by shape and be followed by a space; returns the characters consumed."""
    start = pos
    role = authors[-1].role if authors else "作者"
    while (m := _MORE_NAME.match(s, pos)) and (m.group(1) or is_name(m.group(2))):
        if m.group(1):
            found = _parse_credits(m.group(0))
            if not found:
                break
            authors.extend(found)
            role = found[-1].role
        else:
            authors.append(Author(m.group(2), role))
        pos = m.end()
    return pos - start


def is_name(s: str) -> bool:
    """A personal name by shape: 2–3 Han characters (4 with a compound family name) starting with a
    family name of ``config/parsing.yaml``; never a role word or credit term."""
    from worker.parsing.config import parsing_config

    s = s.strip()
    if not 2 <= len(s) <= 4 or not all(_HAN_RE.match(c) for c in s) or _ROLE_IN.search(s):
        return False
    if any(w in s for w in _TERM_WORDS):
        return False
    cfg = parsing_config()
    if s[:2] in cfg.compound_surnames:
        return len(s) in (3, 4)
    return len(s) <= 3 and s[0] in cfg.surnames


def names_line(t: str) -> list[str] | None:
    """The names of a line made only of names (``徐丹 顾晓晨``, ``赵敏``), else None."""
    t = t.strip()
    if not _NAMES_ONLY.match(t):
        return None
    names = [x for x in re.split(r"[ \t\u3000、]+", t) if x]
    return names if all(is_name(x) for x in names) else None


def names_to_authors(names: str, term: str | None = None) -> list[Author]:
    """Authors for names credited without a role word: 摄影 for a photo term, else 作者."""
    role = "摄影" if term and "摄" in term and "报道" not in term else "作者"
    return [Author(x, role) for x in re.split(r"[ \t\u3000、]+", names.strip()) if x]


def glued_credit(text: str) -> re.Match | None:
    """A photo credit glued to the end of a paragraph (``…职工。 通讯员 邵峰 摄``, ``…掌声。记者 何悦 摄``,
    ``…技术。 记者 潘越 摄影报道``, ``…布面。吴晓 文/摄``) whose names are names; group 1 = the credit."""
    # only the tail can hold it; searching the whole of a long paragraph would be quadratic
    m = _GLUED_CREDIT.search(text, max(0, len(text) - 60))
    if not m or m.start() == 0:
        return None
    authors = _parse_credits(m.group(1))
    if not authors:
        bare = _NAMES_TERM.fullmatch(m.group(1).strip())
        if not bare or not all(is_name(x) for x in _NAME_SPLIT.split(bare.group(1).strip())):
            return None
    return m


def credit_authors(credit: str) -> list[Author]:
    """Authors of a credit string with or without role words."""
    authors = _parse_credits(credit)
    if authors:
        return authors
    bare = _NAMES_TERM.fullmatch(credit.strip())
    return names_to_authors(bare.group(1), bare.group(2)) if bare else []


def attach_credits(issue) -> None:
    """Stage 5: a photo item's caption becomes its body (图片新闻: the picture's description is the
    article), and a photo credit glued to the end of an article's last paragraph (``…。 通讯员 X 摄``)
    becomes its byline; the line's explanation says so.

    ``issue`` is a :class:`~worker.parsing.model.ParsedIssue`; changed in place. Credits on lines
    of their own, names-only lines and bare signature names were attached while assembling."""
    for a in issue.articles:
        if a.kind == "news" and a.captions and not a.paragraphs and not a.title_derived:
            a.kind = "photo"
            a.paragraphs, a.original_paragraphs = a.captions, a.original_captions
            a.captions, a.original_captions = [], []
        last = a.original_paragraphs[-1] if a.paragraphs else ""
        m = glued_credit(last) if last else None
        if m:
            _take_credit(a, m.start(), m.group(1))
            _explain(issue, a, "photo credit glued to the last paragraph")
            continue
        # a bracketed credit that a hard wrap joined to the last paragraph: …工种。（通讯员 X）
        # (a photo item keeps its bracketed credit in its body: regression set, zjgr-20250430)
        m = _BYLINE_TAIL.search(last) if a.kind != "photo" else None
        if m and m.start() > 0 and _is_closed(last[: m.start()]):
            _take_credit(a, m.start(), m.group(0))
            _explain(issue, a, "credits in brackets closing the last paragraph")


def _explain(issue, a, rule: str) -> None:
    line = a.source_lines[-1] if a.source_lines else None
    for d in issue.explain:
        if d.line == line:
            d.became += f" + byline #{a.seq}"
            d.rule += f"; {rule}"


def _take_credit(a, start: int, credit: str) -> None:
    """Move the end of ``a``'s last paragraph from ``start`` on (a credit) to its byline/authors."""
    body = a.original_paragraphs[-1][:start].rstrip()
    credit = credit.strip()
    a.original_paragraphs[-1] = body
    a.paragraphs[-1] = normalize_display(body)
    a.byline = f"{a.byline} {credit}" if a.byline else credit
    names = {x.name for x in a.authors}
    for au in credit_authors(credit):
        if au.name not in names:
            a.authors.append(au)
            names.add(au.name)
