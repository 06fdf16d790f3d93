"""Which stored article is which after a re-parse (issue 10).

An article is recognised by its normalised headline (kicker + title + subtitle), else by its
normalised first paragraph; stored article ids follow that rule, and so do topic corrections, which
keep the keys of the text they were made on. Normalising (NFKC, case-folded, letters and digits
only) makes the keys blind to what a parser or decoder change may alter without changing the
article: full-width/half-width forms, spaces, line breaks, punctuation, how the headline is split
into kicker/title/subtitle.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def normalise(text: str | None) -> str:
    """``text`` NFKC-normalised and case-folded, with only letters and digits kept (Unicode
    categories L* and N*). ``None`` → ``""``."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def headline_key(kicker: str | None, title: str | None, subtitle: str | None) -> str | None:
    """sha256 hex of the normalised headline (kicker + title + subtitle); None when it is empty."""
    text = normalise(kicker) + normalise(title) + normalise(subtitle)
    return _digest(text) if text else None


def lead_key(paragraphs: Sequence[str] | None) -> str | None:
    """sha256 hex of the normalised first paragraph that has letters or digits; None when none has."""
    for paragraph in paragraphs or ():
        text = normalise(paragraph)
        if text:
            return _digest(text)
    return None


def text_fingerprint(kicker: str | None, title: str | None, subtitle: str | None,
                     paragraphs: Sequence[str] | None) -> str:
    """sha256 hex of the normalised headline and body: equal for the same article text however it
    was decoded or split into paragraphs."""
    headline = normalise(kicker) + normalise(title) + normalise(subtitle)
    return _digest(headline + "\n" + "".join(normalise(p) for p in paragraphs or ()))


@dataclass(frozen=True)
class Keys:
    """The identity of one article: its ``seq`` (position in the issue) and its keys."""

    seq: int
    headline: str | None
    lead: str | None


def keys_of(row: Any) -> Keys:
    """:class:`Keys` of an article given as an object or a dict with ``seq``, ``kicker``,
    ``title``, ``subtitle`` and ``paragraphs``."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return Keys(get("seq"), headline_key(get("kicker"), get("title"), get("subtitle")),
                lead_key(get("paragraphs")))


def match_articles(old: Sequence[Keys], new: Sequence[Keys]) -> dict[int, int]:
    """Pair re-parsed articles with stored ones. Returns ``{index in new: index in old}``.

    Passes, each over the articles still unpaired, in seq order: same headline and first paragraph,
    same headline, same first paragraph, same seq. A missing key never matches. Unpaired new
    articles are new; unpaired old ones have vanished.
    """
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    passes = (lambda k: (k.headline, k.lead) if k.headline and k.lead else None,
              lambda k: k.headline, lambda k: k.lead, lambda k: k.seq)
    for key in passes:
        waiting: dict[Any, list[int]] = {}
        for j, k in enumerate(old):
            if j not in taken and key(k) is not None:
                waiting.setdefault(key(k), []).append(j)
        for i, k in enumerate(new):
            if i in pairs or key(k) is None or not waiting.get(key(k)):
                continue
            j = waiting[key(k)].pop(0)
            pairs[i] = j
            taken.add(j)
    return pairs


def find_article(headline: str | None, lead: str | None, new: Sequence[Keys],
                 prefer_seq: int | None = None) -> int | None:
    """Index in ``new`` of the article a correction made on text with keys ``headline`` / ``lead``
    belongs to: same headline and first paragraph, else same headline, else same first paragraph
    (never by position: a correction is a person's judgement of that text). Among equals, the one at
    ``prefer_seq`` (the article it was attached to), else the first. None when nothing matches."""
    tests = ((lambda k: headline and lead and k.headline == headline and k.lead == lead),
             (lambda k: headline and k.headline == headline), (lambda k: lead and k.lead == lead))
    for test in tests:
        found = [i for i, k in enumerate(new) if test(k)]
        if found:
            return next((i for i in found if new[i].seq == prefer_seq), found[0])
    return None
