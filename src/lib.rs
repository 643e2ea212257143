//! fusion-billing: a Lago-compatible metering gateway that makes one Odoo 19 instance the
//! billing system of record.

pub mod configuration;
pub mod odoo_sim;
