"""Sameness of articles in a period, for aggregating weekly and monthly briefings (issue 16).

Two kinds, both measured on segmented text (the project's segmenter, :func:`worker.enrich.segment.tag`)
with datasketch's MinHash and MinHash LSH (no home-made near-duplicate detection):

* **duplicates** — near-identical text (a reprint, a re-encoded copy of an issue, the same article in
  two issues): word 2-gram shingles of title + whole body, Jaccard ≥ ``aggregation.duplicate``, and
  the same numbers and cities (:func:`facts`); merged silently into one entry (the earliest kept);
* **同题报道** — different articles on one event: words of title + first paragraph, Jaccard ≥
  ``aggregation.same_event``; grouped under one entry that says ``同题报道N篇`` and lists the sources.

The thresholds in ``config/briefing.yaml`` were chosen on the hand-labelled pairs of
``tests/data/briefing_week/gold.yaml``: duplicates score 1.0 and no other pair above 0.13 on
2-gram shingles (→ 0.5); same-event pairs score 0.17–0.22 and different pairs at most 0.14 on event
words (→ 0.16). tests/test_briefing_content.py checks that the thresholds keep separating them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from datasketch import MinHash, MinHashLSH

#: Words that carry no event: punctuation, particles and numbers (numbers differ between reports).
_NOISE = re.compile(r"^[\W\d_]+$|^[的了和与及在是为将对把被等也都而并就这那其之]$")


@dataclass(frozen=True)
class Text:
    """What sameness is measured on for one article: its ``title`` and ``paragraphs``, and its
    ``day`` (reports of one event fall within :data:`EVENT_WINDOW_DAYS` of each other)."""

    title: str
    paragraphs: tuple[str, ...]
    day: date | None = None


#: Reports more days apart than this are not one event's 同题报道 (a series, a yearly occasion).
EVENT_WINDOW_DAYS = 7


#: Parts of speech that name an event's who/where/what (nouns, names, places, organisations,
#: verbal nouns, idioms, Latin words): what 同题报道 share.
_EVENT_POS = ("n", "nr", "ns", "nt", "nz", "vn", "l", "j", "eng")
#: Reporting boilerplate at the start of a lead (本报讯, 新华社北京12月23日电).
_LEAD = re.compile(r"^(?:本报讯|本报[\u4e00-\u9fff]{0,6}讯|(?:据)?新华社[\u4e00-\u9fff]{0,6}\d{1,2}月\d{1,2}日电)\s*")


def _words(text: str, pos: tuple[str, ...] | None = None) -> list[str]:
    from worker.enrich.segment import tag

    return [w for w, p in tag(text) if w.strip() and not _NOISE.match(w)
            and (pos is None or p in pos)]


def _minhash(tokens: set[str], num_perm: int) -> MinHash:
    m = MinHash(num_perm=num_perm)
    m.update_batch([t.encode("utf-8") for t in tokens])
    return m


def duplicate_tokens(t: Text) -> set[str]:
    """Word 2-gram shingles of title and whole body (order matters: a reprint keeps it)."""
    words = _words(t.title + "\n" + "\n".join(t.paragraphs))
    return {a + " " + b for a, b in pairwise(words)} or set(words)


def event_tokens(t: Text) -> set[str]:
    """Content words (nouns, names, places, organisations — :data:`_EVENT_POS`) of title and first
    paragraph, less the domain stop words of ``config/stopwords.txt`` (工会, 职工 … say nothing
    about which event): what an event report opens with — who, where, what."""
    from worker.enrich.keywords import get_stopwords

    first = _LEAD.sub("", t.paragraphs[0].strip()) if t.paragraphs else ""
    stop = get_stopwords()
    return {w for w in _words(t.title + "\n" + first[:200], _EVENT_POS) if w not in stop and len(w) > 1}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    return len(a & b) / len(a | b) if a or b else 0.0


#: LSH finds candidates at this fraction of the threshold (MinHash estimates scatter by about
#: ±0.03 at 128 permutations); each candidate is then confirmed on the exact token sets.
CANDIDATE_FACTOR = 0.6


def similar_pairs(token_sets: Sequence[set[str]], threshold: float, num_perm: int = 128
                  ) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, jaccard)`` with ``i < j`` whose token sets' Jaccard similarity is at least
    ``threshold`` (0..1): candidates from a :class:`datasketch.MinHashLSH` (at
    ``threshold`` × :data:`CANDIDATE_FACTOR`), each confirmed by its exact Jaccard."""
    if len(token_sets) < 2:
        return []
    lsh = MinHashLSH(threshold=max(0.05, threshold * CANDIDATE_FACTOR), num_perm=num_perm)
    hashes = [_minhash(s, num_perm) for s in token_sets]
    for i, m in enumerate(hashes):
        if token_sets[i]:
            lsh.insert(str(i), m)
    out = []
    for i, m in enumerate(hashes):
        if not token_sets[i]:
            continue
        for key in lsh.query(m):
            j = int(key)
            if j > i and (score := jaccard(token_sets[i], token_sets[j])) >= threshold:
                out.append((i, j, score))
    return sorted(out)


