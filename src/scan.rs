//! Joins the pure stages: a stream of collector events (or inventory lines) -> findings ->
//! accepted risks -> control results -> `ScanResult`.
//!
//! Evaluation streams: resources are evaluated in batches on rayon as they arrive and then
//! dropped; those of the types account-scope checks need are spilled to a temporary file and
//! read back one group of accounts at a time. Kept findings have accepted risks applied as they
//! arrive and are held compressed (`model::Findings`), so memory stays nearly flat as the
//! inventory grows: what remains is a few bytes per failing finding.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use rayon::prelude::*;

use crate::collect::{Event, Progress};
use crate::engine::{Catalog, Evaluator};
use crate::inventory::{resource_sha256, Digest, RawLine, Writer};
use crate::mappings::{self, Framework};
use crate::model::{
    account_key, AccountScope, CheckStats, CollectionError, Finding, FindingStatus,
    FindingsBuilder, Resource, ScanResult, Scope, Source, ToolInfo, RESULTS_FORMAT,
    RESULTS_VERSION,
};
use crate::suppress::{Acceptance, Suppression};

/// Resources evaluated per rayon batch: large enough to keep both cores busy, small enough that
/// memory stays flat.
const BATCH: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Inventory(#[from] crate::inventory::InventoryError),
    #[error("{0}")]
    Input(String),
}

/// Everything a scan needs besides its input, prepared by the caller.
pub struct ScanContext<'a> {
    pub catalog: &'a Catalog,
    pub framework: &'a Framework,
    pub suppressions: &'a [Suppression],
    /// The scan's clock: evaluation (`days_since`) and suppression expiry use it.
    pub now: DateTime<Utc>,
    /// Keep passing findings in the result (they are always counted).
    pub include_passing: bool,
}

/// The running state of a streaming scan.
struct Accumulator<'a> {
    /// Kept findings, compressed as they arrive and sorted at the end.
    findings: FindingsBuilder,
    /// Accepted risks are applied to each failing finding as it is kept.
    acceptance: Acceptance<'a>,
    framework: &'a Framework,
    /// account key -> per-check counts.
    stats: BTreeMap<String, BTreeMap<String, CheckStats>>,
    resources: BTreeMap<String, u64>,
    unchecked: BTreeMap<String, BTreeMap<String, u64>>,
    /// Resources account-scope checks need, spilled to a temporary file as compact JSON and read
    /// back one account at a time, so memory does not grow with their number.
    kept: Spill,
    /// Regions seen per account key.
    regions: BTreeMap<String, BTreeSet<String>>,
    sources: BTreeMap<String, Source>,
    errors: Vec<CollectionError>,
    digest: Digest,
    count: u64,
}

impl<'a> Accumulator<'a> {
    fn new(ctx: &ScanContext<'a>) -> Self {
        Accumulator {
            findings: FindingsBuilder::new(),
            acceptance: Acceptance::new(ctx.suppressions, ctx.now.date_naive()),
            framework: ctx.framework,
            stats: BTreeMap::new(),
            resources: BTreeMap::new(),
            unchecked: BTreeMap::new(),
            kept: Spill::default(),
            regions: BTreeMap::new(),
            sources: BTreeMap::new(),
            errors: Vec::new(),
            digest: Digest::new(),
            count: 0,
        }
    }

    fn add_source(&mut self, s: Source) {
        let key = account_key(s.provider, &s.account);
        match self.sources.get_mut(&key) {
            Some(existing) => {
                for r in s.regions {
                    if !existing.regions.contains(&r) {
                        existing.regions.push(r);
                    }
                }
                existing.regions.sort();
                if existing.principal.is_none() {
                    existing.principal = s.principal;
                }
            }
            None => {
                self.sources.insert(key, s);
            }
        }
    }

    fn count(&mut self, f: &Finding) {
        let accepted = f.accepted.is_some();
        let stats = self
            .stats
            .entry(f.account_key())
            .or_default()
            .entry(f.check_id.clone())
            .or_default();
        match f.status {
            FindingStatus::Pass => stats.pass += 1,
            FindingStatus::Fail => stats.fail += 1,
            FindingStatus::Error => stats.error += 1,
            FindingStatus::NotApplicable => stats.not_applicable += 1,
        }
        if accepted {
            stats.accepted += 1;
        }
    }

