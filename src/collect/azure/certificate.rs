//! Service principal certificate credentials: the client assertion Entra ID expects, an RS256 JWT
//! signed with the certificate's private key and naming the certificate by its SHA-1 thumbprint
//! (`x5t`). The PEM file holds the private key (PKCS#8 or PKCS#1) and the certificate, as
//! `AZURE_CLIENT_CERTIFICATE_PATH` does for Azure's own tools.

use std::path::Path;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use sha1::{Digest, Sha1};

/// A private key and the DER of its certificate.
pub struct Certificate {
    key: RsaPrivateKey,
    der: Vec<u8>,
}

/// The PEM blocks of `text` as (label, DER).
fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = line
            .trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let body: String = lines
            .by_ref()
            .take_while(|l| l.trim() != end)
            .map(str::trim)
            .collect();
        if let Ok(der) = STANDARD.decode(body) {
            out.push((label.to_string(), der));
        }
    }
    out
}

impl Certificate {
    pub fn load(path: &Path) -> Result<Certificate, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!("cannot read the certificate file {} ({e}); it must be a PEM file with the private key and the certificate", path.display())
        })?;
        Certificate::from_pem(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_pem(text: &str) -> Result<Certificate, String> {
        let blocks = pem_blocks(text);
        if blocks.iter().any(|(l, _)| l == "ENCRYPTED PRIVATE KEY") {
            return Err("the private key is encrypted; write it unencrypted (`openssl pkcs12 -in cert.pfx -out cert.pem -nodes`)".into());
        }
        let key = blocks
            .iter()
            .find_map(|(label, der)| match label.as_str() {
                "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_der(der).ok(),
                "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(der).ok(),
                _ => None,
            })
            .ok_or("no RSA private key in the file (PEM `PRIVATE KEY` or `RSA PRIVATE KEY`; convert a .pfx with `openssl pkcs12 -in cert.pfx -out cert.pem -nodes`)")?;
        let der = blocks
            .into_iter()
            .find(|(l, _)| l == "CERTIFICATE")
            .map(|(_, d)| d)
            .ok_or("no certificate in the file (PEM `CERTIFICATE` block next to the key)")?;
        Ok(Certificate { key, der })
    }

    /// base64url SHA-1 of the certificate's DER: how Entra ID finds the registered certificate.
    pub fn x5t(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha1::digest(&self.der))
    }

    /// The signed client assertion for `client_id` at `token_url`.
    pub fn assertion(
        &self,
        client_id: &str,
        token_url: &str,
        now: DateTime<Utc>,
        jti: &str,
    ) -> String {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t()});
        let claims = serde_json::json!({
            "aud": token_url, "iss": client_id, "sub": client_id, "jti": jti,
            "nbf": now.timestamp(), "iat": now.timestamp(), "exp": now.timestamp() + 600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signer = SigningKey::<rsa::sha2::Sha256>::new(self.key.clone());
        let signature = signer.sign(signing_input.as_bytes()).to_vec();
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_without_key_or_certificate_say_what_is_missing() {
        let e =
            Certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .err()
                .unwrap();
        assert!(e.contains("no RSA private key"), "{e}");
        let e = Certificate::from_pem(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .err()
        .unwrap();
        assert!(e.contains("encrypted"), "{e}");
        let e = Certificate::load(Path::new("/nonexistent/cert.pem"))
            .err()
            .unwrap();
        assert!(e.contains("/nonexistent/cert.pem"), "{e}");
    }
}
