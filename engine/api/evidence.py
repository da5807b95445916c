"""Evidence files over GraphQL and HTTP: ``attachEvidence`` (a GraphQL multipart upload), ``Project.attachments``
and ``GET /attachments/{id}`` (``/thumbnail`` for a photo's), under the one access rule
(``engine.evidence.attachments``): out of reach answers NOT_FOUND (404) exactly like missing, and the public sees
only the record kinds its workflow publishes, without location and from a copy stripped of its metadata."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

import strawberry
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.file_uploads import Upload
from strawberry.types import Info

from engine.api.batch import batched
from engine.api.context import RequestContext
from engine.api.credentials import authenticate, bearer_token
from engine.api.errors import UserError, error_response, payload
from engine.api.ids import database_id_of, decode_pair, from_global_id, to_global_id
from engine.api.uploads import UploadedFile
from engine.directory.access import reach
from engine.errors import FieldProblem, InvalidInput, NotFound
from engine.evidence import attachments as evidence

if TYPE_CHECKING:
    from engine.core import Engine


@strawberry.type(description="Where a photo was taken (WGS-84, from its EXIF GPS); never shown to the public.")
class PhotoLocation:
    latitude: float
    longitude: float


@strawberry.type(name="Attachment", description="An evidence file 佐证材料 attached to a record of a project.")
class AttachmentType:
    id: strawberry.ID
    record_kind: str = strawberry.field(description="project, transition (its audit seq), inspection, "
                                                    "rectification, progress_report, …")
    record_id: Optional[int]
    filename: str
    media_type: str
    size: int
    sha256: str = strawberry.field(description="The file's SHA-256, also in the project's hash chain (the public: "
                                               "of the copy it is served, stripped of metadata).")
    taken_at: Optional[dt.datetime] = strawberry.field(description="A photo's EXIF capture time.")
    location: Optional[PhotoLocation] = strawberry.field(description="A photo's EXIF position; null for the public.")
    url: str = strawberry.field(description="GET it with your bearer token (the public: only published ones).")
    thumbnail_url: Optional[str] = strawberry.field(description="A photo's 320 px thumbnail.")
    uploaded_at: dt.datetime

    @classmethod
    def of(cls, a: evidence.Attachment, redacted: bool) -> "AttachmentType":
        located = a.latitude is not None and a.longitude is not None and not redacted
        return cls(id=strawberry.ID(to_global_id("Attachment", a.id)), record_kind=a.record_kind,
                   record_id=a.record_id, filename=a.filename, media_type=a.media_type,
                   size=a.size, sha256=a.public_sha256 if redacted and a.public_sha256 else a.sha256,
                   taken_at=a.taken_at,
                   location=PhotoLocation(latitude=a.latitude, longitude=a.longitude) if located else None,
                   url=f"/attachments/{a.id}",
                   thumbnail_url=f"/attachments/{a.id}/thumbnail" if a.thumbnail_sha256 else None,
                   uploaded_at=a.uploaded_at)


@strawberry.type
class AttachmentsProject:
    """The ``Project.attachments`` field (mixed into ``Project``)."""

    @strawberry.field(description="Evidence files attached to this project's records (the public: only the kinds "
                                  "the workflow publishes, without location).")
    def attachments(self, info: Info, record_kind: Optional[str] = None) -> list[AttachmentType]:
        ctx: RequestContext = info.context
        found = batched(self, "attachments", lambda ids: evidence.of_projects(ctx.sql, ids), [])
        redacted = reach(ctx.engine, ctx.actor).redacted
        public = evidence.public_kinds(ctx.engine, self.workflow_id) if redacted else None
        return [AttachmentType.of(a, redacted) for a in found
                if (record_kind is None or a.record_kind == record_kind)
                and (public is None or a.record_kind in public)]


@strawberry.type
class AttachmentPayload:
    attachment: Optional[AttachmentType] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _record_id(value: Optional[str]) -> Optional[int]:
    """A record's id: its global id, or the plain number (a transition's audit seq)."""
    if value is None or value == "":
        return None
    pair = decode_pair(value)
    found = database_id_of(pair[1]) if pair is not None else database_id_of(value)
    if found is None:
        raise InvalidInput([FieldProblem(["recordId"], "must be a record's id or its number")])
    return found


@strawberry.type
class EvidenceMutation:
    @strawberry.mutation(description="Attach an evidence file (JPEG, PNG, PDF, docx, xlsx; a multipart upload) to "
                                     "a record of a project: recordKind project, transition (recordId: the audit "
                                     "seq, e.g. the acceptance), inspection, rectification, progress_report, …")
    def attach_evidence(self, info: Info, project_id: strawberry.ID, record_kind: str, file: Upload,
                        record_id: Optional[strawberry.ID] = None) -> AttachmentPayload:
        ctx: RequestContext = info.context

        def work() -> dict[str, Any]:
            project = from_global_id(project_id, "Project", ["projectId"])
            record = _record_id(record_id)
            if not isinstance(file, UploadedFile):
                raise InvalidInput([FieldProblem(["file"], "send the file as a multipart upload (GraphQL "
                                                           "multipart request spec), not as a JSON value")])
            made = evidence.attach(ctx.engine, ctx.actor, project, record_kind, record, file.filename,
                                   file.content_type, file.data)
            return {"attachment": AttachmentType.of(made, redacted=False)}

        return payload(AttachmentPayload, work, prefix=())


def attachment_routes(engine: Engine) -> list[Route]:
    async def download(request: Request) -> Response:
        actor = await run_in_threadpool(authenticate, engine, bearer_token(request))
        if actor is None:
            return error_response("the bearer token is not valid", "UNAUTHENTICATED", 401,
                                  {"WWW-Authenticate": "Bearer"})
        raw = request.path_params["id"]
        thumbnail = request.url.path.endswith("/thumbnail")
        attachment_id = database_id_of(raw)
        try:
            if attachment_id is None:
                raise NotFound(f"attachment {raw[:40]} does not exist")
            found = await run_in_threadpool(evidence.download, engine, actor, attachment_id, thumbnail)
        except NotFound as exc:
            return error_response(str(exc.problems()[0].message), "NOT_FOUND", 404)
        name = found.filename if not thumbnail else f"thumbnail-{found.filename}.jpg"
        disposition = f"inline; filename*=UTF-8''{quote(name)}"
        return Response(found.data, media_type=found.media_type,
                        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store",
                                 "X-Content-Type-Options": "nosniff"})

    return [Route("/attachments/{id}", download, methods=["GET"]),
            Route("/attachments/{id}/thumbnail", download, methods=["GET"])]
