//! Request bodies of `POST /invoices` (one-off invoice) and `PUT /invoices/{id}` parsed into
//! the domain's commands ([`OneOffInvoice`], [`InvoiceUpdate`]); `api:app/controllers/api/v1/
//! invoices_controller.rb` (`create_params`, `update_params`).

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::error_code::{ErrorCode, FieldCode};
use super::fields::{non_negative_int, text};
use crate::bridge::error::BridgeError;
use crate::bridge::invoices::{
    InvoiceUpdate, MetadataEntry, OneOffFee, OneOffInvoice, PaymentStatusUpdate,
};

/// Parses the `invoice` object of `POST /invoices`:
/// `{"external_customer_id","currency","fees":[{"add_on_code","unit_amount_cents","units",
/// "description","invoice_display_name"}]}`.
///
/// # Errors
/// The first problem found, in this order: 404 `customer_not_found` (no
/// `external_customer_id`), 404 `fees_not_found` (no fees), then per fee 404
/// `add_on_not_found` (not an object, or no code), 422 `unit_amount_cents`
/// `value_is_invalid` / `value_is_mandatory`, 422 `units` `value_is_invalid` (not a positive
/// decimal) or `value_is_out_of_range` (the line exceeds [`crate::limits::MAX_AMOUNT_CENTS`]).
pub fn one_off_invoice(input: &Map<String, Value>) -> Result<OneOffInvoice, BridgeError> {
    let external_customer_id = text(input, "external_customer_id")
        .ok_or(BridgeError::NotFound(ErrorCode::CustomerNotFound))?;
    let fees = match input.get("fees") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        _ => return Err(BridgeError::NotFound(ErrorCode::FeesNotFound)),
    };
    Ok(OneOffInvoice {
        external_customer_id,
        currency: text(input, "currency"),
        fees: fees.iter().map(one_off_fee).collect::<Result<_, _>>()?,
    })
}

fn one_off_fee(f: &Value) -> Result<OneOffFee, BridgeError> {
    let Value::Object(f) = f else {
        return Err(BridgeError::NotFound(ErrorCode::AddOnNotFound));
    };
    let add_on_code =
        text(f, "add_on_code").ok_or(BridgeError::NotFound(ErrorCode::AddOnNotFound))?;
    let unit_amount_cents = non_negative_int(f, "unit_amount_cents")
        .map_err(|()| BridgeError::field("unit_amount_cents", FieldCode::ValueIsInvalid))?
        .ok_or_else(|| BridgeError::field("unit_amount_cents", FieldCode::ValueIsMandatory))?;
    let units = units(f)?;
    // The line (and so the invoice, taxes included) must fit the one bound on cents
    // (`crate::limits`) before anything is written to Odoo.
    let line_cents = Decimal::from(unit_amount_cents)
        .checked_mul(units)
        .filter(|c| c.abs() <= Decimal::from(crate::limits::MAX_AMOUNT_CENTS));
    if line_cents.is_none() {
        return Err(BridgeError::field("units", FieldCode::ValueIsOutOfRange));
    }
    let invoice_display_name = text(f, "invoice_display_name");
    let label = text(f, "description")
        .or_else(|| invoice_display_name.clone())
        .unwrap_or_else(|| add_on_code.clone());
    Ok(OneOffFee {
        add_on_code,
        unit_amount_cents,
        units,
        label,
        invoice_display_name,
    })
}

/// `units`: a positive decimal (number or text), 1 when absent or null.
fn units(f: &Map<String, Value>) -> Result<Decimal, BridgeError> {
    let invalid = || BridgeError::field("units", FieldCode::ValueIsInvalid);
    let units = match f.get("units") {
        None | Some(Value::Null) => Decimal::ONE,
        Some(Value::Number(n)) => n.to_string().parse::<Decimal>().map_err(|_| invalid())?,
        Some(Value::String(s)) => s.trim().parse::<Decimal>().map_err(|_| invalid())?,
        _ => return Err(invalid()),
    };
    if units <= Decimal::ZERO {
        return Err(invalid());
    }
    Ok(units)
}

/// Parses the `invoice` object of `PUT /invoices/{id}`: `{"payment_status","metadata":
/// [{"id?","key","value"}]}`. A `metadata` that is not an array, and entries that are not
/// objects, are ignored (as today).
///
/// # Errors
/// 422 `payment_status` `value_is_invalid` (not `succeeded`, `failed` or `pending`).
pub fn invoice_update(input: &Map<String, Value>) -> Result<InvoiceUpdate, BridgeError> {
    let payment_status = match text(input, "payment_status").as_deref() {
        None => None,
        Some("succeeded") => Some(PaymentStatusUpdate::Succeeded),
        Some("failed") => Some(PaymentStatusUpdate::Failed),
        Some("pending") => Some(PaymentStatusUpdate::Pending),
        Some(_) => {
            return Err(BridgeError::field(
                "payment_status",
                FieldCode::ValueIsInvalid,
            ))
        }
    };
    let metadata = match input.get("metadata") {
        Some(Value::Array(entries)) => Some(
            entries
                .iter()
                .filter_map(Value::as_object)
                .map(|e| MetadataEntry {
                    id: text(e, "id"),
                    key: text(e, "key").unwrap_or_default(),
                    value: e.get("value").cloned().unwrap_or(Value::Null),
                })
                .collect(),
        ),
        _ => None,
    };
    Ok(InvoiceUpdate {
        payment_status,
        metadata,
    })
}
