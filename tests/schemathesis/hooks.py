"""Schemathesis hooks for the gateway's property-based run (see run.py).

- ``map_path_parameters``: one request in three aims at an object of app A (its customer,
  subscription, plan, metric, invoice… ids), so app B's requests probe A's objects.
- ``no_foreign_ids`` (a check): no body app B receives carries an id of app A: A's
  ``lago_id``s never, and A's external ids / codes only when B's own request carried
  them (external ids and codes are per app, so B may own the same text).

run.py writes A's ids to the JSON file named by ``FB_FOREIGN_IDS`` before the run.
"""

import json
import os
import random

import schemathesis

_FOREIGN = None


def foreign():
    global _FOREIGN
    if _FOREIGN is None:
        with open(os.environ["FB_FOREIGN_IDS"]) as f:
            _FOREIGN = json.load(f)
    return _FOREIGN


_rng = random.Random(int(os.environ.get("FB_SEED", "1")))

# Path parameter name → which of A's ids to try there.
_PARAM_KINDS = {
    "external_customer_id": "customers",
    "external_id": "subscriptions",
    "code": "codes",
    "lago_id": "lago_ids",
    "transaction_id": "transactions",
}


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    if not path_parameters:
        return path_parameters
    ids = foreign()
    for name in list(path_parameters):
        kind = _PARAM_KINDS.get(name)
        if kind and ids.get(kind) and _rng.random() < 0.35:
            path_parameters[name] = _rng.choice(ids[kind])
    return path_parameters


def _request_text(case):
    parts = [json.dumps(case.path_parameters or {}), json.dumps(case.query or {}, default=str)]
    try:
        parts.append(json.dumps(case.body, default=str))
    except Exception:
        parts.append(str(case.body))
    return " ".join(parts)


@schemathesis.check
def no_foreign_ids(ctx, response, case):
    text = response.text or ""
    if not text:
        return None
    ids = foreign()
    leaked = [i for i in ids["lago_ids"] if i in text]
    sent = _request_text(case)
    leaked += [
        i
        for kind in ("customers", "subscriptions", "codes", "transactions")
        for i in ids.get(kind, [])
        if i in text and i not in sent
    ]
    if leaked:
        raise AssertionError(f"app B received app A's ids {sorted(set(leaked))[:5]}")
    return None
