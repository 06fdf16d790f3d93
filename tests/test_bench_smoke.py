"""The benchmark code must not rot: the corpus generator is deterministic and the pipeline-throughput
figure runs and prints well-formed lines. No timing is asserted (see docs/performance.md)."""

from __future__ import annotations

import io

from bench.corpus import corpus_digest, generate, generate_issue
from bench.report import LINE_RE, Printer


def test_corpus_is_deterministic():
    a = generate(7, 3, target_chars=3000)
    b = generate(7, 3, target_chars=3000)
    assert [i.data for i in a] == [i.data for i in b]
    assert [i.name for i in a] == [i.name for i in b]
    assert corpus_digest(a) == corpus_digest(b)
    assert corpus_digest(generate(8, 3, target_chars=3000)) != corpus_digest(a)
    # issue i does not depend on how many are generated
    assert generate_issue(7, 2, target_chars=3000).data == a[2].data


def test_corpus_covers_layouts_and_encodings():
    issues = generate(1, 12, target_chars=2000)
    assert {i.layout for i in issues} == {"blocks", "paper"}
    assert {"utf-8", "gb18030"} <= {i.encoding for i in issues}
    assert any(i.crlf for i in issues)
    issue = generate_issue(1, 0, layout="paper", encoding="utf-16", target_chars=2000)
    text = issue.data.decode("utf-16")
    assert text.startswith("浙江工人日报") and "第1版" in text and "简讯" in text


def test_pipeline_figure_prints_its_lines():
    from bench import throughput

    out = io.StringIO()
    result = throughput.run(Printer(out), seed=3, n=2, target_chars=3000)
    assert result.issues == 2 and result.chars > 0 and result.articles > 0
    lines = [ln for ln in out.getvalue().splitlines() if ln and not ln.startswith(" ")]
    assert len(lines) == 3
    parsed = [LINE_RE.match(ln) for ln in lines]
    assert all(parsed), lines
    first = parsed[0]
    assert first["name"] == "pipeline throughput" and first["unit"] == "chars/s"
    assert first["bunit"] == "chars/s" and first["bwhat"] == "jieba.lcut"
    assert first["verdict"] in ("PASS", "MISS")
    assert parsed[1]["bwhat"] == "rjieba.cut"
    assert parsed[2]["unit"] == "ms"


def test_search_archive_is_deterministic_and_stratified_by_design():
    from bench.archive import RARE, issues

    a = [arts for _, arts in issues(3, 4)]
    b = [arts for _, arts in issues(3, 4)]
    assert a == b and a != [arts for _, arts in issues(4, 4)]
    rows = [r for arts in a for r in arts]
    assert all(r["search_text"].startswith(r["title"] + "\n") for r in rows)
    assert sum("工会" in r["search_text"] for r in rows) > 0.9 * len(rows)  # the very common stratum
    rare = sum(any(w in r["search_text"] for w in RARE) for _, arts in issues(3, 40) for r in arts)
    assert 0 < rare < 40  # some rare term in about 1 article in 250


def test_search_figure_prints_its_lines(tmp_path):
    """The archive-search figure on a tiny archive, SQLite only: every line well-formed."""
    from bench import search

    out = io.StringIO()
    search.run(Printer(out), seed=2, archive_issues=4, corpus_issues=2, reps=1, postgres=False)
    lines = [ln for ln in out.getvalue().splitlines() if ln and not ln.startswith(" ")]
    parsed = [LINE_RE.match(ln) for ln in lines]
    assert all(parsed), lines
    names = [p["name"] for p in parsed]
    assert names == ["search indexing per issue (sqlite)", "search p95 rare (sqlite)", "search p95 medium (sqlite)",
                     "search p95 common (sqlite)"]
    assert parsed[1]["bwhat"] == "LIKE '%…%'" and parsed[1]["unit"] == "ms"
    assert "search index" in out.getvalue() and "MB on disk" in out.getvalue()
