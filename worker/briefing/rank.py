"""Importance of a briefing entry, by the rules in ``config/briefing.yaml`` → ``highlights``
(issue 16): the provincial federation's own actions, leaders present (names and titles in the
config), money and people reached, topics the office marks as priority, several reports of one
event, and the front page. Scores add up; the 本期要情 are the top entries, and each section shows
its entries in score order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from worker.briefing.text import sentences
from worker.core.models import Article


@dataclass(frozen=True)
class Facts:
    """What an entry's score is computed from: its ``headline``, ``lead`` (first paragraph),
    ``text`` (whole body), ``category``, newspaper ``page``, the largest ``money`` (元) and
    ``people`` (persons) among its reportable figures, and ``reports`` (1 + 同题报道)."""

    headline: str
    lead: str
    text: str
    category: str
    page: int | None
    money: Decimal = Decimal(0)
    people: Decimal = Decimal(0)
    reports: int = 1


def facts_of(article: Article, headline: str, money: Decimal, people: Decimal, reports: int) -> Facts:
    """:class:`Facts` of ``article`` shown under ``headline`` (see :func:`score`)."""
    paras = [p for p in article.paragraphs or [] if p and p.strip()]
    kicker = getattr(article, "kicker", None) or ""
    return Facts(headline=f"{kicker} {headline}", lead=paras[0] if paras else "", text="".join(paras),
                 category=article.category or "other", page=article.page, money=money, people=people,
                 reports=reports)


def reasons(f: Facts, rules: dict[str, Any]) -> list[str]:
    """The rules ``f`` meets, by name: ``own`` (an own-organisation name in the headline or the
    first sentence of the lead), ``leader`` (a leader's name or a leader title anywhere),
    ``money`` / ``people`` (at least ``money_yuan`` 元 / ``people`` persons), ``priority`` (a
    priority topic), ``same_event`` (once per further report), ``front_page`` (page 1)."""
    out = []
    first = (sentences(f.lead) or [""])[0]
    if any(o and (o in f.headline or o in first) for o in rules.get("own_organisation") or []):
        out.append("own")
    names = [str(x.get("name") or "") for x in rules.get("leaders") or [] if isinstance(x, dict)]
    if any(n and n in f.text for n in names) or any(
            t and t in f.text for t in rules.get("leader_titles") or []):
        out.append("leader")
    if f.money >= Decimal(str(rules.get("money_yuan") or 10**6)):
        out.append("money")
    if f.people >= Decimal(str(rules.get("people") or 1000)):
        out.append("people")
    if f.category in (rules.get("priority_topics") or []):
        out.append("priority")
    out += ["same_event"] * max(0, f.reports - 1)
    if f.page == 1:
        out.append("front_page")
    return out


def score(f: Facts, rules: dict[str, Any]) -> float:
    """The importance of ``f``: the sum of ``rules["weights"][name]`` over :func:`reasons`
    (a rule without a weight counts 1; ``front_page`` defaults to 1)."""
    weights = {"front_page": 1, **(rules.get("weights") or {})}
    return float(sum(weights.get(r, 1) for r in reasons(f, rules)))
