"""The full-text index of articles, one per database dialect, built from the same segmented text.

Text goes through the enrichment's segmenter (:func:`worker.enrich.segment.get_segmenter`, with the
gazetteer's places and the taxonomy's domain terms as words) in search mode (``cut_for_search``: a
long word is indexed whole and as its dictionary 2- and 3-character parts, so 劳动模范 is found by
劳动模范, 劳动 or 模范). The tokens are stored joined by spaces (:func:`segmented`); the database's
tokenizer — PostgreSQL's parser with the ``simple`` configuration, SQLite's ``unicode61`` — drops the
punctuation and folds case, on the stored text and on the query's tokens alike.

* **PostgreSQL**: table ``article_search`` — ``article_id`` (→ article, cascade), ``sort_key`` and
  ``document tsvector`` = ``setweight(to_tsvector('simple', headline), 'A') ||
  setweight(to_tsvector('simple', body), 'B') ||`` facet lexemes; GIN index on ``document``, b-tree on
  ``sort_key``. A narrow table of its own (not a column of ``article``) so a walk in date order reads
  small rows, not the articles' paragraphs.
* **SQLite**: FTS5 table ``article_fts(headline, body, facets)``, ``rowid`` = ``sort_key``.

``sort_key`` = ``issue_date.toordinal() << 32 | article_id``: ordering by it is ordering by issue
date (newest first when descending), and a date range is a key range — FTS5 and the b-tree both walk
it without sorting. Facets are single tokens ``issue=12``, ``place=杭州``, ``person=张三``, ``page=3``,
``kind=brief`` (``=`` never occurs in a text token), so those filters are index look-ups too. On
PostgreSQL the topic is a facet as well (``topic=culture``), kept current by a trigger on
``article.category`` (a person's correction, ``briefing reclassify``); SQLite reads the topic from
``article`` at query time (its key-ordered reads make that cheap).

Headline = kicker, title, subtitle; body = the paragraphs: the same text as ``Article.search_text``,
from which snippets are cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

#: Tables (and FTS5 shadow tables ``article_fts_*``) made by the search migration with
#: dialect-specific DDL; they are not part of the SQLModel metadata.
SEARCH_TABLES = ("article_search", "article_fts")
ID_BITS = 32
ID_MASK = (1 << ID_BITS) - 1
_TOKEN = re.compile(r"[^\W_]+")

SQLITE_DDL = (
    # tokenchars '=' keeps a facet (place=杭州) one token; the segmenter cuts '=' off text as a token of
    # its own, so no text token can equal a facet.
    "CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5("
    "headline, body, facets, tokenize = \"unicode61 remove_diacritics 0 tokenchars '='\")",
)
POSTGRES_TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS article_search ("
    " article_id integer PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,"
    " issue_id integer NOT NULL,"
    " sort_key bigint NOT NULL,"
    " document tsvector NOT NULL)"
)
#: A person's topic correction (or ``briefing reclassify``) updates ``article.category``; this keeps
#: the ``topic=…`` lexeme of the PostgreSQL document current (enrich cannot call up into search).
POSTGRES_TRIGGER_DDL = (
    "CREATE OR REPLACE FUNCTION article_search_topic() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " UPDATE article_search SET document = ts_delete(document, ARRAY['topic=' || OLD.category])"
    " || array_to_tsvector(ARRAY['topic=' || NEW.category]) WHERE article_id = NEW.id;"
    " RETURN NULL; END $$",
    "CREATE OR REPLACE TRIGGER article_search_topic AFTER UPDATE OF category ON article FOR EACH ROW"
    " WHEN (OLD.category IS DISTINCT FROM NEW.category) EXECUTE FUNCTION article_search_topic()",
)
#: Built after a bulk load (one GIN build is much faster than growing it row by row).
POSTGRES_INDEX_DDL = (
    "CREATE INDEX IF NOT EXISTS ix_article_search_document ON article_search USING gin (document)",
    "CREATE INDEX IF NOT EXISTS ix_article_search_sort_key ON article_search (sort_key)",
    "CREATE INDEX IF NOT EXISTS ix_article_search_issue_id ON article_search (issue_id)",
)


def is_search_table(name: str | None) -> bool:
    """True for the index's tables, including FTS5's shadow tables (``article_fts_data`` …)."""
    return bool(name) and any(name == t or name.startswith(t + "_") for t in SEARCH_TABLES)


def sort_key(issue_date: date | None, article_id: int) -> int:
    """Index key of an article: issue date (day ordinal; 0 when unknown) in the high bits, the
    article id in the low 32 bits. Raises ValueError for an id that does not fit."""
    if not 0 < article_id <= ID_MASK:
        raise ValueError(f"article id {article_id} does not fit the search key")
    return ((issue_date.toordinal() if issue_date else 0) << ID_BITS) | article_id


def key_range(date_from: date | None, date_to: date | None) -> tuple[int, int]:
    """The ``sort_key`` range (inclusive) of the issue dates ``date_from``…``date_to`` (inclusive;
    None = open)."""
    lo = date_from.toordinal() << ID_BITS if date_from else 0
    hi = ((date_to.toordinal() + 1) << ID_BITS) - 1 if date_to else (1 << 62)
    return lo, hi


def segmented(text_: str) -> str:
    """``text_`` in search-mode tokens (rjieba ``cut_for_search``, HMM on) joined by spaces, as
    stored in the index. Punctuation and spaces stay in: the database's own tokenizer (FTS5
    ``unicode61``, PostgreSQL's parser with ``simple``) drops them and folds case, and the query's
    tokens go through that same tokenizer (see :mod:`worker.search.query`)."""
    from worker.enrich.segment import get_segmenter

    return " ".join(get_segmenter().cut_for_search(text_, True))


def lexemes(text_: str) -> list[str]:
    """The search-mode tokens of ``text_`` that can match anything: lower-cased, those with at
    least one letter or digit (punctuation and spaces dropped), in order. Used for queries."""
    from worker.enrich.segment import get_segmenter

    return [t.lower() for t in get_segmenter().cut_for_search(text_, True) if _TOKEN.search(t)]


def words(text_: str) -> list[str]:
    """The precise-mode words of ``text_`` (rjieba ``cut``, HMM on), lower-cased, those with a letter
    or digit. The query side uses them with :func:`lexemes` to pick the tokens a word needs."""
    from worker.enrich.segment import get_segmenter

    return [t.lower() for t in get_segmenter().cut(text_, True) if _TOKEN.search(t)]


def headline_of(kicker: str | None, title: str | None, subtitle: str | None) -> str:
    """The headline block as stored in ``Article.search_text`` (kicker, title, subtitle)."""
    return " ".join(x for x in (kicker, title, subtitle) if x)


def facets(issue_id: int, places: Iterable[str], people: Iterable[str], page: int | None = None,
           kind: str | None = None) -> list[str]:
    """Facet tokens of an article (see the module docstring)."""
    return ([f"issue={issue_id}"] + [f"place={p}" for p in places if p]
            + [f"person={p}" for p in people if p] + ([f"page={page}"] if page is not None else [])
            + ([f"kind={kind}"] if kind else []))


def documents(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Segment ``rows`` (dicts with ``id, issue_id, issue_date, kicker, title, subtitle,
    paragraphs, places, people, category``) into index documents: ``key``, ``id``, ``issue_id``,
    ``head`` and ``body`` (:func:`segmented` text), ``facets`` (list of facet tokens) and ``topic``
    (the topic facet, stored by PostgreSQL only). The body is indexed up
    to ``MAX_DOC_CHARS`` characters, the bound enrichment keeps too (a file that is one 6-million-
    character paragraph would otherwise cost gigabytes of tokens); the article keeps all of it."""
    from worker.enrich.segment import MAX_DOC_CHARS

    docs = []
    for r in rows:
        docs.append({"key": sort_key(r["issue_date"], r["id"]), "id": r["id"], "issue_id": r["issue_id"],
                     "head": segmented(headline_of(r["kicker"], r["title"], r["subtitle"])),
                     "body": segmented("\n".join(r["paragraphs"] or [])[:MAX_DOC_CHARS]),
                     "facets": facets(r["issue_id"], r["places"] or [], r["people"] or [], r.get("page"),
                                      r.get("kind")),
                     "topic": f"topic={r['category']}"})
    return docs


