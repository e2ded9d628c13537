//! Pure decoding of AWS Config configuration items into `Resource`s.
//!
//! One parser for the three wire forms of a configuration item (API form from
//! BatchGetResourceConfig / history, rule-event form, SelectResourceConfig rows), following the
//! quirks in shared/reference/aws-config/README.md:
//! - `configuration` may be a JSON string (API form) or an object (`"null"` / null when deleted);
//! - every `supplementaryConfiguration` value may be a JSON string, some of them twice encoded;
//! - IAM policy documents are percent-encoded JSON (in every form);
//! - policies inside configuration (SNS/SQS `Policy`, ECR `RepositoryPolicyText`) are JSON strings;
//! - tags come as a map, a `{key, value}` list or inside the supplementary configuration.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::{Provider, Resource};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NormalizeError {
    #[error("configuration item is not valid JSON: {0}")]
    Json(String),
    #[error("configuration item is not a JSON object")]
    NotAnObject,
    #[error("configuration item has no {0}")]
    Missing(&'static str),
}

/// Item statuses that describe a resource that no longer exists.
const DELETED: [&str; 2] = ["ResourceDeleted", "ResourceDeletedNotRecorded"];

/// One SelectResourceConfig result row (a JSON string) to a resource; `None` for deleted items.
pub fn select_row(row: &str, default_account: &str) -> Result<Option<Resource>, NormalizeError> {
    let item: Value = serde_json::from_str(row).map_err(|e| NormalizeError::Json(e.to_string()))?;
    configuration_item(&item, default_account)
}

/// Any wire form of a configuration item to a resource; `None` for deleted items.
/// `default_account` fills in the account when the item does not carry one (a Select query that
/// did not select `accountId`).
pub fn configuration_item(
    item: &Value,
    default_account: &str,
) -> Result<Option<Resource>, NormalizeError> {
    let obj = item.as_object().ok_or(NormalizeError::NotAnObject)?;
    let text = |keys: &[&str]| -> Option<String> {
        keys.iter()
            .find_map(|k| obj.get(*k).and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(status) = text(&["configurationItemStatus"]) {
        if DELETED.contains(&status.as_str()) {
            return Ok(None);
        }
    }
    let resource_type = text(&["resourceType"]).ok_or(NormalizeError::Missing("resourceType"))?;
    let resource_id = text(&["resourceId"]);
    let arn = text(&["arn", "ARN"]);
    let id = arn
        .clone()
        .or_else(|| resource_id.clone())
        .ok_or(NormalizeError::Missing("arn or resourceId"))?;
    let name = text(&["resourceName"])
        .or(resource_id)
        .unwrap_or_else(|| id.clone());
    let account =
        text(&["accountId", "awsAccountId"]).unwrap_or_else(|| default_account.to_string());
    let region = text(&["awsRegion"]).unwrap_or_else(|| "global".to_string());

    let configuration = match obj.get("configuration") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) => decode_supplementary(Value::String(s.clone())),
        Some(other) => decode_nested(other.clone()),
    };
    let supplementary = match obj.get("supplementaryConfiguration") {
        Some(Value::Object(m)) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), decode_supplementary(v.clone())))
                .collect(),
        ),
        Some(Value::String(s)) => decode_supplementary(Value::String(s.clone())),
        _ => Value::Object(Map::new()),
    };
    let tags = tags_of(obj.get("tags"))
        .or_else(|| tags_of(supplementary.get("Tags")))
        .or_else(|| tags_of(configuration.get("tags")))
        .or_else(|| tags_of(configuration.get("Tags")))
        .unwrap_or_default();

    let mut config = Map::new();
    config.insert("configuration".into(), configuration);
    config.insert("supplementaryConfiguration".into(), supplementary);
    Ok(Some(Resource {
        provider: Provider::Aws,
        account,
        region,
        resource_type,
        id,
        name,
        tags,
        config: Value::Object(config),
    }))
}

/// A supplementary value: decode while it is a string that parses as JSON (some are encoded
/// twice, booleans arrive as `"false"`); a string that does not parse stays as it is.
pub fn decode_supplementary(mut v: Value) -> Value {
    // Bounded: three layers is more than any recorded item uses.
    for _ in 0..4 {
        match &v {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(parsed) => v = parsed,
                Err(_) => return decode_string_value(s),
            },
            _ => break,
        }
    }
    decode_nested(v)
}

/// Decode every JSON-in-a-string and percent-encoded policy document inside a value.
pub fn decode_nested(v: Value) -> Value {
    match v {
        Value::String(s) => decode_string_value(&s),
        Value::Array(a) => Value::Array(a.into_iter().map(decode_nested).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, decode_nested(v))).collect())
        }
        other => other,
    }
}

