"""Enrichment of one parsed article: topic, places, people, organisations, figures, keywords, summary.

Entry point :func:`enrich_article`. The article is segmented ONCE (``worker.enrich.segment``, rjieba) and
the tokens are shared by every step; the taxonomy, gazetteer, stop words, segmenter and learned model
are process-wide caches loaded lazily on first use (the model is re-checked for a newer version every
few seconds, see ``worker.enrich.classify.get_model``). Nothing here imports scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from worker.enrich.classify import classify_doc
from worker.enrich.figures import Figure
from worker.enrich.figures import extract_figures as _extract_figures
from worker.enrich.keywords import extract_keywords, summarize
from worker.enrich.people import extract_organizations, extract_people
from worker.enrich.places import extract_places
from worker.enrich.segment import Doc, make_doc

if TYPE_CHECKING:
    from worker.parsing.parser import ParsedArticle

__all__ = ["Enrichment", "Figure", "article_doc", "enrich_article", "enrich_doc"]


@dataclass
class Enrichment:
    """What enrichment found in one article.

    ``category``: taxonomy key (politics … other); ``category_label``: its label (时政要闻 …);
    ``category_scores``: every key → 0…1; ``secondary_categories``: further keys that also fit;
    ``places``: canonical short place names, city before its counties (["宁波", "镇海"]);
    ``people``: full names, byline authors first; ``organizations``: organisation names;
    ``figures``: amounts and counts (:class:`worker.enrich.figures.Figure`); ``keywords``: up to 8 words;
    ``summary``: 1–3 whole sentences, ≤ 120 characters."""

    category: str
    category_label: str
    category_scores: dict[str, float] = field(default_factory=dict)
    secondary_categories: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    summary: str = ""

    def to_dict(self) -> dict:
        """JSON-safe dict (figures as dicts with Decimal values as strings)."""
        return {"category": self.category, "category_label": self.category_label,
                "category_scores": dict(self.category_scores),
                "secondary_categories": list(self.secondary_categories), "places": list(self.places),
                "people": list(self.people), "organizations": list(self.organizations),
                "figures": [f.to_dict() for f in self.figures], "keywords": list(self.keywords),
                "summary": self.summary}


def article_doc(kicker: str | None, title: str | None, subtitle: str | None, title_derived: bool,
                paragraphs: list[str], captions: list[str] | None = None) -> Doc:
    """The segmented :class:`~worker.enrich.segment.Doc` of an article given its fields (a derived title —
    the first sentence of a 简讯 item — is not counted as a headline a second time)."""
    headline = [] if title_derived else [x for x in (kicker, title, subtitle) if x]
    return make_doc(headline, paragraphs or [], captions or [])


def enrich_doc(doc: Doc, authors: list[str] | None = None) -> Enrichment:
    """Enrich an already segmented article; ``authors``: byline names."""
    authors = [a for a in authors or [] if a]
    author_set = frozenset(authors)
    cls = classify_doc(doc)
    people = extract_people(doc, authors)
    places = extract_places(doc, author_set | frozenset(people))  # 主任许昌说: a person, not 许昌
    figures = _extract_figures(doc)
    organizations = extract_organizations(doc)
    keywords = extract_keywords(doc, exclude=frozenset(people) | frozenset(places) | author_set)
    return Enrichment(category=cls.category, category_label=cls.label, category_scores=cls.scores,
                      secondary_categories=cls.secondary, places=places, people=people,
                      organizations=organizations, figures=figures, keywords=keywords,
                      summary=summarize(doc))


def enrich_article(article: ParsedArticle) -> Enrichment:
    """Enrich one :class:`worker.parsing.ParsedArticle` (uses its headline, paragraphs, captions and
    byline authors; never its dateline). Pure CPU work on cached resources; raises only if the
    configuration files are missing or malformed (FileNotFoundError, yaml.YAMLError, ValueError)."""
    doc = article_doc(article.kicker, article.title, article.subtitle, article.title_derived,
                      article.paragraphs, article.captions)
    return enrich_doc(doc, [a.name for a in article.authors])


def warm_up() -> None:
    """Load every per-process resource (segmenter with its dictionaries, taxonomy, gazetteer,
    stop words, learned model) by enriching a tiny article, so an ingest worker's first real task
    costs the same as its thousandth. Called once in the worker's main process before the pool
    forks (the children share the loaded pages)."""
    from worker.parsing.parser import Author, ParsedArticle

    enrich_article(ParsedArticle(seq=1, title="杭州市总工会举办职工技能大赛",
                                 authors=[Author(name="张三", role="记者")],
                                 paragraphs=["近日，杭州市总工会举办职工技能大赛，共有120名职工参赛，奖金共计3万元。"]))
