"""Alert rules, lifecycle, notification channels and the Celery app that delivers them."""
