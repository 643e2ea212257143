//! `invoices` and `credit_notes` tables (migration 0005): the stable Lago ids of the Odoo
//! customer invoices (`account.move` `out_invoice`) and credit notes (`out_refund`) a service
//! may see, plus the Lago attributes Odoo has no field for (invoice metadata, credit note
//! reason and items). The money itself is always read from Odoo.

use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::dispatch;
use crate::meter::{Store, StoreError};

/// A stored invoice link. Times are Unix microseconds UTC.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct InvoiceRow {
    /// Lago `lago_id`, derived from (service, move id) by [`invoice_lago_id`].
    pub lago_id: String,
    /// Owning service (tenant).
    pub service_id: i64,
    /// Odoo `account.move` id.
    pub move_id: i64,
    /// Lago `invoice_type`: `subscription` or `one_off`.
    pub invoice_type: String,
    /// Customer `lago_id`.
    pub customer_id: String,
    /// Subscription `lago_id` (subscription invoices).
    pub subscription_id: Option<String>,
    /// JSON array of Lago metadata entries `{"lago_id","key","value","created_at"}`.
    pub metadata: String,
    /// When the link was stored (discovery or creation).
    pub created_at: i64,
    /// Last local change (metadata).
    pub updated_at: i64,
}

/// A stored credit note. Amounts are cents of the invoice currency.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CreditNoteRow {
    /// Lago `lago_id`.
    pub lago_id: String,
    /// Owning service (tenant).
    pub service_id: i64,
    /// Invoice `lago_id`.
    pub invoice_id: String,
    /// Odoo `account.move` id of the `out_refund`.
    pub move_id: i64,
    /// Lago reason (`duplicated_charge`, `other`, …).
    pub reason: String,
    /// Free text from the request.
    pub description: Option<String>,
    /// Part of the total given as credit (taxes included).
    pub credit_amount_cents: i64,
    /// Part of the total to refund (taxes included).
    pub refund_amount_cents: i64,
    /// JSON array `[{"lago_id","fee_id","amount_cents"}]` (amounts excluding taxes).
    pub items: String,
    /// Set when voided.
    pub voided_at: Option<i64>,
    /// When it was stored (after posting in Odoo).
    pub created_at: i64,
    /// Last local change (void).
    pub updated_at: i64,
}

/// A deterministic UUID (version-5 layout over SHA-256) of `parts`: the same inputs give the
/// same id on every replica, so concurrent discoveries agree.
pub fn stable_uuid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).to_string()
}

/// The Lago id of Odoo move `move_id` as seen by service `service_id`.
pub fn invoice_lago_id(service_id: i64, move_id: i64) -> String {
    stable_uuid(&["invoice", &service_id.to_string(), &move_id.to_string()])
}

/// The Lago id of a fee: one per invoice line (`account.move.line` id), stable.
pub fn fee_lago_id(invoice_lago_id: &str, line_id: i64) -> String {
    stable_uuid(&["fee", invoice_lago_id, &line_id.to_string()])
}

const INV_COLUMNS: &str = "lago_id, service_id, move_id, invoice_type, customer_id, \
     subscription_id, metadata, created_at, updated_at";
const CN_COLUMNS: &str = "lago_id, service_id, invoice_id, move_id, reason, description, \
     credit_amount_cents, refund_amount_cents, items, voided_at, created_at, updated_at";

