//! The findings of a scan, held compactly and always in order.
//!
//! A large estate has hundreds of thousands of failing findings. Held as `Finding` values (a
//! dozen heap strings and an evidence tree each) they were most of a scan's memory, growing with
//! the estate. `Findings` keeps them encoded in a small binary form, compressed with zstd in
//! blocks of about 64 KiB, sorted by check id then resource id, and decodes them one at a time on
//! each pass a reporter makes: a 100k-resource scan's findings take a few MB instead of hundreds.
//!
//! Findings are added through `FindingsBuilder`, which sorts runs of a few thousand and merges
//! the runs at the end (stable: equal keys keep their arrival order). Nothing here does I/O; the
//! encoding never leaves the process (results.json is written through `Serialize`).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use super::{AcceptedRisk, Evidence, Finding, FindingStatus, Provider, Severity};

/// Uncompressed bytes per block: large enough for zstd to find the repetition between findings
/// (same checks, accounts, messages), small enough that a pass decodes little at a time.
const BLOCK_BYTES: usize = 64 * 1024;
/// Findings sorted in memory before they are encoded as a run.
const RUN_LEN: usize = 4096;
/// zstd level: the fastest; the data is repetitive enough that higher levels gain little.
const LEVEL: i32 = 1;

/// The order of findings everywhere: check id, then resource id.
pub fn finding_order(a: &Finding, b: &Finding) -> Ordering {
    a.check_id
        .cmp(&b.check_id)
        .then_with(|| a.resource_id.cmp(&b.resource_id))
}

/// Sorted, compressed findings. Iterate with `iter()`, which yields owned `Finding`s.
#[derive(Clone, Default)]
pub struct Findings {
    blocks: Vec<Block>,
    len: usize,
}

#[derive(Clone)]
struct Block {
    raw_len: usize,
    data: Box<[u8]>,
}

impl Findings {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Decode the findings in order, one at a time.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            blocks: self.blocks.iter(),
            zstd: None,
            raw: Vec::new(),
            pos: 0,
            left: self.len,
            evidence: true,
        }
    }

    /// The same, with `evidence` left empty: for passes that count, gate or list findings,
    /// which then skip parsing the evidence values (the larger part of decoding).
    pub fn iter_without_evidence(&self) -> Iter<'_> {
        Iter {
            evidence: false,
            ..self.iter()
        }
    }

    /// Findings that are already in `finding_order` (a pass over another `Findings`), stored
    /// without sorting them again.
    pub fn from_sorted(sorted: impl IntoIterator<Item = Finding>) -> Findings {
        let mut enc = Encoder::default();
        for f in sorted {
            enc.push(&f);
        }
        enc.finish()
    }

    /// All findings decoded at once, for code that needs them side by side (the HTML table).
    pub fn to_vec(&self) -> Vec<Finding> {
        self.iter().collect()
    }

    /// Change the findings as a vector; the result is sorted again.
    pub fn edit(&mut self, change: impl FnOnce(&mut Vec<Finding>)) {
        let mut all = self.to_vec();
        change(&mut all);
        *self = all.into_iter().collect();
    }

    /// Bytes held (compressed), for diagnostics.
    pub fn heap_bytes(&self) -> usize {
        self.blocks.iter().map(|b| b.data.len()).sum()
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = Finding;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

pub struct Iter<'a> {
    blocks: std::slice::Iter<'a, Block>,
    /// One decompression context per pass, made at the first block.
    zstd: Option<zstd::bulk::Decompressor<'static>>,
    raw: Vec<u8>,
    pos: usize,
    left: usize,
    evidence: bool,
}

impl Iterator for Iter<'_> {
    type Item = Finding;

    fn next(&mut self) -> Option<Finding> {
        while self.pos >= self.raw.len() {
            let block = self.blocks.next()?;
            let zstd = self.zstd.get_or_insert_with(|| {
                zstd::bulk::Decompressor::new().expect("zstd makes a decompression context")
            });
            self.raw.clear();
            self.raw.reserve(block.raw_len);
            zstd.decompress_to_buffer(&block.data, &mut self.raw)
                .expect("findings block: compressed by this module");
            self.pos = 0;
        }
        self.left -= 1;
        Some(decode(&self.raw, &mut self.pos, self.evidence))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Collects findings in any order and returns them sorted.
#[derive(Default)]
pub struct FindingsBuilder {
    run: Vec<Finding>,
    runs: Vec<Findings>,
}

impl FindingsBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, f: Finding) {
        self.run.push(f);
        if self.run.len() == RUN_LEN {
            self.seal();
        }
    }

    fn seal(&mut self) {
        if self.run.is_empty() {
            return;
        }
        self.run.sort_by(finding_order);
        let mut enc = Encoder::default();
        for f in self.run.drain(..) {
            enc.push(&f);
        }
        self.runs.push(enc.finish());
    }

    pub fn finish(mut self) -> Findings {
        self.seal();
        match self.runs.len() {
            0 => Findings::default(),
            1 => self.runs.pop().expect("one run"),
            _ => merge(&self.runs),
        }
    }
}

