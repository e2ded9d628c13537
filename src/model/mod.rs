//! The data every stage exchanges: resources in, findings and control results out.
//! Pure data with serde; no I/O and no behaviour beyond small, obvious helpers.

mod finding;
mod findings;
mod resource;
mod result;

pub use finding::{
    canonical_resource_id, AcceptedRisk, Evidence, Finding, FindingStatus, Severity,
};
pub use findings::{finding_order, Findings, FindingsBuilder};
pub use resource::{
    account_key, is_global_type, CollectionError, ErrorKind, Provider, Resource, Source,
};
pub use result::{
    AccountScope, Automation, CheckInfo, CheckStats, ControlCheck, ControlResult, ControlStatus,
    Remediation, ScanResult, Scope, Strength, SuppressionReport, SuppressionState, Theme, ToolInfo,
    RESULTS_FORMAT, RESULTS_VERSION,
};
