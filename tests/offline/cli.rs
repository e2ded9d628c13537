//! End-to-end CLI behaviour: exit codes, error messages, config precedence, gates, accepted
//! risks, baselines, merge and diff, all on the embedded demo estate or small inventories.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub const NOW: &str = "2026-11-23T12:00:00Z";

pub fn annexa(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("annexa").unwrap();
    c.current_dir(dir);
    // A clean environment: no user config or ANNEXA_* variables leak into tests.
    for (k, _) in std::env::vars() {
        if k.starts_with("ANNEXA_") || k.starts_with("AWS_") || k.starts_with("AZURE_") {
            c.env_remove(k);
        }
    }
    c.env("ANNEXA_NOW", NOW);
    c
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Scan the demo estate into `dir/out`, returning (exit code, results.json).
fn demo(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = annexa(dir)
        .args([
            "scan",
            "--demo",
            "--format",
            "console,json",
            "--output-dir",
            "out",
        ])
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let results = dir.join("out/results.json");
    let json = if results.exists() {
        read_json(&results)
    } else {
        Value::Null
    };
    (
        code,
        json,
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

fn findings<'a>(r: &'a Value, status: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == status)
        .collect()
}

const HEADER: &str = r#"{"format":"annexa-inventory","version":1,"tool_version":"0.1.0","collected_at":"2026-11-20T10:00:00Z","sources":[{"provider":"aws","account":"111122223333","regions":["us-east-1"],"principal":null}],"errors":ERRORS}"#;

/// A one-bucket inventory whose bucket passes everything but may have gaps.
fn small_inventory(dir: &Path, name: &str, errors: &str) -> PathBuf {
    let bucket = r#"{"provider":"aws","account":"111122223333","region":"us-east-1","resource_type":"AWS::S3::Bucket","id":"arn:aws:s3:::tidy","name":"tidy","tags":{},"config":{"configuration":{"name":"tidy"},"supplementaryConfiguration":{"PublicAccessBlockConfiguration":{"blockPublicAcls":true,"ignorePublicAcls":true,"blockPublicPolicy":true,"restrictPublicBuckets":true},"ServerSideEncryptionConfiguration":{"rules":[{"applyServerSideEncryptionByDefault":{"sseAlgorithm":"aws:kms","kmsMasterKeyID":"arn:aws:kms:us-east-1:111122223333:key/1"},"bucketKeyEnabled":true}]},"BucketVersioningConfiguration":{"status":"Enabled","isMfaDeleteEnabled":null},"BucketLoggingConfiguration":{"destinationBucketName":"logs","logFilePrefix":"tidy/"}}}}"#;
    write(
        dir,
        name,
        &format!("{}\n{}\n", HEADER.replace("ERRORS", errors), bucket),
    )
}

#[test]
fn demo_scan_fails_on_high_findings_and_writes_results() {
    let dir = tempfile::tempdir().unwrap();
    let (code, r, out) = demo(dir.path(), &[]);
    assert_eq!(
        code, 1,
        "the demo estate has high findings and --fail-on defaults to high:\n{out}"
    );
    assert_eq!(r["format"], "annexa-results");
    assert_eq!(r["version"], 1);
    assert_eq!(r["controls"].as_array().unwrap().len(), 93);
    assert!(r["scope"]["resource_count"].as_u64().unwrap() >= 60);
    assert!(!findings(&r, "fail").is_empty());
    assert!(
        findings(&r, "pass").is_empty(),
        "passing findings are only counted unless --include-passing"
    );
    let passed: u64 = r["stats"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| s["pass"].as_u64().unwrap())
        .sum();
    assert!(passed > 0);
    assert!(out.contains("Annex A controls by theme"), "{out}");
    assert!(out.contains("Worst findings"), "{out}");
}

#[test]
fn fail_on_none_exits_zero_or_three_and_include_passing_keeps_passes() {
    let dir = tempfile::tempdir().unwrap();
    let (code, r, out) = demo(dir.path(), &["--fail-on", "none", "--include-passing"]);
    let incomplete = !r["errors"].as_array().unwrap().is_empty();
    assert_eq!(code, if incomplete { 3 } else { 0 }, "{out}");
    assert!(!findings(&r, "pass").is_empty());
}

#[test]
fn exit_code_three_when_incomplete_and_nothing_else_failed() {
    let dir = tempfile::tempdir().unwrap();
    let gap = r#"[{"provider":"aws","account":"111122223333","region":"eu-west-1","resource_type":"AWS::S3::Bucket","api":"config:SelectResourceConfig","kind":"access_denied","message":"User is not authorized to perform config:SelectResourceConfig"}]"#;
    let inv = small_inventory(dir.path(), "gap.jsonl", gap);
    let out = annexa(dir.path())
        .args(["scan", "--inventory"])
        .arg(&inv)
        .args([
            "--select",
            "aws.s3.*",
            "--fail-on",
            "none",
            "--format",
            "console,json",
            "--output-dir",
            "o",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("INCOMPLETE"), "{text}");
    assert!(
        text.contains("aws/111122223333/eu-west-1 AWS::S3::Bucket (config:SelectResourceConfig)"),
        "{text}"
    );
    let r = read_json(&dir.path().join("o/results.json"));
    // The gap is an error finding for every S3 check, never a pass.
    let errors = findings(&r, "error");
    assert!(!errors.is_empty());
    assert!(errors
        .iter()
        .all(|f| f["check_id"].as_str().unwrap().starts_with("aws.s3.")));
    // Same inventory without the gap: clean.
    let clean = small_inventory(dir.path(), "clean.jsonl", "[]");
    annexa(dir.path())
        .args(["scan", "--inventory"])
        .arg(&clean)
        .args([
            "--select",
            "aws.s3.*",
            "--fail-on",
            "none",
            "--format",
            "json",
            "--output-dir",
            "o2",
        ])
        .assert()
        .code(0);
}

#[test]
fn corrupt_inventory_line_is_exit_two_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let inv = small_inventory(dir.path(), "bad.jsonl", "[]");
    let mut text = std::fs::read_to_string(&inv).unwrap();
    text.push_str("{\"provider\":\"aws\", this is not json\n");
    std::fs::write(&inv, text).unwrap();
    let err = scan_refused(dir.path(), "bad.jsonl");
    assert!(err.contains("bad.jsonl:3:"), "{err}");
}

/// Scan the inventory `name` in `dir`, which must be refused: exit 2 and no results.json
/// (nothing is reported from a half-read inventory). Returns stderr.
fn scan_refused(dir: &Path, name: &str) -> String {
    let out = annexa(dir)
        .args(["scan", "--inventory", name, "--output-dir", "o"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !dir.join("o/results.json").exists(),
        "nothing is reported from a half-read inventory"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_earliest_bad_line_is_reported_whatever_comes_after_it() {
    // Bad JSON early, then more good lines than one evaluation batch holds (so the bad line's
    // batch is evaluated but not yet accumulated), then a blank line, which the reader rejects
    // before any parsing: the JSON error of line 3 still wins.
    let dir = tempfile::tempdir().unwrap();
    let inv = small_inventory(dir.path(), "late.jsonl", "[]");
    let text = std::fs::read_to_string(&inv).unwrap();
    let good = text.lines().nth(1).unwrap().to_string();
    let mut out = text.clone();
    out.push_str("{\"provider\":\"aws\", broken\n");
    for i in 0..1500 {
        out.push_str(&good.replace("arn:aws:s3:::tidy", &format!("arn:aws:s3:::tidy-{i}")));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&good);
    out.push('\n');
    std::fs::write(&inv, out).unwrap();
    let err = scan_refused(dir.path(), "late.jsonl");
    assert!(err.contains("late.jsonl:3:"), "{err}");
    assert!(!err.contains("blank line"), "{err}");
}

#[test]
fn bad_user_check_files_are_exit_two_naming_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "mine/aws/s3/typo.toml",
        "title = \"t\"\nseverity = \"high\"\nresource_types = [\"AWS::S3::Bucket\"]\ndescription = \"d\"\nrisk = \"r\"\nassert = \"resource.config.x ==\"\nmessage = \"m\"\n[remediation]\ntext = \"t\"\n",
    );
    let out = annexa(dir.path())
        .args(["scan", "--demo", "--checks", "mine"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("typo.toml") && err.contains("assert"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "mine/aws/s3/unknown.toml",
        "title = \"t\"\nseverity = \"high\"\nresource_types = [\"AWS::S3::Bucket\"]\ndescription = \"d\"\nrisk = \"r\"\nassert = \"true\"\nmessage = \"m\"\nseverty = \"x\"\n[remediation]\ntext = \"t\"\n",
    );
    let out = annexa(dir.path())
        .args(["scan", "--demo", "--checks", "mine"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown.toml") && err.contains("severty"),
        "{err}"
    );
}

#[test]
fn id_clash_with_a_built_in_check_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let list = annexa(dir.path())
        .args(["checks", "list", "--format", "json"])
        .output()
        .unwrap();
    let checks: Value = serde_json::from_slice(&list.stdout).unwrap();
    let id = checks[0]["id"].as_str().unwrap().to_string();
    let parts: Vec<&str> = id.split('.').collect();
    let rel = format!("mine/{}/{}/{}.toml", parts[0], parts[1], parts[2]);
    write(
        dir.path(),
        &rel,
        "title = \"t\"\nseverity = \"high\"\nresource_types = [\"AWS::S3::Bucket\"]\ndescription = \"d\"\nrisk = \"r\"\nassert = \"true\"\nmessage = \"m\"\n[remediation]\ntext = \"t\"\n",
    );
    let out = annexa(dir.path())
        .args(["checks", "list", "--checks", "mine"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&id), "{err}");
    assert!(
        err.contains(&format!("{}/{}/{}.toml", parts[0], parts[1], parts[2])),
        "{err}"
    );
    assert!(
        err.contains("checks/"),
        "the built-in file is named too: {err}"
    );
}

#[test]
fn config_errors_are_exit_two_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "annexa.toml",
        "[scan]\nfail_on = \"high\"\nfial_on_new = true\n",
    );
    let out = annexa(dir.path())
        .args(["scan", "--demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("annexa.toml") && err.contains("line 3") && err.contains("fial_on_new"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "annexa.toml", "[[suppressions]]\ncheck = \"aws.*\"\nresource = \"*\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"next year\"\n");
    let out = annexa(dir.path())
        .args(["scan", "--demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("annexa.toml:6") && err.contains("expires"),
        "{err}"
    );
}

#[test]
fn precedence_flag_over_env_over_config_over_default() {
    let dir = tempfile::tempdir().unwrap();
    // Default (high): the demo fails.
    assert_eq!(demo(dir.path(), &[]).0, 1);
    // Config says none: passes (or 3 when the demo has gaps).
    write(dir.path(), "annexa.toml", "[scan]\nfail_on = \"none\"\n");
    let (code_config, r, _) = demo(dir.path(), &[]);
    let clean = if r["errors"].as_array().unwrap().is_empty() {
        0
    } else {
        3
    };
    assert_eq!(code_config, clean);
    // Env beats config.
    let out = annexa(dir.path())
        .env("ANNEXA_FAIL_ON", "high")
        .args(["scan", "--demo", "--format", "json", "--output-dir", "o"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Flag beats env.
    let out = annexa(dir.path())
        .env("ANNEXA_FAIL_ON", "high")
        .args([
            "scan",
            "--demo",
            "--format",
            "json",
            "--output-dir",
            "o",
            "--fail-on",
            "none",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(clean));
}

#[test]
fn save_inventory_reproduces_the_scan_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (_, first, _) = demo(dir.path(), &["--save-inventory", "demo.jsonl.zst"]);
    assert!(dir.path().join("demo.jsonl.zst").exists());
    let out = annexa(dir.path())
        .args([
            "scan",
            "--inventory",
            "demo.jsonl.zst",
            "--format",
            "json",
            "--output-dir",
            "again",
        ])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(1) | Some(3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second = read_json(&dir.path().join("again/results.json"));
    assert_eq!(
        first["scope"]["inventory_digest"],
        second["scope"]["inventory_digest"]
    );
    assert_eq!(first["findings"], second["findings"]);
    assert_eq!(first["controls"], second["controls"]);
    assert_eq!(first["errors"], second["errors"]);
}

#[test]
fn checks_and_controls_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = annexa(dir.path())
        .args(["checks", "list", "--format", "json", "--provider", "azure"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert!(list.len() >= 12);
    for c in list {
        assert_eq!(c["provider"], "azure");
        for key in [
            "id",
            "service",
            "severity",
            "resource_types",
            "controls",
            "title",
        ] {
            assert!(!c[key].is_null(), "{key} missing in {c}");
        }
        assert!(
            !c["controls"].as_array().unwrap().is_empty(),
            "{} is mapped to no control",
            c["id"]
        );
    }
    let id = list[0]["id"].as_str().unwrap();
    let out = annexa(dir.path())
        .args(["checks", "show", id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Controls:") && text.contains("Examples:") && text.contains("Remediation:"),
        "{text}"
    );
    let out = annexa(dir.path())
        .args(["checks", "show", "aws.nope.nothing"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = annexa(dir.path())
        .args(["controls", "list", "--format", "json"])
        .output()
        .unwrap();
    let controls: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(controls.as_array().unwrap().len(), 93);
    let out = annexa(dir.path())
        .args(["controls", "list", "--coverage"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("technological"));
}

const MY_CHECK: &str = r#"
title = "Bucket has an owner tag"
severity = "low"
resource_types = ["AWS::S3::Bucket"]
description = "Buckets carry an owner tag."
risk = "Nobody answers for an untagged bucket."
assert = "'owner' in resource.tags"
message = "Bucket ${resource.name} has no owner tag"
[remediation]
text = "Tag the bucket with owner."
[[examples]]
name = "tagged"
expect = "pass"
tags = { owner = "team-a" }
config = '{"configuration": {"name": "b"}, "supplementaryConfiguration": {}}'
[[examples]]
name = "untagged"
expect = "EXPECT"
config = '{"configuration": {"name": "b"}, "supplementaryConfiguration": {}}'
"#;

#[test]
fn checks_test_runs_a_users_examples() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "good/aws/s3/owner-tagged.toml",
        &MY_CHECK.replace("EXPECT", "fail"),
    );
    let out = annexa(dir.path())
        .args(["checks", "test", "good"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("ok    aws.s3.owner-tagged  untagged (fail)"),
        "{text}"
    );
    assert!(text.contains("2 passed, 0 failed"), "{text}");

    write(
        dir.path(),
        "wrong/aws/s3/owner-tagged.toml",
        &MY_CHECK.replace("EXPECT", "pass"),
    );
    let out = annexa(dir.path())
        .args(["checks", "test", "wrong"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL  aws.s3.owner-tagged  untagged: expected pass, got fail"),
        "{text}"
    );

    // A user's check runs in a scan beside the built-in ones.
    let (_, r, _) = demo(dir.path(), &["--checks", "good"]);
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == "aws.s3.owner-tagged"));
}

/// The first high failing finding of the demo, to accept.
fn a_high_failure(r: &Value) -> (String, String) {
    let f = findings(r, "fail")
        .into_iter()
        .find(|f| {
            (f["severity"] == "high" || f["severity"] == "critical")
                && f["resource_id"].as_str().unwrap().starts_with("arn:")
        })
        .unwrap()
        .clone();
    (
        f["check_id"].as_str().unwrap().into(),
        f["resource_id"].as_str().unwrap().into(),
    )
}

#[test]
fn accepted_risks_active_expired_and_stale() {
    let dir = tempfile::tempdir().unwrap();
    let (_, r, _) = demo(dir.path(), &[]);
    let (check, resource) = a_high_failure(&r);
    write(
        dir.path(),
        "annexa.toml",
        &format!(
            "[[suppressions]]\nid = \"RISK-1\"\ncheck = \"{check}\"\nresource = \"{resource}\"\nreason = \"Reviewed\"\nowner = \"alice\"\nexpires = 2027-01-31\n\n[[suppressions]]\nid = \"RISK-2\"\ncheck = \"{check}\"\nresource = \"{resource}\"\nreason = \"Old\"\nowner = \"bob\"\nexpires = 2026-01-31\n\n[[suppressions]]\nid = \"RISK-3\"\ncheck = \"aws.*\"\nresource = \"arn:aws:s3:::no-such-bucket\"\nreason = \"Gone\"\nowner = \"carol\"\nexpires = 2027-01-31\n"
        ),
    );
    let (_, r, out) = demo(dir.path(), &[]);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check_id"] == check.as_str() && f["resource_id"] == resource.as_str())
        .unwrap();
    assert_eq!(f["accepted"]["id"], "RISK-1");
    assert_eq!(f["accepted"]["owner"], "alice");
    let states: Vec<(&str, &str)> = r["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("RISK-1", "active"),
            ("RISK-2", "expired"),
            ("RISK-3", "stale")
        ]
    );
    assert!(
        out.contains("RISK-2") && out.contains("expired 2026-01-31"),
        "{out}"
    );

    let list = annexa(dir.path())
        .args(["suppressions", "list", "--expired"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("RISK-2") && !text.contains("RISK-1 "),
        "{text}"
    );
    let list = annexa(dir.path())
        .args([
            "suppressions",
            "list",
            "--stale",
            "--results",
            "out/results.json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("RISK-3") && !text.contains("RISK-2"),
        "{text}"
    );
    let list = annexa(dir.path())
        .args(["suppressions", "list", "--stale"])
        .output()
        .unwrap();
    assert_eq!(list.status.code(), Some(2));
}

#[test]
fn fail_on_new_and_fail_on_control_gates() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), &[]);
    let base = dir.path().join("out/results.json");
    std::fs::rename(&base, dir.path().join("baseline.json")).unwrap();
    // Same estate against itself: nothing is new.
    let (code, r, out) = demo(
        dir.path(),
        &["--baseline", "baseline.json", "--fail-on-new"],
    );
    let clean = if r["errors"].as_array().unwrap().is_empty() {
        0
    } else {
        3
    };
    assert_eq!(code, clean, "{out}");
    assert!(out.contains("0 new"), "{out}");
    // --fail-on-new without a baseline is a usage error.
    assert_eq!(demo(dir.path(), &["--fail-on-new"]).0, 2);
    // A failing control trips the control gate even with --fail-on none.
    let failing = r["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "fail")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        demo(
            dir.path(),
            &["--fail-on", "none", "--fail-on-control", &failing]
        )
        .0,
        1
    );
    let passing = r["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "manual")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        demo(
            dir.path(),
            &["--fail-on", "none", "--fail-on-control", &passing]
        )
        .0,
        clean
    );
    let (code, _, out) = demo(dir.path(), &["--fail-on-control", "A.99.1"]);
    assert_eq!(code, 2, "{out}");
}

/// Split the demo estate by provider into two inventories.
fn split_demo(dir: &Path) -> (PathBuf, PathBuf) {
    demo(dir, &["--save-inventory", "all.jsonl"]);
    let text = std::fs::read_to_string(dir.join("all.jsonl")).unwrap();
    let mut lines = text.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let mut out = Vec::new();
    for provider in ["aws", "azure"] {
        let mut h = header.clone();
        h["sources"] = Value::Array(
            h["sources"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["provider"] == provider)
                .cloned()
                .collect(),
        );
        h["errors"] = Value::Array(
            h["errors"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["provider"] == provider)
                .cloned()
                .collect(),
        );
        let mut body = serde_json::to_string(&h).unwrap() + "\n";
        for l in text.lines().skip(1) {
            let v: Value = serde_json::from_str(l).unwrap();
            if v["provider"] == provider {
                body.push_str(l);
                body.push('\n');
            }
        }
        out.push(write(dir, &format!("{provider}.jsonl"), &body));
    }
    (out[0].clone(), out[1].clone())
}

fn scan_to(dir: &Path, inventory: &Path, outdir: &str) -> Value {
    annexa(dir)
        .args([
            "scan",
            "--format",
            "json",
            "--output-dir",
            outdir,
            "--inventory",
        ])
        .arg(inventory)
        .output()
        .unwrap();
    read_json(&dir.join(outdir).join("results.json"))
}

fn merge(dir: &Path, inputs: &[&str], output: &str) -> Value {
    let out = annexa(dir)
        .arg("merge")
        .args(inputs)
        .args(["-o", output])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    read_json(&dir.join(output))
}

fn strip_times(mut v: Value) -> Value {
    for key in ["started_at", "finished_at"] {
        v["scope"][key] = Value::Null;
    }
    if let Some(accounts) = v["scope"]["accounts"].as_object_mut() {
        for a in accounts.values_mut() {
            a["finished_at"] = Value::Null;
            a["inventory_digest"] = Value::Null;
        }
    }
    v["scope"]["inventory_digest"] = Value::Null;
    v
}

#[test]
fn merging_shards_equals_one_scan_and_is_associative_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let (aws, azure) = split_demo(dir.path());
    let whole = scan_to(dir.path(), &dir.path().join("all.jsonl"), "whole");
    scan_to(dir.path(), &aws, "a");
    scan_to(dir.path(), &azure, "b");
    let merged = merge(dir.path(), &["a/results.json", "b/results.json"], "ab.json");
    assert_eq!(merged["findings"], whole["findings"]);
    assert_eq!(merged["stats"], whole["stats"]);
    assert_eq!(merged["controls"], whole["controls"]);
    assert_eq!(
        merged["scope"]["resource_count"],
        whole["scope"]["resource_count"]
    );
    // Idempotent: merging a result with itself changes nothing.
    let again = merge(dir.path(), &["ab.json", "ab.json"], "abab.json");
    assert_eq!(strip_times(again.clone()), strip_times(merged.clone()));
    assert_eq!(again["findings"], merged["findings"]);
    // Overlapping shards: the whole scan plus a shard counts nothing twice.
    let overlap = merge(
        dir.path(),
        &["whole/results.json", "a/results.json"],
        "overlap.json",
    );
    assert_eq!(overlap["stats"], whole["stats"]);
    // Associative and commutative.
    let left = merge(dir.path(), &["ab.json", "whole/results.json"], "left.json");
    merge(
        dir.path(),
        &["b/results.json", "whole/results.json"],
        "bw.json",
    );
    let right = merge(dir.path(), &["a/results.json", "bw.json"], "right.json");
    assert_eq!(strip_times(left), strip_times(right));
}

#[test]
fn diff_reports_planted_changes() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), &["--save-inventory", "before.jsonl"]);
    std::fs::rename(
        dir.path().join("out/results.json"),
        dir.path().join("before.json"),
    )
    .unwrap();
    let before = read_json(&dir.path().join("before.json"));
    let (_, fixed_resource) = a_high_failure(&before);
    // Plant: delete one failing resource (fixed) and add a copy of another under a new id (new).
    let text = std::fs::read_to_string(dir.path().join("before.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let idx = lines
        .iter()
        .position(|l| {
            l.contains(&format!(
                "\"id\":{}",
                serde_json::to_string(&fixed_resource).unwrap()
            ))
        })
        .expect("the failing resource is in the inventory");
    lines.remove(idx);
    let donor = lines
        .iter()
        .skip(1)
        .find(|l| l.contains("AWS::S3::Bucket"))
        .unwrap()
        .clone();
    let mut v: Value = serde_json::from_str(&donor).unwrap();
    v["id"] = Value::String("arn:aws:s3:::planted-new-bucket".into());
    v["name"] = Value::String("planted-new-bucket".into());
    lines.push(serde_json::to_string(&v).unwrap());
    write(dir.path(), "after.jsonl", &(lines.join("\n") + "\n"));
    scan_to(dir.path(), &dir.path().join("after.jsonl"), "after");
    let out = annexa(dir.path())
        .args([
            "diff",
            "before.json",
            "after/results.json",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        d["fixed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["resource_id"] == fixed_resource.as_str()),
        "{d}"
    );
    let new: Vec<&Value> = d["new"].as_array().unwrap().iter().collect();
    assert!(
        new.iter()
            .all(|e| e["resource_id"] == "arn:aws:s3:::planted-new-bucket"),
        "{d}"
    );
    assert!(d["only_old_accounts"].as_array().unwrap().is_empty());
    let text = annexa(dir.path())
        .args(["diff", "before.json", "after/results.json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("FIXED"));
}

#[test]
fn results_of_another_version_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut r, _) = demo(dir.path(), &[]);
    r["version"] = Value::from(99);
    write(dir.path(), "future.json", &r.to_string());
    let out = annexa(dir.path())
        .args([
            "report",
            "--results",
            "future.json",
            "--format",
            "json",
            "--output-dir",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("future.json") && err.contains("version 99"),
        "{err}"
    );
}

#[test]
fn init_completions_and_man() {
    let dir = tempfile::tempdir().unwrap();
    annexa(dir.path()).arg("init").assert().success();
    assert!(dir.path().join("annexa.toml").exists());
    annexa(dir.path()).arg("init").assert().code(2);
    // The starter file is valid configuration for a scan.
    assert_eq!(demo(dir.path(), &["--format", "json"]).0, 1);
    let out = annexa(dir.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("annexa"));
    let out = annexa(dir.path()).arg("man").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(".TH annexa"));
    annexa(dir.path()).args(["scan"]).assert().code(2);
    annexa(dir.path())
        .args(["scan", "--no-such-flag"])
        .assert()
        .code(2);
}

#[test]
fn results_schema_is_committed_and_the_demo_validates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/results.v1.schema.json");
    let generated = annexa::report::json::schema();
    if std::env::var_os("ANNEXA_UPDATE_SCHEMA").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&generated).unwrap() + "\n",
        )
        .unwrap();
    }
    let committed = read_json(&path);
    assert_eq!(committed, generated, "schemas/results.v1.schema.json is out of date: rerun this test with ANNEXA_UPDATE_SCHEMA=1 and review the diff");
    let dir = tempfile::tempdir().unwrap();
    let (_, r, _) = demo(dir.path(), &["--include-passing"]);
    let validator = jsonschema::validator_for(&generated).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&r)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn demo_results_golden_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (_, r, _) = demo(dir.path(), &[]);
    // Counts first, so that a wrong snapshot cannot simply be approved.
    let fails = findings(&r, "fail");
    assert!(fails.len() >= 60, "{} failing findings", fails.len());
    assert!(
        fails.iter().any(|f| f["provider"] == "aws")
            && fails.iter().any(|f| f["provider"] == "azure")
    );
    assert!(
        findings(&r, "error").is_empty(),
        "the demo estate is complete: no check may error on it"
    );
    let statuses: Vec<&str> = r["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 93);
    assert!(statuses.contains(&"fail") && statuses.contains(&"manual"));
    assert_eq!(r["scope"]["sources"].as_array().unwrap().len(), 2);
    insta::assert_json_snapshot!("demo_results", r, {
        ".scope.started_at" => "[time]",
        ".scope.finished_at" => "[time]",
        ".scope.accounts.*.finished_at" => "[time]",
        ".tool.version" => "[version]",
    });
}

#[test]
fn a_baseline_of_other_accounts_is_refused_for_fail_on_new() {
    let dir = tempfile::tempdir().unwrap();
    let (aws, azure) = split_demo(dir.path());
    scan_to(dir.path(), &aws, "a");
    let out = annexa(dir.path())
        .args([
            "scan",
            "--format",
            "json",
            "--output-dir",
            "b",
            "--fail-on-new",
            "--baseline",
            "a/results.json",
            "--inventory",
        ])
        .arg(&azure)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no account in common") && err.contains("aws/123456789012"),
        "{err}"
    );
}
