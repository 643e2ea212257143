//! Portal pages (`addons/account/controllers/portal.py` `portal_my_invoice_detail`,
//! `addons/sale/controllers/portal.py`): with a valid `access_token` the invoice is served as PDF
//! (`report_type=pdf`, `download=true` → attachment) or HTML; otherwise Odoo redirects to `/my`.

use super::pdf;
use super::state::Sim;
use super::value::{as_id, as_ids, dec};
use actix_web::HttpResponse;
use std::collections::HashMap;

fn token_ok(sim: &Sim, model: &str, id: i64, q: &HashMap<String, String>) -> bool {
    sim.exists(model, id)
        && q.get("access_token").is_some_and(|t| {
            !t.is_empty() && sim.get(model, id, "access_token").as_str() == Some(t.as_str())
        })
}

fn redirect() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/my"))
        .finish()
}

fn money(d: rust_decimal::Decimal) -> String {
    format!("{:.2}", d)
}

/// Text lines of an invoice document.
pub fn invoice_lines(sim: &Sim, id: i64) -> Vec<String> {
    const AM: &str = "account.move";
    let g = |f: &str| sim.get(AM, id, f);
    let cur = as_id(&g("currency_id"))
        .map(|c| sim.display_name("res.currency", c))
        .unwrap_or_default();
    let mut out = vec![
        sim.display_name("res.company", sim.refs.company),
        format!(
            "Customer: {}",
            as_id(&g("partner_id"))
                .map(|p| sim.display_name("res.partner", p))
                .unwrap_or_default()
        ),
        format!("Invoice date: {}", g("invoice_date").as_str().unwrap_or("")),
        format!(
            "Due date: {}",
            sim.get(AM, id, "invoice_date_due").as_str().unwrap_or("")
        ),
        format!("Source: {}", g("invoice_origin").as_str().unwrap_or("")),
        String::new(),
    ];
    for l in as_ids(&g("invoice_line_ids")) {
        let lg = |f: &str| sim.get("account.move.line", l, f);
        let name = lg("name")
            .as_str()
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        out.push(format!(
            "{name}  x {}  @ {}  = {}",
            dec(&lg("quantity")).normalize(),
            money(dec(&lg("price_unit"))),
            money(dec(&lg("price_subtotal")))
        ));
    }
    out.push(String::new());
    out.push(format!(
        "Untaxed Amount: {} {cur}",
        money(dec(&g("amount_untaxed")))
    ));
    out.push(format!("Tax: {} {cur}", money(dec(&g("amount_tax")))));
    out.push(format!("Total: {} {cur}", money(dec(&g("amount_total")))));
    out.push(format!(
        "Amount Due: {} {cur}",
        money(dec(&g("amount_residual")))
    ));
    out
}

/// `GET /my/invoices/<id>?access_token=..&report_type=pdf&download=true`.
pub fn invoice(sim: &Sim, id: i64, q: &HashMap<String, String>) -> HttpResponse {
    if !token_ok(sim, "account.move", id, q) {
        return redirect();
    }
    let title = sim.display_name("account.move", id);
    let lines = invoice_lines(sim, id);
    match q.get("report_type").map(String::as_str) {
        Some("pdf") => {
            let body = pdf::render(&title, &lines);
            let file = format!("{}.pdf", title.replace(['/', ' ', '*', '(', ')'], "_"));
            let disp = if q.get("download").is_some_and(|d| d == "true") {
                "attachment"
            } else {
                "inline"
            };
            HttpResponse::Ok()
                .content_type("application/pdf")
                .insert_header((
                    "Content-Disposition",
                    format!("{disp}; filename=\"{file}\""),
                ))
                .body(body)
        }
        Some("text") => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(format!("{title}\n{}", lines.join("\n"))),
        _ => html(&title, &lines),
    }
}

/// `GET /my/orders/<id>?access_token=..` (HTML).
pub fn order(sim: &Sim, id: i64, q: &HashMap<String, String>) -> HttpResponse {
    if !token_ok(sim, "sale.order", id, q) {
        return redirect();
    }
    let title = sim.display_name("sale.order", id);
    let total = money(dec(&sim.get("sale.order", id, "amount_total")));
    html(&title, &[format!("Total: {total}")])
}

fn html(title: &str, lines: &[String]) -> HttpResponse {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body: String = lines.iter().map(|l| format!("<p>{}</p>", esc(l))).collect();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!("<!DOCTYPE html><html><head><title>{0}</title></head><body><h1>{0}</h1>{body}</body></html>", esc(title)))
}
