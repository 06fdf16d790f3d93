""".docx hygiene for a briefing (issue 16), applied to the template every time it is loaded so an
office-edited template gets it too:

* ``w:compat/w:compatSetting compatibilityMode`` 15 — Word opens the file normally, not in
  兼容模式 (python-docx's default template says 14);
* ``w:themeFontLang w:eastAsia="zh-CN"`` — the theme's East Asian language is Chinese, not ja-JP;
* ``word/fontTable.xml`` entries for 仿宋_GB2312, 楷体_GB2312, 黑体 and 方正小标宋简体 with
  ``w:altName`` (the font to use where the GB font is not installed), ``w:panose1`` and
  ``w:charset w:val="86"`` (GB2312), so Word and LibreOffice substitute a Chinese font of the same
  kind (ECMA-376 Part 1 §17.8.3);
* no blue built-in styles: theme colours and any colour other than black or the masthead red are
  removed from every style (Title, Caption, Heading 3–9 … of the default template are blue).
"""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

COMPATIBILITY_MODE = "15"
WORD_URI = "http://schemas.microsoft.com/office/word"

#: name → (altName, panose1, family, pitch). Panose numbers of the Windows fonts the GB fonts map to.
GB_FONTS: dict[str, tuple[str, str, str, str]] = {
    "仿宋_GB2312": ("仿宋", "02010609030101010101", "modern", "fixed"),
    "楷体_GB2312": ("楷体", "02010609030101010101", "modern", "fixed"),
    "黑体": ("SimHei", "02010609060101010101", "modern", "fixed"),
    "方正小标宋简体": ("宋体", "02010600030101010101", "auto", "variable"),
}
#: Colours a style may keep: black/automatic and the masthead's red.
_KEPT_COLOURS = frozenset({"000000", "auto", "FF0000"})


def set_compat_mode(doc: DocxDocument, mode: str = COMPATIBILITY_MODE) -> None:
    """Set ``compatibilityMode`` in ``word/settings.xml`` to ``mode`` (adding it if missing)."""
    settings = doc.settings.element
    compat = settings.find(qn("w:compat"))
    if compat is None:
        compat = parse_xml(f"<w:compat {nsdecls('w')}/>")
        settings.append(compat)
    for cs in compat.findall(qn("w:compatSetting")):
        if cs.get(qn("w:name")) == "compatibilityMode":
            cs.set(qn("w:val"), mode)
            return
    compat.append(parse_xml(f'<w:compatSetting {nsdecls("w")} w:name="compatibilityMode" '
                            f'w:uri="{WORD_URI}" w:val="{mode}"/>'))


def set_theme_font_lang(doc: DocxDocument, east_asia: str = "zh-CN") -> None:
    """``w:themeFontLang`` with ``w:eastAsia`` = ``east_asia`` in ``word/settings.xml``."""
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is None:
        lang = parse_xml(f'<w:themeFontLang {nsdecls("w")} w:val="en-US"/>')
        settings.append(lang)
    lang.set(qn("w:eastAsia"), east_asia)


def _font_table_part(doc: DocxDocument):
    for rel in doc.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            return rel.target_part
    return None


def set_font_table(doc: DocxDocument) -> None:
    """Replace or add the :data:`GB_FONTS` entries in ``word/fontTable.xml``."""
    part = _font_table_part(doc)
    if part is None:
        return
    root = parse_xml(part.blob)
    for font in root.findall(qn("w:font")):
        if font.get(qn("w:name")) in GB_FONTS:
            root.remove(font)
    for name, (alt, panose, family, pitch) in GB_FONTS.items():
        root.append(parse_xml(
            f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/>'
            f'<w:panose1 w:val="{panose}"/><w:charset w:val="86"/><w:family w:val="{family}"/>'
            f'<w:pitch w:val="{pitch}"/></w:font>'))
    from lxml import etree

    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def strip_style_colours(doc: DocxDocument) -> None:
    """Remove theme colours and colours other than black/red from every style's runs and borders
    (the default template's Title, Subtitle, Caption, Heading 3–9, quotes … are blue)."""
    styles = doc.styles.element
    for el in styles.iter(qn("w:color")):
        parent = el.getparent()
        if el.get(qn("w:themeColor")) or (el.get(qn("w:val")) or "auto").upper() not in _KEPT_COLOURS:
            parent.remove(el)
    for tag in ("w:top", "w:bottom", "w:left", "w:right", "w:between"):
        for el in styles.iter(qn(tag)):
            for attr in ("w:themeColor", "w:themeTint", "w:themeShade"):
                el.attrib.pop(qn(attr), None)
            if (el.get(qn("w:color")) or "auto").upper() not in _KEPT_COLOURS:
                el.set(qn("w:color"), "auto")


def apply_hygiene(doc: DocxDocument) -> DocxDocument:
    """All of the above on ``doc`` (in place); returns ``doc``."""
    set_compat_mode(doc)
    set_theme_font_lang(doc)
    set_font_table(doc)
    strip_style_colours(doc)
    return doc
