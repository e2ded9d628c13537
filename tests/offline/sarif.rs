//! SARIF output: shape, validity (JSON schema and Microsoft's SARIF Multitool with the GitHub
//! rules), stable fingerprints, baselines, profiles and upload limits.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use annexa::model::*;
use annexa::report::baseline::{Baseline, BaselineError, BaselineState};
use annexa::report::sarif::{
    render, render_with_limits, Limits, SarifFile, SarifOptions, SarifProfile,
};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Building scan results

const AWS_ACCOUNT: &str = "123456789012";
const AZ_SUB: &str = "0b1f6471-1bf0-4dda-aec3-111122223333";

fn check(id: &str, severity: Severity, controls: &[&str]) -> CheckInfo {
    let provider = Provider::of_check_id(id).expect("check ids start with aws. or azure.");
    CheckInfo {
        id: id.into(),
        provider,
        service: id.split('.').nth(1).unwrap_or_default().into(),
        title: format!("{id} is configured safely"),
        severity,
        resource_types: vec![if provider == Provider::Aws { "AWS::S3::Bucket".into() } else { "microsoft.storage/storageaccounts".into() }],
        description: format!("What {id} verifies, in plain words."),
        risk: "Data could be read by anyone | even outsiders.".into(),
        remediation: Remediation {
            text: "Turn the setting on.".into(),
            cli: Some("aws s3api put-public-access-block --bucket NAME".into()),
            links: vec!["https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html".into()],
        },
        controls: controls.iter().map(|c| c.to_string()).collect(),
        params: BTreeMap::new(),
    }
}

fn aws_bucket(check_id: &str, bucket: &str, status: FindingStatus) -> Finding {
    Finding {
        check_id: check_id.into(),
        status,
        severity: Severity::High,
        provider: Provider::Aws,
        account: AWS_ACCOUNT.into(),
        region: "eu-west-1".into(),
        resource_type: "AWS::S3::Bucket".into(),
        resource_id: format!("arn:aws:s3:::{bucket}"),
        resource_name: bucket.into(),
        message: format!("Bucket {bucket} allows public access (BlockPublicAcls is false)"),
        evidence: vec![],
        accepted: None,
    }
}

fn azure_account(check_id: &str, name: &str, status: FindingStatus) -> Finding {
    Finding {
        check_id: check_id.into(),
        status,
        severity: Severity::Medium,
        provider: Provider::Azure,
        account: AZ_SUB.into(),
        region: "westeurope".into(),
        resource_type: "microsoft.storage/storageaccounts".into(),
        resource_id: format!("/subscriptions/{AZ_SUB}/resourceGroups/Prod-RG/providers/Microsoft.Storage/storageAccounts/{name}"),
        resource_name: name.into(),
        message: format!("Storage account {name} accepts TLS 1.0"),
        evidence: vec![],
        accepted: None,
    }
}

fn control(id: &str, title: &str) -> ControlResult {
    ControlResult {
        id: id.into(),
        title: title.into(),
        theme: Theme::Technological,
        automation: Automation::Automated,
        rationale: "Configuration shows it.".into(),
        status: ControlStatus::Fail,
        checks: vec![],
        stats: CheckStats::default(),
    }
}

fn scan(
    mut checks: Vec<CheckInfo>,
    mut findings: Vec<Finding>,
    errors: Vec<CollectionError>,
) -> ScanResult {
    checks.sort_by(|a, b| a.id.cmp(&b.id));
    findings.sort_by(|a, b| (&a.check_id, &a.resource_id).cmp(&(&b.check_id, &b.resource_id)));
    ScanResult {
        format: RESULTS_FORMAT.into(),
        version: RESULTS_VERSION,
        tool: ToolInfo {
            name: "annexa".into(),
            version: "0.1.0".into(),
        },
        framework: "iso27001-2022".into(),
        scope: Scope {
            sources: vec![
                Source {
                    provider: Provider::Aws,
                    account: AWS_ACCOUNT.into(),
                    regions: vec!["eu-west-1".into()],
                    principal: None,
                },
                Source {
                    provider: Provider::Azure,
                    account: AZ_SUB.into(),
                    regions: vec![],
                    principal: None,
                },
            ],
            started_at: "2026-11-23T10:00:00+01:00".into(),
            finished_at: "2026-11-23T10:02:30+01:00".into(),
            collected_at: None,
            inventory_digest: "sha256:00".into(),
            resource_count: 4,
            unchecked_types: BTreeMap::new(),
            accounts: Default::default(),
        },
        checks,
        stats: BTreeMap::new(),
        findings: findings.into(),
        controls: vec![
            control("A.8.3", "Information access restriction"),
            control("A.8.24", "Use of cryptography"),
        ],
        errors,
        suppressions: vec![],
    }
}

const PUBLIC: &str = "aws.s3.bucket-public-access-blocked";
const TLS: &str = "azure.storage.minimum-tls-version";
const CLEAN: &str = "aws.s3.bucket-versioning-enabled";

/// Two AWS failures, one Azure failure, a pass, and a check with no failure at all.
fn failing_scan() -> ScanResult {
    scan(
        vec![
            check(PUBLIC, Severity::High, &["A.8.3", "A.5.15"]),
            check(TLS, Severity::Medium, &["A.8.24"]),
            check(CLEAN, Severity::Low, &["A.8.13"]),
        ],
        vec![
            aws_bucket(PUBLIC, "logs-bucket", FindingStatus::Fail),
            aws_bucket(PUBLIC, "web-assets", FindingStatus::Fail),
            aws_bucket(PUBLIC, "private-data", FindingStatus::Pass),
            aws_bucket(CLEAN, "logs-bucket", FindingStatus::Pass),
            azure_account(TLS, "ProdStore01", FindingStatus::Fail),
        ],
        vec![],
    )
}

fn accepted(mut f: Finding) -> Finding {
    f.accepted = Some(AcceptedRisk {
        id: "public-website".into(),
        reason: "Static website, public by design".into(),
        owner: "web-team@example.com".into(),
        expires: "2027-03-31".into(),
    });
    f
}

