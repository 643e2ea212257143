//! What each known field of each resource's body must be ([`Kind`]), by root key.

use super::{
    MetadataRules, CUSTOMER_METADATA, INVOICE_METADATA, MAX_ID_LEN, MAX_NAME_LEN, MAX_TEXT_LEN,
};

/// What a known field of a body must be.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// A string (or number, which Rails permits as text) of ≤ [`MAX_ID_LEN`] characters.
    Id,
    /// A string (or number) of ≤ [`MAX_NAME_LEN`] characters.
    Name,
    /// A string (or number) of ≤ [`MAX_TEXT_LEN`] characters.
    Text,
    /// An integer amount in cents (JSON integer or integer text), `0..=MAX_AMOUNT_CENTS`.
    Cents,
    /// A decimal quantity (JSON number or decimal text), `0..=MAX_QUANTITY`, ≤ 12 decimals.
    Quantity,
    /// Lago key/value metadata (an array of `{key, value}` objects).
    Metadata(MetadataRules),
    /// A flat object, whose values are scalars (strings ≤ [`MAX_NAME_LEN`]) or lists of
    /// scalars, and whose listed keys are also checked.
    FlatWith(&'static [(&'static str, Kind)]),
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A non-negative JSON integer (or integer text) up to this bound.
    Count(i64),
    /// A JSON string (not a number or boolean: the value is echoed as sent) of at most
    /// this many characters.
    Str(usize),
    /// A non-negative JSON number up to this bound (e.g. a plan's `trial_period` in days).
    Number(i64),
    /// A JSON boolean.
    Bool,
    /// A string among the `enum` of this schema of Lago's spec (`Country`, `Timezone`),
    /// compared in upper case when the flag is set (the gateway renders the value so).
    LagoEnum(&'static str, bool),
    /// A customer's top-level `country`: two letters are checked against Lago's `Country`
    /// (`country_code_invalid`); anything else is left to the customer's own validation,
    /// which answers the same code.
    CustomerCountry,
    /// An array of ≤ [`MAX_ITEMS`] strings of ≤ [`MAX_NAME_LEN`] characters.
    Strings,
    /// An array of objects, each checked against these fields.
    Items(&'static [(&'static str, Kind)]),
}

const CUSTOMER: &[(&str, Kind)] = &[
    ("external_id", Kind::Id),
    ("billing_entity_code", Kind::Id),
    ("external_salesforce_id", Kind::Id),
    ("name", Kind::Name),
    ("firstname", Kind::Name),
    ("lastname", Kind::Name),
    ("legal_name", Kind::Name),
    ("legal_number", Kind::Name),
    ("tax_identification_number", Kind::Name),
    ("email", Kind::Name),
    ("phone", Kind::Name),
    ("address_line1", Kind::Name),
    ("address_line2", Kind::Name),
    ("city", Kind::Name),
    ("state", Kind::Name),
    ("zipcode", Kind::Name),
    ("country", Kind::CustomerCountry),
    ("currency", Kind::Name),
    ("timezone", Kind::LagoEnum("Timezone", false)),
    ("customer_type", Kind::Name),
    ("url", Kind::Text),
    (
        "finalize_zero_amount_invoice",
        Kind::OneOf(&["inherit", "finalize", "skip"]),
    ),
    ("metadata", Kind::Metadata(CUSTOMER_METADATA)),
    (
        "billing_configuration",
        Kind::FlatWith(BILLING_CONFIGURATION),
    ),
    ("shipping_address", Kind::FlatWith(ADDRESS)),
];

/// Lago's `CustomerBillingConfiguration` (payment providers as its spec enumerates them;
/// a grace period of at most 365 days, as Lago's UI).
const BILLING_CONFIGURATION: &[(&str, Kind)] = &[
    (
        "payment_provider",
        Kind::OneOf(&["stripe", "adyen", "gocardless"]),
    ),
    ("payment_provider_code", Kind::Str(MAX_ID_LEN)),
    ("provider_customer_id", Kind::Str(MAX_ID_LEN)),
    ("invoice_grace_period", Kind::Count(365)),
    ("document_locale", Kind::Str(MAX_ID_LEN)),
    ("provider_payment_methods", Kind::Strings),
];

