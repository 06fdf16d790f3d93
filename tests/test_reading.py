"""Reading (bytes → text): real files made by the tests in every accepted encoding and format,
and the refusals (damaged, mixed, disguised, empty, zip bomb, scanned PDF)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from worker.intake.reading import DecodedText, RefusedFile, decode_text, read_document, sniff

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_UTF8 = ROOT / "samples" / "000_251c0b359e5127ab.txt"
SAMPLE_GB = ROOT / "samples" / "2024-12-24_zjgrrb.txt"
TEXT = SAMPLE_UTF8.read_text(encoding="utf-8").rstrip()  # ends with a Chinese character (。)
TRAD = "臺灣工會舉辦職工書畫展覽，展出作品三百餘幅，吸引眾多觀眾參觀。勞動者們紛紛表示，這樣的活動豐富了業餘文化生活。"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "utf16le-nobom", "utf16be-nobom", "utf16le-bom", "utf16be-bom"],
)
def test_reencoded_sample_decodes_exactly(data: bytes, encoding: str) -> None:
    d = decode_text(data)
    assert d.encoding == encoding
    assert d.text == TEXT
    assert d.warnings == []
    assert 0.85 <= d.confidence <= 1.0


def test_real_gb18030_crlf_sample() -> None:
    d = read_document(SAMPLE_GB.read_bytes(), SAMPLE_GB.name)
    assert d.encoding == "gb18030"
    assert "\r" not in d.text
    assert d.text.splitlines()[0] == "浙江工人日报"
    assert "推动建章立制" in d.text


def test_crlf_and_cr_line_ends_become_lf() -> None:
    d = decode_text("第一行。\r\n第二行。\r第三行。".encode("gb18030"))
    assert d.text == "第一行。\n第二行。\n第三行。"


def test_nul_formfeed_zero_width_removed() -> None:
    d = decode_text("工会\u200b新闻\x0c报道\ufeff内容。".encode())
    assert d.text == "工会新闻报道内容。"


def test_big5_traditional_sentence() -> None:
    d = decode_text(TRAD.encode("big5"))
    assert d.encoding == "big5"
    assert d.text == TRAD
    assert d.confidence < 0.95  # flagged as a guess


def test_truncated_gb18030_drops_last_character_with_warning() -> None:
    data = TEXT.encode("gb18030")[:-1]  # cut inside the final 。
    d = decode_text(data)
    assert d.encoding == "gb18030"
    assert d.text == TEXT[:-1]
    assert len(d.warnings) == 1 and "truncated" in d.warnings[0]


def test_truncated_utf8_drops_last_character_with_warning() -> None:
    d = decode_text(TEXT.encode("utf-8")[:-2])
    assert d.text == TEXT[:-1]
    assert "truncated" in d.warnings[0]


def test_mixed_encodings_refused_with_offset() -> None:
    half = len(TEXT) // 2
    data = TEXT[:half].encode("utf-8") + TEXT[half:].encode("gb18030")
    with pytest.raises(RefusedFile) as exc:
        decode_text(data)
    assert "offset" in exc.value.reason
    assert "undecodable" in exc.value.reason


def test_binary_garbage_refused() -> None:
    data = bytes(range(128, 256)) * 50
    with pytest.raises(RefusedFile):
        decode_text(data)


def test_empty_and_whitespace_files_refused() -> None:
    for data in (b"", b"   \r\n\t\n"):
        with pytest.raises(RefusedFile) as exc:
            read_document(data, "issue.txt")
        assert exc.value.reason == "empty file"


def test_not_chinese_refused() -> None:
    with pytest.raises(RefusedFile) as exc:
        decode_text(b"This is an English newsletter with no Chinese at all.\n" * 20)
    assert exc.value.reason.startswith("not Chinese")


def test_png_renamed_txt_refused() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
    assert "PNG" in sniff("issue.txt", png)
    with pytest.raises(RefusedFile) as exc:
        read_document(png, "issue.txt")
    assert "does not match content" in exc.value.reason


@pytest.mark.parametrize("name", ["a.doc", "a.docm", "a.xlsx", "a.jpg", "a.zip", "a.exe", "a.rar"])
def test_sniff_refuses_types_we_do_not_read(name: str) -> None:
    reason = sniff(name, "工会新闻".encode())
    assert reason is not None and "unsupported file type" in reason


def test_sniff_accepts_text_docx_pdf() -> None:
    assert sniff("issue.txt", "工会".encode()) is None
    assert sniff("issue", "工会".encode("gb18030")) is None
    assert sniff("issue.TXT", TEXT.encode("utf-16-le")[:8192]) is None
    assert sniff("issue.docx", b"PK\x03\x04rest") is None
    assert sniff("issue.pdf", b"%PDF-1.7\n") is None


def test_sniff_extension_content_mismatch() -> None:
    assert "not a zip" in sniff("issue.docx", "工会新闻".encode())
    assert "OLE" in sniff("issue.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert "%PDF" in sniff("issue.pdf", "工会新闻".encode())
    assert "PDF" in sniff("issue.txt", b"%PDF-1.4\n")


def test_too_big_refused() -> None:
    with pytest.raises(RefusedFile) as exc:
        read_document("工会".encode() * 100, "issue.txt", max_bytes=100)
    assert "too big" in exc.value.reason


# ---------------------------------------------------------------------------------------------
# .docx
# ---------------------------------------------------------------------------------------------
def _docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("全省职工技能大赛开幕", level=1)
    document.add_paragraph("本报讯 记者王小明报道 3月4日，全省职工技能大赛在杭州开幕。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "工种"
    table.cell(0, 1).text = "人数"
    table.cell(1, 0).text = "电工"
    table.cell(1, 1).text = "120人"
    p = document.add_paragraph()
    p.add_run("工会送温暖").bold = True
    document.add_paragraph("活动共慰问困难职工120户。")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_docx_paragraphs_tables_and_headline_hints() -> None:
    d = read_document(_docx_bytes(), "issue.docx")
    lines = d.text.split("\n")
    assert lines[0] == "全省职工技能大赛开幕"
    assert lines[1].startswith("本报讯 记者王小明报道")
    assert lines[2:6] == ["工种", "人数", "电工", "120人"]  # table in document order
    assert lines[6] == "工会送温暖"
    assert d.headline_hints == {0, 6}  # heading style and short bold line
    assert d.encoding == "docx"


def test_docx_zip_bomb_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("word/media/huge.bin", b"\x00" * (50 * 1024 * 1024))
    data = buf.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(RefusedFile) as exc:
        read_document(data, "bomb.docx")
    assert "zip bomb" in exc.value.reason
    with pytest.raises(RefusedFile) as exc:
        read_document(data, "bomb.docx", max_uncompressed=10 * 1024 * 1024)
    assert "would expand to" in exc.value.reason


def test_docx_that_is_not_a_docx_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "工会")
    with pytest.raises(RefusedFile) as exc:
        read_document(buf.getvalue(), "x.docx")
    assert "word/document.xml" in exc.value.reason


# ---------------------------------------------------------------------------------------------
# .pdf (made with matplotlib and the project's shipped CJK font)
# ---------------------------------------------------------------------------------------------
def _cjk_font() -> str | None:
    shipped = ROOT / "templates" / "fonts" / "wqy-microhei.ttc"  # so these tests never skip
    return str(shipped) if shipped.exists() else None


def _pdf(lines: list[str]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    matplotlib.rcParams["pdf.fonttype"] = 42
    fig = Figure(figsize=(6, 4))
    font = _cjk_font()
    props = font_manager.FontProperties(fname=font) if font else None
    for k, line in enumerate(lines):
        fig.text(0.05, 0.85 - 0.12 * k, line, fontproperties=props, fontsize=12)
    if not lines:
        fig.add_artist(Rectangle((0.1, 0.1), 0.5, 0.5))  # a "scan": graphics, no text
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf")
    return buf.getvalue()


@pytest.mark.skipif(_cjk_font() is None, reason="no CJK font installed (fonts-noto-cjk)")
def test_pdf_with_text_layer() -> None:
    data = _pdf(["全省工会经费审查工作会议在杭州召开", "本报讯 记者周晓岚报道 12月23日，会议召开。"])
    d = read_document(data, "issue.pdf")
    assert d.encoding == "pdf"
    assert d.text.split("\n") == ["全省工会经费审查工作会议在杭州召开", "本报讯 记者周晓岚报道 12月23日，会议召开。"]


def test_pdf_without_text_layer_refused() -> None:
    with pytest.raises(RefusedFile) as exc:
        read_document(_pdf([]), "scan.pdf")
    assert exc.value.reason.startswith("no text layer, OCR not supported")


def test_decoded_text_shape() -> None:
    d = read_document("标题\n正文内容。".encode(), "a.md")
    assert isinstance(d, DecodedText)
    assert d.headline_hints == set()
    assert d.text == "标题\n正文内容。"


def test_html_headings_become_hints() -> None:
    html = "<html><body><h1>工会新闻标题</h1><p>本报讯 记者王明报道 正文内容。</p></body></html>"
    d = read_document(html.encode(), "a.html")
    lines = d.text.split("\n")
    hinted = [lines[i] for i in sorted(d.headline_hints)]
    assert hinted == ["工会新闻标题"]
    assert "本报讯 记者王明报道 正文内容。" in lines


def test_sniff_refuses_binary_without_nul_pattern_but_keeps_every_text_encoding():
    """bytes(range(256)) looked like UTF-16 by its NUL parity and was accepted (bug found by
    tests/test_run.py); random bytes without NULs decode 'validly' as GB18030 in places."""
    import random

    from worker.intake.reading import sniff

    assert "binary data" in sniff("binary.txt", (bytes(range(256)) * 10)[:8192])
    rng = random.Random(7)
    noise = bytes(rng.randrange(1, 256) for _ in range(8192))
    assert "binary data" in sniff("noise.txt", noise)
    text = SAMPLE_UTF8.read_text(encoding="utf-8")
    for enc in ("utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"):
        assert sniff("issue.txt", text.encode(enc)[:8192]) is None, enc


# each of these once took minutes or crashed (adversarial run); the suite-wide timeout is the hang guard
def test_docx_shapes_that_were_quadratic_or_recursive():
    import docx as _docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def save(d):
        b = io.BytesIO()
        d.save(b)
        return b.getvalue()

    many = _docx.Document()
    for i in range(3000):
        many.add_paragraph(f"标题{i}号工会活动", style="Heading 1")
        many.add_paragraph(f"本报讯 工会举办活动{i}，职工参加。")
    got = read_document(save(many), "many.docx")
    assert len(got.headline_hints) == 3000

    runs = _docx.Document()
    p = runs.add_paragraph()
    for i in range(3000):
        p.add_run(f"工会活动{i}").add_break()
    assert read_document(save(runs), "runs.docx").text.count("工会活动") == 3000

    merged = _docx.Document()
    table = merged.add_table(rows=1500, cols=1)
    for k, row in enumerate(table.rows):
        mark = OxmlElement("w:vMerge")
        if k == 0:
            mark.set(qn("w:val"), "restart")
            row.cells[0].text = "工会合并单元格的内容"
        row.cells[0]._tc.get_or_add_tcPr().append(mark)
    assert "工会合并单元格的内容" in read_document(save(merged), "merged.docx").text


def test_encrypted_pdf_is_refused_saying_so() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(_pdf(["全省工会经费审查工作会议在杭州召开"]))).pages:
        writer.add_page(page)
    writer.encrypt("secret", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(RefusedFile, match="encrypted PDF: it needs a password"):
        read_document(buf.getvalue(), "locked.pdf")


def test_control_and_bidi_characters_are_removed_not_line_breaks() -> None:
    """\\x0b and \\x1f split a headline in two (str.splitlines breaks there) and U+202E reversed a
    title on screen; all are removed while decoding (adversarial run)."""
    raw = "全省工会\x01经费\x0b审查\x1f工作会议在杭州召开\u202e。\n本报讯 记者周晓岚报道 会议召开。\n"
    assert decode_text(raw.encode("utf-8")).text.splitlines()[0] == "全省工会经费审查工作会议在杭州召开。"


def test_big5_passes_the_inbox_sniff_and_decodes_as_big5() -> None:
    text = "浙江工人日報\n本報訊 記者周曉嵐報道 全省工會經費審查工作會議在杭州召開。會議總結今年工作。\n"
    data = (text * 5).encode("big5")
    assert sniff("issue.txt", data[:8192]) is None
    assert read_document(data, "issue.txt").encoding == "big5"


def test_shift_jis_japanese_is_refused_not_read_as_gb18030() -> None:
    text = "東京新聞\n2024年12月24日\n\n労働組合の会議が東京で開催された。参加者は多く、議論が活発に行われた。\n" * 5
    with pytest.raises(RefusedFile, match="Japanese"):
        read_document(text.encode("shift_jis"), "tokyo.txt")


# ---------------------------------------------------------------------------------------------
# PDF decompression bombs (pdfminer inflates streams without a limit: 1 MB → 2.1 GB of memory)
# ---------------------------------------------------------------------------------------------
MIB = 1024 * 1024


def _deflated_spaces(mib: int, head: bytes = b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET\n") -> bytes:
    """``head`` then ``mib`` MiB of spaces, deflated chunk by chunk (never all in memory)."""
    import zlib

    c = zlib.compressobj(9)
    parts = [c.compress(head)]
    chunk = b" " * MIB
    parts += [c.compress(chunk) for _ in range(mib)]
    return b"".join(parts) + c.flush()


def _raw_pdf(contents: list[bytes], filter_key: bytes = b"/Filter") -> bytes:
    """A one-page PDF written byte by byte, its page content the Flate streams ``contents``."""
    n = len(contents)
    refs = b" ".join(b"%d 0 R" % (5 + k) for k in range(n))
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>"
        b" /Contents [" + refs + b"] >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ] + [b"<< /Length %d %s /FlateDecode >>\nstream\n" % (len(z), filter_key) + z + b"\nendstream"
         for z in contents]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


@pytest.mark.parametrize("filter_key", [b"/Filter", b"/F"])  # pdfminer inflates /F streams too
def test_pdf_flate_bomb_refused_at_the_default_limit(filter_key: bytes) -> None:
    from worker.intake.reading import MAX_PDF_STREAM

    assert MAX_PDF_STREAM == 64 * MIB
    data = _raw_pdf([_deflated_spaces(80)], filter_key)  # 80 MiB of spaces in 80 kB
    assert len(data) < 100_000
    with pytest.raises(RefusedFile) as exc:
        read_document(data, "bomb.pdf")
    assert exc.value.reason == "PDF stream (object 5) decompresses beyond 64 MiB, the limit for one stream"


def test_pdf_streams_refused_when_their_total_is_over_max_uncompressed() -> None:
    data = _raw_pdf([_deflated_spaces(3) for _ in range(3)])  # 3 streams of 3 MiB each
    with pytest.raises(RefusedFile) as exc:
        read_document(data, "bomb.pdf", max_uncompressed=8 * MIB)
    assert exc.value.reason == "PDF streams decompress to more than 8 MiB in total"
    # Under the limits the same file reaches text extraction (and is refused for its Latin text).
    with pytest.raises(RefusedFile) as exc:
        read_document(data, "small.pdf", max_uncompressed=10 * MIB)
    assert exc.value.reason.startswith("not Chinese text")


# no own timeout: the suite-wide one (pyproject.toml) is the hang guard; speed is not asserted
def test_pdf_flate_bomb_is_refused_within_bounded_memory(tmp_path: Path) -> None:
    """Peak memory of a fresh process reading a PDF of 380 kB holding 384 MiB of spaces: about twice
    the bomb without the guard (a 1 GiB one took 2.1 GB), about 180 MiB with it (the pypdf check
    decodes at most MAX_PDF_STREAM of it, and pdfplumber never sees it)."""
    import subprocess
    import sys

    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(_raw_pdf([_deflated_spaces(384)]))
    probe = (
        "import sys\n"
        "from worker.intake.reading import RefusedFile, read_document\n"
        "try:\n"
        "    read_document(open(sys.argv[1], 'rb').read(), 'bomb.pdf')\n"
        "except RefusedFile as exc:\n"
        "    print(exc.reason)\n"
        # VmHWM, the peak RSS of this process image: ru_maxrss would also count the pytest process
        # this one was vforked from (Linux folds the old image's peak in at exec), 410 MiB after
        # the property tests
        "print(next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM')) // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(bomb)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout.splitlines()
    assert out[0] == "PDF stream (object 5) decompresses beyond 64 MiB, the limit for one stream"
    assert int(out[1]) < 400, f"peak RSS {out[1]} MiB"


def test_euc_jp_japanese_is_refused_not_read_as_gb18030() -> None:
    """EUC-JP shares GB2312's kana rows and decoded strictly as GB18030: kana among wrong Han."""
    text = "東京新聞\n2024年12月24日\n\n労働組合の会議が東京で開催された。参加者は多く、議論が活発に行われた。\n" * 5
    with pytest.raises(RefusedFile) as exc:
        read_document(text.encode("euc_jp"), "tokyo.txt")
    assert exc.value.reason == "not Chinese text: Japanese (EUC-JP)"
    with pytest.raises(RefusedFile) as exc:
        read_document(text.encode("euc_jp")[:-2], "tokyo.txt")  # cut inside the last 。
    assert exc.value.reason == "not Chinese text: Japanese (EUC-JP)"


