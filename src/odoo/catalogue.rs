//! Catalogue facade: recurring plans (`sale.subscription.plan`), products (`product.product`),
//! the company and its currency (`res.company`, `res.currency`) and sale taxes (`account.tax`).
//! CONTRACT.md §4.2, §4.4, §4.9; `addons/product/models/product_template.py`,
//! `addons/account/models/account_tax.py`, enterprise `sale_subscription` (plans).

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use super::client::{OdooClient, SearchOptions};
use super::custom_fields::PLAN_CODE_FIELD;
use super::error::OdooError;
use super::value::{
    to_odoo_float, to_odoo_str, Command, CompanyId, CurrencyId, Many2one, PlanId, ProductId,
    ProductTemplateId, Record, TaxId,
};

const PLAN: &str = "sale.subscription.plan";
const PRODUCT: &str = "product.product";
const TEMPLATE: &str = "product.template";
const TAX: &str = "account.tax";
const CURRENCY: &str = "res.currency";

/// Unit of a plan's billing period (`billing_period_unit`: `week|month|year`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillingPeriodUnit {
    /// `week`.
    Week,
    /// `month`.
    Month,
    /// `year`.
    Year,
}

impl BillingPeriodUnit {
    /// The Odoo selection key.
    pub fn as_odoo(&self) -> &'static str {
        match self {
            BillingPeriodUnit::Week => "week",
            BillingPeriodUnit::Month => "month",
            BillingPeriodUnit::Year => "year",
        }
    }

    fn parse(s: &str) -> Result<BillingPeriodUnit, OdooError> {
        match s {
            "week" => Ok(BillingPeriodUnit::Week),
            "month" => Ok(BillingPeriodUnit::Month),
            "year" => Ok(BillingPeriodUnit::Year),
            other => Err(OdooError::Decode(format!(
                "{PLAN}.billing_period_unit: unknown key {other:?}"
            ))),
        }
    }
}

impl fmt::Display for BillingPeriodUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_odoo())
    }
}

/// A recurring plan ("Recurring Plans" in Subscriptions → Configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionPlan {
    /// Odoo record id.
    pub id: PlanId,
    /// Name (`name`).
    pub name: String,
    /// Number of units per period (`billing_period_value`, ≥ 1).
    pub billing_period_value: i64,
    /// Unit of the billing period (`billing_period_unit`).
    pub billing_period_unit: BillingPeriodUnit,
    /// Days after which unpaid subscriptions close (`auto_close_limit`).
    pub auto_close_limit: Option<i64>,
    /// False when archived (`active`).
    pub active: bool,
    /// Company (`company_id`); `None` = shared by all companies.
    pub company: Option<Many2one>,
}

const PLAN_FIELDS: &[&str] = &[
    "name",
    "billing_period_value",
    "billing_period_unit",
    "auto_close_limit",
    "active",
    "company_id",
];

impl SubscriptionPlan {
    fn from_record(r: &Record) -> Result<SubscriptionPlan, OdooError> {
        Ok(SubscriptionPlan {
            id: PlanId(r.id()?),
            name: r.string("name")?,
            billing_period_value: r.int("billing_period_value")?.unwrap_or(1),
            billing_period_unit: BillingPeriodUnit::parse(
                r.str("billing_period_unit")?.as_deref().unwrap_or("month"),
            )?,
            auto_close_limit: r.int("auto_close_limit")?,
            active: r.bool("active")?,
            company: r.m2o("company_id")?,
        })
    }
}

/// `type` of a product (19.0: `consu | service | combo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductType {
    /// `consu`: goods.
    Goods,
    /// `service`.
    Service,
    /// `combo`.
    Combo,
    /// A key added by a module we do not know.
    Other(String),
}

/// `invoice_policy` (`sale`): invoice ordered quantities, or delivered ones (usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoicePolicy {
    /// `order`: invoice what was ordered (fixed fees).
    Order,
    /// `delivery`: invoice `qty_delivered` (metered usage, postpaid subscription lines).
    Delivery,
}

impl InvoicePolicy {
    /// The Odoo selection key.
    pub fn as_odoo(&self) -> &'static str {
        match self {
            InvoicePolicy::Order => "order",
            InvoicePolicy::Delivery => "delivery",
        }
    }
}

/// A sellable product (variant).
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Odoo record id.
    pub id: ProductId,
    /// Its `product.template` (`product_tmpl_id`).
    pub template_id: ProductTemplateId,
    /// Name (`name`).
    pub name: String,
    /// Internal reference (`default_code`), our stable product key.
    pub default_code: Option<String>,
    /// Sales price (`list_price`) in the company currency.
    pub list_price: Decimal,
    /// Product type (`type`).
    pub product_type: ProductType,
    /// Invoicing policy (`invoice_policy`).
    pub invoice_policy: Option<InvoicePolicy>,
    /// `recurring_invoice` (subscription product); false when `sale_subscription` is absent.
    pub recurring_invoice: bool,
    /// Customer taxes (`taxes_id`).
    pub taxes: Vec<TaxId>,
    /// False when archived (`active`).
    pub active: bool,
    /// Custom (`x_…`) fields requested and present on the server, as text (`None` when empty).
    pub custom: BTreeMap<String, Option<String>>,
}

