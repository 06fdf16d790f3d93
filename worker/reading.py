"""Bytes → text: decode an issue file (plain text, .docx, .pdf, optional .md/.html).

Public API: :class:`RefusedFile`, :func:`sniff`, :class:`DecodedText`, :func:`read_document`,
:func:`decode_text`. Everything here is pure (no file-system access): callers pass bytes.

Encoding detection order for plain text (issue tracker "Reading"): BOM → UTF-16 without BOM (NUL
pattern) → strict UTF-8 → strict GB18030 (checked for Big5 that happens to be valid GBK) →
charset-normalizer on the whole file. Text is then cleaned: CRLF/CR → LF, NUL, form feed and
zero-width characters removed.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field

MAX_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED = 200 * 1024 * 1024
#: A zip member whose uncompressed/compressed ratio is above this (and bigger than 1 MiB) is a bomb.
MAX_COMPRESSION_RATIO = 100
#: Refuse when more than this share of characters cannot be decoded.
MAX_BAD_SHARE = 0.005

TEXT_EXTS = {"", ".txt", ".text", ".md", ".markdown", ".html", ".htm"}
ACCEPTED_EXTS = TEXT_EXTS | {".docx", ".pdf"}
_REFUSED_EXTS = {
    ".doc": "legacy Word .doc is not read (save it as .docx)",
    ".docm": "macro-enabled Word .docm is not read",
    ".dot": "Word template is not read", ".dotx": "Word template is not read",
    ".dotm": "Word template is not read", ".rtf": "RTF is not read (save it as .docx or .txt)",
    ".wps": "WPS document is not read (save it as .docx)", ".odt": "OpenDocument text is not read",
    ".xls": "spreadsheets are not read", ".xlsx": "spreadsheets are not read",
    ".xlsm": "spreadsheets are not read", ".csv": "spreadsheets are not read",
    ".ppt": "presentations are not read", ".pptx": "presentations are not read",
}
_IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic", ".svg", ".ico"}
_ARCHIVE_EXTS = {".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".zst", ".lz", ".cab", ".iso"}
_EXEC_EXTS = {".exe", ".dll", ".so", ".bin", ".msi", ".dmg", ".apk", ".jar", ".sh", ".bat", ".cmd", ".com",
              ".ps1", ".scr", ".elf", ".app", ".deb", ".rpm", ".pyc"}

# (magic prefix, description). Checked on every file.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip container (docx/xlsx/zip)"), (b"PK\x05\x06", "an empty zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office (OLE) file such as .doc/.xls"),
    (b"Rar!\x1a\x07", "a RAR archive"), (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"\x1f\x8b", "a gzip archive"), (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ\x00", "an xz archive"),
    (b"\x7fELF", "an ELF executable"), (b"MZ", "a Windows executable"),
    (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"), (b"{\\rtf", "an RTF document"),
    (b"\xca\xfe\xba\xbe", "a Java class / Mach-O binary"), (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
)

# Removed from decoded text: NUL, form feed and other C0/C1 control codes (invalid in XML 1.0, and
# str.splitlines() would break lines at \x0b \x1c-\x1f), zero-width characters, and the bidi
# overrides that can make a title read backwards (U+202A-202E, U+2066-2069). Adversarial run.
_ZERO_WIDTH = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
                         "\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u180e]")
_NEWLINES = re.compile(r"\r\n|\r|\u2028|\u2029|\x85")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ODD = re.compile("[\u3040-\u30ff\u0370-\u03ff\u0400-\u04ff\ue000-\uf8ff\u2500-\u257f\u3100-\u312f]")


class RefusedFile(Exception):
    """A file that cannot or must not be read. ``reason`` is a human-readable sentence for
    operations (shown by ``briefing status``), e.g. ``"empty file"``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class DecodedText:
    """Decoded issue text.

    ``text``: the text with ``\\n`` line ends; ``encoding``: codec name (``utf-8``, ``utf-8-sig``,
    ``gb18030``, ``utf-16-le`` …, or ``docx``/``pdf``/``html`` for container formats);
    ``confidence``: 0–1; ``warnings``: things an operator may want to know (truncation, replaced
    characters); ``headline_hints``: 0-based line indexes in ``text`` the source marked as headlines.
    """

    text: str
    encoding: str
    confidence: float
    warnings: list[str] = field(default_factory=list)
    headline_hints: set[int] = field(default_factory=set)


