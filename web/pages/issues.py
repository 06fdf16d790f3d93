"""期次与文章 (issues and articles): the issue list, an issue with its warnings, articles and its
original text beside the stored line decisions, an article with every field and 更正主题."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import defer
from sqlmodel import select

from web.ids import PathId
from web.security import checked_form, client_ip, require
from web.templating import flash, render
from worker.core.db import session_scope
from worker.core.models import Article, Correction, Issue, IssueLines, Receipt
from worker.enrich.classify import get_taxonomy
from worker.enrich.learning import record_correction
from worker.ops import audit
from worker.ops import issues as lifecycle

NAV = ("期次与文章", "/issues", ("operator", "editor"))
router = APIRouter()
reader = require("operator", "editor")


@router.get("/issues")
def issue_list(request: Request, user=Depends(reader), status: str | None = None):
    cols = (Issue.id, Issue.file_name, Issue.issue_date, Issue.status, Issue.article_count,
            Issue.received_at, Issue.processed_at, Issue.masthead)
    stmt = select(*cols).order_by(Issue.issue_date.desc(), Issue.id.desc()).limit(200)
    if status:
        stmt = stmt.where(Issue.status == status)
    with session_scope() as s:
        issues = s.exec(stmt).all()
    return render(request, "issues.html", title="期次与文章", issues=issues, status=status)


@router.get("/issues/{issue_id}")
def issue_page(request: Request, issue_id: PathId, user=Depends(reader)):
    with session_scope() as s:
        issue = s.exec(select(Issue).where(Issue.id == issue_id).options(defer(Issue.raw))).first()
        if issue is None:
            raise HTTPException(404)
        s.expunge(issue)
        articles = s.exec(select(Article.id, Article.seq, Article.page, Article.page_name, Article.kicker,
                                 Article.title, Article.subtitle, Article.category, Article.category_confirmed)
                          .where(Article.issue_id == issue_id).order_by(Article.seq)).all()
        lines = s.get(IssueLines, issue_id)
        receipts = s.exec(select(Receipt).where(Receipt.issue_id == issue_id).order_by(Receipt.id)).all()
        replaces = lifecycle.possible_replacements(s).get(issue_id)
    return render(request, "issue.html", title=f"第 {issue_id} 号期次", issue=issue, articles=articles,
                  lines=lines.decisions if lines else None, receipts=receipts, replaces=replaces,
                  labels=get_taxonomy().labels)


@router.get("/articles/{article_id}")
def article_page(request: Request, article_id: PathId, user=Depends(reader)):
    with session_scope() as s:
        article = s.get(Article, article_id)
        if article is None:
            raise HTTPException(404)
        issue = s.exec(select(Issue.id, Issue.file_name, Issue.issue_date, Issue.status)
                       .where(Issue.id == article.issue_id)).first()
        corrections = s.exec(select(Correction).where(Correction.article_id == article_id)
                             .order_by(Correction.id.desc())).all()
    return render(request, "article.html", title=article.title or f"文章 {article_id}", article=article,
                  issue=issue, corrections=corrections, labels=get_taxonomy().labels)


@router.post("/articles/{article_id}/topic")
def correct_topic(request: Request, article_id: PathId, user=Depends(require("editor")), form=Depends(checked_form)):
    """更正主题: the same correction as ``briefing relabel`` (feeds the learned classifier)."""
    category = str(form.get("category", ""))
    try:
        with session_scope() as s:
            c = record_correction(s, article_id, category, user.name)
            audit.record(s, user.name, "correction", f"article {article_id}",
                         f"{c.old_category} → {c.new_category}", ip=client_ip(request))
    except LookupError as exc:
        raise HTTPException(404) from exc
    except ValueError as exc:
        flash(request, f"未更正：{exc}")
        return RedirectResponse(f"/articles/{article_id}", status_code=303)
    labels = get_taxonomy().labels
    flash(request, f"主题已更正为「{labels.get(category, category)}」。")
    return RedirectResponse(f"/articles/{article_id}", status_code=303)
