//! AWS Config: recorder and delivery-channel status per region, every recorded resource through
//! SelectResourceConfig (one query per type, so types page in parallel), and
//! ListDiscoveredResources + BatchGetResourceConfig for types the query does not return.
//! The organisation-wide variants read an aggregator.

use aws_sdk_config::types::{AggregateResourceIdentifier, ResourceKey, ResourceType};
use serde_json::{json, Map, Value};

use super::errors::{classify, is_region_not_enabled, CallSite};
use super::normalize::{configuration_item, select_row};
use super::Ctx;
use crate::model::{ErrorKind, Provider, Resource};

pub const RECORDER_STATUS: &str = "AWS::Config::RecorderStatus";

/// Select pages hold at most 100 rows; BatchGet takes at most 100 keys.
const PAGE: i32 = 100;
const BATCH: usize = 100;

/// The columns every query selects: enough for `normalize::configuration_item`.
const COLUMNS: &str = "resourceId, resourceName, resourceType, arn, accountId, awsRegion, \
    configurationItemStatus, configuration, supplementaryConfiguration, tags";

/// The query for one resource type. Types are fixed identifiers (`AWS::S3::Bucket`); anything
/// else is refused rather than quoted into the query.
pub fn select_expression(resource_type: &str) -> Option<String> {
    let valid = resource_type.split("::").count() == 3
        && resource_type
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ':');
    valid.then(|| format!("SELECT {COLUMNS} WHERE resourceType = '{resource_type}'"))
}

/// What the recorder status call found in a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    /// At least one recorder is on: Config data is current.
    On,
    /// Recorders exist but none records: data may be stale.
    Stopped,
    /// No recorder: Config has no data here.
    NotSetUp,
}

/// Why a region could not be read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionGap {
    /// The region answers as not enabled for the account (skipped with `--regions all`).
    NotEnabled,
    /// Reported as an error event already.
    Reported,
}

/// Recorder and delivery-channel status for a region; emits the `AWS::Config::RecorderStatus`
/// resource when `emit` and an error when Config does not record.
pub async fn recorder_status(
    ctx: &Ctx,
    client: &aws_sdk_config::Client,
    account: &str,
    region: &str,
    emit: bool,
    quiet_if_not_enabled: bool,
) -> Result<Recording, RegionGap> {
    let site = |api| CallSite {
        account,
        region: Some(region),
        resource_type: None,
        api,
    };
    // The three descriptions are independent: one round trip instead of three.
    let (recorders, statuses, channels) = futures::join!(
        ctx.call(client.describe_configuration_recorders().send()),
        ctx.call(client.describe_configuration_recorder_status().send()),
        ctx.call(client.describe_delivery_channels().send()),
    );
    // The first failure speaks for the region (a denied region fails all three alike).
    macro_rules! check {
        ($res:expr, $api:literal) => {
            match $res {
                Ok(o) => o,
                Err(e) => {
                    if quiet_if_not_enabled && is_region_not_enabled(&e) {
                        return Err(RegionGap::NotEnabled);
                    }
                    ctx.error(site($api).sdk_error(&e)).await;
                    return Err(RegionGap::Reported);
                }
            }
        };
    }
    let recorders = check!(recorders, "config:DescribeConfigurationRecorders");
    let statuses = check!(statuses, "config:DescribeConfigurationRecorderStatus");
    let channels = check!(channels, "config:DescribeDeliveryChannels");
    // Delivery status only adds detail to the status resource: a failure here does not stop
    // the region's collection, it is a gap in that resource alone.
    let channel_statuses = if channels.delivery_channels().is_empty() {
        None
    } else {
        let res = ctx
            .call(client.describe_delivery_channel_status().send())
            .await;
        match res {
            Ok(o) => Some(o),
            Err(e) => {
                let mut err = site("config:DescribeDeliveryChannelStatus").sdk_error(&e);
                err.resource_type = Some(RECORDER_STATUS.to_string());
                ctx.error(err).await;
                None
            }
        }
    };

    let recorders_json: Vec<Value> = recorders
        .configuration_recorders()
        .iter()
        .map(|r| {
            let status = statuses.configuration_recorders_status().iter().find(|s| s.name() == r.name());
            json!({
                "name": r.name(),
                "recording": status.is_some_and(|s| s.recording()),
                "lastStatus": status.and_then(|s| s.last_status()).map(|s| s.as_str()),
                "allSupported": r.recording_group().map(|g| g.all_supported()),
                "includeGlobalResourceTypes": r.recording_group().map(|g| g.include_global_resource_types()),
            })
        })
        .collect();
    let channels_json: Vec<Value> = channels
        .delivery_channels()
        .iter()
        .map(|c| {
            let status = channel_statuses.as_ref().and_then(|cs| {
                cs.delivery_channels_status()
                    .iter()
                    .find(|s| s.name() == c.name())
            });
            json!({
                "name": c.name(),
                "s3BucketName": c.s3_bucket_name(),
                "lastStatus": status
                    .and_then(|s| s.config_history_delivery_info())
                    .and_then(|i| i.last_status())
                    .map(|s| s.as_str()),
            })
        })
        .collect();
    let state = if recorders_json.is_empty() {
        Recording::NotSetUp
    } else if recorders_json
        .iter()
        .any(|r| r["recording"] == Value::Bool(true))
    {
        Recording::On
    } else {
        Recording::Stopped
    };
    if emit {
        let mut configuration = Map::new();
        configuration.insert("recorders".into(), Value::Array(recorders_json));
        configuration.insert("deliveryChannels".into(), Value::Array(channels_json));
        ctx.resource(Resource {
            provider: Provider::Aws,
            account: account.to_string(),
            region: region.to_string(),
            resource_type: RECORDER_STATUS.to_string(),
            id: format!("arn:aws:config:{region}:{account}:recorder-status"),
            name: format!("config-recorder-{region}"),
            tags: Default::default(),
            config: json!({"configuration": configuration, "supplementaryConfiguration": {}}),
        })
        .await;
    }
    match state {
        Recording::On => {}
        Recording::Stopped => {
            ctx.error(site("config:DescribeConfigurationRecorderStatus").error(
                ErrorKind::Unavailable,
                "AWS Config is set up but not recording here: its data may be stale (start the recorder)",
            ))
            .await
        }
        Recording::NotSetUp => {
            ctx.error(site("config:DescribeConfigurationRecorders").error(
                ErrorKind::Unavailable,
                "AWS Config is not set up here: resources of Config-recorded types are missing (enable a recorder)",
            ))
            .await
        }
    }
    Ok(state)
}

