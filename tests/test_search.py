"""Archive search (issue 18) on real SQLite and PostgreSQL databases: articles stored by the real
pipeline are found by words, phrases and filters; a query segmented differently from the text still
finds it; snippets are cut from the original text and escaped before highlighting; withdrawn and
duplicate issues stay out unless asked; the index follows reprocessing and the migration builds it
for rows stored before it existed. Timing is measured in bench/, never here."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import SAMPLES
from sqlalchemy import text, update
from sqlmodel import select

from worker import pipeline
from worker.core.db import make_engine, migrate
from worker.core.db import session_factory as db_session_factory
from worker.core.models import Article, Issue
from worker.search import query as search_query
from worker.search.index import index_size_bytes, lexemes
from worker.search.query import QueryError, SearchQuery, make_snippet, parse_query, search

#: Two issues in the paper's layout, written for these tests (tests/data/search/).
ISSUES = Path(__file__).resolve().parent / "data" / "search"


TITLE_ART = "杭州市总工会举办全市职工书画展"
TITLE_COURIER = "宁波快递小哥有了“暖新驿站”"
TITLE_SAFETY = "温州开展夏季安全生产大检查"
TITLE_RELIEF = "绍兴工会为困难职工送温暖"


@pytest.fixture(params=["sqlite", "postgresql"])
def archive(request, settings, tmp_path):
    """A migrated database on each backend with the two issues stored by ``process_issue``; yields
    (engine, session_factory, {file name: issue id})."""
    url = f"sqlite:///{tmp_path / 's.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    migrate(url)
    engine = make_engine(url)

    session_factory = db_session_factory(engine)

    ids = {}
    for name in ("2024-03-05_zjgrrb.txt", "2023-07-10_zjgrrb.txt"):
        data = (ISSUES / name).read_bytes()
        with session_factory() as s:
            issue = Issue(file_name=name, sha256=name, size=len(data), raw=data)
            s.add(issue)
            s.flush()
            ids[name] = issue.id
        assert pipeline.process_issue(ids[name], session_factory=session_factory, settings=settings).status \
            == "processed"
    yield engine, session_factory, ids
    engine.dispose()


def titles(engine, query: str, **kw) -> list[str]:
    with engine.connect() as conn:
        return [h.headline.text for h in search(conn, SearchQuery(query, **kw)).hits]


def test_words_are_anded_and_found_in_title_or_body(archive):
    engine, _, _ = archive
    assert titles(engine, "书画展") == [TITLE_ART]
    assert titles(engine, "书画展 西湖") == [TITLE_ART]  # 西湖 only in the body
    assert titles(engine, "书画展 温州") == []
    assert sorted(titles(engine, "总工会")) == sorted([TITLE_ART, TITLE_COURIER, TITLE_SAFETY, TITLE_RELIEF])
    # 书画 alone is in the safety article's body too; 书画展 is not
    assert sorted(titles(engine, "书画")) == sorted([TITLE_ART, TITLE_SAFETY])


def test_phrase_must_occur_verbatim_and_excluded_words_remove(archive):
    engine, _, _ = archive
    assert titles(engine, '"全国劳动模范张建国"') == [TITLE_ART]
    assert titles(engine, '"张建国劳动模范"') == []  # same words, not this order
    assert titles(engine, "“暖新驿站”") == [TITLE_COURIER]  # Chinese quotation marks work too
    assert sorted(titles(engine, "总工会 -书画")) == sorted([TITLE_COURIER, TITLE_RELIEF])
    assert titles(engine, '总工会 -"安全生产" -宁波 -绍兴') == [TITLE_ART]


def test_query_segmented_differently_from_the_text_still_finds_it(archive):
    engine, _, _ = archive
    # the text segments 困难职工家庭 as one word: 困难职工 is never one of its tokens …
    assert "困难职工" not in lexemes("绍兴市柯桥区总工会走访慰问困难职工家庭32户")
    # … while the query alone is one word (慰问/困难职工): still found
    assert titles(engine, "困难职工") == [TITLE_RELIEF]
    assert titles(engine, "慰问困难职工") == [TITLE_RELIEF]
    assert titles(engine, "劳动模范") == titles(engine, "模范") == [TITLE_ART]
    # 市总工会 is not a token of 杭州市总工会 (cut 杭州市/总工会) but its parts are
    assert "市总工会" not in lexemes("杭州市总工会在西湖区举办")
    assert TITLE_ART in titles(engine, "市总工会")


def test_filters(archive):
    engine, session_factory, ids = archive
    with session_factory() as s:
        art = s.exec(select(Article).where(Article.title == TITLE_ART)).one()
    assert titles(engine, "总工会", date_from=date(2024, 1, 1)) != []
    assert sorted(titles(engine, "总工会", date_from=date(2024, 1, 1))) == sorted([TITLE_ART, TITLE_COURIER])
    assert sorted(titles(engine, "总工会", date_to=date(2023, 12, 31))) == sorted([TITLE_SAFETY, TITLE_RELIEF])
    assert titles(engine, "总工会", date_from=date(2023, 7, 10), date_to=date(2023, 7, 10), page=3) == [TITLE_RELIEF]
    assert titles(engine, "总工会", topic=art.category) == [TITLE_ART]
    # a person's topic correction is searchable at once (PostgreSQL keeps its facet by trigger)
    from worker.enrich.learning import record_correction

    with session_factory() as s:
        record_correction(s, art.id, "model_workers", "编辑")
    assert titles(engine, "总工会", topic="model_workers") == [TITLE_ART]
    assert titles(engine, "总工会", topic=art.category) == []
    assert titles(engine, "总工会", place="杭州市") == [TITLE_ART]  # any surface form of the place
    assert titles(engine, "总工会", place="杭州") == [TITLE_ART]
    assert titles(engine, "总工会", person="王晓燕") == [TITLE_ART]  # the byline's reporter
    assert titles(engine, "总工会", page=2) == [TITLE_COURIER]
    in_2023 = titles(engine, "总工会", issue_id=ids["2023-07-10_zjgrrb.txt"])
    assert sorted(in_2023) == sorted([TITLE_SAFETY, TITLE_RELIEF])
    assert titles(engine, "总工会", kind="brief") == []


def test_sort_by_date_and_paging_and_relevance(archive):
    engine, _, _ = archive
    by_date = titles(engine, "总工会", sort="date")
    assert set(by_date[:2]) == {TITLE_COURIER, TITLE_ART}
    assert set(by_date[2:]) == {TITLE_SAFETY, TITLE_RELIEF}  # the 2023 issue after the 2024 one
    page1 = titles(engine, "总工会", sort="date", limit=3)
    page2 = titles(engine, "总工会", sort="date", limit=3, offset=3)
    assert page1 + page2 == by_date and len(page2) == 1
    # relevance: the headline weighs more, so the article titled 安全生产 comes first
    ranked = titles(engine, "安全生产 工会")
    assert ranked[0] == TITLE_SAFETY
    with engine.connect() as conn:
        result = search(conn, SearchQuery("书画展"))
    assert result.total == 1 and result.total_exact and result.total_label == "1"
    assert result.hits[0].score > 0 and result.hits[0].issue_date == date(2024, 3, 5)


def test_totals_are_capped_and_very_common_words_rank_the_newest_candidates(archive, monkeypatch):
    engine, _, _ = archive
    monkeypatch.setattr(search_query, "TOTAL_CAP", 2)
    monkeypatch.setattr(search_query, "RANK_ALL_UP_TO", 2)
    monkeypatch.setattr(search_query, "CANDIDATES", 2)
    with engine.connect() as conn:
        result = search(conn, SearchQuery("总工会"))
    assert not result.total_exact and result.total == 2 and result.total_label == "2+"
    # ranked among the 2 newest matches only: the 2024 issue's articles
    assert sorted(h.headline.text for h in result.hits) == sorted([TITLE_ART, TITLE_COURIER])
    with engine.connect() as conn:
        assert len(search(conn, SearchQuery("总工会", sort="date")).hits) == 4  # paging by date reaches all


def test_snippets_come_from_the_original_text_escaped_then_highlighted(archive):
    engine, _, _ = archive
    with engine.connect() as conn:
        [hit] = search(conn, SearchQuery("骑手之家")).hits
    # original text, with the punctuation and the angle brackets the index drops
    assert "<骑手之家>" in hit.snippet.text
    s, e = hit.snippet.spans[0]
    assert hit.snippet.text[s:e] == "骑手之家"
    assert "&lt;<mark>骑手之家</mark>&gt;" in hit.snippet.html
    assert "<骑手" not in hit.snippet.html
    assert hit.snippet.__html__() == hit.snippet.html
    # markup in the query is never echoed unescaped
    with engine.connect() as conn:
        [hit] = search(conn, SearchQuery("<b>驿站</b>")).hits
    assert "<b>" not in hit.snippet.html and "<mark>驿站</mark>" in hit.snippet.html
    assert hit.headline.text == TITLE_COURIER and "<mark>驿站</mark>" in hit.headline.html
    assert "&ldquo;" not in hit.headline.html and "“" in hit.headline.html  # quotes need no escaping


def test_withdrawn_and_duplicate_issues_are_left_out_unless_asked(archive):
    engine, session_factory, ids = archive
    for status in ("withdrawn", "duplicate"):
        with session_factory() as s:
            s.execute(update(Issue).where(Issue.id == ids["2023-07-10_zjgrrb.txt"]).values(status=status))
        assert sorted(titles(engine, "总工会")) == sorted([TITLE_ART, TITLE_COURIER]), status
        assert len(titles(engine, "总工会", include_withdrawn=True)) == 4, status


def test_reprocessing_keeps_the_index_in_step(archive, settings):
    engine, session_factory, ids = archive
    issue_id = ids["2024-03-05_zjgrrb.txt"]
    with session_factory() as s:
        pipeline.reset_for_rerun(s, [issue_id])
    assert pipeline.process_issue(issue_id, session_factory=session_factory, settings=settings).status == "processed"
    with session_factory() as s:  # a re-parsed article may keep its id (issue 10's identity matching)
        stored = set(s.exec(select(Article.id).where(Article.issue_id == issue_id)))
    with engine.connect() as conn:
        hits = search(conn, SearchQuery("总工会", include_withdrawn=True)).hits
    assert len(hits) == 4  # no stale entries of the replaced articles
    assert {h.article_id for h in hits if h.issue_id == issue_id} <= stored
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM " + ("article_search" if engine.dialect.name == "postgresql"
                                                          else "article_fts"))).scalar()
        assert n == 4
        assert index_size_bytes(conn) > 0


def test_the_migration_builds_the_index_for_stored_articles(archive):
    from alembic import command
    from alembic.config import Config

    from worker.core.settings import PROJECT_ROOT

    engine, _, _ = archive
    url = engine.url.render_as_string(hide_password=False)
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    from alembic.script import ScriptDirectory

    before = ScriptDirectory.from_config(cfg).get_revision("0003").down_revision  # the index's migration
    command.downgrade(cfg, before)  # the articles stay, the index goes
    engine.dispose()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM article")).scalar() == 4
    command.upgrade(cfg, "head")
    engine.dispose()
    assert titles(engine, "书画展") == [TITLE_ART]
    assert len(titles(engine, "总工会")) == 4


def test_parse_query():
    q = parse_query('书画展 "全国 劳动模范" -温州 -"安全 生产" “暖新驿站”')
    assert [(t.text, t.phrase) for t in q.terms] == [("书画展", False), ("全国 劳动模范", True), ("暖新驿站", True)]
    assert [t.text for t in q.excluded] == ["温州", "安全 生产"]
    assert "省" not in parse_query("省总工会").terms[0].tokens  # single characters dropped
    assert parse_query("劳动模范").terms[0].tokens == ("劳动", "模范")  # made of its parts: the parts
    assert parse_query("AI").terms[0].tokens == ("ai",)
    for bad in ("", "   ", "，。！", "-工会", '-"安全生产"'):
        with pytest.raises(QueryError):
            parse_query(bad)


def test_search_refuses_bad_sort_and_paging(archive):
    engine, _, _ = archive
    with engine.connect() as conn:
        for kw in ({"sort": "best"}, {"limit": 0}, {"offset": -1}):
            with pytest.raises(QueryError):
                search(conn, SearchQuery("工会", **kw))


def test_make_snippet_cuts_around_the_matches():
    pattern = search_query.highlight_pattern(parse_query("书画展"))
    body = "开头的话。" * 40 + "今年的书画展很热闹。" + "结尾。" * 40
    snip = make_snippet(body, pattern, width=30)
    assert snip.text.startswith("…") and snip.text.endswith("…")
    assert len(snip.text) == 32
    [(s, e)] = snip.spans
    assert snip.text[s:e] == "书画展"
    assert make_snippet("短文。", pattern).text == "短文。"


def test_cli_search_after_the_demo_sample(settings, monkeypatch):
    """`briefing search 书画展` after processing the demo's sample finds its article; --json and
    filters work; nothing found exits 1."""
    import time

    from typer.testing import CliRunner

    from worker.core.db import session_scope
    from worker.intake import inbox
    from worker.ops.cli import app

    for name in ("000_251c0b359e5127ab.txt", "2024-12-24_zjgrrb.txt"):
        (settings.inbox_dir / name).write_bytes((SAMPLES / name).read_bytes())
    for issue_id in inbox.scan(session_scope, settings, time.time() + 3600).new_issue_ids:
        assert pipeline.process_issue(issue_id).status == "processed"
    runner = CliRunner()
    out = runner.invoke(app, ["search", "书画展", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["total"] == 1
    assert "全国职工书画展在金华开幕" in data["hits"][0]["headline"]["text"]
    assert "<mark>书画展</mark>" in data["hits"][0]["headline"]["html"]
    out = runner.invoke(app, ["search", "书画展", "--place", "金华", "--topic", "职工文化"])
    assert out.exit_code == 0 and "书画展" in out.stdout
    out = runner.invoke(app, ["search", "暖新驿站", "--from", "2024-12-24", "--to", "2024-12-24", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["hits"][0]["issue_date"] == "2024-12-24"
    assert runner.invoke(app, ["search", "书画展", "--to", "2020-01-01"]).exit_code == 1
    out = runner.invoke(app, ["search", "--", "-书画展"])  # only an excluded word: nothing to look for
    assert out.exit_code == 2 and "请输入至少一个检索词" in out.output
    assert runner.invoke(app, ["search", "书画展", "--topic", "nonsense"]).exit_code == 2


def test_query_from_form_values_for_the_console(archive):
    engine, _, ids = archive
    q = search_query.query_from_params({"q": " 总工会 ", "from": "2024-01-01", "to": "", "page": "2", "sort": "date",
                                        "p": "1", "issue": str(ids["2024-03-05_zjgrrb.txt"])}, page_size=1)
    assert (q.text, q.date_from, q.date_to, q.page, q.sort, q.limit, q.offset) == \
        ("总工会", date(2024, 1, 1), None, 2, "date", 1, 0)
    assert not q.include_withdrawn
    with engine.connect() as conn:
        first = search(conn, search_query.query_from_params({"q": "总工会", "sort": "date"}, page_size=3))
        second = search(conn, search_query.query_from_params({"q": "总工会", "sort": "date", "p": "2"}, page_size=3))
    assert first.has_next and not first.has_previous and len(first.hits) == 3
    assert second.has_previous and not second.has_next and len(second.hits) == 1
    assert search_query.query_from_params({"q": "x", "include_withdrawn": "1"}).include_withdrawn
    for bad in ({"q": "x", "from": "2024-13-01"}, {"q": "x", "page": "二"}, {"q": "x", "sort": "best"}):
        with pytest.raises(QueryError) as exc:
            search_query.query_from_params(bad)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc.value))  # a message the office can read


def test_a_huge_article_is_indexed_within_the_enrichment_bound():
    from worker.enrich.segment import MAX_DOC_CHARS
    from worker.search.index import documents, segmented

    sentence = "杭州市总工会举办职工技能大赛，共有120名职工参赛。"
    body = sentence * (3_000_000 // len(sentence))
    [doc] = documents([{"id": 1, "issue_id": 1, "issue_date": date(2024, 1, 2), "kicker": None,
                        "title": "职工技能大赛举行", "subtitle": None, "paragraphs": [body], "places": ["杭州"],
                        "people": [], "category": "skills_competition"}])
    assert {"职工", "技能", "大赛"} <= set(doc["head"].split())
    assert doc["body"] == segmented(body[:MAX_DOC_CHARS])  # the first MAX_DOC_CHARS characters only
    assert doc["facets"] == ["issue=1", "place=杭州"]


def test_quotes_and_backslashes_in_queries_and_filters_are_only_text(archive):
    engine, _, _ = archive
    for query, kw in (("\"总工会'); DROP TABLE article; --\"", {}), ("总工会 O'Brien \\\\ \\'", {}),
                      ("总工会", {"place": "杭州'--", "person": "张\\三'", "kind": "news' OR '1'='1"})):
        assert titles(engine, query, **kw) == []
    assert len(titles(engine, "总工会")) == 4  # the table is still there


def test_a_query_too_long_or_with_too_many_words_is_refused_with_a_reason():
    # adversarial run: 2,000 repeated words took 70 s on SQLite, 10,000 characters 15 s
    from worker.search.query import MAX_QUERY_CHARS, MAX_QUERY_TERMS, QueryError, parse_query

    with pytest.raises(QueryError, match="太长"):
        parse_query("a" * (MAX_QUERY_CHARS + 1))
    words = ["工会", "职工", "劳模", "工匠", "技能", "竞赛", "帮扶", "维权", "安全", "女工", "困难",
             "春送岗位", "夏送清凉"]
    assert len(words) > MAX_QUERY_TERMS
    with pytest.raises(QueryError, match="太多"):
        parse_query(" ".join(words))
    assert len(parse_query(" ".join(["工会"] * 50)).terms) == 1  # repeated words count once
