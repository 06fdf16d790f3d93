"""简报台 (the briefing desk, issue 19): drafts waiting for review and 签发 (overdue ones
flagged); a draft as leadership will see it (the PDF's pages), its entries to include or exclude,
reorder, move and edit, its 本期要情 lines and 编者按; what changed against the generated draft;
the conflict message when another editor saved first; 签发 for signers; every version with who
signed it and when."""

from __future__ import annotations

import subprocess

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse

from web.pages.briefings import rasterise
from web.security import CSRF_FIELD, check_csrf, client_ip, require
from web.templating import flash, render
from worker.briefing import desk
from worker.briefing.config import load_briefing_config
from worker.briefing.content import section_order
from worker.briefing.delivery import PdfConversionError
from worker.briefing.edits import merge_edits, normalise
from worker.core.db import session_scope
from worker.core.models import Briefing, utcnow
from worker.core.settings import get_settings
from worker.ops import audit

NAV = ("简报台", "/desk", ("editor",))
router = APIRouter()
editor = require("editor")
#: entries × fields of a weekly/monthly draft exceed the console's default form size
MAX_FIELDS = 1000


async def desk_form(request: Request):
    """The posted form after the CSRF check (more fields than the console's default allows)."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, form.get(CSRF_FIELD))
    return form


@router.get("/desk")
def draft_list(request: Request, user=Depends(editor)):
    hours = load_briefing_config().get("remind_after_hours") or 24
    now = utcnow()
    with session_scope() as s:
        drafts = desk.list_drafts(s)
        flagged = {d.id for d in drafts if desk.overdue(d, now, hours)}
    return render(request, "desk_list.html", title="简报台", drafts=drafts, flagged=flagged, hours=hours)


def _preview_pages(s, row: Briefing) -> tuple[list[int], str | None]:
    folder = get_settings().var_dir / "previews" / f"draft-{row.id}-r{row.revision}"
    done = sorted(int(p.stem.rsplit("-", 1)[1]) for p in folder.glob("page-*.png")) if folder.is_dir() else []
    if done:
        return done, None
    try:
        return rasterise(desk.preview(s, row), folder), None
    except PdfConversionError as exc:
        return [], f"无法生成版面预览：{exc}"
    except (subprocess.SubprocessError, OSError) as exc:
        return [], f"版面预览生成失败：{type(exc).__name__}（需要 LibreOffice 与 pdftoppm）"


def _page(request: Request, user, briefing_id: int, *, edits: dict | None = None, conflict=None,
          status_code: int = 200):
    """The draft page; ``edits`` (after a conflict: both editors' edits merged) replaces the
    stored edits in the form, unsaved."""
    settings, cfg = get_settings(), load_briefing_config()
    with session_scope() as s:
        try:
            row = desk.get_draft(s, briefing_id)
        except LookupError as exc:
            raise HTTPException(404) from exc
        if row.status in desk.OPEN and edits is None:
            desk.refresh_draft(s, row, settings=settings, config=cfg)
        shown = row
        if edits is not None:
            shown = row.model_copy(update={"edits": edits})
        view = desk.view(s, shown, settings=settings, config=cfg)
        pages, problem = _preview_pages(s, row) if row.status in desk.OPEN or not row.file_path else ([], None)
        versions = desk.versions(s, row)
        order = section_order(cfg, settings.config_dir)
        s.expunge_all()
    return render(request, "desk.html", status_code=status_code, title="简报台", b=row, view=view,
                  pages=pages, problem=problem, versions=versions, sections=order, conflict=conflict,
                  can_sign=bool(user.signer), open=row.status in desk.OPEN,
                  overdue=desk.overdue(row, utcnow(), cfg.get("remind_after_hours") or 24))


@router.get("/desk/{briefing_id}")
def draft_page(request: Request, briefing_id: int, user=Depends(editor)):
    return _page(request, user, briefing_id)


@router.get("/desk/{briefing_id}/page/{revision}/{n}.png")
def page_image(request: Request, briefing_id: int, revision: int, n: int, user=Depends(editor)):
    path = get_settings().var_dir / "previews" / f"draft-{briefing_id}-r{revision}" / f"page-{n}.png"
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type="image/png")


def edits_from_form(form, generated: dict) -> dict:
    """The edits a submitted desk form means, relative to the generated draft (``generated``:
    :func:`worker.briefing.edits.snapshot`): only what differs from it is stored."""
    gen = {e["id"]: (sec["key"], i, e) for sec in generated.get("sections", []) for i, e in enumerate(sec["entries"])}
    left = {e["id"]: e for e in generated.get("left_out", [])}
    edits: dict = {"exclude": [], "include": [], "move": {}, "order": {}, "entries": {}, "highlights": {}}
    placed: dict[str, list[tuple[float, int, str]]] = {}
    for n, aid in enumerate(form.getlist("ids")):
        included = form.get(f"inc_{aid}") == "1"
        if aid in gen and not included:
            edits["exclude"].append(aid)
        elif aid in left and included:
            edits["include"].append(aid)
        if not included or (aid not in gen and aid not in left):
            continue
        was_sec, _, was = gen[aid] if aid in gen else (left[aid]["section"], 0, left[aid])
        sec = str(form.get(f"sec_{aid}") or was_sec)
        if sec != was_sec:
            edits["move"][aid] = sec
        fields = {"title": str(form.get(f"title_{aid}", was["title"])).strip(),
                  "summary": str(form.get(f"summary_{aid}", was.get("summary", ""))).strip(),
                  "figures": [x.strip() for x in str(form.get(f"figs_{aid}", "")).splitlines() if x.strip()]}
        changed = {k: v for k, v in fields.items() if v != was.get(k, [] if k == "figures" else "")}
        if changed:
            edits["entries"][aid] = changed
        try:
            pos = float(form.get(f"pos_{aid}") or n)
        except ValueError:
            pos = float(n)
        placed.setdefault(sec, []).append((pos, n, aid))
    for sec, items in placed.items():
        wanted = [aid for _, _, aid in sorted(items)]
        natural = sorted(wanted, key=lambda a: (a not in gen or gen[a][0] != sec, gen[a][1] if a in gen else 0,
                                                 [x for _, _, x in items].index(a)))
        if wanted != natural:
            edits["order"][sec] = wanted
    hl = {h["id"]: h["text"] for h in generated.get("highlights", [])}
    for key in form:
        if key.startswith("hl_"):
            aid, text = key[3:], str(form.get(key)).strip()
            if text != hl.get(aid, ""):
                edits["highlights"][aid] = text
    note = str(form.get("editor_note") or "").strip()
    if note != (generated.get("editor_note") or ""):
        edits["editor_note"] = note
    return normalise(edits)


@router.post("/desk/{briefing_id}/save")
def save(request: Request, briefing_id: int, user=Depends(editor), form=Depends(desk_form)):
    """保存: the whole form as the draft's edits, if nobody saved since the form's revision."""
    try:
        base = int(form.get("revision") or -1)
    except ValueError:
        base = -1
    with session_scope() as s:
        row = s.get(Briefing, briefing_id)
        if row is None:
            raise HTTPException(404)
        generated = dict(row.generated or {})
    edits = edits_from_form(form, generated)
    try:
        with session_scope() as s:
            draft = desk.save_edits(s, briefing_id, edits, base, user.name)
            audit.record(s, user.name, "desk_save", f"briefing {briefing_id}", "；".join(draft.changes)[:500],
                         ip=client_ip(request))
    except desk.EditConflict as exc:
        with session_scope() as s:
            current = dict(desk.get_draft(s, briefing_id).edits or {})
        return _page(request, user, briefing_id, edits=merge_edits(current, exc.mine), conflict=exc,
                     status_code=409)
    except ValueError as exc:
        flash(request, f"未保存：{exc}")
        return RedirectResponse(f"/desk/{briefing_id}", status_code=303)
    flash(request, "已保存。与生成稿相比：" + ("；".join(draft.changes) or "没有改动"))
    return RedirectResponse(f"/desk/{briefing_id}", status_code=303)


@router.post("/desk/{briefing_id}/sign")
def sign(request: Request, briefing_id: int, user=Depends(editor), form=Depends(desk_form)):
    """签发 (signer right only): number, render, record and deliver."""
    from worker.briefing.delivery import deliver

    try:
        with session_scope() as s:
            row = desk.sign_off(s, briefing_id, user, "console")
            audit.record(s, user.name, "sign_off", f"briefing {briefing_id}", f"第{row.number}期 v{row.version}",
                         ip=client_ip(request))
            made = (row.id, row.year, row.number)
    except PermissionError as exc:
        raise HTTPException(403, "只有具有签发权的用户可以签发。") from exc
    except ValueError:
        flash(request, "未签发：这份草稿已签发或已弃用。")
        return RedirectResponse(f"/desk/{briefing_id}", status_code=303)
    try:
        result = deliver(made[0])
    except Exception:  # noqa: BLE001 - recorded in Delivery; the task retries with backoff
        from worker.core.app import celery_app

        celery_app.send_task("briefing.deliver_briefing", args=[made[0]])
        result = "发送失败，已转入后台重试"
    flash(request, f"已签发：{made[1]}年第{made[2]}期。发送：{result}")
    return RedirectResponse(f"/desk/{briefing_id}", status_code=303)


@router.post("/desk/{briefing_id}/discard")
def discard(request: Request, briefing_id: int, user=Depends(editor), form=Depends(desk_form)):
    try:
        with session_scope() as s:
            desk.discard(s, briefing_id)
            audit.record(s, user.name, "discard", f"briefing {briefing_id}", ip=client_ip(request))
    except (ValueError, LookupError) as exc:
        flash(request, f"未弃用：{exc}")
        return RedirectResponse(f"/desk/{briefing_id}", status_code=303)
    flash(request, "草稿已弃用（未占用期号）。")
    return RedirectResponse("/desk", status_code=303)


@router.post("/desk/{briefing_id}/correct")
def correct(request: Request, briefing_id: int, user=Depends(editor), form=Depends(desk_form)):
    """修订: a new draft version of a sent briefing; it needs its own 签发 and goes out as 修订稿."""
    try:
        with session_scope() as s:
            row = desk.open_correction(s, briefing_id)
            audit.record(s, user.name, "correct_briefing", f"briefing {briefing_id}", f"draft {row.id}",
                         ip=client_ip(request))
            new_id = row.id
    except (ValueError, LookupError) as exc:
        flash(request, f"未开始修订：{exc}")
        return RedirectResponse(f"/desk/{briefing_id}", status_code=303)
    flash(request, "已生成修订草稿，签发后作为修订稿发送。")
    return RedirectResponse(f"/desk/{new_id}", status_code=303)
