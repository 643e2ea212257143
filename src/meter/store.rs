//! [`Store`]: one handle over the two supported backends.
//!
//! SQLite (`sqlite://PATH`) is the embedded default: WAL journal, `synchronous` from
//! settings, file created on first start. PostgreSQL (`postgres://…`) holds the same schema
//! for several replicas. Both get their migrations from `migrations/{sqlite,postgres}`.
//! Queries are written once with `$N` placeholders, which both backends accept, and run
//! through [`dispatch!`](crate::dispatch) which expands the same body for each pool type.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::configuration::{SqliteSynchronous as SyncSetting, StoreSettings};

/// Errors of the store. The message never contains credentials.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a statement, or could not be reached.
    #[error("store error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be decoded (corrupt row).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// A writer transaction failed to commit; nothing of its jobs was stored.
    #[error("commit failed: {0}")]
    CommitFailed(String),
    /// The ingest writer is gone (process shutting down).
    #[error("ingest writer stopped")]
    WriterStopped,
    /// Stored usage aggregates beyond `Decimal`'s range (see [`crate::billing::checked`]).
    #[error(transparent)]
    Overflow(#[from] crate::billing::Overflow),
}

/// A connection pool to the configured backend. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Store {
    /// Embedded SQLite in WAL mode.
    Sqlite(SqlitePool),
    /// PostgreSQL, for several gateway replicas.
    Postgres(PgPool),
}

/// Runs the same body against whichever pool the store holds; the body is type-checked
/// once per backend.
#[macro_export]
macro_rules! dispatch {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::meter::Store::Sqlite($pool) => $body,
            $crate::meter::Store::Postgres($pool) => $body,
        }
    };
}

impl Store {
    /// Connects to `settings.url`, creating the SQLite file (and its directory) if needed.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the URL is unusable or the server unreachable.
    pub async fn connect(settings: &StoreSettings) -> Result<Self, StoreError> {
        let url = settings.url.as_str();
        if url.starts_with("sqlite:") {
            let sync = match settings.sqlite_synchronous {
                SyncSetting::Full => SqliteSynchronous::Full,
                SyncSetting::Normal => SqliteSynchronous::Normal,
            };
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(sync)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory");
            if let Some(dir) = std::path::Path::new(opts.get_filename()).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Store::Sqlite(pool))
        } else {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Store::Postgres(pool))
        }
    }

    /// Applies pending migrations of this backend.
    ///
    /// # Errors
    /// [`StoreError::Migrate`].
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Store::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// `SELECT 1`: true when the store answers (`GET /ready`).
    pub async fn ping(&self) -> bool {
        dispatch!(self, |p| sqlx::query("SELECT 1").execute(p).await.is_ok())
    }

    /// Short backend name for logs and metrics: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection (on shutdown, after the writer has drained).
    pub async fn close(&self) {
        dispatch!(self, |p| p.close().await)
    }
}

/// Starting a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock
/// is taken (waiting up to the busy timeout) before the first read, so a transaction that
/// reads then writes cannot fail with "database is locked" when it upgrades. On PostgreSQL
/// it is a plain `BEGIN`.
pub trait BeginWrite {
    /// The database.
    type Db: sqlx::Database;
    /// Begins the write transaction.
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send {
        self.begin()
    }
}

impl Store {
    /// Runs `work` as the only holder, across gateway replicas, of the PostgreSQL session
    /// advisory lock `key` (`pg_try_advisory_lock`, released afterwards); `Ok(None)` without
    /// running it when another session holds the lock. On SQLite (one process) it just runs.
    /// Background loops use it so that each cycle runs on one replica.
    ///
    /// # Errors
    /// Store errors taking the lock.
    pub async fn exclusively<T, Fut>(
        &self,
        key: i64,
        work: impl FnOnce() -> Fut,
    ) -> Result<Option<T>, StoreError>
    where
        Fut: std::future::Future<Output = T>,
    {
        let Store::Postgres(pool) = self else {
            return Ok(Some(work().await));
        };
        let mut conn = pool.acquire().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await?;
        if !got {
            return Ok(None);
        }
        let out = work().await;
        if let Err(e) = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut *conn)
            .await
        {
            tracing::warn!(error = %e, "cannot release an advisory lock (released with the connection)");
        }
        Ok(Some(out))
    }
}
