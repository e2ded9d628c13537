//! Meta-tests that keep the Annex A mapping honest (what Prowler's mapping lacks): all 93
//! controls exactly once, only existing checks, every check mapped, no duplicate links, and the
//! coverage the catalog promises.

use std::collections::{BTreeMap, BTreeSet};

use annexa::engine::Catalog;
use annexa::mappings::{self, ANNEX_A_COUNTS};
use annexa::model::{Automation, CheckStats, ControlStatus, Provider, Strength, Theme};

fn ids() -> BTreeSet<String> {
    Catalog::builtin()
        .unwrap()
        .checks()
        .iter()
        .map(|c| c.id.clone())
        .collect()
}

#[test]
fn the_builtin_mapping_is_valid_with_all_93_controls() {
    let fw = mappings::builtin().unwrap();
    assert_eq!(fw.id, "iso27001-2022");
    assert_eq!(fw.controls.len(), 93);
    let unique: BTreeSet<&str> = fw.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(unique.len(), 93, "control ids are unique");
    for (theme, n) in ANNEX_A_COUNTS {
        assert_eq!(
            fw.controls.iter().filter(|c| c.theme == theme).count(),
            n,
            "{theme:?}"
        );
    }
    if let Err(errors) = mappings::validate(&fw, &ids()) {
        panic!(
            "{}",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn every_check_is_mapped_to_a_control() {
    let fw = mappings::builtin().unwrap();
    let unmapped: Vec<String> = ids()
        .into_iter()
        .filter(|id| mappings::controls_of(&fw, id).is_empty())
        .collect();
    assert!(
        unmapped.is_empty(),
        "checks mapped to no control: {unmapped:?}"
    );
}

#[test]
fn physical_controls_have_no_checks_and_titles_are_short() {
    let fw = mappings::builtin().unwrap();
    for c in &fw.controls {
        if c.theme == Theme::Physical {
            assert!(
                c.checks.is_empty(),
                "{} is physical: no configuration check shows it",
                c.id
            );
            assert!(matches!(
                c.automation,
                Automation::Provider | Automation::Manual
            ));
        }
        assert!(
            c.title.len() <= 80,
            "{}: titles are short names, not the standard's text",
            c.id
        );
        assert!(c.rationale.len() <= 300, "{}: one line of rationale", c.id);
    }
}

#[test]
fn coverage_meets_the_catalog_target_on_both_clouds() {
    let fw = mappings::builtin().unwrap();
    let checks: Vec<(String, Provider)> = Catalog::builtin()
        .unwrap()
        .checks()
        .iter()
        .map(|c| (c.id.clone(), c.provider))
        .collect();
    let cov = mappings::coverage(&fw, &checks);
    for p in [Provider::Aws, Provider::Azure] {
        let covered = &cov.covered[&p];
        assert!(
            covered.len() >= 40,
            "{p}: {} controls covered by direct or partial checks",
            covered.len()
        );
        for must in ["A.8.8", "A.5.23"] {
            assert!(covered.iter().any(|c| c == must), "{p} must cover {must}");
        }
    }
}

#[test]
fn readme_coverage_table_is_current() {
    let fw = mappings::builtin().unwrap();
    let checks: Vec<(String, Provider)> = Catalog::builtin()
        .unwrap()
        .checks()
        .iter()
        .map(|c| (c.id.clone(), c.provider))
        .collect();
    let table = mappings::coverage_table(&mappings::coverage(&fw, &checks));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "README.md's coverage table is out of date; replace it with the output of `annexa controls list --coverage`:\n{table}"
    );
}

#[test]
fn docs_checks_md_is_current() {
    let out = assert_cmd::Command::cargo_bin("annexa")
        .unwrap()
        .args(["checks", "list", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/checks.md"))
        .unwrap_or_default();
    assert!(
        committed == generated,
        "docs/checks.md is out of date: run `annexa checks list --format markdown > docs/checks.md`"
    );
}

// ---- validation: one test per rule, each asserting the message a user reads ----

/// A valid iso27001-2022 framework with every control manual except A.8.5, which links two checks.
fn annex_a_text() -> String {
    let mut s =
        String::from("[framework]\nid = \"iso27001-2022\"\nname = \"t\"\nversion = \"2022\"\n");
    for id in mappings::annex_a_ids() {
        let theme = match &id[2..3] {
            "5" => "organizational",
            "6" => "people",
            "7" => "physical",
            _ => "technological",
        };
        s.push_str(&format!(
            "\n[[controls]]\nid = \"{id}\"\ntitle = \"t\"\ntheme = \"{theme}\"\n"
        ));
        if id == "A.8.5" {
            s.push_str("automation = \"automated\"\nrationale = \"r\"\nchecks = [\n  { id = \"aws.iam.a\", strength = \"direct\", reason = \"x\" },\n  { id = \"azure.b.c\", strength = \"partial\", reason = \"y\" },\n]\n");
        } else {
            s.push_str("automation = \"manual\"\nrationale = \"r\"\n");
        }
    }
    s
}

fn known() -> BTreeSet<String> {
    ["aws.iam.a".to_string(), "azure.b.c".to_string()].into()
}

fn errors_of(text: &str) -> Vec<String> {
    let fw = mappings::parse(text, "m.toml").unwrap();
    match mappings::validate(&fw, &known()) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.to_string()).collect(),
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn the_test_framework_is_valid() {
    assert_eq!(errors_of(&annex_a_text()), Vec::<String>::new());
}

#[test]
fn validate_reports_a_duplicate_control() {
    let text = annex_a_text().replace("id = \"A.5.2\"", "id = \"A.5.1\"");
    let errors = errors_of(&text);
    let second = text.match_indices("id = \"A.5.1\"").nth(1).unwrap().0;
    let line = text[..second].matches('\n').count() + 1;
    assert!(
        errors.contains(&format!("m.toml:{line}: control A.5.1: is listed twice (first at line 7); keep one entry per control")),
        "{errors:?}"
    );
    assert!(errors.contains(&"m.toml: control A.5.2 is missing; Annex A has 93 controls and the mapping lists each once".to_string()), "{errors:?}");
}

#[test]
fn validate_reports_a_missing_control() {
    let text = annex_a_text();
    let start = text.find("[[controls]]\nid = \"A.8.34\"").unwrap();
    let errors = errors_of(&text[..start]);
    assert_eq!(errors, ["m.toml: control A.8.34 is missing; Annex A has 93 controls and the mapping lists each once"]);
}

#[test]
fn validate_reports_an_unknown_check() {
    let text = annex_a_text().replace("azure.b.c", "azure.b.nope");
    let line = line_of(&text, "azure.b.nope");
    assert_eq!(
        errors_of(&text),
        [format!("m.toml:{line}: control A.8.5: check azure.b.nope does not exist; fix the id or remove the link (`annexa checks list` shows the ids)")]
    );
}

#[test]
fn validate_reports_a_check_listed_twice_under_one_control() {
    let text = annex_a_text().replace("azure.b.c", "aws.iam.a");
    let line = line_of(&text, "strength = \"partial\"");
    assert_eq!(
        errors_of(&text),
        [format!("m.toml:{line}: control A.8.5: check aws.iam.a is listed twice; keep one link with the strongest strength")]
    );
}

#[test]
fn validate_reports_a_theme_that_does_not_match_the_id() {
    let text = annex_a_text().replacen("theme = \"physical\"", "theme = \"technological\"", 1);
    let line = line_of(&text, "id = \"A.7.1\"");
    assert_eq!(
        errors_of(&text),
        [format!("m.toml:{line}: control A.7.1: theme technological does not match the id (A.5 organizational, A.6 people, A.7 physical, A.8 technological)")]
    );
}

#[test]
fn validate_reports_an_id_outside_annex_a() {
    let text = annex_a_text().replace("id = \"A.5.37\"", "id = \"A.5.38\"");
    let line = line_of(&text, "id = \"A.5.38\"");
    assert_eq!(
        errors_of(&text),
        [
            format!("m.toml:{line}: control A.5.38: is not an Annex A control id (A.5.1-A.5.37, A.6.1-A.6.8, A.7.1-A.7.14, A.8.1-A.8.34)"),
            "m.toml: control A.5.37 is missing; Annex A has 93 controls and the mapping lists each once".to_string(),
        ]
    );
}

#[test]
fn validate_reports_controls_out_of_order() {
    let text = annex_a_text()
        .replace("id = \"A.8.29\"", "id = \"TMP\"")
        .replace("id = \"A.8.30\"", "id = \"A.8.29\"")
        .replace("id = \"TMP\"", "id = \"A.8.30\"");
    let line = line_of(&text, "id = \"A.8.29\"");
    assert_eq!(
        errors_of(&text),
        [format!(
            "m.toml:{line}: control A.8.29: comes after A.8.30; list controls in Annex A order"
        )]
    );
}

#[test]
fn validate_reports_checks_on_a_manual_control_and_none_on_an_automated_one() {
    let text =
        annex_a_text().replacen("automation = \"automated\"", "automation = \"provider\"", 1);
    let line = line_of(&text, "id = \"A.8.5\"");
    assert_eq!(
        errors_of(&text),
        [format!("m.toml:{line}: control A.8.5: is provider but lists checks; make it partial or automated, or remove the checks")]
    );
    let text = annex_a_text().replacen(
        "id = \"A.8.6\"\ntitle = \"t\"\ntheme = \"technological\"\nautomation = \"manual\"",
        "id = \"A.8.6\"\ntitle = \"t\"\ntheme = \"technological\"\nautomation = \"partial\"",
        1,
    );
    let line = line_of(&text, "id = \"A.8.6\"");
    assert_eq!(
        errors_of(&text),
        [format!("m.toml:{line}: control A.8.6: is partial but lists no check; map checks or make it manual and say why in the rationale")]
    );
}

#[test]
fn parse_errors_name_file_line_and_column() {
    let text = annex_a_text().replacen(
        "rationale = \"r\"",
        "rationale = \"r\"\ntext = \"copied from the standard\"",
        1,
    );
    let line = line_of(&text, "text = ");
    let e = mappings::parse(&text, "m.toml").unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("m.toml:{line}:1: unknown field `text`")),
        "{e}"
    );
    let e = mappings::parse("[framework]\nid = \"x\"\nname = \n", "m.toml")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("m.toml:3:"), "{e}");
}

// ---- assessment: the status rules of the module documentation ----

const SMALL: &str = r#"
[framework]
id = "small"
name = "Small"
version = "1"

[[controls]]
id = "A.8.1"
title = "Direct and supporting evidence"
theme = "technological"
automation = "automated"
rationale = "r"
checks = [
  { id = "aws.x.direct", strength = "direct", reason = "x" },
  { id = "azure.y.support", strength = "supporting", reason = "y" },
]

[[controls]]
id = "A.8.2"
title = "Partial evidence only"
theme = "technological"
automation = "partial"
rationale = "r"
checks = [{ id = "azure.z.partial", strength = "partial", reason = "z" }]

[[controls]]
id = "A.8.3"
title = "Supporting evidence only"
theme = "technological"
automation = "partial"
rationale = "r"
checks = [{ id = "aws.w.support", strength = "supporting", reason = "w" }]

[[controls]]
id = "A.7.1"
title = "Perimeters"
theme = "physical"
automation = "provider"
rationale = "The cloud provider runs the data centres."

[[controls]]
id = "A.5.1"
title = "Policies"
theme = "organizational"
automation = "manual"
rationale = "Documents."
"#;

fn st(pass: u64, fail: u64, error: u64, not_applicable: u64, accepted: u64) -> CheckStats {
    CheckStats {
        pass,
        fail,
        error,
        not_applicable,
        accepted,
    }
}

/// Status of control `control` when the given checks ran with the given counts.
fn status(control: &str, ran: &[(&str, CheckStats)]) -> ControlStatus {
    let fw = mappings::parse(SMALL, "small.toml").unwrap();
    let stats: BTreeMap<String, CheckStats> =
        ran.iter().map(|(id, s)| (id.to_string(), *s)).collect();
    let evaluated: BTreeSet<String> = stats.keys().cloned().collect();
    let results = mappings::assess(&fw, &stats, &evaluated);
    results.iter().find(|r| r.id == control).unwrap().status
}

/// (control, checks that ran with their counts, expected status, why)
type Case = (
    &'static str,
    Vec<(&'static str, CheckStats)>,
    ControlStatus,
    &'static str,
);

#[test]
fn assess_truth_table() {
    use ControlStatus::*;
    let none = st(0, 0, 0, 0, 0);
    let passed = st(2, 0, 0, 1, 0);
    let cases: Vec<Case> = vec![
        (
            "A.8.1",
            vec![("aws.x.direct", st(2, 1, 0, 0, 0))],
            Fail,
            "an unaccepted failure fails",
        ),
        (
            "A.8.1",
            vec![("aws.x.direct", st(2, 1, 1, 0, 0))],
            Fail,
            "fail wins over error",
        ),
        (
            "A.8.1",
            vec![
                ("aws.x.direct", passed),
                ("azure.y.support", st(0, 1, 0, 0, 0)),
            ],
            Fail,
            "a supporting failure is real",
        ),
        (
            "A.8.1",
            vec![("aws.x.direct", st(2, 0, 1, 0, 0))],
            Error,
            "an error without failures",
        ),
        (
            "A.8.1",
            vec![
                ("aws.x.direct", passed),
                ("azure.y.support", st(0, 0, 1, 0, 0)),
            ],
            Error,
            "a supporting error",
        ),
        (
            "A.8.1",
            vec![("aws.x.direct", passed)],
            Pass,
            "a direct pass",
        ),
        (
            "A.8.2",
            vec![("azure.z.partial", passed)],
            Pass,
            "a partial pass",
        ),
        (
            "A.8.1",
            vec![("aws.x.direct", st(0, 0, 0, 5, 0))],
            NoResources,
            "only not_applicable",
        ),
        (
            "A.8.1",
            vec![("aws.x.direct", none), ("azure.y.support", passed)],
            NoResources,
            "supporting passes do not pass",
        ),
        (
            "A.8.3",
            vec![("aws.w.support", passed)],
            Manual,
            "supporting evidence alone never passes",
        ),
        (
            "A.8.3",
            vec![("aws.w.support", st(0, 3, 0, 0, 0))],
            Fail,
            "but a supporting failure fails",
        ),
        (
            "A.8.1",
            vec![],
            Manual,
            "mapped checks not selected in this scan",
        ),
        (
            "A.8.1",
            vec![("azure.y.support", passed)],
            Manual,
            "only the supporting check ran",
        ),
        (
            "A.7.1",
            vec![("aws.x.direct", passed)],
            Manual,
            "provider control",
        ),
        (
            "A.5.1",
            vec![("aws.x.direct", passed)],
            Manual,
            "manual control",
        ),
    ];
    for (control, ran, want, why) in cases {
        assert_eq!(status(control, &ran), want, "{control} {ran:?}: {why}");
    }
}

#[test]
fn accepted_failures_do_not_fail_a_control() {
    assert_eq!(
        status("A.8.1", &[("aws.x.direct", st(3, 2, 0, 0, 2))]),
        ControlStatus::Pass
    );
    assert_eq!(
        status("A.8.1", &[("aws.x.direct", st(0, 2, 0, 0, 2))]),
        ControlStatus::Pass,
        "all failures accepted: the risk is a decision, the control is not failing"
    );
    assert_eq!(
        status("A.8.1", &[("aws.x.direct", st(3, 2, 0, 0, 1))]),
        ControlStatus::Fail,
        "one failure not accepted"
    );
}

#[test]
fn assess_lists_every_mapped_check_and_counts_only_evaluated_ones() {
    let fw = mappings::parse(SMALL, "small.toml").unwrap();
    let stats: BTreeMap<String, CheckStats> = [
        ("aws.x.direct".to_string(), st(4, 1, 0, 2, 1)),
        ("azure.y.support".to_string(), st(9, 9, 9, 9, 0)),
    ]
    .into();
    let evaluated: BTreeSet<String> = ["aws.x.direct".to_string()].into();
    let results = mappings::assess(&fw, &stats, &evaluated);
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["A.8.1", "A.8.2", "A.8.3", "A.7.1", "A.5.1"],
        "the framework's order"
    );
    let r = &results[0];
    assert_eq!(
        r.status,
        ControlStatus::Pass,
        "the supporting check was not evaluated"
    );
    assert_eq!(r.stats, st(4, 1, 0, 2, 1));
    assert_eq!(r.checks.len(), 2);
    assert!(r.checks[0].evaluated && !r.checks[1].evaluated);
    assert_eq!(r.checks[1].strength, Strength::Supporting);
    assert_eq!(r.automation, Automation::Automated);
}

// ---- coverage ----

#[test]
fn coverage_counts_controls_with_direct_or_partial_checks_per_provider_and_theme() {
    let fw = mappings::parse(SMALL, "small.toml").unwrap();
    let checks: Vec<(String, Provider)> = [
        ("aws.x.direct", Provider::Aws),
        ("azure.y.support", Provider::Azure),
        ("azure.z.partial", Provider::Azure),
        ("aws.w.support", Provider::Aws),
    ]
    .iter()
    .map(|(id, p)| (id.to_string(), *p))
    .collect();
    let cov = mappings::coverage(&fw, &checks);
    assert_eq!(
        cov.cells[&(Provider::Aws, Theme::Technological)],
        (1, 3),
        "A.8.1 only; A.8.3 has supporting only"
    );
    assert_eq!(
        cov.cells[&(Provider::Azure, Theme::Technological)],
        (1, 3),
        "A.8.2 only"
    );
    assert_eq!(cov.cells[&(Provider::Aws, Theme::Physical)], (0, 1));
    assert_eq!(cov.cells[&(Provider::Azure, Theme::Organizational)], (0, 1));
    assert_eq!(cov.covered[&Provider::Aws], ["A.8.1"]);
    assert_eq!(cov.covered[&Provider::Azure], ["A.8.2"]);
    assert_eq!(
        mappings::coverage_table(&cov),
        "| theme | AWS | Azure |\n|---|---|---|\n\
         | 5 organizational | 0 of 1 | 0 of 1 |\n\
         | 6 people | 0 of 0 | 0 of 0 |\n\
         | 7 physical | 0 of 1 | 0 of 1 |\n\
         | 8 technological | 1 of 3 | 1 of 3 |\n\
         | **all** | **1 of 5** | **1 of 5** |\n"
    );
    let only_aws = mappings::coverage(&fw, &checks[..1]);
    assert_eq!(
        only_aws.covered[&Provider::Azure],
        Vec::<String>::new(),
        "checks not loaded do not cover"
    );
}

#[test]
fn builtin_controls_are_in_annex_a_order_and_link_lines_are_known() {
    let fw = mappings::builtin().unwrap();
    let ids: Vec<String> = fw.controls.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids, mappings::annex_a_ids());
    assert!(fw
        .controls
        .iter()
        .all(|c| c.line > 0 && c.checks.iter().all(|m| m.line > c.line)));
}