/// A string that holds a JSON object or array (possibly percent-encoded, as IAM policy
/// documents are) becomes that structure; any other string stays a string.
pub fn decode_string_value(s: &str) -> Value {
    let trimmed = s.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(parsed) = serde_json::from_str::<Value>(s) {
            if parsed.is_object() || parsed.is_array() {
                return decode_nested(parsed);
            }
        }
    } else if trimmed.len() > 3
        && (trimmed[..3].eq_ignore_ascii_case("%7B") || trimmed[..3].eq_ignore_ascii_case("%5B"))
    {
        if let Some(doc) = decode_policy_document(s) {
            return doc;
        }
    }
    Value::String(s.to_string())
}

/// An IAM policy document as IAM and AWS Config return it (RFC 3986 percent-encoded JSON, `+`
/// is literal) or as plain JSON text, to a JSON value. `None` when it is neither.
pub fn decode_policy_document(s: &str) -> Option<Value> {
    let decoded = percent_encoding::percent_decode_str(s).decode_utf8().ok()?;
    let parsed: Value = serde_json::from_str(&decoded).ok()?;
    if parsed.is_object() || parsed.is_array() {
        Some(decode_nested(parsed))
    } else {
        None
    }
}

/// Tags in any of the shapes AWS Config uses: a map, a list of `{key, value}` / `{Key, Value}`,
/// or S3's `{"tagSets": [{"tags": {...}}]}` is not handled here (it is not the item's tag field).
pub fn tags_of(v: Option<&Value>) -> Option<BTreeMap<String, String>> {
    let scalar = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    match v? {
        Value::Object(m) => Some(m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect()),
        Value::Array(items) => {
            let mut out = BTreeMap::new();
            for it in items {
                let key = it.get("key").or_else(|| it.get("Key"))?;
                let value = it
                    .get("value")
                    .or_else(|| it.get("Value"))
                    .cloned()
                    .unwrap_or(Value::Null);
                out.insert(scalar(key), scalar(&value));
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn examples() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/aws-config/examples"
        ))
    }

    fn load(rel: &str) -> Value {
        let p = examples().join(rel);
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        serde_json::from_str(&text).unwrap()
    }

    const EVENTS: &str =
        "aws-iam-access-analyzer-policy-validation-config-rule/function/sample-events";

    fn history_item(name: &str) -> Value {
        load(&format!("{EVENTS}/{name}"))["configurationItems"][0].clone()
    }

    #[test]
    fn s3_bucket_api_form_decodes_double_encoded_supplementary_values() {
        let r = configuration_item(&history_item("history-s3-bucket.json"), "000000000000")
            .unwrap()
            .unwrap();
        assert_eq!(r.resource_type, "AWS::S3::Bucket");
        assert_eq!(r.id, "arn:aws:s3:::bucket-bucket-444");
        assert_eq!(r.name, "bucket-bucket-444");
        assert_eq!(r.account, "123456789123");
        assert_eq!(r.region, "us-east-1");
        let sup = &r.config["supplementaryConfiguration"];
        // Double-encoded ACL: an object after two decodings.
        assert_eq!(
            sup["AccessControlList"]["grantList"][0]["permission"],
            "FullControl"
        );
        assert_eq!(sup["IsRequesterPaysEnabled"], Value::Bool(false));
        assert_eq!(
            sup["PublicAccessBlockConfiguration"]["blockPublicAcls"],
            Value::Bool(true)
        );
        assert_eq!(
            sup["ServerSideEncryptionConfiguration"]["rules"][0]
                ["applyServerSideEncryptionByDefault"]["sseAlgorithm"],
            "AES256"
        );
        // Bucket policy text inside the object is itself decoded.
        assert_eq!(
            sup["BucketPolicy"]["policyText"]["Statement"][0]["Action"],
            "s3:*"
        );
        assert_eq!(r.config["configuration"]["name"], "bucket-bucket-444");
    }

    #[test]
    fn iam_role_policy_documents_are_url_decoded() {
        let r = configuration_item(&history_item("history-iam-role.json"), "x")
            .unwrap()
            .unwrap();
        assert_eq!(r.region, "global");
        assert_eq!(r.name, "S3LaunchRole");
        let c = &r.config["configuration"];
        assert_eq!(
            c["assumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
            "servicecatalog.amazonaws.com"
        );
        assert!(c["rolePolicyList"][0]["policyDocument"]["Statement"].is_array());
    }

    #[test]
    fn iam_policy_versions_are_decoded() {
        let r = configuration_item(&history_item("history-iam-policy.json"), "x")
            .unwrap()
            .unwrap();
        let versions = r.config["configuration"]["policyVersionList"]
            .as_array()
            .unwrap();
        assert!(versions
            .iter()
            .any(|v| v["isDefaultVersion"] == Value::Bool(true)));
        assert!(versions.iter().all(|v| v["document"].is_object()));
    }

    #[test]
    fn rule_event_form_is_read() {
        let event = load(&format!("{EVENTS}/create-s3-bucket.json"));
        let invoking: Value =
            serde_json::from_str(event["invokingEvent"].as_str().unwrap()).unwrap();
        let r = configuration_item(&invoking["configurationItem"], "x")
            .unwrap()
            .unwrap();
        assert_eq!(r.resource_type, "AWS::S3::Bucket");
        assert!(r.id.starts_with("arn:aws:s3:::"));
        assert_eq!(r.account, "123456789123");
        assert!(
            r.config["supplementaryConfiguration"]["PublicAccessBlockConfiguration"].is_object()
        );
    }

    #[test]
    fn deleted_items_are_skipped() {
        let event = load(&format!("{EVENTS}/delete-s3-bucket.json"));
        let invoking: Value =
            serde_json::from_str(event["invokingEvent"].as_str().unwrap()).unwrap();
        assert_eq!(
            configuration_item(&invoking["configurationItem"], "x").unwrap(),
            None
        );
    }

    #[test]
    fn select_rows_decode_string_policies_in_configuration() {
        let page = load(
            "cloud-custodian/tests/data/placebo/test_ecr_cross_account_filter_config/config.SelectResourceConfig_1.json",
        );
        let rows = page["data"]["Results"].as_array().unwrap();
        // The row does not select resourceType: add it as our query does.
        let mut item: Value = serde_json::from_str(rows[0].as_str().unwrap()).unwrap();
        item["resourceType"] = "AWS::ECR::Repository".into();
        let r = configuration_item(&item, "644160558196").unwrap().unwrap();
        assert_eq!(r.account, "644160558196");
        assert_eq!(
            r.id,
            "cdk-hnb659fds-container-assets-644160558196-us-east-1"
        );
        let policy = &r.config["configuration"]["RepositoryPolicyText"];
        assert_eq!(policy["Version"], "2012-10-17");
        assert_eq!(
            r.config["configuration"]["ImageScanningConfiguration"]["ScanOnPush"],
            Value::Bool(true)
        );
    }

    #[test]
    fn lambda_select_row_policy_is_decoded() {
        let page =
            load("cloud-custodian/tests/data/placebo/test_aws_lambda_config_source/config.SelectResourceConfig_1.json");
        let mut item: Value =
            serde_json::from_str(page["data"]["Results"][0].as_str().unwrap()).unwrap();
        item["resourceType"] = "AWS::Lambda::Function".into();
        item["resourceId"] = "omnissm-handle-registrations".into();
        let r = configuration_item(&item, "1").unwrap().unwrap();
        assert!(r.config["supplementaryConfiguration"]["Policy"]["Statement"].is_array());
    }

    #[test]
    fn missing_type_is_an_error_not_a_skip() {
        assert_eq!(
            configuration_item(&serde_json::json!({"resourceId": "x"}), "1"),
            Err(NormalizeError::Missing("resourceType"))
        );
        assert!(matches!(
            select_row("{\"resourceType\":", "1"),
            Err(NormalizeError::Json(_))
        ));
    }

    #[test]
    fn null_configuration_text_is_null() {
        let item = serde_json::json!({"resourceType": "AWS::X::Y", "resourceId": "a", "configuration": "null",
            "supplementaryConfiguration": {}});
        let r = configuration_item(&item, "1").unwrap().unwrap();
        assert_eq!(r.config["configuration"], Value::Null);
    }

    #[test]
    fn tag_shapes() {
        let list =
            serde_json::json!([{"key": "env", "value": "prod"}, {"Key": "team", "Value": "x"}]);
        let t = tags_of(Some(&list)).unwrap();
        assert_eq!(t["env"], "prod");
        assert_eq!(t["team"], "x");
        let map = serde_json::json!({"a": "b"});
        assert_eq!(tags_of(Some(&map)).unwrap()["a"], "b");
    }

    #[test]
    fn plain_strings_stay_strings() {
        assert_eq!(
            decode_supplementary(Value::String("arn:aws:x".into())),
            Value::String("arn:aws:x".into())
        );
        assert_eq!(decode_string_value("%zz"), Value::String("%zz".into()));
    }

    /// Every recorded API-form item in the reference decodes without error, and no
    /// supplementary value is left as a JSON-parsable string (Q2).
    #[test]
    fn every_recorded_history_item_decodes() {
        let dir = examples().join(EVENTS);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !name.starts_with("history-") {
                continue;
            }
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for item in v["configurationItems"].as_array().unwrap() {
                let Some(r) = configuration_item(item, "x").unwrap() else {
                    continue;
                };
                n += 1;
                assert_no_json_strings(&r.config["supplementaryConfiguration"], &name);
                assert!(
                    !r.config["configuration"].is_string(),
                    "{name}: configuration left as a string"
                );
            }
        }
        assert!(n >= 10, "only {n} items decoded");
    }

    fn assert_no_json_strings(v: &Value, ctx: &str) {
        match v {
            Value::String(s) => {
                let parsed = serde_json::from_str::<Value>(s);
                assert!(
                    !matches!(parsed, Ok(Value::Object(_)) | Ok(Value::Array(_))),
                    "{ctx}: undecoded JSON string {s}"
                );
            }
            Value::Array(a) => a.iter().for_each(|x| assert_no_json_strings(x, ctx)),
            Value::Object(m) => m.values().for_each(|x| assert_no_json_strings(x, ctx)),
            _ => {}
        }
    }
}
