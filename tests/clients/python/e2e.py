"""The whole life of an app on fusion-billing through the official lago-python-client.

Usage: LAGO_API_URL=… LAGO_API_KEY=… WEBHOOK_URL=… [E2E_SUFFIX=…] python e2e.py setup|billing
E2E_SUFFIX (default empty) ends the customer and subscription ids and the e-mail, unique on a shared Odoo.
Same flow and output as tests/clients/js/e2e.mjs (see there); exits non-zero on failure.
"""
import json
import os
import sys
import time
import urllib.request

from lago_python_client.client import Client
from lago_python_client.models import (
    BatchEvent, BillableMetric, Charge, Charges, CreditNote, Customer, Event, Item, Items, Plan,
    Subscription, WebhookEndpoint,
)

client = Client(api_key=os.environ["LAGO_API_KEY"], api_url=os.environ["LAGO_API_URL"])
phase = sys.argv[1]
CUST = "e2e-cust" + os.environ.get("E2E_SUFFIX", "")
SUB = "e2e-sub" + os.environ.get("E2E_SUFFIX", "")
out = {}


def check(cond, what):
    if not cond:
        print("FAILED: " + what, file=sys.stderr)
        sys.exit(1)


if phase == "setup":
    client.webhook_endpoints.create(WebhookEndpoint(webhook_url=os.environ["WEBHOOK_URL"], signature_algo="hmac"))
    m = client.billable_metrics.create(BillableMetric(name="API calls", code="calls", aggregation_type="sum_agg", field_name="n"))
    plan = client.plans.create(Plan(
        name="API", code="api", interval="monthly", amount_cents=1000, amount_currency="CAD", pay_in_advance=True,
        charges=Charges(__root__=[Charge(billable_metric_id=m.lago_id, charge_model="graduated", properties={"graduated_ranges": [
            {"from_value": 0, "to_value": 1000, "per_unit_amount": "0", "flat_amount": "0"},
            {"from_value": 1001, "to_value": 10000, "per_unit_amount": "0.01", "flat_amount": "0"},
            {"from_value": 10001, "to_value": None, "per_unit_amount": "0.005", "flat_amount": "0"}]})])))
    check(len(plan.charges.__root__) == 1, "plan charges")
    c = client.customers.create(Customer(external_id=CUST, name="E2E Hosting Ltd", email="ap%s@e2e-hosting.ca" % os.environ.get("E2E_SUFFIX", ""), country="CA", currency="CAD"))
    check(c.applicable_timezone == "UTC", "customer")
    s = client.subscriptions.create(Subscription(external_customer_id=CUST, plan_code="api", external_id=SUB, billing_time="calendar"))
    check(s.status == "active", "subscription active")
    ts = int(time.time()) - 60

    def ev(i, n):
        return Event(transaction_id=i, external_subscription_id=SUB, code="calls", timestamp=ts, properties={"n": n})

    single = client.events.create(ev("e1", 9000))
    check(single.transaction_id == "e1", "single event")
    client.events.batch_create(BatchEvent(events=[ev("e2", 3000), ev("e3", 1000)]))
    replay = client.events.create(ev("e1", 9000))
    check(replay.lago_id == single.lago_id, "replay returns the stored event")
    u = client.customers.current_usage(CUST, SUB)
    out["usage"] = {"amount_cents": u.amount_cents, "taxes_amount_cents": u.taxes_amount_cents,
                    "total_amount_cents": u.total_amount_cents, "units": u.charges_usage[0].units}
elif phase == "billing":
    invoices = client.invoices.find_all({"external_customer_id": CUST})["invoices"]
    out["invoices"] = [{"lago_id": i.lago_id, "number": i.number, "fees_amount_cents": i.fees_amount_cents,
                        "taxes_amount_cents": i.taxes_amount_cents, "total_amount_cents": i.total_amount_cents,
                        "status": i.status} for i in invoices]
    usage = next((i for i in invoices if i.fees_amount_cents == 11500), None)
    check(usage is not None, "usage invoice in %s" % out["invoices"])
    d = client.invoices.download(usage.lago_id)
    out["pdf"] = urllib.request.urlopen(d.file_url).read()[:5].decode()
    fee = next((f for f in usage.fees.__root__ if f.amount_cents == 9000), None)
    check(fee is not None, "the 1,001-10,000 fee")
    cn = client.credit_notes.create(CreditNote(
        invoice_id=usage.lago_id, reason="other", credit_amount_cents=2260, refund_amount_cents=0,
        items=Items(__root__=[Item(fee_id=fee.lago_id, amount_cents=2000)])))
    out["credit_note"] = {"total_amount_cents": cn.total_amount_cents, "credit_amount_cents": cn.credit_amount_cents}
    out["terminated"] = client.subscriptions.destroy(SUB).status
else:
    check(False, "unknown phase " + phase)
print(json.dumps(out))
