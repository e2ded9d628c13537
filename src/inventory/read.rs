//! Streaming reader: one header line, then one resource per line.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, ErrorKind, Read};
use std::path::Path;
use std::sync::Arc;

use super::{is_zstd, Header, InventoryError, FORMAT, VERSION};
use crate::model::Resource;

/// Bytes read ahead from the (decompressed) stream; lines longer than this still work.
const BUF_SIZE: usize = 64 * 1024;

/// An open inventory: the header is read and checked, resources come from the iterator.
/// After the first error the iterator ends (`None`), so nothing is skipped silently.
pub struct Reader {
    origin: Arc<str>,
    input: Box<dyn BufRead + Send>,
    header: Header,
    line: String,
    line_no: u64,
    /// First blank line seen and not yet followed by a resource: allowed only at the end.
    blank_at: Option<u64>,
    done: bool,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("origin", &self.origin)
            .field("line", &self.line_no)
            .finish_non_exhaustive()
    }
}

/// Opens an inventory file (zstd when the name ends in `.zst`) and reads its header.
pub fn open(path: &Path) -> Result<Reader, InventoryError> {
    let origin = path.display().to_string();
    let file = File::open(path).map_err(|source| InventoryError::Io {
        path: origin.clone(),
        source,
    })?;
    if is_zstd(path) {
        let decoder = zstd::Decoder::new(file).map_err(|source| InventoryError::Io {
            path: origin.clone(),
            source,
        })?;
        Reader::new(
            origin,
            Box::new(BufReader::with_capacity(BUF_SIZE, decoder)),
        )
    } else {
        Reader::new(origin, Box::new(BufReader::with_capacity(BUF_SIZE, file)))
    }
}

/// Reads an inventory held in memory (the embedded demo estate); `origin` names it in errors
/// and decides compression like a file name does.
pub fn from_bytes(origin: &str, bytes: &'static [u8]) -> Result<Reader, InventoryError> {
    if is_zstd(Path::new(origin)) {
        let decoder = zstd::Decoder::with_buffer(Cursor::new(bytes)).map_err(|source| {
            InventoryError::Io {
                path: origin.to_string(),
                source,
            }
        })?;
        Reader::new(
            origin.to_string(),
            Box::new(BufReader::with_capacity(BUF_SIZE, decoder)),
        )
    } else {
        Reader::new(origin.to_string(), Box::new(Cursor::new(bytes)))
    }
}

/// Reads an uncompressed inventory from any byte stream (stdin, a pipe, a test generator).
pub fn from_reader(
    origin: &str,
    input: impl Read + Send + 'static,
) -> Result<Reader, InventoryError> {
    Reader::new(
        origin.to_string(),
        Box::new(BufReader::with_capacity(BUF_SIZE, input)),
    )
}

impl Reader {
    fn new(origin: String, input: Box<dyn BufRead + Send>) -> Result<Reader, InventoryError> {
        let mut reader = Reader {
            origin: origin.into(),
            input,
            header: Header::new("", Vec::new()),
            line: String::new(),
            line_no: 0,
            blank_at: None,
            done: false,
        };
        if !reader.next_line()? {
            return Err(reader.bad_header("the file is empty; expected a header line"));
        }
        reader.header = reader.parse_header()?;
        Ok(reader)
    }

    /// The header line, as read.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The origin (file path or name) used in errors.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The number of the line read last (1 is the header).
    pub fn line_number(&self) -> u64 {
        self.line_no
    }

    /// Reads the next line into `self.line`; false at the end of the stream.
    fn next_line(&mut self) -> Result<bool, InventoryError> {
        self.line.clear();
        match self.input.read_line(&mut self.line) {
            Ok(0) => Ok(false),
            Ok(_) => {
                self.line_no += 1;
                Ok(true)
            }
            Err(e) => {
                let line = self.line_no + 1;
                let path = self.origin.to_string();
                Err(match e.kind() {
                    // read_line's verdict on bytes that are not UTF-8.
                    ErrorKind::InvalidData => InventoryError::Line {
                        path,
                        line,
                        reason: "not valid UTF-8 text (a compressed file without the .zst name?)"
                            .into(),
                    },
                    // zstd's verdict on a stream that ends inside a frame.
                    ErrorKind::UnexpectedEof => InventoryError::Truncated { path, line },
                    _ => InventoryError::Io { path, source: e },
                })
            }
        }
    }

    fn bad_header(&self, reason: impl Into<String>) -> InventoryError {
        InventoryError::BadHeader {
            path: self.origin.to_string(),
            reason: reason.into(),
        }
    }

    fn parse_header(&self) -> Result<Header, InventoryError> {
        // Look at format and version first: a newer layout may have fields this build rejects,
        // and "upgrade annexa" is the useful message then.
        let value: serde_json::Value = serde_json::from_str(&self.line)
            .map_err(|e| self.bad_header(format!("line 1 is not JSON ({})", strip_position(&e))))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(self.bad_header(format!(
                "line 1 must be a header with \"format\": \"{FORMAT}\" (save inventories with annexa)"
            )));
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) if v > u64::from(VERSION) => {
                return Err(InventoryError::UnsupportedVersion {
                    path: self.origin.to_string(),
                    found: v,
                })
            }
            _ => return Err(self.bad_header(format!("\"version\" must be {VERSION}"))),
        }
        serde_json::from_value(value).map_err(|e| self.bad_header(format!("header: {e}")))
    }
}

impl Reader {
    /// Moves to the next resource line, leaving it in `self.line`; `None` at the end.
    fn advance(&mut self) -> Option<Result<(), InventoryError>> {
        if self.done {
            return None;
        }
        loop {
            match self.next_line() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            if self.line.trim().is_empty() {
                self.blank_at.get_or_insert(self.line_no);
                continue;
            }
            if let Some(blank) = self.blank_at {
                self.done = true;
                return Some(Err(InventoryError::Line {
                    path: self.origin.to_string(),
                    line: blank,
                    reason: "blank line between resources (only the end of the file may be blank)"
                        .into(),
                }));
            }
            return Some(Ok(()));
        }
    }

    /// The next resource line, read and checked like the iterator does but not parsed, so that
    /// a caller can parse batches of lines on several threads ([`RawLine::parse`]). Report the
    /// error of the lowest line number of a batch to keep "first error wins".
    pub fn next_raw(&mut self) -> Option<Result<RawLine, InventoryError>> {
        self.advance().map(|step| {
            step.map(|()| RawLine {
                origin: self.origin.clone(),
                line: self.line_no,
                text: self.line.clone(),
            })
        })
    }
}

/// One resource line and where it came from.
#[derive(Debug, Clone)]
pub struct RawLine {
    origin: Arc<str>,
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub text: String,
}

impl RawLine {
    pub fn parse(&self) -> Result<Resource, InventoryError> {
        parse_resource(&self.origin, self.line, &self.text)
    }
}

fn parse_resource(origin: &str, line: u64, text: &str) -> Result<Resource, InventoryError> {
    serde_json::from_str(text).map_err(|e| InventoryError::Line {
        path: origin.to_string(),
        line,
        reason: format!("not a valid resource: {}", strip_position(&e)),
    })
}

impl Iterator for Reader {
    type Item = Result<Resource, InventoryError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.advance()? {
            Ok(()) => {
                let parsed = parse_resource(&self.origin, self.line_no, &self.line);
                self.done = parsed.is_err();
                Some(parsed)
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// serde_json appends " at line 1 column N"; on one-line documents only the column matters.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => format!("{} (column {})", &text[..i], e.column()),
        _ => text,
    }
}
