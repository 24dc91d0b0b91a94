"""The connector's pure rules: folder paths and scope, authors, timestamps, how refusals read."""

from __future__ import annotations

import pytest
from migrator_mail_teams_connector.domain.authors import AuthorMap, later
from migrator_mail_teams_connector.domain.folders import Folder, classes_of, in_scope, place
from migrator_mail_teams_connector.domain.refusals import describe
from migrator_microsoft.graph import GraphError

pytestmark = pytest.mark.unit


def folder(fid: str, name: str, parent: str = "root", kind: str = "IPF.Note") -> Folder:
    return Folder(fid, name, parent, kind, 3)


TREE = [
    folder("p26", "2026", parent="proj"),
    folder("inbox", "Inbox"),
    folder("proj", "Projects", parent="inbox"),
    folder("cal", "Calendar", kind="IPF.Appointment"),
    folder("bday", "Birthdays", parent="cal", kind="IPF.Appointment"),
    folder("con", "Contacts", kind="IPF.Contact"),
    folder("home", "Home", kind="IPF.Note.OutlookHomepage"),
]


def test_folders_get_their_paths_parents_first() -> None:
    paths = [p.path for p in place(TREE)]
    assert paths.index("Inbox") < paths.index("Inbox/Projects") < paths.index("Inbox/Projects/2026")
    assert {p.path: p.parent_path for p in place(TREE)}["Inbox/Projects/2026"] == "Inbox/Projects"


def test_the_scope_picks_folder_classes_and_an_empty_scope_takes_all() -> None:
    assert classes_of({}) == ("IPF.Note", "IPF.Appointment", "IPF.Contact")
    assert classes_of({"email": True, "calendar": False, "contacts": False}) == ("IPF.Note",)
    calendars = [p.path for p in in_scope(place(TREE), {"email": False, "calendar": True, "contacts": False})]
    assert calendars == ["Calendar", "Calendar/Birthdays"]
    mail = {p.path for p in in_scope(place(TREE), {"email": True, "calendar": False, "contacts": False})}
    assert "Home" in mail and "Contacts" not in mail, "a sub-class of IPF.Note is mail"


USERS_SRC = [
    {"id": "s1", "userPrincipalName": "ann.lee0@contoso.com", "displayName": "Ann"},
    {"id": "s2", "userPrincipalName": "bob.ray1@contoso.com", "displayName": "Bob"},
    {"id": "s3", "userPrincipalName": "cy.gone2@contoso.com", "displayName": "Cy"},
]
USERS_DEST = [
    {"id": "d1", "userPrincipalName": "ann.lee0@fabrikam.com", "displayName": "Ann"},
    {"id": "d2", "userPrincipalName": "robert@fabrikam.com", "displayName": "Robert"},
    {"id": "d9", "userPrincipalName": "admin@fabrikam.com", "displayName": "Admin"},
]


def test_authors_map_by_mapping_then_namesake_then_fallback() -> None:
    authors = AuthorMap(
        source_users=USERS_SRC,
        dest_users=USERS_DEST,
        mappings={"Bob.Ray1@contoso.com": "robert@fabrikam.com"},
        fallback="admin@fabrikam.com",
    )
    assert authors.resolve("s1", "Ann").id == "d1"
    assert authors.resolve("s2", "Bob").id == "d2"
    gone = authors.resolve("s3", "Cy")
    assert (gone.id, gone.unmapped) == ("d9", "cy.gone2@contoso.com")
    assert authors.resolve(None, "A bot").unmapped == "A bot"


def test_without_a_fallback_the_first_destination_user_takes_unmapped_messages() -> None:
    authors = AuthorMap(source_users=USERS_SRC, dest_users=USERS_DEST, mappings={}, fallback=None)
    assert authors.resolve("s3", "Cy").upn == "admin@fabrikam.com"
    with pytest.raises(LookupError):
        AuthorMap(source_users=USERS_SRC, dest_users=USERS_DEST, mappings={}, fallback="nobody@fabrikam.com")


def test_a_taken_millisecond_moves_the_message_by_one() -> None:
    assert later("2026-05-09T08:00:00.999Z", 1) == "2026-05-09T08:00:01.000Z"
    assert later("2026-05-09T08:00:00Z", -1000) == "2026-05-09T07:59:59.000Z"


def test_a_refusal_names_status_reason_and_the_permission() -> None:
    forbidden = GraphError(403, "ErrorAccessDenied", "Access is denied.")
    assert describe(forbidden, "MailboxItem.ImportExport.All") == (
        "403 Forbidden on MailboxItem.ImportExport.All (ErrorAccessDenied)"
    )
    missing = GraphError(404, "ErrorItemNotFound", "The mailbox was not found.")
    assert describe(missing, "x") == "404 Not Found: ErrorItemNotFound — The mailbox was not found."
