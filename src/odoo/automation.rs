//! Odoo automation rules that nudge the gateway (CONTRACT.md §5; `base_automation`,
//! `ir.actions.server` `state = "webhook"`): when a customer invoice or credit note changes
//! state or payment state, or a subscription changes state, Odoo POSTs to the gateway's nudge
//! URL, which only triggers an immediate poll. Created over RPC (needs Settings rights);
//! found again by name, so running the setup twice changes nothing but the URL.

use serde_json::{json, Map, Value};

use super::client::{OdooClient, SearchOptions};
use super::error::OdooError;

/// One rule: its name, model, trigger fields and domain.
struct Rule {
    name: &'static str,
    model: &'static str,
    fields: &'static [&'static str],
    domain: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        name: "fusion-billing: customer invoice changed",
        model: "account.move",
        fields: &["state", "payment_state"],
        domain: "[('move_type', 'in', ['out_invoice', 'out_refund'])]",
    },
    Rule {
        name: "fusion-billing: subscription changed",
        model: "sale.order",
        fields: &["state", "subscription_state"],
        domain: "[('is_subscription', '=', True)]",
    },
];

/// What the setup did, one line per rule.
pub type SetupReport = Vec<String>;

async fn one_id(c: &OdooClient, model: &str, domain: Value) -> Result<Option<i64>, OdooError> {
    let opts = SearchOptions {
        limit: Some(1),
        include_archived: true,
        ..SearchOptions::default()
    };
    Ok(c.orm().search(model, domain, &opts).await?.first().copied())
}

/// Creates or updates the rules so that they POST to `nudge_url`.
///
/// # Errors
/// Odoo's errors: e.g. `AccessError` without Settings rights, or a missing `base_automation`
/// module (then `base.automation` is unknown).
pub async fn setup(c: &OdooClient, nudge_url: &str) -> Result<SetupReport, OdooError> {
    let mut report = Vec::new();
    for rule in RULES {
        let model_id = one_id(c, "ir.model", json!([["model", "=", rule.model]]))
            .await?
            .ok_or_else(|| OdooError::Config(format!("model {} is not installed", rule.model)))?;
        let mut field_ids = Vec::new();
        for f in rule.fields {
            if let Some(id) = one_id(
                c,
                "ir.model.fields",
                json!([["model", "=", rule.model], ["name", "=", f]]),
            )
            .await?
            {
                field_ids.push(id);
            }
        }
        let mut action = Map::new();
        action.insert("name".into(), json!(rule.name));
        action.insert("model_id".into(), json!(model_id));
        action.insert("state".into(), json!("webhook"));
        action.insert("usage".into(), json!("base_automation"));
        action.insert("webhook_url".into(), json!(nudge_url));
        action.insert(
            "webhook_field_ids".into(),
            json!([[6, 0, field_ids.clone()]]),
        );
        let action_id =
            match one_id(c, "ir.actions.server", json!([["name", "=", rule.name]])).await? {
                Some(id) => {
                    c.orm().write("ir.actions.server", &[id], action).await?;
                    id
                }
                None => {
                    c.orm()
                        .create_one("ir.actions.server", action, Map::new())
                        .await?
                }
            };
        let mut auto = Map::new();
        auto.insert("name".into(), json!(rule.name));
        auto.insert("model_id".into(), json!(model_id));
        auto.insert("trigger".into(), json!("on_create_or_write"));
        auto.insert("trigger_field_ids".into(), json!([[6, 0, field_ids]]));
        auto.insert("filter_domain".into(), json!(rule.domain));
        auto.insert("active".into(), json!(true));
        auto.insert("action_server_ids".into(), json!([[4, action_id, 0]]));
        match one_id(c, "base.automation", json!([["name", "=", rule.name]])).await? {
            Some(id) => {
                c.orm().write("base.automation", &[id], auto).await?;
                report.push(format!("updated: {} (base.automation {id})", rule.name));
            }
            None => {
                let id = c
                    .orm()
                    .create_one("base.automation", auto, Map::new())
                    .await?;
                report.push(format!("created: {} (base.automation {id})", rule.name));
            }
        }
    }
    Ok(report)
}
