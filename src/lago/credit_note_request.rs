//! Request body of `POST /credit_notes` parsed into the domain's command ([`NewCreditNote`]);
//! `api:app/controllers/api/v1/credit_notes_controller.rb` (`create_params`),
//! `app/services/credit_notes/validate_service.rb`.

use serde_json::{Map, Value};

use super::error_code::{ErrorCode, FieldCode};
use super::fields::{non_negative_int, string};
use crate::bridge::credit_notes::{CreditNoteItem, NewCreditNote, REASONS};
use crate::bridge::error::BridgeError;

/// Parses the `credit_note` object: `{"invoice_id","reason","description","items":
/// [{"fee_id","amount_cents"}],"credit_amount_cents","refund_amount_cents"}`. Items of one
/// fee are added up (in the order of their first appearance).
///
/// # Errors
/// The first problem found, in this order: 404 `invoice_not_found` (no `invoice_id`); 422
/// `reason` `value_is_invalid` (not one of [`REASONS`]); 422 `items` `value_is_mandatory`;
/// per item 404 `fee_not_found` (not an object, or no `fee_id`), 422 `amount_cents`
/// `value_is_invalid` (not a positive integer) or `value_is_out_of_range` (the sum of a
/// fee's items overflows); 422 `credit_amount_cents` / `refund_amount_cents`
/// `value_is_invalid` (not a non-negative integer).
pub fn new_credit_note(input: &Map<String, Value>) -> Result<NewCreditNote, BridgeError> {
    let invoice_id =
        string(input, "invoice_id").ok_or(BridgeError::NotFound(ErrorCode::InvoiceNotFound))?;
    let reason = string(input, "reason").unwrap_or_default();
    if !REASONS.contains(&reason.as_str()) {
        return Err(BridgeError::field("reason", FieldCode::ValueIsInvalid));
    }
    let items = match input.get("items") {
        Some(Value::Array(a)) if !a.is_empty() => items(a)?,
        _ => return Err(BridgeError::field("items", FieldCode::ValueIsMandatory)),
    };
    let amount = |k: &str| {
        non_negative_int(input, k).map_err(|()| BridgeError::field(k, FieldCode::ValueIsInvalid))
    };
    Ok(NewCreditNote {
        invoice_id,
        reason,
        description: string(input, "description"),
        items,
        credit_amount_cents: amount("credit_amount_cents")?,
        refund_amount_cents: amount("refund_amount_cents")?,
    })
}

/// The items, one per fee (amounts of a fee added up).
fn items(items: &[Value]) -> Result<Vec<CreditNoteItem>, BridgeError> {
    let mut out: Vec<CreditNoteItem> = Vec::new();
    for it in items {
        let Value::Object(it) = it else {
            return Err(BridgeError::NotFound(ErrorCode::FeeNotFound));
        };
        let fee_id = string(it, "fee_id").ok_or(BridgeError::NotFound(ErrorCode::FeeNotFound))?;
        let invalid = || BridgeError::field("amount_cents", FieldCode::ValueIsInvalid);
        let amount = non_negative_int(it, "amount_cents")
            .map_err(|()| invalid())?
            .filter(|a| *a > 0)
            .ok_or_else(invalid)?;
        match out.iter_mut().find(|i| i.fee_id == fee_id) {
            Some(i) => {
                i.amount_cents = i.amount_cents.checked_add(amount).ok_or_else(|| {
                    BridgeError::field("amount_cents", FieldCode::ValueIsOutOfRange)
                })?
            }
            None => out.push(CreditNoteItem {
                fee_id,
                amount_cents: amount,
            }),
        }
    }
    Ok(out)
}
