"""Searching the archive: query syntax, filters, ranking, totals and highlighted snippets.

Syntax (:func:`parse_query`): words are ANDed; ``"exact phrase"`` (or “…”) must occur verbatim
(letter case included);
``-word`` / ``-"phrase"`` excludes. A word matches an article when the smallest search-mode tokens of
the word all occur in it (see :func:`_term`: 困难职工 needs 困难 and 职工), so a text that segmented the
same characters differently (困难职工家庭 as one word) is still found. A phrase is narrowed by its tokens in
the index and then checked against the article's original text.

Use :func:`search` with a :class:`SearchQuery`; it returns a :class:`SearchResult` whose hits carry
the headline and a snippet as :class:`Snippet` (plain text + highlight spans, and ``.html`` with the
text escaped before ``<mark>`` is added; ``__html__`` makes Jinja print it unescaped). The console's
检索 page builds its query with :func:`query_from_params` from the form's values and pages with
``SearchResult.has_previous`` / ``has_next``.

Costs are bounded for any query: the total is counted exactly up to :data:`TOTAL_CAP` and then shown
as "1000+"; sorted by date, a page is a walk of the date-ordered index key; sorted by relevance, a
query with at most :data:`RANK_ALL_UP_TO` matches ranks all of them, a very common one ranks only
its :data:`CANDIDATES` newest matches (the office's questions are mostly about recent news; sort by
date to page through all of them).
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text

from worker.search.index import ID_MASK, key_range, lexemes, words

TOTAL_CAP = 1000
RANK_ALL_UP_TO = 1000
CANDIDATES = 200
#: Issue statuses left out unless ``include_withdrawn``; by name, so a status added later is found.
EXCLUDED_STATUSES = ("withdrawn", "duplicate")
SORTS = ("relevance", "date")
SNIPPET_CHARS = 120
MAX_WINDOWS = 30  # snippet windows tried (a long article may match a common word hundreds of times)

_TERM = re.compile(r'(-?)(?:"([^"]*)"?|“([^”]*)”?|(\S+))')


class QueryError(ValueError):
    """A query that cannot be run (no word to look for, unknown sort, bad paging, a bad date in a
    form). The message is in Chinese, fit to show the office as is."""


@dataclass(frozen=True)
class Term:
    """One word or phrase of a query and the index tokens that must all occur for it to match."""

    text: str
    tokens: tuple[str, ...]
    phrase: bool = False


@dataclass
class ParsedQuery:
    """``terms`` must all match, ``excluded`` must not."""

    terms: list[Term]
    excluded: list[Term]


def _split(word: str, parts: set[str]) -> list[str] | None:
    """``word`` as a concatenation of two or more of ``parts`` (the fewest pieces), or None."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(end):
            piece, before = word[start:end], best[start]
            if before is not None and piece != word and piece in parts and (
                    best[end] is None or len(before) + 1 < len(best[end])):
                best[end] = [*before, piece]
    return best[-1]


def _term(raw: str, phrase: bool) -> Term | None:
    """The tokens a term needs: each precise-mode word of the term, or — when the word is made of
    its own search-mode parts — those parts (困难职工 → 困难, 职工: a text that segmented 困难职工家庭 as
    one word has 困难 and 职工 among its tokens, never 困难职工); single characters are dropped when
    longer tokens remain (市总工会 → 总工会)."""
    grams = set(lexemes(raw))
    toks: list[str] = []
    for w in words(raw):
        toks.extend(_split(w, grams) or [w])
    toks = list(dict.fromkeys(toks))
    toks = [t for t in toks if len(t) > 1] or toks
    return Term(raw, tuple(toks), phrase) if toks else None


#: Bounds of a query: an office question is a few words; 2,000 repeated words took 70 s on SQLite.
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 12


