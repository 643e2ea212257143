//! Lago customers on Odoo partners (API-NOTES §1; `api:app/services/customers/
//! upsert_from_api_service.rb`, `app/serializers/v1/customer_serializer.rb`).
//!
//! `POST /customers` is an upsert by `external_id`: only the keys present change. The first
//! upsert of an `external_id` finds or creates its `res.partner` ([`super::identity`]); later
//! ones write the changed fields onto that partner. Odoo is written before the local link, and
//! a gateway-created partner carries a `ref` derived from the service and `external_id`, so a
//! retry after a failure finds it instead of creating a second one.

use serde_json::{json, Map, Value};

use super::customer_repo::{CustomerRow, Inserted};
use super::error::AccountsError;
use super::identity;
use super::lease;
use super::partner_ownership;
use super::Accounts;
use crate::billing::money::Currency;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::services::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::partners::{Partner, PartnerValues};
use crate::odoo::PartnerId;

/// Text fields of the customer object copied as given (`null` clears them).
const TEXT_FIELDS: &[&str] = &[
    "name",
    "firstname",
    "lastname",
    "email",
    "phone",
    "url",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zipcode",
    "country",
    "legal_name",
    "legal_number",
    "tax_identification_number",
    "currency",
    "timezone",
    "customer_type",
    "external_salesforce_id",
    "finalize_zero_amount_invoice",
    "billing_entity_code",
];

/// Checks a `{"customer":{…}}` body and returns the permitted keys present in it.
///
/// # Errors
/// [`AccountsError::Validation`] with Lago's codes: `external_id` `value_is_mandatory`,
/// `email`/`country`/`currency`/`customer_type`/`net_payment_term` `value_is_invalid`
/// (Lago's `country_code_invalid` for an unknown country format), every error at once.
pub fn validate(input: &Map<String, Value>) -> Result<(String, Map<String, Value>), AccountsError> {
    let mut errors = Map::new();
    let mut add = |f: &str, c: FieldCode| {
        errors.insert(f.to_string(), json!([c]));
    };
    let external_id = match input.get("external_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            add("external_id", FieldCode::ValueIsMandatory);
            String::new()
        }
    };
    let mut out = Map::new();
    for key in TEXT_FIELDS {
        match input.get(*key) {
            None => {}
            Some(Value::Null) => {
                out.insert((*key).into(), Value::Null);
            }
            Some(Value::String(s)) => {
                out.insert((*key).into(), json!(s.trim()));
            }
            Some(Value::Number(n)) => {
                out.insert((*key).into(), json!(n.to_string()));
            }
            Some(_) => add(key, FieldCode::ValueIsInvalid),
        }
    }
    let text = |k: &str| out.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    if let Some(e) = text("email") {
        let ok = e.split(',').all(|one| {
            let one = one.trim();
            one.split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !one.contains(' '))
        });
        if !ok {
            add("email", FieldCode::InvalidEmailFormat);
        }
    }
    if let Some(c) = text("country") {
        if c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) {
            add("country", FieldCode::CountryCodeInvalid);
        }
    }
    if let Some(c) = text("currency") {
        if Currency::parse(c).is_err() {
            add("currency", FieldCode::ValueIsInvalid);
        }
    }
    if let Some(t) = text("customer_type") {
        if !matches!(t, "company" | "individual") {
            add("customer_type", FieldCode::ValueIsInvalid);
        }
    }
    if let Some(v) = input.get("net_payment_term") {
        match v {
            Value::Null => {
                out.insert("net_payment_term".into(), Value::Null);
            }
            Value::Number(n) if n.as_u64().is_some() => {
                out.insert("net_payment_term".into(), v.clone());
            }
            Value::String(s) if s.trim().parse::<u32>().is_ok() => {
                out.insert(
                    "net_payment_term".into(),
                    json!(s.trim().parse::<u32>().unwrap_or(0)),
                );
            }
            _ => add("net_payment_term", FieldCode::ValueIsInvalid),
        }
    }
    for key in ["billing_configuration", "shipping_address"] {
        match input.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                out.insert(key.into(), Value::Object(m.clone()));
            }
            Some(_) => add(key, FieldCode::ValueIsInvalid),
        }
    }
    match input.get("metadata") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            let mut meta = Vec::new();
            for item in items {
                let key = item.get("key").and_then(Value::as_str).unwrap_or("");
                if key.is_empty() {
                    add("metadata", FieldCode::ValueIsInvalid);
                    break;
                }
                meta.push(json!({
                    "lago_id": uuid::Uuid::new_v4().to_string(),
                    "key": key,
                    "value": item.get("value").cloned().unwrap_or(Value::Null),
                    "display_in_invoice": item.get("display_in_invoice").and_then(Value::as_bool).unwrap_or(false),
                    "created_at": crate::lago::time::iso_seconds(now_micros()),
                }));
            }
            out.insert("metadata".into(), Value::Array(meta));
        }
        Some(_) => add("metadata", FieldCode::ValueIsInvalid),
    }
    if errors.is_empty() {
        Ok((external_id, out))
    } else {
        Err(AccountsError::Validation(errors))
    }
}

