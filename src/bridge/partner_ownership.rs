//! Who may change a shared `res.partner` (one partner per real client across apps, see
//! [`super::identity`]).
//!
//! **The owner** of a partner is the app that created it: its `ref` is that app's
//! [`super::identity::partner_reference`]. The owner's upserts write every field they send
//! (name, e-mail, address, country, Tax ID, phone, language, company/person).
//!
//! **Every other app** linked to the partner (matched by Tax ID or e-mail), and every app on a
//! partner that finance created in Odoo (no gateway `ref`), fills **empty** fields only:
//! - a sent value for a field that is empty in Odoo is written;
//! - a value equal to Odoo's (e-mail and Tax ID ignoring case and spaces) changes nothing;
//! - a value the app already sent before (its own last upsert) changes nothing either, so an
//!   app that upserts the same customer on every sign-in keeps working;
//! - the province (`state`) is written only where the partner has none;
//! - any other value is a change of someone else's data: the whole upsert is refused with 422
//!   `{"<field>":["value_owned_by_another_app"]}` naming each such Lago field, and nothing is
//!   written, neither in Odoo nor locally.
//!
//! `GET /customers` then shows what Odoo holds for these fields (see
//! [`super::customers::with_partner`]), so an app never believes a change it could not make.

use serde_json::{json, Map};

use super::customers::CustomerAttributes;
use super::error::BridgeError;
use crate::lago::error_code::FieldCode;
use crate::odoo::partners::{Partner, PartnerValues};

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn is_empty(v: &Option<String>) -> bool {
    v.as_deref().map_or(true, |s| s.trim().is_empty())
}

/// One partner field as the ownership rule sees it.
struct Field<'a> {
    /// The Lago field named in a refusal.
    lago: &'static str,
    /// What the app sends now (`None`: not sent).
    sent: &'a mut Option<String>,
    /// What Odoo holds.
    odoo: Option<String>,
    /// What the app sent last time (`None`: never).
    before: Option<String>,
}

/// Applies the rule of the module doc to `values` (what a non-owner app sends), given the
/// partner as Odoo holds it and the app's previous attributes. Returns the values to write
/// (only fills of empty fields).
///
/// # Errors
/// [`BridgeError::Validation`] with `value_owned_by_another_app` for each refused field.
pub fn non_owner_values(
    mut values: PartnerValues,
    partner: &Partner,
    before: &CustomerAttributes,
) -> Result<PartnerValues, BridgeError> {
    let mut is_company = values.is_company.map(|b| b.to_string());
    let refused = refuse_changes(owned_fields(&mut values, &mut is_company, partner, before));
    if !refused.is_empty() {
        return Err(BridgeError::Validation(refused));
    }
    values.is_company = None;
    Ok(fills_only(values, partner))
}

/// The name the app sent last time: `name`, else `legal_name`, else `firstname lastname`.
fn before_name(before: &CustomerAttributes) -> Option<String> {
    before
        .name
        .clone()
        .or_else(|| before.legal_name.clone())
        .or_else(|| {
            let full: Vec<&str> = [&before.firstname, &before.lastname]
                .into_iter()
                .filter_map(|v| v.as_deref())
                .collect();
            (!full.is_empty()).then(|| full.join(" "))
        })
}

/// The partner fields the ownership rule guards, with what the app sends (`is_company` as
/// text), what Odoo holds and what the app sent before.
fn owned_fields<'a>(
    values: &'a mut PartnerValues,
    is_company: &'a mut Option<String>,
    partner: &Partner,
    before: &CustomerAttributes,
) -> [Field<'a>; 10] {
    let field = |lago, sent, odoo: &Option<String>, before: &Option<String>| Field {
        lago,
        sent,
        odoo: odoo.clone(),
        before: before.clone(),
    };
    let p = partner;
    let b = before;
    [
        Field {
            lago: "name",
            sent: &mut values.name,
            odoo: p.name.clone(),
            before: before_name(b),
        },
        field("email", &mut values.email, &p.email, &b.email),
        field(
            "address_line1",
            &mut values.street,
            &p.street,
            &b.address_line1,
        ),
        field(
            "address_line2",
            &mut values.street2,
            &p.street2,
            &b.address_line2,
        ),
        field("city", &mut values.city, &p.city, &b.city),
        field("zipcode", &mut values.zip, &p.zip, &b.zipcode),
        Field {
            lago: "country",
            sent: &mut values.country_code,
            odoo: p.country_code.clone(),
            before: b.country.as_deref().map(str::to_uppercase),
        },
        field(
            "tax_identification_number",
            &mut values.vat,
            &p.vat,
            &b.tax_identification_number,
        ),
        field("phone", &mut values.phone, &p.phone, &b.phone),
        Field {
            lago: "customer_type",
            sent: is_company,
            // `is_company` is never empty in Odoo: only an equal value passes.
            odoo: Some(p.is_company.to_string()),
            before: b
                .customer_type
                .as_ref()
                .map(|t| (t == "company").to_string()),
        },
    ]
}

