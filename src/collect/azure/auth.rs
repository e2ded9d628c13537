//! Credentials as Azure users expect them, tried in this order: a service principal secret from
//! `AZURE_TENANT_ID` / `AZURE_CLIENT_ID` / `AZURE_CLIENT_SECRET`, workload identity federation
//! (`AZURE_FEDERATED_TOKEN_FILE`, as GitHub Actions and AKS provide), the App Service managed
//! identity endpoint, the Azure CLI login, and the VM managed identity (IMDS). Token requests go
//! through our own transport against the configurable authority host, so sovereign clouds and
//! the tests' local token endpoint work the same way; `azure_identity` 0.21 cannot be pointed at
//! either for every flow.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::Method;
use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use super::http::{HttpError, Transport};
use super::options::{AzureOptions, CredentialEnv};

#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    #[error("no Azure credentials found: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH, or AZURE_FEDERATED_TOKEN_FILE), run `az login`, or run on a host with a managed identity")]
    NoneConfigured,
    #[error("{method}: {reason}")]
    Failed { method: String, reason: String },
    #[error("every credential failed: {0}")]
    ChainFailed(String),
}

/// One way to obtain a token.
#[derive(Debug, Clone)]
enum Flow {
    ClientSecret {
        tenant: String,
        client_id: String,
        secret: String,
    },
    WorkloadIdentity {
        tenant: String,
        client_id: String,
        token_file: std::path::PathBuf,
    },
    ClientCertificate {
        tenant: String,
        client_id: String,
        path: std::path::PathBuf,
    },
    AppServiceIdentity {
        endpoint: String,
        header: String,
        client_id: Option<String>,
    },
    AzureCli {
        tenant: Option<String>,
    },
    Imds {
        base: String,
        client_id: Option<String>,
    },
}

