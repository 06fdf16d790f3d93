"""Chinese display forms of what the engine records in English (the one place the console
translates): refusal and failure reasons, the parser's line decisions (``became`` / ``rule``),
task names and results, audit targets and details.

The English stays the record (database, CLI, logs, ``.error.json``); these functions only change
what the web console shows. Each table row is a regular expression matched against the whole text
and a Chinese template that keeps the variable parts (``{name}`` = a named group; ``{name!r}`` = the
group translated again by the same function, for reasons that embed another reason). Text no row
matches is shown as it is.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

_Table = list[tuple[re.Pattern, str]]


def _table(rows: list[tuple[str, str]]) -> _Table:
    return [(re.compile(pattern, re.S), template) for pattern, template in rows]


_FIELD = re.compile(r"\{(\w+)(!r)?\}")


def _apply(table: _Table, text: str, again: Callable[[str, str], str]) -> str | None:
    """The first row of ``table`` matching all of ``text``, filled in; ``again(group, value)``
    translates the ``!r`` fields. None when no row matches."""
    for pattern, template in table:
        m = pattern.fullmatch(text)
        if m:
            return _fill(template, m.groupdict(), again)
    return None


def _fill(template: str, groups: dict, again: Callable[[str, str], str]) -> str:
    def field(f: re.Match) -> str:
        value = groups[f.group(1)] or ""
        return again(f.group(1), value) if f.group(2) else value

    return _FIELD.sub(field, template)


# -- things, as the reasons name them --------------------------------------------------------------

#: what a file "is" in the sniffer's words (worker/intake/reading.py _MAGIC) → Chinese
FILE_KINDS = {
    "a PNG image": "PNG 图片", "a JPEG image": "JPEG 图片", "a GIF image": "GIF 图片",
    "a PDF document": "PDF 文档", "a zip container (docx/xlsx/zip)": "zip 压缩包（docx/xlsx/zip）",
    "an empty zip archive": "空的 zip 压缩包",
    "a legacy Office (OLE) file such as .doc/.xls": "旧版 Office 文件（如 .doc/.xls）",
    "a RAR archive": "RAR 压缩包", "a 7z archive": "7z 压缩包", "a gzip archive": "gzip 压缩包",
    "a bzip2 archive": "bzip2 压缩包", "an xz archive": "xz 压缩包", "an ELF executable": "ELF 可执行程序",
    "a Windows executable": "Windows 可执行程序", "a TIFF image": "TIFF 图片", "an RTF document": "RTF 文档",
    "a Java class / Mach-O binary": "Java 类文件或 Mach-O 程序", "a Mach-O executable": "Mach-O 可执行程序",
}

#: why a file type is not read (reading.py _REFUSED_EXTS and the image/archive/executable groups)
TYPE_WHY = {
    "legacy Word .doc is not read (save it as .docx)": "不读取旧版 Word .doc（请另存为 .docx）",
    "macro-enabled Word .docm is not read": "不读取带宏的 Word .docm",
    "Word template is not read": "不读取 Word 模板",
    "RTF is not read (save it as .docx or .txt)": "不读取 RTF（请另存为 .docx 或 .txt）",
    "WPS document is not read (save it as .docx)": "不读取 WPS 文档（请另存为 .docx）",
    "OpenDocument text is not read": "不读取 OpenDocument 文本",
    "spreadsheets are not read": "不读取电子表格", "presentations are not read": "不读取演示文稿",
    "images are not read (OCR not supported)": "不读取图片（不支持文字识别）",
    "archives are not unpacked": "不解压压缩包",
    "executables and binaries are not read": "不读取程序和二进制文件",
    "accepted are .txt, .docx, .pdf, .md, .html": "可接收 .txt、.docx、.pdf、.md、.html",
}


# -- reasons (receipts, refused files, failed and duplicate issues) --------------------------------

_REASONS = _table([
    # inbox (worker/intake/inbox.py)
    (r"same bytes as issue (?P<n>\d+)", "与第{n}号期次的文件完全相同（字节一致）"),
    (r"(?P<r>.+); left in the inbox and tried again at every scan", "{r!r}；文件留在收件箱，每次扫描时重试"),
    (r"cannot stat file: (?P<e>.+)", "无法读取文件信息：{e}"),
    (r"file too big: (?P<n>\d+) bytes, limit (?P<m>\d+) bytes", "文件过大：{n} 字节，上限 {m} 字节"),
    (r"file too big: over the limit of (?P<m>\d+) bytes", "文件过大：超过 {m} 字节的上限"),
    (r"unreadable: (?P<e>.+)", "无法读取：{e}"),
    (r"cannot be moved out of the inbox: (?P<e>.+)", "无法移出收件箱：{e}"),
    (r"receipt not written: (?P<e>.+)", "回执未能写入：{e}"),
    # sniffing (worker/intake/reading.py sniff)
    (r"unsupported file type (?P<ext>\S+): (?P<why>.+)", "不支持的文件类型 {ext}：{why!r}"),
    (r"empty file", "空文件"),
    (r"empty file \(the \.docx has no text\)", "空文件（该 .docx 没有文字）"),
    (r"extension (?P<ext>\S+) does not match content: binary data \(NUL bytes\), not text",
     "扩展名 {ext!r} 与内容不符：是二进制数据（含 NUL 字节），不是文本"),
    (r"extension (?P<ext>\S+) does not match content: binary data, not text",
     "扩展名 {ext!r} 与内容不符：是二进制数据，不是文本"),
    (r"extension (?P<ext>\S+) does not match content: not a zip container",
     "扩展名 {ext!r} 与内容不符：不是 zip 容器（真正的 .docx 是 zip 容器）"),
    (r"extension (?P<ext>\S+) does not match content: it does not start with %PDF",
     "扩展名 {ext!r} 与内容不符：开头不是 %PDF"),
    (r"extension (?P<ext>\S+) does not match content: the file is HTML; save it as \.html, or as plain text",
     "扩展名 {ext!r} 与内容不符：文件是 HTML 网页；请另存为 .html 或纯文本"),
    (r"extension (?P<ext>\S+) does not match content: the file is (?P<m>JSON|XML), which is not read; "
     r"save the issue as plain text", "扩展名 {ext!r} 与内容不符：文件是 {m}，不予读取；请把报纸另存为纯文本"),
    (r"extension (?P<ext>\S+) does not match content: the file is (?P<what>.+)",
     "扩展名 {ext!r} 与内容不符：文件实际是 {what!r}"),
    # decoding (reading.py)
    (r"not Chinese text: Japanese \((?P<enc>[^)]+)\)", "不是中文文本：是日文（{enc}）"),
    (r"not Chinese text: (?P<han>\d+) Chinese characters in (?P<n>\d+) non-space characters"
     r"(?:, not counting (?P<junk>\d+) in runs of punctuation/symbols)?(?: \(tried (?P<tried>[^)]+)\))?",
     "不是中文文本：{n} 个非空白字符中只有 {han} 个汉字{junk!r}{tried!r}"),
    (r"file has a (?P<enc>\S+) byte-order mark but is not valid (?P<enc2>\S+): first bad byte at offset (?P<o>\d+)",
     "文件带 {enc} 字节顺序标记（BOM），内容却不是有效的 {enc2}：第一个错误字节在偏移 {o} 处"),
    (r"cannot detect the text encoding", "无法识别文字编码"),
    (r"undecodable: (?P<bad>\d+) of (?P<n>\d+) characters \((?P<share>[^)]+)\) are not valid (?P<enc>\S+) "
     r"\(mixed encodings or binary data\); first bad byte at offset (?P<o>\d+)",
     "无法解码：{n} 个字符中有 {bad} 个（{share}）不是有效的 {enc}（编码混杂或二进制数据）；"
     "第一个错误字节在偏移 {o} 处"),
    # .docx
    (r"not a valid \.docx \(broken zip container: (?P<e>.+)\)", "不是有效的 .docx（zip 容器损坏：{e}）"),
    (r"zip bomb guard: \.docx would expand to (?P<n>\d+) bytes, limit (?P<m>\d+) bytes",
     "压缩炸弹防护：该 .docx 解压后有 {n} 字节，上限 {m} 字节"),
    (r"zip bomb guard: member (?P<f>.+) expands (?P<x>\d+)x \((?P<a>\d+) → (?P<b>\d+) bytes\), limit (?P<l>\d+)x",
     "压缩炸弹防护：成员 {f} 膨胀 {x} 倍（{a} → {b} 字节），上限 {l} 倍"),
    (r"not a valid \.docx: no word/document\.xml \(maybe another Office format\)",
     "不是有效的 .docx：缺少 word/document.xml（可能是其他 Office 格式）"),
    (r"not a valid \.docx: (?P<e>.+)", "不是有效的 .docx：{e}"),
    # PDF (reading.py, pdftext.py)
    (r"encrypted PDF: it needs a password; save it without one", "加密的 PDF：需要密码；请另存为无密码的 PDF"),
    (r"PDF has (?P<n>\d+) pages; an issue has at most (?P<m>\d+)", "PDF 有 {n} 页；一期报纸最多 {m} 页"),
    (r"not a readable PDF: the reader stopped \((?P<e>.*)\)", "无法读取的 PDF：读取程序中止（{e}）"),
    (r"not a readable PDF: (?P<e>.+)", "无法读取的 PDF：{e}"),
    (r"reading this PDF needs more than (?P<m>\d+) MiB of memory \(a decompression bomb\?\)",
     "读取此 PDF 需要超过 {m} MiB 内存（可能是解压炸弹）"),
    (r"reading this PDF took longer than (?P<s>\S+) s", "读取此 PDF 超过 {s} 秒"),
    (r"PDF stream \(object (?P<o>\d+)\) is damaged and too big to repair \((?P<e>.*)\)",
     "PDF 数据流（对象 {o}）损坏且过大，无法修复（{e}）"),
    (r"PDF stream \(object (?P<o>\d+)\) decompresses beyond (?P<m>\S+) MiB, the limit for one stream",
     "PDF 数据流（对象 {o}）解压后超过单个数据流 {m} MiB 的上限"),
    (r"PDF stream at byte (?P<o>\d+) decompresses beyond (?P<m>\S+) MiB, the limit for one stream",
     "PDF 数据流（第 {o} 字节处）解压后超过单个数据流 {m} MiB 的上限"),
    (r"PDF streams decompress to more than (?P<m>\S+) MiB in total", "PDF 数据流解压后合计超过 {m} MiB"),
    (r"PDF structure exceeds a decoding limit \((?P<e>.*)\)", "PDF 结构超过解码限制（{e}）"),
    (r"PDF object (?P<o>\d+) exceeds a pypdf limit \((?P<e>.*)\)", "PDF 对象 {o} 超过 pypdf 的限制（{e}）"),
    (r"no text layer, OCR not supported \((?P<p>\d+) page\(s\), (?P<c>\d+) characters of text\)",
     "没有文字层，不支持文字识别（{p} 页，{c} 个文字字符）"),
    # processing (worker/pipeline.py)
    (r"same text as issue (?P<n>\d+) \(file (?P<f>.*)\)", "与第{n}号期次（文件 {f}）文字相同"),
    (r"gave up after (?P<n>\d+) attempts that did not finish \(the worker died or timed out each time"
     r"(?:; last error: (?P<last>.*))?\)", "尝试 {n} 次均未完成，已放弃（工作进程每次都中止或超时{last!r}）"),
    (r"gave up after (?P<n>\d+) attempts; the database kept failing: (?P<e>.+)",
     "尝试 {n} 次后放弃：数据库一直出错：{e}"),
    (r"attempt (?P<n>\d+) could not store the articles \((?P<e>.*)\); it is tried again",
     "第 {n} 次尝试未能保存文章（{e}）；将再次尝试"),
    (r"could not store the articles: (?P<e>.+)", "未能保存文章：{e}"),
    # warnings kept with a processed issue (reading.py, parsing/finish.py)
    (r"file truncated: the last (?P<n>\d+) byte\(s\) at offset (?P<o>\d+) are an incomplete (?P<enc>\S+) "
     r"character and were dropped", "文件末尾不完整：偏移 {o} 处最后 {n} 个字节是不完整的 {enc} 字符，已舍弃"),
    (r"decoded as Big5 \(bytes are also valid GB18030, which gave unlikely characters\)",
     "按 Big5（繁体）解码（这些字节也是有效的 GB18030，但解出的字很不常见）"),
    (r"(?P<n>\d+) undecodable character\(s\) replaced with U\+FFFD; first bad byte at offset (?P<o>\d+)",
     "{n} 个无法解码的字符已替换为 U+FFFD；第一个错误字节在偏移 {o} 处"),
    (r"UTF-16 without BOM or ASCII", "按不带 BOM 的 UTF-16 或 ASCII 解码"),
    (r"bytes are also valid UTF-8, which gave no Chinese text: read as GB18030",
     "这些字节也是有效的 UTF-8，但那样读不出中文：已按 GB18030 读取"),
    (r"issue date inferred from dates in the text", "报纸日期由正文中的日期推断"),
    # lifecycle refusals (worker/ops/issues.py)
    (r"issue (?P<n>\d+) is withdrawn already", "第{n}号期次已经撤回"),
    (r"issue (?P<n>\d+) is (?P<s>\w+), not withdrawn", "第{n}号期次没有撤回，无需恢复"),
    (r"issue (?P<n>\d+) is withdrawn; restore it first", "第{n}号期次已撤回，请先恢复"),
    (r"an issue cannot replace itself", "期次不能替换自身"),
])

def reason(text: str | None) -> str:
    """Chinese display form of an engine reason (receipt, refused file, failed or duplicate issue),
    e.g. ``"empty file"`` → ``"空文件"``; text no pattern knows is returned unchanged; None → ""."""
    if not text:
        return ""
    out = _apply(_REASONS, text, _reason_part)
    if out is not None:
        return out
    return text


def _reason_part(group: str, text: str) -> str:
    """A nested part of a reason, by the name of its group."""
    if not text:
        return ""
    if group == "what":
        return FILE_KINDS.get(text, text)
    if group == "ext":
        return "（无扩展名）" if text == "(none)" else text
    if group == "why":
        return TYPE_WHY.get(text, text)
    if group == "junk":
        return f"，不计连续标点符号 {text} 个"
    if group == "tried":
        return f"（已尝试 {text.replace(', ', '、')}）"
    if group == "last":
        return f"；最后一次错误：{reason(text)}"
    return reason(text)


# -- the parser's line decisions (worker/parsing/assemble.py, roles.py, furniture.py) -------------

#: debris kinds (worker/parsing/model.py DEBRIS_KINDS)
DEBRIS = {"masthead": "报头", "date_line": "日期行", "page_marker": "版面信息", "page_header_footer": "页眉页脚",
          "editor_line": "编辑署名行", "continuation_marker": "转版标记", "section_label": "栏目名",
          "duplicate_fragment": "重复片段", "rule": "分隔线", "site_footer": "网站页脚", "navigation": "网页导航"}

_BECAME = _table([
    (r"blank", "空行"),
    (r"nothing", "（无内容）"),
    (r"debris:(?P<k>\w+)", "{k!r}"),
    (r"kicker #(?P<a>\d+)", "第{a}篇 引题"),
    (r"title #(?P<a>\d+)", "第{a}篇 主题"),
    (r"subtitle #(?P<a>\d+)", "第{a}篇 副题"),
    (r"byline #(?P<a>\d+)", "第{a}篇 署名/电头"),
    (r"paragraph #(?P<a>\d+)\.(?P<p>\d+) \(continued\)", "第{a}篇 正文第{p}段（续）"),
    (r"paragraph #(?P<a>\d+)\.(?P<p>\d+)", "第{a}篇 正文第{p}段"),
    (r"caption #(?P<a>\d+)\.(?P<p>\d+)", "第{a}篇 图片说明{p}"),
    (r"bullet item #(?P<a>\d+)", "第{a}篇 条目"),
])

_RULES = _table([
    (r"blank line", "空行"),
    (r"blank line inside a headline block", "标题组中的空行"),
    (r"bare number after an open paragraph: continuation", "未完段落后的单独数字：接续正文"),
    (r"bare page number", "单独的版面号"),
    (r"下转 marker: article suspended", "“下转”标记：文章转到他版"),
    (r"上接 marker: continued article resumed", "“上接”标记：接续转版文章"),
    (r"section label", "栏目名"),
    (r"section label before items", "条目前的栏目名"),
    (r"line restating the current headline", "重复当前标题的行"),
    (r"short line before bullet items", "条目前的短行"),
    (r"headline-like line rejected \((?P<why>.+)\)", "像标题但未采用（{why!r}）"),
    (r"previous paragraph open", "上一段未结束"),
    (r"weak candidate without a byline after it", "标题特征弱且其后没有署名"),
    (r"nothing follows it", "其后没有内容"),
    (r"headline repeated before 上接", "“上接”前重复的标题"),
    (r"headline block \(byline follows\)", "标题组（其后是署名）"),
    (r"headline block \(previous paragraph closed\)", "标题组（上一段已结束）"),
    (r"credit line closing the article \(… 摄 / 署名\)", "文末署名行（…摄／署名）"),
    (r"byline/dateline pattern", "署名/电头格式"),
    (r"source-only line \(据…\)", "仅注明来源的行（据…）"),
    (r"credits in brackets \(trailing byline\)", "括号中的署名（文末署名）"),
    (r"bullet item under a section label", "栏目名下的条目"),
    (r"bullet inside an article body", "正文中的条目"),
    (r"photo credit glued to the last paragraph", "粘在末段的摄影署名"),
    (r"photo credit inside an open paragraph", "未完段落中的摄影署名"),
    (r"line ending with a photo credit \(… 摄\)", "以摄影署名结尾的行（…摄）"),
    (r"short closed line between headline and byline: caption", "标题与署名之间的短句：图片说明"),
    (r"trailing credits in brackets", "文末括号中的署名"),
    (r"credits in brackets closing the last paragraph", "末段结尾括号中的署名"),
    (r"continues open paragraph", "接续未完段落"),
    (r"text line", "正文行"),
    (r"line after a hard-wrapped line: same paragraph", "硬换行后的行：同一段"),
    (r"full-width line, hard-wrapped \(PDF text\)", "满行，硬换行（PDF 文本）"),
    (r"names-only line under the headline", "标题下只有人名的行（署名）"),
    (r"names-only line closing the body \(signature\)", "正文末只有人名的行（落款）"),
    (r"caption \(图为…\)", "图片说明（图为…）"),
    (r"repeated furniture \(recurs with only numbers, dates or one field changing\)",
     "重复出现的版面信息（仅数字、日期或某一栏变化）"),
    (r"site footer \(support / licence / copyright line\)", "网站页脚（技术支持／备案／版权）"),
    (r"navigation line \(上一篇/下一篇/放大…\)", "网页导航行（上一篇／下一篇／放大…）"),
    (r"web page metadata line \(来源：/发布时间：…\)", "网页元数据行（来源：／发布时间：…）"),
    (r"site header \(paper name \+ edition\)", "网站页头（报名＋版次）"),
    (r"footer metadata line \(paper, page, title, date\)", "页脚信息行（报名、版次、标题、日期）"),
    (r"page header \(date, page name, number\)", "版面页眉（日期、版名、版次）"),
    (r"page line in a page header \(number \+ page name\)", "页眉中的版面行（版次＋版名）"),
    (r"date (?P<d>\d{4}-\d\d-\d\d) → article #(?P<a>\d+)", "日期 {d} → 第{a}篇"),
    (r"(?P<k>\w+) pattern", "{k!r}格式"),
])


def became(text: str | None) -> str:
    """Chinese display form of what a line became (``"title #1"`` → ``"第1篇 主题"``; parts joined
    by `` + `` are translated one by one and joined by ``＋``); unknown parts stay as they are."""
    if not text:
        return ""
    return "＋".join(_apply(_BECAME, part, _debris) or part for part in text.split(" + "))


def _debris(_group: str, kind: str) -> str:
    return DEBRIS.get(kind, kind)


def rule(text: str | None) -> str:
    """Chinese display form of the rule behind a line decision (``"blank line"`` → ``"空行"``;
    ``; ``-joined parts one by one); unknown parts stay as they are."""
    if not text:
        return ""
    return "；".join(_apply(_RULES, part, _rule_part) or part for part in text.split("; "))


def _rule_part(_group: str, text: str) -> str:
    if text in DEBRIS:
        return DEBRIS[text]
    return _apply(_RULES, text, _rule_part) or text


# -- tasks (tasks/*.py) ---------------------------------------------------------------------------

TASK_NAMES = {
    "briefing.scan_inbox": "扫描收件箱", "briefing.retry_refused": "重试拒收文件",
    "briefing.sync_failed": "同步失败文件夹", "briefing.reconcile": "核对",
    "briefing.reclaim_interrupted": "收回中断的任务", "briefing.process_issue": "处理期次",
    "briefing.retrain_classifier": "重新训练分类模型", "briefing.make_due_briefings": "生成到期简报",
    "briefing.make_briefing": "生成简报", "briefing.deliver_briefing": "发送简报",
}
_OUTCOME = {"processed": "已处理", "duplicate": "重复", "failed": "失败", "retry": "稍后重试",
            "skipped": "跳过"}

_DELIVERY = _table([
    (r"nothing to deliver", "没有可发送的文档"),
    (r"no e-mail recipients configured; the briefing stays in outbox/", "未配置收件人；简报留在 outbox/"),
    (r"SMTP not configured \(BRIEFING_SMTP_HOST\); the briefing stays in outbox/",
     "未配置邮件服务器（BRIEFING_SMTP_HOST）；简报留在 outbox/"),
    (r"e-mailed to (?P<n>\d+) recipient\(s\)", "已发送给 {n} 位收件人"),
    (r"another scan is running; it scans again when done", "另一次扫描正在进行，完成后会再扫描一次"),
    (r"no confirmed labels yet", "还没有确认过的主题"),
    (r"labels unchanged since model version (?P<v>.+)", "自模型版本 {v} 以来主题未变"),
    (r"need at least two categories among the confirmed labels \(have (?P<h>.*)\)",
     "确认过的主题至少需要两类（现有 {h}）"),
    (r"taken over by another attempt", "已由另一次尝试接手"),
])


def task_name(name: str | None) -> str:
    """Chinese name of a Celery task (``briefing.scan_inbox`` → ``扫描收件箱``); unknown names as they are."""
    return TASK_NAMES.get(name or "", name or "")


def _ids(v) -> str:
    return "、".join(f"第{i}号" for i in v) if v else "无"


def task_detail(name: str | None, state: str | None, detail: str | None) -> str:
    """A readable Chinese summary of a task event's detail (the task's arguments when received or
    started, its result when it succeeded, the error when it failed). ``detail`` is the stored
    text (a Python literal for results); what cannot be read is shown as it is."""
    if not detail:
        return ""
    try:
        value = ast.literal_eval(detail)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return _task_text(detail)
    if state in ("received", "started"):
        return _task_args(name, value)
    return _task_result(name, value, detail)


def _task_text(text: str) -> str:
    return _apply(_DELIVERY, text, lambda _g, s: s) or reason(text)


def _task_args(name, value) -> str:
    value = value if isinstance(value, tuple) else (value,)
    if name in ("briefing.process_issue",) and value and isinstance(value[0], int):
        return f"第{value[0]}号期次"
    if name in ("briefing.make_briefing", "briefing.make_due_briefings") and value:
        from web.templating import BRIEFING_KIND

        return " ".join(BRIEFING_KIND.get(str(v), str(v)) for v in value if not isinstance(v, bool))
    if name == "briefing.deliver_briefing" and value:
        return f"简报 {value[0]}"
    if name == "briefing.retry_refused" and value:
        return f"回执 {value[0]}"
    return "、".join(str(v) for v in value)


def _task_result(name, value, raw: str) -> str:
    if isinstance(value, dict):
        if "skipped" in value:
            return f"跳过：{_task_text(str(value['skipped']))}"
        if name == "briefing.scan_inbox":
            return (f"回执 {value.get('receipts', 0)} 张，新期次 {_ids(value.get('new_issues'))}，"
                    f"等待写完 {value.get('waiting', 0)} 个，问题 {value.get('problems', 0)} 个")
        if name == "briefing.process_issue":
            status = _OUTCOME.get(value.get("status"), value.get("status"))
            text = f"第{value.get('issue')}号期次：{status}，文章 {value.get('articles', 0)} 篇"
            detail = value.get("detail")
            return text + (f"（{_task_text(str(detail))}）" if detail else "")
        if name == "briefing.reconcile":
            return (f"收件处理中的文件 {len(value.get('claims') or [])} 个，重新排队 {_ids(value.get('requeued'))}，"
                    f"失败文件夹更新 {len(value.get('failed') or [])} 项")
        return "，".join(f"{k}：{v}" for k, v in value.items())
    if isinstance(value, list):
        if name in ("briefing.make_due_briefings",):
            return f"生成简报 {len(value)} 份" + (f"（编号 {'、'.join(map(str, value))}）" if value else "")
        if name in ("briefing.reclaim_interrupted",):
            return f"收回 {_ids(value)}"
        return f"{len(value)} 项" + (f"：{'；'.join(map(str, value))}" if value else "")
    if isinstance(value, int) and name == "briefing.make_briefing":
        return f"简报 {value}"
    if value is None:
        return "无结果" if name != "briefing.make_briefing" else "空期，未生成"
    return _task_text(str(value))


# -- audit log ------------------------------------------------------------------------------------

def audit_who(who: str | None) -> str:
    """``cli:NAME`` (an account command run on the server) → ``命令行（NAME）``."""
    if who and who.startswith("cli:"):
        return f"命令行（{who[4:]}）"
    return who or ""


_TARGETS = _table([
    (r"issue (?P<n>\d+)", "第{n}号期次"),
    (r"article (?P<n>\d+)", "文章 {n}"),
    (r"receipt (?P<n>\d+)", "回执 {n}"),
    (r"user (?P<n>.+)", "账户 {n}"),
    (r"briefing (?P<n>\d+)", "简报 {n}"),
    (r"locked", "已锁定（登录失败次数过多）"),
])


def audit_target(target: str | None) -> str:
    """``issue 2`` → ``第2号期次`` and the like; file names and unknown targets as they are."""
    if not target:
        return ""
    return _apply(_TARGETS, target, lambda _g, s: s) or target


def audit_detail(detail: str | None, labels: dict[str, str], roles: dict[str, str]) -> str:
    """An audit row's detail in Chinese: topic keys (``politics → other``) by their taxonomy
    ``labels``, ``role operator`` by ``roles``, ``replaced by issue N``, ``refused: too large``."""
    if not detail:
        return ""
    m = re.fullmatch(r"(?P<a>\w*) → (?P<b>\w+)", detail)
    if m:
        return f"{labels.get(m['a'], m['a'] or '（无）')} → {labels.get(m['b'], m['b'])}"
    m = re.fullmatch(r"role (?P<r>\w+)(?P<s>, signer)?", detail)
    if m:
        return f"角色：{roles.get(m['r'], m['r'])}" + ("，签发人" if m["s"] else "")
    m = re.fullmatch(r"replaced by issue (?P<n>\d+)", detail)
    if m:
        return f"由第{m['n']}号期次替换"
    if detail == "refused: too large":
        return "拒收：文件过大"
    return detail


def draft(version: int | None) -> str:
    """A briefing's version as 稿 (版 is a newspaper page here): 1 → ``第1稿``, 2 → ``第2稿（修订稿）``."""
    if not version:
        return "—"
    return f"第{version}稿" + ("（修订稿）" if version > 1 else "")
