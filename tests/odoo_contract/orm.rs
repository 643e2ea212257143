//! CONTRACT.md §3 (ORM methods over RPC) and §6.3, 6.4, 6.10.

use crate::harness::{uniq, Target};
use serde_json::{json, Value};

#[tokio::test]
async fn create_dict_returns_int_and_list_returns_list() {
    let t = Target::new().await;
    let one = t
        .ok(
            "res.partner",
            "create",
            json!([{"name": uniq("One")}]),
            json!({}),
        )
        .await;
    assert!(one.is_i64(), "dict → int: {one}");
    let many = t
        .ok(
            "res.partner",
            "create",
            json!([[{"name": uniq("A")}, {"name": uniq("B")}]]),
            json!({}),
        )
        .await;
    let ids = many.as_array().expect("list → list");
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(Value::is_i64));
}

#[tokio::test]
async fn read_wire_shapes() {
    let t = Target::new().await;
    let parent = t
        .ok(
            "res.partner",
            "create",
            json!([{"name": uniq("Parent Co"), "is_company": true}]),
            json!({}),
        )
        .await
        .as_i64()
        .unwrap();
    let child = t
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Jane", "parent_id": parent}]),
            json!({}),
        )
        .await
        .as_i64()
        .unwrap();
    let r = t
        .read1(
            "res.partner",
            child,
            &[
                "parent_id",
                "email",
                "country_id",
                "customer_rank",
                "is_company",
                "create_date",
                "child_ids",
            ],
        )
        .await;
    assert_eq!(r["id"], child);
    assert_eq!(r["parent_id"][0], parent);
    assert!(r["parent_id"][1].as_str().unwrap().contains("Parent Co"));
    assert_eq!(r["email"], json!(false), "empty char is false");
    assert_eq!(r["country_id"], json!(false), "empty many2one is false");
    assert_eq!(r["customer_rank"], json!(0));
    assert_eq!(r["is_company"], json!(false));
    assert_eq!(r["child_ids"], json!([]));
    let cd = r["create_date"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(cd, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{cd}"
    );
    let raw = t
        .ok(
            "res.partner",
            "read",
            json!([[child], ["parent_id"]]),
            json!({"load": null}),
        )
        .await;
    assert_eq!(
        raw[0]["parent_id"],
        json!(parent),
        "load=None gives the bare id"
    );
    let p = t.read1("res.partner", parent, &["child_ids"]).await;
    assert_eq!(p["child_ids"], json!([child]));
}

#[tokio::test]
async fn search_domains_order_limit_offset() {
    let t = Target::new().await;
    let tag = uniq("Dom");
    let mut ids = vec![];
    for (i, email) in ["a@x.io", "b@y.io", "c@x.io"].iter().enumerate() {
        let id = t
            .ok(
                "res.partner",
                "create",
                json!([{"name": format!("{tag} {i}"), "email": email, "customer_rank": i}]),
                json!({}),
            )
            .await;
        ids.push(id.as_i64().unwrap());
    }
    let base = json!(["name", "like", tag]);
    let s = |d: Value| {
        t.ok(
            "res.partner",
            "search",
            json!([d]),
            json!({"order": "id asc"}),
        )
    };
    assert_eq!(
        s(json!([base, ["email", "ilike", "@X.IO"]])).await,
        json!([ids[0], ids[2]])
    );
    assert_eq!(
        s(json!([base, ["email", "like", "@X.IO"]])).await,
        json!([])
    );
    assert_eq!(
        s(json!([base, ["customer_rank", ">=", 1]])).await,
        json!([ids[1], ids[2]])
    );
    assert_eq!(
        s(json!([base, ["customer_rank", "<", 1]])).await,
        json!([ids[0]])
    );
    assert_eq!(
        s(json!([base, ["customer_rank", "!=", 1]])).await,
        json!([ids[0], ids[2]])
    );
    assert_eq!(
        s(json!([base, ["id", "in", [ids[1]]]])).await,
        json!([ids[1]])
    );
    assert_eq!(
        s(json!([base, ["id", "not in", [ids[1]]]])).await,
        json!([ids[0], ids[2]])
    );
    assert_eq!(
        s(json!([
            "&",
            base,
            "|",
            ["email", "=", "a@x.io"],
            ["email", "=", "b@y.io"]
        ]))
        .await,
        json!([ids[0], ids[1]])
    );
    assert_eq!(
        s(json!([base, "!", ["email", "=like", "%@x.io"]])).await,
        json!([ids[1]])
    );
    assert_eq!(
        s(json!([base, ["email", "=ilike", "B@Y.IO"]])).await,
        json!([ids[1]])
    );
    let page = t
        .ok(
            "res.partner",
            "search",
            json!([[base]]),
            json!({"order": "customer_rank desc", "limit": 2, "offset": 1}),
        )
        .await;
    assert_eq!(page, json!([ids[1], ids[0]]));
    let n = t
        .ok("res.partner", "search_count", json!([[base]]), json!({}))
        .await;
    assert_eq!(n, json!(3));
    let rows = t
        .ok(
            "res.partner",
            "search_read",
            json!([[base]]),
            json!({"fields": ["email"], "order": "id desc", "limit": 1}),
        )
        .await;
    assert_eq!(rows, json!([{"id": ids[2], "email": "c@x.io"}]));
}

