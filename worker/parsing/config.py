"""``config/parsing.yaml``: paper names, page names, site-footer and navigation words, family names —
read once per process through the project's one YAML loader (``worker.core.config``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from worker.core.config import load_yaml


@dataclass(frozen=True)
class ParsingConfig:
    """What the parser must know about a paper. ``papers``/``page_names`` are tuples of strings;
    ``site_footer`` and ``navigation`` are compiled patterns (a line containing a site-footer word;
    a line made only of navigation words); ``surnames`` is a set of one-character family names and
    ``compound_surnames`` a tuple of two-character ones; ``section`` matches a whole line that is
    one of ``section_labels`` or ``commentary_labels`` (栏目 such as 简讯, 评论); ``metadata`` matches
    the start of a web page's metadata field (来源：, 发布时间：, 作者：)."""

    papers: tuple[str, ...]
    page_names: tuple[str, ...]
    site_footer: re.Pattern
    navigation: re.Pattern
    surnames: frozenset[str]
    compound_surnames: tuple[str, ...]
    section_labels: tuple[str, ...] = ()
    commentary_labels: tuple[str, ...] = ()
    photo_labels: tuple[str, ...] = ()
    metadata: re.Pattern = re.compile("(?!)")
    section: re.Pattern = re.compile("(?!)")


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) or "(?!)"


def build_config(raw: dict) -> ParsingConfig:
    """A :class:`ParsingConfig` from the mapping of ``config/parsing.yaml`` (missing keys = empty)."""
    nav = _alternation(raw.get("navigation_words") or ())
    sections = [*(raw.get("section_labels") or ()), *(raw.get("commentary_labels") or ())]
    return ParsingConfig(
        papers=tuple(raw.get("papers") or ()),
        page_names=tuple(raw.get("page_names") or ()),
        site_footer=re.compile(_alternation(raw.get("site_footer_words") or ()), re.IGNORECASE),
        navigation=re.compile(rf"^(?:[【\[]?(?:{nav})[】\]]?[\s|｜/·]*)+$"),
        surnames=frozenset("".join((raw.get("surnames") or "").split())),
        compound_surnames=tuple(raw.get("compound_surnames") or ()),
        section_labels=tuple(raw.get("section_labels") or ()),
        commentary_labels=tuple(raw.get("commentary_labels") or ()),
        photo_labels=tuple(raw.get("photo_labels") or ()),
        metadata=re.compile(rf"[【\[]?(?:{_alternation(raw.get('metadata_labels') or ())})[】\]]?\s*[:：]"),
        section=re.compile(f"^(?:{_alternation(sections)})$"),
    )


@lru_cache(maxsize=1)
def parsing_config() -> ParsingConfig:
    """The configuration of ``config/parsing.yaml`` (cached). Raises FileNotFoundError /
    yaml.YAMLError when the file is missing or broken."""
    return build_config(load_yaml("parsing.yaml"))
