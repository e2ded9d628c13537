//! Collection progress on stderr: one line per account / region, drawn only on a terminal.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    multi: Option<MultiProgress>,
    bars: BTreeMap<String, ProgressBar>,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let draw = !quiet && std::io::stderr().is_terminal();
        Progress {
            multi: draw.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            bars: BTreeMap::new(),
        }
    }

    pub fn update(&mut self, p: &annexa::collect::Progress) {
        let Some(multi) = &self.multi else { return };
        let bar = self.bars.entry(p.scope.clone()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new(p.total.unwrap_or(0)));
            bar.set_style(
                ProgressStyle::with_template("{prefix:<40} {bar:24} {pos:>6}/{len:<6} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_prefix(p.scope.clone());
            bar
        });
        if let Some(total) = p.total {
            bar.set_length(total);
        }
        bar.set_position(p.done);
        bar.set_message(p.message.clone());
    }

    pub fn finish(&mut self) {
        for bar in self.bars.values() {
            bar.finish_and_clear();
        }
    }
}
