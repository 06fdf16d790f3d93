"""Stage 4: tagged lines → articles (headline blocks, bylines, paragraphs, continued pages)."""

from __future__ import annotations

import re
from datetime import date

from worker.parsing.config import parsing_config
from worker.parsing.credits import _parse_credits, credit_authors, glued_credit
from worker.parsing.model import Author, Debris, LineDecision, Page, ParsedArticle, ParsedIssue
from worker.parsing.patterns import (
    _BULLET,
    _BYLINE_TAIL,
    _ENUM_SUBHEAD,
    _INLINE_HEADER,
    _PHOTO_CREDIT_END,
    _PHOTO_TAIL_BARE,
    _SUBTITLE,
    _WS,
    _headline_score,
    _is_closed,
    _is_duplicate,
    _weak_title_ok,
    normalize_display,
    normalize_headline,
)
from worker.parsing.roles import _dated_item, _is_headline_start, _Line, _next_content


class _Builder:
    """Second pass state: articles, debris, explain, pages."""

    def __init__(self, issue: ParsedIssue, cls: list[_Line], indent_mode: bool):
        self.issue = issue
        self.cls = cls
        self.n = len(cls)
        self.indent_mode = indent_mode
        self.last_article: ParsedArticle | None = None
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
        if self.section in parsing_config().commentary_labels:
            a.kind = "commentary"
        self.issue.articles.append(a)
        self.cur = self.last_article = a
        self.open = False
        return a

    def set_page(self, number: int, name: str | None) -> None:
        self.page, self.page_name = number, name
        if not any(p.number == number for p in self.issue.pages):
            self.issue.pages.append(Page(number, name))

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
        """Add body text to the current article: continuing an open paragraph (or, for the line
        right after a hard-wrapped one, the paragraph it was cut from) unless ``new_para``."""
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
        if (self.open or ln.data.get("wrap_tail")) and a.original_paragraphs and not new_para:
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
            # a short first part (杭州 “爱心托管班”…) is not a kicker: one title with a space inside
            if k > 0 and lens[k] >= 8 and after >= 1.5 * before and before >= 4:
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



def assemble(issue: ParsedIssue, cls: list[_Line], indent_mode: bool) -> None:
    """Build ``issue.articles`` (and debris, pages, explain) from tagged lines, in one linear pass.

    Each line role has its handler below; a handler returns the index of the next unhandled line.
    """
    b = _Builder(issue, cls, indent_mode)
    i = 0
    while i < b.n:
        kind = cls[i].kind
        handler = _HANDLERS.get("debris" if kind.startswith("debris:") else kind, _on_text)
        i = handler(b, i)


def _on_blank(b: _Builder, i: int) -> int:
    b.decide(b.cls[i], "blank", "blank line")
    return i + 1


def _on_debris(b: _Builder, i: int) -> int:
    ln = b.cls[i]
    kind = ln.kind[7:]
    b.debris(kind, ln.text, ln.idx)
    issue = b.issue
    if kind == "page_header_footer" and ln.data.get("page") and ln.data["page"] != b.page:
        b.set_page(ln.data["page"], None)
    if kind == "page_marker":
        b.set_page(ln.data["page"], ln.data["name"])
        b.section = None
        b.bullets_are_articles = False
    if ln.data.get("date") and issue.issue_date is None and not issue.articles:  # date line, page header
        try:
            y, m, d = (int(x) for x in ln.data["date"])
            issue.issue_date, issue.issue_date_source = date(y, m, d), "masthead"
        except ValueError:
            pass
    rule = ln.data.get("rule") or f"{kind} pattern"
    dated = ln.data.get("article_date")
    if dated and b.last_article is not None and b.last_article.published_on is None:
        b.last_article.published_on = dated
        rule += f"; date {dated.isoformat()} → article #{b.last_article.seq}"
    if ln.data.get("ends_article"):
        b.cur, b.open = None, False
    b.decide(ln, f"debris:{kind}", rule)
    return i + 1


def _on_pageno(b: _Builder, i: int) -> int:
    ln = b.cls[i]
    if b.open:
        r = b.add_text(ln, ln.text, "continuation")
        b.decide(ln, r, "bare number after an open paragraph: continuation")
    else:
        b.debris("page_header_footer", ln.text, ln.idx)
        b.decide(ln, "debris:page_header_footer", "bare page number")
    return i + 1


def _on_cont_down(b: _Builder, i: int) -> int:
    ln = b.cls[i]
    b.debris("continuation_marker", ln.text, ln.idx)
    if b.cur is not None:
        b.suspended.append((b.cur, b.page, ln.data["page"], b.open))
        if ln.data["page"] and ln.data["page"] not in b.cur.continued_pages:
            b.cur.continued_pages.append(ln.data["page"])
    b.cur, b.open = None, False
    b.decide(ln, "debris:continuation_marker", "下转 marker: article suspended")
    return i + 1


