"""简报 (briefings): the list by kind and period with status and versions; .docx and PDF
downloads; page previews (pdftoppm) when LibreOffice made a PDF."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from sqlmodel import select

from web.ids import PathId
from web.pages.intake import attachment_headers
from web.security import require
from web.templating import render
from worker.core.db import session_scope
from worker.core.models import Briefing
from worker.core.settings import get_settings

NAV = ("简报", "/briefings", ("operator", "editor"))
router = APIRouter()
reader = require("operator", "editor")
KINDS = ("daily", "weekly", "monthly")
PREVIEW_DPI = 60
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _briefing(briefing_id: int) -> tuple[Briefing, Path]:
    with session_scope() as s:
        b = s.get(Briefing, briefing_id)
    path = b.path_in(get_settings().var_dir) if b else None
    if b is None or path is None or not path.is_file():
        raise HTTPException(404)
    return b, path


def _pdf_for(docx: Path) -> Path | None:
    """The PDF next to the .docx, made by LibreOffice on first request; None without LibreOffice."""
    from worker.briefing.delivery import convert_to_pdf

    pdf = docx.with_suffix(".pdf")
    if pdf.is_file() and pdf.stat().st_mtime >= docx.stat().st_mtime:
        return pdf
    return convert_to_pdf(docx)


@router.get("/briefings")
def briefing_list(request: Request, user=Depends(reader), kind: str | None = None):
    stmt = select(Briefing).order_by(Briefing.period_start.desc(), Briefing.kind, Briefing.version.desc()).limit(300)
    if kind in KINDS:
        stmt = stmt.where(Briefing.kind == kind)
    with session_scope() as s:
        rows = s.exec(stmt).all()
    newest = {}
    for b in rows:  # rows are newest version first within a period
        newest.setdefault((b.kind, b.period_start), b.id)
    return render(request, "briefings.html", title="简报", briefings=rows, kind=kind, kinds=KINDS,
                  newest=set(newest.values()))


@router.get("/briefings/{briefing_id}")
def briefing_page(request: Request, briefing_id: PathId, user=Depends(reader)):
    with session_scope() as s:
        b = s.get(Briefing, briefing_id)
        if b is None:
            raise HTTPException(404)
        versions = s.exec(select(Briefing).where(Briefing.kind == b.kind, Briefing.period_start == b.period_start)
                          .order_by(Briefing.version.desc())).all()
    pages, problem = [], None
    path = b.path_in(get_settings().var_dir)
    if path and path.is_file():
        try:
            pages = _previews(b.id, path)
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            problem = f"预览生成失败：{type(exc).__name__}"
        if not pages and problem is None:
            problem = "服务器未安装 LibreOffice 或 pdftoppm，无法生成 PDF 与页面预览。"
    return render(request, "briefing.html", title="简报", b=b, versions=versions, pages=pages, problem=problem)


def _preview_dir(briefing_id: int) -> Path:
    return get_settings().var_dir / "previews" / f"briefing-{briefing_id}"


def _previews(briefing_id: int, docx: Path) -> list[int]:
    """Page numbers with a PNG preview (made once with pdftoppm into var/previews/)."""
    folder = _preview_dir(briefing_id)
    done = sorted(int(p.stem.rsplit("-", 1)[1]) for p in folder.glob("page-*.png")) if folder.is_dir() else []
    if done:
        return done
    if shutil.which("pdftoppm") is None:
        return []
    pdf = _pdf_for(docx)
    if pdf is None:
        return []
    return rasterise(pdf, folder)


def rasterise(pdf: Path, folder: Path) -> list[int]:
    """The PDF's pages as PNGs ``folder/page-N.png`` (pdftoppm, :data:`PREVIEW_DPI`); returns the
    page numbers. Raises ``subprocess.CalledProcessError`` / ``OSError`` when pdftoppm fails."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-png", "-r", str(PREVIEW_DPI), str(pdf), str(tmp / "page")],
                   check=True, capture_output=True, timeout=120)
    for p in tmp.glob("page-*.png"):  # pdftoppm pads numbers by page count: page-01.png
        p.rename(tmp / f"page-{int(p.stem.rsplit('-', 1)[1])}.png")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return sorted(int(p.stem.rsplit("-", 1)[1]) for p in folder.glob("page-*.png"))


@router.get("/briefings/{briefing_id}/preview/{page}.png")
def preview(request: Request, briefing_id: PathId, page: PathId, user=Depends(reader)):
    path = _preview_dir(briefing_id) / f"page-{page}.png"
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type="image/png")


@router.get("/briefings/{briefing_id}/docx")
def download_docx(request: Request, briefing_id: PathId, user=Depends(reader)):
    b, path = _briefing(briefing_id)
    return FileResponse(path, media_type=DOCX_TYPE,
                        headers=attachment_headers(path.name, f"briefing-{b.id}.docx"))


@router.get("/briefings/{briefing_id}/pdf")
def download_pdf(request: Request, briefing_id: PathId, user=Depends(reader)):
    b, path = _briefing(briefing_id)
    pdf = _pdf_for(path)
    if pdf is None:
        raise HTTPException(404, "服务器未安装 LibreOffice，无法生成 PDF。")
    return FileResponse(pdf, media_type="application/pdf", headers=attachment_headers(pdf.name, f"briefing-{b.id}.pdf"))
