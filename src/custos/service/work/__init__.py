"""Queued work: jobs with leases, the in-process runner and Celery workers, group commit."""
