"""The embedded default's generated secrets, kept under the data dir (mode 0600)."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from migrator_platform.ids import new_id


def load_or_create(data_dir: Path) -> dict[str, str]:
    """Secrets that must stay stable across restarts (encryption key, app secret, default org)."""
    path = data_dir / "secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "secrets_key": base64.b64encode(os.urandom(32)).decode(),
        "m365_client_secret": secrets.token_urlsafe(32),
        "atlassian_client_secret": secrets.token_urlsafe(32),
        "default_org_id": new_id("org"),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(values, fh)
    return values


def new_api_key(*, live: bool = False) -> str:
    """A fresh API key: ``tmk_test_`` / ``tmk_live_`` and 32 random bytes, URL-safe."""
    return f"tmk_{'live' if live else 'test'}_{secrets.token_urlsafe(32)}"
