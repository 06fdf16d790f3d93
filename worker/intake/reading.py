"""Bytes → text: decode an issue file (plain text, .docx, .pdf, optional .md/.html).

Public API: :class:`RefusedFile`, :func:`sniff`, :class:`DecodedText`, :func:`read_document`,
:func:`decode_text`. Everything here is pure (no file-system access): callers pass bytes.

Encoding detection order for plain text (issue tracker "Reading"): BOM → UTF-16 without BOM (NUL
pattern) → strict UTF-8 → strict GB18030 (checked for Big5 that happens to be valid GBK) →
charset-normalizer on the whole file. Text is then cleaned: CRLF/CR → LF, NUL, form feed and
zero-width characters removed.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

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
# Characters a newspaper text file is made of: ASCII, Latin-1, Greek and Cyrillic, general
# punctuation, symbols (■ □ ● …), CJK punctuation, kana, bopomofo, enclosed CJK, ideographs with
# the rare-character extensions (𠀀 𪚥 in names), Hangul, full-width forms, emoji. Binary data
# decoded as text lands mostly outside these (control codes, U+FFFD, scattered scripts).
_PLAUSIBLE = re.compile(
    "[\t\n\r\f\x20-\x7e\xa0-\xff\u0370-\u04ff\u1100-\u11ff\u2000-\u27ff\u3000-\u33ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
    "\U0001f000-\U0001faff\U00020000-\U0003134f]"
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
    except RefusedFile as exc:
        tried = [enc.upper()]
        alt = _other_readings(data, enc, warnings, tried)
        if alt is not None:
            return alt
        if exc.reason.startswith("not Chinese text"):
            raise RefusedFile(f"{exc.reason} (tried {', '.join(tried)})") from None
        raise
    return DecodedText(text, enc, conf, warnings, set())


def _other_readings(data: bytes, enc: str, warnings: list[str], tried: list[str]) -> DecodedText | None:
    """The first reading failed the Chinese check: try the others before refusing. Bytes may be
    valid UTF-8 *and* valid GB18030 (GB18030 rows 0xC2–0xDF with trail bytes 0x80–0xBF are UTF-8
    two-byte sequences: Greek, Cyrillic …, mixed within a word); UTF-16 without BOM and without ASCII has no NULs.
    Returns the reading that passes, or None; appends each encoding tried to ``tried``."""
    if enc == "utf-8":
        from charset_normalizer.md import mess_ratio

        tried.append("GB18030")
        r = _decode_truncated(data, "gb18030")
        # Real Greek or Russian in UTF-8 is also valid GB18030 (as common Han): only a UTF-8 reading
        # that is a mess of scripts (charset-normalizer's measure, its 0.2 threshold) is given up.
        if r is not None and mess_ratio(data.decode("utf-8", "ignore")[:100_000], 0.2) >= 0.2:
            alt = _clean(r[0])
            try:
                _check_chinese(alt)
            except RefusedFile:
                pass
            else:
                return DecodedText(alt, "gb18030", 0.7, [*warnings, *([r[1]] if r[1] else []),
                                   "bytes are also valid UTF-8, which gave no Chinese text: read as GB18030"],
                                   set())
    if enc not in ("utf-16-le", "utf-16-be"):  # an odd byte count fails to decode: tried all the same
        for cand in ("utf-16-le", "utf-16-be"):
            tried.append(cand.upper())
            try:
                alt = _clean(data.decode(cand))
            except UnicodeDecodeError:
                continue
            s = "".join(alt.split())
            # real Chinese prose has full-width 。/， (bytes ≥ 0x80 that ASCII never produces)
            if s and len(_HAN.findall(s)) >= 0.6 * len(s) and ("。" in s or "，" in s):
                return DecodedText(alt, cand, 0.6, [*warnings, "UTF-16 without BOM or ASCII"], set())
    return None


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


#: Largest size one PDF stream may decode to (bytes). A newspaper page's content stream is a few MB
#: and a whole embedded CJK font 10-30 MB; a "Flate bomb" of 1 GiB of spaces is 1 MB compressed.
MAX_PDF_STREAM = 64 * 1024 * 1024
_MIB = 1024 * 1024


def _pdf_stream_guard(data: bytes, max_stream: int, max_total: int) -> None:
    """Refuse a PDF whose streams decompress to too much, before pdfplumber reads it.

    pdfminer (under pdfplumber) inflates a stream with a plain ``zlib.decompress`` and keeps the
    result for the document's lifetime: a 1 MB PDF holding 1 GiB of spaces took 2.1 GB of memory
    and 12 s (adversarial run). pypdf decodes with output limits (``pypdf.Configuration``), so every
    stream in the file is decoded once here, one at a time and thrown away, with each filter's
    output capped at ``max_stream``, and the decoded sizes are summed. Images and embedded files
    count too: pdfminer decodes a stream because of where it is referenced (page content, font
    file, form), not because of its /Subtype, so a bomb marked /Image could still be page content.

    Args:
        data: the whole PDF (bytes).
        max_stream: bytes one stream may decode to.
        max_total: bytes all streams together may decode to.

    Raises:
        RefusedFile: "PDF stream (object N) decompresses beyond X MiB, the limit for one stream";
            "PDF streams decompress to more than X MiB in total"; "encrypted PDF: …" when the empty
            password does not open it. A file pypdf cannot parse at all (no startxref, a broken
            cross-reference table: pdfminer repairs those by scanning) is checked by
            :func:`_raw_flate_guard` instead and left to pdfplumber to judge.
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
        except Exception:  # noqa: BLE001 - no usable xref: pdfminer rebuilds one by scanning, so do we
            _raw_flate_guard(data, max_stream, max_total)
            return
        # Object streams first: resolving other objects decodes them and pypdf keeps them decoded,
        # so their sizes must be counted before anything else is read.
        obj_streams = {int(stm) for stm, _ in reader.xref_objStm.values()}
        refs = [(0, n) for n in sorted(obj_streams)] + [
            (gen, n) for gen, table in reader.xref.items() for n in table
            if not (gen == 0 and n in obj_streams) and not reader.xref_free_entry.get(gen, {}).get(n)]
        total = 0
        for gen, idnum in refs:
            try:
                obj = reader.get_object(IndirectObject(idnum, gen, reader))
            except LimitReachedError as exc:  # e.g. an absurd declared /Length, a reference loop
                raise RefusedFile(f"PDF object {idnum} exceeds a pypdf limit ({exc})") from exc
            except Exception:  # noqa: BLE001 - an object pypdf cannot parse is pdfplumber's to judge
                continue
            if not isinstance(obj, StreamObject):
                continue
            if obj.get("/Subtype") == "/Image":  # pdfminer does not decode images for text; one used
                continue  # as page content anyway meets the child's memory limit (worker.intake.pdftext)
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
                continue
            if total > max_total:
                raise RefusedFile(f"PDF streams decompress to more than {max_total / _MIB:g} MiB in total")


