//! Pure: Microsoft payloads (Resource Graph rows, ARM resources and lists) -> `Resource`, shaped
//! as docs/resource-types.md says. Microsoft's payloads are loose (booleans as `"True"`, numbers
//! and JSON in strings, null tags, ids without a leading slash, odd key casing); every collector
//! path goes through here so checks see one shape.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::{Provider, Resource};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("expected a JSON object, found {0}")]
    NotAnObject(&'static str),
    #[error("the resource has no `id`")]
    MissingId,
    #[error("the response has no `{0}` field")]
    MissingField(&'static str),
    #[error("field `{field}`: {reason}")]
    BadField { field: &'static str, reason: String },
}

/// What the caller knows that the payload may not say (the subscription it asked about; the
/// type of a list whose items carry `"type": null`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Hint<'a> {
    pub subscription: Option<&'a str>,
    pub resource_type: Option<&'a str>,
}

/// One Resource Graph response page.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphPage {
    pub total_records: Option<u64>,
    pub count: Option<u64>,
    pub truncated: bool,
    pub skip_token: Option<String>,
    /// Rows as objects, whichever result format the service used.
    pub rows: Vec<Value>,
}

/// An ARM list response: `{value: [...], nextLink?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmList {
    pub items: Vec<Value>,
    pub next_link: Option<String>,
}

/// Keys whose values are free-form maps: their keys are data, never re-cased.
const FREE_FORM: &[&str] = &[
    "tags",
    "metadata",
    "userassignedidentities",
    "additionalextensionproperties",
    "appsettings",
    "connectionstrings",
    "azurestorageaccounts",
    "parameters",
];

/// Keys documented as numbers that Microsoft sometimes returns as strings.
const NUMERIC_KEYS: &[&str] = &[
    "priority",
    "days",
    "retentiondays",
    "disksizegb",
    "disksizebytes",
    "diskiopsreadwrite",
    "diskmbpsreadwrite",
    "maxsizebytes",
    "capacity",
    "totalrecords",
    "count",
];

/// Case-insensitive field lookup: Microsoft is not consistent about `Properties` vs `properties`.
pub fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn str_field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    field(obj, name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// ARM id as the inventory keys it: lower case, one leading slash, no trailing slash.
pub fn arm_id(id: &str) -> String {
    let trimmed = id.trim().trim_matches('/');
    format!("/{}", trimmed.to_ascii_lowercase())
}

/// The subscription an ARM id lives in (`/subscriptions/<id>/...`), lower-cased.
pub fn subscription_of(id: &str) -> Option<String> {
    let mut parts = id.trim_matches('/').split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("subscriptions") {
            return parts
                .next()
                .filter(|s| !s.is_empty())
                .map(str::to_ascii_lowercase);
        }
    }
    None
}

/// The ARM type an id names (`.../providers/Microsoft.Sql/servers/a/databases/b` ->
/// `microsoft.sql/servers/databases`); used only when the payload says nothing.
pub fn type_of(id: &str) -> Option<String> {
    let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
    if let Some(pos) = parts
        .iter()
        .rposition(|p| p.eq_ignore_ascii_case("providers"))
    {
        let rest = &parts[pos + 1..];
        if rest.len() < 3 {
            return None;
        }
        let mut t = rest[0].to_ascii_lowercase();
        for seg in rest[1..].iter().step_by(2) {
            t.push('/');
            t.push_str(&seg.to_ascii_lowercase());
        }
        return Some(t);
    }
    match parts.as_slice() {
        [s, _, rg, _]
            if s.eq_ignore_ascii_case("subscriptions")
                && rg.eq_ignore_ascii_case("resourcegroups") =>
        {
            Some("microsoft.resources/subscriptions/resourcegroups".into())
        }
        [s, _] if s.eq_ignore_ascii_case("subscriptions") => {
            Some("microsoft.resources/subscriptions".into())
        }
        _ => None,
    }
}

/// A Resource Graph row or an ARM resource -> `Resource`.
pub fn resource(value: &Value, hint: Hint<'_>) -> Result<Resource, NormalizeError> {
    resource_owned(value.clone(), hint)
}

