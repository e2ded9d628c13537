//! Meta-tests that keep the Annex A mapping honest (what Prowler's mapping lacks): all 93
//! controls exactly once, only existing checks, every check mapped, no duplicate links, and the
//! coverage the catalog promises.

use std::collections::BTreeSet;

use annexa::engine::Catalog;
use annexa::mappings::{self, ANNEX_A_COUNTS};
use annexa::model::{Automation, Provider, Theme};

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
