//! The embedded demo estate: a valid inventory of the promised size, shaped as collectors leave
//! resources (docs/resource-types.md).

use std::collections::{BTreeMap, BTreeSet};

use annexa::model::{Provider, Resource};
use serde_json::Value;

fn estate() -> (annexa::inventory::Header, Vec<Resource>) {
    let reader = annexa::demo::reader().expect("demo header");
    let header = reader.header().clone();
    let resources = reader
        .collect::<Result<Vec<_>, _>>()
        .expect("every demo line is a valid Resource");
    (header, resources)
}

#[test]
fn demo_estate_counts() {
    let (header, resources) = estate();
    assert_eq!(resources.len(), 103);
    let types: BTreeSet<&str> = resources.iter().map(|r| r.resource_type.as_str()).collect();
    assert_eq!(types.len(), 46);
    let mut by_provider: BTreeMap<Provider, usize> = BTreeMap::new();
    for r in &resources {
        *by_provider.entry(r.provider).or_default() += 1;
    }
    assert_eq!(
        by_provider,
        BTreeMap::from([(Provider::Aws, 57), (Provider::Azure, 46)])
    );
    let accounts: BTreeSet<(Provider, &str)> = resources
        .iter()
        .map(|r| (r.provider, r.account.as_str()))
        .collect();
    assert_eq!(
        accounts.len(),
        2,
        "one AWS account and one Azure subscription: {accounts:?}"
    );
    let sources: BTreeSet<(Provider, &str)> = header
        .sources
        .iter()
        .map(|s| (s.provider, s.account.as_str()))
        .collect();
    assert_eq!(
        sources, accounts,
        "the header lists exactly the accounts present"
    );
    assert!(header.errors.is_empty());
    let aws_regions: BTreeSet<&str> = resources
        .iter()
        .filter(|r| r.provider == Provider::Aws)
        .map(|r| r.region.as_str())
        .collect();
    assert_eq!(
        aws_regions,
        BTreeSet::from(["eu-west-1", "global", "us-east-1"])
    );
}

#[test]
fn demo_ids_are_unique_per_type() {
    let (_, resources) = estate();
    let keys: BTreeSet<(&str, &str)> = resources
        .iter()
        .map(|r| (r.resource_type.as_str(), r.id.as_str()))
        .collect();
    assert_eq!(keys.len(), resources.len());
}

/// Strings that a collector would have decoded: JSON objects/lists and URL-encoded documents.
fn undecoded_strings<'a>(v: &'a Value, path: String, found: &mut Vec<(String, &'a str)>) {
    match v {
        Value::String(s) => {
            let t = s.trim_start();
            let json_inside = (t.starts_with('{') || t.starts_with('['))
                && serde_json::from_str::<Value>(t).is_ok_and(|x| x.is_object() || x.is_array());
            if json_inside || t.starts_with("%7B") {
                found.push((path, s));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                undecoded_strings(item, format!("{path}.{i}"), found);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                undecoded_strings(item, format!("{path}.{k}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn demo_resources_have_the_collected_shapes() {
    let (_, resources) = estate();
    for r in &resources {
        let keys: BTreeSet<&str> = r
            .config
            .as_object()
            .expect("config is an object")
            .keys()
            .map(String::as_str)
            .collect();
        match r.provider {
            Provider::Aws => {
                assert!(r.resource_type.starts_with("AWS::"), "{}", r.resource_type);
                assert_eq!(
                    keys,
                    BTreeSet::from(["configuration", "supplementaryConfiguration"]),
                    "{}",
                    r.id
                );
                if r.resource_type.starts_with("AWS::IAM::") {
                    assert_eq!(r.region, "global", "{}", r.id);
                }
                let mut found = Vec::new();
                undecoded_strings(&r.config, "config".into(), &mut found);
                assert!(found.is_empty(), "{} keeps encoded values: {found:?}", r.id);
            }
            Provider::Azure => {
                assert_eq!(r.resource_type, r.resource_type.to_lowercase());
                assert_eq!(r.id, r.id.to_lowercase());
                assert!(
                    r.id.starts_with("/subscriptions/") || r.id.starts_with("/providers/"),
                    "{}",
                    r.id
                );
                let mut expected = BTreeSet::from(["identity", "kind", "properties", "sku"]);
                if r.resource_type == "microsoft.insights/diagnosticsettings" {
                    expected.insert("scope");
                }
                assert_eq!(keys, expected, "{}", r.id);
                assert!(r.config["properties"].is_object(), "{}", r.id);
            }
        }
    }
}

#[test]
fn demo_mixes_good_and_bad() {
    let (_, resources) = estate();
    let find = |t: &str, name: &str| {
        resources
            .iter()
            .find(|r| r.resource_type == t && r.name == name)
            .unwrap_or_else(|| panic!("{t} {name}"))
    };
    let good = find("AWS::S3::Bucket", "nw-prod-app-assets");
    assert_eq!(
        good.config["supplementaryConfiguration"]["PublicAccessBlockConfiguration"]
            ["blockPublicPolicy"],
        true
    );
    let public = find("AWS::S3::Bucket", "nw-public-website");
    assert!(public.config["supplementaryConfiguration"]
        .get("PublicAccessBlockConfiguration")
        .is_none());
    assert_eq!(
        public.config["supplementaryConfiguration"]["BucketPolicy"]["policyText"]["Statement"][0]
            ["Principal"],
        "*"
    );
    let open_ssh = find("AWS::EC2::SecurityGroup", "bastion-ssh");
    assert_eq!(
        open_ssh.config["configuration"]["ipPermissions"][0]["ipv4Ranges"][0]["cidrIp"],
        "0.0.0.0/0"
    );
    let root = find("AWS::IAM::CredentialReport", "<root_account>");
    assert_eq!(root.config["configuration"]["mfa_active"], true);
    assert_eq!(root.config["configuration"]["access_key_1_active"], true);
    let legacy = find("microsoft.storage/storageaccounts", "stnwlegacy");
    assert_eq!(
        legacy.config["properties"]["supportsHttpsTrafficOnly"],
        false
    );
    assert_eq!(legacy.config["properties"]["minimumTlsVersion"], "TLS1_0");
    let vault = find("microsoft.keyvault/vaults", "kv-nw-legacy");
    assert!(vault.config["properties"]
        .get("enablePurgeProtection")
        .is_none());
}