_RAW_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_INFLATE_CHUNK = 1024 * 1024


def _raw_flate_guard(data: bytes, max_stream: int, max_total: int) -> None:
    """The stream-size check of :func:`_pdf_stream_guard` for a PDF whose cross-reference table
    pypdf cannot read: every ``stream … endstream`` in the bytes that inflates (zlib) is inflated
    1 MiB at a time and counted, never held. Raises RefusedFile with the same reasons ("PDF stream
    at byte N decompresses beyond …"). Streams that do not inflate (other filters, plain content)
    are left to pdfplumber."""
    total = 0
    for m in _RAW_STREAM.finditer(data):
        end = data.find(b"endstream", m.end())
        pending = memoryview(data)[m.end(): end if end >= 0 else len(data)]
        inflater = zlib.decompressobj()
        size = 0
        try:
            while pending and not inflater.eof:  # after eof the tail never shrinks (CPython)
                size += len(inflater.decompress(pending, _INFLATE_CHUNK))
                pending = inflater.unconsumed_tail
                if size > max_stream:
                    raise RefusedFile(f"PDF stream at byte {m.end()} decompresses beyond "
                                      f"{max_stream / _MIB:g} MiB, the limit for one stream")
        except zlib.error:
            pass  # not Flate data, or damaged after ``size`` bytes: those still count
        total += size
        if total > max_total:
            raise RefusedFile(f"PDF streams decompress to more than {max_total / _MIB:g} MiB in total")


