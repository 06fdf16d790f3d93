"""Enrichment: segmentation, topic classification (rules + the learned layer), places, people,
organisations, figures, keywords and summaries of each parsed article. May import parsing, intake
and core."""

# The gazetteer registers its place names with the segmenter on import, before any segmenting.
from worker.enrich import places as _places  # noqa: F401
