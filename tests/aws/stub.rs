//! A local stub of the AWS Config JSON protocol (and STS GetCallerIdentity), serving items built
//! from the configuration items recorded in shared/reference/aws-config, with the faults moto
//! cannot produce: paging over thousands of items, aggregators, throttling bursts, 5xx,
//! truncated bodies, AccessDenied in one region, latency and a per-API call cap.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const HOME_ACCOUNT: &str = "111111111111";

const EVENTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/aws-config/examples/aws-iam-access-analyzer-policy-validation-config-rule/function/sample-events"
);

/// Recorded API-form items (non-IAM types: IAM comes from IAM itself).
const TEMPLATES: &[&str] = &[
    "history-s3-bucket.json",
    "history-kms-key.json",
    "history-sqs-queue.json",
    "history-sns-topic.json",
    "history-secretsmanager-secret.json",
    "history-logs-destination.json",
    "history-s3-ap.json",
];

/// The recorded items, one per type, in API form.
pub fn templates() -> Vec<Value> {
    TEMPLATES
        .iter()
        .map(|f| {
            let path = format!("{EVENTS}/{f}");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let v: Value = serde_json::from_str(&text).unwrap();
            v["configurationItems"][0].clone()
        })
        .collect()
}

pub fn template_types() -> Vec<String> {
    templates()
        .iter()
        .map(|t| t["resourceType"].as_str().unwrap().to_string())
        .collect()
}

/// `n` API-form items cycling through the templates, each with its own id, in `accounts` x
/// `regions` (round robin).
pub fn make_items(n: usize, accounts: &[&str], regions: &[&str]) -> Vec<Value> {
    let t = templates();
    (0..n)
        .map(|i| {
            let mut it = t[i % t.len()].clone();
            let account = accounts[(i / t.len()) % accounts.len()];
            let region = regions[(i / (t.len() * accounts.len())) % regions.len()];
            let suffix = format!("-{i:05}");
            for key in ["resourceId", "resourceName", "arn"] {
                if let Some(s) = it[key].as_str() {
                    it[key] = Value::String(format!("{s}{suffix}"));
                }
            }
            if let Some(arn) = it["arn"].as_str() {
                let parts: Vec<&str> = arn.splitn(6, ':').collect();
                if parts.len() == 6 && !parts[4].is_empty() {
                    it["arn"] = Value::String(format!(
                        "{}:{}:{}:{region}:{account}:{}",
                        parts[0], parts[1], parts[2], parts[5]
                    ));
                }
            }
            it["accountId"] = account.into();
            it["awsRegion"] = region.into();
            it
        })
        .collect()
}

/// API form to the Select row form: configuration parsed once, each supplementary value
/// parsed once (double-encoded ones stay strings, as in real Select rows), tags as a list.
pub fn select_row(item: &Value) -> String {
    let configuration: Value = match &item["configuration"] {
        Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
        other => other.clone(),
    };
    let supplementary: serde_json::Map<String, Value> = item["supplementaryConfiguration"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let once = v
                        .as_str()
                        .and_then(|s| serde_json::from_str(s).ok())
                        .unwrap_or_else(|| v.clone());
                    (k.clone(), once)
                })
                .collect()
        })
        .unwrap_or_default();
    let tags: Vec<Value> = item["tags"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "resourceId": item["resourceId"], "resourceName": item["resourceName"],
        "resourceType": item["resourceType"], "arn": item["arn"], "accountId": item["accountId"],
        "awsRegion": item["awsRegion"], "configurationItemStatus": item["configurationItemStatus"],
        "configuration": configuration, "supplementaryConfiguration": supplementary, "tags": tags,
    })
    .to_string()
}

/// The BatchGet form: every supplementary value a string, times in epoch seconds.
fn base_item(item: &Value) -> Value {
    let mut it = item.clone();
    let obj = it.as_object_mut().unwrap();
    obj.remove("tags");
    obj.remove("relatedEvents");
    obj.remove("relationships");
    obj.remove("configurationItemMD5Hash");
    obj.insert(
        "configurationItemCaptureTime".into(),
        json!(1_700_000_000.0),
    );
    obj.insert("resourceCreationTime".into(), json!(1_700_000_000.0));
    it
}

