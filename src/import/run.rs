//! Applies (or, in a dry run, predicts) the import record by record: customers first, then
//! shadow subscriptions, then deployment links. A record that fails is reported and the run
//! goes on; nothing is written anywhere in a dry run (the local store and Odoo are only read,
//! and Odoo not even that).

use std::collections::HashMap;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use super::plan::{
    check_subscription, customer_attrs, customer_changes, customer_creation, Mapping,
    SubscriptionCheck,
};
use super::records::{self, ImportRecord};
use super::report::{Entity, Item, Outcome, Report};
use super::source::{LegacyDeployment, LegacyPlan, LegacySubscription, LegacyUser, Snapshot};
use crate::bridge::customer_repo::CustomerRow;
use crate::bridge::customers::{CustomerAttributes, CustomerChanges, CustomerUpsert};
use crate::bridge::plan_repo::PlanRow;
use crate::bridge::shadow::{ShadowOutcome, ShadowSpec};
use crate::bridge::{Bridge, BridgeError};
use crate::meter::tenants::ServiceRef;
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

fn why(e: &BridgeError) -> String {
    match e {
        BridgeError::Validation(m) => format!("rejected: {}", Value::Object(m.clone())),
        other => other.to_string(),
    }
}

/// What every step of a run needs.
struct Run<'a> {
    bridge: &'a Bridge,
    service: &'a ServiceRef,
    mapping: &'a Mapping,
    dry_run: bool,
    bar: ProgressBar,
}

/// The outcome of one record and why (`None`: nothing to say).
type Verdict = (Outcome, Option<String>);

/// Runs the import of `snap` for `service`.
///
/// # Errors
/// None per record (those are reported); only programming errors would surface here.
pub async fn run(
    bridge: &Bridge,
    service: &ServiceRef,
    snap: &Snapshot,
    mapping: &Mapping,
    dry_run: bool,
) -> Report {
    let total = snap.users.len() + snap.subscriptions.len() + snap.deployments.len();
    let run = Run {
        bridge,
        service,
        mapping,
        dry_run,
        bar: progress_bar(total as u64),
    };
    let mut items = Vec::with_capacity(total);
    let owners = run.customers(snap, &mut items).await;
    run.subscriptions(snap, &owners, &mut items).await;
    run.deployments(snap, &owners, &mut items).await;
    run.bar.finish_and_clear();
    Report::new(&service.name, dry_run, items)
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<14} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Adds to `note` that the user shares the partner of the first live user with the same
/// email (ignoring case), or remembers it as that first user.
fn shared_email_note(
    first_of_email: &mut HashMap<String, String>,
    user_id: &str,
    desired: &CustomerAttributes,
    note: Option<String>,
) -> Option<String> {
    let Some(email) = desired.email.as_deref() else {
        return note;
    };
    match first_of_email.get(&email.to_lowercase()) {
        Some(first) => {
            let shared =
                format!("same email as user {first} (ignoring case): shares its res.partner");
            Some(match note {
                Some(n) => format!("{n}; {shared}"),
                None => shared,
            })
        }
        None => {
            first_of_email.insert(email.to_lowercase(), user_id.to_string());
            note
        }
    }
}

