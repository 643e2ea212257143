//! Wire-contract tests for Odoo 19 (CONTRACT.md §6 and the rejections it lists), over HTTP with
//! raw JSON. By default every test spawns its own `odoo_sim`; with `ODOO_TEST_URL`,
//! `ODOO_TEST_DB`, `ODOO_TEST_LOGIN`, `ODOO_TEST_PASSWORD` (an API key, so JSON-2 works too) set
//! they run against that Odoo instead, and simulator-only tests skip themselves.

#[path = "odoo_contract/harness.rs"]
mod harness;

#[path = "odoo_contract/business.rs"]
mod business;
#[path = "odoo_contract/json2.rs"]
mod json2;
#[path = "odoo_contract/orm.rs"]
mod orm;
#[path = "odoo_contract/rejections.rs"]
mod rejections;
#[path = "odoo_contract/sim_controls.rs"]
mod sim_controls;
#[path = "odoo_contract/subscriptions.rs"]
mod subscriptions;
#[path = "odoo_contract/transport.rs"]
mod transport;