def parse_query(query: str) -> ParsedQuery:
    """Split ``query`` into terms (see the module docstring). Raises :class:`QueryError` when there
    is no word or phrase to look for (only punctuation, or only excluded words), or when the query
    is longer than :data:`MAX_QUERY_CHARS` characters or has more than :data:`MAX_QUERY_TERMS`
    words and phrases (repeated words count once)."""
    if len(query or "") > MAX_QUERY_CHARS:
        raise QueryError(f"检索词太长（{len(query)} 个字符），请不超过 {MAX_QUERY_CHARS} 个字符")
    terms, excluded = [], []
    for m in _TERM.finditer(query or ""):
        neg, quoted = m.group(1) == "-", m.group(2) if m.group(2) is not None else m.group(3)
        raw = (quoted if quoted is not None else m.group(4) or "").strip()
        if not raw:
            continue
        term = _term(raw, phrase=quoted is not None)
        if term:
            (excluded if neg else terms).append(term)
    if not terms:
        raise QueryError("请输入至少一个检索词或“短语”（不能只有 -排除词）")
    terms, excluded = list(dict.fromkeys(terms)), list(dict.fromkeys(excluded))
    if len(terms) + len(excluded) > MAX_QUERY_TERMS:
        raise QueryError(f"检索词太多（{len(terms) + len(excluded)} 个），请不超过 {MAX_QUERY_TERMS} 个")
    return ParsedQuery(terms, excluded)


@dataclass
class SearchQuery:
    """What to look for. ``text`` uses the syntax of :func:`parse_query`. Filters (None = any):
    issue dates ``date_from``…``date_to`` (inclusive), ``topic`` (taxonomy key), ``place`` (any
    surface form: 金华市 = 金华), ``person``, ``page`` (版 number), ``issue_id``, ``kind`` (news,
    brief, …). ``sort``: relevance | date (newest first). ``limit`` ≥ 1 hits from ``offset``."""

    text: str
    date_from: date | None = None
    date_to: date | None = None
    topic: str | None = None
    place: str | None = None
    person: str | None = None
    page: int | None = None
    issue_id: int | None = None
    kind: str | None = None
    sort: str = "relevance"
    limit: int = 20
    offset: int = 0
    include_withdrawn: bool = False


@dataclass
class Snippet:
    """A piece of original text with ``spans`` [(start, end)] of the matched words (character
    offsets into ``text``). ``html`` escapes the text and wraps each span in ``<mark>``."""

    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def html(self) -> str:
        out, pos = [], 0
        for s, e in self.spans:
            out.append(html.escape(self.text[pos:s]))
            out.append("<mark>" + html.escape(self.text[s:e]) + "</mark>")
            pos = e
        out.append(html.escape(self.text[pos:]))
        return "".join(out)

    def __html__(self) -> str:  # Jinja/markupsafe: already safe
        return self.html


