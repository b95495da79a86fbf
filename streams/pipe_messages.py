"""Messages between the streams worker and a process it started, over that process's
standard input and output: each a 4-byte big-endian length, then the pickled message.

Pickle is safe here because both ends are SitePulse's own code in processes it started;
nothing read from outside ever travels this way unpickled (Kafka values travel as bytes).
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from typing import Any

_LENGTH = struct.Struct(">I")
#: The stream reader's buffer limit for both ends: a batch of 500 passes is ~150 kB.
READ_LIMIT = 2**24


def encode(message: Any) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


def write_message(writer: asyncio.StreamWriter, message: Any) -> None:
    """Queue one message whole (a single write, so messages of two tasks never interleave);
    the caller awaits ``writer.drain()`` where it wants back-pressure."""
    writer.write(encode(message))


async def read_message(reader: asyncio.StreamReader) -> Any:
    """The next message; raises :class:`asyncio.IncompleteReadError` at the end of input."""
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return pickle.loads(await reader.readexactly(length))