def test_gb18030_chinese_stays_accepted_with_a_kana_brand_name() -> None:
    regression = ROOT / "tests" / "data" / "regression"
    for path in (SAMPLE_GB, regression / "zjgr_2025-04-16_weiquan.txt", regression / "zjgr_20250516_A3A4.txt"):
        assert read_document(path.read_bytes(), path.name).encoding == "gb18030", path
    text = "本报讯 职工食堂引进“吉野家の牛丼”窗口，每天供应午餐三百余份，受到职工欢迎。\n" * 3
    d = read_document(text.encode("gb18030"), "issue.txt")
    assert (d.encoding, d.text) == ("gb18030", text)


@pytest.mark.parametrize("junk", ["=" * 100_000, "-" * 100_000, "*" * 100_000, "-=*" * 33_334, "■" * 50_000])
def test_one_junk_line_does_not_make_a_chinese_issue_not_chinese(junk: str) -> None:
    """Every non-space character used to count: one line of 100,000 '=' made the issue 2 % Han."""
    lines = TEXT.split("\n")
    text = "\n".join([*lines[:5], junk, *lines[5:]])
    for encoding in ("utf-8", "gb18030"):
        d = read_document(text.encode(encoding), "issue.txt")
        assert (d.encoding, d.text) == (encoding, text)