#: Address space of the child process that extracts a PDF's text (see ``worker.intake.pdftext``): bytes.
#: Reading a newspaper PDF takes ~100 MB; a decompression bomb stops here.
PDF_MEMORY_LIMIT = 1024 * 1024 * 1024
#: Seconds the child may take for one PDF.
PDF_TIMEOUT_S = 120


def _read_pdf(data: bytes, max_uncompressed: int = MAX_UNCOMPRESSED) -> DecodedText:
    """Text of a PDF with a text layer, read by pdfplumber in a child process limited to
    :data:`PDF_MEMORY_LIMIT` bytes and :data:`PDF_TIMEOUT_S` seconds, after the stream-size check of
    :func:`_pdf_stream_guard`. Raises RefusedFile: too many pages, encrypted, unreadable, too much
    memory or time needed, no text layer (a scan: OCR not supported), not Chinese."""
    import json
    import subprocess
    import sys

    _pdf_stream_guard(data, min(MAX_PDF_STREAM, max_uncompressed), max_uncompressed)
    try:
        child = subprocess.run(
            [sys.executable, "-m", "worker.intake.pdftext", str(MAX_PDF_PAGES), str(PDF_MEMORY_LIMIT)],
            input=data, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RefusedFile(f"reading this PDF took longer than {PDF_TIMEOUT_S} s") from exc
    try:
        answer = json.loads(child.stdout)
    except ValueError:
        # killed (e.g. by the kernel's OOM killer) or crashed before answering
        last = child.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit code {child.returncode}"]
        raise RefusedFile(f"not a readable PDF: the reader stopped ({last[0][:200]})") from None
    if "refused" in answer:
        raise RefusedFile(answer["refused"])
    pages = answer["pages"]
    n_pages = len(pages)
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


def truncation_warning(data: bytes, file_name: str) -> str | None:
    """The decoder's "file truncated" warning when a plain-text file's last character is cut
    (its bytes end inside a character), else None — also for other formats and for files refused
    anyway. The inbox waits longer for such a file: a writer that closes and reopens to append
    (FTP/SMB resume) pauses exactly there."""
    if _ext(file_name) not in TEXT_EXTS or _ext(file_name) in (".html", ".htm") or not data \
            or sniff(file_name, data[:8192]):
        return None
    try:
        decoded = decode_text(data)
    except RefusedFile:
        return None
    return next((w for w in decoded.warnings if w.startswith("file truncated")), None)


_FILE_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")


def date_from_file_name(name: str) -> date | None:
    """Issue date carried by a file name: ``2024-12-24``, ``2024_12_24``, ``2024.12.24`` or
    ``20241224`` (the first valid one; years 1900–2099). None when there is none."""
    for m in _FILE_DATE.finditer(name):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
    return None


_WHITESPACE_RUN = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def normalised_text(text: str) -> str:
    """Decoded issue text reduced to what does not depend on how the file was saved: NFC, BOMs
    (U+FEFF) removed, CRLF/CR → LF, runs of spaces/tabs → one space, runs of line breaks (with the
    spaces around them) → one LF, stripped. Two files with the same normalised text are the same
    issue (``text_sha256``)."""
    import unicodedata

    text = unicodedata.normalize("NFC", text).replace("\ufeff", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _WHITESPACE_RUN.sub(" ", text)
    return _BLANK_LINES.sub("\n", text).strip()


def text_sha256(text: str) -> str:
    """sha256 hex of :func:`normalised_text` (UTF-8): the identity of an issue's text, whatever its
    bytes (encoding, BOM, line ends, spacing). ``worker.pipeline`` ends an issue whose text an
    earlier issue already holds as ``duplicate``."""
    import hashlib

    return hashlib.sha256(normalised_text(text).encode("utf-8")).hexdigest()