impl FromIterator<Finding> for Findings {
    fn from_iter<I: IntoIterator<Item = Finding>>(iter: I) -> Self {
        let mut b = FindingsBuilder::new();
        for f in iter {
            b.push(f);
        }
        b.finish()
    }
}

impl From<Vec<Finding>> for Findings {
    fn from(v: Vec<Finding>) -> Self {
        v.into_iter().collect()
    }
}

/// The head of one sorted run in the merge; the heap pops the smallest key, earlier runs first
/// among equals (which keeps the merge stable).
struct Head {
    finding: Finding,
    run: usize,
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        finding_order(&other.finding, &self.finding).then_with(|| other.run.cmp(&self.run))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

fn merge(runs: &[Findings]) -> Findings {
    let mut iters: Vec<Iter<'_>> = runs.iter().map(Findings::iter).collect();
    let mut heap = BinaryHeap::with_capacity(iters.len());
    for (run, it) in iters.iter_mut().enumerate() {
        if let Some(finding) = it.next() {
            heap.push(Head { finding, run });
        }
    }
    let mut enc = Encoder::default();
    while let Some(Head { finding, run }) = heap.pop() {
        enc.push(&finding);
        if let Some(next) = iters[run].next() {
            heap.push(Head { finding: next, run });
        }
    }
    enc.finish()
}

/// Encodes findings in order into compressed blocks.
struct Encoder {
    raw: Vec<u8>,
    zstd: zstd::bulk::Compressor<'static>,
    out: Findings,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            raw: Vec::new(),
            zstd: zstd::bulk::Compressor::new(LEVEL).expect("zstd makes a compression context"),
            out: Findings::default(),
        }
    }
}

impl Encoder {
    fn push(&mut self, f: &Finding) {
        encode(f, &mut self.raw);
        self.out.len += 1;
        if self.raw.len() >= BLOCK_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.raw.is_empty() {
            return;
        }
        let data = self
            .zstd
            .compress(&self.raw)
            .expect("zstd compresses a buffer");
        self.out.blocks.push(Block {
            raw_len: self.raw.len(),
            data: data.into_boxed_slice(),
        });
        self.raw.clear();
    }

    fn finish(mut self) -> Findings {
        self.flush();
        self.out
    }
}

// The record layout: strings as a varint length and UTF-8 bytes; enums as one byte; evidence as
// a count and (path, JSON text) pairs; the accepted risk as a flag and four strings.

fn put_len(buf: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            buf.push(byte);
            return;
        }
        buf.push(byte | 0x80);
    }
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    put_len(buf, s.len());
    buf.extend_from_slice(s.as_bytes());
}

fn encode(f: &Finding, buf: &mut Vec<u8>) {
    put_str(buf, &f.check_id);
    buf.push(match f.status {
        FindingStatus::Pass => 0,
        FindingStatus::Fail => 1,
        FindingStatus::Error => 2,
        FindingStatus::NotApplicable => 3,
    });
    buf.push(match f.severity {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    });
    buf.push(match f.provider {
        Provider::Aws => 0,
        Provider::Azure => 1,
    });
    for s in [
        &f.account,
        &f.region,
        &f.resource_type,
        &f.resource_id,
        &f.resource_name,
        &f.message,
    ] {
        put_str(buf, s);
    }
    put_len(buf, f.evidence.len());
    for e in &f.evidence {
        put_str(buf, &e.path);
        put_str(buf, &e.value.to_string());
    }
    match &f.accepted {
        None => buf.push(0),
        Some(a) => {
            buf.push(1);
            for s in [&a.id, &a.reason, &a.owner, &a.expires] {
                put_str(buf, s);
            }
        }
    }
}

/// Reads what `encode` wrote; the bytes never left this module, so a mismatch is a bug here.
struct Reader<'a> {
    buf: &'a [u8],
    pos: &'a mut usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> u8 {
        let b = self.buf[*self.pos];
        *self.pos += 1;
        b
    }

    fn len(&mut self) -> usize {
        let mut n = 0usize;
        let mut shift = 0;
        loop {
            let b = self.byte();
            n |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return n;
            }
            shift += 7;
        }
    }

    fn str(&mut self) -> &'a str {
        let n = self.len();
        let buf: &'a [u8] = self.buf;
        let bytes = &buf[*self.pos..*self.pos + n];
        *self.pos += n;
        std::str::from_utf8(bytes).expect("findings block: UTF-8 written by this module")
    }

    fn string(&mut self) -> String {
        self.str().to_string()
    }
}

