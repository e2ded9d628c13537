//! Azure collection (issue 4): Resource Graph for the bulk of resources, Resource Manager GETs
//! for what it lacks. Every use of Microsoft's Azure crates (`azure_core`, `azure_mgmt_resources`)
//! stays inside this module, so moving to a maintained client changes nothing outside it.
//!
//! Entry point: [`collect`]. Requests are GETs and Resource Graph query POSTs only (read-only:
//! Reader plus Security Reader suffice).

pub mod arm;
pub mod auth;
pub mod certificate;
pub mod http;
pub mod normalize;
pub mod options;
pub mod resource_graph;

use std::collections::BTreeSet;
use std::sync::Arc;

pub use options::{AzureCloud, AzureOptions, CredentialEnv, RetryPolicy};

use crate::collect::{Event, FatalError, Sink, TypeFilter};
use crate::model::{CollectionError, ErrorKind, Provider, Source};

/// What every stage shares: options, the authenticated pipeline, the sink and the wanted types.
pub struct Ctx<'a> {
    pub opts: &'a AzureOptions,
    pub pipeline: http::Pipeline,
    sink: Sink,
    /// Lower-cased wanted types; `None`: all.
    wanted: Option<BTreeSet<String>>,
}

impl Ctx<'_> {
    pub fn wants(&self, resource_type: &str) -> bool {
        self.wanted
            .as_ref()
            .is_none_or(|w| w.contains(&resource_type.to_ascii_lowercase()))
    }

    pub async fn emit(&self, event: Event) -> Result<(), FatalError> {
        self.sink.send(event).await.map_err(|_| {
            FatalError("the Azure collector's receiver stopped; collection aborted".into())
        })
    }

    pub fn gap(
        &self,
        subscription: &str,
        api: &str,
        resource_type: Option<&str>,
        kind: ErrorKind,
        message: &str,
    ) -> CollectionError {
        CollectionError {
            provider: Provider::Azure,
            account: subscription.to_string(),
            region: None,
            resource_type: resource_type.map(str::to_string),
            api: Some(api.to_string()),
            kind,
            message: message.to_string(),
        }
    }

    /// Resource Manager URL for a path (`/subscriptions/...?api-version=...`).
    pub fn url(&self, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.opts.arm_endpoint.trim_end_matches('/'),
            path_and_query
        )
    }

    /// A `nextLink` moved onto our endpoint: the bearer token never goes to a host the user did
    /// not configure.
    pub fn on_endpoint(&self, link: &str) -> String {
        let base = self.opts.arm_endpoint.trim_end_matches('/');
        if link.starts_with(base) {
            return link.to_string();
        }
        match azure_core::Url::parse(link) {
            Ok(u) => {
                let q = u.query().map(|q| format!("?{q}")).unwrap_or_default();
                format!("{base}{}{q}", u.path())
            }
            Err(_) => format!("{base}/{}", link.trim_start_matches('/')),
        }
    }
}

/// Types that are read only to find others (diagnostic settings of vaults, TDE of databases).
fn with_dependencies(wanted: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = wanted.clone();
    if wanted.contains(arm::DIAGNOSTIC_TYPE) {
        out.insert("microsoft.keyvault/vaults".into());
        out.insert("microsoft.network/networksecuritygroups".into());
    }
    if wanted.contains(arm::AUDITING_TYPE) {
        out.insert("microsoft.sql/servers".into());
    }
    if wanted.contains(arm::TDE_TYPE) {
        out.insert("microsoft.sql/servers/databases".into());
    }
    out
}

/// Collects the subscriptions `opts` names (or all the principal can see), sending
/// `Event::Source` per subscription, resources as pages arrive, `Event::Error` for every gap
/// and `Event::Progress`. Fails only when nothing can be collected (no credentials, no
/// subscription list).
pub async fn collect(
    opts: &AzureOptions,
    types: &TypeFilter,
    sink: Sink,
) -> Result<(), FatalError> {
    if opts.max_concurrency == 0 {
        return Err(FatalError("--max-concurrency must be at least 1".into()));
    }
    let transport = http::Transport::new(opts.retry.clone());
    let credential =
        auth::Credential::new(opts, transport.clone()).map_err(|e| FatalError(e.to_string()))?;
    let credential = Arc::new(credential);
    credential
        .token()
        .await
        .map_err(|e| FatalError(format!("Azure sign-in failed: {e}")))?;
    let principal = credential.principal();
    let wanted = types.as_ref().map(|t| {
        t.iter()
            .map(|s| s.to_ascii_lowercase())
            .collect::<BTreeSet<_>>()
    });
    let ctx = Ctx {
        opts,
        pipeline: http::Pipeline {
            transport,
            credential,
            graph_quota: Default::default(),
        },
        sink,
        wanted: wanted.clone(),
    };

    let subscriptions = arm::discover(&ctx).await?;
    if subscriptions.is_empty() && opts.subscriptions.is_empty() {
        return Err(FatalError(
            "the principal sees no Azure subscription; grant it Reader on the subscriptions to scan".into(),
        ));
    }
    let mut active = Vec::new();
    for s in &subscriptions {
        ctx.emit(Event::Source(Source {
            provider: Provider::Azure,
            account: s.id.clone(),
            regions: Vec::new(),
            principal: principal.clone(),
        }))
        .await?;
        if s.readable() {
            active.push(s.id.clone());
        } else {
            let msg = format!(
                "subscription '{}' is {}: nothing in it can be read; re-enable it or leave it out with --subscriptions",
                s.name, s.state
            );
            ctx.emit(Event::Error(ctx.gap(
                &s.id,
                "GET /subscriptions",
                None,
                ErrorKind::Unavailable,
                &msg,
            )))
            .await?;
        }
    }
    if active.is_empty() {
        return Ok(());
    }

    let needed = wanted.as_ref().map(with_dependencies);
    let queries = resource_graph::plan(needed.as_ref());
    let found = resource_graph::collect(&ctx, &active, &queries).await?;
    arm::collect(&ctx, &active, found).await
}
