"""Intake: the inbox folder (claim, receipt, archive, fail), the folder watcher, and reading a
file's bytes into text (encodings, .docx, PDF). May import only ``worker.core``."""
