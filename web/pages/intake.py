"""收件 (intake, operator): upload issue files into the inbox, receipts, refused files, failed
issues with 重试, withdraw / restore, possible replacements with supersede, original downloads."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from python_multipart.exceptions import MultipartParseError
from sqlmodel import select

from web import zh
from web.ids import PathId, QueryId, form_id
from web.security import CSRF_FIELD, check_csrf, checked_form, client_ip, require
from web.templating import flash, render
from web.upload import BadUpload, receive_files
from worker.core.db import session_scope
from worker.core.models import Issue, Receipt
from worker.core.settings import get_settings
from worker.ops import audit
from worker.ops import issues as lifecycle

NAV = ("收件", "/intake", ("operator",))
router = APIRouter()
operator = require("operator")


def _send_scan() -> bool:
    from worker.core.app import celery_app

    try:
        celery_app.send_task("briefing.scan_inbox")
        return True
    except Exception:  # noqa: BLE001 - kombu raises many kinds
        return False


def _issue_rows(session, limit: int = 50):
    cols = (Issue.id, Issue.file_name, Issue.issue_date, Issue.status, Issue.error, Issue.received_at,
            Issue.article_count, Issue.attempts, Issue.superseded_by, Issue.withdrawn_by, Issue.withdrawn_at,
            Issue.duplicate_of)
    return session.exec(select(*cols).order_by(Issue.id.desc()).limit(limit)).all()


def _receipts(session, limit: int = 50):
    return session.exec(select(Receipt).order_by(Receipt.id.desc()).limit(limit)).all()


def _duplicates_of(session, receipts) -> dict[int, int]:
    """``{issue id: the issue it repeats}`` for the receipts' issues that ended duplicate."""
    ids = {r.issue_id for r in receipts if r.issue_id}
    if not ids:
        return {}
    return dict(session.exec(select(Issue.id, Issue.duplicate_of)
                             .where(Issue.id.in_(ids), Issue.status == "duplicate")).all())


def _failed(session):
    return session.exec(select(Issue.id, Issue.file_name, Issue.error, Issue.attempts)
                        .where(Issue.status == "failed").order_by(Issue.id.desc())).all()


@router.get("/intake")
def intake(request: Request, user=Depends(operator)):
    with session_scope() as s:
        receipts = _receipts(s)
        duplicates = _duplicates_of(s, receipts)
        issues = _issue_rows(s)
        failed = _failed(s)
        replacements = lifecycle.possible_replacements(s)
        refused = s.exec(select(Receipt).where(Receipt.outcome == "refused", Receipt.stored_path.is_not(None))
                         .order_by(Receipt.id.desc()).limit(50)).all()
    settings = get_settings()
    return render(request, "intake.html", title="收件", receipts=receipts, issues=issues, failed=failed,
                  refused=refused, duplicates=duplicates,
                  replacements=replacements, max_mb=settings.max_file_bytes / (1 << 20),
                  max_files=settings.web_max_files_per_upload)


@router.get("/intake/receipts")
def receipts_fragment(request: Request, user=Depends(operator)):
    """The receipts table alone (htmx polls it while uploads are taken)."""
    with session_scope() as s:
        receipts = _receipts(s)
        duplicates = _duplicates_of(s, receipts)
    return render(request, "_receipts.html", receipts=receipts, duplicates=duplicates)


@router.get("/intake/issues")
def issues_fragment(request: Request, user=Depends(operator)):
    """The 期次 table alone (polled like the receipts, so statuses change without a reload)."""
    with session_scope() as s:
        issues = _issue_rows(s)
        replacements = lifecycle.possible_replacements(s)
    return render(request, "_intake_issues.html", issues=issues, replacements=replacements)


@router.get("/intake/failed")
def failed_fragment(request: Request, user=Depends(operator)):
    """The 处理失败的期次 table alone (polled like the receipts)."""
    with session_scope() as s:
        failed = _failed(s)
    return render(request, "_intake_failed.html", failed=failed)


