//! `fusion-billing odoo check`: connects with the configured settings and verifies that the Odoo
//! instance has everything the gateway relies on, with plain-words advice for each gap.
//!
//! Works against any server obeying `shared/odoo/CONTRACT.md` (real Odoo 19 or the simulator): it
//! uses only `common.authenticate`/`version` (or JSON-2 `context_get`, `/web/version`),
//! `fields_get` and `search_read`.

use std::fmt;

use rust_decimal::Decimal;

use crate::configuration::OdooSettings;

use super::catalogue::Catalogue;
use super::client::OdooClient;
use super::error::OdooError;
use super::value::CompanyId;

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// Present and usable.
    Ok,
    /// Works, but worth a look (does not make the report fail).
    Warning,
    /// Missing or unusable: the gateway will not work until fixed.
    Missing,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckItem {
    /// What was checked, e.g. "sale.order subscription fields".
    pub name: String,
    /// Outcome of the check.
    pub status: CheckStatus,
    /// What was found.
    pub detail: String,
    /// What to do about it, in plain words (for `Missing`/`Warning`).
    pub advice: Option<String>,
}

/// The result of [`check`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Odoo base URL checked.
    pub url: String,
    /// Database checked.
    pub database: String,
    /// Server version string, when it could be read.
    pub server_version: Option<String>,
    /// Protocol in use (`jsonrpc` or `json2`), when connected.
    pub protocol: Option<String>,
    /// Every check, in order.
    pub items: Vec<CheckItem>,
}

impl CheckReport {
    /// True when no item is [`CheckStatus::Missing`].
    pub fn is_ok(&self) -> bool {
        !self.items.iter().any(|i| i.status == CheckStatus::Missing)
    }

    /// The items that are missing.
    pub fn problems(&self) -> impl Iterator<Item = &CheckItem> {
        self.items
            .iter()
            .filter(|i| i.status == CheckStatus::Missing)
    }

    fn ok(&mut self, name: &str, detail: impl Into<String>) {
        self.items.push(CheckItem {
            name: name.into(),
            status: CheckStatus::Ok,
            detail: detail.into(),
            advice: None,
        });
    }

    fn warn(&mut self, name: &str, detail: impl Into<String>, advice: impl Into<String>) {
        self.items.push(CheckItem {
            name: name.into(),
            status: CheckStatus::Warning,
            detail: detail.into(),
            advice: Some(advice.into()),
        });
    }

    fn missing(&mut self, name: &str, detail: impl Into<String>, advice: impl Into<String>) {
        self.items.push(CheckItem {
            name: name.into(),
            status: CheckStatus::Missing,
            detail: detail.into(),
            advice: Some(advice.into()),
        });
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Odoo check: {} (database {:?})", self.url, self.database)?;
        if let Some(v) = &self.server_version {
            writeln!(f, "  server version: {v}")?;
        }
        if let Some(p) = &self.protocol {
            writeln!(f, "  protocol: {p}")?;
        }
        for i in &self.items {
            let tag = match i.status {
                CheckStatus::Ok => "  ok     ",
                CheckStatus::Warning => "  WARN   ",
                CheckStatus::Missing => "  MISSING",
            };
            writeln!(f, "{tag} {}: {}", i.name, i.detail)?;
            if let Some(a) = &i.advice {
                writeln!(f, "           -> {a}")?;
            }
        }
        let n = self.problems().count();
        if n == 0 {
            write!(f, "Result: OK, Odoo has everything fusion-billing needs.")
        } else {
            write!(
                f,
                "Result: {n} problem(s) to fix before fusion-billing can use this Odoo."
            )
        }
    }
}

