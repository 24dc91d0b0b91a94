"""Turning a create-task call into a plan, from the job, its source, its destination and the faults now."""

from __future__ import annotations

from atlassian_simulator import checks
from atlassian_simulator.api_errors import InvalidRequest
from atlassian_simulator.plan import TaskPlan, Work, check_plan, migrate_plan
from atlassian_simulator.state import Job, SimState
from atlassian_simulator.task_options import TaskRequest


def known_checks(sim: SimState, job: Job) -> list[str]:
    flow = job.spec.flow
    return checks.check_names(flow, sim.check_settings.get(flow.product, {}))


def plan_task(sim: SimState, job: Job, request: TaskRequest) -> TaskPlan:
    """The task's schedule; faults and check settings are taken as they are at creation."""
    spec, now = job.spec, sim.clock()
    server = sim.servers.get(spec.server_id)
    if server is None:
        raise InvalidRequest([("SOURCE_NOT_FOUND", f"Server {spec.server_id} is no longer connected")])
    if spec.flow.container == "projects":
        held = {k: (p.name, p.issue_count) for k, p in server.projects.items()}
    else:
        held = {k: (s.name, s.page_count) for k, s in server.spaces.items()}
    gone = [k for k in spec.keys if k not in held]
    if gone:
        raise InvalidRequest([("KEY_NOT_FOUND", f"No longer on the source: {', '.join(gone)}")])
    site = sim.sites[job.site]
    on_site = site.projects if spec.flow.container == "projects" else site.spaces
    settings = checks.data_checks(spec.flow, keys=spec.keys, site_keys=on_site)
    settings |= sim.check_settings.get(spec.flow.product, {})
    results = checks.evaluate(spec.flow, request.checks, settings=settings, with_apps=bool(spec.app_keys))
    seconds = sim.settings.check_seconds
    if request.task_type == "check":
        return check_plan(results, created=now, seconds=seconds)
    work = [Work(key, *held[key]) for key in spec.keys]
    return migrate_plan(
        spec.flow,
        checks.override(results, request.overrides),
        work=work,
        users=len(server.users),
        app_keys=spec.app_keys,
        global_entities=spec.global_entities,
        created=now,
        check_seconds=seconds,
        items_per_second=sim.faults.items_per_second or sim.settings.items_per_second,
        apps_lag=sim.settings.apps_lag_seconds,
        fail_keys=sim.faults.fail_keys,
        warn_keys=sim.faults.warn_keys,
        skip_keys=sim.faults.skip_keys,
        hide_keys=sim.faults.hide_keys,
        unscheduled=sim.faults.unscheduled,
    )