def _ext(file_name: str) -> str:
    name = (file_name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if "." not in name.lstrip("."):
        return ""
    return "." + name.rsplit(".", 1)[-1].lower()


def _magic(head: bytes) -> str | None:
    for sig, what in _MAGIC:
        if head.startswith(sig):
            if sig == b"MZ" and b"\x00" not in head[:512]:
                continue  # "MZ…" text is possible; an executable has NULs in its header
            if sig == b"BZh" and not head[3:4].isdigit():
                continue
            return what
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "a RIFF media file"
    return None


def _looks_utf16(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when NUL bytes sit on one parity only (ASCII in UTF-16)."""
    if len(head) < 4 or b"\x00" not in head:
        return None
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    total = even + odd
    # ASCII (newlines, digits) puts NULs on one parity; a few Han like U+4E00 put one on the other.
    if odd >= 0.8 * total and odd >= 2:
        return "utf-16-le"
    if even >= 0.8 * total and even >= 2:
        return "utf-16-be"
    return None


def sniff(file_name: str, head: bytes) -> str | None:
    """Quick check of a file claimed from the inbox.

    Args:
        file_name: the file's name (only its extension is used).
        head: the first bytes of the file (about 8 KiB is enough).

    Returns:
        None when the file may be read, else the refusal reason (str). Refused: types we do not
        read (.doc, .docm, spreadsheets, images, archives, executables, unknown extensions) and
        extension/content mismatches (a PNG renamed .txt, a .docx that is not a zip, a .pdf that
        does not start with ``%PDF``, HTML saved as .txt/.md or without extension, JSON or XML
        under any text extension: each would be read as one article of markup). Never raises.
    """
    ext = _ext(file_name)
    if ext in _REFUSED_EXTS:
        return f"unsupported file type {ext}: {_REFUSED_EXTS[ext]}"
    if ext in _IMAGE_EXTS:
        return f"unsupported file type {ext}: images are not read (OCR not supported)"
    if ext in _ARCHIVE_EXTS:
        return f"unsupported file type {ext}: archives are not unpacked"
    if ext in _EXEC_EXTS:
        return f"unsupported file type {ext}: executables and binaries are not read"
    if ext not in ACCEPTED_EXTS:
        return f"unsupported file type {ext}: accepted are .txt, .docx, .pdf, .md, .html"
    if not head:
        return "empty file"
    what = _magic(head)
    if ext == ".docx":
        if head.startswith(b"PK\x03\x04"):
            return None
        if what:
            return f"extension .docx does not match content: the file is {what}"
        return "extension .docx does not match content: not a zip container"
    if ext == ".pdf":
        if b"%PDF" in head[:1024]:
            return None
        if what:
            return f"extension .pdf does not match content: the file is {what}"
        return "extension .pdf does not match content: it does not start with %PDF"
    # text-like extensions
    if what:
        return f"extension {ext or '(none)'} does not match content: the file is {what}"
    if b"\x00" in head and not _looks_utf16(head) and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return f"extension {ext or '(none)'} does not match content: binary data (NUL bytes), not text"
    if _implausible_share(head) > MAX_IMPLAUSIBLE_SHARE:
        return f"extension {ext or '(none)'} does not match content: binary data, not text"
    markup = _markup(head)
    if markup == "HTML" and ext not in (".html", ".htm"):
        return (f"extension {ext or '(none)'} does not match content: the file is HTML; "
                "save it as .html, or as plain text")
    if markup in ("JSON", "XML"):
        return (f"extension {ext or '(none)'} does not match content: the file is {markup}, which is "
                "not read; save the issue as plain text")
    return None


# WHATWG MIME Sniffing Standard, 7.1 "Identifying a resource with an unknown MIME type": after
# leading whitespace, these tags followed by a space or ">" mean HTML, and "<?xml" means XML.
_HTML_START = re.compile(r"<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|"
                         r"body|br|p|!--)[ >]", re.IGNORECASE)
_XHTML = re.compile(r"<!doctype html|<html[\s>]", re.IGNORECASE)
# JSON: an object opening with a key (or empty), or an array of objects, arrays or strings. Not a
# bare "[1" or "[本报讯]": a Chinese issue may start so, exported JSON data does not.
_JSON_START = re.compile(r'\{\s*["}]|\[\s*[\[{"]')


def _markup(head: bytes) -> str | None:
    """"HTML", "XML" or "JSON" when the start of a text file is markup, else None.

    Args:
        head: the first bytes of the file (a few KiB; may be cut mid-character).

    Returns:
        The kind of markup by the WHATWG sniffing rules (HTML, XML; an XML file that declares
        an HTML doctype or root is HTML) or by JSON's first tokens; None for anything else.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        start = head.decode("utf-16", "replace")
    elif codec := _looks_utf16(head):
        start = head.decode(codec, "replace")
    else:  # the patterns are ASCII: Latin-1 keeps every byte where it was
        start = head.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    start = start.lstrip("\ufeff \t\n\x0c\r")[:4096]
    if start.startswith("<?xml"):
        return "HTML" if _XHTML.search(start) else "XML"
    if _HTML_START.match(start):
        return "HTML"
    if _JSON_START.match(start):
        return "JSON"
    return None


MAX_IMPLAUSIBLE_SHARE = 0.1  # real issue text measures 0.0; random bytes about 0.3
# Characters a newspaper text file is made of: ASCII, Latin-1, general punctuation, symbols
# (■ □ ● …), CJK punctuation, kana, ideographs, full-width forms. Binary data decoded as text
# lands mostly outside these (control codes, U+FFFD, scattered scripts).
_PLAUSIBLE = re.compile(
    "[\t\n\r\f\x20-\x7e\xa0-\xff\u2000-\u27ff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)


def _implausible_share(head: bytes) -> float:
    """Share of characters unlikely in a text file, with ``head`` decoded the way it most likely
    is: UTF-16 by BOM or NUL parity, else the best of UTF-8, GB18030 and Big5 (leniently, as the
    head may be cut mid-character). Big5 counts too: GB18030 decodes Big5 bytes into odd symbols."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = [head.decode("utf-16", "replace")]
    elif codec := _looks_utf16(head):
        candidates = [head.decode(codec, "replace")]
    else:
        candidates = [head.decode(enc, "replace") for enc in ("utf-8", "gb18030", "big5")]
    shares = [1 - len(_PLAUSIBLE.findall(t)) / len(t) for t in candidates if t]
    return min(shares, default=0.0)


# --------------------------------------------------------------------------------------------
# Plain text
# --------------------------------------------------------------------------------------------
def _clean(text: str) -> str:
    text = _NEWLINES.sub("\n", text)
    return _ZERO_WIDTH.sub("", text)


_KANA = re.compile("[\u3040-\u30ff]")
#: Japanese prose is about half kana; a Chinese issue has none (0 in every sample and test file).
MAX_KANA_SHARE = 0.05


def _kana_share(text: str) -> float:
    """Share of non-space characters that are hiragana or katakana (U+3040-30FF), 0-1."""
    return len(_KANA.findall(text)) / max(1, len("".join(text.split())))


def _refuse_if_japanese(data: bytes) -> None:
    """GB18030 decodes Shift-JIS/EUC-JP bytes 'validly' into nonsense; when the bytes decode
    strictly as Japanese with more than ``MAX_KANA_SHARE`` kana, refuse them as not Chinese
    (adversarial run).

    Raises:
        RefusedFile: "not Chinese text: Japanese (SHIFT-JIS)" or "… (EUC-JP)".
    """
    for codec in ("shift_jis", "euc_jp"):
        decoded = _decode_truncated(data, codec)  # a file cut mid-character is still Japanese
        if decoded is None:
            continue
        if _kana_share(decoded[0]) > MAX_KANA_SHARE:
            raise RefusedFile(f"not Chinese text: Japanese ({codec.replace('_', '-').upper()})")


#: Runs of this many punctuation/symbol characters (spaces removed) are junk or layout, not language.
MIN_SYMBOL_RUN = 8
_SYMBOL_RUN = re.compile(rf"[\W_]{{{MIN_SYMBOL_RUN},}}")
#: Least share of the counted characters that must be Han for the text to count as Chinese.
MIN_HAN_SHARE = 0.2


def _check_chinese(text: str) -> None:
    """Refuse text that is not Chinese: fewer than 2 Han characters, or Han less than
    ``MIN_HAN_SHARE`` of the non-space characters, not counting runs of ``MIN_SYMBOL_RUN`` or more
    punctuation/symbol characters.

    One junk line of 100,000 '=' in a valid issue made the whole issue measure 2 % Chinese (known
    gap); separator lines ("==========", "**********", "-=-=-=-=-=") say nothing about the language.
    Only such runs are left out: letters and digits all count as before, so English, digit tables
    and binary decoded as Latin-1 or GB18030 nonsense (symbols scattered, rarely 8 in a row) still fail.

    Raises:
        RefusedFile: "empty file" (no non-space character); "not Chinese text: N Chinese characters
            in M non-space characters" (", not counting K in runs of punctuation/symbols" added
            when there were such runs).
    """
    stripped = "".join(text.split())
    if not stripped:
        raise RefusedFile("empty file")
    han = sum(1 for _ in _HAN.finditer(stripped))  # no list of millions of 1-character strings
    junk = sum(m.end() - m.start() for m in _SYMBOL_RUN.finditer(stripped))
    counted = len(stripped) - junk
    if han < 2 or han < MIN_HAN_SHARE * counted:
        raise RefusedFile(f"not Chinese text: {han} Chinese characters in {counted} non-space characters"
                          + (f", not counting {junk} in runs of punctuation/symbols" if junk else ""))


def _decode_truncated(data: bytes, enc: str) -> tuple[str, str | None] | None:
    """Strict decode; a sequence cut at the very end is dropped with a warning. None = not this enc."""
    try:
        return data.decode(enc), None
    except UnicodeDecodeError as exc:
        # An error in the last 3 bytes caused by running out of input: a cut last character.
        dec = codecs.getincrementaldecoder(enc)()
        try:
            text = dec.decode(data, final=False)
        except UnicodeDecodeError:
            return None
        pending = len(data) - exc.start if exc.start < len(data) else 0
        if 0 < pending <= 3:
            return text, (f"file truncated: the last {pending} byte(s) at offset {exc.start} are an "
                          f"incomplete {enc} character and were dropped")
        return None


def _odd_share(text: str) -> float:
    """Share of non-ASCII characters that look like mis-decoding (kana, Greek, Cyrillic, box
    drawing, private use) — high for Big5 bytes decoded as GB18030."""
    non_ascii = len(_NON_ASCII.findall(text[:200000]))
    if not non_ascii:
        return 0.0
    return len(_ODD.findall(text[:200000])) / non_ascii


def _gb_rare_share(text: str) -> float:
    """Share (by occurrences) of Han characters that are outside GB2312 (rare in simplified text)."""
    counts = Counter(text)
    counts = {ch: n for ch, n in counts.items() if ch >= "\u3400"}
    total = sum(counts.values())
    if not total:
        return 0.0
    rare = 0
    for ch, n in counts.items():
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            rare += n
    return rare / total


def _first_bad(data: bytes, enc: str) -> int:
    try:
        data.decode(enc)
    except UnicodeDecodeError as exc:
        return exc.start
    except LookupError:
        return 0
    return -1


def decode_text(data: bytes) -> DecodedText:
    """Decode plain-text bytes.

    Args:
        data: the whole file (bytes; never a truncated prefix: detection looks at all of it).

    Returns:
        DecodedText (headline_hints empty). ``confidence`` is 1.0 for a BOM, 0.99 strict UTF-8,
        0.95 strict GB18030 (0.8 when it had to be told apart from Big5), ≈ 1 − chaos for
        charset-normalizer guesses.

    Raises:
        RefusedFile: "empty file"; more than 0.5 % undecodable characters (reason names the first
        bad byte offset); no encoding found; text that is not Chinese.
    """
    if not data.strip(b" \t\r\n\x00\x0c"):
        raise RefusedFile("empty file")
    warnings: list[str] = []
    text: str | None = None
    enc = ""
    conf = 0.0
    boms = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
            (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"),
            (codecs.BOM_UTF16_BE, "utf-16-be"))
    for bom, name in boms:
        if data.startswith(bom):
            body = data[len(bom):] if name != "utf-8-sig" else data
            codec = name if name != "utf-8-sig" else "utf-8-sig"
            r = _decode_truncated(body, codec)
            if r is None:
                raise RefusedFile(f"file has a {name} byte-order mark but is not valid {name}: first bad "
                                  f"byte at offset {_first_bad(body, codec) + (len(data) - len(body))}")
            text, w = r
            enc, conf = name, 1.0
            if w:
                warnings.append(w)
            break
    if text is None:
        # Strict decodes in the order: UTF-16 without BOM (NUL pattern), UTF-8, GB18030.
        u16 = _looks_utf16(data[:65536])
        tries = ([(u16, 0.9)] if u16 else []) + [("utf-8", 0.99), ("gb18030", 0.95)]
        for codec, confidence in tries:
            r = _decode_truncated(data, codec)
            if r is not None:
                (text, w), enc, conf = r, codec, confidence
                if w:
                    warnings.append(w)
                break
        # Big5 bytes are (almost always) valid GBK: check the result looks like simplified text.
        rare = _gb_rare_share(text) if enc == "gb18030" else 0.0
        if rare > 0.2 or (rare > 0.05 and _odd_share(text) > 0.05):
            try:
                alt = data.decode("big5hkscs")
            except UnicodeDecodeError:
                alt = None
            if alt is not None and _odd_share(alt) < _odd_share(text) + 1e-9 \
                    and _gb_rare_share_big5(alt) <= _gb_rare_share(text):
                text, enc, conf = alt, "big5", 0.8
                warnings.append("decoded as Big5 (bytes are also valid GB18030, which gave unlikely "
                                "characters)")
            else:
                conf = 0.7
                _refuse_if_japanese(data)
        # EUC-JP is EUC-coded like GB2312 and puts its kana on the same rows (0xA4/0xA5), so it
        # decodes strictly as GB18030 into real kana among common, wrong Han: neither rare nor odd
        # enough for the Big5 test above (it was read as Chinese). Kana in "Chinese" text: ask Japanese.
        if enc == "gb18030" and _kana_share(text) > MAX_KANA_SHARE:
            _refuse_if_japanese(data)
    if text is None:
        text, enc, conf = _decode_guess(data, warnings)
    text = _clean(text)
    if not text.strip():
        raise RefusedFile("empty file")
    try:
        _check_chinese(text)
    except RefusedFile:
        # UTF-16 without BOM and without ASCII has no NULs: last try before refusing.
        if len(data) % 2 == 0 and enc not in ("utf-16-le", "utf-16-be"):
            for cand in ("utf-16-le", "utf-16-be"):
                try:
                    alt = _clean(data.decode(cand))
                except UnicodeDecodeError:
                    continue
                s = "".join(alt.split())
                # real Chinese prose has full-width 。/， (bytes ≥ 0x80 that ASCII never produces)
                if s and len(_HAN.findall(s)) >= 0.6 * len(s) and ("。" in s or "，" in s):
                    return DecodedText(alt, cand, 0.6, [*warnings, "UTF-16 without BOM or ASCII"], set())
        raise
    return DecodedText(text, enc, conf, warnings, set())


def _gb_rare_share_big5(text: str) -> float:
    """For a Big5 candidate: share of Han characters that are not traditional/common (not
    encodable in Big5 would be impossible, so measure kana etc. instead)."""
    return _odd_share(text)


def _decode_guess(data: bytes, warnings: list[str]) -> tuple[str, str, float]:
    """Neither strict UTF-8 nor strict GB18030: ask charset-normalizer (whole file), then refuse if
    more than 0.5 % of characters are undecodable in the chosen encoding."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    candidates = []
    if best is not None:
        candidates.append((best.encoding, max(0.0, 1.0 - float(best.chaos))))
    # Mixed / damaged Chinese files: measure our two main encodings too.
    candidates += [("utf-8", 0.5), ("gb18030", 0.5)]
    scored = []
    for enc, conf in candidates:
        try:
            text = data.decode(enc, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        scored.append((bad / max(1, len(text)), enc, conf, text, bad))
    if not scored:
        raise RefusedFile("cannot detect the text encoding")
    share, enc, conf, text, bad = min(scored, key=lambda x: (x[0], -x[2]))
    first = _first_bad(data, enc)
    if share > MAX_BAD_SHARE:
        raise RefusedFile(
            f"undecodable: {bad} of {len(text)} characters ({share:.1%}) are not valid {enc} "
            f"(mixed encodings or binary data); first bad byte at offset {first}")
    if bad:
        warnings.append(f"{bad} undecodable character(s) replaced with U+FFFD; first bad byte at offset {first}")
    return text, enc, round(conf * (1 - share), 3)


# --------------------------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------------------------
def _zip_guard(data: bytes, max_uncompressed: int) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise RefusedFile(f"not a valid .docx (broken zip container: {exc})") from exc
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > max_uncompressed:
            raise RefusedFile(f"zip bomb guard: .docx would expand to {total} bytes, limit "
                              f"{max_uncompressed} bytes")
        for i in infos:
            if i.file_size > 1024 * 1024 and i.file_size > MAX_COMPRESSION_RATIO * max(1, i.compress_size):
                raise RefusedFile(
                    f"zip bomb guard: member {i.filename} expands {i.file_size // max(1, i.compress_size)}x "
                    f"({i.compress_size} → {i.file_size} bytes), limit {MAX_COMPRESSION_RATIO}x")
        names = {i.filename for i in infos}
        if "word/document.xml" not in names:
            raise RefusedFile("not a valid .docx: no word/document.xml (maybe another Office format)")


def _read_docx(data: bytes, max_uncompressed: int) -> DecodedText:
    _zip_guard(data, max_uncompressed)
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise RefusedFile(f"not a valid .docx: {type(exc).__name__}: {exc}") from exc
    lines: list[str] = []
    hints: set[int] = set()

    # Style names by id, once: python-docx's p.style scans every style on each call, which made a
    # .docx of 10,000 paragraphs take 13 s (adversarial run).
    style_names = {st.style_id: st.name or "" for st in document.styles}
    bold_styles = {st.style_id for st in document.styles
                   if getattr(getattr(st, "font", None), "bold", None)}

    def is_headline(p, first: str) -> bool:
        style = style_names.get(p._p.style or "", "")
        if style.lower().startswith(("heading", "title", "subtitle")) or "标题" in style:
            return True
        if len(first.strip()) > 40:
            return False
        runs = [r for r in p._p.r_lst if r.text.strip()]
        return bool(runs) and all(
            (r.rPr is not None and r.rPr.b is not None and r.rPr.b.val is not False)
            or (r.rPr is not None and r.rPr.style in bold_styles) for r in runs)

    def para(p) -> None:
        parts = _clean(p.text).split("\n")
        if parts[0].strip() and is_headline(p, parts[0]):
            hints.add(len(lines))
        lines.extend(parts)

    def table(tb) -> None:
        # The <w:tc> elements themselves, not row.cells: resolving vertical merges recursed once per
        # merged row (RecursionError at ~1,500 rows; adversarial run). A merge's continuation cells
        # are empty, so nothing is read twice.
        for tr in tb._tbl.tr_lst:
            for tc in tr.tc_lst:
                for block in tc.iterchildren():
                    tag = block.tag.rsplit("}", 1)[-1]
                    if tag == "p":
                        para(Paragraph(block, tb))
                    elif tag == "tbl":
                        table(Table(block, tb))

    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para(Paragraph(block, document))
        elif tag == "tbl":
            table(Table(block, document))
    text = "\n".join(lines)
    if not text.strip():
        raise RefusedFile("empty file (the .docx has no text)")
    _check_chinese(text)
    return DecodedText(text, "docx", 1.0, [], hints)


MAX_PDF_PAGES = 500  # a newspaper issue has a few dozen pages


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it wraps (``__cause__``/``__context__``/first argument)."""
    out: list[BaseException] = []
    while exc is not None and exc not in out:
        out.append(exc)
        nxt = exc.__cause__ or exc.__context__
        if nxt is None and exc.args and isinstance(exc.args[0], BaseException):
            nxt = exc.args[0]
        exc = nxt
    return out


#: Largest size one PDF stream may decode to (bytes). A newspaper page's content stream is a few MB
#: and a whole embedded CJK font 10-30 MB; a "Flate bomb" of 1 GiB of spaces is 1 MB compressed.
MAX_PDF_STREAM = 64 * 1024 * 1024
_MIB = 1024 * 1024
#: Keys under which pdfminer decodes what they point to whatever its /Subtype: a page's content
#: streams, an embedded font program, a font's ToUnicode CMap (/FontFile3 too, should it ever).
_DECODED_KEYS = ("Contents", "FontFile", "FontFile2", "FontFile3", "ToUnicode")


def _pdf_stream_guard(data: bytes, max_stream: int, max_total: int) -> None:
    """Refuse a PDF whose streams decompress to too much, before pdfplumber reads it.

    pdfminer (under pdfplumber) inflates a stream with a plain ``zlib.decompress`` and keeps the
    result for the document's lifetime: a 1 MB PDF holding 1 GiB of spaces took 2.1 GB of memory
    and 12 s (adversarial run). Each stream is decoded here once, one at a time and thrown away, in
    two views of the file, each summed on its own:

    - pypdf's: every object its cross-reference table lists, each filter's output capped at
      ``max_stream`` (``pypdf.Configuration``);
    - the bytes' (:class:`_RawScan`): every ``stream`` in the file, decoded every way pdfminer
      could (zlib 1 MiB at a time; LZW, ASCIIHex, ASCII85, RunLength). pdfminer does not always
      read the table pypdf reads: it rejected a header written ``xref\\n0  6`` that pypdf accepts,
      rebuilt the table by scanning, and took a later definition of object 5 (a bomb after the
      table's objects) that pypdf never looked at (1 MB file → 2.1 GB, 11 s; adversarial run; as
      LZW, 200 kB → 566 MiB). The raw scan does not depend on any table.

    Images are not counted: pdfminer does not decode an image XObject to extract text (a 6000×4000
    RGB photo, 68.7 MiB decoded, was refused although pdfplumber read the page in 0.2 s at 40 MiB).
    It does decode whatever a page's /Contents or a font's /FontFile, /FontFile2 or /ToUnicode points
    to, so an image any view names there counts like every other stream.

    Args:
        data: the whole PDF (bytes).
        max_stream: bytes one stream may decode to.
        max_total: bytes the counted streams together may decode to (in each view).

    Raises:
        RefusedFile: "PDF stream (object N) decompresses beyond X MiB, the limit for one stream"
            (pypdf's view) or "PDF stream at byte N decompresses beyond …" (the raw scan's); "PDF
            streams decompress to more than X MiB in total"; "PDF streams overlap too much to check
            them (…)" (a file made of would-be streams); "encrypted PDF: …" when the empty
            password does not open it. A file pypdf cannot parse at all (no startxref, a broken
            cross-reference table: pdfminer repairs those by scanning) gets the raw scan only and is
            left to pdfplumber to judge.
    """
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError
    from pypdf.filters import decode_stream_data
    from pypdf.generic import IndirectObject, NameObject, StreamObject

    def too_big(idnum: int, exc: Exception) -> RefusedFile:
        if "Recovery limit" in str(exc):  # a damaged Flate stream pypdf would repair byte by byte
            return RefusedFile(f"PDF stream (object {idnum}) is damaged and too big to repair ({exc})")
        return RefusedFile(f"PDF stream (object {idnum}) decompresses beyond {max_stream / _MIB:g} MiB, "
                           "the limit for one stream")

    total = 0

    def count(idnum: int, obj: StreamObject) -> None:
        nonlocal total
        # pdfminer also takes /F and /DP as a stream's filters (the inline-image names); pypdf
        # reads only /Filter, so copy them across or pypdf would measure the compressed bytes.
        if "/Filter" not in obj and "/F" in obj:
            obj[NameObject("/Filter")] = obj["/F"]
            if "/DP" in obj and "/DecodeParms" not in obj:
                obj[NameObject("/DecodeParms")] = obj["/DP"]
        try:
            total += len(decode_stream_data(obj) if "/Filter" in obj else obj.get_data())
        except LimitReachedError as exc:
            raise too_big(idnum, exc) from exc
        except Exception:  # noqa: BLE001 - a stream pypdf cannot decode is pdfplumber's to judge
            return
        if total > max_total:
            raise RefusedFile(f"PDF streams decompress to more than {max_total / _MIB:g} MiB in total")

    refs: set[int] = set()  # objects pdfminer may decode as content or font data (_DECODED_KEYS)
    links: dict[int, set[int]] = {}  # array or lone-reference object → the objects it names
    images: list[tuple[int, StreamObject]] = []  # counted only when in ``refs``
    limits = {name: max_stream for name in (
        "zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
        "brotli_maximum_output_length", "array_based_stream_maximum_output_length")}
    # jbig2dec_binary=None: never start a program to decode an image; pdfminer does not decode JBIG2.
    with apply_configuration(jbig2dec_binary=None, **limits):
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise RefusedFile("encrypted PDF: it needs a password; save it without one")
        except RefusedFile:
            raise
        except LimitReachedError as exc:  # e.g. a cross-reference stream that is itself a bomb
            raise RefusedFile(f"PDF structure exceeds a decoding limit ({exc})") from exc
        except Exception:  # noqa: BLE001 - no usable xref: pdfminer rebuilds one by scanning, so does the raw scan
            reader = None
        if reader is not None:
            # Object streams first: resolving other objects decodes them and pypdf keeps them decoded,
            # so their sizes must be counted before anything else is read. pdfminer decodes them
            # whatever their dictionary says, so none is ever taken for an image.
            obj_streams = {int(stm) for stm, _ in reader.xref_objStm.values()}
            refs |= obj_streams
            listed = [(0, n) for n in sorted(obj_streams)] + [
                (gen, n) for gen, table in reader.xref.items() for n in table
                if not (gen == 0 and n in obj_streams) and not reader.xref_free_entry.get(gen, {}).get(n)]
            for gen, idnum in listed:
                try:
                    obj = reader.get_object(IndirectObject(idnum, gen, reader))
                except LimitReachedError as exc:  # e.g. an absurd declared /Length, a reference loop
                    raise RefusedFile(f"PDF object {idnum} exceeds a pypdf limit ({exc})") from exc
                except Exception:  # noqa: BLE001 - an object pypdf cannot parse is pdfplumber's to judge
                    continue
                _pypdf_refs(obj, idnum, refs, links)
                if not isinstance(obj, StreamObject):
                    continue
                if (obj.get("/Subtype") == "/Image" and obj.get("/Type") not in ("/ObjStm", "/XRef")
                        and idnum not in obj_streams):
                    images.append((idnum, obj))
                else:
                    count(idnum, obj)
        raw = _RawScan(data, max_stream, max_total)
        refs = _linked(refs | raw.refs, links.get, raw.links)
        for idnum, obj in images:
            if idnum in refs:
                count(idnum, obj)
        raw.count_images(refs)


def _pypdf_refs(obj: object, idnum: int, refs: set[int], links: dict[int, set[int]]) -> None:
    """What pypdf object ``obj`` (object number ``idnum``) says about decoded streams.

    Adds to ``refs`` the object numbers it names under a key in :data:`_DECODED_KEYS` (a reference,
    or the references in an array), looking into nested dictionaries and arrays but never following
    a reference; sets ``links[idnum]`` to the objects it names when it is itself an array or a lone
    reference (``/Contents 9 0 R`` may point to such an object: pdfminer resolves it)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    def named(value: object) -> set[int]:
        if isinstance(value, IndirectObject):
            return {value.idnum}
        if isinstance(value, ArrayObject):
            return {v.idnum for v in value if isinstance(v, IndirectObject)}
        return set()

    if isinstance(obj, (ArrayObject, IndirectObject)):
        links[idnum] = named(obj)
    todo = [obj]
    while todo:
        item = todo.pop()
        if isinstance(item, DictionaryObject):  # dict methods: the raw values, references unresolved
            for key in _DECODED_KEYS:
                refs |= named(dict.get(item, "/" + key))
            todo += [v for v in dict.values(item) if isinstance(v, (DictionaryObject, ArrayObject))]
        elif isinstance(item, ArrayObject):
            todo += [v for v in item if isinstance(v, (DictionaryObject, ArrayObject))]


def _linked(refs: set[int], *lookups) -> set[int]:
    """``refs`` and, again and again, the objects an object in it names when it is an array or a lone
    reference (pdfminer resolves ``/Contents 9 0 R`` and then every reference in object 9).

    Args:
        refs: object numbers.
        lookups: functions object number → the numbers that object names (a set, or None).

    Returns:
        A new set.
    """
    out, todo = set(refs), list(refs)
    while todo:
        number = todo.pop()
        for lookup in lookups:
            for n in lookup(number) or ():
                if n not in out:
                    out.add(n)
                    todo.append(n)
    return out


# PDF tokens as pdfminer's tokenizer (pdfminer.psparser) splits them. A lone ">" is dropped, "<ab>>"
# is a hex string and a dictionary end; names and keywords end at a delimiter (keywords also at #).
_TOKEN = re.compile(
    rb"(?P<skip>(?:\s|\x00|%[^\r\n]*|>(?!>))+)"
    rb"|(?P<num>(?:[+-]\d*|\d+)(?:\.\d*)?|\.\d*)"
    rb"|(?P<name>/[^\s/%\[\]()<>{}]*)"
    rb"|(?P<open><<|[\[{])|(?P<close>>>|[\]}])"
    rb"|(?P<hex><[0-9A-Fa-f\s]*)"
    rb"|(?P<str>\()"
    rb"|(?P<kw>[A-Za-z][^\s#/%\[\]()<>{}]*|.)", re.S)
_STRING_END = re.compile(rb"[()\\]")


def _int(token: bytes) -> int | None:
    """A number token as pdfminer makes it an object number (``int()`` of the int or float), or None
    (pdfminer drops a token such as ``+`` or ``.``)."""
    try:
        return int(token) if b"." not in token else int(float(token))
    except (ValueError, OverflowError):
        return None


def _pdf_tokens(text: bytes, pos: int, end: int):
    """Yield the PDF tokens of ``text[pos:end]`` as pdfminer reads them.

    Yields:
        (kind, bytes, offset after the token): kind "num", "name" (with its "/"), "open" (``<<``,
        ``[``, ``{``), "close", "hex", "str" (the string's raw text between its parentheses), or
        "kw". Whitespace, comments and a lone ``>`` are skipped, as are numbers pdfminer drops.
        Stops at ``end``, also inside an unfinished string.
    """
    while pos < end:
        m = _TOKEN.match(text, pos, end)
        kind, pos = m.lastgroup, m.end()
        if kind == "skip" or (kind == "num" and _int(m[0]) is None):
            continue
        if kind == "str":  # nested parentheses balance; a backslash escapes the next byte
            start, depth = pos, 1
            while depth:
                s = _STRING_END.search(text, pos, end)
                if s is None:
                    return
                pos = s.end() + (s[0] == b"\\")
                depth += {b"(": 1, b")": -1}.get(s[0], 0)
            yield kind, text[start:pos - 1], pos
        else:
            yield kind, m[0], pos


_STRING_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.S)
_ESCAPED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"\r\n": b"", b"\r": b"", b"\n": b""}


def _ref_number(kind: str, value: bytes) -> int | None:
    """The object number pdfminer takes from the entry before ``G R``: ``int()`` of a number, of a
    string's bytes (``(12) 0 R`` names object 12), of a boolean; None for anything else."""
    if kind == "num":
        return _int(value)
    if kind == "kw" and value in (b"true", b"false"):
        return int(value == b"true")
    if kind in ("str", "hex"):
        if kind == "hex":  # pairs of digits are bytes, an odd last digit stays as it is
            value = re.sub(rb"[0-9A-Fa-f]{2}|.", lambda e: bytes([int(e[0], 16)]) if len(e[0]) == 2 else e[0],
                           re.sub(rb"\\s", b"", value[1:]), flags=re.S)
        else:
            value = _STRING_ESCAPE.sub(lambda e: bytes([int(e[1], 8) & 255]) if e[1][:1].isdigit()
                                       else _ESCAPED.get(e[1], e[1]), value)
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _value_refs(text: bytes, pos: int, end: int) -> tuple[set[int], int | None]:
    """The objects the PDF value at ``text[pos:end]`` names, as pdfminer resolves it.

    A value ``N G R`` names N (pdfminer ignores G, whatever it is); an array or dictionary names
    every reference inside it, however deep; anything else names nothing.

    Returns:
        (object numbers, offset after the value, or None when ``end`` comes first).
    """
    refs: set[int] = set()
    levels: list[list[tuple[str, bytes]]] = [[]]  # the entries of the top level and of each open array
    for kind, value, after in _pdf_tokens(text, pos, end):
        entries = levels[-1]
        if kind == "open":
            levels.append([])
            continue
        if kind == "close":
            if len(levels) == 1:  # e.g. the ">>" after a key with no value
                return refs, after
            levels.pop()
            levels[-1].append(("x", b""))
        elif kind == "kw" and value == b"R":
            if len(entries) >= 2:  # pdfminer pops two entries and pushes a reference if it can
                number = _ref_number(*entries[-2])
                del entries[-2:]
                if number is not None:
                    refs.add(number)
                    entries.append(("x", b""))
        else:
            entries.append((kind, value))
        top = levels[0]
        if len(levels) == 1 and top and (top[0][0] not in ("num", "str", "hex", "kw") or len(top) >= 3):
            return refs, after
    return refs, None


def _name_pattern(name: str) -> bytes:
    """Regex bytes for the PDF name /``name``, any of its characters possibly written ``#xx``."""
    return b"/" + b"".join(b"(?:%s|#(?i:%02x))" % (ch.encode(), ord(ch)) for ch in name)


_DECODED_KEY = re.compile(b"(?:" + b"|".join(_name_pattern(k) for k in _DECODED_KEYS)
                          + rb")(?![^\s/%\[\]()<>{}])")
# "N G obj" as pdfminer finds it (from a cross-reference entry, or at a line start when it scans):
# the keyword first, then its numbers in the bytes before it (one regex over the file took 1 s/50 MB).
_OBJ_KEYWORD = re.compile(rb"obj(?![^\s#/%\[\]()<>{}])")
_NUM = rb"((?:[+-]\d*|\d+)(?:\.\d*)?|\.\d+)"
_GAP = rb"(?:\s|\x00|%[^\r\n]*)+"
_OBJ_NUMBERS = re.compile(_NUM + _GAP + _NUM + _GAP + rb"\Z")
# the same read backwards from "obj" (no comment): one match instead of a search
_OBJ_NUMBERS_REVERSED = re.compile(rb"[\s\x00]+([0-9.+\-]+)[\s\x00]+([0-9.+\-]+)(?=[\s\x00#/%\[\]()<>{}]|\Z)")
_NUMBER = re.compile(_NUM)
_OBJ_REACH = 256  # bytes before "obj" searched for its numbers
_DELIMITERS = frozenset(b" \t\n\r\x0b\x0c\x00#/%[]()<>{}")
_MAX_LINKED = 100_000  # definitions of arrays and references kept for _RawScan.links
_NOT_DICT = re.compile(rb"(?:\s|\x00|%[^\r\n]*)*[\[\d+\-.(<]")  # an object that is an array or a reference
# pdfminer's stream data starts after the line that holds the "stream" keyword (not "endstream").
_EOL = re.compile(rb"\r\n|\r|\n")
# A dictionary every reading of the file parses alike: no string, comment, name escape or control byte.
_PLAIN_DICT = re.compile(rb"[^\x00-\x08\x0e-\x1f\x7f-\xff#%()\\{}]*")
_DECODING_NAMES = {b"/Form", b"/ObjStm", b"/XRef", b"/PS"}  # pdfminer decodes these by their dictionary
_MAX_IMAGE_DICT = 64 * 1024
_INFLATE_IN = 64 * 1024  # compressed bytes given to zlib at a time (a bomb inflates 1000:1)
_INFLATE_CHUNK = 1024 * 1024
_OVERLAP = 64 * 1024  # inflated bytes searched again with the next chunk, for a key cut at the edge
_VALUE_BUDGET = 4 * 1024 * 1024  # bytes of values read for references in all (a page's /Contents: ~20)


def _obj_numbers(data: bytes, at: int) -> tuple[int, int, int] | None:
    """(offset of N, N, G) when the "obj" keyword at offset ``at`` follows "N G" as pdfminer
    tokenizes it (comments allowed between), else None."""
    lo = max(0, at - 64)
    m = _OBJ_NUMBERS_REVERSED.match(data[lo:at][::-1])
    if m and (lo == 0 or m.end() < at - lo):
        tokens, start = (m[2][::-1], m[1][::-1]), at - m.end()
    elif b"%" in data[max(0, at - _OBJ_REACH):at] or m:  # a comment, or numbers longer than the window
        n = _OBJ_NUMBERS.search(data, max(0, at - _OBJ_REACH), at)
        if n is None or (n.start() > 0 and data[n.start() - 1] not in _DELIMITERS):
            return None
        tokens, start = (n[1], n[2]), n.start()
    else:
        return None
    if not all(_NUMBER.fullmatch(t) for t in tokens):
        return None  # e.g. "1.2.3" is two numbers to pdfminer
    numbers = [_int(t) for t in tokens]
    return None if None in numbers else (start, numbers[0], numbers[1])


def _plain_image(text: bytes) -> bool:
    """True when ``text``, the bytes between ``N G obj`` at a line start and ``stream``, is one plain
    dictionary (see ``_PLAIN_DICT``) whose /Subtype is /Image and which holds none of the names that
    make pdfminer decode a stream by its dictionary (/Form, /ObjStm, /XRef, /PS).

    Plain text reads the same whatever context a parser enters it in (no string or comment can start
    or end inside it), so pdfminer sees exactly this dictionary for the stream: a /Subtype /Image
    hidden in a nested dictionary, a string or a comment is no image here, and that stream counts.
    """
    if len(text) > _MAX_IMAGE_DICT or b"/Image" not in text or not _PLAIN_DICT.fullmatch(text):
        return False
    stack: list[tuple[bytes, list[tuple[str, bytes]]]] = []  # (opening token, entries)
    top = None
    for kind, value, _ in _pdf_tokens(text, 0, len(text)):
        if top is not None or (kind == "name" and value in _DECODING_NAMES):
            return False  # something after the dictionary, or a name pdfminer decodes by
        if kind == "kw" and value not in (b"true", b"false", b"null", b"R"):
            return False
        if kind == "open":
            if not stack and value != b"<<":
                return False
            stack.append((value, []))
            continue
        if not stack:
            return False  # a value before the dictionary
        if kind == "close":
            opening, entries = stack.pop()
            if opening + value not in (b"<<>>", b"[]"):
                return False  # pdfminer would drop a mismatched close and read on differently
            if stack:
                stack[-1][1].append(("x", b""))
            else:
                top = entries
            continue
        entries = stack[-1][1]
        if kind == "kw" and value == b"R":
            if len(entries) < 2 or entries[-2][0] != "num" or entries[-1][0] != "num":
                return False
            del entries[-2:]
            entries.append(("x", b""))
        else:
            entries.append((kind, value))
    if top is None or len(top) % 2:
        return False
    attrs = {}
    for key, value in zip(top[::2], top[1::2], strict=True):
        if key[0] != "name":
            return False
        attrs[key[1]] = value
    return attrs.get(b"/Subtype") == ("name", b"/Image")


def _zlib_header(head: bytes) -> bool:
    """True when ``head`` (2 bytes) can start zlib data: deflate, a window zlib takes, no preset
    dictionary, the check bits right (RFC 1950)."""
    return (len(head) == 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and not head[1] & 0x20
            and (head[0] << 8 | head[1]) % 31 == 0)


_NOT_HEX = re.compile(rb"[^0-9A-Fa-f\s]")
_NOT_A85 = re.compile(rb"[^!-uz\s]")
_A85_HEAD = re.compile(rb"\s*(?:<?\s*~)?")  # what pdfminer strips around ASCII85 text
_A85_TAIL = re.compile(rb"~\s*>?\s*")
_WORK = 8  # bytes of the file the raw scan may read over again, as many times over (see _RawScan._spend)
_RUN_LENGTH = re.compile(b"(?:" + _name_pattern("RunLengthDecode") + b"|" + _name_pattern("RL")
                         + rb")(?![^\s/%\[\]()<>{}])")


def _lzw_start(head: bytes) -> bool:
    """True when ``head`` (2 bytes) starts with LZW's clear code (256 in 9 bits): pdfminer's LZW
    decoder fails on anything else."""
    return len(head) == 2 and head[0] == 0x80 and head[1] < 0x80


class _RawScan:
    """The bytes' view of :func:`_pdf_stream_guard`, whatever cross-reference table is read.

    Every ``stream`` keyword in the file starts a stream, its data on the next line (as in
    pdfminer), decoded every way pdfminer could decode it, with no dictionary to tell which:

    - zlib data, inflated 1 MiB at a time and never held, up to the zlib data's own end whatever
      ``endstream`` it holds (pdfminer reads /Length bytes, or up to ``endstream`` when it scans);
    - LZW data (it starts with a clear code), ASCIIHex or ASCII85 text (nothing but their
      characters up to ``endstream``), and RunLength data when a /RunLengthDecode (/RL) precedes
      the stream, each decoded up to ``endstream`` (held: at most ``max_stream``), and what they
      give decoded again when it is zlib, LZW or RunLength data.

    Data none of these fits counts nothing here. (Not decoded: CCITTFax, which pdfminer decodes
    only for a stream whose dictionary says so; a filter given by reference.)

    Construction counts every stream except plain image dictionaries (:func:`_plain_image`) and
    gathers :attr:`refs`: the objects named under a key in :data:`_DECODED_KEYS` in the file's bytes
    and in the inflated data (object streams). :meth:`count_images` then counts the images among
    given references. The stream's object number is taken as both numbers of its ``N G obj``: pdfminer
    accepts an entry for object G there too (its repair of malformed files).

    Raises:
        RefusedFile: "PDF stream at byte N decompresses beyond X MiB, the limit for one stream" (N:
            where its data starts); "PDF streams decompress to more than X MiB in total"; "PDF
            streams overlap too much to check them (…)" (see :meth:`_spend`).
    """

    def __init__(self, data: bytes, max_stream: int, max_total: int):
        self.data, self.max_stream, self.max_total, self.total = data, max_stream, max_total, 0
        self.refs: set[int] = set()
        # False once references may have been missed (values beyond the budget, a value longer than
        # the overlap of two chunks, too many definitions): then no image is taken for unreferenced
        self.sure, self.budget = True, _VALUE_BUDGET
        self.work = _WORK * len(data) + _MIB
        self.found: dict[object, tuple[int, int]] = {}  # for _next: what → (searched from, found at)
        self.objects: dict[int, list[int]] = {}  # number → offsets after "N G obj" of arrays, references
        kept = 0
        for m in _OBJ_KEYWORD.finditer(data):
            if _NOT_DICT.match(data, m.end()) and (anchor := _obj_numbers(data, m.start())):
                for n in anchor[1:]:
                    self.objects.setdefault(n, []).append(m.end())
                kept += 1
                if kept > _MAX_LINKED:
                    self.sure = False
                    break
        self._search(data, final=True)
        self.images: list[tuple[int, int, int, set[int]]] = []  # _decode's arguments, object numbers
        pos = 0
        while (keyword := data.find(b"stream", pos)) >= 0:
            after, pos = pos, keyword + 6
            if data[keyword - 3:keyword] == b"end":
                continue
            eol = _EOL.search(data, pos)
            if eol is None:
                break
            pos = eol.end()  # the data; a "stream" later on this line gives the same start
            head = data[pos:pos + 2]
            if not (_zlib_header(head) or _lzw_start(head) or head[:1].isspace() or b"!" <= head[:1] <= b"~"
                    or _RUN_LENGTH.search(data, after, keyword)):
                continue  # no decoder pdfminer has gives anything from there (binary, e.g. JPEG)
            numbers = self._image_numbers(after, keyword)
            if numbers:
                self.images.append((pos, after, keyword, numbers))
            else:
                self._decode(pos, after, keyword, search=True)

    def _image_numbers(self, after: int, keyword: int) -> set[int] | None:
        """The object numbers of the stream whose ``stream`` keyword is at offset ``keyword`` when
        its dictionary is a plain image one (:func:`_plain_image`) after "N G obj" at a line start
        (no comment can hide it from pdfminer there), else None. Only bytes from offset ``after``
        (just past the previous "stream") are read: a dictionary holding "stream" is not plain."""
        data = self.data
        at = data.rfind(b"obj", max(after, keyword - _MAX_IMAGE_DICT - 3), keyword)
        if at < 0 or not _OBJ_KEYWORD.match(data, at) or not (anchor := _obj_numbers(data, at)):
            return None
        eol = max(data.rfind(b"\n", max(0, after - 1), anchor[0]), data.rfind(b"\r", max(0, after - 1), anchor[0]))
        if (eol < 0 and after > 0) or data[eol + 1:anchor[0]].strip() or not _plain_image(data[at + 3:keyword]):
            return None
        return set(anchor[1:])

    def links(self, number: int) -> set[int]:
        """The objects named by the definitions of object ``number`` that are arrays or references."""
        out: set[int] = set()
        for pos in self.objects.get(number, ()):
            if _NOT_DICT.match(self.data, pos):
                out |= self._value(self.data, pos, final=True)
        return out

    def count_images(self, refs: set[int]) -> None:
        """Count the image streams whose object number is in ``refs`` (all of them when unsure)."""
        for start, after, keyword, numbers in self.images:
            if not self.sure or numbers & refs:
                self._decode(start, after, keyword, search=False)

    def _search(self, text: bytes, final: bool) -> bytes:
        """Add to :attr:`refs` what ``text`` names under :data:`_DECODED_KEYS`. Returns the last
        ``_OVERLAP`` bytes to search again before the next chunk (b"" when ``final``)."""
        keep = len(text) if final else max(0, len(text) - _OVERLAP)
        if not self.sure:
            return b""  # every image counts anyway
        for m in _DECODED_KEY.finditer(text):
            self.refs |= self._value(text, m.end(), final=final or m.start() < keep)
            if not self.sure:
                return b""
        return text[keep:]

    def _value(self, text: bytes, pos: int, final: bool) -> set[int]:
        """:func:`_value_refs` within what is left of :attr:`budget`; an unfinished value makes the
        scan unsure unless ``text`` ends there and is not ``final`` (the next chunk reads it again)."""
        end = min(len(text), pos + self.budget)
        if end <= pos:
            self.sure = False
            return set()
        found, after = _value_refs(text, pos, end)
        self.budget -= (after or end) - pos
        if after is None and (final or end < len(text)):
            self.sure = False
        return found

    def _decode(self, start: int, after: int, keyword: int, search: bool) -> None:
        """Count the stream whose data starts at offset ``start`` (its "stream" at ``keyword``, the
        previous one ending at ``after``) decoded each way that fits; ``search``: look for references
        in what zlib gives (object streams)."""
        data, self.at = self.data, start
        self._inflate(data, start, search)
        end = self._next(b"endstream", start)
        run_length = _RUN_LENGTH.search(data, after, keyword) is not None
        self._decode_binary(data, start, end, run_length)
        first = data[start:start + 1]  # ASCIIHex: up to ">" (pdfminer stops there) or the end
        bad = self._next(_NOT_HEX, start) if first.isspace() or first in b"0123456789ABCDEFabcdef" else start
        if bad > start and (bad >= end or data[bad] == ord(">")):
            self._spend(min(bad, end) - start)
            digits = re.sub(rb"\s", b"", data[start:min(bad, end)])
            self._decode_again(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode()), run_length)
        if first.isspace() or b"!" <= first <= b"u" or first in b"z~":  # ASCII85: up to "~>" or the end
            text_start = _A85_HEAD.match(data, start, end).end()
            bad = self._next(_NOT_A85, text_start)
        else:
            text_start = bad = start
        if bad > text_start and (bad >= end or _A85_TAIL.fullmatch(data, bad, end)):
            text = data[text_start:min(bad, end)]
            self._spend(len(text))
            if 4 * text.count(b"z") + len(text) > self.max_stream:  # "z" is 4 bytes, 5 characters 4 bytes
                raise self._too_big()
            with contextlib.suppress(ValueError):  # not ASCII85 after all: pdfminer fails on it too
                self._decode_again(base64.a85decode(text), run_length)

    def _next(self, what: bytes | re.Pattern, pos: int) -> int:
        """Offset of the first ``what`` (bytes, or a regex) at or after ``pos``, else the file's length.
        The last answer is kept: streams come in order, so a long run without a match is searched
        once, not once for every stream in it."""
        searched, found = self.found.get(what, (-1, -1))
        if not searched <= pos <= found:
            if isinstance(what, bytes):
                found = self.data.find(what, pos)
            else:
                m = what.search(self.data, pos)
                found = m.start() if m else -1
            found = len(self.data) if found < 0 else found
            self.found[what] = (pos, found)
        return found

    def _spend(self, size: int) -> None:
        """Take ``size`` bytes read by a decoder other than zlib from :attr:`work`: streams in a file
        do not overlap, so a file whose would-be streams make the raw scan read it over and over
        (``stream`` keywords inside others' data, by the thousand) is refused before that gets slow."""
        self.work -= size
        if self.work < 0:
            raise RefusedFile(f"PDF streams overlap too much to check them (more than {_WORK} times the file)")

    def _decode_again(self, decoded: bytes, run_length: bool) -> None:
        """Count ``decoded`` (ASCIIHex or ASCII85 output) and what it decodes to in turn."""
        self._add(len(decoded))
        self._inflate(decoded, 0, search=False)
        self._decode_binary(decoded, 0, len(decoded), run_length)

    def _decode_binary(self, buf: bytes, start: int, end: int, run_length: bool) -> None:
        """Count ``buf[start:end]`` decoded as LZW when it starts like LZW, as RunLength when
        ``run_length``, and what either gives inflated (zlib) in turn."""
        from pdfminer.lzw import LZWDecoder

        outputs = []
        if _lzw_start(buf[start:start + 2]) or run_length:
            self._spend(end - start)
        if _lzw_start(buf[start:start + 2]):
            parts, size = [], 0
            try:
                for part in LZWDecoder(io.BytesIO(buf[start:end])).run():  # pdfminer's, stopped at the limit
                    size += len(part)
                    if size > self.max_stream:
                        raise self._too_big()
                    parts.append(part)
            except RefusedFile:
                raise
            except Exception:  # noqa: BLE001 - damaged LZW data: pdfminer fails on it too
                pass
            outputs.append(b"".join(parts))
        if run_length:  # pdfminer's rldecode: a length byte, then that many bytes plus one, or a run
            out, k = bytearray(), start
            while k < end and buf[k] != 128:
                n = buf[k]
                out += buf[k + 1:min(end, k + 2 + n)] if n < 128 else buf[k + 1:min(end, k + 2)] * (257 - n)
                k += n + 2 if n < 128 else 2
                if len(out) > self.max_stream:
                    raise self._too_big()
            outputs.append(bytes(out))
        for out in outputs:
            self._add(len(out))
            self._inflate(out, 0, search=False)

    def _too_big(self) -> RefusedFile:
        return RefusedFile(f"PDF stream at byte {self.at} decompresses beyond {self.max_stream / _MIB:g} MiB, "
                           "the limit for one stream")

    def _add(self, size: int) -> None:
        if size > self.max_stream:
            raise self._too_big()
        self.total += size
        if self.total > self.max_total:
            raise RefusedFile(f"PDF streams decompress to more than {self.max_total / _MIB:g} MiB in total")

    def _inflate(self, buf: bytes, start: int, search: bool) -> None:
        """Count ``buf`` from offset ``start`` inflated (zlib), if it is zlib data."""
        if not _zlib_header(buf[start:start + 2]):
            return
        data, size, tail, pos = memoryview(buf), 0, b"", start
        inflater = zlib.decompressobj()
        try:
            while pos < len(data) and not inflater.eof:
                piece = data[pos:pos + _INFLATE_IN]
                pos += len(piece)
                out = inflater.decompress(piece, _INFLATE_CHUNK)
                while True:
                    size += len(out)
                    if size > self.max_stream:
                        raise self._too_big()
                    if search and out:
                        tail = self._search(tail + out, final=False)
                    if inflater.eof or not inflater.unconsumed_tail:
                        break
                    out = inflater.decompress(inflater.unconsumed_tail, _INFLATE_CHUNK)
        except zlib.error:
            pass  # damaged after ``size`` bytes: those still count
        if search and tail:
            self._search(tail, final=True)
        self._add(size)


