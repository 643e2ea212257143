//! The pure part of the import: how a legacy user becomes Lago customer attributes, which
//! customer fields change, and whether a legacy subscription can become a shadow
//! subscription (status, plan mapping, currency). No I/O here.

use std::collections::HashMap;

use super::source::{LegacyPlan, LegacySubscription, LegacyUser};
use crate::bridge::customer_repo::CustomerRow;
use crate::bridge::customers::{attributes, CustomerAttributes, CustomerChanges, Patch};
use crate::configuration::{ConfigError, ImportSettings};

/// The customer attributes the importer owns: `name`, `email`, `country`.
fn owned(a: &CustomerAttributes) -> [&Option<String>; 3] {
    [&a.name, &a.email, &a.country]
}

/// The fields of `changes` the importer owns, in the order of [`owned`].
fn owned_changes(c: &mut CustomerChanges) -> [&mut Patch<String>; 3] {
    [&mut c.name, &mut c.email, &mut c.country]
}

/// Settings turned into lookups.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Legacy plan code → Lago plan code.
    pub plan_map: HashMap<String, String>,
    /// Legacy statuses imported as shadow subscriptions.
    pub live_statuses: Vec<String>,
}

impl Mapping {
    /// From `[import]`.
    ///
    /// # Errors
    /// A malformed `import.plan_map`.
    pub fn new(s: &ImportSettings) -> Result<Mapping, ConfigError> {
        Ok(Mapping {
            plan_map: s.plan_pairs()?.into_iter().collect(),
            live_statuses: s.live_status_list(),
        })
    }

    /// The Lago plan code of a legacy plan code.
    pub fn lago_code<'a>(&'a self, legacy: &'a str) -> &'a str {
        self.plan_map
            .get(legacy)
            .map(String::as_str)
            .unwrap_or(legacy)
    }
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// A syntactically usable email (what `POST /customers` accepts).
pub fn valid_email(e: &str) -> bool {
    e.split_once('@').is_some_and(|(a, b)| {
        !a.is_empty() && b.contains('.') && !e.contains(' ') && !e.contains(',')
    })
}

/// The customer attributes of a user (`name` = company, else full name; `email`;
/// `country` when a two-letter code) and a note for what was dropped or is missing.
pub fn customer_attrs(u: &LegacyUser) -> (CustomerAttributes, Option<String>) {
    let mut a = CustomerAttributes {
        name: clean(&u.company).or_else(|| clean(&u.name)),
        ..CustomerAttributes::default()
    };
    let mut notes = Vec::new();
    match clean(&u.email) {
        Some(e) if valid_email(&e) => a.email = Some(e),
        Some(e) => notes.push(format!("invalid email {e:?} not imported")),
        None => notes.push("no email in NexaCloud: partner not matched by email".to_string()),
    }
    match clean(&u.country) {
        Some(c) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            a.country = Some(c.to_uppercase());
        }
        Some(c) => notes.push(format!("country {c:?} is not an ISO code: not imported")),
        None => {}
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    (a, note)
}

/// The changes that create a customer with the attributes `desired` (the importer's own).
pub fn customer_creation(desired: &CustomerAttributes) -> CustomerChanges {
    let mut changes = CustomerChanges::default();
    for (patch, want) in owned_changes(&mut changes).into_iter().zip(owned(desired)) {
        if let Some(v) = want {
            *patch = Patch::Set(v.clone());
        }
    }
    changes
}

/// The changes to send for an existing customer (`None` when nothing differs). Keys the
/// importer owns and the user no longer has are cleared (`null`).
pub fn customer_changes(
    existing: &CustomerRow,
    desired: &CustomerAttributes,
) -> Option<CustomerChanges> {
    let current = attributes(existing);
    let mut changes = CustomerChanges::default();
    let mut any = false;
    let pairs = owned(&current).into_iter().zip(owned(desired));
    for (patch, (have, want)) in owned_changes(&mut changes).into_iter().zip(pairs) {
        if have != want {
            *patch = want.clone().map_or(Patch::Clear, Patch::Set);
            any = true;
        }
    }
    any.then_some(changes)
}

/// Whether a legacy subscription can be imported, before looking at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionCheck {
    /// Import it on the Lago plan `code`, with a note (e.g. `past_due`).
    Import {
        /// Lago plan code.
        code: String,
        /// Legacy plan code.
        legacy: String,
        /// A note for the report.
        note: Option<String>,
    },
    /// Not imported on purpose.
    Skip(String),
    /// Cannot be imported.
    Fail(String),
}

