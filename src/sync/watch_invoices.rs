//! The watcher's invoices and credit notes (`account.move` `out_invoice` / `out_refund`):
//!
//! | transition | webhook |
//! |---|---|
//! | an app's invoice first seen `finalized` (posted) | `invoice.created` |
//! | its `payment_status` changes after that | `invoice.payment_status_updated` |
//! | it becomes `voided` (cancelled) | `invoice.voided` |
//! | its due date passes unpaid | `invoice.payment_overdue` (checked every poll, since no write happens) |
//! | a credit note made through the API is posted | `credit_note.created` |
//!
//! The owner of a subscription invoice is the app whose subscription's `sale.order` name is
//! the invoice's `invoice_origin` (the invoice is linked for that app on first sight, as
//! `GET /invoices` does); one-off invoices and credit notes are linked when the API creates
//! them. Credit notes entered directly in Odoo are not reported.

use std::collections::HashMap;

use chrono::Utc;
use serde_json::{json, Value};

use super::watcher::{PollReport, Watcher, PAGE};
use crate::bridge::invoice_repo::InvoiceRow;
use crate::bridge::BridgeError;
use crate::meter::time::to_micros;
use crate::odoo::invoices::{Invoice, MoveType};
use crate::odoo::{MoveId, OdooClient};

impl Watcher {
    pub(crate) async fn poll_invoices(
        &self,
        c: &OdooClient,
        report: &mut PollReport,
    ) -> Result<(), BridgeError> {
        let a = self.bridge();
        let cursor = a.store.rating().cursor("watch.account.move").await?;
        let mut moves = c.invoices().changed_since(self.since(cursor), PAGE).await?;
        let newest = moves
            .iter()
            .filter_map(|m| m.write_date)
            .map(to_micros)
            .max()
            .unwrap_or(cursor)
            .max(cursor);
        let today = Utc::now().date_naive();
        let overdue_ids = c.invoices().overdue_ids(today, PAGE).await?;
        let extra: Vec<MoveId> = overdue_ids
            .into_iter()
            .filter(|id| !moves.iter().any(|m| m.id == *id))
            .collect();
        moves.extend(c.invoices().get_many(&extra).await?);
        let invoices: Vec<&Invoice> = moves
            .iter()
            .filter(|m| m.move_type == MoveType::Invoice)
            .collect();
        let refunds: Vec<&Invoice> = moves
            .iter()
            .filter(|m| m.move_type == MoveType::CreditNote)
            .collect();
        self.link_subscription_invoices(c, &invoices).await?;
        let ids: Vec<i64> = invoices.iter().map(|m| m.id.0).collect();
        for row in a.store.invoices().invoice_rows_by_moves(&ids).await? {
            report.examined += 1;
            self.invoice_transitions(c, row, report).await?;
        }
        let ids: Vec<i64> = refunds.iter().map(|m| m.id.0).collect();
        for row in a.store.invoices().credit_note_rows_by_moves(&ids).await? {
            report.examined += 1;
            if a.store
                .watch()
                .seen("credit_note", row.move_id)
                .await?
                .is_some()
            {
                continue;
            }
            let posted = refunds.iter().any(|m| {
                m.id.0 == row.move_id && matches!(m.state, crate::odoo::invoices::MoveState::Posted)
            });
            if !posted {
                continue;
            }
            let Some(service) = a.store.services().service_by_id(row.service_id).await? else {
                continue;
            };
            let (sid, move_id) = (service.id, row.move_id);
            let view = a.credit_note_view(&service, row).await?;
            let body = serde_json::json!(crate::lago::credit_note::CreditNote::from(&view));
            self.emit(
                report,
                ("credit_note", move_id, sid),
                "{\"status\":\"posted\"}",
                vec![("credit_note.created", body)],
            )
            .await?;
        }
        a.store
            .rating()
            .set_cursor("watch.account.move", newest)
            .await?;
        Ok(())
    }

    /// Links invoices whose `invoice_origin` names an app's subscription order.
    async fn link_subscription_invoices(
        &self,
        c: &OdooClient,
        invoices: &[&Invoice],
    ) -> Result<(), BridgeError> {
        let a = self.bridge();
        let known: Vec<i64> = a
            .store
            .invoices()
            .invoice_rows_by_moves(&invoices.iter().map(|m| m.id.0).collect::<Vec<_>>())
            .await?
            .iter()
            .map(|r| r.move_id)
            .collect();
        let unknown: Vec<&&Invoice> = invoices
            .iter()
            .filter(|m| !known.contains(&m.id.0) && m.origin.is_some())
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = unknown.iter().filter_map(|m| m.origin.clone()).collect();
        let by_name: HashMap<String, i64> = c
            .subscriptions()
            .ids_by_name(&names)
            .await?
            .into_iter()
            .map(|(name, id)| (name, id.0))
            .collect();
        let order_ids: Vec<i64> = by_name.values().copied().collect();
        let subs = a
            .store
            .subscriptions()
            .subscriptions_by_orders(&order_ids)
            .await?;
        for m in unknown {
            let Some(order) = m.origin.as_ref().and_then(|o| by_name.get(o)) else {
                continue;
            };
            let Some(sub) = subs.iter().find(|s| s.sale_order_id == Some(*order)) else {
                continue;
            };
            a.adopt_subscription_invoice(sub, m.id).await?;
        }
        Ok(())
    }

    async fn invoice_transitions(
        &self,
        c: &OdooClient,
        row: InvoiceRow,
        report: &mut PollReport,
    ) -> Result<(), BridgeError> {
        let a = self.bridge();
        let Some(service) = a.store.services().service_by_id(row.service_id).await? else {
            return Ok(());
        };
        let move_id = row.move_id;
        let Some(view) = a
            .invoice_views(&service, c, vec![row], None)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(());
        };
        let status = crate::bridge::invoices::lago_status(&view.mv);
        let payment = crate::bridge::invoices::lago_payment_status(&view.mv);
        let overdue = view.payment_overdue();
        let state = json!({"status": status, "payment_status": payment, "overdue": overdue});
        let before: Value = a
            .store
            .watch()
            .seen("invoice", move_id)
            .await?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null);
        if before == state {
            return Ok(());
        }
        let was = |k: &str| before[k].clone();
        let mut types: Vec<&'static str> = Vec::new();
        if status == "finalized"
            && was("status") != json!("finalized")
            && was("status") != json!("voided")
        {
            types.push("invoice.created");
        }
        if status == "finalized"
            && was("status") == json!("finalized")
            && was("payment_status") != json!(payment)
        {
            types.push("invoice.payment_status_updated");
        }
        if status == "voided" && was("status") != json!("voided") && !before.is_null() {
            types.push("invoice.voided");
        }
        if overdue && was("overdue") != json!(true) {
            types.push("invoice.payment_overdue");
        }
        let body = serde_json::json!(crate::lago::invoice::Invoice::from(&view));
        let events = types.into_iter().map(|t| (t, body.clone())).collect();
        self.emit(
            report,
            ("invoice", move_id, service.id),
            &state.to_string(),
            events,
        )
        .await
    }
}
