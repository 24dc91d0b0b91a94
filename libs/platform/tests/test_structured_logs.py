"""What an operator reads: one JSON object per line, the traceback included, secrets redacted."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from migrator_platform.structured_logs import configure_logging, get_logger


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging swaps the root handler for one on the captured stderr; put it back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def _lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_a_logged_exception_carries_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="probe")
    try:
        raise ConnectionError("bus gone")
    except ConnectionError:
        get_logger("probe").exception("dispatch tick failed")
        logging.getLogger("stdlib.probe").error("plain logging too", exc_info=True)
    structured, plain = _lines(capsys.readouterr().err)[-2:]
    for line in (structured, plain):
        assert "Traceback (most recent call last)" in str(line["exception"])
        assert "ConnectionError: bus gone" in str(line["exception"])
        assert line["service"] == "probe"


def test_secret_fields_never_reach_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(service="probe")
    get_logger("probe").info(
        "token refreshed", access_token="eyJ.secret", client_secret="s3cr3t", tenant="t1"
    )
    (line,) = _lines(capsys.readouterr().err)[-1:]
    assert line["access_token"] == "[redacted]" and line["client_secret"] == "[redacted]"
    assert line["tenant"] == "t1"
