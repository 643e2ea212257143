//! Products: lookup by id, internal reference or custom field; creation, update, archiving,
//! the plan code on templates.

use serde_json::{json, Map, Value};

use super::{Catalogue, InvoicePolicy, Product, ProductType, ProductValues, PRODUCT, TEMPLATE};
use crate::odoo::client::SearchOptions;
use crate::odoo::custom_fields::PLAN_CODE_FIELD;
use crate::odoo::error::OdooError;
use crate::odoo::value::{
    to_odoo_float, to_odoo_str, Command, ProductId, ProductTemplateId, TaxId,
};

impl Catalogue<'_> {
    /// Names of custom (`x_…`) fields of `product.product` on this server.
    ///
    /// # Errors
    /// Any [`OdooError`] of `fields_get`.
    pub async fn product_custom_fields(&self) -> Result<Vec<String>, OdooError> {
        Ok(self
            .client
            .orm()
            .fields(PRODUCT)
            .await?
            .keys()
            .filter(|k| k.starts_with("x_"))
            .cloned()
            .collect())
    }

    async fn product_fields(&self) -> Result<(Vec<String>, bool, Vec<String>), OdooError> {
        let known = self.client.orm().fields(PRODUCT).await?;
        let recurring = known.contains_key("recurring_invoice");
        let custom: Vec<String> = known
            .keys()
            .filter(|k| k.starts_with("x_"))
            .cloned()
            .collect();
        let mut fields: Vec<String> = [
            "name",
            "product_tmpl_id",
            "default_code",
            "list_price",
            "type",
            "invoice_policy",
            "taxes_id",
            "active",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if recurring {
            fields.push("recurring_invoice".into());
        }
        fields.extend(custom.iter().cloned());
        Ok((fields, recurring, custom))
    }

    async fn products_where(
        &self,
        domain: Value,
        limit: Option<u64>,
    ) -> Result<Vec<Product>, OdooError> {
        let (fields, recurring, custom) = self.product_fields().await?;
        let field_refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        let opts = SearchOptions {
            limit,
            order: Some("id asc".into()),
            include_archived: true,
            ..SearchOptions::default()
        };
        let records = self
            .client
            .orm()
            .search_read(PRODUCT, domain, &field_refs, &opts)
            .await?;
        records
            .iter()
            .map(|r| {
                let tmpl = r.m2o("product_tmpl_id")?.ok_or_else(|| {
                    OdooError::Decode(format!("{PRODUCT}.product_tmpl_id: empty"))
                })?;
                Ok(Product {
                    id: ProductId(r.id()?),
                    template_id: ProductTemplateId(tmpl.id),
                    name: r.str("name")?.unwrap_or_default(),
                    default_code: r.str("default_code")?,
                    list_price: r.decimal("list_price")?,
                    product_type: match r.str("type")?.as_deref() {
                        Some("consu") => ProductType::Goods,
                        Some("service") => ProductType::Service,
                        Some("combo") => ProductType::Combo,
                        other => ProductType::Other(other.unwrap_or_default().to_string()),
                    },
                    invoice_policy: match r.str("invoice_policy")?.as_deref() {
                        Some("order") => Some(InvoicePolicy::Order),
                        Some("delivery") => Some(InvoicePolicy::Delivery),
                        _ => None,
                    },
                    recurring_invoice: recurring && r.bool("recurring_invoice")?,
                    taxes: r.ids("taxes_id")?.into_iter().map(TaxId).collect(),
                    active: r.bool("active")?,
                    custom: r.custom_strs(&custom)?,
                })
            })
            .collect()
    }

    /// The product with this id (archived included).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = PRODUCT, method = "search_read"))]
    pub async fn get_product(&self, id: ProductId) -> Result<Option<Product>, OdooError> {
        Ok(self
            .products_where(json!([["id", "=", id.0]]), Some(1))
            .await?
            .into_iter()
            .next())
    }

    /// Products (archived included) whose internal reference is exactly `code`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = PRODUCT, method = "search_read"))]
    pub async fn find_products_by_code(&self, code: &str) -> Result<Vec<Product>, OdooError> {
        self.products_where(json!([["default_code", "=", code]]), Some(20))
            .await
    }

    /// Products whose custom text field `field` (`x_…`) equals `value`; empty when the server has no
    /// such field.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn find_products_by_custom(
        &self,
        field: &str,
        value: &str,
    ) -> Result<Vec<Product>, OdooError> {
        if !field.starts_with("x_") || !self.client.orm().has_field(PRODUCT, field).await? {
            return Ok(Vec::new());
        }
        self.products_where(json!([[field, "=", value]]), Some(20))
            .await
    }

    async fn product_vals(&self, v: &ProductValues) -> Result<Map<String, Value>, OdooError> {
        let known = self.client.orm().fields(PRODUCT).await?;
        let mut m = Map::new();
        if let Some(n) = &v.name {
            m.insert("name".into(), json!(n));
        }
        if let Some(c) = &v.default_code {
            m.insert("default_code".into(), to_odoo_str(Some(c)));
        }
        if let Some(p) = v.list_price {
            m.insert("list_price".into(), to_odoo_float(p));
        }
        if let Some(p) = v.invoice_policy {
            m.insert("invoice_policy".into(), json!(p.as_odoo()));
        }
        if let Some(r) = v.recurring_invoice {
            if known.contains_key("recurring_invoice") {
                m.insert("recurring_invoice".into(), json!(r));
            } else if r {
                return Err(OdooError::Config(
                    "product.recurring_invoice missing: install the Subscriptions app (sale_subscription)".into(),
                ));
            }
        }
        if let Some(t) = &v.taxes {
            m.insert(
                "taxes_id".into(),
                Command::list(&[Command::Set(t.iter().map(|t| t.0).collect())]),
            );
        }
        for (k, val) in &v.custom {
            if k.starts_with("x_") && known.contains_key(k) {
                m.insert(k.clone(), to_odoo_str(Some(val)));
            } else {
                tracing::warn!(field = %k, "custom product field absent on the Odoo server; skipped");
            }
        }
        Ok(m)
    }

    /// Creates a service product (`type = service`, `sale_ok`) and returns its variant id.
    ///
    /// # Errors
    /// [`OdooError::Invalid`] without a name; [`OdooError::Config`] when a recurring product is asked
    /// for and Subscriptions is absent; Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = PRODUCT, method = "create"))]
    pub async fn create_service_product(
        &self,
        values: &ProductValues,
    ) -> Result<ProductId, OdooError> {
        if values.name.as_deref().unwrap_or("").trim().is_empty() {
            return Err(OdooError::Invalid("a product needs a name".into()));
        }
        let mut vals = self.product_vals(values).await?;
        vals.insert("type".into(), json!("service"));
        vals.insert("sale_ok".into(), json!(true));
        Ok(ProductId(
            self.client
                .orm()
                .create_one(PRODUCT, vals, Map::new())
                .await?,
        ))
    }

    /// Writes the given values on a product (template fields are delegated by `_inherits`).
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = PRODUCT, method = "write"))]
    pub async fn update_product(
        &self,
        id: ProductId,
        values: &ProductValues,
    ) -> Result<(), OdooError> {
        let vals = self.product_vals(values).await?;
        if vals.is_empty() {
            return Ok(());
        }
        self.client.orm().write(PRODUCT, &[id.0], vals).await
    }

    /// Archives (`active = false`) or restores (`true`) the product variants `ids` in one
    /// `write`; no call when `ids` is empty.
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = PRODUCT, method = "write"))]
    pub async fn set_products_active(
        &self,
        ids: &[ProductId],
        active: bool,
    ) -> Result<(), OdooError> {
        let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
        let mut m = Map::new();
        m.insert("active".into(), json!(active));
        self.client.orm().write(PRODUCT, &ids, m).await
    }

    /// Writes the Lago plan code ([`PLAN_CODE_FIELD`]) on a product template.
    ///
    /// # Errors
    /// Odoo's errors (a missing field is an error naming [`PLAN_CODE_FIELD`]).
    #[tracing::instrument(skip_all, fields(model = TEMPLATE, method = "write"))]
    pub async fn set_template_plan_code(
        &self,
        template: ProductTemplateId,
        plan_code: &str,
    ) -> Result<(), OdooError> {
        let mut m = Map::new();
        m.insert(PLAN_CODE_FIELD.into(), json!(plan_code));
        self.client.orm().write(TEMPLATE, &[template.0], m).await
    }

    /// The internal reference (`default_code`) of each product among `ids` that has one, by
    /// product (one `read`; none when `ids` is empty).
    ///
    /// # Errors
    /// Odoo's errors; [`OdooError::MissingError`] when a product no longer exists.
    #[tracing::instrument(skip_all, fields(model = PRODUCT, method = "read"))]
    pub async fn default_codes(
        &self,
        ids: &[ProductId],
    ) -> Result<std::collections::HashMap<ProductId, String>, OdooError> {
        let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
        let mut codes = std::collections::HashMap::new();
        for r in self
            .client
            .orm()
            .read(PRODUCT, &ids, &["default_code"])
            .await?
        {
            if let (Ok(id), Ok(Some(code))) = (r.id(), r.str("default_code")) {
                codes.insert(ProductId(id), code);
            }
        }
        Ok(codes)
    }
}
