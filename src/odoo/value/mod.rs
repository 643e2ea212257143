//! Decoding of Odoo's wire values into Rust types, and encoding of the few values we send.
//!
//! Odoo's `read`/`search_read` conventions (CONTRACT.md §3.3; `odoo/orm/fields*.py`
//! `convert_to_read`): empty char/text/selection/date/datetime/many2one values are `false`
//! (never `null` or `""`), many2one is `[id, "display name"]`, x2many is a list of ids, date is
//! `"YYYY-MM-DD"`, datetime is `"YYYY-MM-DD HH:MM:SS"` in UTC, float/monetary are JSON numbers.
//! Everything here maps `false` (and `null`) to `None`; any other unexpected shape is an
//! [`OdooError::Decode`].
//!
//! By job: typed ids and [`Many2one`] here, `decode` (wire → Rust), `encode` (Rust → wire,
//! x2many [`Command`]s), `record` ([`Record`], typed getters naming the field in errors).

mod decode;
mod encode;
mod record;

pub use decode::*;
pub use encode::*;
pub use record::Record;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::OdooError;

macro_rules! typed_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for Value {
            fn from(id: $name) -> Value {
                Value::from(id.0)
            }
        }
    )*};
}

typed_id!(
    /// Id of a `res.partner` (customer/contact).
    PartnerId,
    /// Id of a `product.product` (the variant that goes on order and invoice lines).
    ProductId,
    /// Id of a `product.template`.
    ProductTemplateId,
    /// Id of a `sale.subscription.plan` (recurring plan, enterprise `sale_subscription`).
    PlanId,
    /// Id of a `sale.order` (a subscription when `is_subscription`).
    SaleOrderId,
    /// Id of a `sale.order.line`.
    SaleOrderLineId,
    /// Id of an `account.move` (invoice, credit note, entry).
    MoveId,
    /// Id of an `account.move.line`.
    MoveLineId,
    /// Id of an `account.tax`.
    TaxId,
    /// Id of a `res.currency`.
    CurrencyId,
    /// Id of a `res.country`.
    CountryId,
    /// Id of a `res.country.state` (a province).
    StateId,
    /// Id of a `res.company`.
    CompanyId,
    /// Id of an `account.journal`.
    JournalId,
    /// Id of an `account.payment`.
    PaymentId,
    /// Id of a `res.users`.
    UserId,
    /// Id of a `sale.order.close.reason`.
    CloseReasonId,
);

/// A many2one value as read: `[id, "display name"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Many2one {
    /// Id of the related record.
    pub id: i64,
    /// Its `display_name` at read time (in the request language; empty when read with `load=None`).
    pub name: String,
}

fn decode_err(what: &str, v: &Value) -> OdooError {
    let mut shown = v.to_string();
    if shown.len() > 120 {
        shown.truncate(120);
        shown.push('…');
    }
    OdooError::Decode(format!("expected {what}, got {shown}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;
    use serde_json::json;

    #[test]
    fn false_is_none_everywhere() {
        let f = Value::Bool(false);
        assert_eq!(odoo_str(&f).unwrap(), None);
        assert_eq!(odoo_m2o(&f).unwrap(), None);
        assert_eq!(odoo_date(&f).unwrap(), None);
        assert_eq!(odoo_datetime(&f).unwrap(), None);
        assert_eq!(odoo_decimal(&f).unwrap(), None);
        assert!(odoo_ids(&f).unwrap().is_empty());
    }

    #[test]
    fn many2one_pairs() {
        let m = odoo_m2o(&json!([21, "Belgium"])).unwrap().unwrap();
        assert_eq!((m.id, m.name.as_str()), (21, "Belgium"));
        assert_eq!(odoo_m2o(&json!(7)).unwrap().unwrap().id, 7);
        assert!(odoo_m2o(&json!("x")).is_err());
        assert!(odoo_m2o(&json!([1, 2, 3])).is_err());
    }

    #[test]
    fn floats_become_exact_decimals() {
        assert_eq!(odoo_decimal(&json!(0.1)).unwrap(), Some(dec!(0.1)));
        assert_eq!(odoo_decimal(&json!(113.0)).unwrap(), Some(dec!(113)));
        assert_eq!(odoo_decimal(&json!(14.975)).unwrap(), Some(dec!(14.975)));
        assert_eq!(
            odoo_decimal(&json!(0.30000000000000004)).unwrap(),
            Some(dec!(0.30000000000000004))
        );
        assert_eq!(odoo_decimal(&json!(12)).unwrap(), Some(dec!(12)));
        assert!(odoo_decimal(&json!("abc")).is_err());
    }

    #[test]
    fn dates_and_datetimes_are_utc() {
        let d = odoo_date(&json!("2025-06-01")).unwrap().unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(2025, 6, 1).unwrap());
        let t = odoo_datetime(&json!("2025-06-01 14:03:22"))
            .unwrap()
            .unwrap();
        assert_eq!(t.to_rfc3339(), "2025-06-01T14:03:22+00:00");
        assert!(odoo_date(&json!("01/06/2025")).is_err());
        assert_eq!(to_odoo_datetime(t), json!("2025-06-01 14:03:22"));
        assert_eq!(to_odoo_date(d), json!("2025-06-01"));
    }

    #[test]
    fn create_results() {
        assert_eq!(created_ids(&json!(5)).unwrap(), vec![5]);
        assert_eq!(created_ids(&json!([5, 6])).unwrap(), vec![5, 6]);
        assert!(created_ids(&json!({"id": 5})).is_err());
    }

    #[test]
    fn action_ids() {
        assert_eq!(
            action_record_ids(&json!({"type": "ir.actions.act_window", "res_id": 9})).unwrap(),
            vec![9]
        );
        assert_eq!(
            action_record_ids(&json!({"domain": [["id", "in", [3, 4]]]})).unwrap(),
            vec![3, 4]
        );
        assert!(action_record_ids(&json!(true)).unwrap().is_empty());
    }

    #[test]
    fn record_errors_name_the_field() {
        let r = Record::new("res.partner", json!({"id": 1, "name": 5})).unwrap();
        let e = r.str("name").unwrap_err().to_string();
        assert!(e.contains("res.partner.name"), "{e}");
        assert!(r.str("email").unwrap_err().to_string().contains("missing"));
    }

    #[test]
    fn commands_are_triples() {
        assert_eq!(Command::Set(vec![1, 2]).to_value(), json!([6, 0, [1, 2]]));
        assert_eq!(Command::Delete(3).to_value(), json!([2, 3, 0]));
    }
}