#[tokio::test]
async fn dotted_paths_in_domains() {
    let t = Target::new().await;
    let name = uniq("Dotted Parent");
    let parent = t
        .ok(
            "res.partner",
            "create",
            json!([{"name": name, "is_company": true}]),
            json!({}),
        )
        .await
        .as_i64()
        .unwrap();
    let child = t
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Kid", "parent_id": parent}]),
            json!({}),
        )
        .await
        .as_i64()
        .unwrap();
    let found = t
        .ok(
            "res.partner",
            "search",
            json!([[["parent_id.name", "=", name]]]),
            json!({}),
        )
        .await;
    assert_eq!(found, json!([child]));
}

#[tokio::test]
async fn active_test_hides_archived_records() {
    let t = Target::new().await;
    let name = uniq("Archived");
    let id = t
        .ok(
            "res.partner",
            "create",
            json!([{"name": name, "active": false}]),
            json!({}),
        )
        .await
        .as_i64()
        .unwrap();
    let d = json!([[["name", "=", name]]]);
    assert_eq!(
        t.ok("res.partner", "search", d.clone(), json!({})).await,
        json!([])
    );
    assert_eq!(
        t.ok(
            "res.partner",
            "search",
            d.clone(),
            json!({"context": {"active_test": false}})
        )
        .await,
        json!([id])
    );
    let explicit = t
        .ok(
            "res.partner",
            "search",
            json!([[["name", "=", name], ["active", "=", false]]]),
            json!({}),
        )
        .await;
    assert_eq!(explicit, json!([id]));
}

#[tokio::test]
async fn write_and_unlink_return_true() {
    let t = Target::new().await;
    let id = t.partner().await;
    assert_eq!(
        t.ok(
            "res.partner",
            "write",
            json!([[id], {"ref": "C-42"}]),
            json!({})
        )
        .await,
        json!(true)
    );
    assert_eq!(t.read1("res.partner", id, &["ref"]).await["ref"], "C-42");
    assert_eq!(
        t.ok("res.partner", "unlink", json!([[id]]), json!({}))
            .await,
        json!(true)
    );
    assert_eq!(
        t.ok(
            "res.partner",
            "search",
            json!([[["id", "=", id]]]),
            json!({"context": {"active_test": false}})
        )
        .await,
        json!([])
    );
}

