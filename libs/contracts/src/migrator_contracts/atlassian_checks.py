"""Atlassian's pre-migration checks that a migrate task's ``overrideChecks`` never skips.

Atlassian says whether a FAILED check may be excluded (``details.excludable``) only once the
check has run, and the connector honours exactly that. These are the checks of the catalogue
it never marks excludable — the source or the site must change — so a job that asks to
override one is refused when it is created, not an hour later when its checks have run. A
check outside this list (the catalogue grows) is left to Atlassian's verdict.
"""

from __future__ import annotations

from migrator_contracts.enums import JobType

_BOTH = {"CloudFreeUserLimit", "DatabaseSize"}
NOT_EXCLUDABLE: dict[JobType, frozenset[str]] = {
    JobType.JIRA: frozenset(
        _BOTH
        | {
            "AdvancedRoadmapsOutdated",
            "AdvancedRoadmapsProjectMigratedConflict",
            "JsmCloudEntityCreationLimits",
            "JsmCloudFreeAgentLimit",
            "JsmInCloudSite",
            "JsmLicence",
            "ManualImportFileValidation",
            "MissingIssueTypes",
        }
    ),
    JobType.CONFLUENCE: frozenset(_BOTH | {"SpaceKeyConflict"}),
}


def refused_overrides(job_type: JobType, names: list[str]) -> list[str]:
    """The checks in ``names`` that Atlassian never lets a migration override, in their order."""
    never = NOT_EXCLUDABLE.get(job_type, frozenset())
    return [name for name in names if name in never]
