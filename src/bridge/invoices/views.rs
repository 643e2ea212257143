//! Reading invoices: discovery of the subscription invoices Odoo wrote, the views built from
//! Odoo and the store, one invoice and the filtered list.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::Value;

use super::{
    fee_name, lago_payment_status, lago_status, move_currency, FeeView, InvoiceFilter, InvoiceView,
    LineCents, MoveCents,
};
use crate::billing::checked::{self, Overflow};
use crate::billing::money::Currency;
use crate::bridge::customer_repo::CustomerRow;
use crate::bridge::error::BridgeError;
use crate::bridge::invoice_repo::{fee_lago_id, invoice_lago_id, InvoiceRow};
use crate::bridge::plan_repo::PlanRow;
use crate::bridge::plans::{charges_of, StoredCharge};
use crate::bridge::subscription_repo::{SubscriptionFilter, SubscriptionRow};
use crate::bridge::Bridge;
use crate::lago::error_code::ErrorCode;
use crate::meter::tenants::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::invoices::{Invoice, InvoiceLine};
use crate::odoo::{MoveId, OdooClient, ProductId, SaleOrderId};

impl Bridge {
    /// Every subscription row of a service (all statuses).
    async fn all_subscriptions(
        &self,
        service: &ServiceRef,
    ) -> Result<Vec<SubscriptionRow>, BridgeError> {
        Ok(self
            .store
            .subscriptions()
            .list_subscriptions(service.id, &SubscriptionFilter::default(), 1_000_000, 0)
            .await?
            .0)
    }

    /// Discovery: stores a link for every invoice of the service's subscriptions that Odoo has
    /// and the store does not (`invoice_origin` = one of its sale order names).
    async fn discover_invoices(
        &self,
        service: &ServiceRef,
        c: &OdooClient,
        subs: &[SubscriptionRow],
    ) -> Result<(), BridgeError> {
        let ids: Vec<SaleOrderId> = subs
            .iter()
            .filter_map(|s| s.sale_order_id)
            .map(SaleOrderId)
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let orders = c.subscriptions().get_many(&ids).await?;
        let by_name: HashMap<String, &SubscriptionRow> = orders
            .iter()
            .filter_map(|o| {
                subs.iter()
                    .find(|s| s.sale_order_id == Some(o.id.0))
                    .map(|s| (o.name.clone(), s))
            })
            .collect();
        let names: Vec<String> = by_name.keys().cloned().collect();
        let known: HashSet<i64> = self
            .store
            .invoices()
            .invoices_of_service(service.id)
            .await?
            .iter()
            .map(|r| r.move_id)
            .collect();
        for m in c.invoices().invoices_of_origins(&names).await? {
            if known.contains(&m.id.0) {
                continue;
            }
            let Some(sub) = m.origin.as_ref().and_then(|o| by_name.get(o)) else {
                continue;
            };
            self.adopt_subscription_invoice(sub, m.id).await?;
        }
        Ok(())
    }

    /// Links Odoo's invoice `move_id` of subscription `sub` (made by Odoo's recurring
    /// invoicing, not by the gateway) as a Lago `subscription` invoice of `sub`'s app; its
    /// `lago_id` derives from the app and the move, so adopting it twice links it once.
    ///
    /// # Errors
    /// Store errors.
    pub async fn adopt_subscription_invoice(
        &self,
        sub: &SubscriptionRow,
        move_id: MoveId,
    ) -> Result<(), BridgeError> {
        let now = now_micros();
        self.store
            .invoices()
            .upsert_invoice(&InvoiceRow {
                lago_id: invoice_lago_id(sub.service_id, move_id.0),
                service_id: sub.service_id,
                move_id: move_id.0,
                invoice_type: "subscription".into(),
                customer_id: sub.customer_id.clone(),
                subscription_id: Some(sub.lago_id.clone()),
                metadata: "[]".into(),
                created_at: now,
                updated_at: now,
            })
            .await?;
        Ok(())
    }

