//! `POST /subscriptions`: a new subscription, a plan change, or the resumption of an
//! interrupted create (see the module doc of [`super`]).

use super::*;

impl Accounts {
    /// `POST /subscriptions` (see the module doc and API-NOTES §2 for the cases).
    ///
    /// # Errors
    /// `plan_not_found`; 422 `external_id`/`external_customer_id`/`plan_code`
    /// `value_is_mandatory`, `billing_time` `value_is_invalid`, `subscription_at`
    /// `invalid_date`, `external_id` `value_already_exist` (live under another customer),
    /// `currency` `currencies_does_not_match`; Odoo unavailable (retry is safe).
    pub async fn create_subscription(
        &self,
        service: &ServiceRef,
        input: &Map<String, Value>,
    ) -> Result<SubscriptionView, AccountsError> {
        let mut errors = Map::new();
        let mut add = |f: &str, c: FieldCode| {
            errors.insert(f.into(), json!([c]));
        };
        let external_customer_id = text(input, "external_customer_id");
        let plan_code = text(input, "plan_code");
        let external_id = text(input, "external_id");
        if external_customer_id.is_none() {
            add("external_customer_id", FieldCode::ValueIsMandatory);
        }
        if plan_code.is_none() {
            add("plan_code", FieldCode::ValueIsMandatory);
        }
        if external_id.is_none() {
            add("external_id", FieldCode::ValueIsMandatory);
        }
        let billing_time = text(input, "billing_time").unwrap_or_else(|| "calendar".into());
        if !matches!(billing_time.as_str(), "calendar" | "anniversary") {
            add("billing_time", FieldCode::ValueIsInvalid);
        }
        let now = now_micros();
        let subscription_at = match input.get("subscription_at") {
            None | Some(Value::Null) => now,
            Some(v) => parse_time(v).unwrap_or_else(|()| {
                add("subscription_at", FieldCode::InvalidDate);
                now
            }),
        };
        let ending_at = match input.get("ending_at") {
            None | Some(Value::Null) => None,
            Some(v) => match parse_time(v) {
                Ok(t) => Some(t),
                Err(()) => {
                    add("ending_at", FieldCode::InvalidDate);
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AccountsError::Validation(errors));
        }
        let (ext_customer, plan_code, external_id) = (
            external_customer_id.unwrap_or_default(),
            plan_code.unwrap_or_default(),
            external_id.unwrap_or_default(),
        );
        let plan = self.plan(service, &plan_code).await?;
        let customer = self
            .customer_for_subscription(service, &ext_customer, &plan)
            .await?;
        // One holder per external_id: thirty identical POSTs at once are served in turn, the
        // first writes the order, the others find it live (see `super::lease`).
        let lease_name = lease::names::subscription(service.id, &external_id);
        self.under_lease(lease_name, || async {
            // Cut-over of an imported shadow copy (see `super::shadow`).
            self.claim_shadow(service, &external_id, &customer, &plan)
                .await?;
            self.create_locked(
                service,
                input,
                &customer,
                &plan,
                &external_id,
                &billing_time,
                subscription_at,
                ending_at,
                now,
            )
            .await
        })
        .await
    }

    /// The part of [`Accounts::create_subscription`] that runs under the subscription's lease.
    #[allow(clippy::too_many_arguments)]
    async fn create_locked(
        &self,
        service: &ServiceRef,
        input: &Map<String, Value>,
        customer: &CustomerRow,
        plan: &PlanRow,
        external_id: &str,
        billing_time: &str,
        subscription_at: i64,
        ending_at: Option<i64>,
        now: i64,
    ) -> Result<SubscriptionView, AccountsError> {
        loop {
            let live = self
                .store
                .live_subscription(service.id, external_id)
                .await?;
            let row = match live {
                Some(l) if l.customer_id != customer.lago_id => {
                    return Err(AccountsError::field(
                        "external_id",
                        FieldCode::ValueAlreadyExist,
                    ));
                }
                Some(l) if l.plan_id == plan.lago_id => {
                    if l.status == "incomplete" {
                        self.materialize(service, l, customer, plan).await?
                    } else {
                        l
                    }
                }
                Some(l) => self.change_plan(service, l, customer, plan).await?,
                None => {
                    let row = SubscriptionRow {
                        lago_id: uuid::Uuid::new_v4().to_string(),
                        service_id: service.id,
                        external_id: external_id.to_string(),
                        customer_id: customer.lago_id.clone(),
                        plan_id: plan.lago_id.clone(),
                        sale_order_id: None,
                        status: "incomplete".into(),
                        name: text(input, "name"),
                        billing_time: billing_time.to_string(),
                        subscription_at,
                        started_at: None,
                        ending_at,
                        terminated_at: None,
                        canceled_at: None,
                        previous_plan_id: None,
                        next_plan_id: None,
                        downgrade_plan_date: None,
                        created_at: now,
                        updated_at: now,
                    };
                    match self.store.insert_subscription(&row).await? {
                        Inserted::Yes => self.materialize(service, row, customer, plan).await?,
                        Inserted::Conflict => continue,
                    }
                }
            };
            return self.view(service, row, None).await;
        }
    }

    /// The customer a subscription is created for: the existing one, or a bare one (Lago
    /// creates it from the `external_customer_id`), with the plan's currency.
    async fn customer_for_subscription(
        &self,
        service: &ServiceRef,
        external_id: &str,
        plan: &PlanRow,
    ) -> Result<CustomerRow, AccountsError> {
        let existing = self
            .store
            .customer_by_external(service.id, external_id)
            .await?;
        let currency = existing
            .as_ref()
            .map(attributes)
            .and_then(|a| a.get("currency").and_then(Value::as_str).map(String::from))
            .filter(|c| !c.is_empty());
        match (&existing, currency) {
            (Some(_), Some(c)) if !c.eq_ignore_ascii_case(&plan.amount_currency) => Err(
                AccountsError::field("currency", FieldCode::CurrenciesDoesNotMatch),
            ),
            (Some(c), Some(_)) => Ok(c.clone()),
            _ => {
                let mut body = Map::new();
                body.insert("external_id".into(), json!(external_id));
                body.insert("currency".into(), json!(plan.amount_currency));
                Ok(self.upsert_customer(service, &body).await?.0)
            }
        }
    }

    /// Writes the Odoo order of an `incomplete` row (found again by `origin` if a previous
    /// attempt created it), confirms it when it starts now or earlier, and stores the result.
    pub(super) async fn materialize(
        &self,
        service: &ServiceRef,
        mut row: SubscriptionRow,
        customer: &CustomerRow,
        plan: &PlanRow,
    ) -> Result<SubscriptionRow, AccountsError> {
        let c = self.odoo.client_with_fields().await?;
        let subs = c.subscriptions();
        let origin = origin_of(&row.lago_id);
        let order_id =
            match row.sale_order_id {
                Some(id) => SaleOrderId(id),
                None => match subs.find_by_origin(&origin).await?.into_iter().next() {
                    Some(o) => o.id,
                    None => {
                        let mut lines = vec![NewOrderLine {
                            product: ProductId(plan.odoo_product_id),
                            quantity: Decimal::ONE,
                            price_unit: Some(
                                crate::billing::money::Currency::parse_or_home(Some(
                                    &plan.amount_currency,
                                ))
                                .from_minor(plan.amount_cents),
                            ),
                            name: Some(format!("{} – {}", plan.name, service.name)),
                            taxes: None,
                        }];
                        for ch in charges_of(plan) {
                            lines.push(NewOrderLine {
                                product: ProductId(ch.odoo_product_id),
                                quantity: Decimal::ZERO,
                                price_unit: Some(Decimal::ZERO),
                                name: Some(ch.invoice_display_name.clone().unwrap_or_else(|| {
                                    format!("{} usage", ch.billable_metric_code)
                                })),
                                taxes: None,
                            });
                        }
                        let start = from_micros(row.subscription_at).date_naive();
                        let id = subs
                            .create(&NewSubscription {
                                partner: crate::odoo::PartnerId(customer.partner_id),
                                plan: PlanId(plan.odoo_plan_id),
                                start_date: Some(start),
                                next_invoice_date: None,
                                client_order_ref: Some(row.external_id.clone()),
                                origin: Some(origin.clone()),
                                lines,
                            })
                            .await?;
                        let patch = OrderPatch {
                            plan_code: Some(plan.code.clone()),
                            end_date: row.ending_at.map(|end| Some(from_micros(end).date_naive())),
                            ..OrderPatch::default()
                        };
                        subs.update(id, &patch).await?;
                        id
                    }
                },
            };
        row.sale_order_id = Some(order_id.0);
        row.updated_at = now_micros();
        self.store.update_subscription(&row).await?;
        if row.subscription_at <= now_micros() {
            let order = subs.window_of(order_id).await?;
            if order.as_ref().is_some_and(|o| lago_status(o) == "pending") {
                subs.confirm(order_id).await?;
            }
            row.status = "active".into();
            row.started_at = Some(row.started_at.unwrap_or_else(now_micros));
        } else {
            row.status = "pending".into();
        }
        row.updated_at = now_micros();
        self.store.update_subscription(&row).await?;
        tracing::info!(service = %service.name, sale_order_id = order_id.0, status = %row.status, "subscription written to Odoo");
        Ok(row)
    }

    /// A different plan for a live subscription: upgrade (yearly amount ≥ current) ends the
    /// current one now and starts a new one; downgrade waits for the end of the current
    /// billing period (`next_plan_code`, `downgrade_plan_date`).
    async fn change_plan(
        &self,
        service: &ServiceRef,
        mut current: SubscriptionRow,
        customer: &CustomerRow,
        plan: &PlanRow,
    ) -> Result<SubscriptionRow, AccountsError> {
        let current_plan = self.plan_of(&current).await?;
        let upgrade = current.status != "active"
            || yearly_amount_cents(plan) >= yearly_amount_cents(&current_plan);
        if !upgrade {
            let c = self.odoo.client().await?;
            let order = match current.sale_order_id {
                Some(id) => c.subscriptions().window_of(SaleOrderId(id)).await?,
                None => None,
            };
            let end = order
                .as_ref()
                .and_then(|o| billing_window(o, &current_plan.interval))
                .map(|(_, to)| to.date_naive())
                .unwrap_or_else(|| Utc::now().date_naive());
            current.next_plan_id = Some(plan.lago_id.clone());
            current.downgrade_plan_date = Some(end.format("%Y-%m-%d").to_string());
            current.updated_at = now_micros();
            self.store.update_subscription(&current).await?;
            return Ok(current);
        }
        self.end_subscription(&mut current).await?;
        let row = successor(&current, plan);
        match self.store.insert_subscription(&row).await? {
            Inserted::Yes => self.materialize(service, row, customer, plan).await,
            Inserted::Conflict => Err(AccountsError::field(
                "external_id",
                FieldCode::ValueAlreadyExist,
            )),
        }
    }
}
