"""``migrator jobs watch``: a live progress bar with rates until the job finishes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from migrator_client.rates import RateMeter, eta_seconds

FINAL = {"DONE": 0, "ERROR": 1, "CANCELLED": 1}


def _human_bytes(value: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{value:.0f} B"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover


def describe(job: dict[str, Any], items: RateMeter, data: RateMeter) -> str:
    """The line under the bar: status, counts, rates and time left."""
    finished = job["doneItems"] + job["errorItems"] + job["skippedItems"]
    parts = [
        job["status"],
        f"{job['doneItems']:,} done, {job['errorItems']:,} failed, {job['skippedItems']:,} skipped",
    ]
    if items.rate is not None:
        parts.append(f"{items.rate:,.1f} items/s")
    if data.rate is not None:
        parts.append(f"{_human_bytes(data.rate)}/s")
    left = eta_seconds(job["totalItems"] - finished, items.rate)
    if left is not None and job["status"] == "RUNNING":
        parts.append(f"~{int(left)}s left")
    return " · ".join(parts)


def watch(
    fetch: Callable[[], dict[str, Any]],
    *,
    interval: float,
    console: Console,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Poll until the job is DONE (exit 0), ERROR or CANCELLED (exit 1)."""
    # A short half-life: a migration's pace changes from site to site, and jobs can be short.
    items, data = RateMeter(half_life=3.0), RateMeter(half_life=3.0)
    columns = (
        TextColumn("[bold]{task.fields[job]}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("", total=None, job="…")
        while True:
            job = fetch()
            now = clock()
            finished = job["doneItems"] + job["errorItems"] + job["skippedItems"]
            if job["status"] != "QUEUED":  # time spent waiting to start is not a rate of zero
                items.update(now, finished)
                data.update(now, job.get("bytesTransferred") or 0)
            progress.update(
                task,
                job=job["id"],
                total=job["totalItems"] or None,  # unknown until the first unit reports
                completed=finished,
                description=describe(job, items, data),
            )
            if job["status"] in FINAL:
                return FINAL[job["status"]]
            sleep(interval)
