"""Evidence files 佐证材料 over HTTP: a geotagged inspection photo uploaded as a GraphQL multipart request, its EXIF
read back, its thumbnail, its SHA-256 in the hash chain; refusals before anything is stored; downloads under the
access rule, the public only of published kinds and without location."""
from __future__ import annotations

import hashlib
import io
import json

import pytest
from PIL import Image
from pony import orm

from engine import chain
from engine.api.ids import from_global_id
from engine.storage.sql import Sql
from tests.test_lifecycle import Clerks, approve, clerks  # noqa: F401  (the fixture)

ATTACH = """mutation($project: ID!, $kind: String!, $record: ID, $file: Upload!) {
  attachEvidence(projectId: $project, recordKind: $kind, recordId: $record, file: $file) {
    attachment { id recordKind recordId filename mediaType size sha256 takenAt location { latitude longitude }
                 url thumbnailUrl }
    userErrors { code message path } } }"""
ATTACHMENTS = """query($id: ID!) { project(id: $id) { attachments { recordKind filename sha256 takenAt
  location { latitude longitude } url thumbnailUrl } history(first: 1) { kind event fields } } }"""
RECORD = """mutation($input: RecordInspectionInput!) { recordInspection(input: $input) {
  inspection { id } userErrors { message } } }"""


