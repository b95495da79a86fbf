"""multipart/form-data as face terminals write it (any boundary, parts named or not, a
part gzip-compressed with its own ``Content-Encoding``), read into named parts. Total:
anything that is not such a body is a :class:`FormError`."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

_MAX_INFLATED = 1 << 20


class FormError(ValueError):
    """Not a multipart body with parts; the message says why."""


@dataclass(frozen=True)
class FormPart:
    name: str  # "" when the part has no name
    content_type: str
    data: bytes


def form_parts(content_type: str, body: bytes) -> list[FormPart]:
    if "multipart" not in content_type.lower():
        raise FormError("not a multipart body")
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    try:
        message = message_from_bytes(header + body, policy=policy.default)
    except (ValueError, TypeError, UnicodeError, LookupError) as exc:
        raise FormError(f"unreadable multipart body: {type(exc).__name__}") from None
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise FormError("a multipart body without parts (check the boundary)")
    found = []
    for part in message.iter_parts():
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        if str(part.get("Content-Encoding", "")).strip().lower() == "gzip":
            data = _gunzip(data)
        name = part.get_param("name", header="content-disposition")
        found.append(FormPart(str(name or ""), part.get_content_type(), data))
    if not found:
        raise FormError("a multipart body without parts (check the boundary)")
    return found


def _gunzip(data: bytes) -> bytes:
    """A gzip part, inflated to at most 1 MiB (a bomb is an error, not a memory spike)."""
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(data, _MAX_INFLATED + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise FormError(f"a gzip part that does not inflate: {exc}") from None
    if len(out) > _MAX_INFLATED:
        raise FormError("a gzip part that inflates past 1 MiB")
    return out
