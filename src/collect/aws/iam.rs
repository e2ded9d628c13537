//! IAM: the credential report (generate, poll with backoff, parse the CSV), the account password
//! policy, the account summary and GetAccountAuthorizationDetails (users, groups, roles,
//! customer-managed policies), shaped like the AWS Config items of the same types.

use std::time::Duration;

use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use aws_sdk_iam::types::{EntityType, ReportStateType};
use serde_json::{json, Map, Value};

use super::errors::{classify, CallSite};
use super::normalize::{decode_policy_document, tags_of};
use super::Ctx;
use crate::model::{ErrorKind, Provider, Resource};

pub const USER: &str = "AWS::IAM::User";
pub const ROLE: &str = "AWS::IAM::Role";
pub const GROUP: &str = "AWS::IAM::Group";
pub const POLICY: &str = "AWS::IAM::Policy";
pub const PASSWORD_POLICY: &str = "AWS::IAM::AccountPasswordPolicy";
pub const ACCOUNT_SUMMARY: &str = "AWS::IAM::AccountSummary";
pub const CREDENTIAL_REPORT: &str = "AWS::IAM::CredentialReport";

/// Types read from IAM's GetAccountAuthorizationDetails.
pub const AUTH_DETAIL_TYPES: [&str; 4] = [USER, ROLE, GROUP, POLICY];
/// Every type this module produces.
pub const TYPES: [&str; 7] = [
    USER,
    ROLE,
    GROUP,
    POLICY,
    PASSWORD_POLICY,
    ACCOUNT_SUMMARY,
    CREDENTIAL_REPORT,
];

fn global_resource(
    account: &str,
    resource_type: &str,
    id: String,
    name: String,
    configuration: Value,
) -> Resource {
    let tags = tags_of(configuration.get("tags")).unwrap_or_default();
    Resource {
        provider: Provider::Aws,
        account: account.to_string(),
        region: "global".to_string(),
        resource_type: resource_type.to_string(),
        id,
        name,
        tags,
        config: json!({"configuration": configuration, "supplementaryConfiguration": {}}),
    }
}

/// Where an account-wide IAM call failed.
fn global_site<'a>(account: &'a str, resource_type: &'a str, api: &'a str) -> CallSite<'a> {
    CallSite {
        account,
        region: None,
        resource_type: Some(resource_type),
        api,
    }
}

fn date(d: Option<&DateTime>) -> Value {
    d.and_then(|d| d.fmt(DateTimeFormat::DateTime).ok())
        .map_or(Value::Null, Value::String)
}

fn doc(s: Option<&str>) -> Value {
    match s {
        None => Value::Null,
        Some(s) => decode_policy_document(s).unwrap_or_else(|| Value::String(s.to_string())),
    }
}

fn inline(list: &[aws_sdk_iam::types::PolicyDetail]) -> Value {
    list.iter()
        .map(|p| json!({"policyName": p.policy_name(), "policyDocument": doc(p.policy_document())}))
        .collect()
}

fn attached(list: &[aws_sdk_iam::types::AttachedPolicy]) -> Value {
    list.iter()
        .map(|p| json!({"policyName": p.policy_name(), "policyArn": p.policy_arn()}))
        .collect()
}

fn tags(list: &[aws_sdk_iam::types::Tag]) -> Value {
    list.iter()
        .map(|t| json!({"key": t.key(), "value": t.value()}))
        .collect()
}

fn boundary(b: Option<&aws_sdk_iam::types::AttachedPermissionsBoundary>) -> Value {
    b.map_or(Value::Null, |b| {
        json!({
            "permissionsBoundaryArn": b.permissions_boundary_arn(),
            "permissionsBoundaryType": b.permissions_boundary_type().map(|t| t.as_str()),
        })
    })
}