/// Lago's `Address` (echoed as sent, hence strings only).
const ADDRESS: &[(&str, Kind)] = &[
    ("address_line1", Kind::Str(MAX_NAME_LEN)),
    ("address_line2", Kind::Str(MAX_NAME_LEN)),
    ("city", Kind::Str(MAX_NAME_LEN)),
    ("zipcode", Kind::Str(MAX_NAME_LEN)),
    ("state", Kind::Str(MAX_NAME_LEN)),
    ("country", Kind::LagoEnum("Country", false)),
];

const CHARGE: &[(&str, Kind)] = &[
    ("id", Kind::Id),
    ("lago_id", Kind::Id),
    ("billable_metric_id", Kind::Id),
    ("code", Kind::Id),
    ("charge_model", Kind::Id),
    ("invoice_display_name", Kind::Str(MAX_NAME_LEN)),
    ("min_amount_cents", Kind::Cents),
];

const PLAN: &[(&str, Kind)] = &[
    ("code", Kind::Id),
    ("name", Kind::Name),
    ("invoice_display_name", Kind::Str(MAX_NAME_LEN)),
    ("interval", Kind::Id),
    ("amount_currency", Kind::Id),
    ("description", Kind::Str(MAX_TEXT_LEN)),
    ("trial_period", Kind::Number(36_500)),
    ("bill_charges_monthly", Kind::Bool),
    ("amount_cents", Kind::Cents),
    ("charges", Kind::Items(CHARGE)),
];

const SUBSCRIPTION: &[(&str, Kind)] = &[
    ("external_customer_id", Kind::Id),
    ("plan_code", Kind::Id),
    ("external_id", Kind::Id),
    ("billing_time", Kind::Id),
    ("subscription_at", Kind::Id),
    ("ending_at", Kind::Id),
    ("name", Kind::Name),
];

const FEE: &[(&str, Kind)] = &[
    ("add_on_code", Kind::Id),
    ("invoice_display_name", Kind::Name),
    ("name", Kind::Name),
    ("description", Kind::Text),
    ("units", Kind::Quantity),
    ("unit_amount_cents", Kind::Cents),
];

const INVOICE: &[(&str, Kind)] = &[
    ("external_customer_id", Kind::Id),
    ("currency", Kind::Id),
    ("payment_status", Kind::Id),
    ("fees", Kind::Items(FEE)),
    ("metadata", Kind::Metadata(INVOICE_METADATA)),
];

const CREDIT_NOTE_ITEM: &[(&str, Kind)] = &[("fee_id", Kind::Id), ("amount_cents", Kind::Cents)];

const CREDIT_NOTE: &[(&str, Kind)] = &[
    ("invoice_id", Kind::Id),
    ("reason", Kind::Id),
    ("description", Kind::Text),
    ("credit_amount_cents", Kind::Cents),
    ("refund_amount_cents", Kind::Cents),
    ("items", Kind::Items(CREDIT_NOTE_ITEM)),
];

const BILLABLE_METRIC: &[(&str, Kind)] = &[
    ("code", Kind::Id),
    ("name", Kind::Name),
    ("field_name", Kind::Id),
    ("aggregation_type", Kind::Id),
    ("description", Kind::Text),
    ("expression", Kind::Text),
];

const WEBHOOK_ENDPOINT: &[(&str, Kind)] = &[
    ("webhook_url", Kind::Text),
    ("signature_algo", Kind::Id),
    ("name", Kind::Name),
];

pub(super) fn spec(root: &str) -> &'static [(&'static str, Kind)] {
    match root {
        "customer" => CUSTOMER,
        "plan" => PLAN,
        "subscription" => SUBSCRIPTION,
        "invoice" => INVOICE,
        "credit_note" => CREDIT_NOTE,
        "billable_metric" => BILLABLE_METRIC,
        "webhook_endpoint" => WEBHOOK_ENDPOINT,
        _ => &[],
    }
}
