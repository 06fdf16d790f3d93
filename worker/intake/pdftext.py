"""The text of a PDF's pages, extracted by pdfplumber in a child process with bounded memory.

``worker.intake.reading`` runs ``python -m worker.intake.pdftext MAX_PAGES MAX_MEMORY_BYTES`` with the PDF on
stdin and reads one JSON object from stdout: ``{"pages": [str, …]}`` or ``{"refused": reason}``.

Why a child: pdfminer (under pdfplumber) inflates streams with no size limit and keeps them, so a
1 MB "Flate bomb" took 2.1 GB (adversarial run), and the size checks done beforehand with pypdf can
be sidestepped where pypdf and pdfminer read a damaged file differently (a cross-reference header
``0  6`` that pypdf accepts and pdfminer rebuilds by scanning). An address-space limit
(``RLIMIT_AS``) on the child bounds every such case, whatever the trick; the worker only loses the
child. Only the standard library is imported before the limit is set.
"""

from __future__ import annotations

import json
import resource
import sys


def extract(data: bytes, max_pages: int) -> dict:
    """``{"pages": [text of each page]}`` or ``{"refused": reason}`` for ``data`` (a PDF)."""
    import io

    import pdfplumber

    pages: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > max_pages:
                return {"refused": f"PDF has {len(pdf.pages)} pages; an issue has at most {max_pages}"}
            for page in pdf.pages:
                pages.append(page.extract_text() or "")
                page.close()  # free the page's parsed objects: 2,000 pages held 4.7 GB (adversarial run)
    except MemoryError:
        raise
    except Exception as exc:  # pdfminer raises many kinds; the reason is what matters
        causes = _causes(exc)
        if any(isinstance(e, MemoryError) or "nable to allocate" in str(e) for e in causes):
            raise MemoryError from exc  # zlib's allocation failure, wrapped by pdfminer
        names = "".join(type(e).__name__ for e in causes)
        if "Password" in names:
            return {"refused": "encrypted PDF: it needs a password; save it without one"}
        return {"refused": f"not a readable PDF: {type(exc).__name__}: {exc}"}
    return {"pages": pages}


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it wraps (``__cause__``/``__context__``/first argument)."""
    out: list[BaseException] = []
    while exc is not None and exc not in out:
        out.append(exc)
        nxt = exc.__cause__ or exc.__context__
        if nxt is None and exc.args and isinstance(exc.args[0], BaseException):
            nxt = exc.args[0]
        exc = nxt
    return out


def main(argv: list[str]) -> int:
    """Child entry point (see the module docstring). Exit code 0 with a JSON answer, 3 when the
    memory limit was reached (stdout then says so too)."""
    max_pages, max_memory = int(argv[0]), int(argv[1])
    data = sys.stdin.buffer.read()
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    try:
        answer = extract(data, max_pages)
    except MemoryError:
        answer = {"refused": f"reading this PDF needs more than {max_memory // 2**20} MiB of memory "
                            "(a decompression bomb?)"}
        sys.stdout.write(json.dumps(answer, ensure_ascii=False))
        return 3
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