/// GetAccountAuthorizationDetails, page by page, for the wanted types only.
pub async fn authorization_details(
    ctx: &Ctx,
    client: &aws_sdk_iam::Client,
    account: &str,
    wanted: &[&str],
) {
    let filters: Vec<EntityType> = wanted
        .iter()
        .filter_map(|t| match *t {
            USER => Some(EntityType::User),
            ROLE => Some(EntityType::Role),
            GROUP => Some(EntityType::Group),
            POLICY => Some(EntityType::LocalManagedPolicy),
            _ => None,
        })
        .collect();
    if filters.is_empty() {
        return;
    }
    let site = CallSite {
        account,
        region: None,
        resource_type: None,
        api: "iam:GetAccountAuthorizationDetails",
    };
    let mfa = if wanted.contains(&USER) {
        virtual_mfa_by_user(ctx, client, account).await
    } else {
        None
    };
    let mut marker: Option<String> = None;
    let mut pages = 0u64;
    loop {
        let res = ctx
            .call(
                client
                    .get_account_authorization_details()
                    .set_filter(Some(filters.clone()))
                    .set_marker(marker.clone())
                    .send(),
            )
            .await;
        let out = match res {
            Ok(o) => o,
            Err(e) => {
                let (kind, msg) = classify(&e);
                // Every wanted IAM type is incomplete.
                for t in wanted.iter().filter(|t| AUTH_DETAIL_TYPES.contains(t)) {
                    let mut err = site.error(kind, msg.clone());
                    err.resource_type = Some(t.to_string());
                    ctx.error(err).await;
                }
                return;
            }
        };
        pages += 1;
        for u in out.user_detail_list() {
            let c = json!({
                "path": u.path(), "userName": u.user_name(), "userId": u.user_id(), "arn": u.arn(),
                "createDate": date(u.create_date()),
                "userPolicyList": inline(u.user_policy_list()),
                "groupList": u.group_list(),
                "attachedManagedPolicies": attached(u.attached_managed_policies()),
                "permissionsBoundary": boundary(u.permissions_boundary()),
                "tags": tags(u.tags()),
                // Virtual devices only (hardware and FIDO keys are not listed here; the
                // credential report's mfa_active covers every kind). null: not read.
                "virtualMfaDevices": mfa.as_ref().map(|m| {
                    u.arn().and_then(|a| m.get(a)).cloned().unwrap_or_default()
                }),
            });
            emit(ctx, account, USER, u.arn(), u.user_name(), c).await;
        }
        for g in out.group_detail_list() {
            let c = json!({
                "path": g.path(), "groupName": g.group_name(), "groupId": g.group_id(), "arn": g.arn(),
                "createDate": date(g.create_date()),
                "groupPolicyList": inline(g.group_policy_list()),
                "attachedManagedPolicies": attached(g.attached_managed_policies()),
            });
            emit(ctx, account, GROUP, g.arn(), g.group_name(), c).await;
        }
        for r in out.role_detail_list() {
            let profiles: Value = r
                .instance_profile_list()
                .iter()
                .map(|p| json!({"instanceProfileName": p.instance_profile_name(), "arn": p.arn()}))
                .collect();
            let c = json!({
                "path": r.path(), "roleName": r.role_name(), "roleId": r.role_id(), "arn": r.arn(),
                "createDate": date(r.create_date()),
                "assumeRolePolicyDocument": doc(r.assume_role_policy_document()),
                "rolePolicyList": inline(r.role_policy_list()),
                "attachedManagedPolicies": attached(r.attached_managed_policies()),
                "instanceProfileList": profiles,
                "permissionsBoundary": boundary(r.permissions_boundary()),
                "roleLastUsed": r.role_last_used().map_or(Value::Null, |l| json!({
                    "lastUsedDate": date(l.last_used_date()), "region": l.region()})),
                "tags": tags(r.tags()),
            });
            emit(ctx, account, ROLE, r.arn(), r.role_name(), c).await;
        }
        for p in out.policies() {
            let versions: Value = p
                .policy_version_list()
                .iter()
                .map(|v| {
                    json!({"versionId": v.version_id(), "isDefaultVersion": v.is_default_version(),
                       "createDate": date(v.create_date()), "document": doc(v.document())})
                })
                .collect();
            let c = json!({
                "policyName": p.policy_name(), "policyId": p.policy_id(), "arn": p.arn(), "path": p.path(),
                "defaultVersionId": p.default_version_id(), "attachmentCount": p.attachment_count(),
                "permissionsBoundaryUsageCount": p.permissions_boundary_usage_count(),
                "isAttachable": p.is_attachable(), "description": p.description(),
                "createDate": date(p.create_date()), "updateDate": date(p.update_date()),
                "policyVersionList": versions,
            });
            emit(ctx, account, POLICY, p.arn(), p.policy_name(), c).await;
        }
        ctx.progress(
            format!("aws/{account}/global"),
            pages,
            None,
            "IAM authorization details".into(),
        )
        .await;
        match (out.is_truncated(), out.marker()) {
            (true, Some(m)) => marker = Some(m.to_string()),
            (true, None) => {
                ctx.error(site.error(
                    ErrorKind::InvalidResponse,
                    "IsTruncated without a Marker: the listing is incomplete",
                ))
                .await;
                return;
            }
            _ => return,
        }
    }
}

