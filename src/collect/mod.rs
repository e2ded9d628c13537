//! Collection: the only stage that talks to clouds. Collectors turn API responses into
//! `Resource`s and `CollectionError`s and send them as `Event`s while they arrive, so that
//! evaluation can start before collection ends. They never evaluate.

use std::collections::BTreeSet;

use crate::model::{CollectionError, Resource, Source};

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "azure")]
pub mod azure;

/// What a collector reports, in arrival order.
#[derive(Debug, Clone)]
pub enum Event {
    /// An account / subscription the collector covers (sent before its resources).
    Source(Source),
    Resource(Box<Resource>),
    /// A gap: data that could not be read. The scan goes on.
    Error(CollectionError),
    /// Human progress for the console (account, region or API, done / total pages).
    Progress(Progress),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// `aws/123456789012/eu-west-1`, `azure/<subscription>`.
    pub scope: String,
    pub done: u64,
    pub total: Option<u64>,
    pub message: String,
}

/// Channel end a collector writes to. Bounded: a slow evaluator slows collection, memory stays flat.
pub type Sink = tokio::sync::mpsc::Sender<Event>;

/// Which resource types to fetch: `None` means every type the collector knows (saving an
/// inventory for later), `Some` the union of the selected checks' types.
pub type TypeFilter = Option<BTreeSet<String>>;

/// A failure that stops collection altogether (no credentials, bad options). Gaps in
/// otherwise readable data are `Event::Error`, not this.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FatalError(pub String);
