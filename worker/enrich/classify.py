"""Topic classification: a rule layer (``config/taxonomy.yaml``) and an optional learned layer.

Rule layer — no scikit-learn, no numpy: taxonomy phrases are found in the article's tokens (the
phrases are words of the segmenter's dictionary; phrases inside a longer token are found by a
memoised trie-regex scan of that token, leftmost-longest); each hit adds its weight to its
categories, a headline hit × ``title_weight``, a first-paragraph hit × ``lead_weight`` (and so
a caption hit, when the body is shorter than ``short_body_chars``: photo news and short items are
told by their title and caption), repeated hits with diminishing returns (see the comment at the
top of the taxonomy file). Negative phrases subtract. The best category wins if it reaches
``min_score``; otherwise the article is ``other``.

Learned layer — a TF-IDF + logistic-regression model trained by ``worker.enrich.learning`` from people's
corrections and stored as a plain ``.npz`` (arrays only, loaded with ``allow_pickle=False``). It is
applied with numpy alone (no scikit-learn at prediction time). The model only decides for the
categories it has *taken over* (``meta["owned"]``: ≥ 20 confirmed labels and better
cross-validated F1 than the rules on the labelled articles); for the others the rules decide:

* the model's top category is owned → it is the primary category;
* otherwise the rules' choice stands, unless the rules chose an owned category the model rejects:
  then the rules' next category that is not owned (or ``other``).

Scores: owned categories carry the model's probability, the others the rules' share of the total
rule score (both 0…1). The model file is re-checked at most every :data:`MODEL_CHECK_SECONDS`
seconds (one ``os.stat``) so workers pick up a retrained model without a restart.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from worker.enrich.segment import Doc, load_yaml, trie_regex

OTHER = "other"
MODEL_FILE = "topic_model.npz"
MODEL_CHECK_SECONDS = 3.0
MODEL_SECONDARY_MIN = 0.3


@dataclass
class Classification:
    """Result of classifying one article: ``category`` key and its ``label``, ``scores`` (every
    category key → 0…1), ``secondary`` categories (keys, best first), ``source`` ("rules" or
    "model" — who chose the primary category) and the ``model_version`` used (None: rules only)."""

    category: str
    label: str
    scores: dict[str, float]
    secondary: list[str] = field(default_factory=list)
    source: str = "rules"
    model_version: int | None = None


class Taxonomy:
    """The compiled taxonomy: ordered ``keys`` and ``labels``, phrase → [(category, weight)],
    settings, and one trie regex over all phrases (positive and negative)."""

    def __init__(self, data: dict):
        cats = data.get("categories") or {}
        if not cats:
            raise ValueError("taxonomy has no categories")
        self.settings: dict[str, float] = {"title_weight": 3.0, "lead_weight": 1.5, "body_cap": 5,
                                           "min_score": 3.0, "secondary_ratio": 0.5, "secondary_min": 4.0,
                                           "short_body_chars": 200}
        self.settings.update(data.get("settings") or {})
        self.labels: dict[str, str] = {}
        self.phrases: dict[str, list[tuple[str, float]]] = {}
        for key, spec in cats.items():
            self.labels[key] = spec.get("label", key)
            for phrase, weight in (spec.get("phrases") or {}).items():
                self.phrases.setdefault(str(phrase), []).append((key, float(weight)))
            for phrase, weight in (spec.get("negative") or {}).items():
                self.phrases.setdefault(str(phrase), []).append((key, -float(weight)))
        self.labels.setdefault(OTHER, "其他")
        self.keys: list[str] = list(self.labels)
        if self.keys[-1] != OTHER:  # "other" is always the last section
            self.keys.remove(OTHER)
            self.keys.append(OTHER)
        self.order = {k: i for i, k in enumerate(self.keys)}
        self.pattern = trie_regex(self.phrases)
        self.memo: dict[str, tuple[str, ...]] = {}

    def label(self, key: str) -> str:
        """Human label of a category key (时政要闻 …); KeyError for an unknown key."""
        return self.labels[key]


@lru_cache(maxsize=1)
def get_taxonomy() -> Taxonomy:
    """The process-wide taxonomy, read from ``config/taxonomy.yaml`` on first use."""
    return Taxonomy(load_yaml("taxonomy.yaml"))


def _hits_in(tax: Taxonomy, token: str) -> tuple[str, ...]:
    """Taxonomy phrases inside one token (leftmost-longest), memoised per process: news
    vocabulary repeats, so after warm-up this is one dictionary lookup per distinct token."""
    memo = tax.memo
    hit = memo.get(token)
    if hit is None:
        if len(memo) > 200_000:
            memo.clear()
        hit = memo[token] = tuple(tax.pattern.findall(token)) if len(token) > 1 else ()
    return hit


def rule_raw_scores(doc: Doc, taxonomy: Taxonomy | None = None) -> dict[str, float]:
    """Raw rule scores (≥ 0) per category key (without ``other``) for ``doc``.

    Phrases are found token by token (the taxonomy's phrases are words of the segmenter's
    dictionary, see ``worker.enrich.segment._domain_words``), so a phrase hidden inside a longer token
    still counts (工匠 in 工匠之家) and the cost is one memo lookup per distinct token."""
    tax = taxonomy or get_taxonomy()
    st = tax.settings
    title_w, lead_w, cap = float(st["title_weight"]), float(st["lead_weight"]), float(st["body_cap"])
    words, starts = doc.words, doc.starts
    i_title = bisect_left(starts, doc.title_end)
    i_lead = bisect_left(starts, doc.lead_end)
    i_body = bisect_left(starts, doc.body_end)
    # Photo news and short items: the caption is the text, read like a first paragraph.
    short = doc.body_end - doc.title_end < float(st["short_body_chars"])
    caption_w = lead_w if short else 1.0
    raw = dict.fromkeys(tax.keys, 0.0)
    for part, factor, limit in ((words[:i_title], title_w, 2), (words[i_title:i_lead], lead_w, cap),
                                (words[i_lead:i_body], 1.0, cap), (words[i_body:], caption_w, cap)):
        hits: dict[str, int] = {}
        for tok, n in Counter(part).items():
            for p in _hits_in(tax, tok):
                hits[p] = hits.get(p, 0) + n
        for p, n in hits.items():
            damped = factor * (n if n <= 1 else 1 + 0.5 * (min(n, limit) - 1))
            for cat, w in tax.phrases[p]:
                raw[cat] += w * damped
    raw.pop(OTHER, None)
    return {k: max(v, 0.0) for k, v in raw.items()}


def classify_rules(doc: Doc) -> tuple[Classification, dict[str, float]]:
    """Rule-layer classification of ``doc``; also returns the raw scores."""
    tax = get_taxonomy()
    raw = rule_raw_scores(doc, tax)
    st = tax.settings
    total = sum(raw.values())
    ranked = sorted(raw.items(), key=lambda kv: (-kv[1], tax.order[kv[0]]))
    best, best_score = ranked[0] if ranked else (OTHER, 0.0)
    scores = {k: round(raw.get(k, 0.0) / total, 4) if total else 0.0 for k in tax.keys}
    if best_score < float(st["min_score"]):
        scores[OTHER] = 1.0 if not total else round(max(0.0, 1 - best_score / float(st["min_score"])), 4)
        primary = OTHER
    else:
        primary = best
    secondary = [k for k, v in ranked if k != primary and v >= float(st["secondary_min"])
                 and v >= float(st["secondary_ratio"]) * best_score]
    return Classification(primary, tax.label(primary), scores, secondary), raw


# --------------------------------------------------------------------------------------------------
# Learned layer (features shared with worker.enrich.learning; prediction with numpy only)


def model_features(doc: Doc) -> list[str]:
    """Features of ``doc`` for the learned model: word tokens ("w:" + word, punctuation, spaces
    and numbers dropped), headline words again ("t:" + word) and character bigrams of CJK text
    ("c:" + two characters)."""
    feats: list[str] = []
    title_end = doc.title_end
    for w, s in zip(doc.words, doc.starts, strict=True):
        ch = w[0]
        if ch.isspace() or ch.isdigit() or not (ch.isalpha() or "\u4e00" <= ch <= "\u9fff"):
            continue
        feats.append("w:" + w)
        if s < title_end:
            feats.append("t:" + w)
    text = doc.text
    prev = ""
    for ch in text:
        if "\u4e00" <= ch <= "\u9fff":
            if prev:
                feats.append("c:" + prev + ch)
            prev = ch
        else:
            prev = ""
    return feats


@dataclass
class TopicModel:
    """A loaded learned model (arrays from the ``.npz``) and its metadata."""

    version: int
    classes: list[str]
    index: dict[str, int]
    idf: Any  # numpy array (n_features,)
    coef: Any  # numpy array (n_classes or 1, n_features)
    intercept: Any  # numpy array
    meta: dict[str, Any]

    @property
    def owned(self) -> set[str]:
        return set(self.meta.get("owned") or [])

    def predict_proba(self, features: list[str]) -> dict[str, float]:
        """Class probabilities for a feature list (same TF-IDF as training: sublinear tf × idf,
        L2-normalised; multinomial softmax, or a sigmoid for a two-class model)."""
        import numpy as np

        counts: dict[int, int] = {}
        idx = self.index
        for f in features:
            j = idx.get(f)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return {c: 1.0 / len(self.classes) for c in self.classes}
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        vals = tf * self.idf[cols]
        norm = float(np.sqrt((vals * vals).sum())) or 1.0
        logits = self.coef[:, cols] @ (vals / norm) + self.intercept
        if len(self.classes) == 2 and logits.shape[0] == 1:
            p1 = 1.0 / (1.0 + math.exp(-float(logits[0])))
            return {self.classes[0]: 1.0 - p1, self.classes[1]: p1}
        logits = logits - logits.max()
        e = np.exp(logits)
        p = e / e.sum()
        return {c: float(p[i]) for i, c in enumerate(self.classes)}


def save_model(path: Path, vocab: list[str], idf, coef, intercept, classes: list[str], meta: dict) -> None:
    """Write a model atomically: a temp file in the same folder, fsync, then ``os.replace``.
    Arrays only (vocabulary as a unicode array, metadata as a JSON string): no pickle."""
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, vocab=np.array(vocab, dtype=np.str_), idf=np.asarray(idf, dtype=np.float64),
                                coef=np.asarray(coef, dtype=np.float64),
                                intercept=np.asarray(intercept, dtype=np.float64),
                                classes=np.array(classes, dtype=np.str_),
                                meta=np.array(json.dumps(meta, ensure_ascii=False)))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def load_model(path: Path) -> TopicModel:
    """Read a model written by :func:`save_model` (``allow_pickle=False``). Raises OSError /
    ValueError / KeyError on a missing or malformed file."""
    import numpy as np

    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        vocab = [str(v) for v in z["vocab"]]
        return TopicModel(version=int(meta.get("version", 0)), classes=[str(c) for c in z["classes"]],
                          index={v: i for i, v in enumerate(vocab)}, idf=z["idf"], coef=z["coef"],
                          intercept=z["intercept"], meta=meta)


class _ModelCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.path: Path | None = None
        self.stamp: tuple[int, int] | None = None
        self.checked = 0.0
        self.model: TopicModel | None = None


_CACHE = _ModelCache()


_DEFAULT_MODEL_PATH: tuple[Any, Path] | None = None


def _model_path(models_dir: Path | None) -> Path:
    """The model file path; for the default it is recomputed only when the (cached) settings
    object changes, so this costs one dictionary lookup per article."""
    global _DEFAULT_MODEL_PATH
    if models_dir is not None:
        return Path(models_dir) / MODEL_FILE
    from worker.core.settings import get_settings

    settings = get_settings()
    if _DEFAULT_MODEL_PATH is None or _DEFAULT_MODEL_PATH[0] is not settings:
        _DEFAULT_MODEL_PATH = (settings, Path(settings.models_dir) / MODEL_FILE)
    return _DEFAULT_MODEL_PATH[1]


def get_model(models_dir: Path | None = None, max_age: float | None = None) -> TopicModel | None:
    """The current learned model, or None when there is none (or it cannot be read).

    Cached per process; the file's (mtime, size) is re-checked with one ``os.stat`` when the last
    check is older than ``max_age`` seconds (default :data:`MODEL_CHECK_SECONDS`), and the model is
    re-read when it changed — so a retrained model is used without restarting the worker."""
    path = _model_path(models_dir)
    age = MODEL_CHECK_SECONDS if max_age is None else max_age
    now = time.monotonic()
    c = _CACHE
    if c.path == path and now - c.checked < age:
        return c.model
    with c.lock:
        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp is None:
            c.model = None
        elif c.path != path or stamp != c.stamp or c.model is None:
            try:
                c.model = load_model(path)
            except (OSError, ValueError, KeyError):
                c.model = None
        c.path, c.stamp, c.checked = path, stamp, now
        return c.model


def invalidate_model_cache() -> None:
    """Make the next :func:`get_model` call re-check the model file (used after saving a model in
    this process; other processes notice within :data:`MODEL_CHECK_SECONDS`)."""
    _CACHE.checked = float("-inf")  # not 0.0: time.monotonic() may itself be below the interval
    _CACHE.stamp = None


def classify_doc(doc: Doc, models_dir: Path | None = None, use_model: bool = True) -> Classification:
    """Classify ``doc``: the rules, combined with the learned model for the categories it owns
    (rules in the module docstring). ``use_model=False`` gives the rules alone."""
    rules, raw = classify_rules(doc)
    if not use_model:
        return rules
    model = get_model(models_dir)
    if model is None or not model.owned:
        return rules
    tax = get_taxonomy()
    owned = model.owned & set(tax.keys)
    proba = model.predict_proba(model_features(doc))
    m_best = max(proba, key=proba.get)
    scores = dict(rules.scores)
    for c in owned:
        scores[c] = round(proba.get(c, 0.0), 4)
    source = "rules"
    if m_best in owned:
        primary, source = m_best, "model"
    elif rules.category in owned:
        ranked = sorted(raw.items(), key=lambda kv: (-kv[1], tax.keys.index(kv[0])))
        primary = next((k for k, v in ranked if k not in owned and v >= float(tax.settings["min_score"])),
                       OTHER)
        source = "model"
    else:
        primary = rules.category
    secondary = [c for c in sorted(owned, key=lambda c: -proba.get(c, 0.0))
                 if c != primary and proba.get(c, 0.0) >= MODEL_SECONDARY_MIN]
    secondary += [c for c in rules.secondary if c not in owned and c != primary and c not in secondary]
    return Classification(primary, tax.label(primary), scores, secondary, source, model.version)
