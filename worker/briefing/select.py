"""Selecting what a briefing covers: the processed issues and articles of a period, the
taxonomy's sections, and the Zhejiang city an article is about (cities from the gazetteer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import func
from sqlmodel import Session, select

from worker.core.models import Article, Issue

#: Article kinds never shown in a briefing.
EXCLUDED_KINDS = frozenset({"ad", "advert", "advertisement"})


@lru_cache(maxsize=1)
def zhejiang_cities() -> tuple[str, ...]:
    """Short names of the home province's prefecture-level cities (杭州 … 丽水), in gazetteer order:
    the one city list, ``config/gazetteer.yaml`` read through :mod:`worker.enrich.places`."""
    from worker.enrich.places import get_gazetteer

    return tuple(p.name for p in get_gazetteer().places.values()
                 if p.level == "city" and p.parent is not None
                 and get_gazetteer().places[p.parent].home)

def load_taxonomy(config_dir: Path | None = None) -> list[tuple[str, str]]:
    """Topic ``(key, label)`` pairs in section order (the order of ``config/taxonomy.yaml``,
    ``other`` last) — the classifier's own taxonomy, so sections and topics never disagree.
    ``config_dir`` reads another folder's file instead (tests). Raises FileNotFoundError /
    yaml.YAMLError / ValueError for a missing or malformed file."""
    from worker.enrich.classify import Taxonomy, get_taxonomy

    if config_dir is None:
        taxonomy = get_taxonomy()
    else:
        taxonomy = Taxonomy(yaml.safe_load((Path(config_dir) / "taxonomy.yaml").read_text(encoding="utf-8")))
    return [(key, taxonomy.labels[key]) for key in taxonomy.keys]


def city_of(places: list[str] | None) -> str | None:
    """The city an article is about: the first place that is a Zhejiang city (``市`` dropped),
    else the first place, else None."""
    names = [str(p).strip().removesuffix("市") for p in (places or []) if p and str(p).strip()]
    for name in names:
        if name in zhejiang_cities():
            return name
    return names[0] if names else None


@dataclass
class PeriodData:
    """Processed issues and their articles in a period (ordered by date, page, seq)."""

    issues: list[Issue] = field(default_factory=list)
    articles: list[tuple[Article, Issue]] = field(default_factory=list)

    @property
    def issue_count(self) -> int:
        return len(self.issues)

    @property
    def article_count(self) -> int:
        return len(self.articles)


def gather(session: Session, start: date, end: date) -> PeriodData:
    """Issues with ``status == "processed"`` and ``start <= issue_date <= end`` and their
    articles (advertisements excluded)."""
    issues = list(session.exec(
        select(Issue).where(Issue.status == "processed", Issue.issue_date >= start,
                            Issue.issue_date <= end).order_by(Issue.issue_date, Issue.id)).all())
    data = PeriodData(issues=issues)
    if not issues:
        return data
    by_id = {i.id: i for i in issues}
    arts = session.exec(select(Article).where(Article.issue_id.in_(list(by_id)))).all()
    rows = [(a, by_id[a.issue_id]) for a in arts if (a.kind or "news") not in EXCLUDED_KINDS]
    rows.sort(key=lambda r: (r[1].issue_date, r[1].id, r[0].page or 999, r[0].seq))
    data.articles = rows
    return data


def _count_articles(session: Session, start: date, end: date) -> tuple[int, int]:
    issues = session.exec(select(Issue.id).where(
        Issue.status == "processed", Issue.issue_date >= start, Issue.issue_date <= end)).all()
    if not issues:
        return 0, 0
    n = session.exec(select(func.count()).select_from(Article).where(
        Article.issue_id.in_(list(issues)), Article.kind.notin_(list(EXCLUDED_KINDS)))).one()
    return len(issues), int(n)
