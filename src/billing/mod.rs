//! Pure billing domain: billable metrics, usage aggregation, billing windows, money and
//! charge models.
//!
//! Nothing in this module does I/O. Every function takes plain values and returns plain
//! values; amounts are exact `rust_decimal::Decimal`, never floats; time is UTC `chrono`.
//!
//! The semantics follow Lago (`getlago/lago-api`) where Lago defines them; each item's
//! documentation names the Lago source file it mirrors and states where the gateway
//! deliberately differs.
//!
//! - [`metric`]: aggregation types and metric validation (Lago `app/models/billable_metric.rb`).
//! - [`window`]: half-open billing windows `[from, to)`.
//! - [`aggregation`]: usage events and pushed counters → aggregated units.
//! - [`money`]: ISO-4217 currencies, major-unit amounts, cents, Lago decimal strings.
//! - [`charge`]: charge models (standard, package, graduated, volume, percentage) → amounts.
//! - [`checked`]: checked arithmetic; an overflow is an error, never a panic or a 0.

pub mod aggregation;
pub mod charge;
pub mod checked;
pub mod metric;
pub mod money;
pub mod window;

mod errors;

pub use checked::Overflow;
pub use errors::ValidationErrors;