/// [`resource`] without copying: the row's parts move into the resource.
pub fn resource_owned(value: Value, hint: Hint<'_>) -> Result<Resource, NormalizeError> {
    let Value::Object(mut map) = value else {
        return Err(NormalizeError::NotAnObject(kind_of(&value)));
    };
    let mut take = |k: &str| {
        let key = map.keys().find(|x| x.eq_ignore_ascii_case(k)).cloned();
        key.and_then(|key| map.remove(&key))
    };
    let parts = [
        take("properties"),
        take("sku"),
        take("kind"),
        take("identity"),
    ];
    let obj = &map;
    let raw_id = str_field(obj, "id").ok_or(NormalizeError::MissingId)?;
    let id = arm_id(raw_id);
    let resource_type = str_field(obj, "type")
        .map(str::to_ascii_lowercase)
        .or_else(|| hint.resource_type.map(str::to_ascii_lowercase))
        .or_else(|| type_of(raw_id))
        .ok_or(NormalizeError::MissingField("type"))?;
    let account = subscription_of(raw_id)
        .or_else(|| str_field(obj, "subscriptionId").map(str::to_ascii_lowercase))
        .or_else(|| hint.subscription.map(str::to_ascii_lowercase))
        .unwrap_or_default();
    let region = str_field(obj, "location")
        .map(|l| {
            l.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|| "global".to_string());
    let name = str_field(obj, "name")
        .map(str::to_string)
        .unwrap_or_else(|| {
            raw_id
                .trim_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string()
        });
    let tags = tags(field(obj, "tags"));
    let [properties, sku, kind, identity] = parts;
    let mut config = Map::new();
    config.insert(
        "properties".into(),
        properties.map(loose).unwrap_or(Value::Null),
    );
    config.insert("sku".into(), sku.map(loose).unwrap_or(Value::Null));
    config.insert("kind".into(), kind.unwrap_or(Value::Null));
    config.insert(
        "identity".into(),
        identity.map(loose).unwrap_or(Value::Null),
    );
    Ok(Resource {
        provider: Provider::Azure,
        account,
        region,
        resource_type,
        id,
        name,
        tags,
        config: Value::Object(config),
    })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Tags as a string map: null -> empty, non-string values -> their JSON text.
pub fn tags(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k.clone(), s)
            })
            .collect(),
        // Resource Graph sometimes returns tags as a JSON string.
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .ok()
            .map(|v| tags(Some(&v)))
            .unwrap_or_default(),
        _ => BTreeMap::new(),
    }
}

/// Microsoft's loose values made strict: `"True"`/`"false"` -> booleans, JSON in strings ->
/// JSON, numbers in strings -> numbers under keys documented as numeric, PascalCase keys ->
/// camelCase (the documented casing), except inside free-form maps.
pub fn loose(v: Value) -> Value {
    loose_under(None, v)
}

fn loose_under(key: Option<&str>, v: Value) -> Value {
    match v {
        Value::String(s) => loose_string(key, s),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| loose_under(None, x)).collect()),
        Value::Object(m) => {
            let free_form =
                key.is_some_and(|k| FREE_FORM.iter().any(|f| k.eq_ignore_ascii_case(f)));
            if free_form {
                return Value::Object(
                    m.into_iter()
                        .map(|(k, v)| (k, free_form_value(v)))
                        .collect(),
                );
            }
            // PascalCase keys are rare: find them first, so common objects move without copies.
            let renames: Vec<(String, String)> = m
                .keys()
                .filter_map(|k| {
                    camel(k)
                        .filter(|c| !m.contains_key(c))
                        .map(|c| (k.clone(), c))
                })
                .collect();
            let mut out = Map::with_capacity(m.len());
            for (k, v) in m {
                let v = loose_under(Some(&k), v);
                let k = match renames.iter().find(|(old, _)| *old == k) {
                    Some((_, new)) => new.clone(),
                    None => k,
                };
                out.insert(k, v);
            }
            Value::Object(out)
        }
        other => other,
    }
}

