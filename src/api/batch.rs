//! Shared steps of the batch ingest routes (`POST /events/batch`, `POST /usage`): per-index
//! validation and the answer for a job the writer refused with a conflict, both in Lago's
//! index-keyed `error_details` (`{"3":{"timestamp":["invalid_format"]}}`).

use serde_json::{json, Value};

use super::error::{ApiError, FieldErrors};
use super::state::AppState;
use crate::lago::error_code::FieldCode;
use crate::meter::events::ItemOutcome;
use crate::meter::writer::JobResult;

/// Validates every item with `validate`; all-or-nothing.
///
/// # Errors
/// 422 with the errors of each invalid item under its index (all items count as rejected).
pub fn validate_all<T>(
    state: &AppState,
    items: &[Value],
    validate: impl Fn(&Value) -> Result<T, FieldErrors>,
) -> Result<Vec<T>, ApiError> {
    let mut valid = Vec::with_capacity(items.len());
    let mut errors = FieldErrors::new();
    for (i, item) in items.iter().enumerate() {
        match validate(item) {
            Ok(v) => valid.push(v),
            Err(errs) => {
                errors.insert(i.to_string(), Value::Object(errs));
            }
        }
    }
    if errors.is_empty() {
        Ok(valid)
    } else {
        state.metrics.ingest.rejected(items.len() as u64);
        Err(ApiError::Validation(errors))
    }
}

/// The stored rows of a committed job, or — when the job conflicted and stored nothing —
/// 422 with `{"<index>":{"<key_field>":["value_already_exist"]}}` for each conflicting item.
///
/// # Errors
/// The 422 above.
pub fn rows_or_conflicts<T>(result: JobResult<T>, key_field: &str) -> Result<Vec<T>, ApiError> {
    if result.conflict {
        let mut errors = FieldErrors::new();
        for (i, o) in result.outcomes.iter().enumerate() {
            if matches!(o, ItemOutcome::Conflict) {
                errors.insert(
                    i.to_string(),
                    json!({ key_field: [FieldCode::ValueAlreadyExist] }),
                );
            }
        }
        return Err(ApiError::Validation(errors));
    }
    Ok(result
        .outcomes
        .into_iter()
        .filter_map(ItemOutcome::into_row)
        .collect())
}
