"""Locust file of load/cluster-failover.sh: the PredictSmallUser scenario of locustfile.py plus a log of every
request (completion time, success, HTTP status, response time, model version) in FAILOVER_REQUEST_LOG, from which
the script tells when failures started and stopped relative to the kill and when a promotion reached every answer."""
import csv
import os
import time

from locust import events

from locustfile import PredictSmallUser  # noqa: F401  (the scenario this file runs)

_log = open(os.environ["FAILOVER_REQUEST_LOG"], "w", newline="")
_writer = csv.writer(_log)


@events.request.add_listener
def _record(response_time, response=None, exception=None, **_):
    status = getattr(response, "status_code", 0) or 0
    version = ""
    if status == 200:
        try:
            version = response.json().get("model_version") or ""
        except ValueError:
            pass
    _writer.writerow([f"{time.time():.3f}", 0 if exception else 1, status, f"{response_time:.1f}", version])


@events.quitting.add_listener
def _close(**_):
    _log.close()
