"""The CSV a spreadsheet opens: RFC 4180 quoting, formulas made inert, streamed in chunks."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from migrator_gateway.api import csv_export
from migrator_gateway.api.csv_export import csv_chunks, spreadsheet_safe


async def _lines(messages: list[str]) -> AsyncIterator[dict[str, Any]]:
    for n, message in enumerate(messages):
        yield {"_id": f"log_{n}", "level": "INFO", "message": message, "ts": "2026-05-09T08:05:00Z"}


async def _export(messages: list[str]) -> tuple[str, int]:
    chunks = [chunk async for chunk in csv_chunks(_lines(messages))]
    return b"".join(chunks).decode(), len(chunks)


async def test_hostile_messages_round_trip_through_a_csv_reader() -> None:
    messages = ['a, "b"', "two\nlines", "cr\r\nlf", "żółć 😀", "=1+1", "+1", "-1", "@A1", "\tx", "plain"]
    text, _ = await _export(messages)
    assert text.startswith("id,level,message,ts\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["message"] for r in rows] == [spreadsheet_safe(m) for m in messages]
    assert [r["message"] for r in rows][4:9] == ["'=1+1", "'+1", "'-1", "'@A1", "'\tx"]


async def test_a_long_history_is_sent_in_chunks_not_one_buffer() -> None:
    n = csv_export.ROWS_PER_CHUNK * 3 + 5
    text, chunks = await _export([f"line {i}" for i in range(n)])
    assert chunks == 4
    assert text.count("\r\n") == n + 1


def test_only_a_leading_formula_character_is_escaped() -> None:
    assert spreadsheet_safe("total = 3") == "total = 3"
    assert spreadsheet_safe("") == ""
