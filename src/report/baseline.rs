//! An earlier scan to compare against: which failing findings are new, unchanged, updated, or
//! gone. Loaded from a results.json or from a SARIF file that annexa wrote. The identity of a
//! finding is (check id, canonical resource id), the same pair the SARIF fingerprints hash, so
//! `--baseline`, `annexa diff` and `--fail-on-new` agree with dashboards.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::model::{
    Finding, FindingStatus, Provider, ScanResult, Severity, RESULTS_FORMAT, RESULTS_VERSION,
};

/// `(check id, canonical resource id)`.
pub type BaselineKey = (String, String);

/// The SARIF `partialFingerprints` key annexa writes; a baseline with another `annexa/*` key
/// was written with a different identity scheme and cannot be compared.
pub const FINGERPRINT_KEY: &str = "annexa/v1";

/// The state of a result relative to the baseline (SARIF `result.baselineState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BaselineState {
    /// Not in the baseline.
    New,
    /// Same identity, same message.
    Unchanged,
    /// Same identity, different message (the failing value changed).
    Updated,
    /// In the baseline, no longer failing now.
    Absent,
}

impl BaselineState {
    /// The SARIF spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
            BaselineState::Updated => "updated",
            BaselineState::Absent => "absent",
        }
    }
}

/// What the baseline knew about one failing finding: enough to report it again as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineEntry {
    pub check_id: String,
    pub provider: Provider,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    /// As reported (not canonicalised).
    pub resource_id: String,
    pub resource_name: String,
    /// The finding's own message, without the SARIF `name (id): ` prefix.
    pub message: String,
    pub severity: Severity,
}

/// The failing findings of an earlier scan and the accounts it covered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BaselineSet {
    pub entries: BTreeMap<BaselineKey, BaselineEntry>,
    /// Account keys: `aws/123456789012`, `azure/<subscription, lower-cased>`.
    pub accounts: BTreeSet<String>,
}

/// An earlier scan, by the kind of file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// An annexa results.json (every failing finding, accepted ones included).
    Results(BaselineSet),
    /// A SARIF file annexa wrote (its results; an earlier `absent` result is not a finding).
    Sarif(BaselineSet),
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("baseline {path}: cannot read it: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("baseline {path}: not valid JSON ({source}); pass a results.json or a .sarif file written by annexa")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("baseline {path}: neither an annexa results.json (`format`: \"{RESULTS_FORMAT}\") nor a SARIF file (`version` and `runs`); pass one of those")]
    UnknownKind { path: PathBuf },
    #[error("baseline {path}: results.json format version {found}, this annexa reads version {RESULTS_VERSION}; render it again with the annexa that wrote it, or scan again")]
    ResultsVersion { path: PathBuf, found: String },
    #[error("baseline {path}: not a valid annexa results.json: {detail}")]
    InvalidResults { path: PathBuf, detail: String },
    #[error("baseline {path}: SARIF version {found}, annexa reads SARIF 2.1.0 only")]
    SarifVersion { path: PathBuf, found: String },
    #[error("baseline {path}: run {run} was written by `{tool}`, not annexa; findings of other tools have no annexa identity. Use a SARIF file annexa wrote, or its results.json")]
    NotAnnexa {
        path: PathBuf,
        run: usize,
        tool: String,
    },
    #[error("baseline {path}: run {run} result {result} uses fingerprint `{found}`, this annexa uses `{FINGERPRINT_KEY}`; use the matching results.json instead, which carries no fingerprint scheme")]
    FingerprintVersion {
        path: PathBuf,
        run: usize,
        result: usize,
        found: String,
    },
    #[error("baseline {path}: run {run} result {result}: {detail}")]
    InvalidSarif {
        path: PathBuf,
        run: usize,
        result: usize,
        detail: String,
    },
}

pub use crate::model::account_key;

