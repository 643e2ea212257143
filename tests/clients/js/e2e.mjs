// The whole life of an app on fusion-billing through the official Lago JavaScript client
// (pinned in package.json). Phase "setup": webhook endpoint, metric, plan, customer,
// subscription, events (single, batch, replay), current usage. Phase "billing": invoices,
// download, credit note, termination. The Rust test (tests/api/e2e.rs) runs the rating
// push and the simulator's recurring invoicing between the phases and checks Odoo and the
// webhooks. Prints one JSON object; exits non-zero on any failure. E2E_SUFFIX (default empty)
// ends the customer and subscription ids and the e-mail, unique on a shared Odoo.
import { Client, getLagoError } from "lago-javascript-client";

const client = Client(process.env.LAGO_API_KEY, { baseUrl: `${process.env.LAGO_API_URL}/api/v1` });
const phase = process.argv[2];
const CUST = `e2e-cust${process.env.E2E_SUFFIX ?? ""}`;
const SUB = `e2e-sub${process.env.E2E_SUFFIX ?? ""}`;
const out = {};
const fail = (what) => { console.error(`FAILED: ${what}`); process.exit(1); };
const check = (cond, what) => { if (!cond) fail(what); };

async function call(p) {
  try { return (await p).data; } catch (e) { fail(JSON.stringify(await getLagoError(e))); }
}

if (phase === "setup") {
  await call(client.webhookEndpoints.createWebhookEndpoint({ webhook_endpoint: { webhook_url: process.env.WEBHOOK_URL, signature_algo: "hmac" } }));
  const m = await call(client.billableMetrics.createBillableMetric({ billable_metric: { name: "API calls", code: "calls", aggregation_type: "sum_agg", field_name: "n" } }));
  const plan = await call(client.plans.createPlan({ plan: {
    name: "API", code: "api", interval: "monthly", amount_cents: 1000, amount_currency: "CAD", pay_in_advance: true,
    charges: [{ billable_metric_id: m.billable_metric.lago_id, charge_model: "graduated", properties: { graduated_ranges: [
      { from_value: 0, to_value: 1000, per_unit_amount: "0", flat_amount: "0" },
      { from_value: 1001, to_value: 10000, per_unit_amount: "0.01", flat_amount: "0" },
      { from_value: 10001, to_value: null, per_unit_amount: "0.005", flat_amount: "0" }] } }] } }));
  check(plan.plan.charges.length === 1, "plan charges");
  const c = await call(client.customers.createCustomer({ customer: { external_id: CUST, name: "E2E Hosting Ltd", email: `ap${process.env.E2E_SUFFIX ?? ""}@e2e-hosting.ca`, country: "CA", currency: "CAD" } }));
  check(c.customer.applicable_timezone === "UTC", "customer");
  const s = await call(client.subscriptions.createSubscription({ subscription: { external_customer_id: CUST, plan_code: "api", external_id: SUB, billing_time: "calendar" } }));
  check(s.subscription.status === "active", "subscription active");
  const ts = Math.floor(Date.now() / 1000) - 60;
  const ev = (id, n) => ({ transaction_id: id, external_subscription_id: SUB, code: "calls", timestamp: ts, properties: { n } });
  const single = await call(client.events.createEvent({ event: ev("e1", 9000) }));
  check(single.event.transaction_id === "e1", "single event");
  await call(client.events.createBatchEvents({ events: [ev("e2", 3000), ev("e3", 1000)] }));
  const replay = await call(client.events.createEvent({ event: ev("e1", 9000) }));
  check(replay.event.lago_id === single.event.lago_id, "replay returns the stored event");
  const u = await call(client.customers.findCustomerCurrentUsage(CUST, { external_subscription_id: SUB }));
  out.usage = { amount_cents: u.customer_usage.amount_cents, taxes_amount_cents: u.customer_usage.taxes_amount_cents,
    total_amount_cents: u.customer_usage.total_amount_cents, units: u.customer_usage.charges_usage[0].units };
} else if (phase === "billing") {
  const list = await call(client.invoices.findAllInvoices({ external_customer_id: CUST }));
  out.invoices = list.invoices.map((i) => ({ lago_id: i.lago_id, number: i.number, fees_amount_cents: i.fees_amount_cents,
    taxes_amount_cents: i.taxes_amount_cents, total_amount_cents: i.total_amount_cents, status: i.status }));
  const usage = list.invoices.find((i) => i.fees_amount_cents === 11500);
  check(usage, `usage invoice in ${JSON.stringify(out.invoices)}`);
  const d = await call(client.invoices.downloadInvoice(usage.lago_id));
  const pdf = await fetch(d.invoice.file_url);
  const bytes = new Uint8Array(await pdf.arrayBuffer());
  out.pdf = new TextDecoder().decode(bytes.slice(0, 5));
  const fee = usage.fees.find((f) => f.amount_cents === 9000);
  check(fee, "the 1,001–10,000 fee");
  const cn = await call(client.creditNotes.createCreditNote({ credit_note: { invoice_id: usage.lago_id, reason: "other",
    credit_amount_cents: 2260, refund_amount_cents: 0, items: [{ fee_id: fee.lago_id, amount_cents: 2000 }] } }));
  out.credit_note = { total_amount_cents: cn.credit_note.total_amount_cents, credit_amount_cents: cn.credit_note.credit_amount_cents };
  const t = await call(client.subscriptions.destroySubscription(SUB));
  out.terminated = t.subscription.status;
} else {
  fail(`unknown phase ${phase}`);
}
console.log(JSON.stringify(out));
