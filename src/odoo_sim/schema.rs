//! The simulator's truth about which models, fields and public methods exist.
//!
//! Loaded from `fixtures/odoo/models-19.0.json` (embedded with `include_str!`), a field-by-field
//! transcription of the Odoo 19.0 sources (`odoo/orm/models.py`, each model's Python file).
//! With `with_subscriptions = false` everything contributed by the enterprise module
//! `sale_subscription` (models, fields, methods marked `source: inferred`) is removed, as if the
//! module were not installed.

use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The embedded schema file (`fixtures/odoo/models-19.0.json`).
pub const MODELS_JSON: &str = include_str!("../../fixtures/odoo/models-19.0.json");

/// One field as `fields_get` would describe it (see `_about.field_keys` in the schema file).
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// Technical name, e.g. `partner_id`.
    pub name: String,
    /// Odoo field type (`char`, `many2one`, `monetary`, ...).
    pub ftype: String,
    /// Comodel of relational fields.
    pub relation: Option<String>,
    /// For one2many: the many2one on the comodel.
    pub inverse_name: Option<String>,
    /// Allowed selection keys; `None` when dynamic/unknown (then any key is accepted).
    pub selection: Option<Vec<String>>,
    /// NOT NULL column.
    pub required: bool,
    /// UI read-only (not enforced by the ORM).
    pub readonly: bool,
    /// Computed or related.
    pub computed: bool,
    /// Has a database column.
    pub stored: bool,
    /// Computed before insert (precompute+readonly values given to create are dropped).
    pub precompute: bool,
    /// Literal default.
    pub default: Option<Value>,
    /// A dynamic (lambda) default exists.
    pub default_dynamic: bool,
    /// Related path, e.g. `product_tmpl_id.name`.
    pub related: Option<String>,
    /// Label used in error messages.
    pub string: String,
    /// Module adding the field (when not the model's own module).
    pub module: Option<String>,
    /// Manual (`x_`) field created through `ir.model.fields`.
    pub manual: bool,
}

impl FieldDef {
    /// True for one2many and many2many.
    pub fn is_x2many(&self) -> bool {
        self.ftype == "one2many" || self.ftype == "many2many"
    }
}

/// One model: description, fields and public methods.
#[derive(Debug, Clone)]
pub struct ModelDef {
    /// Technical name, e.g. `sale.order`.
    pub name: String,
    /// `_description`, used in ORM error messages.
    pub description: String,
    /// TransientModel (wizard).
    pub transient: bool,
    /// Fields modelled by the simulator, in schema order.
    pub fields: Vec<FieldDef>,
    /// Index of `fields` by name.
    pub index: HashMap<String, usize>,
    /// Real fields the simulator does not model: accepted, read as `false`.
    pub other_fields: HashSet<String>,
    /// Model-specific public methods.
    pub methods: HashSet<String>,
    /// Model-specific public methods flagged `@api.model` (no ids).
    pub api_model_methods: HashSet<String>,
    /// Python signatures without `self`, e.g. `(close_reason_id=None, renew=False)`.
    pub signatures: HashMap<String, String>,
}

impl ModelDef {
    /// The field definition for `name`, if modelled.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.index.get(name).map(|i| &self.fields[*i])
    }

    /// True when the field exists in Odoo (modelled, manual or listed in `other_fields`).
    pub fn has_field(&self, name: &str) -> bool {
        self.index.contains_key(name) || self.other_fields.contains(name)
    }

    /// Adds a field (manual `x_` fields created at run time).
    pub fn add_field(&mut self, f: FieldDef) {
        self.index.insert(f.name.clone(), self.fields.len());
        self.fields.push(f);
    }
}

/// All models plus the generic ORM method table.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Models by technical name.
    pub models: BTreeMap<String, ModelDef>,
    /// Public ORM methods common to every model (`_about.orm_methods`) with their decorators.
    pub orm_methods: HashMap<String, String>,
    /// ORM methods that are private over RPC (`_about.orm_private_methods`).
    pub orm_private: HashSet<String>,
}