@dataclass
class Hit:
    """One found article. ``score``: higher is more relevant (0 when sorted by date)."""

    article_id: int
    issue_id: int
    issue_date: date | None
    page: int | None
    page_name: str | None
    kind: str
    category: str
    places: list[str]
    people: list[str]
    headline: Snippet
    snippet: Snippet
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates ISO, snippets as text + spans + html)."""
        d = {k: getattr(self, k) for k in ("article_id", "issue_id", "page", "page_name", "kind", "category",
                                          "places", "people", "score")}
        d["issue_date"] = self.issue_date.isoformat() if self.issue_date else None
        for k in ("headline", "snippet"):
            s = getattr(self, k)
            d[k] = {"text": s.text, "spans": [list(x) for x in s.spans], "html": s.html}
        return d


@dataclass
class SearchResult:
    """``total`` is exact when ``total_exact``; otherwise more than :data:`TOTAL_CAP` matched."""

    query: SearchQuery
    parsed: ParsedQuery
    hits: list[Hit]
    total: int
    total_exact: bool

    @property
    def total_label(self) -> str:
        """"37", or "1000+" past the cap."""
        return str(self.total) if self.total_exact else f"{TOTAL_CAP}+"

    @property
    def has_previous(self) -> bool:
        return self.query.offset > 0

    @property
    def has_next(self) -> bool:
        """Whether a next page may hold hits (past the cap: while pages come back full)."""
        shown = self.query.offset + len(self.hits)
        return shown < self.total if self.total_exact else len(self.hits) == self.query.limit


def query_from_params(params: Mapping[str, str], page_size: int = 20) -> SearchQuery:
    """A :class:`SearchQuery` from web form/query-string values (the console's 检索 page):
    ``q``, ``from``/``to`` (YYYY-MM-DD), ``topic``, ``place``, ``person``, ``page`` (版), ``issue``,
    ``kind``, ``sort`` (relevance | date), ``p`` (result page, from 1), ``include_withdrawn``
    (any non-empty value but "0"). Empty values mean "any". Raises :class:`QueryError` with a
    message fit to show the user (in Chinese) for a bad date or number."""
    def value(key: str) -> str | None:
        v = (params.get(key) or "").strip()
        return v or None

    def number(key: str, label: str) -> int | None:
        v = value(key)
        if v is None:
            return None
        if not v.isdigit():
            raise QueryError(f"{label}应为数字：{v}")
        return int(v)

    def day(key: str, label: str) -> date | None:
        v = value(key)
        try:
            return date.fromisoformat(v) if v else None
        except ValueError:
            raise QueryError(f"{label}应为日期（YYYY-MM-DD）：{v}") from None

    sort = value("sort") or "relevance"
    if sort not in SORTS:
        raise QueryError(f"排序方式应为 relevance 或 date：{sort}")
    result_page = max(1, number("p", "页码") or 1)
    return SearchQuery(value("q") or "", date_from=day("from", "起始日期"), date_to=day("to", "截止日期"),
                       topic=value("topic"), place=value("place"), person=value("person"),
                       page=number("page", "版次"), issue_id=number("issue", "期号"), kind=value("kind"),
                       sort=sort, limit=page_size, offset=(result_page - 1) * page_size,
                       include_withdrawn=value("include_withdrawn") not in (None, "0"))


# --- SQL --------------------------------------------------------------------------------------


def _fts_string(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _facet_tokens(q: SearchQuery, topic: bool = False) -> list[str]:
    from worker.enrich.places import normalise_place

    out = [f"topic={q.topic}"] if topic and q.topic else []
    if q.issue_id is not None:
        out.append(f"issue={q.issue_id}")
    if q.place:
        out.append(f"place={normalise_place(q.place) or q.place.strip()}")
    if q.person:
        out.append(f"person={q.person.strip()}")
    if q.page is not None:
        out.append(f"page={q.page}")
    if q.kind:
        out.append(f"kind={q.kind.strip()}")
    return out


def _match_fts5(parsed: ParsedQuery, facet_toks: list[str]) -> str:
    """The FTS5 MATCH expression: every token a quoted string, which FTS5 tokenizes exactly as it
    tokenized the stored text."""
    expr = "(" + " AND ".join(_fts_string(t) for term in parsed.terms for t in term.tokens) + ")"
    for f in facet_toks:
        expr += f" AND facets : {_fts_string(f)}"
    for term in parsed.excluded:
        expr = f"({expr}) NOT (" + " AND ".join(_fts_string(t) for t in term.tokens) + ")"
    return expr


def _match_tsquery(parsed: ParsedQuery, facet_toks: list[str], params: dict[str, Any]) -> str:
    """A tsquery SQL expression: each token through ``plainto_tsquery('simple', …)`` — the parser
    that made the stored lexemes — combined with ``&&`` / ``!!``; facets are literal lexemes.
    Adds its values to ``params``."""
    def tok(t: str) -> str:
        name = f"t{len(params)}"
        params[name] = t
        return f"plainto_tsquery('simple', :{name})"

    parts = [tok(t) for term in parsed.terms for t in term.tokens]
    for f in facet_toks:
        name = f"t{len(params)}"
        params[name] = "'" + f.replace("\\", "\\\\").replace("'", "''") + "'"
        parts.append(f"CAST(:{name} AS tsquery)")
    for term in parsed.excluded:
        parts.append("!!(" + " && ".join(tok(t) for t in term.tokens) + ")")
    return "(" + " && ".join(parts) + ")"


@dataclass
class _Plan:
    dialect: str
    sql_from: str  # FROM … WHERE … (no ORDER BY)
    params: dict[str, Any]
    key: str  # the sort_key column expression
    score: str  # relevance expression: smaller sorts first
    tsquery: str = ""  # PostgreSQL: the tsquery expression
    id: str = "a.id"  # the article id column expression


def _plan(dialect: str, parsed: ParsedQuery, q: SearchQuery) -> _Plan:
    lo, hi = key_range(q.date_from, q.date_to)
    params: dict[str, Any] = {"lo": lo, "hi": hi}
    tsq = ""
    phrases = [t for t in parsed.terms if t.phrase]
    if dialect == "postgresql":
        key, id_ = "s.sort_key", "s.article_id"
        tsq = _match_tsquery(parsed, _facet_tokens(q, topic=True), params)
        # every filter is in the tsquery or on issue: the wide article rows are read only for a phrase
        sql = ("FROM article_search s JOIN issue i ON i.id = s.issue_id "
               + ("JOIN article a ON a.id = s.article_id " if phrases else "")
               + f"WHERE s.document @@ {tsq} AND s.sort_key BETWEEN :lo AND :hi")
        score = f"-ts_rank(s.document, {tsq}, 1)"  # headline lexemes weigh A (1.0), body B (0.4)
        contains = "strpos(a.search_text, :{p}) > 0"  # lower() of the text cost 3× (measured)
    else:
        key, id_ = "f.rowid", "a.id"
        params["m"] = _match_fts5(parsed, _facet_tokens(q))
        sql = (f"FROM article_fts f JOIN article a ON a.id = (f.rowid & {ID_MASK}) JOIN issue i ON i.id = a.issue_id "
               "WHERE article_fts MATCH :m AND f.rowid BETWEEN :lo AND :hi")
        score = "bm25(article_fts, 4.0, 1.0, 0.0)"  # headline weighs 4× the body; facets nothing
        contains = "instr(a.search_text, :{p}) > 0"
        if q.topic:  # PostgreSQL: a facet (see index.py)
            sql += " AND a.category = :category"
            params["category"] = q.topic
    if not q.include_withdrawn:
        sql += " AND i.status NOT IN (" + ", ".join(f"'{s}'" for s in EXCLUDED_STATUSES) + ")"
    for n, term in enumerate(phrases):
        sql += " AND " + contains.format(p=f"p{n}")
        params[f"p{n}"] = term.text
    return _Plan(dialect, sql, params, key, score, tsq, id_)


def _run(db, plan: _Plan, sql: str, params: dict[str, Any]):
    """Execute ``sql``. On PostgreSQL the values are rendered into the statement (escaped by the
    driver's dialect), never sent as parameters: a prepared statement's generic plan cannot know
    whether a tsquery is rare (GIN) or very common (walk the date key), and psycopg prepares a
    statement after its fifth run — measured: 0.2 ms became 140 ms for a rare word."""
    stmt = text(sql)
    if plan.dialect == "postgresql":
        stmt = stmt.bindparams(*(bindparam(k, v, literal_execute=True) for k, v in params.items()
                                 if f":{k}" in sql))
        return db.execute(stmt)
    return db.execute(stmt, params)


def _dialect(db) -> str:
    bind = db.get_bind() if hasattr(db, "get_bind") else db
    return bind.dialect.name


def search(db, q: SearchQuery) -> SearchResult:
    """Run ``q`` on a SQLAlchemy/SQLModel ``Session`` or ``Connection`` ``db`` (read only).

    Returns a :class:`SearchResult`. Raises :class:`QueryError` for a query with nothing to look
    for, an unknown ``sort`` or a bad ``limit``/``offset``. Articles of withdrawn or duplicate
    issues are left out unless ``q.include_withdrawn``."""
    if q.sort not in SORTS:
        raise QueryError(f"排序方式应为 {' 或 '.join(SORTS)}：{q.sort}")
    if q.limit < 1 or q.offset < 0:
        raise QueryError("每页条数至少为 1，起始位置不能为负")
    parsed = parse_query(q.text)
    dialect = _dialect(db)
    plan = _plan(dialect, parsed, q)
    total = _run(db, plan, f"SELECT count(*) FROM (SELECT 1 {_from(plan, 'gin')} LIMIT {TOTAL_CAP + 1}) t",
                 plan.params).scalar()
    exact = total <= TOTAL_CAP
    params = {**plan.params, "limit": q.limit, "offset": q.offset}
    if total == 0:
        rows = []
    elif q.sort == "date":
        rows = _run(db, plan, f"SELECT {plan.id}, 0 {_from(plan, 'gin' if exact else 'walk')} "
                    f"ORDER BY {plan.key} DESC LIMIT :limit OFFSET :offset", params).all()
    else:
        if total > RANK_ALL_UP_TO:  # rank the newest CANDIDATES matches: a key range, one statement
            params["lo"] = _oldest_candidate(db, plan)
        rows = _run(db, plan, f"SELECT {plan.id}, {plan.score} AS score {_from(plan, 'walk' if not exact else 'gin')} "
                    f"ORDER BY score, {plan.key} DESC LIMIT :limit OFFSET :offset", params).all()
    hits = _hits(db, [(r[0], 0.0 if q.sort == "date" else -float(r[1])) for r in rows], parsed)
    return SearchResult(q, parsed, hits, min(total, TOTAL_CAP), exact)


def _from(plan: _Plan, how: str) -> str:
    """``plan``'s FROM … WHERE with, on PostgreSQL, the index rows read one of two ways, each in a
    subquery the planner may not flatten (``OFFSET 0``), because its LIMIT costing picks badly
    between them (measured on 150,000 articles: counting 工会 within one year walked the primary key
    for 218 ms; 16 matches of a rare word were found by walking the whole date index, 90 ms):

    * ``gin``: every match through the GIN index (then counted, sorted or ranked) — for counting
      and for a query with at most :data:`TOTAL_CAP` matches;
    * ``walk``: newest first along the date key, checking each row — for a page or the ranking
      candidates of a query with many matches, which stops after a few rows.

    FTS5 (SQLite) always reads its matches in key order, so SQLite's FROM is returned as is."""
    if plan.dialect != "postgresql":
        return plan.sql_from
    inner = ("SELECT article_id, issue_id, sort_key, document FROM article_search WHERE sort_key BETWEEN :lo AND :hi "
             + (f"AND document @@ {plan.tsquery} OFFSET 0" if how == "gin" else "ORDER BY sort_key DESC OFFSET 0"))
    return plan.sql_from.replace("FROM article_search s ", f"FROM ({inner}) s ", 1)


def _oldest_candidate(db, plan: _Plan) -> int:
    """Key of the :data:`CANDIDATES`-th newest match: a very common query is ranked among the
    matches from there on (a walk of the date-ordered key, then one ranking statement over that
    range — FTS5 computes bm25's statistics once per statement, not once per candidate)."""
    key = _run(db, plan, f"SELECT {plan.key} {_from(plan, 'walk')} ORDER BY {plan.key} DESC LIMIT 1 OFFSET "
                         f"{CANDIDATES - 1}", plan.params).scalar()
    return plan.params["lo"] if key is None else key


def _hits(db, ranked: list[tuple[int, float]], parsed: ParsedQuery) -> list[Hit]:
    from sqlalchemy import select

    from worker.core.models import Article, Issue

    if not ranked:
        return []
    a, i = Article.__table__.c, Issue.__table__.c
    stmt = (select(a.id, a.issue_id, i.issue_date, a.page, a.page_name, a.kind, a.category, a.places, a.people,
                   a.search_text).join_from(Article.__table__, Issue.__table__, i.id == a.issue_id)
            .where(a.id.in_([x for x, _ in ranked])))
    found = {r["id"]: r for r in db.execute(stmt).mappings()}
    pattern = highlight_pattern(parsed)
    hits = []
    for article_id, score in ranked:
        r = found.get(article_id)
        if r is None:
            continue
        head, _, body = (r["search_text"] or "").partition("\n")
        hits.append(Hit(article_id=r["id"], issue_id=r["issue_id"], issue_date=r["issue_date"], page=r["page"],
                        page_name=r["page_name"], kind=r["kind"], category=r["category"],
                        places=list(r["places"] or []), people=list(r["people"] or []),
                        headline=Snippet(head, _spans(head, pattern)), snippet=make_snippet(body, pattern),
                        score=round(score, 6)))
    return hits


# --- snippets ---------------------------------------------------------------------------------


def highlight_pattern(parsed: ParsedQuery) -> re.Pattern | None:
    """Regex of what to highlight: each term's own text, and its tokens (for a word the text
    contains only in parts), longest first, case-insensitive. None when there is nothing."""
    words = {t.text for t in parsed.terms} | {tok for t in parsed.terms if not t.phrase for tok in t.tokens}
    words = sorted((w for w in words if w), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)), re.IGNORECASE) if words else None


def _spans(s: str, pattern: re.Pattern | None) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(s)] if pattern else []


def make_snippet(body: str, pattern: re.Pattern | None, width: int = SNIPPET_CHARS) -> Snippet:
    """About ``width`` characters of ``body`` around the densest cluster of matches (the start of
    the text when nothing matches), with "…" where it was cut; spans are relative to the snippet."""
    body = body.replace("\n", " ")
    matches = _spans(body, pattern)
    start = 0
    if matches:
        best = -1
        starts = [a for a, _ in matches]
        for s in starts[:MAX_WINDOWS]:  # a window a little before each match: most distinct words wins
            lo = max(0, s - width // 6)
            inside = matches[bisect_left(starts, lo):bisect_right(starts, lo + width)]
            seen = {body[a:b].lower() for a, b in inside if b <= lo + width}
            if len(seen) > best:
                best, start = len(seen), lo
    end = min(len(body), start + width)
    if end - start < width:
        start = max(0, end - width)
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(body) else ""
    shift = len(lead) - start
    spans = [(a + shift, b + shift) for a, b in matches if a >= start and b <= end]
    return Snippet(lead + body[start:end] + tail, spans)