def test_symbol_runs_do_not_make_english_or_symbols_chinese() -> None:
    english = "This is an English newsletter with no Chinese at all.\n" * 20
    with pytest.raises(RefusedFile) as exc:
        read_document(("=" * 100_000 + "\n" + english).encode(), "news.txt")
    assert exc.value.reason == ("not Chinese text: 0 Chinese characters in 880 non-space characters, "
                                "not counting 100000 in runs of punctuation/symbols "
                                "(tried UTF-8, GB18030, UTF-16-LE, UTF-16-BE)")
    with pytest.raises(RefusedFile) as exc:
        read_document(("=" * 1000 + "\n" + "-" * 1000 + "\n").encode(), "rules.txt")
    assert exc.value.reason == ("not Chinese text: 0 Chinese characters in 0 non-space characters, "
                                "not counting 2000 in runs of punctuation/symbols "
                                "(tried UTF-8, GB18030, UTF-16-LE, UTF-16-BE)")
    with pytest.raises(RefusedFile) as exc:  # digits still count: a table of numbers is not an issue
        read_document(("工会经费\n" + "2024-01-01,12345.67,89\n" * 100).encode(), "table.txt")
    assert exc.value.reason == ("not Chinese text: 4 Chinese characters in 2204 non-space characters "
                                "(tried UTF-8, GB18030, UTF-16-LE, UTF-16-BE)")


