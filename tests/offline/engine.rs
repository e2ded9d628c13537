//! The check engine through its public API: loading (and every kind of load error), the
//! statuses of evaluation, account-scope checks, collection gaps, params and examples.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use annexa::engine::{run_examples, Catalog, Evaluator, LoadError};
use annexa::model::{CollectionError, ErrorKind, FindingStatus, Provider, Resource, Source};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

fn good_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/checks/good")
}

fn good() -> Catalog {
    Catalog::load_dir(&good_dir()).expect("fixture checks load")
}

/// A minimal valid check file with `extra` appended (or replacing nothing).
const HEAD: &str = r#"title = "S3 bucket is versioned"
severity = "low"
resource_types = ["AWS::S3::Bucket"]
description = "d"
risk = "r"
since = "0.1.0"
"#;

const TAIL: &str = r#"
[remediation]
text = "t"
"#;

/// Writes `text` at DIR/rel and loads DIR; returns the error's text.
fn load_error(rel: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    match Catalog::load_dir(dir.path()) {
        Ok(_) => panic!("{rel} loaded but should not:\n{text}"),
        Err(e) => e
            .to_string()
            .replace(&format!("{}/", dir.path().display()), "DIR/"),
    }
}

fn check_text(body: &str) -> String {
    format!("{HEAD}{body}{TAIL}")
}

fn s3(name: &str, config: serde_json::Value) -> Resource {
    Resource {
        provider: Provider::Aws,
        account: "123456789012".into(),
        region: "eu-west-1".into(),
        resource_type: "AWS::S3::Bucket".into(),
        id: format!("arn:aws:s3:::{name}"),
        name: name.into(),
        tags: BTreeMap::new(),
        config,
    }
}

#[test]
fn fixture_catalog_loads_sorted_with_ids_from_paths() {
    let c = good();
    let ids: Vec<&str> = c.checks().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "aws.cloudtrail.multi-region-trail-logging",
            "aws.iam.policy-no-admin-access",
            "aws.s3.bucket-public-access-blocked",
            "azure.storage.account-secure-transfer"
        ]
    );
    let s3 = c.get("aws.s3.bucket-public-access-blocked").unwrap();
    assert_eq!(s3.service, "s3");
    assert!(s3
        .origin
        .ends_with("aws/s3/bucket-public-access-blocked.toml"));
    assert!(c.get("aws.s3.nope").is_none());
    let info = s3.info(vec!["A.8.3".into()]);
    assert_eq!(info.controls, ["A.8.3"]);
    assert_eq!(info.title, "S3 bucket blocks public access");
}

