#!/usr/bin/env python3
"""Score the project's parse of an issue file against a hand-made reference.

The project's one scorer: a copy of /work/shared/tools/score_parse.py (the shared dev tool), used by
`briefing evaluate` (worker/ops/evaluate.py) and tests/test_regression_set.py; everything from the
imports down is kept identical to the shared original (tests/test_regression_set.py checks it when the
original is present). Run it as `python -m worker.ops.score GOLD.json PARSED.json`.

Usage:
  score_parse.py GOLD.json PARSED.json [--min-parse F] [--min-enrich F]

PARSED.json is what `briefing parse FILE --format json` prints: an object with an
"articles" list; each article has title / kicker / subtitle, authors (names or
{"name": ...}), paragraphs (list of str), captions (list of str), category
(taxonomy key), places (list of str), figures (list of str or {"text": ...}).

Text is NFKC-normalised and whitespace-free before comparison, so full-width and
half-width punctuation compare equal; headlines also compare without dashes.

Two groups of checks, each printed per field as correct/total:
  parse  - article found, headline, authors, body start, body end, paragraph count,
           captions, and one check per parsed article that matches no reference
           article (an extra article costs as much as a missed one);
  enrich - category (primary or an accepted alternative), each reference place,
           each reference figure.
A place matches an output place equal to it, or equal to it plus one of 市县区省.
A figure matches an output figure equal to it once a leading qualifier
(超 近 约 逾 共 达 计 累计 共计 合计 总计) is dropped from either side.
The last three lines are `parse score: F`, `enrich score: F` and `score: F` (all
checks). Exit status 1 when a score is below its --min-* value.
"""
# ruff: noqa: E401, I001, E501, SIM115, RUF059  (kept byte-for-byte in step with the shared original)
import argparse, json, re, sys, unicodedata

PARSE_FIELDS = ("article found", "articles that are real", "headline", "authors", "body start",
                "body end", "paragraphs", "captions")
ENRICH_FIELDS = ("category", "places", "figures")
QUALIFIER = re.compile(r"^(累计|共计|合计|总计|超过|超|近|约|逾|共|达|计)+")


def norm(s):
    if s is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(s)))


def undash(s):
    """Headlines compare without dashes: a subtitle's leading —— may be kept or dropped."""
    return re.sub(r"[—―–-]", "", norm(s))


def values(items, key):
    return [norm(x.get(key) if isinstance(x, dict) else x) for x in items or []]


def headline(a):
    return undash("".join(a.get(k) or "" for k in ("kicker", "title", "subtitle")))


def place_ok(gold, got):
    g = norm(gold)
    return any(x == g or (len(x) == len(g) + 1 and x.startswith(g) and x[-1] in "市县区省") for x in got)


def figure_ok(gold, got):
    g = QUALIFIER.sub("", norm(gold))
    return any(QUALIFIER.sub("", x) == g for x in got)


def match(gold_articles, got_articles):
    """Pair each reference article with the parsed article that holds its body start."""
    pairs, used = [], set()
    for g in gold_articles:
        gs, hit = norm(g["body_starts"]), None
        for i, a in enumerate(got_articles):
            paras = [norm(p) for p in a.get("paragraphs") or []]
            if i not in used and paras and paras[0].startswith(gs):
                hit = i
                break
        if hit is None and g.get("headline_text"):
            gh = undash(g["headline_text"])
            for i, a in enumerate(got_articles):
                if i not in used and headline(a) == gh:
                    hit = i
                    break
        if hit is not None:
            used.add(hit)
        pairs.append((g, got_articles[hit] if hit is not None else None))
    return pairs, len(got_articles) - len(used)


def score(gold, got):
    checks = {}

    def add(field, ok):
        c = checks.setdefault(field, [0, 0])
        c[0] += bool(ok)
        c[1] += 1

    arts = got.get("articles", []) if isinstance(got, dict) else got
    pairs, extra = match(gold["articles"], arts)
    for _ in range(len(arts) - extra):
        add("articles that are real", True)
    for _ in range(extra):
        add("articles that are real", False)
    for g, a in pairs:
        add("article found", a is not None)
        a = a or {}
        paras = [norm(p) for p in a.get("paragraphs") or []]
        if g.get("headline_text") is not None:
            add("headline", bool(a) and headline(a) == undash(g["headline_text"]))
        add("authors", bool(a) and sorted(set(values(a.get("authors"), "name"))) == sorted(set(norm(x) for x in g["authors"])))
        add("body start", bool(paras) and paras[0].startswith(norm(g["body_starts"])))
        add("body end", bool(paras) and paras[-1].endswith(norm(g["body_ends"])))
        if g.get("paragraphs") is not None:
            add("paragraphs", len(paras) == g["paragraphs"])
        if "captions" in g:
            add("captions", bool(a) and sorted(values(a.get("captions"), "text")) == sorted(norm(x) for x in g["captions"]))
        add("category", a.get("category") in [g["category"], *g.get("also_ok", [])])
        got_places = values(a.get("places"), "name")
        for p in g.get("places", []):
            add("places", place_ok(p, got_places))
        got_figs = values(a.get("figures"), "text")
        for f in g.get("figures", []):
            add("figures", figure_ok(f, got_figs))
    return checks, extra


def ratio(checks, fields):
    ok = sum(checks[f][0] for f in fields if f in checks)
    n = sum(checks[f][1] for f in fields if f in checks)
    return ok / n if n else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gold")
    ap.add_argument("parsed")
    ap.add_argument("--min-parse", type=float, default=0.0)
    ap.add_argument("--min-enrich", type=float, default=0.0)
    args = ap.parse_args()
    gold = json.load(open(args.gold, encoding="utf-8"))
    got = json.load(open(args.parsed, encoding="utf-8"))
    checks, extra = score(gold, got)
    for field in PARSE_FIELDS + ENRICH_FIELDS:
        if field in checks:
            print(f"{field:24s} {checks[field][0]}/{checks[field][1]}")
    p, e = ratio(checks, PARSE_FIELDS), ratio(checks, ENRICH_FIELDS)
    print(f"parse score: {p:.3f}")
    print(f"enrich score: {e:.3f}")
    print(f"score: {ratio(checks, PARSE_FIELDS + ENRICH_FIELDS):.3f}")
    return 0 if p >= args.min_parse and e >= args.min_enrich else 1


if __name__ == "__main__":
    sys.exit(main())
