"""The ``migrator`` command: tenants, jobs and their waves, devices and their commands, and API
keys from a terminal (``--json`` for scripts)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from migrator_client.client import ApiError, Client
from migrator_client.watch import watch

# No pretty tracebacks: they print local variables, and one of them is the API key.
app = typer.Typer(help="Drive Migrator's public API.", no_args_is_help=True, pretty_exceptions_enable=False)
tenants_app = typer.Typer(help="Connected Microsoft 365 tenants.", no_args_is_help=True)
jobs_app = typer.Typer(help="Migration jobs.", no_args_is_help=True)
devices_app = typer.Typer(help="Windows devices and their commands.", no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
app.add_typer(jobs_app, name="jobs")
app.add_typer(devices_app, name="devices")
keys_app = typer.Typer(help="The organisation's API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

out = Console()
err = Console(stderr=True)
_state: dict[str, Any] = {}


@app.callback()
def _options(
    url: Annotated[
        str, typer.Option(envvar="MIGRATOR_URL", help="The API's base URL")
    ] = "http://127.0.0.1:8000",
    api_key: Annotated[
        str, typer.Option(envvar="MIGRATOR_API_KEY", help="tmk_live_… / tmk_test_…", show_default=False)
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
) -> None:
    _state.update(url=url, api_key=api_key, json=as_json)


@contextmanager
def _client() -> Iterator[Client]:
    """A client for one command; API errors become a one-line message and exit 2 (4xx) or 1."""
    if not _state.get("api_key"):
        err.print("error: an API key is required (--api-key or MIGRATOR_API_KEY)")
        raise typer.Exit(2)
    client = Client(_state["url"], _state["api_key"])
    try:
        yield client
    except ApiError as exc:
        err.print(f"error: {exc.message} ({exc.code})")
        raise typer.Exit(2 if 400 <= exc.status < 500 else 1) from None
    except httpx.TransportError as exc:
        err.print(f"error: cannot reach {_state['url']}: {exc}")
        raise typer.Exit(1) from None
    finally:
        client.close()


def _show(value: Any, table: Table | None = None) -> None:
    if _state.get("json") or table is None:
        out.print_json(json.dumps(value))
    else:
        out.print(table)


def _table(title: str, rows: list[dict[str, Any]], columns: list[str], *, drop_first: list[str]) -> Table:
    """The rows as a table as wide as the terminal: the columns in ``drop_first`` are left out,
    in that order, until every row fits on one line, and a cell too long still folds rather
    than being cut, so an id (the value a user copies next) is always whole."""
    shown = list(columns)
    dropped: list[str] = []
    while True:
        table = Table(title=title)
        for column in shown:
            table.add_column(column, overflow="fold", no_wrap=column == "id")
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in shown))
        left = [c for c in drop_first if c in shown]
        natural = out.measure(table, options=out.options.update(max_width=10_000)).maximum  # unclamped
        if natural <= out.width or not left:
            break
        shown.remove(left[0])
        dropped.append(left[0])
    if dropped:
        table.caption = f"Not shown for the terminal's width: {', '.join(dropped)} (--json has every field)"
    return table


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


@tenants_app.command("list")
def tenants_list() -> None:
    """Every connected tenant."""
    with _client() as client:
        rows = client.tenants()
    columns = ["id", "domain", "role", "siteCount", "mailboxCount", "workloads", "discoveredAt"]
    drop_first = ["discoveredAt", "workloads", "mailboxCount", "siteCount", "role"]
    _show(rows, _table("Tenants", rows, columns, drop_first=drop_first))


@tenants_app.command("get")
def tenants_get(tenant_id: str) -> None:
    with _client() as client:
        _show(client.tenant(tenant_id))


@tenants_app.command("connect")
def tenants_connect(
    domain: str, role: Annotated[str, typer.Option(help="source or destination")] = "source"
) -> None:
    """Start admin consent; a Global Admin of the tenant opens the printed URL."""
    with _client() as client:
        started = client.connect_tenant(domain, role)
    if _state.get("json"):
        _show(started)
    else:
        out.print(f"Open as a Global Admin of {domain}:\n{started['authUrl']}")


@tenants_app.command("discover")
def tenants_discover(tenant_id: str) -> None:
    """Run discovery again."""
    with _client() as client:
        _show(client.discover(tenant_id))


@tenants_app.command("delete")
def tenants_delete(tenant_id: str) -> None:
    """Disconnect a tenant (its unfinished jobs are paused first)."""
    with _client() as client:
        _show(client.delete_tenant(tenant_id))


# What discovery finds, by kind, and the columns that show it (the last ones give way first).
_FOUND = {
    "users": ["upn", "displayName", "sourceSizeBytes"],
    "sites": ["url", "name", "sizeBytes"],
    "teams": ["name", "teamId", "memberCount"],
    "projects": ["key", "name", "issueCount", "sizeBytes"],
    "spaces": ["key", "name", "pageCount", "sizeBytes"],
}


def _found_command(kind: str, columns: list[str]) -> Callable[..., None]:
    def found(
        tenant_id: str,
        search: Annotated[str | None, typer.Option(help="Only those containing this (any case)")] = None,
    ) -> None:
        with _client() as client:
            rows = list(client.found(tenant_id, kind, search=search))
        _show(rows, _table(f"{kind.capitalize()} of {tenant_id}", rows, columns, drop_first=columns[:0:-1]))

    found.__doc__ = f"The {kind} the tenant's latest discovery found."
    return found


for _kind, _columns in _FOUND.items():
    tenants_app.command(_kind)(_found_command(_kind, _columns))


@jobs_app.command("list")
def jobs_list(
    status: Annotated[str | None, typer.Option(help="QUEUED, RUNNING, PAUSED, DONE, ERROR")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (pages are followed)")] = 50,
) -> None:
    """Jobs, newest first."""
    rows: list[dict[str, Any]] = []
    with _client() as client:
        for job in client.jobs(status=status, page_size=min(limit, 100)):
            rows.append(job)
            if len(rows) >= limit:
                break
    columns = ["id", "type", "status", "totalItems", "doneItems", "errorItems", "createdAt"]
    drop_first = ["createdAt", "errorItems", "totalItems", "type"]
    _show(rows, _table("Jobs", rows, columns, drop_first=drop_first))


@jobs_app.command("get")
def jobs_get(job_id: str) -> None:
    with _client() as client:
        _show(client.job(job_id))


@jobs_app.command("create")
def jobs_create(
    source: Annotated[str, typer.Option(help="Source tenant id")],
    dest: Annotated[str, typer.Option(help="Destination tenant id")],
    job_type: Annotated[str, typer.Option("--type", help="SHAREPOINT, ONEDRIVE, EMAIL, TEAMS")],
    site: Annotated[list[str] | None, typer.Option(help="A site URL (repeat for more)")] = None,
    scope: Annotated[str | None, typer.Option(help="The scope, as JSON")] = None,
    options: Annotated[str | None, typer.Option(help="The options, as JSON")] = None,
    scheduled_at: Annotated[str | None, typer.Option(help="ISO 8601 start time")] = None,
    name: Annotated[str | None, typer.Option()] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Pre-flight only; nothing is created")] = False,
) -> None:
    """Create a job (or, with --dry-run, run its pre-flight checks)."""
    opts: dict[str, Any] = json.loads(options) if options else {}
    if site:
        opts["sites"] = list(site)
    body = {
        "sourceTenantId": source,
        "destTenantId": dest,
        "type": job_type.upper(),
        "scope": json.loads(scope) if scope else None,
        "options": opts or None,
        "scheduledAt": scheduled_at,
        "name": name,
        "dryRun": dry_run or None,
    }
    with _client() as client:
        created = client.create_job(**body)
    if _state.get("json") or dry_run:
        _show(created)
    else:
        out.print(f"{created['job']['id']} {created['job']['status']}")


@jobs_app.command("batch")
def jobs_batch(
    wave: Annotated[typer.FileText, typer.Argument(help="The batch request as JSON (- for stdin)")],
) -> None:
    """Create a wave: several jobs in one request (POST /v1/jobs/batch), one per batch of the
    file, each with its name, scheduledAt and selection; their ids in the batches' order."""
    try:
        body = json.load(wave)
    except json.JSONDecodeError as exc:
        err.print(f"error: {wave.name} is not JSON: {exc}")
        raise typer.Exit(2) from None
    if not isinstance(body, dict) or not isinstance(body.get("batches"), list):
        err.print(f'error: {wave.name} must be an object with a "batches" list')
        raise typer.Exit(2)
    with _client() as client:
        ids = client.create_batch(**body)
    if _state.get("json"):
        _show({"jobIds": ids})
        return
    for job_id, batch in zip(ids, body["batches"], strict=False):
        out.print(f"{job_id}  {batch.get('name') or ''}  {batch.get('scheduledAt') or 'now'}")