impl InvoiceRepo<'_> {
    /// Inserts an invoice link unless (service, move) is already known; returns the stored row.
    ///
    /// # Errors
    /// Store errors.
    pub async fn upsert_invoice(&self, r: &InvoiceRow) -> Result<InvoiceRow, StoreError> {
        let sql = format!(
            "INSERT INTO invoices ({INV_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) \
             ON CONFLICT DO NOTHING"
        );
        dispatch!(self.0, |p| sqlx::query(&sql)
            .bind(&r.lago_id)
            .bind(r.service_id)
            .bind(r.move_id)
            .bind(&r.invoice_type)
            .bind(&r.customer_id)
            .bind(&r.subscription_id)
            .bind(&r.metadata)
            .bind(r.created_at)
            .bind(r.updated_at)
            .execute(p)
            .await
            .map(|_| ())?);
        Ok(self
            .invoice_by_move(r.service_id, r.move_id)
            .await?
            .unwrap_or_else(|| r.clone()))
    }

    /// The invoice of `service_id` for Odoo move `move_id`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn invoice_by_move(
        &self,
        service_id: i64,
        move_id: i64,
    ) -> Result<Option<InvoiceRow>, StoreError> {
        let sql =
            format!("SELECT {INV_COLUMNS} FROM invoices WHERE service_id = $1 AND move_id = $2");
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(move_id)
            .fetch_optional(p)
            .await?))
    }

    /// The invoice `lago_id` of `service_id`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn invoice_by_id(
        &self,
        service_id: i64,
        lago_id: &str,
    ) -> Result<Option<InvoiceRow>, StoreError> {
        let sql =
            format!("SELECT {INV_COLUMNS} FROM invoices WHERE service_id = $1 AND lago_id = $2");
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(lago_id)
            .fetch_optional(p)
            .await?))
    }

    /// Every invoice link of `service_id`, oldest first.
    ///
    /// # Errors
    /// Store errors.
    pub async fn invoices_of_service(
        &self,
        service_id: i64,
    ) -> Result<Vec<InvoiceRow>, StoreError> {
        let sql = format!(
            "SELECT {INV_COLUMNS} FROM invoices WHERE service_id = $1 ORDER BY move_id ASC"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .fetch_all(p)
            .await?))
    }

    /// Replaces the metadata JSON of an invoice.
    ///
    /// # Errors
    /// Store errors.
    pub async fn set_invoice_metadata(
        &self,
        service_id: i64,
        lago_id: &str,
        metadata: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self.0, |p| {
            sqlx::query(
            "UPDATE invoices SET metadata = $1, updated_at = $2 WHERE service_id = $3 AND lago_id = $4"
        )
        .bind(metadata)
        .bind(now)
        .bind(service_id)
        .bind(lago_id)
        .execute(p)
        .await
        .map(|_| ())?
        });
        Ok(())
    }

    /// Inserts a credit note unless (service, move) is known; returns the stored row.
    ///
    /// # Errors
    /// Store errors.
    pub async fn insert_credit_note(&self, r: &CreditNoteRow) -> Result<CreditNoteRow, StoreError> {
        let sql = format!(
            "INSERT INTO credit_notes ({CN_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) \
             ON CONFLICT DO NOTHING"
        );
        dispatch!(self.0, |p| sqlx::query(&sql)
            .bind(&r.lago_id)
            .bind(r.service_id)
            .bind(&r.invoice_id)
            .bind(r.move_id)
            .bind(&r.reason)
            .bind(&r.description)
            .bind(r.credit_amount_cents)
            .bind(r.refund_amount_cents)
            .bind(&r.items)
            .bind(r.voided_at)
            .bind(r.created_at)
            .bind(r.updated_at)
            .execute(p)
            .await
            .map(|_| ())?);
        let sql =
            format!("SELECT {CN_COLUMNS} FROM credit_notes WHERE service_id = $1 AND move_id = $2");
        let row: Option<CreditNoteRow> = dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(r.service_id)
            .bind(r.move_id)
            .fetch_optional(p)
            .await?);
        Ok(row.unwrap_or_else(|| r.clone()))
    }

    /// The credit note `lago_id` of `service_id`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn credit_note_by_id(
        &self,
        service_id: i64,
        lago_id: &str,
    ) -> Result<Option<CreditNoteRow>, StoreError> {
        let sql =
            format!("SELECT {CN_COLUMNS} FROM credit_notes WHERE service_id = $1 AND lago_id = $2");
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(lago_id)
            .fetch_optional(p)
            .await?))
    }

    /// Credit notes of `service_id`, optionally of one invoice, oldest first.
    ///
    /// # Errors
    /// Store errors.
    pub async fn credit_notes_of(
        &self,
        service_id: i64,
        invoice_id: Option<&str>,
    ) -> Result<Vec<CreditNoteRow>, StoreError> {
        let filter = if invoice_id.is_some() {
            "AND invoice_id = $2"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {CN_COLUMNS} FROM credit_notes WHERE service_id = $1 {filter} \
             ORDER BY created_at ASC, lago_id ASC"
        );
        Ok(dispatch!(self.0, |p| {
            let mut q = sqlx::query_as(&sql).bind(service_id);
            if let Some(i) = invoice_id {
                q = q.bind(i);
            }
            q.fetch_all(p).await?
        }))
    }

    /// Marks a credit note voided at `now`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn void_credit_note(
        &self,
        service_id: i64,
        lago_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self.0, |p| {
            sqlx::query(
            "UPDATE credit_notes SET voided_at = $1, updated_at = $1 WHERE service_id = $2 AND lago_id = $3"
        )
        .bind(now)
        .bind(service_id)
        .bind(lago_id)
        .execute(p)
        .await
        .map(|_| ())?
        });
        Ok(())
    }
}

