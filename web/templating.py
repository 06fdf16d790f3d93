"""Jinja2 templates (autoescape on for every template) with the console's filters: local times
with the zone shown, labels in Chinese."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from web import zh
from web.security import csrf_input
from worker.core.settings import get_settings
from worker.ops.accounts import ROLE_LABELS

HERE = Path(__file__).resolve().parent

ISSUE_STATUS = {"pending": "等待处理", "processing": "处理中", "processed": "已处理", "failed": "失败",
                "withdrawn": "已撤回", "duplicate": "重复"}
RECEIPT_OUTCOME = {"accepted": "已接收", "duplicate": "重复文件", "refused": "已拒收"}
ARTICLE_KIND = {"news": "消息", "brief": "简讯", "interview": "访谈", "photo": "图片新闻", "commentary": "评论"}
TASK_STATE = {"received": "已接收", "started": "开始", "succeeded": "成功", "failed": "失败", "retried": "重试"}
DATE_SOURCE = {"masthead": "报头日期行", "file_name": "文件名", "received": "收到日期"}
BRIEFING_KIND = {"daily": "日报", "weekly": "周报", "monthly": "月报"}
BRIEFING_STATUS = {"made": "已生成", "skipped": "空期（未生成）", "draft": "待签发稿", "signing": "签发中",
                   "discarded": "已弃用"}
AUDIT_ACTION = {"login": "登录", "login_failed": "登录失败", "logout": "退出", "upload": "上传",
                "retry": "重试", "withdraw": "撤回", "restore": "恢复", "supersede": "替换",
                "correction": "更正主题", "desk_save": "保存简报修改", "sign_off": "签发",
                "discard": "弃用草稿", "correct_briefing": "修订简报",
                "user_add": "新建账户", "user_passwd": "修改密码",
                "user_disable": "停用账户", "user_enable": "启用账户"}


def local_time(ts: datetime | None, with_seconds: bool = False) -> str:
    """``ts`` in the installation's time zone (Asia/Shanghai by default) with the zone named."""
    if ts is None:
        return "—"
    tz = get_settings().timezone
    fmt = "%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M"
    return f"{ts.astimezone(ZoneInfo(tz)).strftime(fmt)} ({tz})"


def file_size(n: int | None) -> str:
    """Bytes in KB/MB for people."""
    n = n or 0
    return f"{n} 字节" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MB"


env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)
env.filters.update(local=local_time, size=file_size, issue_status=lambda s: ISSUE_STATUS.get(s, s),
                   outcome=lambda s: RECEIPT_OUTCOME.get(s, s), kind=lambda s: BRIEFING_KIND.get(s, s),
                   briefing_status=lambda s: BRIEFING_STATUS.get(s, s), role=lambda s: ROLE_LABELS.get(s, s),
                   action=lambda s: AUDIT_ACTION.get(s, s), date_source=lambda s: DATE_SOURCE.get(s, s or "—"),
                   article_kind=lambda s: ARTICLE_KIND.get(s, s), task_state=lambda s: TASK_STATE.get(s, s))
env.filters.update(reason=zh.reason, became=zh.became, rule=zh.rule, task_name=zh.task_name, draft=zh.draft,
                   audit_who=zh.audit_who, audit_target=zh.audit_target)
env.filters["audit_detail"] = lambda d: zh.audit_detail(d, _topic_labels(), ROLE_LABELS)
env.globals.update(csrf_input=csrf_input, task_detail=zh.task_detail)


def _topic_labels() -> dict[str, str]:
    from worker.enrich.classify import get_taxonomy

    return get_taxonomy().labels
templates = Jinja2Templates(env=env)


def render(request: Request, template: str, status_code: int = 200, **context):
    """Render ``template`` with ``context`` plus the request, the user and the navigation."""
    from web.pages import navigation

    user = getattr(request.state, "user", None)
    context.setdefault("flash", request.session.pop("flash", None) if "session" in request.scope else None)
    return templates.TemplateResponse(request, template, {"user": user, "nav": navigation(user), **context},
                                      status_code=status_code)


def flash(request: Request, message: str) -> None:
    """A one-line message shown on the next page."""
    request.session["flash"] = message[:500]
