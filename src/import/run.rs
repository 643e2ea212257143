//! Applies (or, in a dry run, predicts) the import record by record: customers first, then
//! shadow subscriptions, then deployment links. A record that fails is reported and the run
//! goes on; nothing is written anywhere in a dry run (the local store and Odoo are only read,
//! and Odoo not even that).

use std::collections::HashMap;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use super::plan::{
    check_subscription, customer_attrs, customer_changes, Mapping, SubscriptionCheck,
};
use super::records::{self, ImportRecord};
use super::report::{Entity, Item, Outcome, Report};
use super::source::Snapshot;
use crate::accounts::customer_repo::CustomerRow;
use crate::accounts::shadow::{ShadowOutcome, ShadowSpec};
use crate::accounts::{Accounts, AccountsError};
use crate::meter::services::ServiceRef;
use crate::meter::time::{from_micros, now_micros};

/// Where a legacy user ended up, for its subscriptions and deployments.
enum Owner {
    /// Imported (the row; `None` in a dry run when it would be created).
    Imported(Option<CustomerRow>),
    /// Skipped, with the reason.
    Skipped(String),
    /// Failed, with the reason.
    Failed(String),
}

fn item(entity: Entity, source_id: &str, outcome: Outcome, reason: Option<String>) -> Item {
    Item {
        entity,
        source_id: source_id.to_string(),
        outcome,
        reason,
    }
}

fn why(e: &AccountsError) -> String {
    match e {
        AccountsError::Validation(m) => format!("rejected: {}", Value::Object(m.clone())),
        other => other.to_string(),
    }
}

/// Runs the import of `snap` for `service`.
///
/// # Errors
/// None per record (those are reported); only programming errors would surface here.
pub async fn run(
    accounts: &Accounts,
    service: &ServiceRef,
    snap: &Snapshot,
    mapping: &Mapping,
    dry_run: bool,
) -> Report {
    let total = (snap.users.len() + snap.subscriptions.len() + snap.deployments.len()) as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<14} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let store = &accounts.store;
    let mut items = Vec::with_capacity(total as usize);
    let mut owners: HashMap<String, Owner> = HashMap::new();
    // First live user of each email (ignoring case): later ones share its partner.
    let mut first_of_email: HashMap<String, String> = HashMap::new();

    bar.set_message("customers");
    for u in &snap.users {
        bar.inc(1);
        if u.deleted {
            items.push(item(
                Entity::Customer,
                &u.id,
                Outcome::Skipped,
                Some("user deleted in NexaCloud".into()),
            ));
            owners.insert(
                u.id.clone(),
                Owner::Skipped("user deleted in NexaCloud".into()),
            );
            continue;
        }
        let (desired, mut note) = customer_attrs(u);
        if let Some(email) = desired.get("email").and_then(Value::as_str) {
            match first_of_email.get(&email.to_lowercase()) {
                Some(first) => {
                    let shared = format!(
                        "same email as user {first} (ignoring case): shares its res.partner"
                    );
                    note = Some(match note {
                        Some(n) => format!("{n}; {shared}"),
                        None => shared,
                    });
                }
                None => {
                    first_of_email.insert(email.to_lowercase(), u.id.clone());
                }
            }
        }
        let existing = match store.customer_by_external(service.id, &u.id).await {
            Ok(e) => e,
            Err(e) => {
                items.push(item(
                    Entity::Customer,
                    &u.id,
                    Outcome::Failed,
                    Some(e.to_string()),
                ));
                owners.insert(u.id.clone(), Owner::Failed(e.to_string()));
                continue;
            }
        };
        let (outcome, body) = match &existing {
            None => (Outcome::Created, Some(desired.clone())),
            Some(row) => match customer_changes(row, &desired) {
                Some(ch) => (Outcome::Updated, Some(ch)),
                None => (Outcome::Unchanged, None),
            },
        };
        let result = match (dry_run, body) {
            (true, _) => Ok(existing),
            (false, None) => Ok(existing),
            (false, Some(mut body)) => {
                body.insert("external_id".into(), json!(u.id));
                accounts
                    .upsert_customer(service, &body)
                    .await
                    .map(|(row, _)| Some(row))
            }
        };
        match result {
            Ok(row) => {
                if let (false, Some(r)) = (dry_run, &row) {
                    let rec = ImportRecord {
                        entity: "customer".into(),
                        source_id: u.id.clone(),
                        lago_id: r.lago_id.clone(),
                        fingerprint: Value::Object(desired.clone()).to_string(),
                    };
                    if let Err(e) = records::put(store, service.id, &rec, now_micros()).await {
                        tracing::warn!(error = %e, "cannot store the import link of a customer");
                    }
                }
                items.push(item(Entity::Customer, &u.id, outcome, note));
                owners.insert(u.id.clone(), Owner::Imported(row));
            }
            Err(e) => {
                let reason = why(&e);
                items.push(item(
                    Entity::Customer,
                    &u.id,
                    Outcome::Failed,
                    Some(reason.clone()),
                ));
                owners.insert(u.id.clone(), Owner::Failed(reason));
            }
        }
    }

    bar.set_message("subscriptions");
    let plans: HashMap<_, _> = snap
        .plans
        .iter()
        .map(|p| (p.id.clone(), p.clone()))
        .collect();
    for s in &snap.subscriptions {
        bar.inc(1);
        let (outcome, reason) =
            subscription(accounts, service, s, &owners, &plans, mapping, dry_run).await;
        items.push(item(Entity::Subscription, &s.id, outcome, reason));
    }

    bar.set_message("deployments");
    for d in &snap.deployments {
        bar.inc(1);
        if d.deleted {
            items.push(item(
                Entity::Deployment,
                &d.id,
                Outcome::Skipped,
                Some("deployment deleted in NexaCloud".into()),
            ));
            continue;
        }
        let customer = match owners.get(&d.user_id) {
            Some(Owner::Imported(row)) => row.as_ref().map(|r| r.lago_id.clone()),
            Some(Owner::Skipped(_)) | Some(Owner::Failed(_)) | None => {
                items.push(item(
                    Entity::Deployment,
                    &d.id,
                    Outcome::Skipped,
                    Some(format!("owner user {} not imported", d.user_id)),
                ));
                continue;
            }
        };
        let fingerprint = json!({"user_id": d.user_id}).to_string();
        let outcome = match records::get(store, service.id, "deployment", &d.id).await {
            None => Outcome::Created,
            Some(r) if r.fingerprint == fingerprint => Outcome::Unchanged,
            Some(_) => Outcome::Updated,
        };
        if !dry_run && outcome != Outcome::Unchanged {
            let rec = ImportRecord {
                entity: "deployment".into(),
                source_id: d.id.clone(),
                lago_id: customer.unwrap_or_default(),
                fingerprint,
            };
            if let Err(e) = records::put(store, service.id, &rec, now_micros()).await {
                items.push(item(
                    Entity::Deployment,
                    &d.id,
                    Outcome::Failed,
                    Some(e.to_string()),
                ));
                continue;
            }
        }
        items.push(item(Entity::Deployment, &d.id, outcome, None));
    }
    bar.finish_and_clear();
    Report::new(&service.name, dry_run, items)
}

