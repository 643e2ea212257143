//! Search domains: parsing of Odoo's prefix (Polish) notation and evaluation on records.
//!
//! Semantics follow `odoo/orm/domains.py` (19.0): terms are `[field_path, operator, value]`, the
//! prefix operators `&` `|` (binary) and `!` (unary), top-level terms are joined by an implicit
//! `&`; `[1, "=", 1]` / `[0, "=", 1]` are the TRUE/FALSE leaves. Negative operators (`!=`,
//! `not in`, `not like`, `not ilike`, `not =like`, `not =ilike`) also match NULL, as Odoo's SQL
//! does (`(col != v OR col IS NULL)`). Dotted paths traverse many2one/x2many fields ("any").
//! Comparisons with `false` mean "not set". Relational fields compared with a string compare
//! the comodel's `display_name` (name_search semantics).
//!
//! Parsing and validation here; evaluation on records in `eval`.

mod eval;

pub use eval::{eval, eval_scalar, like};

use super::error::{OResult, OdooError};
use super::value::pytuple;
use serde_json::Value;

/// Operators accepted in a condition.
pub const OPERATORS: &[&str] = &[
    "=",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "in",
    "not in",
    "like",
    "not like",
    "ilike",
    "not ilike",
    "=like",
    "not =like",
    "=ilike",
    "not =ilike",
    "child_of",
    "parent_of",
    "any",
    "not any",
];

/// A parsed domain.
#[derive(Debug, Clone, PartialEq)]
pub enum Dom {
    /// Always true.
    True,
    /// Always false.
    False,
    /// All must hold.
    And(Vec<Dom>),
    /// One must hold.
    Or(Vec<Dom>),
    /// Negation.
    Not(Box<Dom>),
    /// A condition.
    Leaf {
        /// Field path split on `.`.
        path: Vec<String>,
        /// Operator (lower-cased).
        op: String,
        /// Right operand.
        value: Value,
        /// The original condition, for error messages.
        raw: Vec<Value>,
    },
}

/// Access to records needed to evaluate a domain.
pub trait Resolver {
    /// Field type and comodel of `model.field`; `None` when the field does not exist.
    fn field_info(&self, model: &str, field: &str) -> Option<(String, Option<String>)>;
    /// Stored-form value of `model(id).field`.
    fn get(&self, model: &str, id: i64, field: &str) -> Value;
    /// `display_name` of `model(id)`.
    fn display_name(&self, model: &str, id: i64) -> String;
    /// Ids of `model` records whose parent chain (`parent_id`) reaches one of `ids` (inclusive).
    fn child_of(&self, model: &str, ids: &[i64]) -> Vec<i64>;
}

/// Parses a domain (a JSON list) into a [`Dom`]. Errors like Odoo's `Domain` constructor.
pub fn parse(domain: &Value) -> OResult<Dom> {
    let items = match domain {
        Value::Null | Value::Bool(false) => return Ok(Dom::True),
        Value::Array(a) => a,
        other => {
            return Err(OdooError::value(format!(
                "Invalid domain: {}",
                super::value::pyrepr(other)
            )))
        }
    };
    let mut stack: Vec<Dom> = Vec::new();
    for item in items.iter().rev() {
        match item {
            Value::String(op) if op == "&" || op == "|" => {
                let (a, b) = (stack.pop(), stack.pop());
                let (Some(a), Some(b)) = (a, b) else {
                    return Err(OdooError::value(format!(
                        "Domain {} is syntactically not correct.",
                        super::value::pyrepr(domain)
                    )));
                };
                stack.push(if op == "&" {
                    Dom::And(vec![a, b])
                } else {
                    Dom::Or(vec![a, b])
                });
            }
            Value::String(op) if op == "!" => {
                let Some(a) = stack.pop() else {
                    return Err(OdooError::value(format!(
                        "Domain {} is syntactically not correct.",
                        super::value::pyrepr(domain)
                    )));
                };
                stack.push(Dom::Not(Box::new(a)));
            }
            Value::Array(t) if t.len() == 3 => stack.push(parse_leaf(t)?),
            other => {
                return Err(OdooError::value(format!(
                    "Invalid term {} in domain",
                    super::value::pyrepr(other)
                )));
            }
        }
    }
    stack.reverse();
    Ok(match stack.len() {
        0 => Dom::True,
        1 => stack.pop().unwrap_or(Dom::True),
        _ => Dom::And(stack),
    })
}

