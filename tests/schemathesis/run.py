#!/usr/bin/env python3
"""Property-based API run: Schemathesis against the gateway's own OpenAPI document.

Starts ``fusion-billing serve --odoo-sim`` on a temporary SQLite store and a free port,
creates two apps (A and B) with ``fusion-billing service add NAME --json``, seeds app A
(metrics, plans, customers, subscriptions, events, a one-off invoice) and collects its ids,
then runs Schemathesis as app B on every operation of ``GET /api/v1/openapi.json`` with
generated and mutated inputs (``--mode all``), and a shorter run as app A itself.

Checks: no 5xx, status codes, content types and bodies as the document says
(Schemathesis' ``not_a_server_error``, ``status_code_conformance``,
``content_type_conformance``, ``response_schema_conformance``), and ``no_foreign_ids``
(hooks.py): no body app B receives carries one of A's ids.

Usage: run.py [--binary target/debug/fusion-billing] [--max-examples N] [--seed S]
Exit status: 0 when every check passed; prints the number of cases and the time taken.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "no_foreign_ids",
    ]
)


def call(base, key, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
            return r.status, json.loads(text) if text else {}
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, json.loads(text) if text else {}


def must(base, key, method, path, body=None):
    status, out = call(base, key, method, path, body)
    if status != 200:
        raise SystemExit(f"seeding {method} {path} failed: {status} {out}")
    return out


# Ids every app shares by design (a tax is the same Odoo tax for all), not A's own.
SHARED_ID_KEYS = {"lago_tax_id"}


def lago_ids(value, out):
    """Every `lago_*id` string value in a JSON document (but the shared ones)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k in SHARED_ID_KEYS:
                continue
            if isinstance(v, str) and (k == "lago_id" or (k.startswith("lago_") and k.endswith("_id"))):
                out.add(v)
            else:
                lago_ids(v, out)
    elif isinstance(value, list):
        for v in value:
            lago_ids(v, out)
    return out


def seed_app_a(base, key):
    """Objects of app A, with ids that cannot be guessed by accident."""
    ids = {"customers": [], "subscriptions": [], "codes": [], "transactions": [], "lago_ids": set()}
    metric = must(base, key, "POST", "/api/v1/billable_metrics", {"billable_metric": {
        "name": "Seed A calls", "code": "seed_a_calls", "aggregation_type": "sum_agg",
        "field_name": "v"}})
    ids["codes"].append("seed_a_calls")
    plan = must(base, key, "POST", "/api/v1/plans", {"plan": {
        "name": "Seed A plan", "code": "seed_a_plan", "interval": "monthly",
        "amount_cents": 1000, "amount_currency": "CAD",
        "charges": [{"billable_metric_id": metric["billable_metric"]["lago_id"],
                     "charge_model": "standard", "properties": {"amount": "0.5"}}]}})
    ids["codes"].append("seed_a_plan")
    docs = [metric, plan]
    for i in range(2):
        cust = f"seed-a-customer-{i}"
        sub = f"seed-a-subscription-{i}"
        docs.append(must(base, key, "POST", "/api/v1/customers", {"customer": {
            "external_id": cust, "name": f"Seed A {i}", "currency": "CAD",
            "email": f"seed-a-{i}@example.com"}}))
        docs.append(must(base, key, "POST", "/api/v1/subscriptions", {"subscription": {
            "external_customer_id": cust, "plan_code": "seed_a_plan", "external_id": sub}}))
        tx = f"seed-a-tx-{i}"
        docs.append(must(base, key, "POST", "/api/v1/events", {"event": {
            "transaction_id": tx, "external_subscription_id": sub, "code": "seed_a_calls",
            "properties": {"v": 3}}}))
        ids["customers"].append(cust)
        ids["subscriptions"].append(sub)
        ids["transactions"].append(tx)
    docs.append(must(base, key, "POST", "/api/v1/invoices", {"invoice": {
        "external_customer_id": "seed-a-customer-0", "currency": "CAD",
        "fees": [{"add_on_code": "seed_a_setup", "units": "1", "unit_amount_cents": 500}]}}))
    ids["codes"].append("seed_a_setup")
    docs.append(must(base, key, "POST", "/api/v1/webhook_endpoints", {"webhook_endpoint": {
        "webhook_url": "https://seed-a.example.com/hooks", "signature_algo": "hmac"}}))
    for d in docs:
        lago_ids(d, ids["lago_ids"])
    ids["lago_ids"] = sorted(ids["lago_ids"])
    return ids