# The rows a job moves, by its type, and the column naming each.
_UNITS = {
    "SHAREPOINT": ("sites", "url"),
    "ONEDRIVE": ("sites", "url"),
    "EMAIL": ("mailboxes", "email"),
    "TEAMS": ("teams", "name"),
    "JIRA": ("projects", "key"),
    "CONFLUENCE": ("spaces", "key"),
}


@jobs_app.command("units")
def jobs_units(job_id: str) -> None:
    """The job's sites, mailboxes, teams, projects or spaces, each with its status and progress."""
    with _client() as client:
        kind, name = _UNITS[client.job(job_id)["type"]]
        rows = list(client.units(job_id, kind))
    for row in rows:
        total = row.get("totalItems") or 0
        row["progress"] = f"{(row['doneItems'] + row['errorItems']) / total:.0%}" if total else "—"
    columns = ["id", name, "status", "progress", "doneItems", "errorItems", "totalItems", "completedAt"]
    drop_first = ["completedAt", "totalItems", "errorItems", "id"]
    _show(rows, _table(f"{kind.capitalize()} of {job_id}", rows, columns, drop_first=drop_first))


@jobs_app.command("pause")
def jobs_pause(job_id: str) -> None:
    with _client() as client:
        out.print(client.pause_job(job_id))


