"""A deterministic corpus of newspaper issues, recombined from the two shared samples.

``generate_issue(seed, index)`` always returns the same bytes for the same arguments (``random.Random``
seeded with a string is stable across runs and machines; nothing depends on ``PYTHONHASHSEED``).
Issue ``index`` does not depend on how many issues are generated, so ``--issues 100`` is a prefix of
``--issues 1000``.

What varies from issue to issue:

* the articles: drawn (with replacement) from the articles of both samples and shuffled, until the
  text reaches the target size (default about 25,000 characters, a full daily issue);
* inside each article: every number (dates stay valid dates: 月 1–12, 日 1–28) and the Zhejiang city
  names (a random permutation of the eleven prefecture cities per article);
* the layout: ``blocks`` (sample ``000_…``: leading blank lines, every headline line and paragraph its
  own block, paragraphs broken mid-sentence across blocks) or ``paper`` (sample ``2024-12-24_zjgrrb``:
  masthead and date line, ``第N版 名`` page markers, title+subtitle on adjacent lines, one article
  continued with ``（下转第N版）``/``（上接第N版）``, a ``简讯`` section of ``■`` items);
* the encoding: UTF-8, UTF-8 with BOM, GB18030 or UTF-16 (with BOM); the line ends: LF or CRLF.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from worker.briefing.select import zhejiang_cities

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
BLOCKS_SAMPLE = "000_251c0b359e5127ab.txt"  # UTF-8, blank-line blocks
PAPER_SAMPLE = "2024-12-24_zjgrrb.txt"  # GB18030, CRLF, masthead / page markers / 简讯

CITIES = zhejiang_cities()  # the one city list: config/gazetteer.yaml
PAGE_NAMES = ("综合", "基层", "维权", "职工生活", "劳动者", "产业工人", "文化", "视点")
WEEKDAYS = "一二三四五六日"
#: (encoding name for ``str.encode``, weight). GB18030 issues mostly come with CRLF, as the sample.
ENCODINGS = (("utf-8", 40), ("utf-8-sig", 15), ("gb18030", 30), ("utf-16", 15))
DEFAULT_TARGET_CHARS = 25_000
DEFAULT_START = date(2021, 1, 1)

_LEAD = re.compile(r"^(?:本报讯|据新华社|据\S{2,6}电|见习记者|记者|通讯员)")
_FINAL = "。！？!?）)"
_NUMBER = re.compile(r"\d+")
_CITY_RE = re.compile("|".join(CITIES))
_PAPER_FURNITURE = re.compile(r"^(浙江工人日报|\d{4}年\d{1,2}月\d{1,2}日 星期.|第\d+版 \S+)$")


@dataclass(frozen=True)
class Article:
    """An article as it appears in a sample: ``head`` lines (kicker/title/subtitle) and ``body``
    blocks (paragraphs, paragraph fragments broken across blocks, captions, trailing credits)."""

    head: tuple[str, ...]
    body: tuple[str, ...]


@dataclass(frozen=True)
class Pool:
    articles: tuple[Article, ...]
    briefs: tuple[str, ...]  # 简讯 items, without the ■


@dataclass(frozen=True)
class CorpusIssue:
    """One generated issue file: ``name`` to drop it under and its ``data`` (bytes as written)."""

    index: int
    name: str
    data: bytes
    layout: str  # blocks | paper
    encoding: str
    crlf: bool
    issue_date: date
    chars: int  # characters of the text before encoding

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _blocks(text: str) -> list[str]:
    return [b.strip() for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if b.strip()]


def _split_blocks_sample(text: str) -> list[Article]:
    """Sample ``000_…``: an article starts at the run of short lines (≤ 45 characters, not a whole
    sentence; a short caption such as 姜博然在苦练技术。 may sit inside the run) before a lead line
    (本报讯 …, 据新华社 …, 记者 …)."""
    blocks = _blocks(text)
    starts = []
    for i, b in enumerate(blocks):
        if not _LEAD.match(b):
            continue
        j = i
        while j > 0 and len(blocks[j - 1]) <= 45 and not _LEAD.match(blocks[j - 1]) and (
                blocks[j - 1][-1] not in _FINAL or len(blocks[j - 1]) <= 10):
            j -= 1
        if j < i:
            starts.append((j, i))
    arts = []
    for n, (s, lead) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(blocks)
        head = [b for b in blocks[s:lead] if not b.endswith("。")]
        captions = [b for b in blocks[s:lead] if b.endswith("。")]
        arts.append(Article(tuple(head), tuple(captions + blocks[lead:end])))
    return arts


def _split_paper_sample(text: str) -> tuple[list[Article], list[str]]:
    """Sample ``2024-12-24_zjgrrb``: drop masthead, date line and page markers; a block whose lines
    are all short and not sentences is a headline; ``（下转…）``/``（上接…）`` re-join the continued
    article; ``■`` lines after 简讯 are brief items."""
    arts: list[list] = []
    briefs: list[str] = []
    jumped: list | None = None
    current: list | None = None
    for b in _blocks(text):
        lines = b.split("\n")
        lines = [ln for ln in lines if not _PAPER_FURNITURE.match(ln)]
        if not lines:
            continue
        b = "\n".join(lines)
        if b == "简讯":
            current = None
            continue
        if b.startswith("■"):
            briefs.append(b.lstrip("■").strip())
            continue
        if re.fullmatch(r"（下转第\d+版）", b):
            jumped = current
            continue
        m = re.match(r"^（上接第\d+版）", b)
        if m and jumped is not None:
            jumped[1][-1] += b[m.end():]
            current = jumped
            continue
        if all(len(ln) <= 45 and ln[-1] not in _FINAL for ln in lines):
            current = [tuple(lines), []]
            arts.append(current)
            continue
        if current is not None:
            current[1].append(b)
    return [Article(h, tuple(body)) for h, body in arts if body], briefs


@lru_cache(maxsize=1)
def article_pool() -> Pool:
    """Every article of both samples (and the 简讯 items), read once."""
    blocks_text = (SAMPLES / BLOCKS_SAMPLE).read_bytes().decode("utf-8")
    paper_text = (SAMPLES / PAPER_SAMPLE).read_bytes().decode("gb18030")
    a = _split_blocks_sample(blocks_text)
    b, briefs = _split_paper_sample(paper_text)
    if len(a) < 5 or len(b) < 3 or not briefs:
        raise RuntimeError(f"the samples split into too few articles ({len(a)} + {len(b)}, {len(briefs)} briefs)")
    return Pool(tuple(a + b), tuple(briefs))


def _vary(text: str, rng: random.Random, cities: dict[str, str], year: int) -> str:
    """New numbers (valid months/days, the issue's year for 4-digit years followed by 年) and
    permuted city names."""

    def number(m: re.Match) -> str:
        s, after = m.group(), text[m.end(): m.end() + 1]
        if after == "月" and len(s) <= 2:
            return str(rng.randint(1, 12))
        if after == "日" and len(s) <= 2:
            return str(rng.randint(1, 28))
        if after == "年" and len(s) == 4:
            return str(year - rng.randint(0, 1))
        if len(s) == 1:
            return str(rng.randint(1, 9))
        return str(rng.randint(10 ** (len(s) - 1), 10 ** len(s) - 1))

    text = _NUMBER.sub(number, text)
    return _CITY_RE.sub(lambda m: cities[m.group()], text)


def _varied_article(art: Article, rng: random.Random, year: int) -> Article:
    perm = list(CITIES)
    rng.shuffle(perm)
    cities = dict(zip(CITIES, perm, strict=True))
    return Article(tuple(_vary(h, rng, cities, year) for h in art.head),
                   tuple(_vary(b, rng, cities, year) for b in art.body))


def _render_blocks(arts: list[Article], rng: random.Random) -> str:
    """Layout of sample ``000_…``: every line its own block; some paragraphs broken mid-sentence."""
    out = ["\n" * rng.randint(0, 4)]
    for art in arts:
        blocks = list(art.head)
        for b in art.body:
            if len(b) > 80 and rng.random() < 0.15:  # a page-wrap break inside the paragraph
                cut = rng.randint(20, len(b) - 20)
                blocks += [b[:cut], b[cut:]]
            else:
                blocks.append(b)
        out.append("\n\n".join(blocks) + "\n\n")
    return "".join(out)


def _render_paper(arts: list[Article], briefs: list[str], rng: random.Random, day: date) -> str:
    """Layout of sample ``2024-12-24_zjgrrb``: masthead, date line, pages, a jump, 简讯."""
    out = [f"浙江工人日报\n{day.year}年{day.month}月{day.day}日 星期{WEEKDAYS[day.weekday()]}\n第1版 要闻\n\n"]
    page, on_page = 1, 0
    per_page = rng.randint(4, 7)
    jump_at = rng.randrange(len(arts)) if len(arts) > 2 else -1
    pending: tuple[int, str] | None = None  # (page it jumped from, the rest)
    for i, art in enumerate(arts):
        if on_page >= per_page:
            page, on_page = page + 1, 0
            out.append(f"第{page}版 {PAGE_NAMES[(page - 2) % len(PAGE_NAMES)]}\n\n")
            if pending is not None:
                out.append(f"（上接第{pending[0]}版）{pending[1]}\n\n")
                pending = None
        on_page += 1
        body = list(art.body)
        out.append("\n".join(art.head) + "\n\n")
        if i == jump_at and body and len(body[-1]) > 60:
            last = body.pop()
            cut = rng.randint(20, len(last) - 20)
            body.append(last[:cut])
            out.append("\n\n".join(body) + f"\n\n（下转第{page + 1}版）\n\n")
            pending = (page, last[cut:])
        else:
            out.append("\n\n".join(body) + "\n\n")
    if pending is not None:
        out.append(f"第{page + 1}版 {PAGE_NAMES[(page - 1) % len(PAGE_NAMES)]}\n\n"
                   f"（上接第{pending[0]}版）{pending[1]}\n\n")
    if briefs:
        out.append("简讯\n\n" + "".join(f"■{b}\n\n" for b in briefs))
    return out[0] + "".join(out[1:]).rstrip("\n") + "\n"


def generate_issue(seed: int, index: int, *, target_chars: int = DEFAULT_TARGET_CHARS,
                   issue_date: date | None = None, layout: str | None = None,
                   encoding: str | None = None, dated_name: bool | None = None) -> CorpusIssue:
    """Issue number ``index`` of the corpus ``seed`` (same arguments → same bytes).

    ``issue_date`` defaults to ``DEFAULT_START + index`` days; ``layout``/``encoding`` default to
    a seeded choice. The file name carries the date (``2024-12-24_zjgrrb.txt`` style) for the
    ``paper`` layout, or when ``dated_name``; otherwise it is ``NNNNN_<hash>.txt`` as sample ``000``.
    """
    rng = random.Random(f"union-briefing-bench:{seed}:{index}")
    pool = article_pool()
    day = issue_date or DEFAULT_START + timedelta(days=index)
    layout = layout or ("blocks" if rng.random() < 0.5 else "paper")
    if encoding is None:
        encs, weights = zip(*ENCODINGS, strict=True)
        encoding = rng.choices(encs, weights)[0]
    crlf = rng.random() < (0.8 if encoding == "gb18030" else 0.25)
    arts: list[Article] = []
    size = 0
    while size < target_chars * 0.97:
        art = _varied_article(rng.choice(pool.articles), rng, day.year)
        arts.append(art)
        size += sum(len(x) + 2 for x in art.head + art.body)
    if layout == "blocks":
        text = _render_blocks(arts, rng)
    else:
        briefs = [_varied_article(Article((), (b,)), rng, day.year).body[0]
                  for b in rng.sample(pool.briefs * 3, k=rng.randint(3, min(6, len(pool.briefs) * 3)))]
        text = _render_paper(arts, briefs, rng, day)
    chars = len(text)
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode(encoding)
    if layout == "paper" or dated_name:
        name = f"{day:%Y-%m-%d}_zjgrrb_{index:05d}.txt"
    else:
        name = f"{index:05d}_{hashlib.sha256(data).hexdigest()[:16]}.txt"
    return CorpusIssue(index=index, name=name, data=data, layout=layout, encoding=encoding, crlf=crlf,
                       issue_date=day, chars=chars)


def generate(seed: int, n: int, start: int = 0, **kw) -> list[CorpusIssue]:
    """Issues ``start`` … ``start + n - 1`` of corpus ``seed``."""
    return [generate_issue(seed, i, **kw) for i in range(start, start + n)]


def write(issues: list[CorpusIssue], folder: Path) -> list[Path]:
    """Write the issues into ``folder`` (created); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for issue in issues:
        p = folder / issue.name
        p.write_bytes(issue.data)
        paths.append(p)
    return paths


def corpus_digest(issues: list[CorpusIssue]) -> str:
    """One sha256 over all names and bytes (to compare two generations)."""
    h = hashlib.sha256()
    for issue in issues:
        h.update(issue.name.encode() + b"\0" + issue.data)
    return h.hexdigest()
