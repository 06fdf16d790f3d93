"""Helpers for the console tests: accounts, logging in through the real login form, issues put
through the real inbox and pipeline in-process."""

from __future__ import annotations

import re
import time

from worker import pipeline
from worker.core.db import session_scope
from worker.intake import inbox

PASSWORD = "correct horse 1"
LATER = time.time() + 3600  # scans "an hour later": every dropped file is stable by then


def add_user(name: str, role: str, signer: bool = False) -> None:
    from worker.ops.accounts import add_user as add

    with session_scope() as s:
        add(s, name, role, f"{name}@example.org", PASSWORD, signer)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"csrf_token": token, "name": name, "password": password, "next": "/"},
                       follow_redirects=False)


def token(client, path: str = "/issues") -> str:
    """The session's CSRF token, read from a page's form."""
    return csrf_of(client.get(path).text)


def ingest_and_process(settings, name: str, data: bytes) -> int:
    """Drop ``data`` as ``name`` into the inbox, scan, process the new Issue; returns its id."""
    (settings.inbox_dir / name).write_bytes(data)
    [issue_id] = inbox.scan(session_scope, settings, LATER).new_issue_ids
    outcome = pipeline.process_issue(issue_id, settings=settings)
    assert outcome.status == "processed", outcome
    return issue_id


HOSTILE_TITLE = '<script>alert("x")</script>职工技能大赛在杭州开幕'
HOSTILE_ISSUE = f"""浙江工人日报
2025年3月5日 星期三
第1版 要闻

{HOSTILE_TITLE}

本报讯 记者王明 3月4日，全省职工技能大赛在杭州开幕，来自11个设区市的600余名职工参加比赛。

大赛设电工、焊工、数控车工等12个项目，获奖选手将按规定晋升技术等级。

省总工会有关负责人表示，要以赛促学、以赛促训，培养更多高技能人才。

杭州公交集团开展春季安全行车竞赛

本报讯 通讯员李华 记者陈静 近日，杭州公交集团开展春季安全行车竞赛，2000余名驾驶员参加。

竞赛围绕安全驾驶、文明服务等内容展开，集团工会为优胜者颁发奖金。
""".encode()
