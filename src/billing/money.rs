//! Money: ISO-4217 currencies, exact major-unit amounts, integer cents, and Lago's decimal
//! strings.
//!
//! Conventions (API-NOTES §0):
//! - the wire speaks integer `*_amount_cents` in the currency's minor unit;
//! - charge properties speak **decimal strings in major units** (`"0.05"`); JSON numbers
//!   are refused, as Lago's `app/services/validators/decimal_amount_service.rb` does;
//! - the domain computes in major units with `Decimal` and rounds once, at the end, to the
//!   currency's minor unit, half away from zero — Ruby `BigDecimal#round`'s default
//!   `ROUND_HALF_UP`, used by Lago's fee services
//!   (`amount.round(currency.exponent) * currency.subunit_to_unit`), and Odoo's
//!   `res.currency.round` (HALF-UP at the currency's `rounding`).
//!
//! **The one conversion** between major and minor units is [`Currency::to_minor`] /
//! [`Currency::from_minor`] (and [`Currency::to_precise_minor`] for Lago's unrounded
//! `precise_*_cents`): by the currency's ISO-4217 exponent, so 12.34 CAD is 1234, 1234 JPY is
//! 1234 and 1.234 BHD is 1234. Every `*_cents` value shown to or read from Lago goes through
//! it; nothing else in the tree multiplies or divides by 100 to make cents.

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::checked::Overflow;

/// ISO-4217 codes the gateway accepts, with their minor-unit exponent (digits after the
/// decimal point): the "minor unit" column of ISO 4217's list one (current currencies), as
/// RubyMoney's `subunit_to_unit` (Lago) and Odoo's `res.currency.decimal_places` use it —
/// 0 for JPY/KRW/CLP/XOF…, 3 for BHD/KWD/OMR/TND/JOD/IQD/LYD, 4 for CLF, 2 otherwise. Codes
/// absent from this table are rejected. Sorted by code.
#[rustfmt::skip]
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2), ("ARS", 2),
    ("AUD", 2), ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2),
    ("BHD", 3), ("BIF", 0), ("BMD", 2), ("BND", 2), ("BOB", 2), ("BRL", 2), ("BSD", 2),
    ("BWP", 2), ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHF", 2), ("CLF", 4),
    ("CLP", 0), ("CNY", 2), ("COP", 2), ("CRC", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0),
    ("DKK", 2), ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ETB", 2), ("EUR", 2), ("FJD", 2),
    ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2), ("GNF", 0),
    ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2), ("IDR", 2),
    ("ILS", 2), ("INR", 2), ("IQD", 3), ("ISK", 0), ("JMD", 2), ("JOD", 3), ("JPY", 0),
    ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KRW", 0), ("KWD", 3), ("KYD", 2),
    ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2), ("LRD", 2), ("LSL", 2), ("LYD", 3),
    ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2), ("MMK", 2), ("MNT", 2), ("MOP", 2),
    ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2), ("MYR", 2), ("MZN", 2),
    ("NAD", 2), ("NGN", 2), ("NIO", 2), ("NOK", 2), ("NPR", 2), ("NZD", 2), ("OMR", 3),
    ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2), ("PYG", 0),
    ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2), ("RWF", 0), ("SAR", 2), ("SBD", 2),
    ("SCR", 2), ("SEK", 2), ("SGD", 2), ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2),
    ("STN", 2), ("SZL", 2), ("THB", 2), ("TJS", 2), ("TND", 3), ("TOP", 2), ("TRY", 2),
    ("TTD", 2), ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2), ("UYU", 2),
    ("UZS", 2), ("VND", 0), ("VUV", 0), ("WST", 2), ("XAF", 0), ("XCD", 2), ("XOF", 0),
    ("XPF", 0), ("YER", 2), ("ZAR", 2), ("ZMW", 2),
];

/// Errors of this module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The code is not an uppercase ISO-4217 code the gateway knows.
    #[error("unknown currency `{0}`")]
    UnknownCurrency(String),
    /// An amount in cents does not fit in `i64`, or a major amount overflows `Decimal`.
    #[error("amount out of range")]
    OutOfRange,
    /// Two amounts of different currencies were combined.
    #[error("currency mismatch: {0} vs {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// An ISO-4217 currency and its minor-unit exponent (CAD/USD/EUR 2, JPY 0, KWD 3).
///
/// Built with [`Currency::parse`] (or `FromStr`/serde); serialises as its code, e.g. `"CAD"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u32,
}

impl Currency {
    /// Canadian dollar, the gateway's home currency.
    pub const CAD: Currency = Currency {
        code: "CAD",
        exponent: 2,
    };