def _on_cont_up(b: _Builder, i: int) -> int:
    ln = b.cls[i]
    b.debris("continuation_marker", ln.data["marker"], ln.idx)
    _resume(b, ln.data["page"])
    rest = ln.data["rest"].strip()
    became = "debris:continuation_marker"
    if rest:
        became += " + " + b.add_text(ln, rest, "continuation")
    b.decide(ln, became, "上接 marker: continued article resumed")
    return i + 1


def _on_section(b: _Builder, i: int) -> int:
    ln = b.cls[i]
    nxt = _next_content(b.cls, i + 1, 1)
    b.debris("section_label", ln.text, ln.idx)
    b.section = _WS.sub("", ln.text)
    b.bullets_are_articles = True
    b.cur, b.open = None, False
    b.decide(ln, "debris:section_label", "section label" + (" before items" if nxt else ""))
    return i + 1


def _headline_block(cls: list[_Line], i: int) -> tuple[list[_Line], int]:
    """The headline candidates starting at ``i`` (≤ 5 lines, ≤ 3 blank lines between, a —— subtitle
    last) and the index after them."""
    j, block, blank_gap, n = i, [], 0, len(cls)
    while j < n and len(block) < 5:
        c = cls[j]
        if c.kind == "blank":
            blank_gap += 1
            if blank_gap > 3 or (block and block[-1].score == 1):
                break  # a weak line (with a comma) and a blank: an open paragraph, not a kicker
            j += 1
            continue
        if c.kind != "headline" or (block and _SUBTITLE.match(block[-1].text)) or (blank_gap and c.score == 1):
            break  # … or a weak line (with a comma) after a blank: the body's first line, not a headline
        block.append(c)
        blank_gap = 0
        j += 1
    return block, j


_LEAD_OPENING = re.compile(r"^(?:\d{1,2}月\d{1,2}日|近日|日前|近期|连日来|今年以来|昨天|昨日|今天|日前)")


def _headline_verdict(b: _Builder, block: list[_Line], j: int) -> tuple[bool, bool, str]:
    """(accept, byline follows, reason when rejected) for a headline block ending before ``j``."""
    nxt = _next_content(b.cls, j, 4)
    after = nxt[0] if nxt else None
    strong_after = (after is not None and after.kind in ("byline", "bracket_byline", "source_line", "name_line")) or (
        after is not None and after.kind in ("caption", "text") and len(nxt) > 1
        and nxt[1].kind in ("byline", "name_line") and len(after.text) <= 60)
    if after is not None and after.kind == "text" and len(block) == 1 and block[0].score == 1 \
            and len(nxt) > 1 and nxt[1].kind == "byline" and _is_closed(after.text) is False:
        strong_after = False
    all_strong = all(c.score == 2 for c in block)
    content_follows = after is not None and _is_headline_start(after.kind)
    if not all_strong and not b.open and after is not None and after.kind == "text" \
            and len(after.text) >= 40 and all(c.score == 2 or _weak_title_ok(c.text) for c in block):
        all_strong = True  # a short question/exclamation or comma title, followed by a body paragraph
    # an open paragraph (a cut line, a credit) does not swallow a headline whose body opens with a
    # lead's time phrase (9月1日，/近日，)
    lead_follows = after is not None and after.kind == "text" and _LEAD_OPENING.match(after.text) is not None
    accept = (strong_after or (all_strong and (not b.open or lead_follows) and content_follows)
              or (all_strong and not b.open and after is None and b.cur is None)
              or (after is not None and after.kind == "bullet" and not b.open))
    reason = ("previous paragraph open" if b.open else
              "weak candidate without a byline after it" if not all_strong else "nothing follows it")
    return accept, strong_after, reason


def _on_headline(b: _Builder, i: int) -> int:
    cls = b.cls
    a, ln = b.cur, cls[i]
    if a is not None and a.paragraphs and a.original_headline \
            and _WS.sub("", ln.text) in (_WS.sub("", "".join(a.original_headline)), _WS.sub("", a.title or "")):
        b.debris("page_header_footer", ln.text, ln.idx)  # a page's footer/header restating the headline
        b.decide(ln, "debris:page_header_footer", "line restating the current headline")
        return i + 1
    block, j = _headline_block(cls, i)
    accept, strong_after, reason = _headline_verdict(b, block, j)
    nxt = _next_content(cls, j, 1)
    after = nxt[0] if nxt else None
    if accept and len(block) == 1 and after is not None and after.kind == "bullet" \
            and len(_WS.sub("", block[0].text)) <= 8:
        # a short line heading bullet items: a section label (sample 2024-12-24: 简讯 ■…)
        b.debris("section_label", block[0].text, block[0].idx)
        b.section = _WS.sub("", block[0].text)
        b.bullets_are_articles = True
        b.cur, b.open = None, False
        b.decide(block[0], "debris:section_label", "short line before bullet items")
        _decide_blanks(b, cls, i, j)
        return j
    if accept and after is not None and after.kind == "cont_up" and _repeated_headline(b, block):
        _decide_blanks(b, cls, i, j)
        return j
    if accept:
        _open_with_headline(b, block, strong_after)
        _decide_blanks(b, cls, i, j)
        return j
    ln = cls[i]  # not a headline: body text
    r = b.add_text(ln, ln.text, "text")
    b.decide(ln, r, f"headline-like line rejected ({reason})")
    return i + 1


