"""The console's 检索 page over HTTP (starlette TestClient against the real app; issues put through
the real inbox and pipeline, so the real search index): login and roles, a known word of the
bundled sample, phrases and exclusions, filters, paging and the capped total, markup in titles and
queries shown literally, withdrawn issues left out unless 包含已撤回 is ticked."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from conftest import SAMPLES
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import select
from webhelp import HOSTILE_ISSUE, HOSTILE_TITLE, add_user, ingest_and_process, login

from worker.core.db import session_scope
from worker.core.models import Article

SAMPLE = "000_251c0b359e5127ab.txt"
ART_TITLE = "“中国梦·劳动美”第九届全国职工书画展在金华开幕"
BUS_TITLE = "杭州公交集团开展春季安全行车竞赛"
HIT = re.compile(r'<a class="hit-title" href="/articles/(\d+)">(.*?)</a>', re.S)


def _app_client():
    from web.app import create_app

    return TestClient(create_app(), base_url="http://testserver")


@pytest.fixture
def client(settings):
    with _app_client() as c:
        yield c


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_client(request, var_dir, monkeypatch):
    """A console client on SQLite or on a fresh PostgreSQL database."""
    from worker.core.db import get_engine, migrate
    from worker.core.settings import get_settings

    if request.param == "postgresql":
        monkeypatch.setenv("BRIEFING_DATABASE_URL", request.getfixturevalue("postgres_url"))
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
        migrate()
        assert get_engine().dialect.name == "postgresql"
    try:
        with _app_client() as c:
            yield c
    finally:
        get_engine().dispose()


def hits(body: str) -> list[tuple[int, str]]:
    """(article id, headline HTML) of each result, in order."""
    return [(int(i), h) for i, h in HIT.findall(body)]


def plain(fragment: str) -> str:
    return re.sub(r"</?mark>", "", fragment)


def total(body: str) -> str:
    return re.search(r'id="total">共找到 <strong>([^<]+)</strong>', body).group(1)


def article_id(title: str) -> int:
    with session_scope() as s:
        return s.exec(select(Article.id).where(Article.title == title)).one()


def test_anonymous_is_sent_to_login_and_operators_and_editors_may_search(client):
    r = client.get("/search?q=书画展", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=" + quote("/search?q=" + quote("书画展"))
    for name, role in (("op", "operator"), ("ed", "editor"), ("root", "admin")):
        add_user(name, role)
        login(client, name)
        page = client.get("/search")
        assert page.status_code == 200 and '<a href="/search" class="on">检索</a>' in page.text, role
    # the form is a GET (changes nothing, so no CSRF token in it) that htmx may enhance
    form = re.search(r'<form method="get" action="/search" id="search-form".*?</form>', page.text, re.S).group(0)
    assert "csrf_token" not in form and 'hx-push-url="true"' in form
    for label in ("日期从", "主题", "地点", "人物", "版次", "期次", "类型", "相关度", "包含已撤回"):
        assert label in form
    assert 'id="results"' in page.text and "共找到" not in page.text  # no query yet: no results


def test_finds_the_samples_article_by_a_known_word_and_links_to_it(any_db_client, settings):
    client = any_db_client
    ingest_and_process(settings, SAMPLE, (SAMPLES / SAMPLE).read_bytes())
    add_user("ed", "editor")
    login(client, "ed")
    with session_scope() as s:
        expected = {a.id for a in s.exec(select(Article)) if "书画展" in (a.title or "") + "".join(a.paragraphs)}
    assert article_id(ART_TITLE) in expected
    body = client.get("/search", params={"q": "书画展"}).text
    found = hits(body)
    assert {i for i, _ in found} == expected and total(body) == str(len(expected))
    headline = dict(found)[article_id(ART_TITLE)]  # the engine's headline: 引题 and 主题
    assert plain(headline) == "以艺术之美展现劳动之美 " + ART_TITLE and "<mark>书画展</mark>" in headline
    assert "<mark>书画展</mark>" in body.split(headline, 1)[1].split("</li>", 1)[0]  # its snippet
    assert "Asia/Shanghai" in body.split('id="total"', 1)[1].split("</p>", 1)[0]  # 检索于 … with the zone
    article = client.get(f"/articles/{article_id(ART_TITLE)}")
    assert article.status_code == 200 and str(escape(ART_TITLE)) in article.text


def test_phrase_exclusion_and_paging(client, settings, monkeypatch):
    from web.pages import search as page
    from worker.search import query as search_query

    ingest_and_process(settings, "a.txt", HOSTILE_ISSUE)
    add_user("op", "operator")
    login(client, "op")
    technical, bus = article_id(HOSTILE_TITLE), article_id(BUS_TITLE)

    def ids(q: str, **params) -> set[int]:
        return {i for i, _ in hits(client.get("/search", params={"q": q, **params}).text)}

    assert ids("杭州") == {technical, bus}
    assert ids("杭州 -技能") == {bus}
    assert ids("竞赛 安全") == {bus}
    assert ids('"安全行车竞赛"') == {bus} and ids('"竞赛安全"') == set()  # a phrase must occur verbatim
    assert ids("杭州", sort="date") == {technical, bus}

    # one hit a page, the total capped at 1: "1+" and a next page that holds the other article
    monkeypatch.setattr(page, "PAGE_SIZE", 1)
    monkeypatch.setattr(search_query, "TOTAL_CAP", 1)
    first = client.get("/search", params={"q": "杭州"}).text
    assert total(first) == "1+" and len(hits(first)) == 1 and 'rel="prev"' not in first
    next_url = re.search(r'<a href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert next_url == "/search?q=%E6%9D%AD%E5%B7%9E&p=2"
    second = client.get(next_url).text
    assert {hits(first)[0][0], hits(second)[0][0]} == {technical, bus} and 'rel="prev"' in second


def test_filters(client, settings):
    ingest_and_process(settings, SAMPLE, (SAMPLES / SAMPLE).read_bytes())
    ingest_and_process(settings, "2025-03-05_zjgrrb.txt", HOSTILE_ISSUE)
    add_user("ed", "editor")
    login(client, "ed")
    with session_scope() as s:
        art = s.get(Article, article_id(ART_TITLE))
        technical = s.get(Article, article_id(HOSTILE_TITLE))
    assert art.category != technical.category  # so the topic filter tells them apart

    def ids(**params) -> set[int]:
        return {i for i, _ in hits(client.get("/search", params={"q": "职工", **params}).text)}

    everything = ids()
    assert {art.id, technical.id} <= everything
    by_topic = ids(topic=art.category)
    assert art.id in by_topic and technical.id not in by_topic
    with session_scope() as s:
        assert {s.get(Article, i).category for i in by_topic} == {art.category}
    assert ids(**{"from": "2025-03-05", "to": "2025-03-05"}) == {technical.id}
    assert art.id in ids(place="金华") and technical.id not in ids(place="金华")
    assert ids(issue=str(technical.issue_id)) == {technical.id}
    # the chosen filters stay in the form
    body = client.get("/search", params={"q": "职工", "topic": art.category, "sort": "date"}).text
    assert f'<option value="{art.category}" selected>' in body and '<option value="date" selected>' in body
    # a bad date gets the engine's Chinese message, and no results
    body = client.get("/search", params={"q": "职工", "from": "2025-13-01"}).text
    assert "起始日期应为日期" in body and not hits(body)
    body = client.get("/search", params={"q": "", "place": "金华"}).text
    assert "请输入至少一个检索词" in body and not hits(body)


def test_markup_in_titles_and_queries_is_shown_literally(client, settings):
    ingest_and_process(settings, "a.txt", HOSTILE_ISSUE)
    add_user("ed", "editor")
    login(client, "ed")
    # the title holds <script>…</script>; a phrase query with markup finds it
    q = '"<script>"'
    body = client.get("/search", params={"q": q}).text
    [(found, headline)] = hits(body)
    assert found == article_id(HOSTILE_TITLE)
    assert headline.startswith("<mark>&lt;script&gt;</mark>alert(&#34;x&#34;)&lt;/script&gt;") or \
        headline.startswith("<mark>&lt;script&gt;</mark>alert(&quot;x&quot;)&lt;/script&gt;")
    assert "<script>alert" not in body
    assert f'value="{escape(q)}"' in body and f"检索：{escape(q)}" in body  # the input and the <title>
    # a query that is markup and finds nothing is echoed escaped as well
    q = "<img src=x onerror=alert(1)>"
    body = client.get("/search", params={"q": q}).text
    assert not hits(body) and "<img src=x" not in body and f"「{escape(q)}」" in body


def test_withdrawn_issue_is_left_out_unless_ticked(any_db_client, settings):
    from worker.ops import issues as lifecycle

    client = any_db_client
    issue_id = ingest_and_process(settings, SAMPLE, (SAMPLES / SAMPLE).read_bytes())
    add_user("op", "operator")
    login(client, "op")
    art = article_id(ART_TITLE)
    assert art in {i for i, _ in hits(client.get("/search", params={"q": "书画展"}).text)}
    with session_scope() as s:
        lifecycle.withdraw(s, issue_id, "op")
    body = client.get("/search", params={"q": "书画展"}).text
    assert not hits(body) and total(body) == "0" and "包含已撤回" in body
    body = client.get("/search", params={"q": "书画展", "include_withdrawn": "1"}).text
    assert art in {i for i, _ in hits(body)}
    assert 'id="include_withdrawn" value="1" checked' in body
    assert '<span class="status s-withdrawn">已撤回</span>' in body.split(f'href="/articles/{art}"', 1)[1]
