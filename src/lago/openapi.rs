//! Lago's own description of the operations the gateway implements: the subset of
//! `shared/lago/openapi.yaml` written by `tools/openapi_subset.py`, compiled in. The API serves
//! it (with the gateway's additions, [`crate::api::openapi`]) and the input bounds read the
//! field types from it ([`crate::limits`]).

/// The subset as JSON text (`fixtures/openapi/lago-subset.json`).
pub const LAGO_SUBSET: &str = include_str!("../../fixtures/openapi/lago-subset.json");
