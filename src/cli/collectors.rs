//! Runs a collector on its own tokio runtime thread and hands its events to the (synchronous,
//! rayon-based) scan as a blocking iterator. The channel is bounded: a slow evaluation slows
//! collection instead of buffering the whole estate.

use anyhow::Result;

use annexa::collect::{Event, FatalError, TypeFilter};
use annexa::scan::ScanError;

use super::scan::Target;

const CHANNEL: usize = 4096;

pub struct Events {
    rx: tokio::sync::mpsc::Receiver<Event>,
    handle: Option<std::thread::JoinHandle<Result<(), FatalError>>>,
}

impl Iterator for Events {
    type Item = Result<Event, ScanError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.rx.blocking_recv() {
            return Some(Ok(e));
        }
        let handle = self.handle.take()?;
        match handle.join() {
            Ok(Ok(())) => None,
            Ok(Err(fatal)) => Some(Err(ScanError::Input(fatal.to_string()))),
            Err(_) => Some(Err(ScanError::Input(
                "the collector crashed; please report this".into(),
            ))),
        }
    }
}

#[cfg_attr(not(any(feature = "aws", feature = "azure")), allow(dead_code))]
fn runtime() -> Result<tokio::runtime::Runtime, FatalError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| FatalError(format!("cannot start the async runtime: {e}")))
}

/// Start collecting `target` for `types` (None: every type, for `annexa collect`).
// A build without collectors has no target to match: the function is then never reached.
#[cfg_attr(
    not(any(feature = "aws", feature = "azure")),
    allow(unreachable_code, unused_variables)
)]
pub fn spawn(target: &Target, types: TypeFilter) -> Result<Events> {
    let (tx, rx) = tokio::sync::mpsc::channel(CHANNEL);
    let handle = match target {
        #[cfg(feature = "aws")]
        Target::Aws(args) => {
            let opts = args.options()?;
            std::thread::spawn(move || {
                runtime()?.block_on(annexa::collect::aws::collect(&opts, &types, tx))
            })
        }
        #[cfg(feature = "azure")]
        Target::Azure(args) => {
            let opts = args.options()?;
            std::thread::spawn(move || {
                runtime()?.block_on(annexa::collect::azure::collect(&opts, &types, tx))
            })
        }
        #[allow(unreachable_patterns)]
        _ => {
            let _ = (tx, types);
            anyhow::bail!("this build has no collectors (built without the aws and azure features)")
        }
    };
    Ok(Events {
        rx,
        handle: Some(handle),
    })
}