/// Checks status and plan of `s`.
pub fn check_subscription(
    s: &LegacySubscription,
    plans: &HashMap<String, LegacyPlan>,
    mapping: &Mapping,
) -> SubscriptionCheck {
    if !mapping.live_statuses.contains(&s.status) {
        return SubscriptionCheck::Skip(format!("status {:?} in NexaCloud", s.status));
    }
    let Some(plan) = plans.get(&s.plan_id) else {
        return SubscriptionCheck::Fail(format!("unknown legacy plan id {}", s.plan_id));
    };
    let note = (s.status != "active").then(|| {
        format!(
            "{} in NexaCloud: imported as a shadow copy like the others",
            s.status
        )
    });
    SubscriptionCheck::Import {
        code: mapping.lago_code(&plan.code).to_string(),
        legacy: plan.code.clone(),
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email: Option<&str>, country: Option<&str>) -> LegacyUser {
        LegacyUser {
            id: "1".into(),
            email: email.map(String::from),
            name: Some("Jane".into()),
            company: None,
            country: country.map(String::from),
            deleted: false,
        }
    }

    #[test]
    fn awkward_users_become_customers_with_notes() {
        let (m, note) = customer_attrs(&user(None, Some("ca")));
        assert_eq!(m.country.as_deref(), Some("CA"));
        assert!(m.email.is_none());
        assert!(note.unwrap().contains("no email"));
        let (m, note) = customer_attrs(&user(Some("not-an-email"), Some("Canada")));
        assert!(m.email.is_none() && m.country.is_none());
        assert!(note.unwrap().contains("invalid email"));
        let (m, note) = customer_attrs(&user(Some("A@B.ca"), None));
        assert_eq!((m.email.as_deref(), note), (Some("A@B.ca"), None));
        let c = customer_creation(&m);
        assert_eq!(
            (c.name, c.email, c.country),
            (
                Patch::Set("Jane".into()),
                Patch::Set("A@B.ca".into()),
                Patch::Absent
            )
        );
    }

    #[test]
    fn plan_map_and_statuses() {
        let mapping = Mapping {
            plan_map: [("starter".to_string(), "hosting-starter".to_string())].into(),
            live_statuses: vec!["active".into(), "past_due".into()],
        };
        let plans: HashMap<String, LegacyPlan> = [(
            "1".to_string(),
            LegacyPlan {
                id: "1".into(),
                code: "starter".into(),
                price_cents: Some(900),
            },
        )]
        .into();
        let sub = |status: &str, plan: &str| LegacySubscription {
            id: "9".into(),
            user_id: "1".into(),
            plan_id: plan.into(),
            status: status.into(),
            currency: Some("CAD".into()),
            started_at: None,
            period_end: None,
        };
        assert!(matches!(
            check_subscription(&sub("active", "1"), &plans, &mapping),
            SubscriptionCheck::Import { ref code, note: None, .. } if code == "hosting-starter"
        ));
        assert!(matches!(
            check_subscription(&sub("past_due", "1"), &plans, &mapping),
            SubscriptionCheck::Import { note: Some(_), .. }
        ));
        assert!(matches!(
            check_subscription(&sub("cancelled", "1"), &plans, &mapping),
            SubscriptionCheck::Skip(_)
        ));
        assert!(matches!(
            check_subscription(&sub("active", "7"), &plans, &mapping),
            SubscriptionCheck::Fail(_)
        ));
    }
}
