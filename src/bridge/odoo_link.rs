//! [`OdooLink`]: the gateway's one shared Odoo connection, opened on first use (Odoo may be
//! down when the gateway starts) and reopened after a failure to connect, plus the check that
//! the gateway's plan-code field the bridge flows write exists (created when absent:
//! [`crate::odoo::custom_fields`]).

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Mutex;

use super::error::BridgeError;
use crate::configuration::OdooSettings;
use crate::odoo::custom_fields::{FieldsReady, PLAN_CODE_FIELD};
use crate::odoo::OdooClient;

/// Lazily connected Odoo client shared by every request.
pub struct OdooLink {
    settings: OdooSettings,
    client: Mutex<Option<OdooClient>>,
    /// [`PLAN_CODE_FIELD`] is known to exist on every model that carries it; reset
    /// by [`OdooLink::recheck_after`] when Odoo says otherwise.
    fields_ok: AtomicBool,
    /// Serializes the check-and-create of the fields.
    fields_lock: Mutex<()>,
}

impl OdooLink {
    /// A link that connects with `settings` on first use.
    pub fn new(settings: OdooSettings) -> OdooLink {
        OdooLink {
            settings,
            client: Mutex::new(None),
            fields_ok: AtomicBool::new(false),
            fields_lock: Mutex::new(()),
        }
    }

    /// The connected client, connecting (and authenticating) if needed.
    ///
    /// # Errors
    /// [`BridgeError::OdooUnavailable`] when no Odoo is configured, it cannot be reached or
    /// the credentials are refused (all of which an app can only wait out).
    pub async fn client(&self) -> Result<OdooClient, BridgeError> {
        if !self.settings.is_configured() {
            return Err(BridgeError::OdooUnavailable(
                "no Odoo configured (set odoo.url, odoo.database, odoo.login, odoo.password)"
                    .into(),
            ));
        }
        let mut guard = self.client.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let c = OdooClient::connect(&self.settings).await.map_err(|e| {
            tracing::warn!(error = %e, "cannot connect to Odoo");
            BridgeError::from(e)
        })?;
        *guard = Some(c.clone());
        Ok(c)
    }

    /// The client, with [`PLAN_CODE_FIELD`] present on `product.template` and `sale.order`
    /// (checked, and created when missing, on first use and again after
    /// [`OdooLink::recheck_after`] saw Odoo lose it).
    ///
    /// # Errors
    /// As [`OdooLink::client`]; Odoo's refusal to create the field (user without
    /// Administration/Settings rights) is [`BridgeError::OdooRefused`].
    pub async fn client_with_fields(&self) -> Result<OdooClient, BridgeError> {
        let c = self.client().await?;
        if self.fields_ok.load(Ordering::Acquire) {
            return Ok(c);
        }
        let _one = self.fields_lock.lock().await;
        if !self.fields_ok.load(Ordering::Acquire) {
            if let FieldsReady::ModelMissing(model) = c.ensure_plan_code_fields().await? {
                return Err(BridgeError::OdooRefused(format!(
                    "model {model} is not installed in Odoo"
                )));
            }
            self.fields_ok.store(true, Ordering::Release);
        }
        Ok(c)
    }

    /// Looks at a failed flow's error: when Odoo said the gateway's field is missing (Odoo
    /// restored from an older backup, or recreated empty, while the gateway ran), forgets the
    /// cached schema so the next call checks and creates the field again, and turns the error
    /// into a retryable 503 ([`BridgeError::OdooUnavailable`]). Other errors pass unchanged.
    pub async fn recheck_after(&self, e: BridgeError) -> BridgeError {
        let BridgeError::OdooRefused(msg) = &e else {
            return e;
        };
        if !msg.contains(PLAN_CODE_FIELD) {
            return e;
        }
        tracing::warn!(error = %msg, field = PLAN_CODE_FIELD, "Odoo no longer has the gateway's field; it is checked again");
        self.fields_ok.store(false, Ordering::Release);
        if let Some(c) = self.client.lock().await.as_ref() {
            c.forget_plan_code_fields();
        }
        BridgeError::OdooUnavailable(format!("Odoo schema changed, retry: {msg}"))
    }
}

impl super::Bridge {
    /// The absolute customer-portal URL of a subscription's sale order (`get_portal_url`;
    /// `addons/portal/models/portal_mixin.py`), joined to the Odoo base URL.
    ///
    /// # Errors
    /// Odoo unavailable or refusing.
    pub async fn subscription_portal_url(
        &self,
        order: crate::odoo::SaleOrderId,
    ) -> Result<String, BridgeError> {
        let c = self.odoo.client().await?;
        Ok(c.subscriptions().portal_url(order).await?)
    }
}