def _read_pdf(data: bytes, max_uncompressed: int = MAX_UNCOMPRESSED) -> DecodedText:
    _pdf_stream_guard(data, min(MAX_PDF_STREAM, max_uncompressed), max_uncompressed)
    try:
        import pdfplumber

        pages: list[str] = []
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            n_pages = len(pdf.pages)
            if n_pages > MAX_PDF_PAGES:
                raise RefusedFile(f"PDF has {n_pages} pages; an issue has at most {MAX_PDF_PAGES}")
            for page in pdf.pages:
                pages.append(page.extract_text() or "")
                page.close()  # free the page's parsed objects: 2,000 pages held 4.7 GB (adversarial run)
    except RefusedFile:
        raise
    except Exception as exc:
        if "Password" in "".join(type(e).__name__ for e in _causes(exc)):
            raise RefusedFile("encrypted PDF: it needs a password; save it without one") from exc
        raise RefusedFile(f"not a readable PDF: {type(exc).__name__}: {exc}") from exc
    text = _clean("\n".join(pages))
    if len("".join(text.split())) < 10:
        raise RefusedFile("no text layer, OCR not supported"
                          f" ({n_pages} page(s), {len(''.join(text.split()))} characters of text)")
    _check_chinese(text)
    return DecodedText(text, "pdf", 0.9, [], set())


