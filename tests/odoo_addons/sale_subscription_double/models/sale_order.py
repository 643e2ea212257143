import logging

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

SUBSCRIPTION_STATES = [
    ("1_draft", "Quotation"),
    ("2_renewal", "Renewal Quotation"),
    ("3_progress", "In Progress"),
    ("4_paused", "Paused"),
    ("5_renewed", "Renewed"),
    ("6_churn", "Churned"),
    ("7_upsell", "Upsell"),
]


class SaleOrder(models.Model):
    """A sale order with a recurring plan is a subscription: `1_draft` while a quotation,
    `3_progress` once confirmed (start and first invoice date default to today), invoiced one
    period at a time by `action_invoice_subscription` or the daily cron (Odoo's own
    `_create_invoices`, posted), `6_churn` after `set_close`."""

    _inherit = "sale.order"

    plan_id = fields.Many2one("sale.subscription.plan", string="Recurring Plan", index="btree_not_null")
    is_subscription = fields.Boolean("Is a Subscription", compute="_compute_is_subscription", store=True)
    subscription_state = fields.Selection(
        SUBSCRIPTION_STATES, string="Subscription Status",
        compute="_compute_subscription_state", store=True, readonly=False, index=True, copy=False,
    )
    start_date = fields.Date("Start Date", copy=False)
    next_invoice_date = fields.Date("Date of Next Invoice", copy=False)
    end_date = fields.Date("End Date", copy=False)
    first_contract_date = fields.Date("First Contract Date", copy=False)
    last_invoice_date = fields.Date("Last invoice date", copy=False)
    close_reason_id = fields.Many2one("sale.order.close.reason", string="Close Reason", copy=False)
    recurring_total = fields.Monetary("Total Recurring", compute="_compute_recurring", store=True)
    recurring_monthly = fields.Monetary("Monthly Recurring Revenue", compute="_compute_recurring", store=True)
    payment_token_id = fields.Many2one("payment.token", string="Payment Token", copy=False)
    payment_exception = fields.Boolean("Contract in exception", copy=False)
    subscription_id = fields.Many2one("sale.order", string="Parent Contract", copy=False)
    origin_order_id = fields.Many2one("sale.order", string="First contract", copy=False)
    subscription_child_ids = fields.One2many("sale.order", "subscription_id", string="Subscription Child")

    @api.depends("plan_id")
    def _compute_is_subscription(self):
        for order in self:
            order.is_subscription = bool(order.plan_id)

    @api.depends("plan_id", "state")
    def _compute_subscription_state(self):
        for order in self:
            if not order.plan_id:
                order.subscription_state = False
            elif not order.subscription_state and order.state in ("draft", "sent"):
                order.subscription_state = "1_draft"

    @api.depends("order_line.price_subtotal", "order_line.product_id", "plan_id")
    def _compute_recurring(self):
        for order in self:
            total = sum(
                l.price_subtotal for l in order.order_line
                if not l.display_type and l.product_id.recurring_invoice
            )
            order.recurring_total = total
            months = 1.0
            if order.plan_id:
                n = order.plan_id.billing_period_value or 1
                months = {"week": n * 12.0 / 52.0, "month": float(n), "year": 12.0 * n}[
                    order.plan_id.billing_period_unit or "month"
                ]
            order.recurring_monthly = order.currency_id.round(total / months) if months else 0.0

    def action_confirm(self):
        res = super().action_confirm()
        today = fields.Date.context_today(self)
        for order in self.filtered("is_subscription"):
            vals = {"subscription_state": "3_progress"}
            start = order.start_date or today
            if not order.start_date:
                vals["start_date"] = start
            if not order.first_contract_date:
                vals["first_contract_date"] = start
            if not order.next_invoice_date:
                vals["next_invoice_date"] = start
            order.write(vals)
        return res

    def set_close(self, close_reason_id=None, renew=False):
        """Ends the subscriptions today: `6_churn` (`5_renewed` with `renew`)."""
        today = fields.Date.context_today(self)
        vals = {"end_date": today, "subscription_state": "5_renewed" if renew else "6_churn"}
        if close_reason_id:
            vals["close_reason_id"] = close_reason_id
        self.write(vals)
        return True

    def set_open(self):
        """Reopens closed subscriptions."""
        self.write({"subscription_state": "3_progress", "end_date": False, "close_reason_id": False})
        return True

    def pause_subscription(self):
        """`4_paused`: the cron skips it."""
        self.write({"subscription_state": "4_paused"})
        return True

    def resume_subscription(self):
        """Back to `3_progress`."""
        self.write({"subscription_state": "3_progress"})
        return True

    def _invoice_subscription_period(self):
        """Invoices the period starting at `next_invoice_date` with Odoo's `_create_invoices`,
        posts it, then advances the dates and resets delivered quantities. Returns the invoice,
        or an empty recordset (dates still advanced) when nothing is billable."""
        self.ensure_one()
        start = self.next_invoice_date or fields.Date.context_today(self)
        nxt = start + self.plan_id._period()
        end = nxt - relativedelta(days=1)
        invoice = self.env["account.move"]
        if self._get_invoiceable_lines():
            invoice = self.with_context(subscription_period=(start, end))._create_invoices()
            invoice.action_post()
        periodic = self.order_line.filtered(lambda l: l._is_subscription_periodic())
        periodic._reset_subscription_quantity_post_invoice()
        vals = {"next_invoice_date": nxt}
        if invoice:
            vals["last_invoice_date"] = start
        self.write(vals)
        return invoice

    def action_invoice_subscription(self):
        """Invoices the current period of each in-progress subscription now."""
        invoices = self.env["account.move"]
        for order in self.filtered(lambda o: o.subscription_state == "3_progress"):
            invoices |= order._invoice_subscription_period()
        if not invoices:
            raise UserError(self.env._("There is nothing to invoice."))
        return self.action_view_invoice(invoices)

    @api.model
    def _cron_recurring_create_invoice(self):
        """Invoices every in-progress subscription due today or earlier, period after period,
        and closes those whose end date has passed."""
        today = fields.Date.context_today(self)
        due = self.search([
            ("is_subscription", "=", True),
            ("subscription_state", "=", "3_progress"),
            ("next_invoice_date", "<=", today),
        ])
        for order in due:
            for _ in range(1000):
                if not order.next_invoice_date or order.next_invoice_date > today:
                    break
                if order.end_date and order.next_invoice_date > order.end_date:
                    break
                order._invoice_subscription_period()
        self.search([
            ("is_subscription", "=", True),
            ("subscription_state", "=", "3_progress"),
            ("end_date", "<=", today),
        ]).write({"subscription_state": "6_churn"})
        return True
