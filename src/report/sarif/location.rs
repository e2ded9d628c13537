//! Where a cloud resource "is" for a code-scanning dashboard: a scheme-free, deterministic
//! pseudo path (GitHub rejects any URI with a scheme, and an ARN parses as scheme `arn`).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::model::{Finding, Provider};

/// Everything outside `[A-Za-z0-9._~/-]` is percent-encoded.
const PATH_UNSAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/')
    .remove(b'-');

/// `cloud/<provider>/<account>/<region>/<service>/<tail>` for a finding's resource.
///
/// The tail is the resource part of an ARN (`role/admin`), the Azure id below the subscription
/// without its `providers/<namespace>` pair (`resourcegroups/rg/storageaccounts/name`), the rest
/// of a scope id (`aws/<account>/...`), or else the resource name. Azure paths are lower-cased
/// because Azure ids are case-insensitive. The result never has a leading `/`, a `:` or `..`.
pub fn pseudo_path(
    provider: Provider,
    account: &str,
    region: &str,
    resource_type: &str,
    resource_id: &str,
    resource_name: &str,
) -> String {
    let service = service_of(provider, resource_type, resource_id);
    let tail = tail_of(provider, account, resource_id, resource_name);
    let raw = format!(
        "cloud/{}/{account}/{region}/{service}/{tail}",
        provider.as_str()
    );
    let raw = if provider == Provider::Azure {
        raw.to_ascii_lowercase()
    } else {
        raw
    };
    sanitize(&raw)
}

/// The pseudo path of a finding's resource.
pub fn finding_path(f: &Finding) -> String {
    pseudo_path(
        f.provider,
        &f.account,
        &f.region,
        &f.resource_type,
        &f.resource_id,
        &f.resource_name,
    )
}

/// `AWS::S3::Bucket` -> `s3`; `microsoft.storage/storageaccounts` -> `storage`.
fn service_of(provider: Provider, resource_type: &str, resource_id: &str) -> String {
    let from_type = match provider {
        Provider::Aws => resource_type
            .split("::")
            .nth(1)
            .map(str::to_ascii_lowercase),
        Provider::Azure => resource_type
            .split('/')
            .next()
            .filter(|ns| ns.contains('.'))
            .map(|ns| {
                ns.to_ascii_lowercase()
                    .trim_start_matches("microsoft.")
                    .to_string()
            }),
    };
    if let Some(s) = from_type.filter(|s| !s.is_empty()) {
        return s;
    }
    // No usable type (synthetic or scope findings): fall back to the ARN's service field.
    if let Some(s) = resource_id
        .strip_prefix("arn:")
        .and_then(|r| r.split(':').nth(1))
    {
        if !s.is_empty() {
            return s.to_ascii_lowercase();
        }
    }
    "account".to_string()
}

fn tail_of(provider: Provider, account: &str, id: &str, name: &str) -> String {
    // ARN: arn:partition:service:region:account:resource
    if let Some(rest) = id.strip_prefix("arn:") {
        if let Some(resource) = rest.splitn(5, ':').nth(4).filter(|r| !r.is_empty()) {
            return resource.to_string();
        }
    }
    let lower = id.to_ascii_lowercase();
    if provider == Provider::Azure && lower.starts_with("/subscriptions/") {
        let segs: Vec<&str> = lower.split('/').filter(|s| !s.is_empty()).skip(2).collect();
        let mut out = Vec::with_capacity(segs.len());
        let mut i = 0;
        let mut skipped_provider = false;
        while i < segs.len() {
            if !skipped_provider && segs[i] == "providers" && i + 1 < segs.len() {
                skipped_provider = true;
                i += 2;
                continue;
            }
            out.push(segs[i]);
            i += 1;
        }
        if !out.is_empty() {
            return out.join("/");
        }
        return "subscription".to_string();
    }
    // Scope ids such as `aws/123456789012/eu-west-1/AWS::S3::Bucket`.
    let scope_prefix = format!("{}/{}", provider.as_str(), account);
    if let Some(rest) = id.strip_prefix(&scope_prefix) {
        let rest = rest.trim_start_matches('/');
        return if rest.is_empty() {
            "account".to_string()
        } else {
            rest.to_string()
        };
    }
    if !name.is_empty() {
        name.to_string()
    } else if !id.is_empty() {
        id.to_string()
    } else {
        "resource".to_string()
    }
}

/// `:` -> `/`, empty segments dropped, percent-encoding outside the safe set, and a `.` that
/// follows a `.` encoded so that no `..` segment (or substring) survives.
fn sanitize(raw: &str) -> String {
    let slashed = raw.replace(':', "/");
    let joined = slashed
        .split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    let encoded = utf8_percent_encode(&joined, PATH_UNSAFE).to_string();
    let mut out = String::with_capacity(encoded.len());
    for c in encoded.chars() {
        if c == '.' && out.ends_with('.') {
            out.push_str("%2E");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_arns_become_readable_paths() {
        assert_eq!(
            pseudo_path(
                Provider::Aws,
                "123456789012",
                "us-east-1",
                "AWS::S3::Bucket",
                "arn:aws:s3:::my-bucket",
                "my-bucket"
            ),
            "cloud/aws/123456789012/us-east-1/s3/my-bucket"
        );
        assert_eq!(
            pseudo_path(
                Provider::Aws,
                "123456789012",
                "global",
                "AWS::IAM::Role",
                "arn:aws:iam::123456789012:role/admin",
                "admin"
            ),
            "cloud/aws/123456789012/global/iam/role/admin"
        );
        assert_eq!(
            pseudo_path(
                Provider::Aws,
                "1",
                "eu-west-1",
                "AWS::Lambda::Function",
                "arn:aws:lambda:eu-west-1:1:function:fn",
                "fn"
            ),
            "cloud/aws/1/eu-west-1/lambda/function/fn"
        );
    }

    #[test]
    fn azure_ids_are_lower_cased_and_lose_the_provider_namespace() {
        let id = "/subscriptions/AAAA-1/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/Acct";
        assert_eq!(
            pseudo_path(
                Provider::Azure,
                "AAAA-1",
                "westeurope",
                "microsoft.storage/storageaccounts",
                id,
                "Acct"
            ),
            "cloud/azure/aaaa-1/westeurope/storage/resourcegroups/rg/storageaccounts/acct"
        );
    }

    #[test]
    fn scope_ids_and_odd_characters_are_safe() {
        let p = pseudo_path(
            Provider::Aws,
            "1",
            "eu-west-1",
            "AWS::Account",
            "aws/1/eu-west-1/AWS::S3::Bucket",
            "",
        );
        assert_eq!(p, "cloud/aws/1/eu-west-1/account/eu-west-1/AWS/S3/Bucket");
        let p = pseudo_path(Provider::Aws, "1", "global", "", "weird id", "../x y%?#");
        assert_eq!(p, "cloud/aws/1/global/account/.%2E/x%20y%25%3F%23");
        assert!(!p.contains(".."));
        assert!(!p.starts_with('/'));
    }
}
