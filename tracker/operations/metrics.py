"""Prometheus metrics at /metrics (prometheus-client).

Per route (the URL rule, never the path with its ids): request counts by status and request
durations. At scrape time, from the database: jobs' last runs and failures, the outbox's
queued and failed messages, the scheduler's last heartbeat, the data version. Under gunicorn
the workers share their counters through PROMETHEUS_MULTIPROC_DIR (multi-process mode; see
`gunicorn_conf.py`). Only the tracker's own metrics: no process, platform or library
collectors, so no host name, process id, path or version leaves through it. Who may read it:
METRICS_ALLOW, a list of networks (default: this host only).
"""

from __future__ import annotations

import ipaddress
import os
import time

from flask import Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

REQUESTS = Counter("tracker_requests", "HTTP requests answered", ["method", "route", "status"])
DURATION = Histogram(
    "tracker_request_duration_seconds",
    "Time to answer a request",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class DatabaseCollector:
    """Gauges read from the database when Prometheus scrapes (any worker answers the same)."""

    def collect(self):
        from tracker import changes
        from tracker.extensions import db
        from tracker.notifications.models import OutboxMessage, OutboxStatus
        from tracker.rendering import page_context

        # The scheduler runs this area's jobs, so it is above it: it provides its state.
        scheduler = page_context("operations.metrics")

        runs = GaugeMetricFamily(
            "tracker_job_last_success_timestamp_seconds",
            "When each job last ran successfully",
            labels=["job"],
        )
        failing = GaugeMetricFamily(
            "tracker_job_failing", "1 when a job's last run failed", labels=["job"]
        )
        for name, last_success_at, last_status in scheduler.get("job_runs", ()):
            if last_success_at is not None:
                runs.add_metric([name], last_success_at.timestamp())
            failing.add_metric([name], 1.0 if last_status == "error" else 0.0)
        yield runs
        yield failing
        outbox = GaugeMetricFamily(
            "tracker_outbox_messages", "Messages in the outbox by status", labels=["status"]
        )
        counts = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            .tuples()
            .all()
        )
        for status in OutboxStatus:
            outbox.add_metric([status.value], float(counts.get(status, 0)))
        yield outbox
        lease = scheduler.get("lease_expires_at")
        heartbeat = GaugeMetricFamily(
            "tracker_scheduler_lease_expires_timestamp_seconds",
            "Until when the active scheduler's last heartbeat holds its lease (0: never ran)",
        )
        heartbeat.add_metric([], lease.timestamp() if lease else 0.0)
        yield heartbeat
        version = GaugeMetricFamily(
            "tracker_data_version", "The data version (moves with every change pages show)"
        )
        version.add_metric([], float(changes.current()))
        yield version


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(DURATION)
    registry.register(DatabaseCollector())
    return registry


def _allowed(address: str | None, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def init_app(app: Flask) -> None:
    @app.before_request
    def _start():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        if rule != "/metrics":
            REQUESTS.labels(request.method, rule, str(response.status_code)).inc()
            started = g.get("metrics_started")
            if started is not None:
                DURATION.labels(rule).observe(time.perf_counter() - started)
        return response


def answer(remote_address: str | None, allow: str) -> Response:
    """The metrics page, for an address in one of the allowed networks (else 404)."""
    networks = [
        ipaddress.ip_network(n.strip(), strict=False) for n in allow.split(",") if n.strip()
    ]
    if not _allowed(remote_address, networks):
        abort(404)
    return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)
