//! The gateway's own Odoo fields: the manual char field [`PLAN_CODE_FIELD`] on
//! `product.template` and `sale.order`, created over RPC through `ir.model.fields` when absent
//! (`odoo/addons/base/models/ir_model.py`).

use serde_json::{json, Map};

use super::client::{OdooClient, SearchOptions};
use super::error::OdooError;

/// Name of the manual field holding the Lago `plan_code` on `product.template` and
/// `sale.order` (new fields on native models carry the `x_fc_` prefix). Odoo's errors about
/// it name it, which is how a caller tells that Odoo lost it.
pub const PLAN_CODE_FIELD: &str = "x_fc_plan_code";

/// Models that get [`PLAN_CODE_FIELD`].
const PLAN_CODE_MODELS: &[&str] = &["product.template", "sale.order"];

/// Label of [`PLAN_CODE_FIELD`] in Odoo's UI.
const PLAN_CODE_LABEL: &str = "Plan code (fusion-billing)";

/// Outcome of [`OdooClient::ensure_plan_code_fields`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldsReady {
    /// The field exists (or was just created) on every model.
    Ready,
    /// This model is not installed in Odoo (e.g. `sale_subscription` missing): the field
    /// cannot be created.
    ModelMissing(String),
}

impl OdooClient {
    /// Checks that [`PLAN_CODE_FIELD`] exists on `product.template` and `sale.order` (per the
    /// cached `fields_get`) and creates it where missing (`ir.model` `search`, then
    /// `ir.model.fields` `create` with `ttype = char`, `state = manual`).
    ///
    /// # Errors
    /// Odoo's errors; a user without Administration/Settings rights gets `AccessError`.
    pub async fn ensure_plan_code_fields(&self) -> Result<FieldsReady, OdooError> {
        for model in PLAN_CODE_MODELS {
            if let FieldsReady::ModelMissing(m) = self
                .ensure_char_field(model, PLAN_CODE_FIELD, PLAN_CODE_LABEL)
                .await?
            {
                return Ok(FieldsReady::ModelMissing(m));
            }
        }
        Ok(FieldsReady::Ready)
    }

    /// Forgets the cached field lists of the models that carry [`PLAN_CODE_FIELD`], so the
    /// next [`OdooClient::ensure_plan_code_fields`] asks Odoo again.
    pub fn forget_plan_code_fields(&self) {
        for model in PLAN_CODE_MODELS {
            self.orm().forget_fields(model);
        }
    }

    /// Creates the manual char field `name` on `model` unless it exists.
    async fn ensure_char_field(
        &self,
        model: &str,
        name: &str,
        label: &str,
    ) -> Result<FieldsReady, OdooError> {
        let orm = self.orm();
        if orm.has_field(model, name).await? {
            return Ok(FieldsReady::Ready);
        }
        let ids = orm
            .search(
                "ir.model",
                json!([["model", "=", model]]),
                &SearchOptions::default(),
            )
            .await?;
        let Some(model_id) = ids.first() else {
            return Ok(FieldsReady::ModelMissing(model.to_string()));
        };
        let mut vals = Map::new();
        vals.insert("name".into(), json!(name));
        vals.insert("model_id".into(), json!(model_id));
        vals.insert("ttype".into(), json!("char"));
        vals.insert("field_description".into(), json!(label));
        vals.insert("state".into(), json!("manual"));
        orm.create_one("ir.model.fields", vals, Map::new()).await?;
        orm.forget_fields(model);
        tracing::info!(model, field = name, "created manual field in Odoo");
        Ok(FieldsReady::Ready)
    }
}
