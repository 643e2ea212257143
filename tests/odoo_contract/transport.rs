//! CONTRACT.md §1 (JSON-RPC transport) and §6.1–6.2.

use crate::harness::{assert_error_envelope, Target};
use serde_json::{json, Value};

#[tokio::test]
async fn version_reports_19() {
    let t = Target::new().await;
    let v = t.rpc("common", "version", json!([])).await;
    let r = &v["result"];
    assert_eq!(r["server_serie"], "19.0");
    assert_eq!(r["protocol_version"], 1);
    assert_eq!(r["server_version_info"][0], 19);
    assert!(r["server_version"].as_str().unwrap().starts_with("19.0"));
}

#[tokio::test]
async fn authenticate_returns_uid_or_false_never_an_error() {
    let t = Target::new().await;
    let ok = t
        .rpc(
            "common",
            "authenticate",
            json!([t.db, t.login, t.password, {}]),
        )
        .await;
    assert!(ok["result"].as_i64().unwrap() > 0);
    let login = t
        .rpc("common", "login", json!([t.db, t.login, t.password]))
        .await;
    assert_eq!(login["result"], ok["result"]);
    let bad = t
        .rpc(
            "common",
            "authenticate",
            json!([t.db, t.login, "wrong-password", {}]),
        )
        .await;
    assert_eq!(bad["result"], json!(false));
    assert!(bad.get("error").is_none());
    let bad_login = t
        .rpc(
            "common",
            "login",
            json!([t.db, "nobody@example.com", t.password]),
        )
        .await;
    assert_eq!(bad_login["result"], json!(false));
}

#[tokio::test]
async fn execute_kw_with_bad_password_is_access_denied() {
    let t = Target::new().await;
    let v = t
        .rpc(
            "object",
            "execute_kw",
            json!([
                t.db,
                t.uid,
                "wrong-password",
                "res.partner",
                "search",
                [[]],
                {}
            ]),
        )
        .await;
    assert_error_envelope(&v);
    assert_eq!(v["error"]["data"]["name"], "odoo.exceptions.AccessDenied");
    assert_eq!(v["error"]["data"]["message"], "Access Denied");
    assert_eq!(v["error"]["data"]["arguments"], json!(["Access Denied"]));
}

#[tokio::test]
async fn method_errors_are_http_200_envelopes_with_code_0() {
    let t = Target::new().await;
    let e = t
        .err(
            "res.partner",
            "create",
            json!([{"x_does_not_exist": 1}]),
            json!({}),
        )
        .await;
    assert_eq!(e["data"]["context"], json!({}));
    assert_eq!(
        e["data"]["arguments"],
        json!([e["data"]["message"].clone()])
    );
}

#[tokio::test]
async fn none_result_omits_the_result_key() {
    let t = Target::new().await;
    let inv = t.posted_invoice(1.0, 100.0).await;
    let v = t
        .kw("account.move", "button_draft", json!([[inv]]), json!({}))
        .await;
    assert!(v.get("error").is_none(), "{v}");
    assert!(
        v.as_object().unwrap().get("result").is_none(),
        "button_draft returns None: {v}"
    );
    let v = t
        .kw("account.move", "button_cancel", json!([[inv]]), json!({}))
        .await;
    assert!(
        v.as_object().unwrap().get("result").is_none(),
        "button_cancel returns None: {v}"
    );
    assert_eq!(
        t.read1("account.move", inv, &["state"]).await["state"],
        "cancel"
    );
}

#[tokio::test]
async fn false_zero_and_empty_results_are_emitted() {
    let t = Target::new().await;
    let v = t
        .kw(
            "res.partner",
            "search",
            json!([[["id", "=", -1]]]),
            json!({}),
        )
        .await;
    assert_eq!(v["result"], json!([]));
    let v = t
        .kw(
            "res.partner",
            "search_count",
            json!([[["id", "=", -1]]]),
            json!({}),
        )
        .await;
    assert_eq!(v["result"], json!(0));
}

#[tokio::test]
async fn missing_id_is_echoed_as_null() {
    let t = Target::new().await;
    let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "common", "method": "version", "args": []}});
    let (s, _, text, _) = t
        .post_raw("/jsonrpc", "application/json", &body.to_string(), &[])
        .await;
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["id"], Value::Null);
    assert!(v.as_object().unwrap().contains_key("id"));
}

#[tokio::test]
async fn non_json_bodies_are_plain_400s() {
    let t = Target::new().await;
    let (s, _, text, _) = t
        .post_raw("/jsonrpc", "application/json", "not json", &[])
        .await;
    assert_eq!((s, text.as_str()), (400, "Invalid JSON data"));
    let (s, _, text, _) = t
        .post_raw("/jsonrpc", "application/json", "[1, 2]", &[])
        .await;
    assert_eq!((s, text.as_str()), (400, "Invalid JSON-RPC data"));
}

#[tokio::test]
async fn wrong_content_type_is_415_html() {
    let t = Target::new().await;
    let (s, ct, _, _) = t.post_raw("/jsonrpc", "text/plain", "{}", &[]).await;
    assert_eq!(s, 415);
    assert!(ct.starts_with("text/html"), "{ct}");
}

#[tokio::test]
async fn unknown_common_and_object_methods() {
    let t = Target::new().await;
    let v = t.rpc("common", "frobnicate", json!([])).await;
    assert_error_envelope(&v);
    assert_eq!(
        v["error"]["data"]["message"],
        "Method not found: frobnicate"
    );
    let v = t
        .rpc(
            "object",
            "frobnicate",
            json!([t.db, t.uid, t.password, "res.partner", "search", [[]]]),
        )
        .await;
    assert_error_envelope(&v);
    assert_eq!(v["error"]["data"]["name"], "builtins.NameError");
}

#[tokio::test]
async fn execute_passes_positional_args() {
    let t = Target::new().await;
    let v = t
        .rpc(
            "object",
            "execute",
            json!([
                t.db,
                t.uid,
                t.password,
                "res.partner",
                "search_count",
                [["id", "=", -1]]
            ]),
        )
        .await;
    assert_eq!(v["result"], json!(0));
}

#[tokio::test]
async fn web_version_is_plain_json() {
    let t = Target::new().await;
    let v: Value = t
        .http
        .get(format!("{}/web/version", t.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["version_info"][0], 19);
    assert!(v["version"].as_str().unwrap().starts_with("19.0"));
}