def start_gateway(binary, env):
    proc = subprocess.Popen(
        [binary, "serve", "--odoo-sim"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    port = None
    deadline = time.time() + 60
    tail = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        tail.append(line)
        try:
            port = json.loads(line).get("fields", {}).get("port")
        except ValueError:
            pass
        if port:
            break
    if not port:
        proc.kill()
        raise SystemExit("the gateway did not report its port:\n" + "".join(tail[-20:]))
    # Keep draining its logs (kept for the report on failure).
    logs = []
    threading.Thread(target=lambda: [logs.append(l) for l in proc.stdout], daemon=True).start()
    return proc, f"http://127.0.0.1:{port}", logs


def schemathesis(base, key, args, name, max_examples, env):
    report = os.path.join(args.report_dir, f"{name}.ndjson")
    cmd = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run",
        f"{base}/api/v1/openapi.json", "--url", f"{base}/api/v1",
        "-H", f"Authorization: Bearer {key}",
        "--checks", CHECKS,
        "--mode", "all",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(max_examples),
        "--seed", str(args.seed),
        "--workers", "2",
        "--request-timeout", "30",
        "--suppress-health-check", "all",
        "--no-shrink",
        "--continue-on-failure",
        "--warnings", "off",
        "--report", "ndjson", "--report-ndjson-path", report,
    ]
    print(f"\n== schemathesis as app {name}: {' '.join(c if 'Bearer' not in c else 'Authorization: Bearer ***' for c in cmd)}", flush=True)
    started = time.time()
    proc = subprocess.run(cmd, env=env, timeout=args.budget, text=True, capture_output=True)
    took = time.time() - started
    out = proc.stdout + proc.stderr
    print(out[-20000:])
    cases = count_cases(report, out)
    print(f"== app {name}: exit {proc.returncode}, {cases} cases in {took:.0f} s", flush=True)
    return proc.returncode, cases, took


def count_cases(report, out):
    """Test cases run, from the NDJSON report (falls back to the summary line)."""
    total = 0
    try:
        with open(report) as f:
            for line in f:
                ev = json.loads(line)
                body = next(iter(ev.values())) if len(ev) == 1 else ev
                if isinstance(body, dict) and "recorder" in body:
                    total += len(body["recorder"].get("cases", {}))
    except (OSError, ValueError, StopIteration):
        pass
    if total:
        return total
    m = re.search(r"(\d+)\s+generated", out)
    return int(m.group(1)) if m else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", default=os.path.join(ROOT, "target/debug/fusion-billing"))
    p.add_argument("--max-examples", type=int, default=int(os.environ.get("FB_SCHEMATHESIS_EXAMPLES", "8")))
    p.add_argument("--seed", type=int, default=int(os.environ.get("FB_SCHEMATHESIS_SEED", "20261204")))
    p.add_argument("--budget", type=int, default=420, help="seconds per Schemathesis run")
    p.add_argument("--report-dir", default=os.path.join(ROOT, ".ci/schemathesis"))
    args = p.parse_args()
    os.makedirs(args.report_dir, exist_ok=True)
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.update({
            "FUSION__STORE__URL": f"sqlite://{tmp}/fusion.db",
            "FUSION__SERVER__BIND": "127.0.0.1:0",
            "FUSION__SERVER__WORKERS": "2",
            "FUSION__LOG__FORMAT": "json",
            "FUSION__LOG__LEVEL": "warn,fusion_billing::cli=info,fusion_billing::startup=info",
        })
        keys = {}
        for name in ("app-a", "app-b"):
            out = subprocess.run([args.binary, "service", "add", name, "--json"], env=env,
                                 check=True, capture_output=True, text=True).stdout
            keys[name] = json.loads(out)["api_key"]
        gateway, base, logs = start_gateway(args.binary, env)
        try:
            ids = seed_app_a(base, keys["app-a"])
            ids_file = os.path.join(tmp, "foreign-ids.json")
            with open(ids_file, "w") as f:
                json.dump(ids, f)
            st_env = dict(os.environ)
            st_env.update({
                "SCHEMATHESIS_HOOKS": "hooks",
                "PYTHONPATH": HERE + os.pathsep + os.environ.get("PYTHONPATH", ""),
                "FB_FOREIGN_IDS": ids_file,
                "FB_SEED": str(args.seed),
            })
            print(f"app A seeded: {len(ids['lago_ids'])} lago_ids, "
                  f"{len(ids['customers'])} customers, {len(ids['subscriptions'])} subscriptions")
            rc_b, cases_b, took_b = schemathesis(base, keys["app-b"], args, "B", args.max_examples, st_env)
            # App A against its own objects; the foreign-id check does not apply to it.
            st_env_a = dict(st_env)
            empty = os.path.join(tmp, "none.json")
            with open(empty, "w") as f:
                json.dump({"lago_ids": [], "customers": [], "subscriptions": [], "codes": [],
                           "transactions": []}, f)
            st_env_a["FB_FOREIGN_IDS"] = empty
            rc_a, cases_a, took_a = schemathesis(base, keys["app-a"], args, "A",
                                                 max(1, args.max_examples // 2), st_env_a)
        finally:
            gateway.terminate()
            try:
                gateway.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gateway.kill()
        panics = [l for l in logs if "panicked" in l]
        if panics:
            print("gateway panics:\n" + "".join(panics[:10]))
    total = time.time() - started
    print(f"\nschemathesis: {cases_b + cases_a} cases (app B {cases_b}, app A {cases_a}) "
          f"in {total:.0f} s (seed {args.seed}, --max-examples {args.max_examples})")
    return 0 if rc_a == 0 and rc_b == 0 and not panics else 1


if __name__ == "__main__":
    sys.exit(main())
