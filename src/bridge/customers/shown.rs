//! Customers as the API shows them: the partner fields as Odoo holds them, the other Lago
//! attributes as the app sent them (`GET /customers`, the answer of `POST /customers`), and
//! the checkout page of a customer.

use super::{attributes, CustomerUpsert};
use crate::bridge::customer_repo::CustomerRow;
use crate::bridge::error::BridgeError;
use crate::bridge::subscription_repo::SubscriptionFilter;
use crate::bridge::Bridge;
use crate::lago::error_code::FieldCode;
use crate::meter::tenants::ServiceRef;
use crate::odoo::partners::Partner;
use crate::odoo::{PartnerId, SaleOrderId};

/// The trimmed, non-empty value of an Odoo field.
fn odoo_text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// `row` as `GET /customers` shows it: the partner fields (name, e-mail, address, country,
/// Tax ID, phone) as Odoo holds them on its `res.partner`, which may be shared with other apps
/// (see [`crate::bridge::partner_ownership`]); the other Lago attributes as the app sent
/// them. Without the partner (Odoo unreachable) the row is shown as stored.
pub fn with_partner(row: &CustomerRow, partner: Option<&Partner>) -> CustomerRow {
    let Some(p) = partner else {
        return row.clone();
    };
    let mut a = attributes(row);
    // The partner's name is the Lago `name`, unless the app names its customer by parts
    // (`firstname`/`lastname`, kept as sent).
    let blank = |v: &Option<String>| v.as_deref().map_or(true, str::is_empty);
    let named_by_parts = blank(&a.name) && blank(&a.legal_name);
    a.email = odoo_text(&p.email);
    a.address_line1 = odoo_text(&p.street);
    a.address_line2 = odoo_text(&p.street2);
    a.city = odoo_text(&p.city);
    a.zipcode = odoo_text(&p.zip);
    a.country = odoo_text(&p.country_code);
    a.tax_identification_number = odoo_text(&p.vat);
    a.phone = odoo_text(&p.phone);
    if !named_by_parts {
        a.name = odoo_text(&p.name);
    }
    CustomerRow {
        attributes: a.to_stored(),
        ..row.clone()
    }
}

/// What `POST /customers/{external_id}/checkout_url` answers.
#[derive(Debug, Clone)]
pub struct CustomerCheckout {
    pub customer: CustomerRow,
    /// The Odoo portal page of the customer's newest live subscription with this app.
    pub checkout_url: String,
    /// `billing_configuration.payment_provider_code` as the app sent it.
    pub payment_provider_code: Option<String>,
}

impl Bridge {
    /// The rows as `GET /customers` shows them ([`with_partner`]), reading their partners
    /// from Odoo in one call; as stored when Odoo cannot be reached (logged).
    pub async fn shown_customers(&self, rows: &[CustomerRow]) -> Vec<CustomerRow> {
        let ids: Vec<PartnerId> = rows.iter().map(|r| PartnerId(r.partner_id)).collect();
        let partners = match self.odoo.client().await {
            Ok(c) => c.partners().get_many(&ids).await.map_err(BridgeError::from),
            Err(e) => Err(e),
        };
        let partners = partners.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read partners; customers shown as stored");
            Vec::new()
        });
        rows.iter()
            .map(|r| with_partner(r, partners.iter().find(|p| p.id.0 == r.partner_id)))
            .collect()
    }

    /// One row as shown ([`Self::shown_customers`]).
    async fn shown_customer_row(&self, row: CustomerRow) -> CustomerRow {
        self.shown_customers(std::slice::from_ref(&row))
            .await
            .pop()
            .unwrap_or(row)
    }

    /// `POST /customers`: [`Self::upsert_customer`], then the customer as shown.
    ///
    /// # Errors
    /// As [`Self::upsert_customer`].
    pub async fn upsert_shown_customer(
        &self,
        service: &ServiceRef,
        cmd: &CustomerUpsert,
    ) -> Result<CustomerRow, BridgeError> {
        let (row, _) = self.upsert_customer(service, cmd).await?;
        Ok(self.shown_customer_row(row).await)
    }

    /// `GET /customers/{external_id}`: the live customer as shown.
    ///
    /// # Errors
    /// `customer_not_found`; store errors.
    pub async fn shown_customer(
        &self,
        service: &ServiceRef,
        external_id: &str,
    ) -> Result<CustomerRow, BridgeError> {
        let row = self.customer(service, external_id).await?;
        Ok(self.shown_customer_row(row).await)
    }

    /// `GET /customers`: one page (`limit`, `offset`) of the live customers of `service`,
    /// optionally only `external_id`, as shown, and the total count.
    ///
    /// # Errors
    /// Store errors.
    pub async fn shown_customer_page(
        &self,
        service: &ServiceRef,
        external_id: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CustomerRow>, i64), BridgeError> {
        let (rows, total) = self
            .store
            .customers()
            .list_customers(service.id, external_id, limit, offset)
            .await
            .map_err(BridgeError::Store)?;
        Ok((self.shown_customers(&rows).await, total))
    }

    /// `POST /customers/{external_id}/checkout_url`: the Odoo portal page of the customer's
    /// newest active or pending subscription with this app, where the customer pays and
    /// saves a payment method through Odoo's payment providers.
    ///
    /// # Errors
    /// `customer_not_found`; `base` `no_linked_payment_provider` when the customer has no
    /// such subscription yet; Odoo unavailable or refusing; store errors.
    pub async fn customer_checkout(
        &self,
        service: &ServiceRef,
        external_id: &str,
    ) -> Result<CustomerCheckout, BridgeError> {
        let customer = self.customer(service, external_id).await?;
        let filter = SubscriptionFilter {
            customer_id: Some(customer.lago_id.clone()),
            statuses: vec!["active".into(), "pending".into()],
            ..SubscriptionFilter::default()
        };
        let (subs, _) = self
            .store
            .subscriptions()
            .list_subscriptions(service.id, &filter, 1, 0)
            .await
            .map_err(BridgeError::Store)?;
        let order = subs
            .first()
            .and_then(|s| s.sale_order_id)
            .ok_or_else(|| BridgeError::field("base", FieldCode::NoLinkedPaymentProvider))?;
        let checkout_url = self.subscription_portal_url(SaleOrderId(order)).await?;
        let payment_provider_code = attributes(&customer)
            .billing_configuration
            .and_then(|b| b.payment_provider_code);
        Ok(CustomerCheckout {
            customer,
            checkout_url,
            payment_provider_code,
        })
    }
}
