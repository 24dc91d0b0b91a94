"""A Teams channel and its messages (root posts with their replies), and its migration state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def epoch_ms(moment: str) -> int:
    """Milliseconds since the epoch of an ISO time (Teams message ids are these)."""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


@dataclass(slots=True)
class Message:
    id: str
    created: str
    author: str  # the author's user id
    author_name: str
    content: str
    reply_to: str | None = None


@dataclass
class Channel:
    id: str
    name: str
    description: str
    created: str
    membership: str = "standard"
    migration_mode: str | None = None  # None, "inProgress" or "completed"
    roots: list[Message] = field(default_factory=list)
    replies: dict[str, list[Message]] = field(default_factory=dict)  # root id -> replies
    stamps: set[int] = field(default_factory=set)  # every message's creation time, in ms

    @property
    def folder(self) -> str:
        """The channel's folder in the team site's Documents library."""
        return f"Shared Documents/{self.name}"

    def root(self, message_id: str) -> Message | None:
        return next((m for m in self.roots if m.id == message_id), None)

    def taken(self, created_ms: int) -> bool:
        """Whether a message (root or reply) already has this creation time, to the millisecond."""
        return created_ms in self.stamps

    def add(self, message: Message) -> Message:
        self.stamps.add(epoch_ms(message.created))
        if message.reply_to is None:
            self.roots.append(message)
            self.replies.setdefault(message.id, [])
        else:
            self.replies.setdefault(message.reply_to, []).append(message)
        return message