/// Faults and limits, shared by every call.
#[derive(Default)]
pub struct Faults {
    /// This many Select calls (of either kind) answer ThrottlingException first.
    pub throttle_selects: AtomicUsize,
    /// This many Select calls answer 503 first.
    pub unavailable_selects: AtomicUsize,
    /// Every call in these regions answers AccessDeniedException.
    pub denied_regions: BTreeSet<String>,
    /// When not empty, other regions answer as not enabled (UnrecognizedClientException).
    pub enabled_regions: BTreeSet<String>,
    /// Select for these types answers a body cut in half.
    pub truncated_types: BTreeSet<String>,
    /// Select for these types always answers 500.
    pub broken_types: BTreeSet<String>,
    /// Select returns nothing for these types; only ListDiscoveredResources knows them.
    pub list_only_types: BTreeSet<String>,
    /// Latency of every call.
    pub latency: Duration,
    /// At most this many calls per second per API (queued, as a rate-limited service would).
    pub calls_per_second: Option<u32>,
}

struct State {
    items: Vec<Value>,
    /// Select rows of `items`, rendered once (the stub must not be the benchmark's bottleneck).
    rows: Vec<String>,
    faults: Faults,
    /// Next free slot per API, for the call cap.
    slots: Mutex<HashMap<String, Instant>>,
    pub throttled: AtomicUsize,
}

pub struct ConfigStub {
    pub server: MockServer,
    state: std::sync::Arc<State>,
}

struct Handler(std::sync::Arc<State>);

fn region_of(req: &Request) -> String {
    let auth = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Credential=AKID/20261123/us-east-1/config/aws4_request
    auth.split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').nth(2))
        .unwrap_or("us-east-1")
        .to_string()
}

fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_raw(body.to_string().into_bytes(), "application/x-amz-json-1.1")
}

fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    json_response(status, json!({"__type": code, "message": message}))
}

fn type_of_expression(expr: &str) -> Option<String> {
    let start = expr.find("resourceType = '")? + "resourceType = '".len();
    let end = expr[start..].find('\'')? + start;
    Some(expr[start..end].to_string())
}

impl Handler {
    fn delay(&self, api: &str) -> Duration {
        let f = &self.0.faults;
        let now = Instant::now();
        let wait = match f.calls_per_second {
            None => Duration::ZERO,
            Some(cap) => {
                let mut slots = self.0.slots.lock().unwrap();
                let slot = slots.entry(api.to_string()).or_insert(now);
                let mine = (*slot).max(now);
                *slot = mine + Duration::from_secs_f64(1.0 / cap as f64);
                mine - now
            }
        };
        wait + f.latency
    }

