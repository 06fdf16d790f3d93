"""Processed issues for briefing tests and benchmarks, from our own text (issue 16).

* :func:`week` — the hand-written week in ``tests/data/briefing_week/issues.yaml`` (6 issues,
  Mon 2024-12-23 … Sat 2024-12-28, plus a re-encoded copy of one and two reprints), with the gold
  in ``gold.yaml`` beside it;
* :func:`month` — 30 issues (2024-11-01 … 2024-11-30), each 8 articles drawn from the week's
  articles with their cities, numbers and dates changed (a seeded ``random.Random``: the same
  month every run);
* :func:`load` — stores issues as processed :class:`worker.core.models.Issue` /
  :class:`worker.core.models.Article` rows (as enrichment leaves them), so a briefing can be made.
"""

from __future__ import annotations

import hashlib
import random
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

WEEK_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "briefing_week"
MONTH_START = date(2024, 11, 1)


def _read() -> dict[str, Any]:
    return yaml.safe_load((WEEK_DIR / "issues.yaml").read_text(encoding="utf-8"))


def week() -> list[tuple[str, date, list[dict[str, Any]]]]:
    """``[(issue key, issue date, [article dicts with "id"])]`` of the hand-written week, in date
    order; a copy issue (``copy_of``) repeats its original's articles (ids ``X@copy``)."""
    raw = _read()
    arts = {k: {"id": k, **v} for k, v in raw["articles"].items()}
    for rid, spec in (raw.get("reprints") or {}).items():
        arts[rid] = {**arts[spec["of"]], "id": rid, "page": spec["page"], "page_name": spec["page_name"]}
    out = []
    for key, ids in raw["issues"].items():
        if isinstance(ids, dict):
            orig = next(o for o in out if o[0] == ids["copy_of"])
            out.append((key, orig[1], [{**a, "id": a["id"] + "@copy"} for a in orig[2]]))
        else:
            out.append((key, date.fromisoformat(key[:10]), [dict(arts[i]) for i in ids]))
    return out


def _vary(article: dict[str, Any], rng: random.Random, cities: tuple[str, ...], day: date) -> dict[str, Any]:
    """``article`` with its Zhejiang cities swapped for others, its numbers scaled and its
    dates moved to ``day``."""
    swap = dict(zip(cities, rng.sample(cities, len(cities)), strict=True))
    city_re = re.compile("|".join(cities))
    factor = rng.choice((1, 2, 3))

    def text(s: str) -> str:
        s = re.sub(r"12月(\d{1,2})日", f"{day.month}月{day.day}日", s)
        s = re.sub(r"(?<![\d.])(\d{2,4})(?=[名家户人个万])", lambda m: str(int(m.group(1)) * factor), s)
        return city_re.sub(lambda m: swap[m.group()], s)

    out = {**article, "title": text(article["title"]),
           "paragraphs": [text(p) for p in article["paragraphs"]],
           "places": [swap.get(p, p) for p in article.get("places") or []]}
    out["figures"] = [{**f, "sentence": text(f.get("sentence", ""))}
                      for f in article.get("figures") or [] if f["text"] in "".join(out["paragraphs"])]
    return out


def month(start: date = MONTH_START, days: int = 30, per_issue: int = 8, seed: int = 16
          ) -> list[tuple[str, date, list[dict[str, Any]]]]:
    """30 daily issues of ``per_issue`` articles each (see the module docstring)."""
    from worker.briefing.select import zhejiang_cities

    rng = random.Random(f"briefing-month-{seed}")
    pool = [a for _, _, arts in week() for a in arts if not a["id"].endswith("@copy")]
    cities = zhejiang_cities()
    out = []
    for n in range(days):
        day = start + timedelta(days=n)
        picked = rng.sample(pool, per_issue)
        arts = [{**_vary(a, rng, cities, day), "id": f"{a['id']}#{n}", "page": 1 + i // 3}
                for i, a in enumerate(picked)]
        out.append((day.isoformat(), day, arts))
    return out


_FIELDS = ("page", "page_name", "kicker", "title", "subtitle", "source", "authors", "paragraphs",
           "category", "places", "figures", "people", "organizations")


def load(session, issues: list[tuple[str, date, list[dict[str, Any]]]], *,
         received: datetime | None = None) -> dict[str, int]:
    """Store ``issues`` as processed Issue/Article rows; returns ``{article id: Article.id}``.
    ``received`` sets every issue's ``received_at`` (default: the day after its date, 08:00 UTC)."""
    from worker.core.models import Article, Issue

    ids: dict[str, int] = {}
    for key, day, arts in issues:
        raw = f"{key}|{'|'.join(a['id'] for a in arts)}".encode()
        issue = Issue(file_name=f"{key}.txt", sha256=hashlib.sha256(raw).hexdigest(), raw=raw,
                      issue_date=day, masthead="浙江工人日报", status="processed",
                      article_count=len(arts),
                      received_at=received or datetime.combine(day, datetime.min.time(), UTC))
        session.add(issue)
        session.flush()
        rows = []
        for seq, a in enumerate(arts, 1):
            row = Article(issue_id=issue.id, seq=seq, summary="",
                          **{k: a[k] for k in _FIELDS if a.get(k) is not None})
            session.add(row)
            rows.append((a["id"], row))
        session.flush()
        ids.update({k: r.id for k, r in rows})
    session.commit()
    return ids
