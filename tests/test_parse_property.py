"""Property tests: parse_issue never raises, explains every line, and loses / duplicates no
character (checked with parsing.account) — on generated layouts and on the real samples."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worker.intake.reading import read_document
from worker.parsing.parser import DEBRIS_KINDS, account, parse_issue

ROOT = Path(__file__).resolve().parents[1]

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
PUNCT = st.sampled_from([*"，。、：；！？“”《》（）—…·,.:;!?()■□ \u3000", "——", "……"])
DIGITS = st.text("0123456789.", min_size=1, max_size=6)
HAN_TEXT = st.lists(st.one_of(HAN, HAN, HAN, PUNCT, DIGITS), min_size=1, max_size=60).map("".join)
NAME = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=3)
ROLE = st.sampled_from(["记者", "通讯员", "见习记者", "特约记者", "实习生", "本报记者"])

LINES = st.one_of(
    HAN_TEXT,  # paragraph-ish / headline-ish
    st.builds(lambda t: t + "。", HAN_TEXT),
    st.builds(lambda t: t[:20], HAN_TEXT),
    st.builds(lambda r, n, t: f"本报讯 {r}{n}报道 {t}", ROLE, NAME, HAN_TEXT),
    st.builds(lambda r, n, r2, n2: f"本报讯 {r}{n} {r2}{n2}摄影报道", ROLE, NAME, ROLE, NAME),
    st.builds(lambda r, n: f"（{r} {n}）", ROLE, NAME),
    st.builds(lambda p, t: f"据新华社{p}12月22日电 {t}", st.sampled_from(["北京", "杭州", ""]), HAN_TEXT),
    st.builds(lambda n: f"第{n}版 要闻", st.integers(1, 12)),
    st.builds(lambda n: f"（下转第{n}版）", st.integers(1, 12)),
    st.builds(lambda n, t: f"（上接第{n}版）{t}", st.integers(1, 12), HAN_TEXT),
    st.sampled_from(["浙江工人日报", "2024年12月24日 星期二", "简讯", "图片新闻", "责任编辑：张三",
                     "□本报评论员", "浙江工人日报 2024年12月24日 星期二 第3版", "（完）", "3", "——副题",
                     "记者：问题？", "答：回答。"]),
    st.builds(lambda t: "■" + t, HAN_TEXT),
    st.builds(lambda t: "　　" + t, HAN_TEXT),
    st.builds(lambda t, n: f"{t}（记者 {n} 摄）", HAN_TEXT, NAME),
    st.text(max_size=30),  # random unicode, control characters included
    # issue 14 layouts: digital-edition furniture, glued credits, names-only lines, captions
    st.sampled_from(["浙江工人日报数字报", "上一篇　下一篇　返回目录", "放大　缩小　默认", "技术支持：某某科技有限公司",
                     "浙ICP备00000000号-1", "互联网新闻信息服务许可证：00000000000", "3　劳动保障", "劳动保障　3"]),
    st.builds(lambda d, n, t: f"浙江工人日报 | 2025-06-{d:02d} | 第0{n}版：要闻 | {t} | 2025年06月{d:02d}日 星期三",
              st.integers(1, 31), st.integers(1, 9), HAN_TEXT),
    st.builds(lambda t, r, n: f"{t}。 {r} {n} 摄", HAN_TEXT, ROLE, NAME),
    st.builds(lambda t, n: f"{t}。{n} 文/摄", HAN_TEXT, NAME),
    st.builds(lambda n, m: f"{n} {m}", NAME, NAME),
    st.builds(lambda t: "图为" + t + "。", HAN_TEXT),
    st.builds(lambda n: f"本报讯 {n}报道  近日，", NAME),
)
DOCS = st.lists(st.one_of(LINES, st.just("")), max_size=40).map(lambda xs: "\n".join(xs))
SEPARATORS = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])


def _check(text: str, **kw) -> None:
    parsed = parse_issue(text, **kw)
    assert account(text, parsed) == []
    n_lines = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    assert [d.line for d in parsed.explain] == list(range(n_lines))
    assert all(d.kind in DEBRIS_KINDS for d in parsed.debris)
    assert [a.seq for a in parsed.articles] == list(range(1, len(parsed.articles) + 1))
    for a in parsed.articles:
        assert len(a.paragraphs) == len(a.original_paragraphs)
        assert len(a.captions) == len(a.original_captions)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS, SEPARATORS)
def test_generated_layouts_fully_accounted(doc: str, sep: str) -> None:
    _check(doc.replace("\n", sep))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(HAN_TEXT, min_size=1, max_size=8), st.integers(12, 30), SEPARATORS)
def test_hard_wrapped_text_fully_accounted(paragraphs: list[str], width: int, sep: str) -> None:
    """PDF-to-text layout: paragraphs cut every ``width`` characters, blank lines between them."""
    wrapped = ["\n".join(p[k:k + width] for k in range(0, len(p), width)) for p in paragraphs]
    _check(("标题\n\n" + "\n\n".join(wrapped)).replace("\n", sep))


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "data").glob("[ht]*/*.txt")), ids=lambda p: p.name)
def test_issue14_sets_fully_accounted(path: Path) -> None:
    """The tuning and held-out files (digital-edition pages, PDF text, photo news) lose nothing."""
    d = read_document(path.read_bytes(), path.name)
    _check(d.text, file_name=path.name)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sets(st.integers(0, 20), max_size=5))
def test_random_unicode_never_raises(text: str, hints: set[int]) -> None:
    _check(text, headline_hints=hints, file_name="x_20240230.txt")


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 400))
def test_real_samples_cut_anywhere(seed: int, width: int) -> None:
    """Any window of a real sample (cut mid-paragraph, mid-headline) is fully accounted."""
    for path in sorted((ROOT / "samples").glob("*.txt")):
        text = read_document(path.read_bytes(), path.name).text
        start = seed % max(1, len(text))
        _check(text[start:start + width * 10])


@pytest.mark.parametrize("name", ["000_251c0b359e5127ab.txt", "2024-12-24_zjgrrb.txt"])
def test_real_samples_fully_accounted(name: str) -> None:
    path = ROOT / "samples" / name
    d = read_document(path.read_bytes(), name)
    _check(d.text, file_name=name, headline_hints=d.headline_hints)
    # raw text too (CRLF, not cleaned by the reader)
    raw = path.read_bytes().decode("gb18030" if "zjgrrb" in name else "utf-8")
    _check(raw, file_name=name)