fn text<'a>(attrs: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    attrs
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The partner's display name for these attributes: `name`, else `legal_name`, else
/// `firstname lastname`, else the `external_id`.
pub fn partner_name(attrs: &Map<String, Value>, external_id: &str) -> String {
    if let Some(n) = text(attrs, "name").or_else(|| text(attrs, "legal_name")) {
        return n.to_string();
    }
    let full: Vec<&str> = ["firstname", "lastname"]
        .iter()
        .filter_map(|k| text(attrs, k))
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

/// Partner values for the keys present in `changes` (Lago → Odoo: `name`/`legal_name`/
/// `firstname lastname` → `name`, `address_line1/2` → `street/street2`, `zipcode` → `zip`,
/// `country` → `country_id`, `state` → `state_id` (the province, which picks the tax; see
/// `odoo::partners`), `tax_identification_number` → `vat`, `customer_type` →
/// `is_company`, `billing_configuration.document_locale` → `lang`).
pub fn partner_values(
    changes: &Map<String, Value>,
    merged: &Map<String, Value>,
    external_id: &str,
) -> PartnerValues {
    let field = |k: &str| -> Option<String> {
        changes
            .contains_key(k)
            .then(|| text(changes, k).unwrap_or("").to_string())
    };
    let name_keys = ["name", "legal_name", "firstname", "lastname"];
    PartnerValues {
        name: name_keys
            .iter()
            .any(|k| changes.contains_key(*k))
            .then(|| partner_name(merged, external_id)),
        email: field("email"),
        street: field("address_line1"),
        street2: field("address_line2"),
        city: field("city"),
        zip: field("zipcode"),
        country_code: field("country").map(|c| c.to_uppercase()),
        state: field("state"),
        vat: field("tax_identification_number"),
        lang: changes
            .get("billing_configuration")
            .and_then(|b| b.get("document_locale"))
            .and_then(Value::as_str)
            .and_then(odoo_lang),
        phone: field("phone"),
        reference: None,
        is_company: changes
            .get("customer_type")
            .map(|t| t.as_str() == Some("company")),
    }
}

fn merge(base: &mut Map<String, Value>, changes: &Map<String, Value>) {
    for (k, v) in changes {
        if k == "billing_configuration" || k == "shipping_address" {
            let entry = base.entry(k.clone()).or_insert_with(|| json!({}));
            if let (Value::Object(dst), Value::Object(src)) = (entry, v) {
                for (sk, sv) in src {
                    dst.insert(sk.clone(), sv.clone());
                }
                continue;
            }
        }
        base.insert(k.clone(), v.clone());
    }
}

/// Parses a stored attributes text.
pub fn attributes(row: &CustomerRow) -> Map<String, Value> {
    match serde_json::from_str(&row.attributes) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

impl Accounts {
    /// `POST /customers`: creates or updates the customer `external_id` of `service`, with its
    /// partner in Odoo. Returns the row and whether it was created.
    ///
    /// # Errors
    /// Validation errors; [`AccountsError::OdooUnavailable`] when Odoo cannot be reached (nothing
    /// is stored locally then, and a retry is safe); Odoo refusals; store errors.
    pub async fn upsert_customer(
        &self,
        service: &ServiceRef,
        input: &Map<String, Value>,
    ) -> Result<(CustomerRow, bool), AccountsError> {
        let (external_id, changes) = validate(input)?;
        let name = lease::names::customer(service.id, &external_id);
        self.under_lease(name, || self.upsert_locked(service, &external_id, &changes))
            .await
    }

    async fn upsert_locked(
        &self,
        service: &ServiceRef,
        external_id: &str,
        changes: &Map<String, Value>,
    ) -> Result<(CustomerRow, bool), AccountsError> {
        loop {
            if let Some(mut row) = self
                .store
                .customer_by_external(service.id, external_id)
                .await?
            {
                let before = attributes(&row);
                let mut attrs = before.clone();
                merge(&mut attrs, changes);
                let mut values = partner_values(changes, &attrs, external_id);
                if values != PartnerValues::default() {
                    let odoo = self.odoo.client().await?;
                    let partners = odoo.partners();
                    let partner = partners.get(PartnerId(row.partner_id)).await?;
                    let reference = identity::partner_reference(service, external_id);
                    // Another app's (or finance's) partner: fill empty fields only, refuse
                    // changes (see `super::partner_ownership`).
                    if let Some(p) = partner.filter(|p| !partner_ownership::owns(p, &reference)) {
                        values = partner_ownership::non_owner_values(values, &p, &before)?;
                    }
                    if values != PartnerValues::default() {
                        partners.update(PartnerId(row.partner_id), &values).await?;
                    }
                }
                row.attributes = Value::Object(attrs).to_string();
                row.updated_at = now_micros();
                self.store.update_customer(&row).await?;
                return Ok((row, false));
            }
            let mut attrs = Map::new();
            merge(&mut attrs, changes);
            let partner = identity::resolve_partner(self, service, external_id, &attrs).await?;
            let now = now_micros();
            let row = CustomerRow {
                lago_id: uuid::Uuid::new_v4().to_string(),
                service_id: service.id,
                external_id: external_id.to_string(),
                partner_id: partner.0,
                attributes: Value::Object(attrs).to_string(),
                created_at: now,
                updated_at: now,
                deleted_at: None,
                sequential_id: 0,
            };
            match self.store.insert_customer(&row).await? {
                Inserted::Yes => {
                    let row = self
                        .store
                        .customer_by_external(service.id, external_id)
                        .await?
                        .unwrap_or(row);
                    tracing::info!(service = %service.name, partner_id = partner.0, "customer linked");
                    return Ok((row, true));
                }
                // A concurrent upsert linked it first: apply ours as an update.
                Inserted::Conflict => continue,
            }
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
    ) -> Result<CustomerRow, AccountsError> {
        self.store
            .customer_by_external(service.id, external_id)
            .await?
            .ok_or(AccountsError::NotFound(ErrorCode::CustomerNotFound))
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
    ) -> Result<CustomerRow, AccountsError> {
        let name = lease::names::customer(service.id, external_id);
        self.under_lease(name, || self.delete_locked(service, external_id))
            .await
    }

    async fn delete_locked(
        &self,
        service: &ServiceRef,
        external_id: &str,
    ) -> Result<CustomerRow, AccountsError> {
        let mut row = self.customer(service, external_id).await?;
        self.terminate_customer_subscriptions(service, &row).await?;
        let now = now_micros();
        self.store.delete_customer(&row.lago_id, now).await?;
        row.deleted_at = Some(now);
        row.updated_at = now;
        Ok(row)
    }
}

/// `row` as `GET /customers` shows it: the partner fields (name, e-mail, address, country,
/// Tax ID, phone) as Odoo holds them on its `res.partner`, which may be shared with other apps
/// (see [`super::partner_ownership`]); the other Lago attributes as the app sent them. Without
/// the partner (Odoo unreachable) the row is shown as stored.
pub fn with_partner(row: &CustomerRow, partner: Option<&Partner>) -> CustomerRow {
    let Some(p) = partner else {
        return row.clone();
    };
    let mut attrs = attributes(row);
    // The partner's name is the Lago `name`, unless the app names its customer by parts
    // (`firstname`/`lastname`, kept as sent).
    let named_by_parts = text(&attrs, "name").is_none() && text(&attrs, "legal_name").is_none();
    let mut set = |k: &str, v: &Option<String>| {
        let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty());
        attrs.insert(k.to_string(), v.map_or(Value::Null, |s| json!(s)));
    };
    set("email", &p.email);
    set("address_line1", &p.street);
    set("address_line2", &p.street2);
    set("city", &p.city);
    set("zipcode", &p.zip);
    set("country", &p.country_code);
    set("tax_identification_number", &p.vat);
    set("phone", &p.phone);
    if !named_by_parts {
        set("name", &p.name);
    }
    CustomerRow {
        attributes: Value::Object(attrs).to_string(),
        ..row.clone()
    }
}

impl Accounts {
    /// The rows as `GET /customers` shows them ([`with_partner`]), reading their partners
    /// from Odoo in one call; as stored when Odoo cannot be reached (logged).
    pub async fn shown_customers(&self, rows: &[CustomerRow]) -> Vec<CustomerRow> {
        let ids: Vec<PartnerId> = rows.iter().map(|r| PartnerId(r.partner_id)).collect();
        let partners = match self.odoo.client().await {
            Ok(c) => c
                .partners()
                .get_many(&ids)
                .await
                .map_err(AccountsError::from),
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
}