    fn take(&mut self, findings: Vec<Finding>, include_passing: bool) {
        let fw = self.framework;
        for mut f in findings {
            self.acceptance
                .accept(&mut f, &|id| mappings::controls_of(fw, id));
            self.count(&f);
            let keep = match f.status {
                FindingStatus::Fail | FindingStatus::Error => true,
                FindingStatus::Pass => include_passing,
                FindingStatus::NotApplicable => false,
            };
            if keep {
                self.findings.push(f);
            }
        }
    }
}

/// What a scan consumes: collector events, or raw inventory lines that are parsed (and hashed)
/// on the rayon pool together with their evaluation.
pub enum Input {
    Event(Event),
    Line(RawLine),
}

impl From<Event> for Input {
    fn from(e: Event) -> Self {
        Input::Event(e)
    }
}

/// A resource waiting in the current batch.
enum Pending {
    Parsed(Resource),
    Line(RawLine),
}

/// What the reading thread hands to the scan worker, in input order.
enum Message {
    Source(Source),
    Error(CollectionError),
    Batch(Vec<Pending>),
}

/// A resource after the parallel part of its processing: what the sequential part needs.
/// Parsing, hashing, evaluation, serialising for the spill and freeing the parsed tree all
/// happen on the pool; only counting and writing stay in input order.
struct Processed {
    provider: crate::model::Provider,
    account: String,
    region: String,
    resource_type: String,
    /// Whether any selected check reads this resource's type.
    checked: bool,
    hash: [u8; 32],
    findings: Vec<Finding>,
    /// Compact JSON, for resources account-scope checks need.
    kept: Option<Vec<u8>>,
    /// The resource itself, only when it is being saved.
    resource: Option<Resource>,
}

/// Append-only spill of resources by account key (compact JSON in an unnamed temporary file that
/// the OS removes), with the byte spans of each account's resources.
#[derive(Default)]
struct Spill {
    file: Option<std::io::BufWriter<std::fs::File>>,
    spans: BTreeMap<String, Vec<(u64, u32)>>,
    end: u64,
}

impl Spill {
    fn io(e: std::io::Error) -> ScanError {
        ScanError::Input(format!(
            "cannot spill resources to a temporary file ({e}); check TMPDIR has space"
        ))
    }

    fn push(&mut self, key: String, bytes: &[u8]) -> Result<(), ScanError> {
        use std::io::Write;
        if self.file.is_none() {
            self.file = Some(std::io::BufWriter::new(
                tempfile::tempfile().map_err(Self::io)?,
            ));
        }
        self.file
            .as_mut()
            .expect("opened above")
            .write_all(bytes)
            .map_err(Self::io)?;
        self.spans
            .entry(key)
            .or_default()
            .push((self.end, bytes.len() as u32));
        self.end += bytes.len() as u64;
        Ok(())
    }

    /// Done writing: the spill becomes readable from several threads at once.
    fn into_reader(self) -> Result<SpillReader, ScanError> {
        let file = match self.file {
            Some(w) => Some(w.into_inner().map_err(|e| Self::io(e.into_error()))?),
            None => None,
        };
        Ok(SpillReader {
            file: std::sync::Mutex::new(file),
            spans: self.spans,
        })
    }
}

/// The spill, read back: each account's resources on whichever pool thread evaluates it.
struct SpillReader {
    file: std::sync::Mutex<Option<std::fs::File>>,
    spans: BTreeMap<String, Vec<(u64, u32)>>,
}

impl SpillReader {
    /// The resources kept for one account, in arrival order. The file is read under a lock
    /// (seek and read are short). `parallel` parses on the pool too: worth it when there are
    /// fewer accounts than threads; otherwise each thread parses its own account, which keeps
    /// exactly one account per thread in memory (a thread waiting on nested work would start
    /// other accounts).
    fn read(&self, key: &str, parallel: bool) -> Result<Vec<Resource>, ScanError> {
        use std::io::{Read, Seek, SeekFrom};
        let Some(spans) = self.spans.get(key) else {
            return Ok(Vec::new());
        };
        let mut raw: Vec<Vec<u8>> = Vec::with_capacity(spans.len());
        {
            let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
            let file = guard.as_mut().expect("spans were written to the file");
            for &(at, len) in spans {
                let mut buf = vec![0; len as usize];
                file.seek(SeekFrom::Start(at)).map_err(Spill::io)?;
                file.read_exact(&mut buf).map_err(Spill::io)?;
                raw.push(buf);
            }
        }
        let parse = |b: &Vec<u8>| {
            serde_json::from_slice(b)
                .map_err(|e| ScanError::Input(format!("re-reading a spilled resource: {e}")))
        };
        if parallel {
            raw.par_iter().map(parse).collect()
        } else {
            raw.iter().map(parse).collect()
        }
    }
}

