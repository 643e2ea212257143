from dateutil.relativedelta import relativedelta

from odoo import api, fields, models


class SaleSubscriptionPlan(models.Model):
    """Recurring plan: how often a subscription is invoiced."""

    _name = "sale.subscription.plan"
    _description = "Subscription Plan"
    _order = "id"

    name = fields.Char("Name", required=True, translate=True)
    active = fields.Boolean("Active", default=True)
    billing_period_value = fields.Integer("Duration", default=1, required=True)
    billing_period_unit = fields.Selection(
        [("week", "Weeks"), ("month", "Months"), ("year", "Years")],
        string="Unit", default="month", required=True,
    )
    billing_period_display = fields.Char("Billing Period", compute="_compute_billing_period_display")
    auto_close_limit = fields.Integer("Automatic Closing", default=15)
    billing_first_day = fields.Boolean("Align to Period Start")
    user_closable = fields.Boolean("Closable")
    user_closable_options = fields.Selection(
        [("at_date", "At Date"), ("end_of_period", "End of Period")], string="Closable options",
    )
    user_extend = fields.Boolean("Renew")
    user_quantity = fields.Boolean("Add Products")
    invoice_mail_template_id = fields.Many2one("mail.template", string="Invoice Email Template")
    company_id = fields.Many2one("res.company", string="Company")

    @api.depends("billing_period_value", "billing_period_unit")
    def _compute_billing_period_display(self):
        labels = dict(self._fields["billing_period_unit"].selection)
        for plan in self:
            plan.billing_period_display = "%s %s" % (
                plan.billing_period_value, labels.get(plan.billing_period_unit, "")
            )

    def _period(self):
        """The billing period as a relativedelta."""
        self.ensure_one()
        n = self.billing_period_value or 1
        return {
            "week": relativedelta(weeks=n),
            "month": relativedelta(months=n),
            "year": relativedelta(years=n),
        }[self.billing_period_unit or "month"]
