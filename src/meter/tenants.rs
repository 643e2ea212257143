//! Services (one app each: the tenant boundary) and their API keys.
//!
//! A key is shown once, at creation; only its SHA-256 (hex) is stored. Rotation issues a
//! new key and lets the previous ones work until `now + grace`; revocation ends them at
//! once.

use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};

use super::store::{Store, StoreError};
use super::time::now_micros;
use crate::dispatch;
use crate::meter::store::BeginWrite;

/// A service as the API layer sees it once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    /// Store id (tenant key on every row).
    pub id: i64,
    /// Unique name given to `service add`.
    pub name: String,
}

/// A service with its key summary, for `service list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServiceSummary {
    pub id: i64,
    pub name: String,
    /// Creation time, Unix microseconds UTC.
    pub created_at: i64,
    /// Keys that authenticate now.
    pub active_keys: i64,
}

/// Credentials printed once by `service add` / `rotate-key`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedCredentials {
    /// The bearer API key (`fb_…`); never stored in clear.
    pub api_key: String,
    /// The secret that signs this service's webhooks (`whsec_…`).
    pub webhook_secret: String,
}

/// Errors of service administration.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("a service named {0:?} already exists")]
    AlreadyExists(String),
    #[error("no service named {0:?}")]
    NotFound(String),
    #[error("service name must be 1-64 characters of letters, digits, '-', '_' or '.'")]
    InvalidName,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Store(StoreError::Database(e))
    }
}

/// Hex SHA-256 of an API key: the only form in which keys are stored.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

const INSERT_KEY: &str =
    "INSERT INTO api_keys (id, service_id, key_hash, key_prefix, created_at) VALUES ($1, $2, $3, $4, $5)";

/// What is stored of a new key: an id, its SHA-256 and its first 8 characters.
struct KeyRow {
    id: String,
    hash: String,
    prefix: String,
}

impl KeyRow {
    fn for_key(api_key: &str) -> Self {
        KeyRow {
            id: uuid::Uuid::new_v4().to_string(),
            hash: hash_key(api_key),
            prefix: api_key.chars().take(8).collect(),
        }
    }
}

fn new_api_key() -> String {
    format!(
        "fb_{}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 40)
    )
}

