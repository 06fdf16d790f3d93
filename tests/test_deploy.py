"""docker-compose.yml checked without a Docker engine: valid against the Compose Specification's
JSON schema, and every service command is one our image really has.

``tests/data/compose_spec.json`` is the Compose Specification schema as shipped in the
docker-compose 1.29.2 package on PyPI (``compose/config/compose_spec.json``, Apache-2.0).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import yaml
from conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_file_matches_the_compose_schema():
    schema = json.loads((Path(__file__).parent / "data" / "compose_spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(schema)
    validator.validate(COMPOSE)
    # and the schema really checks: a misspelt key is rejected
    broken = {**COMPOSE, "services": {**COMPOSE["services"], "beat": {**COMPOSE["services"]["beat"], "comand": []}}}
    assert not validator.is_valid(broken)


def test_every_service_command_exists():
    from typer.main import get_command

    from worker.ops.cli import app

    cli_commands = set(get_command(app).commands)
    app_services = {name: svc for name, svc in COMPOSE["services"].items() if "build" in svc}
    assert {"migrate", "inbox-worker", "worker", "beat", "watcher", "flower"} <= set(app_services)
    for name, svc in app_services.items():
        entrypoint = svc.get("entrypoint") or ["briefing"]
        if entrypoint[0] == "briefing":
            assert svc["command"][0] in cli_commands, f"{name}: unknown command {svc['command'][0]}"
            # the options must parse: ask the real CLI for the command's help with them present
            out = subprocess.run(["briefing", svc["command"][0], "--help"], capture_output=True, text=True,
                                 check=True).stdout
            for opt in (a for a in svc["command"][1:] if a.startswith("--")):
                assert opt in out, f"{name}: {opt} not an option of briefing {svc['command'][0]}"
        else:
            assert entrypoint[0] == "celery" and shutil.which("celery"), name
            assert "flower" in entrypoint
            __import__("flower")


def test_compose_secrets_come_from_env_example():
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    needed = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    defined = set(re.findall(r"^#?\s*([A-Z_]+)=", example, re.MULTILINE))
    assert needed <= defined, needed - defined


def test_redis_keeps_data_and_needs_a_password_and_flower_needs_auth():
    redis_cmd = " ".join(COMPOSE["services"]["redis"]["command"])
    assert "--appendonly yes" in redis_cmd and "--requirepass" in redis_cmd
    assert COMPOSE["services"]["flower"]["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
