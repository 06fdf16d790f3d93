"""The console's ASGI application: ``create_app()`` (served by ``briefing web`` through uvicorn)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from web.pages import routers
from web.security import CsrfFailed, Forbidden, LoginRequired, SessionByScheme, session_secret
from web.templating import HERE, render
from worker.core.settings import get_settings

# htmx is vendored (web/static/htmx.min.js) and loaded from this origin only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def create_app() -> FastAPI:
    """The console app for the current settings: pages, static files, session middleware and the
    answers to LoginRequired (redirect to /login), Forbidden and CsrfFailed (403 pages)."""
    settings = get_settings()
    app = FastAPI(title="union-briefing console", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in routers():
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request"):  # htmx: a full-page redirect, not a fragment
            return PlainTextResponse("", status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, _exc):
        return render(request, "error.html", 403, title="无权访问", message="您的账户角色不能打开此页或执行此操作。")

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, _exc):
        return render(request, "error.html", 403, title="请求无效",
                      message="表单已过期或来源不明（CSRF 校验失败）。请返回页面刷新后重试。")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "未找到", 405: "不允许的请求", 413: "文件过大"}
        return render(request, "error.html", exc.status_code, title=titles.get(exc.status_code, "出错了"),
                      message=str(exc.detail) if exc.status_code != 404 else "没有这个页面或对象。")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        # an id out of range (0, -1, 2**64) or not a number: no such object, said in Chinese
        if all(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
            return render(request, "error.html", 404, title="未找到", message="没有这个页面或对象。")
        return render(request, "error.html", 422, title="请求无效",
                      message="没有这个对象，或地址中的参数不正确（编号须为正整数）。")

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    # outermost: the session is there for every handler, including the exception handlers
    app.add_middleware(SessionByScheme, secret=session_secret(settings),
                       max_age=int(settings.web_session_hours * 3600), force_secure=settings.web_secure_cookies)
    return app
