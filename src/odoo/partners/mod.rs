//! `res.partner` facade: customers (CONTRACT.md §4.1; `odoo/addons/base/models/res_partner.py`).
//!
//! **Province.** Odoo picks a customer's fiscal position, and so its sales tax, from the
//! partner's country and province (`state_id`). With the Canadian localisation a partner in
//! Canada without a province gets the "International" position and 0 % tax (checked on a real
//! Odoo 19.0: ON → 13 % HST, QC → 14.975 % GST+QST, AB → 5 % GST, no province → 0 % Int). So
//! the facade sends `state_id`: the province given (`state`: a code such as `ON` or `CA-ON`, or
//! a name such as `Ontario`/`Québec`, matched in the partner's country), and, for a partner in
//! the company's own country with no (or an unknown) province, **the company's province**: the
//! tax the seller charges at home, which is what such customers paid before the gateway. A
//! partner with a province already keeps it unless a new one is given.
//!
//! The province and country lookups and the values sent live in `address`.

mod address;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::client::{OdooClient, SearchOptions};
use super::error::OdooError;
use super::value::{Many2one, PartnerId, Record};

const MODEL: &str = "res.partner";

const FIELDS: &[&str] = &[
    "name",
    "email",
    "vat",
    "ref",
    "is_company",
    "street",
    "street2",
    "city",
    "zip",
    "country_id",
    "country_code",
    "state_id",
    "lang",
    "phone",
    "active",
    "write_date",
];

/// A contact/customer as stored in Odoo.
#[derive(Debug, Clone, PartialEq)]
pub struct Partner {
    /// Odoo record id.
    pub id: PartnerId,
    /// Display name (`name`; may be empty for non-contact addresses).
    pub name: Option<String>,
    /// Email address (`email`).
    pub email: Option<String>,
    /// Tax ID (`vat`).
    pub vat: Option<String>,
    /// Internal reference (`ref`).
    pub reference: Option<String>,
    /// True for a company, false for a person (`is_company`).
    pub is_company: bool,
    /// Street (`street`).
    pub street: Option<String>,
    /// Street, second line (`street2`).
    pub street2: Option<String>,
    /// City (`city`).
    pub city: Option<String>,
    /// Postal code (`zip`).
    pub zip: Option<String>,
    /// `country_id` as `[id, name]`.
    pub country: Option<Many2one>,
    /// ISO 3166-1 alpha-2 code of the country (`country_code`).
    pub country_code: Option<String>,
    /// Province/state as `[id, "Ontario (CA)"]` (`state_id`).
    pub state: Option<Many2one>,
    /// Language code such as `en_CA`, `fr_CA`.
    pub lang: Option<String>,
    /// Phone (`phone`).
    pub phone: Option<String>,
    /// False when archived.
    pub active: bool,
    /// Last change, UTC.
    pub write_date: Option<DateTime<Utc>>,
}

impl Partner {
    fn from_record(r: &Record) -> Result<Partner, OdooError> {
        Ok(Partner {
            id: PartnerId(r.id()?),
            name: r.str("name")?,
            email: r.str("email")?,
            vat: r.str("vat")?,
            reference: r.str("ref")?,
            is_company: r.bool("is_company")?,
            street: r.str("street")?,
            street2: r.str("street2")?,
            city: r.str("city")?,
            zip: r.str("zip")?,
            country: r.m2o("country_id")?,
            country_code: r.str("country_code")?,
            state: r.m2o("state_id")?,
            lang: r.str("lang")?,
            phone: r.str("phone")?,
            active: r.bool("active")?,
            write_date: r.datetime("write_date")?,
        })
    }
}

/// Values to create or update a partner. `None` leaves a field unchanged; `Some("")` clears it
/// (sent as `false`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartnerValues {
    /// Name (`name`); required on create.
    pub name: Option<String>,
    /// Email address (`email`).
    pub email: Option<String>,
    /// Street (`street`).
    pub street: Option<String>,
    /// Street, second line (`street2`).
    pub street2: Option<String>,
    /// City (`city`).
    pub city: Option<String>,
    /// Postal code (`zip`).
    pub zip: Option<String>,
    /// ISO 3166-1 alpha-2 code (`CA`), resolved to a `res.country` id; `""` clears the country.
    pub country_code: Option<String>,
    /// Province/state (Lago's `state`): a code (`ON`, `CA-ON`) or a name (`Ontario`), resolved to
    /// a `res.country.state` of the partner's country; see the module doc for the default.
    pub state: Option<String>,
    /// Tax ID (`vat`).
    pub vat: Option<String>,
    /// Installed language code (`en_CA`, `fr_CA`); an uninstalled one is refused by Odoo.
    pub lang: Option<String>,
    /// Phone (`phone`).
    pub phone: Option<String>,
    /// Internal reference (`ref`).
    pub reference: Option<String>,
    /// Company (`true`) or person (`false`).
    pub is_company: Option<bool>,
}

