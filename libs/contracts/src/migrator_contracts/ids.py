"""Public ID prefixes, as in the public API (``ten_``, ``job_`` …)."""

from __future__ import annotations

ORG = "org"
TENANT = "ten"
JOB = "job"
DISCOVERY_JOB = "dis"
DISCOVERED_USER = "dbu"
DISCOVERED_SITE = "dbs"
DISCOVERED_TEAM = "dbt"
STATE = "tok"
LOG = "log"
DEVICE = "dev"
DEVICE_COMMAND = "cmd"
MAILBOX_PROGRESS = "mbp"  # a mailbox of an EMAIL job (its unit)
TEAM_PROGRESS = "tpr"  # a team of a TEAMS job (its unit)
