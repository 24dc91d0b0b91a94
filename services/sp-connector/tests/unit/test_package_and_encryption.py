"""The import package's manifest and the AES-256-CBC envelope of report messages."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest
from migrator_sp_connector.domain.encryption import (
    StreamEncryptor,
    decrypt,
    encrypt,
    new_key,
    open_queue_message,
)
from migrator_sp_connector.domain.package import NS, SourceObject, build_manifest
from migrator_sp_connector.migration.site_job import expires_soon

pytestmark = pytest.mark.unit


def test_manifest_lists_folders_before_files_and_links_parents() -> None:
    objects = [
        SourceObject("/sites/m/Shared Documents/Plans", is_folder=True),
        SourceObject("/sites/m/Shared Documents/Plans/a b.docx", is_folder=False, size=12),
        SourceObject("/sites/m/Shared Documents/root.txt", is_folder=False, size=3),
    ]
    xml, files = build_manifest(objects, site_path="/sites/m", web_id="w")
    root = ET.fromstring(xml)
    nodes = root.findall(f"{{{NS}}}SPObject")
    assert [n.get("ObjectType") for n in nodes] == ["SPFolder", "SPFile", "SPFile"]
    folder, nested_file = nodes[0], nodes[1]
    assert nested_file.get("ParentId") == folder.get("Id")
    file_el = nested_file.find(f"{{{NS}}}File")
    assert file_el is not None
    assert file_el.get("Url") == "Shared Documents/Plans/a b.docx"
    assert file_el.get("FileSize") == "12"
    assert [f.blob_name for f in files] == [f"{nodes[1].get('Id')}.dat", f"{nodes[2].get('Id')}.dat"]


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100_000])
def test_cbc_round_trips_every_padding_length(size: int) -> None:
    key, data = new_key(), bytes(range(256)) * (size // 256 + 1)
    iv, ciphertext = encrypt(key, data[:size])
    assert len(ciphertext) % 16 == 0 and ciphertext[:16] != data[:16]
    assert decrypt(key, iv, ciphertext) == data[:size]


def test_encrypted_queue_message_opens_to_the_event() -> None:
    key = new_key()
    event = {"Event": "JobEnd", "JobId": "j", "ObjectsProcessed": "3"}
    iv, content = encrypt(key, json.dumps(event).encode())
    envelope = {
        "Label": "Encrypted",
        "JobId": "j",
        "IV": base64.b64encode(iv).decode(),
        "Content": base64.b64encode(content).decode(),
    }
    text = base64.b64encode(json.dumps(envelope).encode()).decode()
    assert open_queue_message(key, text) == event


def test_content_encrypted_piece_by_piece_decrypts_as_one_envelope() -> None:
    key, pieces = new_key(), [b"x" * 5, b"", b"y" * (1 << 20) + b"z", b"tail"]
    encryptor = StreamEncryptor(key)
    ciphertext = b"".join(encryptor.update(p) for p in pieces) + encryptor.finalize()
    assert decrypt(key, encryptor.iv, ciphertext) == b"".join(pieces)
    assert len(ciphertext) % 16 == 0 and len(ciphertext) > sum(map(len, pieces))  # PKCS7 padded


def test_staging_is_provisioned_again_only_when_its_access_ends_within_twelve_hours() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    sas = "https://acct.blob.core.windows.net/c?sv=2018-03-28&se={}&sp=rw&sig=x"
    assert not expires_soon(sas.format("2026-12-10T12:00:00Z"), now)
    assert expires_soon(sas.format("2026-12-07T23:00:00Z"), now)
    assert not expires_soon("https://acct.blob.core.windows.net/c?sig=x", now)  # no end given
