"""``uv run python -m bench`` — every figure in one run, each against a baseline measured in the
same run. See docs/performance.md for what each figure means and the last results.

    uv run python -m bench                 # full run (1,000-issue backfills, 50-file latency)
    uv run python -m bench --quick         # 100-issue backfills, 20 files for latency
    uv run python -m bench --only pipeline,render
    uv run python -m bench --only latency,recovery    # drop→stored p95 and recovery after SIGKILL
    uv run python -m bench --write-corpus DIR --issues 20   # just write the corpus files
    uv run python -m bench --only search --archive-issues 365  # archive search on a 1-year archive
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from bench.report import Figure, Printer

FIGURES = ("pipeline", "backfill", "latency", "render", "memory", "recovery", "search")
INGEST_RSS_TARGET_MB = 250.0
REPORTS_RSS_TARGET_MB = 350.0


def load() -> str:
    """The 1/5/15-minute load averages (other work on the machine skews every figure)."""
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "n/a"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--issues", type=int, default=None, help="backfill size (default 1000; --quick: 100)")
    p.add_argument("--quick", action="store_true", help="smaller run: 100-issue backfills, 20 latency files, "
                   "20 issues for the throughput figure")
    p.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    p.add_argument("--chars", type=int, default=25_000, help="characters per issue (default 25000)")
    p.add_argument("--pipeline-issues", type=int, default=None, help="issues timed for figure 1 (default 40; quick 20)")
    p.add_argument("--latency-files", type=int, default=None, help="files for figure 3 (default 50; quick 20)")
    p.add_argument("--stable-seconds", type=float, default=None,
                   help="W for the latency figure (default: the BRIEFING_STABLE_SECONDS default, 1 s)")
    p.add_argument("--archive-issues", type=int, default=None,
                   help="issues in the search figure's archive (default 3650 ≈ 150,000 articles; quick 365)")
    p.add_argument("--search-reps", type=int, default=5, help="timed runs of each search (default 5)")
    p.add_argument("--only", default=",".join(FIGURES), help=f"comma list of {', '.join(FIGURES)}")
    p.add_argument("--no-postgres", action="store_true", help="backfill on SQLite only")
    p.add_argument("--no-pdf", action="store_true", help="do not time the LibreOffice PDF conversion")
    p.add_argument("--keep", action="store_true", help="keep the temporary folders (logs, databases)")
    p.add_argument("--write-corpus", metavar="DIR", help="write --issues corpus files into DIR and exit")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    # the render figures time finished briefings: no draft awaiting 签发 (issue 19's default)
    os.environ["BRIEFING_APPROVAL"] = "auto"
    args = parse_args(argv)
    n = args.issues or (100 if args.quick else 1000)
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    unknown = only - set(FIGURES)
    if unknown:
        print(f"unknown figure(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2

    import logging

    logging.getLogger("worker").setLevel(logging.WARNING)

    from bench.corpus import corpus_digest, generate, write

    if args.write_corpus:
        from pathlib import Path

        issues = generate(args.seed, n, target_chars=args.chars)
        write(issues, Path(args.write_corpus))
        print(f"{len(issues)} issues written to {args.write_corpus} (digest {corpus_digest(issues)[:16]})")
        return 0

    from bench.stack import OtherLoad

    printer = Printer()
    started = time.time()
    watch: list[OtherLoad] = []

    def other_load_note() -> None:
        if watch:
            printer.info(f"machine: other processes kept {watch[0].cores():.2f} of {os.cpu_count()} cores busy "
                         f"during this figure (load average now {load()})")
            watch.clear()

    def begin(title: str) -> None:
        other_load_note()
        printer.section(title)
        printer.info(f"load average {load()}")
        watch.append(OtherLoad())
    print(f"union-briefing bench: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"seed {args.seed}, {args.chars:,} chars per issue, backfill {n} issues"
          f"{' (quick)' if args.quick else ''}", flush=True)

    pipeline_ms, articles_per_issue = None, None
    if "pipeline" in only or "backfill" in only:
        from bench import throughput

        begin("1. pipeline throughput (decode + parse + enrich, one process, no database)")
        k = args.pipeline_issues or (20 if args.quick else 40)
        t = throughput.run(printer, args.seed, k, args.chars)
        pipeline_ms, articles_per_issue = t.per_issue_ms, t.articles / t.issues

    backfills = []
    if "backfill" in only or "memory" in only:
        from bench import backfill
        from bench.stack import postgres_available, postgres_database

        begin(f"2. backfill ({n} issues dropped at once; inbox worker + {backfill.INGEST_WORKERS} "
                        "ingest worker processes)")
        issues = generate(args.seed, n, target_chars=args.chars)
        printer.info(f"corpus: {n} issues, {sum(i.chars for i in issues):,} chars, "
                     f"{sum(len(i.data) for i in issues) / 1e6:.1f} MB, digest {corpus_digest(issues)[:16]}")
        from bench.throughput import parallel_ms

        par = parallel_ms(issues[:200]) if pipeline_ms else None
        b = backfill.run_one("sqlite", issues, keep=args.keep)
        backfills.append(b)
        if pipeline_ms:
            backfill.report(printer, b, pipeline_ms, articles_per_issue, par)
        if not args.no_postgres:
            why = postgres_available()
            if why:
                printer.info(f"PostgreSQL backfill skipped: {why}")
            else:
                other_load_note()
                watch.append(OtherLoad())
                par = parallel_ms(issues[:200]) if pipeline_ms else None
                with postgres_database() as url:
                    b = backfill.run_one("postgresql", issues, database_url=url, keep=args.keep)
                backfills.append(b)
                if pipeline_ms:
                    backfill.report(printer, b, pipeline_ms, articles_per_issue, par)

    if "latency" in only:
        from bench import latency
        from bench.corpus import generate as gen

        k = args.latency_files or (20 if args.quick else 50)
        w = args.stable_seconds if args.stable_seconds is not None else latency.default_window()
        begin(f"3. latency ({k} files dropped one at a time into `briefing run`, W = {w:g} s)")
        files = gen(args.seed, k, start=500_000, target_chars=args.chars)
        r = latency.run(files, window_s=args.stable_seconds, keep=args.keep, seed=args.seed)
        latency.report(printer, r)
        if r.worker_memory:
            printer.info(f"`briefing run` processing worker (ingest+reports, -c 2): pool children peak RSS "
                         f"{', '.join(f'{m:.0f}' for m in r.worker_memory.children_mb)} MB, "
                         f"main {r.worker_memory.main_mb:.0f} MB")

    reports_mem = None
    if "render" in only or "memory" in only:
        from bench import render

        begin("4. briefing render (make_briefing: DB → content → .docx)")
        _, reports_mem = render.run(printer, args.seed, keep=args.keep, pdf=not args.no_pdf)

    if "search" in only:
        from bench import search

        k = args.archive_issues or (365 if args.quick else 3650)
        begin(f"6. archive search ({k:,}-issue archive; SQLite FTS5 and PostgreSQL tsvector + GIN)")
        search.run(printer, args.seed, k, reps=args.search_reps, postgres=not args.no_postgres, keep=args.keep)

    other_load_note()
    if "memory" in only:
        printer.section("5. memory (peak RSS = VmHWM of the prefork pool child that ran the tasks)")
        for b in backfills:
            peak = max(m.child_peak_mb for m in b.ingest_memory)
            idle = max(m.child_peak_mb for m in b.ingest_idle)
            printer.figure(Figure(f"peak RSS ingest worker ({b.db}, after {b.n} issues)", peak, "MB", idle, "MB",
                                  "idle pool child before any task", target=f"<= {INGEST_RSS_TARGET_MB:.0f} MB",
                                  passed=peak <= INGEST_RSS_TARGET_MB))
            mains = ", ".join(f"{m.main_mb:.0f}" for m in b.ingest_memory)
            printer.info(f"worker main (consumer) processes: {mains} MB peak; inbox worker pool child "
                         f"{b.inbox_memory.child_peak_mb:.0f} MB, main {b.inbox_memory.main_mb:.0f} MB")
        if reports_mem:
            printer.figure(Figure("peak RSS reports worker (monthly briefing)", reports_mem.peak.child_peak_mb, "MB",
                                  reports_mem.idle.child_peak_mb, "MB", "idle pool child before any task",
                                  target=f"<= {REPORTS_RSS_TARGET_MB:.0f} MB",
                                  passed=reports_mem.peak.child_peak_mb <= REPORTS_RSS_TARGET_MB))
            printer.info(f"main process {reports_mem.peak.main_mb:.0f} MB; task incl. PDF took "
                         f"{reports_mem.task_s:.1f} s; LibreOffice runs as its own process (not counted)")

    if "recovery" in only:
        from bench import recovery
        from bench.corpus import generate as gen

        begin("6. recovery after SIGKILL (processing worker killed mid-backlog, production time limits)")
        r = recovery.run(gen(args.seed, 10 if args.quick else 20, start=600_000, target_chars=args.chars),
                         keep=args.keep)
        recovery.report(printer, r)
        other_load_note()

    misses = [f for f in printer.figures if f.target is not None and not f.passed]
    print(f"\n{len(printer.figures)} figures in {time.time() - started:.0f} s; targets: "
          f"{sum(1 for f in printer.figures if f.target is not None) - len(misses)} pass, {len(misses)} miss"
          + (": " + "; ".join(f.name for f in misses) if misses else ""), flush=True)
    return 0


if __name__ == "__main__":
    # The stacks get exactly the BRIEFING_* they are given; the bench process itself must not pick
    # up a developer's settings either.
    for _k in [k for k in os.environ if k.startswith("BRIEFING_")]:
        del os.environ[_k]
    raise SystemExit(main())
