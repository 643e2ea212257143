//! The NexaCloud database, read only: DSN normalisation, a connection whose every read runs
//! in one `REPEATABLE READ, READ ONLY` transaction (a consistent snapshot that cannot write),
//! and the four tables as plain rows, through the column mapping of `[import.columns]`.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Row, Transaction};
use std::str::FromStr;
use std::time::Duration;

use crate::configuration::ImportColumns;

/// Why the source cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// `import.nexacloud_dsn` is empty or not a PostgreSQL URL.
    #[error("import.nexacloud_dsn: {0}")]
    Dsn(String),
    /// A mapped table or column name is not a plain SQL identifier.
    #[error("import.columns.{0}: {1:?} is not an SQL identifier")]
    Identifier(&'static str, String),
    /// The database refused or could not be reached.
    #[error("NexaCloud database: {0}")]
    Database(#[from] sqlx::Error),
}

/// A DSN ready for libpq/sqlx and the notice to print when it was rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn {
    /// `postgresql://…` or `postgres://…`.
    pub url: String,
    /// Set when a SQLAlchemy `+driver` suffix was dropped.
    pub notice: Option<String>,
}

/// Accepts `postgres://`, `postgresql://` and SQLAlchemy's `postgresql+DRIVER://` (the
/// driver suffix is dropped, with a notice).
///
/// # Errors
/// [`SourceError::Dsn`] for an empty value or another scheme.
pub fn normalise_dsn(raw: &str) -> Result<Dsn, SourceError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(SourceError::Dsn(
            "not set (FUSION__IMPORT__NEXACLOUD_DSN=postgresql://ROLE@HOST/nexacloud)".into(),
        ));
    }
    let Some((scheme, rest)) = raw.split_once("://") else {
        return Err(SourceError::Dsn("not a URL (postgresql://…)".into()));
    };
    let (base, driver) = match scheme.split_once('+') {
        Some((b, d)) => (b, Some(d)),
        None => (scheme, None),
    };
    if !matches!(base, "postgres" | "postgresql") {
        return Err(SourceError::Dsn(format!(
            "scheme {scheme:?} is not postgresql://"
        )));
    }
    Ok(Dsn {
        url: format!("{base}://{rest}"),
        notice: driver.map(|d| {
            format!("notice: import.nexacloud_dsn is a SQLAlchemy URL: dropped the +{d} driver suffix ({base}://…)")
        }),
    })
}

/// Checks an identifier (or `schema.table`) and returns it double-quoted.
///
/// # Errors
/// [`SourceError::Identifier`] naming the setting.
pub fn quote_ident(setting: &'static str, name: &str) -> Result<String, SourceError> {
    let ok = |p: &str| {
        let mut c = p.chars();
        c.next()
            .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
            && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    };
    let parts: Vec<&str> = name.split('.').collect();
    if parts.is_empty() || parts.len() > 2 || !parts.iter().all(|p| ok(p)) {
        return Err(SourceError::Identifier(setting, name.to_string()));
    }
    Ok(parts
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join("."))
}

/// A legacy user.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyUser {
    /// Primary key as text.
    pub id: String,
    /// Email as stored (may differ in case from another user's).
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Company name.
    pub company: Option<String>,
    /// Country code as stored.
    pub country: Option<String>,
    /// Soft-deleted.
    pub deleted: bool,
}

/// A legacy plan.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyPlan {
    /// Primary key as text.
    pub id: String,
    /// Legacy plan code.
    pub code: String,
    /// Price, cents.
    pub price_cents: Option<i64>,
}

/// A legacy subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacySubscription {
    /// Primary key as text.
    pub id: String,
    /// Owner (user primary key as text).
    pub user_id: String,
    /// Plan primary key as text.
    pub plan_id: String,
    /// Status, lower-cased.
    pub status: String,
    /// ISO currency, upper-cased.
    pub currency: Option<String>,
    /// Start, Unix microseconds UTC.
    pub started_at: Option<i64>,
    /// Next billing date (end of the last billed period), Unix microseconds UTC.
    pub period_end: Option<i64>,
}

/// A legacy deployment (a hosted site).
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyDeployment {
    /// Primary key as text.
    pub id: String,
    /// Owner (user primary key as text).
    pub user_id: String,
    /// Soft-deleted.
    pub deleted: bool,
}

