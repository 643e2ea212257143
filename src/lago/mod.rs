//! Lago's wire vocabulary: the names and codes a Lago client reads, each defined once.
//!
//! - [`error_code`]: every `code` of an error body and every `error_details` code.

pub mod error_code;