fn parse_leaf(t: &[Value]) -> OResult<Dom> {
    let op = t[1].as_str().map(|s| s.to_lowercase()).unwrap_or_default();
    if !OPERATORS.contains(&op.as_str()) {
        return Err(OdooError::value(format!(
            "Invalid operator {} in condition {}",
            super::value::pyrepr(&t[1]),
            pytuple(t)
        )));
    }
    match &t[0] {
        Value::Number(n) if op == "=" => Ok(if n.as_i64() == t[2].as_i64() {
            Dom::True
        } else {
            Dom::False
        }),
        Value::String(p) => Ok(Dom::Leaf {
            path: p.split('.').map(String::from).collect(),
            op,
            value: t[2].clone(),
            raw: t.to_vec(),
        }),
        _ => Err(OdooError::value(format!("Invalid term {}", pytuple(t)))),
    }
}

/// Checks every field path of `dom` against the schema:
/// `ValueError: Invalid field res.partner.x_foo in condition ('x_foo', '=', 1)`.
pub fn validate(r: &dyn Resolver, model: &str, dom: &Dom) -> OResult<()> {
    match dom {
        Dom::And(v) | Dom::Or(v) => v.iter().try_for_each(|d| validate(r, model, d)),
        Dom::Not(d) => validate(r, model, d),
        Dom::Leaf { path, raw, .. } => {
            let mut m = model.to_string();
            for (i, f) in path.iter().enumerate() {
                let Some((_, rel)) = r.field_info(&m, f) else {
                    return Err(OdooError::value(format!(
                        "Invalid field {m}.{f} in condition {}",
                        pytuple(raw)
                    )));
                };
                if i + 1 < path.len() {
                    match rel {
                        Some(c) => m = c,
                        None => {
                            return Err(OdooError::value(format!(
                                "Invalid field {m}.{f} in condition {}",
                                pytuple(raw)
                            )));
                        }
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    struct Mock(HashMap<(String, i64), serde_json::Map<String, Value>>);

    impl Resolver for Mock {
        fn field_info(&self, model: &str, field: &str) -> Option<(String, Option<String>)> {
            Some(match (model, field) {
                ("p", "name" | "email") => ("char".into(), None),
                ("p", "amount") => ("float".into(), None),
                ("p", "active") => ("boolean".into(), None),
                ("p", "id" | "rank") => ("integer".into(), None),
                ("p", "parent_id") => ("many2one".into(), Some("p".into())),
                ("p", "tag_ids") => ("many2many".into(), Some("t".into())),
                ("t", "name") => ("char".into(), None),
                _ => return None,
            })
        }
        fn get(&self, model: &str, id: i64, field: &str) -> Value {
            self.0
                .get(&(model.into(), id))
                .and_then(|r| r.get(field).cloned())
                .unwrap_or(Value::Null)
        }
        fn display_name(&self, model: &str, id: i64) -> String {
            self.get(model, id, "name").as_str().unwrap_or("").into()
        }
        fn child_of(&self, _: &str, ids: &[i64]) -> Vec<i64> {
            ids.to_vec()
        }
    }

    fn mock() -> Mock {
        let mut m = HashMap::new();
        let rec = |v: Value| v.as_object().unwrap().clone();
        m.insert(("p".into(), 1), rec(json!({"name": "Acme Corp", "amount": "10.50", "active": true, "rank": 0, "tag_ids": [7]})));
        m.insert(("p".into(), 2), rec(json!({"name": "Bob", "email": "bob@x.io", "amount": "3", "active": false, "parent_id": 1, "rank": 2, "tag_ids": []})));
        m.insert(("t".into(), 7), rec(json!({"name": "VIP"})));
        Mock(m)
    }

    fn ids(d: Value) -> Vec<i64> {
        let m = mock();
        let dom = parse(&d).unwrap();
        validate(&m, "p", &dom).unwrap();
        [1, 2]
            .into_iter()
            .filter(|i| eval(&m, "p", *i, &dom))
            .collect()
    }

    #[test]
    fn operators() {
        assert_eq!(ids(json!([["name", "=", "Bob"]])), vec![2]);
        assert_eq!(ids(json!([["name", "!=", "Bob"]])), vec![1]);
        assert_eq!(ids(json!([["amount", ">", 5]])), vec![1]);
        assert_eq!(ids(json!([["amount", "<=", 3.0]])), vec![2]);
        assert_eq!(
            ids(json!([["amount", ">=", 3], ["amount", "<", 10.5]])),
            vec![2]
        );
        assert_eq!(ids(json!([["id", "in", [2, 5]]])), vec![2]);
        assert_eq!(ids(json!([["id", "not in", [2]]])), vec![1]);
        assert_eq!(ids(json!([["name", "ilike", "acme"]])), vec![1]);
        assert_eq!(ids(json!([["name", "like", "acme"]])), Vec::<i64>::new());
        assert_eq!(ids(json!([["name", "=like", "B_b"]])), vec![2]);
        assert_eq!(ids(json!([["name", "=ilike", "acme%"]])), vec![1]);
        assert_eq!(ids(json!([["email", "=", false]])), vec![1]);
        assert_eq!(ids(json!([["email", "!=", false]])), vec![2]);
        assert_eq!(ids(json!([["email", "not ilike", "bob"]])), vec![1]);
        assert_eq!(ids(json!([["active", "=", false]])), vec![2]);
        assert_eq!(ids(json!([["rank", "=", 0]])), vec![1]);
    }

    #[test]
    fn prefix_operators_and_paths() {
        assert_eq!(
            ids(json!(["|", ["name", "=", "Bob"], ["amount", ">", 10]])),
            vec![1, 2]
        );
        assert_eq!(ids(json!(["!", ["name", "=", "Bob"]])), vec![1]);
        assert_eq!(
            ids(json!(["&", ["active", "=", true], ["name", "ilike", "a"]])),
            vec![1]
        );
        assert_eq!(ids(json!([["parent_id.name", "=", "Acme Corp"]])), vec![2]);
        assert_eq!(ids(json!([["parent_id", "=", false]])), vec![1]);
        assert_eq!(ids(json!([["parent_id", "ilike", "acme"]])), vec![2]);
        assert_eq!(ids(json!([["tag_ids", "in", [7]]])), vec![1]);
        assert_eq!(ids(json!([["tag_ids.name", "=", "VIP"]])), vec![1]);
        assert_eq!(ids(json!([[1, "=", 1]])), vec![1, 2]);
        assert_eq!(ids(json!([])), vec![1, 2]);
    }

    #[test]
    fn rejections() {
        let m = mock();
        let d = parse(&json!([["x_foo", "=", 1]])).unwrap();
        let e = validate(&m, "p", &d).unwrap_err();
        assert_eq!(e.name, "builtins.ValueError");
        assert_eq!(
            e.message,
            "Invalid field p.x_foo in condition ('x_foo', '=', 1)"
        );
        assert!(parse(&json!([["name", "~", 1]])).is_err());
        assert!(parse(&json!(["&", ["name", "=", 1]])).is_err());
    }

    #[test]
    fn like_patterns() {
        assert!(like("abc", "a%"));
        assert!(like("abc", "%b%"));
        assert!(!like("abc", "a_"));
        assert!(like("a%c", "a\\%c"));
    }
}