impl InvoiceRepo<'_> {
    /// Invoice links (any service) of these Odoo moves.
    ///
    /// # Errors
    /// Store errors.
    pub async fn invoice_rows_by_moves(
        &self,
        moves: &[i64],
    ) -> Result<Vec<InvoiceRow>, StoreError> {
        if moves.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=moves.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {INV_COLUMNS} FROM invoices WHERE move_id IN ({})",
            marks.join(",")
        );
        Ok(dispatch!(self.0, |p| {
            let mut q = sqlx::query_as(&sql);
            for m in moves {
                q = q.bind(m);
            }
            q.fetch_all(p).await?
        }))
    }

    /// Credit notes (any service) of these Odoo moves (`out_refund`).
    ///
    /// # Errors
    /// Store errors.
    pub async fn credit_note_rows_by_moves(
        &self,
        moves: &[i64],
    ) -> Result<Vec<CreditNoteRow>, StoreError> {
        if moves.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=moves.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {CN_COLUMNS} FROM credit_notes WHERE move_id IN ({})",
            marks.join(",")
        );
        Ok(dispatch!(self.0, |p| {
            let mut q = sqlx::query_as(&sql);
            for m in moves {
                q = q.bind(m);
            }
            q.fetch_all(p).await?
        }))
    }
}

/// Amounts being credited on an invoice while its credit note is written to Odoo
/// (`credit_reservations`, migration 0010): they count as credited until the credit note
/// row replaces them (see `super::credit_notes`).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CreditReservation {
    /// The credit note's `lago_id` (derived from the request id).
    pub lago_id: String,
    /// Owning service.
    pub service_id: i64,
    /// The credited invoice's `lago_id`.
    pub invoice_id: String,
    /// JSON `[{"fee_id","amount_cents"}]`, as a credit note's `items`.
    pub items: String,
    /// Unix microseconds (UTC).
    pub created_at: i64,
}

impl InvoiceRepo<'_> {
    /// Reserves the amounts of credit note `r.lago_id` (no-op when already reserved).
    ///
    /// # Errors
    /// Store errors.
    pub async fn reserve_credit(&self, r: &CreditReservation) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "INSERT INTO credit_reservations (lago_id, service_id, invoice_id, items, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (lago_id) DO NOTHING"
        )
        .bind(&r.lago_id)
        .bind(r.service_id)
        .bind(&r.invoice_id)
        .bind(&r.items)
        .bind(r.created_at)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Drops the reservation of credit note `lago_id` (written, or failed before Odoo posted).
    ///
    /// # Errors
    /// Store errors.
    pub async fn release_credit(&self, lago_id: &str) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "DELETE FROM credit_reservations WHERE lago_id = $1"
        )
        .bind(lago_id)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// The reservations of `service_id`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn credit_reservations(
        &self,
        service_id: i64,
    ) -> Result<Vec<CreditReservation>, StoreError> {
        Ok(dispatch!(self.0, |p| sqlx::query_as(
            "SELECT lago_id, service_id, invoice_id, items, created_at \
             FROM credit_reservations WHERE service_id = $1"
        )
        .bind(service_id)
        .fetch_all(p)
        .await?))
    }
}

/// Repository of invoices and their credit notes (tables `invoices`, `credit_notes`, `credit_reservations`): a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct InvoiceRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of invoices and their credit notes.
    pub fn invoices(&self) -> InvoiceRepo<'_> {
        InvoiceRepo(self)
    }
}