/// Evidence larger than this (serialised) is cut: a whole policy document is not what a reader
/// of a finding needs, and every kept finding's evidence stays in memory until the reports are
/// written. The full value is in the inventory (`--save-inventory`).
pub const MAX_EVIDENCE_BYTES: usize = 4096;

fn cap_evidence(f: &mut Finding) {
    for e in &mut f.evidence {
        if matches!(
            e.value,
            serde_json::Value::Object(_)
                | serde_json::Value::Array(_)
                | serde_json::Value::String(_)
        ) {
            let text = e.value.to_string();
            if text.len() > MAX_EVIDENCE_BYTES {
                let mut cut = MAX_EVIDENCE_BYTES;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                e.value = serde_json::Value::String(format!(
                    "{}… (truncated: {} bytes)",
                    &text[..cut],
                    text.len()
                ));
            }
        }
    }
}

/// Run a scan over `inputs`. Every resource is written to `save` (when given) exactly as it was
/// evaluated. `on_progress` sees collector progress events.
pub fn run<I>(
    inputs: I,
    ctx: &ScanContext,
    mut save: Option<&mut Writer>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<ScanResult, ScanError>
where
    I: Iterator<Item = Result<Input, ScanError>>,
{
    let started_at = ctx.now;
    let evaluator = Evaluator::new(ctx.catalog.checks(), ctx.now);
    let read_types: BTreeSet<String> = evaluator
        .resource_types()
        .iter()
        .map(|t| t.to_ascii_lowercase())
        .collect();
    let keep_types: BTreeSet<String> = evaluator
        .account_scope_types()
        .iter()
        .map(|t| t.to_ascii_lowercase())
        .collect();
    let saving = save.is_some();
    let clock = std::time::Instant::now();

    // Parse, hash, evaluate, serialise for the spill and free on the pool.
    let process = |batch: Vec<Pending>| -> Vec<Result<Processed, ScanError>> {
        batch
            .into_par_iter()
            .map(|p| {
                let resource = match p {
                    Pending::Parsed(r) => r,
                    Pending::Line(line) => line.parse()?,
                };
                let hash = resource_sha256(&resource);
                let lower = resource.resource_type.to_ascii_lowercase();
                let checked = read_types.contains(&lower);
                let mut findings = if checked {
                    evaluator.evaluate_resource(&resource)
                } else {
                    Vec::new()
                };
                findings.iter_mut().for_each(cap_evidence);
                let kept = keep_types
                    .contains(&lower)
                    .then(|| serde_json::to_vec(&resource).expect("a resource serialises"));
                Ok(Processed {
                    provider: resource.provider,
                    account: resource.account.clone(),
                    region: resource.region.clone(),
                    resource_type: resource.resource_type.clone(),
                    checked,
                    hash,
                    findings,
                    kept,
                    resource: saving.then_some(resource),
                })
            })
            .collect()
    };
    // Count, save, spill and keep findings in input order.
    let accumulate = |done: Vec<Result<Processed, ScanError>>,
                      acc: &mut Accumulator,
                      save: &mut Option<&mut Writer>|
     -> Result<(), ScanError> {
        for p in done {
            let p = p?;
            if let (Some(w), Some(r)) = (save.as_deref_mut(), &p.resource) {
                w.write(r)?;
            }
            acc.digest.add_hash(p.hash);
            acc.count += 1;
            let key = account_key(p.provider, &p.account);
            if !acc.sources.contains_key(&key) {
                acc.add_source(Source {
                    provider: p.provider,
                    account: p.account.clone(),
                    regions: vec![],
                    principal: None,
                });
            }
            *acc.resources.entry(key.clone()).or_default() += 1;
            if p.region != "global" && !p.region.is_empty() {
                acc.regions
                    .entry(key.clone())
                    .or_default()
                    .insert(p.region.clone());
            }
            if !p.checked {
                *acc.unchecked
                    .entry(key)
                    .or_default()
                    .entry(p.resource_type.clone())
                    .or_default() += 1;
                continue;
            }
            acc.take(p.findings, ctx.include_passing);
            if let Some(bytes) = p.kept {
                acc.kept.push(key, &bytes)?;
            }
        }
        Ok(())
    };
    // A pipeline of two batches: while the pool evaluates one, the previous one is accumulated
    // (the sequential part would otherwise leave a core idle). Errors still surface in input
    // order: a batch's are seen only after every earlier batch was accumulated.
    let step = |batch: Vec<Pending>,
                previous: &mut Option<Vec<Result<Processed, ScanError>>>,
                acc: &mut Accumulator,
                save: &mut Option<&mut Writer>|
     -> Result<(), ScanError> {
        let earlier = previous.take();
        let (done, accumulated) = rayon::join(
            || process(batch),
            || match earlier {
                Some(d) => accumulate(d, acc, save),
                None => Ok(()),
            },
        );
        accumulated?;
        *previous = Some(done);
        Ok(())
    };

    // Reading stays on this thread (with progress reports) and runs up to two messages ahead;
    // a worker thread owns the running state and drives the pipeline.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Message>(2);
    let (worker, read_error) = std::thread::scope(|scope| {
        let worker = scope.spawn(move || -> Result<Accumulator, ScanError> {
            let mut acc = Accumulator::new(ctx);
            let mut previous = None;
            for message in rx {
                match message {
                    Message::Source(s) => acc.add_source(s),
                    Message::Error(e) => acc.errors.push(e),
                    Message::Batch(b) => step(b, &mut previous, &mut acc, &mut save)?,
                }
            }
            if let Some(last) = previous.take() {
                accumulate(last, &mut acc, &mut save)?;
            }
            Ok(acc)
        });
        let mut batch: Vec<Pending> = Vec::with_capacity(BATCH);
        let mut read_error = None;
        for input in inputs {
            // A failed send means the worker stopped at an error, which it returns below.
            let sent = match input {
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
                Ok(Input::Event(Event::Progress(p))) => {
                    on_progress(&p);
                    true
                }
                Ok(Input::Event(Event::Source(s))) => tx.send(Message::Source(s)).is_ok(),
                Ok(Input::Event(Event::Error(e))) => tx.send(Message::Error(e)).is_ok(),
                Ok(Input::Event(Event::Resource(r))) => {
                    batch.push(Pending::Parsed(*r));
                    true
                }
                Ok(Input::Line(line)) => {
                    batch.push(Pending::Line(line));
                    true
                }
            };
            if !sent {
                break;
            }
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if tx.send(Message::Batch(full)).is_err() {
                    break;
                }
            }
        }
        // Lines before a read error come first: their errors, if any, win.
        let _ = tx.send(Message::Batch(batch));
        drop(tx);
        let worker = worker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (worker, read_error)
    });
    let mut acc = worker?;
    if let Some(e) = read_error {
        return Err(e);
    }
    tracing::info!(
        resources = acc.count,
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "resources evaluated"
    );
    let account_clock = std::time::Instant::now();

    // Regions seen in the data complete what the sources declared.
    for (key, regions) in std::mem::take(&mut acc.regions) {
        if let Some(s) = acc.sources.get_mut(&key) {
            for r in regions {
                if !s.regions.contains(&r) {
                    s.regions.push(r);
                }
            }
            s.regions.sort();
        }
    }

    // Account-scope checks: each account is one task on the pool that reads back the resources
    // kept for it and evaluates them, so memory holds only the accounts being evaluated.
    let kept = std::mem::take(&mut acc.kept).into_reader()?;
    let accounts: Vec<(&String, &Source)> = acc.sources.iter().collect();
    let few = accounts.len() < rayon::current_num_threads();
    let found: Vec<Result<Vec<Finding>, ScanError>> = accounts
        .par_iter()
        .with_max_len(1)
        .map(|(key, source)| {
            let resources = kept.read(key, few)?;
            let refs: Vec<&Resource> = resources.iter().collect();
            Ok(evaluator.evaluate_account(source, &refs, &acc.errors))
        })
        .collect();
    let mut late: Vec<Finding> = Vec::new();
    for f in found {
        late.extend(f?);
    }
    tracing::info!(
        accounts = acc.sources.len(),
        elapsed_ms = account_clock.elapsed().as_millis() as u64,
        "account-scope checks evaluated"
    );
    late.extend(evaluator.gap_findings(&acc.errors));
    late.iter_mut().for_each(cap_evidence);
    acc.take(late, ctx.include_passing);

    finish(acc, ctx, started_at)
}