fn one(files: Vec<SarifFile>) -> (SarifFile, Value) {
    assert_eq!(files.len(), 1, "expected a single SARIF file");
    let f = files.into_iter().next().unwrap();
    let v: Value = serde_json::from_slice(&f.bytes).expect("SARIF is JSON");
    (f, v)
}

fn results(v: &Value) -> &Vec<Value> {
    v["runs"][0]["results"]
        .as_array()
        .expect("runs[0].results is an array")
}

// ---------------------------------------------------------------------------------------------
// External validators

fn shared_dir() -> PathBuf {
    // `../shared` beside the checkout; worktrees sit one level deeper.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared"))
        .find(|p| p.join("reference/sarif/sarif-schema-2.1.0.json").is_file())
        .unwrap_or_else(|| {
            panic!(
                "no shared/reference/sarif/sarif-schema-2.1.0.json above {}",
                manifest.display()
            )
        })
}

fn tools_dir() -> PathBuf {
    std::env::var_os("ANNEXA_TEST_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/annexa-test-tools")
        })
}

fn tool(rel: &str) -> PathBuf {
    let p = tools_dir().join(rel);
    assert!(p.is_file(), "{} is missing: run scripts/test-env.sh (it installs the test tools under $ANNEXA_TEST_TOOLS)", p.display());
    p
}

fn schema_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let path = shared_dir().join("reference/sarif/sarif-schema-2.1.0.json");
        let mut schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        // The file carries one known defect: region's `anyOf` (startLine, charOffset or
        // byteOffset required) sits inside `properties`, which makes the schema itself invalid
        // for a strict validator. Move it where it was meant to be: stricter, not laxer.
        let region = schema["definitions"]["region"].as_object_mut().unwrap();
        let any_of = region["properties"]
            .as_object_mut()
            .unwrap()
            .remove("anyOf")
            .expect("the known defect is present");
        region.insert("anyOf".into(), any_of);
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles")
    })
}

