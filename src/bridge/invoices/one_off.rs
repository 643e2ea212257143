//! `POST /invoices`: one-off invoices from add-on fees, posted in Odoo.

use rust_decimal::Decimal;

use super::{addon_product_code, one_off_reference, InvoiceView};
use crate::billing::money::Currency;
use crate::bridge::customer_repo::CustomerRow;
use crate::bridge::error::BridgeError;
use crate::bridge::invoice_repo::{invoice_lago_id, InvoiceRow};
use crate::bridge::Bridge;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::tenants::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::catalogue::{Currency as OdooCurrency, ProductValues};
use crate::odoo::invoices::{MoveState, MoveType, NewInvoice, NewInvoiceLine};
use crate::odoo::{MoveId, OdooClient, PartnerId, ProductId};

/// A one-off invoice to create (parsed by [`crate::lago::invoice_request::one_off_invoice`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OneOffInvoice {
    /// The customer's `external_id`.
    pub external_customer_id: String,
    /// ISO code the app expects; must be the company's (and the customer's, when set).
    pub currency: Option<String>,
    /// The add-on fees, at least one.
    pub fees: Vec<OneOffFee>,
}

/// One add-on fee of a [`OneOffInvoice`].
#[derive(Debug, Clone, PartialEq)]
pub struct OneOffFee {
    /// The add-on code (the Odoo product `FC-<service>-addon-<code>`).
    pub add_on_code: String,
    /// Unit price, minor units of the company currency, ≥ 0.
    pub unit_amount_cents: i64,
    /// Quantity, > 0; `unit_amount_cents × units` is within [`crate::limits::MAX_AMOUNT_CENTS`].
    pub units: Decimal,
    /// The line label: `description`, else `invoice_display_name`, else the code.
    pub label: String,
    /// The product's name when it is created (Lago `invoice_display_name`).
    pub invoice_display_name: Option<String>,
}

impl Bridge {
    /// `POST /invoices`: a one-off invoice from add-on fees, posted in Odoo with the products'
    /// taxes. `request_id` keys the Odoo `ref`, so a retry with the same id (the
    /// `Idempotency-Key`) resumes instead of creating a second move. Each add-on code maps to
    /// the service product `FC-<service>-addon-<code>`, created on first use.
    ///
    /// # Errors
    /// 404 `customer_not_found`; 422 `currency` `currencies_does_not_match`; Odoo unavailable
    /// or refusing.
    pub async fn create_one_off_invoice(
        &self,
        service: &ServiceRef,
        invoice: &OneOffInvoice,
        request_id: &str,
    ) -> Result<InvoiceView, BridgeError> {
        let customer = self
            .store
            .customers()
            .customer_by_external(service.id, &invoice.external_customer_id)
            .await?
            .ok_or(BridgeError::NotFound(ErrorCode::CustomerNotFound))?;
        let c = self.odoo.client().await?;
        // The move is in the company's currency (`currency: None` below): the add-ons'
        // `unit_amount_cents` are minor units of it.
        let company = c.catalogue().company_currency().await?;
        check_currency(invoice.currency.as_deref(), &company, &customer)?;
        let currency = Currency::parse_or_home(Some(&company.code));
        let move_id = self
            .one_off_move(service, &c, &customer, &invoice.fees, currency, request_id)
            .await?;
        let inv = c.invoices();
        if inv
            .get(move_id)
            .await?
            .is_some_and(|m| m.state == MoveState::Draft)
        {
            inv.post(move_id).await?;
        }
        let now = now_micros();
        let row = self
            .store
            .invoices()
            .upsert_invoice(&InvoiceRow {
                lago_id: invoice_lago_id(service.id, move_id.0),
                service_id: service.id,
                move_id: move_id.0,
                invoice_type: "one_off".into(),
                customer_id: customer.lago_id.clone(),
                subscription_id: None,
                metadata: "[]".into(),
                created_at: now,
                updated_at: now,
            })
            .await?;
        tracing::info!(service = %service.name, move_id = move_id.0, "one-off invoice posted in Odoo");
        self.invoice_views(service, &c, vec![row], Some(&[][..]))
            .await?
            .into_iter()
            .next()
            .ok_or(BridgeError::NotFound(ErrorCode::InvoiceNotFound))
    }

    /// The move of request `request_id`: the one an earlier attempt wrote (found by `ref`,
    /// not cancelled), else a new draft with one line per fee.
    async fn one_off_move(
        &self,
        service: &ServiceRef,
        c: &OdooClient,
        customer: &CustomerRow,
        fees: &[OneOffFee],
        currency: Currency,
        request_id: &str,
    ) -> Result<MoveId, BridgeError> {
        let reference = one_off_reference(request_id);
        let inv = c.invoices();
        let existing = inv
            .by_reference(&reference)
            .await?
            .into_iter()
            .find(|m| m.move_type == MoveType::Invoice && m.state != MoveState::Cancelled);
        if let Some(m) = existing {
            return Ok(m.id);
        }
        let mut lines = Vec::with_capacity(fees.len());
        for f in fees {
            let price_unit = currency.from_minor(f.unit_amount_cents);
            let product = self
                .addon_product(
                    service,
                    c,
                    &f.add_on_code,
                    f.invoice_display_name.as_deref(),
                    price_unit,
                )
                .await?;
            lines.push(NewInvoiceLine {
                product: Some(product),
                name: Some(f.label.clone()),
                quantity: f.units,
                price_unit,
                taxes: None,
            });
        }
        Ok(inv
            .create(&NewInvoice {
                partner: PartnerId(customer.partner_id),
                currency: None,
                invoice_date: None,
                reference: Some(reference),
                origin: None,
                lines,
            })
            .await?)
    }

    /// The service product of an add-on code (found by `default_code`, created on first use
    /// with `list_price`, major units of the company currency).
    async fn addon_product(
        &self,
        service: &ServiceRef,
        c: &OdooClient,
        code: &str,
        display: Option<&str>,
        list_price: Decimal,
    ) -> Result<ProductId, BridgeError> {
        let default_code = addon_product_code(service, code);
        let cat = c.catalogue();
        if let Some(p) = cat
            .find_products_by_code(&default_code)
            .await?
            .into_iter()
            .next()
        {
            return Ok(p.id);
        }
        Ok(cat
            .create_service_product(&ProductValues {
                name: Some(
                    display
                        .map(String::from)
                        .unwrap_or_else(|| format!("{code} ({})", service.name)),
                ),
                default_code: Some(default_code),
                list_price: Some(list_price),
                ..ProductValues::default()
            })
            .await?)
    }
}

/// A `currency` sent with a one-off invoice must be the company's (the move's) and, when the
/// customer has one, the customer's.
fn check_currency(
    requested: Option<&str>,
    company: &OdooCurrency,
    customer: &CustomerRow,
) -> Result<(), BridgeError> {
    let Some(cur) = requested else {
        return Ok(());
    };
    let customer_cur = crate::bridge::customers::attributes(customer)
        .currency
        .map(|c| c.to_uppercase())
        .filter(|s| !s.is_empty());
    if !cur.eq_ignore_ascii_case(&company.code)
        || customer_cur.is_some_and(|cc| !cc.eq_ignore_ascii_case(cur))
    {
        return Err(BridgeError::field(
            "currency",
            FieldCode::CurrenciesDoesNotMatch,
        ));
    }
    Ok(())
}
