"""Who a migrated message is posted as, and keeping its timestamp unique (pure, no I/O).

An author is mapped by the job's ``userMappings`` (source UPN → destination UPN), else to the
destination user of the same name (local part), else to the fallback account — the job's
``fallbackUser``, or the first destination user by UPN — and the job's log says so once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Author:
    """The destination user a message is posted as; ``unmapped`` names a source author who had none."""

    id: str
    name: str
    upn: str
    unmapped: str | None = None


class AuthorMap:
    """Source user id → destination user."""

    def __init__(
        self,
        *,
        source_users: list[dict[str, str]],
        dest_users: list[dict[str, str]],
        mappings: dict[str, str],
        fallback: str | None,
    ) -> None:
        self._source = {u["id"]: u["userPrincipalName"] for u in source_users}
        self._dest = {u["userPrincipalName"].lower(): u for u in dest_users}
        self._by_local = {upn.split("@", 1)[0]: u for upn, u in self._dest.items()}
        self._mappings = {k.lower(): v.lower() for k, v in mappings.items()}
        chosen = (fallback or "").lower() or (min(self._dest) if self._dest else "")
        if chosen not in self._dest:
            raise LookupError(f"fallback user {fallback or '(none)'} has no account at the destination")
        self._fallback = self._dest[chosen]

    @property
    def fallback(self) -> Author:
        """Who takes the messages of an author without an account at the destination."""
        return self._author(self._fallback)

    @staticmethod
    def _author(user: dict[str, str], unmapped: str | None = None) -> Author:
        return Author(user["id"], str(user.get("displayName") or ""), user["userPrincipalName"], unmapped)

    def resolve(self, source_user_id: str | None, source_name: str) -> Author:
        upn = self._source.get(source_user_id or "", "")
        if upn:
            mapped = self._mappings.get(upn.lower())
            if mapped and mapped in self._dest:
                return self._author(self._dest[mapped])
            if not mapped and (same := self._by_local.get(upn.lower().split("@", 1)[0])):
                return self._author(same)
        return self._author(self._fallback, unmapped=upn or source_name or "an unknown author")


def moment(created: str) -> datetime:
    """A Graph timestamp (``2026-05-09T08:00:00.123Z``) as an aware datetime."""
    return datetime.fromisoformat(created.replace("Z", "+00:00"))


def later(created: str, milliseconds: int) -> str:
    """``created`` moved on by this many milliseconds, in Graph's form (``…T08:00:00.123Z``)."""
    shifted = moment(created) + timedelta(milliseconds=milliseconds)
    return shifted.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