def _repeated_headline(b: _Builder, block: list[_Line]) -> bool:
    """A suspended article's headline printed again above its 上接 marker: debris."""
    rep = _WS.sub("", "".join(c.text for c in block))
    for art, *_ in b.suspended:
        if rep and rep == _WS.sub("", "".join(art.original_headline)):
            for c in block:
                b.debris("continuation_marker", c.text, c.idx)
                b.decide(c, "debris:continuation_marker", "headline repeated before 上接")
            return True
    return False


def _open_with_headline(b: _Builder, block: list[_Line], strong_after: bool) -> None:
    a = b.new_article(block[0].idx)
    b.bullets_are_articles = False
    kick, tit, sub = _split_headline([c.text for c in block])
    a.kicker = normalize_headline(kick) if kick else None
    a.title = normalize_headline(tit) if tit else None
    a.subtitle = normalize_headline(sub) if sub else None
    a.original_headline = [c.text for c in block]
    rule = "headline block" + (" (byline follows)" if strong_after else " (previous paragraph closed)")
    for c in block:
        b.add_lines(a, c.idx)
        part = "kicker" if kick and c.text in kick else "subtitle" if sub and c.text in sub else "title"
        b.decide(c, f"{part} #{a.seq}", rule)


def _on_byline(b: _Builder, i: int) -> int:
    ln = b.cls[i]
    a, d = b.cur, ln.data
    if (a is not None and (a.paragraphs or a.captions) and not b.open and d["source"] is None
            and not d["rest"].strip() and not d["commentary"]
            and (_PHOTO_CREDIT_END.search(d["byline"]) or _ends_article(b, i) or _credit_follows(b, i))):
        # a credit on its own line closing the item: 记者 张三 摄 / 记者 甲 + 通讯员 乙 摄影报道
        b.add_lines(a, ln.idx)
        b.add_byline(a, d["byline"], d["authors"])
        b.decide(ln, f"byline #{a.seq}", "credit line closing the article (… 摄 / 署名)")
        return i + 1
    if a is None or a.paragraphs or (a.byline and not a.title):
        a = b.new_article(ln.idx)
    b.add_lines(a, ln.idx)
    b.add_byline(a, d["byline"], d["authors"], d["source"], d["dateline"])
    if d["commentary"]:
        a.kind = "commentary"
    became = f"byline #{a.seq}"
    rest = d["rest"].strip()
    if rest:
        became += " + " + b.add_text(ln, rest, "body", new_para=True)
    b.decide(ln, became, "byline/dateline pattern")
    return i + 1


def _on_source_line(b: _Builder, i: int) -> int:
    # 据新华社 / （据人民日报）: the source of the current article (lead or trailing credit)
    ln = b.cls[i]
    a = b.cur or b.new_article(ln.idx)
    b.add_lines(a, ln.idx)
    b.add_byline(a, ln.text, [], ln.data["source"])
    b.decide(ln, f"byline #{a.seq}", "source-only line (据…)")
    return i + 1


def _on_bracket_byline(b: _Builder, i: int) -> int:
    ln = b.cls[i]
    a = b.cur or (b.issue.articles[-1] if b.issue.articles else b.new_article(ln.idx))
    b.add_lines(a, ln.idx)
    b.add_byline(a, ln.text, ln.data["authors"])
    b.decide(ln, f"byline #{a.seq}", "credits in brackets (trailing byline)")
    return i + 1


def _on_bullet(b: _Builder, i: int) -> int:
    ln = b.cls[i]
    if not b.bullets_are_articles and b.cur is not None and not b.open and _dated_item(ln):
        nxt = _next_content(b.cls, i + 1, 1)
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
    return i + 1


def _on_caption(b: _Builder, i: int) -> int:
    ln = b.cls[i]
    m = glued_credit(ln.text) if not b.open and "rule" not in ln.data else None
    if m and b.cur is not None and (b.cur.paragraphs or b.cur.title or b.cur.kicker) and _ends_article(b, i):
        r = b.add_text(ln, ln.text[: m.start()], "text", new_para=True)
        b.add_byline(b.cur, m.group(1).strip(), credit_authors(m.group(1)))
        b.decide(ln, f"{r} + byline #{b.cur.seq}", "photo credit glued to the last paragraph")
        return i + 1
    if b.open:
        r = b.add_text(ln, ln.text, "continuation")
        b.decide(ln, r, "photo credit inside an open paragraph")
    else:
        r = b.add_caption(ln, ln.text)
        b.decide(ln, r, ln.data.get("rule", "line ending with a photo credit (… 摄)"))
    return i + 1


