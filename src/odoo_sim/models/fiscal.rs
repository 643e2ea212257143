//! Fiscal positions as the Canadian localisation sets them up (`l10n_ca`, chart `ca_2023`) and
//! as a real Odoo 19.0 server applies them (src/odoo_sim/DIVERGENCES.md): one auto-applied
//! position per province (`state_ids`), and "International (INTL)" without a country. A partner
//! without a country gets no position; a partner in Canada without a province matches no
//! provincial position and gets INTL, whose `0% Int` tax replaces 13 % HST.
//!
//! Choice (`account.fiscal.position._get_fiscal_position`, simplified to what l10n_ca seeds):
//! the auto-applied, active positions whose country is the partner's (or empty) and whose
//! states contain the partner's province (or are empty); those with a country first, then by
//! `sequence`. Mapping (`map_tax`, 19.0): a tax of the position stays; another tax is replaced
//! by the position's taxes that list it in `original_tax_ids`, and stays when none does.

use crate::odoo_sim::state::Sim;
use crate::odoo_sim::value::{as_id, as_ids, truthy};

const FP: &str = "account.fiscal.position";

/// The position Odoo picks for `partner` (`None` without a country or a match).
pub fn position_for(sim: &Sim, partner: Option<i64>) -> Option<i64> {
    let partner = partner?;
    let country = as_id(&sim.get("res.partner", partner, "country_id"))?;
    let state = as_id(&sim.get("res.partner", partner, "state_id"));
    let mut candidates: Vec<(bool, i64, i64)> = sim
        .db
        .ids(FP)
        .into_iter()
        .filter(|f| truthy(&sim.get(FP, *f, "auto_apply")) && truthy(&sim.get(FP, *f, "active")))
        .filter_map(|f| {
            let fc = as_id(&sim.get(FP, f, "country_id"));
            if fc.is_some_and(|c| c != country) {
                return None;
            }
            let states = as_ids(&sim.get(FP, f, "state_ids"));
            if !states.is_empty() && !state.is_some_and(|s| states.contains(&s)) {
                return None;
            }
            let seq = sim.get(FP, f, "sequence").as_i64().unwrap_or(0);
            Some((fc.is_none(), seq, f))
        })
        .collect();
    candidates.sort_unstable();
    candidates.first().map(|c| c.2)
}

/// `taxes` as `position` maps them (unchanged without a position).
pub fn map_taxes(sim: &Sim, position: Option<i64>, taxes: &[i64]) -> Vec<i64> {
    let Some(fp) = position else {
        return taxes.to_vec();
    };
    let own = as_ids(&sim.get(FP, fp, "tax_ids"));
    let mut out: Vec<i64> = vec![];
    for t in taxes {
        let replaced: Vec<i64> = if own.contains(t) {
            vec![*t]
        } else {
            let by: Vec<i64> = own
                .iter()
                .copied()
                .filter(|o| as_ids(&sim.get("account.tax", *o, "original_tax_ids")).contains(t))
                .collect();
            if by.is_empty() {
                vec![*t]
            } else {
                by
            }
        };
        for r in replaced {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}
