"""Bar charts for briefings (matplotlib, Agg backend, no pyplot global state).

Chinese labels need a CJK font. We never rely on whatever matplotlib happens to find (it would
silently draw tofu boxes); the font is located **by file path**, in this order:

1. the environment variable ``BRIEFING_CJK_FONT`` (a .ttf/.otf/.ttc path);
2. ``chart_font`` in ``config/briefing.yaml`` (passed in by the caller as ``configured``);
3. the font shipped in ``templates/fonts/`` (WenQuanYi Micro Hei);
4. well-known system paths (fonts-noto-cjk, fonts-wqy-*, fonts-droid-fallback, macOS, Windows).

A candidate counts only if it exists and actually maps a CJK test string to glyphs. When none is
found :func:`find_cjk_font` returns ``None`` and the renderer omits the charts with a note in the
document and a log warning instead of rendering tofu.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from worker.core.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

SHIPPED_FONT_DIR = PROJECT_ROOT / "templates" / "fonts"

SYSTEM_FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
)

#: Resolution of chart images (dots per inch); ≥ 200 for print.
CHART_DPI = 200
#: Chart size in inches (width, height-per-bar is added); the image is placed 150 mm wide.
CHART_WIDTH_IN = 6.2

_PROBE = "工会职工简报杭州月日"


def _covers_cjk(path: Path) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        font = FT2Font(str(path))
        return all(font.get_char_index(ord(ch)) != 0 for ch in _PROBE)
    except (OSError, RuntimeError, ValueError):  # unreadable / not a font
        return False


def font_candidates(configured: str | os.PathLike | None = None) -> list[Path]:
    """All candidate font paths in search order (existing or not)."""
    out: list[Path] = []
    env = _setting_font()
    if env:
        out.append(Path(env))
    if configured:
        out.append(Path(configured))
    if SHIPPED_FONT_DIR.is_dir():
        for pattern in ("*.ttf", "*.otf", "*.ttc"):
            out.extend(sorted(SHIPPED_FONT_DIR.glob(pattern)))
    out.extend(Path(p) for p in SYSTEM_FONT_CANDIDATES)
    return out


@lru_cache(maxsize=8)
def _find(configured: str | None, env: str | None) -> Path | None:
    for cand in font_candidates(configured):
        if cand.is_file() and _covers_cjk(cand):
            return cand
    return None


def find_cjk_font(configured: str | os.PathLike | None = None) -> Path | None:
    """The first candidate font file (see module doc) that exists and has CJK glyphs, else None.

    Cached per (configured, $BRIEFING_CJK_FONT).
    """
    return _find(str(configured) if configured else None, _setting_font())


def _setting_font() -> str | None:
    from worker.core.settings import get_settings

    font = get_settings().cjk_font
    return str(font) if font else None


def bar_chart(labels: Sequence[str], values: Sequence[int], title: str, font_path: Path, *,
              horizontal: bool = True, dpi: int = CHART_DPI) -> bytes:
    """A PNG (bytes) bar chart; every text element uses the font at ``font_path`` explicitly.

    ``horizontal`` draws one bar per row (labels on the y axis, largest on top), suited to topic
    and city names; otherwise vertical bars (labels on x), suited to days. Size: 6.2 in wide,
    2–6 in high; ``dpi`` dots per inch (200 by default).
    """
    fp = FontProperties(fname=str(font_path), size=10)
    fp_title = FontProperties(fname=str(font_path), size=12)
    n = max(1, len(labels))
    height = min(6.0, max(2.0, 0.32 * n + 0.9)) if horizontal else 2.8
    fig = Figure(figsize=(CHART_WIDTH_IN, height), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    color = "#B22222"
    if horizontal:
        ys = list(range(len(labels)))[::-1]
        bars = ax.barh(ys, values, color=color, height=0.6)
        ax.set_yticks(ys)
        ax.set_yticklabels(list(labels), fontproperties=fp)
        ax.set_xlim(0, max(values or [1]) * 1.15 + 0.5)
        for rect, v in zip(bars, values, strict=False):
            ax.text(rect.get_width(), rect.get_y() + rect.get_height() / 2, f" {v}",
                    va="center", ha="left", fontproperties=fp)
        ax.xaxis.set_visible(False)
    else:
        xs = list(range(len(labels)))
        bars = ax.bar(xs, values, color=color, width=0.6)
        ax.set_xticks(xs)
        rotate = 45 if len(labels) > 10 else 0
        ax.set_xticklabels(list(labels), fontproperties=fp, rotation=rotate,
                           ha="right" if rotate else "center")
        ax.set_ylim(0, max(values or [1]) * 1.2 + 0.5)
        for rect, v in zip(bars, values, strict=False):
            if v:
                ax.text(rect.get_x() + rect.get_width() / 2, rect.get_height(), str(v),
                        va="bottom", ha="center", fontproperties=fp)
        ax.yaxis.set_visible(False)
    for side in ("top", "right", "left" if not horizontal else "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, fontproperties=fp_title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
