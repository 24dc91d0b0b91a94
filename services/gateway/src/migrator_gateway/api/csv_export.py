"""A job's log history as CSV (RFC 4180), streamed in chunks and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

HEADER = ("id", "level", "message", "ts")
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 2000


def spreadsheet_safe(text: str) -> str:
    """Neutralise formula injection (OWASP): a leading ``'`` makes the cell plain text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


async def csv_chunks(lines: AsyncIterable[dict[str, Any]]) -> AsyncIterator[bytes]:
    """The header, then one row per line, yielded a few thousand rows at a time (memory flat)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: CRLF, quotes doubled
    writer.writerow(HEADER)
    rows = 0
    async for line in lines:
        writer.writerow((line["_id"], line["level"], spreadsheet_safe(str(line["message"])), line["ts"]))
        rows += 1
        if rows % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
