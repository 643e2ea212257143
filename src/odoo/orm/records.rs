//! The record methods of [`Orm`]: `search_read` (and its keyset-paged form), `search`,
//! `search_count`, `read`, `create`, `write`, `unlink`.

use serde_json::{json, Map, Value};

use super::{Call, Orm, SearchOptions};
use crate::odoo::client::Protocol;
use crate::odoo::error::OdooError;
use crate::odoo::value::{created_ids, odoo_ids, Record};

impl Orm {
    /// `search_read(domain, fields, offset, limit, order)` → records (`id` always included).
    ///
    /// # Errors
    /// Any [`OdooError`]; [`OdooError::Decode`] when the answer is not a list of objects.
    pub async fn search_read(
        &self,
        model: &'static str,
        domain: Value,
        fields: &[&str],
        opts: &SearchOptions,
    ) -> Result<Vec<Record>, OdooError> {
        let call = with_search_options(
            Call::new(model, "search_read")
                .arg("domain", domain)
                .arg("fields", json!(fields)),
            opts,
        );
        Record::list(model, self.call(call).await?)
    }

    /// Every record matching `domain`, fetched in pages of `page` records ordered by `id`.
    ///
    /// # Errors
    /// As [`Orm::search_read`].
    pub async fn search_read_all(
        &self,
        model: &'static str,
        domain: Value,
        fields: &[&str],
        page: u64,
        include_archived: bool,
    ) -> Result<Vec<Record>, OdooError> {
        let page = page.max(1);
        let mut out = Vec::new();
        let mut last_id = 0i64;
        loop {
            // Keyset paging on id: stable even when records change between pages.
            let mut dom = match &domain {
                Value::Array(a) => a.clone(),
                other => {
                    return Err(OdooError::Invalid(format!(
                        "a domain must be a list, got {}",
                        crate::odoo::error::truncate(&other.to_string(), 80)
                    )))
                }
            };
            dom.push(json!(["id", ">", last_id]));
            let opts = SearchOptions {
                limit: Some(page),
                order: Some("id asc".into()),
                include_archived,
                ..SearchOptions::default()
            };
            let batch = self
                .search_read(model, Value::Array(dom), fields, &opts)
                .await?;
            let n = batch.len() as u64;
            if let Some(last) = batch.last() {
                last_id = last.id()?;
            }
            out.extend(batch);
            if n < page {
                return Ok(out);
            }
        }
    }

    /// `search(domain, offset, limit, order)` → ids.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn search(
        &self,
        model: &str,
        domain: Value,
        opts: &SearchOptions,
    ) -> Result<Vec<i64>, OdooError> {
        let call = with_search_options(Call::new(model, "search").arg("domain", domain), opts);
        odoo_ids(&self.call(call).await?)
    }

    /// `search_count(domain)`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    // Only the tests call it: it exists with the `test-support` feature.
    #[cfg(feature = "test-support")]
    pub async fn search_count(&self, model: &str, domain: Value) -> Result<u64, OdooError> {
        let v = self
            .call(Call::new(model, "search_count").arg("domain", domain))
            .await?;
        v.as_u64()
            .ok_or_else(|| OdooError::Decode(format!("search_count returned {v}")))
    }

    /// `read(ids, fields)`; ids that no longer exist raise [`OdooError::MissingError`].
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn read(
        &self,
        model: &'static str,
        ids: &[i64],
        fields: &[&str],
    ) -> Result<Vec<Record>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let call = Call::new(model, "read")
            .ids(ids.iter().copied())
            .arg("fields", json!(fields));
        Record::list(model, self.call(call).await?)
    }

    /// `create(vals_list)` → new ids, in order. JSON-RPC passes the list positionally (the
    /// `call_kw` special case, CONTRACT.md §3.2); JSON-2 sends `vals_list`. Accepts an int or a list
    /// in the answer. Not retried after an ambiguous failure (see `retry.rs`).
    ///
    /// # Errors
    /// Any [`OdooError`]; [`OdooError::Decode`] when the id count differs from `vals_list`.
    // Only the tests call it: it exists with the `test-support` feature.
    #[cfg(feature = "test-support")]
    pub async fn create(
        &self,
        model: &str,
        vals_list: Vec<Map<String, Value>>,
        context: Map<String, Value>,
    ) -> Result<Vec<i64>, OdooError> {
        let n = vals_list.len();
        let list: Vec<Value> = vals_list.into_iter().map(Value::Object).collect();
        let v = match self.protocol {
            Protocol::JsonRpc => {
                let mut kwargs = Map::new();
                if !context.is_empty() {
                    kwargs.insert("context".into(), Value::Object(context));
                }
                self.execute_kw(model, "create", vec![Value::Array(list)], kwargs)
                    .await?
            }
            Protocol::Json2 => {
                let mut body = Map::new();
                body.insert("vals_list".into(), Value::Array(list));
                if !context.is_empty() {
                    body.insert("context".into(), Value::Object(context));
                }
                self.call_json2(model, "create", body).await?
            }
        };
        let ids = created_ids(&v)?;
        if ids.len() != n {
            return Err(OdooError::Decode(format!(
                "{model}.create returned {} ids for {n} records",
                ids.len()
            )));
        }
        Ok(ids)
    }

    /// `create(vals)` of one record → its id (an int over JSON-RPC, a one-element list over JSON-2).
    ///
    /// # Errors
    /// As [`Orm::create`].
    pub async fn create_one(
        &self,
        model: &str,
        vals: Map<String, Value>,
        context: Map<String, Value>,
    ) -> Result<i64, OdooError> {
        let v = match self.protocol {
            Protocol::JsonRpc => {
                let mut kwargs = Map::new();
                if !context.is_empty() {
                    kwargs.insert("context".into(), Value::Object(context));
                }
                self.execute_kw(model, "create", vec![Value::Object(vals)], kwargs)
                    .await?
            }
            Protocol::Json2 => {
                let mut body = Map::new();
                body.insert("vals_list".into(), json!([vals]));
                if !context.is_empty() {
                    body.insert("context".into(), Value::Object(context));
                }
                self.call_json2(model, "create", body).await?
            }
        };
        created_ids(&v)?
            .first()
            .copied()
            .ok_or_else(|| OdooError::Decode(format!("{model}.create returned no id")))
    }

    /// `write(ids, vals)`; Odoo answers `true`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn write(
        &self,
        model: &str,
        ids: &[i64],
        vals: Map<String, Value>,
    ) -> Result<(), OdooError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.call(
            Call::new(model, "write")
                .ids(ids.iter().copied())
                .arg("vals", Value::Object(vals)),
        )
        .await
        .map(|_| ())
    }

    /// `unlink(ids)`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    // Only the tests call it: it exists with the `test-support` feature.
    #[cfg(feature = "test-support")]
    pub async fn unlink(&self, model: &str, ids: &[i64]) -> Result<(), OdooError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.call(Call::new(model, "unlink").ids(ids.iter().copied()))
            .await
            .map(|_| ())
    }
}

fn with_search_options(mut call: Call, opts: &SearchOptions) -> Call {
    if let Some(o) = opts.offset {
        call = call.arg("offset", o);
    }
    if let Some(l) = opts.limit {
        call = call.arg("limit", l);
    }
    if let Some(o) = &opts.order {
        call = call.arg("order", o.as_str());
    }
    if opts.include_archived {
        call = call.context("active_test", false);
    }
    call
}
