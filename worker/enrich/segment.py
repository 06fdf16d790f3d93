"""Word segmentation, done ONCE per article and shared by every enrichment step.

The segmenter is a private ``rjieba.Jieba`` instance (the Rust port of jieba: same dictionary and
HMM, ~15× faster than ``jieba.lcut`` and with POS tags from the same dictionary as
``jieba.posseg``), created lazily once per process. It is private so the place names added to its
dictionary never change how other modules segment text with the shared ``rjieba`` functions.

The configuration loader (``worker.core.config``) and the sentence splitter
(``worker.parsing.sentences``) are re-exported here for the enrichment modules.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from typing import Any

from worker.core.config import config_dir, load_yaml  # noqa: F401  (re-exported for enrich modules)
from worker.parsing.sentences import SENTENCE_RE, sentence_spans  # noqa: F401  SENTENCE_RE re-exported; the project's one sentence splitter

_LOCK = threading.Lock()
_SEGMENTER: Any = None
_WORD_PROVIDERS: list[Callable[[], list[tuple[str, str]]]] = []


def register_words(provider: Callable[[], list[tuple[str, str]]]) -> None:
    """Add a source of dictionary words: ``provider()`` returns ``(word, pos_tag)`` pairs, added
    when the segmenter is first built. ``worker.enrich.places`` registers the gazetteer's names this
    way, so this module never imports the modules that use it."""
    with _LOCK:
        _WORD_PROVIDERS.append(provider)
        if _SEGMENTER is not None:  # registered late: add to the running segmenter too
            for word, pos in provider():
                _SEGMENTER.add_word(word, 2000, pos)


def get_segmenter():
    """The process-wide ``rjieba.Jieba`` instance, with the gazetteer's place names added as words
    (so 南浔区 or 柯桥 come out as single ``ns`` tokens) and the taxonomy's domain terms (see
    :func:`_domain_words`). Created on first use (~50 ms)."""
    global _SEGMENTER
    if _SEGMENTER is None:
        with _LOCK:
            if _SEGMENTER is None:
                import rjieba

                seg = rjieba.Jieba()
                for provider in _WORD_PROVIDERS:
                    for word, pos in provider():
                        seg.add_word(word, 2000, pos)
                for word in _domain_words():
                    if not seg.has_word(word):
                        seg.add_word(word, 2000, "n")
                _SEGMENTER = seg
    return _SEGMENTER


def _domain_words() -> list[str]:
    """Taxonomy phrases of 2–8 CJK characters (新就业形态, 医疗互助, 安全生产月 …): domain terms the
    general jieba dictionary may lack, added so that they come out as one token (for keywords and
    for the token-based phrase matching of ``worker.enrich.classify``)."""
    data = load_yaml("taxonomy.yaml")
    words = set()
    for spec in (data.get("categories") or {}).values():
        for phrase in [*(spec.get("phrases") or {}), *(spec.get("negative") or {})]:
            p = str(phrase)
            if 2 <= len(p) <= 8 and all("\u4e00" <= ch <= "\u9fff" for ch in p):
                words.add(p)
    return sorted(words)


def tag(text: str) -> list[tuple[str, str]]:
    """POS-tag ``text`` (jieba tag set: n, nr, ns, nt, nz, v, vn, m, x …). The words concatenate back
    to ``text`` exactly (whitespace and punctuation are ``x`` tokens)."""
    return get_segmenter().tag(text)


@dataclass
class Doc:
    """One article's text, segmented once.

    ``text`` is the headline block (kicker, title, subtitle joined by newlines; empty when the title
    was derived from the body), then a newline, then the paragraphs and captions, one per line.
    Offsets are in characters of ``text``; ``title_end`` is where the body starts. ``words``,
    ``tags`` and ``starts`` are parallel lists (word, POS tag, start offset). ``lead_end`` is the
    end of the first paragraph, ``body_end`` the end of the last paragraph (captions follow)."""

    text: str
    title_end: int
    lead_end: int
    body_end: int
    words: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.text[: self.title_end]

    @property
    def body(self) -> str:
        return self.text[self.title_end:]

    @cached_property
    def start_set(self) -> frozenset[int]:
        """Offsets where a word starts (for word-boundary checks)."""
        return frozenset(self.starts)

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        """(start, end) character spans of the sentences of the body (not the headline)."""
        base = self.title_end
        return [(s + base, e + base) for s, e in sentence_spans(self.body)]

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [s for s, _ in self.sentences]

    def sentence_at(self, offset: int) -> str:
        """The body sentence containing character ``offset`` (the headline line for a headline
        offset), stripped."""
        if offset < self.title_end:
            line_start = self.text.rfind("\n", 0, offset) + 1
            line_end = self.text.find("\n", offset)
            return self.text[line_start: line_end if line_end >= 0 else self.title_end].strip()
        spans = self.sentences
        i = bisect_right(self._sentence_starts, offset) - 1
        if i < 0:
            return ""
        return self.text[spans[i][0]: spans[i][1]].strip()

    def context_at(self, start: int, end: int, limit: int = 160) -> str:
        """The sentence around the span ``start``–``end`` (character offsets in :attr:`text`), as
        :meth:`sentence_at`; a sentence longer than ``limit`` characters is clipped to a window of
        about ``limit`` around the span, so a run of numbers in one endless sentence is stored once
        per figure at a bounded size, not whole each time (N figures × N-long sentence grew
        quadratically: a 38 KB file gave a 60 MB row)."""
        sentence = self.sentence_at(start)
        if len(sentence) <= limit:
            return sentence
        if start < self.title_end:
            base = self.text.rfind("\n", 0, start) + 1
        else:
            i = bisect_right(self._sentence_starts, start) - 1
            base = self.sentences[i][0] if i >= 0 else start
            base += len(self.text[base:start]) - len(self.text[base:start].lstrip())
        at, width = max(0, start - base), max(0, end - start)
        left = max(0, at - (limit - width) // 2)
        return sentence[left: left + max(limit, width)].strip()


#: Enrichment reads at most this many characters of an article (headline, body, captions). A long
#: newspaper feature has ~20,000; a 20 MB "article" (a file that is one run of text) would cost
#: ~2 GB of token lists, so the rest is not segmented. The stored article keeps every paragraph.
MAX_DOC_CHARS = 100_000


def _within(lines: list[str], budget: int) -> list[str]:
    """The leading ``lines`` that fit in ``budget`` characters (one newline each), the last one cut."""
    out = []
    for line in lines:
        if budget <= 0:
            break
        out.append(line[:budget])
        budget -= len(line) + 1
    return out


def make_doc(headline: list[str], paragraphs: list[str], captions: list[str] | None = None) -> Doc:
    """Build and segment a :class:`Doc`: ``headline`` lines (may be empty), body ``paragraphs`` and
    picture ``captions``. One ``tag`` call over the whole text, which is at most
    :data:`MAX_DOC_CHARS` characters (paragraphs beyond it are left out, captions first)."""
    head = "\n".join(h.strip() for h in headline if h and h.strip())[:1000]
    title_end = len(head) + 1 if head else 0
    body_lines = _within([p.strip() for p in paragraphs if p and p.strip()], MAX_DOC_CHARS - title_end)
    captions = _within([c.strip() for c in captions or [] if c and c.strip()],
                       MAX_DOC_CHARS - title_end - len("\n".join(body_lines)) - 1)
    lead_end = title_end + (len(body_lines[0]) if body_lines else 0)
    body_end = title_end + len("\n".join(body_lines))
    body_lines += captions
    text = (head + "\n" if head else "") + "\n".join(body_lines)
    tagged = tag(text)
    if tagged:
        words_t, tags_t = zip(*tagged, strict=True)
        words, tags = list(words_t), list(tags_t)
        starts = list(accumulate(map(len, words), initial=0))
        starts.pop()
    else:
        words, tags, starts = [], [], []
    return Doc(text=text, title_end=title_end, lead_end=lead_end, body_end=body_end, words=words, tags=tags,
               starts=starts)


def trie_regex(words) -> re.Pattern:
    """Compile ``words`` into one regex shaped like a trie (``技能(?:比武|竞赛)``), so a scan tries
    only the branch of the current character: one C-speed pass finds leftmost-longest matches of
    hundreds of phrases. Raises ValueError for an empty word list."""
    trie: dict = {}
    for w in words:
        if not w:
            continue
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True
    if not trie:
        raise ValueError("no words to compile")

    def build(node: dict) -> str:
        terminal = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if terminal:
            return ("(?:" + body + ")?") if len(branches) > 1 or len(body) > 1 else body + "?"
        return body

    return re.compile(build(trie))