impl Schema {
    /// Loads the embedded schema; `with_subscriptions=false` drops `sale_subscription`.
    pub fn load(with_subscriptions: bool) -> Schema {
        let root: Value = serde_json::from_str(MODELS_JSON).expect("embedded schema is valid JSON");
        let obj = root.as_object().expect("schema root is an object");
        let about = &obj["_about"];
        let orm_methods = about["orm_methods"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let orm_private = about["orm_private_methods"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let mut models = BTreeMap::new();
        for (name, m) in obj.iter().filter(|(k, _)| !k.starts_with('_')) {
            if !with_subscriptions && m["fields"]["name"]["module"] == "sale_subscription" {
                continue;
            }
            models.insert(name.clone(), parse_model(name, m, with_subscriptions));
        }
        // Not transcribed in models-19.0.json (an "other field"): account's
        // `res.company.tax_calculation_rounding_method` (`company.py`, default
        // `round_globally`), which the gateway reads to round current usage as invoices are.
        if let Some(c) = models.get_mut("res.company") {
            if c.field("tax_calculation_rounding_method").is_none() {
                c.add_field(parse_field(
                    "tax_calculation_rounding_method",
                    &serde_json::json!({"type": "selection",
                        "selection": ["round_globally", "round_per_line"],
                        "default": "round_globally", "module": "account",
                        "string": "Tax Calculation Rounding Method"}),
                ));
            }
        }
        Schema {
            models,
            orm_methods,
            orm_private,
        }
    }

    /// The model definition, if the model exists.
    pub fn model(&self, name: &str) -> Option<&ModelDef> {
        self.models.get(name)
    }

    /// True when `method` is `@api.model` on `model` (no record ids are passed).
    pub fn is_api_model(&self, model: &str, method: &str) -> bool {
        if let Some(m) = self.models.get(model) {
            if m.api_model_methods.contains(method) {
                return true;
            }
            if m.methods.contains(method) {
                return false;
            }
        }
        self.orm_methods.get(method).is_some_and(|d| {
            d.split(',')
                .any(|x| x == "api.model" || x == "api.model_create_multi")
        })
    }
}

fn parse_model(name: &str, m: &Value, with_subs: bool) -> ModelDef {
    let mut def = ModelDef {
        name: name.to_string(),
        description: m["description"].as_str().unwrap_or(name).to_string(),
        transient: m["transient"].as_bool().unwrap_or(false),
        fields: vec![],
        index: HashMap::new(),
        other_fields: HashSet::new(),
        methods: HashSet::new(),
        api_model_methods: HashSet::new(),
        signatures: HashMap::new(),
    };
    if let Some(fields) = m["fields"].as_object() {
        for (fname, f) in fields {
            if !with_subs && f["module"] == "sale_subscription" {
                continue;
            }
            def.add_field(parse_field(fname, f));
        }
    }
    if let Some(o) = m["other_fields"].as_array() {
        def.other_fields = o
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
    }
    let info = &m["method_info"];
    if let Some(ms) = m["methods"].as_array() {
        for meth in ms.iter().filter_map(|v| v.as_str()) {
            let mi = &info[meth];
            if !with_subs && mi["source"] == "inferred" {
                continue;
            }
            def.methods.insert(meth.to_string());
            if let Some(sig) = mi["signature"].as_str() {
                def.signatures.insert(meth.to_string(), sig.to_string());
            }
            if mi["api_model"].as_bool().unwrap_or(false) {
                def.api_model_methods.insert(meth.to_string());
            }
        }
    }
    def
}

fn parse_field(name: &str, f: &Value) -> FieldDef {
    let s = |k: &str| f[k].as_str().map(String::from);
    let b = |k: &str| f[k].as_bool().unwrap_or(false);
    FieldDef {
        name: name.to_string(),
        ftype: s("type").unwrap_or_else(|| "char".into()),
        relation: s("relation"),
        inverse_name: s("inverse_name"),
        selection: f["selection"].as_array().map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        }),
        required: b("required"),
        readonly: b("readonly"),
        computed: b("computed"),
        stored: f["stored"].as_bool().unwrap_or(true),
        precompute: b("precompute"),
        default: f.get("default").cloned(),
        default_dynamic: b("default_dynamic"),
        related: s("related"),
        string: s("string").unwrap_or_else(|| name.to_string()),
        module: s("module"),
        manual: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_and_strips_subscriptions() {
        let full = Schema::load(true);
        assert!(full.model("sale.subscription.plan").is_some());
        assert!(full.model("sale.order").unwrap().field("plan_id").is_some());
        let bare = Schema::load(false);
        assert!(bare.model("sale.subscription.plan").is_none());
        assert!(bare.model("sale.order").unwrap().field("plan_id").is_none());
        assert!(!bare
            .model("sale.order")
            .unwrap()
            .methods
            .contains("set_close"));
        assert!(bare.is_api_model("res.partner", "create"));
        assert!(!bare.is_api_model("res.partner", "write"));
    }
}