    /// Looks up an uppercase ISO-4217 code (`"CAD"`). Lowercase or unknown codes fail
    /// with [`MoneyError::UnknownCurrency`], like Lago's currency inclusion validation.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// The ISO code, e.g. `"CAD"`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits of the minor unit: 2 for CAD (cents), 0 for JPY.
    pub fn exponent(&self) -> u32 {
        self.exponent
    }

    /// Minor units per major unit (Lago's `subunit_to_unit`): 100 for CAD, 1 for JPY.
    pub fn subunit_to_unit(&self) -> i64 {
        10_i64.pow(self.exponent)
    }

    /// Like [`Currency::parse`], but a missing or unknown code is the home currency
    /// ([`Currency::CAD`], exponent 2). For codes read back from Odoo (a move's or the
    /// company's `currency_id`), which the gateway wrote or checked itself.
    pub fn parse_or_home(code: Option<&str>) -> Self {
        code.and_then(|c| Currency::parse(c).ok())
            .unwrap_or(Currency::CAD)
    }

    /// `amount` (major units) rounded to this currency's minor unit, half away from zero.
    /// This is the gateway's one rounding rule for money (see the module doc).
    pub fn round(&self, amount: Decimal) -> Decimal {
        amount.round_dp_with_strategy(self.exponent, RoundingStrategy::MidpointAwayFromZero)
    }

    /// Major units → integer minor units (Lago's `*_amount_cents`): rounded to the
    /// currency's exponent **half away from zero** (12.345 CAD → 1235, −12.345 CAD → −1235,
    /// 1234.5 JPY → 1235, 1.2345 BHD → 1235), then scaled by [`Currency::subunit_to_unit`].
    /// Mirrors Lago `amount.round(currency.exponent) * currency.subunit_to_unit`.
    ///
    /// # Errors
    /// [`Overflow`] when the result does not fit an `i64` (never a 0 or a saturated value).
    pub fn to_minor(&self, amount: Decimal) -> Result<i64, Overflow> {
        const WHAT: &str = "amount in minor units";
        self.round(amount)
            .checked_mul(Decimal::from(self.subunit_to_unit()))
            .ok_or(Overflow(WHAT))?
            .trunc()
            .to_i64()
            .ok_or(Overflow(WHAT))
    }

    /// Integer minor units → major units, exactly: 1234 is 12.34 CAD, 1234 JPY, 1.234 BHD.
    pub fn from_minor(&self, minor: i64) -> Decimal {
        Decimal::new(minor, self.exponent)
    }

    /// Major units → minor units **without rounding**, normalised (Lago's
    /// `precise_*_amount_cents`, a decimal string): 12.3456 CAD → 1234.56, 2.5 JPY → 2.5.
    ///
    /// # Errors
    /// [`Overflow`] beyond `Decimal`'s range.
    pub fn to_precise_minor(&self, amount: Decimal) -> Result<Decimal, Overflow> {
        amount
            .checked_mul(Decimal::from(self.subunit_to_unit()))
            .map(|d| d.normalize())
            .ok_or(Overflow("precise amount in minor units"))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount in **major units** (dollars, not cents) of one currency. The amount may carry
/// more decimals than the currency's minor unit until [`Money::rounded`] or
/// [`Money::to_cents`] is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Major units, unrounded.
    pub amount: Decimal,
    /// Currency of `amount`.
    pub currency: Currency,
}

impl Money {
    /// `amount` major units of `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// From integer minor units: `Money::from_cents(1234, CAD)` is 12.34 CAD.
    pub fn from_cents(cents: i64, currency: Currency) -> Self {
        Self {
            amount: currency.from_minor(cents),
            currency,
        }
    }

    /// The amount rounded to the minor unit, half away from zero (Lago:
    /// `amount.round(currency.exponent)`; `BigDecimal#round` is `ROUND_HALF_UP`).
    pub fn rounded(&self) -> Money {
        Money::new(self.currency.round(self.amount), self.currency)
    }

    /// Integer minor units after rounding half away from zero: 0.125 CAD → 13,
    /// -0.125 CAD → -13, 2.5 JPY → 3 ([`Currency::to_minor`]). Fails with
    /// [`MoneyError::OutOfRange`] beyond `i64`.
    pub fn to_cents(&self) -> Result<i64, MoneyError> {
        self.currency
            .to_minor(self.amount)
            .map_err(|_| MoneyError::OutOfRange)
    }

