"""``/v1/jobs/{id}/mailboxes`` and ``/v1/jobs/{id}/teams``: each unit's row in the documented
shape and order, filtered by status, paged by cursor, in the units' order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from migrator_contracts import readmodels

if TYPE_CHECKING:
    from .conftest import Gateway

pytestmark = pytest.mark.integration

MAIL_JOB, TEAMS_JOB = "job_01MAILPROGRESS0000000000", "job_01TEAMSPROGRESS000000000"
ENGINEERING, SALES = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "ffffffff-0000-1111-2222-333333333333"
MAILBOX_FIELDS = [
    "id",
    "email",
    "destEmail",
    "status",
    "totalItems",
    "doneItems",
    "errorItems",
    "sizeBytes",
    "startedAt",
    "completedAt",
]
TEAM_FIELDS = [
    "id",
    "teamId",
    "name",
    "destTeamId",
    "status",
    "totalItems",
    "doneItems",
    "errorItems",
    "bytesTransferred",
    "startedAt",
    "completedAt",
]


async def seed_job(
    gateway: Gateway, job_id: str, job_type: str, kind: str, units: list[dict[str, Any]]
) -> None:
    """A job and its units, as the scheduler's projections hold them."""
    job = readmodels.JobDoc(
        id=job_id,
        org_id="org_GATEWAY",
        type=job_type,
        status="RUNNING",
        source_tenant_id="ten_CONTOSO",
        dest_tenant_id="ten_FABRIKAM",
        scope={},
        options={},
        created_at="2026-05-09T08:00:00Z",
    )
    await gateway.store.collection(readmodels.JOBS).upsert(job_id, job.to_doc())
    prefix = {"mailbox": "mbp", "team": "tpr"}[kind]
    for index, unit in enumerate(units):
        unit_id = f"{prefix}_{job_id.removeprefix('job_')}{index:05d}"
        doc = {
            "id": unit_id,
            "jobId": job_id,
            "orgId": "org_GATEWAY",
            "kind": kind,
            "dest": "",
            "status": "QUEUED",
            "totalItems": 0,
            "doneItems": 0,
            "errorItems": 0,
            "skippedItems": 0,
            "bytesTransferred": 0,
            "startedAt": None,
            "completedAt": None,
            "message": None,
        }
        await gateway.store.collection(readmodels.JOB_UNITS).upsert(unit_id, doc | unit)


@pytest.fixture(scope="module")
async def jobs(gateway: Gateway) -> None:
    await seed_job(
        gateway,
        MAIL_JOB,
        "EMAIL",
        "mailbox",
        [
            {
                "source": "ceo@contoso.com",
                "dest": "boss@fabrikam.com",
                "status": "DONE",
                "totalItems": 4210,
                "doneItems": 4210,
                "startedAt": "2026-05-09T08:02:00Z",
                "completedAt": "2026-05-09T08:09:44Z",
            },
            {
                "source": "cfo@contoso.com",
                "dest": "CFO@fabrikam.com",
                "status": "ERROR",
                "totalItems": 8920,
                "errorItems": 1,
                "startedAt": "2026-05-09T08:07:00Z",
            },
            {"source": "John.Smith@contoso.com", "dest": "john.smith@fabrikam.com"},
        ],
    )
    await seed_job(
        gateway,
        TEAMS_JOB,
        "TEAMS",
        "team",
        [
            {
                "source": ENGINEERING,
                "dest": "99999999-8888-7777-6666-555555555555",
                "status": "RUNNING",
                "totalItems": 40,
                "doneItems": 12,
                "bytesTransferred": 2048,
                "startedAt": "2026-05-09T08:02:00Z",
            },
            {"source": SALES},
            {"source": "gone-since-discovery"},
        ],
    )