    /// Builds the views of `rows` from Odoo (moves, lines, product codes) and the store
    /// (customers, subscriptions, plans, earlier credit notes). Rows whose move is gone from
    /// Odoo are skipped.
    pub(crate) async fn invoice_views(
        &self,
        service: &ServiceRef,
        c: &OdooClient,
        rows: Vec<InvoiceRow>,
        subs: Option<&[SubscriptionRow]>,
    ) -> Result<Vec<InvoiceView>, BridgeError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<MoveId> = rows.iter().map(|r| MoveId(r.move_id)).collect();
        let odoo = OdooFacts::read(c, &ids).await?;
        let owned_subs;
        let subs = match subs {
            Some(s) => s,
            None => {
                owned_subs = self.all_subscriptions(service).await?;
                &owned_subs
            }
        };
        let fees = FeeNaming {
            credited: self.credited_per_fee(service).await?,
            prefix: format!("FC-{}-", service.name),
            addon_prefix: format!("FC-{}-addon-", service.name),
            odoo: &odoo,
        };
        let mut customers: HashMap<String, CustomerRow> = HashMap::new();
        let mut plans: HashMap<String, PlanRow> = HashMap::new();
        let today = Utc::now().date_naive();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(mv) = odoo.moves.iter().find(|m| m.id.0 == row.move_id).cloned() else {
                tracing::warn!(move_id = row.move_id, "invoice no longer in Odoo; skipped");
                continue;
            };
            if !customers.contains_key(&row.customer_id) {
                if let Some(cu) = self
                    .store
                    .customers()
                    .customer_by_id(service.id, &row.customer_id)
                    .await?
                {
                    customers.insert(row.customer_id.clone(), cu);
                }
            }
            let Some(customer) = customers.get(&row.customer_id).cloned() else {
                continue;
            };
            let subscription = row
                .subscription_id
                .as_ref()
                .and_then(|id| subs.iter().find(|s| &s.lago_id == id))
                .cloned();
            let plan = match &subscription {
                Some(s) => self.cached_plan(&mut plans, &s.plan_id).await?,
                None => None,
            };
            let fees = fees.of_move(&row, plan.as_ref(), move_currency(&mv))?;
            out.push(InvoiceView {
                row,
                cents: MoveCents::of(&mv)?,
                mv,
                fees,
                customer,
                subscription,
                plan,
                file_url: None,
                today,
            });
        }
        Ok(out)
    }

    /// The plan `plan_id`, read once per batch into `cache`.
    async fn cached_plan(
        &self,
        cache: &mut HashMap<String, PlanRow>,
        plan_id: &str,
    ) -> Result<Option<PlanRow>, BridgeError> {
        if !cache.contains_key(plan_id) {
            if let Some(p) = self.store.plans().plan_by_id(plan_id).await? {
                cache.insert(plan_id.to_string(), p);
            }
        }
        Ok(cache.get(plan_id).cloned())
    }

    /// Credited per fee `lago_id`, minor units: credit notes not voided, plus amounts reserved
    /// by credit notes being written (see `crate::bridge::credit_notes`), except the
    /// reservation of a credit note that already has its row.
    async fn credited_per_fee(
        &self,
        service: &ServiceRef,
    ) -> Result<HashMap<String, i64>, BridgeError> {
        let mut credited: HashMap<String, i64> = HashMap::new();
        let notes = self
            .store
            .invoices()
            .credit_notes_of(service.id, None)
            .await?;
        let mut counted: Vec<(String, String)> = notes
            .iter()
            .filter(|cn| cn.voided_at.is_none())
            .map(|cn| (cn.lago_id.clone(), cn.items.clone()))
            .collect();
        for r in self
            .store
            .invoices()
            .credit_reservations(service.id)
            .await?
        {
            if !notes.iter().any(|cn| cn.lago_id == r.lago_id) {
                counted.push((r.lago_id, r.items));
            }
        }
        for (_, items) in counted {
            let items: Vec<Value> = serde_json::from_str(&items).unwrap_or_default();
            for it in items {
                if let (Some(f), Some(a)) = (it["fee_id"].as_str(), it["amount_cents"].as_i64()) {
                    let slot = credited.entry(f.to_string()).or_default();
                    *slot = slot.checked_add(a).ok_or(Overflow("credited amount"))?;
                }
            }
        }
        Ok(credited)
    }

    /// One invoice of `service` by `lago_id`, read from Odoo.
    ///
    /// # Errors
    /// 404 `invoice_not_found` (unknown or another service's); Odoo unavailable (503).
    pub async fn invoice(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, BridgeError> {
        let row = self
            .store
            .invoices()
            .invoice_by_id(service.id, lago_id)
            .await?
            .ok_or(BridgeError::NotFound(ErrorCode::InvoiceNotFound))?;
        let c = self.odoo.client().await?;
        self.invoice_views(service, &c, vec![row], None)
            .await?
            .into_iter()
            .next()
            .ok_or(BridgeError::NotFound(ErrorCode::InvoiceNotFound))
    }

    /// `GET /invoices`: discovers the service's subscription invoices, then filters; newest
    /// issuing date first. Returns the page and the total count.
    ///
    /// # Errors
    /// Odoo unavailable (503); store errors.
    pub async fn invoices(
        &self,
        service: &ServiceRef,
        filter: &InvoiceFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<InvoiceView>, i64), BridgeError> {
        let c = self.odoo.client().await?;
        let subs = self.all_subscriptions(service).await?;
        self.discover_invoices(service, &c, &subs).await?;
        let mut rows = self
            .store
            .invoices()
            .invoices_of_service(service.id)
            .await?;
        if let Some(t) = &filter.invoice_type {
            rows.retain(|r| &r.invoice_type == t);
        }
        if let Some(ext) = &filter.external_customer_id {
            match self
                .store
                .customers()
                .customer_by_external(service.id, ext)
                .await?
            {
                Some(cu) => rows.retain(|r| r.customer_id == cu.lago_id),
                None => rows.clear(),
            }
        }
        let mut views: Vec<InvoiceView> = self
            .invoice_views(service, &c, rows, Some(&subs))
            .await?
            .into_iter()
            .filter(|v| {
                (filter.statuses.is_empty()
                    || filter.statuses.iter().any(|s| s == lago_status(&v.mv)))
                    && (filter.payment_statuses.is_empty()
                        || filter
                            .payment_statuses
                            .iter()
                            .any(|s| s == lago_payment_status(&v.mv)))
                    && filter
                        .issuing_date_from
                        .map_or(true, |d| v.issuing_date() >= d)
                    && filter
                        .issuing_date_to
                        .map_or(true, |d| v.issuing_date() <= d)
                    && filter
                        .currency
                        .as_ref()
                        .map_or(true, |c| c.eq_ignore_ascii_case(&v.currency()))
            })
            .collect();
        views.sort_by(|a, b| {
            b.issuing_date()
                .cmp(&a.issuing_date())
                .then(b.mv.id.0.cmp(&a.mv.id.0))
        });
        let total = views.len() as i64;
        let page = views
            .into_iter()
            .skip(offset.max(0) as usize)
            .take(limit.max(0) as usize)
            .collect();
        Ok((page, total))
    }
}