@jobs_app.command("resume")
def jobs_resume(job_id: str) -> None:
    with _client() as client:
        out.print(client.resume_job(job_id))


@jobs_app.command("delete")
def jobs_delete(job_id: str) -> None:
    with _client() as client:
        client.delete_job(job_id)
    out.print("deleted")


@jobs_app.command("watch")
def jobs_watch(
    job_id: str, interval: Annotated[float, typer.Option(help="Seconds between polls")] = 1.0
) -> None:
    """A live progress bar with rates until the job finishes (exit 0 DONE, 1 ERROR/CANCELLED)."""
    with _client() as client:
        try:
            code = watch(lambda: client.job(job_id), interval=interval, console=out)
        except KeyboardInterrupt:
            code = 130
    raise typer.Exit(code)


_LEVEL_STYLE = {"OK": "green", "INFO": "cyan", "WARN": "yellow", "ERROR": "bold red"}


@jobs_app.command("logs")
def jobs_logs(
    job_id: str,
    level: Annotated[str | None, typer.Option(help="Only these levels, e.g. WARN,ERROR")] = None,
    export: Annotated[
        typer.FileBinaryWrite | None, typer.Option(help="Write the whole log as CSV to this file instead")
    ] = None,
) -> None:
    """Follow the job's log until it finishes (exit 0 DONE, 1 ERROR/CANCELLED), resuming after
    dropped connections; or --export it as CSV."""
    with _client() as client:
        if export is not None:
            size = client.export_logs(job_id, export)
            err.print(f"{size:,} bytes written")
            raise typer.Exit(0)
        code = 0
        try:
            for kind, data in client.logs(job_id, level=level):
                if _state.get("json"):
                    out.print_json(json.dumps({"event": kind, **data}))
                elif kind == "log":
                    style = _LEVEL_STYLE.get(data["level"], "")
                    out.print(
                        f"{data['ts']} [{style}]{data['level']:5}[/] {data['message']}", highlight=False
                    )
                if kind == "done":
                    code = 0 if data["status"] == "DONE" else 1
                    if not _state.get("json"):
                        out.print(f"{job_id}: {data['status']}")
        except KeyboardInterrupt:
            code = 130
    raise typer.Exit(code)