impl Flow {
    fn describe(&self) -> String {
        match self {
            Flow::ClientSecret {
                tenant, client_id, ..
            } => {
                format!("client secret (AZURE_CLIENT_ID {client_id}, tenant {tenant})")
            }
            Flow::WorkloadIdentity {
                tenant, client_id, ..
            } => {
                format!(
                    "workload identity federation (AZURE_CLIENT_ID {client_id}, tenant {tenant})"
                )
            }
            Flow::ClientCertificate {
                tenant,
                client_id,
                path,
            } => format!(
                "client certificate {} (AZURE_CLIENT_ID {client_id}, tenant {tenant})",
                path.display()
            ),
            Flow::AppServiceIdentity { client_id, .. } => match client_id {
                Some(c) => format!("managed identity, App Service endpoint (client id {c})"),
                None => "managed identity, App Service endpoint".into(),
            },
            Flow::AzureCli { .. } => "Azure CLI login".into(),
            Flow::Imds { client_id, .. } => match client_id {
                Some(c) => format!("managed identity, instance metadata (client id {c})"),
                None => "managed identity, instance metadata".into(),
            },
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    secret: String,
    expires_at: DateTime<Utc>,
}

/// A credential chain: the first method that yields a token is kept for the whole scan.
#[derive(Debug)]
pub struct Credential {
    candidates: Vec<Flow>,
    transport: Transport,
    authority: String,
    /// OAuth v2 scope (`https://management.azure.com/.default`).
    scope: String,
    /// v1 resource for managed identity and the CLI (`https://management.azure.com/`).
    resource: String,
    chosen: Mutex<Option<(usize, Option<Token>)>>,
    principal: Mutex<Option<String>>,
}

impl Credential {
    pub fn new(opts: &AzureOptions, transport: Transport) -> Result<Self, AuthError> {
        let candidates = candidates(&opts.credential)?;
        let resource = format!("{}/", opts.cloud.arm_endpoint());
        Ok(Credential {
            candidates,
            transport,
            authority: opts.authority_host.trim_end_matches('/').to_string(),
            scope: opts.arm_scope(),
            resource,
            chosen: Mutex::new(None),
            principal: Mutex::new(None),
        })
    }

    /// Which method was used and, when the token says so, for whom.
    pub fn principal(&self) -> Option<String> {
        self.principal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Forget the cached token (Azure said it expired).
    pub fn invalidate(&self) {
        if let Some((_, tok)) = self
            .chosen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            *tok = None;
        }
    }

    /// A bearer token valid for at least five more minutes.
    pub async fn token(&self) -> Result<String, AuthError> {
        let chosen = self
            .chosen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some((i, tok)) = chosen {
            if let Some(t) =
                tok.filter(|t| t.expires_at > Utc::now() + chrono::Duration::minutes(5))
            {
                return Ok(t.secret);
            }
            let t = self.fetch(&self.candidates[i]).await?;
            *self.chosen.lock().unwrap_or_else(|p| p.into_inner()) = Some((i, Some(t.clone())));
            return Ok(t.secret);
        }
        let mut failures = Vec::new();
        for (i, m) in self.candidates.iter().enumerate() {
            match self.fetch(m).await {
                Ok(t) => {
                    *self.principal.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(describe_principal(m, &t.secret));
                    *self.chosen.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some((i, Some(t.clone())));
                    return Ok(t.secret);
                }
                Err(e) => failures.push(e.to_string()),
            }
        }
        match failures.len() {
            0 => Err(AuthError::NoneConfigured),
            1 => Err(AuthError::ChainFailed(failures.remove(0))),
            _ => Err(AuthError::ChainFailed(failures.join("; "))),
        }
    }

    async fn fetch(&self, m: &Flow) -> Result<Token, AuthError> {
        let fail = |reason: String| AuthError::Failed {
            method: m.describe(),
            reason,
        };
        match m {
            Flow::ClientSecret {
                tenant,
                client_id,
                secret,
            } => {
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", secret.as_str()),
                    ("scope", self.scope.as_str()),
                ];
                self.token_request(tenant, &form)
                    .await
                    .map_err(|e| fail(e.to_string()))
            }
            Flow::WorkloadIdentity {
                tenant,
                client_id,
                token_file,
            } => {
                // Read the file every time: the platform rotates it.
                let assertion = std::fs::read_to_string(token_file)
                    .map_err(|e| fail(format!("cannot read {}: {e}", token_file.display())))?;
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", assertion.trim()),
                    ("scope", self.scope.as_str()),
                ];
                self.token_request(tenant, &form)
                    .await
                    .map_err(|e| fail(e.to_string()))
            }
            Flow::ClientCertificate {
                tenant,
                client_id,
                path,
            } => {
                let cert = super::certificate::Certificate::load(path).map_err(fail)?;
                let token_url = format!(
                    "{}/{tenant}/oauth2/v2.0/token",
                    self.authority.trim_end_matches('/')
                );
                let jti = format!("{:x}", Utc::now().timestamp_nanos_opt().unwrap_or_default());
                let assertion = cert.assertion(client_id, &token_url, Utc::now(), &jti);
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", assertion.as_str()),
                    ("scope", self.scope.as_str()),
                ];
                self.token_request(tenant, &form)
                    .await
                    .map_err(|e| fail(e.to_string()))
            }
            Flow::AppServiceIdentity {
                endpoint,
                header,
                client_id,
            } => {
                let mut url = format!(
                    "{endpoint}?api-version=2019-08-01&resource={}",
                    enc(&self.resource)
                );
                if let Some(c) = client_id {
                    url.push_str(&format!("&client_id={}", enc(c)));
                }
                let raw = self
                    .transport
                    .send(
                        Method::Get,
                        &url,
                        &[("x-identity-header", header.clone())],
                        None,
                        None,
                    )
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                parse_token(&raw.body).map_err(fail)
            }
            Flow::Imds { base, client_id } => {
                let mut url = format!(
                    "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={}",
                    base.trim_end_matches('/'),
                    enc(&self.resource)
                );
                if let Some(c) = client_id {
                    url.push_str(&format!("&client_id={}", enc(c)));
                }
                // The metadata service answers at once or not at all: do not wait a minute.
                let headers = [("metadata", "true".to_string())];
                let send = self.transport.send(Method::Get, &url, &headers, None, None);
                let raw = tokio::time::timeout(Duration::from_secs(3), send)
                    .await
                    .map_err(|_| fail("no instance metadata service answered".into()))?
                    .map_err(|e| fail(e.to_string()))?;
                parse_token(&raw.body).map_err(fail)
            }
            Flow::AzureCli { tenant } => {
                let mut args = vec![
                    "account".to_string(),
                    "get-access-token".into(),
                    "--resource".into(),
                    self.resource.clone(),
                    "--output".into(),
                    "json".into(),
                ];
                if let Some(t) = tenant {
                    args.push("--tenant".into());
                    args.push(t.clone());
                }
                let out = tokio::task::spawn_blocking(move || {
                    std::process::Command::new("az").args(&args).output()
                })
                .await
                .map_err(|e| fail(e.to_string()))?
                .map_err(|e| {
                    fail(format!(
                        "cannot run `az` ({e}); install the Azure CLI and run `az login`"
                    ))
                })?;
                if !out.status.success() {
                    let err = String::from_utf8_lossy(&out.stderr);
                    return Err(fail(format!(
                        "`az account get-access-token` failed: {}",
                        err.trim()
                    )));
                }
                parse_token(&out.stdout).map_err(fail)
            }
        }
    }

    async fn token_request(&self, tenant: &str, form: &[(&str, &str)]) -> Result<Token, HttpError> {
        let url = format!("{}/{}/oauth2/v2.0/token", self.authority, enc(tenant));
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let raw = self
            .transport
            .send(
                Method::Post,
                &url,
                &[("content-type", "application/x-www-form-urlencoded".into())],
                Some(body.into_bytes()),
                None,
            )
            .await?;
        parse_token(&raw.body).map_err(HttpError::Auth)
    }
}

