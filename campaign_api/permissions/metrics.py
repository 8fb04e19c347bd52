"""Prometheus metrics of the permission layer, served on /metrics.

Per request: checks asked by fields, unique checks sent to the engine, engine calls, and time spent in the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram

if TYPE_CHECKING:
    from campaign_api.permissions.loader import PermissionStats

CHECKS_ASKED = Counter("campaign_api_permission_checks_asked_total", "Permission checks asked by fields and resolvers")
UNIQUE_CHECKS = Counter("campaign_api_permission_unique_checks_total", "Unique permission checks sent to the engine")
ENGINE_CALLS = Counter("campaign_api_permission_engine_calls_total", "Calls to the permission engine")
ENGINE_SECONDS = Histogram(
    "campaign_api_permission_engine_seconds_per_request",
    "Time one request spent waiting for the permission engine",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
ENGINE_CALLS_PER_REQUEST = Histogram(
    "campaign_api_permission_engine_calls_per_request",
    "Permission engine calls one request made",
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 50, 100),
)


def record_request(stats: PermissionStats) -> None:
    CHECKS_ASKED.inc(stats.checks_asked)
    UNIQUE_CHECKS.inc(stats.unique_checks)
    ENGINE_CALLS.inc(stats.engine_calls)
    if stats.engine_calls:
        ENGINE_SECONDS.observe(stats.engine_seconds)
    ENGINE_CALLS_PER_REQUEST.observe(stats.engine_calls)
