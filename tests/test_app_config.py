"""The Celery app's configuration as built from settings (no worker needed)."""

from __future__ import annotations

import warnings

from conftest import TEST_REDIS_URL


def test_redbeat_gets_its_own_redis_options_not_the_brokers(monkeypatch):
    # Beat warned: "RedBeat will stop falling back to broker_transport_options in version 2.5.0,
    # set redbeat_redis_options explicitly". Kombu's options (visibility_timeout …) are not the
    # redis client's; RedBeat gets its own, with timeouts.
    from redbeat.schedulers import RedBeatConfig, get_redis

    from worker.core import app as app_module
    from worker.core.settings import get_settings

    monkeypatch.setenv("BRIEFING_BROKER_URL", TEST_REDIS_URL)
    get_settings.cache_clear()
    try:
        app = app_module.create_app()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            RedBeatConfig(app)
        assert not [w for w in caught if "RedBeat will stop" in str(w.message)], [str(w.message) for w in caught]
        assert app.conf.redbeat_redis_url == TEST_REDIS_URL
        kwargs = get_redis(app).connection_pool.connection_kwargs
        assert kwargs["socket_timeout"] == 30 and kwargs["socket_connect_timeout"] == 5
        assert "visibility_timeout" not in kwargs
    finally:
        get_settings.cache_clear()
