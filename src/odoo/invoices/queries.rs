//! Reads of moves and move lines.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::types::{LINE_FIELDS, POSTED_FIELDS};
use super::{customer_types, Invoice, InvoiceLine, Invoices, PostedMove, LINE, MOVE};
use crate::odoo::client::SearchOptions;
use crate::odoo::error::OdooError;
use crate::odoo::value::{to_odoo_date, to_odoo_datetime, MoveId, PartnerId};

impl Invoices<'_> {
    /// The move with this id; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn get(&self, id: MoveId) -> Result<Option<Invoice>, OdooError> {
        Ok(self
            .moves(json!([["id", "=", id.0]]), &SearchOptions::default())
            .await?
            .into_iter()
            .next())
    }

    /// Customer invoices and credit notes of a partner, newest first.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn of_partner(
        &self,
        partner: PartnerId,
        limit: Option<u64>,
    ) -> Result<Vec<Invoice>, OdooError> {
        self.moves(
            json!([["partner_id", "=", partner.0], customer_types()]),
            &SearchOptions {
                limit,
                order: Some("id desc".into()),
                ..SearchOptions::default()
            },
        )
        .await
    }

    /// Customer invoices and credit notes whose `invoice_origin` is `origin` (e.g. a sale order name).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn by_origin(&self, origin: &str) -> Result<Vec<Invoice>, OdooError> {
        self.moves(
            json!([["invoice_origin", "=", origin], customer_types()]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Customer invoices and credit notes changed at or after `since` (UTC, inclusive; Odoo stores
    /// second precision and the transaction start, so poll with an overlap and de-duplicate),
    /// ordered `write_date asc, id asc`, at most `limit`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn changed_since(
        &self,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Invoice>, OdooError> {
        self.moves(
            json!([
                ["write_date", ">=", to_odoo_datetime(since)],
                customer_types()
            ]),
            &SearchOptions {
                limit: Some(limit),
                order: Some("write_date asc, id asc".into()),
                ..SearchOptions::default()
            },
        )
        .await
    }

    /// The moves with these ids (missing ones are skipped), in id order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn get_many(&self, ids: &[MoveId]) -> Result<Vec<Invoice>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.moves(
            json!([["id", "in", ids]]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Customer invoices (`out_invoice`) whose `invoice_origin` is one of `origins` (sale order
    /// names), in id order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn invoices_of_origins(&self, origins: &[String]) -> Result<Vec<Invoice>, OdooError> {
        if origins.is_empty() {
            return Ok(Vec::new());
        }
        self.moves(
            json!([
                ["invoice_origin", "in", origins],
                ["move_type", "=", "out_invoice"]
            ]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Customer invoices and credit notes whose `ref` is exactly `reference` (how a retried
    /// create finds the move an interrupted attempt wrote), in id order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn by_reference(&self, reference: &str) -> Result<Vec<Invoice>, OdooError> {
        self.moves(
            json!([["ref", "=", reference], customer_types()]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Credit notes (`out_refund`) reversing any of `ids` (`reversed_entry_id`), in id order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn refunds_of(&self, ids: &[MoveId]) -> Result<Vec<Invoice>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.moves(
            json!([
                ["reversed_entry_id", "in", ids],
                ["move_type", "=", "out_refund"]
            ]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Product lines of several moves (sections, notes, tax and receivable lines excluded),
    /// ordered by move, sequence, id.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = LINE, method = "search_read"))]
    pub async fn product_lines_of(&self, ids: &[MoveId]) -> Result<Vec<InvoiceLine>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.client
            .orm()
            .search_read(
                LINE,
                json!([["move_id", "in", ids], ["display_type", "=", "product"]]),
                LINE_FIELDS,
                &SearchOptions::ordered("move_id asc, sequence asc, id asc"),
            )
            .await?
            .iter()
            .map(InvoiceLine::from_record)
            .collect()
    }

    /// Active saved payment methods (`payment.token`, `addons/payment/models/payment_token.py`)
    /// of a partner, newest first. A server without the `payment` module answers an error,
    /// which the caller may treat as "none".
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = "payment.token", method = "search"))]
    pub async fn payment_tokens(&self, partner: PartnerId) -> Result<Vec<i64>, OdooError> {
        self.client
            .orm()
            .search(
                "payment.token",
                json!([["partner_id", "=", partner.0], ["active", "=", true]]),
                &SearchOptions::ordered("id desc"),
            )
            .await
    }

    /// Product, section and note lines of a move, in order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = LINE, method = "search_read"))]
    pub async fn lines(&self, id: MoveId) -> Result<Vec<InvoiceLine>, OdooError> {
        self.client
            .orm()
            .search_read(
                LINE,
                json!([
                    ["move_id", "=", id.0],
                    [
                        "display_type",
                        "in",
                        ["product", "line_section", "line_subsection", "line_note"]
                    ]
                ]),
                LINE_FIELDS,
                &SearchOptions::ordered("sequence asc, id asc"),
            )
            .await?
            .iter()
            .map(InvoiceLine::from_record)
            .collect()
    }

    /// Ids of posted customer invoices (`out_invoice`) not or partly paid whose due date is
    /// before `today`, at most `limit`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search"))]
    pub async fn overdue_ids(
        &self,
        today: NaiveDate,
        limit: u64,
    ) -> Result<Vec<MoveId>, OdooError> {
        let ids = self
            .client
            .orm()
            .search(
                MOVE,
                json!([
                    ["move_type", "=", "out_invoice"],
                    ["state", "=", "posted"],
                    ["payment_state", "in", ["not_paid", "partial"]],
                    ["invoice_date_due", "<", to_odoo_date(today)]
                ]),
                &SearchOptions {
                    limit: Some(limit),
                    ..SearchOptions::default()
                },
            )
            .await?;
        Ok(ids.into_iter().map(MoveId).collect())
    }

    /// Every posted customer invoice and credit note of `partners` dated (`invoice_date`) from
    /// `from` to before `until`, read in pages of 500 by id.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn posted_between(
        &self,
        partners: &[PartnerId],
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<PostedMove>, OdooError> {
        let partner_ids: Vec<i64> = partners.iter().map(|p| p.0).collect();
        let domain = json!([
            ["move_type", "in", ["out_invoice", "out_refund"]],
            ["state", "=", "posted"],
            ["invoice_date", ">=", to_odoo_date(from)],
            ["invoice_date", "<", to_odoo_date(until)],
            ["partner_id", "in", partner_ids]
        ]);
        self.client
            .orm()
            .search_read_all(MOVE, domain, POSTED_FIELDS, 500, false)
            .await?
            .iter()
            .map(PostedMove::from_record)
            .collect()
    }

    /// The source document (`invoice_origin`, empty when unset) of each move among `ids`;
    /// no call when `ids` is empty.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn origins_of(
        &self,
        ids: &[MoveId],
    ) -> Result<std::collections::HashMap<MoveId, String>, OdooError> {
        let mut origins = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(origins);
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        for r in self
            .client
            .orm()
            .search_read(
                MOVE,
                json!([["id", "in", ids]]),
                &["invoice_origin"],
                &SearchOptions::default(),
            )
            .await?
        {
            origins.insert(
                MoveId(r.id()?),
                r.str("invoice_origin")?.unwrap_or_default(),
            );
        }
        Ok(origins)
    }
}
