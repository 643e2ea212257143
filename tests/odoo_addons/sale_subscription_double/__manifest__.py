# Test double of Odoo Enterprise's sale_subscription for Odoo 19 Community.
# For fusion-billing's tests only; never shipped, never installed on a production Odoo.
{
    "name": "Subscriptions test double (fusion-billing tests)",
    "version": "19.0.1.0.0",
    "summary": "The sale_subscription surface fusion-billing uses, for tests on Community",
    "category": "Hidden",
    "author": "fusion-billing tests",
    "license": "LGPL-3",
    "depends": ["sale_management", "account"],
    "data": [
        "security/ir.model.access.csv",
        "data/plans.xml",
        "data/cron.xml",
    ],
    "installable": True,
    "application": False,
}
