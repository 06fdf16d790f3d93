"""Security properties checked on the real code and configuration: no pickle anywhere, JSON-only
Celery, TLS checked for rediss://, Flower authenticated and not published to the network, Redis
with a password, no path built from unchecked names, secrets never printed."""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import sys

import yaml
from conftest import ROOT

SOURCE_DIRS = ("worker", "tasks", "migrations", "bench", "tests")
FORBIDDEN = re.compile(r"(^\s*(import|from)\s+(c?pickle|joblib|dill|cloudpickle|shelve)\b"
                       r"|\b(pickle|joblib|dill|cloudpickle)\.(loads?|dumps?)\b"
                       r"|allow_pickle\s*=\s*True"
                       r"|(serializer|accept_content)\s*=.*pickle)", re.MULTILINE)


def _sources():
    for d in SOURCE_DIRS:
        for path in (ROOT / d).rglob("*.py"):
            if path.name != "test_security.py":
                yield path


def test_no_pickle_anywhere():
    hits = [f"{p.relative_to(ROOT)}: {m.group(0).strip()}" for p in _sources()
            for m in FORBIDDEN.finditer(p.read_text(encoding="utf-8"))]
    assert hits == []
    from worker.core.app import celery_app

    conf = celery_app.conf
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.result_serializer == "json" and conf.event_serializer == "json"


def test_templates_if_any_are_sandboxed_with_autoescape():
    """The Word briefing is built with python-docx (text runs, no template evaluation). Should a
    Jinja/docxtpl template ever render file content, it must be a SandboxedEnvironment with
    autoescape."""
    for path in (ROOT / "worker").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\b(jinja2|docxtpl|DocxTemplate)\b", text):
            assert "SandboxedEnvironment" in text and "autoescape=True" in text, path


def test_rediss_checks_the_server_certificate(monkeypatch, tmp_path):
    from worker.core import app as app_module
    from worker.core.settings import get_settings

    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    monkeypatch.setenv("BRIEFING_BROKER_URL", "rediss://:pw@redis.example:6380/0")
    monkeypatch.setenv("BRIEFING_REDIS_SSL_CA_CERTS", str(ca))
    get_settings.cache_clear()
    try:
        app = app_module.create_app()
        opts = app.conf.broker_use_ssl
        # without broker_use_ssl kombu would fall back to CERT_NONE for rediss://
        assert opts["ssl_cert_reqs"] == ssl.CERT_REQUIRED and opts["ssl_ca_certs"] == str(ca)
        assert app.conf.redbeat_redis_use_ssl == opts
        conn = app.connection_for_write()
        assert conn.ssl == opts and conn.transport_cls == "rediss"
        client = app_module.redis_client()
        kwargs = client.connection_pool.connection_kwargs
        assert kwargs["ssl_cert_reqs"] == ssl.CERT_REQUIRED and kwargs["ssl_ca_certs"] == str(ca)
    finally:
        get_settings.cache_clear()


def test_compose_flower_authenticated_and_loopback_only_redis_with_password():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    flower = compose["services"]["flower"]
    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH")
    # /metrics and /healthcheck have no auth in Flower: never publish it beyond the host's loopback
    assert all(str(p).startswith("127.0.0.1:") for p in flower.get("ports", [])), flower["ports"]
    published = {name: svc.get("ports") for name, svc in compose["services"].items() if svc.get("ports")}
    # Redis, PostgreSQL, workers: compose network only; the console on the loopback, for the HTTPS proxy
    assert set(published) == {"flower", "web"}
    assert all(str(p).startswith("127.0.0.1:") for p in published["web"]), published["web"]
    assert compose["services"]["web"]["environment"]["BRIEFING_WEB_SECURE_COOKIES"] == "true"
    redis_cmd = compose["services"]["redis"]["command"]
    assert "--requirepass" in redis_cmd
    assert "${REDIS_PASSWORD" in compose["x-app"]["environment"]["BRIEFING_BROKER_URL"]
    for name in ("inbox-worker", "worker"):
        assert compose["services"][name]["healthcheck"]["test"] == ["CMD", "briefing", "health"]


