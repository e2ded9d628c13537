//! Frameworks (`mappings/*.toml`): load, validate against the loaded checks, assess controls.
//!
//! # Control status
//!
//! [`assess`] turns per-check counts into one status per control (DESIGN.md, Statuses), looking
//! only at the mapped checks that were evaluated in this scan, in this order:
//!
//! 1. `fail`: an evaluated check (any strength) has unaccepted failures (`fail - accepted > 0`).
//!    A failure a supporting check reveals is real, so it fails the control.
//! 2. `error`: an evaluated check (any strength) could not judge some resource.
//! 3. `manual`: no `direct` or `partial` check was evaluated: the control lists none (manual and
//!    provider controls never do), none was selected in this scan, or only `supporting` checks
//!    ran. Nothing automated shows the control is met, so a person has to judge it.
//! 4. `pass`: a `direct` or `partial` check passed, or its only failures were accepted by a
//!    suppression (accepted risk is a decision, not a failure).
//! 5. `no_resources`: direct or partial checks ran but nothing was in scope for them.
//!
//! A `supporting` link therefore can make a control fail or error but never pass: supporting
//! evidence alone does not show that a control is met.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use toml::Spanned;

use crate::model::{
    Automation, CheckStats, ControlCheck, ControlResult, ControlStatus, Provider, Strength, Theme,
};

pub const ISO27001_2022: &str = include_str!("../../mappings/iso27001-2022.toml");
const ISO27001_2022_ORIGIN: &str = "mappings/iso27001-2022.toml";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// The file is not valid TOML or does not have the mapping's shape.
    #[error("{origin}:{line}:{column}: {message}")]
    Parse {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// One control breaks a rule; `line` is where its `[[controls]]` entry (or the link) is.
    #[error("{origin}:{line}: control {control}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        control: String,
        message: String,
    },
    /// The framework as a whole breaks a rule (a control is missing).
    #[error("{origin}: {message}")]
    Framework { origin: String, message: String },
}

/// A check linked to a control, with how strongly it shows the control is met and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedCheck {
    pub id: String,
    pub strength: Strength,
    pub reason: String,
    /// 1-based line of the link in the mapping file (0 when built in code).
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub theme: Theme,
    pub automation: Automation,
    pub rationale: String,
    pub checks: Vec<MappedCheck>,
    /// 1-based line of the control's `id` in the mapping file (0 when built in code).
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    pub id: String,
    pub name: String,
    pub version: String,
    /// Where it was read from, for messages.
    pub origin: String,
    pub controls: Vec<Control>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    id: String,
    name: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    id: Spanned<String>,
    strength: Strength,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    title: String,
    theme: Theme,
    automation: Automation,
    rationale: String,
    #[serde(default)]
    checks: Vec<RawCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    framework: RawHeader,
    controls: Vec<RawControl>,
}

/// 1-based line and column (in characters) of a byte offset. The engine has its own copy for
/// check files; each module keeps its error positions self-contained.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The built-in ISO/IEC 27001:2022 Annex A mapping.
pub fn builtin() -> Result<Framework, MappingError> {
    parse(ISO27001_2022, ISO27001_2022_ORIGIN)
}