/// Assigned virtual MFA devices by user ARN; `None` (and an error) when they cannot be listed.
async fn virtual_mfa_by_user(
    ctx: &Ctx,
    client: &aws_sdk_iam::Client,
    account: &str,
) -> Option<std::collections::HashMap<String, Vec<Value>>> {
    let mut by_user: std::collections::HashMap<String, Vec<Value>> =
        std::collections::HashMap::new();
    let mut marker: Option<String> = None;
    loop {
        let res = ctx
            .call(
                client
                    .list_virtual_mfa_devices()
                    .assignment_status(aws_sdk_iam::types::AssignmentStatusType::Assigned)
                    .set_marker(marker.clone())
                    .send(),
            )
            .await;
        let out = match res {
            Ok(o) => o,
            Err(e) => {
                ctx.error(global_site(account, USER, "iam:ListVirtualMFADevices").sdk_error(&e))
                    .await;
                return None;
            }
        };
        for d in out.virtual_mfa_devices() {
            if let Some(user) = d.user() {
                by_user.entry(user.arn().to_string()).or_default().push(
                    json!({"serialNumber": d.serial_number(), "enableDate": date(d.enable_date())}),
                );
            }
        }
        match (out.is_truncated(), out.marker()) {
            (true, Some(m)) => marker = Some(m.to_string()),
            _ => return Some(by_user),
        }
    }
}

async fn emit(ctx: &Ctx, account: &str, t: &str, arn: Option<&str>, name: Option<&str>, c: Value) {
    let Some(arn) = arn else {
        let site = CallSite {
            account,
            region: None,
            resource_type: Some(t),
            api: "iam:GetAccountAuthorizationDetails",
        };
        ctx.error(site.error(
            ErrorKind::InvalidResponse,
            format!("an entry without an Arn ({})", name.unwrap_or("?")),
        ))
        .await;
        return;
    };
    // Fall back to the ARN's last path segment (some emulators leave names out).
    let name = name
        .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn))
        .to_string();
    ctx.resource(global_resource(account, t, arn.to_string(), name, c))
        .await;
}

/// The account password policy; none set is a state (`present: false`), not an error.
pub async fn password_policy(ctx: &Ctx, client: &aws_sdk_iam::Client, account: &str) {
    let res = ctx.call(client.get_account_password_policy().send()).await;
    let configuration = match res {
        Ok(out) => match out.password_policy() {
            Some(p) => json!({
                "present": true,
                "minimumPasswordLength": p.minimum_password_length(),
                "requireSymbols": p.require_symbols(),
                "requireNumbers": p.require_numbers(),
                "requireUppercaseCharacters": p.require_uppercase_characters(),
                "requireLowercaseCharacters": p.require_lowercase_characters(),
                "allowUsersToChangePassword": p.allow_users_to_change_password(),
                "expirePasswords": p.expire_passwords(),
                "maxPasswordAge": p.max_password_age(),
                "passwordReusePrevention": p.password_reuse_prevention(),
                "hardExpiry": p.hard_expiry(),
            }),
            None => json!({"present": false}),
        },
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            json!({"present": false})
        }
        Err(e) => {
            ctx.error(
                global_site(account, PASSWORD_POLICY, "iam:GetAccountPasswordPolicy").sdk_error(&e),
            )
            .await;
            return;
        }
    };
    let id = format!("arn:aws:iam::{account}:account-password-policy");
    ctx.resource(global_resource(
        account,
        PASSWORD_POLICY,
        id,
        "account-password-policy".into(),
        configuration,
    ))
    .await;
}

/// GetAccountSummary's map as is (root MFA, root access keys, counts).
pub async fn account_summary(ctx: &Ctx, client: &aws_sdk_iam::Client, account: &str) {
    let res = ctx.call(client.get_account_summary().send()).await;
    match res {
        Ok(out) => {
            let mut entries: Vec<(String, i32)> = out
                .summary_map()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.as_str().to_string(), *v))
                        .collect()
                })
                .unwrap_or_default();
            entries.sort();
            let map: Map<String, Value> = entries
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect();
            let id = format!("arn:aws:iam::{account}:account-summary");
            ctx.resource(global_resource(
                account,
                ACCOUNT_SUMMARY,
                id,
                "account-summary".into(),
                Value::Object(map),
            ))
            .await;
        }
        Err(e) => {
            ctx.error(global_site(account, ACCOUNT_SUMMARY, "iam:GetAccountSummary").sdk_error(&e))
                .await;
        }
    }
}

