//! Inventory v1 reader and writer: round trips, line-numbered errors, truncation, streaming.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use annexa::inventory::{self, Digest, Header, InventoryError, Writer};
use annexa::model::{CollectionError, ErrorKind, Provider, Resource, Source};
use serde_json::json;

fn header() -> Header {
    Header::new(
        "2026-11-23T10:00:00Z",
        vec![Source {
            provider: Provider::Aws,
            account: "123456789012".into(),
            regions: vec!["eu-west-1".into()],
            principal: Some("arn:aws:iam::123456789012:role/auditor".into()),
        }],
    )
}

fn resource(i: usize) -> Resource {
    Resource {
        provider: Provider::Aws,
        account: "123456789012".into(),
        region: "eu-west-1".into(),
        resource_type: "AWS::S3::Bucket".into(),
        id: format!("arn:aws:s3:::bucket-{i}"),
        name: format!("bucket-{i}"),
        tags: BTreeMap::from([("env".to_string(), "prod".to_string())]),
        config: json!({
            "configuration": {"name": format!("bucket-{i}"), "creationDate": "2024-01-01T00:00:00.000Z"},
            "supplementaryConfiguration": {"BucketVersioningConfiguration": {"status": "Off", "isMfaDeleteEnabled": null}}
        }),
    }
}

fn gap() -> CollectionError {
    CollectionError {
        provider: Provider::Aws,
        account: "123456789012".into(),
        region: Some("eu-west-1".into()),
        resource_type: Some("AWS::KMS::Key".into()),
        api: Some("config:SelectResourceConfig".into()),
        kind: ErrorKind::AccessDenied,
        message: "not authorized".into(),
    }
}

fn write_file(path: &Path, n: usize) -> Vec<Resource> {
    let resources: Vec<Resource> = (0..n).map(resource).collect();
    let mut w = Writer::create(path, &header()).unwrap();
    for r in &resources {
        w.write(r).unwrap();
    }
    // Known only at the end of a collection, yet it lands in the header on line 1.
    w.add_error(gap());
    assert_eq!(w.finish().unwrap(), n as u64);
    resources
}

fn read_all(path: &Path) -> (Header, Vec<Resource>) {
    let reader = inventory::open(path).unwrap();
    let h = reader.header().clone();
    let rs = reader.collect::<Result<Vec<_>, _>>().unwrap();
    (h, rs)
}

fn round_trip(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let written = write_file(&path, 25);
    let (h, read) = read_all(&path);
    assert_eq!(h.format, "annexa-inventory");
    assert_eq!(h.version, 1);
    assert_eq!(h.errors, vec![gap()]);
    assert_eq!(read, written);
    // Only the output remains: the spool and temporary file are gone.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from(name)]);
}

#[test]
fn round_trip_plain() {
    round_trip("inv.jsonl");
}