    fn select(&self, body: &Value, region: &str, aggregate: bool) -> ResponseTemplate {
        let f = &self.0.faults;
        if f.throttle_selects.load(Ordering::SeqCst) > 0 {
            f.throttle_selects.fetch_sub(1, Ordering::SeqCst);
            self.0.throttled.fetch_add(1, Ordering::SeqCst);
            return error(400, "ThrottlingException", "Rate exceeded");
        }
        if f.unavailable_selects.load(Ordering::SeqCst) > 0 {
            f.unavailable_selects.fetch_sub(1, Ordering::SeqCst);
            return error(503, "ServiceUnavailableException", "try again");
        }
        let expr = body["Expression"].as_str().unwrap_or_default();
        if expr.contains("GROUP BY") {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for it in self
                .0
                .items
                .iter()
                .filter(|it| aggregate || it["awsRegion"] == region)
            {
                *counts
                    .entry(it["resourceType"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
            let rows: Vec<String> = counts
                .iter()
                .map(|(t, n)| json!({"resourceType": t, "COUNT(*)": n}).to_string())
                .collect();
            return json_response(200, json!({"Results": rows}));
        }
        let Some(rtype) = type_of_expression(expr) else {
            return error(400, "InvalidExpressionException", "unsupported expression");
        };
        if f.broken_types.contains(&rtype) {
            return error(500, "InternalFailure", "boom");
        }
        let list_only = f.list_only_types.contains(&rtype);
        let matching: Vec<usize> = (0..self.0.items.len())
            .filter(|i| {
                let it = &self.0.items[*i];
                it["resourceType"] == rtype.as_str()
                    && (aggregate || it["awsRegion"] == region)
                    && !list_only
            })
            .collect();
        let limit = body["Limit"].as_u64().unwrap_or(100).min(100) as usize;
        let offset: usize = body["NextToken"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let page: Vec<&String> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|i| &self.0.rows[*i])
            .collect();
        let mut out = json!({"Results": page, "QueryInfo": {"SelectFields": []}});
        if offset + limit < matching.len() {
            out["NextToken"] = Value::String((offset + limit).to_string());
        }
        if f.truncated_types.contains(&rtype) {
            let text = out.to_string();
            let cut = text.len() / 2;
            return ResponseTemplate::new(200).set_body_raw(
                text.as_bytes()[..cut].to_vec(),
                "application/x-amz-json-1.1",
            );
        }
        json_response(200, out)
    }

    fn list(&self, body: &Value, region: &str, aggregate: bool) -> ResponseTemplate {
        // The account API is camelCase, the aggregate one PascalCase.
        let field = |camel: &str, pascal: &str| {
            body.get(camel)
                .or_else(|| body.get(pascal))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let rtype = field("resourceType", "ResourceType");
        let rtype = rtype.as_str().unwrap_or_default();
        let matching: Vec<&Value> = self
            .0
            .items
            .iter()
            .filter(|it| it["resourceType"] == rtype && (aggregate || it["awsRegion"] == region))
            .collect();
        let limit = field("limit", "Limit")
            .as_u64()
            .unwrap_or(100)
            .clamp(1, 100) as usize;
        let offset: usize = field("nextToken", "NextToken")
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let ids: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|it| {
                if aggregate {
                    json!({"SourceAccountId": it["accountId"], "SourceRegion": it["awsRegion"],
                           "ResourceId": it["resourceId"], "ResourceType": it["resourceType"],
                           "ResourceName": it["resourceName"]})
                } else {
                    json!({"resourceType": it["resourceType"], "resourceId": it["resourceId"], "resourceName": it["resourceName"]})
                }
            })
            .collect();
        let mut out = json!({"resourceIdentifiers": ids});
        if aggregate {
            out = json!({"ResourceIdentifiers": out["resourceIdentifiers"].take()});
        }
        if offset + limit < matching.len() {
            let key = if aggregate { "NextToken" } else { "nextToken" };
            out[key] = Value::String((offset + limit).to_string());
        }
        json_response(200, out)
    }

    fn batch_get(&self, body: &Value, aggregate: bool) -> ResponseTemplate {
        let keys = if aggregate {
            &body["ResourceIdentifiers"]
        } else {
            &body["resourceKeys"]
        };
        let keys = keys.as_array().cloned().unwrap_or_default();
        if keys.len() > 100 {
            return error(400, "ValidationException", "at most 100 keys");
        }
        let wanted: BTreeSet<String> = keys
            .iter()
            .filter_map(|k| {
                k.get("resourceId")
                    .or_else(|| k.get("ResourceId"))
                    .and_then(Value::as_str)
            })
            .map(str::to_string)
            .collect();
        let items: Vec<Value> = self
            .0
            .items
            .iter()
            .filter(|it| {
                it["resourceId"]
                    .as_str()
                    .is_some_and(|id| wanted.contains(id))
            })
            .map(base_item)
            .collect();
        if aggregate {
            json_response(
                200,
                json!({"BaseConfigurationItems": items, "UnprocessedResourceIdentifiers": []}),
            )
        } else {
            json_response(
                200,
                json!({"baseConfigurationItems": items, "unprocessedResourceKeys": []}),
            )
        }
    }
}

impl Respond for Handler {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let region = region_of(req);
        let body_text = String::from_utf8_lossy(&req.body).to_string();
        if let Some(target) = req
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
        {
            let api = target.rsplit('.').next().unwrap_or_default().to_string();
            let delay = self.delay(&api);
            let enabled = &self.0.faults.enabled_regions;
            if !enabled.is_empty() && !enabled.contains(&region) {
                return error(
                    400,
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid.",
                );
            }
            if self.0.faults.denied_regions.contains(&region) {
                return error(
                    400,
                    "AccessDeniedException",
                    &format!("not authorized to perform config:{api}"),
                )
                .set_delay(delay);
            }
            let body: Value = serde_json::from_str(&body_text).unwrap_or(Value::Null);
            let resp = match api.as_str() {
                "DescribeConfigurationRecorders" => json_response(
                    200,
                    json!({"ConfigurationRecorders": [{"name": "default", "roleARN": "arn:aws:iam::111111111111:role/config",
                        "recordingGroup": {"allSupported": true, "includeGlobalResourceTypes": true}}]}),
                ),
                "DescribeConfigurationRecorderStatus" => json_response(
                    200,
                    json!({"ConfigurationRecordersStatus": [{"name": "default", "recording": true, "lastStatus": "Success"}]}),
                ),
                "DescribeDeliveryChannels" => json_response(
                    200,
                    json!({"DeliveryChannels": [{"name": "default", "s3BucketName": "config-logs"}]}),
                ),
                "DescribeDeliveryChannelStatus" => json_response(
                    200,
                    json!({"DeliveryChannelsStatus": [{"name": "default", "configHistoryDeliveryInfo": {"lastStatus": "Success"}}]}),
                ),
                "SelectResourceConfig" => self.select(&body, &region, false),
                "SelectAggregateResourceConfig" => self.select(&body, &region, true),
                "ListDiscoveredResources" => self.list(&body, &region, false),
                "ListAggregateDiscoveredResources" => self.list(&body, &region, true),
                "BatchGetResourceConfig" => self.batch_get(&body, false),
                "BatchGetAggregateResourceConfig" => self.batch_get(&body, true),
                _ => error(400, "UnknownOperationException", &api),
            };
            return resp.set_delay(delay);
        }
        if body_text.contains("Action=GetCallerIdentity") {
            let xml = format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
                 <Arn>arn:aws:iam::{HOME_ACCOUNT}:user/auditor</Arn><UserId>AIDASTUB</UserId><Account>{HOME_ACCOUNT}</Account>\
                 </GetCallerIdentityResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
            );
            return ResponseTemplate::new(200).set_body_raw(xml.into_bytes(), "text/xml");
        }
        ResponseTemplate::new(400)
            .set_body_string(format!("stub does not know this call: {body_text}"))
    }
}

impl ConfigStub {
    pub async fn start(items: Vec<Value>, faults: Faults) -> ConfigStub {
        let server = MockServer::start().await;
        let rows = items.iter().map(select_row).collect();
        let state = std::sync::Arc::new(State {
            items,
            rows,
            faults,
            slots: Mutex::new(HashMap::new()),
            throttled: AtomicUsize::new(0),
        });
        Mock::given(wiremock::matchers::any())
            .respond_with(Handler(state.clone()))
            .mount(&server)
            .await;
        ConfigStub { server, state }
    }

    pub fn endpoint(&self) -> String {
        self.server.uri()
    }

    pub fn throttled(&self) -> usize {
        self.state.throttled.load(Ordering::SeqCst)
    }

    /// Every call received, as `service:Action`.
    pub async fn actions(&self) -> Vec<String> {
        let reqs = self.server.received_requests().await.unwrap_or_default();
        reqs.iter()
            .filter_map(|r| {
                if let Some(t) = r.headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
                    return Some(format!(
                        "config:{}",
                        t.rsplit('.').next().unwrap_or_default()
                    ));
                }
                let body = String::from_utf8_lossy(&r.body);
                body.split('&')
                    .find_map(|p| p.strip_prefix("Action="))
                    .map(|a| format!("sts:{a}"))
            })
            .collect()
    }
}
