//! `[import]`: the NexaCloud importer's settings and its column mapping.

use serde::Deserialize;

use super::ConfigError;

/// `[import]`: the legacy NexaCloud importer. Field docs live in `config/default.toml`.
#[derive(Clone, Deserialize)]
#[serde(default)]
pub struct ImportSettings {
    /// libpq URL of the read-only NexaCloud PostgreSQL (`postgresql+asyncpg://` accepted);
    /// `FUSION__IMPORT__NEXACLOUD_DSN`. Never printed (see the `Debug` impl).
    pub nexacloud_dsn: String,
    /// Comma-separated `legacy_plan=lago_plan_code` pairs; a legacy plan not listed keeps its
    /// own code. `FUSION__IMPORT__PLAN_MAP`.
    pub plan_map: String,
    /// Comma-separated legacy subscription statuses imported as shadow subscriptions; any
    /// other status is skipped.
    pub live_statuses: String,
    /// Table and column names of the source (defaults: `fixtures/nexacloud/schema.sql`).
    pub columns: ImportColumns,
}

impl Default for ImportSettings {
    fn default() -> Self {
        ImportSettings {
            nexacloud_dsn: String::new(),
            plan_map: String::new(),
            live_statuses: "active,trialing,past_due".into(),
            columns: ImportColumns::default(),
        }
    }
}

impl std::fmt::Debug for ImportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSettings")
            .field(
                "nexacloud_dsn",
                &if self.nexacloud_dsn.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("plan_map", &self.plan_map)
            .field("live_statuses", &self.live_statuses)
            .field("columns", &self.columns)
            .finish()
    }
}

impl ImportSettings {
    /// The plan map as (legacy code, Lago plan code) pairs.
    ///
    /// # Errors
    /// A [`ConfigError`] naming a pair without `=`.
    pub fn plan_pairs(&self) -> Result<Vec<(String, String)>, ConfigError> {
        self.plan_map
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                    Ok((a.trim().to_string(), b.trim().to_string()))
                }
                _ => Err(ConfigError(format!(
                    "import.plan_map: {p:?} is not legacy_plan=lago_plan_code"
                ))),
            })
            .collect()
    }

    /// The statuses of [`ImportSettings::live_statuses`], lower-cased.
    pub fn live_status_list(&self) -> Vec<String> {
        self.live_statuses
            .split(',')
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// `[import.columns]`: where the importer finds each field in the NexaCloud database.
/// Every value is an SQL identifier (`[A-Za-z_][A-Za-z0-9_]*`, tables may be `schema.table`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ImportColumns {
    /// Users table.
    pub users_table: String,
    /// User primary key (becomes the Lago `external_customer_id`).
    pub user_id: String,
    /// User email (may be NULL).
    pub user_email: String,
    /// User display name.
    pub user_name: String,
    /// User company name (may be NULL; preferred over the name when set).
    pub user_company: String,
    /// User ISO country code (may be NULL).
    pub user_country: String,
    /// Soft-deletion time of a user (NULL = live).
    pub user_deleted_at: String,
    /// Plans table.
    pub plans_table: String,
    /// Plan primary key.
    pub plan_id: String,
    /// Plan code (mapped through `import.plan_map`).
    pub plan_code: String,
    /// Plan price in cents.
    pub plan_price_cents: String,
    /// Subscriptions table.
    pub subscriptions_table: String,
    /// Subscription primary key (becomes the Lago `external_id`).
    pub subscription_id: String,
    /// Owner (users primary key).
    pub subscription_user_id: String,
    /// Plan (plans primary key).
    pub subscription_plan_id: String,
    /// Status text (`active`, `trialing`, `past_due`, `cancelled`, …).
    pub subscription_status: String,
    /// ISO currency code of the subscription.
    pub subscription_currency: String,
    /// Start time.
    pub subscription_started_at: String,
    /// End of the period NexaCloud billed last (the next billing date), may be NULL.
    pub subscription_period_end: String,
    /// Deployments table.
    pub deployments_table: String,
    /// Deployment primary key.
    pub deployment_id: String,
    /// Owner (users primary key).
    pub deployment_user_id: String,
    /// Soft-deletion time of a deployment (NULL = live).
    pub deployment_deleted_at: String,
}

impl Default for ImportColumns {
    fn default() -> Self {
        let s = |v: &str| v.to_string();
        ImportColumns {
            users_table: s("users"),
            user_id: s("id"),
            user_email: s("email"),
            user_name: s("full_name"),
            user_company: s("company_name"),
            user_country: s("country"),
            user_deleted_at: s("deleted_at"),
            plans_table: s("plans"),
            plan_id: s("id"),
            plan_code: s("slug"),
            plan_price_cents: s("price_cents"),
            subscriptions_table: s("subscriptions"),
            subscription_id: s("id"),
            subscription_user_id: s("user_id"),
            subscription_plan_id: s("plan_id"),
            subscription_status: s("status"),
            subscription_currency: s("currency"),
            subscription_started_at: s("started_at"),
            subscription_period_end: s("current_period_end"),
            deployments_table: s("deployments"),
            deployment_id: s("id"),
            deployment_user_id: s("user_id"),
            deployment_deleted_at: s("deleted_at"),
        }
    }
}
