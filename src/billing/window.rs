//! Billing windows: the half-open interval `[from, to)` usage is measured over.
//!
//! Review finding H2 of the original module (`shared/seeds/000_*.txt`): windows are
//! half-open and anchored on the start, so an instant on a boundary belongs to exactly
//! one of two adjacent windows — the later one.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A half-open UTC interval `[from, to)`; `from < to` always holds.
///
/// Built with [`BillingWindow::new`]; the fields are read-only to keep the invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct BillingWindow {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

/// Error for a window whose end is not after its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("billing window end {to} must be after its start {from}")]
pub struct EmptyWindow {
    /// The requested start.
    pub from: DateTime<Utc>,
    /// The requested end (≤ `from`).
    pub to: DateTime<Utc>,
}

impl BillingWindow {
    /// The window `[from, to)`. Fails with [`EmptyWindow`] when `to <= from`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self, EmptyWindow> {
        if to <= from {
            return Err(EmptyWindow { from, to });
        }
        Ok(Self { from, to })
    }

    /// Inclusive start.
    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    /// Exclusive end.
    pub fn to(&self) -> DateTime<Utc> {
        self.to
    }

    /// True when `from <= ts < to`.
    pub fn contains(&self, ts: DateTime<Utc>) -> bool {
        self.from <= ts && ts < self.to
    }

    /// Length in whole seconds (sub-second remainders are dropped; ≥ 0).
    pub fn duration_secs(&self) -> i64 {
        (self.to - self.from).num_seconds()
    }

    /// Length of the overlap between this window and `[start, end)`, zero when they are
    /// disjoint or `end <= start`.
    pub fn overlap(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> chrono::Duration {
        let lo = start.max(self.from);
        let hi = end.min(self.to);
        if hi > lo {
            hi - lo
        } else {
            chrono::Duration::zero()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, d, h, 0, 0).unwrap()
    }

    #[test]
    fn rejects_empty_and_reversed_windows() {
        assert!(BillingWindow::new(t(1, 0), t(1, 0)).is_err());
        assert!(BillingWindow::new(t(2, 0), t(1, 0)).is_err());
        assert!(BillingWindow::new(t(1, 0), t(2, 0)).is_ok());
    }

    #[test]
    fn is_half_open() {
        let w = BillingWindow::new(t(1, 0), t(2, 0)).unwrap();
        assert!(w.contains(t(1, 0)));
        assert!(w.contains(t(1, 23)));
        assert!(!w.contains(t(2, 0)));
        assert!(!w.contains(t(1, 0) - chrono::Duration::nanoseconds(1)));
        assert_eq!(w.duration_secs(), 86_400);
        let next = BillingWindow::new(t(2, 0), t(3, 0)).unwrap();
        assert!(
            next.contains(t(2, 0)),
            "a boundary belongs to the later window"
        );
    }

    #[test]
    fn overlap_is_clipped() {
        let w = BillingWindow::new(t(2, 0), t(3, 0)).unwrap();
        assert_eq!(w.overlap(t(1, 0), t(2, 12)).num_hours(), 12);
        assert_eq!(w.overlap(t(1, 0), t(4, 0)).num_hours(), 24);
        assert_eq!(w.overlap(t(3, 0), t(4, 0)).num_hours(), 0);
        assert_eq!(w.overlap(t(2, 6), t(2, 6)).num_hours(), 0);
    }
}
