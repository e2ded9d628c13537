//! Meta-tests of the built-in catalog (checks/): every check loads, its id is its path, it
//! has a passing and a failing example that give their expected status, and its metadata
//! follows the house style. The rules are first run on fixtures so that they can fail.

use std::path::Path;

use annexa::engine::{run_examples, Catalog, Check};
use annexa::model::FindingStatus;
use chrono::{TimeZone, Utc};

/// Titles describe the passing state, not an instruction.
const IMPERATIVE: &[&str] = &[
    "ensure",
    "enable",
    "disable",
    "make",
    "check",
    "use",
    "configure",
    "set",
    "avoid",
    "do",
    "restrict",
    "require",
    "turn",
    "verify",
    "apply",
    "rotate",
    "block",
    "encrypt",
    "create",
    "add",
    "remove",
];

/// Every way `catalog` breaks the rules, one line each, naming the file.
fn problems(catalog: &Catalog, root: &str) -> Vec<String> {
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
    let mut out = Vec::new();
    for c in catalog.checks() {
        let here = |m: String| format!("{}: {m}", c.origin);
        let expected_origin = format!("{root}/{}.toml", path_of(c));
        if !c.origin.ends_with(&expected_origin) {
            out.push(here(format!("id {} does not match its path", c.id)));
        }
        if c.title.trim().is_empty() {
            out.push(here("empty title".into()));
        }
        let first = c
            .title
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if IMPERATIVE.contains(&first.as_str()) {
            out.push(here(format!(
                "title \"{}\" is an instruction; describe the passing state",
                c.title
            )));
        }
        for want in [FindingStatus::Pass, FindingStatus::Fail] {
            if !c.examples.iter().any(|e| e.expect == want) {
                out.push(here(format!("no example expecting {}", want.as_str())));
            }
        }
        for o in run_examples(c, now) {
            if !o.passed() {
                out.push(here(format!(
                    "example \"{}\" expected {} but gave {}: {}",
                    o.name,
                    o.expected.as_str(),
                    o.got.as_str(),
                    o.message
                )));
            }
        }
    }
    out
}

fn path_of(c: &Check) -> String {
    c.id.replacen('.', "/", 2)
}

fn fixtures(name: &str) -> Catalog {
    Catalog::load_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/checks")
            .join(name),
    )
    .unwrap()
}

#[test]
fn the_rules_hold_for_good_fixtures() {
    let p = problems(&fixtures("good"), "good");
    assert!(p.is_empty(), "{}", p.join("\n"));
}

#[test]
fn the_rules_catch_bad_fixtures() {
    let p = problems(&fixtures("bad-meta"), "bad-meta");
    assert_eq!(p.len(), 3, "{}", p.join("\n"));
    assert!(
        p[0].contains("bucket-versioning.toml") && p[0].contains("is an instruction"),
        "{}",
        p[0]
    );
    assert!(p[1].contains("no example expecting fail"), "{}", p[1]);
    assert!(
        p[2].contains("\"suspended, wrongly expected to pass\" expected pass but gave fail"),
        "{}",
        p[2]
    );
}

#[test]
fn every_builtin_check_loads_and_follows_the_rules() {
    let catalog = Catalog::builtin().unwrap_or_else(|e| panic!("built-in checks do not load: {e}"));
    let p = problems(&catalog, "checks");
    assert!(
        p.is_empty(),
        "{} problems in the built-in checks:\n{}",
        p.len(),
        p.join("\n")
    );
}

#[test]
fn builtin_check_ids_snapshot() {
    let catalog = Catalog::builtin().unwrap();
    let ids: Vec<&str> = catalog.checks().iter().map(|c| c.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        ids, sorted,
        "the catalog is sorted by id and ids are unique"
    );
    insta::assert_snapshot!("builtin_check_ids", ids.join("\n"));
}