fn finish(
    mut acc: Accumulator,
    ctx: &ScanContext,
    started_at: DateTime<Utc>,
) -> Result<ScanResult, ScanError> {
    let finished_at = Utc::now().max(started_at);
    let fw = ctx.framework;
    let suppressions = acc.acceptance.report();
    let findings = acc.findings.finish();
    tracing::info!(
        findings = findings.len(),
        compressed_bytes = findings.heap_bytes(),
        "findings kept"
    );

    let digest = acc.digest.finish();
    let finished = finished_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut totals: BTreeMap<String, CheckStats> = BTreeMap::new();
    let mut accounts: BTreeMap<String, AccountScope> = BTreeMap::new();
    for key in acc.sources.keys() {
        let stats = acc.stats.remove(key).unwrap_or_default();
        for (check, s) in &stats {
            totals.entry(check.clone()).or_default().add(s);
        }
        accounts.insert(
            key.clone(),
            AccountScope {
                finished_at: finished.clone(),
                inventory_digest: digest.clone(),
                resource_count: acc.resources.get(key).copied().unwrap_or(0),
                unchecked_types: acc.unchecked.remove(key).unwrap_or_default(),
                stats,
            },
        );
    }
    let mut unchecked_types: BTreeMap<String, u64> = BTreeMap::new();
    for a in accounts.values() {
        for (t, n) in &a.unchecked_types {
            *unchecked_types.entry(t.clone()).or_default() += n;
        }
    }

    let evaluated: BTreeSet<String> = ctx.catalog.checks().iter().map(|c| c.id.clone()).collect();
    let controls = mappings::assess(fw, &totals, &evaluated);
    let checks = ctx
        .catalog
        .checks()
        .iter()
        .map(|c| c.info(mappings::controls_of(fw, &c.id)))
        .collect();
    // Checks that ran but found nothing in scope still get a row of zeros.
    for id in &evaluated {
        totals.entry(id.clone()).or_default();
    }

    Ok(ScanResult {
        format: RESULTS_FORMAT.into(),
        version: RESULTS_VERSION,
        tool: ToolInfo::default(),
        framework: fw.id.clone(),
        scope: Scope {
            sources: acc.sources.into_values().collect(),
            started_at: started_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            finished_at: finished,
            collected_at: None,
            inventory_digest: digest,
            resource_count: acc.count,
            unchecked_types,
            accounts,
        },
        checks,
        stats: totals,
        findings,
        controls,
        errors: {
            let mut e = acc.errors;
            e.sort();
            e.dedup();
            e
        },
        suppressions,
    })
}

