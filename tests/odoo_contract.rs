//! Wire-contract tests for Odoo 19 (CONTRACT.md §6 and the rejections it lists, corrected by
//! `src/odoo_sim/DIVERGENCES.md` where a real server disagreed), over HTTP with raw JSON.
//!
//! By default every test spawns its own `odoo_sim`. With `ODOO_TEST_URL`, `ODOO_TEST_DB`,
//! `ODOO_TEST_LOGIN`, `ODOO_TEST_PASSWORD` (an API key, so JSON-2 works too) set they run
//! against that Odoo instead: simulator-control tests skip themselves, saying so, and the
//! tests listed in `harness::ENTERPRISE_ONLY` print that they were not run when the server
//! lacks the Enterprise module they need. `ODOO_TEST_PROTOCOL=json2` sends the business calls
//! (`Target::ok`) over JSON-2 instead of JSON-RPC; `ODOO_TEST_REAL=1` (CI's real-Odoo run)
//! makes a missing `ODOO_TEST_URL` a failure rather than a simulator run.

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
#[path = "odoo_contract/rounding.rs"]
mod rounding;
#[path = "odoo_contract/sim_controls.rs"]
mod sim_controls;
#[path = "odoo_contract/subscriptions.rs"]
mod subscriptions;
#[path = "odoo_contract/transport.rs"]
mod transport;
