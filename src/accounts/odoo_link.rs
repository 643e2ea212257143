//! [`OdooLink`]: the gateway's one shared Odoo connection, opened on first use (Odoo may be
//! down when the gateway starts) and reopened after a failure to connect, plus the manual
//! `x_fc_plan_code` fields the accounts flows write (created over RPC through
//! `ir.model.fields` when absent; `odoo/addons/base/models/ir_model.py`).

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{json, Map};
use tokio::sync::Mutex;

use super::error::AccountsError;
use crate::configuration::OdooSettings;
use crate::odoo::{OdooClient, SearchOptions};

/// Name of the manual field holding the Lago `plan_code` on `product.template` and
/// `sale.order` (new fields on native models carry the `x_fc_` prefix).
pub const PLAN_CODE_FIELD: &str = "x_fc_plan_code";

/// Models that get [`PLAN_CODE_FIELD`].
const PLAN_CODE_MODELS: &[&str] = &["product.template", "sale.order"];

/// Lazily connected Odoo client shared by every request.
pub struct OdooLink {
    settings: OdooSettings,
    client: Mutex<Option<OdooClient>>,
    /// [`PLAN_CODE_FIELD`] is known to exist on every model of [`PLAN_CODE_MODELS`]; reset
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
    /// [`AccountsError::OdooUnavailable`] when no Odoo is configured, it cannot be reached or
    /// the credentials are refused (all of which an app can only wait out).
    pub async fn client(&self) -> Result<OdooClient, AccountsError> {
        if !self.settings.is_configured() {
            return Err(AccountsError::OdooUnavailable(
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
            AccountsError::from(e)
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
    /// Administration/Settings rights) is [`AccountsError::OdooRefused`].
    pub async fn client_with_fields(&self) -> Result<OdooClient, AccountsError> {
        let c = self.client().await?;
        if self.fields_ok.load(Ordering::Acquire) {
            return Ok(c);
        }
        let _one = self.fields_lock.lock().await;
        if !self.fields_ok.load(Ordering::Acquire) {
            for model in PLAN_CODE_MODELS {
                ensure_char_field(&c, model, PLAN_CODE_FIELD, "Plan code (fusion-billing)").await?;
            }
            self.fields_ok.store(true, Ordering::Release);
        }
        Ok(c)
    }

    /// Looks at a failed flow's error: when Odoo said the gateway's field is missing (Odoo
    /// restored from an older backup, or recreated empty, while the gateway ran), forgets the
    /// cached schema so the next call checks and creates the field again, and turns the error
    /// into a retryable 503 ([`AccountsError::OdooUnavailable`]). Other errors pass unchanged.
    pub async fn recheck_after(&self, e: AccountsError) -> AccountsError {
        let AccountsError::OdooRefused(msg) = &e else {
            return e;
        };
        if !msg.contains(PLAN_CODE_FIELD) {
            return e;
        }
        tracing::warn!(error = %msg, field = PLAN_CODE_FIELD, "Odoo no longer has the gateway's field; it is checked again");
        self.fields_ok.store(false, Ordering::Release);
        if let Some(c) = self.client.lock().await.as_ref() {
            for model in PLAN_CODE_MODELS {
                c.forget_fields(model);
            }
        }
        AccountsError::OdooUnavailable(format!("Odoo schema changed, retry: {msg}"))
    }
}

/// Creates the manual char field `name` on `model` unless it exists.
async fn ensure_char_field(
    c: &OdooClient,
    model: &str,
    name: &str,
    label: &str,
) -> Result<(), AccountsError> {
    if c.has_field(model, name).await? {
        return Ok(());
    }
    let ids = c
        .search(
            "ir.model",
            json!([["model", "=", model]]),
            &SearchOptions::default(),
        )
        .await?;
    let Some(model_id) = ids.first() else {
        return Err(AccountsError::OdooRefused(format!(
            "model {model} is not installed in Odoo"
        )));
    };
    let mut vals = Map::new();
    vals.insert("name".into(), json!(name));
    vals.insert("model_id".into(), json!(model_id));
    vals.insert("ttype".into(), json!("char"));
    vals.insert("field_description".into(), json!(label));
    vals.insert("state".into(), json!("manual"));
    c.create_one("ir.model.fields", vals, Map::new()).await?;
    c.forget_fields(model);
    tracing::info!(model, field = name, "created manual field in Odoo");
    Ok(())
}

impl super::Accounts {
    /// The absolute customer-portal URL of a record (`get_portal_url` on `model`, e.g. a
    /// `sale.order`; `addons/portal/models/portal_mixin.py`), joined to the Odoo base URL.
    ///
    /// # Errors
    /// Odoo unavailable or refusing.
    pub async fn portal_url(&self, model: &str, id: i64) -> Result<String, AccountsError> {
        let c = self.odoo.client().await?;
        let v = c
            .call(crate::odoo::Call::new(model, "get_portal_url").ids([id]))
            .await?;
        let path = v.as_str().unwrap_or_default();
        Ok(c.base_url()
            .join(path)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| path.to_string()))
    }
}
