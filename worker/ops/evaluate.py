"""Evaluate the whole pipeline on the hand-made gold files: per-topic precision and recall, place
and figure recall (``briefing evaluate``), for every gold folder in the repository
(:func:`evaluate_all`). It lives in ops because it runs the pipeline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from worker.enrich.classify import get_taxonomy


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

    @classmethod
    def merge(cls, reports: list[GoldReport]) -> GoldReport:
        """One report adding up ``reports`` (counts, per-category stats, notes and mistakes)."""
        out = cls()
        for r in reports:
            for k, v in r.categories.items():
                c = out.categories.setdefault(k, CategoryStats())
                c.tp, c.fp, c.fn = c.tp + v.tp, c.fp + v.fp, c.fn + v.fn
            out.articles += r.articles
            out.found += r.found
            out.correct += r.correct
            out.places = (out.places[0] + r.places[0], out.places[1] + r.places[1])
            out.figures = (out.figures[0] + r.figures[0], out.figures[1] + r.figures[1])
            out.notes += r.notes
            out.mistakes += r.mistakes
        return out


def find_gold_dirs(root: Path) -> list[Path]:
    """Every folder named ``gold`` under ``root`` (e.g. tests/data/gold, tests/data/regression/gold,
    tests/data/heldout/gold) that holds reference parses (``*.json`` with an ``articles`` list),
    sorted by path."""
    return sorted(p for p in Path(root).rglob("gold") if p.is_dir() and any(map(_is_reference, p.glob("*.json"))))


def _is_reference(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("articles"), list)


def _sample_for(gold_file: Path, gold: dict, samples_dirs: list[Path]) -> Path:
    """The issue file a reference describes (its ``file`` field, else ``<stem>.txt``), looked up in
    ``samples_dirs``, then beside the gold folder (``<set>/gold/x.json`` → ``<set>/x.txt``); the
    first candidate when it is nowhere (reading it then fails and is noted)."""
    name = gold.get("file") or gold_file.with_suffix(".txt").name
    dirs = [*samples_dirs, gold_file.parent, gold_file.parent.parent]
    return next((d / name for d in dirs if (d / name).is_file()), dirs[0] / name)


def evaluate_all(root: Path, samples_dir: Path | None = None) -> list[tuple[str, GoldReport]]:
    """:func:`evaluate_on_gold` for every gold folder under ``root`` (:func:`find_gold_dirs`),
    each named by its path relative to ``root``, then ``("all", merged report)``. Raises
    FileNotFoundError when there is none."""
    dirs = find_gold_dirs(root)
    if not dirs:
        raise FileNotFoundError(f"no gold folders under {root}")
    out = [(str(d.relative_to(root)), evaluate_on_gold(d, samples_dir)) for d in dirs]
    return [*out, ("all", GoldReport.merge([r for _, r in out]))]


def evaluate_on_gold(gold_dir: Path, samples_dir: Path | None = None) -> GoldReport:
    """Decode, parse and enrich every issue file named by a ``gold_dir/*.json`` reference (found in
    ``samples_dir``, else beside the gold folder) and compare with the project's scorer
    (worker/ops/score.py), pairing reference and parsed articles as the scorer does (body start,
    then headline): per-category precision and recall of the primary category (a prediction in the
    reference's ``also_ok`` counts as correct); place and figure recall as the scorer counts them.
    A sample that cannot be read or parsed is noted and its reference articles count as not found.
    Raises FileNotFoundError when ``gold_dir`` has no reference ``*.json``."""
    from worker.ops import score
    from worker.ops.cli import parse_to_contract

    gold_files = [p for p in sorted(Path(gold_dir).glob("*.json")) if _is_reference(p)]
    if not gold_files:
        raise FileNotFoundError(f"no gold files in {gold_dir}")
    tax = get_taxonomy()
    report = GoldReport(categories={k: CategoryStats() for k in tax.keys})
    places_ok = places_n = figs_ok = figs_n = 0
    for gf in gold_files:
        gold = json.loads(gf.read_text(encoding="utf-8"))
        sample = _sample_for(gf, gold, [Path(samples_dir)] if samples_dir else [])
        got: dict[str, Any] = {"articles": []}
        try:
            got = parse_to_contract(sample)
        except Exception as exc:  # noqa: BLE001 - a broken sample must not hide the other files' results
            report.notes.append(f"{sample.name}: {type(exc).__name__}: {exc}")
        checks, _ = score.score(gold, got)
        places_ok, places_n = places_ok + checks.get("places", [0, 0])[0], places_n + checks.get("places", [0, 0])[1]
        figs_ok, figs_n = figs_ok + checks.get("figures", [0, 0])[0], figs_n + checks.get("figures", [0, 0])[1]
        pairs, _ = score.match(gold["articles"], got["articles"])
        for g, art in pairs:
            _count_category(report, sample.name, g, art)
    report.places = (places_ok, places_n)
    report.figures = (figs_ok, figs_n)
    return report


def _count_category(report: GoldReport, name: str, g: dict, art: dict | None) -> None:
    """Add one reference article ``g`` and its paired parsed article ``art`` (contract form, or
    None when not found) to the category counts."""
    report.articles += 1
    accepted = [g["category"], *g.get("also_ok", [])]
    gold_cat = g["category"]
    report.categories.setdefault(gold_cat, CategoryStats())
    if art is None:
        report.categories[gold_cat].fn += 1
        report.mistakes.append(f"{name}: not found: {g.get('headline_text') or g['body_starts']}")
        return
    report.found += 1
    pred = art["category"]
    report.categories.setdefault(pred, CategoryStats())
    if pred in accepted:
        report.correct += 1
        report.categories[pred].tp += 1
    else:
        report.categories[pred].fp += 1
        report.categories[gold_cat].fn += 1
        report.mistakes.append(f"{name}: {art['title'] or g['body_starts']}: {pred} (expected "
                               f"{' / '.join(accepted)})")
