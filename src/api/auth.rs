//! [`AuthenticatedService`]: the actix extractor that turns `Authorization: Bearer <key>`
//! into the calling service (app). A handler that takes it cannot forget authentication.
//!
//! As Lago (`api:app/controllers/api/base_controller.rb#auth_token`), the scheme word is
//! ignored and the second space-separated token is the key. A missing, unknown, revoked or
//! expired key answers `401 {"status":401,"error":"Unauthorized"}`. Verified keys are
//! cached for `auth.cache_ttl_secs` (by their SHA-256, never in clear); unknown keys are
//! never cached, so a key made by `service add` works at once on a running gateway.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::{web, FromRequest, HttpRequest};

use super::error::ApiError;
use super::state::AppState;
use crate::lago::error_code::ErrorCode;
use crate::meter::tenants::{hash_key, ServiceRef};
use crate::meter::Store;

/// The app whose key authenticated the request: the tenant for everything it touches.
#[derive(Debug, Clone)]
pub struct AuthenticatedService(pub ServiceRef);

impl AuthenticatedService {
    /// Store id of the service (the tenant key).
    pub fn id(&self) -> i64 {
        self.0.id
    }
}

/// Verified keys by hash, with a time-to-live.
#[derive(Clone)]
pub struct KeyCache {
    cache: moka::sync::Cache<String, ServiceRef>,
}

impl KeyCache {
    /// A cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        KeyCache {
            cache: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// Resolves a key through the cache, then the store.
    ///
    /// # Errors
    /// [`ApiError::Unauthorized`] for unknown keys; 503 when the store is unreachable.
    pub async fn resolve(&self, store: &Store, key: &str) -> Result<ServiceRef, ApiError> {
        let hash = hash_key(key);
        if let Some(s) = self.cache.get(&hash) {
            return Ok(s);
        }
        match store.services().service_for_key_hash(&hash).await {
            Ok(Some(s)) => {
                self.cache.insert(hash, s.clone());
                Ok(s)
            }
            Ok(None) => Err(ApiError::Unauthorized),
            Err(e) => {
                tracing::error!(error = %e, "key lookup failed");
                Err(ApiError::Unavailable {
                    code: ErrorCode::StoreUnavailable,
                    retry_after_secs: 1,
                })
            }
        }
    }
}

/// The bearer token of a request: the second space-separated word of `Authorization`.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let token = value.split(' ').nth(1)?.trim();
    (!token.is_empty()).then_some(token)
}

impl FromRequest for AuthenticatedService {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = bearer_token(req).map(str::to_owned);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token.ok_or(ApiError::Unauthorized)?;
            let state = state.ok_or_else(|| ApiError::internal_msg("app state missing"))?;
            let service = state.keys.resolve(&state.store, &token).await?;
            Ok(AuthenticatedService(service))
        })
    }
}
