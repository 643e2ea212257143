//! Odoo exceptions as the simulator raises them, and their two wire forms.
//!
//! JSON-RPC (`odoo/http.py` `JsonRPCDispatcher.handle_error` + `serialize_exception`): HTTP 200,
//! `{"jsonrpc":"2.0","id":..,"error":{"code":0,"message":"Odoo Server Error","data":{name,message,
//! arguments,context,debug}}}`. JSON-2 (`addons/rpc/controllers/json2.py`,
//! `Json2Dispatcher.handle_error`): the `data` object alone as body, with the HTTP status of the
//! exception class (`odoo/exceptions.py`): UserError/ValidationError 422, AccessError/AccessDenied
//! 403, MissingError 404, other Python errors 500, werkzeug errors their own code.

use serde_json::{json, Value};

/// One raised exception.
#[derive(Debug, Clone, PartialEq)]
pub struct OdooError {
    /// `module.ClassName`, e.g. `odoo.exceptions.UserError`.
    pub name: String,
    /// `str(exception)`.
    pub message: String,
    /// `exception.args` (Odoo exceptions: `[message]`; werkzeug: `[description, status]`).
    pub arguments: Vec<Value>,
    /// HTTP status used by JSON-2 (JSON-RPC always answers 200).
    pub status: u16,
}

/// Result type of every simulated method.
pub type OResult<T> = Result<T, OdooError>;

impl OdooError {
    fn new(name: &str, message: impl Into<String>, status: u16) -> Self {
        let message = message.into();
        OdooError {
            name: name.to_string(),
            arguments: vec![Value::String(message.clone())],
            message,
            status,
        }
    }
    /// `odoo.exceptions.UserError` (422).
    pub fn user(msg: impl Into<String>) -> Self {
        Self::new("odoo.exceptions.UserError", msg, 422)
    }
    /// `odoo.exceptions.ValidationError` (422).
    pub fn validation(msg: impl Into<String>) -> Self {
        Self::new("odoo.exceptions.ValidationError", msg, 422)
    }
    /// `odoo.exceptions.AccessError` (403).
    pub fn access(msg: impl Into<String>) -> Self {
        Self::new("odoo.exceptions.AccessError", msg, 403)
    }
    /// `odoo.exceptions.AccessDenied` with its default message `Access Denied` (403).
    pub fn access_denied() -> Self {
        Self::new("odoo.exceptions.AccessDenied", "Access Denied", 403)
    }
    /// `odoo.exceptions.MissingError` (404).
    pub fn missing(msg: impl Into<String>) -> Self {
        Self::new("odoo.exceptions.MissingError", msg, 404)
    }
    /// `builtins.ValueError` (500 over JSON-2).
    pub fn value(msg: impl Into<String>) -> Self {
        Self::new("builtins.ValueError", msg, 500)
    }
    /// `builtins.TypeError` (500 over JSON-2).
    pub fn type_error(msg: impl Into<String>) -> Self {
        Self::new("builtins.TypeError", msg, 500)
    }
    /// `builtins.KeyError` (500 over JSON-2): Python's `str(KeyError(k))` is `'k'` but Odoo's
    /// `serialize_exception` sends the bare key as message and `[key]` as arguments.
    pub fn key_error(key: &str) -> Self {
        Self::new("builtins.KeyError", key, 500)
    }
    /// `builtins.AttributeError` (500).
    pub fn attribute(msg: impl Into<String>) -> Self {
        Self::new("builtins.AttributeError", msg, 500)
    }
    /// `builtins.Exception` (used by `common` for unknown methods).
    pub fn exception(msg: impl Into<String>) -> Self {
        Self::new("builtins.Exception", msg, 500)
    }
    /// `builtins.NameError` (unknown `object` service method).
    pub fn name_error(msg: impl Into<String>) -> Self {
        Self::new("builtins.NameError", msg, 500)
    }
    /// A werkzeug HTTP exception: `arguments = [description, status]`.
    pub fn werkzeug(class: &str, msg: impl Into<String>, status: u16) -> Self {
        let message = msg.into();
        OdooError {
            name: format!("werkzeug.exceptions.{class}"),
            arguments: vec![Value::String(message.clone()), json!(status)],
            message,
            status,
        }
    }

    /// The traceback string put in `data.debug` (AccessDenied suppresses the traceback).
    pub fn debug(&self) -> String {
        let last = format!("{}: {}\n", self.name, self.message);
        if self.name == "odoo.exceptions.AccessDenied" {
            return last;
        }
        format!(
            "Traceback (most recent call last):\n  File \"odoo-sim\", line 1, in <module>\n{last}"
        )
    }

    /// The `data` object, serialised with Odoo's key order `name, message, arguments, context, debug`.
    pub fn data_json(&self) -> String {
        format!(
            "{{\"name\": {}, \"message\": {}, \"arguments\": {}, \"context\": {{}}, \"debug\": {}}}",
            Value::String(self.name.clone()),
            Value::String(self.message.clone()),
            Value::Array(self.arguments.clone()),
            Value::String(self.debug()),
        )
    }

    /// The complete JSON-RPC error envelope (HTTP 200 body).
    pub fn jsonrpc_body(&self, id: &Value) -> String {
        format!(
            "{{\"jsonrpc\": \"2.0\", \"id\": {}, \"error\": {{\"code\": 0, \"message\": \"Odoo Server Error\", \"data\": {}}}}}",
            id,
            self.data_json()
        )
    }
}

/// The standard MissingError for records that do not exist
/// (`odoo/orm/models.py` `_check_access`/`_read`: "Record does not exist or has been deleted.").
pub fn missing_record(model: &str, ids: &[i64], uid: i64) -> OdooError {
    let shown: Vec<String> = ids.iter().take(6).map(|i| i.to_string()).collect();
    let rec = if shown.len() == 1 {
        format!("{model}({},)", shown[0])
    } else {
        format!("{model}({})", shown.join(", "))
    };
    OdooError::missing(format!(
        "Record does not exist or has been deleted.\n(Record: {rec}, User: {uid})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_shape() {
        let e = OdooError::user("boom");
        let v: Value = serde_json::from_str(&e.jsonrpc_body(&json!(3))).unwrap();
        assert_eq!(v["error"]["code"], 0);
        assert_eq!(v["error"]["data"]["arguments"], json!(["boom"]));
        assert_eq!(v["id"], 3);
        assert_eq!(
            missing_record("res.partner", &[9], 2).message,
            "Record does not exist or has been deleted.\n(Record: res.partner(9,), User: 2)"
        );
    }
}
