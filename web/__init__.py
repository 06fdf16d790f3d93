"""The web console (中文控制台): the clerk's and the union office's daily work in a browser.

Top layer: it reads the same database and sends the same Celery tasks as ``briefing`` (worker.*);
no business rule lives here. A page is one module in ``web/pages/`` (a router plus an optional
navigation entry) and its templates in ``web/templates/``.
"""
