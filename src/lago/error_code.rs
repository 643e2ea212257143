//! The error-code catalogue: every `code` this gateway answers, with its HTTP status
//! ([`ErrorCode`]), and every per-field code of a 422 `error_details` object ([`FieldCode`]).
//!
//! Call sites name a variant, never a string, so each code is spelled once, here. Both
//! enums serialise as their string (`"customer_not_found"`), so a variant can go straight
//! into a `json!` body.
//!
//! Sources (lago-api, `api:` below): the top-level codes come from
//! `api:app/controllers/concerns/api_errors.rb` (`not_found_error`,
//! `method_not_allowed_error`, `render_error_response`) and the `result.not_found_failure!`
//! / `result.not_allowed_failure!` / `result.single_validation_failure!` calls of
//! `api:app/services/**` (through `api:app/services/base_service.rb`); the field codes from
//! `api:config/locales/en.yml` (ActiveRecord validations) and the validators under
//! `api:app/services/**/validators/`. Codes marked "gateway" have no Lago counterpart: Lago
//! has no such failure (idempotency keys, Odoo, the local store, size limits).

use actix_web::http::StatusCode;
use serde::{Serialize, Serializer};

macro_rules! catalogue {
    (
        $(#[$enum_meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$meta:meta])* $variant:ident = $code:literal , )+
        }
    ) => {
        $(#[$enum_meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$meta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

catalogue! {
    /// The `code` of an error body `{"status":N,"error":"<reason>","code":"<code>",…}`;
    /// [`ErrorCode::status`] is the HTTP status it is answered with.
    pub enum ErrorCode {
        // ── 400 ──
        /// 400 for a 4xx that carries no more specific code (actix's own answers, e.g. 406).
        /// Gateway: Lago's 400 body has no `code` at all (see `ApiError::BadRequest`).
        BadRequest = "bad_request",

        // ── 404: `not_found_error(resource:)` renders `"#{resource}_not_found"` ──
        /// 404 (`Customers::*Service`, `api:app/controllers/api/v1/customers_controller.rb`).
        CustomerNotFound = "customer_not_found",
        /// 404 (`api:app/controllers/api/v1/invoices_controller.rb`, `CreditNotes::CreateService`).
        InvoiceNotFound = "invoice_not_found",
        /// 404 (`api:app/controllers/api/v1/subscriptions_controller.rb`).
        SubscriptionNotFound = "subscription_not_found",
        /// 404 (`Subscriptions::CreateService`, `api:app/controllers/api/v1/plans_controller.rb`).
        PlanNotFound = "plan_not_found",
        /// 404 (`api:app/controllers/api/v1/billable_metrics_controller.rb`, `Plans::CreateService`).
        BillableMetricNotFound = "billable_metric_not_found",
        /// 404 (`api:app/controllers/api/v1/credit_notes_controller.rb`).
        CreditNoteNotFound = "credit_note_not_found",
        /// 404: a credit-note item names an unknown fee (`CreditNotes::CreateService`).
        FeeNotFound = "fee_not_found",
        /// 404: a one-off invoice without fees (`Invoices::CreateOneOffService`).
        FeesNotFound = "fees_not_found",
        /// 404: a one-off fee names an unknown add-on (`Invoices::CreateOneOffService`).
        AddOnNotFound = "add_on_not_found",
        /// 404 (`api:app/controllers/api/v1/events_controller.rb#show`).
        EventNotFound = "event_not_found",
        /// 404 (`api:app/controllers/api/v1/webhook_endpoints_controller.rb`).
        WebhookEndpointNotFound = "webhook_endpoint_not_found",
        /// 404 for an unknown route (`match "*unmatched"` in `api:config/routes.rb`).
        ResourceNotFound = "resource_not_found",

        // ── 405: `method_not_allowed_error(code:)`, "not allowed in this state" ──
        /// 405: void of an invoice that is not finalized/unpaid (`Invoices::VoidService`).
        NotVoidable = "not_voidable",
        /// 405: an operation on an invoice in the wrong status (`Invoices::FinalizeService`,
        /// `Invoices::Payments::RetryService`).
        InvalidStatus = "invalid_status",
        /// 405: a credit note on a draft or credit invoice (`CreditNotes::CreateService`).
        InvalidTypeOrStatus = "invalid_type_or_status",
        /// 405: void of a credit note with nothing left to void (`CreditNotes::VoidService`).
        NoVoidableAmount = "no_voidable_amount",
        /// 405: an update of a voided invoice (`Invoices::UpdateService`).
        UpdateOnVoidedInvoice = "update_on_voided_invoice",
        /// 405: a payment retry for a customer without a payment method
        /// (`Invoices::Payments::RetryService`).
        NoPaymentMethod = "no_payment_method",
        /// 405: current or past usage of a customer without an active subscription
        /// (`Invoices::CustomerUsageService`).
        NoActiveSubscription = "no_active_subscription",
        /// 405 for a route that exists with another method. Gateway: Rails answers 404 there.
        MethodNotAllowed = "method_not_allowed",

        // ── 409 ──
        /// 409 with `Retry-After: 1`: the same `Idempotency-Key` is still being answered
        /// (`crate::api::idempotency`). Gateway: Lago has no idempotency keys.
        IdempotencyKeyInUse = "idempotency_key_in_use",

        // ── 413 / 414 / 415 / 431: transport limits. Gateway: Lago leaves these to its proxy. ──
        /// 413: body larger than `server.body_limit_bytes`.
        PayloadTooLarge = "payload_too_large",
        /// 414: request line longer than the head guard allows (`crate::api::head_guard`).
        UriTooLong = "uri_too_long",
        /// 415: a body that is not JSON.
        UnsupportedMediaType = "unsupported_media_type",
        /// 431: headers larger than the head guard allows (`crate::api::head_guard`).
        RequestHeaderFieldsTooLarge = "request_header_fields_too_large",

        // ── 422 ──
        /// 422 with per-field [`FieldCode`]s in `error_details` (`validation_errors` in
        /// `api_errors.rb#render_error_response`).
        ValidationErrors = "validation_errors",
        /// 422: the system of record refused (Lago: an integration such as a tax or
        /// accounting provider, `third_party_failure!` in `base_service.rb`); here Odoo,
        /// whose message is in `error_details.odoo`.
        ThirdPartyError = "third_party_error",

        // ── 429 ──
        /// 429 with `Retry-After`: the ingest queue is full. Gateway: Lago OSS has no rate limit.
        TooManyRequests = "too_many_requests",

        // ── 500 ──
        /// 500: a bug or an unexpected failure; the cause goes to the log only.
        InternalError = "internal_error",

        // ── 503 with `Retry-After`. Gateway: Lago's dependencies are in-process. ──
        /// 503 for a 5xx that carries no more specific code.
        ServiceUnavailable = "service_unavailable",
        /// 503: the local store (SQLite / PostgreSQL) does not answer.
        StoreUnavailable = "store_unavailable",
        /// 503: Odoo is not configured, unreachable, or answered 5xx.
        OdooUnavailable = "odoo_unavailable",
        /// 503: the ingest writer stopped (the process is shutting down).
        ShuttingDown = "shutting_down",
        /// 503: another request holds this intent's lease (`crate::bridge::lease`).
        OperationInProgress = "operation_in_progress",
        /// 503 from `GET /ready`: a background loop stopped (`crate::background`).
        BackgroundLoopStopped = "background_loop_stopped",
    }
}

impl ErrorCode {
    /// The HTTP status this code is answered with (as Lago does, for Lago's codes).
    pub const fn status(self) -> StatusCode {
        use ErrorCode as C;
        match self {
            C::BadRequest => StatusCode::BAD_REQUEST,
            C::CustomerNotFound
            | C::InvoiceNotFound
            | C::SubscriptionNotFound
            | C::PlanNotFound
            | C::BillableMetricNotFound
            | C::CreditNoteNotFound
            | C::FeeNotFound
            | C::FeesNotFound
            | C::AddOnNotFound
            | C::EventNotFound
            | C::WebhookEndpointNotFound
            | C::ResourceNotFound => StatusCode::NOT_FOUND,
            C::NotVoidable
            | C::InvalidStatus
            | C::InvalidTypeOrStatus
            | C::NoVoidableAmount
            | C::UpdateOnVoidedInvoice
            | C::NoPaymentMethod
            | C::NoActiveSubscription
            | C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            C::IdempotencyKeyInUse => StatusCode::CONFLICT,
            C::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            C::UriTooLong => StatusCode::URI_TOO_LONG,
            C::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            C::RequestHeaderFieldsTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            C::ValidationErrors | C::ThirdPartyError => StatusCode::UNPROCESSABLE_ENTITY,
            C::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            C::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            C::ServiceUnavailable
            | C::StoreUnavailable
            | C::OdooUnavailable
            | C::OperationInProgress
            | C::ShuttingDown
            | C::BackgroundLoopStopped => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The code a response of `status` carries when nothing more specific is known
    /// (actix's own 404/405/413/415 answers, extractor failures).
    pub fn for_status(status: StatusCode) -> ErrorCode {
        match status.as_u16() {
            404 => ErrorCode::ResourceNotFound,
            405 => ErrorCode::MethodNotAllowed,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            429 => ErrorCode::TooManyRequests,
            503 => ErrorCode::ServiceUnavailable,
            s if s >= 500 => ErrorCode::InternalError,
            _ => ErrorCode::BadRequest,
        }
    }
}

catalogue! {
    /// A per-field code of a 422 `validation_errors` body:
    /// `"error_details":{"<field>":["<code>",…]}`.
    pub enum FieldCode {
        // ── `api:config/locales/en.yml` (ActiveRecord validations) ──
        /// Presence validation failed: the field is missing or empty.
        ValueIsMandatory = "value_is_mandatory",
        /// Not a valid value for the field (type, format or enum).
        ValueIsInvalid = "value_is_invalid",
        /// Uniqueness validation failed (a code, external id, transaction id, URL, key).
        ValueAlreadyExist = "value_already_exist",
        /// A URL that does not parse (`webhook_url`; `UrlValidator`).
        UrlIsInvalid = "url_is_invalid",
        /// `email` is not an address list (`Customer` validation).
        InvalidEmailFormat = "invalid_email_format",
        /// `country` is not an ISO 3166 alpha-2 code (`country_code_invalid` in `en.yml`).
        CountryCodeInvalid = "country_code_invalid",
        /// A date or time that does not parse (`Utils::Datetime.valid_format?` callers).
        InvalidDate = "invalid_date",
        /// An event `timestamp` that does not parse (`Events::ValidateCreationService`).
        InvalidFormat = "invalid_format",
        /// A currency other than the customer's or the plan's (`currencies_does_not_match`,
        /// `Subscriptions::CreateService`, `Invoices::CreateOneOffService`).
        CurrenciesDoesNotMatch = "currencies_does_not_match",
        /// `webhook_endpoint.event_types` names an unknown type
        /// (`WebhookEndpoints::CreateService`).
        InvalidTypes = "invalid_types",
        /// `POST /events/batch` with an empty `events` array (`Events::CreateBatchService`).
        NoEvents = "no_events",
        /// `POST /events/batch` with more events than `ingest.batch_max_events`
        /// (`Events::CreateBatchService`).
        TooManyEvents = "too_many_events",
        /// `POST /usage` with an empty `usage` array (gateway).
        NoUsage = "no_usage",
        /// `POST /usage` with more items than `ingest.usage_max_counters` (gateway).
        TooManyCounters = "too_many_counters",
        /// `webhook_endpoint.event_types` that is not an array (gateway).
        MustBeArray = "must_be_array",
        /// A customer with nothing to pay through (`Customers::GenerateCheckoutUrlService`).
        NoLinkedPaymentProvider = "no_linked_payment_provider",
        /// More webhook endpoints than allowed (`WebhookEndpoints::CreateService`).
        ExceededLimit = "exceeded_limit",
        /// A usage item's subscription does not exist (index-keyed usage batch; the same
        /// string as [`ErrorCode::SubscriptionNotFound`]).
        SubscriptionNotFound = "subscription_not_found",
        /// A usage item's metric code does not exist (index-keyed usage batch; the same
        /// string as [`ErrorCode::BillableMetricNotFound`]).
        BillableMetricNotFound = "billable_metric_not_found",

        // ── metadata (`api:app/services/metadata/validate_service.rb`) ──
        /// A metadata item that is not a `key`/`value` pair, or too many items.
        InvalidKeyValuePair = "invalid_key_value_pair",
        /// A metadata value that is an object or an array.
        NestedStructureNotAllowed = "nested_structure_not_allowed",
        /// More metadata items than allowed.
        TooManyKeys = "too_many_keys",
        /// A metadata key longer than allowed.
        KeyTooLong = "key_too_long",
        /// A metadata value longer than Lago's limit.
        ValueTooLong = "value_too_long",

        // ── charges (`api:app/services/charges/validators/*.rb`) ──
        /// A charge amount that is not a non-negative decimal string.
        InvalidAmount = "invalid_amount",
        /// `package_size` is not a positive integer (`PackageService`).
        InvalidPackageSize = "invalid_package_size",
        /// `free_units` is not a non-negative integer (`PackageService`).
        InvalidFreeUnits = "invalid_free_units",
        /// `rate` is not a non-negative decimal (`PercentageService`).
        InvalidRate = "invalid_rate",
        /// `fixed_amount` is not a non-negative decimal (`PercentageService`).
        InvalidFixedAmount = "invalid_fixed_amount",
        /// `free_units_per_events` is not a non-negative integer (`PercentageService`).
        InvalidFreeUnitsPerEvents = "invalid_free_units_per_events",
        /// `free_units_per_total_aggregation` is not a non-negative decimal
        /// (`PercentageService`).
        InvalidFreeUnitsPerTotalAggregation = "invalid_free_units_per_total_aggregation",
        /// `graduated_ranges` missing or empty (`GraduatedService`).
        MissingGraduatedRanges = "missing_graduated_ranges",
        /// `graduated_ranges` not contiguous from 0, or a range that does not parse
        /// (`GraduatedService`).
        InvalidGraduatedRanges = "invalid_graduated_ranges",
        /// `volume_ranges` missing or empty (`VolumeService`).
        MissingVolumeRanges = "missing_volume_ranges",
        /// `volume_ranges` not contiguous from 0, or a range that does not parse
        /// (`VolumeService`).
        InvalidVolumeRanges = "invalid_volume_ranges",
        /// `per_transaction_max_amount` below `per_transaction_min_amount`
        /// (`PercentageService`).
        PerTransactionMaxLowerThanPerTransactionMin =
            "per_transaction_max_lower_than_per_transaction_min",
        /// `included_units` is not a non-negative decimal (`StandardService` for dynamic).
        InvalidIncludedUnits = "invalid_included_units",
        /// A charge property that is not allowed for its billable metric (`invalid_value`).
        InvalidValue = "invalid_value",
        /// `pay_in_advance` with a charge model or metric that cannot be paid in advance
        /// (`Charge` validation).
        InvalidPayInAdvance = "invalid_pay_in_advance",
        /// `recurring` with an aggregation that cannot recur (`BillableMetric` validation).
        NotCompatibleWithAggregationType = "not_compatible_with_aggregation_type",

        // ── credit notes and one-off invoices ──
        /// The plan or invoice currency is not one Odoo's company can bill in (Lago:
        /// `currency_not_supported` of the payment providers).
        CurrencyNotSupported = "currency_not_supported",
        /// A credit-note item above what remains of its fee (`CreditNotes::ValidateItemService`).
        HigherThanRemainingFeeAmount = "higher_than_remaining_fee_amount",
        /// Credit plus refund differs from the items' total (`CreditNotes::ValidateService`).
        DoesNotMatchItemAmounts = "does_not_match_item_amounts",
        /// A refund on an invoice that is not paid (`CreditNotes::ValidateService`).
        CannotRefundUnpaidInvoice = "cannot_refund_unpaid_invoice",

        // ── gateway: bounds and ownership, no Lago counterpart ──
        /// A number beyond the bounds of `crate::limits`.
        ValueIsOutOfRange = "value_is_out_of_range",
        /// A string longer than the bounds of `crate::limits`.
        ValueIsTooLong = "value_is_too_long",
        /// An array longer than `crate::limits::MAX_ITEMS`.
        TooManyItems = "too_many_items",
        /// A field of an Odoo partner owned by another app
        /// (`crate::bridge::partner_ownership`).
        ValueOwnedByAnotherApp = "value_owned_by_another_app",
        /// A Lago feature the gateway does not implement (e.g. a charge model Odoo cannot
        /// rate).
        NotSupported = "not_supported",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_error_code_has_lagos_status() {
        use ErrorCode as C;
        for &code in ErrorCode::ALL {
            let s = code.as_str();
            let want = match code {
                C::BadRequest => 400,
                _ if s.ends_with("_not_found") => 404,
                C::NotVoidable
                | C::InvalidStatus
                | C::InvalidTypeOrStatus
                | C::NoVoidableAmount
                | C::UpdateOnVoidedInvoice
                | C::NoPaymentMethod
                | C::NoActiveSubscription
                | C::MethodNotAllowed => 405,
                C::IdempotencyKeyInUse => 409,
                C::PayloadTooLarge => 413,
                C::UriTooLong => 414,
                C::UnsupportedMediaType => 415,
                C::RequestHeaderFieldsTooLarge => 431,
                C::ValidationErrors | C::ThirdPartyError => 422,
                C::TooManyRequests => 429,
                C::InternalError => 500,
                _ if s.ends_with("_unavailable") => 503,
                C::OperationInProgress | C::ShuttingDown | C::BackgroundLoopStopped => 503,
                other => panic!("no expected status for {other}"),
            };
            assert_eq!(code.status().as_u16(), want, "{s}");
        }
    }

    #[test]
    fn codes_are_unique_snake_case_and_serialise_as_their_string() {
        let mut seen = HashSet::new();
        for s in ErrorCode::ALL.iter().map(|c| c.as_str()) {
            assert!(seen.insert(s), "duplicate error code {s}");
        }
        let mut seen = HashSet::new();
        for s in FieldCode::ALL.iter().map(|c| c.as_str()) {
            assert!(seen.insert(s), "duplicate field code {s}");
        }
        for s in ErrorCode::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(FieldCode::ALL.iter().map(|c| c.as_str()))
        {
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
        }
        assert_eq!(
            serde_json::json!([ErrorCode::CustomerNotFound, FieldCode::ValueIsMandatory]),
            serde_json::json!(["customer_not_found", "value_is_mandatory"])
        );
    }

    #[test]
    fn default_code_per_status() {
        assert_eq!(
            ErrorCode::for_status(StatusCode::NOT_FOUND),
            ErrorCode::ResourceNotFound
        );
        assert_eq!(
            ErrorCode::for_status(StatusCode::BAD_GATEWAY),
            ErrorCode::InternalError
        );
        assert_eq!(
            ErrorCode::for_status(StatusCode::NOT_ACCEPTABLE),
            ErrorCode::BadRequest
        );
    }
}