/// Values to create or update a service product. `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductValues {
    /// Name (`name`).
    pub name: Option<String>,
    /// Internal reference (`default_code`).
    pub default_code: Option<String>,
    /// Sales price (`list_price`) in the company currency.
    pub list_price: Option<Decimal>,
    /// Invoicing policy (`invoice_policy`).
    pub invoice_policy: Option<InvoicePolicy>,
    /// Written only when the server has `recurring_invoice` (Subscriptions installed).
    pub recurring_invoice: Option<bool>,
    /// Replaces the customer taxes.
    pub taxes: Option<Vec<TaxId>>,
    /// Custom text fields (names must start with `x_`), written only when the server has them;
    /// absent ones are skipped with a warning.
    pub custom: BTreeMap<String, String>,
}

/// A company.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    /// Odoo record id.
    pub id: CompanyId,
    /// Name (`name`).
    pub name: String,
    /// Company currency (`currency_id`).
    pub currency: Many2one,
}

/// A currency (`res.currency`).
#[derive(Debug, Clone, PartialEq)]
pub struct Currency {
    /// Odoo record id.
    pub id: CurrencyId,
    /// ISO 4217 code (`name`), e.g. `CAD`.
    pub code: String,
    /// Currency symbol (`symbol`), e.g. `$`.
    pub symbol: Option<String>,
    /// Smallest amount (`rounding`, e.g. 0.01).
    pub rounding: Decimal,
    /// Digits after the decimal point (`decimal_places`).
    pub decimal_places: Option<i64>,
    /// False when archived (`active`).
    pub active: bool,
}

const CURRENCY_FIELDS: &[&str] = &["name", "symbol", "rounding", "decimal_places", "active"];

impl Currency {
    fn from_record(r: &Record) -> Result<Currency, OdooError> {
        Ok(Currency {
            id: CurrencyId(r.id()?),
            code: r.string("name")?,
            symbol: r.str("symbol")?,
            rounding: r.decimal("rounding")?,
            decimal_places: r.int("decimal_places")?,
            active: r.bool("active")?,
        })
    }
}

/// A tax (`account.tax`).
#[derive(Debug, Clone, PartialEq)]
pub struct Tax {
    /// Odoo record id.
    pub id: TaxId,
    /// Translated name, e.g. "13% HST" / "13% TVH": display only, never a key.
    pub name: String,
    /// Rate in percent for `amount_type = percent` (13 for 13 %).
    pub amount: Decimal,
    /// `group | fixed | percent | division`.
    pub amount_type: String,
    /// `sale | purchase | none`.
    pub type_tax_use: String,
    /// False when archived (`active`).
    pub active: bool,
    /// Company (`company_id`); `None` = shared by all companies.
    pub company: Option<Many2one>,
}

const TAX_FIELDS: &[&str] = &[
    "name",
    "amount",
    "amount_type",
    "type_tax_use",
    "active",
    "company_id",
];

impl Tax {
    fn from_record(r: &Record) -> Result<Tax, OdooError> {
        Ok(Tax {
            id: TaxId(r.id()?),
            name: r.str("name")?.unwrap_or_default(),
            amount: r.decimal("amount")?,
            amount_type: r.str("amount_type")?.unwrap_or_default(),
            type_tax_use: r.str("type_tax_use")?.unwrap_or_default(),
            active: r.bool("active")?,
            company: r.m2o("company_id")?,
        })
    }
}

/// Catalogue operations; get one with [`OdooClient::catalogue`].
#[derive(Debug, Clone, Copy)]
pub struct Catalogue<'a> {
    client: &'a OdooClient,
}

impl OdooClient {
    /// The catalogue facade.
    pub fn catalogue(&self) -> Catalogue<'_> {
        Catalogue { client: self }
    }
}

impl Catalogue<'_> {
    async fn plans_where(&self, domain: Value) -> Result<Vec<SubscriptionPlan>, OdooError> {
        self.client
            .orm()
            .search_read(PLAN, domain, PLAN_FIELDS, &SearchOptions::ordered("id asc"))
            .await?
            .iter()
            .map(SubscriptionPlan::from_record)
            .collect()
    }

    /// All active recurring plans.
    ///
    /// # Errors
    /// Any [`OdooError`] (a `UserError`/`NotFound` when Subscriptions is not installed).
    #[tracing::instrument(skip_all, fields(model = PLAN, method = "search_read"))]
    pub async fn plans(&self) -> Result<Vec<SubscriptionPlan>, OdooError> {
        self.plans_where(json!([])).await
    }

    /// The active plan named exactly `name` (first by id when several).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = PLAN, method = "search_read"))]
    pub async fn find_plan_by_name(
        &self,
        name: &str,
    ) -> Result<Option<SubscriptionPlan>, OdooError> {
        Ok(self
            .plans_where(json!([["name", "=", name]]))
            .await?
            .into_iter()
            .next())
    }

    /// Active plans billing every `value` `unit`s (e.g. 1 month).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = PLAN, method = "search_read"))]
    pub async fn find_plans_by_interval(
        &self,
        value: i64,
        unit: BillingPeriodUnit,
    ) -> Result<Vec<SubscriptionPlan>, OdooError> {
        self.plans_where(json!([
            ["billing_period_value", "=", value],
            ["billing_period_unit", "=", unit.as_odoo()]
        ]))
        .await
    }

    /// Creates a recurring plan.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = PLAN, method = "create"))]
    pub async fn create_plan(
        &self,
        name: &str,
        value: i64,
        unit: BillingPeriodUnit,
    ) -> Result<PlanId, OdooError> {
        let mut vals = Map::new();
        vals.insert("name".into(), json!(name));
        vals.insert("billing_period_value".into(), json!(value));
        vals.insert("billing_period_unit".into(), json!(unit.as_odoo()));
        Ok(PlanId(
            self.client.orm().create_one(PLAN, vals, Map::new()).await?,
        ))
    }

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
