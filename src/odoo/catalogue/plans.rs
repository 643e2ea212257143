//! Recurring plans (`sale.subscription.plan`).

use serde_json::{json, Map, Value};

use super::types::PLAN_FIELDS;
use super::{BillingPeriodUnit, Catalogue, SubscriptionPlan, PLAN};
use crate::odoo::client::SearchOptions;
use crate::odoo::error::OdooError;
use crate::odoo::value::PlanId;

impl Catalogue<'_> {
    async fn plans_where(&self, domain: Value) -> Result<Vec<SubscriptionPlan>, OdooError> {
        self.client
            .orm()
            .search_read(PLAN, domain, PLAN_FIELDS, &SearchOptions::ordered("id asc"))
            .await?
            .iter()
            .map(SubscriptionPlan::from_record)
            .collect()
    }

    /// All active recurring plans.
    ///
    /// # Errors
    /// Any [`OdooError`] (a `UserError`/`NotFound` when Subscriptions is not installed).
    #[tracing::instrument(skip_all, fields(model = PLAN, method = "search_read"))]
    pub async fn plans(&self) -> Result<Vec<SubscriptionPlan>, OdooError> {
        self.plans_where(json!([])).await
    }

    /// The active plan named exactly `name` (first by id when several).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = PLAN, method = "search_read"))]
    pub async fn find_plan_by_name(
        &self,
        name: &str,
    ) -> Result<Option<SubscriptionPlan>, OdooError> {
        Ok(self
            .plans_where(json!([["name", "=", name]]))
            .await?
            .into_iter()
            .next())
    }

    /// Active plans billing every `value` `unit`s (e.g. 1 month).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = PLAN, method = "search_read"))]
    pub async fn find_plans_by_interval(
        &self,
        value: i64,
        unit: BillingPeriodUnit,
    ) -> Result<Vec<SubscriptionPlan>, OdooError> {
        self.plans_where(json!([
            ["billing_period_value", "=", value],
            ["billing_period_unit", "=", unit.as_odoo()]
        ]))
        .await
    }

    /// Creates a recurring plan.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = PLAN, method = "create"))]
    pub async fn create_plan(
        &self,
        name: &str,
        value: i64,
        unit: BillingPeriodUnit,
    ) -> Result<PlanId, OdooError> {
        let mut vals = Map::new();
        vals.insert("name".into(), json!(name));
        vals.insert("billing_period_value".into(), json!(value));
        vals.insert("billing_period_unit".into(), json!(unit.as_odoo()));
        Ok(PlanId(
            self.client.orm().create_one(PLAN, vals, Map::new()).await?,
        ))
    }
}