fn assert_schema_valid(v: &Value, what: &str) {
    let errors: Vec<String> = schema_validator()
        .iter_errors(v)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: {} schema errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

/// Runs the SARIF Multitool with the GitHub rules set to error; returns its error results.
fn multitool_errors(bytes: &[u8], what: &str) -> Vec<String> {
    let exe = tool("npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.sarif");
    let out = dir.path().join("validation.sarif");
    std::fs::write(&input, bytes).unwrap();
    let config = shared_dir().join("reference/sarif/multitool-github-rules.xml");
    let status = Command::new(&exe)
        .arg("validate")
        .arg(&input)
        .arg("--config")
        .arg(&config)
        // The config sets the GitHub rules to error, but runs only the `Sarif` rule kind: the
        // GitHub kinds must be asked for. (GHAzDO wants Azure DevOps pipeline ids that only a
        // pipeline run has; it is not a GitHub rule set.)
        .arg("--rule-kind")
        .arg("Sarif;Gh;Ghas")
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run Sarif.Multitool");
    let log = std::fs::read(&out).unwrap_or_else(|e| {
        panic!(
            "{what}: Multitool wrote no output ({e}); stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&status.stdout),
            String::from_utf8_lossy(&status.stderr)
        )
    });
    let log: Value = serde_json::from_slice(&log).expect("Multitool output is SARIF");
    let runs = log["runs"].as_array().expect("Multitool output has runs");
    // Its own execution must have succeeded, or an empty result list proves nothing.
    for run in runs {
        for inv in run["invocations"].as_array().into_iter().flatten() {
            assert_eq!(
                inv["executionSuccessful"], true,
                "{what}: Multitool did not run cleanly: {inv}"
            );
        }
    }
    // A result without `level` takes its rule's default level, else `warning` (SARIF 3.27.10).
    let mut all: Vec<(String, Value)> = Vec::new();
    for run in runs {
        let rules = run["tool"]["driver"]["rules"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for r in run["results"].as_array().cloned().unwrap_or_default() {
            let rule = rules.iter().find(|d| d["id"] == r["ruleId"]);
            let level = r["level"]
                .as_str()
                .or_else(|| rule.and_then(|d| d["defaultConfiguration"]["level"].as_str()))
                .unwrap_or("warning")
                .to_owned();
            all.push((level, r));
        }
    }
    // Warnings and notes do not fail the test; show them for whoever reads the output.
    for (level, r) in all.iter().filter(|(l, _)| l != "error") {
        println!(
            "{what}: Multitool {level} {}: {}",
            r["ruleId"], r["message"]
        );
    }
    all.into_iter()
        .filter(|(l, _)| l == "error")
        .map(|(_, r)| format!("{} {}", r["ruleId"], r["message"]))
        .collect()
}

/// What GitHub's server checks beyond the schema: one location per result, with a physical
/// location whose URI has no scheme, and a fingerprint.
fn assert_github_locations(v: &Value, what: &str) {
    for r in results(v) {
        let locs = r["locations"].as_array().expect("locations");
        assert_eq!(locs.len(), 1, "{what}: {r}");
        let uri = locs[0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no physical location: {r}"));
        assert_eq!(
            url::Url::parse(uri),
            Err(url::ParseError::RelativeUrlWithoutBase),
            "{what}: {uri} has a scheme"
        );
        assert!(
            r["partialFingerprints"]["primaryLocationLineHash"].is_string(),
            "{what}: {r}"
        );
    }
}

/// Both validators, zero errors.
fn assert_valid(file: &SarifFile, what: &str) -> Value {
    let v: Value = serde_json::from_slice(&file.bytes).expect("SARIF is JSON");
    assert_schema_valid(&v, what);
    assert_github_locations(&v, what);
    let errors = multitool_errors(&file.bytes, what);
    assert!(
        errors.is_empty(),
        "{what}: Multitool (GitHub rules) found {} errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
    v
}

// ---------------------------------------------------------------------------------------------
// Shape

#[test]
fn failing_scan_has_the_github_shape_and_validates() {
    let result = failing_scan();
    let (file, v) = one(render(&result, &SarifOptions::default()).unwrap());
    assert_valid(&file, "failing scan");
    assert_eq!(file.name, "results.sarif");
    assert_eq!(file.category, None);
    assert_eq!(file.results, 3);
    assert_eq!(v["version"], "2.1.0");

    let run = &v["runs"][0];
    assert!(
        run.get("automationDetails").is_none(),
        "no category unless asked for"
    );
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "annexa");
    assert_eq!(driver["version"], "0.1.0");
    assert!(driver["fullName"]
        .as_str()
        .unwrap()
        .starts_with("annexa 0.1.0"));

    // One rule per evaluated check, the clean one included, in id order.
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![PUBLIC, CLEAN, TLS]);
    let public = &rules[0];
    assert_eq!(public["name"], "AwsS3BucketPublicAccessBlocked");
    assert_eq!(
        public["shortDescription"]["text"],
        format!("{PUBLIC} is configured safely")
    );
    assert!(!public["fullDescription"]["text"]
        .as_str()
        .unwrap()
        .is_empty());
    let md = public["help"]["markdown"].as_str().unwrap();
    assert!(
        md.contains("## Risk") && md.contains("even outsiders"),
        "{md}"
    );
    assert!(
        md.contains("```sh\naws s3api put-public-access-block"),
        "{md}"
    );
    assert!(
        md.contains("| A.8.3 | Information access restriction | technological |"),
        "{md}"
    );
    assert!(
        md.contains("| A.5.15 |  |  |"),
        "a control without a result still gets a row: {md}"
    );
    let text = public["help"]["text"].as_str().unwrap();
    assert!(
        text.contains("A.8.3 Information access restriction")
            && text.contains("https://docs.aws.amazon.com/"),
        "{text}"
    );
    assert_eq!(public["properties"]["security-severity"], "8.0");
    assert_eq!(public["defaultConfiguration"]["level"], "error");
    assert_eq!(
        public["properties"]["tags"],
        json!([
            "security",
            "aws",
            "s3",
            "iso27001-2022/A.8.3",
            "iso27001-2022/A.5.15"
        ])
    );
    assert_eq!(public["properties"]["controls"], json!(["A.8.3", "A.5.15"]));
    assert_eq!(rules[1]["properties"]["security-severity"], "2.0");
    assert_eq!(rules[1]["defaultConfiguration"]["level"], "note");
    assert_eq!(rules[2]["properties"]["security-severity"], "5.5");

    // Failing findings only, each with one location, a resource-first message and properties.
    let res = results(&v);
    assert_eq!(res.len(), 3);
    let r = &res
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("web-assets")
        })
        .unwrap();
    assert_eq!(r["ruleId"], PUBLIC);
    assert_eq!(r["ruleIndex"], 0);
    assert_eq!(r["level"], "error");
    assert_eq!(r["kind"], "fail");
    assert!(r["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("web-assets (arn:aws:s3:::web-assets): Bucket web-assets"));
    assert_eq!(r["locations"].as_array().unwrap().len(), 1);
    let loc = &r["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "cloud/aws/123456789012/eu-west-1/s3/web-assets"
    );
    assert_eq!(loc["physicalLocation"]["region"]["startLine"], 1);
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "arn:aws:s3:::web-assets"
    );
    assert_eq!(loc["logicalLocations"][0]["kind"], "resource");
    assert_eq!(r["properties"]["account"], AWS_ACCOUNT);
    assert_eq!(r["properties"]["region"], "eu-west-1");
    assert_eq!(r["properties"]["resourceType"], "AWS::S3::Bucket");
    assert_eq!(r["properties"]["controls"], json!(["A.8.3", "A.5.15"]));
    let fp = r["partialFingerprints"].as_object().unwrap();
    assert!(fp["primaryLocationLineHash"]
        .as_str()
        .unwrap()
        .ends_with(":1"));
    assert_eq!(fp["annexa/v1"].as_str().unwrap().len(), 64);
    assert!(
        r.get("baselineState").is_none(),
        "no baselineState without a baseline"
    );

    let az = res.iter().find(|r| r["ruleId"] == TLS).unwrap();
    assert_eq!(
        az["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!("cloud/azure/{AZ_SUB}/westeurope/storage/resourcegroups/prod-rg/storageaccounts/prodstore01")
    );
    assert_eq!(az["level"], "warning");

    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    assert_eq!(inv["startTimeUtc"], "2026-11-23T09:00:00Z");
    assert_eq!(inv["endTimeUtc"], "2026-11-23T09:02:30Z");
    assert!(inv.get("toolExecutionNotifications").is_none());
}

#[test]
fn clean_scan_declares_every_rule_and_no_result() {
    let mut result = failing_scan();
    result.findings.edit(|all| {
        for f in all {
            f.status = FindingStatus::Pass;
        }
    });
    let (file, v) = one(render(&result, &SarifOptions::default()).unwrap());
    assert_valid(&file, "clean scan");
    assert_eq!(file.results, 0);
    assert_eq!(
        results(&v).len(),
        0,
        "an empty results array, so dashboards close every alert"
    );
    assert_eq!(
        v["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn collection_errors_are_tool_notifications_and_mark_the_run_unsuccessful() {
    let mut result = failing_scan();
    result.errors = vec![
        CollectionError {
            provider: Provider::Aws,
            account: AWS_ACCOUNT.into(),
            region: Some("eu-west-1".into()),
            resource_type: Some("AWS::S3::Bucket".into()),
            api: Some("config:SelectResourceConfig".into()),
            kind: ErrorKind::AccessDenied,
            message: "not authorized to perform config:SelectResourceConfig".into(),
        },
        CollectionError {
            provider: Provider::Azure,
            account: AZ_SUB.into(),
            region: None,
            resource_type: None,
            api: None,
            kind: ErrorKind::Throttled,
            message: "429 Too Many Requests".into(),
        },
    ];
    let (file, v) = one(render(&result, &SarifOptions::default()).unwrap());
    assert_valid(&file, "scan with collection errors");
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(notes[0]["descriptor"]["id"], "collection/access_denied");
    let text = notes[0]["message"]["text"].as_str().unwrap();
    assert!(
        text.contains("aws/123456789012/eu-west-1 AWS::S3::Bucket (config:SelectResourceConfig)"),
        "{text}"
    );
    assert!(text.contains("not authorized"), "{text}");
    assert_eq!(notes[1]["properties"]["kind"], "throttled");
}

#[test]
fn accepted_risks_are_left_out_of_github_and_suppressed_in_full() {
    let mut result = failing_scan();
    result.findings.edit(|all| {
        for f in all {
            if f.resource_name == "web-assets" {
                *f = accepted(f.clone());
            }
        }
    });
    let (gh, gv) = one(render(&result, &SarifOptions::default()).unwrap());
    assert_eq!(gh.results, 2);
    assert!(!String::from_utf8_lossy(&gh.bytes).contains("web-assets"));
    assert!(results(&gv).iter().all(|r| r.get("suppressions").is_none()));

    let opts = SarifOptions {
        profile: SarifProfile::Full,
        ..Default::default()
    };
    let (full, v) = one(render(&result, &opts).unwrap());
    assert_valid(&full, "full profile");
    assert_eq!(full.results, 3);
    let r = results(&v)
        .iter()
        .find(|r| r["locations"][0]["logicalLocations"][0]["name"] == "web-assets")
        .unwrap();
    assert_eq!(
        r["suppressions"],
        json!([{
            "kind": "external",
            "status": "accepted",
            "justification": "Static website, public by design",
            "properties": {"expiry": "2027-03-31", "id": "public-website", "owner": "web-team@example.com"}
        }])
    );
    assert_eq!(v["runs"][0]["properties"]["profile"], "full");
    assert_eq!("full".parse::<SarifProfile>(), Ok(SarifProfile::Full));
    assert!("fancy"
        .parse::<SarifProfile>()
        .unwrap_err()
        .contains("github or full"));
}

#[test]
fn category_sets_automation_details_id() {
    let opts = SarifOptions {
        category: Some("aws-123456789012".into()),
        ..Default::default()
    };
    let (file, v) = one(render(&failing_scan(), &opts).unwrap());
    assert_valid(&file, "scan with a category");
    assert_eq!(file.category.as_deref(), Some("aws-123456789012"));
    // GitHub takes the part before the last `/` as the category.
    assert_eq!(v["runs"][0]["automationDetails"]["id"], "aws-123456789012/");
}

// ---------------------------------------------------------------------------------------------
// Identity

fn fingerprints(v: &Value) -> BTreeMap<String, (String, String)> {
    results(v)
        .iter()
        .map(|r| {
            let id = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap();
            let key = format!("{} {}", r["ruleId"].as_str().unwrap(), id);
            let fp = &r["partialFingerprints"];
            (
                key,
                (
                    fp["primaryLocationLineHash"].as_str().unwrap().to_owned(),
                    fp["annexa/v1"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

#[test]
fn fingerprints_depend_on_rule_and_resource_only() {
    let opts = SarifOptions::default();
    let a = failing_scan();
    let first = render(&a, &opts).unwrap();
    let second = render(&a, &opts).unwrap();
    assert_eq!(
        first, second,
        "two renders of the same result are byte-identical"
    );
    let (_, base) = one(first);
    let base_fp = fingerprints(&base);
    assert_eq!(base_fp.len(), 3);

    // Reordered input (findings are always held sorted, so only the checks can come in another
    // order): same fingerprints, same bytes.
    let mut reordered = a.clone();
    reordered.checks.reverse();
    let (_, rv) = one(render(&reordered, &opts).unwrap());
    assert_eq!(fingerprints(&rv), base_fp);
    assert_eq!(rv, base);

    // Changed message text and severity: same fingerprints.
    let mut changed = a.clone();
    changed.findings.edit(|all| {
        for f in all {
            f.message = format!("{} (now with different words)", f.message);
        }
    });
    let (_, cv) = one(render(&changed, &opts).unwrap());
    assert_eq!(fingerprints(&cv), base_fp);

    // Azure ids differ only in case between scans: same fingerprint.
    let mut cased = a.clone();
    cased.findings.edit(|all| {
        for f in all {
            if f.provider == Provider::Azure {
                f.resource_id = f.resource_id.to_ascii_uppercase();
            }
        }
    });
    let (_, zv) = one(render(&cased, &opts).unwrap());
    // The same finding twice (merged scans, or one id in two casings): one result.
    let mut twice = cased.clone();
    twice.findings.edit(|all| {
        all.extend(
            a.findings
                .iter()
                .filter(|f| f.status == FindingStatus::Fail),
        )
    });
    let (tf, _) = one(render(&twice, &opts).unwrap());
    assert_eq!(tf.results, 3);
    let az = |m: &BTreeMap<String, (String, String)>| {
        m.iter()
            .find(|(k, _)| k.starts_with(TLS))
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(az(&fingerprints(&zv)), az(&base_fp));

    // Different resources and different checks: all distinct.
    let mut both = a.clone();
    both.findings.edit(|all| {
        all.push(aws_bucket(CLEAN, "logs-bucket", FindingStatus::Fail));
        all.push(aws_bucket(CLEAN, "web-assets", FindingStatus::Fail));
    });
    let (_, bv) = one(render(&both, &opts).unwrap());
    let fps = fingerprints(&bv);
    assert_eq!(fps.len(), 5);
    let primary: BTreeSet<&String> = fps.values().map(|(p, _)| p).collect();
    let ours: BTreeSet<&String> = fps.values().map(|(_, o)| o).collect();
    assert_eq!(primary.len(), 5, "{fps:?}");
    assert_eq!(ours.len(), 5, "{fps:?}");
}

#[test]
fn artifact_uris_have_no_scheme_and_every_result_one_location() {
    let mut result = failing_scan();
    let mut odd = aws_bucket(PUBLIC, "x", FindingStatus::Fail);
    odd.resource_type = "AWS::IAM::Role".into();
    odd.resource_id = "arn:aws:iam::123456789012:role/service-role/My Role+ä".into();
    odd.resource_name = "My Role+ä".into();
    let mut scope = aws_bucket(PUBLIC, "x", FindingStatus::Fail);
    scope.resource_type = "AWS::Account".into();
    scope.resource_id = "aws/123456789012".into();
    scope.resource_name = String::new();
    let mut dots = aws_bucket(PUBLIC, "x", FindingStatus::Fail);
    dots.resource_type = "Custom".into();
    dots.resource_id = "no-arn-id".into();
    dots.resource_name = "../../etc/passwd".into();
    let mut image = aws_bucket(PUBLIC, "x", FindingStatus::Fail);
    image.resource_type = "AWS::ECR::Repository".into();
    image.resource_id = "registry.example:5000/app:1.2".into();
    image.resource_name = "app:1.2".into();
    result
        .findings
        .edit(|all| all.extend([odd, scope, dots, image]));
    let (file, v) = one(render(&result, &SarifOptions::default()).unwrap());
    assert_valid(&file, "odd resource ids");
    let base = url::Url::parse("https://base.invalid/repo/").unwrap();
    for r in results(&v) {
        let locs = r["locations"].as_array().unwrap();
        assert_eq!(locs.len(), 1, "{r}");
        let uri = locs[0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert_eq!(
            url::Url::parse(uri),
            Err(url::ParseError::RelativeUrlWithoutBase),
            "{uri} must have no scheme"
        );
        let joined = base.join(uri).unwrap();
        assert!(
            joined.path().starts_with("/repo/cloud/"),
            "{uri} stays below the repository: {joined}"
        );
        assert!(
            !uri.starts_with('/') && !uri.contains("..") && !uri.contains(':'),
            "{uri}"
        );
        assert!(
            uri.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._~/-%".contains(c)),
            "{uri}"
        );
    }
    let uris: Vec<&str> = results(&v)
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        uris.contains(&"cloud/aws/123456789012/eu-west-1/iam/role/service-role/My%20Role%2B%C3%A4"),
        "{uris:?}"
    );
    assert!(
        uris.contains(&"cloud/aws/123456789012/eu-west-1/account/account"),
        "{uris:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Baselines

/// The earlier scan: logs-bucket failed with another message, old-bucket failed and is fixed
/// now, web-assets did not fail; the Azure failure is unchanged.
fn earlier_scan() -> ScanResult {
    let mut logs = aws_bucket(PUBLIC, "logs-bucket", FindingStatus::Fail);
    logs.message = "Bucket logs-bucket allows public access (IgnorePublicAcls is false)".into();
    scan(
        vec![
            check(PUBLIC, Severity::High, &["A.8.3"]),
            check(TLS, Severity::Medium, &["A.8.24"]),
        ],
        vec![
            logs,
            aws_bucket(PUBLIC, "old-bucket", FindingStatus::Fail),
            aws_bucket(PUBLIC, "web-assets", FindingStatus::Pass),
            azure_account(TLS, "ProdStore01", FindingStatus::Fail),
        ],
        vec![],
    )
}

fn states(v: &Value) -> BTreeMap<String, String> {
    results(v)
        .iter()
        .map(|r| {
            let name = r["locations"][0]["logicalLocations"][0]["name"]
                .as_str()
                .unwrap()
                .to_owned();
            (name, r["baselineState"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn expected_states(with_absent: bool) -> BTreeMap<String, String> {
    let mut m = BTreeMap::from([
        ("logs-bucket".to_owned(), "updated".to_owned()),
        ("web-assets".to_owned(), "new".to_owned()),
        ("ProdStore01".to_owned(), "unchanged".to_owned()),
    ]);
    if with_absent {
        m.insert("old-bucket".into(), "absent".into());
    }
    m
}

#[test]
fn baseline_from_results_json_fills_every_baseline_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&earlier_scan()).unwrap()).unwrap();
    let baseline = Baseline::load(&path).unwrap();
    assert!(matches!(baseline, Baseline::Results(_)));
    let now = failing_scan();
    assert!(baseline.scope_matches(&now));
    assert_eq!(baseline.keys().count(), 3);
    assert!(
        baseline
            .keys()
            .any(|(c, id)| c == TLS && id == &id.to_ascii_lowercase()),
        "Azure keys are canonical"
    );

    let full = SarifOptions {
        profile: SarifProfile::Full,
        baseline: Some(baseline.clone()),
        ..Default::default()
    };
    let (file, v) = one(render(&now, &full).unwrap());
    assert_valid(&file, "baseline run, full profile");
    assert_eq!(states(&v), expected_states(true));
    let absent = results(&v)
        .iter()
        .find(|r| r["baselineState"] == "absent")
        .unwrap();
    assert_eq!(
        absent["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "cloud/aws/123456789012/eu-west-1/s3/old-bucket"
    );
    assert_eq!(absent["ruleId"], PUBLIC);
    assert_eq!(file.results, 4);

    // GitHub ignores baselineState: an absent result would open an alert, so it is left out.
    let gh = SarifOptions {
        baseline: Some(baseline),
        ..Default::default()
    };
    let (file, v) = one(render(&now, &gh).unwrap());
    assert_valid(&file, "baseline run, github profile");
    assert_eq!(states(&v), expected_states(false));
}

#[test]
fn baseline_from_our_own_sarif_matches_the_results_json_one() {
    let earlier = render(
        &earlier_scan(),
        &SarifOptions {
            profile: SarifProfile::Full,
            ..Default::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sarif");
    std::fs::write(&path, &earlier[0].bytes).unwrap();
    let from_sarif = Baseline::load(&path).unwrap();
    assert!(matches!(from_sarif, Baseline::Sarif(_)));
    let from_json = Baseline::from_results(&earlier_scan());
    assert_eq!(
        from_sarif.entries(),
        from_json.entries(),
        "same identities, messages and facts either way"
    );
    assert_eq!(from_sarif.accounts(), from_json.accounts());

    let now = failing_scan();
    let f = now
        .findings
        .iter()
        .find(|f| f.resource_name == "logs-bucket" && f.check_id == PUBLIC)
        .unwrap();
    let (check, id) = f.key();
    assert_eq!(
        from_sarif.state(&check, &id, &f.message),
        BaselineState::Updated
    );
    assert_eq!(
        from_sarif.state(
            &check,
            &id,
            "Bucket logs-bucket allows public access (IgnorePublicAcls is false)"
        ),
        BaselineState::Unchanged
    );
    assert_eq!(
        from_sarif.state(&check, "arn:aws:s3:::other", "x"),
        BaselineState::New
    );

    let opts = SarifOptions {
        profile: SarifProfile::Full,
        baseline: Some(from_sarif),
        ..Default::default()
    };
    let (file, v) = one(render(&now, &opts).unwrap());
    assert_valid(&file, "baseline from SARIF");
    assert_eq!(states(&v), expected_states(true));

    // A SARIF that already marks a result absent does not bring it back.
    let again_path = dir.path().join("again.sarif");
    std::fs::write(&again_path, &file.bytes).unwrap();
    let again = Baseline::load(&again_path).unwrap();
    assert!(!again.keys().any(|(_, id)| id.ends_with("old-bucket")));
}

#[test]
fn absent_needs_an_evaluated_check_and_complete_data() {
    let baseline = Baseline::from_results(&earlier_scan());
    let mut now = failing_scan();
    // The bucket data is missing this time: old-bucket may still fail, so it is not absent.
    now.errors.push(CollectionError {
        provider: Provider::Aws,
        account: AWS_ACCOUNT.into(),
        region: Some("eu-west-1".into()),
        resource_type: Some("AWS::S3::Bucket".into()),
        api: None,
        kind: ErrorKind::AccessDenied,
        message: "denied".into(),
    });
    assert_eq!(baseline.absent(&now).count(), 0);
    // The check was not selected this time: nothing can be said about its findings.
    let mut now = failing_scan();
    now.checks.retain(|c| c.id != PUBLIC);
    assert_eq!(baseline.absent(&now).count(), 0);
    let now = failing_scan();
    let absent: Vec<_> = baseline
        .absent(&now)
        .map(|e| e.resource_name.clone())
        .collect();
    assert_eq!(absent, vec!["old-bucket"]);
}

#[test]
fn baseline_of_other_accounts_says_so() {
    let mut other = earlier_scan();
    other.scope.sources.retain(|s| s.provider == Provider::Aws);
    other.scope.sources[0].account = "999999999999".into();
    other.findings.edit(|all| {
        for f in all.iter_mut() {
            f.account = "999999999999".into();
        }
        all.retain(|f| f.provider == Provider::Aws);
    });
    let baseline = Baseline::from_results(&other);
    let now = failing_scan();
    assert!(!baseline.scope_matches(&now));
    let err = render(
        &now,
        &SarifOptions {
            baseline: Some(baseline),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("aws/999999999999"), "{err}");
    assert!(
        err.contains(&format!("aws/{AWS_ACCOUNT}, azure/{AZ_SUB}")),
        "{err}"
    );
    assert!(err.contains("same accounts"), "{err}");
}

#[test]
fn baseline_files_of_other_kinds_and_versions_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: &Value| {
        let p = dir.path().join(name);
        std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
        p
    };
    let mut newer = serde_json::to_value(earlier_scan()).unwrap();
    newer["version"] = json!(2);
    let err = Baseline::load(&write("v2.json", &newer)).unwrap_err();
    assert!(matches!(err, BaselineError::ResultsVersion { .. }), "{err}");
    assert!(
        err.to_string().contains("version 2") && err.to_string().contains("v2.json"),
        "{err}"
    );

    let sarif21 = json!({"version": "2.0.0", "runs": []});
    let err = Baseline::load(&write("old.sarif", &sarif21)).unwrap_err();
    assert!(matches!(err, BaselineError::SarifVersion { .. }), "{err}");

    let foreign = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy"}}, "results": []}]});
    let err = Baseline::load(&write("trivy.sarif", &foreign)).unwrap_err();
    assert!(err.to_string().contains("`Trivy`, not annexa"), "{err}");

    let mut ours: Value = serde_json::from_slice(
        &render(&failing_scan(), &SarifOptions::default()).unwrap()[0].bytes,
    )
    .unwrap();
    let fp = ours["runs"][0]["results"][0]["partialFingerprints"]
        .as_object_mut()
        .unwrap();
    let v1 = fp.remove("annexa/v1").unwrap();
    fp.insert("annexa/v2".into(), v1);
    let err = Baseline::load(&write("v2.sarif", &ours)).unwrap_err();
    assert!(
        matches!(err, BaselineError::FingerprintVersion { .. }),
        "{err}"
    );

    let err = Baseline::load(&write("other.json", &json!({"hello": 1}))).unwrap_err();
    assert!(matches!(err, BaselineError::UnknownKind { .. }), "{err}");
    let p = dir.path().join("broken.json");
    std::fs::write(&p, b"{\"format\": ").unwrap();
    assert!(matches!(
        Baseline::load(&p).unwrap_err(),
        BaselineError::Json { .. }
    ));
    assert!(matches!(
        Baseline::load(&dir.path().join("missing.json")).unwrap_err(),
        BaselineError::Io { .. }
    ));
}

#[test]
fn baseline_fixture_on_disk_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/results/baseline-small.json");
    let baseline = Baseline::load(&path).unwrap();
    assert!(baseline.scope_matches(&failing_scan()));
    let opts = SarifOptions {
        profile: SarifProfile::Full,
        baseline: Some(baseline),
        ..Default::default()
    };
    let (_, v) = one(render(&failing_scan(), &opts).unwrap());
    assert_eq!(states(&v), expected_states(true));
}

// ---------------------------------------------------------------------------------------------
// Limits

fn gzip_default_len(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap().len()
}

fn many_failures(n: usize) -> ScanResult {
    let findings = (0..n)
        .map(|i| {
            let mut f = aws_bucket(if i % 2 == 0 { PUBLIC } else { CLEAN }, &format!("bucket-{i:06}"), FindingStatus::Fail);
            f.message = format!("Bucket bucket-{i:06} allows public access (BlockPublicAcls is false; policy statement {i} grants s3:GetObject to *)");
            f
        })
        .collect();
    scan(
        vec![
            check(PUBLIC, Severity::High, &["A.8.3"]),
            check(CLEAN, Severity::Low, &["A.8.13"]),
        ],
        findings,
        vec![],
    )
}

fn all_identities(files: &[SarifFile]) -> Vec<String> {
    let mut ids = Vec::new();
    for f in files {
        let v: Value = serde_json::from_slice(&f.bytes).unwrap();
        assert_eq!(results(&v).len(), f.results);
        ids.extend(results(&v).iter().map(|r| {
            r["partialFingerprints"]["annexa/v1"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    ids
}

#[test]
fn sixty_thousand_failures_are_split_into_files_within_github_limits() {
    let result = many_failures(60_000);
    let files = render(
        &result,
        &SarifOptions {
            category: Some("aws-prod".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        files.len() >= 3,
        "60,000 results need at least 3 runs of 25,000: {}",
        files.len()
    );
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let expected: Vec<String> = (1..=files.len())
        .map(|i| format!("results-{i}.sarif"))
        .collect();
    assert_eq!(names, expected);
    let mut categories = BTreeSet::new();
    for (i, f) in files.iter().enumerate() {
        assert!(f.results <= 25_000, "{}: {} results", f.name, f.results);
        let gz = gzip_default_len(&f.bytes);
        assert!(gz <= 10_000_000, "{}: {gz} bytes gzipped", f.name);
        let v: Value = serde_json::from_slice(&f.bytes).unwrap();
        assert_eq!(
            v["runs"].as_array().unwrap().len(),
            1,
            "one run per file (limit 20)"
        );
        let cat = f.category.clone().unwrap();
        assert_eq!(cat, format!("aws-prod/part-{}", i + 1));
        assert_eq!(v["runs"][0]["automationDetails"]["id"], format!("{cat}/"));
        assert_eq!(
            v["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .len(),
            2,
            "every part declares every rule"
        );
        println!(
            "{}: {} results, {} bytes, {gz} bytes gzipped",
            f.name,
            f.results,
            f.bytes.len()
        );
        categories.insert(cat);
    }
    assert_eq!(categories.len(), files.len(), "distinct categories");
    let ids = all_identities(&files);
    assert_eq!(ids.len(), 60_000);
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        60_000,
        "every finding exactly once"
    );
    // The first part validates (schema); the others are built by the same code.
    let v: Value = serde_json::from_slice(&files[0].bytes).unwrap();
    assert_schema_valid(&v, "split part 1");

    // Deterministic, and a finding stays in its part when others come and go.
    let mut fewer = result.clone();
    fewer
        .findings
        .edit(|all| all.retain(|f| !f.resource_name.ends_with('7')));
    let again = render(
        &fewer,
        &SarifOptions {
            category: Some("aws-prod".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(again.len(), files.len());
    for (a, b) in files.iter().zip(&again) {
        let a: BTreeSet<String> = all_identities(std::slice::from_ref(a))
            .into_iter()
            .collect();
        let b: BTreeSet<String> = all_identities(std::slice::from_ref(b))
            .into_iter()
            .collect();
        assert!(b.is_subset(&a), "a finding moved to another part");
    }
}

#[test]
fn gzip_budget_splits_too() {
    let result = many_failures(400);
    let unsplit = render(&result, &SarifOptions::default()).unwrap();
    assert_eq!(unsplit.len(), 1);
    let budget = gzip_default_len(&unsplit[0].bytes) / 2;
    let limits = Limits {
        max_results_per_run: 25_000,
        max_rules_per_run: 25_000,
        max_gzip_bytes: budget,
    };
    let files = render_with_limits(&result, &SarifOptions::default(), &limits).unwrap();
    assert!(files.len() >= 2, "{}", files.len());
    for f in &files {
        assert!(gzip_default_len(&f.bytes) <= budget, "{}", f.name);
        assert!(
            f.category.as_deref().unwrap().starts_with("annexa/part-"),
            "split without --sarif-category still needs categories"
        );
    }
    assert_eq!(all_identities(&files).len(), 400);
    assert_valid(&files[0], "a part of a split");

    // The parts together are a baseline: nothing new, nothing absent.
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|f| {
            let p = dir.path().join(&f.name);
            std::fs::write(&p, &f.bytes).unwrap();
            p
        })
        .collect();
    let baseline = Baseline::load_all(&paths).unwrap().unwrap();
    assert_eq!(baseline.keys().count(), 400);
    let opts = SarifOptions {
        profile: SarifProfile::Full,
        baseline: Some(baseline),
        ..Default::default()
    };
    let again = render_with_limits(&result, &opts, &limits).unwrap();
    for f in &again {
        let v: Value = serde_json::from_slice(&f.bytes).unwrap();
        assert!(
            results(&v)
                .iter()
                .all(|r| r["baselineState"] == "unchanged"),
            "{}",
            f.name
        );
    }

    let limits = Limits {
        max_results_per_run: 25_000,
        max_rules_per_run: 1,
        max_gzip_bytes: 9_000_000,
    };
    let err = render_with_limits(&result, &SarifOptions::default(), &limits).unwrap_err();
    assert!(err.to_string().contains("2 checks"), "{err}");
}

#[test]
fn parts_are_handed_over_as_made_and_the_last_of_each_name_is_the_final_split() {
    let result = many_failures(400);
    let unsplit = render(&result, &SarifOptions::default()).unwrap();
    for divisor in [2, 3, 5, 8] {
        let limits = Limits {
            max_results_per_run: 25_000,
            max_rules_per_run: 25_000,
            max_gzip_bytes: gzip_default_len(&unsplit[0].bytes) / divisor,
        };
        let mut emitted: Vec<SarifFile> = Vec::new();
        annexa::report::sarif::write_with_limits(
            &result,
            &SarifOptions::default(),
            &limits,
            &mut |f| {
                emitted.push(f);
                Ok(())
            },
        )
        .unwrap();
        let last_of_each: BTreeMap<String, &SarifFile> =
            emitted.iter().map(|f| (f.name.clone(), f)).collect();
        let expected = render_with_limits(&result, &SarifOptions::default(), &limits).unwrap();
        assert_eq!(
            last_of_each.len(),
            expected.len(),
            "divisor {divisor}: no stray names"
        );
        for f in &expected {
            assert_eq!(last_of_each[&f.name], f, "divisor {divisor}: {}", f.name);
            assert_eq!(f.parts, expected.len());
        }
        assert!(emitted
            .iter()
            .all(|f| gzip_default_len(&f.bytes) <= limits.max_gzip_bytes));
    }
}

// ---------------------------------------------------------------------------------------------
// Readers

#[test]
fn sarif_fmt_shows_rule_and_resource() {
    let exe = tool("cargo/bin/sarif-fmt");
    let (file, _) = one(render(&failing_scan(), &SarifOptions::default()).unwrap());
    let mut child = Command::new(&exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&file.bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "sarif-fmt failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(PUBLIC) || stdout.contains("AwsS3BucketPublicAccessBlocked"),
        "names a rule:\n{stdout}"
    );
    assert!(stdout.contains("web-assets"), "names a resource:\n{stdout}");
}

#[test]
fn small_sarif_snapshot() {
    let result = scan(
        vec![check(PUBLIC, Severity::High, &["A.8.3"])],
        vec![
            aws_bucket(PUBLIC, "web-assets", FindingStatus::Fail),
            aws_bucket(PUBLIC, "private-data", FindingStatus::Pass),
        ],
        vec![],
    );
    let (file, v) = one(render(
        &result,
        &SarifOptions {
            category: Some("demo".into()),
            ..Default::default()
        },
    )
    .unwrap());
    assert_eq!(file.results, 1);
    assert_eq!(results(&v)[0]["ruleId"], PUBLIC);
    insta::assert_json_snapshot!("small_sarif", v, {
        ".runs[].invocations[].startTimeUtc" => "[time]",
        ".runs[].invocations[].endTimeUtc" => "[time]",
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].tool.driver.semanticVersion" => "[version]",
        ".runs[].tool.driver.fullName" => "[full name]",
    });
}

/// The validators themselves must be able to fail, or a clean report proves nothing.
#[test]
fn validators_reject_what_github_rejects() {
    let (file, mut v) = one(render(&failing_scan(), &SarifOptions::default()).unwrap());
    let r = &mut v["runs"][0]["results"][0];
    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        json!("arn:aws:s3:::web-assets");
    let broken = serde_json::to_vec_pretty(&v).unwrap();
    let errors = multitool_errors(&broken, "broken file");
    assert!(
        errors.iter().any(|e| e.contains("GH1005")),
        "Multitool accepted a file with an `arn:` URI: {errors:?}"
    );
    v["runs"][0]["results"][0]["level"] = json!("fatal");
    v["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"] = json!("not an object");
    let schema_errors = schema_validator().iter_errors(&v).count();
    assert_eq!(
        schema_errors, 2,
        "the schema accepts level `fatal` or a string description"
    );
    assert!(multitool_errors(&file.bytes, "intact file").is_empty());
}

/// The whole pipeline: the demo estate scanned through the CLI, its SARIF valid for GitHub, and
/// rendered again from results.json without rescanning to the same bytes.
#[test]
fn demo_scan_sarif_from_the_cli_validates_and_renders_again_identically() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("annexa")
            .unwrap()
            .current_dir(dir.path())
            .env("ANNEXA_NOW", "2026-11-23T12:00:00Z")
            .args(args)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // A stale part of an earlier split run must not survive.
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/results-7.sarif"), "{}").unwrap();
    run(&[
        "scan",
        "--demo",
        "--format",
        "json,sarif",
        "--output-dir",
        "out",
        "--sarif-category",
        "demo",
    ]);
    assert!(!dir.path().join("out/results-7.sarif").exists());
    let bytes = std::fs::read(dir.path().join("out/results.sarif")).unwrap();
    let file = SarifFile {
        name: "results.sarif".into(),
        bytes: bytes.clone(),
        category: Some("demo".into()),
        results: 0,
        parts: 1,
    };
    let v = assert_valid(&file, "demo scan");
    assert_eq!(v["runs"][0]["automationDetails"]["id"], "demo/");
    assert!(results(&v).len() > 50, "the demo estate has many failures");
    run(&[
        "report",
        "--results",
        "out/results.json",
        "--format",
        "sarif",
        "--output-dir",
        "again",
        "--sarif-category",
        "demo",
    ]);
    assert_eq!(
        std::fs::read(dir.path().join("again/results.sarif")).unwrap(),
        bytes
    );
    // The full profile with the scan itself as baseline: every result unchanged.
    run(&[
        "report",
        "--results",
        "out/results.json",
        "--format",
        "sarif",
        "--output-dir",
        "full",
        "--sarif-profile",
        "full",
        "--baseline",
        "out/results.json",
    ]);
    let full: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("full/results.sarif")).unwrap())
            .unwrap();
    assert!(results(&full)
        .iter()
        .all(|r| r["baselineState"] == "unchanged"));
}