/// Fields the gateway reads or writes, per model, with the advice when they are absent.
const REQUIRED: &[(&str, &[&str], &str)] = &[
    (
        "res.partner",
        &[
            "name",
            "email",
            "vat",
            "street",
            "city",
            "zip",
            "country_id",
            "lang",
            "ref",
        ],
        "the Contacts base model is incomplete: check the Odoo installation",
    ),
    (
        "product.product",
        &[
            "default_code",
            "list_price",
            "type",
            "taxes_id",
            "invoice_policy",
        ],
        "install the Sales app (sale_management)",
    ),
    (
        "product.product",
        &["recurring_invoice"],
        "install the Subscriptions app (sale_subscription)",
    ),
    (
        "sale.order",
        &[
            "partner_id",
            "order_line",
            "state",
            "client_order_ref",
            "invoice_ids",
        ],
        "install the Sales app (sale_management)",
    ),
    (
        "sale.order",
        &[
            "is_subscription",
            "plan_id",
            "subscription_state",
            "next_invoice_date",
            "start_date",
            "end_date",
        ],
        "install the Subscriptions app (sale_subscription)",
    ),
    (
        "sale.order.line",
        &[
            "product_id",
            "product_uom_qty",
            "qty_delivered",
            "price_unit",
            "tax_ids",
        ],
        "install the Sales app (sale_management)",
    ),
    (
        "sale.subscription.plan",
        &["name", "billing_period_value", "billing_period_unit"],
        "install the Subscriptions app (sale_subscription)",
    ),
    (
        "account.move",
        &[
            "move_type",
            "state",
            "payment_state",
            "amount_total",
            "amount_residual",
            "reversed_entry_id",
            "invoice_date",
            "invoice_origin",
            "invoice_line_ids",
        ],
        "install the Invoicing app (account)",
    ),
    (
        "account.move.line",
        &[
            "move_id",
            "product_id",
            "quantity",
            "price_unit",
            "tax_ids",
            "display_type",
        ],
        "install the Invoicing app (account)",
    ),
    (
        "account.move.reversal",
        &["move_ids", "reason", "date", "journal_id"],
        "install the Invoicing app (account)",
    ),
    (
        "account.payment.register",
        &["amount", "payment_date", "journal_id"],
        "install the Invoicing app (account)",
    ),
    (
        "payment.link.wizard",
        &["link", "amount"],
        "install Online Payments for invoices (account_payment)",
    ),
    (
        "account.tax",
        &["amount", "amount_type", "type_tax_use", "company_id"],
        "install the Invoicing app (account)",
    ),
    (
        "res.currency",
        &["name", "active", "rounding"],
        "the currency model is incomplete: check the Odoo installation",
    ),
];

/// `install`, and for an Enterprise app on a Community server, that it needs Enterprise.
fn install_advice(install: &str, community: bool) -> String {
    if community && install.contains("sale_subscription") {
        format!(
            "{install}: an Odoo Enterprise app, and this server is Community; use Odoo \
             Enterprise (for tests only, tests/odoo_addons/sale_subscription_double stands in \
             for it)"
        )
    } else {
        install.to_string()
    }
}

fn model_advice(model: &str, e: &OdooError, install: &str) -> String {
    match e {
        OdooError::AccessError(_) | OdooError::AccessDenied(_) => format!(
            "give the Odoo user read access to {model} (e.g. Sales Administrator and Accounting / Billing rights)"
        ),
        _ => install.to_string(),
    }
}

/// Connects with `settings` and checks what the gateway needs: authentication, server version,
/// protocol, models and fields (`fields_get`), CAD active, a 13 % percent sale tax (found by
/// amount, `amount_type = percent` and `type_tax_use = sale`, never by its translated name).
/// Never fails: every problem becomes a [`CheckStatus::Missing`] item.
#[tracing::instrument(skip_all, fields(url = %super::transport::redact_url(&settings.url)))]
pub async fn check(settings: &OdooSettings) -> CheckReport {
    let mut report = CheckReport {
        url: if settings.is_configured() {
            super::transport::redact_url(&settings.url)
        } else {
            String::new()
        },
        database: settings.database.clone(),
        ..CheckReport::default()
    };
    if !settings.is_configured() {
        report.missing(
            "settings",
            "odoo.url is empty",
            "set odoo.url (or FUSION__ODOO__URL), odoo.database, odoo.login and odoo.password",
        );
        return report;
    }
    let Some(client) = connect(settings, &mut report).await else {
        return report;
    };
    let community = check_version(&client, &mut report).await;
    check_fields(&client, community, &mut report).await;
    let catalogue = client.catalogue();
    let company = check_company(&catalogue, &mut report).await;
    check_currency(&catalogue, &mut report).await;
    check_sale_tax(&catalogue, company, &mut report).await;
    report
}

/// Connects, recording the connection item; `None` (with the advice) when it fails.
async fn connect(settings: &OdooSettings, report: &mut CheckReport) -> Option<OdooClient> {
    let client = match OdooClient::connect(settings).await {
        Ok(c) => c,
        Err(e) => {
            let advice = match &e {
                OdooError::Config(m) if m.starts_with("authentication failed") => {
                    "check odoo.database, odoo.login and odoo.password (an API key from Preferences → Account Security works as the password; JSON-2 needs an API key)".to_string()
                }
                OdooError::Config(_) => "fix the [odoo] settings".to_string(),
                e if e.is_retryable() => {
                    "check odoo.url and that Odoo is running and reachable from this host".to_string()
                }
                _ => "check odoo.url points at an Odoo 19 server and odoo.protocol".to_string(),
            };
            report.missing("connection", e.to_string(), advice);
            return None;
        }
    };
    report.protocol = Some(client.protocol().to_string());
    report.ok(
        "connection",
        format!(
            "logged in as {} (uid {}) over {}",
            client.login(),
            client.uid(),
            client.protocol()
        ),
    );

    Some(client)
}