_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "title", "section",
               "article", "header", "footer", "table", "blockquote", "pre", "hr"}


def _read_html(data: bytes) -> DecodedText:
    from html.parser import HTMLParser

    dec = decode_text_raw(data)

    class P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.lines: list[str] = [""]
            self.hints: set[int] = set()
            self.skip = 0
            self.head = 0

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "style"):
                self.skip += 1
            if tag in _BLOCK_TAGS:
                self.lines.append("")
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.head += 1

        def handle_endtag(self, tag):
            if tag in ("script", "style") and self.skip:
                self.skip -= 1
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self.head:
                self.head -= 1
            if tag in _BLOCK_TAGS:
                self.lines.append("")

        def handle_data(self, d):
            if self.skip:
                return
            parts = d.split("\n")
            for k, part in enumerate(parts):
                if k:
                    self.lines.append("")
                self.lines[-1] += part
                if self.head and part.strip():
                    self.hints.add(len(self.lines) - 1)

    p = P()
    p.feed(dec.text)
    p.close()
    text = "\n".join(p.lines)
    _check_chinese(text)
    return DecodedText(text, f"html/{dec.encoding}", dec.confidence, dec.warnings, p.hints)


def decode_text_raw(data: bytes) -> DecodedText:
    """:func:`decode_text` without the "is Chinese" check (used for HTML, whose tags are ASCII)."""
    try:
        return decode_text(data)
    except RefusedFile as exc:
        if not exc.reason.startswith("not Chinese"):
            raise
        text = _clean(data.decode("utf-8", errors="replace"))
        return DecodedText(text, "utf-8", 0.5, ["decoded as UTF-8 for markup"], set())


