"""Shared plumbing for every service: settings base, logs, telemetry, the bus, health, read store."""
