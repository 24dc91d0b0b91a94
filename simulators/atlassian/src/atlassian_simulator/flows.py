"""The two migration flows and how their status trees differ."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flow:
    """What a flow migrates: the product, its scope container and unit, and its other scopes."""

    name: str
    product: str  # "jira" | "confluence"
    container: str  # the scope of keys: "projects" | "spaces"
    unit: str  # what a key's progress counts: "Issues" | "Pages"
    noun: str
    included_data: str  # as the job definition spells it
    failure: str  # a failed key's message prefix
    after: tuple[str, ...]  # scopes run after the keys, besides usersAndGroups and apps


JIRA = Flow(
    name="jira-onpremises-to-cloud",
    product="jira",
    container="projects",
    unit="Issues",
    noun="project",
    included_data="all",
    failure="Issue import failed",
    after=("jsm", "ar"),
)
CONFLUENCE = Flow(
    name="confluence-onpremises-to-cloud",
    product="confluence",
    container="spaces",
    unit="Pages",
    noun="space",
    included_data="ALL",
    failure="Page import failed",
    after=("globalEntities",),
)
FLOWS = {JIRA.name: JIRA, CONFLUENCE.name: CONFLUENCE}
BY_PRODUCT = {JIRA.product: JIRA, CONFLUENCE.product: CONFLUENCE}