/// Reads a framework mapping; unknown fields are errors, reported with file:line:column.
pub fn parse(text: &str, origin: &str) -> Result<Framework, MappingError> {
    let raw: RawFramework = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| position(text, s.start));
        MappingError::Parse {
            origin: origin.into(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    let line_of = |s: &Spanned<String>| position(text, s.span().start).0;
    let controls = raw
        .controls
        .into_iter()
        .map(|c| Control {
            line: line_of(&c.id),
            checks: c
                .checks
                .into_iter()
                .map(|m| MappedCheck {
                    line: line_of(&m.id),
                    id: m.id.into_inner(),
                    strength: m.strength,
                    reason: m.reason,
                })
                .collect(),
            id: c.id.into_inner(),
            title: c.title,
            theme: c.theme,
            automation: c.automation,
            rationale: c.rationale,
        })
        .collect();
    Ok(Framework {
        id: raw.framework.id,
        name: raw.framework.name,
        version: raw.framework.version,
        origin: origin.into(),
        controls,
    })
}

/// Annex A of ISO/IEC 27001:2022: 37 organizational, 8 people, 14 physical, 34 technological.
pub const ANNEX_A_COUNTS: [(Theme, usize); 4] = [
    (Theme::Organizational, 37),
    (Theme::People, 8),
    (Theme::Physical, 14),
    (Theme::Technological, 34),
];

/// The 93 Annex A control ids in the standard's order (`A.5.1` ... `A.8.34`).
pub fn annex_a_ids() -> Vec<String> {
    ANNEX_A_COUNTS
        .iter()
        .flat_map(|(theme, n)| (1..=*n).map(move |i| format!("A.{}.{i}", theme.clause())))
        .collect()
}

/// (clause, number) of an `A.<clause>.<number>` id, for theme and order checks.
fn annex_key(id: &str) -> Option<(u8, u32)> {
    let mut parts = id.strip_prefix("A.")?.split('.');
    let key = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    parts.next().is_none().then_some(key)
}

/// Every rule that keeps a mapping honest; all problems at once, each with file:line.
pub fn validate(fw: &Framework, known_checks: &BTreeSet<String>) -> Result<(), Vec<MappingError>> {
    let mut errors = Vec::new();
    let invalid = |line: usize, control: &str, message: String| MappingError::Invalid {
        origin: fw.origin.clone(),
        line,
        control: control.into(),
        message,
    };
    let annex_a = fw.id == "iso27001-2022";
    let expected: BTreeSet<String> = annex_a_ids().into_iter().collect();
    let mut first_line = BTreeMap::<&str, usize>::new();
    let mut previous: Option<(&str, (u8, u32))> = None;
    for c in &fw.controls {
        if let Some(first) = first_line.get(c.id.as_str()) {
            errors.push(invalid(
                c.line,
                &c.id,
                format!("is listed twice (first at line {first}); keep one entry per control"),
            ));
        } else {
            first_line.insert(&c.id, c.line);
        }
        let key = annex_key(&c.id);
        if annex_a && !expected.contains(&c.id) {
            errors.push(invalid(
                c.line,
                &c.id,
                "is not an Annex A control id (A.5.1-A.5.37, A.6.1-A.6.8, A.7.1-A.7.14, A.8.1-A.8.34)"
                    .into(),
            ));
        } else if key.map(|k| k.0) != Some(c.theme.clause()) {
            errors.push(invalid(
                c.line,
                &c.id,
                format!(
                    "theme {} does not match the id (A.5 organizational, A.6 people, A.7 physical, A.8 technological)",
                    c.theme.as_str()
                ),
            ));
        }
        // Reports list controls in the framework's order, so it must be the standard's.
        if let (Some((prev_id, prev_key)), Some(key)) = (previous, key) {
            if key < prev_key {
                errors.push(invalid(
                    c.line,
                    &c.id,
                    format!("comes after {prev_id}; list controls in Annex A order"),
                ));
            }
        }
        if let Some(key) = key {
            previous = Some((c.id.as_str(), key));
        }
        if c.title.trim().is_empty() || c.rationale.trim().is_empty() {
            errors.push(invalid(
                c.line,
                &c.id,
                "title and rationale must not be empty".into(),
            ));
        }
        if c.rationale.contains('\n') {
            errors.push(invalid(
                c.line,
                &c.id,
                "the rationale must be one line".into(),
            ));
        }
        let mut ids = BTreeSet::new();
        for m in &c.checks {
            if !ids.insert(m.id.as_str()) {
                errors.push(invalid(
                    m.line,
                    &c.id,
                    format!(
                        "check {} is listed twice; keep one link with the strongest strength",
                        m.id
                    ),
                ));
            }
            if !known_checks.contains(&m.id) {
                errors.push(invalid(
                    m.line,
                    &c.id,
                    format!(
                        "check {} does not exist; fix the id or remove the link (`annexa checks list` shows the ids)",
                        m.id
                    ),
                ));
            }
            if m.reason.trim().is_empty() {
                errors.push(invalid(
                    m.line,
                    &c.id,
                    format!("the link to {} has no reason", m.id),
                ));
            }
        }
        match c.automation {
            Automation::Manual | Automation::Provider if !c.checks.is_empty() => {
                errors.push(invalid(
                    c.line,
                    &c.id,
                    format!(
                        "is {} but lists checks; make it partial or automated, or remove the checks",
                        c.automation.as_str()
                    ),
                ))
            }
            Automation::Automated | Automation::Partial if c.checks.is_empty() => {
                errors.push(invalid(
                    c.line,
                    &c.id,
                    format!(
                        "is {} but lists no check; map checks or make it manual and say why in the rationale",
                        c.automation.as_str()
                    ),
                ))
            }
            _ => {}
        }
    }
    if annex_a {
        for id in annex_a_ids() {
            if !first_line.contains_key(id.as_str()) {
                errors.push(MappingError::Framework {
                    origin: fw.origin.clone(),
                    message: format!(
                        "control {id} is missing; Annex A has 93 controls and the mapping lists each once"
                    ),
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
    fw.controls
        .iter()
        .filter(|c| c.checks.iter().any(|m| m.id == check_id))
        .map(|c| c.id.clone())
        .collect()
}

/// The status rule of the module documentation, for one control's evaluated checks.
fn status_of(ran: &[&ControlCheck]) -> ControlStatus {
    let evidence = |ch: &&&ControlCheck| ch.strength != Strength::Supporting;
    let any_evidence = ran.iter().any(|ch| ch.strength != Strength::Supporting);
    if ran.iter().any(|ch| ch.stats.fail > ch.stats.accepted) {
        ControlStatus::Fail
    } else if ran.iter().any(|ch| ch.stats.error > 0) {
        ControlStatus::Error
    } else if !any_evidence {
        ControlStatus::Manual
    } else if ran
        .iter()
        .filter(evidence)
        .any(|ch| ch.stats.pass > 0 || ch.stats.accepted > 0)
    {
        ControlStatus::Pass
    } else {
        ControlStatus::NoResources
    }
}

/// One result per control, in the framework's order. `stats` holds per-check counts of this scan;
/// `evaluated` the checks that ran (a mapped check outside it is listed but not counted).
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
            let ran: Vec<&ControlCheck> = checks.iter().filter(|ch| ch.evaluated).collect();
            let mut total = CheckStats::default();
            for ch in &ran {
                total.add(&ch.stats);
            }
            ControlResult {
                id: c.id.clone(),
                title: c.title.clone(),
                theme: c.theme,
                automation: c.automation,
                rationale: c.rationale.clone(),
                status: status_of(&ran),
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
    let provider_of: BTreeMap<&str, Provider> =
        checks.iter().map(|(id, p)| (id.as_str(), *p)).collect();
    let mut cov = Coverage {
        total: fw.controls.len(),
        ..Default::default()
    };
    for provider in [Provider::Aws, Provider::Azure] {
        for theme in Theme::ALL {
            let in_theme: Vec<&Control> = fw.controls.iter().filter(|c| c.theme == theme).collect();
            let covered: Vec<&Control> = in_theme
                .iter()
                .copied()
                .filter(|c| {
                    c.checks.iter().any(|m| {
                        m.strength != Strength::Supporting
                            && provider_of.get(m.id.as_str()) == Some(&provider)
                    })
                })
                .collect();
            cov.cells
                .insert((provider, theme), (covered.len(), in_theme.len()));
            cov.covered
                .entry(provider)
                .or_default()
                .extend(covered.iter().map(|c| c.id.clone()));
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
        out.push_str(&format!(
            "| {} {} | {} of {} | {} of {} |\n",
            theme.clause(),
            theme.as_str(),
            a.0,
            a.1,
            z.0,
            z.1
        ));
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

    #[test]
    fn positions_are_one_based() {
        assert_eq!(position("ab\ncd", 0), (1, 1));
        assert_eq!(position("ab\ncd", 4), (2, 2));
        assert_eq!(position("ab", 99), (1, 3));
        assert_eq!(position("é\nxé", 6), (2, 3), "columns count characters");
        assert_eq!(position("é", 1), (1, 1), "never panics inside a character");
    }

    #[test]
    fn annex_ids_and_keys() {
        let ids = annex_a_ids();
        assert_eq!(ids.len(), 93);
        assert_eq!(ids.first().map(String::as_str), Some("A.5.1"));
        assert_eq!(ids.last().map(String::as_str), Some("A.8.34"));
        assert_eq!(annex_key("A.8.29"), Some((8, 29)));
        assert!(
            annex_key("A.8.29") > annex_key("A.8.3"),
            "numeric, not text, order"
        );
        assert_eq!(annex_key("A.8"), None);
        assert_eq!(annex_key("A.8.1.2"), None);
        assert_eq!(annex_key("8.1"), None);
    }

    #[test]
    fn parse_records_lines_of_controls_and_links() {
        let text = "[framework]\nid = \"t\"\nname = \"T\"\nversion = \"1\"\n\n[[controls]]\nid = \"A.8.1\"\ntitle = \"x\"\ntheme = \"technological\"\nautomation = \"automated\"\nrationale = \"r\"\nchecks = [\n  { id = \"aws.a.b\", strength = \"direct\", reason = \"y\" },\n]\n";
        let fw = parse(text, "t.toml").unwrap();
        assert_eq!(fw.controls[0].line, 7);
        assert_eq!(fw.controls[0].checks[0].line, 13);
    }
}