def groups(n: int, pairs: Sequence[tuple[int, int, float]]) -> list[list[int]]:
    """Connected groups of ``range(n)`` under ``pairs`` (union-find), each sorted, in order of
    their first member; singletons included."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j, _ in pairs:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    out: dict[int, list[int]] = {}
    for i in range(n):
        out.setdefault(find(i), []).append(i)
    return sorted(out.values(), key=lambda g: g[0])


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def facts(t: Text) -> tuple[frozenset[str], frozenset[str]]:
    """The numbers and the Zhejiang cities a text names: a reprint or a re-encoded copy keeps
    both, while two short items of one kind (两地各办一场比赛) differ in them however alike the
    wording is."""
    from worker.briefing.select import zhejiang_cities

    text = t.title + "".join(t.paragraphs)
    return frozenset(_NUMBER.findall(text)), frozenset(c for c in zhejiang_cities() if c in text)


def aggregate(texts: Sequence[Text], *, duplicate: float, same_event: float | None,
              num_perm: int = 128) -> list[tuple[int, list[int], list[int]]]:
    """Aggregate ``texts`` (in reading order): ``[(kept, duplicates, same_event)]`` — index of the
    article an entry shows, indices merged into it silently (near-identical), and indices of the
    other reports of its event (同题报道; each with its own duplicates dropped). ``same_event=None``
    groups no events (daily briefings). Every index appears exactly once."""
    pairs = similar_pairs([duplicate_tokens(t) for t in texts], duplicate, num_perm)
    dup_groups = groups(len(texts), [p for p in pairs if facts(texts[p[0]]) == facts(texts[p[1]])])
    kept = [g[0] for g in dup_groups]
    dups = {g[0]: g[1:] for g in dup_groups}
    if same_event is None:
        return [(k, dups[k], []) for k in kept]
    ev = [(i, j, sc) for i, j, sc in similar_pairs([event_tokens(texts[k]) for k in kept], same_event, num_perm)
          if _within(texts[kept[i]].day, texts[kept[j]].day)]
    out = []
    for g in stars(len(kept), ev):
        head, others = kept[g[0]], [kept[i] for i in g[1:]]
        out.append((head, dups[head] + [d for o in others for d in dups[o]], others))
    return out


def _within(a: date | None, b: date | None) -> bool:
    return a is None or b is None or abs((a - b).days) <= EVENT_WINDOW_DAYS


def stars(n: int, pairs: Sequence[tuple[int, int, float]]) -> list[list[int]]:
    """Groups of ``range(n)`` around heads: in order, an index not yet grouped becomes a head and
    takes every ungrouped index it is paired with directly — no chains (A~B, B~C does not put C
    with A), so one broad report cannot pull a whole month into one event."""
    near: dict[int, set[int]] = {}
    for i, j, _ in pairs:
        near.setdefault(i, set()).add(j)
        near.setdefault(j, set()).add(i)
    taken: set[int] = set()
    out = []
    for i in range(n):
        if i in taken:
            continue
        members = [i, *sorted(j for j in near.get(i, ()) if j not in taken and j > i)]
        taken.update(members)
        out.append(members)
    return out
