//! SDK errors to `CollectionError`s: what kind of gap, and a message a user can act on.

use aws_sdk_config::error::{ProvideErrorMetadata, SdkError};

use crate::model::{CollectionError, ErrorKind, Provider};

/// Where a call was made, for the error record.
#[derive(Debug, Clone)]
pub struct CallSite<'a> {
    pub account: &'a str,
    pub region: Option<&'a str>,
    pub resource_type: Option<&'a str>,
    /// `config:SelectResourceConfig`, `iam:GetCredentialReport`.
    pub api: &'a str,
}

impl CallSite<'_> {
    /// The gap an SDK error leaves at this call site.
    pub fn sdk_error<E, R>(&self, err: &SdkError<E, R>) -> CollectionError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let (kind, message) = classify(err);
        self.error(kind, message)
    }

    pub fn error(&self, kind: ErrorKind, message: impl Into<String>) -> CollectionError {
        CollectionError {
            provider: Provider::Aws,
            account: self.account.to_string(),
            region: self.region.map(str::to_string),
            resource_type: self.resource_type.map(str::to_string),
            api: Some(self.api.to_string()),
            kind,
            message: message.into(),
        }
    }
}

/// Error codes that mean "you may not": the fix is a permission.
const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "NotAuthorized",
    "AuthorizationError",
];
/// Codes that mean the region is not enabled for the account or the credentials are not valid there.
const NOT_ENABLED: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "AuthFailure",
    "OptInRequired",
    "SubscriptionRequiredException",
];
const EXPIRED: &[&str] = &["ExpiredToken", "ExpiredTokenException", "RequestExpired"];
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
];

/// The kind of gap and a message for an SDK error, once retries are exhausted.
pub fn classify<E, R>(err: &SdkError<E, R>) -> (ErrorKind, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown");
            let msg = e.message().unwrap_or("");
            kind_of_code(code, msg)
        }
        SdkError::ResponseError(_) => (
            ErrorKind::InvalidResponse,
            format!("malformed or truncated response: {}", source_chain(err)),
        ),
        SdkError::TimeoutError(_) => (ErrorKind::Unavailable, "request timed out".to_string()),
        SdkError::DispatchFailure(_) => (
            ErrorKind::Unavailable,
            format!("could not reach the endpoint: {}", source_chain(err)),
        ),
        SdkError::ConstructionFailure(_) => (
            ErrorKind::Unavailable,
            format!("could not build the request: {}", source_chain(err)),
        ),
        other => (ErrorKind::Unavailable, source_chain(other)),
    }
}

/// An error code (and its message) to a kind and a user-facing explanation.
pub fn kind_of_code(code: &str, msg: &str) -> (ErrorKind, String) {
    let detail = if msg.is_empty() {
        code.to_string()
    } else {
        format!("{code}: {msg}")
    };
    if DENIED.contains(&code) {
        (
            ErrorKind::AccessDenied,
            format!("{detail} (grant the actions in docs/aws-iam-policy.json)"),
        )
    } else if NOT_ENABLED.contains(&code) {
        (
            ErrorKind::AccessDenied,
            format!("{detail} (is the region enabled for the account?)"),
        )
    } else if EXPIRED.contains(&code) {
        (
            ErrorKind::AccessDenied,
            format!("{detail} (the session expired: refresh the credentials)"),
        )
    } else if THROTTLED.contains(&code) {
        (ErrorKind::Throttled, format!("{detail} (still throttled after retries: raise --max-attempts or lower --max-concurrency)"))
    } else if code.starts_with("Invalid")
        || code == "SerializationException"
        || code.starts_with("Validation")
    {
        (ErrorKind::InvalidResponse, detail)
    } else {
        (ErrorKind::Unavailable, detail)
    }
}

/// Is this a "region not enabled" error, so that `--regions all` may leave the region out?
pub fn is_region_not_enabled<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    matches!(err, SdkError::ServiceError(se) if se.err().code().is_some_and(|c| NOT_ENABLED.contains(&c)))
}

/// The error's message with its causes, as one line.
pub fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_to_kinds() {
        assert_eq!(
            kind_of_code("AccessDeniedException", "no").0,
            ErrorKind::AccessDenied
        );
        assert_eq!(
            kind_of_code("ThrottlingException", "").0,
            ErrorKind::Throttled
        );
        assert_eq!(
            kind_of_code("UnrecognizedClientException", "").0,
            ErrorKind::AccessDenied
        );
        assert_eq!(
            kind_of_code("InternalFailure", "").0,
            ErrorKind::Unavailable
        );
        assert!(kind_of_code("AccessDenied", "x")
            .1
            .contains("aws-iam-policy.json"));
    }
}
