//! `--test-connection`: reachability, the schema check (every mapped table and column
//! exists and is readable) and row counts, all in one read-only transaction. Imports nothing.

use serde::Serialize;
use sqlx::Row;

use super::source::{quote_ident, Source, SourceError};
use crate::configuration::ImportColumns;

/// One mapped table and what the check found.
#[derive(Debug, Clone, Serialize)]
pub struct TableCheck {
    /// Table name as mapped.
    pub table: String,
    /// Mapped columns that do not exist (or the role cannot see).
    pub missing_columns: Vec<String>,
    /// False when the table itself is missing or not visible.
    pub exists: bool,
    /// `SELECT count(*)`, when the table exists.
    pub rows: Option<i64>,
    /// The role may also INSERT/UPDATE/DELETE here (it should not).
    pub writable: bool,
}

/// The result of `--test-connection`.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionReport {
    /// `SELECT version()`.
    pub server_version: String,
    /// The role connected as.
    pub role: String,
    /// One entry per mapped table.
    pub tables: Vec<TableCheck>,
}

impl ConnectionReport {
    /// True when every table and column is there.
    pub fn is_ok(&self) -> bool {
        self.tables
            .iter()
            .all(|t| t.exists && t.missing_columns.is_empty())
    }
}

/// A mapped table: (setting name, table, [(setting name, column)]).
pub type MappedTable = (&'static str, String, Vec<(&'static str, String)>);

/// The mapped tables with their mapped columns.
pub fn mapped_tables(c: &ImportColumns) -> Vec<MappedTable> {
    vec![
        (
            "users_table",
            c.users_table.clone(),
            vec![
                ("user_id", c.user_id.clone()),
                ("user_email", c.user_email.clone()),
                ("user_name", c.user_name.clone()),
                ("user_company", c.user_company.clone()),
                ("user_country", c.user_country.clone()),
                ("user_deleted_at", c.user_deleted_at.clone()),
            ],
        ),
        (
            "plans_table",
            c.plans_table.clone(),
            vec![
                ("plan_id", c.plan_id.clone()),
                ("plan_code", c.plan_code.clone()),
                ("plan_price_cents", c.plan_price_cents.clone()),
            ],
        ),
        (
            "subscriptions_table",
            c.subscriptions_table.clone(),
            vec![
                ("subscription_id", c.subscription_id.clone()),
                ("subscription_user_id", c.subscription_user_id.clone()),
                ("subscription_plan_id", c.subscription_plan_id.clone()),
                ("subscription_status", c.subscription_status.clone()),
                ("subscription_currency", c.subscription_currency.clone()),
                ("subscription_started_at", c.subscription_started_at.clone()),
                ("subscription_period_end", c.subscription_period_end.clone()),
            ],
        ),
        (
            "deployments_table",
            c.deployments_table.clone(),
            vec![
                ("deployment_id", c.deployment_id.clone()),
                ("deployment_user_id", c.deployment_user_id.clone()),
                ("deployment_deleted_at", c.deployment_deleted_at.clone()),
            ],
        ),
    ]
}

/// Runs the check.
///
/// # Errors
/// Database errors other than a missing table (which the report names).
pub async fn test_connection(source: &Source) -> Result<ConnectionReport, SourceError> {
    let mut tx = source.read_only().await?;
    let server_version: String = sqlx::query_scalar("SELECT version()")
        .fetch_one(&mut *tx)
        .await?;
    let role: String = sqlx::query_scalar("SELECT CAST(current_user AS TEXT)")
        .fetch_one(&mut *tx)
        .await?;
    let mut tables = Vec::new();
    for (setting, table, cols) in mapped_tables(source.columns()) {
        let quoted = quote_ident(setting, &table)?;
        for (s, c) in &cols {
            quote_ident(s, c)?;
        }
        let (schema, name) = match table.split_once('.') {
            Some((s, n)) => (Some(s.to_string()), n.to_string()),
            None => (None, table.clone()),
        };
        let present: Vec<String> = sqlx::query(
            "SELECT CAST(column_name AS TEXT) AS c FROM information_schema.columns \
             WHERE table_name = $1 AND (CAST($2 AS TEXT) IS NULL AND table_schema = ANY(current_schemas(false)) \
             OR table_schema = $2)",
        )
        .bind(&name)
        .bind(&schema)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("c"))
        .collect::<Result<_, _>>()?;
        let exists = !present.is_empty();
        let missing_columns: Vec<String> = if exists {
            cols.iter()
                .filter(|(_, c)| !present.iter().any(|p| p == c))
                .map(|(_, c)| c.clone())
                .collect()
        } else {
            cols.iter().map(|(_, c)| c.clone()).collect()
        };
        let (rows, writable) = if exists {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {quoted}"))
                .fetch_one(&mut *tx)
                .await?;
            let w: bool = sqlx::query_scalar(
                "SELECT has_table_privilege(CAST($1 AS TEXT), 'INSERT') \
                 OR has_table_privilege(CAST($1 AS TEXT), 'UPDATE') \
                 OR has_table_privilege(CAST($1 AS TEXT), 'DELETE')",
            )
            .bind(&table)
            .fetch_one(&mut *tx)
            .await?;
            (Some(n), w)
        } else {
            (None, false)
        };
        tables.push(TableCheck {
            table,
            missing_columns,
            exists,
            rows,
            writable,
        });
    }
    tx.rollback().await?;
    Ok(ConnectionReport {
        server_version,
        role,
        tables,
    })
}
