//! Countries and provinces (`res.country`, `res.country.state`), the company's address, and
//! the values a partner write sends (`state_id` chosen as the module doc of `partners` says).

use serde_json::{json, Map, Value};

use super::{Partner, PartnerValues, Partners};
use crate::odoo::client::SearchOptions;
use crate::odoo::error::OdooError;
use crate::odoo::value::{to_odoo_str, CountryId, StateId};

impl Partners<'_> {
    /// The `res.country` id for an ISO code (cached per client).
    ///
    /// # Errors
    /// [`OdooError::Invalid`] for an unknown code; any [`OdooError`] of the search.
    pub async fn country_id(&self, iso_code: &str) -> Result<CountryId, OdooError> {
        let code = iso_code.trim().to_uppercase();
        if let Some(id) = self
            .client
            .country_cache()
            .lock()
            .expect("country cache")
            .get(&code)
        {
            return Ok(CountryId(*id));
        }
        let ids = self
            .client
            .orm()
            .search(
                "res.country",
                json!([["code", "=", code]]),
                &SearchOptions {
                    limit: Some(1),
                    ..SearchOptions::default()
                },
            )
            .await?;
        let id = *ids
            .first()
            .ok_or_else(|| OdooError::Invalid(format!("unknown country code {code:?}")))?;
        self.client
            .country_cache()
            .lock()
            .expect("country cache")
            .insert(code, id);
        Ok(CountryId(id))
    }

    /// The provinces of a country, `(id, code, name)`.
    async fn states(&self, country: CountryId) -> Result<Vec<(i64, String, String)>, OdooError> {
        self.client
            .orm()
            .search_read(
                "res.country.state",
                json!([["country_id", "=", country.0]]),
                &["code", "name"],
                &SearchOptions::default(),
            )
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.id()?,
                    r.str("code")?.unwrap_or_default(),
                    r.str("name")?.unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// The `res.country.state` of `country` whose code or name is `given` (case, accents, a
    /// `CA-` prefix and dots ignored); `None` when none matches.
    ///
    /// # Errors
    /// Any [`OdooError`] of the search.
    pub async fn state_id(
        &self,
        country: CountryId,
        country_code: &str,
        given: &str,
    ) -> Result<Option<StateId>, OdooError> {
        let wanted = fold(given);
        let prefix = format!("{}-", fold(country_code));
        let wanted = wanted.strip_prefix(&prefix).unwrap_or(&wanted).to_string();
        if wanted.is_empty() {
            return Ok(None);
        }
        Ok(self
            .states(country)
            .await?
            .into_iter()
            .find(|(_, code, name)| fold(code) == wanted || fold(name) == wanted)
            .map(|(id, _, _)| StateId(id)))
    }

    /// The current company's country and province (`res.company.country_id`, `state_id`).
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn company_address(&self) -> Result<(Option<i64>, Option<StateId>), OdooError> {
        let users = self
            .client
            .orm()
            .search_read(
                "res.users",
                json!([["id", "=", self.client.uid().0]]),
                &["company_id"],
                &SearchOptions::default(),
            )
            .await?;
        let Some(company) = users
            .first()
            .map(|u| u.m2o("company_id"))
            .transpose()?
            .flatten()
        else {
            return Ok((None, None));
        };
        let rec = self
            .client
            .orm()
            .search_read(
                "res.company",
                json!([["id", "=", company.id]]),
                &["country_id", "state_id"],
                &SearchOptions::default(),
            )
            .await?;
        let Some(r) = rec.first() else {
            return Ok((None, None));
        };
        Ok((
            r.m2o("country_id")?.map(|c| c.id),
            r.m2o("state_id")?.map(|s| StateId(s.id)),
        ))
    }

    /// `state_id` to send, if any (see the module doc): `current` is the partner being updated.
    async fn province(
        &self,
        v: &PartnerValues,
        country: Option<(CountryId, String)>,
        current: Option<&Partner>,
    ) -> Result<Option<Value>, OdooError> {
        let given = v.state.as_deref().map(str::trim);
        // The partner's country after this change.
        let country = match (&v.country_code, country) {
            (Some(c), _) if c.trim().is_empty() => return Ok(Some(Value::Bool(false))),
            (Some(_), Some(c)) => Some(c),
            _ => match current.and_then(|p| p.country.clone().zip(p.country_code.clone())) {
                Some((c, code)) => Some((CountryId(c.id), code)),
                None => None,
            },
        };
        let Some((country, code)) = country else {
            // No country: a province means nothing to the fiscal position; leave it.
            return Ok(None);
        };
        let country_changed =
            current.and_then(|p| p.country.as_ref()).map(|c| c.id) != Some(country.0);
        if let Some(g) = given.filter(|g| !g.is_empty()) {
            if let Some(s) = self.state_id(country, &code, g).await? {
                return Ok(Some(Value::from(s.0)));
            }
            tracing::warn!(state = g, country = %code, "unknown province; using the default");
        } else if given.is_none() && !country_changed && current.is_some_and(|p| p.state.is_some())
        {
            // Not mentioned: a partner that has a province in this country keeps it.
            return Ok(None);
        }
        let (company_country, company_state) = self.company_address().await?;
        Ok(match (company_country, company_state) {
            (Some(cc), Some(s)) if cc == country.0 => Some(Value::from(s.0)),
            _ if given.is_some() || country_changed => Some(Value::Bool(false)),
            _ => None,
        })
    }

    pub(super) async fn vals(
        &self,
        v: &PartnerValues,
        current: Option<&Partner>,
    ) -> Result<Map<String, Value>, OdooError> {
        let mut m = Map::new();
        let mut put = |k: &str, s: &Option<String>| {
            if let Some(s) = s {
                m.insert(k.to_string(), to_odoo_str(Some(s.trim())));
            }
        };
        put("name", &v.name);
        put("email", &v.email);
        put("street", &v.street);
        put("street2", &v.street2);
        put("city", &v.city);
        put("zip", &v.zip);
        put("vat", &v.vat);
        put("lang", &v.lang);
        put("phone", &v.phone);
        put("ref", &v.reference);
        if let Some(b) = v.is_company {
            m.insert("is_company".into(), Value::Bool(b));
        }
        let mut country = None;
        if let Some(code) = &v.country_code {
            let value = if code.trim().is_empty() {
                Value::Bool(false)
            } else {
                let id = self.country_id(code).await?;
                country = Some((id, code.trim().to_uppercase()));
                Value::from(id)
            };
            m.insert("country_id".into(), value);
        }
        if v.country_code.is_some() || v.state.is_some() {
            if let Some(state) = self.province(v, country, current).await? {
                m.insert("state_id".into(), state);
            }
        }
        Ok(m)
    }
}

/// Lower case without accents, dots or surrounding spaces, for matching province names.
fn fold(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| *c != '.')
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' | 'À' | 'Á' | 'Â' | 'Ä' => 'a',
            'ç' | 'Ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
            'î' | 'ï' | 'Î' | 'Ï' => 'i',
            'ô' | 'ö' | 'Ô' | 'Ö' => 'o',
            'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => 'u',
            other => other,
        })
        .collect::<String>()
        .to_lowercase()
}
