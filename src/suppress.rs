//! Accepted risks: suppression entries with an owner, a reason and an expiry date.
//!
//! An entry accepts failing findings whose check id and resource id match its patterns (and its
//! account, when given). A suppressed finding stays in the results, marked `accepted`. An entry
//! past its expiry date no longer suppresses and is reported `expired`; an entry in force that
//! matches nothing is reported `stale`. `expires` is the last day the acceptance holds.

use chrono::NaiveDate;
use globset::{GlobBuilder, GlobMatcher};
use serde::Deserialize;

use crate::model::{
    canonical_resource_id, AcceptedRisk, Finding, FindingStatus, Provider, SuppressionReport,
    SuppressionState,
};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SuppressionError {
    #[error("{origin}:{line}: suppression {field}: {reason}")]
    Invalid {
        origin: String,
        line: usize,
        field: &'static str,
        reason: String,
    },
    #[error("{origin}: {message}")]
    Toml { origin: String, message: String },
}

/// One accepted risk, validated.
#[derive(Debug, Clone)]
pub struct Suppression {
    pub id: String,
    pub check: String,
    pub resource: String,
    pub account: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires: NaiveDate,
    /// Where the entry was written: `annexa.toml:12`.
    pub origin: String,
    check_glob: GlobMatcher,
    resource_glob: GlobMatcher,
}

/// The raw TOML shape, shared by annexa.toml's `[[suppressions]]` and a standalone file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSuppression {
    #[serde(default)]
    pub id: Option<String>,
    pub check: toml::Spanned<String>,
    pub resource: toml::Spanned<String>,
    #[serde(default)]
    pub account: Option<String>,
    pub reason: toml::Spanned<String>,
    pub owner: toml::Spanned<String>,
    pub expires: toml::Spanned<DateValue>,
}

/// `expires = 2026-12-31` (a TOML date) or `expires = "2026-12-31"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DateValue {
    Date(toml::value::Datetime),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuppressionsFile {
    #[serde(default)]
    suppressions: Vec<RawSuppression>,
}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

fn glob(pattern: &str, case_insensitive: bool) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .case_insensitive(case_insensitive)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad pattern '{pattern}': {e}"))
}

fn parse_date(v: &DateValue) -> Result<NaiveDate, String> {
    let text = match v {
        DateValue::Date(d) => match (d.date, d.time) {
            (Some(_), None) => d.to_string(),
            _ => return Err(format!("'{d}' is not a date; write YYYY-MM-DD")),
        },
        DateValue::Text(s) => s.clone(),
    };
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date; write YYYY-MM-DD"))
}

/// Validate raw entries read from `text` (used for line numbers) at `origin`.
pub fn validate(
    raw: &[RawSuppression],
    text: &str,
    origin: &str,
) -> Result<Vec<Suppression>, SuppressionError> {
    let invalid = |span: std::ops::Range<usize>, field: &'static str, reason: String| {
        SuppressionError::Invalid {
            origin: origin.to_string(),
            line: line_of(text, span.start),
            field,
            reason,
        }
    };
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        for (field, value) in [
            ("reason", &r.reason),
            ("owner", &r.owner),
            ("check", &r.check),
            ("resource", &r.resource),
        ] {
            if value.get_ref().trim().is_empty() {
                return Err(invalid(
                    value.span(),
                    field,
                    "must not be empty: say who accepted the risk, why, and for which resource"
                        .into(),
                ));
            }
        }
        let expires =
            parse_date(r.expires.get_ref()).map_err(|e| invalid(r.expires.span(), "expires", e))?;
        let check_glob =
            glob(r.check.get_ref(), false).map_err(|e| invalid(r.check.span(), "check", e))?;
        // Azure ids are case-insensitive and AWS ARNs are not; findings' Azure ids are lower case,
        // so a case-insensitive match serves both without accepting a different ARN in practice.
        let resource_glob = glob(r.resource.get_ref(), true)
            .map_err(|e| invalid(r.resource.span(), "resource", e))?;
        let line = line_of(text, r.check.span().start);
        out.push(Suppression {
            id: r.id.clone().unwrap_or_else(|| format!("S{}", i + 1)),
            check: r.check.get_ref().clone(),
            resource: r.resource.get_ref().clone(),
            account: r.account.clone(),
            reason: r.reason.get_ref().trim().to_string(),
            owner: r.owner.get_ref().trim().to_string(),
            expires,
            origin: format!("{origin}:{line}"),
            check_glob,
            resource_glob,
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    for s in &out {
        if !seen.insert(s.id.clone()) {
            return Err(SuppressionError::Invalid {
                origin: origin.to_string(),
                line: s
                    .origin
                    .rsplit(':')
                    .next()
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0),
                field: "id",
                reason: format!("'{}' is used twice; give each entry its own id", s.id),
            });
        }
    }
    Ok(out)
}

