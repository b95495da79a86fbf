"""Evaluations and deliveries travel on queues of their own."""

from __future__ import annotations

from alerts.celery_app import create_celery, queue_name
from infra.settings import Settings


def test_the_evaluation_and_the_deliveries_are_routed_to_their_own_queues() -> None:
    settings = Settings(namespace="t.")
    app = create_celery(settings)

    def queue_of(task: str) -> str:
        return str(app.amqp.router.route({}, task)["queue"].name)

    assert queue_of("alerts.evaluate") == queue_name(settings, "evaluate") == "t.celery.evaluate"
    assert queue_of("alerts.notify") == queue_name(settings, "notify") == "t.celery.notify"
    assert queue_of("alerts.ping") == "t.celery.notify"
