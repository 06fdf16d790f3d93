"""简报台 over HTTP (starlette TestClient against the real app, real SQLite, a real local SMTP
server): two editors saving at once get one conflict and lose nothing; a user without the signer
right cannot sign; a signer signs once and it is sent once."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_briefing_desk import env, smtp  # noqa: F401 - fixtures
from webhelp import csrf_of, login

from worker.briefing.build import make_briefing
from worker.core.models import AuditLog, Briefing, Delivery

DAY = date(2024, 12, 24)


@pytest.fixture
def draft(env):  # noqa: F811
    settings, cfg, _handler, engine = env
    with Session(engine, expire_on_commit=False) as s:
        return make_briefing(s, "daily", DAY, settings=settings, config=cfg)


def _client(name: str, password: str) -> TestClient:
    from web.app import create_app

    c = TestClient(create_app(), base_url="http://testserver")
    assert login(c, name, password).status_code == 303
    return c


def _form(page: str, row: Briefing, **change) -> dict:
    """The desk form as the page shows it (every entry included, generated values), then ``change``."""
    data: dict = {"csrf_token": csrf_of(page), "revision": str(row.revision), "ids": [], "editor_note": ""}
    for sec in row.generated["sections"]:
        for i, e in enumerate(sec["entries"], 1):
            aid = e["id"]
            data["ids"].append(aid)
            data.update({f"inc_{aid}": "1", f"sec_{aid}": sec["key"], f"pos_{aid}": str(i), f"title_{aid}": e["title"],
                         f"summary_{aid}": e["summary"], f"figs_{aid}": "\n".join(e["figures"])})
    for h in row.generated["highlights"]:
        data[f"hl_{h['id']}"] = h["text"]
    for key, value in change.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_two_editors_one_conflict_nothing_lost_and_only_a_signer_signs(env, draft):  # noqa: F811
    _settings, _cfg, handler, engine = env
    a, b = _client("bianji", "editor-pass-1"), _client("xiaozhang", "editor-pass-2")
    listed = a.get("/desk")
    assert listed.status_code == 200 and f"/desk/{draft.id}" in listed.text and "待签发稿" in listed.text
    page_a, page_b = a.get(f"/desk/{draft.id}").text, b.get(f"/desk/{draft.id}").text
    assert "领导看到的样子" in page_a and 'id="sign"' not in page_a  # editors cannot sign
    # the draft as leadership will see it: the PDF's pages (LibreOffice + pdftoppm)
    assert f'src="/desk/{draft.id}/page/0/1.png"' in page_a
    image = a.get(f"/desk/{draft.id}/page/0/1.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    second = [e for sec in draft.generated["sections"] for e in sec["entries"]][1]
    r = a.post(f"/desk/{draft.id}/save", data=_form(page_a, draft, **{f"inc_{second['id']}": None}),
               follow_redirects=False)
    assert r.status_code == 303
    clash = b.post(f"/desk/{draft.id}/save", data=_form(page_b, draft, editor_note="请各地抓好落实。"))
    assert clash.status_code == 409 and "保存冲突" in clash.text and "bianji" in clash.text
    assert "请各地抓好落实。" in clash.text  # the second editor's change is still in the form
    with Session(engine) as s:
        assert s.get(Briefing, draft.id).edits == {"exclude": [second["id"]]}  # the first is kept
    # the merged form, saved on the new revision: both changes stand
    merged = _form(clash.text, draft, revision="1", editor_note="请各地抓好落实。", **{f"inc_{second['id']}": None})
    assert b.post(f"/desk/{draft.id}/save", data=merged, follow_redirects=False).status_code == 303
    with Session(engine) as s:
        row = s.get(Briefing, draft.id)
        assert row.edits == {"exclude": [second["id"]], "editor_note": "请各地抓好落实。"} and row.revision == 2
    shown = a.get(f"/desk/{draft.id}").text
    assert f"删去：《{second['title']}》" in shown and "编者按：请各地抓好落实。" in shown

    refused = a.post(f"/desk/{draft.id}/sign", data={"csrf_token": csrf_of(shown)})
    assert refused.status_code == 403
    boss = _client("qianfa", "signer-pass-1")
    page = boss.get(f"/desk/{draft.id}").text
    assert 'id="sign"' in page
    done = boss.post(f"/desk/{draft.id}/sign", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 200 and "已签发：2024年第1期" in done.text
    again = boss.post(f"/desk/{draft.id}/sign", data={"csrf_token": csrf_of(page)})
    assert "未签发" in again.text
    with Session(engine) as s:
        row = s.get(Briefing, draft.id)
        assert (row.status, row.number, row.signed_by, row.sign_channel) == ("made", 1, "qianfa", "console")
        assert len(s.exec(select(Delivery)).all()) == 1
        actions = s.exec(select(AuditLog.action).where(AuditLog.action.in_(("desk_save", "sign_off")))).all()
        assert actions == ["desk_save", "desk_save", "sign_off"]
    assert [m[1] for m in handler.messages if "leader@union.test" in m[1]] == [["leader@union.test"]]
    versions = boss.get(f"/desk/{draft.id}").text
    assert "qianfa" in versions and f"/briefings/{draft.id}/docx" in versions
