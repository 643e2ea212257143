//! Evaluation of a parsed domain on one record (see the module doc of `domain`).

use super::{parse, Dom, Resolver};
use crate::odoo_sim::value::{dec, truthy};
use serde_json::Value;
use std::cmp::Ordering;

/// Whether record `model(id)` satisfies `dom`.
pub fn eval(r: &dyn Resolver, model: &str, id: i64, dom: &Dom) -> bool {
    match dom {
        Dom::True => true,
        Dom::False => false,
        Dom::And(v) => v.iter().all(|d| eval(r, model, id, d)),
        Dom::Or(v) => v.iter().any(|d| eval(r, model, id, d)),
        Dom::Not(d) => !eval(r, model, id, d),
        Dom::Leaf {
            path, op, value, ..
        } => eval_path(r, model, id, path, op, value),
    }
}

fn negative(op: &str) -> Option<&'static str> {
    Some(match op {
        "!=" => "=",
        "not in" => "in",
        "not like" => "like",
        "not ilike" => "ilike",
        "not =like" => "=like",
        "not =ilike" => "=ilike",
        "not any" => "any",
        _ => return None,
    })
}

fn eval_path(
    r: &dyn Resolver,
    model: &str,
    id: i64,
    path: &[String],
    op: &str,
    value: &Value,
) -> bool {
    if let Some(pos) = negative(op) {
        return !eval_path(r, model, id, path, pos, value);
    }
    let Some((ftype, rel)) = r.field_info(model, &path[0]) else {
        return false;
    };
    let v = if path[0] == "id" {
        Value::from(id)
    } else {
        r.get(model, id, &path[0])
    };
    if path.len() > 1 {
        let Some(c) = rel else { return false };
        return related_ids(&v)
            .iter()
            .any(|cid| eval_path(r, &c, *cid, &path[1..], op, value));
    }
    match (ftype.as_str(), rel) {
        ("many2one" | "one2many" | "many2many", Some(c)) => {
            eval_relational(r, &c, &related_ids(&v), op, value)
        }
        _ => eval_scalar(&ftype, &v, op, value),
    }
}

fn related_ids(v: &Value) -> Vec<i64> {
    match v {
        Value::Number(n) => n.as_i64().into_iter().collect(),
        Value::Array(a) => a.iter().filter_map(|x| x.as_i64()).collect(),
        _ => vec![],
    }
}

fn eval_relational(r: &dyn Resolver, comodel: &str, ids: &[i64], op: &str, value: &Value) -> bool {
    let by_name = |pat_op: &str, pat: &Value| {
        ids.iter().any(|i| {
            eval_scalar(
                "char",
                &Value::String(r.display_name(comodel, *i)),
                pat_op,
                pat,
            )
        })
    };
    match (op, value) {
        ("any", Value::Array(_)) => match parse(value) {
            Ok(d) => ids.iter().any(|i| eval(r, comodel, *i, &d)),
            Err(_) => false,
        },
        ("child_of" | "parent_of", _) => {
            let targets = related_ids(value);
            let scope = r.child_of(comodel, &targets);
            ids.iter().any(|i| scope.contains(i))
        }
        ("=", Value::Bool(false) | Value::Null) => ids.is_empty(),
        ("=", Value::Number(n)) => n.as_i64().is_some_and(|x| ids.contains(&x)),
        ("in", Value::Array(list)) => {
            let empty_ok = list.iter().any(|x| !truthy(x));
            (empty_ok && ids.is_empty())
                || list
                    .iter()
                    .any(|x| x.as_i64().is_some_and(|i| ids.contains(&i)))
        }
        ("in", Value::Number(n)) => n.as_i64().is_some_and(|x| ids.contains(&x)),
        ("=" | "like" | "ilike" | "=like" | "=ilike", Value::String(_)) => by_name(op, value),
        (_, Value::Bool(true)) => !ids.is_empty(),
        _ => false,
    }
}

/// Evaluates one scalar comparison (`ftype` decides numeric vs text comparison).
pub fn eval_scalar(ftype: &str, v: &Value, op: &str, value: &Value) -> bool {
    match op {
        "=" => {
            if matches!(value, Value::Bool(false) | Value::Null) {
                return matches!(v, Value::Null | Value::Bool(false));
            }
            cmp(ftype, v, value) == Some(Ordering::Equal)
        }
        "in" => match value {
            Value::Array(list) => list.iter().any(|x| eval_scalar(ftype, v, "=", x)),
            single => eval_scalar(ftype, v, "=", single),
        },
        "<" | ">" | "<=" | ">=" => {
            if v.is_null() {
                return false;
            }
            match cmp(ftype, v, value) {
                Some(o) => match op {
                    "<" => o == Ordering::Less,
                    ">" => o == Ordering::Greater,
                    "<=" => o != Ordering::Greater,
                    _ => o != Ordering::Less,
                },
                None => false,
            }
        }
        "like" | "ilike" | "=like" | "=ilike" => {
            let Some(text) = v.as_str() else { return false };
            let pat = match value {
                Value::String(s) => s.clone(),
                Value::Bool(false) | Value::Null => return !truthy(v),
                other => other.to_string(),
            };
            let pat = if op.starts_with('=') {
                pat
            } else {
                format!("%{}%", pat)
            };
            if op.ends_with("ilike") {
                like(&text.to_lowercase(), &pat.to_lowercase())
            } else {
                like(text, &pat)
            }
        }
        _ => false,
    }
}

fn cmp(ftype: &str, a: &Value, b: &Value) -> Option<Ordering> {
    if matches!(ftype, "float" | "monetary" | "integer") || (a.is_number() && b.is_number()) {
        return Some(dec(a).cmp(&dec(b)));
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.as_str().cmp(y.as_str())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Null, Value::Bool(y)) => Some(false.cmp(y)),
        _ => None,
    }
}

/// SQL `LIKE` matching with `%` (any run), `_` (one char) and `\` escapes.
pub fn like(text: &str, pat: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let mut p: Vec<(char, bool)> = Vec::new();
    let mut it = pat.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            if let Some(n) = it.next() {
                p.push((n, true));
            }
        } else {
            p.push((c, false));
        }
    }
    let (n, m) = (t.len(), p.len());
    let mut dp = vec![vec![false; m + 1]; n + 1];
    dp[0][0] = true;
    for j in 1..=m {
        if p[j - 1] == ('%', false) {
            dp[0][j] = dp[0][j - 1];
        }
    }
    for i in 1..=n {
        for j in 1..=m {
            dp[i][j] = match p[j - 1] {
                ('%', false) => dp[i][j - 1] || dp[i - 1][j],
                ('_', false) => dp[i - 1][j - 1],
                (c, _) => dp[i - 1][j - 1] && c == t[i - 1],
            };
        }
    }
    dp[n][m]
}
