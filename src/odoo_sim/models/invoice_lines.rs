//! Shared money logic for order and invoice lines: taxes of a line (`account.tax._get_tax_totals`
//! with `round_per_line`), and building an `out_invoice` from sale order lines
//! (`sale.order._prepare_invoice`, `sale.order.line._prepare_invoice_line`).

use crate::odoo_sim::error::OResult;
use crate::odoo_sim::money;
use crate::odoo_sim::state::{Ctx, Sim};
use crate::odoo_sim::value::{as_id, as_ids, dec};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// Rounding factor of a currency (0.01 when unknown).
pub fn rounding(sim: &Sim, currency: Option<i64>) -> Decimal {
    let r = currency
        .map(|c| dec(&sim.get("res.currency", c, "rounding")))
        .unwrap_or_default();
    if r.is_zero() {
        Decimal::new(1, 2)
    } else {
        r
    }
}

/// Tax amounts `(tax_id, amount)` of a line with price excluded from taxes.
pub fn line_taxes(
    sim: &Sim,
    tax_ids: &[i64],
    base: Decimal,
    qty: Decimal,
    r: Decimal,
) -> Vec<(i64, Decimal)> {
    let mut out = vec![];
    for t in tax_ids {
        let kind = sim.get("account.tax", *t, "amount_type");
        let amount = dec(&sim.get("account.tax", *t, "amount"));
        match kind.as_str().unwrap_or("percent") {
            "fixed" => out.push((*t, money::fixed_tax(qty, amount, r))),
            "division" if amount < Decimal::ONE_HUNDRED => out.push((
                *t,
                money::round(base * amount / (Decimal::ONE_HUNDRED - amount), r),
            )),
            "group" => out.extend(line_taxes(
                sim,
                &as_ids(&sim.get("account.tax", *t, "children_tax_ids")),
                base,
                qty,
                r,
            )),
            _ => out.push((*t, money::percent_tax(base, amount, r))),
        }
    }
    out
}

/// True when the company rounds taxes globally (`res.company.tax_calculation_rounding_method`
/// = `round_globally`, real Odoo 19's default).
pub fn rounds_globally(sim: &Sim) -> bool {
    sim.get(
        "res.company",
        sim.refs.company,
        "tax_calculation_rounding_method",
    )
    .as_str()
        == Some("round_globally")
}

/// A document's taxes by tax over its priced `lines` of `model` (`sale.order.line` or
/// `account.move.line`), as Odoo 19's tax engine: each line's tax rounded and summed
/// (`round_per_line`), or the unrounded line taxes summed per tax and rounded once
/// (`round_globally`: 1.00 + 0.05 + 0.05 at 13 % is 0.14, not 0.15).
pub fn document_taxes(
    sim: &Sim,
    model: &str,
    lines: &[i64],
    r: Decimal,
) -> std::collections::BTreeMap<i64, Decimal> {
    let global = rounds_globally(sim);
    let line_r = if global { Decimal::ZERO } else { r };
    let qty_field = if model == "sale.order.line" {
        "product_uom_qty"
    } else {
        "quantity"
    };
    let mut taxes = std::collections::BTreeMap::new();
    for l in lines {
        let (sub, _, _) = line_amounts(sim, model, *l);
        let qty = dec(&sim.get(model, *l, qty_field));
        for (t, a) in line_taxes(
            sim,
            &as_ids(&sim.get(model, *l, "tax_ids")),
            sub,
            qty,
            line_r,
        ) {
            *taxes.entry(t).or_insert(Decimal::ZERO) += a;
        }
    }
    if global {
        for v in taxes.values_mut() {
            *v = money::round(*v, r);
        }
    }
    taxes
}

