"""Customers, plans, subscriptions and current usage through the official lago-python-client,
checked on the Odoo side over the simulator's JSON-RPC.

Usage: LAGO_API_URL=… LAGO_API_KEY=… ODOO_URL=… python accounts_flow.py
Exits non-zero (with the reason on stderr) when anything differs from the hand-computed
expectations; prints a JSON summary on success.
"""
import json
import os
import sys
import time
import urllib.request

from lago_python_client.client import Client
from lago_python_client.models import (
    BatchEvent, BillableMetric, Charge, Charges, Customer, CustomerBillingConfiguration,
    Event, Plan, Subscription,
)

client = Client(api_key=os.environ["LAGO_API_KEY"], api_url=os.environ["LAGO_API_URL"])
ODOO = os.environ["ODOO_URL"]


def odoo(model, method, args, kwargs=None):
    body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw",
        "args": ["odoo", 2, "admin", model, method, args, kwargs or {}]}}
    req = urllib.request.Request(ODOO + "/jsonrpc", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    reply = json.load(urllib.request.urlopen(req))
    if "error" in reply:
        raise RuntimeError(reply["error"])
    return reply["result"]


def check(cond, what):
    if not cond:
        print("FAILED: " + what, file=sys.stderr)
        sys.exit(1)


metrics = {}
for code, agg, field in [("api_calls", "count_agg", None), ("storage_gb", "sum_agg", "gb"),
                         ("messages", "sum_agg", "count"), ("seats", "max_agg", "n"),
                         ("payments", "sum_agg", "amount")]:
    m = client.billable_metrics.create(BillableMetric(
        name=code.replace("_", " "), code=code, aggregation_type=agg, field_name=field))
    metrics[code] = m.lago_id

plan = client.plans.create(Plan(
    name="Pro", code="pro", interval="monthly", amount_cents=4900, amount_currency="CAD",
    pay_in_advance=True,
    charges=Charges(__root__=[
        Charge(billable_metric_id=metrics["api_calls"], charge_model="standard",
               properties={"amount": "0.05", "included_units": "2"}),
        Charge(billable_metric_id=metrics["storage_gb"], charge_model="package",
               properties={"amount": "10", "package_size": 100, "free_units": 0}),
        Charge(billable_metric_id=metrics["messages"], charge_model="graduated",
               properties={"graduated_ranges": [
                   {"from_value": 0, "to_value": 100, "per_unit_amount": "0.01", "flat_amount": "0"},
                   {"from_value": 101, "to_value": None, "per_unit_amount": "0.005", "flat_amount": "1"}]}),
        Charge(billable_metric_id=metrics["seats"], charge_model="volume",
               properties={"volume_ranges": [
                   {"from_value": 0, "to_value": 10, "per_unit_amount": "5", "flat_amount": "0"},
                   {"from_value": 11, "to_value": None, "per_unit_amount": "4", "flat_amount": "10"}]}),
        Charge(billable_metric_id=metrics["payments"], charge_model="percentage",
               properties={"rate": "2.5", "fixed_amount": "0.30"}),
    ])))
check(plan.code == "pro" and len(plan.charges.__root__) == 5, "plan with five charges")

customer = client.customers.create(Customer(
    external_id="py-cust", name="Python Hosting Co", email="ops@python-hosting.ca", country="CA",
    city="Waterloo", currency="CAD", tax_identification_number="PY-123",
    billing_configuration=CustomerBillingConfiguration(document_locale="en")))
check(customer.applicable_timezone == "UTC", "applicable_timezone")
found = client.customers.find("py-cust")
check(found.lago_id == customer.lago_id, "find customer")

sub = client.subscriptions.create(Subscription(
    external_customer_id="py-cust", plan_code="pro", external_id="py-sub", billing_time="calendar"))
check(sub.status == "active", "subscription active: %s" % sub.status)
same = client.subscriptions.create(Subscription(
    external_customer_id="py-cust", plan_code="pro", external_id="py-sub"))
check(same.lago_id == sub.lago_id, "same plan returns the same subscription")

now = int(time.time()) - 60
events = [("api_calls", {})] * 5 + [
    ("storage_gb", {"gb": 200}), ("storage_gb", {"gb": "50"}), ("messages", {"count": 1000}),
    ("seats", {"n": 7}), ("seats", {"n": 12}), ("payments", {"amount": 100}),
    ("payments", {"amount": 40})]
client.events.batch_create(BatchEvent(events=[
    Event(transaction_id="py-ev-%d" % i, external_subscription_id="py-sub", code=code,
          timestamp=now, properties=props)
    for i, (code, props) in enumerate(events)]))
# A replay of the first event is accepted and changes nothing.
client.events.create(Event(transaction_id="py-ev-0", external_subscription_id="py-sub",
                           code="api_calls", timestamp=now, properties={}))

usage = client.customers.current_usage("py-cust", "py-sub")
amounts = {c.billable_metric.code: c.amount_cents for c in usage.charges_usage}
expected = {"api_calls": 15, "storage_gb": 3000, "messages": 650, "seats": 5800, "payments": 410}
check(amounts == expected, "charge amounts %s" % amounts)
check(usage.amount_cents == 9875, "usage amount %s" % usage.amount_cents)
check(usage.taxes_amount_cents == 1284, "usage taxes %s" % usage.taxes_amount_cents)
check(usage.total_amount_cents == 11159, "usage total %s" % usage.total_amount_cents)

# Odoo side: the partner, the confirmed subscription, the products and the plan code.
partners = odoo("res.partner", "search_read", [[["email", "=", "ops@python-hosting.ca"]]],
                {"fields": ["name", "vat", "city", "country_id"]})
check(len(partners) == 1 and partners[0]["vat"] == "PY-123" and partners[0]["city"] == "Waterloo",
      "partner %s" % partners)
orders = odoo("sale.order", "search_read", [[["client_order_ref", "=", "py-sub"]]],
              {"fields": ["state", "subscription_state", "partner_id", "plan_id", "x_fc_plan_code",
                          "order_line"]})
check(len(orders) == 1, "one sale.order")
order = orders[0]
check(order["state"] == "sale" and order["subscription_state"] == "3_progress", "confirmed %s" % order)
check(order["partner_id"][0] == partners[0]["id"], "order partner")
check(order["x_fc_plan_code"] == "pro" and len(order["order_line"]) == 6, "order lines and plan code")
products = odoo("product.product", "search_read", [[["default_code", "=like", "FC-%-pro%"]]],
                {"fields": ["default_code", "invoice_policy", "product_tmpl_id"]})
check(len(products) == 6, "six products, got %d" % len(products))
templates = odoo("product.template", "read", [[p["product_tmpl_id"][0] for p in products]],
                 {"fields": ["x_fc_plan_code"]})
check(all(t["x_fc_plan_code"] == "pro" for t in templates), "plan code on every product")

ended = client.subscriptions.destroy("py-sub")
check(ended.status == "terminated", "terminated: %s" % ended.status)
state = odoo("sale.order", "read", [[order["id"]]], {"fields": ["subscription_state"]})[0]
check(state["subscription_state"] == "6_churn", "6_churn in Odoo: %s" % state)

print(json.dumps({"amount_cents": usage.amount_cents, "order_id": order["id"],
                  "partner_id": partners[0]["id"], "status": ended.status}))
