//! Rejections worded as Odoo 19 words them (CONTRACT.md §1.4, §6.5, `_about.orm_behaviour`).

use crate::harness::Target;
use serde_json::json;

#[tokio::test]
async fn unknown_field_on_create_write_read_and_domain() {
    let t = Target::new().await;
    let e = t
        .err(
            "res.partner",
            "create",
            json!([{"name": "x", "x_foo": 1}]),
            json!({}),
        )
        .await;
    assert_eq!(e["data"]["name"], "builtins.ValueError");
    assert_eq!(
        e["data"]["message"],
        "Invalid field 'x_foo' in 'res.partner'"
    );
    let id = t.partner().await;
    let e = t
        .err(
            "res.partner",
            "write",
            json!([[id], {"x_foo": 1}]),
            json!({}),
        )
        .await;
    // `write` looks the name up in `_fields`: a bare KeyError.
    assert_eq!(e["data"]["name"], "builtins.KeyError");
    assert_eq!(e["data"]["message"], "x_foo");
    assert_eq!(e["data"]["arguments"], json!(["x_foo"]));
    let e = t
        .err("res.partner", "read", json!([[id], ["x_foo"]]), json!({}))
        .await;
    assert_eq!(e["data"]["name"], "builtins.ValueError");
    assert_eq!(
        e["data"]["message"],
        "Invalid field 'x_foo' on 'res.partner'"
    );
    let e = t
        .err(
            "res.partner",
            "search",
            json!([[["x_foo", "=", 1]]]),
            json!({}),
        )
        .await;
    assert_eq!(e["data"]["name"], "builtins.ValueError");
    assert_eq!(
        e["data"]["message"],
        "Invalid field res.partner.x_foo in condition ('x_foo', '=', 1)"
    );
}

#[tokio::test]
async fn bad_selection_value() {
    let t = Target::new().await;
    let e = t
        .err(
            "res.partner",
            "create",
            json!([{"name": "x", "type": "nonsense"}]),
            json!({}),
        )
        .await;
    assert_eq!(e["data"]["name"], "builtins.ValueError");
    assert_eq!(
        e["data"]["message"],
        "Wrong value for res.partner.type: 'nonsense'"
    );
}

#[tokio::test]
async fn missing_required_field() {
    let t = Target::new().await;
    let e = t.err("sale.order", "create", json!([{}]), json!({})).await;
    assert_eq!(e["data"]["name"], "odoo.exceptions.ValidationError");
    assert_eq!(
        e["data"]["message"],
        "The operation cannot be completed: Missing required value for the field 'Customer' (partner_id).\nModel: 'Sales Order' (sale.order)\n- create/update: a mandatory field is not set\n- delete: another model requires the record being deleted, you can archive it instead\n"
    );
    let e = t
        .err(
            "res.partner",
            "create",
            json!([{"email": "nameless@example.com"}]),
            json!({}),
        )
        .await;
    assert_eq!(
        e["data"]["message"],
        "The operation cannot be completed: Contacts require a name"
    );
}

#[tokio::test]
async fn unknown_model() {
    let t = Target::new().await;
    let e = t.err("x.nothing", "search", json!([[]]), json!({})).await;
    assert_eq!(e["data"]["name"], "odoo.exceptions.UserError");
    assert_eq!(e["data"]["message"], "Object x.nothing doesn't exist");
}

#[tokio::test]
async fn private_method_is_access_error() {
    let t = Target::new().await;
    let inv = t.draft_invoice(1.0, 10.0).await;
    let e = t
        .err("account.move", "_post", json!([[inv]]), json!({}))
        .await;
    assert_eq!(e["data"]["name"], "odoo.exceptions.AccessError");
    assert_eq!(
        e["data"]["message"],
        "Private methods (such as 'account.move._post') cannot be called remotely."
    );
}

