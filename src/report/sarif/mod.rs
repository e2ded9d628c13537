//! SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning first; see SARIF.md).
//!
//! One rule per evaluated check, one result per failing resource, a scheme-free pseudo path as
//! the physical location and the ARN / Azure id as the logical location, fingerprints from
//! (rule id, canonical resource id) only. Output that would break GitHub's upload limits is split
//! into several files with distinct categories, deterministically: a result's part depends only
//! on its fingerprint and the number of parts.
//!
//! Profiles: `github` leaves accepted risks out (GitHub ignores `suppressions` and would open
//! alerts for them) and, for the same reason, leaves out `absent` baseline results (GitHub
//! ignores `baselineState`; it closes an alert when its result disappears). `full` includes
//! both, for consumers that honour those fields.

mod location;
mod rule;

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{json, Value};
use serde_sarif::sarif as s;
use sha2::{Digest, Sha256};

pub use location::{finding_path, pseudo_path};
pub use rule::{level, rule_name, MAX_TAGS};

use super::baseline::{sarif_message, Baseline, BaselineEntry, BaselineState, FINGERPRINT_KEY};
use crate::model::{
    AcceptedRisk, CheckInfo, ControlResult, Finding, FindingStatus, Provider, ScanResult, Severity,
};

/// `$schema` of the files we write: the final 2.1.0 schema that GitHub's validator references.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Which consumers the file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SarifProfile {
    /// GitHub code scanning: open failures only.
    #[default]
    Github,
    /// Everything: accepted risks with `suppressions`, `absent` baseline results.
    Full,
}

impl SarifProfile {
    pub fn as_str(self) -> &'static str {
        match self {
            SarifProfile::Github => "github",
            SarifProfile::Full => "full",
        }
    }
}

impl std::str::FromStr for SarifProfile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "github" => Ok(SarifProfile::Github),
            "full" => Ok(SarifProfile::Full),
            other => Err(format!(
                "unknown SARIF profile '{other}' (expected github or full)"
            )),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SarifOptions {
    pub profile: SarifProfile,
    /// `automationDetails.id` category (one per account or subscription upload); none by default.
    pub category: Option<String>,
    /// Fills `baselineState` on every result when set.
    pub baseline: Option<Baseline>,
}

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SarifFile {
    /// `results.sarif`, or `results-1.sarif`, `results-2.sarif`, ... when split.
    pub name: String,
    pub bytes: Vec<u8>,
    /// The category in `automationDetails.id` (without the trailing `/`), if any.
    pub category: Option<String>,
    /// Number of results in the file.
    pub results: usize,
    /// How many files the output was split into (1 when it was not).
    pub parts: usize,
}

/// Upload limits a file must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_results_per_run: usize,
    pub max_rules_per_run: usize,
    /// Budget for the gzip-compressed file.
    pub max_gzip_bytes: usize,
}

