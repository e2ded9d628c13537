//! The versioned JSON Lines inventory (DESIGN.md, Inventory file): a header line, then one
//! `Resource` per line; zstd compressed when the file name ends in `.zst`.
//!
//! ```text
//! {"format":"annexa-inventory","version":1,"tool_version":"0.1.0","collected_at":"...","sources":[...],"errors":[...]}
//! {"provider":"aws","account":"123456789012","region":"eu-west-1","resource_type":"AWS::S3::Bucket",...}
//! ...
//! ```
//!
//! - Reading streams line by line through one reused buffer: memory does not grow with the file.
//!   Every problem is reported as `FILE:LINE: what is wrong` and ends the iteration; nothing is
//!   skipped. An empty file, a missing or foreign header, a blank line between resources and a
//!   truncated `.zst` stream are errors. Blank lines at the end are allowed (editors add them).
//! - Writing: the header must come first, but a collection only knows its errors at the end.
//!   The [`Writer`] therefore spools resources into a hidden file next to the output
//!   (`.NAME.spool-PID`, compressed already when the output is `.zst`), and [`Writer::finish`]
//!   writes the final header (with every error added meanwhile) into a second hidden file, appends
//!   the spool by a plain byte copy and renames the result over the output. A `.zst` output is
//!   two concatenated zstd frames (header, resources), which every zstd decoder reads as one
//!   stream. The output path never holds a half-written inventory; a dropped writer removes its
//!   hidden files.
//! - [`Digest`] identifies the resources independently of their order and of key order inside
//!   `config`, so a merged or re-saved inventory has the digest of its parts.

mod digest;
mod read;
mod write;

use serde::{Deserialize, Serialize};

use crate::model::{CollectionError, Source};

pub use digest::{resource_sha256, Digest};
pub use read::{from_bytes, from_reader, open, RawLine, Reader};
pub use write::Writer;

/// `format` of the header line.
pub const FORMAT: &str = "annexa-inventory";
/// The layout this build reads and writes; a larger number means a newer annexa wrote the file.
pub const VERSION: u32 = 1;

/// Line 1 of an inventory file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`] for this layout.
    pub version: u32,
    /// The annexa version that collected the data.
    pub tool_version: String,
    /// RFC 3339 time the collection started.
    pub collected_at: String,
    /// The accounts and subscriptions covered.
    pub sources: Vec<Source>,
    /// Data that could not be collected; checks over it report `error`, never `pass`.
    pub errors: Vec<CollectionError>,
}

impl Header {
    /// A header for this build's format and version, without errors yet.
    pub fn new(collected_at: impl Into<String>, sources: Vec<Source>) -> Header {
        Header {
            format: FORMAT.to_string(),
            version: VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            collected_at: collected_at.into(),
            sources,
            errors: Vec::new(),
        }
    }
}

/// Why an inventory could not be read or written. Every variant names the file; line errors
/// print as `FILE:LINE: what is wrong`.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:1: not an annexa inventory: {reason}")]
    BadHeader { path: String, reason: String },
    #[error(
        "{path}:1: inventory format version {found} was written by a newer annexa \
         (this one reads version {VERSION}); upgrade annexa to read it"
    )]
    UnsupportedVersion { path: String, found: u64 },
    #[error("{path}:{line}: {reason}")]
    Line {
        path: String,
        line: u64,
        reason: String,
    },
    #[error(
        "{path}:{line}: the compressed data ends in the middle of a frame (file truncated?); \
         copy or collect the inventory again"
    )]
    Truncated { path: String, line: u64 },
}

impl InventoryError {
    /// The file (or origin) the error is about.
    pub fn path(&self) -> &str {
        match self {
            InventoryError::Io { path, .. }
            | InventoryError::BadHeader { path, .. }
            | InventoryError::UnsupportedVersion { path, .. }
            | InventoryError::Line { path, .. }
            | InventoryError::Truncated { path, .. } => path,
        }
    }
}

/// Is this file name zstd compressed (`*.zst`)?
fn is_zstd(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zst"))
}