@router.post("/intake/upload")
async def upload(request: Request, user=Depends(operator)):
    settings = get_settings()
    try:
        result = await receive_files(request, settings)
    except (BadUpload, MultipartParseError) as exc:
        raise HTTPException(400, f"上传失败：{exc}") from exc
    try:
        check_csrf(request, result.fields.get(CSRF_FIELD))
    except BaseException:
        result.abort()
        raise
    names = [drop.commit().name for drop in result.drops]
    with session_scope() as s:
        for name in names:
            audit.record(s, user.name, "upload", name, ip=client_ip(request))
        for name in result.too_large:
            audit.record(s, user.name, "upload", name, "refused: too large", ip=client_ip(request))
    parts = []
    if names:
        parts.append(f"已放入收件箱 {len(names)} 个文件：{'、'.join(names)}。回执稍后出现在下表。")
        if not _send_scan():
            parts.append("消息队列暂时不可用，收件箱将在下一次定时扫描时处理这些文件。")
    if result.too_large:
        parts.append(f"超过 {settings.max_file_bytes // (1 << 20)} MB 上限、未保存：{'、'.join(result.too_large)}。")
    if not parts:
        parts.append("没有选择文件。")
    flash(request, " ".join(parts))
    return RedirectResponse("/intake", status_code=303)


def _issue_action(request: Request, user, issue_id: int, action: str) -> RedirectResponse:
    """Run one lifecycle action and record it; LookupError → 404, ValueError → message."""
    again = False
    try:
        with session_scope() as s:
            if action == "withdraw":
                issue = s.get(Issue, issue_id)
                if issue is not None and issue.status == "duplicate":
                    raise ValueError(f"第 {issue_id} 号期次是重复的期次，没有文章，无需撤回")
                lifecycle.withdraw(s, issue_id, user.name)
            elif action == "restore":
                again = lifecycle.restore(s, issue_id)
            elif action == "retry":
                issue = s.get(Issue, issue_id)
                if issue is None:
                    raise LookupError(issue_id)
                if issue.status != "failed":
                    raise ValueError(f"第 {issue_id} 期状态不是失败，无需重试")
                from worker.pipeline import reset_for_rerun

                reset_for_rerun(s, [issue_id])
                again = True
            audit.record(s, user.name, action, f"issue {issue_id}", ip=client_ip(request))
    except LookupError as exc:
        raise HTTPException(404) from exc
    except ValueError as exc:
        flash(request, zh.reason(str(exc)))
        return RedirectResponse(f"/issues/{issue_id}", status_code=303)
    if action == "withdraw" or (action == "restore" and not again):
        lifecycle.refresh_drafts()  # a waiting briefing draft shows what changed
    if again and not lifecycle.queue_processing([issue_id]):
        flash(request, "消息队列暂时不可用：该期已标为等待处理，稍后由定时修复任务排队。")
    else:
        flash(request, {"withdraw": f"已撤回第 {issue_id} 号期次：此后生成的简报不再包含其文章。",
                        "restore": f"已恢复第 {issue_id} 号期次。",
                        "retry": f"已重新排队处理第 {issue_id} 号期次。"}[action])
    return RedirectResponse(f"/issues/{issue_id}", status_code=303)


CONFIRM_FIELD = "confirm"


def _confirm_page(request: Request, issue_id: int, action: str, old: int | None = None, again: bool = False):
    """The confirmation step of 撤回 / 替换 (works without JavaScript: a required checkbox that the
    POST checks too). ``again``: the POST came without the box ticked (status 400, asked again)."""
    with session_scope() as s:
        issue = s.exec(select(Issue.id, Issue.file_name, Issue.issue_date, Issue.status, Issue.article_count)
                       .where(Issue.id == issue_id)).first()
        old_issue = s.exec(select(Issue.id, Issue.file_name, Issue.issue_date, Issue.status, Issue.article_count)
                           .where(Issue.id == old)).first() if old is not None else None
    if issue is None or (old is not None and old_issue is None):
        raise HTTPException(404)
    title = "确认撤回" if action == "withdraw" else "确认替换"
    return render(request, "confirm.html", status_code=400 if again else 200, title=title, action=action,
                  issue=issue, old=old_issue, again=again)


@router.get("/issues/{issue_id}/withdraw")
def withdraw_confirm(request: Request, issue_id: PathId, user=Depends(operator)):
    return _confirm_page(request, issue_id, "withdraw")


