from odoo import fields, models


class AccountMoveLine(models.Model):
    """The subscription period an invoice line bills (this double's own marker; Enterprise
    keeps the period in the deferred dates)."""

    _inherit = "account.move.line"

    subscription_period_start = fields.Date("Subscription Period Start", copy=True, index=True)