def test_compose_gives_each_service_only_the_secrets_it_needs():
    # Compose handed the whole .env (database and Redis passwords, Flower's login) to every service
    # and put Flower's login on its command line (visible in `ps` and `docker inspect`).
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]

    def holders(var: str) -> set[str]:
        return {name for name, svc in services.items() if var in json.dumps(svc.get("environment") or {})}

    assert not [name for name, svc in services.items() if "env_file" in svc]
    for name, svc in services.items():  # no secret on any command line
        argv = " ".join(map(str, [*(svc.get("entrypoint") or []), *(svc.get("command") or [])]))
        assert "FLOWER_BASIC_AUTH" not in argv and "POSTGRES_PASSWORD" not in argv and "SMTP" not in argv, name
    assert holders("FLOWER_BASIC_AUTH") == {"flower"}
    assert holders("BRIEFING_SMTP_PASSWORD") == {"worker"}  # the one service that sends briefings
    assert holders("POSTGRES_PASSWORD") == {"postgres", "migrate", "inbox-worker", "worker", "beat", "watcher",
                                          "web"}
    assert set(services["flower"]["environment"]) == {"BRIEFING_BROKER_URL", "FLOWER_BASIC_AUTH", "FLOWER_PORT"}
    assert set(services["migrate"]["environment"]) == {"BRIEFING_DATABASE_URL"}
    # .env must not be copied into the image either (Settings would read /app/.env in every container)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and "!.env.example" in ignored


def test_flower_takes_its_basic_auth_from_the_environment(monkeypatch):
    """What compose relies on: Flower reads FLOWER_BASIC_AUTH (flower/command.py apply_env_options)."""
    from flower.command import apply_env_options
    from flower.options import options

    before = options.basic_auth
    monkeypatch.setenv("FLOWER_BASIC_AUTH", "admin:s3cret")
    try:
        apply_env_options()
        assert options.basic_auth == ["admin:s3cret"]
    finally:
        options.basic_auth = before


def test_no_path_from_unchecked_names():
    from worker.intake.inbox import MAX_NAME_BYTES, safe_name

    for evil in ("../../etc/passwd", "..", ".", "/abs/path.txt", "a\\..\\b.txt", "-rf", "\x00\n.txt",
                 "..\u2215x.txt", "x" * 400 + ".txt", ".bashrc", "a/../../b"):
        name = safe_name(evil)
        assert "/" not in name and "\\" not in name and name not in ("", ".", "..")
        assert not name.startswith(("-", ".")) and len(name.encode()) <= MAX_NAME_BYTES
    # the folders a file lands in come from the clock and fixed names, never from content
    import inspect

    from worker.intake import inbox

    src = inspect.getsource(inbox.final_place) + inspect.getsource(inbox.sync_failed)
    assert "safe_name(" in src


def test_secrets_not_in_settings_repr_or_cli_errors(tmp_path):
    env = {"BRIEFING_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
           "BRIEFING_BROKER_URL": "redis://:broker-Secret-1@127.0.0.1:1/0",
           "BRIEFING_SMTP_PASSWORD": "smtp-Secret-2",
           "BRIEFING_DATABASE_URL": "postgresql://u:db-Secret-3@127.0.0.1:1/x"}
    for cmd in (["status"], ["health"], ["migrate"]):
        out = subprocess.run([sys.executable, "-m", "worker.ops.cli", *cmd], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        both = out.stdout + out.stderr
        assert out.returncode != 0 or cmd == ["status"]
        for secret in ("broker-Secret-1", "smtp-Secret-2", "db-Secret-3"):
            assert secret not in both, (cmd, both[-2000:])
    from worker.core.settings import Settings

    s = Settings(smtp_password="smtp-Secret-2")
    assert "smtp-Secret-2" not in repr(s) and "smtp-Secret-2" not in str(s.model_dump())