/// RFC 3986 unreserved characters stay as they are (tenant ids keep their dashes in paths).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// The chain for these inputs, most specific first.
fn candidates(env: &CredentialEnv) -> Result<Vec<Flow>, AuthError> {
    let mut out = Vec::new();
    if let (Some(tenant), Some(client_id)) = (&env.tenant_id, &env.client_id) {
        if let Some(secret) = &env.client_secret {
            out.push(Flow::ClientSecret {
                tenant: tenant.clone(),
                client_id: client_id.clone(),
                secret: secret.clone(),
            });
        } else if let Some(path) = &env.client_certificate_path {
            out.push(Flow::ClientCertificate {
                tenant: tenant.clone(),
                client_id: client_id.clone(),
                path: path.clone(),
            });
        }
        if let Some(file) = &env.federated_token_file {
            out.push(Flow::WorkloadIdentity {
                tenant: tenant.clone(),
                client_id: client_id.clone(),
                token_file: file.clone(),
            });
        }
    }
    if let (Some(endpoint), Some(header)) = (&env.identity_endpoint, &env.identity_header) {
        out.push(Flow::AppServiceIdentity {
            endpoint: endpoint.clone(),
            header: header.clone(),
            client_id: env.client_id.clone(),
        });
    }
    if env.use_azure_cli {
        out.push(Flow::AzureCli {
            tenant: env.tenant_id.clone(),
        });
    }
    if env.use_azure_cli || env.imds_endpoint.is_some() {
        out.push(Flow::Imds {
            base: env
                .imds_endpoint
                .clone()
                .unwrap_or_else(|| "http://169.254.169.254".into()),
            client_id: env.client_id.clone(),
        });
    }
    if out.is_empty() {
        return Err(AuthError::NoneConfigured);
    }
    Ok(out)
}

/// Token responses differ by flow: `expires_in` (seconds, number or string) from Entra ID,
/// `expires_on` (epoch, often a string) from managed identity, `accessToken` / `expiresOn`
/// from the CLI.
fn parse_token(body: &[u8]) -> Result<Token, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the token response is not JSON ({e})"))?;
    let secret = ["access_token", "accessToken"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .ok_or("the token response has no access_token")?
        .to_string();
    let num = |k: &str| match v.get(k) {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    let now = Utc::now();
    let expires_at = if let Some(secs) = num("expires_in") {
        now + chrono::Duration::seconds(secs)
    } else if let Some(epoch) = num("expires_on") {
        DateTime::from_timestamp(epoch, 0).unwrap_or(now)
    } else if let Some(s) = v.get("expiresOn").and_then(Value::as_str) {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
            .map(|n| n.and_utc())
            .unwrap_or(now + chrono::Duration::minutes(10))
    } else {
        now + chrono::Duration::minutes(10)
    };
    Ok(Token { secret, expires_at })
}

/// `how (who)`: the method, plus the token's user, app or object id when it is a readable JWT.
fn describe_principal(m: &Flow, token: &str) -> String {
    let who = token
        .split('.')
        .nth(1)
        .and_then(|p| azure_core::base64::decode_url_safe(p).ok())
        .and_then(|b| {
            let claims: Value = serde_json::from_slice(&b).ok()?;
            let s = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_string);
            let name = s("upn")
                .or_else(|| s("unique_name"))
                .or_else(|| s("appid").map(|a| format!("app {a}")));
            match (name, s("oid")) {
                (Some(n), Some(o)) => Some(format!("{n}, object id {o}")),
                (Some(n), None) => Some(n),
                (None, Some(o)) => Some(format!("object id {o}")),
                (None, None) => None,
            }
        });
    match who {
        Some(w) => format!("{}: {w}", m.describe()),
        None => m.describe(),
    }
}