def read_document(data: bytes, file_name: str, *, max_bytes: int = MAX_BYTES,
                  max_uncompressed: int = MAX_UNCOMPRESSED) -> DecodedText:
    """Read one issue file of any accepted format.

    Args:
        data: the whole file content (bytes).
        file_name: the file's name; its extension chooses the reader (.txt/.text/none/.md → plain
            text, .docx → python-docx, .pdf → pdfplumber, .html/.htm → tags stripped).
        max_bytes: refuse files larger than this many bytes (default 20 MiB).
        max_uncompressed: for .docx, refuse when the zip members' declared sizes sum to more than this
            many bytes (checked before extracting; absurd compression ratios are refused too); for
            .pdf, refuse when its streams decode to more than this many bytes together, or one stream
            to more than ``MAX_PDF_STREAM`` (checked with pypdf's limits before pdfplumber reads it).

    Returns:
        DecodedText; for .docx ``headline_hints`` holds the lines in a heading style or all bold and
        ≤ 40 characters, tables come out cell by cell in document order.

    Raises:
        RefusedFile: type not read, extension/content mismatch, too big, zip bomb, PDF stream
            decompressing beyond the limits, empty, not Chinese, undecodable, or a PDF without text
            layer ("no text layer, OCR not supported").
    """
    if len(data) > max_bytes:
        raise RefusedFile(f"file too big: {len(data)} bytes, limit {max_bytes} bytes")
    if not data:
        raise RefusedFile("empty file")
    reason = sniff(file_name, data[:8192])
    if reason:
        raise RefusedFile(reason)
    ext = _ext(file_name)
    if ext == ".docx":
        return _read_docx(data, max_uncompressed)
    if ext == ".pdf":
        return _read_pdf(data, max_uncompressed)
    if ext in (".html", ".htm"):
        return _read_html(data)
    return decode_text(data)
