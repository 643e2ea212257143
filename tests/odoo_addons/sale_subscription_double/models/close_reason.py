from odoo import fields, models


class SaleOrderCloseReason(models.Model):
    """Why a subscription was closed."""

    _name = "sale.order.close.reason"
    _description = "Subscription Close Reason"
    _order = "sequence, id"

    name = fields.Char("Reason", required=True, translate=True)
    sequence = fields.Integer(default=10)
