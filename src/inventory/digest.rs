//! Order-independent digest of a set of resources.
//!
//! Each resource is hashed (sha256) over its canonical JSON: object keys sorted by their bytes at
//! every depth, no whitespace, serde_json's escaping and number formatting. The digest is sha256
//! over the sorted list of those per-resource hashes, so reordering resources, merging files or
//! re-saving with another key order does not change it; a duplicated resource does. Memory: 32
//! bytes per resource.

use std::io::{self, Write};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::model::Resource;

/// Accumulates resources; `finish` gives `sha256:<hex>`.
#[derive(Debug, Default, Clone)]
pub struct Digest {
    hashes: Vec<[u8; 32]>,
    /// Canonical JSON of the resource being hashed, reused between resources.
    buf: Vec<u8>,
}

impl Digest {
    pub fn new() -> Digest {
        Digest::default()
    }

    pub fn add(&mut self, r: &Resource) {
        let hash = hash_into(&mut self.buf, r);
        self.hashes.push(hash);
    }

    /// Adds a resource hashed elsewhere with [`resource_sha256`] (e.g. on a rayon worker).
    pub fn add_hash(&mut self, hash: [u8; 32]) {
        self.hashes.push(hash);
    }

    /// Number of resources added.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Joins another digest's resources (e.g. one built on another thread).
    pub fn merge(&mut self, other: Digest) {
        self.hashes.extend(other.hashes);
    }

    pub fn finish(mut self) -> String {
        self.hashes.sort_unstable();
        let mut h = Sha256::new();
        for one in &self.hashes {
            h.update(one);
        }
        format!("sha256:{}", hex::encode(h.finalize()))
    }
}

/// sha256 of one resource's canonical JSON (keys of `Resource` itself in sorted order too).
pub fn resource_sha256(r: &Resource) -> [u8; 32] {
    hash_into(&mut Vec::new(), r)
}

fn hash_into(buf: &mut Vec<u8>, r: &Resource) -> [u8; 32] {
    buf.clear();
    // Writing into a Vec cannot fail; serde_json only fails on non-string map keys, which
    // `Value` cannot hold. One hash call over the whole buffer beats many small updates.
    let _ = write_resource(buf, r);
    Sha256::digest(&buf[..]).into()
}

type W = Vec<u8>;

fn write_resource(w: &mut W, r: &Resource) -> io::Result<()> {
    // Field names in byte order, as `write_canonical` orders object keys.
    w.write_all(b"{\"account\":")?;
    write_str(w, &r.account)?;
    w.write_all(b",\"config\":")?;
    write_canonical(w, &r.config)?;
    w.write_all(b",\"id\":")?;
    write_str(w, &r.id)?;
    w.write_all(b",\"name\":")?;
    write_str(w, &r.name)?;
    w.write_all(b",\"provider\":")?;
    write_str(w, r.provider.as_str())?;
    w.write_all(b",\"region\":")?;
    write_str(w, &r.region)?;
    w.write_all(b",\"resource_type\":")?;
    write_str(w, &r.resource_type)?;
    w.write_all(b",\"tags\":{")?;
    // BTreeMap: already sorted by key bytes.
    for (i, (k, v)) in r.tags.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write_str(w, k)?;
        w.write_all(b":")?;
        write_str(w, v)?;
    }
    w.write_all(b"}}")
}

fn write_str(w: &mut W, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *w, s).map_err(io::Error::from)
}

fn write_canonical(w: &mut W, v: &Value) -> io::Result<()> {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable();
            w.write_all(b"{")?;
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                write_str(w, k)?;
                w.write_all(b":")?;
                write_canonical(w, &map[k])?;
            }
            w.write_all(b"}")
        }
        Value::Array(items) => {
            w.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                write_canonical(w, item)?;
            }
            w.write_all(b"]")
        }
        scalar => serde_json::to_writer(&mut *w, scalar).map_err(io::Error::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Provider;

    fn res(id: &str, config: Value) -> Resource {
        Resource {
            provider: Provider::Aws,
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            resource_type: "AWS::S3::Bucket".into(),
            id: id.into(),
            name: id.into(),
            tags: Default::default(),
            config,
        }
    }

    #[test]
    fn digest_ignores_resource_order_and_key_order() {
        let a = res(
            "a",
            serde_json::json!({"x": 1, "y": {"b": [1, 2], "a": null}}),
        );
        let b = res("b", serde_json::json!({}));
        let a_reordered: Resource = serde_json::from_str(
            &serde_json::to_string(&a)
                .unwrap()
                .replace(r#""x":1,"y""#, r#""y""#)
                .replace(r#"{"b":[1,2],"a":null}}"#, r#"{"a":null,"b":[1,2]},"x":1}"#),
        )
        .unwrap();
        assert_ne!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&a_reordered).unwrap()
        );
        assert_eq!(resource_sha256(&a), resource_sha256(&a_reordered));

        let mut one = Digest::new();
        one.add(&a);
        one.add(&b);
        let mut two = Digest::new();
        two.add(&b);
        two.add(&a_reordered);
        assert_eq!(one.clone().finish(), two.finish());

        let mut three = Digest::new();
        three.add(&a);
        assert_ne!(
            one.clone().finish(),
            three.finish(),
            "a missing resource changes the digest"
        );
        assert!(one.finish().starts_with("sha256:"));
    }

    #[test]
    fn digest_sees_value_changes() {
        let a = res("a", serde_json::json!({"x": 1}));
        let a2 = res("a", serde_json::json!({"x": 2}));
        assert_ne!(resource_sha256(&a), resource_sha256(&a2));
    }
}
