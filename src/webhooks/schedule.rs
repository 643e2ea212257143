//! The retry schedule of webhook deliveries and `Retry-After` handling.
//!
//! `webhooks.retry_schedule` lists the waits between attempts, e.g. the default
//! `"5s,5m,30m,2h,5h,10h,10h"` (as Svix): 8 attempts over about 27 hours. Each wait gets
//! ±10 % jitter. A receiver's `Retry-After` (seconds or an HTTP date) replaces the wait,
//! capped at the schedule's longest step. Lago itself retries 3 times with
//! `retries^4 + 2 s` (`api:app/jobs/send_webhook_job.rb`); the longer schedule survives a
//! receiver's day-long outage.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// The waits between attempts; attempts in total = `steps().len() + 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    steps: Vec<Duration>,
}

/// Parses one duration: an integer with a unit `ms`, `s`, `m` or `h` (e.g. `250ms`,
/// `5m`).
///
/// # Errors
/// A message naming the bad text.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{t:?} is not a duration such as 5s, 250ms, 5m or 2h"))?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(format!("{t:?} has no unit (ms, s, m or h)")),
    };
    Ok(d)
}

impl RetrySchedule {
    /// Parses comma-separated durations. An empty schedule means one attempt only.
    ///
    /// # Errors
    /// The first entry that is not a duration.
    pub fn parse(text: &str) -> Result<Self, String> {
        let steps = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_duration)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RetrySchedule { steps })
    }

    /// The configured waits.
    pub fn steps(&self) -> &[Duration] {
        &self.steps
    }

    /// Attempts in total (first try plus one per step).
    pub fn max_attempts(&self) -> i64 {
        self.steps.len() as i64 + 1
    }

    /// The longest step (the cap for `Retry-After`); zero for an empty schedule.
    pub fn max_step(&self) -> Duration {
        self.steps.iter().copied().max().unwrap_or_default()
    }

    /// The wait after attempt number `attempts_made` (1-based) failed, with ±10 % jitter,
    /// or `None` when no attempt is left. `retry_after` (the receiver's ask) replaces the
    /// scheduled wait, capped at [`RetrySchedule::max_step`].
    pub fn next_delay(
        &self,
        attempts_made: i64,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let idx = usize::try_from(attempts_made - 1).ok()?;
        let base = *self.steps.get(idx)?;
        if let Some(asked) = retry_after {
            return Some(asked.min(self.max_step()));
        }
        let jitter = rand::thread_rng().gen_range(0.9..=1.1);
        Some(base.mul_f64(jitter))
    }
}

/// Parses a `Retry-After` value: delay seconds (`"120"`) or an HTTP date, relative to
/// `now`. A date in the past is zero; anything unparsable is `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_spans_a_day() {
        let s = RetrySchedule::parse("5s,5m,30m,2h,5h,10h,10h").unwrap();
        assert_eq!(s.max_attempts(), 8);
        let total: Duration = s.steps().iter().sum();
        assert!(total >= Duration::from_secs(24 * 3600), "{total:?}");
        assert_eq!(s.max_step(), Duration::from_secs(36_000));
    }

    #[test]
    fn durations_and_errors() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration(" 2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("s").is_err());
        assert!(RetrySchedule::parse("1s,,2s").is_ok());
        assert!(RetrySchedule::parse("1s,x").is_err());
        assert_eq!(RetrySchedule::parse("").unwrap().max_attempts(), 1);
    }

    #[test]
    fn delays_jitter_and_end() {
        let s = RetrySchedule::parse("10s,100s").unwrap();
        for _ in 0..50 {
            let d = s.next_delay(1, None).unwrap();
            assert!(
                d >= Duration::from_secs(9) && d <= Duration::from_secs(11),
                "{d:?}"
            );
        }
        assert!(s.next_delay(2, None).is_some());
        assert_eq!(
            s.next_delay(3, None),
            None,
            "no attempt left after the last step"
        );
        assert_eq!(s.next_delay(0, None), None);
        assert_eq!(
            s.next_delay(1, Some(Duration::from_secs(30))),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            s.next_delay(1, Some(Duration::from_secs(9999))),
            Some(Duration::from_secs(100)),
            "Retry-After capped at the longest step"
        );
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
