//! Rating: a subscription's usage over a billing window, priced by its plan's charges
//! ([`crate::billing::charge`], exact decimals, rounded to the currency's minor unit half
//! away from zero only at the end, as Lago's `amount_cents`). Used by current usage and by
//! the rating push.

use std::str::FromStr;

use crate::billing::aggregation::{event_values, Aggregate, UsageEvent};
use crate::billing::charge::{Charge, ChargeResult, PriceContext};
use crate::billing::checked::Overflow;
use crate::billing::metric::{AggregationType, MetricSpec};
use crate::billing::money::Currency;
use crate::billing::window::BillingWindow;
use crate::meter::billable_metric_repo::BillableMetricRow;
use crate::meter::time::to_micros;

use super::error::BridgeError;
use super::plan_repo::PlanRow;
use super::plans::{charges_of, StoredCharge};
use super::Bridge;

/// One charge of a plan, rated over a window.
#[derive(Debug, Clone)]
pub struct RatedCharge {
    /// The charge as stored in the plan.
    pub charge: StoredCharge,
    /// Its billable metric (`None` if it was deleted since: nothing is billed).
    pub metric: Option<BillableMetricRow>,
    /// Units and events count in the window.
    pub aggregate: Aggregate,
    /// Price breakdown, major units, unrounded.
    pub result: ChargeResult,
    /// Rounded total in the minor unit of the plan currency.
    pub amount_cents: i64,
}

impl Bridge {
    /// Rates every charge of `plan` for subscription `external_subscription_id` of
    /// `service_id` over `window`.
    ///
    /// # Errors
    /// Store errors; a stored charge that no longer parses is an internal error;
    /// [`BridgeError::Overflow`] when usage or an amount leaves `Decimal`'s or `i64`'s range.
    pub async fn rate(
        &self,
        service_id: i64,
        external_subscription_id: &str,
        plan: &PlanRow,
        window: &BillingWindow,
    ) -> Result<Vec<RatedCharge>, BridgeError> {
        let currency = plan.currency();
        let mut out = Vec::new();
        for charge in charges_of(plan) {
            let metric = self
                .store
                .billable_metrics()
                .metric_by_id(service_id, &charge.billable_metric_id)
                .await?;
            let Some(m) = metric else {
                out.push(RatedCharge {
                    charge,
                    metric: None,
                    aggregate: Aggregate::default(),
                    result: ChargeResult::default(),
                    amount_cents: 0,
                });
                continue;
            };
            out.push(
                self.rate_charge(
                    service_id,
                    external_subscription_id,
                    charge,
                    m,
                    currency,
                    window,
                )
                .await?,
            );
        }
        Ok(out)
    }

    /// Rates one charge whose metric is `m`: the usage aggregated over `window`, priced
    /// by the charge model, rounded to `currency`.
    async fn rate_charge(
        &self,
        service_id: i64,
        external_subscription_id: &str,
        charge: StoredCharge,
        m: BillableMetricRow,
        currency: Currency,
        window: &BillingWindow,
    ) -> Result<RatedCharge, BridgeError> {
        let aggregation =
            AggregationType::from_str(&m.aggregation_type).unwrap_or(AggregationType::Count);
        let spec = MetricSpec {
            aggregation,
            field_name: m.field_name.clone(),
            recurring: m.recurring,
        };
        let priced = Charge::from_lago(&charge.charge_model, &charge.properties, aggregation)
            .map_err(|e| {
                BridgeError::Store(crate::meter::StoreError::Corrupt(format!(
                    "charge {}: {e}",
                    charge.lago_id
                )))
            })?;
        let aggregate = self
            .store
            .usage()
            .aggregate_usage_cached(
                &self.usage_cache,
                service_id,
                external_subscription_id,
                &m.code,
                &spec,
                window,
            )
            .await?;
        let mut ctx = PriceContext {
            events_count: aggregate.events_count,
            event_values: Vec::new(),
        };
        if charge.charge_model == "percentage" {
            ctx.event_values = self
                .event_values(service_id, external_subscription_id, &m.code, &spec, window)
                .await?;
        }
        let result = priced.price(aggregate.units, &ctx)?;
        let amount_cents = result
            .to_money(currency)
            .to_cents()
            .map_err(|_| Overflow("charge amount in minor units"))?;
        Ok(RatedCharge {
            charge,
            metric: Some(m),
            aggregate,
            result,
            amount_cents,
        })
    }

    /// The metric's per-event values in `window`, for the percentage model's
    /// per-transaction rules.
    async fn event_values(
        &self,
        service_id: i64,
        external_subscription_id: &str,
        code: &str,
        spec: &MetricSpec,
        window: &BillingWindow,
    ) -> Result<Vec<rust_decimal::Decimal>, BridgeError> {
        let events: Vec<UsageEvent> = self
            .store
            .events()
            .events_in_window(
                service_id,
                external_subscription_id,
                code,
                to_micros(window.from()),
                to_micros(window.to()),
            )
            .await?
            .into_iter()
            .map(UsageEvent::from)
            .collect();
        Ok(event_values(spec, window, &events))
    }
}