/// Inside free-form maps only booleans and embedded JSON are decoded; keys stay as written.
fn free_form_value(v: Value) -> Value {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t.eq_ignore_ascii_case("true") {
                Value::Bool(true)
            } else if t.eq_ignore_ascii_case("false") {
                Value::Bool(false)
            } else if (t.starts_with('{') || t.starts_with('['))
                && serde_json::from_str::<Value>(t).is_ok()
            {
                free_form_value(serde_json::from_str(t).unwrap_or(Value::Null))
            } else {
                Value::String(s)
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(free_form_value).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, free_form_value(v)))
                .collect(),
        ),
        other => other,
    }
}

fn loose_string(key: Option<&str>, s: String) -> Value {
    let t = s.trim();
    if t.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if t.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if (t.starts_with('{') && t.ends_with('}')) || (t.starts_with('[') && t.ends_with(']')) {
        if let Ok(inner) = serde_json::from_str::<Value>(t) {
            return loose_under(key, inner);
        }
    }
    if key.is_some_and(is_numeric_key) {
        if let Ok(i) = t.parse::<i64>() {
            return Value::from(i);
        }
        if let Ok(f) = t.parse::<f64>() {
            if let Some(n) = serde_json::Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(s)
}

fn is_numeric_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    NUMERIC_KEYS.contains(&k.as_str())
        || k.ends_with("indays")
        || k.ends_with("sizegb")
        || k.ends_with("count")
}

/// `IsEnabled` -> `isEnabled`, unless a camelCase twin already exists; acronyms (`IPAddress`)
/// and keys that are not PascalCase stay as they are.
fn camel(k: &str) -> Option<String> {
    let mut chars = k.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_ascii_uppercase() && b.is_ascii_lowercase() => {
            Some(format!("{}{}", a.to_ascii_lowercase(), &k[1..]))
        }
        _ => None,
    }
}

/// The `$skipToken` of a Resource Graph page, read without building its rows (a fast scan),
/// so the next page can be requested while this one is parsed. `None` when the text is not a
/// readable page; the full parse reports why.
pub fn graph_skip_token(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(
            rename = "$skipToken",
            alias = "skipToken",
            alias = "$SkipToken",
            alias = "SkipToken"
        )]
        skip_token: Option<String>,
    }
    serde_json::from_slice::<Meta>(bytes)
        .ok()?
        .skip_token
        .filter(|t| !t.is_empty())
}

/// A Resource Graph response page, in either result format (`objectArray` or the 2019 `table`).
pub fn graph_page(body: Value) -> Result<GraphPage, NormalizeError> {
    let Value::Object(mut obj) = body else {
        return Err(NormalizeError::NotAnObject(kind_of(&body)));
    };
    let number =
        |obj: &Map<String, Value>, k: &'static str| -> Result<Option<u64>, NormalizeError> {
            match field(obj, k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => {
                    n.as_u64()
                        .map(Some)
                        .ok_or_else(|| NormalizeError::BadField {
                            field: k,
                            reason: format!("{n} is not a count"),
                        })
                }
                Some(Value::String(s)) => {
                    s.trim()
                        .parse::<u64>()
                        .map(Some)
                        .map_err(|_| NormalizeError::BadField {
                            field: k,
                            reason: format!("'{s}' is not a count"),
                        })
                }
                Some(other) => Err(NormalizeError::BadField {
                    field: k,
                    reason: format!("found {}", kind_of(other)),
                }),
            }
        };
    let total_records = number(&obj, "totalRecords")?;
    let count = number(&obj, "count")?;
    let truncated = match field(&obj, "resultTruncated") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let skip_token = field(&obj, "$skipToken")
        .or_else(|| field(&obj, "skipToken"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    // Taken out, not copied: a page is up to 1000 resources.
    let data_key = obj.keys().find(|k| k.eq_ignore_ascii_case("data")).cloned();
    let rows = match data_key.and_then(|k| obj.remove(&k)) {
        Some(Value::Array(rows)) => rows,
        Some(Value::Object(table)) => table_rows(&table)?,
        Some(Value::Null) | None => return Err(NormalizeError::MissingField("data")),
        Some(other) => {
            return Err(NormalizeError::BadField {
                field: "data",
                reason: format!("found {}", kind_of(&other)),
            })
        }
    };
    Ok(GraphPage {
        total_records,
        count,
        truncated,
        skip_token,
        rows,
    })
}

fn table_rows(table: &Map<String, Value>) -> Result<Vec<Value>, NormalizeError> {
    let bad = |reason: &str| NormalizeError::BadField {
        field: "data",
        reason: reason.to_string(),
    };
    let columns: Vec<String> = field(table, "columns")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("table without columns"))?
        .iter()
        .map(|c| {
            c.get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| bad("column without a name"))
        })
        .collect::<Result<_, _>>()?;
    let rows = field(table, "rows")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("table without rows"))?;
    rows.iter()
        .map(|r| {
            let cells = r.as_array().ok_or_else(|| bad("row is not an array"))?;
            if cells.len() != columns.len() {
                return Err(bad("row and column counts differ"));
            }
            Ok(Value::Object(
                columns.iter().cloned().zip(cells.iter().cloned()).collect(),
            ))
        })
        .collect()
}

