"""Core: settings, the Celery app and its beat schedule, the database (SQLModel models, engine,
migrations), logging and task events. Imports nothing else of ``worker``."""
