"""Parsing: decoded issue text → articles (kicker, title, subtitle, byline, dateline, paragraphs,
captions, page), every line accounted for. May import ``worker.intake`` and ``worker.core``."""