/// Parse a standalone suppressions file (`[[suppressions]]` entries).
pub fn parse_file(text: &str, origin: &str) -> Result<Vec<Suppression>, SuppressionError> {
    let file: SuppressionsFile = toml::from_str(text).map_err(|e| SuppressionError::Toml {
        origin: origin.to_string(),
        message: e.to_string(),
    })?;
    validate(&file.suppressions, text, origin)
}

impl Suppression {
    pub fn is_expired(&self, today: NaiveDate) -> bool {
        today > self.expires
    }

    pub fn matches(&self, f: &Finding) -> bool {
        self.check_glob.is_match(&f.check_id)
            && self
                .resource_glob
                .is_match(canonical_resource_id(f.provider, &f.resource_id))
            && self.account.as_deref().is_none_or(|a| match f.provider {
                Provider::Azure => a.eq_ignore_ascii_case(&f.account),
                Provider::Aws => a == f.account,
            })
    }

    pub fn accepted(&self) -> AcceptedRisk {
        AcceptedRisk {
            id: self.id.clone(),
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires.format("%Y-%m-%d").to_string(),
        }
    }

    /// The state by date alone, for listing entries without a scan.
    pub fn state_by_date(&self, today: NaiveDate) -> SuppressionState {
        if self.is_expired(today) {
            SuppressionState::Expired
        } else {
            SuppressionState::Active
        }
    }
}

/// Applies suppression entries to findings one at a time (a scan streams its findings) and
/// reports every entry at the end: how many failures it matched, which controls, its state.
pub struct Acceptance<'a> {
    entries: &'a [Suppression],
    today: NaiveDate,
    matched: Vec<u64>,
    controls: Vec<std::collections::BTreeSet<String>>,
}

impl<'a> Acceptance<'a> {
    pub fn new(entries: &'a [Suppression], today: NaiveDate) -> Self {
        Acceptance {
            entries,
            today,
            matched: vec![0; entries.len()],
            controls: vec![Default::default(); entries.len()],
        }
    }

    /// Mark a failing finding accepted by the first unexpired matching entry; `controls_of`
    /// gives the controls a check is mapped to. Other statuses are left alone.
    pub fn accept(&mut self, f: &mut Finding, controls_of: &dyn Fn(&str) -> Vec<String>) {
        if f.status != FindingStatus::Fail {
            return;
        }
        f.accepted = None;
        for (i, e) in self.entries.iter().enumerate() {
            if !e.matches(f) {
                continue;
            }
            self.matched[i] += 1;
            self.controls[i].extend(controls_of(&f.check_id));
            if !e.is_expired(self.today) && f.accepted.is_none() {
                f.accepted = Some(e.accepted());
            }
        }
    }

    pub fn report(self) -> Vec<SuppressionReport> {
        let today = self.today;
        self.entries
            .iter()
            .zip(self.matched)
            .zip(self.controls)
            .map(|((e, matched), controls)| SuppressionReport {
                id: e.id.clone(),
                check: e.check.clone(),
                resource: e.resource.clone(),
                account: e.account.clone(),
                reason: e.reason.clone(),
                owner: e.owner.clone(),
                expires: e.expires.format("%Y-%m-%d").to_string(),
                state: if e.is_expired(today) {
                    SuppressionState::Expired
                } else if matched == 0 {
                    SuppressionState::Stale
                } else {
                    SuppressionState::Active
                },
                matched,
                controls: controls.into_iter().collect(),
            })
            .collect()
    }
}

