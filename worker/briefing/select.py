"""Selecting what a briefing covers: the processed issues and articles of a period, the
taxonomy's sections, and the Zhejiang city an article is about (cities from the gazetteer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlmodel import Session, select

from worker.core.models import Article, Briefing, Issue

#: Article kinds never shown in a briefing.
EXCLUDED_KINDS = frozenset({"ad", "advert", "advertisement"})


@lru_cache(maxsize=1)
def zhejiang_cities() -> tuple[str, ...]:
    """Short names of the home province's prefecture-level cities (杭州 … 丽水), in gazetteer order:
    the one city list, ``config/gazetteer.yaml`` read through :mod:`worker.enrich.places`."""
    from worker.enrich.places import get_gazetteer

    return tuple(get_gazetteer().home_cities())


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


#: Issues dated this many days around a period are read too: an article's own publication date
#: (``Article.published_on``) may put it in a neighbouring period.
DATE_MARGIN_DAYS = 7


def article_day(article: Article, issue: Issue) -> date | None:
    """The day an article belongs to: ``Article.published_on`` when the parser gave one (the
    column arrives with the parser's issue; read with getattr so both schemas work), else the
    issue's date."""
    return getattr(article, "published_on", None) or issue.issue_date


@dataclass
class PeriodData:
    """Processed issues of a period and their articles (ordered by date, issue, page, seq).
    ``late`` holds the ids of articles (补报) whose own period's briefing of this kind was made
    before their issue arrived; they are reported in the period their issue arrived in."""

    issues: list[Issue] = field(default_factory=list)
    articles: list[tuple[Article, Issue]] = field(default_factory=list)
    late: set[int] = field(default_factory=set)

    @property
    def issue_count(self) -> int:
        return len(self.issues)

    @property
    def article_count(self) -> int:
        return len(self.articles)


def _rows(session: Session, issues: list[Issue]) -> list[tuple[Article, Issue]]:
    by_id = {i.id: i for i in issues}
    if not by_id:
        return []
    arts = session.exec(select(Article).where(Article.issue_id.in_(list(by_id)))).all()
    return [(a, by_id[a.issue_id]) for a in arts if (a.kind or "news") not in EXCLUDED_KINDS]


def _late_rows(session: Session, kind: str, start: date, end: date, tz: ZoneInfo
               ) -> list[tuple[Article, Issue]]:
    """Articles dated before ``start`` whose issue arrived during ``[start, end]`` (local dates in
    ``tz``) after the briefing of ``kind`` for their own day had been made: 补报."""
    lo = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    issues = [i for i in session.exec(select(Issue).where(
        Issue.status == "processed", Issue.issue_date < start, Issue.received_at >= lo,
        Issue.received_at < hi)).all()]
    if not issues:
        return []
    made = session.exec(select(Briefing).where(Briefing.kind == kind, Briefing.status == "made",
                                               Briefing.period_start < start)).all()
    out = []
    for art, issue in _rows(session, issues):
        day = article_day(art, issue)
        received = issue.received_at if issue.received_at.tzinfo else issue.received_at.replace(tzinfo=UTC)
        if day is not None and day < start and any(
                b.period_start <= day <= b.period_end and _aware(b.created_at) < received for b in made):
            out.append((art, issue))
    return out


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def gather(session: Session, start: date, end: date, *, kind: str | None = None,
           tz: str = "Asia/Shanghai") -> PeriodData:
    """Processed issues dated ``start``–``end`` and the articles whose day (:func:`article_day`)
    falls in that range (advertisements excluded), plus, when ``kind`` is given, the 补报 articles
    of :func:`_late_rows` (their ids in ``late``)."""
    lo, hi = start - timedelta(days=DATE_MARGIN_DAYS), end + timedelta(days=DATE_MARGIN_DAYS)
    near = list(session.exec(
        select(Issue).where(Issue.status == "processed", Issue.issue_date >= lo,
                            Issue.issue_date <= hi).order_by(Issue.issue_date, Issue.id)).all())
    data = PeriodData(issues=[i for i in near if i.issue_date and start <= i.issue_date <= end])
    rows = [(a, i) for a, i in _rows(session, near) if (d := article_day(a, i)) and start <= d <= end]
    if kind is not None:
        late = _late_rows(session, kind, start, end, ZoneInfo(tz))
        data.late = {a.id for a, _ in late}
        rows += [r for r in late if r[0].id not in {a.id for a, _ in rows}]
    rows.sort(key=lambda r: (article_day(*r), r[1].id, r[0].page or 999, r[0].seq))
    data.articles = rows
    return data
