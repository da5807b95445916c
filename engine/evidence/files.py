"""What an evidence file is: its type checked against its bytes, its photo metadata, its thumbnail.

Allowed types (``TYPES``): JPEG and PNG photos, PDF, and office documents (docx, xlsx). A file is refused before
anything is stored when it is over the size limit, of a type not allowed, or when its bytes do not match the type
it declares (a renamed executable is not a PDF). Photos are read with Pillow: the EXIF capture time
(DateTimeOriginal) and GPS position, which inspectors use as geotagged evidence, and a thumbnail. What the public
is served is re-encoded from the pixels alone, so no EXIF (and no location) survives.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from engine.errors import FieldProblem, InvalidInput

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = {JPEG: "JPEG photo", PNG: "PNG image", PDF: "PDF document", DOCX: "Word document (docx)",
         XLSX: "Excel workbook (xlsx)"}
PHOTOS = (JPEG, PNG)
THUMBNAIL_PX = 320
MAX_PIXELS = 60_000_000  # a decompression bomb is refused, not decoded
# Office documents are zip files; the part that tells them apart.
OFFICE_PARTS = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    types: tuple[str, ...] = tuple(TYPES)


@dataclass(frozen=True)
class PhotoFacts:
    taken_at: dt.datetime | None
    latitude: float | None
    longitude: float | None
    thumbnail: bytes
    stripped: bytes  # the pixels re-encoded without any metadata: what the public is served


def check(filename: str, declared: str, data: bytes, limits: Limits) -> str:
    """The file's media type once it passes the limits; ``InvalidInput`` at ``["file"]`` naming the rule."""
    declared = (declared or "").split(";")[0].strip().lower()
    if len(data) > limits.max_bytes:
        raise _refused(f"{filename} is {len(data):,} bytes; at most {limits.max_bytes:,} are accepted")
    if not data:
        raise _refused(f"{filename} is empty")
    if declared not in limits.types:
        allowed = ", ".join(TYPES[t] for t in limits.types)
        raise _refused(f"{filename} is of type '{declared or 'unknown'}', which is not accepted; accepted: {allowed}")
    if not _matches(declared, data):
        raise _refused(f"{filename} is declared as {TYPES[declared]} but its content is not one")
    return declared


def _refused(message: str) -> InvalidInput:
    return InvalidInput([FieldProblem(["file"], message)])


def _matches(media_type: str, data: bytes) -> bool:
    if media_type == JPEG:
        return data.startswith(b"\xff\xd8\xff")
    if media_type == PNG:
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if media_type == PDF:
        return data.startswith(b"%PDF-")
    if media_type in OFFICE_PARTS:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return OFFICE_PARTS[media_type] in archive.namelist()
        except zipfile.BadZipFile:
            return False
    return False


def photo_facts(data: bytes, media_type: str) -> PhotoFacts:
    """Capture time, position, thumbnail and stripped copy of a photo; ``InvalidInput`` when it cannot be decoded."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            exif = image.getexif()
            taken_at, (latitude, longitude) = _taken_at(exif), _position(exif)
            pixels = image.convert("RGB") if media_type == JPEG or image.mode not in ("RGB", "RGBA", "L") else image
            stripped = _encode(pixels, media_type)
            thumb = pixels.copy()
            thumb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            thumbnail = _encode(thumb.convert("RGB"), JPEG)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _refused(f"the photo cannot be read: {str(exc)[:120]}") from None
    return PhotoFacts(taken_at, latitude, longitude, thumbnail, stripped)


def _encode(image, media_type: str) -> bytes:  # noqa: ANN001 - a PIL image
    out = io.BytesIO()
    if media_type == JPEG:
        image.save(out, "JPEG", quality=88)  # no exif= given: nothing of the original's metadata is written
    else:
        image.save(out, "PNG")
    return out.getvalue()


EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, DATETIME = 36867, 306


def _taken_at(exif) -> dt.datetime | None:  # noqa: ANN001 - PIL's Exif
    text = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    try:
        return dt.datetime.strptime(str(text).strip("\x00 "), "%Y:%m:%d %H:%M:%S") if text else None
    except ValueError:
        return None


def _position(exif) -> tuple[float | None, float | None]:  # noqa: ANN001 - PIL's Exif
    gps = exif.get_ifd(GPS_IFD)
    try:
        latitude = _degrees(gps[2], gps.get(1, "N"), "S")
        longitude = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return round(latitude, 7), round(longitude, 7)


def _degrees(parts, ref: str, negative: str) -> float:  # noqa: ANN001 - three EXIF rationals
    degrees, minutes, seconds = (float(p) for p in parts)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if str(ref).strip("\x00 ").upper() == negative else value
