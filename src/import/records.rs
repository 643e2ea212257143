//! `import_records` (migration 0006): which NexaCloud record became which gateway record,
//! with a fingerprint of what was imported, so a rerun knows what is unchanged.

use crate::dispatch;
use crate::meter::{Store, StoreError};

/// The source system name stored in `import_records.source`.
pub const SOURCE: &str = "nexacloud";

/// One stored link.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ImportRecord {
    /// `customer`, `subscription` or `deployment`.
    pub entity: String,
    /// Primary key in NexaCloud.
    pub source_id: String,
    /// The gateway record (customer or subscription `lago_id`).
    pub lago_id: String,
    /// What was imported, as text.
    pub fingerprint: String,
}

/// The stored link of one source record; `None` when absent (or the table is missing, as in
/// a dry run against a store not yet migrated).
pub async fn get(
    store: &Store,
    service_id: i64,
    entity: &str,
    source_id: &str,
) -> Option<ImportRecord> {
    dispatch!(store, |p| sqlx::query_as(
        "SELECT entity, source_id, lago_id, fingerprint FROM import_records \
         WHERE service_id = $1 AND source = $2 AND entity = $3 AND source_id = $4"
    )
    .bind(service_id)
    .bind(SOURCE)
    .bind(entity)
    .bind(source_id)
    .fetch_optional(p)
    .await
    .ok()
    .flatten())
}

/// Inserts or replaces a link.
///
/// # Errors
/// Store errors.
pub async fn put(
    store: &Store,
    service_id: i64,
    rec: &ImportRecord,
    now: i64,
) -> Result<(), StoreError> {
    dispatch!(store, |p| {
        sqlx::query(
        "INSERT INTO import_records (service_id, source, entity, source_id, lago_id, fingerprint, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (service_id, source, entity, source_id) DO UPDATE SET \
         lago_id = excluded.lago_id, fingerprint = excluded.fingerprint, imported_at = excluded.imported_at"
    )
    .bind(service_id)
    .bind(SOURCE)
    .bind(&rec.entity)
    .bind(&rec.source_id)
    .bind(&rec.lago_id)
    .bind(&rec.fingerprint)
    .bind(now)
    .execute(p)
    .await
    .map(|_| ())?
    });
    Ok(())
}
