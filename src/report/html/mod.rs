//! `report.html`: one self-contained page for people and auditors.
//!
//! The page makes no request: styles, script and charts are inline, and a Content-Security-Policy
//! allows exactly the one inline style and the one inline script by their sha256 hashes.
//! Every cloud string goes through minijinja's HTML autoescaping; none is ever placed inside the
//! `<script>` element (the script reads the findings table's DOM instead of embedded data).
//! Without JavaScript everything is still shown; the script only adds filters, search and sort.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{Environment, Value};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use super::FirstN;
use crate::model::{
    CheckInfo, ControlResult, ControlStatus, Finding, FindingStatus, Provider, ScanResult,
    Severity, Strength, SuppressionState, Theme,
};

const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// Templates embedded at compile time: (name, source). The `.html` names switch autoescaping on.
const TEMPLATES: [(&str, &str); 7] = [
    ("report.html", include_str!("templates/report.html")),
    ("scope.html", include_str!("templates/scope.html")),
    ("annex.html", include_str!("templates/annex.html")),
    ("controls.html", include_str!("templates/controls.html")),
    ("findings.html", include_str!("templates/findings.html")),
    ("risks.html", include_str!("templates/risks.html")),
    ("gaps.html", include_str!("templates/gaps.html")),
];

/// Failing resources listed per check inside a control's detail.
const DETAIL_LIMIT: usize = 20;
/// Rows of the findings table, the most urgent first. 10,000 rows make a page of about 4.4 MB
/// that a browser filters in well under a second; a larger estate's report says how many more
/// there are (results.json and the SARIF files hold every finding), instead of a page of
/// hundreds of MB that no browser opens.
pub const TABLE_LIMIT: usize = 10_000;
/// Longest evidence value shown; large policy documents would bloat the page.
const EVIDENCE_CHARS: usize = 240;

#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    #[error("HTML report template '{template}' failed: {source} (this is a bug in annexa; please report it with the results file)")]
    Template {
        template: String,
        #[source]
        source: minijinja::Error,
    },
}

/// Render `report.html` from a scan result. Pure: the same result gives the same bytes.
pub fn render(result: &ScanResult) -> Result<String, HtmlError> {
    let mut env = Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|source| HtmlError::Template {
            template: "syntax".into(),
            source,
        })?;
    env.set_syntax(syntax);
    env.set_formatter(compact_html_formatter);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(|source| HtmlError::Template {
                template: name.into(),
                source,
            })?;
    }
    let page = env
        .get_template("report.html")
        .map_err(|source| HtmlError::Template {
            template: "report.html".into(),
            source,
        })?;
    let mut ctx = view(result);
    ctx["csp"] = Json::String(content_security_policy());
    ctx["css"] = Json::String(CSS.into());
    ctx["js"] = Json::String(JS.into());
    page.render(to_value(&ctx))
        .map_err(|source| HtmlError::Template {
            template: "report.html".into(),
            source,
        })
}

/// minijinja's HTML escaping also escapes `/`, which makes every ARN and Azure id six bytes
/// longer per slash. Escaping `& < > " '` is enough for text and quoted attributes (all of
/// ours are quoted), so strings get that; everything else goes through the default.
fn compact_html_formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if *state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() {
        if let Some(text) = value.as_str() {
            return escape_html(out, text).map_err(minijinja::Error::from);
        }
    }
    minijinja::escape_formatter(out, state, value)
}

fn escape_html(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut last = 0;
    for (i, ch) in text.char_indices() {
        let entity = match ch {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..i])?;
        out.write_str(entity)?;
        last = i + 1;
    }
    out.write_str(&text[last..])
}

/// The page's policy: nothing may load; only our own inline style and script may run.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; base-uri 'none'; form-action 'none'",
        sha256_source(JS),
        sha256_source(CSS)
    )
}