/// Resource types present in the region, from an aggregate query (one call). Empty on any
/// failure: the caller falls back to the known types.
pub async fn discovered_types(ctx: &Ctx, client: &aws_sdk_config::Client) -> Vec<String> {
    let res = ctx
        .call(
            client
                .select_resource_config()
                .expression("SELECT resourceType, COUNT(*) GROUP BY resourceType")
                .limit(PAGE)
                .send(),
        )
        .await;
    let Ok(out) = res else { return Vec::new() };
    out.results()
        .iter()
        .filter_map(|row| serde_json::from_str::<Value>(row).ok())
        .filter_map(|v| {
            v.get("resourceType")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

/// How a type's select went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selected {
    /// Rows arrived (this many resources).
    Rows(usize),
    /// The query returned nothing or is not supported for the type: try the listing.
    Nothing,
    /// An error was reported; do not fall back (it would fail the same way).
    Failed,
}

/// Where a select query runs: one account's region, or an organisation's aggregator.
#[derive(Debug, Clone, Copy)]
pub enum SelectScope<'a> {
    Region {
        account: &'a str,
        region: &'a str,
    },
    Aggregator {
        home_account: &'a str,
        name: &'a str,
    },
}

/// SelectResourceConfig (or its aggregate form) for one type, page by page; resources are
/// sent as pages arrive.
pub async fn select_type(
    ctx: &Ctx,
    client: &aws_sdk_config::Client,
    scope: SelectScope<'_>,
    resource_type: &str,
) -> Selected {
    let (account, region, api, progress_scope) = match scope {
        SelectScope::Region { account, region } => (
            account,
            Some(region),
            "config:SelectResourceConfig",
            format!("aws/{account}/{region}"),
        ),
        SelectScope::Aggregator { home_account, name } => (
            home_account,
            None,
            "config:SelectAggregateResourceConfig",
            format!("aws/aggregator/{name}"),
        ),
    };
    let site = CallSite {
        account,
        region,
        resource_type: Some(resource_type),
        api,
    };
    let Some(expr) = select_expression(resource_type) else {
        ctx.error(site.error(
            ErrorKind::InvalidResponse,
            format!("'{resource_type}' is not a resource type name"),
        ))
        .await;
        return Selected::Failed;
    };
    let mut token: Option<String> = None;
    let mut n = 0usize;
    let mut pages = 0u64;
    loop {
        // Both forms answer rows and a token; errors are reduced to (code, kind, message).
        let page: Result<Page, Failure> = match scope {
            SelectScope::Region { .. } => ctx
                .call(
                    client
                        .select_resource_config()
                        .expression(&expr)
                        .limit(PAGE)
                        .set_next_token(token.clone())
                        .send(),
                )
                .await
                .map(|o| (o.results().to_vec(), o.next_token().map(str::to_string)))
                .map_err(|e| failure(&e)),
            SelectScope::Aggregator { name, .. } => ctx
                .call(
                    client
                        .select_aggregate_resource_config()
                        .configuration_aggregator_name(name)
                        .expression(&expr)
                        .limit(PAGE)
                        .set_next_token(token.clone())
                        .send(),
                )
                .await
                .map(|o| (o.results().to_vec(), o.next_token().map(str::to_string)))
                .map_err(|e| failure(&e)),
        };
        let (rows, next) = match page {
            Ok(p) => p,
            Err((code, kind, msg)) => {
                // A type the query language does not support: the listing may still have it.
                if n == 0
                    && matches!(
                        code.as_deref(),
                        Some("InvalidExpressionException" | "ValidationException")
                    )
                {
                    return Selected::Nothing;
                }
                ctx.error(site.error(kind, format!("{msg} (after {n} resources)")))
                    .await;
                return Selected::Failed;
            }
        };
        pages += 1;
        for row in &rows {
            match select_row(row, account) {
                Ok(Some(r)) => {
                    n += 1;
                    ctx.resource(r).await;
                }
                Ok(None) => {}
                Err(e) => {
                    ctx.error(site.error(ErrorKind::InvalidResponse, format!("a result row: {e}")))
                        .await
                }
            }
        }
        ctx.progress(
            progress_scope.clone(),
            pages,
            None,
            format!("{resource_type}: {n}"),
        )
        .await;
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    if n == 0 {
        Selected::Nothing
    } else {
        Selected::Rows(n)
    }
}

/// One page of a select: rows and the next token.
type Page = (Vec<String>, Option<String>);
/// A failed call: error code, kind and message.
type Failure = (Option<String>, ErrorKind, String);

/// An SDK error as a `Failure`.
fn failure<E, R>(e: &aws_sdk_config::error::SdkError<E, R>) -> Failure
where
    E: aws_sdk_config::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let code = e
        .as_service_error()
        .and_then(|s| s.code())
        .map(str::to_string);
    let (kind, msg) = classify(e);
    (code, kind, msg)
}

/// ListDiscoveredResources + BatchGetResourceConfig (100 keys a call) for one type.
pub async fn list_and_get(
    ctx: &Ctx,
    client: &aws_sdk_config::Client,
    account: &str,
    region: &str,
    resource_type: &str,
) -> usize {
    let site = |api| CallSite {
        account,
        region: Some(region),
        resource_type: Some(resource_type),
        api,
    };
    let rt = ResourceType::from(resource_type);
    let mut ids: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let res = ctx
            .call(
                client
                    .list_discovered_resources()
                    .resource_type(rt.clone())
                    .limit(PAGE)
                    .set_next_token(token.clone())
                    .send(),
            )
            .await;
        let out = match res {
            Ok(o) => o,
            Err(e) => {
                ctx.error(site("config:ListDiscoveredResources").sdk_error(&e))
                    .await;
                return 0;
            }
        };
        ids.extend(
            out.resource_identifiers()
                .iter()
                .filter_map(|r| r.resource_id().map(str::to_string)),
        );
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut n = 0;
    for chunk in ids.chunks(BATCH) {
        let mut keys: Vec<ResourceKey> = chunk
            .iter()
            .filter_map(|id| {
                ResourceKey::builder()
                    .resource_type(rt.clone())
                    .resource_id(id)
                    .build()
                    .ok()
            })
            .collect();
        // Unprocessed keys are retried a few times, then reported.
        for attempt in 0..3 {
            let res = ctx
                .call(
                    client
                        .batch_get_resource_config()
                        .set_resource_keys(Some(keys.clone()))
                        .send(),
                )
                .await;
            let out = match res {
                Ok(o) => o,
                Err(e) => {
                    ctx.error(site("config:BatchGetResourceConfig").sdk_error(&e))
                        .await;
                    break;
                }
            };
            n += emit_items(
                ctx,
                out.base_configuration_items(),
                account,
                &site("config:BatchGetResourceConfig"),
            )
            .await;
            keys = out.unprocessed_resource_keys().to_vec();
            if keys.is_empty() {
                break;
            }
            if attempt == 2 {
                ctx.error(site("config:BatchGetResourceConfig").error(
                    ErrorKind::Throttled,
                    format!(
                        "{} resources stayed unprocessed after 3 attempts",
                        keys.len()
                    ),
                ))
                .await;
            }
        }
    }
    n
}

/// Decode and send BatchGet items; an item that does not decode is an error for the call.
async fn emit_items(
    ctx: &Ctx,
    items: &[aws_sdk_config::types::BaseConfigurationItem],
    account: &str,
    site: &CallSite<'_>,
) -> usize {
    let mut n = 0;
    for item in items {
        match configuration_item(&base_item_json(item), account) {
            Ok(Some(r)) => {
                n += 1;
                ctx.resource(r).await;
            }
            Ok(None) => {}
            Err(e) => {
                ctx.error(site.error(ErrorKind::InvalidResponse, e.to_string()))
                    .await
            }
        }
    }
    n
}

/// An SDK configuration item back to the API-form JSON the normaliser reads.
fn base_item_json(item: &aws_sdk_config::types::BaseConfigurationItem) -> Value {
    let supplementary: Map<String, Value> = item
        .supplementary_configuration()
        .map(|m| {
            let mut entries: Vec<_> = m.iter().collect();
            entries.sort();
            entries
                .into_iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "accountId": item.account_id(),
        "arn": item.arn(),
        "resourceType": item.resource_type().map(|t| t.as_str()),
        "resourceId": item.resource_id(),
        "resourceName": item.resource_name(),
        "awsRegion": item.aws_region(),
        "configurationItemStatus": item.configuration_item_status().map(|s| s.as_str()),
        "configuration": item.configuration(),
        "supplementaryConfiguration": supplementary,
    })
}

/// ListAggregateDiscoveredResources + BatchGetAggregateResourceConfig for one type.
pub async fn aggregate_list_and_get(
    ctx: &Ctx,
    client: &aws_sdk_config::Client,
    home_account: &str,
    aggregator: &str,
    resource_type: &str,
) -> usize {
    let site = |api| CallSite {
        account: home_account,
        region: None,
        resource_type: Some(resource_type),
        api,
    };
    let rt = ResourceType::from(resource_type);
    let mut ids: Vec<AggregateResourceIdentifier> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let res = ctx
            .call(
                client
                    .list_aggregate_discovered_resources()
                    .configuration_aggregator_name(aggregator)
                    .resource_type(rt.clone())
                    .limit(PAGE)
                    .set_next_token(token.clone())
                    .send(),
            )
            .await;
        let out = match res {
            Ok(o) => o,
            Err(e) => {
                ctx.error(site("config:ListAggregateDiscoveredResources").sdk_error(&e))
                    .await;
                return 0;
            }
        };
        ids.extend(out.resource_identifiers().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut n = 0;
    for chunk in ids.chunks(BATCH) {
        let res = ctx
            .call(
                client
                    .batch_get_aggregate_resource_config()
                    .configuration_aggregator_name(aggregator)
                    .set_resource_identifiers(Some(chunk.to_vec()))
                    .send(),
            )
            .await;
        let out = match res {
            Ok(o) => o,
            Err(e) => {
                ctx.error(site("config:BatchGetAggregateResourceConfig").sdk_error(&e))
                    .await;
                continue;
            }
        };
        n += emit_items(
            ctx,
            out.base_configuration_items(),
            home_account,
            &site("config:BatchGetAggregateResourceConfig"),
        )
        .await;
        if !out.unprocessed_resource_identifiers().is_empty() {
            ctx.error(site("config:BatchGetAggregateResourceConfig").error(
                ErrorKind::Throttled,
                format!(
                    "{} resources were left unprocessed",
                    out.unprocessed_resource_identifiers().len()
                ),
            ))
            .await;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_quote_only_type_names() {
        assert_eq!(
            select_expression("AWS::S3::Bucket").unwrap(),
            format!("SELECT {COLUMNS} WHERE resourceType = 'AWS::S3::Bucket'")
        );
        assert!(select_expression("AWS::S3::Bucket' OR 1=1").is_none());
        assert!(select_expression("Bucket").is_none());
    }
}
