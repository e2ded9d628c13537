//! Saving an inventory: during a scan (`--save-inventory`, exactly what was evaluated) or on its
//! own (`annexa collect`). The header's sources and errors are known only at the end; the
//! inventory writer spools the resources and writes the header first when it finishes.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};

use annexa::collect::{Event, Progress};
use annexa::inventory::{Header, Writer};
use annexa::model::ScanResult;
use annexa::scan::ScanError;

pub struct SaveInventory {
    writer: Writer,
    path: String,
    errors: usize,
}

impl SaveInventory {
    pub fn create(path: &Path, now: DateTime<Utc>) -> Result<SaveInventory> {
        let header = Header::new(now.to_rfc3339_opts(SecondsFormat::Secs, true), vec![]);
        let writer = Writer::create(path, &header).with_context(|| format!("creating inventory {}", path.display()))?;
        Ok(SaveInventory { writer, path: path.display().to_string(), errors: 0 })
    }

    pub fn writer(&mut self) -> &mut Writer {
        &mut self.writer
    }

    /// After a scan: the header takes the scan's sources and errors.
    pub fn finish(mut self, result: &ScanResult) -> Result<()> {
        let h = self.writer.header_mut();
        h.sources = result.scope.sources.clone();
        h.errors = result.errors.clone();
        let n = self.writer.finish()?;
        eprintln!("saved {n} resources to {}", self.path);
        Ok(())
    }

    /// `annexa collect`: write every event's resource, keep sources and errors for the header.
    pub fn consume(
        mut self,
        events: impl Iterator<Item = Result<Event, ScanError>>,
        on_progress: &mut dyn FnMut(&Progress),
    ) -> Result<(String, bool)> {
        for event in events {
            match event? {
                Event::Source(s) => self.writer.header_mut().sources.push(s),
                Event::Error(e) => {
                    self.errors += 1;
                    self.writer.add_error(e);
                }
                Event::Progress(p) => on_progress(&p),
                Event::Resource(r) => self.writer.write(&r)?,
            }
        }
        let gaps: Vec<String> = self.writer.header_mut().errors.iter().map(|e| format!("  {}: {}: {}", e.location(), e.kind.as_str(), e.message)).collect();
        let count = self.writer.count();
        let path = self.path.clone();
        self.writer.finish()?;
        let mut summary = format!("saved {count} resources to {path}");
        if !gaps.is_empty() {
            summary.push_str(&format!("\nINCOMPLETE: {} gap(s):\n{}", gaps.len(), gaps.join("\n")));
        }
        Ok((summary, self.errors > 0))
    }
}
