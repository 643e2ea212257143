from odoo import api, fields, models
from odoo.tools import format_date


class SaleOrderLine(models.Model):
    """Lines of a subscription bill per period: a recurring product its ordered quantity every
    period, a product invoiced on delivery (usage) what was delivered in the period. Their
    invoiced quantity counts only the invoice lines of the current period
    (`subscription_period_start` = the order's `next_invoice_date`), so Odoo's own
    `_create_invoices` bills them again each period. Other lines (one-off products) invoice once,
    as on any order."""

    _inherit = "sale.order.line"

    recurring_invoice = fields.Boolean(related="product_id.recurring_invoice")

    def _is_subscription_periodic(self):
        self.ensure_one()
        return bool(
            self.order_id.is_subscription
            and not self.display_type
            and self.product_id
            and (self.product_id.recurring_invoice or self.product_id.invoice_policy == "delivery")
        )

    def _get_invoice_lines(self):
        lines = super()._get_invoice_lines()
        if self._is_subscription_periodic():
            current = self.order_id.next_invoice_date
            lines = lines.filtered(lambda l: l.subscription_period_start == current)
        return lines

    @api.depends(
        "invoice_lines.move_id.state",
        "invoice_lines.quantity",
        "invoice_lines.subscription_period_start",
        "order_id.next_invoice_date",
    )
    def _compute_qty_invoiced(self):
        return super()._compute_qty_invoiced()

    def _prepare_invoice_line(self, **optional_values):
        res = super()._prepare_invoice_line(**optional_values)
        period = self.env.context.get("subscription_period")
        if period and self._is_subscription_periodic():
            start, end = period
            res["subscription_period_start"] = start
            res["name"] = "%s\n%s to %s" % (
                res.get("name") or "",
                format_date(self.env, start, lang_code="en_US", date_format="MM/dd/yyyy"),
                format_date(self.env, end, lang_code="en_US", date_format="MM/dd/yyyy"),
            )
        return res

    def _reset_subscription_quantity_post_invoice(self):
        """After a period is invoiced, usage starts again from zero."""
        for line in self:
            if line._is_subscription_periodic() and line.product_id.invoice_policy == "delivery":
                line.qty_delivered = 0.0
