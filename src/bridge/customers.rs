//! Lago customers on Odoo partners (API-NOTES §1; `api:app/services/customers/
//! upsert_from_api_service.rb`, `app/serializers/v1/customer_serializer.rb`).
//!
//! `POST /customers` is an upsert by `external_id`: only the keys present change. The first
//! upsert of an `external_id` finds or creates its `res.partner` ([`super::identity`]); later
//! ones write the changed fields onto that partner. Odoo is written before the local link, and
//! a gateway-created partner carries a `ref` derived from the service and `external_id`, so a
//! retry after a failure finds it instead of creating a second one.

mod attributes;
mod shown;

pub use attributes::{
    Address, AddressPatch, BillingConfiguration, BillingConfigurationPatch, CustomerAttributes,
    CustomerChanges, CustomerUpsert, Metadata, MetadataValue, Patch,
};
pub use shown::{with_partner, CustomerCheckout};

use super::customer_repo::{CustomerRow, Inserted};
use super::error::BridgeError;
use super::identity;
use super::lease;
use super::partner_ownership;
use super::Bridge;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::tenants::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::partners::PartnerValues;
use crate::odoo::PartnerId;

fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// The partner's display name for these attributes: `name`, else `legal_name`, else
/// `firstname lastname`, else the `external_id`.
pub fn partner_name(attrs: &CustomerAttributes, external_id: &str) -> String {
    if let Some(n) = text(&attrs.name).or_else(|| text(&attrs.legal_name)) {
        return n.to_string();
    }
    let full: Vec<&str> = [&attrs.firstname, &attrs.lastname]
        .into_iter()
        .filter_map(text)
        .collect();
    if full.is_empty() {
        external_id.to_string()
    } else {
        full.join(" ")
    }
}

/// Odoo `lang` for a Lago `document_locale` (`fr` → `fr_CA`, `en` → `en_US`; a full code
/// such as `fr_FR` as is).
fn odoo_lang(locale: &str) -> Option<String> {
    match locale {
        "" => None,
        "en" => Some("en_US".into()),
        "fr" => Some("fr_CA".into()),
        l if l.len() == 5 && l.as_bytes()[2] == b'_' => Some(l.to_string()),
        _ => None,
    }
}

/// Partner values for the keys sent in `changes` (Lago → Odoo: `name`/`legal_name`/
/// `firstname lastname` → `name`, `address_line1/2` → `street/street2`, `zipcode` → `zip`,
/// `country` → `country_id`, `state` → `state_id` (the province, which picks the tax; see
/// `odoo::partners`), `tax_identification_number` → `vat`, `customer_type` →
/// `is_company`, `billing_configuration.document_locale` → `lang`). A field sent as `null`
/// is cleared (`""`). `merged` are the attributes after the change (for the name).
pub fn partner_values(
    changes: &CustomerChanges,
    merged: &CustomerAttributes,
    external_id: &str,
) -> PartnerValues {
    let field = |p: &Patch<String>| -> Option<String> {
        p.is_sent()
            .then(|| p.value().map_or_else(String::new, String::clone))
    };
    let c = changes;
    let name_sent = [&c.name, &c.legal_name, &c.firstname, &c.lastname]
        .iter()
        .any(|p| p.is_sent());
    PartnerValues {
        name: name_sent.then(|| partner_name(merged, external_id)),
        email: field(&c.email),
        street: field(&c.address_line1),
        street2: field(&c.address_line2),
        city: field(&c.city),
        zip: field(&c.zipcode),
        country_code: field(&c.country).map(|c| c.to_uppercase()),
        state: field(&c.state),
        vat: field(&c.tax_identification_number),
        lang: c
            .billing_configuration
            .as_ref()
            .and_then(|b| b.document_locale.value())
            .and_then(|l| odoo_lang(l)),
        phone: field(&c.phone),
        reference: None,
        is_company: c
            .customer_type
            .is_sent()
            .then(|| c.customer_type.value().map(String::as_str) == Some("company")),
    }
}

/// The stored attributes of `row` (see [`CustomerAttributes`]).
pub fn attributes(row: &CustomerRow) -> CustomerAttributes {
    CustomerAttributes::from_stored(&row.attributes)
}

impl Bridge {
    /// `POST /customers`: creates or updates the customer `cmd.external_id` of `service`,
    /// with its partner in Odoo. Returns the row and whether it was created.
    ///
    /// # Errors
    /// `external_id` `value_is_mandatory` when blank; `value_owned_by_another_app` (see
    /// [`super::partner_ownership`]); [`BridgeError::OdooUnavailable`] when Odoo cannot be
    /// reached (nothing is stored locally then, and a retry is safe); Odoo refusals; store
    /// errors.
    pub async fn upsert_customer(
        &self,
        service: &ServiceRef,
        cmd: &CustomerUpsert,
    ) -> Result<(CustomerRow, bool), BridgeError> {
        if cmd.external_id.trim().is_empty() {
            return Err(BridgeError::field(
                "external_id",
                FieldCode::ValueIsMandatory,
            ));
        }
        let name = lease::names::customer(service.id, &cmd.external_id);
        self.under_lease(name, || {
            self.upsert_locked(service, &cmd.external_id, &cmd.changes)
        })
        .await
    }

