"""The content of one briefing (:class:`worker.briefing.render.BriefingContent`) built from the
processed issues and articles of a period (issue 16): articles aggregated (duplicates merged,
同题报道 grouped), each entry's headline, summary, source line and figures, sections in the configured
order with their caps (另有N篇), 本期要情 (the top entries by importance), the 关键数据 table and the
chart data (weekly/monthly), and the appendix 本期文章目录."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session

from worker.briefing.config import load_briefing_config
from worker.briefing.figures import (
    _Fig,
    _reportable_sentence,
    article_figures,
    classify_figure,
    figures_from_text,
    key_figures,
)
from worker.briefing.merge import Text, aggregate
from worker.briefing.periods import period_containing
from worker.briefing.rank import facts_of, score
from worker.briefing.render import (
    ArticleEntry,
    BriefingContent,
    ClosingBlock,
    Highlight,
    TopicSection,
    period_text,
)
from worker.briefing.select import PeriodData, article_day, city_of, gather, load_taxonomy
from worker.briefing.text import _cut_title, headline_of, source_line, summary_of
from worker.core.models import Article, Issue
from worker.core.schedule import briefing_schedule
from worker.enrich.places import region_of

#: Summary length per kind (characters): weekly and monthly entries are shorter, so the
#: briefing keeps to its page budget (daily 4, weekly 6, monthly 8 pages).
SUMMARY_CHARS = {"daily": 120, "weekly": 70, "monthly": 60}
#: Entries shown in all (the rest are counted 另有N篇 and listed in the appendix).
MAX_ENTRIES = {"daily": 10, "weekly": 10, "monthly": 12}
#: Characters of a 本期要情 line before its （见第N条）.
HIGHLIGHT_CHARS = 40


@dataclass
class _Item:
    """One aggregated entry being built: the entry, its article, figure candidates."""

    entry: ArticleEntry
    article: Article
    candidates: list[tuple[_Fig, ArticleEntry]]


def _is_wire(article: Article, sections: dict[str, Any]) -> bool:
    src = (article.source or "").strip()
    return bool(src) and any(w in src for w in sections.get("wire_sources") or [])


def _entry(article: Article, issue: Issue, kind: str, cfg: dict[str, Any], known: set[str],
           late: bool) -> _Item:
    """The entry of one article (before ranking), with its figure candidates for the table."""
    per_article = int(cfg.get("figures_per_article") or 0)
    figs = list(article.figures or []) or figures_from_text(article.paragraphs)
    day = article_day(article, issue)
    headline = headline_of(article)
    sections = cfg["sections"]
    category = article.category if article.category in known else "other"
    if _is_wire(article, sections) and sections.get("wire_section") in known:
        category = sections["wire_section"]
    entry = ArticleEntry(
        title=headline, summary=summary_of(article, SUMMARY_CHARS[kind], title=headline),
        issue_date=day, page=article.page, page_name=article.page_name, newspaper=issue.masthead,
        source=article.source, category=category, city=city_of(article.places), late=late,
        article_id=article.id,
        source_line=source_line(cfg.get("paper_name") or issue.masthead, day, article.page,
                                article.source, article.authors))
    # a figure the summary already states is not said twice (short items: one sentence three times)
    entry.figures = [f for f in article_figures(figs, article.paragraphs, day, per_article, entry.city)
                     if f.split("：")[-1].strip("…").split("（")[0] not in entry.summary]
    candidates = []
    for f in figs:
        fig = classify_figure(f)
        found = None if fig is None else _reportable_sentence(f, article.paragraphs, day)
        if found is not None:
            fig.context, fig.at = found
            candidates.append((fig, entry))
    return _Item(entry, article, candidates)


def _items(data: PeriodData, kind: str, cfg: dict[str, Any], known: set[str]) -> list[_Item]:
    """Aggregated, scored entries of the period in reading order: duplicates merged silently,
    other reports of one event (weekly/monthly) listed under the first as 同题报道."""
    sections = cfg["sections"]
    dropped = set(sections.get("exclude_sources") or [])
    rows = [(a, i) for a, i in data.articles
            if not any(d and d in (a.source or "") for d in dropped)]
    agg = cfg["aggregation"]
    groups = aggregate([Text(a.title or "", tuple(a.paragraphs or []), article_day(a, i)) for a, i in rows],
                       duplicate=float(agg["duplicate"]), num_perm=int(agg.get("num_perm") or 128),
                       same_event=None if kind == "daily" else float(agg["same_event"]))
    out = []
    for head, _dups, others in groups:
        art, issue = rows[head]
        item = _entry(art, issue, kind, cfg, known, art.id in data.late)
        item.entry.same_event = [source_line(None, article_day(*rows[o]), rows[o][0].page, rows[o][0].source,
                                             rows[o][0].authors, short=True) for o in others]
        money = max((f.amount for f, _ in item.candidates if f.what == "金额"), default=Decimal(0))
        people = max((f.amount for f, _ in item.candidates if f.what == "人数"), default=Decimal(0))
        item.entry.score = score(facts_of(art, item.entry.title, money, people, 1 + len(others)),
                                 cfg["highlights"])
        out.append(item)
    return out


def _order(taxonomy: list[tuple[str, str]], cfg: dict[str, Any]) -> list[tuple[str, str]]:
    """Sections in the configured order (unlisted topics after, in taxonomy order), exclusions
    dropped; the wire-copy section last."""
    sec = cfg["sections"]
    rank = {k: i for i, k in enumerate(sec.get("order") or [])}
    keys = [(k, lab) for k, lab in taxonomy if k not in set(sec.get("exclude") or [])]
    keys.sort(key=lambda kl: (kl[0] == sec.get("wire_section"), rank.get(kl[0], len(rank))))
    return keys


def section_order(cfg: dict[str, Any], config_dir: Path | None = None) -> list[tuple[str, str]]:
    """The sections' ``(key, label)`` order of a briefing (see :func:`_order`): the desk places an
    entry moved into a section that has none yet by it."""
    return _order(load_taxonomy(config_dir), cfg)


def _sections(items: list[_Item], kind: str, cfg: dict[str, Any],
              taxonomy: list[tuple[str, str]]) -> list[TopicSection]:
    """Sections with their shown entries (most important first, within the section's cap and the
    kind's total) and 另有N篇; entries numbered 第N条 through the briefing."""
    sec = cfg["sections"]
    cap = int((sec.get("cap") or {}).get(kind) or 6)
    by_key: dict[str, list[ArticleEntry]] = {}
    for it in items:
        by_key.setdefault(it.entry.category, []).append(it.entry)
    candidates = []
    for key, entries in by_key.items():
        limit = min(cap, int(sec.get("wire_cap") or 2)) if key == sec.get("wire_section") else cap
        ranked = sorted(entries, key=lambda e: (-e.score, e.issue_date or date.min, e.page or 99))
        candidates += ranked[:limit]
    candidates.sort(key=lambda e: (-e.score, e.issue_date or date.min, e.page or 99))
    chosen = {id(e) for e in candidates[: MAX_ENTRIES[kind]]}
    out, ref = [], 0
    for key, label in _order(taxonomy, cfg):
        entries = by_key.get(key) or []
        shown = sorted((e for e in entries if id(e) in chosen),
                       key=lambda e: (-e.score, e.issue_date or date.min, e.page or 99))
        if not shown:
            continue
        for e in shown:
            ref += 1
            e.ref = ref
        out.append(TopicSection(key, label, shown, more=len(entries) - len(shown)))
    return out


def _highlights(sections: list[TopicSection], cfg: dict[str, Any]) -> list[Highlight]:
    """本期要情: the ``min``–``max`` most important shown entries (those scoring above 0 up to
    ``max``, at least ``min``), most important first, each its headline cut to
    :data:`HIGHLIGHT_CHARS` and the number of its entry; wire copy is never a 要情."""
    rules, wire = cfg["highlights"], cfg["sections"].get("wire_section")
    shown = sorted((e for s in sections for e in s.articles if s.key != wire),
                   key=lambda e: (-e.score, e.ref))
    lo, hi = int(rules.get("min") or 3), int(rules.get("max") or 5)
    picked = [e for e in shown[:hi] if e.score > 0]
    picked = picked if len(picked) >= lo else shown[:lo]
    return [Highlight(_cut_title(e.title, HIGHLIGHT_CHARS), e.ref, e.article_id) for e in picked]


def _masthead(cfg: dict[str, Any], kind: str, start: date, end: date, label: str, *, year: int,
              number: int, total: int | None, version: int, made_on: date) -> BriefingContent:
    mh, cl = cfg["masthead"], cfg["closing"]
    contact = cfg.get("contact") or {}
    return BriefingContent(
        kind=kind, kind_label=label, title=str(mh.get("title") or "工会信息简报"),
        issuing_unit=str(mh.get("issuing_unit") or ""), year=year, number=number,
        total_number=total, period_start=start, period_end=end, made_on=made_on, version=version,
        internal_mark=(str(mh.get("internal_mark_text") or "内部资料") if mh.get("internal_mark")
                       else None),
        closing=ClosingBlock(bao=list(cl.get("bao") or []), song=list(cl.get("song") or []),
                             fa=list(cl.get("fa") or []), copies=cl.get("copies"),
                             issuing_unit=str(mh.get("issuing_unit") or "")),
        contact=(str(contact.get("name") or ""), str(contact.get("phone") or ""))
        if contact.get("name") or contact.get("phone") else None,
        charts=bool(cfg.get("charts", True)) and kind != "daily",
        chart_font=cfg.get("chart_font"),
    )


def build_content(session: Session, kind: str, period_start: date, *, year: int, number: int,
                  version: int = 1, made_on: date, total: int | None = None,
                  editor_note: str | None = None, config: dict[str, Any] | None = None,
                  config_dir: Path | None = None, data: PeriodData | None = None) -> BriefingContent:
    """Everything the briefing of ``kind`` for the period containing ``period_start`` shows.

    ``year``/``number``/``version`` are the 第N期 allocated by the caller, ``total`` the 总第N期;
    ``made_on`` is the date printed in the masthead and the 印发 line; ``editor_note`` an optional
    编者按 for this briefing only. ``data`` may be passed to avoid querying twice.
    """
    cfg = config or load_briefing_config(config_dir)
    start, end = period_containing(kind, period_start)
    label = briefing_schedule(config_dir)[0][kind]["label"]
    content = _masthead(cfg, kind, start, end, label, year=year, number=number, total=total,
                        version=version, made_on=made_on)
    content.editor_note = (editor_note or "").strip() or None
    data = data or gather(session, start, end, kind=kind)
    content.issue_count, content.article_count = data.issue_count, data.article_count
    if not data.articles:
        content.empty_note = f"本期（{period_text(kind, start, end)}）未收到报纸，暂无信息。"
        return content
    taxonomy = load_taxonomy(config_dir)
    items = _items(data, kind, cfg, {k for k, _ in taxonomy})
    content.sections = _sections(items, kind, cfg, taxonomy)
    content.highlights = _highlights(content.sections, cfg)
    shown_ids = {id(e) for s in content.sections for e in s.articles}
    content.left_out = [it.entry for it in items if id(it.entry) not in shown_ids]
    labels = dict(taxonomy)
    content.topic_counts = Counter(labels.get(it.entry.category, "其他") for it in items).most_common()
    # places elsewhere count together as 省外 (the gazetteer's rule, worker.enrich.places.region_of)
    content.city_counts = Counter(region_of([it.entry.city]) for it in items if it.entry.city).most_common()
    if kind != "daily":
        shown = {id(e) for s in content.sections for e in s.articles}
        content.key_figures = key_figures([c for it in items if id(it.entry) in shown
                                           for c in it.candidates], int(cfg.get("key_figures") or 0))
        if cfg.get("appendix", True):
            order = {k: i for i, (k, _) in enumerate(_order(taxonomy, cfg))}
            content.appendix = sorted((it.entry for it in items),
                                      key=lambda e: (e.issue_date or date.min, e.page or 99))
            content.appendix.sort(key=lambda e: order.get(e.category, len(order)))
    return content