/// The accounts a scan covered: its sources, and any account its findings name.
pub fn scan_accounts(result: &ScanResult) -> BTreeSet<String> {
    let mut a: BTreeSet<String> = result
        .scope
        .sources
        .iter()
        .map(|s| account_key(s.provider, &s.account))
        .collect();
    a.extend(result.scope.accounts.keys().cloned());
    a.extend(
        result
            .findings
            .iter_without_evidence()
            .map(|f| account_key(f.provider, &f.account)),
    );
    a
}

/// The message SARIF shows for a finding: resource name and id first, so a dashboard's one-line
/// view says which resource is affected.
pub fn sarif_message(resource_name: &str, resource_id: &str, message: &str) -> String {
    if resource_name.is_empty() || resource_name == resource_id {
        format!("{resource_id}: {message}")
    } else {
        format!("{resource_name} ({resource_id}): {message}")
    }
}

fn strip_sarif_message<'a>(text: &'a str, resource_name: &str, resource_id: &str) -> &'a str {
    let with_name = format!("{resource_name} ({resource_id}): ");
    let id_only = format!("{resource_id}: ");
    text.strip_prefix(with_name.as_str())
        .or_else(|| text.strip_prefix(id_only.as_str()))
        .unwrap_or(text)
}

impl BaselineEntry {
    fn from_finding(f: &Finding) -> BaselineEntry {
        BaselineEntry {
            check_id: f.check_id.clone(),
            provider: f.provider,
            account: f.account.clone(),
            region: f.region.clone(),
            resource_type: f.resource_type.clone(),
            resource_id: f.resource_id.clone(),
            resource_name: f.resource_name.clone(),
            message: f.message.clone(),
            severity: f.severity,
        }
    }

    pub fn key(&self) -> BaselineKey {
        // Same rule as `Finding::key`: Azure ids are case-insensitive.
        (
            self.check_id.clone(),
            crate::model::canonical_resource_id(self.provider, &self.resource_id),
        )
    }
}

/// What a baseline file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Results,
    Sarif,
}

