//! Joins the pure stages: a stream of collector events (or inventory lines) -> findings ->
//! accepted risks -> control results -> `ScanResult`.
//!
//! Evaluation streams: resources are evaluated in batches on rayon as they arrive and then
//! dropped, except those of the types account-scope checks need. Memory therefore grows with the
//! number of failing findings, not with the size of the inventory.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rayon::prelude::*;

use crate::collect::{Event, Progress};
use crate::engine::{Catalog, Evaluator};
use crate::inventory::{Digest, Writer};
use crate::mappings::{self, Framework};
use crate::model::{
    account_key, AccountScope, CheckStats, CollectionError, Finding, FindingStatus, Resource,
    ScanResult, Scope, Source, ToolInfo, RESULTS_FORMAT, RESULTS_VERSION,
};
use crate::suppress::{self, Suppression};

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
struct Accumulator {
    findings: Vec<Finding>,
    /// account key -> per-check counts.
    stats: BTreeMap<String, BTreeMap<String, CheckStats>>,
    resources: BTreeMap<String, u64>,
    unchecked: BTreeMap<String, BTreeMap<String, u64>>,
    kept: Vec<Resource>,
    sources: BTreeMap<String, Source>,
    errors: Vec<CollectionError>,
    digest: Digest,
    count: u64,
}

impl Accumulator {
    fn new() -> Self {
        Accumulator {
            findings: Vec::new(),
            stats: BTreeMap::new(),
            resources: BTreeMap::new(),
            unchecked: BTreeMap::new(),
            kept: Vec::new(),
            sources: BTreeMap::new(),
            errors: Vec::new(),
            digest: Digest::default(),
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
    }

    fn take(&mut self, findings: Vec<Finding>, include_passing: bool) {
        for f in findings {
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

/// Run a scan over `events`. Every resource is written to `save` (when given) exactly as it was
/// evaluated. `on_progress` sees collector progress events.
pub fn run<I>(
    events: I,
    ctx: &ScanContext,
    mut save: Option<&mut Writer>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<ScanResult, ScanError>
where
    I: Iterator<Item = Result<Event, ScanError>>,
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
    let mut acc = Accumulator::new();
    let mut batch: Vec<Resource> = Vec::with_capacity(BATCH);

    let flush = |batch: &mut Vec<Resource>, acc: &mut Accumulator| {
        let results: Vec<Vec<Finding>> = batch
            .par_iter()
            .map(|r| evaluator.evaluate_resource(r))
            .collect();
        for findings in results {
            acc.take(findings, ctx.include_passing);
        }
        for r in batch.drain(..) {
            if keep_types.contains(&r.resource_type.to_ascii_lowercase()) {
                acc.kept.push(r);
            }
        }
    };

    for event in events {
        match event? {
            Event::Source(s) => acc.add_source(s),
            Event::Error(e) => acc.errors.push(e),
            Event::Progress(p) => on_progress(&p),
            Event::Resource(r) => {
                let r = *r;
                if let Some(w) = save.as_deref_mut() {
                    w.write(&r)?;
                }
                acc.digest.add(&r);
                acc.count += 1;
                let key = account_key(r.provider, &r.account);
                if !acc.sources.contains_key(&key) {
                    acc.add_source(Source {
                        provider: r.provider,
                        account: r.account.clone(),
                        regions: vec![],
                        principal: None,
                    });
                }
                *acc.resources.entry(key.clone()).or_default() += 1;
                let lower = r.resource_type.to_ascii_lowercase();
                if !read_types.contains(&lower) {
                    *acc.unchecked
                        .entry(key)
                        .or_default()
                        .entry(r.resource_type.clone())
                        .or_default() += 1;
                    continue;
                }
                batch.push(r);
                if batch.len() == BATCH {
                    flush(&mut batch, &mut acc);
                }
            }
        }
    }
    flush(&mut batch, &mut acc);

    // Regions seen in the data complete what the sources declared.
    let regions: Vec<(String, String)> = acc
        .kept
        .iter()
        .map(|r| (account_key(r.provider, &r.account), r.region.clone()))
        .collect();
    for (key, region) in regions {
        if let Some(s) = acc.sources.get_mut(&key) {
            if region != "global" && !s.regions.contains(&region) {
                s.regions.push(region);
                s.regions.sort();
            }
        }
    }

    // Account-scope checks, once per account, over the resources kept for them.
    let mut by_account: BTreeMap<String, Vec<&Resource>> = BTreeMap::new();
    for r in &acc.kept {
        by_account
            .entry(account_key(r.provider, &r.account))
            .or_default()
            .push(r);
    }
    let mut late: Vec<Finding> = Vec::new();
    for (key, source) in &acc.sources {
        let resources = by_account.get(key).map(Vec::as_slice).unwrap_or(&[]);
        late.extend(evaluator.evaluate_account(source, resources, &acc.errors));
    }
    late.extend(evaluator.gap_findings(&acc.errors));
    acc.take(late, ctx.include_passing);
    acc.kept = Vec::new();

    finish(acc, ctx, started_at)
}

fn finish(
    mut acc: Accumulator,
    ctx: &ScanContext,
    started_at: DateTime<Utc>,
) -> Result<ScanResult, ScanError> {
    let finished_at = Utc::now().max(started_at);
    acc.findings.sort_by(|a, b| {
        a.check_id
            .cmp(&b.check_id)
            .then_with(|| a.resource_id.cmp(&b.resource_id))
    });

    // Accepted risks.
    let today: NaiveDate = ctx.now.date_naive();
    let fw = ctx.framework;
    let suppressions = suppress::apply(&mut acc.findings, ctx.suppressions, today, &|id| {
        mappings::controls_of(fw, id)
    });
    for f in acc.findings.iter().filter(|f| f.accepted.is_some()) {
        if let Some(s) = acc
            .stats
            .get_mut(&f.account_key())
            .and_then(|m| m.get_mut(&f.check_id))
        {
            s.accepted += 1;
        }
    }

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
        findings: acc.findings,
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

/// Events from saved inventories: each header's sources and errors first, then its resources.
/// Several inventories merge into one stream.
pub fn inventory_events(
    readers: Vec<crate::inventory::Reader>,
) -> impl Iterator<Item = Result<Event, ScanError>> {
    readers.into_iter().flat_map(|reader| {
        let header = reader.header().clone();
        let head = header
            .sources
            .into_iter()
            .map(Event::Source)
            .chain(header.errors.into_iter().map(Event::Error))
            .map(Ok);
        head.chain(reader.map(|r| {
            r.map(|r| Event::Resource(Box::new(r)))
                .map_err(ScanError::from)
        }))
    })
}

/// The earliest collection time among inventory headers, for `Scope::collected_at`.
pub fn earliest(times: impl IntoIterator<Item = String>) -> Option<String> {
    times.into_iter().filter(|t| !t.is_empty()).min()
}
