"""The console's pages. Each module has a FastAPI ``router`` and may have ``NAV = (label, path,
roles)`` for the top navigation. A new page is one module added to :data:`MODULES`
plus its templates."""

from __future__ import annotations

from importlib import import_module

MODULES = ["web.pages.auth", "web.pages.intake", "web.pages.issues", "web.pages.search", "web.pages.briefings",
           "web.pages.desk",
           "web.pages.system"]


def routers() -> list:
    """Every page module's router, in :data:`MODULES` order."""
    return [import_module(name).router for name in MODULES]


def navigation(user) -> list[tuple[str, str]]:
    """(label, path) of the pages ``user`` may open (admins see all)."""
    if user is None:
        return []
    items = []
    for name in MODULES:
        nav = getattr(import_module(name), "NAV", None)
        if nav and (user.role == "admin" or user.role in nav[2]):
            items.append((nav[0], nav[1]))
    return items
