//! The parts of a generic call: [`Call`], [`SearchOptions`], and what `fields_get` says
//! ([`FieldInfo`]).

use serde_json::{Map, Value};

/// What `fields_get` says about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// Field type: `char`, `many2one`, `monetary`, …
    pub ftype: String,
    /// Comodel of relational fields.
    pub relation: Option<String>,
    /// Required on create.
    pub required: bool,
    /// Label in the request language.
    pub label: Option<String>,
}

/// Paging and ordering of `search`/`search_read`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchOptions {
    /// Records to skip.
    pub offset: Option<u64>,
    /// At most this many records.
    pub limit: Option<u64>,
    /// SQL-like order, e.g. `"write_date asc, id asc"`.
    pub order: Option<String>,
    /// Include archived records (`context.active_test = false`).
    pub include_archived: bool,
}

impl SearchOptions {
    /// Order by `order`, no limit.
    pub fn ordered(order: &str) -> SearchOptions {
        SearchOptions {
            order: Some(order.to_string()),
            ..SearchOptions::default()
        }
    }
}

/// A protocol-neutral call: `ids` (for record methods; `None` for `@api.model` methods), named
/// arguments and a context. Sent as `execute_kw(model, method, [ids], {named…, context})` over
/// JSON-RPC and as `{"ids", "context", named…}` over JSON-2 (CONTRACT.md §3.1, §3.5).
///
/// Not for `create`: use `Orm::create` (its positional special case, §3.2).
#[derive(Debug, Clone)]
pub struct Call {
    pub(super) model: String,
    pub(super) method: String,
    pub(super) ids: Option<Vec<i64>>,
    pub(super) args: Map<String, Value>,
    pub(super) context: Map<String, Value>,
}

impl Call {
    /// A call of `model.method` with no ids (an `@api.model` method).
    pub fn new(model: &str, method: &str) -> Call {
        Call {
            model: model.to_string(),
            method: method.to_string(),
            ids: None,
            args: Map::new(),
            context: Map::new(),
        }
    }

    /// The records the method runs on.
    pub fn ids(mut self, ids: impl IntoIterator<Item = i64>) -> Call {
        self.ids = Some(ids.into_iter().collect());
        self
    }

    /// A named argument.
    pub fn arg(mut self, name: &str, value: impl Into<Value>) -> Call {
        self.args.insert(name.to_string(), value.into());
        self
    }

    /// A context key (`lang`, `active_test`, `active_model`, `active_ids`, …).
    pub fn context(mut self, key: &str, value: impl Into<Value>) -> Call {
        self.context.insert(key.to_string(), value.into());
        self
    }

    /// The model.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }
}