/// Inputs from saved inventories: each header's sources and errors first, then its lines, raw,
/// to be parsed in parallel. Several inventories merge into one stream.
pub fn inventory_inputs(
    readers: Vec<crate::inventory::Reader>,
) -> impl Iterator<Item = Result<Input, ScanError>> {
    readers.into_iter().flat_map(|mut reader| {
        let header = reader.header().clone();
        let head = header
            .sources
            .into_iter()
            .map(Event::Source)
            .chain(header.errors.into_iter().map(Event::Error))
            .map(|e| Ok(Input::Event(e)));
        head.chain(
            std::iter::from_fn(move || reader.next_raw())
                .map(|l| l.map(Input::Line).map_err(ScanError::from)),
        )
    })
}

/// The earliest collection time among inventory headers, for `Scope::collected_at`.
pub fn earliest(times: impl IntoIterator<Item = String>) -> Option<String> {
    times.into_iter().filter(|t| !t.is_empty()).min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Evidence, Provider, Severity};

    #[test]
    fn large_evidence_is_cut_small_evidence_kept() {
        let big = serde_json::json!({"Statement": (0..400).map(|i| format!("arn:aws:iam::1:policy/p{i}")).collect::<Vec<_>>()});
        let small = serde_json::json!({"blockPublicAcls": false});
        let mut f = Finding {
            check_id: "aws.iam.x".into(),
            status: FindingStatus::Fail,
            severity: Severity::High,
            provider: Provider::Aws,
            account: "1".into(),
            region: "global".into(),
            resource_type: "AWS::IAM::User".into(),
            resource_id: "arn".into(),
            resource_name: "n".into(),
            message: "m".into(),
            evidence: vec![
                Evidence {
                    path: "a".into(),
                    value: big.clone(),
                },
                Evidence {
                    path: "b".into(),
                    value: small.clone(),
                },
            ],
            accepted: None,
        };
        cap_evidence(&mut f);
        let cut = f.evidence[0].value.as_str().unwrap();
        assert!(cut.len() < MAX_EVIDENCE_BYTES + 60);
        assert!(cut.ends_with(&format!("(truncated: {} bytes)", big.to_string().len())));
        assert_eq!(f.evidence[1].value, small);
    }
}
