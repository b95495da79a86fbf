"""The baseline for bench/fanout.py: Redis pub/sub in, ``websockets.broadcast()`` out to
every connected client, nothing else (no auth, no channels, no back-pressure).

    python bench/fanout_baseline.py <port> <redis_url> <channel>
"""

from __future__ import annotations

import asyncio
import sys

from redis.asyncio import Redis
from websockets.asyncio.server import ServerConnection, broadcast, serve


async def main(port: int, redis_url: str, channel: str) -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.wait_closed()

    async with serve(handler, "127.0.0.1", port) as server:
        redis = Redis.from_url(redis_url)
        async with redis.pubsub() as pubsub:
            await pubsub.subscribe(channel)
            print("ready", flush=True)
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    broadcast(server.connections, message["data"].decode())


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