_HTML_ISSUE = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>浙江工人日报</title></head>"
               "<body><h1>全省职工技能大赛开幕</h1><p>本报讯 记者王小明报道 3月4日，全省职工技能大赛在杭州开幕。"
               "</p></body></html>\n")


@pytest.mark.parametrize(("name", "data"), [
    ("issue.txt", _HTML_ISSUE.encode()),
    ("issue.txt", _HTML_ISSUE.encode("utf-16")),  # with BOM
    ("issue.txt", ("\ufeff\n  <p>本报讯 全省职工技能大赛在杭州开幕。</p>\n").encode()),
    ("issue.md", _HTML_ISSUE.encode("gb18030")),
    ("issue", _HTML_ISSUE.encode()),
])
def test_html_under_a_text_extension_is_refused(name: str, data: bytes) -> None:
    """HTML saved as .txt was read as one article of tags; as .html it is read as HTML."""
    ext = name[name.find("."):] if "." in name else "(none)"
    reason = f"extension {ext} does not match content: the file is HTML; save it as .html, or as plain text"
    assert sniff(name, data[:8192]) == reason  # refused at the inbox already
    with pytest.raises(RefusedFile) as exc:
        read_document(data, name)
    assert exc.value.reason == reason
    d = read_document(data, "issue.html")
    assert "全省职工技能大赛" in d.text and "<" not in d.text


