"""A Faust Kafka transport whose consumer fetch wait and prefetch backoff are configurable,
and whose start position after an assignment may be moved earlier.

Faust hard-codes ``fetch_max_wait_ms=1500`` for its worker consumer. Kafka answers a
fetch as soon as data arrives, so that is harmless there; the Tansu broker instead holds
every fetch for the full wait (measured: a message waits ~700 ms at p50 with 1500 ms,
~5 ms with 20 ms). Live dashboards need the short wait.

aiokafka fetches a broker's partitions in one request, leaving out those whose fetched
records Faust has not taken yet; past ``prefetch_backoff`` (100 ms in aiokafka) it fetches
the others without them. Under a backlog Faust takes a fetch's records only once it has
handed on the previous ones, so the worker polled its idle partitions once per fetch
wait meanwhile (Tansu holds each for the whole wait): 47 of them for a worker with every
role. Polling idle partitions is not free: at idle, a worker with every role and the
broker take 31 % of a core between them, a passes worker and the broker 18 % (``/proc``).
Under a backlog the worker with every role drained 3,328 passes/s with a 1 s backoff
against 2,895 with 100 ms (medians of three alternating drains). Live, Faust takes
records as they come and the backoff never starts.

``rewind`` (see :mod:`streams.stored_passes`) is asked, after each assignment, which
partitions should start before their committed offsets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport
from faust.types import TP

Rewind = Callable[[Mapping[TP, int | None]], Awaitable[Mapping[TP, int]]]


def tuned_transport(
    app: faust.App,
    *,
    fetch_max_wait_ms: int | None = None,
    prefetch_backoff_s: float | None = None,
    rewind: Rewind | None = None,
) -> Transport:
    """A transport for ``app`` whose worker consumer waits at most ``fetch_max_wait_ms``
    (Faust's own wait when None), holds back other partitions' fetches for
    ``prefetch_backoff_s`` (aiokafka's when None) and starts where ``rewind`` says."""

    class TunedConsumerThread(AIOKafkaConsumerThread):
        def _create_worker_consumer(self, transport: Any) -> Any:
            consumer = super()._create_worker_consumer(transport)
            if fetch_max_wait_ms is not None:
                # aiokafka hands this to its fetcher in start(); not started yet here.
                consumer._fetch_max_wait_ms = fetch_max_wait_ms
            return consumer

        async def on_start(self) -> None:
            await super().on_start()  # creates and starts the consumer, and its fetcher
            if prefetch_backoff_s is not None:
                # Read by the fetcher each time it buffers records; no public setting, so
                # an aiokafka that renamed it stops every worker (and CI) here, instead of
                # the tuning going silently.
                fetcher = self._ensure_consumer()._fetcher
                if not hasattr(fetcher, "_prefetch_backoff"):
                    raise RuntimeError("aiokafka's fetcher has no _prefetch_backoff to set")
                fetcher._prefetch_backoff = prefetch_backoff_s

    class TunedConsumer(Consumer):
        def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
            return TunedConsumerThread(self, loop=self.loop, beacon=self.beacon)

        async def seek_to_committed(self) -> Mapping[TP, int]:
            """Faust seeks every assigned partition here before the streams resume."""
            committed: Mapping[TP, int] = await super().seek_to_committed()
            if rewind is None:
                return committed
            earlier = await rewind(committed)
            for tp, offset in earlier.items():
                self.log.info("reading %s again from offset %d", tp, offset)
                await self.seek(tp, offset)
            return {**committed, **earlier}

    class TunedTransport(Transport):
        Consumer = TunedConsumer

    return TunedTransport(app.conf.broker_consumer, app)
