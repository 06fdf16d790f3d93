"""The learned topic layer, database side: corrections, retraining, reclassification (gold evaluation is
``worker.ops.evaluate``).

* :func:`record_correction` — a person sets (or confirms) an article's category.
* :func:`retrain_if_changed` — trains a new model when the confirmed labels changed since the saved
  one: TF-IDF over word tokens + character bigrams (``worker.enrich.classify.model_features``, sublinear tf,
  L2) and a multinomial logistic regression (its probabilities are the scores); cross-validated
  accuracy and per-category F1 are compared with the rules' on the same labels, and the model takes
  over a category only with ≥ :data:`MIN_LABELS` confirmed labels of it and a better F1 than the
  rules (``meta["owned"]``). Saved atomically as ``models_dir/topic_model.npz`` — arrays and JSON
  only, never pickle (a pickled model is code that runs on load).
* :func:`reclassify` — re-runs classification over stored articles (confirmed ones kept).

scikit-learn and numpy are imported only inside the functions that train.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from worker.core.models import Article, Correction, Issue
from worker.enrich import identity
from worker.enrich.article import article_doc
from worker.enrich.classify import (
    MODEL_FILE,
    classify_doc,
    classify_rules,
    get_taxonomy,
    invalidate_model_cache,
    load_model,
    model_features,
    save_model,
)

log = logging.getLogger(__name__)

MIN_LABELS = 20


def _doc_for(article: Article):
    return article_doc(article.kicker, article.title, article.subtitle, article.title_derived,
                       list(article.paragraphs or []), list(article.captions or []))


def article_text(article: Any) -> dict[str, Any]:
    """The text of an article (object or row dict) a correction keeps: kicker, title, subtitle,
    title_derived, paragraphs, captions."""
    get = article.get if isinstance(article, dict) else lambda name: getattr(article, name)
    return {"kicker": get("kicker"), "title": get("title"), "subtitle": get("subtitle"),
            "title_derived": bool(get("title_derived")), "paragraphs": list(get("paragraphs") or []),
            "captions": list(get("captions") or [])}


def correction_keys(text: dict[str, Any]) -> dict[str, str | None]:
    """The Correction columns derived from ``article_text(...)``: headline_key, lead_key,
    fingerprint (see ``worker.enrich.identity``). Also used by the issue-10 migration."""
    k, t, sub, paras = text.get("kicker"), text.get("title"), text.get("subtitle"), text.get("paragraphs")
    return {"headline_key": identity.headline_key(k, t, sub), "lead_key": identity.lead_key(paras),
            "fingerprint": identity.text_fingerprint(k, t, sub, paras)}


def apply_topic(row: dict[str, Any], category: str) -> None:
    """Give an article row (dict of Article columns) a person's topic: ``category``, confirmed, and
    no longer among its secondary topics."""
    row["category"] = category
    row["category_confirmed"] = True
    row["secondary_categories"] = [c for c in row.get("secondary_categories") or [] if c != category]


def plan_reattachment(corrections: list[Correction], new: list[identity.Keys],
                      seq_of: dict[int, int]) -> dict[int, int | None]:
    """Where each correction of a re-parsed issue goes: ``{correction id: index in new | None}``
    (None: no article matches, the correction stays unattached). ``new``: keys of the re-parsed
    articles; ``seq_of``: stored article id → seq of the re-parsed article that keeps that id (so a
    correction prefers the article it was on when two match equally). Rule: ``identity.find_article``."""
    return {c.id: identity.find_article(c.headline_key, c.lead_key, new, seq_of.get(c.article_id))
            for c in corrections}
def resolve_category(text: str) -> str:
    """The taxonomy key (config/taxonomy.yaml) that ``text`` names: a key (``culture``, any case) or
    a label (``职工文化``); surrounding spaces and full-width forms are ignored. Raises ValueError
    listing every ``key (label)`` pair when it names none."""
    import unicodedata

    tax = get_taxonomy()
    want = unicodedata.normalize("NFKC", text).strip()
    for key, label in tax.labels.items():
        if want.lower() == key.lower() or want == unicodedata.normalize("NFKC", label).strip():
            return key
    pairs = ", ".join(f"{key} ({label})" for key, label in tax.labels.items())
    raise ValueError(f"unknown category {text!r}; one of: {pairs}")


def record_correction(session: Session, article_id: int, category: str, who: str) -> Correction:
    """Record ``who`` setting article ``article_id``'s topic to ``category`` (a confirmation when it
    is the current one — also recorded, it is a label too). Sets ``article.category`` and
    ``category_confirmed=True``; adds (and flushes, does not commit) a :class:`Correction` row.

    ``category``: a key or label (:func:`resolve_category`). Raises ValueError for a category not in
    the taxonomy (listing ``key (label)`` pairs) or an empty ``who``, LookupError for an unknown
    article."""
    category = resolve_category(category)
    if not who or not who.strip():
        raise ValueError("who must name the person making the correction")
    article = session.get(Article, article_id)
    if article is None:
        raise LookupError(f"no article {article_id}")
    text = article_text(article)
    correction = Correction(article_id=article_id, old_category=article.category, new_category=category,
                            who=who.strip(), issue_id=article.issue_id, article_text=text,
                            **correction_keys(text))
    article.category = category
    article.category_confirmed = True
    article.secondary_categories = [c for c in article.secondary_categories or [] if c != category]
    session.add(correction)
    session.add(article)
    session.flush()
    return correction


@dataclass
class Label:
    """One training label: ``key`` (``article:ID`` or ``correction:ID``), topic, text."""

    key: str
    category: str
    article: Any  # an Article, or a dict from article_text()


def _labels(session: Session) -> list[Label]:
    """Confirmed articles, plus unattached corrections (their article vanished in a re-parse): the
    newest per text fingerprint, with the text it kept."""
    labels = [Label(f"article:{a.id}", a.category, a)
              for a in session.exec(select(Article).where(Article.category_confirmed == True)  # noqa: E712
                                    .order_by(Article.id))]
    newest: dict[str, Correction] = {}
    for c in session.exec(select(Correction).where(Correction.article_id.is_(None))  # type: ignore[union-attr]
                          .order_by(Correction.at, Correction.id)):
        if c.article_text:
            newest[c.fingerprint or f"id:{c.id}"] = c
    labels += [Label(f"correction:{c.id}", c.new_category, c.article_text)
               for c in sorted(newest.values(), key=lambda c: c.id)]
    return labels


def _label_doc(label: Label):
    if isinstance(label.article, dict):
        t = label.article
        return article_doc(t.get("kicker"), t.get("title"), t.get("subtitle"), bool(t.get("title_derived")),
                           list(t.get("paragraphs") or []), list(t.get("captions") or []))
    return _doc_for(label.article)


def _fingerprint(session: Session, labelled: list[Label]) -> str:
    last = session.exec(select(Correction.id).order_by(Correction.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    h = hashlib.sha256()
    h.update(f"corrections<= {last}\n".encode())
    for label in labelled:
        h.update(f"{label.key}:{label.category}\n".encode())
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
    y = [label.category for label in labelled]
    counts: dict[str, int] = {}
    for c in y:
        counts[c] = counts.get(c, 0) + 1
    if len(counts) < 2:
        return {"skipped": f"need at least two categories among the confirmed labels (have {counts})"}

    docs = [_label_doc(label) for label in labelled]
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