/// Records the server version; true for Community (no Enterprise subscriptions).
async fn check_version(client: &OdooClient, report: &mut CheckReport) -> bool {
    let mut community = false;
    match client.server_version().await {
        Ok(v) => {
            report.server_version = Some(v.to_string());
            community = !v.enterprise;
            match v.major {
                Some(m) if m >= 19 => report.ok("server version", v.to_string()),
                _ => report.warn(
                    "server version",
                    v.to_string(),
                    "fusion-billing targets Odoo 19; older versions may name fields differently",
                ),
            }
        }
        Err(e) => report.warn(
            "server version",
            format!("could not read the version: {e}"),
            "make sure /jsonrpc (rpc module) or /web/version is reachable",
        ),
    }

    community
}

/// Records, for each model the gateway uses, whether its fields exist (`fields_get`).
async fn check_fields(client: &OdooClient, community: bool, report: &mut CheckReport) {
    for (model, fields, install) in REQUIRED {
        let name = format!("{model} fields");
        let advice = install_advice(install, community);
        let install = &advice.as_str();
        match client.orm().fields(model).await {
            Ok(known) => {
                let absent: Vec<&str> = fields
                    .iter()
                    .copied()
                    .filter(|f| !known.contains_key(*f))
                    .collect();
                if absent.is_empty() {
                    report.ok(&name, fields.join(", "));
                } else {
                    report.missing(&name, format!("missing {}", absent.join(", ")), *install);
                }
            }
            Err(e) if e.is_retryable() => {
                report.missing(
                    &name,
                    format!("could not check: {e}"),
                    "retry when Odoo is reachable",
                );
            }
            Err(e) => report.missing(
                &name,
                format!("model {model} not available: {e}"),
                model_advice(model, &e, install),
            ),
        }
    }
}

/// Records the user's company; its id, when readable.
async fn check_company(catalogue: &Catalogue<'_>, report: &mut CheckReport) -> Option<CompanyId> {
    match catalogue.company().await {
        Ok(c) => {
            report.ok(
                "company",
                format!("{} (id {}), currency {}", c.name, c.id, c.currency.name),
            );
            Some(c.id)
        }
        Err(e) => {
            report.warn(
                "company",
                format!("could not read the user's company: {e}"),
                "give the Odoo user read access to its company",
            );
            None
        }
    }
}

/// Records whether CAD exists and is active.
async fn check_currency(catalogue: &Catalogue<'_>, report: &mut CheckReport) {
    match catalogue.find_currency("CAD").await {
        Ok(Some(c)) if c.active => report.ok("CAD currency", format!("active (id {})", c.id)),
        Ok(Some(c)) => report.missing(
            "CAD currency",
            format!("CAD exists (id {}) but is inactive", c.id),
            "activate CAD in Accounting → Configuration → Currencies",
        ),
        Ok(None) => report.missing(
            "CAD currency",
            "no currency named CAD",
            "create or activate CAD in Accounting → Configuration → Currencies",
        ),
        Err(e) => report.missing(
            "CAD currency",
            format!("could not read currencies: {e}"),
            "give the Odoo user read access to currencies (Accounting / Billing rights)",
        ),
    }
}

/// Records the active 13 % percent sale taxes of `company`.
async fn check_sale_tax(
    catalogue: &Catalogue<'_>,
    company: Option<CompanyId>,
    report: &mut CheckReport,
) {
    let thirteen = Decimal::from(13);
    match catalogue.find_sale_taxes(thirteen, company).await {
        Ok(taxes) if !taxes.is_empty() => {
            let names: Vec<String> = taxes.iter().map(|t| format!("{} (id {})", t.name, t.id)).collect();
            report.ok("13 % sale tax", names.join(", "));
        }
        Ok(_) => report.missing(
            "13 % sale tax",
            "no active sale tax with amount 13 and amount type percent",
            "install the Canadian fiscal localization (l10n_ca, tax \"13% HST\") or create a 13 % percent sale tax in Accounting → Configuration → Taxes",
        ),
        Err(e) => report.missing(
            "13 % sale tax",
            format!("could not read taxes: {e}"),
            "give the Odoo user read access to taxes (Accounting / Billing rights)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_is_ok() {
        let mut r = CheckReport {
            url: "http://odoo".into(),
            database: "db".into(),
            ..CheckReport::default()
        };
        r.ok("connection", "fine");
        assert!(r.is_ok());
        r.missing(
            "CAD currency",
            "inactive",
            "activate CAD in Accounting → Currencies",
        );
        assert!(!r.is_ok());
        let s = r.to_string();
        assert!(s.contains("MISSING CAD currency: inactive"), "{s}");
        assert!(s.contains("-> activate CAD"), "{s}");
        assert!(s.contains("1 problem(s)"), "{s}");
    }
}
