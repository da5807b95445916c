"""File uploads over GraphQL: the GraphQL multipart request specification (jaydenseric/graphql-multipart-request-spec),
as Apollo, urql and strawberry's own views speak it.

A ``multipart/form-data`` POST to ``/graphql`` carries an ``operations`` field (the JSON operation, with ``null``
where a file goes), a ``map`` field (``{"0": ["variables.file"]}``) and the file parts. The file replaces its
placeholder as an ``UploadedFile``, which an ``Upload!`` argument receives. Limits: one file per request, the
whole body within ``ApiSettings.max_upload_bytes`` (the app's ``BodyLimit`` enforces it before this runs), the
``operations`` and ``map`` fields within ``max_body_bytes`` like any JSON operation. Only mutations take uploads.
A browser cannot attach the bearer token to a cross-site form, so a forged upload is a public request, and the
public may not import.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from strawberry.file_uploads.utils import replace_placeholders_with_files

from engine.api.errors import error_response
from engine.api.json_input import BadJson, parse_json

MAX_FILES = 1


@dataclass(frozen=True)
class UploadedFile:
    """A file an operation received: its name as the client gave it, its declared type, and its bytes."""

    filename: str
    content_type: str
    data: bytes


def _bad(message: str) -> JSONResponse:
    return error_response(message, "BAD_REQUEST", 400)


async def read_upload_operation(request: Request, max_field_bytes: int) -> dict[str, Any] | JSONResponse:
    """The operation of a multipart upload with its file in place, or the 400 response saying what is wrong."""
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=2, max_part_size=max_field_bytes)
    except Exception as exc:  # starlette: HTTPException / MultiPartException for a malformed or too large body
        return _bad(f"the multipart body cannot be read: {getattr(exc, 'detail', None) or exc}")
    try:
        operations = _json_field(form, "operations")
        files_map = _json_field(form, "map")
    except BadJson as exc:
        return _bad(str(exc))
    problem = _shape_problem(operations, files_map)
    if problem:
        return _bad(problem)
    files = {}
    for key in files_map:
        part = form.get(key)
        if part is None or isinstance(part, str):
            return _bad(f"the map names file '{key}' but the body has no such file part")
        files[key] = UploadedFile(part.filename or "upload", part.content_type or "", await part.read())
    try:
        return replace_placeholders_with_files(operations, files_map, files)
    except (KeyError, IndexError, ValueError, TypeError):
        return _bad("the map points at a place the operation's variables do not have")


def _json_field(form: Any, name: str) -> Any:
    value = form.get(name)
    if value is None or not isinstance(value, str):
        raise BadJson(f"a multipart upload needs the '{name}' field (GraphQL multipart request spec)")
    return parse_json(value, f"the '{name}' field")


def _shape_problem(operations: Any, files_map: Any) -> str | None:
    if isinstance(operations, list):
        return "batched operations are not accepted: send one operation per request"
    if not isinstance(operations, dict) or not isinstance(operations.get("query"), str):
        return "'operations' must be a JSON object with a 'query' string"
    if operations.get("variables") is not None and not isinstance(operations["variables"], dict):
        return "'variables' must be a JSON object"
    if not isinstance(files_map, dict) or len(files_map) > MAX_FILES:
        return f"'map' must be a JSON object naming at most {MAX_FILES} file"
    for key, paths in files_map.items():
        if not isinstance(paths, list) or len(paths) != 1 or not isinstance(paths[0], str) \
                or not paths[0].startswith("variables."):
            return f"'map' entry '{key}' must be a list of one path into the variables, e.g. [\"variables.file\"]"
    return None
