"""The learned topic layer, database side: corrections, retraining, reclassification, gold evaluation.

* :func:`record_correction` — a person sets (or confirms) an article's category.
* :func:`retrain_if_changed` — trains a new model when the confirmed labels changed since the saved
  one: TF-IDF over word tokens + character bigrams (``worker.classify.model_features``, sublinear tf,
  L2) and a multinomial logistic regression (its probabilities are the scores); cross-validated
  accuracy and per-category F1 are compared with the rules' on the same labels, and the model takes
  over a category only with ≥ :data:`MIN_LABELS` confirmed labels of it and a better F1 than the
  rules (``meta["owned"]``). Saved atomically as ``models_dir/topic_model.npz`` — arrays and JSON
  only, never pickle (a pickled model is code that runs on load).
* :func:`reclassify` — re-runs classification over stored articles (confirmed ones kept).
* :func:`evaluate_on_gold` — per-category precision/recall on the hand-made gold files.

scikit-learn and numpy are imported only inside the functions that train.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from worker.classify import (
    MODEL_FILE,
    classify_doc,
    classify_rules,
    get_taxonomy,
    invalidate_model_cache,
    load_model,
    model_features,
    save_model,
)
from worker.enrich import article_doc
from worker.models import Article, Correction, Issue

log = logging.getLogger(__name__)

MIN_LABELS = 20


def _doc_for(article: Article):
    return article_doc(article.kicker, article.title, article.subtitle, article.title_derived,
                       list(article.paragraphs or []), list(article.captions or []))


def record_correction(session: Session, article_id: int, category: str, who: str) -> Correction:
    """Record ``who`` setting article ``article_id``'s topic to ``category`` (a confirmation when it
    is the current one — also recorded, it is a label too). Sets ``article.category`` and
    ``category_confirmed=True``; adds (and flushes, does not commit) a :class:`Correction` row.

    Raises ValueError for a category not in the taxonomy or an empty ``who``, LookupError for an
    unknown article."""
    tax = get_taxonomy()
    if category not in tax.keys:
        raise ValueError(f"unknown category {category!r}; one of: {', '.join(tax.keys)}")
    if not who or not who.strip():
        raise ValueError("who must name the person making the correction")
    article = session.get(Article, article_id)
    if article is None:
        raise LookupError(f"no article {article_id}")
    correction = Correction(article_id=article_id, old_category=article.category, new_category=category,
                            who=who.strip())
    article.category = category
    article.category_confirmed = True
    article.secondary_categories = [c for c in article.secondary_categories or [] if c != category]
    session.add(correction)
    session.add(article)
    session.flush()
    return correction


def _labels(session: Session) -> list[Article]:
    return list(session.exec(select(Article).where(Article.category_confirmed == True)  # noqa: E712
                             .order_by(Article.id)))


def _fingerprint(session: Session, labelled: list[Article]) -> str:
    last = session.exec(select(Correction.id).order_by(Correction.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    h = hashlib.sha256()
    h.update(f"corrections<= {last}\n".encode())
    for a in labelled:
        h.update(f"{a.id}:{a.category}\n".encode())
    return h.hexdigest()


def current_model_meta(models_dir: Path) -> dict[str, Any] | None:
    """Metadata of the saved model in ``models_dir`` (version, label counts, accuracies, owned
    categories …), or None when there is none or it cannot be read."""
    path = Path(models_dir) / MODEL_FILE
    if not path.exists():
        return None
    try:
        return load_model(path).meta
    except (OSError, ValueError, KeyError):
        return None


def retrain_if_changed(session: Session, models_dir: Path) -> dict:
    """Train and save a new model if the confirmed labels changed since the saved one.

    Returns ``{"skipped": reason}`` when nothing changed or there is too little to learn from
    (no corrections, fewer than two categories); else the new model's metadata: ``version``,
    ``trained_at``, ``labels`` (count), ``label_counts``, ``cv_accuracy``, ``rules_accuracy``,
    ``cv_f1`` / ``rules_f1`` per category, ``owned`` (categories the model now decides), ``path``.
    The file is replaced atomically, so a worker reading it never sees half a model."""
    models_dir = Path(models_dir)
    labelled = _labels(session)
    if not labelled:
        return {"skipped": "no confirmed labels yet"}
    fingerprint = _fingerprint(session, labelled)
    meta = current_model_meta(models_dir)
    if meta and meta.get("fingerprint") == fingerprint:
        return {"skipped": f"labels unchanged since model version {meta.get('version')}"}
    y = [a.category for a in labelled]
    counts: dict[str, int] = {}
    for c in y:
        counts[c] = counts.get(c, 0) + 1
    if len(counts) < 2:
        return {"skipped": f"need at least two categories among the confirmed labels (have {counts})"}

    docs = [_doc_for(a) for a in labelled]
    feats = [model_features(d) for d in docs]
    rules_pred = [classify_rules(d)[0].category for d in docs]
    result = _train(feats, y, rules_pred)
    version = int(meta.get("version", 0)) + 1 if meta else 1
    new_meta = {
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "fingerprint": fingerprint,
        "labels": len(y),
        "label_counts": dict(sorted(counts.items())),
        "min_labels": MIN_LABELS,
        **result["meta"],
    }
    path = models_dir / MODEL_FILE
    save_model(path, result["vocab"], result["idf"], result["coef"], result["intercept"], result["classes"],
               new_meta)
    invalidate_model_cache()
    log.info("topic model v%s trained on %s labels (cv %.3f vs rules %.3f); owns %s", version, len(y),
             new_meta["cv_accuracy"] or 0, new_meta["rules_accuracy"], new_meta["owned"])
    return {**new_meta, "path": str(path)}


def _train(feats: list[list[str]], y: list[str], rules_pred: list[str]) -> dict:
    """Fit TF-IDF + logistic regression; cross-validate; decide which categories the model owns."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    def vectorizer():
        return TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2", lowercase=False)

    def classifier():
        return LogisticRegression(C=10.0, max_iter=2000)

    classes = sorted(set(y))
    counts = {c: y.count(c) for c in classes}
    cv_pred: list[str] | None = None
    folds = min(5, max(counts.values()), len(y) // 2)
    if len(y) >= 6 and folds >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tiny classes: "least populated class has only 1 member"
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
            cv_pred = list(cross_val_predict(make_pipeline(vectorizer(), classifier()), feats, y, cv=cv))
    rules_acc = sum(p == t for p, t in zip(rules_pred, y, strict=True)) / len(y)
    cv_acc = sum(p == t for p, t in zip(cv_pred, y, strict=True)) / len(y) if cv_pred else None
    cv_f1: dict[str, float] = {}
    rules_f1: dict[str, float] = {}
    owned: list[str] = []
    for c in classes:
        rules_f1[c] = round(float(f1_score(y, rules_pred, labels=[c], average="macro", zero_division=0)), 4)
        if cv_pred is not None:
            cv_f1[c] = round(float(f1_score(y, cv_pred, labels=[c], average="macro", zero_division=0)), 4)
            if counts[c] >= MIN_LABELS and cv_f1[c] > rules_f1[c]:
                owned.append(c)
    vec = vectorizer()
    x = vec.fit_transform(feats)
    clf = classifier().fit(x, y)
    vocab = [""] * len(vec.vocabulary_)
    for term, i in vec.vocabulary_.items():
        vocab[i] = term
    return {
        "vocab": vocab, "idf": vec.idf_, "coef": clf.coef_, "intercept": clf.intercept_,
        "classes": [str(c) for c in clf.classes_],
        "meta": {"cv_accuracy": round(cv_acc, 4) if cv_acc is not None else None,
                 "rules_accuracy": round(rules_acc, 4), "cv_folds": folds if cv_pred else 0,
                 "cv_f1": cv_f1, "rules_f1": rules_f1, "owned": owned,
                 "features": int(np.asarray(x.shape)[1])},
    }


def _identity(features: list[str]) -> list[str]:
    return features


def reclassify(session: Session, since: date | None = None) -> int:
    """Re-run classification (rules + current model) over stored articles of issues dated on/after
    ``since`` (all articles when None; articles of undated issues only then), skipping articles whose
    category a person confirmed. Updates category, scores and secondary categories (not committed:
    the caller's session commits). Returns the number of articles re-classified."""
    query = select(Article).where(Article.category_confirmed == False)  # noqa: E712
    if since is not None:
        query = query.join(Issue, Issue.id == Article.issue_id).where(Issue.issue_date >= since)
    n = changed = 0
    for article in session.exec(query.order_by(Article.id)):
        cls = classify_doc(_doc_for(article))
        if article.category != cls.category:
            changed += 1
        article.category = cls.category
        article.category_scores = cls.scores
        article.secondary_categories = cls.secondary
        session.add(article)
        n += 1
    session.flush()
    log.info("reclassified %s articles (%s changed category)", n, changed)
    return n


# --------------------------------------------------------------------------------------------------
# Gold evaluation


@dataclass
class CategoryStats:
    """Counts for one category: ``tp`` (predicted and accepted), ``fp`` (predicted, not accepted),
    ``fn`` (the reference category, not predicted or article not found)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class GoldReport:
    """Result of :func:`evaluate_on_gold`: per-category stats, overall accuracy over reference
    articles, place and figure recall (as the scorer counts them) and per-file notes."""

    categories: dict[str, CategoryStats] = field(default_factory=dict)
    articles: int = 0
    found: int = 0
    correct: int = 0
    places: tuple[int, int] = (0, 0)
    figures: tuple[int, int] = (0, 0)
    notes: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.articles if self.articles else 0.0

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"articles": self.articles, "found": self.found, "correct": self.correct,
                "accuracy": round(self.accuracy, 4),
                "categories": {k: {"tp": v.tp, "fp": v.fp, "fn": v.fn, "precision": v.precision,
                                   "recall": v.recall} for k, v in self.categories.items()},
                "places": {"ok": self.places[0], "total": self.places[1]},
                "figures": {"ok": self.figures[0], "total": self.figures[1]},
                "notes": self.notes, "mistakes": self.mistakes}

    def __str__(self) -> str:
        def pct(x: float | None) -> str:
            return "   -  " if x is None else f"{x:6.3f}"

        lines = [f"{'category':22s} {'prec':>6s} {'recall':>6s}   tp  fp  fn"]
        for k, v in self.categories.items():
            lines.append(f"{k:22s} {pct(v.precision)} {pct(v.recall)} {v.tp:4d}{v.fp:4d}{v.fn:4d}")
        lines.append(f"category accuracy {self.correct}/{self.articles} = {self.accuracy:.3f} "
                     f"({self.found} of {self.articles} reference articles found)")
        lines.append(f"places  {self.places[0]}/{self.places[1]}   figures {self.figures[0]}/{self.figures[1]}")
        lines += [f"  ✗ {m}" for m in self.mistakes]
        lines += [f"  ! {n}" for n in self.notes]
        return "\n".join(lines)

    def __rich__(self) -> str:
        return str(self)


_QUALIFIER = re.compile(r"^(累计|共计|合计|总计|超过|超|近|约|逾|共|达|计)+")


def _norm(s: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(s or "")))


def evaluate_on_gold(gold_dir: Path, samples_dir: Path) -> GoldReport:
    """Decode, parse and enrich every ``samples_dir/<file>`` named by a ``gold_dir/*.json`` reference
    and compare: per-category precision and recall of the primary category (a prediction listed in
    the reference's ``also_ok`` counts as correct), plus place and figure recall with the scorer's
    matching rules. Reference articles are paired with parsed ones by body start, then headline
    (as ``score_parse.py`` does). A sample that cannot be read or parsed is noted and its reference
    articles count as not found. Raises FileNotFoundError when ``gold_dir`` has no ``*.json``."""
    from worker.pipeline import analyse

    gold_files = sorted(Path(gold_dir).glob("*.json"))
    if not gold_files:
        raise FileNotFoundError(f"no gold files in {gold_dir}")
    tax = get_taxonomy()
    report = GoldReport(categories={k: CategoryStats() for k in tax.keys})
    places_ok = places_n = figs_ok = figs_n = 0
    for gf in gold_files:
        gold = json.loads(gf.read_text(encoding="utf-8"))
        sample = Path(samples_dir) / gold.get("file", gf.with_suffix(".txt").name)
        got: list[tuple[Any, Any]] = []
        try:
            result = analyse(sample.read_bytes(), sample.name)
            got = list(zip(result["parsed"].articles, result["enrichments"], strict=True))
        except Exception as exc:  # noqa: BLE001 - a broken sample must not hide the other files' results
            report.notes.append(f"{sample.name}: {type(exc).__name__}: {exc}")
        used: set[int] = set()
        for g in gold["articles"]:
            report.articles += 1
            hit = _match(g, got, used)
            accepted = [g["category"], *g.get("also_ok", [])]
            gold_cat = g["category"]
            report.categories.setdefault(gold_cat, CategoryStats())
            places_n += len(g.get("places", []))
            figs_n += len(g.get("figures", []))
            if hit is None:
                report.categories[gold_cat].fn += 1
                report.mistakes.append(f"{sample.name}: not found: {g.get('headline_text') or g['body_starts']}")
                continue
            used.add(hit)
            report.found += 1
            art, enr = got[hit]
            pred = enr.category
            report.categories.setdefault(pred, CategoryStats())
            if pred in accepted:
                report.correct += 1
                report.categories[pred].tp += 1
            else:
                report.categories[pred].fp += 1
                report.categories[gold_cat].fn += 1
                report.mistakes.append(f"{sample.name}: {art.title or g['body_starts']}: {pred} (expected "
                                       f"{' / '.join(accepted)})")
            got_places = [_norm(p) for p in enr.places]
            for p in g.get("places", []):
                gp = _norm(p)
                places_ok += any(x == gp or (len(x) == len(gp) + 1 and x.startswith(gp) and x[-1] in "市县区省")
                                 for x in got_places)
            got_figs = [_QUALIFIER.sub("", _norm(f.text)) for f in enr.figures]
            for f in g.get("figures", []):
                figs_ok += _QUALIFIER.sub("", _norm(f)) in got_figs
    report.places = (places_ok, places_n)
    report.figures = (figs_ok, figs_n)
    return report


def _match(g: dict, got: list[tuple[Any, Any]], used: set[int]) -> int | None:
    start = _norm(g["body_starts"])
    for i, (art, _) in enumerate(got):
        if i not in used and art.paragraphs and _norm(art.paragraphs[0]).startswith(start):
            return i
    if g.get("headline_text"):
        want = re.sub(r"[—―–-]", "", _norm(g["headline_text"]))
        for i, (art, _) in enumerate(got):
            head = re.sub(r"[—―–-]", "", _norm("".join(x or "" for x in (art.kicker, art.title, art.subtitle))))
            if i not in used and head == want:
                return i
    return None