/// Takes every sent value that is not a fill out of what is written, and names the fields
/// whose value is a change of someone else's data (neither Odoo's value nor the app's own
/// previous one).
fn refuse_changes(fields: [Field<'_>; 10]) -> Map<String, serde_json::Value> {
    let mut refused = Map::new();
    for f in fields {
        let Some(new) = f.sent.clone() else {
            continue;
        };
        if is_empty(&f.odoo) {
            continue; // a fill: written
        }
        let same_as_odoo = f.odoo.as_deref().map(norm) == Some(norm(&new));
        let unchanged_by_app = f.before.as_deref().map(norm) == Some(norm(&new));
        if !(same_as_odoo || unchanged_by_app) {
            refused.insert(
                f.lago.to_string(),
                json!([FieldCode::ValueOwnedByAnotherApp]),
            );
        }
        *f.sent = None; // not a fill: nothing to write
    }
    refused
}

/// The fields outside the ownership table, as a non-owner may write them.
fn fills_only(mut values: PartnerValues, partner: &Partner) -> PartnerValues {
    // The province picks the tax (see `crate::odoo::partners`): another app may set it only
    // where Odoo has none; otherwise it is left as the owner (or finance) set it.
    values.state = values.state.filter(|_| partner.state.is_none());
    // The language is the document language of the partner: the owner's choice.
    values.lang = values.lang.filter(|_| is_empty(&partner.lang));
    values.reference = None;
    values
}

/// Whether the app with reference `reference` owns `partner`.
pub fn owns(partner: &Partner, reference: &str) -> bool {
    partner.reference.as_deref() == Some(reference)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odoo::PartnerId;

    fn partner() -> Partner {
        Partner {
            id: PartnerId(7),
            name: Some("Acme Inc".into()),
            email: Some("billing@acme.ca".into()),
            vat: Some("CA123".into()),
            reference: Some("fusion:a:acme".into()),
            is_company: true,
            street: Some("1 King St".into()),
            street2: None,
            city: Some("Toronto".into()),
            zip: None,
            country: None,
            country_code: Some("CA".into()),
            state: None,
            lang: None,
            phone: None,
            active: true,
            write_date: None,
        }
    }

    #[test]
    fn fills_empty_fields_and_refuses_changes() {
        let v = PartnerValues {
            zip: Some("M5H 1A1".into()),
            email: Some("BILLING@acme.ca".into()),
            ..PartnerValues::default()
        };
        let out = non_owner_values(v, &partner(), &CustomerAttributes::default()).unwrap();
        assert_eq!(out.zip.as_deref(), Some("M5H 1A1"));
        assert_eq!(out.email, None, "equal ignoring case: nothing to write");

        let v = PartnerValues {
            name: Some("Mallory".into()),
            vat: Some("XX999".into()),
            ..PartnerValues::default()
        };
        let err = non_owner_values(v, &partner(), &CustomerAttributes::default()).unwrap_err();
        let BridgeError::Validation(m) = err else {
            panic!("validation")
        };
        assert_eq!(m["name"], json!([FieldCode::ValueOwnedByAnotherApp]));
        assert_eq!(
            m["tax_identification_number"],
            json!([FieldCode::ValueOwnedByAnotherApp])
        );
    }

    #[test]
    fn resending_what_the_app_sent_before_is_not_a_change() {
        let before = CustomerAttributes {
            name: Some("ACME (chat)".into()),
            ..CustomerAttributes::default()
        };
        let v = PartnerValues {
            name: Some("ACME (chat)".into()),
            ..PartnerValues::default()
        };
        let out = non_owner_values(v, &partner(), &before).unwrap();
        assert_eq!(out, PartnerValues::default());
    }
}
