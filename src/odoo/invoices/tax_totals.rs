//! A move's tax totals (`tax_totals`, both the 19.0 and the ≤17 shapes).

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::{Invoices, TaxGroupTotal, TaxTotals, MOVE};
use crate::odoo::error::OdooError;
use crate::odoo::value::{odoo_decimal, MoveId};

impl Invoices<'_> {
    /// Totals and tax groups, from the computed `tax_totals` (19.0 keys `base_amount_currency`,
    /// `tax_amount_currency`, `total_amount_currency`, `subtotals[].tax_groups[]`; ≤17 keys
    /// `amount_untaxed`, `amount_total`, `groups_by_subtotal` are accepted too). Falls back to the
    /// header amounts when `tax_totals` is empty.
    ///
    /// # Errors
    /// Any [`OdooError`]; [`OdooError::MissingError`]-like `None` is reported as `Decode`.
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "read"))]
    pub async fn tax_totals(&self, id: MoveId) -> Result<TaxTotals, OdooError> {
        let recs = self
            .client
            .orm()
            .read(
                MOVE,
                &[id.0],
                &["amount_untaxed", "amount_tax", "amount_total", "tax_totals"],
            )
            .await?;
        let r = recs
            .first()
            .ok_or_else(|| OdooError::Decode(format!("{MOVE} {id} not returned by read")))?;
        let mut totals = TaxTotals {
            untaxed: r.decimal("amount_untaxed")?,
            tax: r.decimal("amount_tax")?,
            total: r.decimal("amount_total")?,
            groups: Vec::new(),
        };
        if r.has("tax_totals") {
            totals.groups = parse_tax_groups(&r.raw_value("tax_totals"))?;
        }
        Ok(totals)
    }
}

fn num(o: &Map<String, Value>, keys: &[&str]) -> Result<Option<Decimal>, OdooError> {
    for k in keys {
        if let Some(v) = o.get(*k) {
            return odoo_decimal(v);
        }
    }
    Ok(None)
}

/// Tax groups from a `tax_totals` value (19.0 and ≤17 shapes); `false`/unknown shapes → none.
fn parse_tax_groups(v: &Value) -> Result<Vec<TaxGroupTotal>, OdooError> {
    let Value::Object(o) = v else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    // 18.0+ (`account_tax.py` `_get_tax_totals_summary`): subtotals[].tax_groups[].
    if let Some(Value::Array(subtotals)) = o.get("subtotals") {
        for st in subtotals {
            if let Some(Value::Array(groups)) = st.get("tax_groups") {
                for g in groups {
                    if let Value::Object(g) = g {
                        out.push(TaxGroupTotal {
                            name: g
                                .get("group_name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            base: num(g, &["base_amount_currency", "base_amount"])?
                                .unwrap_or_default(),
                            amount: num(g, &["tax_amount_currency", "tax_amount"])?
                                .unwrap_or_default(),
                        });
                    }
                }
            }
        }
        return Ok(out);
    }
    // ≤17: groups_by_subtotal: {subtotal name: [{tax_group_name, tax_group_amount, tax_group_base_amount}]}.
    if let Some(Value::Object(by_sub)) = o.get("groups_by_subtotal") {
        for groups in by_sub.values() {
            if let Value::Array(groups) = groups {
                for g in groups {
                    if let Value::Object(g) = g {
                        out.push(TaxGroupTotal {
                            name: g
                                .get("tax_group_name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            base: num(g, &["tax_group_base_amount"])?.unwrap_or_default(),
                            amount: num(g, &["tax_group_amount"])?.unwrap_or_default(),
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    #[test]
    fn tax_groups_19_shape() {
        let v = json!({"base_amount_currency": 100.0, "tax_amount_currency": 13.0, "total_amount_currency": 113.0,
            "subtotals": [{"name": "Untaxed Amount", "tax_groups": [
                {"id": 3, "group_name": "HST 13%", "base_amount_currency": 100.0, "tax_amount_currency": 13.0}]}]});
        let g = parse_tax_groups(&v).unwrap();
        assert_eq!(
            g,
            vec![TaxGroupTotal {
                name: "HST 13%".into(),
                base: dec!(100),
                amount: dec!(13)
            }]
        );
        assert!(parse_tax_groups(&json!(false)).unwrap().is_empty());
    }
}
