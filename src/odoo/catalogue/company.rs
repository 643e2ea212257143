//! The company, its currency and its tax rounding; currencies.

use serde_json::{json, Map, Value};

use super::types::CURRENCY_FIELDS;
use super::{Catalogue, Company, Currency, CURRENCY};
use crate::odoo::client::SearchOptions;
use crate::odoo::error::OdooError;
use crate::odoo::value::{CompanyId, CurrencyId};

impl Catalogue<'_> {
    /// The authenticated user's current company and its currency.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = "res.company", method = "search_read"))]
    pub async fn company(&self) -> Result<Company, OdooError> {
        let users = self
            .client
            .orm()
            .search_read(
                "res.users",
                json!([["id", "=", self.client.uid().0]]),
                &["company_id"],
                &SearchOptions::default(),
            )
            .await?;
        let company = users
            .first()
            .map(|u| u.m2o("company_id"))
            .transpose()?
            .flatten()
            .ok_or_else(|| {
                OdooError::Decode("res.users: no company_id for the current user".into())
            })?;
        let rec = self
            .client
            .orm()
            .search_read(
                "res.company",
                json!([["id", "=", company.id]]),
                &["name", "currency_id"],
                &SearchOptions::default(),
            )
            .await?;
        let r = rec
            .first()
            .ok_or_else(|| OdooError::Decode("res.company: current company not readable".into()))?;
        Ok(Company {
            id: CompanyId(r.id()?),
            name: r.str("name")?.unwrap_or_default(),
            currency: r
                .m2o("currency_id")?
                .ok_or_else(|| OdooError::Decode("res.company.currency_id: empty".into()))?,
        })
    }

    /// True when the current company rounds taxes globally
    /// (`res.company.tax_calculation_rounding_method` = `round_globally`, Odoo's default, the
    /// kit's real Odoo 19): a document's tax is the rate applied to the sum of its lines,
    /// rounded once per tax. False for `round_per_line` or no value.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = "res.company", method = "search_read"))]
    pub async fn rounds_tax_globally(&self) -> Result<bool, OdooError> {
        let company = self.company().await?;
        let rec = self
            .client
            .orm()
            .search_read(
                "res.company",
                json!([["id", "=", company.id.0]]),
                &["tax_calculation_rounding_method"],
                &SearchOptions::default(),
            )
            .await?;
        Ok(rec
            .first()
            .map(|r| r.str("tax_calculation_rounding_method"))
            .transpose()?
            .flatten()
            .is_some_and(|m| m == "round_globally"))
    }

    /// The company's currency.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn company_currency(&self) -> Result<Currency, OdooError> {
        let c = self.company().await?;
        self.find_currency_where(json!([["id", "=", c.currency.id]]))
            .await?
            .ok_or_else(|| OdooError::Decode("company currency not readable".into()))
    }

    async fn find_currency_where(&self, domain: Value) -> Result<Option<Currency>, OdooError> {
        let opts = SearchOptions {
            limit: Some(1),
            include_archived: true,
            ..SearchOptions::default()
        };
        self.client
            .orm()
            .search_read(CURRENCY, domain, CURRENCY_FIELDS, &opts)
            .await?
            .first()
            .map(Currency::from_record)
            .transpose()
    }

    /// The currency with this ISO code, active or not (`context.active_test = false`).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = CURRENCY, method = "search_read"))]
    pub async fn find_currency(&self, code: &str) -> Result<Option<Currency>, OdooError> {
        self.find_currency_where(json!([["name", "=", code.trim().to_uppercase()]]))
            .await
    }

    /// Activates a currency (`active = true`).
    ///
    /// # Errors
    /// Odoo's errors (needs accounting/admin rights).
    pub async fn activate_currency(&self, id: CurrencyId) -> Result<(), OdooError> {
        let mut vals = Map::new();
        vals.insert("active".into(), json!(true));
        self.client.orm().write(CURRENCY, &[id.0], vals).await
    }
}