def write_documents(conn: Connection, docs: Sequence[dict[str, Any]]) -> int:
    """Insert :func:`documents` into the dialect's index table: one executemany straight to the
    driver (SQLAlchemy's per-row parameter processing cost ~1.5 ms an issue; bench/). Returns the
    count."""
    if not docs:
        return 0
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "INSERT INTO article_search (article_id, issue_id, sort_key, document) VALUES (%s, %s, %s,"
            " setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')"
            " || array_to_tsvector(%s::text[]))",
            [(d["id"], d["issue_id"], d["key"], d["head"], d["body"], [*d["facets"], d["topic"]]) for d in docs])
    else:
        conn.exec_driver_sql("INSERT INTO article_fts (rowid, headline, body, facets) VALUES (?, ?, ?, ?)",
                             [(d["key"], d["head"], d["body"], " ".join(d["facets"])) for d in docs])
    return len(docs)


def index_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Add index entries for ``rows`` (see :func:`documents`); the caller removed any old entries
    of those articles. Returns how many rows were indexed."""
    return write_documents(conn, documents(rows))


def unindex_issue(conn: Connection, issue_id: int) -> None:
    """Remove every index entry of the articles of Issue ``issue_id`` (current or already deleted)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DELETE FROM article_search WHERE issue_id = :i"), {"i": issue_id})
    else:
        conn.execute(text("DELETE FROM article_fts WHERE rowid IN "
                          "(SELECT rowid FROM article_fts WHERE article_fts MATCH :m)"),
                     {"m": f'facets : "issue={issue_id}"'})