/// Partner operations; get one with [`OdooClient::partners`].
#[derive(Debug, Clone, Copy)]
pub struct Partners<'a> {
    client: &'a OdooClient,
}

impl OdooClient {
    /// The `res.partner` facade.
    pub fn partners(&self) -> Partners<'_> {
        Partners { client: self }
    }
}

impl Partners<'_> {
    async fn find(&self, domain: Value, limit: Option<u64>) -> Result<Vec<Partner>, OdooError> {
        let opts = SearchOptions {
            limit,
            order: Some("id asc".into()),
            include_archived: true,
            ..SearchOptions::default()
        };
        self.client
            .orm()
            .search_read(MODEL, domain, FIELDS, &opts)
            .await?
            .iter()
            .map(Partner::from_record)
            .collect()
    }

    /// The partner with this id, archived included; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MODEL, method = "search_read"))]
    pub async fn get(&self, id: PartnerId) -> Result<Option<Partner>, OdooError> {
        Ok(self
            .find(json!([["id", "=", id.0]]), Some(1))
            .await?
            .into_iter()
            .next())
    }

    /// The partners with these ids, archived included (missing ids are left out).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MODEL, method = "search_read"))]
    pub async fn get_many(&self, ids: &[PartnerId]) -> Result<Vec<Partner>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
        self.find(json!([["id", "in", ids]]), None).await
    }

    /// Active partners whose email equals `email` ignoring case. Searches with `=ilike` (which treats
    /// `_`/`%` as wildcards in Odoo, `odoo/orm/domains.py`), then keeps exact case-insensitive matches.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MODEL, method = "search_read"))]
    pub async fn find_by_email(&self, email: &str) -> Result<Vec<Partner>, OdooError> {
        let wanted = email.trim().to_lowercase();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let found = self
            .find(
                json!([["email", "=ilike", email.trim()], ["active", "=", true]]),
                Some(50),
            )
            .await?;
        Ok(found
            .into_iter()
            .filter(|p| p.email.as_deref().map(|e| e.trim().to_lowercase()) == Some(wanted.clone()))
            .collect())
    }

    /// Active partners with this Tax ID (exact match).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MODEL, method = "search_read"))]
    pub async fn find_by_vat(&self, vat: &str) -> Result<Vec<Partner>, OdooError> {
        self.find(
            json!([["vat", "=", vat.trim()], ["active", "=", true]]),
            Some(50),
        )
        .await
    }

    /// Partners (archived included) with this internal reference (`ref`).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MODEL, method = "search_read"))]
    pub async fn find_by_reference(&self, reference: &str) -> Result<Vec<Partner>, OdooError> {
        self.find(json!([["ref", "=", reference]]), Some(50)).await
    }

    /// Creates a partner; `values.name` is required (Odoo's `_check_name` constraint).
    ///
    /// # Errors
    /// [`OdooError::Invalid`] without a name or with an unknown country; Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = MODEL, method = "create"))]
    pub async fn create(&self, values: &PartnerValues) -> Result<PartnerId, OdooError> {
        if values
            .name
            .as_deref()
            .map(str::trim)
            .unwrap_or("")
            .is_empty()
        {
            return Err(OdooError::Invalid("a partner needs a name".into()));
        }
        let vals = self.vals(values, None).await?;
        Ok(PartnerId(
            self.client
                .orm()
                .create_one(MODEL, vals, Map::new())
                .await?,
        ))
    }

    /// Writes the given values on a partner (no call when nothing is set).
    ///
    /// # Errors
    /// [`OdooError::Invalid`] for an unknown country; Odoo's errors (e.g. `MissingError`).
    #[tracing::instrument(skip_all, fields(model = MODEL, method = "write"))]
    pub async fn update(&self, id: PartnerId, values: &PartnerValues) -> Result<(), OdooError> {
        let current = if values.country_code.is_some() || values.state.is_some() {
            self.get(id).await?
        } else {
            None
        };
        let vals = self.vals(values, current.as_ref()).await?;
        if vals.is_empty() {
            return Ok(());
        }
        self.client.orm().write(MODEL, &[id.0], vals).await
    }

    /// Partners changed at or after `since` (UTC, inclusive), oldest first, at most `limit`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn changed_since(
        &self,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Partner>, OdooError> {
        let opts = SearchOptions {
            limit: Some(limit),
            order: Some("write_date asc, id asc".into()),
            include_archived: true,
            ..SearchOptions::default()
        };
        self.client
            .orm()
            .search_read(
                MODEL,
                json!([["write_date", ">=", super::value::to_odoo_datetime(since)]]),
                FIELDS,
                &opts,
            )
            .await?
            .iter()
            .map(Partner::from_record)
            .collect()
    }
}
