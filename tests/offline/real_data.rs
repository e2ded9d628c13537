//! Every built-in check against real-shaped data: the AWS Config items and Microsoft example
//! responses in `../shared/reference`, normalised by the collectors' own code, plus the demo
//! estate (the only home of synthetic account facts). A check that never matches real data (a
//! wrong field name or casing) shows up here as having no result but `not_applicable`.
#![cfg(all(feature = "aws", feature = "azure"))]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use annexa::collect::{aws::normalize as aws_norm, azure::normalize as az_norm};
use annexa::engine::{Catalog, Evaluator};
use annexa::model::{account_key, FindingStatus, Provider, Resource, Source};
use serde_json::Value;

fn reference() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    assert!(
        p.is_dir(),
        "{} is missing: the shared reference data sits beside the checkout",
        p.display()
    );
    p
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

/// Every configuration item anywhere in a document: rule events, history responses, Select rows
/// (JSON strings), placebo wrappers.
fn aws_items(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) if m.contains_key("resourceType") && m.contains_key("configuration") => {
            out.push(v.clone())
        }
        Value::Object(m) => m.values().for_each(|x| aws_items(x, out)),
        Value::Array(a) => a.iter().for_each(|x| aws_items(x, out)),
        Value::String(s) if s.starts_with('{') && s.contains("resourceType") => {
            if let Ok(inner) = serde_json::from_str::<Value>(s) {
                aws_items(&inner, out);
            }
        }
        _ => {}
    }
}

fn aws_resources() -> Vec<Resource> {
    let mut files = Vec::new();
    json_files(&reference().join("aws-config/examples"), &mut files);
    let mut out = Vec::new();
    for f in files {
        let Ok(doc) = serde_json::from_str::<Value>(&std::fs::read_to_string(&f).unwrap()) else {
            continue;
        };
        let mut items = Vec::new();
        aws_items(&doc, &mut items);
        for item in items {
            if let Ok(Some(r)) = aws_norm::configuration_item(&item, "123456789012") {
                out.push(r);
            }
        }
    }
    out
}

fn azure_resources() -> Vec<Resource> {
    let mut files = Vec::new();
    json_files(
        &reference().join("azure-rest-api-specs-examples"),
        &mut files,
    );
    let mut out = Vec::new();
    let hint = az_norm::Hint {
        subscription: None,
        resource_type: None,
    };
    for f in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let Some(responses) = doc.get("responses").and_then(Value::as_object) else {
            continue;
        };
        for code in ["200", "201"] {
            let Some(body) = responses.get(code).and_then(|r| r.get("body")) else {
                continue;
            };
            let rows: Vec<Value> = if body.get("data").is_some() {
                az_norm::graph_page(body.clone())
                    .map(|p| p.rows)
                    .unwrap_or_default()
            } else if body.get("value").is_some() {
                az_norm::arm_list(body).map(|l| l.items).unwrap_or_default()
            } else {
                vec![body.clone()]
            };
            for row in rows {
                if let Ok(r) = az_norm::resource(&row, hint) {
                    out.push(r);
                }
            }
            break;
        }
    }
    out
}

fn demo_resources() -> Vec<Resource> {
    annexa::demo::reader()
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[derive(Default, Clone, Copy)]
struct Tally {
    pass: u32,
    fail: u32,
    error: u32,
    na: u32,
}

impl Tally {
    fn applied(&self) -> bool {
        self.pass + self.fail + self.error > 0
    }
}

/// Every check over `resources`: resource-scope per resource, account-scope per account.
fn tally(resources: &[Resource]) -> BTreeMap<String, Tally> {
    let catalog = Catalog::builtin().unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let evaluator = Evaluator::new(catalog.checks(), now);
    let mut out: BTreeMap<String, Tally> = catalog
        .checks()
        .iter()
        .map(|c| (c.id.clone(), Tally::default()))
        .collect();
    let mut findings = Vec::new();
    let mut accounts: BTreeMap<String, (Source, Vec<&Resource>)> = BTreeMap::new();
    for r in resources {
        findings.extend(evaluator.evaluate_resource(r));
        accounts
            .entry(account_key(r.provider, &r.account))
            .or_insert_with(|| {
                (
                    Source {
                        provider: r.provider,
                        account: r.account.clone(),
                        regions: vec![],
                        principal: None,
                    },
                    vec![],
                )
            })
            .1
            .push(r);
    }
    for (source, rs) in accounts.values() {
        let kept: Vec<&Resource> = rs
            .iter()
            .copied()
            .filter(|r| {
                evaluator
                    .account_scope_types()
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&r.resource_type))
            })
            .collect();
        findings.extend(evaluator.evaluate_account(source, &kept, &[]));
    }
    for f in findings {
        let t = out.get_mut(&f.check_id).unwrap();
        match f.status {
            FindingStatus::Pass => t.pass += 1,
            FindingStatus::Fail => t.fail += 1,
            FindingStatus::Error => t.error += 1,
            FindingStatus::NotApplicable => t.na += 1,
        }
    }
    out
}

#[test]
fn every_check_meets_real_shaped_data() {
    let aws = aws_resources();
    let azure = azure_resources();
    // A broken loader must not make this test vacuous.
    assert!(
        aws.len() >= 150,
        "only {} AWS configuration items loaded from the reference",
        aws.len()
    );
    assert!(
        azure.len() >= 40,
        "only {} Azure resources loaded from the reference",
        azure.len()
    );
    assert!(
        aws.iter().all(|r| r.provider == Provider::Aws)
            && azure.iter().all(|r| r.provider == Provider::Azure)
    );

    let mut reference = aws;
    reference.extend(azure);
    let on_reference = tally(&reference);
    let on_demo = tally(&demo_resources());

    // Errors on recorded real data mean a check reads a field the real shape does not have.
    // Listed here with the reason when the data, not the check, is at fault.
    const MINIMUM_SET: &str = "compute VirtualMachine_List_MinimumSet_Gen: Microsoft's minimum-set \
        example VMs carry only id and location, no properties; a VM whose configuration could not be \
        read must be an error, never a pass";
    const ERRORS_EXPLAINED: &[(&str, &str)] = &[
        ("azure.compute.vm-automatic-patching", MINIMUM_SET),
        ("azure.compute.vm-linux-ssh-keys-only", MINIMUM_SET),
        ("azure.compute.vm-managed-disks", MINIMUM_SET),
    ];
    let unexplained: Vec<String> = on_reference
        .iter()
        .filter(|(id, t)| {
            t.error > 0
                && !ERRORS_EXPLAINED
                    .iter()
                    .any(|(e, why)| e == id && !why.is_empty())
        })
        .map(|(id, t)| format!("{id}: {} errors", t.error))
        .collect();
    assert!(
        unexplained.is_empty(),
        "checks erroring on real data:\n{}",
        unexplained.join("\n")
    );

    let never: Vec<&String> = on_reference
        .keys()
        .filter(|id| !on_reference[*id].applied() && !on_demo[*id].applied())
        .collect();
    assert!(
        never.is_empty(),
        "checks that no real-shaped item reaches (wrong type, field or casing?): {never:?}"
    );

    let table: String = on_reference
        .iter()
        .map(|(id, r)| {
            let d = on_demo[id];
            format!(
                "{id}: reference pass {} fail {} error {} n/a {} | demo pass {} fail {} error {} n/a {}\n",
                r.pass, r.fail, r.error, r.na, d.pass, d.fail, d.error, d.na
            )
        })
        .collect();
    insta::assert_snapshot!("real_data_by_check", table);
}