def photo(width: int = 1600, height: int = 1200) -> bytes:
    """A JPEG as a phone takes it: capture time and GPS position in its EXIF (30°15'36"N 120°9'E)."""
    image = Image.new("RGB", (width, height), (90, 140, 60))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = "2024:05:20 10:30:00"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (30.0, 15.0, 36.0), "E", (120.0, 9.0, 0.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(http, token: str | None, project: str, kind: str, data: bytes, record: str | None = None,
           name: str = "现场.jpg", media_type: str = "image/jpeg") -> dict:
    variables = {"project": project, "kind": kind, "record": record, "file": None}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = http.post("/graphql", headers=headers, files={"0": (name, data, media_type)},
                         data={"operations": json.dumps({"query": ATTACH, "variables": variables}),
                               "map": json.dumps({"0": ["variables.file"]})})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["attachEvidence"]


@pytest.fixture
def approved(clerks: Clerks) -> str:
    """A published (确定/票决) project on the default workflow, with an inspection record."""
    p = clerks.create()
    clerks.ok("county_finance", p, "assess", opinion="可行")
    approve(clerks, p)
    return p


def inspection(clerks: Clerks, project: str) -> str:
    data = clerks.call("supervisor", RECORD, {"input": {"projectId": project, "kind": "SUPERVISION",
                                                        "date": "2024-02-20", "result": "PASS", "notes": "现场核查"}})
    assert data["recordInspection"]["userErrors"] == [], data
    return data["recordInspection"]["inspection"]["id"]


def test_a_geotagged_photo_round_trip(http, district, clerks: Clerks, approved: str, engine):
    record = inspection(clerks, approved)
    data = photo()
    result = upload(http, district.tokens["supervisor"], approved, "inspection", data, record)
    assert result["userErrors"] == []
    made = result["attachment"]
    assert (made["recordKind"], made["filename"], made["mediaType"], made["size"]) == (
        "inspection", "现场.jpg", "image/jpeg", len(data))
    assert made["sha256"] == hashlib.sha256(data).hexdigest()
    assert made["takenAt"] == "2024-05-20T10:30:00"
    assert made["location"] == {"latitude": 30.26, "longitude": 120.15}
    auth = {"Authorization": f"Bearer {district.tokens['county_office']}"}
    original = http.get(made["url"], headers=auth)
    assert original.status_code == 200 and original.content == data  # byte for byte, EXIF and all
    thumb = http.get(made["thumbnailUrl"], headers=auth)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 320
    listed = clerks.call("county_office", ATTACHMENTS, {"id": approved})["project"]
    assert [a["filename"] for a in listed["attachments"]] == ["现场.jpg"]
    assert listed["history"][0]["kind"] == "edit" and listed["history"][0]["event"] == "attach"
    assert listed["history"][0]["fields"]["sha256"] == made["sha256"]  # the file is in the hash chain
    with orm.db_session:
        assert chain.verify(Sql(engine.db), engine.catalog.tables) == []
    again = upload(http, district.tokens["supervisor"], approved, "project", data)  # the same bytes, again
    assert again["userErrors"] == []
    with orm.db_session:
        sql = Sql(engine.db)
        assert sql.scalar("SELECT COUNT(*) FROM evidence_blob WHERE sha256 = ?", (made["sha256"],)) == 1
        assert sql.scalar("SELECT COUNT(*) FROM attachment") == 2


def test_the_public_sees_published_kinds_only_and_never_the_location(http, district, clerks: Clerks,
                                                                     approved: str):
    record = inspection(clerks, approved)
    upload(http, district.tokens["supervisor"], approved, "inspection", photo(), record)
    upload(http, district.tokens["county_office"], approved, "project", b"%PDF-1.4 internal memo",
           name="内部.pdf", media_type="application/pdf")
    public = http.post("/graphql", json={"query": ATTACHMENTS, "variables": {"id": approved}}).json()
    shown = public["data"]["project"]["attachments"]
    assert [(a["recordKind"], a["location"]) for a in shown] == [("inspection", None)]  # not the memo
    served = http.get(shown[0]["url"])
    assert served.status_code == 200
    image = Image.open(io.BytesIO(served.content))
    assert dict(image.getexif()) == {} and image.getexif().get_ifd(0x8825) == {}  # no EXIF, no GPS
    assert hashlib.sha256(served.content).hexdigest() == shown[0]["sha256"]
    memo = clerks.call("county_office", ATTACHMENTS, {"id": approved})["project"]["attachments"][1]
    assert http.get(memo["url"]).status_code == 404  # exactly as a missing one


def test_refusals_store_nothing(http, district, clerks: Clerks, approved: str, engine, monkeypatch):
    token = district.tokens["county_office"]
    monkeypatch.setenv("MINSHENG_EVIDENCE_MAX_BYTES", "50000")
    cases = [
        (photo(3000, 3000) + b"\0" * 60000, "big.jpg", "image/jpeg", "is {size:,} bytes; at most 50,000 are accepted"),
        (b"MZ\x90\x00 an executable", "report.pdf", "application/pdf",
         "is declared as PDF document but its content is not one"),
        (b"#!/bin/sh\necho hi", "run.sh", "text/x-sh", "is of type 'text/x-sh', which is not accepted; accepted: "
                                                       "JPEG photo, PNG image, PDF document, Word document (docx), "
                                                       "Excel workbook (xlsx)"),
    ]
    for data, name, media_type, message in cases:
        result = upload(http, token, approved, "project", data, name=name, media_type=media_type)
        assert [(e["code"], e["path"], e["message"]) for e in result["userErrors"]] == [
            ("INVALID_INPUT", ["file"], f"{name} " + message.format(size=len(data)))]
    with orm.db_session:
        sql = Sql(engine.db)
        counts = sql.scalar("SELECT COUNT(*) FROM evidence_blob"), sql.scalar("SELECT COUNT(*) FROM attachment")
        assert counts == (0, 0)


def test_reach_and_records(http, district, clerks: Clerks, approved: str):
    pdf = b"%PDF-1.4 acceptance report"
    other = clerks.create(region="town_b")
    result = upload(http, district.tokens["town_a_office"], approved, "project", pdf, name="a.pdf",
                    media_type="application/pdf")
    assert [e["code"] for e in result["userErrors"]] == ["NOT_FOUND"]  # a county project a town office cannot reach
    for kind, record, code, path in [("inspection", None, "INVALID_INPUT", ["recordId"]),
                                     ("inspection", "999", "NOT_FOUND", ["recordId"]),
                                     ("photo_album", None, "INVALID_INPUT", ["recordKind"])]:
        result = upload(http, district.tokens["county_office"], approved, kind, pdf, record, "a.pdf",
                        "application/pdf")
        assert [(e["code"], e["path"]) for e in result["userErrors"]] == [(code, path)], kind
    record = inspection(clerks, approved)
    result = upload(http, district.tokens["county_office"], other, "inspection", pdf, record, "a.pdf",
                    "application/pdf")  # an inspection of another project
    assert [(e["code"], e["path"]) for e in result["userErrors"]] == [("NOT_FOUND", ["recordId"])]
    with orm.db_session:  # the approval's audit record
        seq = Sql(district.engine.db).scalar("SELECT seq FROM audit_record WHERE project_id = ? AND event = ?",
                                             (from_global_id(approved, "Project", []), "approve"))
    made = upload(http, district.tokens["county_office"], approved, "transition", pdf, str(seq), "验收.pdf",
                  "application/pdf")
    assert made["userErrors"] == [] and made["attachment"]["recordId"] == seq
    url = made["attachment"]["url"]
    assert http.get(url, headers={"Authorization": f"Bearer {district.tokens['town_b_office']}"}).status_code == 404
    assert http.get(url, headers={"Authorization": f"Bearer {district.tokens['housing_clerk']}"}).status_code == 404
    assert http.get(url, headers={"Authorization": f"Bearer {district.tokens['edu_clerk']}"}).content == pdf
    from engine.directory.admin import add_actor  # two roles combine by the narrowest: the unit's projects only

    both = add_actor(district.engine, "housing_deputy", "住建局代表", ["unit", "deputy"], "county", "housing")
    assert http.get(url, headers={"Authorization": f"Bearer {both}"}).status_code == 404
    assert http.get("/attachments/99999", headers={"Authorization": f"Bearer {district.tokens['county_office']}"}
                    ).status_code == 404
    assert upload(http, None, approved, "project", pdf, name="a.pdf", media_type="application/pdf")[
        "userErrors"][0]["code"] == "FORBIDDEN"


def test_a_folder_store_keeps_the_bytes_outside_the_database(http, district, clerks: Clerks, approved: str,
                                                             engine, tmp_path, monkeypatch):
    monkeypatch.setenv("MINSHENG_EVIDENCE_DIR", str(tmp_path / "evidence"))
    pdf = b"%PDF-1.4 acceptance report kept in a folder"
    made = upload(http, district.tokens["county_office"], approved, "project", pdf, name="验收.pdf",
                  media_type="application/pdf")["attachment"]
    sha = hashlib.sha256(pdf).hexdigest()
    assert (tmp_path / "evidence" / sha[:2] / sha).read_bytes() == pdf
    with orm.db_session:
        assert Sql(engine.db).one("SELECT size, data FROM evidence_blob WHERE sha256 = ?", (sha,)) == (len(pdf), None)
    auth = {"Authorization": f"Bearer {district.tokens['county_office']}"}
    assert http.get(made["url"], headers=auth).content == pdf