@pytest.mark.usefixtures("jobs")
async def test_mailbox_rows_are_the_references_shape_in_unit_order(gateway: Gateway) -> None:
    response = await gateway.api.get(f"/v1/jobs/{MAIL_JOB}/mailboxes")
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["mailboxes", "nextCursor", "hasMore"]
    assert body["nextCursor"] is None and body["hasMore"] is False
    rows = body["mailboxes"]
    assert all(list(row) == MAILBOX_FIELDS for row in rows)
    assert rows[0] == {
        "id": "mbp_01MAILPROGRESS000000000000000",
        "email": "ceo@contoso.com",
        "destEmail": "boss@fabrikam.com",
        "status": "DONE",
        "totalItems": 4210,
        "doneItems": 4210,
        "errorItems": 0,
        "sizeBytes": 1_073_741_824,  # as discovery measured the source mailbox
        "startedAt": "2026-05-09T08:02:00Z",
        "completedAt": "2026-05-09T08:09:44Z",
    }
    assert [(r["email"], r["destEmail"], r["sizeBytes"]) for r in rows[1:]] == [
        ("cfo@contoso.com", "CFO@fabrikam.com", 2_147_483_648),
        ("John.Smith@contoso.com", "john.smith@fabrikam.com", 3_221_225_472),
    ]
    assert rows[2]["startedAt"] is None and rows[2]["status"] == "QUEUED"


@pytest.mark.usefixtures("jobs")
async def test_mailbox_rows_filter_by_status_and_page_by_cursor(gateway: Gateway) -> None:
    failed = (await gateway.api.get(f"/v1/jobs/{MAIL_JOB}/mailboxes", params={"status": "ERROR"})).json()
    assert [r["email"] for r in failed["mailboxes"]] == ["cfo@contoso.com"]
    first = (await gateway.api.get(f"/v1/jobs/{MAIL_JOB}/mailboxes", params={"limit": 2})).json()
    assert first["hasMore"] is True and first["nextCursor"].startswith("cur_")
    rest = (
        await gateway.api.get(
            f"/v1/jobs/{MAIL_JOB}/mailboxes", params={"limit": 2, "cursor": first["nextCursor"]}
        )
    ).json()
    assert rest["hasMore"] is False and rest["nextCursor"] is None
    emails = [r["email"] for r in first["mailboxes"] + rest["mailboxes"]]
    assert emails == ["ceo@contoso.com", "cfo@contoso.com", "John.Smith@contoso.com"]
    for bad in ({"limit": 201}, {"limit": 0}, {"status": "FINISHED"}, {"cursor": "nope"}):
        response = await gateway.api.get(f"/v1/jobs/{MAIL_JOB}/mailboxes", params=bad)
        assert gateway.error(response, 400, "VALIDATION_ERROR")
    assert gateway.error(await gateway.other.get(f"/v1/jobs/{MAIL_JOB}/mailboxes"), 404, "JOB_NOT_FOUND")


@pytest.mark.usefixtures("jobs")
async def test_team_rows_show_source_name_and_destination_once_known(gateway: Gateway) -> None:
    body = (await gateway.api.get(f"/v1/jobs/{TEAMS_JOB}/teams")).json()
    assert list(body) == ["teams", "nextCursor", "hasMore"] and body["hasMore"] is False
    rows = body["teams"]
    assert all(list(row) == TEAM_FIELDS for row in rows)
    assert rows[0] == {
        "id": "tpr_01TEAMSPROGRESS00000000000000",
        "teamId": ENGINEERING,
        "name": "Engineering",
        "destTeamId": "99999999-8888-7777-6666-555555555555",
        "status": "RUNNING",
        "totalItems": 40,
        "doneItems": 12,
        "errorItems": 0,
        "bytesTransferred": 2048,
        "startedAt": "2026-05-09T08:02:00Z",
        "completedAt": None,
    }
    assert [(r["teamId"], r["name"], r["destTeamId"]) for r in rows[1:]] == [
        (SALES, "Sales", None),  # created or matched by the connector: not known yet
        ("gone-since-discovery", None, None),
    ]
    running = (
        await gateway.api.get(f"/v1/jobs/{TEAMS_JOB}/teams", params={"status": "RUNNING", "limit": 1})
    ).json()
    assert [r["teamId"] for r in running["teams"]] == [ENGINEERING] and running["hasMore"] is False
    # Each listing shows its own kind of unit only.
    assert (await gateway.api.get(f"/v1/jobs/{TEAMS_JOB}/mailboxes")).json()["mailboxes"] == []


async def test_the_openapi_document_describes_both_listings(gateway: Gateway) -> None:
    document = (await gateway.api.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert list(schemas["MailboxProgress"]["properties"]) == MAILBOX_FIELDS
    assert list(schemas["TeamProgress"]["properties"]) == TEAM_FIELDS
    teams = document["paths"]["/v1/jobs/{job_id}/teams"]["get"]
    assert teams["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TeamPage"
    }