    /// Sum of two amounts of the same currency.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::OutOfRange)?;
        Ok(Money::new(amount, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Why a Lago decimal property was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalStringError {
    /// The JSON value is not a string (numbers included: Lago refuses floats' imprecision).
    #[error("decimal amounts must be JSON strings")]
    NotAString,
    /// The string does not parse as a finite decimal.
    #[error("`{0}` is not a decimal number")]
    Invalid(String),
    /// The decimal is negative where only `≥ 0` is allowed.
    #[error("`{0}` is negative")]
    Negative(String),
}

/// Parses a Lago decimal property such as `"0.05"`, `"-3"`, `" 1.5 "` or `"1e3"` into an
/// exact `Decimal`. Only JSON strings are accepted (`0.05` as a JSON number is
/// [`DecimalStringError::NotAString`]), like `Validators::DecimalAmountService#valid_decimal?`.
/// Surrounding whitespace is ignored, as Ruby's `BigDecimal()` does.
pub fn parse_decimal_string(value: &Value) -> Result<Decimal, DecimalStringError> {
    let Value::String(raw) = value else {
        return Err(DecimalStringError::NotAString);
    };
    parse_decimal_str(raw).ok_or_else(|| DecimalStringError::Invalid(raw.clone()))
}

/// Like [`parse_decimal_string`] but also refuses negatives: Lago's `valid_amount?`
/// (zero or positive). Used for every price, rate and free amount.
pub fn parse_amount(value: &Value) -> Result<Decimal, DecimalStringError> {
    let d = parse_decimal_string(value)?;
    if d.is_sign_negative() && !d.is_zero() {
        let Value::String(raw) = value else {
            unreachable!("parse_decimal_string accepted a non-string");
        };
        return Err(DecimalStringError::Negative(raw.clone()));
    }
    Ok(d)
}

/// Parses a decimal from text: plain (`"12.50"`, `".5"`) or scientific (`"1e3"`).
/// `None` for anything else, including `NaN`/`Infinity` and values beyond `Decimal`.
pub(crate) fn parse_decimal_str(raw: &str) -> Option<Decimal> {
    let s = raw.trim();
    if s.is_empty() || s.contains('_') {
        return None;
    }
    if let Ok(d) = Decimal::from_str(s) {
        return Some(d.normalize());
    }
    if s.contains(['e', 'E']) {
        return Decimal::from_scientific(s).ok().map(|d| d.normalize());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn currencies_have_iso_exponents() {
        assert_eq!(cur("CAD").exponent(), 2);
        assert_eq!(cur("USD").exponent(), 2);
        assert_eq!(cur("EUR").exponent(), 2);
        assert_eq!(cur("JPY").exponent(), 0);
        assert_eq!(cur("KWD").exponent(), 3);
        assert_eq!(cur("CAD"), Currency::CAD);
        assert_eq!(cur("JPY").subunit_to_unit(), 1);
        assert_eq!(cur("KWD").subunit_to_unit(), 1000);
    }

    #[test]
    fn unknown_or_lowercase_codes_are_rejected() {
        for code in ["", "cad", "XXX", "DOLLAR", "CA"] {
            assert_eq!(
                Currency::parse(code),
                Err(MoneyError::UnknownCurrency(code.to_owned()))
            );
        }
        assert!(serde_json::from_value::<Currency>(json!("ZZZ")).is_err());
        assert_eq!(
            serde_json::from_value::<Currency>(json!("CAD")).unwrap(),
            Currency::CAD
        );
        assert_eq!(serde_json::to_value(Currency::CAD).unwrap(), json!("CAD"));
    }

    #[test]
    fn table_is_sorted_without_duplicates() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn cents_round_half_away_from_zero() {
        let cad = Currency::CAD;
        let cases = [
            (dec!(12.34), 1234),
            (dec!(0.125), 13),
            (dec!(0.124999), 12),
            (dec!(-0.125), -13),
            (dec!(0.005), 1),
            (dec!(0.0049), 0),
            (dec!(0), 0),
        ];
        for (amount, cents) in cases {
            assert_eq!(Money::new(amount, cad).to_cents(), Ok(cents), "{amount}");
        }
        assert_eq!(Money::new(dec!(2.5), cur("JPY")).to_cents(), Ok(3));
        assert_eq!(Money::new(dec!(1.0005), cur("KWD")).to_cents(), Ok(1001));
        assert_eq!(
            Money::new(Decimal::MAX, cad).to_cents(),
            Err(MoneyError::OutOfRange)
        );
    }

    #[test]
    fn cents_round_trip() {
        for cents in [0_i64, 1, 99, 100, 123_456, -42] {
            assert_eq!(
                Money::from_cents(cents, Currency::CAD).to_cents(),
                Ok(cents)
            );
        }
        assert_eq!(Money::from_cents(1234, Currency::CAD).amount, dec!(12.34));
        assert_eq!(Money::from_cents(500, cur("JPY")).amount, dec!(500));
    }

    /// The one conversion, by exponent: CAD 2, JPY 0, BHD/KWD 3; half away from zero.
    #[test]
    fn minor_units_follow_the_currency_exponent() {
        let (cad, jpy, bhd, kwd) = (Currency::CAD, cur("JPY"), cur("BHD"), cur("KWD"));
        let cases = [
            (cad, dec!(12.345), 1235),
            (cad, dec!(-12.345), -1235),
            (cad, dec!(12.344), 1234),
            (cad, dec!(12.34), 1234),
            (jpy, dec!(1234.5), 1235),
            (jpy, dec!(-1234.5), -1235),
            (jpy, dec!(1234.49), 1234),
            (jpy, dec!(1234), 1234),
            (bhd, dec!(1.2345), 1235),
            (bhd, dec!(-1.2345), -1235),
            (bhd, dec!(1.2344), 1234),
            (kwd, dec!(0.0005), 1),
        ];
        for (c, amount, minor) in cases {
            assert_eq!(c.to_minor(amount), Ok(minor), "{amount} {c}");
        }
        // Back: exact, by the same exponent.
        assert_eq!(cad.from_minor(1235), dec!(12.35));
        assert_eq!(jpy.from_minor(1235), dec!(1235));
        assert_eq!(bhd.from_minor(1235), dec!(1.235));
        assert_eq!(bhd.from_minor(-1), dec!(-0.001));
        for c in [cad, jpy, bhd] {
            for minor in [0_i64, 1, -1, 999, 1_000, 123_456_789, i64::MAX, i64::MIN] {
                assert_eq!(c.to_minor(c.from_minor(minor)), Ok(minor), "{minor} {c}");
            }
        }
        // Unrounded minor units for Lago's `precise_*_cents`.
        assert_eq!(cad.to_precise_minor(dec!(12.3456)), Ok(dec!(1234.56)));
        assert_eq!(
            cad.to_precise_minor(dec!(12.30)).unwrap().to_string(),
            "1230"
        );
        assert_eq!(jpy.to_precise_minor(dec!(2.5)), Ok(dec!(2.5)));
        assert_eq!(bhd.to_precise_minor(dec!(1.2345)), Ok(dec!(1234.5)));
    }

    #[test]
    fn minor_units_overflow_is_an_error_never_saturated() {
        let over = Overflow("amount in minor units");
        // Beyond Decimal while scaling.
        assert_eq!(Currency::CAD.to_minor(Decimal::MAX), Err(over));
        assert_eq!(cur("BHD").to_minor(Decimal::MIN), Err(over));
        // Within Decimal, beyond i64.
        let big = Decimal::from(i64::MAX) + Decimal::ONE;
        assert_eq!(cur("JPY").to_minor(big), Err(over));
        assert_eq!(cur("JPY").to_minor(-big - Decimal::ONE), Err(over));
        assert_eq!(
            Currency::CAD.to_minor(Decimal::from(i64::MAX / 10)),
            Err(over)
        );
        assert!(Currency::CAD.to_precise_minor(Decimal::MAX).is_err());
    }

    #[test]
    fn odoo_codes_fall_back_to_the_home_currency() {
        assert_eq!(Currency::parse_or_home(Some("JPY")), cur("JPY"));
        assert_eq!(Currency::parse_or_home(Some("XXX")), Currency::CAD);
        assert_eq!(Currency::parse_or_home(None), Currency::CAD);
    }

    #[test]
    fn adding_requires_one_currency() {
        let a = Money::new(dec!(1.10), Currency::CAD);
        assert_eq!(a.checked_add(&a).unwrap().amount, dec!(2.20));
        let usd = Money::new(dec!(1), cur("USD"));
        assert!(matches!(
            a.checked_add(&usd),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }

    #[test]
    fn lago_decimal_strings_only() {
        assert_eq!(parse_decimal_string(&json!("0.05")), Ok(dec!(0.05)));
        assert_eq!(parse_decimal_string(&json!("-3")), Ok(dec!(-3)));
        assert_eq!(parse_decimal_string(&json!(" 1.5 ")), Ok(dec!(1.5)));
        assert_eq!(parse_decimal_string(&json!("1e3")), Ok(dec!(1000)));
        assert_eq!(parse_decimal_string(&json!(".5")), Ok(dec!(0.5)));
        for bad in [
            json!(0.05),
            json!(1),
            json!(null),
            json!(true),
            json!(["1"]),
        ] {
            assert_eq!(
                parse_decimal_string(&bad),
                Err(DecimalStringError::NotAString)
            );
        }
        for bad in ["", "abc", "1.2.3", "NaN", "Infinity", "1_000", "5abc"] {
            assert!(
                matches!(
                    parse_decimal_string(&json!(bad)),
                    Err(DecimalStringError::Invalid(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn amounts_are_non_negative() {
        assert_eq!(parse_amount(&json!("0")), Ok(dec!(0)));
        assert_eq!(parse_amount(&json!("-0")), Ok(dec!(0)));
        assert_eq!(parse_amount(&json!("10")), Ok(dec!(10)));
        assert!(matches!(
            parse_amount(&json!("-0.01")),
            Err(DecimalStringError::Negative(_))
        ));
    }
}
