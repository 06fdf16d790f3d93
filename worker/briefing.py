"""What goes into a briefing (简报), read from the DB, and making/numbering/recording one.

* :func:`build_content` reads the processed issues and articles of a period and returns a
  :class:`worker.render.BriefingContent` (no rendering here);
* :func:`make_briefing` allocates 第N期, renders, writes the .docx to the outbox atomically and
  records the :class:`worker.models.Briefing` row;
* :func:`make_due_briefings` makes every due, not-yet-made period of a kind (catch-up after
  downtime), using :func:`worker.periods.due_periods`.

Numbering: 第N期 counts per (kind, year of the period start) — daily, weekly and monthly have
independent sequences, a new year restarts at 1. A number is never reused: the next number is
the largest ever recorded + 1 (rows are never deleted). ``force`` re-makes a period as version
+1 with the same number. A period without any processed issue is, per ``empty_period`` in
``config/briefing.yaml``, either a short briefing (takes a number) or a row with status
``skipped`` with no file and no number (NULL), so it never takes a printed 第N期 number.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from worker.delivery import PdfConversionError, convert_to_pdf, outbox_name, write_atomic
from worker.keywords import closing_marks
from worker.models import Article, Briefing, Issue, ServiceMeta
from worker.periods import (
    DEFAULT_TIMEZONE,
    due_periods,
    load_schedule,
    period_containing,
)
from worker.render import (
    ArticleEntry,
    BriefingContent,
    ClosingBlock,
    KeyFigure,
    TopicSection,
    period_text,
    render,
)
from worker.segment import SENTENCE_RE

log = logging.getLogger(__name__)

#: Fallback taxonomy (key → label) in section order, used when config/taxonomy.yaml is missing.

#: Prefecture-level cities of Zhejiang: preferred over other place names for the city chart.
ZHEJIANG_CITIES = ("杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水")

#: Article kinds never shown in a briefing.
EXCLUDED_KINDS = frozenset({"ad", "advert", "advertisement"})

SUMMARY_MAX_CHARS = 120
MAX_NUMBER_ATTEMPTS = 5

DEFAULT_CONFIG: dict[str, Any] = {
    "masthead": {"title": "工会信息简报", "issuing_unit": "浙江省总工会办公室", "internal_mark": True,
                 "internal_mark_text": "内部资料 注意保存"},
    "closing": {"bao": [], "song": [], "fa": [], "copies": None},
    "email": {"daily": [], "weekly": [], "monthly": []},
    "empty_period": "short",
    "pdf": True,
    "charts": True,
    "chart_font": None,
    "key_figures": 10,
    "figures_per_article": 4,
}


# ============================================================================================
# Configuration


def load_briefing_config(config_dir: Path | None = None) -> dict[str, Any]:
    """``config/briefing.yaml`` merged over :data:`DEFAULT_CONFIG` (one level deep).

    Raises ``ValueError`` if ``empty_period`` is not ``short`` or ``skip``.
    """
    if config_dir is None:
        from worker.settings import get_settings

        config_dir = get_settings().config_dir
    path = Path(config_dir) / "briefing.yaml"
    raw: dict[str, Any] = {}
    if path.is_file():
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    cfg: dict[str, Any] = {}
    for key, default in DEFAULT_CONFIG.items():
        val = raw.get(key, default)
        if isinstance(default, dict):
            val = {**default, **(val or {})}
        cfg[key] = val
    if cfg["empty_period"] not in ("short", "skip"):
        raise ValueError(f"briefing.yaml: empty_period must be short or skip, not {cfg['empty_period']!r}")
    return cfg


def recipients_for(kind: str, config: dict[str, Any]) -> list[str]:
    """E-mail recipients of a briefing kind from the config (``email: {kind: [addr…]}``)."""
    value = (config.get("email") or {}).get(kind) or []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    return [str(v).strip() for v in value if str(v).strip()]


def load_taxonomy(config_dir: Path | None = None) -> list[tuple[str, str]]:
    """Topic ``(key, label)`` pairs in section order (the order of ``config/taxonomy.yaml``,
    ``other`` last) — the classifier's own taxonomy, so sections and topics never disagree.
    ``config_dir`` reads another folder's file instead (tests). Raises FileNotFoundError /
    yaml.YAMLError / ValueError for a missing or malformed file."""
    from worker.classify import Taxonomy, get_taxonomy

    if config_dir is None:
        taxonomy = get_taxonomy()
    else:
        taxonomy = Taxonomy(yaml.safe_load((Path(config_dir) / "taxonomy.yaml").read_text(encoding="utf-8")))
    return [(key, taxonomy.labels[key]) for key in taxonomy.keys]


# ============================================================================================
# Article → entry helpers


_SENTENCE_END = re.compile(r"(?<=[。！？!?；])")


def summary_of(article: Article, limit: int = SUMMARY_MAX_CHARS) -> str:
    """The article's ``summary``, else its first whole sentences up to ``limit`` characters
    (a single longer first sentence is cut and ends with ``…`` plus the closing marks of any
    quotation or bracket the cut leaves open)."""
    if article.summary and article.summary.strip():
        return article.summary.strip()
    text = "".join(p.strip() for p in (article.paragraphs or []) if p and p.strip())
    if not text:
        return ""
    out = ""
    for m in SENTENCE_RE.finditer(text):  # a quotation is never split into two sentences
        if len(out) + len(m.group()) > limit:
            break
        out += m.group()
    if out:
        return out
    head = text[: limit - 1]
    head = head[: len(head) - len(closing_marks(head))]  # room for the marks that close a cut quotation
    return head + "…" + closing_marks(head)


UNTITLED_CHARS = 30


def title_of(article: Article) -> str:
    """The article title; an untitled one (e.g. a 简讯 item) gets its first clause, at most
    30 characters (``…`` when cut), or ``（无题）`` when it has no text either."""
    if article.title and article.title.strip():
        return article.title.strip()
    text = "".join(p.strip() for p in article.paragraphs or []).lstrip("■□●◆·-— ")
    if not text:
        return "（无题）"
    first = _SENTENCE_END.split(text, maxsplit=1)[0].rstrip("。！？!?；")
    return first if len(first) <= UNTITLED_CHARS else first[: UNTITLED_CHARS - 1] + "…"


def city_of(places: list[str] | None) -> str | None:
    """The city an article is about: the first place that is a Zhejiang city (``市`` dropped),
    else the first place, else None."""
    names = [str(p).strip().removesuffix("市") for p in (places or []) if p and str(p).strip()]
    for name in names:
        if name in ZHEJIANG_CITIES:
            return name
    return names[0] if names else None


def author_names(authors: list[Any] | None) -> list[str]:
    """Names from ``[{name, role}]`` (or plain strings)."""
    out = []
    for a in authors or []:
        name = a.get("name") if isinstance(a, dict) else a
        if name and str(name).strip():
            out.append(str(name).strip())
    return out


_MULTIPLIERS = (("万亿", Decimal(10) ** 12), ("亿", Decimal(10) ** 8), ("千万", Decimal(10) ** 7),
                ("百万", Decimal(10) ** 6), ("万", Decimal(10) ** 4), ("千", Decimal(1000)))
_PEOPLE_UNITS = ("人次", "人", "名", "位", "户")
_FIG_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(万亿|亿|千万|百万|万|千)?\s*(元|人次|人|名|位|户)")


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@dataclass
class _Fig:
    what: str  # 金额 | 人数
    amount: Decimal  # in 元 or persons
    text: str
    context: str


def classify_figure(fig: dict[str, Any]) -> _Fig | None:
    """Normalise an Article.figures item to (金额 in 元 | 人数 in persons); other units → None.

    ``value`` may be given either in the unit as written (41.6 with unit 亿元) or already scaled
    (4160000000 with unit 亿元 or 元); the number in ``text`` decides which.
    """
    unit = str(fig.get("unit") or "")
    text = str(fig.get("text") or "")
    mult, base = Decimal(1), unit
    for prefix, m in _MULTIPLIERS:
        if unit.startswith(prefix):
            mult, base = m, unit[len(prefix):]
            break
    if not base:
        m = _FIG_RE.search(text)
        if not m:
            return None
        mult = dict(_MULTIPLIERS).get(m.group(2) or "", Decimal(1))
        base = m.group(3)
    if base == "元":
        what = "金额"
    elif base in _PEOPLE_UNITS:
        what = "人数"
    else:
        return None
    low = _dec(fig.get("value"))
    high = _dec(fig.get("value_max")) or low
    m = re.search(r"\d+(?:\.\d+)?", text)
    written = _dec(m.group(0)) if m else None
    if high is None:
        if written is None:
            return None
        value = written * mult
    elif mult != 1 and (written is None or (low is not None and abs(low - written) < Decimal("0.0001"))):
        value = high * mult  # value given in the unit as written (41.6 + 亿元)
    else:
        value = high  # already in base units
    context = str(fig.get("sentence") or fig.get("qualifier") or "").strip()
    return _Fig(what, value, text or f"{value}{unit}", context)


#: Qualifiers that make a figure a limit or a shortfall, not an achievement (不超过7万人).
_LIMIT_QUALIFIERS = frozenset(("不超过", "不到", "不足", "以下", "以内"))
_CLAUSE_END = re.compile(r"[，；：。！？,;:!?]")
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})年(?!\d)")
_SINCE_RE = re.compile(r"以来|至今|迄今|起|累计")
#: A figure phrase in a briefing is at most this many characters (the clause around the figure).
FIGURE_PHRASE_CHARS = 28


def clause_with(sentence: str, text: str) -> tuple[str, int]:
    """The clause of ``sentence`` (between ，；：。！？) that contains ``text``, and the position of
    ``text`` in it; ("", -1) when ``sentence`` does not contain ``text``."""
    pos = sentence.find(text) if text else -1
    if pos < 0:
        return "", -1
    start = 0
    for m in _CLAUSE_END.finditer(sentence, 0, pos):
        start = m.end()
    end_m = _CLAUSE_END.search(sentence, pos + len(text))
    raw = sentence[start: end_m.start() if end_m else len(sentence)]
    indent = len(raw) - len(raw.lstrip())
    return raw.strip(), pos - start - indent


def is_reportable(fig: dict[str, Any], sentence: str, issue_date: date | None) -> bool:
    """Whether a figure (an Article.figures item) belongs among a briefing's key figures.

    Not reportable: limits and shortfalls (qualifier 不超过 不到 不足 以下 以内: 不超过7万人 is a
    threshold, not an achievement) and historic figures — the figure's clause names a year before
    the issue's (2022年…超2200亿元 in a 2024 issue) and nothing like 以来/累计 makes it cumulative,
    or says 去年/前年. ``sentence`` is the sentence the figure comes from ("" if unknown)."""
    if str(fig.get("qualifier") or "") in _LIMIT_QUALIFIERS:
        return False
    text = str(fig.get("text") or "")
    if any(text.startswith(q) for q in _LIMIT_QUALIFIERS) or text.endswith(("以下", "以内")):
        return False
    clause, pos = clause_with(sentence, text)
    if pos < 0:
        return True
    before = clause[:pos]
    if "去年" in before or "前年" in before:
        return False
    years = [int(y) for y in _YEAR_RE.findall(before)]
    return not (issue_date and years and max(years) < issue_date.year and not _SINCE_RE.search(clause))


def figure_phrase(sentence: str, text: str, limit: int = FIGURE_PHRASE_CHARS) -> str:
    """The figure ``text`` with the words around it in its clause, at most ``limit`` characters
    ("共为44.77万人次职工发放保障金7720.91万元"). A longer clause is cut at word boundaries (rjieba
    tokens) to a few words after the figure and as many before it as fit, with … where cut;
    ``text`` alone when ``sentence`` does not contain it."""
    clause, pos = clause_with(sentence, text)
    if pos < 0:
        return text
    if len(clause) <= limit:
        return clause
    import rjieba

    bounds, offset = [0], 0
    for word in rjieba.cut(clause):
        offset += len(word)
        bounds.append(offset)
    end = pos + len(text)
    tail = max((b for b in bounds if end <= b <= end + 6 and b - pos <= limit - 2), default=end)
    budget = limit - (tail < len(clause)) - 1  # room for the …s
    start = min((b for b in bounds if tail - budget <= b <= pos), default=pos)
    return ("…" if start else "") + clause[start:tail] + ("…" if tail < len(clause) else "")


def article_figures(figs: list[dict[str, Any]], paragraphs: list[str] | None, issue_date: date | None,
                    limit: int) -> list[str]:
    """Up to ``limit`` figure phrases (see :func:`figure_phrase`) to show under an article, in text
    order: of the reportable figures (see :func:`is_reportable`), the largest amounts (元) and head
    counts first, then figures written with a scale or qualifier or of at least 10 — a bare "3个"
    says nothing on its own. One phrase per clause and per figure text (37名 said twice shows once)."""
    ranked = []
    for n, f in enumerate(figs):
        text = str(f.get("text") or "")
        if not text:
            continue
        sentence = str(f.get("sentence") or "") or _sentence_with(paragraphs, text)
        if not is_reportable(f, sentence, issue_date):
            continue
        value = _dec(f.get("value_max")) or _dec(f.get("value")) or Decimal(0)
        money_or_people = classify_figure(f)
        if money_or_people is not None:
            rank = (0, -money_or_people.amount, n)  # the largest amounts and head counts first
        elif f.get("qualifier") or re.search(r"[万亿千]", text) or value >= 10:
            rank = (1, Decimal(0), n)
        else:
            continue
        ranked.append((rank, n, text, sentence))
    ranked.sort()
    out: list[tuple[int, str]] = []
    seen: set[str] = set()  # figure texts and clauses already shown
    for _, n, text, sentence in ranked:
        if len(out) >= limit:
            break
        clause = clause_with(sentence, text)[0] or text
        if text not in seen and clause not in seen:
            seen.update((text, clause))
            out.append((n, figure_phrase(sentence, text)))
    return [p for _, p in sorted(out)]


def _sentence_with(paragraphs: list[str] | None, text: str) -> str:
    """The first sentence of ``paragraphs`` that contains ``text`` ("" if none)."""
    if not text:
        return ""
    for para in paragraphs or []:
        if text in para:
            for sentence in _SENTENCE_END.split(para):
                if text in sentence:
                    return sentence.strip()
    return ""


def figures_from_text(paragraphs: list[str], limit: int = 6) -> list[dict[str, Any]]:
    """Fallback when enrichment has not produced ``figures``: amounts (元) and person counts
    found by a regular expression, as Article.figures-like dicts."""
    out: list[dict[str, Any]] = []
    for para in paragraphs or []:
        for sentence in _SENTENCE_END.split(para):
            for m in _FIG_RE.finditer(sentence):
                out.append({"text": m.group(0).replace(" ", ""), "value": m.group(1),
                            "unit": (m.group(2) or "") + m.group(3), "sentence": sentence.strip()})
                if len(out) >= limit:
                    return out
    return out


# ============================================================================================
# Content


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


def _overview(kind: str, start: date, end: date, data: PeriodData, sections: list[TopicSection],
              cities: list[tuple[str, int]], prev: tuple[int, int]) -> str:
    text = (f"本期（{period_text(kind, start, end)}）共收到报纸{data.issue_count}期，"
            f"选编文章{data.article_count}篇")
    ranked = sorted(sections, key=lambda s: -len(s.articles))
    if ranked:
        top = "、".join(f"{s.label}（{len(s.articles)}篇）" for s in ranked[:3])
        text += f"，涉及{len(sections)}个主题，报道较集中的是{top}"
    text += "。"
    if cities:
        text += "报道较多的地区为" + "、".join(f"{c}（{n}篇）" for c, n in cities[:3]) + "。"
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
            if fig is not None:
                if not fig.context:
                    fig.context = _sentence_with(art.paragraphs, fig.text)
                if is_reportable(f, fig.context, issue.issue_date):
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
    content.key_figures = _key_figures(candidates, int(cfg.get("key_figures") or 0))
    prev_start = period_containing(kind, start - timedelta(days=1))[0]
    prev = _count_articles(session, prev_start, start - timedelta(days=1))
    content.overview = _overview(kind, start, end, data, content.sections, content.city_counts, prev)
    return content


def _key_figures(candidates: list[tuple[_Fig, ArticleEntry]], limit: int) -> list[KeyFigure]:
    if limit <= 0:
        return []
    groups: dict[str, list[tuple[_Fig, ArticleEntry]]] = {"金额": [], "人数": []}
    seen: set[tuple[str, str]] = set()
    for fig, entry in sorted(candidates, key=lambda c: -c[0].amount):
        key = (fig.text, entry.title)
        if key in seen:
            continue
        seen.add(key)
        groups[fig.what].append((fig, entry))
    picked: list[tuple[_Fig, ArticleEntry]] = []
    # Alternate: the largest amounts and the largest head counts, up to ``limit`` rows.
    a, p = groups["金额"], groups["人数"]
    i = 0
    while len(picked) < limit and (i < len(a) or i < len(p)):
        for grp in (a, p):
            if i < len(grp) and len(picked) < limit:
                picked.append(grp[i])
        i += 1
    picked.sort(key=lambda c: (c[0].what != "金额", -c[0].amount))
    out = []
    for fig, entry in picked:
        ctx = fig.context
        if len(ctx) > 60:
            pos = ctx.find(fig.text)
            lo = max(0, min(pos - 20, len(ctx) - 60)) if pos >= 0 else 0
            ctx = ("…" if lo else "") + ctx[lo:lo + 60] + ("…" if lo + 60 < len(ctx) else "")
        out.append(KeyFigure(fig.text, fig.what, ctx, entry.title, entry.issue_date, entry.page))
    return out


# ============================================================================================
# Making briefings


def _next_number(session: Session, kind: str, year: int) -> int:
    top = session.exec(select(func.max(Briefing.number)).where(
        Briefing.kind == kind, Briefing.year == year)).one()
    return max(int(top or 0), 0) + 1


def _tz(settings) -> ZoneInfo:
    return ZoneInfo(getattr(settings, "timezone", None) or DEFAULT_TIMEZONE)


def make_briefing(session: Session, kind: str, period_start: date, *, force: bool = False,
                  now: datetime | None = None, settings=None, config: dict[str, Any] | None = None,
                  pdf: bool | None = None) -> Briefing | None:
    """Make the briefing of ``kind`` for the period containing ``period_start``.

    Returns the new :class:`Briefing` row (committed), or ``None`` when one already exists for
    (kind, period) and not ``force`` — including when a concurrent worker made it first (the
    unique keys raise ``IntegrityError``, which is taken as "already made"). ``force`` makes
    version+1 with the same 第N期 number. The .docx goes to ``settings.outbox_dir`` (written
    atomically); a PDF is added beside it when ``pdf`` (default: ``pdf`` in briefing.yaml) and
    LibreOffice is installed — PDF failures are logged, not raised. ``now`` (aware; default: now)
    gives the date printed in the masthead. An empty period follows ``empty_period``.

    Commits ``session`` (the row must be durable once the file exists); on any error the session
    is rolled back and the error re-raised. ``settings``/``config`` default to
    ``get_settings()`` / ``config/briefing.yaml``.
    """
    if settings is None:
        from worker.settings import get_settings

        settings = get_settings()
    cfg = config or load_briefing_config(settings.config_dir)
    start, end = period_containing(kind, period_start)
    tz = _tz(settings)
    now = now or datetime.now(tz)
    made_on = now.astimezone(tz).date()

    for _attempt in range(MAX_NUMBER_ATTEMPTS):
        existing = session.exec(select(Briefing).where(
            Briefing.kind == kind, Briefing.period_start == start
        ).order_by(Briefing.version.desc())).all()
        if existing and not force:
            return None
        data = gather(session, start, end)
        latest = existing[0] if existing else None
        published = latest is not None and latest.number is not None
        skip = data.issue_count == 0 and cfg["empty_period"] == "skip" and not published
        version = (latest.version + 1) if latest else 1
        year = latest.year if latest else start.year
        if published:
            number = latest.number
        elif skip:
            number = None
        else:
            number = _next_number(session, kind, year)
        row = Briefing(kind=kind, period_start=start, period_end=end, version=version, year=year,
                       number=number, status="skipped" if skip else "made",
                       issue_count=data.issue_count, article_count=data.article_count)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            log.info("briefing %s %s v%s: unique key taken concurrently; re-checking",
                     kind, start, version)
            continue
        try:
            if not skip:
                content = build_content(session, kind, start, year=year, number=number,
                                        version=version, made_on=made_on, config=cfg,
                                        config_dir=settings.config_dir, data=data)
                blob = render(content, Path(settings.templates_dir) / "briefing.docx")
                name = outbox_name(content.title, kind, content.kind_label, year, number, start,
                                   end, version)
                path = write_atomic(Path(settings.outbox_dir) / name, blob)
                row.file_path = str(path.relative_to(settings.var_dir)) if path.is_relative_to(
                    settings.var_dir) else str(path)  # an outbox outside var/ stays absolute
            session.add(row)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        session.refresh(row)
        log.info("briefing %s %s: %s 第%s期 v%s (%s issues, %s articles) %s", kind, start,
                 row.status, number, version, row.issue_count, row.article_count, row.file_path)
        if row.file_path and (cfg.get("pdf", True) if pdf is None else pdf):
            try:
                convert_to_pdf(row.path_in(settings.var_dir))
            except (PdfConversionError, OSError, subprocess.SubprocessError) as exc:
                log.warning("PDF conversion of %s failed: %s", row.file_path, exc)
        return row
    raise RuntimeError(f"could not allocate a number for the {kind} briefing of {start} "
                       f"after {MAX_NUMBER_ATTEMPTS} attempts")


def schedule_start_for(session: Session, settings, today: date) -> date:
    """The first period to make: ``settings.schedule_start``, else the ServiceMeta ``first_run``
    date (ISO date or datetime), else ``today``."""
    if getattr(settings, "schedule_start", None):
        return settings.schedule_start
    meta = session.get(ServiceMeta, "first_run")
    if meta and meta.value:
        try:
            return date.fromisoformat(meta.value.strip()[:10])
        except ValueError:
            log.warning("ServiceMeta first_run %r is not a date; using today", meta.value)
    return today


def make_due_briefings(session: Session, kind: str, now: datetime, *, settings=None,
                       config: dict[str, Any] | None = None, pdf: bool | None = None
                       ) -> list[Briefing]:
    """Make every period of ``kind`` that is due at ``now`` (aware) and has no Briefing row yet,
    oldest first (catch-up after downtime). Returns the rows made, including ``skipped`` ones
    (only ``status == "made"`` rows have a file to deliver)."""
    if settings is None:
        from worker.settings import get_settings

        settings = get_settings()
    tz = _tz(settings)
    sched, _ = load_schedule(settings.config_dir)
    made = set(session.exec(select(Briefing.period_start).where(Briefing.kind == kind)).all())
    first = schedule_start_for(session, settings, now.astimezone(tz).date())
    out: list[Briefing] = []
    for start in due_periods(kind, now, first, made, crontab=sched[kind]["crontab"], tz=str(tz)):
        row = make_briefing(session, kind, start, now=now, settings=settings, config=config, pdf=pdf)
        if row is not None:
            out.append(row)
    return out
