"""Operations: the ``briefing`` command line, the demo, status and health, the supervisor that
runs every process, and gold evaluation. The top layer: may import every other package."""
