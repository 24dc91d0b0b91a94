"""The streaming manifest reader: any chunking gives the same objects; bad input a clear error."""

from __future__ import annotations

import os
from xml.etree import ElementTree as ET

import pytest
from migrator_sp_connector.domain.encryption import encrypt
from migrator_sp_connector.domain.manifest_stream import ManifestError, ManifestStream
from migrator_sp_connector.domain.package import NS, SourceObject, build_manifest

MANIFEST = (
    b'<?xml version="1.0" encoding="utf-8"?><SPObjects xmlns="urn:deployment-manifest-schema">'
    b'<SPObject Id="f1" ObjectType="SPFolder" Url="/sites/a/Shared Documents/Plans">'
    b'<Folder Id="f1" Url="Shared Documents/Plans" SMTotalFileCount="12" /></SPObject>'
    b'<SPObject Id="d1" ObjectType="SPFile" Url="/sites/a/Shared Documents/Plans/O&apos;Brien &amp; co.docx">'
    b'<File Id="d1" Url="Shared Documents/Plans/x" FileSize="1234" TimeLastModified="2026-01-01" />'
    b"</SPObject>"
    b'<SPObject Id="d2" ObjectType="SPFile" Url="/sites/a/Shared Documents/new.txt" ChangeType="Rename" '
    b'PreviousUrl="/sites/a/Shared Documents/old.txt"><File Id="d2" FileSize="5" /></SPObject>'
    b'<SPObject Id="d3" ObjectType="SPFile" Url="/sites/a/Shared Documents/gone.txt" ChangeType="Delete" />'
    b"</SPObjects>"
)


def _read(stream: ManifestStream, data: bytes, chunk: int) -> list:  # type: ignore[type-arg]
    out = []
    for i in range(0, len(data), chunk):
        out += stream.feed(data[i : i + chunk])
    return out + stream.close()


@pytest.mark.parametrize("chunk", [1, 7, 16, 4096])
def test_any_chunking_of_an_encrypted_manifest_gives_every_object(chunk: int) -> None:
    key = os.urandom(32)
    iv, ciphertext = encrypt(key, MANIFEST)
    objects = _read(ManifestStream("Manifest.xml", key=key, iv=iv), ciphertext, chunk)
    assert [o.uid for o in objects] == ["f1", "d1", "d2", "d3"]
    folder, file, renamed, deleted = objects
    assert folder.is_folder and folder.items_below == 12
    assert file.url.endswith("O'Brien & co.docx") and file.size == 1234 and not file.is_folder
    assert renamed.change == "Rename" and renamed.previous_url == "/sites/a/Shared Documents/old.txt"
    assert deleted.change == "Delete"


def test_the_wrong_key_is_named_as_such() -> None:
    iv, ciphertext = encrypt(os.urandom(32), MANIFEST)
    # Many keys: the padding of a wrong key's plaintext is valid by chance about once in 250.
    for _ in range(2000):
        with pytest.raises(ManifestError, match="could not be decrypted with the job's key"):
            _read(ManifestStream("Manifest.xml", key=os.urandom(32), iv=iv), ciphertext, 4096)


def test_a_truncated_blob_is_an_error_not_a_short_listing() -> None:
    key = os.urandom(32)
    iv, ciphertext = encrypt(key, MANIFEST)
    with pytest.raises(ManifestError, match=r"Manifest2\.xml cannot be read"):
        _read(ManifestStream("Manifest2.xml", key=key, iv=iv), ciphertext[:-21], 4096)


