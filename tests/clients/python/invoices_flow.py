"""Invoices and credit notes through the official lago-python-client (pydantic models parse
every response), checked on the Odoo side over the simulator's JSON-RPC.

Flow: customer → plan → subscription → recurring invoice (Odoo `action_invoice_subscription`)
→ invoices.find_all / find → download (PDF) → one-off invoice → credit note → invoice void.

Usage: LAGO_API_URL=… LAGO_API_KEY=… ODOO_URL=… python invoices_flow.py
Exits non-zero (with the reason on stderr) when anything differs from the hand-computed
expectations; prints a JSON summary on success.
"""
import json
import os
import sys
import urllib.request

from lago_python_client.client import Client
from lago_python_client.exceptions import LagoApiError
from lago_python_client.models import (
    CreditNote, Customer, InvoiceFee, InvoiceFeesList, Item, Items, OneOffInvoice, Plan,
    Subscription,
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
    return reply.get("result")


def check(cond, what):
    if not cond:
        print("FAILED: " + what, file=sys.stderr)
        sys.exit(1)


client.customers.create(Customer(external_id="py-inv", name="Invoice Co",
                                 email="billing@invoice.ca", currency="CAD"))
client.plans.create(Plan(name="Basic", code="basic", interval="monthly", amount_cents=2000,
                         amount_currency="CAD"))
client.subscriptions.create(Subscription(external_customer_id="py-inv", plan_code="basic",
                                         external_id="py-inv-sub"))
orders = odoo("sale.order", "search", [[["client_order_ref", "=", "py-inv-sub"]]])
check(len(orders) == 1, "one sale order")
odoo("sale.order", "action_invoice_subscription", [orders])

listed = client.invoices.find_all({"external_customer_id": "py-inv"})
invoices = listed["invoices"]
check(len(invoices) == 1, "one subscription invoice listed")
sub_inv = invoices[0]
# 20.00 + 13 % HST = 22.60
check(sub_inv.total_amount_cents == 2260, "subscription invoice total %s" % sub_inv.total_amount_cents)
check(sub_inv.taxes_amount_cents == 260, "taxes")
check(sub_inv.invoice_type == "subscription", "invoice_type")
check(sub_inv.billing_periods.__root__[0].external_subscription_id == "py-inv-sub", "billing period")
found = client.invoices.find(sub_inv.lago_id)
check(found.number == sub_inv.number and found.status == "finalized", "find")

downloaded = client.invoices.download(sub_inv.lago_id)
check(downloaded is not None and downloaded.file_url, "file_url")
pdf = urllib.request.urlopen(downloaded.file_url).read()
check(pdf.startswith(b"%PDF"), "a PDF at file_url")

one_off = client.invoices.create(OneOffInvoice(
    external_customer_id="py-inv", currency="CAD",
    fees=InvoiceFeesList(__root__=[InvoiceFee(add_on_code="setup", unit_amount_cents=5000,
                                              units=1, description="Setup")])))
check(one_off.invoice_type == "one_off" and one_off.total_amount_cents == 5650, "one-off 56.50")
fee_id = one_off.fees.__root__[0].lago_id

note = client.credit_notes.create(CreditNote(
    invoice_id=one_off.lago_id, reason="other", credit_amount_cents=1130, refund_amount_cents=0,
    items=Items(__root__=[Item(fee_id=fee_id, amount_cents=1000)])))
check(note.total_amount_cents == 1130 and note.credit_amount_cents == 1130, "credit note 11.30")
refund = odoo("account.move", "search_read",
              [[["move_type", "=", "out_refund"]]], {"fields": ["state", "amount_total"]})
check(len(refund) == 1 and refund[0]["state"] == "posted" and refund[0]["amount_total"] == 11.3,
      "posted out_refund in Odoo: %s" % refund)

try:
    client.invoices.void(one_off.lago_id)
    check(False, "a credited invoice is not voidable")
except LagoApiError as e:
    check(e.status_code == 405 and e.response["code"] == "not_voidable", "not_voidable")

plain = client.invoices.create(OneOffInvoice(
    external_customer_id="py-inv",
    fees=InvoiceFeesList(__root__=[InvoiceFee(add_on_code="setup", unit_amount_cents=1000)])))
voided = client.invoices.void(plain.lago_id)
check(voided.status == "voided", "voided")
state = odoo("account.move", "read", [[plain.sequential_id], ["state"]])[0]["state"]
check(state == "cancel", "cancelled in Odoo")

print(json.dumps({
    "subscription_total": sub_inv.total_amount_cents,
    "one_off_total": one_off.total_amount_cents,
    "credit_note_total": note.total_amount_cents,
    "voided_status": voided.status,
}))