impl Run<'_> {
    /// Imports the users as customers; where each ended up, by legacy user id.
    async fn customers(&self, snap: &Snapshot, items: &mut Vec<Item>) -> HashMap<String, Owner> {
        self.bar.set_message("customers");
        let mut owners = HashMap::new();
        // First live user of each email (ignoring case): later ones share its partner.
        let mut first_of_email: HashMap<String, String> = HashMap::new();
        for u in &snap.users {
            self.bar.inc(1);
            let ((outcome, reason), owner) = self.customer(u, &mut first_of_email).await;
            items.push(item(Entity::Customer, &u.id, outcome, reason));
            owners.insert(u.id.clone(), owner);
        }
        owners
    }

    /// Imports one user.
    async fn customer(
        &self,
        u: &LegacyUser,
        first_of_email: &mut HashMap<String, String>,
    ) -> (Verdict, Owner) {
        if u.deleted {
            let why = "user deleted in NexaCloud".to_string();
            return ((Outcome::Skipped, Some(why.clone())), Owner::Skipped(why));
        }
        let (desired, note) = customer_attrs(u);
        let note = shared_email_note(first_of_email, &u.id, &desired, note);
        let store = &self.bridge.store;
        let existing = match store
            .customers()
            .customer_by_external(self.service.id, &u.id)
            .await
        {
            Ok(e) => e,
            Err(e) => {
                return (
                    (Outcome::Failed, Some(e.to_string())),
                    Owner::Failed(e.to_string()),
                )
            }
        };
        let (outcome, changes) = match &existing {
            None => (Outcome::Created, Some(customer_creation(&desired))),
            Some(row) => match customer_changes(row, &desired) {
                Some(ch) => (Outcome::Updated, Some(ch)),
                None => (Outcome::Unchanged, None),
            },
        };
        match self.apply_customer(u, existing, changes).await {
            Ok(row) => {
                if let (false, Some(r)) = (self.dry_run, &row) {
                    self.record_customer(u, r, &desired).await;
                }
                ((outcome, note), Owner::Imported(row))
            }
            Err(e) => {
                let reason = why(&e);
                (
                    (Outcome::Failed, Some(reason.clone())),
                    Owner::Failed(reason),
                )
            }
        }
    }

    /// Sends the changes of one user (none in a dry run); the row it ends up as.
    async fn apply_customer(
        &self,
        u: &LegacyUser,
        existing: Option<CustomerRow>,
        changes: Option<CustomerChanges>,
    ) -> Result<Option<CustomerRow>, BridgeError> {
        match (self.dry_run, changes) {
            (true, _) | (false, None) => Ok(existing),
            (false, Some(changes)) => {
                let cmd = CustomerUpsert {
                    external_id: u.id.trim().to_string(),
                    changes,
                };
                let (row, _) = self.bridge.upsert_customer(self.service, &cmd).await?;
                Ok(Some(row))
            }
        }
    }

    /// Stores the import link of a customer (a failure is logged only).
    async fn record_customer(
        &self,
        u: &LegacyUser,
        row: &CustomerRow,
        desired: &CustomerAttributes,
    ) {
        let rec = ImportRecord {
            entity: "customer".into(),
            source_id: u.id.clone(),
            lago_id: row.lago_id.clone(),
            fingerprint: desired.to_stored(),
        };
        if let Err(e) = records::put(&self.bridge.store, self.service.id, &rec, now_micros()).await
        {
            tracing::warn!(error = %e, "cannot store the import link of a customer");
        }
    }

    /// Imports the subscriptions as shadow subscriptions.
    async fn subscriptions(
        &self,
        snap: &Snapshot,
        owners: &HashMap<String, Owner>,
        items: &mut Vec<Item>,
    ) {
        self.bar.set_message("subscriptions");
        let plans: HashMap<_, _> = snap
            .plans
            .iter()
            .map(|p| (p.id.clone(), p.clone()))
            .collect();
        for s in &snap.subscriptions {
            self.bar.inc(1);
            let (outcome, reason) = self.subscription(s, owners, &plans).await;
            items.push(item(Entity::Subscription, &s.id, outcome, reason));
        }
    }

    /// Links the deployments to their owners' customers.
    async fn deployments(
        &self,
        snap: &Snapshot,
        owners: &HashMap<String, Owner>,
        items: &mut Vec<Item>,
    ) {
        self.bar.set_message("deployments");
        for d in &snap.deployments {
            self.bar.inc(1);
            let (outcome, reason) = self.deployment(d, owners).await;
            items.push(item(Entity::Deployment, &d.id, outcome, reason));
        }
    }

    /// Links one deployment.
    async fn deployment(&self, d: &LegacyDeployment, owners: &HashMap<String, Owner>) -> Verdict {
        if d.deleted {
            return (
                Outcome::Skipped,
                Some("deployment deleted in NexaCloud".into()),
            );
        }
        let customer = match owners.get(&d.user_id) {
            Some(Owner::Imported(row)) => row.as_ref().map(|r| r.lago_id.clone()),
            Some(Owner::Skipped(_)) | Some(Owner::Failed(_)) | None => {
                return (
                    Outcome::Skipped,
                    Some(format!("owner user {} not imported", d.user_id)),
                );
            }
        };
        let store = &self.bridge.store;
        let fingerprint = json!({"user_id": d.user_id}).to_string();
        let outcome = match records::get(store, self.service.id, "deployment", &d.id).await {
            None => Outcome::Created,
            Some(r) if r.fingerprint == fingerprint => Outcome::Unchanged,
            Some(_) => Outcome::Updated,
        };
        if !self.dry_run && outcome != Outcome::Unchanged {
            let rec = ImportRecord {
                entity: "deployment".into(),
                source_id: d.id.clone(),
                lago_id: customer.unwrap_or_default(),
                fingerprint,
            };
            if let Err(e) = records::put(store, self.service.id, &rec, now_micros()).await {
                return (Outcome::Failed, Some(e.to_string()));
            }
        }
        (outcome, None)
    }

    /// Imports one subscription.
    async fn subscription(
        &self,
        s: &LegacySubscription,
        owners: &HashMap<String, Owner>,
        plans: &HashMap<String, LegacyPlan>,
    ) -> Verdict {
        let customer = match owner_customer(owners, s) {
            Ok(c) => c,
            Err(v) => return v,
        };
        let (code, legacy, note) = match check_subscription(s, plans, self.mapping) {
            SubscriptionCheck::Skip(r) => return (Outcome::Skipped, Some(r)),
            SubscriptionCheck::Fail(r) => return (Outcome::Failed, Some(r)),
            SubscriptionCheck::Import { code, legacy, note } => (code, legacy, note),
        };
        let plan = match self.lago_plan(s, &code, &legacy).await {
            Ok(p) => p,
            Err(v) => return v,
        };
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
        match self.apply_shadow(s, &spec, &code).await {
            Ok(ShadowOutcome::AlreadyLive) => (
                Outcome::Skipped,
                Some("already live in the gateway (cut over): left alone".into()),
            ),
            Ok(ShadowOutcome::Created) => (Outcome::Created, note),
            Ok(ShadowOutcome::Updated) => (Outcome::Updated, note),
            Ok(_) => (Outcome::Unchanged, note),
            Err(e) => (Outcome::Failed, Some(why(&e))),
        }
    }

    /// The Lago plan `code` (mapped from the legacy plan `legacy`) of `s`, in its currency.
    async fn lago_plan(
        &self,
        s: &LegacySubscription,
        code: &str,
        legacy: &str,
    ) -> Result<PlanRow, Verdict> {
        let plan = match self.bridge.store.plans().plan_by_code(self.service.id, code).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                return Err((
                    Outcome::Failed,
                    Some(format!(
                        "unknown plan: legacy plan {legacy:?} maps to Lago plan {code:?}, which service {} does not have (create it or set import.plan_map)",
                        self.service.name
                    )),
                ))
            }
            Err(e) => return Err((Outcome::Failed, Some(e.to_string()))),
        };
        match &s.currency {
            Some(cur) if !cur.eq_ignore_ascii_case(&plan.amount_currency) => Err((
                Outcome::Failed,
                Some(format!(
                    "currency mismatch: billed in {cur} in NexaCloud, Lago plan {code:?} is in {}",
                    plan.amount_currency
                )),
            )),
            _ => Ok(plan),
        }
    }

    /// Creates or updates the shadow subscription (predicts it in a dry run) and stores its
    /// import link.
    async fn apply_shadow(
        &self,
        s: &LegacySubscription,
        spec: &ShadowSpec,
        code: &str,
    ) -> Result<ShadowOutcome, BridgeError> {
        if self.dry_run {
            return self.bridge.shadow_outcome(self.service, spec).await;
        }
        let (row, outcome) = self.bridge.upsert_shadow(self.service, spec).await?;
        if let (Some(r), false) = (row, outcome == ShadowOutcome::AlreadyLive) {
            let rec = ImportRecord {
                entity: "subscription".into(),
                source_id: s.id.clone(),
                lago_id: r.lago_id.clone(),
                fingerprint: json!({"plan": code, "customer": s.user_id}).to_string(),
            };
            if let Err(e) =
                records::put(&self.bridge.store, self.service.id, &rec, now_micros()).await
            {
                tracing::warn!(error = %e, "cannot store the import link of a subscription");
            }
        }
        Ok(outcome)
    }
}

/// The customer of the owner of `s` (`None` in a dry run when it would be created), or why
/// the subscription cannot be imported.
fn owner_customer(
    owners: &HashMap<String, Owner>,
    s: &LegacySubscription,
) -> Result<Option<CustomerRow>, Verdict> {
    match owners.get(&s.user_id) {
        None => Err((
            Outcome::Failed,
            Some(format!("owner user {} not found in NexaCloud", s.user_id)),
        )),
        Some(Owner::Skipped(r)) => Err((
            Outcome::Skipped,
            Some(format!("owner user {} skipped: {r}", s.user_id)),
        )),
        Some(Owner::Failed(r)) => Err((
            Outcome::Failed,
            Some(format!("owner user {} failed to import: {r}", s.user_id)),
        )),
        Some(Owner::Imported(row)) => Ok(row.clone()),
    }
}
