"""Sameness of articles in a period, for aggregating weekly and monthly briefings (issue 16).

Two kinds, both measured on segmented text (the project's segmenter, :func:`worker.enrich.segment.tag`)
with datasketch's MinHash and MinHash LSH (no home-made near-duplicate detection):

* **duplicates** — near-identical text (a reprint, a re-encoded copy of an issue, the same article in
  two issues): word 2-gram shingles of title + whole body, Jaccard ≥ ``aggregation.duplicate``;
  merged silently into one entry (the earliest kept);
* **同题报道** — different articles on one event: words of title + first paragraph, Jaccard ≥
  ``aggregation.same_event``; grouped under one entry that says ``同题报道N篇`` and lists the sources.

The thresholds in ``config/briefing.yaml`` were chosen on hand-labelled pairs
(``tests/data/briefing_week/gold.yaml``: duplicate, same-event and different pairs).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from datasketch import MinHash, MinHashLSH

#: Words that carry no event: punctuation, particles and numbers (numbers differ between reports).
_NOISE = re.compile(r"^[\W\d_]+$|^[的了和与及在是为将对把被等也都而并就这那其之]$")


@dataclass(frozen=True)
class Text:
    """What sameness is measured on for one article: its ``title`` and ``paragraphs``."""

    title: str
    paragraphs: tuple[str, ...]


def _words(text: str) -> list[str]:
    from worker.enrich.segment import tag

    return [w for w, _ in tag(text) if w.strip() and not _NOISE.match(w)]


def _minhash(tokens: set[str], num_perm: int) -> MinHash:
    m = MinHash(num_perm=num_perm)
    for t in tokens:
        m.update(t.encode("utf-8"))
    return m


def duplicate_tokens(t: Text) -> set[str]:
    """Word 2-gram shingles of title and whole body (order matters: a reprint keeps it)."""
    words = _words(t.title + "\n" + "\n".join(t.paragraphs))
    return {a + " " + b for a, b in pairwise(words)} or set(words)


def event_tokens(t: Text) -> set[str]:
    """Words of title and first paragraph (what an event report opens with: who, where, what)."""
    first = t.paragraphs[0] if t.paragraphs else ""
    return set(_words(t.title + "\n" + first[:200]))


def similar_pairs(token_sets: Sequence[set[str]], threshold: float, num_perm: int = 128
                  ) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, jaccard)`` with ``i < j`` whose MinHash Jaccard estimate is at least
    ``threshold`` (0..1): candidates from a :class:`datasketch.MinHashLSH` at that threshold,
    each confirmed by the estimate (LSH alone admits false positives)."""
    if len(token_sets) < 2:
        return []
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
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
            if j > i:
                score = m.jaccard(hashes[j])
                if score >= threshold:
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


def aggregate(texts: Sequence[Text], *, duplicate: float, same_event: float | None,
              num_perm: int = 128) -> list[tuple[int, list[int], list[int]]]:
    """Aggregate ``texts`` (in reading order): ``[(kept, duplicates, same_event)]`` — index of the
    article an entry shows, indices merged into it silently (near-identical), and indices of the
    other reports of its event (同题报道; each with its own duplicates dropped). ``same_event=None``
    groups no events (daily briefings). Every index appears exactly once."""
    dup_groups = groups(len(texts), similar_pairs([duplicate_tokens(t) for t in texts], duplicate,
                                                  num_perm))
    kept = [g[0] for g in dup_groups]
    dups = {g[0]: g[1:] for g in dup_groups}
    if same_event is None:
        return [(k, dups[k], []) for k in kept]
    ev = similar_pairs([event_tokens(texts[k]) for k in kept], same_event, num_perm)
    out = []
    for g in groups(len(kept), ev):
        head, others = kept[g[0]], [kept[i] for i in g[1:]]
        out.append((head, dups[head] + [d for o in others for d in dups[o]], others))
    return out
