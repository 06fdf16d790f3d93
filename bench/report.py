"""How a figure is printed: ``name: value unit (baseline: value unit what, ratio: x)`` and, when the
figure has a target, ``  target …: PASS|MISS``."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

#: What every figure line looks like (the smoke test checks printed lines against it).
LINE_RE = re.compile(
    r"^(?P<name>[^:]+): (?P<value>-?[\d,]+(?:\.\d+)?) (?P<unit>\S+) "
    r"\(baseline: (?P<baseline>-?[\d,]+(?:\.\d+)?) (?P<bunit>\S+)(?: (?P<bwhat>[^,]+))?, "
    r"ratio: (?P<ratio>-?[\d,]+(?:\.\d+)?|n/a)x?\)"
    r"(?:  target (?P<target>.+): (?P<verdict>PASS|MISS))?$"
)


def num(x: float) -> str:
    """Thousands separators for big numbers, 2–3 significant decimals for small ones."""
    if x != x:  # NaN
        return "nan"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.1f}"
    if ax >= 10:
        return f"{x:.2f}"
    return f"{x:.3f}"


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float
    baseline_unit: str
    baseline_what: str = ""
    target: str | None = None  # e.g. ">= 1.00x jieba.lcut"
    passed: bool | None = None
    note: str = ""  # printed on its own indented line

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None

    def line(self) -> str:
        r = self.ratio
        what = f" {self.baseline_what}" if self.baseline_what else ""
        s = (f"{self.name}: {num(self.value)} {self.unit} (baseline: {num(self.baseline)} "
             f"{self.baseline_unit}{what}, ratio: {'n/a' if r is None else f'{r:.2f}'}x)")
        if self.target is not None:
            s += f"  target {self.target}: {'PASS' if self.passed else 'MISS'}"
        return s


class Printer:
    """Collects figures and prints them as they come (flushed, so a long run shows progress)."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.figures: list[Figure] = []

    def figure(self, fig: Figure) -> Figure:
        self.figures.append(fig)
        print(fig.line(), file=self.out, flush=True)
        if fig.note:
            print(f"    {fig.note}", file=self.out, flush=True)
        return fig

    def info(self, text: str) -> None:
        print(f"    {text}", file=self.out, flush=True)

    def section(self, title: str) -> None:
        print(f"\n== {title}", file=self.out, flush=True)
