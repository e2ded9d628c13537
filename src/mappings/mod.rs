//! Frameworks (`mappings/*.toml`): load, validate against the loaded checks, assess controls.
//!
//! Control status (DESIGN.md, Statuses): `fail` if a mapped, evaluated check has unaccepted
//! failures; else `error` if one errored; else `pass` if a direct or partial check passed;
//! `no_resources` if mapped checks ran but nothing was in scope; `manual` when the control has no
//! automated check (or none was evaluated). A `supporting` link can make a control fail or error
//! (a failure it shows is real) but never pass on its own: supporting evidence alone does not show
//! that a control is met.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::model::{
    Automation, CheckStats, ControlCheck, ControlResult, ControlStatus, Provider, Strength, Theme,
};

pub const ISO27001_2022: &str = include_str!("../../mappings/iso27001-2022.toml");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("{origin}: control {control}: {message}")]
    Invalid { origin: String, control: String, message: String },
    #[error("{origin}: {message}")]
    Framework { origin: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappedCheck {
    pub id: String,
    pub strength: Strength,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub theme: Theme,
    pub automation: Automation,
    pub rationale: String,
    #[serde(default)]
    pub checks: Vec<MappedCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameworkHeader {
    id: String,
    name: String,
    version: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    framework: FrameworkHeader,
    controls: Vec<Control>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    pub id: String,
    pub name: String,
    pub version: String,
    pub origin: String,
    pub controls: Vec<Control>,
}

/// The built-in ISO/IEC 27001:2022 Annex A mapping.
pub fn builtin() -> Result<Framework, MappingError> {
    parse(ISO27001_2022, "mappings/iso27001-2022.toml")
}

pub fn parse(text: &str, origin: &str) -> Result<Framework, MappingError> {
    let raw: RawFramework = toml::from_str(text)
        .map_err(|e| MappingError::Parse { origin: origin.into(), message: e.to_string() })?;
    Ok(Framework {
        id: raw.framework.id,
        name: raw.framework.name,
        version: raw.framework.version,
        origin: origin.into(),
        controls: raw.controls,
    })
}

/// Annex A of ISO/IEC 27001:2022: 37 organizational, 8 people, 14 physical, 34 technological.
pub const ANNEX_A_COUNTS: [(Theme, usize); 4] = [
    (Theme::Organizational, 37),
    (Theme::People, 8),
    (Theme::Physical, 14),
    (Theme::Technological, 34),
];

/// Every rule that keeps a mapping honest; all problems at once.
pub fn validate(fw: &Framework, known_checks: &BTreeSet<String>) -> Result<(), Vec<MappingError>> {
    let mut errors = Vec::new();
    let invalid = |control: &str, message: String| MappingError::Invalid {
        origin: fw.origin.clone(),
        control: control.into(),
        message,
    };
    let mut seen = BTreeSet::new();
    for c in &fw.controls {
        if !seen.insert(c.id.as_str()) {
            errors.push(invalid(&c.id, "listed twice".into()));
        }
        let clause = c.id.strip_prefix("A.").and_then(|r| r.split('.').next()).and_then(|n| n.parse::<u8>().ok());
        if clause != Some(c.theme.clause()) {
            errors.push(invalid(&c.id, format!("theme {} does not match the id (themes: A.5 organizational, A.6 people, A.7 physical, A.8 technological)", c.theme.as_str())));
        }
        if c.title.trim().is_empty() || c.rationale.trim().is_empty() {
            errors.push(invalid(&c.id, "title and rationale must not be empty".into()));
        }
        let mut ids = BTreeSet::new();
        for m in &c.checks {
            if !ids.insert(m.id.as_str()) {
                errors.push(invalid(&c.id, format!("check {} is listed twice", m.id)));
            }
            if !known_checks.contains(&m.id) {
                errors.push(invalid(&c.id, format!("check {} does not exist", m.id)));
            }
            if m.reason.trim().is_empty() {
                errors.push(invalid(&c.id, format!("the link to {} has no reason", m.id)));
            }
        }
        match c.automation {
            Automation::Manual | Automation::Provider if !c.checks.is_empty() => errors.push(invalid(
                &c.id,
                format!("is {} but lists checks; make it partial or automated", c.automation.as_str()),
            )),
            Automation::Automated | Automation::Partial if c.checks.is_empty() => errors.push(invalid(
                &c.id,
                format!("is {} but lists no check; make it manual or map checks", c.automation.as_str()),
            )),
            _ => {}
        }
    }
    if fw.id == "iso27001-2022" {
        for (theme, want) in ANNEX_A_COUNTS {
            let got = fw.controls.iter().filter(|c| c.theme == theme).count();
            if got != want {
                errors.push(MappingError::Framework {
                    origin: fw.origin.clone(),
                    message: format!("{} controls of theme {} where Annex A has {want}", got, theme.as_str()),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The controls a check is mapped to, in the framework's order.
pub fn controls_of(fw: &Framework, check_id: &str) -> Vec<String> {
    fw.controls.iter().filter(|c| c.checks.iter().any(|m| m.id == check_id)).map(|c| c.id.clone()).collect()
}

/// One result per control, in the framework's order.
pub fn assess(
    fw: &Framework,
    stats: &BTreeMap<String, CheckStats>,
    evaluated: &BTreeSet<String>,
) -> Vec<ControlResult> {
    fw.controls
        .iter()
        .map(|c| {
            let checks: Vec<ControlCheck> = c
                .checks
                .iter()
                .map(|m| ControlCheck {
                    check_id: m.id.clone(),
                    strength: m.strength,
                    reason: m.reason.clone(),
                    evaluated: evaluated.contains(&m.id),
                    stats: stats.get(&m.id).copied().unwrap_or_default(),
                })
                .collect();
            let mut total = CheckStats::default();
            for ch in checks.iter().filter(|ch| ch.evaluated) {
                total.add(&ch.stats);
            }
            let ran: Vec<&ControlCheck> = checks.iter().filter(|ch| ch.evaluated).collect();
            let status = if ran.is_empty() {
                ControlStatus::Manual
            } else if ran.iter().any(|ch| ch.stats.fail > ch.stats.accepted) {
                ControlStatus::Fail
            } else if ran.iter().any(|ch| ch.stats.error > 0) {
                ControlStatus::Error
            } else if ran.iter().any(|ch| ch.strength != Strength::Supporting && (ch.stats.pass > 0 || ch.stats.accepted > 0)) {
                ControlStatus::Pass
            } else if ran.iter().all(|ch| ch.strength == Strength::Supporting) {
                ControlStatus::Manual
            } else {
                ControlStatus::NoResources
            };
            ControlResult {
                id: c.id.clone(),
                title: c.title.clone(),
                theme: c.theme,
                automation: c.automation,
                rationale: c.rationale.clone(),
                status,
                checks,
                stats: total,
            }
        })
        .collect()
}

/// Controls with at least one direct or partial check, per provider and theme.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    /// (provider, theme) -> (covered controls, controls in the theme)
    pub cells: BTreeMap<(Provider, Theme), (usize, usize)>,
    /// provider -> covered control ids
    pub covered: BTreeMap<Provider, Vec<String>>,
    pub total: usize,
}

pub fn coverage(fw: &Framework, checks: &[(String, Provider)]) -> Coverage {
    let provider_of: BTreeMap<&str, Provider> = checks.iter().map(|(id, p)| (id.as_str(), *p)).collect();
    let mut cov = Coverage { total: fw.controls.len(), ..Default::default() };
    for provider in [Provider::Aws, Provider::Azure] {
        for theme in Theme::ALL {
            let in_theme: Vec<&Control> = fw.controls.iter().filter(|c| c.theme == theme).collect();
            let covered: Vec<&Control> = in_theme
                .iter()
                .copied()
                .filter(|c| {
                    c.checks.iter().any(|m| m.strength != Strength::Supporting && provider_of.get(m.id.as_str()) == Some(&provider))
                })
                .collect();
            cov.cells.insert((provider, theme), (covered.len(), in_theme.len()));
            cov.covered.entry(provider).or_default().extend(covered.iter().map(|c| c.id.clone()));
        }
    }
    cov
}

/// The coverage table as markdown (printed by `annexa controls list --coverage`, kept in the README).
pub fn coverage_table(cov: &Coverage) -> String {
    let mut out = String::from("| theme | AWS | Azure |\n|---|---|---|\n");
    let mut sums = BTreeMap::<Provider, (usize, usize)>::new();
    for theme in Theme::ALL {
        let cell = |p: Provider| cov.cells.get(&(p, theme)).copied().unwrap_or_default();
        let (a, z) = (cell(Provider::Aws), cell(Provider::Azure));
        for (p, c) in [(Provider::Aws, a), (Provider::Azure, z)] {
            let e = sums.entry(p).or_default();
            e.0 += c.0;
            e.1 += c.1;
        }
        out.push_str(&format!("| {} {} | {} of {} | {} of {} |\n", theme.clause(), theme.as_str(), a.0, a.1, z.0, z.1));
    }
    let s = |p: Provider| sums.get(&p).copied().unwrap_or_default();
    out.push_str(&format!(
        "| **all** | **{} of {}** | **{} of {}** |\n",
        s(Provider::Aws).0,
        s(Provider::Aws).1,
        s(Provider::Azure).0,
        s(Provider::Azure).1
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
[framework]
id = "test"
name = "Test"
version = "1"

[[controls]]
id = "A.8.1"
title = "Endpoints"
theme = "technological"
automation = "automated"
rationale = "r"
checks = [
  { id = "aws.a.direct", strength = "direct", reason = "x" },
  { id = "azure.b.support", strength = "supporting", reason = "y" },
]

[[controls]]
id = "A.7.1"
title = "Perimeters"
theme = "physical"
automation = "provider"
rationale = "The cloud provider runs the data centres."
"#;

    fn stats(pass: u64, fail: u64, error: u64, accepted: u64) -> CheckStats {
        CheckStats { pass, fail, error, not_applicable: 0, accepted }
    }

    fn status(direct: CheckStats, support: CheckStats) -> ControlStatus {
        let fw = parse(SMALL, "t.toml").unwrap();
        let s: BTreeMap<String, CheckStats> = [("aws.a.direct".to_string(), direct), ("azure.b.support".to_string(), support)].into();
        let evaluated: BTreeSet<String> = s.keys().cloned().collect();
        assess(&fw, &s, &evaluated)[0].status
    }

    #[test]
    fn truth_table() {
        let zero = CheckStats::default();
        assert_eq!(status(stats(3, 1, 0, 0), zero), ControlStatus::Fail);
        assert_eq!(status(stats(3, 1, 0, 1), zero), ControlStatus::Pass, "accepted failures do not fail a control");
        assert_eq!(status(stats(3, 0, 0, 0), stats(0, 2, 0, 0)), ControlStatus::Fail, "a supporting failure is real");
        assert_eq!(status(stats(3, 0, 1, 0), zero), ControlStatus::Error);
        assert_eq!(status(stats(2, 0, 0, 0), zero), ControlStatus::Pass);
        assert_eq!(status(zero, stats(5, 0, 0, 0)), ControlStatus::NoResources, "supporting passes alone never pass a control");
        assert_eq!(status(zero, zero), ControlStatus::NoResources);
        let fw = parse(SMALL, "t.toml").unwrap();
        let r = assess(&fw, &BTreeMap::new(), &BTreeSet::new());
        assert_eq!(r[0].status, ControlStatus::Manual, "nothing evaluated");
        assert_eq!(r[1].status, ControlStatus::Manual);
    }

    #[test]
    fn validate_names_each_problem() {
        let fw = parse(SMALL, "t.toml").unwrap();
        let known: BTreeSet<String> = ["aws.a.direct".to_string()].into();
        let errors: Vec<String> = validate(&fw, &known).unwrap_err().iter().map(|e| e.to_string()).collect();
        assert_eq!(errors, ["t.toml: control A.8.1: check azure.b.support does not exist"]);

        let dup = SMALL.replace("azure.b.support", "aws.a.direct").replace("id = \"A.7.1\"", "id = \"A.8.1\"");
        let fw = parse(&dup, "t.toml").unwrap();
        let errors: Vec<String> = validate(&fw, &known).unwrap_err().iter().map(|e| e.to_string()).collect();
        assert!(errors.contains(&"t.toml: control A.8.1: check aws.a.direct is listed twice".to_string()), "{errors:?}");
        assert!(errors.contains(&"t.toml: control A.8.1: listed twice".to_string()), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("theme physical does not match")), "{errors:?}");

        let manual_with_checks = SMALL.replace("automation = \"automated\"", "automation = \"manual\"");
        let fw = parse(&manual_with_checks, "t.toml").unwrap();
        let known: BTreeSet<String> = ["aws.a.direct".to_string(), "azure.b.support".to_string()].into();
        let errors = validate(&fw, &known).unwrap_err();
        assert!(errors[0].to_string().contains("is manual but lists checks"));

        let unknown_field = SMALL.replace("rationale = \"r\"", "rationale = \"r\"\ntext = \"copied\"");
        let e = parse(&unknown_field, "t.toml").unwrap_err().to_string();
        assert!(e.contains("t.toml") && e.contains("text"), "{e}");
    }

    #[test]
    fn coverage_counts_direct_and_partial_only() {
        let fw = parse(SMALL, "t.toml").unwrap();
        let cov = coverage(&fw, &[("aws.a.direct".into(), Provider::Aws), ("azure.b.support".into(), Provider::Azure)]);
        assert_eq!(cov.cells[&(Provider::Aws, Theme::Technological)], (1, 1));
        assert_eq!(cov.cells[&(Provider::Azure, Theme::Technological)], (0, 1));
        let table = coverage_table(&cov);
        assert!(table.contains("| 8 technological | 1 of 1 | 0 of 1 |"), "{table}");
    }
}