fn new_webhook_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl ServiceRepo<'_> {
    /// Creates a service with a first API key and a webhook secret.
    ///
    /// # Errors
    /// [`ServiceError::InvalidName`], [`ServiceError::AlreadyExists`], store errors.
    pub async fn add_service(&self, name: &str) -> Result<IssuedCredentials, ServiceError> {
        if !valid_name(name) {
            return Err(ServiceError::InvalidName);
        }
        let creds = IssuedCredentials {
            api_key: new_api_key(),
            webhook_secret: new_webhook_secret(),
        };
        let now = now_micros();
        let key = KeyRow::for_key(&creds.api_key);
        dispatch!(self.0, |p| {
            // The first statement writes, so SQLite takes its write lock at once (a read
            // first would have to upgrade and could fail with "database is locked"); the
            // unique name is the existence check.
            let mut tx = p.begin_write().await?;
            let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO services (name, webhook_secret, created_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(name)
            .bind(&creds.webhook_secret)
            .bind(now)
            .fetch_one(&mut *tx)
            .await;
            let (id,) = match inserted {
                Err(e)
                    if e.as_database_error()
                        .is_some_and(|d| d.is_unique_violation()) =>
                {
                    return Err(ServiceError::AlreadyExists(name.to_string()));
                }
                other => other?,
            };
            sqlx::query(INSERT_KEY)
                .bind(&key.id)
                .bind(id)
                .bind(&key.hash)
                .bind(&key.prefix)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(creds)
    }

    /// All services with their count of working keys, by name.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list_services(&self) -> Result<Vec<ServiceSummary>, ServiceError> {
        let now = now_micros();
        let rows: Vec<(i64, String, i64, i64)> = dispatch!(self.0, |p| {
            sqlx::query_as(
                "SELECT s.id, s.name, s.created_at, \
                 (SELECT COUNT(*) FROM api_keys k WHERE k.service_id = s.id AND k.revoked_at IS NULL \
                  AND (k.expires_at IS NULL OR k.expires_at > $1)) \
                 FROM services s ORDER BY s.name",
            )
            .bind(now)
            .fetch_all(p)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, name, created_at, active_keys)| ServiceSummary {
                id,
                name,
                created_at,
                active_keys,
            })
            .collect())
    }

    /// Issues a new key for `name`; keys issued before keep working for `grace_secs`.
    /// Returns the new key (the webhook secret is unchanged and returned too).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], store errors.
    pub async fn rotate_key(
        &self,
        name: &str,
        grace_secs: i64,
    ) -> Result<IssuedCredentials, ServiceError> {
        let api_key = new_api_key();
        let now = now_micros();
        let grace_end = now + grace_secs.max(0) * 1_000_000;
        let key = KeyRow::for_key(&api_key);
        let webhook_secret = dispatch!(self.0, |p| {
            let mut tx = p.begin_write().await?;
            let row: Option<(i64, String)> =
                sqlx::query_as("SELECT id, webhook_secret FROM services WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((id, secret)) = row else {
                return Err(ServiceError::NotFound(name.to_string()));
            };
            sqlx::query(
                "UPDATE api_keys SET expires_at = $1 WHERE service_id = $2 AND revoked_at IS NULL \
                 AND (expires_at IS NULL OR expires_at > $1)",
            )
            .bind(grace_end)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(INSERT_KEY)
                .bind(&key.id)
                .bind(id)
                .bind(&key.hash)
                .bind(&key.prefix)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            secret
        });
        Ok(IssuedCredentials {
            api_key,
            webhook_secret,
        })
    }

    /// Revokes keys of `name` at once: the one starting with `key_prefix`, or all of them.
    /// Returns how many keys were revoked.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], store errors.
    pub async fn revoke_keys(
        &self,
        name: &str,
        key_prefix: Option<&str>,
    ) -> Result<u64, ServiceError> {
        let now = now_micros();
        dispatch!(self.0, |p| {
            let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM services WHERE name = $1")
                .bind(name)
                .fetch_optional(p)
                .await?;
            let Some((id,)) = row else {
                return Err(ServiceError::NotFound(name.to_string()));
            };
            let done = sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 WHERE service_id = $2 AND revoked_at IS NULL \
                 AND ($3 IS NULL OR key_prefix = $3 OR $3 LIKE key_prefix || '%')",
            )
            .bind(now)
            .bind(id)
            .bind(key_prefix)
            .execute(p)
            .await?;
            Ok(done.rows_affected())
        })
    }

    /// The service a bearer key belongs to, if the key is known, unrevoked and unexpired.
    ///
    /// # Errors
    /// Store errors (an unknown key is `Ok(None)`).
    pub async fn service_for_key(&self, key: &str) -> Result<Option<ServiceRef>, StoreError> {
        self.service_for_key_hash(&hash_key(key)).await
    }

    /// As [`ServiceRepo::service_for_key`], from the key's [`hash_key`] (callers that already
    /// hashed it, such as the auth cache, do not hash twice).
    ///
    /// # Errors
    /// Store errors.
    pub async fn service_for_key_hash(&self, hash: &str) -> Result<Option<ServiceRef>, StoreError> {
        let now = now_micros();
        let row: Option<(i64, String)> = dispatch!(self.0, |p| {
            sqlx::query_as(
                "SELECT s.id, s.name FROM api_keys k JOIN services s ON s.id = k.service_id \
                 WHERE k.key_hash = $1 AND k.revoked_at IS NULL \
                 AND (k.expires_at IS NULL OR k.expires_at > $2)",
            )
            .bind(hash)
            .bind(now)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(|(id, name)| ServiceRef { id, name }))
    }

    /// The service with this id.
    ///
    /// # Errors
    /// Store errors.
    pub async fn service_by_id(&self, id: i64) -> Result<Option<ServiceRef>, StoreError> {
        let row: Option<(i64, String)> = dispatch!(self.0, |p| {
            sqlx::query_as("SELECT id, name FROM services WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|(id, name)| ServiceRef { id, name }))
    }

    /// The webhook signing secret of a service.
    ///
    /// # Errors
    /// Store errors; `Ok(None)` if the service does not exist.
    pub async fn webhook_secret(&self, service_id: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = dispatch!(self.0, |p| {
            sqlx::query_as("SELECT webhook_secret FROM services WHERE id = $1")
                .bind(service_id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|r| r.0))
    }
}

/// Repository of services (tenants: one per app) and their API keys: a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct ServiceRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of services.
    pub fn services(&self) -> ServiceRepo<'_> {
        ServiceRepo(self)
    }
}
