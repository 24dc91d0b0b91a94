"""The public API reference's examples, read from the reference itself: each curl command with the
response documented just before it."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference" / "migrator-public-api.md"


@dataclass
class Example:
    method: str
    path: str  # with the query string, as written
    body: Any | None
    response: Any | None  # the documented JSON response, if the reference shows one
    headers: dict[str, str] = field(default_factory=dict)


def _json_spans(text: str) -> list[tuple[int, int, Any]]:
    """Every top-level JSON object in the text: (start, end, value)."""
    decoder, spans, pos = json.JSONDecoder(), [], 0
    while (start := text.find("{", pos)) != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            pos = start + 1
            continue
        spans.append((start, end, value))
        pos = end
    return spans


def _command_end(text: str, start: int) -> int:
    """Where a curl command ends: after its quoted body (prose follows it on the same line in the
    reference), or at the first newline outside quotes not continued by a backslash."""
    quoted, i = False, start
    while i < len(text):
        char = text[i]
        if char == "'":
            if quoted and text[start:i].rstrip().find("-d '") != -1:
                return i + 1
            quoted = not quoted
        elif char == "\n" and not quoted and not text[start:i].rstrip().endswith("\\"):
            return i
        i += 1
    return i


def load_examples(reference: Path = REFERENCE) -> list[Example]:
    text = reference.read_text(encoding="utf-8")
    spans = _json_spans(text)
    examples, pos = [], 0
    while (start := text.find("curl ", pos)) != -1:
        end = _command_end(text, start)
        command = text[start:end].replace("\\\n", " ").replace("\\ ", " ")
        tokens = shlex.split(command)[1:]
        method, body, headers, url = "GET", None, {}, ""
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token == "-X":
                method, i = tokens[i + 1], i + 1
            elif token == "-H":
                name, _, value = tokens[i + 1].partition(":")
                headers[name.strip()], i = value.strip(), i + 1
            elif token == "-d":
                body, i = json.loads(tokens[i + 1]), i + 1
            elif token == "-o":
                i += 1
            elif token.startswith("http"):
                url = token
            i += 1
        before = text[:start].rstrip()
        documented = next((value for s, e, value in spans if e == len(before)), None)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        examples.append(Example(method, path, body, documented, headers))
        pos = end
    return examples
