//! The HTTP pipeline every Azure request goes through: timeouts, retries (429 with
//! `Retry-After`, 5xx and transport errors with doubling backoff), the Resource Graph user quota
//! (`x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after`, waited for before a 429
//! happens), and bearer tokens with one refresh when Azure says the token expired.

use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::headers::{HeaderName, Headers};
use azure_core::{HttpClient, Method, Request, Url};
use serde_json::Value;

use super::auth::Credential;
use super::options::RetryPolicy;
use crate::model::ErrorKind;

/// Why a request gave no usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// Azure answered with an error status; `code` is its error code (`AuthorizationFailed`).
    #[error("HTTP {status} {code}: {message}")]
    Status {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the response is not valid JSON ({0})")]
    InvalidJson(String),
    #[error("{0}")]
    Transport(String),
    #[error("{0}")]
    Auth(String),
}

impl HttpError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            HttpError::Status {
                status: 401 | 403, ..
            }
            | HttpError::Auth(_) => ErrorKind::AccessDenied,
            HttpError::Status { status: 429, .. } => ErrorKind::Throttled,
            HttpError::Status {
                status: 400 | 422, ..
            }
            | HttpError::InvalidJson(_) => ErrorKind::InvalidResponse,
            HttpError::Status { .. } | HttpError::Transport(_) => ErrorKind::Unavailable,
        }
    }

    /// What the user can do about it, for the CollectionError message.
    pub fn advice(&self) -> &'static str {
        match self.kind() {
            ErrorKind::AccessDenied => {
                "grant the principal Reader (and Security Reader for Defender data) on the subscription, or sign in again"
            }
            ErrorKind::Throttled => "Azure kept throttling; run again later or scan fewer subscriptions at once",
            ErrorKind::Unavailable => "the service was unavailable; run again later",
            ErrorKind::InvalidResponse => "the service sent data annexa cannot read; run again, and report it if it persists",
        }
    }
}

/// Header names Resource Graph uses for its per-user quota.
const QUOTA_REMAINING: HeaderName = HeaderName::from_static("x-ms-user-quota-remaining");
const QUOTA_RESETS_AFTER: HeaderName = HeaderName::from_static("x-ms-user-quota-resets-after");
const RETRY_AFTER: HeaderName = HeaderName::from_static("retry-after");
const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");

/// A raw answer: status, headers, body bytes.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// Client plus retry policy: what token requests and API requests share.
#[derive(Debug, Clone)]
pub struct Transport {
    client: Arc<dyn HttpClient>,
    retry: RetryPolicy,
}

impl Transport {
    pub fn new(retry: RetryPolicy) -> Self {
        Transport {
            client: azure_core::new_http_client(),
            retry,
        }
    }

    /// The underlying client, for the SDK clients that must share it.
    pub fn client(&self) -> Arc<dyn HttpClient> {
        self.client.clone()
    }

