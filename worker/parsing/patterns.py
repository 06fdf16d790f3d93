"""Typographic patterns and small text predicates shared by the parsing stages (pure, no state)."""

from __future__ import annotations

import re
import unicodedata

import cn2an

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
# Enumerated sub-heads inside an article (一、… （二）… 3.…) stay in the article body.
_ENUM_SUBHEAD = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[、.．](?!\d))")
_SUBTITLE = re.compile(r"^(?:——|—|──|--|－－)")

# Display normalisation: half-width punctuation next to Han → full width.
_HALF_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}
_PUNCT_RE = re.compile(rf"(?<=[{_HAN}”’）》」』])\s*([,:;?!])|([,:;?!])\s*(?=[{_HAN}“‘（《「『])")
_PAREN_RE = re.compile(r"\(([^()\n]{0,60})\)")
_HEAD_SPACE = re.compile(rf"(?<=[{_HAN}“”‘’《》（）、：:！？·\"])\s+|\s+(?=[{_HAN}“”‘’《》（）、：:！？·\"])")


def _num(s: str) -> int | None:
    """A page number written with ASCII/full-width digits, ``A2`` (→ 2) or Chinese numerals
    (``十二`` → 12, read by cn2an). None when ``s`` is none of these."""
    s = s.strip()
    if s[:1].isascii() and s[:1].isalpha():  # "A2" → 2
        s = s[1:]
    if not s:
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        value = cn2an.cn2an(s, "strict")
    except (ValueError, KeyError, IndexError):
        return None
    return int(value) if float(value).is_integer() else None


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

