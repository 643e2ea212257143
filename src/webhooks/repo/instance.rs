//! Instance-wide rows: the RSA key pair of JWT signatures, and a service's id by name (the
//! replay CLI).

use crate::dispatch;
use crate::meter::time::now_micros;
use crate::meter::{Store, StoreError};
use crate::webhooks::signing::{KeyError, KeyPairPem};

impl WebhookKeyRepo<'_> {
    /// The instance RSA key pair for JWT signatures, generated and stored on first use
    /// (concurrent first uses converge on one stored pair).
    ///
    /// # Errors
    /// Store errors, or [`StoreError::Corrupt`] when generation fails.
    pub async fn webhook_key_pair(&self) -> Result<KeyPairPem, StoreError> {
        if let Some(k) = self.stored_key_pair().await? {
            return Ok(k);
        }
        let generated = tokio::task::spawn_blocking(KeyPairPem::generate)
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .map_err(|e: KeyError| StoreError::Corrupt(e.to_string()))?;
        dispatch!(self.0, |p| sqlx::query(
            "INSERT INTO webhook_signing_keys (id, private_key_pem, public_key_pem, created_at) \
             VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING"
        )
        .bind(&generated.private_pem)
        .bind(&generated.public_pem)
        .bind(now_micros())
        .execute(p)
        .await
        .map(|_| ())?);
        self.stored_key_pair()
            .await?
            .ok_or_else(|| StoreError::Corrupt("webhook signing key missing after insert".into()))
    }

    async fn stored_key_pair(&self) -> Result<Option<KeyPairPem>, StoreError> {
        let row: Option<(String, String)> = dispatch!(self.0, |p| sqlx::query_as(
            "SELECT private_key_pem, public_key_pem FROM webhook_signing_keys WHERE id = 1"
        )
        .fetch_optional(p)
        .await?);
        Ok(row.map(|(private_pem, public_pem)| KeyPairPem {
            private_pem,
            public_pem,
        }))
    }

    /// The id of the service named `name`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn service_id_by_name(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = dispatch!(self.0, |p| sqlx::query_as(
            "SELECT id FROM services WHERE name = $1"
        )
        .bind(name)
        .fetch_optional(p)
        .await?);
        Ok(row.map(|r| r.0))
    }
}

/// Repository of the gateway's webhook signing key pair and service lookups for the CLI: a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct WebhookKeyRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of the gateway's webhook signing key pair and service lookups for the CLI.
    pub fn webhook_keys(&self) -> WebhookKeyRepo<'_> {
        WebhookKeyRepo(self)
    }
}
