//! Subscriptions facade: `sale.order` with a recurring plan (`is_subscription`, `plan_id`,
//! enterprise `sale_subscription`) and its `sale.order.line`s. CONTRACT.md §4.3–§4.4;
//! `addons/sale/models/sale_order.py`, `sale_order_line.py`.
//!
//! By job: `types` (what is read, decoded from records), `values` (what is written),
//! `queries` (reads), `writes` (creation, state changes, line and header writes).

mod queries;
mod types;
mod values;
mod writes;

pub use types::{OrderState, SaleOrder, SaleOrderLine, SubscriptionState};
pub use values::{DeliveredQty, NewOrderLine, NewSubscription, OrderPatch, UsageLineChange};

use serde_json::Value;

use super::client::{OdooClient, SearchOptions};
use super::error::OdooError;
use types::ORDER_FIELDS;

const ORDER: &str = "sale.order";
const LINE: &str = "sale.order.line";

/// Subscription operations; get one with [`OdooClient::subscriptions`].
#[derive(Debug, Clone, Copy)]
pub struct Subscriptions<'a> {
    client: &'a OdooClient,
}

impl OdooClient {
    /// The subscriptions (`sale.order`) facade.
    pub fn subscriptions(&self) -> Subscriptions<'_> {
        Subscriptions { client: self }
    }
}

impl Subscriptions<'_> {
    async fn orders(
        &self,
        domain: Value,
        opts: &SearchOptions,
    ) -> Result<Vec<SaleOrder>, OdooError> {
        self.client
            .orm()
            .search_read(ORDER, domain, ORDER_FIELDS, opts)
            .await?
            .iter()
            .map(SaleOrder::from_record)
            .collect()
    }
}
