"""Figure 1 — pipeline throughput in one process, no database: ``worker.pipeline.analyse`` (decode +
parse + enrich) against two baselines on the same decoded text in the same run: ``jieba.lcut`` (a
plain segmentation pass in pure Python) and ``rjieba.cut`` (the Rust port: close to the limit of
what segmenting the text can cost). Every issue is run through all three, interleaved, so machine
noise hits them alike; everything is warmed up (dictionaries loaded) on an issue not measured."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field

from bench.corpus import CorpusIssue, generate_issue
from bench.report import Figure, Printer


@dataclass
class Throughput:
    issues: int
    chars: int
    articles: int
    pipeline_s: float
    jieba_s: float
    rjieba_s: float
    stages_s: dict[str, float] = field(default_factory=dict)

    @property
    def per_issue_ms(self) -> float:
        return self.pipeline_s / self.issues * 1000

    @property
    def chars_per_s(self) -> float:
        return self.chars / self.pipeline_s


def measure(issues: list[CorpusIssue], *, warmup: CorpusIssue | None = None,
            stages: bool = True) -> Throughput:
    """Time ``analyse`` / ``jieba.lcut`` / ``rjieba.cut`` over ``issues`` (in this process)."""
    import jieba
    import rjieba

    from worker.enrich.article import enrich_article
    from worker.intake.reading import read_document
    from worker.parsing.parser import parse_issue
    from worker.pipeline import analyse

    jieba.setLogLevel(60)
    warm = warmup or issues[0]
    text = analyse(warm.data, warm.name)["decoded"].text
    jieba.lcut(text)
    rjieba.cut(text)

    pipe = jb = rj = 0.0
    chars = articles = 0
    st = {"decode": 0.0, "parse": 0.0, "enrich": 0.0}
    gc.collect()
    for issue in issues:
        t0 = time.perf_counter()
        result = analyse(issue.data, issue.name)
        t1 = time.perf_counter()
        text = result["decoded"].text
        jieba.lcut(text)
        t2 = time.perf_counter()
        rjieba.cut(text)
        t3 = time.perf_counter()
        pipe += t1 - t0
        jb += t2 - t1
        rj += t3 - t2
        chars += len(text)
        articles += len(result["parsed"].articles)
        if stages:  # the same three steps as analyse, timed one by one (information only)
            a = time.perf_counter()
            decoded = read_document(issue.data, issue.name)
            b = time.perf_counter()
            parsed = parse_issue(decoded.text, file_name=issue.name, headline_hints=decoded.headline_hints)
            c = time.perf_counter()
            for art in parsed.articles:
                enrich_article(art)
            d = time.perf_counter()
            st["decode"] += b - a
            st["parse"] += c - b
            st["enrich"] += d - c
    return Throughput(len(issues), chars, articles, pipe, jb, rj, st if stages else {})


def run(printer: Printer, seed: int, n: int, target_chars: int) -> Throughput:
    """Measure on issues 0…n-1 of the corpus and print the figures."""
    issues = [generate_issue(seed, i, target_chars=target_chars) for i in range(n)]
    warm = generate_issue(seed + 1, 0, target_chars=target_chars)
    t = measure(issues, warmup=warm)
    jieba_cps = t.chars / t.jieba_s
    rjieba_cps = t.chars / t.rjieba_s
    printer.figure(Figure("pipeline throughput", t.chars_per_s, "chars/s", jieba_cps, "chars/s", "jieba.lcut",
                          target=">= 1.00x jieba.lcut", passed=t.chars_per_s >= jieba_cps))
    printer.figure(Figure("pipeline throughput vs limit", t.chars_per_s, "chars/s", rjieba_cps, "chars/s",
                          "rjieba.cut"))
    printer.figure(Figure("pipeline time per issue", t.per_issue_ms, "ms", t.jieba_s / t.issues * 1000, "ms",
                          "jieba.lcut"))
    total = sum(t.stages_s.values()) or 1.0
    printer.info(f"{t.issues} issues, {t.chars:,} chars ({t.chars // t.issues:,} per issue), "
                 f"{t.articles} articles ({t.articles / t.issues:.1f} per issue); rjieba.cut "
                 f"{t.rjieba_s / t.issues * 1000:.2f} ms per issue")
    if t.stages_s:
        printer.info("pipeline stages: " + ", ".join(
            f"{k} {v / t.issues * 1000:.1f} ms ({v / total:.0%})" for k, v in t.stages_s.items()))
    printer.info(segmentation_agreement(issues))
    return t


def segmentation_agreement(issues: list[CorpusIssue]) -> str:
    """Do rjieba.cut and jieba.lcut cut the same text the same way? (Why the pipeline may use the
    faster one: issue #4.) Compared untimed, issue by issue, token list against token list."""
    import jieba
    import rjieba

    from worker.intake.reading import read_document

    same = tokens = differing = 0
    for issue in issues:
        text = read_document(issue.data, issue.name).text
        a, b = jieba.lcut(text), rjieba.cut(text)
        same += a == b
        tokens += len(a)
        if a != b:
            differing += sum(1 for x, y in zip(a, b, strict=False) if x != y) + abs(len(a) - len(b))
    return (f"segmentation: rjieba.cut output identical to jieba.lcut on {same} of {len(issues)} issues "
            f"({tokens:,} tokens; {differing} differing positions)")


_PAR_ISSUES: list[CorpusIssue] = []


def _par_init() -> None:
    from worker.pipeline import analyse

    warm = generate_issue(-1, 0)
    analyse(warm.data, warm.name)


def _par_one(i: int) -> float:
    from worker.pipeline import analyse

    issue = _PAR_ISSUES[i]
    t0 = time.perf_counter()
    analyse(issue.data, issue.name)
    return time.perf_counter() - t0


def parallel_ms(issues: list[CorpusIssue], procs: int = 2) -> float:
    """The pipeline alone in ``procs`` forked processes (warmed up), no broker, no database:
    wall × procs / len(issues), in ms — what the machine gives when both cores work at once."""
    import multiprocessing as mp

    global _PAR_ISSUES
    _PAR_ISSUES = issues
    ctx = mp.get_context("fork")
    with ctx.Pool(procs, initializer=_par_init) as pool:
        pool.map(_par_one, range(min(procs * 2, len(issues))), chunksize=1)
        t0 = time.perf_counter()
        pool.map(_par_one, range(len(issues)), chunksize=1)
        wall = time.perf_counter() - t0
    _PAR_ISSUES = []
    return wall * procs / len(issues) * 1000
