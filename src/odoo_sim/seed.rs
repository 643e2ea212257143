//! Initial database: a Canadian company in CAD with the `l10n_ca` sale taxes (13% HST is the
//! company's default sale tax, `addons/l10n_ca/data/template/account.tax-ca_2023.csv`), the
//! journals an invoice needs (INV with a dedicated `RINV` refund sequence, bank), the admin user
//! (uid 2, as in every Odoo database), the `Units` unit, `sale.subscription.plan` Monthly/Yearly
//! when `sale_subscription` is installed, and optionally a small demo catalogue.

use super::error::OResult;
use super::models::ir_model;
use super::state::{Ctx, Record, Sim};
use serde_json::{json, Map, Value};

fn raw(sim: &mut Sim, model: &str, pairs: Vec<(&str, Value)>) -> i64 {
    let now = sim.clock.now_str();
    let t = sim.db.table(model);
    t.last_id += 1;
    let id = t.last_id;
    let mut r: Record = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    for (k, v) in [
        ("create_date", json!(now)),
        ("write_date", json!(now)),
        ("create_uid", json!(1)),
        ("write_uid", json!(1)),
    ] {
        r.entry(k.to_string()).or_insert(v);
    }
    t.rows.insert(id, r);
    id
}

fn vals(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Fills an empty [`Sim`] with the base records.
pub fn seed(sim: &mut Sim, demo: bool) -> OResult<()> {
    sim.uid = 1;
    let cad = raw(
        sim,
        "res.currency",
        vec![
            ("name", json!("CAD")),
            ("full_name", json!("Canadian dollar")),
            ("symbol", json!("$")),
            ("rounding", json!("0.01")),
            ("active", json!(true)),
            ("position", json!("before")),
            ("currency_unit_label", json!("Dollars")),
            ("currency_subunit_label", json!("Cents")),
            ("iso_numeric", json!(124)),
        ],
    );
    for (code, sym, name) in [("USD", "$", "US Dollar"), ("EUR", "€", "Euro")] {
        raw(
            sim,
            "res.currency",
            vec![
                ("name", json!(code)),
                ("full_name", json!(name)),
                ("symbol", json!(sym)),
                ("rounding", json!("0.01")),
                ("active", json!(false)),
                (
                    "position",
                    json!(if code == "EUR" { "after" } else { "before" }),
                ),
            ],
        );
    }
    sim.refs.currency = cad;
    // A few of base's countries (`odoo/addons/base/data/res_country_data.xml`).
    let mut canada = 0;
    for (code, name, phone) in [
        ("CA", "Canada", 1),
        ("US", "United States", 1),
        ("MX", "Mexico", 52),
        ("GB", "United Kingdom", 44),
        ("FR", "France", 33),
        ("DE", "Germany", 49),
        ("IN", "India", 91),
        ("AU", "Australia", 61),
    ] {
        let id = raw(
            sim,
            "res.country",
            vec![
                ("name", json!(name)),
                ("code", json!(code)),
                ("phone_code", json!(phone)),
            ],
        );
        if code == "CA" {
            canada = id;
        }
    }
    // Canada's provinces and territories (`base/data/res.country.state.csv`, as named on a real
    // 19.0 server).
    let mut provinces = std::collections::HashMap::new();
    for (code, name) in [
        ("AB", "Alberta"),
        ("BC", "British Columbia"),
        ("MB", "Manitoba"),
        ("NB", "New Brunswick"),
        ("NL", "Newfoundland and Labrador"),
        ("NT", "Northwest Territories"),
        ("NS", "Nova Scotia"),
        ("NU", "Nunavut"),
        ("ON", "Ontario"),
        ("PE", "Prince Edward Island"),
        ("QC", "Quebec"),
        ("SK", "Saskatchewan"),
        ("YT", "Yukon"),
    ] {
        let id = raw(
            sim,
            "res.country.state",
            vec![
                ("name", json!(name)),
                ("code", json!(code)),
                ("country_id", json!(canada)),
            ],
        );
        provinces.insert(code, id);
    }
    let cp = raw(
        sim,
        "res.partner",
        vec![
            ("name", json!("Fusion Demo Canada Inc.")),
            ("is_company", json!(true)),
            ("type", json!("contact")),
            ("active", json!(true)),
            ("email", json!("billing@fusion-demo.ca")),
            ("city", json!("Toronto")),
            ("zip", json!("M5V 2T6")),
            ("street", json!("100 King St W")),
            ("country_id", json!(canada)),
            ("state_id", json!(provinces["ON"])),
            ("customer_rank", json!(0)),
            ("supplier_rank", json!(0)),
        ],
    );
    let company = raw(
        sim,
        "res.company",
        vec![
            ("partner_id", json!(cp)),
            ("currency_id", json!(cad)),
            ("active", json!(true)),
            ("name", json!("Fusion Demo Canada Inc.")),
            // As real Odoo 19's default (and the kit's company): taxes rounded once per tax
            // over the document (`invoice_lines::document_taxes`; DIVERGENCES.md).
            ("tax_calculation_rounding_method", json!("round_globally")),
        ],
    );
    if let Some(r) = sim.db.row_mut("res.partner", cp) {
        r.insert("company_id".into(), json!(company));
    }
    sim.refs.company = company;
    sim.refs.company_partner = cp;
    let root_p = raw(
        sim,
        "res.partner",
        vec![
            ("name", json!("OdooBot")),
            ("active", json!(false)),
            ("type", json!("contact")),
            ("is_company", json!(false)),
        ],
    );
    let admin_p = raw(
        sim,
        "res.partner",
        vec![
            ("name", json!("Administrator")),
            ("email", json!("admin@fusion-demo.ca")),
            ("active", json!(true)),
            ("type", json!("contact")),
            ("is_company", json!(false)),
            ("parent_id", json!(cp)),
            ("company_id", json!(company)),
        ],
    );
    raw(
        sim,
        "res.users",
        vec![
            ("login", json!("__system__")),
            ("partner_id", json!(root_p)),
            ("company_id", json!(company)),
            ("company_ids", json!([company])),
            ("active", json!(false)),
            ("share", json!(false)),
        ],
    );
    let login = sim.login.clone();
    let admin = raw(
        sim,
        "res.users",
        vec![
            ("login", json!(login)),
            ("partner_id", json!(admin_p)),
            ("company_id", json!(company)),
            ("company_ids", json!([company])),
            ("active", json!(true)),
            ("share", json!(false)),
        ],
    );
    sim.refs.admin_uid = admin;
    sim.refs.uom_unit = raw(
        sim,
        "uom.uom",
        vec![
            ("name", json!("Units")),
            ("active", json!(true)),
            ("relative_factor", json!("1")),
            ("factor", json!("1")),
            ("sequence", json!(1)),
        ],
    );
    raw(
        sim,
        "uom.uom",
        vec![
            ("name", json!("Hours")),
            ("active", json!(true)),
            ("relative_factor", json!("1")),
            ("factor", json!("1")),
            ("sequence", json!(2)),
        ],
    );
    let tax = |sim: &mut Sim, name: &str, amount: &str, usage: &str, seq: i64| {
        raw(
            sim,
            "account.tax",
            vec![
                ("name", json!(name)),
                ("amount", json!(amount)),
                ("amount_type", json!("percent")),
                ("type_tax_use", json!(usage)),
                ("active", json!(true)),
                ("company_id", json!(company)),
                ("sequence", json!(seq)),
                ("invoice_label", json!(format!("{}%", amount))),
                ("include_base_amount", json!(false)),
                ("is_base_affected", json!(true)),
                ("tax_exigibility", json!("on_invoice")),
                ("price_include_override", Value::Null),
            ],
        )
    };
    sim.refs.sale_tax = tax(sim, "13% HST", "13", "sale", 1);
    let gst = tax(sim, "5% GST", "5", "sale", 2);
    let hst15 = tax(sim, "15% HST", "15", "sale", 3);
    tax(sim, "13% HST", "13", "purchase", 1);
    fiscal_positions(sim, company, canada, &provinces, gst, hst15, &tax);
    let journal = |sim: &mut Sim, name: &str, code: &str, kind: &str, seq: i64| {
        raw(
            sim,
            "account.journal",
            vec![
                ("name", json!(name)),
                ("code", json!(code)),
                ("type", json!(kind)),
                ("active", json!(true)),
                ("company_id", json!(company)),
                ("sequence", json!(seq)),
                (
                    "refund_sequence",
                    json!(kind == "sale" || kind == "purchase"),
                ),
                ("invoice_reference_type", json!("invoice")),
                ("invoice_reference_model", json!("odoo")),
            ],
        )
    };
    sim.refs.sale_journal = journal(sim, "Customer Invoices", "INV", "sale", 5);
    journal(sim, "Vendor Bills", "BILL", "purchase", 6);
    sim.refs.bank_journal = journal(sim, "Bank", "BNK1", "bank", 10);
    journal(sim, "Miscellaneous Operations", "MISC", "general", 9);
    raw(
        sim,
        "payment.provider",
        vec![
            ("name", json!("Stripe")),
            ("code", json!("stripe")),
            ("state", json!("disabled")),
            ("company_id", json!(company)),
            ("sequence", json!(1)),
        ],
    );
    let base = sim.base_url();
    raw(
        sim,
        "ir.config_parameter",
        vec![("key", json!("web.base.url")), ("value", json!(base))],
    );
    raw(
        sim,
        "ir.config_parameter",
        vec![
            ("key", json!("database.uuid")),
            ("value", json!(uuid::Uuid::new_v4().to_string())),
        ],
    );
    if sim.with_subscriptions {
        for (name, unit) in [("Monthly", "month"), ("Yearly", "year")] {
            raw(
                sim,
                "sale.subscription.plan",
                vec![
                    ("name", json!(name)),
                    ("active", json!(true)),
                    ("billing_period_value", json!(1)),
                    ("billing_period_unit", json!(unit)),
                    ("auto_close_limit", json!(15)),
                    ("company_id", json!(company)),
                    ("user_closable", json!(false)),
                ],
            );
        }
    }
    ir_model::seed(sim);
    sim.uid = admin;
    if demo {
        seed_demo(sim)?;
    }
    Ok(())
}

/// l10n_ca's sale taxes beyond 13 % HST, 5 % GST and 15 % HST, their `original_tax_ids`, and
/// its auto-applied fiscal positions (one per province, International without a country), as
/// read on a real 19.0 server (DIVERGENCES.md).
fn fiscal_positions(
    sim: &mut Sim,
    company: i64,
    canada: i64,
    provinces: &std::collections::HashMap<&str, i64>,
    gst: i64,
    hst15: i64,
    tax: &dyn Fn(&mut Sim, &str, &str, &str, i64) -> i64,
) {
    let hst13 = sim.refs.sale_tax;
    let hst14 = tax(sim, "14% HST", "14", "sale", 20);
    let intl = tax(sim, "0% Int", "0", "sale", 10);
    let group = |sim: &mut Sim, name: &str, pst: (&str, &str)| {
        let part = tax(sim, pst.0, pst.1, "sale", 20);
        let g = tax(sim, name, "100", "sale", 1);
        if let Some(r) = sim.db.row_mut("account.tax", g) {
            r.insert("amount_type".into(), json!("group"));
            r.insert("children_tax_ids".into(), json!([gst, part]));
        }
        g
    };
    let sk = group(sim, "11% GST+PST SK", ("6% PST SK", "6"));
    let bc = group(sim, "12% GST+PST BC", ("7% PST BC", "7"));
    let mb = group(sim, "12% GST+PST MB", ("7% PST MB", "7"));
    let qc = group(sim, "14.975% GST+QST", ("9.975% QST", "9.975"));
    let main = [sk, bc, mb, qc, gst, hst13, hst14, hst15];
    for t in main.iter().chain([&intl]) {
        let others: Vec<i64> = main.iter().copied().filter(|o| o != t).collect();
        if let Some(r) = sim.db.row_mut("account.tax", *t) {
            r.insert("original_tax_ids".into(), json!(others));
        }
    }
    let positions: [(&str, &str, i64); 13] = [
        ("Alberta (AB)", "AB", gst),
        ("British Columbia (BC)", "BC", bc),
        ("Manitoba (MB)", "MB", mb),
        ("New Brunswick (NB)", "NB", hst15),
        ("Newfoundland and Labrador (NL)", "NL", hst15),
        ("Nova Scotia (NS)", "NS", hst14),
        ("Northwest Territories (NT)", "NT", gst),
        ("Nunavut (NU)", "NU", gst),
        ("Ontario (ON)", "ON", hst13),
        ("Prince Edward Islands (PE)", "PE", hst15),
        ("Quebec (QC)", "QC", qc),
        ("Saskatchewan (SK)", "SK", sk),
        ("Yukon (YT)", "YT", gst),
    ];
    for (seq, (name, code, t)) in (1i64..).zip(positions) {
        raw(
            sim,
            "account.fiscal.position",
            vec![
                ("name", json!(name)),
                ("sequence", json!(seq * 10)),
                ("active", json!(true)),
                ("auto_apply", json!(true)),
                ("company_id", json!(company)),
                ("country_id", json!(canada)),
                ("state_ids", json!([provinces[code]])),
                ("tax_ids", json!([t])),
            ],
        );
    }
    raw(
        sim,
        "account.fiscal.position",
        vec![
            ("name", json!("International (INTL)")),
            ("sequence", json!(140)),
            ("active", json!(true)),
            ("auto_apply", json!(true)),
            ("company_id", json!(company)),
            ("tax_ids", json!([intl])),
        ],
    );
}

fn seed_demo(sim: &mut Sim) -> OResult<()> {
    let ctx = Ctx::new();
    sim.create(
        "res.partner",
        &vals(vec![
            ("name", json!("Acme Robotics Ltd.")),
            ("is_company", json!(true)),
            ("email", json!("ap@acme-robotics.ca")),
            ("ref", json!("ACME")),
        ]),
        &ctx,
    )?;
    sim.create(
        "res.partner",
        &vals(vec![
            ("name", json!("Maple Analytics")),
            ("is_company", json!(true)),
            ("email", json!("finance@maple-analytics.ca")),
        ]),
        &ctx,
    )?;
    let mut products = vec![
        ("Starter Plan", "PLAN-STARTER", "49.0", "order", true),
        ("Pro Plan", "PLAN-PRO", "199.0", "order", true),
        (
            "API Calls (per 1,000)",
            "USAGE-API",
            "0.5",
            "delivery",
            false,
        ),
        ("Onboarding Package", "ONBOARD", "500.0", "order", false),
    ];
    if !sim.with_subscriptions {
        products.iter_mut().for_each(|p| p.4 = false);
    }
    for (name, code, price, policy, recurring) in products {
        let mut v = vals(vec![
            ("name", json!(name)),
            ("default_code", json!(code)),
            ("list_price", json!(price.parse::<f64>().unwrap_or(0.0))),
            ("type", json!("service")),
            ("invoice_policy", json!(policy)),
        ]);
        if sim.with_subscriptions {
            v.insert("recurring_invoice".into(), json!(recurring));
        }
        sim.create("product.template", &v, &ctx)?;
    }
    Ok(())
}