_ARTICLE_COLUMNS = ("SELECT a.id, a.issue_id, a.seq, i.issue_date, a.kicker, a.title, a.subtitle, a.paragraphs, "
                    "a.places, a.people, a.category, a.page, a.kind FROM article a JOIN issue i ON i.id = a.issue_id")


def stored_articles(conn: Connection, where: str, params: dict) -> list[dict[str, Any]]:
    """Stored articles as :func:`documents` takes them (plus ``seq``); ``where`` is a SQL clause
    over ``article a`` / ``issue i`` with bound ``params``."""
    import json

    out = []
    for m in conn.execute(text(f"{_ARTICLE_COLUMNS} {where}"), params).mappings():
        r = dict(m)
        for k in ("paragraphs", "places", "people"):  # JSON comes back as text on SQLite raw SQL
            if isinstance(r[k], str):
                r[k] = json.loads(r[k])
        if isinstance(r["issue_date"], str):
            r["issue_date"] = date.fromisoformat(r["issue_date"])
        out.append(r)
    return out


def index_issue(conn: Connection, issue_id: int, articles: Sequence[dict[str, Any]] | None = None,
                issue_date: date | None = None) -> int:
    """Bring the index of Issue ``issue_id`` in step with its stored articles (after the pipeline
    replaced them): old entries out, one per current article in. Runs in the caller's transaction,
    so the articles and their index change together.

    ``articles`` (optional): the column values just stored (dicts with ``seq`` and the fields of
    :func:`documents` but ``id``), with the Issue's ``issue_date``; the pipeline passes them so only
    the new ids are read back. Without them the articles are read from the database. Returns the
    number of articles indexed."""
    unindex_issue(conn, issue_id)
    if articles is None:
        rows = stored_articles(conn, "WHERE a.issue_id = :i ORDER BY a.id", {"i": issue_id})
    else:
        ids = dict(conn.execute(text("SELECT seq, id FROM article WHERE issue_id = :i"), {"i": issue_id}).all())
        rows = [{**a, "id": ids[a["seq"]], "issue_date": issue_date} for a in articles if a["seq"] in ids]
    return index_rows(conn, rows)


def create_index(conn: Connection, indexes: bool = True) -> None:
    """Create the dialect's index tables (idempotent); on PostgreSQL also the GIN and b-tree
    indexes unless ``indexes`` is False (then call :func:`create_pg_indexes` after loading)."""
    if conn.dialect.name != "postgresql":
        for ddl in SQLITE_DDL:
            conn.execute(text(ddl))
        return
    conn.execute(text(POSTGRES_TABLE_DDL))
    for ddl in POSTGRES_TRIGGER_DDL:
        conn.execute(text(ddl))
    if indexes:
        create_pg_indexes(conn)


def create_pg_indexes(conn: Connection) -> None:
    """The GIN index on ``document`` and the b-trees on ``sort_key`` and ``issue_id`` (idempotent)."""
    for ddl in POSTGRES_INDEX_DDL:
        conn.execute(text(ddl))


def drop_index(conn: Connection) -> None:
    """Drop the dialect's index tables (and PostgreSQL's topic trigger): the migration's downgrade."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TABLE IF EXISTS article_search"))
        conn.execute(text("DROP FUNCTION IF EXISTS article_search_topic() CASCADE"))
    else:
        conn.execute(text("DROP TABLE IF EXISTS article_fts"))


def rebuild_index(conn: Connection, batch: int = 2000, progress=None) -> int:
    """Index every stored article from scratch, ``batch`` articles per INSERT (the migration and
    ``briefing reindex``). ``progress(done)`` is called after each batch. Returns the count."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DELETE FROM article_search"))
    else:
        conn.execute(text("DELETE FROM article_fts"))
    done, last = 0, 0
    while True:
        rows = stored_articles(conn, "WHERE a.id > :last ORDER BY a.id LIMIT :n", {"last": last, "n": batch})
        if not rows:
            break
        done += index_rows(conn, rows)
        last = rows[-1]["id"]
        if progress:
            progress(done)
    if conn.dialect.name == "postgresql":
        create_pg_indexes(conn)
        conn.execute(text("ANALYZE article_search"))
    return done


def index_size_bytes(conn: Connection) -> int:
    """Bytes the index takes on disk: PostgreSQL ``pg_total_relation_size`` (table, TOAST, GIN and
    b-tree); SQLite the pages of FTS5's shadow tables (the ``dbstat`` table, compiled into
    Debian's and python.org's SQLite)."""
    if conn.dialect.name == "postgresql":
        return int(conn.execute(text("SELECT pg_total_relation_size('article_search')")).scalar())
    return int(conn.execute(text("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'article_fts%'"))
               .scalar())