def test_a_garbled_manifest_is_reported_corrupt() -> None:
    key = os.urandom(32)
    iv, ciphertext = encrypt(key, MANIFEST[: len(MANIFEST) // 2] + b"<<not xml")
    with pytest.raises(ManifestError, match="corrupt"):
        _read(ManifestStream("Manifest.xml", key=key, iv=iv), ciphertext, 100)


def test_a_blob_without_its_iv_is_not_mistaken_for_an_empty_manifest() -> None:
    key = os.urandom(32)
    _, ciphertext = encrypt(key, MANIFEST)
    with pytest.raises(ManifestError, match="key"):
        _read(ManifestStream("Manifest.xml", key=key, iv=None), ciphertext, 4096)


def test_earlier_versions_are_read_with_their_file_not_as_files() -> None:
    manifest = (
        b'<SPObjects><SPObject Id="d1" ObjectType="SPFile" Url="/sites/a/Shared Documents/v.txt">'
        b'<File Id="d1" FileSize="9" Version="3.0"><Versions>'
        b'<File Version="1.0" VersionId="512" FileSize="2" />'
        b'<File Version="2.0" VersionId="1024" FileSize="5" /></Versions></File></SPObject>'
        b'<SPObject Id="d2" ObjectType="SPFile" Url="/sites/a/Shared Documents/w.txt">'
        b'<File Id="d2" FileSize="1" />'
        b"</SPObject></SPObjects>"
    )
    objects = _read(ManifestStream("Manifest.xml", key=None, iv=None), manifest, 10)
    assert [(o.uid, o.size, o.versions) for o in objects] == [("d1", 9, (512, 1024)), ("d2", 1, ())]


def test_unique_permissions_are_read_with_their_item() -> None:
    manifest = (
        b'<SPObjects><SPObject Id="f" ObjectType="SPFolder" Url="/sites/a/Shared Documents/P">'
        b'<Folder Id="f" />'
        b'<RoleAssignments><RoleAssignment Login="a@contoso.com" Role="Read" />'
        b'<RoleAssignment Login="b@contoso.com" Role="Contribute" /></RoleAssignments></SPObject>'
        b'<SPObject Id="d" ObjectType="SPFile" Url="/sites/a/Shared Documents/P/x">'
        b'<File Id="d" FileSize="1" />'
        b"</SPObject></SPObjects>"
    )
    objects = _read(ManifestStream("Manifest.xml", key=None, iv=None), manifest, 7)
    assert [(o.uid, o.permissions) for o in objects] == [
        ("f", (("a@contoso.com", "Read"), ("b@contoso.com", "Contribute"))),
        ("d", ()),
    ]


def test_a_files_metadata_columns_are_read_with_it_and_go_into_the_package() -> None:
    manifest = (
        b'<SPObjects><SPObject Id="d" ObjectType="SPFile" Url="/sites/a/Contracts/c.pdf">'
        b'<File Id="d" FileSize="4"><Properties>'
        b'<Property Name="Department" Type="String" Access="ReadWrite" Value="Sales &lt;EMEA&gt;" />'
        b'<Property Name="Title" Type="String" Access="ReadWrite" Value="Lease" /></Properties>'
        b"</File></SPObject>"
        b'<SPObject Id="e" ObjectType="SPFile" Url="/sites/a/Contracts/e.pdf"><File Id="e" FileSize="1" />'
        b"</SPObject></SPObjects>"
    )
    objects = _read(ManifestStream("Manifest.xml", key=None, iv=None), manifest, 5)
    assert [(o.uid, o.fields) for o in objects] == [
        ("d", (("Department", "Sales <EMEA>"), ("Title", "Lease"))),
        ("e", ()),
    ]
    source = SourceObject(objects[0].url, is_folder=False, size=4, fields=objects[0].fields)
    xml, _ = build_manifest([source], site_path="/sites/a", web_id="w")
    written = ET.fromstring(xml).findall(f".//{{{NS}}}Property")
    assert [(p.get("Name"), p.get("Value")) for p in written] == list(objects[0].fields)


def test_a_list_item_is_read_with_its_values_and_attachments_and_packaged_as_one() -> None:
    manifest = (
        b'<SPObjects><SPObject Id="i3" ObjectType="SPListItem" Url="/sites/a/Lists/Contacts/3_.000">'
        b'<ListItem Id="i3" IntId="3" DirName="/sites/a/Lists/Contacts"><Fields>'
        b'<Field Name="Title" Value="Ana" /><Field Name="Company" Value="Fabrikam &amp; Co" /></Fields>'
        b'<Attachments><Attachment Name="card.vcf" Size="120" /></Attachments>'
        b'<Versions><Version Label="1.0"><Field Name="Title" Value="Anna" /></Version></Versions>'
        b"</ListItem></SPObject></SPObjects>"
    )
    (item,) = _read(ManifestStream("Manifest.xml", key=None, iv=None), manifest, 9)
    assert (item.is_list_item, item.item_id, item.is_folder) == (True, 3, False)
    assert item.fields == (("Title", "Ana"), ("Company", "Fabrikam & Co"))
    assert item.attachments == (("card.vcf", 120),)
    assert item.item_versions == ((("Title", "Anna"),),)  # an earlier version's values, not the item's
    source = SourceObject(
        item.url,
        is_folder=False,
        fields=item.fields,
        item_id=3,
        attachments=(("card.vcf", "i3.a0.dat", 120),),
    )
    xml, files = build_manifest([source], site_path="/sites/a", web_id="w")
    (node,) = ET.fromstring(xml).findall(f"{{{NS}}}SPObject")
    listed = node.find(f"{{{NS}}}ListItem")
    assert node.get("ObjectType") == "SPListItem" and files == []
    assert listed is not None and (listed.get("IntId"), listed.get("Url")) == ("3", "Lists/Contacts/3_.000")
    assert [a.get("FileValue") for a in listed.iter(f"{{{NS}}}Attachment")] == ["i3.a0.dat"]