/// Anchor links: the evidence each of these controls rests on, with the strength we argue for.
/// A change that drops or weakens one should be a deliberate edit of this list.
#[test]
fn builtin_anchor_links_keep_their_strength() {
    let fw = mappings::builtin().unwrap();
    let strength = |control: &str, check: &str| {
        fw.controls
            .iter()
            .find(|c| c.id == control)
            .and_then(|c| c.checks.iter().find(|m| m.id == check))
            .map(|m| m.strength)
    };
    let anchors = [
        (
            "A.8.5",
            "aws.iam.user-console-mfa-enabled",
            Strength::Direct,
        ),
        (
            "A.5.17",
            "aws.iam.user-console-mfa-enabled",
            Strength::Partial,
        ),
        (
            "A.8.24",
            "aws.s3.bucket-default-encryption-enabled",
            Strength::Direct,
        ),
        ("A.8.24", "azure.sql.database-tde-enabled", Strength::Direct),
        (
            "A.8.15",
            "aws.cloudtrail.multi-region-trail-enabled",
            Strength::Direct,
        ),
        (
            "A.8.15",
            "azure.monitor.subscription-activity-log-exported",
            Strength::Direct,
        ),
        (
            "A.8.12",
            "aws.s3.bucket-public-access-blocked",
            Strength::Direct,
        ),
        (
            "A.8.12",
            "azure.storage.account-blob-public-access-disabled",
            Strength::Direct,
        ),
        (
            "A.8.13",
            "aws.rds.instance-backup-retention",
            Strength::Direct,
        ),
        (
            "A.8.13",
            "aws.s3.bucket-versioning-enabled",
            Strength::Partial,
        ),
        ("A.8.8", "aws.ecr.repository-scan-on-push", Strength::Direct),
        (
            "A.8.8",
            "azure.security.defender-vulnerability-scanning-enabled",
            Strength::Direct,
        ),
        (
            "A.5.23",
            "aws.securityhub.hub-enabled-all-regions",
            Strength::Direct,
        ),
        (
            "A.5.23",
            "azure.security.defender-for-cspm-enabled",
            Strength::Direct,
        ),
    ];
    for (control, check, want) in anchors {
        assert_eq!(strength(control, check), Some(want), "{control} <- {check}");
    }
}