@devices_app.command("list")
def devices_list(
    status: Annotated[str | None, typer.Option(help="ONLINE, OFFLINE or MIGRATING")] = None,
) -> None:
    """The organisation's devices, in registration order (every page)."""
    with _client() as client:
        rows = list(client.devices(status=status))
    columns = ["id", "hostname", "status", "domain", "lastSeenAt"]
    _show(rows, _table("Devices", rows, columns, drop_first=["domain", "lastSeenAt"]))


@devices_app.command("get")
def devices_get(device_id: str) -> None:
    with _client() as client:
        _show(client.device(device_id))


@devices_app.command("commands")
def devices_commands(
    device_id: str,
    status: Annotated[str | None, typer.Option(help="PENDING, RUNNING, DONE, ERROR or CANCELLED")] = None,
) -> None:
    """The device's command history, newest first."""
    with _client() as client:
        rows = list(client.commands(device_id, status=status))
    columns = ["id", "type", "status", "createdAt", "updatedAt"]
    _show(rows, _table(f"Commands of {device_id}", rows, columns, drop_first=["updatedAt", "createdAt"]))


@devices_app.command("queue")
def devices_queue(
    device_id: str,
    kind: Annotated[
        str,
        typer.Option("--type", help="FULL_MIGRATION, PROFILE_MIGRATION, ENTRA_JOIN, ROLLBACK, COLLECT_LOGS"),
    ],
    payload: Annotated[str, typer.Option(help="The command's payload, as JSON")] = "{}",
) -> None:
    """Queue a command; the agent picks it up at its next check-in."""
    try:
        body = json.loads(payload)
    except json.JSONDecodeError as exc:
        err.print(f"error: --payload is not JSON: {exc}")
        raise typer.Exit(2) from None
    with _client() as client:
        command = client.queue_command(device_id, kind.upper(), body)
    if _state.get("json"):
        _show(command)
    else:
        out.print(f"{command['id']} {command['status']}")


@devices_app.command("cancel")
def devices_cancel(device_id: str, command_id: str) -> None:
    """Cancel a command that is still PENDING."""
    with _client() as client:
        out.print(client.cancel_command(device_id, command_id))


@keys_app.command("list")
def keys_list() -> None:
    """Every key of the organisation, revoked ones too (prefixes, never the keys)."""
    with _client() as client:
        rows = client.keys()
    columns = ["id", "prefix", "name", "lastUsedAt", "revokedAt", "createdAt"]
    _show(rows, _table("API keys", rows, columns, drop_first=["createdAt", "lastUsedAt", "name"]))


@keys_app.command("create")
def keys_create(
    name: str, live: Annotated[bool, typer.Option("--live", help="tmk_live_ rather than tmk_test_")] = False
) -> None:
    """A new key: printed once (stdout), as Migrator keeps only its hash."""
    with _client() as client:
        created = client.create_key(name, live=live)
    if _state.get("json"):
        _show(created)
        return
    out.print(created["secret"], highlight=False)
    err.print(f"{created['key']['id']}: shown once, store it now")


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """The key stops working at once, on every gateway."""
    with _client() as client:
        revoked = client.revoke_key(key_id)
    out.print(f"{revoked['id']} revoked {revoked['revokedAt']}")


def main() -> None:
    app()