/// An ARM list page (`{value, nextLink}`); a single resource is a list of one.
pub fn arm_list(body: &Value) -> Result<ArmList, NormalizeError> {
    let obj = body
        .as_object()
        .ok_or(NormalizeError::NotAnObject(kind_of(body)))?;
    match field(obj, "value") {
        Some(Value::Array(items)) => Ok(ArmList {
            items: items.clone(),
            next_link: str_field(obj, "nextLink").map(str::to_string),
        }),
        Some(other) => Err(NormalizeError::BadField {
            field: "value",
            reason: format!("found {}", kind_of(other)),
        }),
        None if field(obj, "id").is_some() => Ok(ArmList {
            items: vec![body.clone()],
            next_link: None,
        }),
        None => Err(NormalizeError::MissingField("value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    /// `../shared` next to the crate (a worktree may sit one level deeper).
    fn examples_dir() -> PathBuf {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        for base in [manifest.join("../shared"), manifest.join("../../shared")] {
            let dir = base.join("reference/azure-rest-api-specs-examples");
            if dir.is_dir() {
                return dir;
            }
        }
        panic!(
            "shared/reference/azure-rest-api-specs-examples not found next to {}",
            manifest.display()
        );
    }

    fn example_files() -> Vec<PathBuf> {
        let mut files = Vec::new();
        for rp in std::fs::read_dir(examples_dir()).unwrap() {
            let rp = rp.unwrap().path();
            if !rp.is_dir() {
                continue;
            }
            for ver in std::fs::read_dir(&rp).unwrap() {
                for f in std::fs::read_dir(ver.unwrap().path()).unwrap() {
                    let f = f.unwrap().path();
                    if f.extension().is_some_and(|e| e == "json") {
                        files.push(f);
                    }
                }
            }
        }
        files.sort();
        files
    }

    fn body(path: &std::path::Path) -> Value {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let responses = v["responses"].as_object().unwrap();
        let code = ["200", "201", "202"]
            .into_iter()
            .find(|c| responses.contains_key(*c))
            .unwrap();
        responses[code]["body"].clone()
    }

    fn no_loose_booleans(v: &Value, path: &str) {
        match v {
            Value::String(s) => assert!(
                !s.eq_ignore_ascii_case("true") && !s.eq_ignore_ascii_case("false"),
                "{path}: boolean left as string"
            ),
            Value::Array(a) => a.iter().for_each(|x| no_loose_booleans(x, path)),
            Value::Object(m) => m.values().for_each(|x| no_loose_booleans(x, path)),
            _ => {}
        }
    }

    fn check_invariants(r: &Resource, file: &str) {
        assert!(
            r.id.starts_with('/') && !r.id.starts_with("//"),
            "{file}: id {}",
            r.id
        );
        assert_eq!(r.id, r.id.to_ascii_lowercase(), "{file}");
        assert_eq!(
            r.resource_type,
            r.resource_type.to_ascii_lowercase(),
            "{file}"
        );
        assert!(!r.resource_type.is_empty(), "{file}");
        assert!(!r.name.is_empty(), "{file}");
        assert!(!r.region.is_empty(), "{file}");
        let cfg = r.config.as_object().unwrap();
        for k in ["properties", "sku", "kind", "identity"] {
            assert!(cfg.contains_key(k), "{file}: config.{k}");
        }
        no_loose_booleans(&r.config, file);
    }

    /// Every example in the reference folder normalises; the number of resources per file is
    /// what the file holds, so nothing is dropped.
    #[test]
    fn every_reference_example_normalises() {
        let files = example_files();
        assert!(
            files.len() >= 40,
            "found only {} example files",
            files.len()
        );
        let mut total = 0;
        for f in &files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let b = body(f);
            let items: Vec<Value> = if name.starts_with("Resources") {
                let page = graph_page(b.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(page.count, Some(page.rows.len() as u64), "{name}");
                page.rows
            } else {
                arm_list(&b).unwrap_or_else(|e| panic!("{name}: {e}")).items
            };
            assert!(!items.is_empty(), "{name}");
            for item in &items {
                // Effective NSG lists and projection queries hold no resources.
                if item.get("id").is_none()
                    && (name.starts_with("NetworkInterfaceEffectiveNSGList")
                        || name.starts_with("ResourcesProperties"))
                {
                    continue;
                }
                let hint = Hint {
                    subscription: Some("00000000-0000-0000-0000-000000000000"),
                    resource_type: None,
                };
                let r = resource(item, hint).unwrap_or_else(|e| panic!("{name}: {e}"));
                check_invariants(&r, &name);
                total += 1;
            }
        }
        assert!(total >= 60, "only {total} resources normalised");
    }

    fn example(rel: &str) -> Value {
        body(&examples_dir().join(rel))
    }

    #[test]
    fn pricings_strings_become_booleans_and_json() {
        let list = arm_list(&example("security/2024-01-01/ListPricings_example.json")).unwrap();
        assert_eq!(list.items.len(), 13);
        let vm = resource(&list.items[0], Hint::default()).unwrap();
        assert_eq!(vm.resource_type, "microsoft.security/pricings");
        assert_eq!(vm.id, "/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/providers/microsoft.security/pricings/virtualmachines");
        assert_eq!(vm.name, "VirtualMachines");
        assert_eq!(vm.account, "20ff7fc3-e762-44dd-bd96-b71116dcdc23");
        assert_eq!(vm.region, "global");
        let p = &vm.config["properties"];
        assert_eq!(p["enforce"], json!(false));
        assert_eq!(p["pricingTier"], json!("Standard"));
        assert_eq!(p["extensions"][0]["isEnabled"], json!(true));
        // JSON in a string, inside a free-form map whose keys stay as written.
        let tags = &p["extensions"][0]["additionalExtensionProperties"]["ExclusionTags"];
        assert_eq!(tags[0]["Key"], json!("TestKey1"));
    }

    #[test]
    fn subscription_diagnostic_setting_without_slash_or_type() {
        let list = arm_list(&example(
            "monitor/2021-05-01-preview/listSubscriptionDiagnosticSettings.json",
        ))
        .unwrap();
        let hint = Hint {
            subscription: None,
            resource_type: Some("Microsoft.Insights/diagnosticSettings"),
        };
        let r = resource(&list.items[0], hint).unwrap();
        assert_eq!(
            r.id,
            "/subscriptions/fb9f25f9-5785-4510-a38f-a62f188eb9f8/providers/azureresourcemanager/diagnosticsettings/ds4"
        );
        assert_eq!(r.resource_type, "microsoft.insights/diagnosticsettings");
        assert_eq!(r.account, "fb9f25f9-5785-4510-a38f-a62f188eb9f8");
        assert_eq!(r.config["properties"]["logs"][0]["enabled"], json!(true));
    }

    #[test]
    fn storage_account_shape() {
        let r = resource(
            &example("storage/2025-01-01/StorageAccountGetProperties.json"),
            Hint::default(),
        )
        .unwrap();
        assert_eq!(r.resource_type, "microsoft.storage/storageaccounts");
        assert_eq!(r.region, "eastus2(stage)");
        assert_eq!(r.tags.get("key1").map(String::as_str), Some("value1"));
        assert_eq!(r.config["sku"]["name"], json!("Standard_GRS"));
        assert_eq!(r.config["kind"], json!("Storage"));
        assert_eq!(
            r.config["properties"]["supportsHttpsTrafficOnly"],
            json!(false)
        );
    }

    #[test]
    fn graph_table_format_and_paging_token() {
        let page = graph_page(example(
            "resourcegraph/2019-04-01/ResourcesFirstPageQuery.json",
        ))
        .unwrap();
        assert_eq!(page.total_records, Some(386));
        assert!(!page.truncated);
        assert_eq!(
            page.skip_token.as_deref(),
            Some("eyAibm8iOiAibHVjayIsICJidXQiOiAibmljZSIsICJ0cnkiOiAiISIgfQ==")
        );
        assert_eq!(page.rows.len(), 3);
        assert_eq!(page.rows[1]["name"], json!("TestAA"));
        let objects = graph_page(example(
            "resourcegraph/2024-04-01/ResourcesFirstPageQuery.json",
        ))
        .unwrap();
        assert_eq!(page.rows, objects.rows);
    }

    #[test]
    fn loose_values_and_casing() {
        let row = json!({
            "ID": "subscriptions/ABC/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/KV1",
            "Type": "Microsoft.KeyVault/vaults",
            "Location": "West Europe",
            "Tags": null,
            "Properties": {
                "EnablePurgeProtection": "False",
                "softDeleteRetentionInDays": "90",
                "destinationPortRange": "22",
                "policy": "{\"a\": \"TRUE\"}",
                "IPAddress": "1.2.3.4",
                "tags": {"Owner": "x"}
            }
        });
        let r = resource(&row, Hint::default()).unwrap();
        assert_eq!(
            r.id,
            "/subscriptions/abc/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv1"
        );
        assert_eq!(r.account, "abc");
        assert_eq!(r.region, "westeurope");
        assert!(r.tags.is_empty());
        let p = &r.config["properties"];
        assert_eq!(p["enablePurgeProtection"], json!(false));
        assert_eq!(p["softDeleteRetentionInDays"], json!(90));
        assert_eq!(
            p["destinationPortRange"],
            json!("22"),
            "ports are documented as strings"
        );
        assert_eq!(p["policy"]["a"], json!(true));
        assert_eq!(p["IPAddress"], json!("1.2.3.4"));
        assert_eq!(p["tags"]["Owner"], json!("x"));
        assert_eq!(r.config["sku"], Value::Null);
    }

    #[test]
    fn types_from_ids() {
        assert_eq!(
            type_of(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.Sql/servers/a/databases/b"
            )
            .as_deref(),
            Some("microsoft.sql/servers/databases")
        );
        assert_eq!(
            type_of("/subscriptions/s/resourceGroups/r").as_deref(),
            Some("microsoft.resources/subscriptions/resourcegroups")
        );
        assert_eq!(
            subscription_of("subscriptions/ABC/x").as_deref(),
            Some("abc")
        );
        assert_eq!(arm_id("/A/b/"), "/a/b");
    }

    #[test]
    fn skip_token_without_rows() {
        let text = serde_json::to_vec(&example(
            "resourcegraph/2024-04-01/ResourcesFirstPageQuery.json",
        ))
        .unwrap();
        assert_eq!(
            graph_skip_token(&text).as_deref(),
            Some("eyAibm8iOiAibHVjayIsICJidXQiOiAibmljZSIsICJ0cnkiOiAiISIgfQ==")
        );
        assert_eq!(graph_skip_token(br#"{"data": [], "count": 0}"#), None);
        assert_eq!(graph_skip_token(b"{not json"), None);
    }

    #[test]
    fn broken_pages_are_errors() {
        assert!(graph_page(json!([1])).is_err());
        assert!(graph_page(json!({"count": 1})).is_err());
        assert!(
            graph_page(json!({"data": {"columns": [{"name": "id"}], "rows": [[1, 2]]}})).is_err()
        );
        assert!(graph_page(json!({"totalRecords": "x", "data": []})).is_err());
        assert!(resource(&json!({"name": "x"}), Hint::default()).is_err());
    }
}