    async fn upsert_locked(
        &self,
        service: &ServiceRef,
        external_id: &str,
        changes: &CustomerChanges,
    ) -> Result<(CustomerRow, bool), BridgeError> {
        loop {
            if let Some(row) = self
                .store
                .customers()
                .customer_by_external(service.id, external_id)
                .await?
            {
                return Ok((self.update_linked(service, row, changes).await?, false));
            }
            if let Some(row) = self.link_new(service, external_id, changes).await? {
                return Ok((row, true));
            }
            // A concurrent upsert linked it first: apply ours as an update.
        }
    }

    /// Applies `changes` to a linked customer: its partner in Odoo (as far as this app may
    /// change it, see [`super::partner_ownership`]), then the stored attributes.
    async fn update_linked(
        &self,
        service: &ServiceRef,
        mut row: CustomerRow,
        changes: &CustomerChanges,
    ) -> Result<CustomerRow, BridgeError> {
        let before = attributes(&row);
        let mut attrs = before.clone();
        attrs.apply(changes);
        let mut values = partner_values(changes, &attrs, &row.external_id);
        if values != PartnerValues::default() {
            let odoo = self.odoo.client().await?;
            let partners = odoo.partners();
            let partner = partners.get(PartnerId(row.partner_id)).await?;
            let reference = identity::partner_reference(service, &row.external_id);
            // Another app's (or finance's) partner: fill empty fields only, refuse
            // changes (see `super::partner_ownership`).
            if let Some(p) = partner.filter(|p| !partner_ownership::owns(p, &reference)) {
                values = partner_ownership::non_owner_values(values, &p, &before)?;
            }
            if values != PartnerValues::default() {
                partners.update(PartnerId(row.partner_id), &values).await?;
            }
        }
        row.attributes = attrs.to_stored();
        row.updated_at = now_micros();
        self.store.customers().update_customer(&row).await?;
        Ok(row)
    }

    /// Links a new customer to its partner ([`identity::resolve_partner`]); `None` when a
    /// concurrent upsert linked it first.
    async fn link_new(
        &self,
        service: &ServiceRef,
        external_id: &str,
        changes: &CustomerChanges,
    ) -> Result<Option<CustomerRow>, BridgeError> {
        let mut attrs = CustomerAttributes::default();
        attrs.apply(changes);
        let partner =
            identity::resolve_partner(self, service, external_id, changes, &attrs).await?;
        let now = now_micros();
        let row = CustomerRow {
            lago_id: uuid::Uuid::new_v4().to_string(),
            service_id: service.id,
            external_id: external_id.to_string(),
            partner_id: partner.0,
            attributes: attrs.to_stored(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
            sequential_id: 0,
        };
        match self.store.customers().insert_customer(&row).await? {
            Inserted::Yes => {
                let row = self
                    .store
                    .customers()
                    .customer_by_external(service.id, external_id)
                    .await?
                    .unwrap_or(row);
                tracing::info!(service = %service.name, partner_id = partner.0, "customer linked");
                Ok(Some(row))
            }
            Inserted::Conflict => Ok(None),
        }
    }

    /// The live customer `external_id` of `service`.
    ///
    /// # Errors
    /// `customer_not_found`; store errors.
    pub async fn customer(
        &self,
        service: &ServiceRef,
        external_id: &str,
    ) -> Result<CustomerRow, BridgeError> {
        self.store
            .customers()
            .customer_by_external(service.id, external_id)
            .await?
            .ok_or(BridgeError::NotFound(ErrorCode::CustomerNotFound))
    }

    /// `DELETE /customers/{external_id}`: terminates the customer's live subscriptions of this
    /// service in Odoo (`set_close`), then marks the link deleted. The `res.partner` stays: it
    /// is the accounting record and other apps may share it.
    ///
    /// # Errors
    /// `customer_not_found`; Odoo unavailable (nothing is marked deleted then); store errors.
    pub async fn delete_customer(
        &self,
        service: &ServiceRef,
        external_id: &str,
    ) -> Result<CustomerRow, BridgeError> {
        let name = lease::names::customer(service.id, external_id);
        self.under_lease(name, || self.delete_locked(service, external_id))
            .await
    }

    async fn delete_locked(
        &self,
        service: &ServiceRef,
        external_id: &str,
    ) -> Result<CustomerRow, BridgeError> {
        let mut row = self.customer(service, external_id).await?;
        self.terminate_customer_subscriptions(service, &row).await?;
        let now = now_micros();
        self.store
            .customers()
            .delete_customer(&row.lago_id, now)
            .await?;
        row.deleted_at = Some(now);
        row.updated_at = now;
        Ok(row)
    }
}
