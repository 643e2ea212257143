//! Identity resolution: one `res.partner` per real client across apps.
//!
//! For a new customer link (service, `external_id`) the partner is, in order:
//! 1. the partner a previous, interrupted attempt created (its `ref` is
//!    [`partner_reference`]), so a retry never creates a second one;
//! 2. the first match of `customers.partner_match` (default `vat,email`): an active partner
//!    with the same Tax ID, then one with the same email ignoring case;
//! 3. a new partner.
//!
//! A matched partner is shared: the new app fills only the partner fields that are empty, so
//! one app cannot overwrite what another (or finance) wrote. Through its own link an app
//! later updates the fields it sends.

use super::customers::{partner_name, partner_values, CustomerAttributes, CustomerChanges};
use super::error::BridgeError;
use super::Bridge;
use crate::configuration::PartnerMatch;
use crate::meter::tenants::ServiceRef;
use crate::odoo::partners::{Partner, PartnerValues};
use crate::odoo::PartnerId;

/// `ref` of a partner the gateway created for (service, `external_id`):
/// `fusion:<service name>:<external_id>`.
pub fn partner_reference(service: &ServiceRef, external_id: &str) -> String {
    format!("fusion:{}:{external_id}", service.name)
}

fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Keeps only the values whose partner field is empty.
fn only_empty(v: PartnerValues, p: &Partner) -> PartnerValues {
    let empty = |s: &Option<String>| !matches!(s.as_deref(), Some(t) if !t.trim().is_empty());
    PartnerValues {
        name: None,
        email: v.email.filter(|_| empty(&p.email)),
        street: v.street.filter(|_| empty(&p.street)),
        street2: v.street2.filter(|_| empty(&p.street2)),
        city: v.city.filter(|_| empty(&p.city)),
        zip: v.zip.filter(|_| empty(&p.zip)),
        country_code: v.country_code.filter(|_| p.country.is_none()),
        state: v.state.filter(|_| p.state.is_none()),
        vat: v.vat.filter(|_| empty(&p.vat)),
        lang: None,
        phone: v.phone.filter(|_| empty(&p.phone)),
        reference: None,
        is_company: None,
    }
}

/// Finds or creates the partner of a new customer link (see the module doc): `changes` are
/// the upsert's, `attrs` the attributes they make.
///
/// # Errors
/// Odoo unavailable or refusing; nothing is linked locally by this function.
pub async fn resolve_partner(
    bridge: &Bridge,
    service: &ServiceRef,
    external_id: &str,
    changes: &CustomerChanges,
    attrs: &CustomerAttributes,
) -> Result<PartnerId, BridgeError> {
    let odoo = bridge.odoo.client().await?;
    let partners = odoo.partners();
    let reference = partner_reference(service, external_id);
    let values = partner_values(changes, attrs, external_id);
    if let Some(p) = partners
        .find_by_reference(&reference)
        .await?
        .into_iter()
        .next()
    {
        partners.update(p.id, &values).await?;
        return Ok(p.id);
    }
    for key in &bridge.partner_match {
        let found = match key {
            PartnerMatch::Vat => match text(&attrs.tax_identification_number) {
                Some(vat) => partners.find_by_vat(vat).await?,
                None => continue,
            },
            PartnerMatch::Email => match text(&attrs.email) {
                Some(email) => partners.find_by_email(email).await?,
                None => continue,
            },
        };
        if let Some(p) = found.into_iter().min_by_key(|p| p.id.0) {
            tracing::info!(service = %service.name, partner_id = p.id.0, rule = ?key, "customer matched an existing partner");
            partners.update(p.id, &only_empty(values, &p)).await?;
            return Ok(p.id);
        }
    }
    let mut create = values;
    create.name = Some(partner_name(attrs, external_id));
    create.reference = Some(reference);
    Ok(partners.create(&create).await?)
}