#[tokio::test]
async fn write_date_changes_on_every_write() {
    let t = Target::new().await;
    let id = t.partner().await;
    let before = t.read1("res.partner", id, &["write_date"]).await["write_date"]
        .as_str()
        .unwrap()
        .to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    t.ok(
        "res.partner",
        "write",
        json!([[id], {"phone": "+1 416 555 0100"}]),
        json!({}),
    )
    .await;
    let after = t.read1("res.partner", id, &["write_date"]).await["write_date"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(after > before, "{before} -> {after}");
    assert_eq!(after.len(), 19, "second precision, no timezone: {after}");
    let now = chrono::Utc::now().naive_utc();
    let wd = chrono::NaiveDateTime::parse_from_str(&after, "%Y-%m-%d %H:%M:%S").unwrap();
    if t.is_sim() {
        assert!((now - wd).num_seconds().abs() < 5, "UTC: {after} vs {now}");
    }
}

#[tokio::test]
async fn x2many_commands() {
    let t = Target::new().await;
    let parent = t.ok("res.partner", "create", json!([{"name": uniq("X2M"), "is_company": true, "child_ids": [[0, 0, {"name": "c1"}], [0, 0, {"name": "c2"}]]}]), json!({})).await.as_i64().unwrap();
    let kids = t.read1("res.partner", parent, &["child_ids"]).await["child_ids"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(kids.len(), 2);
    let (c1, c2) = (kids[0].as_i64().unwrap(), kids[1].as_i64().unwrap());
    t.ok(
        "res.partner",
        "write",
        json!([[parent], {"child_ids": [[1, c1, {"name": "c1-renamed"}], [3, c2, 0]]}]),
        json!({}),
    )
    .await;
    assert_eq!(
        t.read1("res.partner", c1, &["name"]).await["name"],
        "c1-renamed"
    );
    assert_eq!(
        t.read1("res.partner", c2, &["parent_id"]).await["parent_id"],
        json!(false),
        "3 unlinks (parent_id not required)"
    );
    t.ok(
        "res.partner",
        "write",
        json!([[parent], {"child_ids": [[4, c2, 0]]}]),
        json!({}),
    )
    .await;
    assert_eq!(
        t.read1("res.partner", parent, &["child_ids"]).await["child_ids"],
        json!([c1, c2])
    );
    t.ok(
        "res.partner",
        "write",
        json!([[parent], {"child_ids": [[6, 0, [c2]]]}]),
        json!({}),
    )
    .await;
    assert_eq!(
        t.read1("res.partner", parent, &["child_ids"]).await["child_ids"],
        json!([c2])
    );
    t.ok(
        "res.partner",
        "write",
        json!([[parent], {"child_ids": [[5, 0, 0]]}]),
        json!({}),
    )
    .await;
    assert_eq!(
        t.read1("res.partner", parent, &["child_ids"]).await["child_ids"],
        json!([])
    );
    t.ok(
        "res.partner",
        "write",
        json!([[parent], {"child_ids": [[4, c1, 0]]}]),
        json!({}),
    )
    .await;
    t.ok(
        "res.partner",
        "write",
        json!([[parent], {"child_ids": [[2, c1, 0]]}]),
        json!({}),
    )
    .await;
    let gone = t
        .ok(
            "res.partner",
            "search",
            json!([[["id", "=", c1]]]),
            json!({"context": {"active_test": false}}),
        )
        .await;
    assert_eq!(gone, json!([]), "2 deletes the record");
    let (_, product) = t.product(10.0, "order", false).await;
    let tax = t.hst().await;
    let tmpl = t
        .read1("product.product", product, &["product_tmpl_id"])
        .await["product_tmpl_id"][0]
        .as_i64()
        .unwrap();
    t.ok(
        "product.template",
        "write",
        json!([[tmpl], {"taxes_id": [[5, 0, 0]]}]),
        json!({}),
    )
    .await;
    assert_eq!(
        t.read1("product.template", tmpl, &["taxes_id"]).await["taxes_id"],
        json!([])
    );
    t.ok(
        "product.template",
        "write",
        json!([[tmpl], {"taxes_id": [[6, 0, [tax]]]}]),
        json!({}),
    )
    .await;
    assert_eq!(
        t.read1("product.template", tmpl, &["taxes_id"]).await["taxes_id"],
        json!([tax])
    );
}

#[tokio::test]
async fn fields_get_name_search_default_get() {
    let t = Target::new().await;
    let fg = t
        .ok(
            "account.move",
            "fields_get",
            json!([["state", "partner_id"]]),
            json!({"attributes": ["type", "string", "selection", "relation"]}),
        )
        .await;
    assert_eq!(fg["state"]["type"], "selection");
    let keys: Vec<&str> = fg["state"]["selection"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_str().unwrap())
        .collect();
    assert_eq!(keys, vec!["draft", "posted", "cancel"]);
    assert_eq!(fg["partner_id"]["type"], "many2one");
    assert_eq!(fg["partner_id"]["relation"], "res.partner");
    assert!(
        fg["state"].get("required").is_none(),
        "only requested attributes"
    );
    let name = uniq("Searchable Zebra");
    let id = t
        .ok("res.partner", "create", json!([{"name": name}]), json!({}))
        .await
        .as_i64()
        .unwrap();
    let ns = t
        .ok(
            "res.partner",
            "name_search",
            json!([name]),
            json!({"limit": 5}),
        )
        .await;
    assert_eq!(ns, json!([[id, name]]));
    let dg = t
        .ok(
            "res.partner",
            "default_get",
            json!([["active", "type", "is_company", "ref"]]),
            json!({"context": {"default_ref": "R-1"}}),
        )
        .await;
    assert_eq!(dg["active"], json!(true));
    assert_eq!(dg["type"], "contact");
    assert_eq!(dg["ref"], "R-1");
}

#[tokio::test]
async fn context_defaults_apply_on_create() {
    let t = Target::new().await;
    let id = t
        .ok(
            "res.partner",
            "create",
            json!([{"name": uniq("Ctx")}]),
            json!({"context": {"default_ref": "FROM-CTX"}}),
        )
        .await
        .as_i64()
        .unwrap();
    assert_eq!(
        t.read1("res.partner", id, &["ref"]).await["ref"],
        "FROM-CTX"
    );
}

#[tokio::test]
async fn company_type_is_accepted_and_writes_is_company() {
    let t = Target::new().await;
    let id = t
        .ok(
            "res.partner",
            "create",
            json!([{"name": uniq("CT"), "company_type": "company"}]),
            json!({}),
        )
        .await
        .as_i64()
        .unwrap();
    let r = t
        .read1("res.partner", id, &["is_company", "company_type"])
        .await;
    assert_eq!(r["is_company"], json!(true));
    assert_eq!(r["company_type"], "company");
}
