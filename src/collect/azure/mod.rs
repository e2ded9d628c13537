//! Azure collection (issue 4): Resource Graph for the bulk of resources, Resource Manager GETs
//! for what it lacks. Every use of Microsoft's Azure crates stays inside this module.

pub mod normalize;
pub mod options;

pub use options::{AzureCloud, AzureOptions, CredentialEnv, RetryPolicy};
