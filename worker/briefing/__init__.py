"""Briefing: what goes into a daily/weekly/monthly 简报 (periods, selection, figures), the .docx in
GB/T 9704-2012 layout, charts, the PDF, and delivery by e-mail. May import everything below it."""
