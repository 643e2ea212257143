//! The pure part of the import: how a legacy user becomes Lago customer attributes, which
//! customer fields change, and whether a legacy subscription can become a shadow
//! subscription (status, plan mapping, currency). No I/O here.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::source::{LegacyPlan, LegacySubscription, LegacyUser};
use crate::accounts::customer_repo::CustomerRow;
use crate::accounts::customers::attributes;
use crate::configuration::{ConfigError, ImportSettings};

/// The customer attributes the importer owns.
pub const CUSTOMER_KEYS: &[&str] = &["name", "email", "country"];

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
pub fn customer_attrs(u: &LegacyUser) -> (Map<String, Value>, Option<String>) {
    let mut m = Map::new();
    let mut notes = Vec::new();
    if let Some(n) = clean(&u.company).or_else(|| clean(&u.name)) {
        m.insert("name".into(), json!(n));
    }
    match clean(&u.email) {
        Some(e) if valid_email(&e) => {
            m.insert("email".into(), json!(e));
        }
        Some(e) => notes.push(format!("invalid email {e:?} not imported")),
        None => notes.push("no email in NexaCloud: partner not matched by email".to_string()),
    }
    match clean(&u.country) {
        Some(c) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            m.insert("country".into(), json!(c.to_uppercase()));
        }
        Some(c) => notes.push(format!("country {c:?} is not an ISO code: not imported")),
        None => {}
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    (m, note)
}

/// The changes to send for an existing customer (`None` when nothing differs). Keys the
/// importer owns and the user no longer has are cleared (`null`).
pub fn customer_changes(
    existing: &CustomerRow,
    desired: &Map<String, Value>,
) -> Option<Map<String, Value>> {
    let current = attributes(existing);
    let mut changes = Map::new();
    for k in CUSTOMER_KEYS {
        let have = current.get(*k).filter(|v| !v.is_null());
        let want = desired.get(*k);
        if have != want {
            changes.insert((*k).into(), want.cloned().unwrap_or(Value::Null));
        }
    }
    (!changes.is_empty()).then_some(changes)
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
        assert_eq!(m.get("country"), Some(&json!("CA")));
        assert!(m.get("email").is_none());
        assert!(note.unwrap().contains("no email"));
        let (m, note) = customer_attrs(&user(Some("not-an-email"), Some("Canada")));
        assert!(m.get("email").is_none() && m.get("country").is_none());
        assert!(note.unwrap().contains("invalid email"));
        let (m, note) = customer_attrs(&user(Some("A@B.ca"), None));
        assert_eq!((m.get("email"), note), (Some(&json!("A@B.ca")), None));
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
