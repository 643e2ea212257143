//! Pure billing domain (no I/O): metrics and aggregations, billing windows, money, charges.

pub mod metric;
