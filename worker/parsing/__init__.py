"""Parsing: decoded issue text → articles (kicker, title, subtitle, byline, dateline, paragraphs,
captions, page, own date), every line accounted for. Stages, in order: ``furniture`` (page
furniture by shape and repetition) → ``roles`` (each line's role) → ``assemble`` (articles) →
``credits`` (credits and captions attached) → ``finish`` (kinds, dates); ``parser.parse_issue``
runs them. ``sentences`` is the project's one sentence splitter. Settings: ``config/parsing.yaml``.
May import ``worker.intake`` and ``worker.core``."""
