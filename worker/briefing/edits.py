"""The briefing desk's edits (issue 19): what editors change in a draft, stored with the
briefing (never in the article) and re-applied to the generated content on every re-render.

Edits are a JSON dict; article ids are the (head) article of an entry (``ArticleEntry.article_id``),
as strings because JSON keys are strings::

    {"exclude": ["12"], "include": ["31"],          # leave an entry out / bring a left-out one in
     "move": {"15": "care_and_relief"},             # entry → another section (taxonomy key)
     "order": {"union_building": ["15", "12"]},     # order within a section (listed ids first)
     "entries": {"12": {"title": "…", "summary": "…", "figures": ["…"]}},  # shown fields
     "highlights": {"12": "…"},                     # 本期要情 line of an entry ("" removes it)
     "editor_note": "…"}                            # 编者按 ("" removes it)

Pure functions, no database: :func:`apply_edits`, :func:`snapshot`, :func:`diff_snapshots`,
:func:`describe_edits`.
"""

from __future__ import annotations

from typing import Any

from worker.briefing.render import ArticleEntry, BriefingContent, Highlight, TopicSection

EDIT_KEYS = ("exclude", "include", "move", "order", "entries", "highlights", "editor_note")


def normalise(edits: dict[str, Any] | None) -> dict[str, Any]:
    """``edits`` with ids as strings, empty parts dropped, unknown keys refused (``ValueError``)."""
    edits = dict(edits or {})
    unknown = set(edits) - set(EDIT_KEYS)
    if unknown:
        raise ValueError(f"unknown edit keys: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key in ("exclude", "include"):
        ids = list(dict.fromkeys(str(i) for i in edits.get(key) or []))
        if ids:
            out[key] = ids
    if edits.get("move"):
        out["move"] = {str(k): str(v) for k, v in edits["move"].items()}
    if edits.get("order"):
        out["order"] = {str(k): [str(i) for i in v] for k, v in edits["order"].items() if v}
    entries = {}
    for k, fields in (edits.get("entries") or {}).items():
        kept = {f: v for f, v in (fields or {}).items() if f in ("title", "summary", "figures") and v is not None}
        if "figures" in kept:
            kept["figures"] = [str(x) for x in kept["figures"]]
        if kept:
            entries[str(k)] = kept
    if entries:
        out["entries"] = entries
    if edits.get("highlights"):
        out["highlights"] = {str(k): str(v) for k, v in edits["highlights"].items()}
    if edits.get("editor_note") is not None:
        out["editor_note"] = str(edits["editor_note"])
    return out


def _take(content: BriefingContent, aid: str) -> tuple[TopicSection | None, ArticleEntry | None]:
    for sec in content.sections:
        for e in sec.articles:
            if str(e.article_id) == aid:
                sec.articles.remove(e)
                return sec, e
    return None, None


def _section(content: BriefingContent, key: str, order: list[tuple[str, str]]) -> TopicSection:
    for sec in content.sections:
        if sec.key == key:
            return sec
    labels = dict(order)
    sec = TopicSection(key, labels.get(key, key))
    rank = {k: i for i, (k, _) in enumerate(order)}
    content.sections.append(sec)
    content.sections.sort(key=lambda s: rank.get(s.key, len(rank)))
    return sec


def _title_of(content: BriefingContent, aid: str, titles: dict[str, str]) -> str:
    for e in [e for s in content.sections for e in s.articles] + content.left_out:
        if str(e.article_id) == aid:
            return f"《{e.title}》"
    return f"《{titles[aid]}》" if aid in titles else f"文章{aid}"


def titles_of(snap: dict[str, Any]) -> dict[str, str]:
    """``{article id: title}`` of a :func:`snapshot` (shown and left-out entries)."""
    out = {e["id"]: e["title"] for e in snap.get("left_out", [])}
    out.update({e["id"]: e["title"] for s in snap.get("sections", []) for e in s["entries"]})
    return out


def apply_edits(content: BriefingContent, edits: dict[str, Any] | None,
                order: list[tuple[str, str]], titles: dict[str, str] | None = None) -> list[str]:
    """Apply ``edits`` to ``content`` in place (sections, entries, 第N条 numbers, 要情, 编者按,
    key figures and appendix follow). ``order`` is the sections' ``(key, label)`` order (for a
    section an entry is moved into). Returns the edits that no longer apply (their article is not
    in the period any more, or not where the edit needs it), as Chinese lines for the notice;
    ``titles`` (``{article id: title}``, e.g. :func:`titles_of` the earlier snapshot) names them."""
    edits = normalise(edits)
    titles = titles or {}

    def name(aid: str) -> str:
        return _title_of(content, aid, titles)

    stale: list[str] = []
    left = {str(e.article_id): e for e in content.left_out}
    excluded: set[str] = set()
    for aid in edits.get("exclude", []):
        sec, e = _take(content, aid)
        if e is None:
            stale.append(f"删去{name(aid)}：该文已不在本期")
        else:
            excluded.add(aid)
            content.left_out.append(e)
    for aid in edits.get("include", []):
        e = left.pop(aid, None)
        if e is None or aid in excluded:
            if not any(str(x.article_id) == aid for s in content.sections for x in s.articles):
                stale.append(f"收入{name(aid)}：该文已不在本期")
            continue
        content.left_out.remove(e)
        _section(content, e.category, order).articles.append(e)
    for aid, key in edits.get("move", {}).items():
        sec, e = _take(content, aid)
        if e is None:
            stale.append(f"移动{name(aid)}：该文已不在简报中")
            continue
        e.category = key
        _section(content, key, order).articles.append(e)
    for key, ids in edits.get("order", {}).items():
        sec = next((s for s in content.sections if s.key == key), None)
        if sec is None:
            stale.append(f"「{key}」的排序：该栏目已无文章")
            continue
        rank = {aid: i for i, aid in enumerate(ids)}
        sec.articles.sort(key=lambda e: rank.get(str(e.article_id), len(rank)))
    shown = {str(e.article_id): e for s in content.sections for e in s.articles}
    for aid, fields in edits.get("entries", {}).items():
        e = shown.get(aid)
        if e is None:
            stale.append(f"修改{name(aid)}：该文已不在简报中")
            continue
        e.title = fields.get("title", e.title)
        e.summary = fields.get("summary", e.summary)
        e.figures = list(fields.get("figures", e.figures))
    content.sections = [s for s in content.sections if s.articles]
    ref = 0
    for s in content.sections:
        for e in s.articles:
            ref += 1
            e.ref = ref
    _apply_highlights(content, edits, shown, stale)
    if "editor_note" in edits:
        content.editor_note = edits["editor_note"].strip() or None
    gone = {e.title for e in content.left_out if str(e.article_id) in excluded}
    content.key_figures = [k for k in content.key_figures if k.article_title not in gone]
    content.appendix = [e for e in content.appendix if str(e.article_id) not in excluded]
    return stale


def _apply_highlights(content: BriefingContent, edits: dict[str, Any], shown: dict[str, ArticleEntry],
                      stale: list[str]) -> None:
    lines = [h for h in content.highlights if str(h.article_id) in shown]
    for h in lines:
        h.ref = shown[str(h.article_id)].ref
    for aid, text in edits.get("highlights", {}).items():
        line = next((h for h in lines if str(h.article_id) == aid), None)
        if aid not in shown:
            stale.append(f"要情「{text}」：所指文章已不在简报中")
        elif line is None:
            if text.strip():
                lines.append(Highlight(text.strip(), shown[aid].ref, shown[aid].article_id))
        elif text.strip():
            line.text = text.strip()
        else:
            lines.remove(line)
    content.highlights = lines


def snapshot(content: BriefingContent) -> dict[str, Any]:
    """What a reader sees of ``content``, as JSON: sections with their entries (id, title,
    summary, figures), 要情 lines, 编者按 and the entries left out (id, title, section)."""
    return {
        "sections": [{"key": s.key, "label": s.label, "more": s.more,
                      "entries": [{"id": str(e.article_id), "title": e.title, "summary": e.summary,
                                   "figures": list(e.figures)} for e in s.articles]}
                     for s in content.sections],
        "highlights": [{"id": str(h.article_id), "text": h.text, "ref": h.ref} for h in content.highlights],
        "editor_note": content.editor_note or "",
        "left_out": [{"id": str(e.article_id), "title": e.title, "section": e.category, "summary": e.summary,
                      "figures": list(e.figures)} for e in content.left_out],
    }


def _entries(snap: dict[str, Any]) -> dict[str, tuple[str, int, dict[str, Any]]]:
    return {e["id"]: (s["label"], i, e) for s in snap.get("sections", [])
            for i, e in enumerate(s["entries"])}


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed from ``old`` to ``new`` (two :func:`snapshot` dicts), as Chinese lines:
    entries removed, added, moved, re-ordered, retitled, summaries and figures, 要情, 编者按."""
    a, b = _entries(old), _entries(new)
    out = [f"删去：《{a[k][2]['title']}》" for k in a if k not in b]
    out += [f"新增：《{b[k][2]['title']}》（{b[k][0]}）" for k in b if k not in a]
    for k in (k for k in b if k in a):
        (sa, _, ea), (sb, _, eb) = a[k], b[k]
        if sa != sb:
            out.append(f"移至「{sb}」：《{eb['title']}》")
        if ea["title"] != eb["title"]:
            out.append(f"标题：《{ea['title']}》→《{eb['title']}》")
        if ea["summary"] != eb["summary"]:
            out.append(f"摘要：《{eb['title']}》改为“{eb['summary']}”")
        if ea["figures"] != eb["figures"]:
            out.append(f"关键数据：《{eb['title']}》改为“{'；'.join(eb['figures'])}”")
    for s in new.get("sections", []):
        mine = [e["id"] for e in s["entries"] if e["id"] in a and a[e["id"]][0] == s["label"]]
        before = sorted(mine, key=lambda k: a[k][1])
        if mine != before:
            out.append(f"「{s['label']}」顺序调整")
    ha = {h["id"]: h["text"] for h in old.get("highlights", [])}
    hb = {h["id"]: h["text"] for h in new.get("highlights", [])}
    out += [f"要情删去：{ha[k]}" for k in ha if k not in hb]
    out += [f"要情新增：{hb[k]}" for k in hb if k not in ha]
    out += [f"要情：{ha[k]} → {hb[k]}" for k in hb if k in ha and ha[k] != hb[k]]
    if (old.get("editor_note") or "") != (new.get("editor_note") or ""):
        out.append(f"编者按：{new.get('editor_note') or '（删去）'}")
    return out


def describe_edits(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The change from one stored edits dict to another, key by key, as Chinese lines (for the
    conflict message: what the other editor saved)."""
    x, y = normalise(before), normalise(after)
    out = []
    names = {"exclude": "删去", "include": "收入", "move": "移动", "order": "排序", "entries": "条目修改",
             "highlights": "要情", "editor_note": "编者按"}
    for key in EDIT_KEYS:
        if x.get(key) == y.get(key):
            continue
        if isinstance(y.get(key), dict) or isinstance(x.get(key), dict):
            xs, ys = x.get(key) or {}, y.get(key) or {}
            for k in sorted(set(xs) | set(ys)):
                if xs.get(k) != ys.get(k):
                    out.append(f"{names[key]} {k}：{xs.get(k, '（无）')} → {ys.get(k, '（无）')}")
        else:
            out.append(f"{names[key]}：{x.get(key, '（无）')} → {y.get(key, '（无）')}")
    return out


def merge_edits(theirs: dict[str, Any] | None, mine: dict[str, Any] | None) -> dict[str, Any]:
    """Both editors' edits in one dict (after a conflict): ``mine`` wins where both changed the
    same field; lists are joined. The editor checks the result and saves it again."""
    x, y = normalise(theirs), normalise(mine)
    out: dict[str, Any] = dict(x)
    for key, val in y.items():
        if key in ("exclude", "include"):
            out[key] = list(dict.fromkeys((x.get(key) or []) + val))
        elif key == "entries":
            out[key] = {k: {**(x.get(key) or {}).get(k, {}), **v} for k, v in
                        {**{k: {} for k in x.get(key) or {}}, **val}.items()}
        elif isinstance(val, dict):
            out[key] = {**(x.get(key) or {}), **val}
        else:
            out[key] = val
    return normalise(out)
