"""Messages over a real pipe: whole, in order, of any size, and a clean end."""

from __future__ import annotations

import asyncio
import os

import pytest

from streams.pipe_messages import READ_LIMIT, read_message, write_message


async def test_messages_cross_a_pipe_whole_and_in_order() -> None:
    loop = asyncio.get_running_loop()
    read_fd, write_fd = os.pipe()
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", buffering=0)
    )
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(write_fd, "wb", buffering=0)
    )
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    big = [os.urandom(300) for _ in range(2000)]  # larger than a pipe's buffer
    sent = [("batch", 1, big), ("flush", 2), ("letter", b"k", None)]

    async def send() -> None:
        for message in sent:
            write_message(writer, message)
            await writer.drain()
        writer.close()

    sending = asyncio.create_task(send())
    received = [await read_message(reader) for _ in sent]
    await sending
    assert received == sent
    with pytest.raises(asyncio.IncompleteReadError):
        await read_message(reader)
