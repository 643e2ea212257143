//! Sale taxes (`account.tax`): rates, lookup, a product's customer taxes.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::types::TAX_FIELDS;
use super::{Catalogue, Tax, PRODUCT, TAX};
use crate::odoo::client::SearchOptions;
use crate::odoo::error::OdooError;
use crate::odoo::value::{to_odoo_float, CompanyId, ProductId, TaxId};

impl Catalogue<'_> {
    /// Rate in percent of each `percent` tax among `ids` (archived included), and of each
    /// `group` tax as the sum of its `percent` children (`children_tax_ids`: l10n_ca's
    /// "14.975% GST+QST" is 5 % GST + 9.975 % QST, on real Odoo 19 as in the simulator);
    /// other tax types (fixed, division) are left out. One `read`, two with groups.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn percent_tax_rates(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Decimal>, OdooError> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut rates = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(rates);
        }
        let mut groups: Vec<(i64, Vec<i64>)> = Vec::new();
        for r in self
            .client
            .orm()
            .read(TAX, &ids, &["amount", "amount_type", "children_tax_ids"])
            .await?
        {
            match r.str("amount_type")?.as_deref() {
                Some("percent") => {
                    rates.insert(r.id()?, r.decimal("amount")?);
                }
                Some("group") => groups.push((r.id()?, r.ids("children_tax_ids")?)),
                _ => {}
            }
        }
        let children: Vec<i64> = groups.iter().flat_map(|(_, c)| c.iter().copied()).collect();
        if !children.is_empty() {
            let mut child_rates = std::collections::HashMap::new();
            for r in self
                .client
                .orm()
                .read(TAX, &children, &["amount", "amount_type"])
                .await?
            {
                if r.str("amount_type")?.as_deref() == Some("percent") {
                    child_rates.insert(r.id()?, r.decimal("amount")?);
                }
            }
            for (group, kids) in groups {
                let rate = kids
                    .iter()
                    .filter_map(|k| child_rates.get(k))
                    .try_fold(Decimal::ZERO, |a, r| a.checked_add(*r));
                if let Some(rate) = rate {
                    rates.insert(group, rate);
                }
            }
        }
        Ok(rates)
    }

    /// Active sale taxes of `percent` % (`type_tax_use = sale`, `amount_type = percent`,
    /// `amount = percent`), optionally of one company. Found by amount and type, never by name
    /// (names are translated: "13% HST" / "13% TVH"; `addons/l10n_ca/data/template/account.tax-ca_2023.csv`).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = TAX, method = "search_read"))]
    pub async fn find_sale_taxes(
        &self,
        percent: Decimal,
        company: Option<CompanyId>,
    ) -> Result<Vec<Tax>, OdooError> {
        let mut domain = vec![
            json!(["type_tax_use", "=", "sale"]),
            json!(["amount_type", "=", "percent"]),
            json!(["amount", "=", to_odoo_float(percent)]),
        ];
        if let Some(c) = company {
            domain.push(json!(["company_id", "=", c.0]));
        }
        let taxes = self
            .client
            .orm()
            .search_read(
                TAX,
                Value::Array(domain),
                TAX_FIELDS,
                &SearchOptions::ordered("sequence asc, id asc"),
            )
            .await?
            .iter()
            .map(Tax::from_record)
            .collect::<Result<Vec<_>, _>>()?;
        // Defensive: a float equality in the domain; keep exact matches only.
        Ok(taxes
            .into_iter()
            .filter(|t| t.amount.normalize() == percent.normalize())
            .collect())
    }

    /// The customer taxes (`taxes_id`) of each product among `ids` (archived included), by
    /// product; no call when `ids` is empty.
    ///
    /// # Errors
    /// Odoo's errors, or a record Odoo answered malformed.
    #[tracing::instrument(skip_all, fields(model = PRODUCT, method = "search_read"))]
    pub async fn customer_taxes(
        &self,
        ids: &[ProductId],
    ) -> Result<std::collections::HashMap<ProductId, Vec<TaxId>>, OdooError> {
        let mut taxes_of = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(taxes_of);
        }
        let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
        let opts = SearchOptions {
            include_archived: true,
            ..SearchOptions::default()
        };
        let recs = self
            .client
            .orm()
            .search_read(PRODUCT, json!([["id", "in", ids]]), &["taxes_id"], &opts)
            .await?;
        for r in &recs {
            let taxes = r.ids("taxes_id")?.into_iter().map(TaxId).collect();
            taxes_of.insert(ProductId(r.id()?), taxes);
        }
        Ok(taxes_of)
    }
}