def test_json_and_xml_saved_as_text_are_refused_and_bracketed_chinese_is_not() -> None:
    import json

    articles = [{"title": "全省职工技能大赛开幕", "body": "本报讯 记者王小明报道 3月4日，全省职工技能大赛在杭州开幕。"}]
    for name, data, what in [
        ("issue.txt", json.dumps(articles, ensure_ascii=False, indent=2).encode(), "JSON"),
        ("issue", json.dumps(articles[0], ensure_ascii=False).encode("gb18030"), "JSON"),
        ("issue.html", json.dumps(articles[0], ensure_ascii=False).encode(), "JSON"),
        ("issue.txt", '<?xml version="1.0" encoding="utf-8"?>\n<issue><title>全省职工技能大赛开幕</title></issue>'
         .encode(), "XML"),
    ]:
        ext = name[name.find("."):] if "." in name else "(none)"
        with pytest.raises(RefusedFile) as exc:
            read_document(data, name)
        assert exc.value.reason == (f"extension {ext} does not match content: the file is {what}, which is "
                                    "not read; save the issue as plain text"), name
    for text in ("[1] 全省职工技能大赛在杭州开幕。", "[本报讯] 全省职工技能大赛在杭州开幕。",
                 "<工会新闻> 全省职工技能大赛开幕。", "{第一版} 全省职工技能大赛在杭州开幕。"):
        assert read_document(text.encode(), "issue.txt").text == text


