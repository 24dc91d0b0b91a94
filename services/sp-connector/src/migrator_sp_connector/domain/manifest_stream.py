"""Reading an AMR export manifest as it downloads: decrypt and parse chunk by chunk.

Memory stays flat however big the package: the AES-CBC decryptor, the PKCS7 unpadder and an
expat parser are all incremental, and each SPObject is turned into a small record as soon as
its element closes. expat is driven directly (no element tree), which is what makes this fast.
"""

from __future__ import annotations

from typing import NamedTuple
from xml.parsers import expat

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class ExportedObject(NamedTuple):
    """A folder or file the read returned (or, in a change-token read, that changed).

    A named tuple rather than a frozen dataclass: there are millions, and it builds in a third
    of the time."""

    uid: str
    url: str  # server-relative: /sites/marketing/Shared Documents/Plans/a.docx
    is_folder: bool
    size: int = 0
    modified: str = ""
    # Only in a change-token read: Add, Update, Rename (with previous_url) or Delete.
    change: str | None = None
    previous_url: str | None = None
    items_below: int = 0  # a folder's SMTotalFileCount: what the whole tree under it holds
    versions: tuple[int, ...] = ()  # earlier versions' ids, oldest first (read with IncludeVersions)
    permissions: tuple[tuple[str, str], ...] = ()  # unique (login, role)s (read with IncludePermission)
    fields: tuple[tuple[str, str], ...] = ()  # metadata columns (read with IncludeExtendedMetadata)
    item_id: int = 0  # a list item's id in its list (an SPListItem; 0 for a file or folder)
    attachments: tuple[tuple[str, int], ...] = ()  # a list item's attached files: (name, size)
    # A list item's earlier versions' values, oldest first (read with IncludeVersions).
    item_versions: tuple[tuple[tuple[str, str], ...], ...] = ()

    @property
    def is_list_item(self) -> bool:
        return self.item_id > 0


class ManifestError(Exception):
    """The manifest cannot be read: the wrong key, a truncated blob, or not a manifest at all."""


_ROOT = b"<SPObjects"
_LEADING = b"\xef\xbb\xbf \t\r\n"  # a UTF-8 byte-order mark, whitespace


class ManifestStream:
    """Feed ciphertext (or plaintext, without a key) in any chunk sizes; get objects out."""

    def __init__(self, name: str, *, key: bytes | None, iv: bytes | None) -> None:
        self.name = name
        self._decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor() if key and iv else None
        self._unpadder = padding.PKCS7(128).unpadder() if self._decryptor else None
        self._parser = expat.ParserCreate()
        self._parser.buffer_text = True
        self._parser.StartElementHandler = self._start
        self._object: dict[str, str] | None = None
        self._child: dict[str, str] | None = None
        self._versions: list[int] = []
        self._roles: list[tuple[str, str]] = []
        self._fields: list[tuple[str, str]] = []
        self._attachments: list[tuple[str, int]] = []
        self._item_versions: list[list[tuple[str, str]]] = []
        self._out: list[ExportedObject] = []
        self.objects = 0
        # Decrypted bytes held until the manifest's start can be checked (see _check_start).
        self._head: bytes | None = b"" if self._decryptor else None

    # One handler, on element starts only (half the callbacks of start + end, and the parse is
    # mostly callbacks): an SPObject is complete when the next one starts, or the manifest ends.
    # Its first File or Folder element describes it; File elements after that are its earlier
    # versions (in a read with IncludeVersions).
    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "SPObject":
            if self._object is not None:
                self._emit()
            self._object, self._child, self._versions, self._roles = attrs, None, [], []
            self._fields, self._attachments, self._item_versions = [], [], []
        elif self._object is not None and (tag == "File" or tag == "Folder" or tag == "ListItem"):
            if self._child is None:
                self._child = attrs
            elif tag == "File" and "VersionId" in attrs:
                self._versions.append(int(attrs["VersionId"]))
        elif tag == "RoleAssignment" and self._object is not None:
            self._roles.append((attrs.get("Login", ""), attrs.get("Role", "")))
        elif tag == "Version" and self._object is not None:  # a list item's: its values follow
            self._item_versions.append([])
        elif (tag == "Property" or tag == "Field") and self._object is not None and not self._versions:
            values = self._item_versions[-1] if self._item_versions else self._fields
            values.append((attrs.get("Name", ""), attrs.get("Value", "")))
        elif tag == "Attachment" and self._object is not None:
            self._attachments.append((attrs.get("Name", ""), int(attrs.get("Size") or 0)))

    def _emit(self) -> None:
        obj, child = self._object or {}, self._child or {}
        size, below = child.get("FileSize"), child.get("SMTotalFileCount")
        self._out.append(
            ExportedObject(
                obj.get("Id", ""),
                obj.get("Url", ""),
                obj.get("ObjectType") == "SPFolder",
                int(size) if size else 0,
                child.get("TimeLastModified", ""),
                obj.get("ChangeType"),
                obj.get("PreviousUrl"),
                int(below) if below else 0,
                tuple(self._versions),
                tuple(self._roles),
                tuple(self._fields),
                int(child.get("IntId") or 0),
                tuple(self._attachments),
                tuple(tuple(v) for v in self._item_versions),
            )
        )
        self._object = None

    def feed(self, chunk: bytes) -> list[ExportedObject]:
        """The objects completed by this chunk."""
        if self._decryptor is not None and self._unpadder is not None:
            chunk = self._check_start(self._unpadder.update(self._decryptor.update(chunk)))
        self._parse(chunk, final=False)
        return self._take()

    def _check_start(self, plaintext: bytes, *, final: bool = False) -> bytes:
        """A manifest starts with its XML declaration or root element. With the wrong key its
        first block is noise, and the padding check at the end passes by chance one time in a
        few hundred: the start is what tells a wrong key from a corrupt manifest, every time."""
        if self._head is None:
            return plaintext
        self._head += plaintext
        start = self._head.lstrip(_LEADING)
        if len(start) < len(_ROOT) and not final:
            return b""  # a byte-order mark or whitespace so far: not enough to tell
        head, self._head = self._head, None
        if not start.startswith((b"<?xml", _ROOT)):
            raise ManifestError(
                self._why("it could not be decrypted with the job's key, or is not a manifest")
            )
        return head

    def close(self) -> list[ExportedObject]:
        """The last objects; raises :class:`ManifestError` if the manifest did not end well."""
        tail = b""
        if self._decryptor is not None and self._unpadder is not None:
            try:
                tail = self._unpadder.update(self._decryptor.finalize())
                tail += self._unpadder.finalize()
            except ValueError as exc:
                reason = f"it is truncated or not encrypted with the job's key ({exc})"
                raise ManifestError(self._why(reason)) from exc
            tail = self._check_start(tail, final=True)
        self._parse(tail, final=True)
        if self._object is not None:
            self._emit()
        return self._take()

    def _parse(self, data: bytes, *, final: bool) -> None:
        try:
            self._parser.Parse(data, final)
        except expat.ExpatError as exc:
            reason = (
                "it could not be decrypted with the job's key, or is not a manifest"
                if self.objects == 0 and not self._out and exc.lineno == 1 and exc.offset < 8
                else f"it is corrupt ({exc})"
            )
            raise ManifestError(self._why(reason)) from exc

    def _why(self, reason: str) -> str:
        return f"AMR manifest {self.name} cannot be read: {reason}"

    def _take(self) -> list[ExportedObject]:
        out, self._out = self._out, []
        self.objects += len(out)
        return out