async fn subscription(
    accounts: &Accounts,
    service: &ServiceRef,
    s: &super::source::LegacySubscription,
    owners: &HashMap<String, Owner>,
    plans: &HashMap<String, super::source::LegacyPlan>,
    mapping: &Mapping,
    dry_run: bool,
) -> (Outcome, Option<String>) {
    let customer = match owners.get(&s.user_id) {
        None => {
            return (
                Outcome::Failed,
                Some(format!("owner user {} not found in NexaCloud", s.user_id)),
            )
        }
        Some(Owner::Skipped(r)) => {
            return (
                Outcome::Skipped,
                Some(format!("owner user {} skipped: {r}", s.user_id)),
            )
        }
        Some(Owner::Failed(r)) => {
            return (
                Outcome::Failed,
                Some(format!("owner user {} failed to import: {r}", s.user_id)),
            )
        }
        Some(Owner::Imported(row)) => row.clone(),
    };
    let (code, legacy, note) = match check_subscription(s, plans, mapping) {
        SubscriptionCheck::Skip(r) => return (Outcome::Skipped, Some(r)),
        SubscriptionCheck::Fail(r) => return (Outcome::Failed, Some(r)),
        SubscriptionCheck::Import { code, legacy, note } => (code, legacy, note),
    };
    let plan = match accounts.store.plan_by_code(service.id, &code).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return (
                Outcome::Failed,
                Some(format!(
                    "unknown plan: legacy plan {legacy:?} maps to Lago plan {code:?}, which service {} does not have (create it or set import.plan_map)",
                    service.name
                )),
            )
        }
        Err(e) => return (Outcome::Failed, Some(e.to_string())),
    };
    if let Some(cur) = &s.currency {
        if !cur.eq_ignore_ascii_case(&plan.amount_currency) {
            return (
                Outcome::Failed,
                Some(format!(
                    "currency mismatch: billed in {cur} in NexaCloud, Lago plan {code:?} is in {}",
                    plan.amount_currency
                )),
            );
        }
    }
    let Some(customer) = customer else {
        // Dry run, customer not created yet: the subscription would be created too.
        return (Outcome::Created, note);
    };
    let spec = ShadowSpec {
        external_id: s.id.clone(),
        customer,
        plan,
        subscription_at: s.started_at.unwrap_or_else(now_micros),
        next_invoice_date: s.period_end.map(|t| from_micros(t).date_naive()),
    };
    let result = if dry_run {
        accounts
            .shadow_outcome(service, &spec)
            .await
            .map(|o| (None, o))
    } else {
        accounts.upsert_shadow(service, &spec).await
    };
    match result {
        Ok((_, ShadowOutcome::AlreadyLive)) => (
            Outcome::Skipped,
            Some("already live in the gateway (cut over): left alone".into()),
        ),
        Ok((row, o)) => {
            if let Some(r) = row {
                let rec = ImportRecord {
                    entity: "subscription".into(),
                    source_id: s.id.clone(),
                    lago_id: r.lago_id.clone(),
                    fingerprint: json!({"plan": code, "customer": s.user_id}).to_string(),
                };
                if let Err(e) = records::put(&accounts.store, service.id, &rec, now_micros()).await
                {
                    tracing::warn!(error = %e, "cannot store the import link of a subscription");
                }
            }
            let outcome = match o {
                ShadowOutcome::Created => Outcome::Created,
                ShadowOutcome::Updated => Outcome::Updated,
                _ => Outcome::Unchanged,
            };
            (outcome, note)
        }
        Err(e) => (Outcome::Failed, Some(why(&e))),
    }
}
