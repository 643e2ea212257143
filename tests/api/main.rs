//! Black-box tests of the gateway: the real app on port 0, a real SQLite file or
//! PostgreSQL database, Lago-shaped HTTP requests.

mod helpers;

mod accounts;
mod auth;
mod billable_metrics;
mod bounds;
mod credit_notes;
mod currencies;
mod durability;
mod e2e;
mod errors;
mod events;
mod import;
mod invoices;
mod lago_python;
mod money_safety;
mod odoo_cli;
mod odoo_one_off;
mod odoo_payments;
mod odoo_quantities;
mod odoo_tax_rounding;
mod odoo_under_test;
mod openapi;
mod operations;
mod provinces;
mod races;
mod rating;
mod reconciliation;
mod usage;
mod usage_cache;
mod watcher;
mod webhooks;
