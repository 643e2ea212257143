//! The simulated clock: real UTC time plus an offset that tests move forward by whole days.
//!
//! Odoo stores datetimes as naive UTC with second precision (`odoo/fields.py` Datetime) and
//! dates as `YYYY-MM-DD`; `fields.Date.context_today` is the user's date (UTC here: no `tz`).

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Wall clock shifted by `offset`.
#[derive(Debug, Clone, Default)]
pub struct SimClock {
    offset: Duration,
}

impl SimClock {
    /// Current simulated instant (UTC).
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
    /// Current simulated date (UTC).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
    /// Moves the clock forward (or back with a negative value) by `days` days.
    pub fn advance_days(&mut self, days: i64) {
        self.offset += Duration::days(days);
    }
    /// Odoo datetime string `YYYY-MM-DD HH:MM:SS` of now.
    pub fn now_str(&self) -> String {
        fmt_datetime(self.now())
    }
    /// Odoo date string `YYYY-MM-DD` of today.
    pub fn today_str(&self) -> String {
        fmt_date(self.today())
    }
}

/// Odoo datetime wire format (naive UTC, second precision).
pub fn fmt_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Odoo date wire format.
pub fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Parses an Odoo date string (`YYYY-MM-DD`, or the date part of a datetime string).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

/// Adds `n` periods of `unit` (`week|month|year`) to a date, clamping month ends like
/// `dateutil.relativedelta` (Jan 31 + 1 month = Feb 28/29).
pub fn add_period(d: NaiveDate, unit: &str, n: i64) -> NaiveDate {
    match unit {
        "week" => d + Duration::weeks(n),
        "year" => add_months(d, 12 * n),
        _ => add_months(d, n),
    }
}

fn add_months(d: NaiveDate, n: i64) -> NaiveDate {
    use chrono::Datelike;
    let total = d.year() as i64 * 12 + d.month0() as i64 + n;
    let (y, m) = (
        (total.div_euclid(12)) as i32,
        (total.rem_euclid(12) + 1) as u32,
    );
    let mut day = d.day();
    loop {
        if let Some(x) = NaiveDate::from_ymd_opt(y, m, day) {
            return x;
        }
        day -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_clamp_like_relativedelta() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap();
        assert_eq!(fmt_date(add_period(d, "month", 1)), "2024-02-29");
        assert_eq!(fmt_date(add_period(d, "year", 1)), "2025-01-31");
        assert_eq!(fmt_date(add_period(d, "week", 1)), "2024-02-07");
    }

    #[test]
    fn advance_moves_today() {
        let mut c = SimClock::default();
        let t0 = c.today();
        c.advance_days(31);
        assert_eq!(c.today() - t0, Duration::days(31));
    }
}
