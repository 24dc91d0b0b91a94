"""The Azure clients read proxy settings from the environment only when a proxy is set: trusting
it costs aiohttp a thread hop, ~/.netrc and every proxy variable on each request."""

from __future__ import annotations

import pytest
from migrator_sp_connector.adapters.azure_storage import Container, _use_env_settings

pytestmark = pytest.mark.unit

PROXIES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)


def test_without_a_proxy_the_environment_is_not_read_on_every_request() -> None:
    assert not _use_env_settings()
    container = Container("http://127.0.0.1:10000/devstoreaccount1/c?sv=2024-01-01&sig=x")
    assert container._client._pipeline._transport._use_env_settings is False  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", PROXIES)
def test_a_proxy_in_the_environment_is_used(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "http://proxy.example:3128")
    assert _use_env_settings()
