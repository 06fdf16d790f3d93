"""Streaming multipart upload into the inbox: each file part goes straight into an
:class:`~worker.intake.inbox.InboxDrop` as it arrives (python-multipart's push parser), so the
size limit stops a file while it streams, never after it sat in memory or a spool file.
Nothing is renamed into the inbox before the whole request is read and its CSRF token checked."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from worker.core.settings import Settings
from worker.intake.inbox import FileTooLarge, InboxDrop

FIELD_LIMIT = 4096  # bytes of a plain form field (the CSRF token)


class BadUpload(ValueError):
    """Not a multipart form, or too many files in one request."""


@dataclass
class UploadResult:
    """``drops`` (still uncommitted), ``too_large`` names, ``fields`` (plain form fields)."""

    drops: list[InboxDrop] = field(default_factory=list)
    too_large: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)

    def abort(self) -> None:
        for drop in self.drops:
            drop.abort()


async def receive_files(request: Request, settings: Settings, field_name: str = "files") -> UploadResult:
    """Read a ``multipart/form-data`` request: parts named ``field_name`` with a file name become
    InboxDrops (max ``settings.max_file_bytes`` each; a larger one is dropped and named in
    ``too_large``), other parts up to FIELD_LIMIT bytes go to ``fields``. Raises BadUpload for a
    request that is not multipart or has more than ``settings.web_max_files_per_upload`` files
    (everything written so far is removed then)."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise BadUpload("请以 multipart/form-data 表单上传文件")
    result = UploadResult()
    state: dict = {"headers": {}, "header": b"", "value": b""}  # the part being read

    def on_part_begin():
        state.update(headers={}, drop=None, name=None, buf=bytearray(), skip=False)

    def on_header_field(data, start, end):
        state["header"] += data[start:end]

    def on_header_value(data, start, end):
        state["value"] += data[start:end]

    def on_header_end():
        state["headers"][state["header"].lower()] = state["value"]
        state["header"], state["value"] = b"", b""

    def on_headers_finished():
        _, disp = parse_options_header(state["headers"].get(b"content-disposition", b""))
        name = disp.get(b"name", b"").decode("utf-8", "replace")
        filename = disp.get(b"filename")
        state["name"] = name
        if filename is not None and name == field_name:
            filename = filename.decode("utf-8", "replace")
            if not filename:  # an empty file picker sends one part with no name
                state["skip"] = True
                return
            if len(result.drops) >= settings.web_max_files_per_upload:
                raise BadUpload(f"一次最多上传 {settings.web_max_files_per_upload} 个文件")
            state["drop"] = InboxDrop(settings, filename)
            result.drops.append(state["drop"])

    def on_part_data(data, start, end):
        drop = state["drop"]
        if drop is not None:
            try:
                drop.write(data[start:end])
            except FileTooLarge:
                result.drops.remove(drop)
                result.too_large.append(drop.name)
                state["drop"] = None
                state["skip"] = True
        elif not state["skip"] and len(state["buf"]) < FIELD_LIMIT:
            state["buf"] += data[start:end][:FIELD_LIMIT - len(state["buf"])]

    def on_part_end():
        if state["drop"] is None and not state["skip"] and state["name"]:
            result.fields[state["name"]] = bytes(state["buf"]).decode("utf-8", "replace")

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data, "on_part_end": on_part_end})
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except BaseException:
        result.abort()
        raise
    return result
