"""union-briefing's engine, one package per pipeline stage, imported top to bottom only:
ops → briefing → pipeline → search → enrich → parsing → intake → core (checked by import-linter, see
pyproject's ``[tool.importlinter]``)."""
