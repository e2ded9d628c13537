//! Reporters: pure functions of a `ScanResult`, one module per format. Each format implements
//! `Reporter`; the CLI picks them by `--format` and gives them a `Sink` that writes each file
//! as it comes.

pub mod baseline;
pub mod console;
pub mod html;
pub mod json;
pub mod sarif;
pub mod soa;

use crate::model::ScanResult;

/// A file a reporter produced, named relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Something the user should read about this file (e.g. a SARIF split into parts).
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{format} report: {message}")]
pub struct ReportError {
    pub format: &'static str,
    pub message: String,
}

/// The first `limit` items in `order` of a stream, holding at most twice that many: the list is
/// sorted (stably) and cut whenever it doubles, which gives exactly what sorting the whole stream
/// and taking `limit` would, equal items in arrival order.
pub(crate) struct FirstN<T> {
    items: Vec<T>,
    limit: usize,
    order: fn(&T, &T) -> std::cmp::Ordering,
}

impl<T> FirstN<T> {
    pub(crate) fn new(limit: usize, order: fn(&T, &T) -> std::cmp::Ordering) -> Self {
        FirstN {
            items: Vec::new(),
            limit,
            order,
        }
    }

    pub(crate) fn push(&mut self, item: T) {
        self.items.push(item);
        if self.items.len() >= 2 * self.limit.max(1) {
            self.cut();
        }
    }

    fn cut(&mut self) {
        self.items.sort_by(self.order);
        self.items.truncate(self.limit);
    }

    pub(crate) fn into_sorted(mut self) -> Vec<T> {
        self.cut();
        self.items
    }
}

/// Writes one streamed file's content.
pub type WriteContent<'a> = dyn FnMut(&mut dyn std::io::Write) -> Result<(), ReportError> + 'a;

/// Where a reporter's files go, each as soon as it is made: the CLI writes them to the output
/// directory, so that only one large file is in memory at a time; `Vec<OutputFile>` collects
/// them (tests, `Reporter::render`).
pub trait Sink {
    /// A whole file. A later file of the same name replaces an earlier one.
    fn file(&mut self, file: OutputFile) -> Result<(), ReportError>;
    /// A file written piece by piece through `write` (results.json of a large estate).
    fn stream(&mut self, name: &str, write: &mut WriteContent<'_>) -> Result<(), ReportError>;
}

impl Sink for Vec<OutputFile> {
    fn file(&mut self, file: OutputFile) -> Result<(), ReportError> {
        match self.iter_mut().find(|f| f.name == file.name) {
            Some(earlier) => *earlier = file,
            None => self.push(file),
        }
        Ok(())
    }

    fn stream(&mut self, name: &str, write: &mut WriteContent<'_>) -> Result<(), ReportError> {
        let mut bytes = Vec::new();
        write(&mut bytes)?;
        self.file(OutputFile {
            name: name.to_string(),
            bytes,
            note: None,
        })
    }
}

pub trait Reporter {
    /// The format's name as given to `--format`.
    fn name(&self) -> &'static str;
    /// Hand the format's files to `sink`, one at a time.
    fn write(&self, result: &ScanResult, sink: &mut dyn Sink) -> Result<(), ReportError>;
    /// Whether a file of this name, left in the output directory by an earlier run, belongs to
    /// this format and must go before it writes (SARIF parts: a run split into fewer parts must
    /// not leave old ones to be uploaded again).
    fn replaces(&self, _name: &str) -> bool {
        false
    }
    /// All files in memory.
    fn render(&self, result: &ScanResult) -> Result<Vec<OutputFile>, ReportError> {
        let mut files = Vec::new();
        self.write(result, &mut files)?;
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::FirstN;

    #[test]
    fn first_n_equals_sorting_everything_and_keeps_arrival_order_among_equals() {
        let items: Vec<(u32, usize)> = (0..1000).map(|i| ((i * 7919 % 13) as u32, i)).collect();
        for limit in [0, 1, 5, 64, 999, 2000] {
            let mut first = FirstN::new(limit, |a: &(u32, usize), b| a.0.cmp(&b.0));
            for it in &items {
                first.push(*it);
            }
            let mut all = items.clone();
            all.sort_by_key(|a| a.0);
            all.truncate(limit);
            assert_eq!(first.into_sorted(), all, "limit {limit}");
        }
    }
}
