//! The import report: one outcome per source record, counts per entity, the summary table
//! (comfy-table) and the JSON form (`--json`).

use std::collections::BTreeMap;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde::Serialize;

/// The kinds of source records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// Users → Lago customers on `res.partner`.
    Customer,
    /// Subscriptions → shadow subscriptions (draft `sale.order`).
    Subscription,
    /// Deployments → links to their customer (no Odoo record).
    Deployment,
}

impl Entity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Customer => "customer",
            Entity::Subscription => "subscription",
            Entity::Deployment => "deployment",
        }
    }
}

/// What happened (or, in a dry run, would happen) to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// New in the gateway (and Odoo).
    Created,
    /// Existed and changed.
    Updated,
    /// Existed as wanted.
    Unchanged,
    /// Deliberately not imported (see the reason).
    Skipped,
    /// Could not be imported; needs the operator (see the reason).
    Failed,
}

/// One source record's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Kind of record.
    pub entity: Entity,
    /// Its primary key in NexaCloud.
    pub source_id: String,
    /// The outcome.
    pub outcome: Outcome,
    /// Why (skipped, failed) or a note (e.g. an email dropped as invalid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Counts of one entity.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// [`Outcome::Created`].
    pub created: usize,
    /// [`Outcome::Updated`].
    pub updated: usize,
    /// [`Outcome::Unchanged`].
    pub unchanged: usize,
    /// [`Outcome::Skipped`].
    pub skipped: usize,
    /// [`Outcome::Failed`].
    pub failed: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// True for `--dry-run` (nothing was written).
    pub dry_run: bool,
    /// The service the records were imported for.
    pub service: String,
    /// Counts per entity.
    pub counts: BTreeMap<Entity, Counts>,
    /// Every record that was skipped, failed or carries a note.
    pub items: Vec<Item>,
}

impl Report {
    /// Builds the report from every item.
    pub fn new(service: &str, dry_run: bool, all: Vec<Item>) -> Report {
        let mut counts: BTreeMap<Entity, Counts> = BTreeMap::new();
        for e in [Entity::Customer, Entity::Subscription, Entity::Deployment] {
            counts.insert(e, Counts::default());
        }
        for i in &all {
            let c = counts.entry(i.entity).or_default();
            match i.outcome {
                Outcome::Created => c.created += 1,
                Outcome::Updated => c.updated += 1,
                Outcome::Unchanged => c.unchanged += 1,
                Outcome::Skipped => c.skipped += 1,
                Outcome::Failed => c.failed += 1,
            }
        }
        Report {
            dry_run,
            service: service.to_string(),
            counts,
            items: all.into_iter().filter(|i| i.reason.is_some()).collect(),
        }
    }

    /// Records that failed, over all entities.
    pub fn failed(&self) -> usize {
        self.counts.values().map(|c| c.failed).sum()
    }

    /// Records created, over all entities.
    pub fn created(&self) -> usize {
        self.counts.values().map(|c| c.created).sum()
    }

    /// The summary table, then the skip reasons (grouped) and every failure.
    pub fn render(&self) -> String {
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED).set_header(vec![
            "entity",
            if self.dry_run {
                "would create"
            } else {
                "created"
            },
            if self.dry_run {
                "would update"
            } else {
                "updated"
            },
            "unchanged",
            "skipped",
            "failed",
        ]);
        for (e, c) in &self.counts {
            t.add_row(vec![
                e.as_str().to_string(),
                c.created.to_string(),
                c.updated.to_string(),
                c.unchanged.to_string(),
                c.skipped.to_string(),
                c.failed.to_string(),
            ]);
        }
        let mut out = format!(
            "NexaCloud import for service {}{}\n{t}\n",
            self.service,
            if self.dry_run {
                " (DRY RUN: nothing written)"
            } else {
                ""
            }
        );
        let mut reasons: BTreeMap<(Entity, Outcome, String), Vec<&str>> = BTreeMap::new();
        for i in &self.items {
            if let Some(r) = &i.reason {
                reasons
                    .entry((i.entity, i.outcome, r.clone()))
                    .or_default()
                    .push(&i.source_id);
            }
        }
        for ((e, o, r), ids) in &reasons {
            let shown: Vec<&str> = ids.iter().take(10).copied().collect();
            let more = if ids.len() > 10 {
                format!(" and {} more", ids.len() - 10)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{:?} {} ({}): {r} [{}{more}]\n",
                o,
                e.as_str(),
                ids.len(),
                shown.join(", ")
            ));
        }
        out
    }
}
