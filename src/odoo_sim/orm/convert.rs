//! A value given to `create`/`write` → what the table stores (per field type), and defaults.

use crate::odoo_sim::clock::{parse_date, SimClock};
use crate::odoo_sim::error::{OResult, OdooError};
use crate::odoo_sim::schema::FieldDef;
use crate::odoo_sim::value::{dec, dec_val, truthy};
use serde_json::{json, Value};

pub(super) fn normalize_default(f: &FieldDef, d: &Value) -> Value {
    match f.ftype.as_str() {
        "float" | "monetary" => dec_val(dec(d)),
        _ if matches!(d, Value::Bool(false)) && f.ftype != "boolean" => Value::Null,
        _ => d.clone(),
    }
}

/// Decimals of the "Product Unit" precision (`decimal.precision`, 2 in a default Odoo 19).
const PRODUCT_UNIT_DIGITS: u32 = 2;

/// Quantities Odoo stores at the "Product Unit" precision, rounded half-up: real Odoo 19
/// reads `qty_delivered` 2.555 back as 2.56 (DIVERGENCES.md).
fn is_product_unit(model: &str, field: &str) -> bool {
    matches!(
        (model, field),
        (
            "sale.order.line",
            "product_uom_qty" | "qty_delivered" | "qty_invoiced" | "qty_to_invoice"
        ) | ("account.move.line", "quantity")
    )
}

/// Converts an incoming scalar to its stored form, validating selections and dates.
pub fn convert(model: &str, f: &FieldDef, raw: &Value, _clock: &SimClock) -> OResult<Value> {
    let falsy = matches!(raw, Value::Null | Value::Bool(false));
    Ok(match f.ftype.as_str() {
        "many2one" => match raw {
            Value::Number(n) if n.as_i64().is_some() => Value::Number(n.clone()),
            _ if falsy => Value::Null,
            other => {
                return Err(OdooError::type_error(format!(
                    "unsupported value {} for many2one field {model}.{}",
                    crate::odoo_sim::value::pyrepr(other),
                    f.name
                )))
            }
        },
        "selection" => {
            if falsy {
                Value::Null
            } else {
                let ok = match (&f.selection, raw.as_str()) {
                    (Some(keys), Some(s)) => keys.iter().any(|k| k == s),
                    (None, Some(_)) => true,
                    _ => false,
                };
                if !ok {
                    return Err(OdooError::value(format!(
                        "Wrong value for {model}.{}: {}",
                        f.name,
                        crate::odoo_sim::value::pyrepr(raw)
                    )));
                }
                raw.clone()
            }
        }
        "float" if is_product_unit(model, &f.name) => dec_val(crate::odoo_sim::money::round(
            dec(raw),
            rust_decimal::Decimal::new(1, PRODUCT_UNIT_DIGITS),
        )),
        "float" | "monetary" => dec_val(dec(raw)),
        "integer" => json!(if falsy {
            0
        } else {
            dec(raw).trunc().to_string().parse::<i64>().unwrap_or(0)
        }),
        "boolean" => json!(truthy(raw)),
        "date" => match raw.as_str() {
            _ if falsy => Value::Null,
            Some(s) if parse_date(s).is_some() => json!(s[..10].to_string()),
            _ => {
                return Err(OdooError::value(format!(
                    "time data {} does not match format '%Y-%m-%d'",
                    crate::odoo_sim::value::pyrepr(raw)
                )))
            }
        },
        "datetime" => match raw.as_str() {
            _ if falsy => Value::Null,
            Some(s) if s.len() == 10 && parse_date(s).is_some() => json!(format!("{s} 00:00:00")),
            Some(s) if chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok() => {
                raw.clone()
            }
            _ => {
                return Err(OdooError::value(format!(
                    "time data {} does not match format '%Y-%m-%d %H:%M:%S'",
                    crate::odoo_sim::value::pyrepr(raw)
                )))
            }
        },
        "char" | "text" | "html" => match raw {
            _ if falsy => Value::Null,
            Value::String(_) => raw.clone(),
            other => json!(other.to_string()),
        },
        _ if falsy => Value::Null,
        _ => raw.clone(),
    })
}