    /// One request with retries; `quota` gates every attempt (Resource Graph only).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&'static str, String)],
        body: Option<Vec<u8>>,
        quota: Option<&QuotaGate>,
    ) -> Result<Raw, HttpError> {
        let parsed =
            Url::parse(url).map_err(|e| HttpError::Transport(format!("bad URL '{url}': {e}")))?;
        let mut attempt = 0u32;
        loop {
            if let Some(q) = quota {
                q.acquire().await;
            }
            let mut req = Request::new(parsed.clone(), method);
            for (k, v) in headers {
                req.insert_header(*k, v.clone());
            }
            if let Some(b) = &body {
                req.set_body(b.clone());
            }
            let result = tokio::time::timeout(self.retry.timeout, self.exchange(&req)).await;
            let (retry_in, last) = match result {
                Err(_) => (
                    self.backoff(attempt),
                    HttpError::Transport(format!(
                        "no answer within {:?} from {}",
                        self.retry.timeout,
                        host(&parsed)
                    )),
                ),
                Ok(Err(e)) => (self.backoff(attempt), e),
                Ok(Ok(raw)) => {
                    if let Some(q) = quota {
                        q.observe(&raw.headers);
                    }
                    match raw.status {
                        200..=299 => return Ok(raw),
                        429 => {
                            let wait =
                                retry_after(&raw.headers).unwrap_or_else(|| self.backoff(attempt));
                            if wait > self.retry.max_delay {
                                return Err(status_error(&raw));
                            }
                            (wait, status_error(&raw))
                        }
                        500..=599 => (self.backoff(attempt), status_error(&raw)),
                        _ => return Err(status_error(&raw)),
                    }
                }
            };
            if attempt >= self.retry.max_retries {
                return Err(last);
            }
            attempt += 1;
            tracing::debug!(url, attempt, wait_ms = retry_in.as_millis() as u64, error = %last, "retrying");
            tokio::time::sleep(retry_in).await;
        }
    }

    async fn exchange(&self, req: &Request) -> Result<Raw, HttpError> {
        let rsp = self
            .client
            .execute_request(req)
            .await
            .map_err(|e| HttpError::Transport(e.to_string()))?;
        let (status, headers, body) = rsp.deconstruct();
        let body = body
            .collect()
            .await
            .map_err(|e| HttpError::Transport(format!("reading the body: {e}")))?;
        Ok(Raw {
            status: u16::from(status),
            headers,
            body: body.to_vec(),
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
        self.retry
            .base_delay
            .saturating_mul(factor)
            .min(self.retry.max_delay)
    }
}

fn host(url: &Url) -> String {
    url.host_str().unwrap_or("?").to_string()
}

/// `Retry-After` in seconds (or `retry-after-ms`), else the Resource Graph quota reset.
fn retry_after(headers: &Headers) -> Option<Duration> {
    if let Some(ms) = headers
        .get_optional_str(&RETRY_AFTER_MS)
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_millis(ms));
    }
    if let Some(s) = headers
        .get_optional_str(&RETRY_AFTER)
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Some(Duration::from_secs_f64(s.max(0.0)));
    }
    headers
        .get_optional_str(&QUOTA_RESETS_AFTER)
        .and_then(parse_resets_after)
}

/// `hh:mm:ss` (optionally with fractions), as Resource Graph sends it.
pub fn parse_resets_after(v: &str) -> Option<Duration> {
    let parts: Vec<&str> = v.trim().split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let secs =
        h.parse::<f64>().ok()? * 3600.0 + m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?;
    (secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

fn status_error(raw: &Raw) -> HttpError {
    let parsed: Option<Value> = serde_json::from_slice(&raw.body).ok();
    let err = parsed
        .as_ref()
        .and_then(|v| v.get("error").or_else(|| v.get("Error")).cloned());
    let code = err
        .as_ref()
        .and_then(|e| e.get("code").and_then(Value::as_str))
        .map(str::to_string)
        .or_else(|| {
            parsed
                .as_ref()
                .and_then(|v| v.get("error").and_then(Value::as_str))
                .map(str::to_string)
        })
        .unwrap_or_else(|| reason(raw.status).to_string());
    let message = err
        .as_ref()
        .and_then(|e| e.get("message").and_then(Value::as_str))
        .map(str::to_string)
        .or_else(|| {
            parsed
                .as_ref()
                .and_then(|v| v.get("error_description").and_then(Value::as_str))
                .map(str::to_string)
        })
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&raw.body)
                .chars()
                .take(300)
                .collect()
        });
    HttpError::Status {
        status: raw.status,
        code,
        message,
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        429 => "TooManyRequests",
        500..=599 => "ServerError",
        _ => "HttpError",
    }
}

/// The Resource Graph quota as the service last reported it. Requests wait here when the
/// window is used up, so the collector slows down instead of collecting 429s.
#[derive(Debug, Default)]
pub struct QuotaGate {
    state: std::sync::Mutex<QuotaState>,
}

#[derive(Debug, Default)]
struct QuotaState {
    remaining: Option<u32>,
    resets_at: Option<Instant>,
}