impl Limits {
    /// GitHub rejects more than 25,000 results or rules per run and more than 10 MB gzipped. The
    /// gzip budget keeps 1 MB spare for what the upload action adds and for compressor
    /// differences (we measure with a fast level, which compresses worse than theirs).
    pub const GITHUB: Limits = Limits {
        max_results_per_run: 25_000,
        max_rules_per_run: 25_000,
        max_gzip_bytes: 9_000_000,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum SarifError {
    #[error("SARIF: {count} checks were evaluated, more than the {max} rules a run may declare; select fewer checks (--checks / --only)")]
    TooManyRules { count: usize, max: usize },
    #[error("SARIF: the --baseline ({kind}) covers {baseline}, this scan covers {current}; every finding would look new. Use a baseline from a scan of the same accounts, or leave --baseline out")]
    BaselineScope {
        kind: &'static str,
        baseline: String,
        current: String,
    },
    #[error("SARIF: the result for {rule} on {resource} alone is larger than the {max} bytes gzipped a file may hold")]
    ResultTooLarge {
        rule: String,
        resource: String,
        max: usize,
    },
    #[error("SARIF: cannot serialise: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("SARIF: {0}")]
    Write(String),
}

/// Renders `result` as one SARIF file, or several when GitHub's limits require it, in memory.
pub fn render(result: &ScanResult, opts: &SarifOptions) -> Result<Vec<SarifFile>, SarifError> {
    render_with_limits(result, opts, &Limits::GITHUB)
}

/// A result to emit, from a current finding or an absent baseline entry.
struct Item<'a> {
    rule_id: &'a str,
    provider: Provider,
    account: &'a str,
    region: &'a str,
    resource_type: &'a str,
    resource_id: &'a str,
    resource_name: &'a str,
    message: &'a str,
    severity: Severity,
    accepted: Option<&'a AcceptedRisk>,
    state: Option<BaselineState>,
    digest: [u8; 32],
}

/// `sha256(rule id \n canonical resource id)`: the identity, never the message or a time.
pub fn identity_digest(rule_id: &str, canonical_resource_id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update(b"\n");
    h.update(canonical_resource_id.as_bytes());
    h.finalize().into()
}

fn canonical(provider: Provider, id: &str) -> String {
    crate::model::canonical_resource_id(provider, id)
}

impl<'a> Item<'a> {
    fn from_entry(e: &'a BaselineEntry) -> Item<'a> {
        Item {
            rule_id: &e.check_id,
            provider: e.provider,
            account: &e.account,
            region: &e.region,
            resource_type: &e.resource_type,
            resource_id: &e.resource_id,
            resource_name: &e.resource_name,
            message: &e.message,
            severity: e.severity,
            accepted: None,
            state: Some(BaselineState::Absent),
            digest: identity_digest(&e.check_id, &canonical(e.provider, &e.resource_id)),
        }
    }

    fn fingerprints(&self) -> BTreeMap<String, String> {
        let hex = hex::encode(self.digest);
        // GitHub's own values look like `<16 hex>:<occurrence>`; one result per identity.
        BTreeMap::from([
            (
                "primaryLocationLineHash".to_owned(),
                format!("{}:1", &hex[..16]),
            ),
            (FINGERPRINT_KEY.to_owned(), hex),
        ])
    }

    fn to_sarif(
        &self,
        rule_index: Option<usize>,
        framework: &str,
        controls: &[String],
    ) -> s::Result {
        let mut props: BTreeMap<String, Value> = BTreeMap::new();
        props.insert("provider".into(), json!(self.provider.as_str()));
        props.insert("account".into(), json!(self.account));
        props.insert("region".into(), json!(self.region));
        props.insert("resourceType".into(), json!(self.resource_type));
        props.insert("severity".into(), json!(self.severity.as_str()));
        props.insert("framework".into(), json!(framework));
        props.insert("controls".into(), json!(controls));
        let location = s::Location {
            physical_location: Some(s::PhysicalLocation {
                artifact_location: Some(s::ArtifactLocation {
                    uri: Some(pseudo_path(
                        self.provider,
                        self.account,
                        self.region,
                        self.resource_type,
                        self.resource_id,
                        self.resource_name,
                    )),
                    ..Default::default()
                }),
                region: Some(s::Region {
                    start_line: Some(1),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            logical_locations: Some(vec![s::LogicalLocation {
                fully_qualified_name: Some(self.resource_id.to_owned()),
                name: (!self.resource_name.is_empty()).then(|| self.resource_name.to_owned()),
                kind: Some("resource".into()),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let suppressions = self.accepted.map(|a| {
            let mut sp = s::Suppression::builder().kind(json!("external")).build();
            sp.status = Some(json!("accepted"));
            sp.justification = Some(a.reason.clone());
            sp.properties = Some(s::PropertyBag {
                tags: None,
                additional_properties: BTreeMap::from([
                    ("id".to_owned(), json!(a.id)),
                    ("owner".to_owned(), json!(a.owner)),
                    ("expiry".to_owned(), json!(a.expires)),
                ]),
            });
            vec![sp]
        });
        let message = s::Message {
            text: Some(sarif_message(
                self.resource_name,
                self.resource_id,
                self.message,
            )),
            ..Default::default()
        };
        let mut r = s::Result::builder().message(message).build();
        r.rule_id = Some(self.rule_id.to_owned());
        r.rule_index = rule_index.map(|i| i as i64);
        r.kind = Some(s::ResultKind::Fail);
        r.level = Some(level(self.severity));
        r.locations = Some(vec![location]);
        r.partial_fingerprints = Some(self.fingerprints());
        r.baseline_state = self.state.map(|st| json!(st.as_str()));
        r.suppressions = suppressions;
        r.properties = Some(s::PropertyBag {
            tags: None,
            additional_properties: props,
        });
        r
    }
}

/// RFC 3339 in, `...Z` UTC out (SARIF wants UTC date-times); None when unparseable.
fn utc(t: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(t).ok().map(|d| {
        d.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    })
}

fn invocation(result: &ScanResult) -> s::Invocation {
    let notifications: Vec<s::Notification> = result
        .errors
        .iter()
        .map(|e| {
            let mut props = BTreeMap::from([
                ("provider".to_owned(), json!(e.provider.as_str())),
                ("account".to_owned(), json!(e.account)),
                ("kind".to_owned(), json!(e.kind.as_str())),
            ]);
            if let Some(r) = &e.region {
                props.insert("region".into(), json!(r));
            }
            if let Some(t) = &e.resource_type {
                props.insert("resourceType".into(), json!(t));
            }
            if let Some(a) = &e.api {
                props.insert("api".into(), json!(a));
            }
            let message = s::Message {
                text: Some(format!("Data not collected from {} ({}): {}. Findings that need it are errors, not passes.", e.location(), e.kind.as_str(), e.message)),
                ..Default::default()
            };
            let mut n = s::Notification::builder().message(message).build();
            n.descriptor = Some(s::ReportingDescriptorReference { id: Some(format!("collection/{}", e.kind.as_str())), ..Default::default() });
            n.level = Some(json!("error"));
            n.properties = Some(s::PropertyBag { tags: None, additional_properties: props });
            n
        })
        .collect();
    let mut inv = s::Invocation::builder()
        .execution_successful(result.errors.is_empty())
        .build();
    inv.start_time_utc = utc(&result.scope.started_at);
    inv.end_time_utc = utc(&result.scope.finished_at);
    inv.tool_execution_notifications = (!notifications.is_empty()).then_some(notifications);
    inv
}

fn driver(result: &ScanResult, rules: Vec<s::ReportingDescriptor>) -> s::ToolComponent {
    let homepage = [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|u| u.starts_with("https://"));
    let mut d = s::ToolComponent::builder()
        .name(result.tool.name.clone())
        .build();
    d.full_name = Some(format!(
        "{} {} ({} cloud configuration checks)",
        result.tool.name, result.tool.version, result.framework
    ));
    d.version = Some(result.tool.version.clone());
    d.semantic_version = Some(result.tool.version.clone());
    d.information_uri = homepage.map(str::to_owned);
    d.rules = Some(rules);
    d
}

fn run_properties(
    result: &ScanResult,
    opts: &SarifOptions,
    part: Option<(usize, usize)>,
) -> s::PropertyBag {
    let sources: Vec<Value> = result
        .scope
        .sources
        .iter()
        .map(|s| json!({"provider": s.provider.as_str(), "account": s.account, "regions": s.regions}))
        .collect();
    let mut props = BTreeMap::from([
        ("framework".to_owned(), json!(result.framework)),
        ("profile".to_owned(), json!(opts.profile.as_str())),
        ("sources".to_owned(), json!(sources)),
        (
            "inventoryDigest".to_owned(),
            json!(result.scope.inventory_digest),
        ),
        (
            "resourceCount".to_owned(),
            json!(result.scope.resource_count),
        ),
    ]);
    if let Some((i, n)) = part {
        props.insert("part".into(), json!({"index": i, "count": n}));
    }
    s::PropertyBag {
        tags: None,
        additional_properties: props,
    }
}

struct Prepared<'a> {
    rules: Vec<s::ReportingDescriptor>,
    /// Check id -> (index in `rules`, the check). Not `ScanResult::check`: that one assumes
    /// sorted checks, and a reporter must not trust its input's order.
    rule_index: BTreeMap<&'a str, (usize, &'a CheckInfo)>,
    items: Vec<Item<'a>>,
}

/// `findings` are the result's failing findings, decoded (SARIF holds every result it writes in
/// memory anyway).
fn prepare<'a>(
    result: &'a ScanResult,
    findings: &'a [Finding],
    opts: &'a SarifOptions,
) -> Prepared<'a> {
    let controls: BTreeMap<&str, &ControlResult> =
        result.controls.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut checks: Vec<&CheckInfo> = result.checks.iter().collect();
    checks.sort_by(|a, b| a.id.cmp(&b.id));
    checks.dedup_by(|a, b| a.id == b.id);
    let rules = checks
        .iter()
        .map(|c| rule::rule(c, &result.framework, &controls))
        .collect();
    let rule_index = checks
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), (i, *c)))
        .collect();

    let mut items: Vec<Item<'a>> = findings
        .iter()
        .filter(|f| f.status == FindingStatus::Fail)
        .filter(|f| opts.profile == SarifProfile::Full || f.accepted.is_none())
        .map(|f| {
            let (check, id) = f.key();
            Item {
                rule_id: &f.check_id,
                provider: f.provider,
                account: &f.account,
                region: &f.region,
                resource_type: &f.resource_type,
                resource_id: &f.resource_id,
                resource_name: &f.resource_name,
                message: &f.message,
                severity: f.severity,
                accepted: f.accepted.as_ref(),
                state: opts
                    .baseline
                    .as_ref()
                    .map(|b| b.state(&check, &id, &f.message)),
                digest: identity_digest(&check, &id),
            }
        })
        .collect();
    if let (Some(b), SarifProfile::Full) = (&opts.baseline, opts.profile) {
        items.extend(b.absent(result).map(Item::from_entry));
    }
    // Deterministic order whatever the input order: by rule, then identity.
    items.sort_by(|a, b| {
        (a.rule_id, a.digest, a.resource_id).cmp(&(b.rule_id, b.digest, b.resource_id))
    });
    // One result per identity: merged scans may carry the same finding twice, and two results
    // with one fingerprint would be one alert that flips between their messages.
    items.dedup_by(|b, a| a.rule_id == b.rule_id && a.digest == b.digest);
    Prepared {
        rules,
        rule_index,
        items,
    }
}

/// Size of `bytes` once gzipped, at the fast level (an upper bound for the default level).
fn gzip_len(bytes: &[u8]) -> usize {
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut enc = flate2::write::GzEncoder::new(Count(0), flate2::Compression::fast());
    // Writing to a counter cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().map(|c| c.0).unwrap_or(usize::MAX)
}

/// The category without trailing `/`: GitHub takes the part of `automationDetails.id` before
/// the last `/` as the category, so we write `<category>/`.
fn clean_category(c: &str) -> Option<String> {
    let c = c.trim().trim_end_matches('/');
    (!c.is_empty()).then(|| c.to_owned())
}

fn render_file(
    result: &ScanResult,
    opts: &SarifOptions,
    prep: &Prepared<'_>,
    items: &[&Item<'_>],
    category: Option<&str>,
    part: Option<(usize, usize)>,
) -> Result<Vec<u8>, SarifError> {
    let results: Vec<s::Result> = items
        .iter()
        .map(|it| {
            let rule = prep.rule_index.get(it.rule_id);
            let controls = rule.map(|(_, c)| c.controls.as_slice()).unwrap_or_default();
            it.to_sarif(rule.map(|(i, _)| *i), &result.framework, controls)
        })
        .collect();
    let mut run = s::Run::builder()
        .tool(
            s::Tool::builder()
                .driver(driver(result, prep.rules.clone()))
                .build(),
        )
        .build();
    run.invocations = Some(vec![invocation(result)]);
    run.automation_details = category.map(|c| s::RunAutomationDetails {
        id: Some(format!("{c}/")),
        ..Default::default()
    });
    run.results = Some(results);
    run.column_kind = Some(json!("utf16CodeUnits"));
    run.properties = Some(run_properties(result, opts, part));
    let mut log = s::Sarif::builder()
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    log.schema = Some(SCHEMA_URI.into());
    let mut bytes = serde_json::to_vec_pretty(&log)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// `render` with explicit limits (tests use small ones to exercise the split).
pub fn render_with_limits(
    result: &ScanResult,
    opts: &SarifOptions,
    limits: &Limits,
) -> Result<Vec<SarifFile>, SarifError> {
    let mut files: Vec<SarifFile> = Vec::new();
    write_with_limits(result, opts, limits, &mut |f| {
        match files.iter_mut().find(|e| e.name == f.name) {
            Some(earlier) => *earlier = f,
            None => files.push(f),
        }
        Ok(())
    })?;
    Ok(files)
}

/// Whether `name` is a file this format writes: `results.sarif` or a part `results-N.sarif`.
pub fn is_output_name(name: &str) -> bool {
    let part = name
        .strip_prefix("results-")
        .and_then(|r| r.strip_suffix(".sarif"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    name == "results.sarif" || part
}

/// Renders `result` as SARIF with GitHub's limits and hands each file to `emit` as soon as it is
/// made, so that only one part is in memory at a time.
pub fn write(
    result: &ScanResult,
    opts: &SarifOptions,
    emit: &mut dyn FnMut(SarifFile) -> Result<(), SarifError>,
) -> Result<(), SarifError> {
    write_with_limits(result, opts, &Limits::GITHUB, emit)
}

/// `write` with explicit limits. When a part turns out too large after earlier parts were
/// emitted, the split is redone with more parts and every part is emitted again: the larger
/// split reuses each earlier name, so a sink that replaces files by name ends with exactly the
/// final parts.
pub fn write_with_limits(
    result: &ScanResult,
    opts: &SarifOptions,
    limits: &Limits,
    emit: &mut dyn FnMut(SarifFile) -> Result<(), SarifError>,
) -> Result<(), SarifError> {
    if let Some(b) = &opts.baseline {
        if !b.scope_matches(result) {
            let join = |s: &std::collections::BTreeSet<String>| {
                if s.is_empty() {
                    "no account".to_owned()
                } else {
                    s.iter().cloned().collect::<Vec<_>>().join(", ")
                }
            };
            return Err(SarifError::BaselineScope {
                kind: b.kind(),
                baseline: join(b.accounts()),
                current: join(&super::baseline::scan_accounts(result)),
            });
        }
    }
    // Only failing findings become results, and results carry no evidence: decode just that.
    let findings: Vec<Finding> = result
        .findings
        .iter_without_evidence()
        .filter(|f| f.status == FindingStatus::Fail)
        .collect();
    let prep = prepare(result, &findings, opts);
    if prep.rules.len() > limits.max_rules_per_run {
        return Err(SarifError::TooManyRules {
            count: prep.rules.len(),
            max: limits.max_rules_per_run,
        });
    }
    let category = opts.category.as_deref().and_then(clean_category);
    let total = prep.items.len();

    if total <= limits.max_results_per_run {
        let all: Vec<&Item> = prep.items.iter().collect();
        let bytes = render_file(result, opts, &prep, &all, category.as_deref(), None)?;
        if gzip_len(&bytes) <= limits.max_gzip_bytes {
            return emit(SarifFile {
                name: "results.sarif".into(),
                bytes,
                category,
                results: total,
                parts: 1,
            });
        }
    }

    // Split by fingerprint into n parts: the same finding lands in the same part from one scan
    // to the next as long as n stays the same, so its alert keeps its category.
    let base = category.clone().unwrap_or_else(|| "annexa".to_owned());
    let mut n = total
        .div_ceil(limits.max_results_per_run.max(1) * 4 / 5)
        .max(2);
    'parts: loop {
        if n > total.max(2) {
            let first = prep.items.first();
            return Err(SarifError::ResultTooLarge {
                rule: first.map(|i| i.rule_id.to_owned()).unwrap_or_default(),
                resource: first.map(|i| i.resource_id.to_owned()).unwrap_or_default(),
                max: limits.max_gzip_bytes,
            });
        }
        let mut buckets: Vec<Vec<&Item>> = vec![Vec::new(); n];
        for it in &prep.items {
            let h = u64::from_be_bytes(it.digest[..8].try_into().unwrap_or_default());
            buckets[(h % n as u64) as usize].push(it);
        }
        if buckets.iter().any(|b| b.len() > limits.max_results_per_run) {
            n += 1;
            continue;
        }
        for (i, b) in buckets.iter().enumerate() {
            let cat = format!("{base}/part-{}", i + 1);
            let bytes = render_file(result, opts, &prep, b, Some(&cat), Some((i + 1, n)))?;
            if gzip_len(&bytes) > limits.max_gzip_bytes {
                n += (n / 2).max(1);
                continue 'parts;
            }
            emit(SarifFile {
                name: format!("results-{}.sarif", i + 1),
                bytes,
                category: Some(cat),
                results: b.len(),
                parts: n,
            })?;
        }
        return Ok(());
    }
}
