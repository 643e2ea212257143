//! Lago pagination (`api:app/controllers/concerns/pagination.rb`): `page` (1-based) and
//! `per_page` (default 100) query parameters, and the `meta` object of list responses:
//! `{"current_page","next_page","prev_page","total_pages","total_count"}`; an empty result
//! has `current_page` 0 and `total_pages` 0.

use serde::Deserialize;
use serde_json::{json, Value};

/// Largest `per_page` honoured (Lago has none; this keeps one response bounded).
pub const MAX_PER_PAGE: i64 = 1000;

/// The page asked for.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct PageParams {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub page: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub per_page: Option<i64>,
}

/// Query values arrive as strings (and stay strings under `#[serde(flatten)]`): accept a
/// number or numeric text; anything else counts as absent.
fn lenient_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        N(i64),
        S(String),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        Some(Raw::N(n)) => Some(n),
        Some(Raw::S(s)) => s.trim().parse().ok(),
        None => None,
    })
}

impl PageParams {
    /// 1-based page number.
    pub fn page(&self) -> i64 {
        self.page.filter(|p| *p >= 1).unwrap_or(1)
    }

    /// Rows per page (1..=MAX_PER_PAGE, default 100).
    pub fn per_page(&self) -> i64 {
        self.per_page
            .filter(|p| *p >= 1)
            .unwrap_or(100)
            .min(MAX_PER_PAGE)
    }

    /// SQL `LIMIT`.
    pub fn limit(&self) -> i64 {
        self.per_page()
    }

    /// SQL `OFFSET`.
    pub fn offset(&self) -> i64 {
        (self.page() - 1) * self.per_page()
    }

    /// The `meta` object for `total_count` rows.
    pub fn meta(&self, total_count: i64) -> Value {
        let per = self.per_page();
        let total_pages = (total_count + per - 1) / per;
        if total_count == 0 {
            return json!({"current_page": 0, "next_page": null, "prev_page": null,
                          "total_pages": 0, "total_count": 0});
        }
        let page = self.page();
        json!({
            "current_page": page,
            "next_page": if page < total_pages { Some(page + 1) } else { None },
            "prev_page": if page > 1 { Some(page - 1) } else { None },
            "total_pages": total_pages,
            "total_count": total_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_shapes() {
        let p = PageParams {
            page: Some(2),
            per_page: Some(10),
        };
        assert_eq!(
            p.meta(25),
            json!({"current_page":2,"next_page":3,"prev_page":1,"total_pages":3,"total_count":25})
        );
        assert_eq!(p.offset(), 10);
        let p = PageParams {
            page: None,
            per_page: None,
        };
        assert_eq!(
            p.meta(0),
            json!({"current_page":0,"next_page":null,"prev_page":null,"total_pages":0,"total_count":0})
        );
        assert_eq!(p.limit(), 100);
    }
}