/// Generate the credential report (polling with backoff until it is complete), fetch it and
/// emit one resource per row, the root account's row included.
pub async fn credential_report(
    ctx: &Ctx,
    client: &aws_sdk_iam::Client,
    account: &str,
    timeout: Duration,
) {
    let site = |api| global_site(account, CREDENTIAL_REPORT, api);
    let started = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(200);
    loop {
        let res = ctx.call(client.generate_credential_report().send()).await;
        match res {
            Ok(out) if out.state() == Some(&ReportStateType::Complete) => break,
            Ok(_) => {}
            Err(e) => {
                ctx.error(site("iam:GenerateCredentialReport").sdk_error(&e))
                    .await;
                return;
            }
        }
        if started.elapsed() + delay > timeout {
            ctx.error(site("iam:GenerateCredentialReport").error(
                ErrorKind::Unavailable,
                format!(
                    "the credential report was not ready after {}s: try again later",
                    timeout.as_secs()
                ),
            ))
            .await;
            return;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
    let res = ctx.call(client.get_credential_report().send()).await;
    let content = match res {
        Ok(out) => out
            .content()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default(),
        Err(e) => {
            ctx.error(site("iam:GetCredentialReport").sdk_error(&e))
                .await;
            return;
        }
    };
    match parse_credential_report(&content, account) {
        Ok(rows) => {
            for r in rows {
                ctx.resource(r).await;
            }
        }
        Err(msg) => {
            ctx.error(site("iam:GetCredentialReport").error(ErrorKind::InvalidResponse, msg))
                .await
        }
    }
}

/// The credential report CSV to one resource per row. `true`/`false` become booleans;
/// `N/A`, `no_information`, `not_supported` and empty cells become null.
pub fn parse_credential_report(csv_bytes: &[u8], account: &str) -> Result<Vec<Resource>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv_bytes);
    let headers = reader
        .headers()
        .map_err(|e| format!("credential report CSV header: {e}"))?
        .clone();
    if !headers.iter().any(|h| h == "arn") || !headers.iter().any(|h| h == "user") {
        return Err(format!(
            "credential report has no user/arn columns (header: {})",
            headers.iter().collect::<Vec<_>>().join(",")
        ));
    }
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| format!("credential report CSV row {}: {e}", i + 2))?;
        let mut row = Map::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            let value = match v {
                "true" | "TRUE" => Value::Bool(true),
                "false" | "FALSE" => Value::Bool(false),
                "N/A" | "no_information" | "not_supported" | "" => Value::Null,
                other => Value::String(other.to_string()),
            };
            row.insert(h.to_string(), value);
        }
        let user = row
            .get("user")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let arn = row
            .get("arn")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("credential report row {} has no arn", i + 2))?;
        out.push(global_resource(
            account,
            CREDENTIAL_REPORT,
            arn,
            user,
            Value::Object(row),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n\
<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2024-01-01T00:00:00+00:00,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
alice,arn:aws:iam::123456789012:user/alice,2024-01-01T00:00:00+00:00,true,no_information,2024-01-01T00:00:00+00:00,N/A,false,true,2024-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n";

    #[test]
    fn credential_report_rows() {
        let rows = parse_credential_report(REPORT.as_bytes(), "123456789012").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].name, "<root_account>");
        assert_eq!(rows[0].id, "arn:aws:iam::123456789012:root");
        let alice = &rows[1].config["configuration"];
        assert_eq!(alice["password_enabled"], Value::Bool(true));
        assert_eq!(alice["mfa_active"], Value::Bool(false));
        assert_eq!(alice["password_last_used"], Value::Null);
        assert_eq!(
            alice["access_key_1_last_rotated"],
            "2024-01-01T00:00:00+00:00"
        );
        assert_eq!(rows[1].region, "global");
        assert_eq!(rows[1].resource_type, CREDENTIAL_REPORT);
    }

    #[test]
    fn credential_report_without_columns_is_an_error() {
        assert!(parse_credential_report(b"a,b\n1,2\n", "1").is_err());
        assert!(parse_credential_report(b"user,arn\n\"unterminated,x\n", "1").is_err());
    }
}