fn decode(buf: &[u8], pos: &mut usize, with_evidence: bool) -> Finding {
    let mut r = Reader { buf, pos };
    let check_id = r.string();
    let status = match r.byte() {
        0 => FindingStatus::Pass,
        1 => FindingStatus::Fail,
        2 => FindingStatus::Error,
        _ => FindingStatus::NotApplicable,
    };
    let severity = match r.byte() {
        0 => Severity::Info,
        1 => Severity::Low,
        2 => Severity::Medium,
        3 => Severity::High,
        _ => Severity::Critical,
    };
    let provider = match r.byte() {
        0 => Provider::Aws,
        _ => Provider::Azure,
    };
    let account = r.string();
    let region = r.string();
    let resource_type = r.string();
    let resource_id = r.string();
    let resource_name = r.string();
    let message = r.string();
    let mut evidence = Vec::new();
    for _ in 0..r.len() {
        let path = r.str();
        let value = r.str();
        if with_evidence {
            evidence.push(Evidence {
                path: path.to_string(),
                value: serde_json::from_str(value)
                    .expect("findings block: JSON written by this module"),
            });
        }
    }
    let accepted = (r.byte() == 1).then(|| AcceptedRisk {
        id: r.string(),
        reason: r.string(),
        owner: r.string(),
        expires: r.string(),
    });
    Finding {
        check_id,
        status,
        severity,
        provider,
        account,
        region,
        resource_type,
        resource_id,
        resource_name,
        message,
        evidence,
        accepted,
    }
}

impl std::fmt::Debug for Findings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Findings {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Serialize for Findings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Findings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Findings;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of findings")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Findings, A::Error> {
                let mut b = FindingsBuilder::new();
                while let Some(f) = seq.next_element::<Finding>()? {
                    b.push(f);
                }
                Ok(b.finish())
            }
        }
        d.deserialize_seq(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(i: usize) -> Finding {
        Finding {
            check_id: format!("aws.s3.check-{}", i % 7),
            status: [
                FindingStatus::Fail,
                FindingStatus::Error,
                FindingStatus::Pass,
            ][i % 3],
            severity: Severity::ALL[i % 5],
            provider: if i % 2 == 0 {
                Provider::Aws
            } else {
                Provider::Azure
            },
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            resource_type: "AWS::S3::Bucket".into(),
            resource_id: format!("arn:aws:s3:::bucket-{:05}", (i * 7919) % 10007),
            resource_name: format!("bucket-ü-{i}"),
            message: "Bucket 'x' allows \"public\" access".into(),
            evidence: if i % 4 == 0 {
                vec![]
            } else {
                vec![Evidence {
                    path: "config.acl".into(),
                    value: serde_json::json!({"grants": [i, "AllUsers", null, true, 1.5]}),
                }]
            },
            accepted: (i % 5 == 0).then(|| AcceptedRisk {
                id: "S1".into(),
                reason: "legacy".into(),
                owner: "ops@example.com".into(),
                expires: "2027-01-31".into(),
            }),
        }
    }

    #[test]
    fn findings_come_back_equal_and_sorted_across_many_runs_and_blocks() {
        let input: Vec<Finding> = (0..RUN_LEN * 3 + 17).map(finding).collect();
        let store: Findings = input.clone().into();
        let mut expected = input;
        expected.sort_by(finding_order);
        assert_eq!(store.len(), expected.len());
        assert!(
            store.blocks.len() > 3,
            "several blocks: {}",
            store.blocks.len()
        );
        assert_eq!(store.to_vec(), expected);
        assert_eq!(store.iter().len(), expected.len());
    }

    #[test]
    fn iterating_without_evidence_leaves_only_the_evidence_out() {
        let input: Vec<Finding> = (0..100).map(finding).collect();
        let store: Findings = input.into();
        assert!(store.iter().any(|f| !f.evidence.is_empty()));
        let light: Vec<Finding> = store.iter_without_evidence().collect();
        let full: Vec<Finding> = store
            .iter()
            .map(|mut f| {
                f.evidence.clear();
                f
            })
            .collect();
        assert_eq!(light, full);
    }

    #[test]
    fn sorted_findings_are_stored_as_they_come() {
        let store: Findings = (0..RUN_LEN + 10).map(finding).collect::<Vec<_>>().into();
        let again = Findings::from_sorted(store.iter());
        assert_eq!(again, store);
        assert_eq!(again.len(), store.len());
    }

    #[test]
    fn equal_keys_keep_their_arrival_order_across_runs() {
        let mut input = Vec::new();
        for i in 0..RUN_LEN * 2 + 5 {
            let mut f = finding(0);
            f.resource_id = "same".into();
            f.message = format!("#{i}");
            input.push(f);
        }
        let store: Findings = input.clone().into();
        let messages: Vec<String> = store.iter().map(|f| f.message).collect();
        let expected: Vec<String> = input.into_iter().map(|f| f.message).collect();
        assert_eq!(messages, expected);
    }

    #[test]
    fn serde_round_trip_matches_a_vector() {
        let input: Vec<Finding> = (0..50).map(finding).collect();
        let store: Findings = input.clone().into();
        let mut sorted = input;
        sorted.sort_by(finding_order);
        let json = serde_json::to_string(&store).unwrap();
        assert_eq!(json, serde_json::to_string(&sorted).unwrap());
        let back: Findings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, store);
        let empty: Findings = serde_json::from_str("[]").unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn compressed_store_is_far_smaller_than_the_findings() {
        let input: Vec<Finding> = (0..20_000).map(finding).collect();
        let json_bytes = serde_json::to_vec(&input).unwrap().len();
        let store: Findings = input.into();
        assert!(
            store.heap_bytes() * 5 < json_bytes,
            "{} compressed vs {} as JSON",
            store.heap_bytes(),
            json_bytes
        );
    }
}
