"""Keywords (TextRank over the shared tokens) and an extractive summary (lead bias + TextRank).

Keywords: candidate words are nouns, proper nouns, verbal nouns, idioms and abbreviations of two or
more characters (POS n nz nt vn l j eng), minus the domain stop words in ``config/stopwords.txt``,
byline/people names, place names and anything with a digit. A word graph links candidates that occur
within :data:`WINDOW` candidates of each other; PageRank (d = 0.85, :data:`ITERATIONS` rounds, as in
jieba's TextRank) ranks them, and words of the headline get ×1.5. Below
:data:`SHORT_TEXT_CANDIDATES` candidates (a 简讯 item) frequency, headline and position rank them.

Summary: 1–3 whole body sentences, at most :data:`SUMMARY_MAX` (120) characters, in article order.
Sentences are scored 0.5 × lead bias (1, ½, ⅓ … by position; a quotation opening the article gets
half) + 0.5 × TextRank centrality over word overlap (similarity of Mihalcea & Tarau 2004). A
byline or dateline is stripped from the first sentence and byline-only sentences are skipped.
Sentences longer than 120 characters are passed over; only when every sentence is, the best one is
cut at the last clause boundary (，；) and ends with …… followed by the closing marks of any quotation
or bracket it leaves open (“…很大，……”), so a summary never leaves a quote open.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_left

from worker.enrich.segment import Doc, config_dir

WINDOW = 5
ITERATIONS = 10
DAMPING = 0.85
SUMMARY_MAX = 120
SHORT_TEXT_CANDIDATES = 20
KEYWORD_TAGS = frozenset(("n", "nz", "nt", "vn", "l", "j", "eng", "nrt", "an"))
_BYLINE_RE = re.compile(
    r"^\s*(?:本报讯|本报[^\s，。]{0,8}讯|[（(]?\s*(?:据)?(?:新华社|中新社|工人日报)[^\s，。]{0,12}?\d{1,2}月\d{1,2}日电[)）]?)?"
    r"\s*[（(]?(?:(?:(?:见习|特约|首席)?记者|通讯员|实习生|摄影)\s*[^\s，。（）()]{2,12}?(?=\s|报道|摄|[）)]|$)\s*)+"
    r"(?:报道|摄)?[）)]?\s*")  # a name ends at a space, 报道, 摄 or ）: 记者从省总工会获悉 is no byline
_DATELINE_ONLY_RE = re.compile(
    r"^\s*(?:本报讯|[（(]?\s*(?:据)?(?:新华社|中新社)[^\s，。]{0,12}?\d{1,2}月\d{1,2}日电[)）]?)\s*")
#: A photo caption or credit left in the body: 图为…, "赵六 摄", "陈七/文 周八/摄", "（记者 X 摄）".
_CREDIT_RE = re.compile(r"^[（(]?图为|^[（(]?(?:\S{2,4}\s*/\s*文\s*)?\S{2,8}\s*(?:/\s*)?摄[）)]?$|/\s*摄[）)]?$")
_BYLINE_SENTENCE_RE = re.compile(r"^[（(]\s*(?:(?:见习|特约)?记者|通讯员|实习生|摄影)[^）)]*[）)]$")

_DIGIT_RE = re.compile(r"\d")
_LOCK = threading.Lock()
_STOPWORDS: frozenset[str] | None = None


def get_stopwords() -> frozenset[str]:
    """Domain stop words from ``config/stopwords.txt`` (whitespace-separated, ``#`` comments),
    read once per process."""
    global _STOPWORDS
    if _STOPWORDS is None:
        with _LOCK:
            if _STOPWORDS is None:
                words: set[str] = set()
                with open(config_dir() / "stopwords.txt", encoding="utf-8") as fh:
                    for line in fh:
                        words.update(line.split("#", 1)[0].split())
                _STOPWORDS = frozenset(words)
    return _STOPWORDS


def extract_keywords(doc: Doc, exclude: set[str] | frozenset[str] = frozenset(), k: int = 8) -> list[str]:
    """Up to ``k`` keywords of ``doc``, best first (see module docstring). ``exclude``: words never
    to return (people, places, byline names)."""
    stop = get_stopwords()
    seq: list[str] = []
    in_title: set[str] = set()
    title_end = doc.title_end
    for w, t, s in zip(doc.words, doc.tags, doc.starts, strict=True):
        if t not in KEYWORD_TAGS or len(w) < 2 or w in stop or w in exclude:
            continue
        if t == "eng" and _DIGIT_RE.search(w):
            continue
        seq.append(w)
        if s < title_end:
            in_title.add(w)
    if not seq:
        return []
    if len(seq) < SHORT_TEXT_CANDIDATES:
        # a 简讯 item: too few words for a meaningful graph — rank by frequency, headline, position
        first: dict[str, int] = {}
        freq: dict[str, float] = {}
        for i, w in enumerate(seq):
            first.setdefault(w, i)
            freq[w] = freq.get(w, 0.0) + 1.0
        return sorted(freq, key=lambda w: (-(freq[w] * (1.5 if w in in_title else 1.0)), first[w]))[:k]
    import numpy as np  # small dense graph: numpy keeps this at ~0.1 ms per article

    ids: dict[str, int] = {}
    seq_ids = np.fromiter((ids.setdefault(w, len(ids)) for w in seq), dtype=np.int64, count=len(seq))
    n = len(ids)
    pairs = [seq_ids[:-off] * n + seq_ids[off:] for off in range(1, min(WINDOW, len(seq_ids)))]
    if pairs:
        flat = np.concatenate(pairs)
        mat = np.bincount(flat, minlength=n * n).reshape(n, n).astype(np.float64)
        mat += mat.T
        np.fill_diagonal(mat, 0.0)
    else:
        mat = np.zeros((n, n))
    score = _pagerank_matrix(mat)
    words = list(ids)
    for w in in_title:
        score[ids[w]] *= 1.5
    order = sorted(range(n), key=lambda i: (-score[i], i))
    return [words[i] for i in order[:k]]


def _pagerank_matrix(mat):
    """Weighted PageRank (jieba's TextRank update, d = 0.85) over a symmetric weight matrix;
    returns a list of scores."""
    import numpy as np

    out = mat.sum(axis=0)
    out[out == 0] = 1.0
    trans = mat / out  # column-normalised
    score = np.ones(mat.shape[0])
    for _ in range(ITERATIONS):
        score = (1 - DAMPING) + DAMPING * (trans @ score)
    return score.tolist()


def summarize(doc: Doc, max_chars: int = SUMMARY_MAX) -> str:
    """An extractive summary of ``doc``'s body: 1–3 whole sentences, ≤ ``max_chars`` characters
    (see module docstring). Returns "" for an article without body text."""
    text = doc.text
    sents: list[str] = []
    token_sets: list[set[str]] = []
    spans = [(s, e) for s, e in doc.sentences if s < doc.body_end]
    if not spans:
        return ""
    stop = get_stopwords()
    words, starts = doc.words, doc.starts
    for n, (s, e) in enumerate(spans[:15]):
        sent = text[s:e].strip()
        if n == 0 and s < doc.lead_end:
            sent = _BYLINE_RE.sub("", sent, count=1) if _BYLINE_RE.match(sent) else _DATELINE_ONLY_RE.sub("", sent)
        if not sent or _BYLINE_SENTENCE_RE.match(sent) or _CREDIT_RE.search(sent):
            continue
        toks = {w for w in words[bisect_left(starts, s): bisect_left(starts, e)] if len(w) >= 2} - stop
        sents.append(sent)
        token_sets.append(toks)
    if not sents:
        return ""
    if len(spans) <= 3 and sum(map(len, sents)) <= max_chars:
        return "".join(sents)  # the whole body (bylines, captions and credits left out) is the summary
    n = len(sents)
    centrality = [1.0] * n
    if n > 2:
        import numpy as np

        mat = np.zeros((n, n))
        for i in range(n):
            a = token_sets[i]
            if len(a) < 2:
                continue
            for j in range(i + 1, n):
                sim = _similarity(a, token_sets[j])
                if sim:
                    mat[i, j] = mat[j, i] = sim
        pr = _pagerank_matrix(mat)
        top = max(pr) or 1.0
        centrality = [x / top for x in pr]
    scored = []
    for i, sent in enumerate(sents):
        lead = 1.0 / (i + 1)
        if sent.startswith(("“", "\"", "「")):
            lead *= 0.5
        scored.append((0.5 * lead + 0.5 * centrality[i], i))
    scored.sort(reverse=True)
    fitting = [i for _, i in scored if len(sents[i]) <= max_chars]
    if not fitting:  # every sentence is too long: cut the best one
        return _cut(sents[scored[0][1]], max_chars)
    best = fitting[0]
    chosen = [best]
    total = len(sents[best])
    for _, i in scored:
        if i == best:
            continue
        if len(chosen) == 3:
            break
        if total + len(sents[i]) <= max_chars:
            chosen.append(i)
            total += len(sents[i])
    return "".join(sents[i] for i in sorted(chosen))


def _similarity(a: set[str], b: set[str]) -> float:
    """Sentence similarity of TextRank (Mihalcea & Tarau 2004): shared words / (log|a| + log|b|)."""
    if len(a) < 2 or len(b) < 2:
        return 0.0
    common = len(a & b)
    return common / (math.log(len(a)) + math.log(len(b))) if common else 0.0


#: Opening → closing quotation marks and brackets (shared with worker.briefing.build's text cutting).
QUOTE_PAIRS = {"“": "”", "‘": "’", "《": "》", "（": "）", "(": ")", "「": "」", "『": "』", "【": "】",
               "〈": "〉"}
_CLOSING = frozenset(QUOTE_PAIRS.values())


def closing_marks(text: str) -> str:
    """The closing marks for the quotation marks and brackets ``text`` leaves open, innermost first
    ("" when balanced): closing_marks("他说：“《工人日报》报道（节选") == "）”"."""
    stack: list[str] = []
    for ch in text:
        if ch in QUOTE_PAIRS:
            stack.append(QUOTE_PAIRS[ch])
        elif ch in _CLOSING and stack and stack[-1] == ch:
            stack.pop()
    return "".join(reversed(stack))


def _cut(sentence: str, max_chars: int) -> str:
    """Cut ``sentence`` at the last ，/；/, that leaves room for …… and the closing marks of any
    quotation or bracket the cut leaves open (“…很大，……”), within ``max_chars`` characters."""
    limit = max_chars - 2
    while limit > 0:
        head = sentence[:limit]
        cut = max(head.rfind("，"), head.rfind("；"), head.rfind(","), head.rfind(";"))
        if cut <= 0:
            cut = limit
        closers = closing_marks(sentence[:cut])
        if cut + 2 + len(closers) <= max_chars:
            return sentence[:cut] + "……" + closers
        limit = cut - 1
    return sentence[: max_chars - 2] + "……"
