//! Webhook signatures: Lago's `X-Lago-Signature` (HMAC or RS256 JWT) and Standard
//! Webhooks' `webhook-signature`, and the instance RSA key pair.
//!
//! Keys, per service (app), from its `webhook_secret` (`whsec_<base64 of 32 random bytes>`,
//! made by `service add`):
//! - **Lago HMAC** (`api:app/models/webhook.rb#hmac_signature`): the key is the secret
//!   string's raw UTF-8 bytes, *including* the `whsec_` prefix, as Lago uses its
//!   organisation `hmac_key` string as is. Signature = Base64 (strict, padded) of
//!   HMAC-SHA256(key, raw body).
//! - **Standard Webhooks** (<https://www.standardwebhooks.com>, "Symmetric signatures"):
//!   the key is the Base64 *decoding* of the part after `whsec_` (32 bytes). Signed
//!   content is `"{webhook-id}.{webhook-timestamp}.{body}"`; the header is
//!   `v1,<Base64 HMAC-SHA256>`. A secret without the prefix, or whose rest is not Base64,
//!   is used as raw bytes (documented fallback; `service add` never makes one).
//! - **JWT** (Lago §8): RS256 over `{"data":"<body as a string>","iss":"<jwt_issuer>"}`,
//!   no `exp`/`iat`, signed with the instance RSA key whose public half is served at
//!   `GET /api/v1/webhooks/public_key`.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Prefix of Standard Webhooks secrets.
pub const SECRET_PREFIX: &str = "whsec_";

fn hmac_b64(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    for p in parts {
        mac.update(p);
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Lago's `X-Lago-Signature` for `hmac`: Base64 HMAC-SHA256 of `body` keyed with the
/// secret string's UTF-8 bytes.
pub fn lago_hmac(secret: &str, body: &[u8]) -> String {
    hmac_b64(secret.as_bytes(), &[body])
}

/// The Standard Webhooks key bytes of a secret: Base64-decoded after `whsec_`.
pub fn standard_key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|rest| STANDARD.decode(rest).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// Standard Webhooks `webhook-signature`: `v1,<Base64 HMAC-SHA256 of "id.timestamp.body">`.
/// `timestamp` is Unix seconds.
pub fn standard_signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let sig = hmac_b64(
        &standard_key(secret),
        &[id.as_bytes(), b".", ts.as_bytes(), b".", body],
    );
    format!("v1,{sig}")
}

/// Errors of the RSA key pair.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The stored PEM could not be read, or signing failed.
    #[error("webhook signing key unusable: {0}")]
    Unusable(String),
}

/// The instance RSA key pair (2048 bits) as PEM text: PKCS#8 private, SPKI public
/// (`-----BEGIN PUBLIC KEY-----`, what Lago's `RsaPublicKey.to_s` prints).
#[derive(Clone)]
pub struct KeyPairPem {
    /// PKCS#8 private key PEM (`-----BEGIN PRIVATE KEY-----`). Secret: never logged.
    pub private_pem: String,
    /// SPKI public key PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_pem: String,
}

impl std::fmt::Debug for KeyPairPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPairPem")
            .field("private_pem", &"<redacted>")
            .field("public_pem", &self.public_pem)
            .finish()
    }
}

impl KeyPairPem {
    /// Generates a new 2048-bit key pair (CPU-heavy: call off the async threads).
    ///
    /// # Errors
    /// [`KeyError::Unusable`] if generation or encoding fails.
    pub fn generate() -> Result<Self, KeyError> {
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
            .map_err(|e| KeyError::Unusable(e.to_string()))?;
        let private_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::Unusable(e.to_string()))?
            .to_string();
        let public_pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| KeyError::Unusable(e.to_string()))?;
        Ok(KeyPairPem {
            private_pem,
            public_pem,
        })
    }

    /// `GET /webhooks/public_key`: the public PEM Base64-encoded as Ruby's
    /// `Base64.encode64` does (lines of 60 characters, each ending in `\n`).
    pub fn public_key_encode64(&self) -> String {
        let b64 = STANDARD.encode(self.public_pem.as_bytes());
        let mut out = String::with_capacity(b64.len() + b64.len() / 60 + 1);
        for chunk in b64.as_bytes().chunks(60) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// `GET /webhooks/json_public_key`: the public PEM in strict Base64 (no newlines).
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.public_pem.as_bytes())
    }

    /// A signer for RS256 JWTs (ring, constant-time).
    ///
    /// # Errors
    /// [`KeyError::Unusable`] when the stored private PEM cannot be read.
    pub fn signer(&self) -> Result<JwtSigner, KeyError> {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&self.private_pem)
            .map_err(|e| KeyError::Unusable(e.to_string()))?;
        let der = key
            .to_pkcs8_der()
            .map_err(|e| KeyError::Unusable(e.to_string()))?;
        let pair = ring::signature::RsaKeyPair::from_pkcs8(der.as_bytes())
            .map_err(|e| KeyError::Unusable(e.to_string()))?;
        Ok(JwtSigner {
            pair: std::sync::Arc::new(pair),
        })
    }
}

/// Signs Lago webhook JWTs with the instance key. Cheap to clone.
#[derive(Clone)]
pub struct JwtSigner {
    pair: std::sync::Arc<ring::signature::RsaKeyPair>,
}

impl JwtSigner {
    /// Lago's JWT `X-Lago-Signature`: RS256 over
    /// `{"data":"<body>","iss":"<issuer>"}` with header `{"alg":"RS256","typ":"JWT"}`.
    ///
    /// # Errors
    /// [`KeyError::Unusable`] if ring refuses to sign.
    pub fn sign(&self, body: &str, issuer: &str) -> Result<String, KeyError> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!({"data": body, "iss": issuer}).to_string();
        let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.as_bytes()));
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| KeyError::Unusable("RSA signing failed".into()))?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lago_hmac_matches_a_known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let sig = lago_hmac("Jefe", b"what do ya want for nothing?");
        let hex_expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(
            STANDARD.decode(sig).unwrap(),
            hex::decode(hex_expected).unwrap()
        );
    }

    #[test]
    fn standard_webhooks_spec_vector() {
        // The example of the Standard Webhooks reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            standard_signature(secret, id, 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(standard_key("raw-secret"), b"raw-secret".to_vec());
    }
}