/// A CSP hash source (`sha256-<base64>`) for an inline element's exact text.
fn sha256_source(text: &str) -> String {
    format!("sha256-{}", base64(&Sha256::digest(text.as_bytes())))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// minijinja 3 without its serde feature: convert our JSON view model by hand.
fn to_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Value::from(u),
            (_, Some(i)) => Value::from(i),
            _ => Value::from(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => items.iter().map(to_value).collect(),
        Json::Object(map) => Value::from(
            map.iter()
                .map(|(k, v)| (k.clone(), to_value(v)))
                .collect::<BTreeMap<String, Value>>(),
        ),
    }
}

/// The finding's status as a reader sees it: an accepted failure is its own state.
fn finding_state(f: &Finding) -> &'static str {
    match (f.status, &f.accepted) {
        (FindingStatus::Fail, Some(_)) => "accepted",
        (status, _) => status.as_str(),
    }
}

fn state_rank(state: &str) -> u8 {
    match state {
        "fail" => 0,
        "error" => 1,
        "accepted" => 2,
        "pass" => 3,
        _ => 4,
    }
}

fn control_status_label(status: ControlStatus) -> &'static str {
    match status {
        ControlStatus::Fail => "fail",
        ControlStatus::Error => "error",
        ControlStatus::Pass => "pass",
        ControlStatus::NoResources => "no resources",
        ControlStatus::Manual => "manual",
    }
}

const CONTROL_STATUSES: [ControlStatus; 5] = [
    ControlStatus::Fail,
    ControlStatus::Error,
    ControlStatus::Pass,
    ControlStatus::NoResources,
    ControlStatus::Manual,
];

fn strength_str(s: Strength) -> &'static str {
    match s {
        Strength::Direct => "direct",
        Strength::Partial => "partial",
        Strength::Supporting => "supporting",
    }
}

fn theme_title(t: Theme) -> &'static str {
    match t {
        Theme::Organizational => "Organizational controls",
        Theme::People => "People controls",
        Theme::Physical => "Physical controls",
        Theme::Technological => "Technological controls",
    }
}

