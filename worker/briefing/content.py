"""The content of one briefing (:class:`worker.briefing.render.BriefingContent`) built from the
processed issues and articles of a period: sections, 要情, overview, figures, chart data."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
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
from worker.briefing.periods import load_schedule, period_containing
from worker.briefing.render import (
    ArticleEntry,
    BriefingContent,
    ClosingBlock,
    TopicSection,
    period_text,
)
from worker.briefing.select import PeriodData, _count_articles, city_of, gather, load_taxonomy
from worker.briefing.text import author_names, summary_of, title_of


def _overview(kind: str, start: date, end: date, data: PeriodData, sections: list[TopicSection],
              cities: list[tuple[str, int]], prev: tuple[int, int]) -> str:
    """The 概述 paragraph: issues and articles of the period, the leading topics and places, and the
    change in articles against the previous period (``prev`` = its issues, articles). Only topics
    and places with at least 2 articles are called 较集中/较多 (the top 3); when each has one, they
    are listed plainly (up to 3, else just counted)."""
    text = (f"本期（{period_text(kind, start, end)}）共收到报纸{data.issue_count}期，"
            f"选编文章{data.article_count}篇")
    ranked = sorted(sections, key=lambda s: -len(s.articles))
    if ranked:
        text += f"，涉及{len(sections)}个主题"
        top = [s for s in ranked if len(s.articles) >= 2][:3]
        if top:
            text += "，报道较集中的是" + "、".join(f"{s.label}（{len(s.articles)}篇）" for s in top)
        elif len(ranked) <= 3:
            text += "（" + "、".join(s.label for s in ranked) + (
                "，各1篇）" if len(ranked) > 1 else "）")
        else:
            text += "，各主题各1篇"
    text += "。"
    if cities:
        top_cities = [(c, n) for c, n in cities if n >= 2][:3]
        if top_cities:
            text += "报道较多的地区为" + "、".join(f"{c}（{n}篇）" for c, n in top_cities) + "。"
        elif len(cities) <= 3:
            text += "报道涉及" + "、".join(c for c, _ in cities) + ("，各1篇。" if len(cities) > 1 else "。")
        else:
            text += f"报道涉及{len(cities)}个地区，各1篇。"
    prev_issues, prev_articles = prev
    if prev_issues == 0:
        text += "上期未收到报纸。"
    else:
        diff = data.article_count - prev_articles
        if diff > 0:
            text += f"较上期增加{diff}篇。"
        elif diff < 0:
            text += f"较上期减少{-diff}篇。"
        else:
            text += "文章数与上期持平。"
    return text


def build_content(session: Session, kind: str, period_start: date, *, year: int, number: int,
                  version: int = 1, made_on: date, config: dict[str, Any] | None = None,
                  config_dir: Path | None = None, data: PeriodData | None = None) -> BriefingContent:
    """Everything the briefing of ``kind`` for the period containing ``period_start`` shows.

    ``year``/``number``/``version`` are the 第N期 allocated by the caller; ``made_on`` is the date
    printed in the masthead. ``data`` may be passed to avoid querying twice.
    """
    cfg = config or load_briefing_config(config_dir)
    start, end = period_containing(kind, period_start)
    label = load_schedule(config_dir)[0][kind]["label"]
    mh, cl = cfg["masthead"], cfg["closing"]
    content = BriefingContent(
        kind=kind, kind_label=label, title=str(mh.get("title") or "工会信息简报"),
        issuing_unit=str(mh.get("issuing_unit") or ""), year=year, number=number,
        period_start=start, period_end=end, made_on=made_on, version=version,
        internal_mark=(str(mh.get("internal_mark_text") or "内部资料") if mh.get("internal_mark")
                       else None),
        closing=ClosingBlock(bao=list(cl.get("bao") or []), song=list(cl.get("song") or []),
                             fa=list(cl.get("fa") or []), copies=cl.get("copies"),
                             issuing_unit=str(mh.get("issuing_unit") or "")),
        charts=bool(cfg.get("charts", True)),
        chart_font=cfg.get("chart_font"),
    )
    data = data or gather(session, start, end)
    content.issue_count, content.article_count = data.issue_count, data.article_count
    if not data.issues:
        content.empty_note = f"本期（{period_text(kind, start, end)}）未收到报纸，暂无信息。"
        return content

    taxonomy = load_taxonomy(config_dir)
    known = {k for k, _ in taxonomy}
    sections = {k: TopicSection(k, lab) for k, lab in taxonomy}
    per_article = int(cfg.get("figures_per_article") or 0)
    candidates: list[tuple[_Fig, ArticleEntry]] = []
    cities: Counter[str] = Counter()
    days: Counter[date] = Counter()
    for art, issue in data.articles:
        figs = list(art.figures or []) or figures_from_text(art.paragraphs)
        entry = ArticleEntry(
            title=title_of(art), summary=summary_of(art), issue_date=issue.issue_date,
            page=art.page, page_name=art.page_name, newspaper=issue.masthead,
            source=art.source, authors=author_names(art.authors),
            figures=article_figures(figs, art.paragraphs, issue.issue_date, per_article),
            category=art.category if art.category in known else "other",
            city=city_of(art.places))
        sections[entry.category].articles.append(entry)
        if entry.city:
            cities[entry.city] += 1
        days[issue.issue_date] += 1
        for f in figs:
            fig = classify_figure(f)
            found = None if fig is None else _reportable_sentence(f, art.paragraphs, issue.issue_date)
            if found is not None:
                fig.context, fig.at = found
                candidates.append((fig, entry))
    content.sections = [s for s in sections.values() if s.articles]
    content.topic_counts = [(s.label, len(s.articles)) for s in content.sections]
    content.city_counts = cities.most_common()
    if kind != "daily":
        d, content.day_counts = start, []
        while d <= end:
            lab = f"{d.month}月{d.day}日" if kind == "weekly" else f"{d.day}日"
            content.day_counts.append((lab, days.get(d, 0)))
            d += timedelta(days=1)
    content.key_figures = key_figures(candidates, int(cfg.get("key_figures") or 0))
    prev_start = period_containing(kind, start - timedelta(days=1))[0]
    prev = _count_articles(session, prev_start, start - timedelta(days=1))
    content.overview = _overview(kind, start, end, data, content.sections, content.city_counts, prev)
    return content
