"""Archive search: a full-text index of every stored article and the queries over it (the CLI's
``briefing search`` and the console's 检索 page). Text is segmented with the enrichment's segmenter in
search mode (rjieba ``cut_for_search``) on both sides, so a query word the text segments differently
still matches. The pipeline keeps the index in step when it stores articles, so this package sits
between pipeline and enrich: it may import enrich, parsing, intake and core."""
