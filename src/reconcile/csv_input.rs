//! Reported amounts from a CSV file (the CLI's `--csv`).

use super::{Reported, ReportedFields, SentAmount};

/// Reads reported amounts from CSV with a header `external_customer_id,
/// external_subscription_id, period, amount_cents, currency` (`period` may be empty: then
/// `default_period`). Each line is checked as [`ReportedFields::check`] does.
///
/// # Errors
/// A message naming the line and the fields (`line 3: {"amount_cents":["value_is_invalid"]}`).
pub fn read_csv(data: &[u8], default_period: &str) -> Result<Vec<Reported>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data);
    let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", i + 2))?;
        let get = |name: &str| {
            headers
                .iter()
                .zip(rec.iter())
                .find(|(h, v)| *h == name && !v.is_empty())
                .map(|(_, v)| v.to_string())
        };
        let fields = ReportedFields {
            external_customer_id: get("external_customer_id"),
            external_subscription_id: get("external_subscription_id"),
            period: get("period").or_else(|| Some(default_period.to_string())),
            amount_cents: match get("amount_cents") {
                None => SentAmount::Missing,
                Some(a) => a.parse().map_or(SentAmount::Invalid, SentAmount::Cents),
            },
            currency: get("currency"),
        };
        let reported = fields
            .check()
            .map_err(|e| format!("line {}: {}", i + 2, super::errors_json(&e)))?;
        out.push(reported);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_default_their_period_and_are_validated() {
        let rows = read_csv(
            b"external_customer_id,external_subscription_id,period,amount_cents,currency\n\
              c1,s1,,1000,cad\nc2,,2026-10,250,CAD\n",
            "2026-11",
        )
        .unwrap();
        assert_eq!(rows[0].period, "2026-11");
        assert_eq!(rows[0].currency, "CAD");
        assert_eq!(rows[1].external_subscription_id, None);
        let e = read_csv(
            b"external_customer_id,period,amount_cents,currency\nc1,2026-11,ten,CAD\n",
            "2026-11",
        )
        .unwrap_err();
        assert!(e.starts_with("line 2") && e.contains("amount_cents"), "{e}");
    }
}
