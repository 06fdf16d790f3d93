"""Rebuild ``templates/briefing.docx``, the Word template the briefing renderer starts from.

Usage: ``uv run python templates/build_template.py [OUT.docx]``

The template holds page setup (A4, GB/T 9704-2012 margins), odd/even page-number footers and the
named styles (Normal, Heading 1, Heading 2 and the ``Briefing …`` styles). The office may edit
the saved file in Word (fonts, sizes, colours, spacing); the renderer keeps whatever styles the
file has and only appends content. Re-running this script overwrites such edits.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from worker.briefing.ooxml import apply_hygiene
from worker.briefing.render import DEFAULT_TEMPLATE, build_template_document


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_TEMPLATE
    out.parent.mkdir(parents=True, exist_ok=True)
    apply_hygiene(build_template_document()).save(str(out))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
