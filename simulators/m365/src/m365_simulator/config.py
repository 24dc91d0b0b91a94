"""Simulator settings from ``M365SIM_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass
class SimSettings:
    """Where to listen, the data seed, and the Azure Storage (Azurite) the migration API uses."""

    host: str = field(default_factory=lambda: os.environ.get("M365SIM_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("M365SIM_PORT", "0")))
    seed: int = field(default_factory=lambda: int(os.environ.get("M365SIM_SEED", "42")))
    # Where to keep what it learned across restarts (see persistence); empty: forget on exit.
    state_file: str = field(default_factory=lambda: os.environ.get("M365SIM_STATE_FILE", ""))
    blob_url: str = field(default_factory=lambda: os.environ.get("M365SIM_BLOB_URL", ""))
    queue_url: str = field(default_factory=lambda: os.environ.get("M365SIM_QUEUE_URL", ""))
    storage_account: str = field(
        default_factory=lambda: os.environ.get("M365SIM_STORAGE_ACCOUNT", "devstoreaccount1")
    )
    storage_key: str = field(default_factory=lambda: os.environ.get("M365SIM_STORAGE_KEY", AZURITE_KEY))
    object_delay_ms: int = field(default_factory=lambda: int(os.environ.get("M365SIM_OBJECT_DELAY_MS", "20")))
    # What an AMR read costs: IncludeSecurity over a whole tree ("very slow") per object exported,
    # and the pace that decides whether a change-token read passes SharePoint's ten minutes.
    amr_security_ms_per_object: float = field(
        default_factory=lambda: float(os.environ.get("M365SIM_AMR_SECURITY_MS_PER_OBJECT", "2"))
    )
    amr_objects_per_second: float = field(
        default_factory=lambda: float(os.environ.get("M365SIM_AMR_OBJECTS_PER_SECOND", "400"))
    )
    # Past this size an AMR export starts a new Manifest{N}.xml (25 MB, as the AMR reference says).
    amr_manifest_split_bytes: int = field(
        default_factory=lambda: int(os.environ.get("M365SIM_AMR_MANIFEST_SPLIT_BYTES", str(25 * 1024 * 1024)))
    )