/// A results.json already known to be one (see `Baseline::detect`).
pub fn parse_results(bytes: &[u8], path: &Path) -> Result<ScanResult, BaselineError> {
    serde_json::from_slice(bytes).map_err(|e| BaselineError::InvalidResults {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

impl Baseline {
    /// Reads `path` and detects its kind from the content (not the file name).
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let bytes = std::fs::read(path).map_err(|source| BaselineError::Io {
            path: path.to_owned(),
            source,
        })?;
        Baseline::from_bytes(&bytes, path)
    }

    /// A file's content as a baseline; `path` is only used in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Baseline, BaselineError> {
        match Baseline::detect(bytes, path)? {
            Kind::Results => Ok(Baseline::from_results(&parse_results(bytes, path)?)),
            Kind::Sarif => Baseline::from_sarif_bytes(bytes, path),
        }
    }

    /// A SARIF file already known to be one (see `Baseline::detect`).
    pub fn from_sarif_bytes(bytes: &[u8], path: &Path) -> Result<Baseline, BaselineError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|source| BaselineError::Json {
            path: path.to_owned(),
            source,
        })?;
        Baseline::from_sarif_value(&value, path)
    }

    /// Several files as one baseline, e.g. the parts of a split SARIF output. The kind is the
    /// first file's.
    pub fn load_all(paths: &[PathBuf]) -> Result<Option<Baseline>, BaselineError> {
        let mut merged: Option<Baseline> = None;
        for p in paths {
            let next = Baseline::load(p)?;
            merged = Some(match merged {
                None => next,
                Some(mut b) => {
                    let into = match &mut b {
                        Baseline::Results(s) | Baseline::Sarif(s) => s,
                    };
                    let from = next.set();
                    into.entries
                        .extend(from.entries.iter().map(|(k, v)| (k.clone(), v.clone())));
                    into.accounts.extend(from.accounts.iter().cloned());
                    b
                }
            });
        }
        Ok(merged)
    }

    /// The kind of a file from its top-level fields, read without building the document (a
    /// large estate's results.json is hundreds of MB). A results.json must also have this
    /// annexa's results version.
    pub fn detect(bytes: &[u8], path: &Path) -> Result<Kind, BaselineError> {
        #[derive(serde::Deserialize)]
        struct Probe {
            format: Option<Value>,
            version: Option<Value>,
            runs: Option<serde::de::IgnoredAny>,
        }
        let probe: Probe = serde_json::from_slice(bytes).map_err(|source| BaselineError::Json {
            path: path.to_owned(),
            source,
        })?;
        if let Some(format) = &probe.format {
            if format.as_str() != Some(RESULTS_FORMAT) {
                return Err(BaselineError::UnknownKind {
                    path: path.to_owned(),
                });
            }
            return match &probe.version {
                Some(v) if v.as_u64() == Some(u64::from(RESULTS_VERSION)) => Ok(Kind::Results),
                Some(v) => Err(BaselineError::ResultsVersion {
                    path: path.to_owned(),
                    found: v.to_string(),
                }),
                None => Err(BaselineError::ResultsVersion {
                    path: path.to_owned(),
                    found: "(missing)".into(),
                }),
            };
        }
        if probe.runs.is_some() && probe.version.is_some() {
            Ok(Kind::Sarif)
        } else {
            Err(BaselineError::UnknownKind {
                path: path.to_owned(),
            })
        }
    }

    /// A baseline from a scan result in memory (every failing finding, accepted or not).
    pub fn from_results(result: &ScanResult) -> Baseline {
        let entries = result
            .findings
            .iter_without_evidence()
            .filter(|f| f.status == FindingStatus::Fail)
            .map(|f| (f.key(), BaselineEntry::from_finding(&f)))
            .collect();
        Baseline::Results(BaselineSet {
            entries,
            accounts: scan_accounts(result),
        })
    }

    fn from_sarif_value(value: &Value, path: &Path) -> Result<Baseline, BaselineError> {
        let version = value
            .get("version")
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_default();
        if version != "2.1.0" {
            return Err(BaselineError::SarifVersion {
                path: path.to_owned(),
                found: version,
            });
        }
        let mut set = BaselineSet::default();
        let runs = value
            .get("runs")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (ri, run) in runs.iter().enumerate() {
            let tool = run
                .pointer("/tool/driver/name")
                .and_then(Value::as_str)
                .unwrap_or("(unnamed)");
            if tool != "annexa" {
                return Err(BaselineError::NotAnnexa {
                    path: path.to_owned(),
                    run: ri,
                    tool: tool.to_owned(),
                });
            }
            if let Some(sources) = run.pointer("/properties/sources").and_then(Value::as_array) {
                for s in sources {
                    let provider = s
                        .get("provider")
                        .and_then(Value::as_str)
                        .and_then(|p| p.parse::<Provider>().ok());
                    if let (Some(p), Some(a)) = (provider, s.get("account").and_then(Value::as_str))
                    {
                        set.accounts.insert(account_key(p, a));
                    }
                }
            }
            let results = run
                .get("results")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for (i, r) in results.iter().enumerate() {
                let invalid = |detail: &str| BaselineError::InvalidSarif {
                    path: path.to_owned(),
                    run: ri,
                    result: i,
                    detail: detail.to_owned(),
                };
                if let Some(fp) = r.get("partialFingerprints").and_then(Value::as_object) {
                    if !fp.contains_key(FINGERPRINT_KEY) {
                        if let Some(other) = fp.keys().find(|k| k.starts_with("annexa/")) {
                            return Err(BaselineError::FingerprintVersion {
                                path: path.to_owned(),
                                run: ri,
                                result: i,
                                found: other.clone(),
                            });
                        }
                    }
                }
                if r.get("baselineState").and_then(Value::as_str) == Some("absent") {
                    continue;
                }
                let check_id = r
                    .get("ruleId")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("no ruleId"))?;
                let logical = r.pointer("/locations/0/logicalLocations/0");
                let resource_id = logical
                    .and_then(|l| l.get("fullyQualifiedName"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("no locations[0].logicalLocations[0].fullyQualifiedName (the resource id)"))?;
                let resource_name = logical
                    .and_then(|l| l.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let prop = |k: &str| {
                    r.pointer(&format!("/properties/{k}"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                let provider = prop("provider")
                    .parse::<Provider>()
                    .ok()
                    .or_else(|| Provider::of_check_id(check_id))
                    .ok_or_else(|| invalid("no provider (properties.provider, or a ruleId starting with aws. or azure.)"))?;
                let severity = prop("severity")
                    .parse::<Severity>()
                    .unwrap_or(Severity::Info);
                let text = r
                    .pointer("/message/text")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let entry = BaselineEntry {
                    check_id: check_id.to_owned(),
                    provider,
                    account: prop("account"),
                    region: prop("region"),
                    resource_type: prop("resourceType"),
                    resource_id: resource_id.to_owned(),
                    resource_name: resource_name.to_owned(),
                    message: strip_sarif_message(text, resource_name, resource_id).to_owned(),
                    severity,
                };
                if !entry.account.is_empty() {
                    set.accounts.insert(account_key(provider, &entry.account));
                }
                set.entries.insert(entry.key(), entry);
            }
        }
        Ok(Baseline::Sarif(set))
    }

    pub fn set(&self) -> &BaselineSet {
        match self {
            Baseline::Results(s) | Baseline::Sarif(s) => s,
        }
    }

    /// `results.json` or `SARIF`, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Baseline::Results(_) => "results.json",
            Baseline::Sarif(_) => "SARIF",
        }
    }

    /// The identities of the baseline's failing findings, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &BaselineKey> + '_ {
        self.set().entries.keys()
    }

    pub fn entries(&self) -> &BTreeMap<BaselineKey, BaselineEntry> {
        &self.set().entries
    }

    pub fn accounts(&self) -> &BTreeSet<String> {
        &self.set().accounts
    }

    /// new / unchanged / updated for a finding failing now (`canonical_resource_id` as
    /// `Finding::key` makes it).
    pub fn state(
        &self,
        check_id: &str,
        canonical_resource_id: &str,
        message: &str,
    ) -> BaselineState {
        match self
            .set()
            .entries
            .get(&(check_id.to_owned(), canonical_resource_id.to_owned()))
        {
            None => BaselineState::New,
            Some(e) if e.message == message => BaselineState::Unchanged,
            Some(_) => BaselineState::Updated,
        }
    }

    /// The state of a finding failing now.
    pub fn state_of(&self, f: &Finding) -> BaselineState {
        let (check, id) = f.key();
        self.state(&check, &id, &f.message)
    }

    /// Baseline findings that are gone from `current`: not failing now, although their check
    /// was evaluated and no collection gap or error verdict hides their resource.
    pub fn absent<'a>(
        &'a self,
        current: &'a ScanResult,
    ) -> impl Iterator<Item = &'a BaselineEntry> + 'a {
        let seen: BTreeSet<BaselineKey> = current
            .findings
            .iter_without_evidence()
            .filter(|f| matches!(f.status, FindingStatus::Fail | FindingStatus::Error))
            .map(|f| f.key())
            .collect();
        let errored_scopes: BTreeSet<(String, String)> = current
            .findings
            .iter_without_evidence()
            .filter(|f| f.status == FindingStatus::Error)
            .map(|f| (f.check_id.clone(), account_key(f.provider, &f.account)))
            .collect();
        let evaluated: BTreeSet<&str> = current.checks.iter().map(|c| c.id.as_str()).collect();
        self.set().entries.iter().filter_map(move |(key, e)| {
            let gone = !seen.contains(key)
                && evaluated.contains(e.check_id.as_str())
                && !errored_scopes
                    .contains(&(e.check_id.clone(), account_key(e.provider, &e.account)))
                && !current.errors.iter().any(|err| {
                    err.covers(e.provider, &e.account, Some(&e.region), &e.resource_type)
                });
            gone.then_some(e)
        })
    }

    /// Does the baseline cover the same accounts as `current`? A baseline of other accounts
    /// would report every finding as new and every old one as absent.
    pub fn scope_matches(&self, current: &ScanResult) -> bool {
        *self.accounts() == scan_accounts(current)
    }
}
