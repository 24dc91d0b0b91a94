"""The import package: Manifest.xml and its companion files, built from a source site listing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from xml.etree import ElementTree as ET

NS = "urn:deployment-manifest-schema"


@dataclass(frozen=True)
class SourceObject:
    """A folder or file of one of the source's libraries, by server-relative URL."""

    server_relative_url: str  # /sites/marketing/Shared Documents/Plans/a b.docx
    is_folder: bool
    size: int = 0
    blob: str | None = None  # the data-container blob already holding its content
    versions: tuple[tuple[str, int], ...] = ()  # earlier versions, oldest first: (blob, size)
    permissions: tuple[tuple[str, str], ...] = ()  # unique (destination login, role)s
    fields: tuple[tuple[str, str], ...] = ()  # a file's metadata columns / a list item's values
    item_id: int = 0  # a list item's id in its list (0: a file or folder)
    attachments: tuple[tuple[str, str, int], ...] = ()  # a list item's: (name, blob, size)
    item_versions: tuple[tuple[tuple[str, str], ...], ...] = ()  # a list item's earlier values


@dataclass(frozen=True)
class PackedFile:
    """A file in the package: its manifest id and the data-container blob holding its content."""

    source: SourceObject
    blob_name: str


def _web_relative(url: str, site_path: str) -> str:
    return url[len(site_path) :].lstrip("/") if url.startswith(site_path) else url.lstrip("/")


def build_manifest(
    objects: list[SourceObject], *, site_path: str, web_id: str
) -> tuple[bytes, list[PackedFile]]:
    """Manifest.xml for these objects (parents before children) and the files to upload.

    Ids are fresh GUIDs per package; a folder's id is the ParentId of what it contains.
    """
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}SPObjects")
    folder_ids: dict[str, str] = {}  # a library's root folder gets its id when first met
    files: list[PackedFile] = []
    for obj in objects:
        parent_url = obj.server_relative_url.rsplit("/", 1)[0]
        parent_id = folder_ids.setdefault(parent_url, str(uuid.uuid4()))
        object_id = str(uuid.uuid4())
        name = obj.server_relative_url.rsplit("/", 1)[1]
        web_rel = _web_relative(obj.server_relative_url, site_path)
        attrs = {
            "Id": object_id,
            "ParentId": parent_id,
            "ParentWebId": web_id,
            "ParentWebUrl": site_path,
            "Url": obj.server_relative_url,
        }
        if obj.item_id:
            node = ET.SubElement(root, f"{{{NS}}}SPObject", {**attrs, "ObjectType": "SPListItem"})
            item = ET.SubElement(
                node,
                f"{{{NS}}}ListItem",
                {"Id": object_id, "IntId": str(obj.item_id), "Url": web_rel, "ParentFolderId": parent_id},
            )
            values = ET.SubElement(item, f"{{{NS}}}Fields")
            for column, value in obj.fields:
                ET.SubElement(values, f"{{{NS}}}Field", {"Name": column, "Value": value})
            attached = ET.SubElement(item, f"{{{NS}}}Attachments")
            for name, blob, size in obj.attachments:
                ET.SubElement(
                    attached, f"{{{NS}}}Attachment", {"Name": name, "FileValue": blob, "FileSize": str(size)}
                )
            if obj.item_versions:
                earlier = ET.SubElement(item, f"{{{NS}}}Versions")
                for n, fields in enumerate(obj.item_versions, start=1):
                    version = ET.SubElement(earlier, f"{{{NS}}}Version", {"Label": f"{n}.0"})
                    for column, value in fields:
                        ET.SubElement(version, f"{{{NS}}}Field", {"Name": column, "Value": value})
        elif obj.is_folder:
            folder_ids[obj.server_relative_url] = object_id
            node = ET.SubElement(root, f"{{{NS}}}SPObject", {**attrs, "ObjectType": "SPFolder"})
            ET.SubElement(
                node,
                f"{{{NS}}}Folder",
                {
                    "Id": object_id,
                    "Url": web_rel,
                    "Name": name,
                    "ParentFolderId": parent_id,
                    "ParentWebId": web_id,
                },
            )
        else:
            blob = obj.blob or f"{object_id}.dat"
            node = ET.SubElement(root, f"{{{NS}}}SPObject", {**attrs, "ObjectType": "SPFile"})
            file = ET.SubElement(
                node,
                f"{{{NS}}}File",
                {
                    "Url": web_rel,
                    "Id": object_id,
                    "ParentWebId": web_id,
                    "Name": name,
                    "FileValue": blob,
                    "FileSize": str(obj.size),
                    "Version": f"{len(obj.versions) + 1}.0",
                },
            )
            if obj.fields:
                properties = ET.SubElement(file, f"{{{NS}}}Properties")
                for column, value in obj.fields:
                    attrs = {"Name": column, "Type": "String", "Access": "ReadWrite", "Value": value}
                    ET.SubElement(properties, f"{{{NS}}}Property", attrs)
            if obj.versions:
                listed = ET.SubElement(file, f"{{{NS}}}Versions")
                for n, (version_blob, size) in enumerate(obj.versions, start=1):
                    ET.SubElement(
                        listed,
                        f"{{{NS}}}File",
                        {"Version": f"{n}.0", "FileValue": version_blob, "FileSize": str(size)},
                    )
            files.append(PackedFile(source=obj, blob_name=blob))
        if obj.permissions:
            roles = ET.SubElement(node, f"{{{NS}}}RoleAssignments")
            for login, role in obj.permissions:
                ET.SubElement(roles, f"{{{NS}}}RoleAssignment", {"Login": login, "Role": role})
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), files


def companion_files(*, site_url: str, web_id: str) -> dict[str, bytes]:
    """The package's other parts; the import reads only the manifest, but a package has them all."""
    decl = b'<?xml version="1.0" encoding="utf-8"?>'
    return {
        "ExportSettings.xml": decl
        + (
            f'<ExportSettings xmlns="urn:deployment-exportsettings-schema" SiteUrl="{site_url}" '
            'FileLocation="" IncludeSecurity="None" SourceType="None"><ExportObjects>'
            f'<DeploymentObject Id="{web_id}" Type="Web" /></ExportObjects></ExportSettings>'
        ).encode(),
        "Requirements.xml": decl + b'<Requirements xmlns="urn:deployment-requirements-schema" />',
        "RootObjectMap.xml": decl + b'<RootObjects xmlns="urn:deployment-rootobjectmap-schema" />',
        "SystemData.xml": decl + b'<SystemData xmlns="urn:deployment-systemdata-schema">'
        b'<SchemaVersion Version="15.0.0.0" Build="16.0.3111.1200" DatabaseVersion="11552" /></SystemData>',
        "UserGroup.xml": decl
        + b'<UserGroupMap xmlns="urn:deployment-usergroupmap-schema"><Users /><Groups />'
        b"</UserGroupMap>",
        "LookupListMap.xml": decl + b'<LookupLists xmlns="urn:deployment-lookuplistmap-schema" />',
    }
