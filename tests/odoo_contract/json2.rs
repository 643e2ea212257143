//! CONTRACT.md §2 (JSON-2) and §6.3, 6.5, 6.6.

use crate::harness::{uniq, Target};
use serde_json::{json, Value};

fn assert_json2_error(body: &Value, name: &str) {
    let keys: Vec<&str> = body
        .as_object()
        .expect("error object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut k = keys.clone();
    k.sort();
    assert_eq!(
        k,
        vec!["arguments", "context", "debug", "message", "name"],
        "{body}"
    );
    assert_eq!(body["name"], name, "{body}");
}

#[tokio::test]
async fn bare_bodies_and_create_always_returns_a_list() {
    let t = Target::new().await;
    let (s, ct, v) = t
        .json2(
            "res.partner",
            "create",
            json!({"vals_list": [{"name": uniq("J2")}]}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("application/json"), "{ct}");
    let id = v.as_array().expect("list")[0].as_i64().unwrap();
    let (s, _, v) = t
        .json2(
            "res.partner",
            "search",
            json!({"domain": [["id", "=", id]]}),
        )
        .await;
    assert_eq!((s, v), (200, json!([id])));
    let (s, _, v) = t
        .json2(
            "res.partner",
            "read",
            json!({"ids": [id], "fields": ["name"]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v[0]["id"], id);
    let (_, _, v) = t
        .json2("res.partner", "read", json!({"fields": ["name"]}))
        .await;
    assert_eq!(v, json!([]), "read with no ids");
    let (s, _, v) = t
        .json2(
            "res.partner",
            "write",
            json!({"ids": [id], "vals": {"ref": "J2"}}),
        )
        .await;
    assert_eq!((s, v), (200, json!(true)));
}

#[tokio::test]
async fn none_becomes_null() {
    let t = Target::new().await;
    let inv = t.posted_invoice(1.0, 10.0).await;
    let (s, _, v) = t
        .json2("account.move", "button_draft", json!({"ids": [inv]}))
        .await;
    assert_eq!((s, v), (200, Value::Null));
}

#[tokio::test]
async fn authentication_errors_are_401() {
    let t = Target::new().await;
    let (s, _, text, h) = t
        .post_raw(
            "/json/2/res.partner/search",
            "application/json",
            "{\"domain\": []}",
            &[("X-Odoo-Database", &t.db)],
        )
        .await;
    assert_eq!(s, 401);
    assert_eq!(
        h.get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_lowercase())
            .as_deref(),
        Some("bearer")
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_json2_error(&v, "werkzeug.exceptions.Unauthorized");
    let msg = "User not authenticated, use an API Key with a Bearer Authorization header.";
    assert_eq!(v["message"], msg);
    assert_eq!(v["arguments"], json!([msg, 401]));
    let (s, _, text, _) = t
        .post_raw(
            "/json/2/res.partner/search",
            "application/json",
            "{\"domain\": []}",
            &[
                ("Authorization", "bearer not-a-key"),
                ("X-Odoo-Database", &t.db),
            ],
        )
        .await;
    assert_eq!(s, 401);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["message"], "Invalid apikey");
}

#[tokio::test]
async fn unparsable_bodies_are_400_other_json_means_no_arguments() {
    let t = Target::new().await;
    let auth = format!("bearer {}", t.password);
    let h = [
        ("Authorization", auth.as_str()),
        ("X-Odoo-Database", t.db.as_str()),
    ];
    let (s, _, text, _) = t
        .post_raw("/json/2/res.partner/search", "application/json", "nope", &h)
        .await;
    assert_eq!(s, 400);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_json2_error(&v, "werkzeug.exceptions.BadRequest");
    assert_eq!(
        v["message"],
        "could not parse the body as json: Expecting value: line 1 column 1 (char 0)"
    );
    // JSON that is not an object is dropped: the method is called without arguments.
    let (s, _, text, _) = t
        .post_raw("/json/2/res.partner/search", "application/json", "null", &h)
        .await;
    assert_eq!(s, 422, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_json2_error(&v, "werkzeug.exceptions.UnprocessableEntity");
    assert_eq!(v["message"], "missing a required argument: 'domain'");
    let (s, _, text, _) = t
        .post_raw(
            "/json/2/res.users/context_get",
            "application/json",
            "[1]",
            &h,
        )
        .await;
    assert_eq!(s, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["uid"], t.uid);
    // No body at all: any Content-Type is accepted and the method gets no arguments.
    let (s, _, text, _) = t
        .post_raw("/json/2/res.users/context_get", "text/plain", "", &h)
        .await;
    assert_eq!(s, 200, "{text}");
    let (s, ct, _, _) = t
        .post_raw("/json/2/res.partner/search", "text/plain", "{}", &h)
        .await;
    assert_eq!(s, 415);
    assert!(ct.starts_with("text/html"));
}

#[tokio::test]
async fn model_and_method_errors() {
    let t = Target::new().await;
    let (s, _, v) = t.json2("x.nothing", "search", json!({"domain": []})).await;
    assert_eq!(s, 404);
    assert_json2_error(&v, "werkzeug.exceptions.NotFound");
    assert_eq!(v["message"], "the model 'x.nothing' does not exist");
    let (s, _, v) = t.json2("res.partner", "frobnicate", json!({})).await;
    assert_eq!(s, 404);
    assert_eq!(
        v["message"],
        "The method 'res.partner.frobnicate' does not exist"
    );
    let (s, _, v) = t.json2("account.move", "_post", json!({"ids": []})).await;
    assert_eq!(s, 403);
    assert_json2_error(&v, "odoo.exceptions.AccessError");
    assert_eq!(
        v["message"],
        "Private methods (such as 'account.move._post') cannot be called remotely."
    );
}

#[tokio::test]
async fn argument_errors_are_422() {
    let t = Target::new().await;
    let (s, _, v) = t
        .json2(
            "res.partner",
            "create",
            json!({"ids": [1], "vals_list": [{"name": "x"}]}),
        )
        .await;
    assert_eq!(s, 422);
    assert_json2_error(&v, "werkzeug.exceptions.UnprocessableEntity");
    assert_eq!(v["message"], "cannot call res.partner.create with ids");
    assert_eq!(
        v["arguments"],
        json!(["cannot call res.partner.create with ids", 422])
    );
    let (s, _, v) = t.json2("res.partner", "search", json!({})).await;
    assert_eq!(s, 422);
    assert_eq!(v["message"], "missing a required argument: 'domain'");
    let (s, _, v) = t
        .json2("res.partner", "search", json!({"domain": [], "bogus": 1}))
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["message"], "got an unexpected keyword argument 'bogus'");
}

#[tokio::test]
async fn exception_classes_map_to_statuses() {
    let t = Target::new().await;
    // `read` leaves missing ids out; `write` on one raises MissingError (404).
    let (s, _, v) = t
        .json2(
            "res.partner",
            "read",
            json!({"ids": [999_999_999], "fields": ["name"]}),
        )
        .await;
    assert_eq!((s, v), (200, json!([])));
    let (s, _, v) = t
        .json2(
            "res.partner",
            "write",
            json!({"ids": [999_999_999], "vals": {"ref": "x"}}),
        )
        .await;
    assert_eq!(s, 404);
    assert_json2_error(&v, "odoo.exceptions.MissingError");
    let (s, _, v) = t
        .json2("sale.order", "action_confirm", json!({"ids": []}))
        .await;
    assert_eq!(
        (s, v),
        (200, json!(true)),
        "empty recordset confirms nothing"
    );
    let inv = t.posted_invoice(1.0, 10.0).await;
    let (s, _, v) = t
        .json2("account.move", "action_post", json!({"ids": [inv]}))
        .await;
    assert_eq!(s, 422);
    assert_json2_error(&v, "odoo.exceptions.UserError");
    assert_eq!(v["arguments"], json!([v["message"].clone()]));
    let (s, _, v) = t
        .json2(
            "res.partner",
            "search",
            json!({"domain": [["bad field", "=", "foo"]]}),
        )
        .await;
    assert_eq!(s, 500);
    assert_json2_error(&v, "builtins.ValueError");
    assert_eq!(
        v["message"],
        "Invalid field res.partner.bad field in condition ('bad field', '=', 'foo')"
    );
}

#[tokio::test]
async fn unknown_database_header_is_404_html() {
    let t = Target::new().await;
    let auth = format!("bearer {}", t.password);
    let (s, ct, _, _) = t
        .post_raw(
            "/json/2/res.partner/search",
            "application/json",
            "{\"domain\": []}",
            &[("Authorization", &auth), ("X-Odoo-Database", "no-such-db")],
        )
        .await;
    assert_eq!(s, 404);
    assert!(ct.starts_with("text/html"), "{ct}");
}

#[tokio::test]
async fn catch_all_route_is_404() {
    let t = Target::new().await;
    let auth = format!("bearer {}", t.password);
    let (s, _, text, _) = t
        .post_raw(
            "/json/2/res.partner",
            "application/json",
            "{}",
            &[("Authorization", &auth), ("X-Odoo-Database", &t.db)],
        )
        .await;
    assert_eq!(s, 404);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["message"], "Did you mean POST /json/2/<model>/<method>?");
}

#[tokio::test]
async fn context_get_gives_the_uid() {
    let t = Target::new().await;
    let (s, _, v) = t.json2("res.users", "context_get", json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(v["uid"], t.uid);
}
