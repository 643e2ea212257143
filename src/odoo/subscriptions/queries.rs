//! Reads of subscription orders and their lines, and the order's portal URL.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::types::{LINE_FIELDS, ORDER_FIELDS, WINDOW_FIELDS};
use super::{SaleOrder, SaleOrderLine, SubscriptionState, Subscriptions, LINE, ORDER};
use crate::odoo::client::{Call, SearchOptions};
use crate::odoo::error::OdooError;
use crate::odoo::value::{to_odoo_datetime, PartnerId, SaleOrderId};

impl Subscriptions<'_> {
    /// The order with this id; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "search_read"))]
    pub async fn get(&self, id: SaleOrderId) -> Result<Option<SaleOrder>, OdooError> {
        Ok(self
            .orders(json!([["id", "=", id.0]]), &SearchOptions::default())
            .await?
            .into_iter()
            .next())
    }

    /// The lines of one order, in order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn lines(&self, id: SaleOrderId) -> Result<Vec<SaleOrderLine>, OdooError> {
        self.lines_of(&[id]).await
    }

    /// The lines of many orders in one `search_read` (ordered by order, then sequence).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = LINE, method = "search_read"))]
    pub async fn lines_of(&self, ids: &[SaleOrderId]) -> Result<Vec<SaleOrderLine>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.client
            .orm()
            .search_read(
                LINE,
                json!([["order_id", "in", ids]]),
                LINE_FIELDS,
                &SearchOptions::ordered("order_id asc, sequence asc, id asc"),
            )
            .await?
            .iter()
            .map(SaleOrderLine::from_record)
            .collect()
    }

    /// Subscriptions in the given states (e.g. `[InProgress]` for the rating loop), all of them,
    /// fetched in pages of `page` (keyset on id).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "search_read"))]
    pub async fn in_states(
        &self,
        states: &[SubscriptionState],
        page: u64,
    ) -> Result<Vec<SaleOrder>, OdooError> {
        let keys: Vec<&str> = states.iter().map(SubscriptionState::as_odoo).collect();
        self.client
            .orm()
            .search_read_all(
                ORDER,
                json!([
                    ["is_subscription", "=", true],
                    ["subscription_state", "in", keys]
                ]),
                ORDER_FIELDS,
                page,
                false,
            )
            .await?
            .iter()
            .map(SaleOrder::from_record)
            .collect()
    }

    /// All in-progress subscriptions (`3_progress`), in pages of 200.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn active(&self) -> Result<Vec<SaleOrder>, OdooError> {
        self.in_states(&[SubscriptionState::InProgress], 200).await
    }

    /// Subscriptions of a customer (any state).
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn of_partner(&self, partner: PartnerId) -> Result<Vec<SaleOrder>, OdooError> {
        self.orders(
            json!([
                ["is_subscription", "=", true],
                ["partner_id", "=", partner.0]
            ]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// State and billing-window dates of these orders in one light `search_read` (no
    /// computed amounts, no lines): what the rating push needs for thousands of orders.
    /// The returned orders carry only those fields.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "search_read"))]
    pub async fn windows_of(&self, ids: &[SaleOrderId]) -> Result<Vec<SaleOrder>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.client
            .orm()
            .search_read(
                ORDER,
                json!([["id", "in", ids]]),
                WINDOW_FIELDS,
                &SearchOptions::ordered("id asc"),
            )
            .await?
            .iter()
            .map(SaleOrder::from_window_record)
            .collect()
    }

    /// [`Subscriptions::windows_of`] for one order; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn window_of(&self, id: SaleOrderId) -> Result<Option<SaleOrder>, OdooError> {
        Ok(self.windows_of(&[id]).await?.into_iter().next())
    }

    /// Orders (subscriptions or not, any state) whose source document (`origin`) is `origin`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn find_by_origin(&self, origin: &str) -> Result<Vec<SaleOrder>, OdooError> {
        self.orders(
            json!([["origin", "=", origin]]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// The orders with these ids (missing ones are absent), in one `search_read`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn get_many(&self, ids: &[SaleOrderId]) -> Result<Vec<SaleOrder>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.orders(
            json!([["id", "in", ids]]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Subscriptions whose customer reference (`client_order_ref`) is `reference`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn find_by_reference(&self, reference: &str) -> Result<Vec<SaleOrder>, OdooError> {
        self.orders(
            json!([
                ["is_subscription", "=", true],
                ["client_order_ref", "=", reference]
            ]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Subscriptions changed at or after `since` (UTC, inclusive; poll with an overlap window and
    /// de-duplicate), oldest first, at most `limit`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn changed_since(
        &self,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<SaleOrder>, OdooError> {
        self.orders(
            json!([
                ["is_subscription", "=", true],
                ["write_date", ">=", to_odoo_datetime(since)]
            ]),
            &SearchOptions {
                limit: Some(limit),
                order: Some("write_date asc, id asc".into()),
                ..SearchOptions::default()
            },
        )
        .await
    }

    /// The ids of the orders named (`name`, e.g. `S00042`) in `names`, by name; names without
    /// an order are absent.
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "search_read"))]
    pub async fn ids_by_name(
        &self,
        names: &[String],
    ) -> Result<std::collections::HashMap<String, SaleOrderId>, OdooError> {
        let orders = self
            .client
            .orm()
            .search_read(
                ORDER,
                json!([["name", "in", names]]),
                &["name"],
                &SearchOptions::default(),
            )
            .await?;
        let mut by_name = std::collections::HashMap::new();
        for o in &orders {
            if let (Ok(id), Ok(Some(name))) = (o.id(), o.str("name")) {
                by_name.insert(name, SaleOrderId(id));
            }
        }
        Ok(by_name)
    }

    /// The absolute customer-portal URL of the order (`get_portal_url`,
    /// `addons/portal/models/portal_mixin.py`) joined to the Odoo base URL; the bare path when
    /// it does not join, an empty path when Odoo answers no string.
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "get_portal_url"))]
    pub async fn portal_url(&self, id: SaleOrderId) -> Result<String, OdooError> {
        let v = self
            .client
            .orm()
            .call(Call::new(ORDER, "get_portal_url").ids([id.0]))
            .await?;
        let path = v.as_str().unwrap_or_default();
        Ok(self
            .client
            .base_url()
            .join(path)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| path.to_string()))
    }
}