#[test]
fn round_trip_zstd() {
    round_trip("inv.jsonl.zst");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.jsonl.zst");
    write_file(&path, 3);
    let raw = std::fs::read(&path).unwrap();
    assert_eq!(&raw[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd magic number");
    // Any zstd decoder reads the two frames as one stream, header first.
    let text = String::from_utf8(zstd::decode_all(&raw[..]).unwrap()).unwrap();
    assert!(
        text.starts_with(r#"{"format":"annexa-inventory","version":1,"#),
        "{text}"
    );
    assert_eq!(text.lines().count(), 4);
}

#[test]
fn plain_file_is_header_then_one_resource_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.jsonl");
    write_file(&path, 2);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    let h: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(h["errors"][0]["kind"], "access_denied");
    assert!(lines[1].contains("bucket-0") && lines[2].contains("bucket-1"));
}

#[test]
fn dropped_writer_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.jsonl");
    let mut w = Writer::create(&path, &header()).unwrap();
    w.write(&resource(0)).unwrap();
    drop(w);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

fn write_text(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn lines_of(n: usize) -> String {
    let mut text = serde_json::to_string(&header()).unwrap();
    text.push('\n');
    for i in 0..n {
        text.push_str(&serde_json::to_string(&resource(i)).unwrap());
        text.push('\n');
    }
    text
}

/// Reads until the first error and returns it with the number of resources before it.
fn first_error(path: &Path) -> (usize, InventoryError) {
    let reader = match inventory::open(path) {
        Ok(r) => r,
        Err(e) => return (0, e),
    };
    let mut ok = 0;
    for item in reader {
        match item {
            Ok(_) => ok += 1,
            Err(e) => return (ok, e),
        }
    }
    panic!("no error after {ok} resources");
}

#[test]
fn corrupt_line_reports_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = lines_of(6).lines().map(String::from).collect();
    let half = lines[4].len() / 2;
    lines[4].truncate(half); // line 5: resource 4 of 6
    let path = write_text(dir.path(), "bad.jsonl", &(lines.join("\n") + "\n"));
    let (ok, err) = first_error(&path);
    assert_eq!(ok, 3, "resources on lines 2-4 come before the error");
    let msg = err.to_string();
    assert!(matches!(err, InventoryError::Line { line: 5, .. }), "{msg}");
    assert!(
        msg.starts_with(&format!("{}:5: not a valid resource: ", path.display())),
        "{msg}"
    );
}

#[test]
fn unknown_field_in_a_resource_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = lines_of(2).replacen(r#","resource_type":"#, r#","resource_typ":"#, 1);
    let path = write_text(dir.path(), "typo.jsonl", &text);
    let (_, err) = first_error(&path);
    let msg = err.to_string();
    assert!(
        msg.contains(":2: not a valid resource: unknown field `resource_typ`"),
        "{msg}"
    );
}

#[test]
fn header_problems() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("empty.jsonl", String::new(), "the file is empty"),
        (
            "bare.jsonl",
            serde_json::to_string(&resource(0)).unwrap() + "\n",
            "\"format\": \"annexa-inventory\"",
        ),
        ("notjson.jsonl", "hello\n".to_string(), "line 1 is not JSON"),
        (
            "extra.jsonl",
            lines_of(1).replacen(r#""version":1,"#, r#""version":1,"colour":"red","#, 1),
            "unknown field `colour`",
        ),
        (
            "v0.jsonl",
            lines_of(1).replacen(r#""version":1,"#, r#""version":0,"#, 1),
            "\"version\" must be 1",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write_text(dir.path(), name, &text);
        let err = inventory::open(&path).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, InventoryError::BadHeader { .. }),
            "{name}: {msg}"
        );
        assert!(
            msg.starts_with(&format!("{}:1: not an annexa inventory: ", path.display())),
            "{msg}"
        );
        assert!(msg.contains(expected), "{name}: {msg}");
    }
}

#[test]
fn newer_version_asks_for_an_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let text = lines_of(1).replacen(r#""version":1,"#, r#""version":2,"shiny":true,"#, 1);
    let path = write_text(dir.path(), "v2.jsonl", &text);
    let err = inventory::open(&path).unwrap_err();
    assert!(
        matches!(err, InventoryError::UnsupportedVersion { found: 2, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("written by a newer annexa"),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade"), "{err}");
}

#[test]
fn blank_lines_only_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let trailing = write_text(dir.path(), "trailing.jsonl", &(lines_of(3) + "\n  \n"));
    assert_eq!(read_all(&trailing).1.len(), 3);

    let no_final_newline = write_text(dir.path(), "nonl.jsonl", lines_of(3).trim_end());
    assert_eq!(read_all(&no_final_newline).1.len(), 3);

    let mut lines: Vec<String> = lines_of(3).lines().map(String::from).collect();
    lines.insert(2, String::new()); // line 3 blank, resources continue on line 4
    let inside = write_text(dir.path(), "inside.jsonl", &lines.join("\n"));
    let (ok, err) = first_error(&inside);
    assert_eq!(ok, 1);
    assert!(matches!(err, InventoryError::Line { line: 3, .. }), "{err}");
    assert!(err.to_string().contains("blank line"), "{err}");
}

#[test]
fn missing_file_names_the_path() {
    let err = inventory::open(Path::new("/nonexistent/inv.jsonl")).unwrap_err();
    assert!(matches!(err, InventoryError::Io { .. }));
    assert!(
        err.to_string().starts_with("/nonexistent/inv.jsonl: "),
        "{err}"
    );
}

#[test]
fn compressed_file_without_zst_name_is_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let zst = dir.path().join("inv.jsonl.zst");
    write_file(&zst, 3);
    let renamed = dir.path().join("inv.jsonl");
    std::fs::rename(&zst, &renamed).unwrap();
    let err = inventory::open(&renamed).unwrap_err();
    assert!(err.to_string().contains(":1: "), "{err}");
}

#[test]
fn truncated_zstd_is_an_error_not_an_early_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.jsonl.zst");
    write_file(&path, 2000);
    let raw = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.jsonl.zst");
    std::fs::write(&cut, &raw[..raw.len() * 2 / 3]).unwrap();
    let (ok, err) = first_error(&cut);
    assert!(ok < 2000, "{ok}");
    assert!(matches!(err, InventoryError::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");

    // Cut just before the frame's end: every resource line may be complete, the stream is not.
    std::fs::write(&cut, &raw[..raw.len() - 2]).unwrap();
    let (_, err) = first_error(&cut);
    assert!(matches!(err, InventoryError::Truncated { .. }), "{err}");
}

#[test]
fn digest_is_order_independent_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.jsonl");
    let written = write_file(&path, 10);
    let mut from_memory = Digest::new();
    for r in written.iter().rev() {
        from_memory.add(r);
    }
    let mut from_file = Digest::new();
    for r in inventory::open(&path).unwrap() {
        from_file.add(&r.unwrap());
    }
    assert_eq!(from_memory.finish(), from_file.finish());
}

/// An inventory produced on the fly: header, then `total` resource lines, never held whole.
struct Generated {
    pending: Vec<u8>,
    pos: usize,
    next: usize,
    total: usize,
    produced: Arc<AtomicU64>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            if self.next == self.total {
                return Ok(0);
            }
            self.pending.clear();
            self.pos = 0;
            serde_json::to_writer(&mut self.pending, &resource(self.next)).unwrap();
            self.pending.write_all(b"\n").unwrap();
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        self.produced.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn reading_streams_with_bounded_read_ahead() {
    const TOTAL: usize = 50_000;
    let produced = Arc::new(AtomicU64::new(0));
    let mut first = serde_json::to_vec(&header()).unwrap();
    first.push(b'\n');
    let first_len = first.len() as u64;
    let source = Generated {
        pending: first,
        pos: 0,
        next: 0,
        total: TOTAL,
        produced: produced.clone(),
    };
    let mut consumed = first_len;
    let reader = inventory::from_reader("generated", source).unwrap();
    let mut count = 0usize;
    let mut max_ahead = 0u64;
    for r in reader {
        let r = r.unwrap();
        assert_eq!(r.name, format!("bucket-{count}"));
        count += 1;
        // Bytes pulled from the source beyond what the resources so far needed: the read-ahead
        // buffer, not the file.
        consumed += serde_json::to_vec(&r).unwrap().len() as u64 + 1;
        max_ahead = max_ahead.max(produced.load(Ordering::Relaxed).saturating_sub(consumed));
    }
    assert_eq!(count, TOTAL);
    let total_bytes = produced.load(Ordering::Relaxed);
    assert!(
        total_bytes > 10_000_000,
        "the generated file is large: {total_bytes} bytes"
    );
    assert!(
        max_ahead <= 64 * 1024 + 1024,
        "read {max_ahead} bytes ahead of the resource being parsed"
    );
}

#[test]
fn raw_lines_parse_like_the_iterator() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = lines_of(5).lines().map(String::from).collect();
    lines[4] = lines[4].replacen(r#""region":"eu-west-1""#, r#""region":7"#, 1); // line 5
    let path = write_text(dir.path(), "raw.jsonl", &(lines.join("\n") + "\n"));
    let mut reader = inventory::open(&path).unwrap();
    let mut raw = Vec::new();
    while let Some(line) = reader.next_raw() {
        raw.push(line.unwrap());
    }
    assert_eq!(
        raw.iter().map(|l| l.line).collect::<Vec<_>>(),
        vec![2, 3, 4, 5, 6]
    );
    // Parsed out of order (as on several threads), results keep their line numbers.
    let parsed: Vec<_> = raw.iter().rev().map(|l| (l.line, l.parse())).collect();
    let errors: Vec<_> = parsed
        .iter()
        .filter_map(|(n, p)| p.as_ref().err().map(|e| (*n, e.to_string())))
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, 5);
    assert!(
        errors[0].1.starts_with(&format!(
            "{}:5: not a valid resource: invalid type",
            path.display()
        )),
        "{}",
        errors[0].1
    );
    let (ok, err) = first_error(&path);
    assert_eq!(ok, 3);
    assert_eq!(err.to_string(), errors[0].1);

    let mut via_hashes = Digest::new();
    let mut via_add = Digest::new();
    for (_, p) in parsed.iter().filter(|(_, p)| p.is_ok()) {
        let r = p.as_ref().unwrap();
        via_hashes.add_hash(inventory::resource_sha256(r));
        via_add.add(r);
    }
    assert_eq!(via_hashes.finish(), via_add.finish());
}

#[test]
fn writer_errors_name_the_output_path() {
    let err = Writer::create(Path::new("/nonexistent/dir/inv.jsonl"), &header()).unwrap_err();
    assert!(matches!(err, InventoryError::Io { .. }));
    assert!(
        err.to_string().starts_with("/nonexistent/dir/inv.jsonl: "),
        "{err}"
    );
}
