"""Pre-migration checks: the catalogue per product, and each check's outcome for a task."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from atlassian_simulator.flows import Flow


@dataclass(frozen=True)
class CheckSetting:
    """An outcome set through ``/_sim/checks`` (or derived from the data), replacing the default."""

    outcome: str
    message: str | None = None
    excludable: bool | None = None  # None: the catalogue's
    occurrences: tuple[Any, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class CheckResult:
    name: str
    outcome: str
    message: str | None = None
    details: dict[str, Any] | None = None


# name -> (excludable, description); app checks are SKIPPED when no app is selected.
_APP_CHECKS = {
    "AppAssessmentIncomplete": (True, "Apps have not been assessed in the Migration Assistant."),
    "AppDataMigrationConsent": (True, "Consent to migrate app data has not been given."),
    "AppLicenseCheck": (True, "Some apps have no licence on the cloud site."),
    "AppsNotInstalledOnCloud": (True, "Some apps are not installed on the cloud site."),
    "AppsReliabilityCheck": (True, "Some apps have unreliable automated migration paths."),
    "AppVendorCheck": (True, "Some app vendors have not confirmed migration support."),
    "AppWebhookEndpointCheck": (True, "Some app webhook endpoints are unreachable."),
}
JIRA_CHECKS: dict[str, tuple[bool, str]] = {
    "AdvancedRoadmapsOutdated": (False, "Advanced Roadmaps on the server is too old to migrate."),
    "AdvancedRoadmapsProjectMigratedConflict": (False, "Advanced Roadmaps plans conflict with the site."),
    "AnonPermission": (True, "Project settings will allow public access on the cloud site."),
    **_APP_CHECKS,
    "CloudFreeUserLimit": (False, "The migration would exceed the cloud plan's user limit."),
    "CloudSiteNotEmpty": (True, "The cloud site already holds projects."),
    "CrossProjectEntityMissingProjectSelection": (True, "Boards or filters reference unselected projects."),
    "DatabaseSize": (False, "The server database is too large to migrate."),
    "EpicLinksAboveStoryHierarchyLevel": (True, "Epic links point above the story hierarchy level."),
    "JsmCloudEntityCreationLimits": (False, "Service projects exceed cloud entity limits."),
    "JsmCloudFreeAgentLimit": (False, "Service projects exceed the free plan's agent limit."),
    "JsmInCloudSite": (False, "Jira Service Management is not on the cloud site."),
    "JsmLicence": (False, "Jira Service Management has no licence on the cloud site."),
    "ManualImportFileValidation": (False, "A manually imported file is invalid."),
    "MissingAttachments": (True, "Some attachments are missing from the server's file system."),
    "MissingIssueTypes": (False, "Some issue types are missing from the server."),
}
CONFLUENCE_CHECKS: dict[str, tuple[bool, str]] = {
    **{n: _APP_CHECKS[n] for n in ("AppDataMigrationConsent", "AppLicenseCheck", "AppsNotInstalledOnCloud")},
    "CloudFreeUserLimit": (False, "The migration would exceed the cloud plan's user limit."),
    "DatabaseSize": (False, "The server database is too large to migrate."),
    "DuplicateEmails": (True, "Several users share an email address."),
    "GroupNameConflict": (True, "Groups with these names already exist on the cloud site."),
    "InvalidEmails": (True, "Some users have invalid email addresses."),
    "SpaceKeyConflict": (False, "Spaces with these keys already exist on the cloud site."),
    "UnsupportedMacros": (True, "Some pages use macros the cloud does not support."),
}
CATALOGUE = {"jira": JIRA_CHECKS, "confluence": CONFLUENCE_CHECKS}
_DEFAULT_SKIPPED = {
    "ManualImportFileValidation",
    "AdvancedRoadmapsOutdated",
    "AdvancedRoadmapsProjectMigratedConflict",
}
_DEFAULT_MESSAGES = {"AnonPermission": "No project settings allow public access"}


def check_names(flow: Flow, configured: Mapping[str, CheckSetting]) -> list[str]:
    """The catalogue plus any check ``/_sim/checks`` added (the real catalogue grows over time)."""
    return sorted({*CATALOGUE[flow.product], *configured}, key=str.lower)


def _default(name: str, *, with_apps: bool) -> CheckSetting:
    skipped = name in _DEFAULT_SKIPPED or name.startswith("Jsm") or (name in _APP_CHECKS and not with_apps)
    return CheckSetting("SKIPPED" if skipped else "SUCCESS", _DEFAULT_MESSAGES.get(name))


def data_checks(flow: Flow, *, keys: Iterable[str], site_keys: Iterable[str]) -> dict[str, CheckSetting]:
    """Outcomes the destination decides: a non-empty Jira site warns; a Confluence key clash fails."""
    existing = sorted(site_keys)
    if flow.product == "jira" and existing:
        return {
            "CloudSiteNotEmpty": CheckSetting(
                "WARNING", "The cloud site already has projects", None, tuple(existing)
            )
        }
    clashes = sorted(set(keys) & set(existing))
    if flow.product == "confluence" and clashes:
        message = f"Spaces with these keys already exist on the cloud site: {', '.join(clashes)}"
        return {"SpaceKeyConflict": CheckSetting("FAILED", message, None, tuple(clashes))}
    return {}


def evaluate(
    flow: Flow, names: Iterable[str], *, settings: Mapping[str, CheckSetting], with_apps: bool
) -> list[CheckResult]:
    """Each named check's result: its setting if it has one, else the catalogue default."""
    results: list[CheckResult] = []
    for name in names:
        setting = settings.get(name) or _default(name, with_apps=with_apps)
        details = None
        if setting.outcome in ("FAILED", "WARNING"):
            excludable, description = CATALOGUE[flow.product].get(name, (True, f"{name} needs attention."))
            details = {
                "occurrences": list(setting.occurrences),
                "excludable": excludable if setting.excludable is None else setting.excludable,
                "description": setting.description or description,
            }
        results.append(CheckResult(name, setting.outcome, setting.message, details))
    return results


def override(results: list[CheckResult], names: Iterable[str]) -> list[CheckResult]:
    """Overridden excludable FAILED checks become WARNING, as the migrate task's ``overrideChecks`` does."""
    chosen = set(names)
    return [
        CheckResult(r.name, "WARNING", r.message, r.details)
        if r.name in chosen and r.outcome == "FAILED" and r.details and r.details["excludable"]
        else r
        for r in results
    ]
