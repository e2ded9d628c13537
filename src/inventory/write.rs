//! Writer: resources are spooled beside the output, the header is written last-but-first (see the
//! module documentation of `inventory` for why and how).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{is_zstd, Header, InventoryError};
use crate::model::{CollectionError, Resource};

/// zstd level: 3 is zstd's default, fast enough to keep up with collection.
const ZSTD_LEVEL: i32 = 3;

enum Spool {
    Plain(BufWriter<File>),
    Zstd(zstd::Encoder<'static, BufWriter<File>>),
}

impl Spool {
    fn sink(&mut self) -> &mut dyn Write {
        match self {
            Spool::Plain(w) => w,
            Spool::Zstd(w) => w,
        }
    }
}

/// Writes an inventory file. Nothing appears at `path` until [`Writer::finish`] succeeds.
pub struct Writer {
    path: PathBuf,
    header: Header,
    spool_path: PathBuf,
    spool: Option<Spool>,
    count: u64,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("path", &self.path)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

/// `.NAME.SUFFIX-PID` next to `path`: same file system, so the final rename is atomic.
fn hidden_sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{suffix}-{}", std::process::id()))
}

impl Writer {
    /// Starts an inventory at `path` (zstd when it ends in `.zst`). `header` may still gain
    /// errors through [`Writer::add_error`] or [`Writer::header_mut`] until `finish`.
    pub fn create(path: &Path, header: &Header) -> Result<Writer, InventoryError> {
        let spool_path = hidden_sibling(path, "spool");
        let io_err = |source| InventoryError::Io {
            // The user named `path`; the spool beside it is our business.
            path: path.display().to_string(),
            source,
        };
        let file = BufWriter::new(File::create(&spool_path).map_err(io_err)?);
        let spool = if is_zstd(path) {
            let mut enc = zstd::Encoder::new(file, ZSTD_LEVEL).map_err(io_err)?;
            enc.include_checksum(true).map_err(io_err)?;
            Spool::Zstd(enc)
        } else {
            Spool::Plain(file)
        };
        Ok(Writer {
            path: path.to_path_buf(),
            header: header.clone(),
            spool_path,
            spool: Some(spool),
            count: 0,
        })
    }

    /// Appends one resource.
    pub fn write(&mut self, r: &Resource) -> Result<(), InventoryError> {
        let spool = self.spool.as_mut().expect("spool is open until finish");
        let sink = spool.sink();
        serde_json::to_writer(&mut *sink, r)
            .map_err(io::Error::from)
            .and_then(|()| sink.write_all(b"\n"))
            .map_err(|source| InventoryError::Io {
                path: self.spool_path.display().to_string(),
                source,
            })?;
        self.count += 1;
        Ok(())
    }

    /// Records a collection gap in the header written by `finish`.
    pub fn add_error(&mut self, e: CollectionError) {
        self.header.errors.push(e);
    }

    /// The header `finish` will write.
    pub fn header_mut(&mut self) -> &mut Header {
        &mut self.header
    }

    /// Resources written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Writes header + resources to the output path; returns the number of resources.
    pub fn finish(mut self) -> Result<u64, InventoryError> {
        let spool = self.spool.take().expect("finish runs once");
        let spool_err = |source| InventoryError::Io {
            path: self.spool_path.display().to_string(),
            source,
        };
        let file = match spool {
            Spool::Plain(w) => w.into_inner().map_err(|e| e.into_error()),
            Spool::Zstd(enc) => enc
                .finish()
                .and_then(|w| w.into_inner().map_err(|e| e.into_error())),
        }
        .map_err(spool_err)?;
        drop(file);

        let tmp_path = hidden_sibling(&self.path, "tmp");
        let result = self.assemble(&tmp_path).and_then(|()| {
            fs::rename(&tmp_path, &self.path).map_err(|source| InventoryError::Io {
                path: self.path.display().to_string(),
                source,
            })
        });
        if result.is_err() {
            let _ = fs::remove_file(&tmp_path);
        }
        result.map(|()| self.count)
        // Drop removes the spool.
    }

    fn assemble(&self, tmp_path: &Path) -> Result<(), InventoryError> {
        let tmp_err = |source| InventoryError::Io {
            path: tmp_path.display().to_string(),
            source,
        };
        let mut header_line = serde_json::to_vec(&self.header).map_err(|e| tmp_err(e.into()))?;
        header_line.push(b'\n');
        if is_zstd(&self.path) {
            // A frame of its own: concatenated zstd frames decode as one stream.
            header_line = zstd::encode_all(&header_line[..], ZSTD_LEVEL).map_err(tmp_err)?;
        }
        let mut out = File::create(tmp_path).map_err(tmp_err)?;
        out.write_all(&header_line).map_err(tmp_err)?;
        let mut spool = File::open(&self.spool_path).map_err(|source| InventoryError::Io {
            path: self.spool_path.display().to_string(),
            source,
        })?;
        io::copy(&mut spool, &mut out).map_err(tmp_err)?;
        out.sync_all().map_err(tmp_err)?;
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.spool = None;
        let _ = fs::remove_file(&self.spool_path);
    }
}