/// Mark failing findings accepted by the first unexpired matching entry, and report every entry.
/// `controls_of` gives the controls a check is mapped to.
pub fn apply(
    findings: &mut [Finding],
    entries: &[Suppression],
    today: NaiveDate,
    controls_of: &dyn Fn(&str) -> Vec<String>,
) -> Vec<SuppressionReport> {
    let mut acceptance = Acceptance::new(entries, today);
    for f in findings.iter_mut() {
        acceptance.accept(f, controls_of);
    }
    acceptance.report()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn finding(check: &str, id: &str, status: FindingStatus) -> Finding {
        Finding {
            check_id: check.into(),
            status,
            severity: Severity::High,
            provider: if id.starts_with("arn:") {
                Provider::Aws
            } else {
                Provider::Azure
            },
            account: "123456789012".into(),
            region: "us-east-1".into(),
            resource_type: "AWS::S3::Bucket".into(),
            resource_id: id.into(),
            resource_name: "x".into(),
            message: "m".into(),
            evidence: vec![],
            accepted: None,
        }
    }

    const FILE: &str = r#"
[[suppressions]]
id = "RISK-1"
check = "aws.s3.*"
resource = "arn:aws:s3:::public-site-*"
account = "123456789012"
reason = "Static website, reviewed"
owner = "alice@example.com"
expires = 2026-12-31

[[suppressions]]
check = "aws.s3.bucket-encrypted"
resource = "arn:aws:s3:::old-*"
reason = "Legacy bucket"
owner = "bob"
expires = "2026-01-31"

[[suppressions]]
check = "aws.iam.*"
resource = "*"
reason = "Nothing matches this"
owner = "carol"
expires = 2027-06-30
"#;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn active_expired_and_stale_entries() {
        let entries = parse_file(FILE, "annexa.toml").unwrap();
        assert_eq!(entries[0].origin, "annexa.toml:4");
        assert_eq!(entries[1].id, "S2");
        let mut findings = vec![
            finding(
                "aws.s3.bucket-public-access-blocked",
                "arn:aws:s3:::public-site-www",
                FindingStatus::Fail,
            ),
            finding(
                "aws.s3.bucket-encrypted",
                "arn:aws:s3:::old-archive",
                FindingStatus::Fail,
            ),
            finding(
                "aws.s3.bucket-encrypted",
                "arn:aws:s3:::other",
                FindingStatus::Fail,
            ),
            finding(
                "aws.s3.bucket-encrypted",
                "arn:aws:s3:::public-site-x",
                FindingStatus::Pass,
            ),
        ];
        let reports = apply(&mut findings, &entries, day("2026-11-23"), &|_| {
            vec!["A.8.12".into()]
        });
        assert_eq!(findings[0].accepted.as_ref().unwrap().id, "RISK-1");
        assert!(
            findings[1].accepted.is_none(),
            "expired entries no longer suppress"
        );
        assert!(findings[2].accepted.is_none());
        assert!(
            findings[3].accepted.is_none(),
            "passing findings are never marked"
        );
        assert_eq!(reports[0].state, SuppressionState::Active);
        assert_eq!(reports[0].matched, 1);
        assert_eq!(reports[0].controls, vec!["A.8.12".to_string()]);
        assert_eq!(reports[1].state, SuppressionState::Expired);
        assert_eq!(reports[1].matched, 1);
        assert_eq!(reports[2].state, SuppressionState::Stale);
    }

    #[test]
    fn expiry_day_itself_still_suppresses() {
        let entries = parse_file(FILE, "a.toml").unwrap();
        let mut f = vec![finding(
            "aws.s3.x",
            "arn:aws:s3:::public-site-1",
            FindingStatus::Fail,
        )];
        apply(&mut f, &entries, day("2026-12-31"), &|_| vec![]);
        assert!(f[0].accepted.is_some());
        apply(&mut f, &entries, day("2027-01-01"), &|_| vec![]);
        assert!(f[0].accepted.is_none());
    }

    #[test]
    fn account_must_match_when_given() {
        let entries = parse_file(FILE, "a.toml").unwrap();
        let mut f = vec![finding(
            "aws.s3.x",
            "arn:aws:s3:::public-site-1",
            FindingStatus::Fail,
        )];
        f[0].account = "999999999999".into();
        apply(&mut f, &entries, day("2026-11-01"), &|_| vec![]);
        assert!(f[0].accepted.is_none());
    }

    #[test]
    fn azure_ids_match_case_insensitively() {
        let text = "[[suppressions]]\ncheck='azure.*'\nresource='/subscriptions/*/resourceGroups/RG-Web/*'\nreason='r'\nowner='o'\nexpires=2030-01-01\n";
        let entries = parse_file(text, "s.toml").unwrap();
        let mut f = vec![finding("azure.storage.https-only", "/subscriptions/abc/resourcegroups/rg-web/providers/microsoft.storage/storageaccounts/x", FindingStatus::Fail)];
        apply(&mut f, &entries, day("2026-11-01"), &|_| vec![]);
        assert!(f[0].accepted.is_some());
    }

    #[test]
    fn entries_without_reason_owner_or_expiry_are_errors() {
        let missing_owner =
            "[[suppressions]]\ncheck='a'\nresource='*'\nreason='r'\nexpires=2030-01-01\n";
        let e = parse_file(missing_owner, "s.toml").unwrap_err().to_string();
        assert!(e.contains("s.toml") && e.contains("owner"), "{e}");
        let missing_expiry = "[[suppressions]]\ncheck='a'\nresource='*'\nreason='r'\nowner='o'\n";
        let e = parse_file(missing_expiry, "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("expires"), "{e}");
        let empty_reason = "[[suppressions]]\ncheck='a'\nresource='*'\nreason='  '\nowner='o'\nexpires=2030-01-01\n";
        let e = parse_file(empty_reason, "s.toml").unwrap_err();
        assert_eq!(
            e,
            SuppressionError::Invalid {
                origin: "s.toml".into(),
                line: 4,
                field: "reason",
                reason: "must not be empty: say who accepted the risk, why, and for which resource"
                    .into()
            }
        );
    }

    #[test]
    fn bad_dates_and_patterns_name_the_line() {
        let bad_date = "[[suppressions]]\ncheck='a'\nresource='*'\nreason='r'\nowner='o'\nexpires='31/12/2026'\n";
        let e = parse_file(bad_date, "s.toml").unwrap_err().to_string();
        assert_eq!(
            e,
            "s.toml:6: suppression expires: '31/12/2026' is not a date; write YYYY-MM-DD"
        );
        let bad_glob = "[[suppressions]]\ncheck='a'\nresource='arn:[*'\nreason='r'\nowner='o'\nexpires=2030-01-01\n";
        let e = parse_file(bad_glob, "s.toml").unwrap_err().to_string();
        assert!(
            e.starts_with("s.toml:3: suppression resource: bad pattern 'arn:[*'"),
            "{e}"
        );
        let unknown = "[[suppressions]]\ncheck='a'\nresource='*'\nreason='r'\nowner='o'\nexpires=2030-01-01\nexpiry=2030-01-01\n";
        let e = parse_file(unknown, "s.toml").unwrap_err().to_string();
        assert!(e.contains("expiry") && e.contains("line 7"), "{e}");
    }

    #[test]
    fn duplicate_ids_are_errors() {
        let text = "[[suppressions]]\nid='X'\ncheck='a'\nresource='*'\nreason='r'\nowner='o'\nexpires=2030-01-01\n[[suppressions]]\nid='X'\ncheck='b'\nresource='*'\nreason='r'\nowner='o'\nexpires=2030-01-01\n";
        let e = parse_file(text, "s.toml").unwrap_err().to_string();
        assert!(e.contains("'X' is used twice"), "{e}");
    }
}