impl QuotaGate {
    async fn acquire(&self) {
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                match (s.remaining, s.resets_at) {
                    (Some(0), Some(at)) if at > now => Some(at - now),
                    (Some(0), _) => {
                        // The window has reset; the next answer tells us the new quota.
                        s.remaining = None;
                        s.resets_at = None;
                        None
                    }
                    (Some(n), _) => {
                        s.remaining = Some(n - 1);
                        None
                    }
                    (None, _) => None,
                }
            };
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                None => return,
            }
        }
    }

    fn observe(&self, headers: &Headers) {
        let remaining = headers
            .get_optional_str(&QUOTA_REMAINING)
            .and_then(|v| v.trim().parse::<u32>().ok());
        let resets = headers
            .get_optional_str(&QUOTA_RESETS_AFTER)
            .and_then(parse_resets_after);
        if remaining.is_none() && resets.is_none() {
            return;
        }
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if let Some(r) = remaining {
            // Requests still in flight were counted before this answer: keep the lower figure
            // within the same window.
            s.remaining = Some(match s.remaining {
                Some(mine) if s.resets_at.is_some_and(|at| at > now) => mine.min(r),
                _ => r,
            });
        }
        if let Some(d) = resets {
            s.resets_at = Some(now + d);
        }
    }
}

/// Authenticated JSON requests against Resource Manager and Resource Graph.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub transport: Transport,
    pub credential: Arc<Credential>,
    pub graph_quota: Arc<QuotaGate>,
}

impl Pipeline {
    pub async fn get_json(&self, url: &str) -> Result<Value, HttpError> {
        let bytes = self.bytes(Method::Get, url, None, false).await?;
        serde_json::from_slice(&bytes).map_err(|e| HttpError::InvalidJson(e.to_string()))
    }

    /// A Resource Graph query: the only POST the collector makes.
    pub async fn graph_query(&self, url: &str, body: &Value) -> Result<Value, HttpError> {
        let bytes = self.graph_query_bytes(url, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| HttpError::InvalidJson(e.to_string()))
    }

    /// The same query, unparsed: the pager reads the `$skipToken` before the rows.
    pub async fn graph_query_bytes(&self, url: &str, body: &Value) -> Result<Vec<u8>, HttpError> {
        let bytes = serde_json::to_vec(body).map_err(|e| HttpError::Transport(e.to_string()))?;
        self.bytes(Method::Post, url, Some(bytes), true).await
    }

    async fn bytes(
        &self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
        graph: bool,
    ) -> Result<Vec<u8>, HttpError> {
        let mut refreshed = false;
        loop {
            let token = self
                .credential
                .token()
                .await
                .map_err(|e| HttpError::Auth(e.to_string()))?;
            let mut headers = vec![
                ("authorization", format!("Bearer {token}")),
                ("accept", "application/json".into()),
            ];
            if body.is_some() {
                headers.push(("content-type", "application/json".into()));
            }
            let quota = graph.then_some(&*self.graph_quota);
            match self
                .transport
                .send(method, url, &headers, body.clone(), quota)
                .await
            {
                Ok(raw) => return Ok(raw.body),
                Err(HttpError::Status {
                    status: 401,
                    code,
                    message,
                }) if !refreshed
                    && (code.contains("Expired") || code == "InvalidAuthenticationToken") =>
                {
                    // The token expired mid-scan: fetch a fresh one once, then give up.
                    tracing::debug!(%code, %message, "token rejected; refreshing");
                    self.credential.invalidate();
                    refreshed = true;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resets_after_format() {
        assert_eq!(parse_resets_after("00:00:03"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_resets_after("00:01:02.5"),
            Some(Duration::from_millis(62_500))
        );
        assert_eq!(parse_resets_after("3"), None);
    }

    #[test]
    fn kinds_of_errors() {
        let st = |status| HttpError::Status {
            status,
            code: String::new(),
            message: String::new(),
        };
        assert_eq!(st(403).kind(), ErrorKind::AccessDenied);
        assert_eq!(st(429).kind(), ErrorKind::Throttled);
        assert_eq!(st(503).kind(), ErrorKind::Unavailable);
        assert_eq!(
            HttpError::InvalidJson("x".into()).kind(),
            ErrorKind::InvalidResponse
        );
    }

    #[tokio::test]
    async fn quota_gate_waits_for_reset() {
        let gate = QuotaGate::default();
        let mut h = Headers::new();
        h.insert(QUOTA_REMAINING, "0");
        h.insert(QUOTA_RESETS_AFTER, "00:00:00.2");
        gate.observe(&h);
        let t = Instant::now();
        gate.acquire().await;
        assert!(
            t.elapsed() >= Duration::from_millis(190),
            "waited {:?}",
            t.elapsed()
        );
        // After the reset the quota is unknown again: no wait.
        let t = Instant::now();
        gate.acquire().await;
        assert!(t.elapsed() < Duration::from_millis(50));
    }
}