def _on_text(b: _Builder, i: int) -> int:
    ln = b.cls[i]
    t = ln.text
    a = b.cur
    if (a is not None and not a.paragraphs and not a.byline and (a.title or a.kicker) and not b.open
            and len(_WS.sub("", t)) <= 40 and _is_closed(t)):
        nxt = _next_content(b.cls, i + 1, 3)
        if any(x.kind == "byline" for x in nxt[:2]) and all(
                x.kind in ("byline", "text", "caption") for x in nxt[:2]):
            r = b.add_caption(ln, t)
            b.decide(ln, r, "short closed line between headline and byline: caption")
            return i + 1
    # trailing bracketed credits at the end of a paragraph line: "…。（通讯员 X）"
    m = _BYLINE_TAIL.search(t)
    if m and m.start() > 0 and _is_closed(t[: m.start()]) and not b.open:
        r = b.add_text(ln, t[: m.start()], "text")
        b.add_byline(b.cur, m.group(0).strip(), _parse_credits(m.group(1)))
        b.decide(ln, f"{r} + byline #{b.cur.seq}", "trailing credits in brackets")
        return i + 1
    m = glued_credit(t)
    if m and b.cur is not None and _ends_article(b, i):  # …参加。 图/王小东 closing the article
        r = b.add_text(ln, t[: m.start()], "text")
        b.add_byline(b.cur, m.group(1).strip(), credit_authors(m.group(1)))
        b.decide(ln, f"{r} + byline #{b.cur.seq}", "photo credit glued to the last paragraph")
        return i + 1
    if b.bullets_are_articles and b.cur is not None and b.cur.bullet and not b.open:
        b.bullets_are_articles = False
        b.cur = None
    # one-paragraph-a-line layout: an indented line always starts a paragraph
    r = b.add_text(ln, t, "text", new_para=True if (b.indent_mode and ln.indented) else None)
    rule = "continues open paragraph" if "continued" in r else "text line"
    if ln.data.get("wrap_tail") and "continued" in r:
        rule = "line after a hard-wrapped line: same paragraph"
    if ln.data.get("wrapped"):
        rule += "; full-width line, hard-wrapped (PDF text)"
    b.decide(ln, r, rule)
    return i + 1


def _on_name_line(b: _Builder, i: int) -> int:
    """A line of names only: a byline under the headline, or a signature closing the body."""
    ln, a = b.cls[i], b.cur
    # one name right above a headline line is a kicker (温州 / 某某标题), not a signature
    stands_alone = len(ln.data["authors"]) > 1 or i + 1 >= b.n or b.cls[i + 1].kind not in ("headline", "text")
    if a is not None and not b.open and (
            (not a.paragraphs and (a.title or a.kicker))
            or (a.paragraphs and stands_alone and _ends_article(b, i))):
        b.add_lines(a, ln.idx)
        b.add_byline(a, ln.text, ln.data["authors"])
        where = "under the headline" if not a.paragraphs else "closing the body (signature)"
        b.decide(ln, f"byline #{a.seq}", f"names-only line {where}")
        return i + 1
    ln.score = _headline_score(ln.text, False)
    if ln.score:
        ln.kind = "headline"
        return _on_headline(b, i)
    ln.kind = "text"
    return _on_text(b, i)


def _ends_article(b: _Builder, i: int) -> bool:
    """Line ``i`` is the last of its article: what follows is furniture, a headline, a section
    label, a 下转 marker or the end of the file (a credit line may come first)."""
    for c in _next_content(b.cls, i + 1, 3):
        if c.kind in ("byline", "name_line") and not c.data.get("source"):
            continue  # a credit split over lines
        return c.kind.startswith("debris:") or c.kind in ("headline", "section", "cont_down", "pageno")
    return True


def _credit_follows(b: _Builder, i: int) -> bool:
    nxt = _next_content(b.cls, i + 1, 1)
    return bool(nxt) and nxt[0].kind == "byline" and not nxt[0].data.get("source") and not nxt[0].data.get("rest")


_HANDLERS = {
    "name_line": _on_name_line,
    "blank": _on_blank, "debris": _on_debris, "pageno": _on_pageno, "cont_down": _on_cont_down,
    "cont_up": _on_cont_up, "section": _on_section, "headline": _on_headline, "byline": _on_byline,
    "source_line": _on_source_line, "bracket_byline": _on_bracket_byline, "bullet": _on_bullet,
    "caption": _on_caption,
}


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