def test_pdf_without_xref_is_still_guarded_then_left_to_pdfplumber() -> None:
    # pypdf cannot parse a PDF without startxref; pdfminer rebuilds the table by scanning, so the
    # size check must not depend on it (a hand-made scan once became "not a readable PDF").
    def no_xref(pdf: bytes) -> bytes:
        return pdf[: pdf.index(b"xref\n")] + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"

    with pytest.raises(RefusedFile) as exc:
        read_document(no_xref(_raw_pdf([_deflated_spaces(80)])), "bomb.pdf")
    assert re.fullmatch(r"PDF stream at byte \d+ decompresses beyond 64 MiB, the limit for one stream",
                        exc.value.reason)
    with pytest.raises(RefusedFile) as exc:
        read_document(no_xref(_raw_pdf([_deflated_spaces(3) for _ in range(3)])), "bomb.pdf",
                      max_uncompressed=8 * MIB)
    assert exc.value.reason == "PDF streams decompress to more than 8 MiB in total"
    with pytest.raises(RefusedFile) as exc:  # small: pdfplumber reads it and finds no Chinese text
        read_document(no_xref(_raw_pdf([_deflated_spaces(1)])), "small.pdf")
    assert "no text layer" in exc.value.reason


def _pdf_body(objects: list[bytes]) -> tuple[bytes, list[int]]:
    """A PDF's header and ``objects`` (object k+1 = objects[k]) written byte by byte, and their offsets."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for k, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + obj + b"\nendobj\n"
    return bytes(out), offsets


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d /Filter /FlateDecode %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


_PAGE_OBJECTS = [
    b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >>"
    b" /XObject << /Im1 6 0 R >> >> /Contents 5 0 R >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]


def test_pdf_bomb_hidden_from_pypdf_is_stopped_by_the_reader_memory_limit(monkeypatch) -> None:
    # pypdf accepts the header "0  6" and sees a small object 5; pdfminer rejects it, rebuilds the
    # table by scanning and takes the later object 5: the bomb (1 MB → 2.1 GB before the child limit).
    import zlib

    from worker.intake import reading

    monkeypatch.setattr(reading, "PDF_MEMORY_LIMIT", 300 * MIB)
    small = zlib.compress(b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET\n")
    body, offsets = _pdf_body([*_PAGE_OBJECTS, _stream(small)])
    bomb = b"5 0 obj\n" + _stream(_deflated_spaces(384)) + b"\nendobj\n"
    xref = len(body) + len(bomb)
    data = (body + bomb + b"xref\n0  6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
            + b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    with pytest.raises(RefusedFile) as exc:
        read_document(data, "bomb.pdf")
    assert exc.value.reason == "reading this PDF needs more than 300 MiB of memory (a decompression bomb?)"


def test_pdf_with_a_large_photo_is_not_refused_for_its_size() -> None:
    # A 5000×5000 RGB photo decodes to 75 MB: beyond the 64 MiB stream limit, yet pdfminer never
    # decodes images for text, so it must not count (an ordinary e-paper PDF was refused).
    import zlib

    photo = zlib.compress(bytes(5000 * 5000 * 3), 9)
    content = zlib.compress(b"q 100 0 0 100 0 0 cm /Im1 Do Q BT /F1 12 Tf 72 700 Td (Hello) Tj ET\n")
    body, offsets = _pdf_body([*_PAGE_OBJECTS, _stream(content), _stream(photo, b"/Type /XObject /Subtype /Image "
                          b"/Width 5000 /Height 5000 /ColorSpace /DeviceRGB /BitsPerComponent 8 ")])
    data = (body + b"xref\n0 7\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
            + b"trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % len(body))
    with pytest.raises(RefusedFile) as exc:  # read, then refused for what it says, not for its size
        read_document(data, "photo.pdf")
    assert exc.value.reason.startswith("no text layer"), exc.value.reason


def test_bytes_valid_as_gb18030_and_utf8_are_read_as_gb18030() -> None:
    """GB18030 rows 0xC2–0xDF with trail bytes 0x80–0xBF are also UTF-8 two-byte sequences (Greek,
    Cyrillic, Hebrew …): such a file was read as UTF-8 nonsense and refused with "0 Chinese
    characters" (issue 11). Text made only of such characters and ASCII, as a GB18030 file."""
    text = "全省职业学校 实习 同学\n院 要 学习 园 路 站 实业 农业\n师徒 志愿 通知 说 远\n"
    data = text.encode("gb18030")
    assert "全" not in data.decode("utf-8")  # valid UTF-8, and not Chinese that way
    d = read_document(data, "issue.txt")
    assert (d.encoding, d.text) == ("gb18030", text)
    assert any("also valid UTF-8" in w for w in d.warnings)


def test_refusal_names_every_encoding_tried() -> None:
    with pytest.raises(RefusedFile) as exc:
        read_document(("Ελληνικά κείμενα " * 40).encode(), "greek.txt")
    assert exc.value.reason.endswith("(tried UTF-8, GB18030, UTF-16-LE, UTF-16-BE)")


def test_a_short_text_with_rare_characters_is_text_not_binary():
    # adversarial run: a brief with CJK Extension B characters (𠀀 𪚥, found in names) was refused
    # as "binary data, not text": those characters were outside the plausible ranges
    from worker.intake.reading import read_document, sniff

    for text in ("职工标题\n\n正文𠀀𪚥。\n", "职工标题\n\n正文𠀀𪚥𠀀𪚥。Ελλάδα Россия 🎉🎉🎉\n"):
        assert sniff("brief.txt", text.encode("utf-8")) is None, text
        assert read_document(text.encode("utf-8"), "brief.txt").text.strip() == text.strip()