#[test]
fn every_fixture_example_gives_its_expected_status() {
    let c = good();
    let mut failures = Vec::new();
    let mut n = 0;
    for check in c.checks() {
        for o in run_examples(check, now()) {
            n += 1;
            if !o.passed() {
                failures.push(format!(
                    "{} / {}: expected {:?}, got {:?}: {}",
                    o.check_id, o.name, o.expected, o.got, o.message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(n, 12);
}

#[test]
fn statuses_pass_fail_error_and_not_applicable() {
    let c = good();
    let ev = Evaluator::new(c.checks(), now());
    let on = json!({"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true});
    let pass = ev.evaluate_resource(&s3("a", json!({"configuration": {}, "supplementaryConfiguration": {"PublicAccessBlockConfiguration": on}})));
    assert_eq!(pass.len(), 1);
    assert_eq!(pass[0].status, FindingStatus::Pass);
    assert_eq!(pass[0].message, "S3 bucket blocks public access");
    assert!(pass[0].evidence.is_empty());

    let fail = ev.evaluate_resource(&s3(
        "b",
        json!({"configuration": {}, "supplementaryConfiguration": {}}),
    ));
    assert_eq!(fail[0].status, FindingStatus::Fail);
    assert_eq!(
        fail[0].message,
        "Bucket b does not block public access on all four settings"
    );
    assert_eq!(fail[0].evidence.len(), 1);
    assert_eq!(
        fail[0].evidence[0].value,
        serde_json::Value::Null,
        "absent evidence is null"
    );
    assert_eq!(fail[0].severity, annexa::model::Severity::High);
    assert_eq!(fail[0].resource_id, "arn:aws:s3:::b");

    // A missing field is an error naming the check and the field, never a pass.
    let err = ev.evaluate_resource(&s3("c", json!({"configuration": {}})));
    assert_eq!(err[0].status, FindingStatus::Error);
    assert!(
        err[0]
            .message
            .contains("aws.s3.bucket-public-access-blocked"),
        "{}",
        err[0].message
    );
    assert!(
        err[0].message.contains("supplementaryConfiguration"),
        "{}",
        err[0].message
    );

    // `when` false.
    let policy = Resource {
        resource_type: "AWS::IAM::Policy".into(),
        region: "global".into(),
        ..s3("p", json!({"configuration": {"isAttachable": false}}))
    };
    let na = ev.evaluate_resource(&policy);
    assert_eq!(na[0].status, FindingStatus::NotApplicable);

    // A type no check reads yields nothing.
    let other = Resource {
        resource_type: "AWS::EC2::VPC".into(),
        ..s3("v", json!({}))
    };
    assert!(ev.evaluate_resource(&other).is_empty());
}

#[test]
fn azure_types_compare_case_insensitively_and_params_apply() {
    let mut c = good();
    let sa = Resource {
        provider: Provider::Azure,
        account: "00000000-0000-0000-0000-000000000001".into(),
        region: "westeurope".into(),
        resource_type: "microsoft.storage/storageaccounts".into(),
        id: "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/microsoft.storage/storageaccounts/sa1".into(),
        name: "sa1".into(),
        tags: BTreeMap::new(),
        config: json!({"kind": "StorageV2", "properties": {"supportsHttpsTrafficOnly": "True", "minimumTlsVersion": "TLS1_1"}}),
    };
    let f = Evaluator::new(c.checks(), now()).evaluate_resource(&sa);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, FindingStatus::Fail);
    assert_eq!(
        f[0].message,
        "Storage account sa1: HTTPS only = True, minimum TLS = TLS1_1"
    );
    assert_eq!(f[0].evidence[1].value, json!("TLS1_1"));

    let overrides: toml::Table = toml::from_str(r#"allowed_tls = ["TLS1_1", "TLS1_2"]"#).unwrap();
    c.set_params(
        "azure.storage.account-secure-transfer",
        &overrides,
        "annexa.toml",
    )
    .unwrap();
    let f = Evaluator::new(c.checks(), now()).evaluate_resource(&sa);
    assert_eq!(f[0].status, FindingStatus::Pass);
}

#[test]
fn set_params_rejects_unknown_checks_params_and_types() {
    let mut c = good();
    let t = |s: &str| -> toml::Table { toml::from_str(s).unwrap() };
    let e = c
        .set_params("aws.s3.nope", &t("a = 1"), "annexa.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("annexa.toml") && e.contains("aws.s3.nope") && e.contains("checks list"),
        "{e}"
    );
    let e = c
        .set_params(
            "aws.cloudtrail.multi-region-trail-logging",
            &t("max = 1"),
            "annexa.toml",
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("`max`") && e.contains("min_trails"), "{e}");
    let e = c
        .set_params(
            "aws.cloudtrail.multi-region-trail-logging",
            &t("min_trails = \"2\""),
            "cfg.toml",
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cfg.toml")
            && e.contains("min_trails")
            && e.contains("integer")
            && e.contains("string"),
        "{e}"
    );
    c.set_params(
        "aws.cloudtrail.multi-region-trail-logging",
        &t("min_trails = 3"),
        "cfg.toml",
    )
    .unwrap();
    assert_eq!(
        c.get("aws.cloudtrail.multi-region-trail-logging")
            .unwrap()
            .params["min_trails"],
        json!(3)
    );
}

#[test]
fn merge_rejects_an_id_clash_naming_both_files() {
    let a = good();
    let b = good();
    let e = a.merge(b).unwrap_err();
    assert!(matches!(e, LoadError::DuplicateId { .. }));
    let msg = e.to_string();
    assert_eq!(
        msg.matches("aws/cloudtrail/multi-region-trail-logging.toml")
            .count(),
        2,
        "{msg}"
    );

    let mut a = good();
    a.retain(|c| c.provider == Provider::Aws);
    let mut b = good();
    b.retain(|c| c.provider == Provider::Azure);
    assert_eq!(a.merge(b).unwrap().checks().len(), 4);
}

#[test]
fn evaluator_reports_types() {
    let c = good();
    let ev = Evaluator::new(c.checks(), now());
    assert!(ev.resource_types().contains("AWS::CloudTrail::Trail"));
    assert!(ev.resource_types().contains("AWS::S3::Bucket"));
    assert_eq!(
        ev.account_scope_types().into_iter().collect::<Vec<_>>(),
        ["AWS::CloudTrail::Trail"]
    );
}

fn trail(account: &str, multi: bool, logging: bool) -> Resource {
    Resource {
        provider: Provider::Aws,
        account: account.into(),
        region: "eu-west-1".into(),
        resource_type: "AWS::CloudTrail::Trail".into(),
        id: format!("arn:aws:cloudtrail:eu-west-1:{account}:trail/t"),
        name: "t".into(),
        tags: BTreeMap::new(),
        config: json!({"configuration": {"isMultiRegionTrail": multi}, "supplementaryConfiguration": {"TrailStatus": {"isLogging": logging}}}),
    }
}

fn gap(region: Option<&str>, rtype: Option<&str>) -> CollectionError {
    CollectionError {
        provider: Provider::Aws,
        account: "111111111111".into(),
        region: region.map(str::to_string),
        resource_type: rtype.map(str::to_string),
        api: Some("config:SelectResourceConfig".into()),
        kind: ErrorKind::AccessDenied,
        message: "not authorized".into(),
    }
}

#[test]
fn account_scope_checks_see_the_accounts_resources() {
    let c = good();
    let ev = Evaluator::new(c.checks(), now());
    let src = Source {
        provider: Provider::Aws,
        account: "111111111111".into(),
        regions: vec![],
        principal: None,
    };
    let good_trail = trail("111111111111", true, true);
    let f = ev.evaluate_account(&src, &[&good_trail], &[]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, FindingStatus::Pass);
    assert_eq!(f[0].resource_id, "aws/111111111111");

    let off = trail("111111111111", true, false);
    let f = ev.evaluate_account(&src, &[&off], &[]);
    assert_eq!(f[0].status, FindingStatus::Fail);
    assert_eq!(
        f[0].message,
        "No multi-region trail is logging in aws account 111111111111 (1 trails found)"
    );

    // None at all is a failure, not a silent pass.
    assert_eq!(
        ev.evaluate_account(&src, &[], &[])[0].status,
        FindingStatus::Fail
    );

    // A gap in the trail data makes it an error naming the gap, even with a good trail.
    let f = ev.evaluate_account(
        &src,
        &[&good_trail],
        &[gap(Some("us-east-1"), Some("AWS::CloudTrail::Trail"))],
    );
    assert_eq!(f[0].status, FindingStatus::Error);
    assert!(
        f[0].message.contains("us-east-1") && f[0].message.contains("access_denied"),
        "{}",
        f[0].message
    );
    // A gap in another type or another account does not.
    let f = ev.evaluate_account(&src, &[&good_trail], &[gap(None, Some("AWS::S3::Bucket"))]);
    assert_eq!(f[0].status, FindingStatus::Pass);
    // Azure subscriptions get no AWS account checks.
    let az = Source {
        provider: Provider::Azure,
        account: "sub".into(),
        regions: vec![],
        principal: None,
    };
    assert!(ev.evaluate_account(&az, &[], &[]).is_empty());
}

#[test]
fn gap_findings_one_per_check_and_covering_error() {
    let c = good();
    let ev = Evaluator::new(c.checks(), now());
    let f = ev.gap_findings(&[gap(Some("eu-west-1"), Some("AWS::S3::Bucket"))]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].check_id, "aws.s3.bucket-public-access-blocked");
    assert_eq!(f[0].status, FindingStatus::Error);
    assert_eq!(
        f[0].resource_id,
        "aws/111111111111/eu-west-1/AWS::S3::Bucket"
    );
    assert!(
        f[0].message.contains("not authorized")
            && f[0].message.contains("config:SelectResourceConfig"),
        "{}",
        f[0].message
    );
    // No type: covers every resource-scope AWS check (account-scope ones are handled per account).
    let f = ev.gap_findings(&[gap(None, None)]);
    let ids: Vec<&str> = f.iter().map(|f| f.check_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "aws.iam.policy-no-admin-access",
            "aws.s3.bucket-public-access-blocked"
        ]
    );
    assert_eq!(f[1].resource_id, "aws/111111111111/*/AWS::S3::Bucket");
}

#[test]
fn evaluator_is_shareable_across_threads() {
    fn sync<T: Sync + Send>(_: &T) {}
    let c = good();
    let ev = Evaluator::new(c.checks(), now());
    sync(&ev);
    let r = s3(
        "x",
        json!({"configuration": {}, "supplementaryConfiguration": {}}),
    );
    let statuses: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| s.spawn(|| ev.evaluate_resource(&r)[0].status))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses, [FindingStatus::Fail, FindingStatus::Fail]);
}

// ------------------------------------------------------------------ load errors

#[test]
fn toml_syntax_error_names_file_and_line() {
    let e = load_error(
        "aws/s3/x.toml",
        &format!("{HEAD}assert = \"true\nmessage = \"m\"\n{TAIL}"),
    );
    assert!(e.starts_with("DIR/aws/s3/x.toml:7:"), "{e}");
}

#[test]
fn unknown_key_is_an_error_with_its_line() {
    let e = load_error(
        "aws/s3/x.toml",
        &check_text("assert = \"true\"\nmessage = \"m\"\nseverty = \"low\"\n"),
    );
    assert!(e.starts_with("DIR/aws/s3/x.toml:9:1:"), "{e}");
    assert!(e.contains("severty"), "{e}");
}

#[test]
fn missing_required_field_is_an_error() {
    let e = load_error("aws/s3/x.toml", &check_text("message = \"m\"\n"));
    assert!(
        e.contains("DIR/aws/s3/x.toml") && e.contains("assert"),
        "{e}"
    );
}

#[test]
fn cel_syntax_error_points_into_the_toml_file() {
    let e = load_error(
        "aws/s3/x.toml",
        &check_text("message = \"m\"\nassert = \"resource.name == \"\n"),
    );
    assert!(e.starts_with("DIR/aws/s3/x.toml:8:"), "{e}");
    assert!(
        e.contains("field `assert`") && e.contains("CEL syntax error"),
        "{e}"
    );
    // In a multi-line string the line is the expression's own line in the file.
    let e = load_error("aws/s3/x.toml", &check_text("message = \"m\"\nassert = '''\nresource.name != '' &&\n  resource.tags.size() > > 0\n'''\n"));
    assert!(e.starts_with("DIR/aws/s3/x.toml:10:"), "{e}");
}

#[test]
fn unknown_variable_is_found_at_load_with_its_column() {
    let e = load_error(
        "aws/s3/x.toml",
        &check_text(
            "message = \"m\"\nassert = \"resource.name != '' && resouce.tags.size() > 0\"\n",
        ),
    );
    assert!(e.starts_with("DIR/aws/s3/x.toml:8:34:"), "{e}");
    assert!(
        e.contains("unknown variable `resouce`") && e.contains("`resource`, `params`"),
        "{e}"
    );
}

#[test]
fn unknown_function_is_found_at_load() {
    let e = load_error(
        "aws/s3/x.toml",
        &check_text("message = \"m\"\nassert = \"jsn(resource.config).x == 1\"\n"),
    );
    assert!(
        e.contains("field `assert`")
            && e.contains("unknown function `jsn(..)`")
            && e.contains("json"),
        "{e}"
    );
    let e = load_error(
        "aws/s3/x.toml",
        &check_text("message = \"m\"\nassert = \"resource.name.lowercase() == 'x'\"\n"),
    );
    assert!(e.contains("unknown function `x.lowercase(..)`"), "{e}");
    // A typo inside a message interpolation, with the message's position.
    let e = load_error(
        "aws/s3/x.toml",
        &check_text("assert = \"true\"\nmessage = \"Bucket ${resource.nme}\"\n"),
    );
    assert!(
        e.starts_with("DIR/aws/s3/x.toml:8:29:")
            && e.contains("field `message`")
            && e.contains("no field `nme`"),
        "{e}"
    );
}

#[test]
fn known_names_load() {
    // Comprehension variables, type names, namespaced extension functions, member functions.
    let text = check_text(
        "message = \"${resource.tags.map(k, k).join(',')}\"\nassert = \"resource.tags.all(k, type(k) == string) && math.greatest(1, 2) == 2 && resource.name.lowerAscii().matches('^[a-z]+$') && days_since(dig(resource.config, 'c', 0)) >= 0\"\n",
    );
    Catalog::load_str(Path::new("aws/s3/x.toml"), "x.toml", &text).unwrap();
}

#[test]
fn undeclared_param_and_bad_regex_are_load_errors() {
    let e = load_error(
        "aws/s3/x.toml",
        &check_text("message = \"m\"\nassert = \"size(resource.name) < params.max_len\"\n"),
    );
    assert!(e.contains("no parameter `max_len`"), "{e}");
    let e = load_error(
        "aws/s3/x.toml",
        &check_text("message = \"m\"\nassert = \"resource.name.matches('(unclosed')\"\n"),
    );
    assert!(
        e.contains("invalid regular expression") && e.starts_with("DIR/aws/s3/x.toml:8:"),
        "{e}"
    );
}

#[test]
fn account_scope_sees_other_variables() {
    let body = "scope = \"account\"\nmessage = \"m\"\nassert = \"resource.name == ''\"\n";
    let e = load_error("aws/s3/x.toml", &check_text(body));
    assert!(
        e.contains("unknown variable `resource`") && e.contains("`resources`"),
        "{e}"
    );
}

#[test]
fn unclosed_interpolation_is_an_error() {
    let e = load_error(
        "aws/s3/x.toml",
        &check_text("assert = \"true\"\nmessage = \"Bucket ${resource.name\"\n"),
    );
    assert!(
        e.starts_with("DIR/aws/s3/x.toml:8:19:") && e.contains("closing"),
        "{e}"
    );
}

#[test]
fn id_must_match_the_path_layout() {
    let ok = check_text("assert = \"true\"\nmessage = \"m\"\n");
    for rel in [
        "s3/x.toml",
        "gcp/s3/x.toml",
        "aws/s3/deep/x.toml",
        "aws/S3/x.toml",
        "aws/s3/my_check.toml",
    ] {
        let e = load_error(rel, &ok);
        assert!(
            e.contains(rel) && e.contains("<provider>/<service>/<name>.toml"),
            "{rel}: {e}"
        );
    }
}

#[test]
fn resource_types_must_fit_the_provider() {
    let e = load_error(
        "azure/storage/x.toml",
        &check_text("assert = \"true\"\nmessage = \"m\"\n"),
    );
    assert!(
        e.contains("field `resource_types`") && e.contains("not a azure resource type"),
        "{e}"
    );
}

#[test]
fn bad_example_json_is_a_load_error() {
    let examples = "[[examples]]\nname = \"e\"\nexpect = \"pass\"\nconfig = '{ nope'\n";
    let e = load_error(
        "aws/s3/x.toml",
        &format!(
            "{}{examples}",
            check_text("assert = \"true\"\nmessage = \"m\"\n")
        ),
    );
    assert!(
        e.contains("field `examples`")
            && e.contains("example \"e\"")
            && e.contains("not valid JSON"),
        "{e}"
    );
}

#[test]
fn a_missing_directory_is_an_io_error() {
    let e = Catalog::load_dir(Path::new("/nonexistent/checks"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/checks"), "{e}");
}

#[test]
fn non_bool_assert_is_an_error_finding() {
    let text = check_text("message = \"m\"\nassert = \"resource.name\"\n");
    let check = Catalog::load_str(Path::new("aws/s3/x.toml"), "x.toml", &text).unwrap();
    let checks = [check];
    let f = Evaluator::new(&checks, now()).evaluate_resource(&s3("b", json!({})));
    assert_eq!(f[0].status, FindingStatus::Error);
    assert!(
        f[0].message.contains("instead of true or false"),
        "{}",
        f[0].message
    );
}