/// Everything the importer reads, from one snapshot.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Users, by id.
    pub users: Vec<LegacyUser>,
    /// Plans.
    pub plans: Vec<LegacyPlan>,
    /// Subscriptions, by id.
    pub subscriptions: Vec<LegacySubscription>,
    /// Deployments, by id.
    pub deployments: Vec<LegacyDeployment>,
}

/// A read-only connection to the NexaCloud database.
pub struct Source {
    pool: PgPool,
    columns: ImportColumns,
}

impl Source {
    /// Connects (one connection, 10 s timeout).
    ///
    /// # Errors
    /// DSN errors; [`SourceError::Database`] when the server cannot be reached or refuses.
    pub async fn connect(dsn: &Dsn, columns: ImportColumns) -> Result<Source, SourceError> {
        let opts = PgConnectOptions::from_str(&dsn.url)?.application_name("fusion-billing-import");
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Source { pool, columns })
    }

    /// The column mapping in use.
    pub fn columns(&self) -> &ImportColumns {
        &self.columns
    }

    /// Opens a `REPEATABLE READ, READ ONLY` transaction (rolled back when dropped).
    ///
    /// # Errors
    /// Database errors.
    pub async fn read_only(&self) -> Result<Transaction<'static, Postgres>, SourceError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Reads the four tables from one snapshot.
    ///
    /// # Errors
    /// Mapping and database errors (e.g. a column that does not exist).
    pub async fn snapshot(&self) -> Result<Snapshot, SourceError> {
        let mut tx = self.read_only().await?;
        let snap = Snapshot {
            users: self.users(&mut tx).await?,
            plans: self.plans(&mut tx).await?,
            subscriptions: self.subscriptions(&mut tx).await?,
            deployments: self.deployments(&mut tx).await?,
        };
        tx.rollback().await?;
        Ok(snap)
    }

    /// The users (`[import.columns] users_table`), by id.
    ///
    /// # Errors
    /// Mapping and database errors.
    async fn users(
        &self,
        tx: &mut Transaction<'static, Postgres>,
    ) -> Result<Vec<LegacyUser>, SourceError> {
        let c = &self.columns;
        let q = |s: &'static str, v: &str| quote_ident(s, v);
        let users_sql = format!(
            "SELECT CAST({id} AS TEXT) AS id, CAST({email} AS TEXT) AS email, \
             CAST({name} AS TEXT) AS name, CAST({company} AS TEXT) AS company, \
             CAST({country} AS TEXT) AS country, ({deleted} IS NOT NULL) AS deleted \
             FROM {t} ORDER BY {t}.{id}",
            id = q("user_id", &c.user_id)?,
            email = q("user_email", &c.user_email)?,
            name = q("user_name", &c.user_name)?,
            company = q("user_company", &c.user_company)?,
            country = q("user_country", &c.user_country)?,
            deleted = q("user_deleted_at", &c.user_deleted_at)?,
            t = q("users_table", &c.users_table)?,
        );
        let rows = sqlx::query(&users_sql)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| -> Result<LegacyUser, sqlx::Error> {
                Ok(LegacyUser {
                    id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                    company: r.try_get("company")?,
                    country: r.try_get("country")?,
                    deleted: r.try_get("deleted")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(rows)
    }

    /// The plans (`plans_table`), by id.
    ///
    /// # Errors
    /// Mapping and database errors.
    async fn plans(
        &self,
        tx: &mut Transaction<'static, Postgres>,
    ) -> Result<Vec<LegacyPlan>, SourceError> {
        let c = &self.columns;
        let q = |s: &'static str, v: &str| quote_ident(s, v);
        let plans_sql = format!(
            "SELECT CAST({id} AS TEXT) AS id, CAST({code} AS TEXT) AS code, \
             CAST({price} AS BIGINT) AS price FROM {t} ORDER BY {t}.{id}",
            id = q("plan_id", &c.plan_id)?,
            code = q("plan_code", &c.plan_code)?,
            price = q("plan_price_cents", &c.plan_price_cents)?,
            t = q("plans_table", &c.plans_table)?,
        );
        let rows = sqlx::query(&plans_sql)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| -> Result<LegacyPlan, sqlx::Error> {
                Ok(LegacyPlan {
                    id: r.try_get("id")?,
                    code: r.try_get("code")?,
                    price_cents: r.try_get("price")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(rows)
    }

    /// The subscriptions (`subscriptions_table`), by id; status lower-cased, currency upper-cased.
    ///
    /// # Errors
    /// Mapping and database errors.
    async fn subscriptions(
        &self,
        tx: &mut Transaction<'static, Postgres>,
    ) -> Result<Vec<LegacySubscription>, SourceError> {
        let c = &self.columns;
        let q = |s: &'static str, v: &str| quote_ident(s, v);
        let subs_sql = format!(
            "SELECT CAST({id} AS TEXT) AS id, CAST({user} AS TEXT) AS user_id, \
             CAST({plan} AS TEXT) AS plan_id, CAST({status} AS TEXT) AS status, \
             CAST({currency} AS TEXT) AS currency, \
             CAST(EXTRACT(EPOCH FROM CAST({start} AS TIMESTAMPTZ)) * 1000000 AS BIGINT) AS started_at, \
             CAST(EXTRACT(EPOCH FROM CAST({end} AS TIMESTAMPTZ)) * 1000000 AS BIGINT) AS period_end \
             FROM {t} ORDER BY {t}.{id}",
            id = q("subscription_id", &c.subscription_id)?,
            user = q("subscription_user_id", &c.subscription_user_id)?,
            plan = q("subscription_plan_id", &c.subscription_plan_id)?,
            status = q("subscription_status", &c.subscription_status)?,
            currency = q("subscription_currency", &c.subscription_currency)?,
            start = q("subscription_started_at", &c.subscription_started_at)?,
            end = q("subscription_period_end", &c.subscription_period_end)?,
            t = q("subscriptions_table", &c.subscriptions_table)?,
        );
        let rows = sqlx::query(&subs_sql)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| -> Result<LegacySubscription, sqlx::Error> {
                let status: Option<String> = r.try_get("status")?;
                let currency: Option<String> = r.try_get("currency")?;
                Ok(LegacySubscription {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    plan_id: r.try_get("plan_id")?,
                    status: status.unwrap_or_default().trim().to_lowercase(),
                    currency: currency
                        .map(|c| c.trim().to_uppercase())
                        .filter(|c| !c.is_empty()),
                    started_at: r.try_get("started_at")?,
                    period_end: r.try_get("period_end")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(rows)
    }

    /// The deployments (`deployments_table`), by id.
    ///
    /// # Errors
    /// Mapping and database errors.
    async fn deployments(
        &self,
        tx: &mut Transaction<'static, Postgres>,
    ) -> Result<Vec<LegacyDeployment>, SourceError> {
        let c = &self.columns;
        let q = |s: &'static str, v: &str| quote_ident(s, v);
        let deps_sql = format!(
            "SELECT CAST({id} AS TEXT) AS id, CAST({user} AS TEXT) AS user_id, \
             ({deleted} IS NOT NULL) AS deleted FROM {t} ORDER BY {t}.{id}",
            id = q("deployment_id", &c.deployment_id)?,
            user = q("deployment_user_id", &c.deployment_user_id)?,
            deleted = q("deployment_deleted_at", &c.deployment_deleted_at)?,
            t = q("deployments_table", &c.deployments_table)?,
        );
        let rows = sqlx::query(&deps_sql)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| -> Result<LegacyDeployment, sqlx::Error> {
                Ok(LegacyDeployment {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    deleted: r.try_get("deleted")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(rows)
    }

    /// Closes the connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlalchemy_urls_lose_their_driver_with_a_notice() {
        let d = normalise_dsn("postgresql+asyncpg://ro:pw@db:5432/nexacloud").unwrap();
        assert_eq!(d.url, "postgresql://ro:pw@db:5432/nexacloud");
        assert!(d.notice.unwrap().contains("+asyncpg"));
        let d = normalise_dsn("postgres://ro@db/nexacloud").unwrap();
        assert_eq!(
            (d.url.as_str(), d.notice),
            ("postgres://ro@db/nexacloud", None)
        );
        assert!(normalise_dsn("").is_err());
        assert!(normalise_dsn("mysql://x@y/z").is_err());
    }

    #[test]
    fn identifiers_are_checked_and_quoted() {
        assert_eq!(quote_ident("t", "users").unwrap(), "\"users\"");
        assert_eq!(
            quote_ident("t", "legacy.users").unwrap(),
            "\"legacy\".\"users\""
        );
        assert!(quote_ident("t", "users; DROP TABLE x").is_err());
        assert!(quote_ident("t", "a\"b").is_err());
        assert!(quote_ident("t", "").is_err());
    }
}
