//! Checked arithmetic on amounts and quantities: every operation of the billing domain that
//! could leave `Decimal`'s range (≈ ±7.9e28, 28 fractional digits) goes through these, so an
//! overflow is an [`Overflow`] error naming the computation — never a panic, never a
//! saturated or zeroed value. Callers isolate it per subscription (the rating push logs,
//! counts and retries it; current usage answers 422).

use rust_decimal::Decimal;

/// An amount or quantity left `Decimal`'s range. Holds what was being computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("arithmetic overflow while computing {0}")]
pub struct Overflow(pub &'static str);

/// `a + b`, or [`Overflow`] naming `what`.
pub fn add(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Overflow> {
    a.checked_add(b).ok_or(Overflow(what))
}

/// `a − b`, or [`Overflow`] naming `what`.
pub fn sub(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Overflow> {
    a.checked_sub(b).ok_or(Overflow(what))
}

/// `a × b`, or [`Overflow`] naming `what`.
pub fn mul(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Overflow> {
    a.checked_mul(b).ok_or(Overflow(what))
}

/// `a ÷ b`, or [`Overflow`] naming `what` (also for `b = 0`).
pub fn div(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Overflow> {
    a.checked_div(b).ok_or(Overflow(what))
}

/// `Σ values`, or [`Overflow`] naming `what`.
pub fn sum(
    values: impl IntoIterator<Item = Decimal>,
    what: &'static str,
) -> Result<Decimal, Overflow> {
    values
        .into_iter()
        .try_fold(Decimal::ZERO, |acc, v| add(acc, v, what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert_eq!(add(Decimal::MAX, Decimal::ONE, "x"), Err(Overflow("x")));
        assert_eq!(mul(Decimal::MAX, Decimal::TWO, "y"), Err(Overflow("y")));
        assert_eq!(sub(Decimal::MIN, Decimal::ONE, "z"), Err(Overflow("z")));
        assert_eq!(div(Decimal::ONE, Decimal::ZERO, "d"), Err(Overflow("d")));
        assert_eq!(sum([Decimal::MAX, Decimal::MAX], "s"), Err(Overflow("s")));
        assert_eq!(sum([Decimal::ONE, Decimal::TWO], "s"), Ok(Decimal::from(3)));
    }
}