#[tokio::test]
async fn unknown_method_is_attribute_error() {
    let t = Target::new().await;
    let e = t
        .err("res.partner", "frobnicate", json!([[]]), json!({}))
        .await;
    assert_eq!(e["data"]["name"], "builtins.AttributeError");
    assert_eq!(
        e["data"]["message"],
        "The method 'res.partner.frobnicate' does not exist"
    );
}

#[tokio::test]
async fn missing_records_are_left_out_of_read_and_refused_by_write() {
    let t = Target::new().await;
    let id = t.partner().await;
    let r = t
        .ok(
            "res.partner",
            "read",
            json!([[999_999_999], ["name"]]),
            json!({}),
        )
        .await;
    assert_eq!(r, json!([]), "read of a missing id");
    let r = t
        .ok(
            "res.partner",
            "read",
            json!([[id, 999_999_999], ["name"]]),
            json!({}),
        )
        .await;
    assert_eq!(r.as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r[0]["id"], id);
    for (method, args) in [
        ("write", json!([[999_999_999], {"ref": "x"}])),
        ("unlink", json!([[999_999_999]])),
    ] {
        let e = t.err("res.partner", method, args, json!({})).await;
        assert_eq!(
            e["data"]["name"], "odoo.exceptions.MissingError",
            "{method}"
        );
        assert!(
            e["data"]["message"].as_str().unwrap().starts_with(
                "Record does not exist or has been deleted.\n(Record: res.partner(999999999,), User: "
            ),
            "{method}: {e}"
        );
    }
}

#[tokio::test]
async fn failed_calls_roll_back() {
    let t = Target::new().await;
    let name = crate::harness::uniq("Rollback");
    let e = t
        .err(
            "res.partner",
            "create",
            json!([[{"name": name}, {"name": "y", "type": "bad"}]]),
            json!({}),
        )
        .await;
    assert_eq!(e["data"]["name"], "builtins.ValueError");
    let found = t
        .ok(
            "res.partner",
            "search",
            json!([[["name", "=", name]]]),
            json!({}),
        )
        .await;
    assert_eq!(
        found,
        json!([]),
        "the first record of the failed call is rolled back"
    );
}

#[tokio::test]
async fn action_confirm_twice_is_user_error() {
    let t = Target::new().await;
    let partner = t.partner().await;
    let (_, product) = t.product(10.0, "order", false).await;
    let so = t
        .ok(
            "sale.order",
            "create",
            json!([{"partner_id": partner, "order_line": [[0, 0, {"product_id": product}]]}]),
            json!({}),
        )
        .await
        .as_i64()
        .unwrap();
    t.ok("sale.order", "action_confirm", json!([[so]]), json!({}))
        .await;
    let e = t
        .err("sale.order", "action_confirm", json!([[so]]), json!({}))
        .await;
    assert_eq!(e["data"]["name"], "odoo.exceptions.UserError");
    assert_eq!(
        e["data"]["message"],
        "Some orders are not in a state requiring confirmation."
    );
}

#[tokio::test]
async fn posting_twice_or_empty_is_user_error() {
    let t = Target::new().await;
    let inv = t.posted_invoice(1.0, 10.0).await;
    let name = t.read1("account.move", inv, &["name"]).await["name"]
        .as_str()
        .unwrap()
        .to_string();
    let e = t
        .err("account.move", "action_post", json!([[inv]]), json!({}))
        .await;
    assert_eq!(e["data"]["name"], "odoo.exceptions.UserError");
    assert_eq!(
        e["data"]["message"],
        format!("The entry {name} (id {inv}) must be in draft.")
    );
    let partner = t.partner().await;
    let empty = t
        .ok(
            "account.move",
            "create",
            json!([{"move_type": "out_invoice", "partner_id": partner}]),
            json!({}),
        )
        .await;
    let e = t
        .err("account.move", "action_post", json!([[empty]]), json!({}))
        .await;
    assert_eq!(e["data"]["message"], "Even magicians can't post nothing!");
}
