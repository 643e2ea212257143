"""Drives the gateway with the official lago-python-client (pinned in requirements.txt).

Usage: LAGO_API_URL=http://127.0.0.1:PORT LAGO_API_KEY=fb_... python ingest.py
Prints one JSON object with what the client returned; any client exception fails the run.
"""
import json
import os
import sys

from lago_python_client.client import Client
from lago_python_client.models import BatchEvent, BillableMetric, Event

client = Client(api_key=os.environ["LAGO_API_KEY"], api_url=os.environ["LAGO_API_URL"])

metric = client.billable_metrics.create(
    BillableMetric(name="API calls", code="api_calls", aggregation_type="sum_agg", field_name="calls")
)
counted = client.billable_metrics.create(
    BillableMetric(name="Logins", code="logins", aggregation_type="count_agg")
)
found = client.billable_metrics.find("api_calls")

single = client.events.create(
    Event(transaction_id="py-1", external_subscription_id="sub-py", code="api_calls",
          timestamp=1700000000, properties={"calls": 10})
)
replay = client.events.create(
    Event(transaction_id="py-1", external_subscription_id="sub-py", code="api_calls",
          timestamp=1700000000, properties={"calls": 10})
)
no_timestamp = client.events.create(
    Event(transaction_id="py-2", external_subscription_id="sub-py", code="logins")
)
batch = client.events.batch_create(
    BatchEvent(events=[
        Event(transaction_id=f"py-b{i}", external_subscription_id="sub-py", code="api_calls",
              timestamp=f"{1700000000 + i}.5", properties={"calls": i})
        for i in range(50)
    ])
)
fetched = client.events.find("py-1")

conflict_status = None
try:
    client.events.create(
        Event(transaction_id="py-1", external_subscription_id="sub-py", code="api_calls",
              timestamp=1700000000, properties={"calls": 11})
    )
except Exception as exc:  # LagoApiError
    conflict_status = getattr(exc, "status_code", None)
    conflict_body = getattr(exc, "response", None)

metrics = client.billable_metrics.find_all()

json.dump({
    "metric_code": metric.code,
    "metric_filters": getattr(metric.filters, "__root__", metric.filters),
    "counted_aggregation": counted.aggregation_type,
    "found_field_name": found.field_name,
    "single": {"transaction_id": single.transaction_id, "lago_id": single.lago_id,
               "timestamp": single.timestamp, "external_subscription_id": single.external_subscription_id},
    "replay_lago_id": replay.lago_id,
    "no_timestamp_code": no_timestamp.code,
    "batch": batch,
    "fetched_properties": fetched.properties,
    "conflict_status": conflict_status,
    "conflict_body": conflict_body,
    "metrics_count": len(metrics["billable_metrics"]) if isinstance(metrics, dict) else len(metrics.billable_metrics),
}, sys.stdout, default=str)