/// Adapter for the `azure_mgmt_*` clients, which take `azure_core`'s credential trait.
#[derive(Debug, Clone)]
pub struct SdkCredential(pub Arc<Credential>);

// Written out as `async_trait` expands it, to avoid a dependency for one impl.
impl azure_core::auth::TokenCredential for SdkCredential {
    fn get_token<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        _scopes: &'life1 [&'life2 str],
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = azure_core::Result<azure_core::auth::AccessToken>>
                + Send
                + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            let secret = self.0.token().await.map_err(|e| {
                azure_core::Error::message(azure_core::error::ErrorKind::Credential, e.to_string())
            })?;
            // Our credential refreshes on its own; tell the SDK to ask again soon.
            let soon = (Utc::now() + chrono::Duration::minutes(5))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            Ok(azure_core::auth::AccessToken::new(
                secret,
                azure_core::date::parse_rfc3339(&soon)?,
            ))
        })
    }

    fn clear_cache<'life0, 'async_trait>(
        &'life0 self,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = azure_core::Result<()>> + Send + 'async_trait>,
    >
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.0.invalidate();
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shapes() {
        let t = parse_token(br#"{"token_type":"Bearer","expires_in":3599,"access_token":"abc"}"#)
            .unwrap();
        assert_eq!(t.secret, "abc");
        assert!(t.expires_at > Utc::now() + chrono::Duration::minutes(59));
        let t = parse_token(br#"{"access_token":"m","expires_on":"4102444800"}"#).unwrap();
        assert_eq!(t.expires_at.timestamp(), 4102444800);
        let t = parse_token(br#"{"accessToken":"c","expiresOn":"2099-01-01 10:00:00.000000"}"#)
            .unwrap();
        assert_eq!(t.secret, "c");
        assert!(parse_token(b"{}").is_err());
        assert!(parse_token(b"nope").is_err());
    }

    #[test]
    fn chain_order_and_certificate() {
        let env = CredentialEnv {
            tenant_id: Some("t".into()),
            client_id: Some("c".into()),
            client_secret: Some("s".into()),
            federated_token_file: Some("/f".into()),
            ..Default::default()
        };
        let c = candidates(&env).unwrap();
        assert!(matches!(c[0], Flow::ClientSecret { .. }));
        assert!(matches!(c[1], Flow::WorkloadIdentity { .. }));
        assert_eq!(c.len(), 2);
        let cert = CredentialEnv {
            tenant_id: Some("t".into()),
            client_id: Some("c".into()),
            client_certificate_path: Some("/c.pem".into()),
            ..Default::default()
        };
        assert!(matches!(
            candidates(&cert).unwrap()[0],
            Flow::ClientCertificate { .. }
        ));
        assert!(matches!(
            candidates(&CredentialEnv::default()),
            Err(AuthError::NoneConfigured)
        ));
    }

    #[test]
    fn principal_from_jwt() {
        let claims = azure_core::base64::encode_url_safe(br#"{"appid":"app-1","oid":"obj-1"}"#);
        let m = Flow::AzureCli { tenant: None };
        assert_eq!(
            describe_principal(&m, &format!("h.{claims}.s")),
            "Azure CLI login: app app-1, object id obj-1"
        );
        assert_eq!(describe_principal(&m, "opaque"), "Azure CLI login");
    }
}