@router.post("/issues/{issue_id}/withdraw")
def withdraw(request: Request, issue_id: PathId, user=Depends(operator), form=Depends(checked_form)):
    if form.get(CONFIRM_FIELD) != "on":
        return _confirm_page(request, issue_id, "withdraw", again=True)
    return _issue_action(request, user, issue_id, "withdraw")


@router.post("/issues/{issue_id}/restore")
def restore(request: Request, issue_id: PathId, user=Depends(operator), form=Depends(checked_form)):
    return _issue_action(request, user, issue_id, "restore")


@router.post("/issues/{issue_id}/retry")
def retry(request: Request, issue_id: PathId, user=Depends(operator), form=Depends(checked_form)):
    return _issue_action(request, user, issue_id, "retry")


@router.get("/issues/{issue_id}/supersede")
def supersede_confirm(request: Request, issue_id: PathId, old: QueryId, user=Depends(operator)):
    return _confirm_page(request, issue_id, "supersede", old=old)


@router.post("/issues/{issue_id}/supersede")
def supersede(request: Request, issue_id: PathId, user=Depends(operator), form=Depends(checked_form)):
    old_id = form_id(form.get("old", ""))
    if old_id is None:
        raise HTTPException(400, "缺少被替换的期次，或期次号无效")
    if form.get(CONFIRM_FIELD) != "on":
        return _confirm_page(request, issue_id, "supersede", old=old_id, again=True)
    try:
        with session_scope() as s:
            lifecycle.supersede(s, issue_id, old_id, user.name)
            audit.record(s, user.name, "supersede", f"issue {old_id}", f"replaced by issue {issue_id}",
                         ip=client_ip(request))
    except LookupError as exc:
        raise HTTPException(404) from exc
    except ValueError as exc:
        flash(request, zh.reason(str(exc)))
        return RedirectResponse("/intake", status_code=303)
    lifecycle.refresh_drafts()
    flash(request, f"第 {issue_id} 号期次已替换第 {old_id} 号（后者已撤回）。")
    return RedirectResponse(f"/issues/{issue_id}", status_code=303)


@router.post("/receipts/{receipt_id}/retry")
def retry_refused(request: Request, receipt_id: PathId, user=Depends(operator), form=Depends(checked_form)):
    """重试 a refused file: the inbox worker puts its kept copy back into the inbox and scans."""
    from worker.core.app import celery_app

    with session_scope() as s:
        receipt = s.get(Receipt, receipt_id)
        if receipt is None:
            raise HTTPException(404)
        if receipt.outcome != "refused" or not receipt.stored_path:
            flash(request, f"回执 {receipt_id} 没有可重试的拒收文件。")
            return RedirectResponse("/intake", status_code=303)
        name = receipt.file_name
    try:
        celery_app.send_task("briefing.retry_refused", args=[receipt_id])
    except Exception:  # noqa: BLE001 - kombu raises many kinds
        flash(request, "消息队列暂时不可用，请稍后再试。")
        return RedirectResponse("/intake", status_code=303)
    with session_scope() as s:
        audit.record(s, user.name, "retry", f"receipt {receipt_id}", name, ip=client_ip(request))
    flash(request, f"已请收件程序重新收取 {name}，新的回执稍后出现。")
    return RedirectResponse("/intake", status_code=303)


def attachment_headers(file_name: str, fallback: str) -> dict[str, str]:
    """Content-Disposition ``attachment`` with an ASCII ``filename`` and the real name as RFC 5987
    ``filename*`` (UTF-8, percent-encoded), plus ``X-Content-Type-Options: nosniff``."""
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}",
            "X-Content-Type-Options": "nosniff"}


@router.get("/issues/{issue_id}/original")
def original(request: Request, issue_id: PathId, user=Depends(require("operator", "editor"))):
    with session_scope() as s:
        row = s.exec(select(Issue.file_name, Issue.raw).where(Issue.id == issue_id)).first()
    if row is None:
        raise HTTPException(404)
    name, raw = row
    ext = name.rsplit(".", 1)[-1] if "." in name and name.rsplit(".", 1)[-1].isascii() else "bin"
    ext = "".join(ch for ch in ext if ch.isalnum())[:8] or "bin"
    return Response(raw, media_type="application/octet-stream",
                    headers=attachment_headers(name, f"issue-{issue_id}.{ext}"))
