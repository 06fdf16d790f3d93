"""检索 (archive search): a GET form over the whole archive — words, "exact phrase", -excluded, the
filters, sort and paging of :mod:`worker.search.query` (the same engine as ``briefing search``).
A GET changes nothing, so it carries no CSRF token; the page works without JavaScript and htmx
swaps only the results (and pushes the address) when it is there."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlmodel import select

from web.security import require
from web.templating import ARTICLE_KIND, render
from worker.core.db import session_scope
from worker.core.models import Issue
from worker.enrich.classify import get_taxonomy
from worker.search.query import QueryError, query_from_params, search

# Operators read every issue and article already (期次与文章); searching shows them nothing more.
NAV = ("检索", "/search", ("operator", "editor"))
router = APIRouter()
reader = require("operator", "editor")
PAGE_SIZE = 20
#: The form's fields, as :func:`worker.search.query.query_from_params` reads them.
FIELDS = ("q", "from", "to", "topic", "place", "person", "page", "issue", "kind", "sort", "include_withdrawn")


def _page_url(form: dict[str, str], page: int) -> str:
    """The address of result page ``page`` for the same query (empty fields left out)."""
    params = [(k, v) for k, v in form.items() if v]
    if page > 1:
        params.append(("p", str(page)))
    return "/search?" + urlencode(params)


@router.get("/search")
def search_page(request: Request, user=Depends(reader)):
    """The form; with ``q`` in the address also the results (or the engine's Chinese refusal)."""
    params = request.query_params
    form = {k: (params.get(k) or "").strip() for k in FIELDS}
    result = error = None
    statuses: dict[int, str] = {}
    if "q" in params:  # the form was sent (an empty query gets the engine's message)
        try:
            query = query_from_params(params, page_size=PAGE_SIZE)
            with session_scope() as s:
                result = search(s, query)
                ids = {h.issue_id for h in result.hits}
                if ids:
                    statuses = dict(s.exec(select(Issue.id, Issue.status).where(Issue.id.in_(ids))).all())
        except QueryError as exc:
            error = str(exc)
    current = result.query.offset // PAGE_SIZE + 1 if result else 1
    return render(request, "search.html", title=f"检索：{form['q']}" if form["q"] else "检索", form=form,
                  result=result, error=error, statuses=statuses, labels=get_taxonomy().labels,
                  kinds=ARTICLE_KIND, now=datetime.now(UTC), current=current,
                  previous_url=_page_url(form, current - 1), next_url=_page_url(form, current + 1))