/// What Odoo holds for a batch of moves: the moves, their product lines, the products'
/// `default_code`s and the percentages of the lines' taxes.
struct OdooFacts {
    moves: Vec<Invoice>,
    lines: Vec<InvoiceLine>,
    codes: HashMap<i64, String>,
    rates: HashMap<i64, Decimal>,
}

impl OdooFacts {
    async fn read(c: &OdooClient, ids: &[MoveId]) -> Result<OdooFacts, BridgeError> {
        let inv = c.invoices();
        let moves = inv.get_many(ids).await?;
        let lines = inv.product_lines_of(ids).await?;
        let mut product_ids: Vec<i64> = lines
            .iter()
            .filter_map(|l| l.product.as_ref().map(|p| p.id))
            .collect();
        product_ids.sort_unstable();
        product_ids.dedup();
        let product_ids: Vec<ProductId> = product_ids.into_iter().map(ProductId).collect();
        let codes: HashMap<i64, String> = c
            .catalogue()
            .default_codes(&product_ids)
            .await?
            .into_iter()
            .map(|(id, code)| (id.0, code))
            .collect();
        let tax_ids: Vec<i64> = lines
            .iter()
            .flat_map(|l| l.taxes.iter().map(|t| t.0))
            .collect();
        let mut rates: HashMap<i64, Decimal> = HashMap::new();
        rates.extend(c.catalogue().percent_tax_rates(&tax_ids).await?);
        Ok(OdooFacts {
            moves,
            lines,
            codes,
            rates,
        })
    }
}

/// How the lines of a batch become Lago fees: item type and code from the product, tax rate,
/// amount already credited.
struct FeeNaming<'a> {
    odoo: &'a OdooFacts,
    credited: HashMap<String, i64>,
    /// `FC-<service>-`: the service's product codes.
    prefix: String,
    /// `FC-<service>-addon-`: the service's add-on product codes.
    addon_prefix: String,
}

impl FeeNaming<'_> {
    /// The fees of the move of `row` (of a subscription on `plan`, if any).
    fn of_move(
        &self,
        row: &InvoiceRow,
        plan: Option<&PlanRow>,
        currency: Currency,
    ) -> Result<Vec<FeeView>, Overflow> {
        let charges = plan.map(charges_of).unwrap_or_default();
        self.odoo
            .lines
            .iter()
            .filter(|l| l.move_id.0 == row.move_id)
            .map(|l| self.fee(row, plan, &charges, l, currency))
            .collect()
    }

    fn fee(
        &self,
        row: &InvoiceRow,
        plan: Option<&PlanRow>,
        charges: &[StoredCharge],
        l: &InvoiceLine,
        currency: Currency,
    ) -> Result<FeeView, Overflow> {
        let pid = l.product.as_ref().map(|p| p.id);
        let code = pid
            .and_then(|p| self.odoo.codes.get(&p))
            .cloned()
            .unwrap_or_default();
        let (item_type, code) = if row.invoice_type == "one_off" {
            (
                "add_on",
                code.strip_prefix(&self.addon_prefix)
                    .unwrap_or(&code)
                    .to_string(),
            )
        } else if let Some(ch) = charges.iter().find(|ch| Some(ch.odoo_product_id) == pid) {
            ("charge", ch.billable_metric_code.clone())
        } else if plan.is_some_and(|p| Some(p.odoo_product_id) == pid) {
            (
                "subscription",
                plan.map(|p| p.code.clone()).unwrap_or_default(),
            )
        } else {
            (
                "charge",
                code.strip_prefix(&self.prefix).unwrap_or(&code).to_string(),
            )
        };
        let lago_id = fee_lago_id(&row.lago_id, l.id.0);
        let tax_rate = checked::sum(
            l.taxes
                .iter()
                .filter_map(|t| self.odoo.rates.get(&t.0).copied()),
            "tax rate",
        )?
        .normalize();
        Ok(FeeView {
            tax_rate,
            credited_cents: self.credited.get(&lago_id).copied().unwrap_or(0),
            cents: LineCents::of(l, currency)?,
            lago_id,
            line: l.clone(),
            item_type,
            code,
            name: fee_name(l),
        })
    }
}