/// `path = value` lines, values as compact JSON, long ones cut.
fn evidence_text(f: &Finding) -> String {
    f.evidence
        .iter()
        .map(|e| {
            let mut value = serde_json::to_string(&e.value).unwrap_or_default();
            if value.chars().count() > EVIDENCE_CHARS {
                value = value.chars().take(EVIDENCE_CHARS).collect::<String>() + "…";
            }
            format!("{} = {}", e.path, value)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One check's failing and erroring findings for the control details: the first `DETAIL_LIMIT`
/// of each state (open failures, errors, accepted ones; each in resource order) and how many
/// there are in all.
#[derive(Default)]
struct CheckDetail {
    by_state: [Vec<Finding>; 3],
    total: usize,
}

impl CheckDetail {
    /// The findings a control's detail lists: open failures first, then errors, then accepted.
    fn shown(&self) -> impl Iterator<Item = &Finding> {
        self.by_state.iter().flatten().take(DETAIL_LIMIT)
    }
}

/// What the report needs from the findings, gathered in one pass that holds only the rows it
/// shows: the table's most urgent `TABLE_LIMIT` findings, each check's first failures, counts.
struct Gathered {
    /// Most urgent first: open failures, errors, accepted, passes; then severity, check, resource.
    table: Vec<Finding>,
    total: usize,
    by_check: BTreeMap<String, CheckDetail>,
    open: usize,
    accepted: usize,
    errors: usize,
    open_by_severity: BTreeMap<Severity, usize>,
    open_by_provider: BTreeMap<Provider, usize>,
}

fn most_urgent_first(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    state_rank(finding_state(a))
        .cmp(&state_rank(finding_state(b)))
        .then(b.severity.cmp(&a.severity))
        .then(a.check_id.cmp(&b.check_id))
        .then(a.resource_id.cmp(&b.resource_id))
}

fn gather(result: &ScanResult) -> Gathered {
    let mut table = FirstN::new(TABLE_LIMIT, most_urgent_first);
    let mut total = 0;
    let mut by_check: BTreeMap<String, CheckDetail> = BTreeMap::new();
    let (mut open, mut accepted, mut errors) = (0, 0, 0);
    let mut open_by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut open_by_provider: BTreeMap<Provider, usize> = BTreeMap::new();
    for f in &result.findings {
        total += 1;
        match (f.status, f.accepted.is_some()) {
            (FindingStatus::Fail, false) => {
                open += 1;
                *open_by_severity.entry(f.severity).or_default() += 1;
                *open_by_provider.entry(f.provider).or_default() += 1;
            }
            (FindingStatus::Fail, true) => accepted += 1,
            (FindingStatus::Error, _) => errors += 1,
            _ => {}
        }
        if matches!(f.status, FindingStatus::Fail | FindingStatus::Error) {
            let detail = by_check.entry(f.check_id.clone()).or_default();
            detail.total += 1;
            let list = &mut detail.by_state[usize::from(state_rank(finding_state(&f)).min(2))];
            if list.len() < DETAIL_LIMIT {
                list.push(f.clone());
            }
        }
        table.push(f);
    }
    Gathered {
        table: table.into_sorted(),
        total,
        by_check,
        open,
        accepted,
        errors,
        open_by_severity,
        open_by_provider,
    }
}

/// Everything the templates show, computed here so the templates stay simple.
fn view(result: &ScanResult) -> Json {
    let scan_date = result.scope.started_at.get(..10).unwrap_or_default();
    let controls_of = |check_id: &str| -> &[String] {
        result
            .check(check_id)
            .map(|c| c.controls.as_slice())
            .unwrap_or_default()
    };

    let g = gather(result);
    let findings: Vec<Json> = g
        .table
        .iter()
        .map(|f| {
            json!({
                "sev": f.severity.as_str(),
                "st": finding_state(f),
                "prov": f.provider.as_str(),
                "acct": f.account,
                "region": f.region,
                "check": f.check_id,
                "ctl": controls_of(&f.check_id).join(" "),
                "name": f.resource_name,
                "id": if f.resource_id == f.resource_name { "" } else { f.resource_id.as_str() },
                "msg": f.message,
                "ev": evidence_text(f),
            })
        })
        .collect();

    // Filter choices: only values that occur in the table, in a stable order.
    let accounts: BTreeSet<&str> = g.table.iter().map(|f| f.account.as_str()).collect();
    let providers: BTreeSet<Provider> = g.table.iter().map(|f| f.provider).collect();
    let finding_controls: BTreeSet<&str> = g
        .table
        .iter()
        .flat_map(|f| controls_of(&f.check_id))
        .map(String::as_str)
        .collect();
    let filter_controls: Vec<&str> = result
        .controls
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| finding_controls.contains(id))
        .collect();
    let states: BTreeSet<&str> = g.table.iter().map(finding_state).collect();
    let mut states: Vec<&str> = states.into_iter().collect();
    states.sort_by_key(|s| state_rank(s));

    let themes: Vec<Json> = Theme::ALL
        .iter()
        .map(|&theme| {
            let controls: Vec<&ControlResult> = result
                .controls
                .iter()
                .filter(|c| c.theme == theme)
                .collect();
            let counts: Vec<Json> = CONTROL_STATUSES
                .iter()
                .map(|&s| {
                    json!({
                        "status": s.as_str(),
                        "label": control_status_label(s),
                        "n": controls.iter().filter(|c| c.status == s).count(),
                    })
                })
                .collect();
            json!({
                "id": theme.as_str(),
                "title": theme_title(theme),
                "clause": theme.clause(),
                "total": controls.len(),
                "counts": counts,
                "cells": controls.iter().map(|c| json!({
                    "id": c.id,
                    "short": c.id.trim_start_matches("A."),
                    "title": c.title,
                    "status": c.status.as_str(),
                    "label": control_status_label(c.status),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();

    let controls: Vec<Json> = result
        .controls
        .iter()
        .map(|c| {
            let checks: Vec<Json> = c
                .checks
                .iter()
                .map(|cc| {
                    let info: Option<&CheckInfo> = result.check(&cc.check_id);
                    let (failing, failing_total): (Vec<&Finding>, usize) = g
                        .by_check
                        .get(cc.check_id.as_str())
                        .map(|d| (d.shown().collect(), d.total))
                        .unwrap_or_default();
                    json!({
                        "id": cc.check_id,
                        "title": info.map(|i| i.title.as_str()).unwrap_or_default(),
                        "severity": info.map(|i| i.severity.as_str()).unwrap_or_default(),
                        "strength": strength_str(cc.strength),
                        "reason": cc.reason,
                        "evaluated": cc.evaluated,
                        "stats": stats_json(&cc.stats),
                        "risk": info.map(|i| i.risk.as_str()).unwrap_or_default(),
                        "remediation": info.map(|i| i.remediation.text.as_str()).unwrap_or_default(),
                        "cli": info.and_then(|i| i.remediation.cli.as_deref()),
                        "links": info.map(|i| i.remediation.links.clone()).unwrap_or_default(),
                        "failing": failing.iter().map(|f| json!({
                            "st": finding_state(f),
                            "name": f.resource_name,
                            "id": f.resource_id,
                            "acct": f.account,
                            "region": f.region,
                            "msg": f.message,
                            "ev": evidence_text(f),
                        })).collect::<Vec<_>>(),
                        "more": failing_total - failing.len(),
                    })
                })
                .collect();
            json!({
                "id": c.id,
                "title": c.title,
                "theme": c.theme.as_str(),
                "automation": c.automation.as_str(),
                "rationale": c.rationale,
                "status": c.status.as_str(),
                "label": control_status_label(c.status),
                "stats": stats_json(&c.stats),
                "nchecks": c.checks.len(),
                "checks": checks,
                "has_findings": finding_controls.contains(c.id.as_str()),
            })
        })
        .collect();

    // Charts: open failures (failing, not accepted) by severity and by provider.
    let by_severity: Vec<(String, String, usize)> = Severity::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                s.as_str().to_string(),
                g.open_by_severity.get(s).copied().unwrap_or(0),
            )
        })
        .collect();
    let by_provider: Vec<(String, String, usize)> = [Provider::Aws, Provider::Azure]
        .iter()
        .map(|p| {
            let label = match p {
                Provider::Aws => "AWS",
                Provider::Azure => "Azure",
            };
            (
                p.as_str().to_string(),
                label.to_string(),
                g.open_by_provider.get(p).copied().unwrap_or(0),
            )
        })
        .collect();

    json!({
        "tool": result.tool.name,
        "version": result.tool.version,
        "framework": result.framework,
        "scope": {
            "sources": result.scope.sources.iter().map(|s| json!({
                "prov": s.provider.as_str(),
                "acct": s.account,
                "regions": if s.regions.is_empty() { "all".to_string() } else { s.regions.join(", ") },
                "principal": s.principal,
            })).collect::<Vec<_>>(),
            "started": result.scope.started_at,
            "finished": result.scope.finished_at,
            "collected": result.scope.collected_at,
            "digest": result.scope.inventory_digest,
            "resources": result.scope.resource_count,
            "checks": result.checks.len(),
            "unchecked": result.scope.unchecked_types.iter().map(|(t, n)| json!({"type": t, "n": n})).collect::<Vec<_>>(),
        },
        "summary": {
            "open": g.open,
            "accepted": g.accepted,
            "errors": g.errors,
            "gaps": result.errors.len(),
            "controls_fail": result.controls.iter().filter(|c| c.status == ControlStatus::Fail).count(),
            "controls": result.controls.len(),
        },
        "themes": themes,
        "controls": controls,
        "charts": [
            bar_chart("chart-severity", "Open failing findings by severity", "sev", &by_severity),
            bar_chart("chart-provider", "Open failing findings by provider", "prov", &by_provider),
        ],
        "findings": findings,
        "findings_total": g.total,
        "findings_more": g.total - g.table.len(),
        "filters": {
            "severities": Severity::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "providers": providers.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            "accounts": accounts,
            "controls": filter_controls,
            "states": states,
        },
        "risks": risks(result, scan_date),
        "gaps": result.errors.iter().map(|e| json!({
            "prov": e.provider.as_str(),
            "acct": e.account,
            "region": e.region.as_deref().unwrap_or("all regions"),
            "type": e.resource_type.as_deref().unwrap_or("all types"),
            "api": e.api.as_deref().unwrap_or(""),
            "kind": e.kind.as_str().replace('_', " "),
            "msg": e.message,
        })).collect::<Vec<_>>(),
    })
}

fn stats_json(s: &crate::model::CheckStats) -> Json {
    json!({"pass": s.pass, "fail": s.fail, "error": s.error, "na": s.not_applicable, "accepted": s.accepted})
}

/// Accepted risks: the suppression entries of this scan, plus any acceptance carried only on
/// findings (results produced elsewhere). Expired entries are flagged for highlighting.
fn risks(result: &ScanResult, scan_date: &str) -> Vec<Json> {
    let mut rows: Vec<Json> = result
        .suppressions
        .iter()
        .map(|s| {
            let state = match s.state {
                SuppressionState::Active => "active",
                SuppressionState::Expired => "expired",
                SuppressionState::Stale => "stale",
            };
            json!({
                "id": s.id, "check": s.check, "resource": s.resource,
                "acct": s.account.as_deref().unwrap_or("any"),
                "owner": s.owner, "reason": s.reason, "expires": s.expires,
                "state": state, "expired": s.state == SuppressionState::Expired,
                "matched": s.matched, "controls": s.controls.join(" "),
            })
        })
        .collect();
    let known: BTreeSet<&str> = result.suppressions.iter().map(|s| s.id.as_str()).collect();
    // Accepted risks whose entry is not in this result (a result rendered again elsewhere).
    let mut extra: BTreeMap<String, (crate::model::AcceptedRisk, Finding, u64)> = BTreeMap::new();
    for f in result.findings.iter_without_evidence() {
        if let Some(a) = f.accepted.clone() {
            if !known.contains(a.id.as_str()) {
                extra.entry(a.id.clone()).or_insert((a, f, 0)).2 += 1;
            }
        }
    }
    for (id, (a, f, n)) in extra {
        let expired = !scan_date.is_empty() && a.expires.as_str() < scan_date;
        rows.push(json!({
            "id": id, "check": f.check_id, "resource": f.resource_id, "acct": f.account,
            "owner": a.owner, "reason": a.reason, "expires": a.expires,
            "state": if expired { "expired" } else { "active" }, "expired": expired,
            "matched": n,
            "controls": result.check(&f.check_id).map(|c| c.controls.join(" ")).unwrap_or_default(),
        }));
    }
    rows
}

/// A horizontal bar chart as data for the SVG template: geometry computed here.
fn bar_chart(id: &str, title: &str, class_prefix: &str, bars: &[(String, String, usize)]) -> Json {
    const LABEL_W: u32 = 80;
    const BAR_W: u32 = 220;
    const ROW_H: u32 = 26;
    let max = bars.iter().map(|b| b.2).max().unwrap_or(0).max(1);
    json!({
        "id": id,
        "title": title,
        "width": LABEL_W + BAR_W + 70,
        "height": ROW_H * bars.len() as u32 + 8,
        "total": bars.iter().map(|b| b.2).sum::<usize>(),
        "bars": bars.iter().enumerate().map(|(i, (key, label, n))| {
            let y = 4 + ROW_H * i as u32;
            let w = if *n == 0 { 0 } else { ((*n as u64 * BAR_W as u64) / max as u64).max(2) as u32 };
            json!({
                "class": format!("{class_prefix}-{key}"),
                "label": label, "n": n,
                "y": y, "ty": y + 15,
                "x": LABEL_W, "w": w, "tx": LABEL_W + w + 6,
            })
        }).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_the_five_special_characters() {
        let mut out = String::new();
        escape_html(&mut out, "a<b>&\"c'/é").unwrap();
        assert_eq!(out, "a&lt;b&gt;&amp;&quot;c&#39;/é");
    }

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn inline_assets_cannot_close_their_element() {
        // The hashes cover the exact text; a `</` inside would end the element early.
        assert!(!JS.contains("</"), "report.js must not contain '</'");
        assert!(!CSS.contains("</"), "report.css must not contain '</'");
    }

    #[test]
    fn policy_forbids_everything_but_our_inline_code() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(!csp.contains("unsafe"));
        assert_eq!(csp.matches("'sha256-").count(), 2);
    }
}