/// `(subtotal, tax, total)` of a priced line of `model` (`sale.order.line` or `account.move.line`).
pub fn line_amounts(sim: &Sim, model: &str, id: i64) -> (Decimal, Decimal, Decimal) {
    let qty_field = if model == "sale.order.line" {
        "product_uom_qty"
    } else {
        "quantity"
    };
    let qty = dec(&sim.get(model, id, qty_field));
    let price = dec(&sim.get(model, id, "price_unit"));
    let disc = dec(&sim.get(model, id, "discount"));
    let cur = as_id(&sim.get(model, id, "currency_id"));
    let r = rounding(sim, cur.or(Some(sim.refs.currency)));
    let sub = money::line_subtotal(qty, price, disc, r);
    let tax: Decimal = line_taxes(sim, &as_ids(&sim.get(model, id, "tax_ids")), sub, qty, r)
        .iter()
        .map(|t| t.1)
        .sum();
    (sub, tax, sub + tax)
}

/// Creates a draft `out_invoice` for `order` with `(sale line, quantity)` pairs; returns its id.
pub fn invoice_from_order(
    sim: &mut Sim,
    order: i64,
    lines: &[(i64, Decimal)],
    label_suffix: &str,
) -> OResult<i64> {
    let so = "sale.order";
    let partner = as_id(&sim.get(so, order, "partner_invoice_id")).or(as_id(&sim.get(
        so,
        order,
        "partner_id",
    )));
    let mut cmds = vec![];
    for (line, qty) in lines {
        let l = "sale.order.line";
        let name = sim.get(l, *line, "name").as_str().unwrap_or("").to_string();
        // Odoo 19 (`account.move.line._get_journal_items_full_name`): the product's display
        // name, a newline, then the sale line's name, unless the name already contains it.
        let display = as_id(&sim.get(l, *line, "product_id"))
            .map(|p| sim.display_name("product.product", p))
            .unwrap_or_default();
        let name = if display.is_empty() || name.contains(&display) {
            name
        } else {
            format!("{display}\n{name}")
        };
        let mut v = Map::new();
        v.insert("display_type".into(), json!("product"));
        v.insert("product_id".into(), sim.wire_id(l, *line, "product_id"));
        v.insert("name".into(), json!(format!("{name}{label_suffix}")));
        v.insert("quantity".into(), crate::odoo_sim::value::dec_wire(*qty));
        v.insert(
            "price_unit".into(),
            crate::odoo_sim::value::dec_wire(dec(&sim.get(l, *line, "price_unit"))),
        );
        v.insert(
            "discount".into(),
            crate::odoo_sim::value::dec_wire(dec(&sim.get(l, *line, "discount"))),
        );
        v.insert(
            "tax_ids".into(),
            json!([[6, 0, as_ids(&sim.get(l, *line, "tax_ids"))]]),
        );
        v.insert(
            "product_uom_id".into(),
            sim.wire_id(l, *line, "product_uom_id"),
        );
        v.insert("sale_line_ids".into(), json!([[6, 0, [line]]]));
        cmds.push(json!([0, 0, v]));
    }
    let mut vals = Map::new();
    vals.insert("move_type".into(), json!("out_invoice"));
    vals.insert("partner_id".into(), json!(partner));
    vals.insert("invoice_origin".into(), sim.get(so, order, "name"));
    vals.insert(
        "ref".into(),
        match sim.get(so, order, "client_order_ref") {
            Value::Null => json!(false),
            v => v,
        },
    );
    vals.insert("currency_id".into(), sim.wire_id(so, order, "currency_id"));
    vals.insert("invoice_user_id".into(), sim.wire_id(so, order, "user_id"));
    vals.insert("team_id".into(), sim.wire_id(so, order, "team_id"));
    vals.insert("invoice_line_ids".into(), json!(cmds));
    sim.create("account.move", &vals, &Ctx::new())
}

impl Sim {
    /// A many2one value as an id or `false`, for building create values.
    pub fn wire_id(&self, model: &str, id: i64, field: &str) -> Value {
        as_id(&self.get(model, id, field))
            .map(|i| json!(i))
            .unwrap_or(json!(false))
    }
}
