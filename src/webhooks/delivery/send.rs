//! One HTTP attempt of a delivery: resolve and check the host, sign, POST, read the answer
//! (see the parent module for the rules).

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use url::Url;

use super::{Worker, USER_AGENT};
use crate::webhooks::repo::{DeliveryRow, EndpointRow};
use crate::webhooks::schedule::parse_retry_after;
use crate::webhooks::signing::{lago_hmac, standard_signature};
use crate::webhooks::ssrf::resolve_checked;

/// Classification of one attempt.
pub(super) struct Outcome {
    pub(super) status_code: Option<i64>,
    pub(super) error: Option<String>,
    pub(super) retry_after: Option<Duration>,
}

impl Outcome {
    /// The receiver answered 2xx.
    pub(super) fn success(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }

    /// The receiver answered 410 Gone: the endpoint is disabled at once.
    pub(super) fn gone(&self) -> bool {
        self.status_code == Some(410)
    }
}

impl Worker {
    /// Makes the HTTP attempt; never fails, the outcome says what happened.
    pub(super) async fn send(
        &self,
        d: &DeliveryRow,
        endpoint: &EndpointRow,
        secret: &str,
    ) -> Outcome {
        match self.try_send(d, endpoint, secret).await {
            Ok(outcome) => outcome,
            Err(error) => Outcome {
                status_code: None,
                error: Some(error),
                retry_after: None,
            },
        }
    }

    /// Resolves and checks the host, signs, posts; `Err` is the error of an attempt that
    /// got no HTTP answer.
    async fn try_send(
        &self,
        d: &DeliveryRow,
        endpoint: &EndpointRow,
        secret: &str,
    ) -> Result<Outcome, String> {
        let url = Url::parse(&endpoint.webhook_url)
            .map_err(|_| "stored webhook_url is not a URL".to_string())?;
        let addrs = self.resolve(&url).await?;
        let (algo, lago_signature) = self.lago_signature(d, endpoint, secret).await?;
        let timestamp = chrono::Utc::now().timestamp();
        let client = self
            .client_for(&url, &addrs)
            .map_err(|e| format!("client: {}", error_text(&e)))?;
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("x-lago-signature", lago_signature)
            .header("x-lago-signature-algorithm", algo)
            .header("x-lago-unique-key", &d.id)
            .header("webhook-id", &d.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                standard_signature(secret, &d.id, timestamp, d.body.as_bytes()),
            )
            .body(d.body.clone())
            .send()
            .await
            .map_err(|e| error_text(&e))?;
        Ok(self.read_answer(response).await)
    }

    /// The addresses of `url`'s host that the SSRF guard allows, within the timeout
    /// (DNS is outside reqwest's timeout: bound it too).
    async fn resolve(&self, url: &Url) -> Result<Vec<SocketAddr>, String> {
        let resolved = tokio::time::timeout(
            self.config.timeout,
            resolve_checked(url, &self.config.allowed),
        )
        .await;
        match resolved {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(e)) => Err(format!("refused: {e}")),
            Err(_) => Err("timeout resolving the host".into()),
        }
    }

    /// `X-Lago-Signature-Algorithm` and `X-Lago-Signature` of the body: an RS256 JWT for
    /// `jwt` endpoints, else the HMAC with the service's secret.
    async fn lago_signature(
        &self,
        d: &DeliveryRow,
        endpoint: &EndpointRow,
        secret: &str,
    ) -> Result<(&'static str, String), String> {
        match endpoint.signature_algo.as_str() {
            "jwt" => {
                let signer = self
                    .signer()
                    .await
                    .map_err(|e| format!("signing key unavailable: {e}"))?;
                let sig = signer
                    .sign(&d.body, &self.config.jwt_issuer)
                    .map_err(|e| e.to_string())?;
                Ok(("jwt", sig))
            }
            _ => Ok(("hmac", lago_hmac(secret, d.body.as_bytes()))),
        }
    }

    /// The outcome of an HTTP answer: its status, `Retry-After`, and an error unless 2xx.
    /// At most `max_response_bytes` of the body are read (and discarded).
    async fn read_answer(&self, mut resp: reqwest::Response) -> Outcome {
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let mut read = 0usize;
        let mut read_error = None;
        while read < self.config.max_response_bytes {
            match resp.chunk().await {
                Ok(Some(c)) => read += c.len(),
                Ok(None) => break,
                Err(e) => {
                    read_error = Some(error_text(&e));
                    break;
                }
            }
        }
        let error = if (200..300).contains(&status) {
            None
        } else if (300..400).contains(&status) {
            Some(format!("HTTP {status} (redirects are not followed)"))
        } else {
            Some(format!("HTTP {status}"))
        };
        if let (None, Some(e)) = (&error, &read_error) {
            tracing::debug!(error = %e, "reading a 2xx answer failed; counted as delivered");
        }
        Outcome {
            status_code: Some(i64::from(status)),
            error,
            retry_after,
        }
    }

    /// A client for one delivery: pinned to `addrs`, no proxy, no redirects, timeout.
    fn client_for(&self, url: &Url, addrs: &[SocketAddr]) -> reqwest::Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(self.config.timeout)
            .connect_timeout(self.config.timeout)
            .user_agent(USER_AGENT);
        if let Some(url::Host::Domain(host)) = url.host() {
            builder = builder.resolve_to_addrs(host, addrs);
        }
        builder.build()
    }
}

/// A transport error's text without the URL (it may carry tokens) and with its causes.
fn error_text(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timeout".into();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    // reqwest appends " for url (…)" to some messages.
    if let Some(i) = text.find(" for url (") {
        let end = text[i..].find(')').map_or(text.len(), |j| i + j + 1);
        text.replace_range(i..end, "");
    }
    text
}
