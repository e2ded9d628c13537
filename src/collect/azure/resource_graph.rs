//! Azure Resource Graph: the bulk of the inventory in few requests. One query per table
//! (`Resources`, `SecurityResources`, `AuthorizationResources`) and subscription batch, 1000 rows
//! a page, `$skipToken` paging that is bounded (a repeated token, a token after every row the
//! service announced, or more pages than `max_pages` stop it with a CollectionError).

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Value};

use super::http::HttpError;
use super::normalize::{self, graph_skip_token, Hint, NormalizeError};
use super::Ctx;
use crate::collect::{Event, FatalError, Progress};
use crate::model::{ErrorKind, Resource};

pub const API_VERSION: &str = "2024-04-01";
pub const PATH: &str = "/providers/Microsoft.ResourceGraph/resources";

/// Types read from Resource Manager instead, so the tables must not return them twice.
pub const ARM_ONLY: &[&str] = &[
    "microsoft.insights/diagnosticsettings",
    "microsoft.insights/activitylogalerts",
    "microsoft.sql/servers/auditingsettings",
    "microsoft.sql/servers/databases/transparentdataencryption",
    "microsoft.resources/subscriptions/resourcegroups",
    "microsoft.resources/subscriptions",
];

/// What an unfiltered collection reads from the tables other than `Resources` (they hold many
/// more types, most of them noise for a configuration scan).
const SECURITY_DEFAULT: &[&str] = &[
    "microsoft.security/pricings",
    "microsoft.security/assessments",
];
const AUTHORIZATION_DEFAULT: &[&str] = &[
    "microsoft.authorization/roleassignments",
    "microsoft.authorization/roledefinitions",
];

/// The table a type lives in.
pub fn table_of(resource_type: &str) -> Option<&'static str> {
    let t = resource_type.to_ascii_lowercase();
    if ARM_ONLY.contains(&t.as_str()) {
        None
    } else if t.starts_with("microsoft.security/") {
        Some("SecurityResources")
    } else if t.starts_with("microsoft.authorization/") {
        Some("AuthorizationResources")
    } else {
        Some("Resources")
    }
}

/// One table's query: `types = None` means every type of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableQuery {
    pub table: &'static str,
    pub types: Option<Vec<String>>,
}

impl TableQuery {
    /// KQL for this table. Type names are checked (letters, digits, `.`, `/`, `-`) so a check
    /// file cannot inject query text.
    pub fn kql(&self) -> String {
        let filter = match &self.types {
            Some(types) => {
                let list: Vec<String> = types.iter().map(|t| format!("'{t}'")).collect();
                format!("| where type in~ ({}) ", list.join(", "))
            }
            None => {
                let skip: Vec<String> = ARM_ONLY.iter().map(|t| format!("'{t}'")).collect();
                format!("| where type !in~ ({}) ", skip.join(", "))
            }
        };
        format!(
            "{} {filter}| project id, name, type, location, tags, properties, sku, kind, identity, subscriptionId | order by id asc",
            self.table
        )
    }
}

fn safe_type(t: &str) -> bool {
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-' | '_'))
}

/// The table queries for the wanted types (`None`: everything annexa knows).
pub fn plan(wanted: Option<&BTreeSet<String>>) -> Vec<TableQuery> {
    let Some(wanted) = wanted else {
        return vec![
            TableQuery {
                table: "Resources",
                types: None,
            },
            TableQuery {
                table: "SecurityResources",
                types: Some(SECURITY_DEFAULT.iter().map(|s| s.to_string()).collect()),
            },
            TableQuery {
                table: "AuthorizationResources",
                types: Some(
                    AUTHORIZATION_DEFAULT
                        .iter()
                        .map(|s| s.to_string())
                        .collect(),
                ),
            },
        ];
    };
    let mut out: Vec<TableQuery> = Vec::new();
    for t in wanted.iter().filter(|t| safe_type(t)) {
        let Some(table) = table_of(t) else { continue };
        match out.iter_mut().find(|q| q.table == table) {
            Some(q) => q
                .types
                .get_or_insert_with(Vec::new)
                .push(t.to_ascii_lowercase()),
            None => out.push(TableQuery {
                table,
                types: Some(vec![t.to_ascii_lowercase()]),
            }),
        }
    }
    out
}

/// Why a query stopped.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{0}")]
    Invalid(#[from] NormalizeError),
    #[error("{0}")]
    Paging(String),
}

impl GraphError {
    fn kind(&self) -> ErrorKind {
        match self {
            GraphError::Http(e) => e.kind(),
            GraphError::Invalid(_) | GraphError::Paging(_) => ErrorKind::InvalidResponse,
        }
    }
}

/// What the Resource Manager stage needs from the rows: resources to enrich or to look under.
#[derive(Debug, Default)]
pub struct Found {
    /// Web apps, held back until their `config/web` is merged in.
    pub sites: Vec<Resource>,
    /// Key vaults and network security groups: their diagnostic settings are read.
    pub diagnostic_targets: Vec<(String, String)>,
    pub sql_servers: Vec<(String, String)>,
    pub sql_databases: Vec<(String, String)>,
    /// Subscriptions whose Defender pricings came from SecurityResources.
    pub pricing_subscriptions: HashSet<String>,
    /// (table, subscription) pairs whose query failed: the ARM stage must not add to a gap.
    pub failed: Vec<(&'static str, String)>,
}

impl Found {
    fn merge(&mut self, other: Found) {
        self.sites.extend(other.sites);
        self.diagnostic_targets.extend(other.diagnostic_targets);
        self.sql_servers.extend(other.sql_servers);
        self.sql_databases.extend(other.sql_databases);
        self.pricing_subscriptions
            .extend(other.pricing_subscriptions);
        self.failed.extend(other.failed);
    }
}

/// Runs every table query over every subscription batch, the tables in parallel.
pub async fn collect(
    ctx: &Ctx<'_>,
    subscriptions: &[String],
    queries: &[TableQuery],
) -> Result<Found, FatalError> {
    let batch = ctx.opts.subscription_batch.max(1);
    let mut jobs = Vec::new();
    for q in queries {
        for chunk in subscriptions.chunks(batch) {
            jobs.push(run_table(ctx, q, chunk.to_vec()));
        }
    }
    let mut found = Found::default();
    for r in futures::future::join_all(jobs).await {
        found.merge(r?);
    }
    Ok(found)
}

async fn run_table(ctx: &Ctx<'_>, q: &TableQuery, subs: Vec<String>) -> Result<Found, FatalError> {
    let mut found = Found::default();
    let mut pending = vec![subs];
    while let Some(batch) = pending.pop() {
        match query_pages(ctx, q, &batch, &mut found).await? {
            Ok(()) => {}
            // One subscription the principal cannot read fails the whole batch: ask again one
            // by one, so the gap names the subscription and the others are still collected.
            Err((GraphError::Http(e), 0))
                if e.kind() == ErrorKind::AccessDenied && batch.len() > 1 =>
            {
                pending.extend(batch.into_iter().map(|s| vec![s]));
            }
            Err((e, _)) => {
                for sub in &batch {
                    found.failed.push((q.table, sub.clone()));
                    for gap in gaps(ctx, q, sub, &e) {
                        ctx.emit(Event::Error(gap)).await?;
                    }
                }
            }
        }
    }
    Ok(found)
}

fn gaps(
    ctx: &Ctx<'_>,
    q: &TableQuery,
    sub: &str,
    e: &GraphError,
) -> Vec<crate::model::CollectionError> {
    let api = format!("POST {PATH} ({})", q.table);
    let advice = match e {
        GraphError::Http(h) => h.advice(),
        GraphError::Invalid(_) => {
            "Resource Graph sent a page annexa cannot read; run again, and report it if it persists"
        }
        GraphError::Paging(_) => {
            "Resource Graph paging did not end; run again later, and report it if it persists"
        }
    };
    let message = format!("{e}; {advice}");
    match &q.types {
        Some(types) => types
            .iter()
            .map(|t| ctx.gap(sub, &api, Some(t), e.kind(), &message))
            .collect(),
        None => vec![ctx.gap(sub, &api, None, e.kind(), &message)],
    }
}

/// Pages through one query. The outer error stops the collection (the sink is gone); the
/// inner one is a gap, with the number of pages read before it.
async fn query_pages(
    ctx: &Ctx<'_>,
    q: &TableQuery,
    subs: &[String],
    found: &mut Found,
) -> Result<Result<(), (GraphError, u32)>, FatalError> {
    let url = format!(
        "{}{PATH}?api-version={API_VERSION}",
        ctx.opts.arm_endpoint.trim_end_matches('/')
    );
    let kql = q.kql();
    let page_size = ctx.opts.page_size.clamp(1, 1000);
    let scope = match subs {
        [one] => format!("azure/{one}"),
        many => format!("azure/{} subscriptions", many.len()),
    };
    let request = |token: Option<String>| {
        let mut options = json!({"$top": page_size, "resultFormat": "objectArray"});
        if let Some(t) = token {
            options["$skipToken"] = json!(t);
        }
        let body = json!({"subscriptions": subs, "query": kql, "options": options});
        let (pipeline, url) = (ctx.pipeline.clone(), url.clone());
        // Spawned, so the next page travels while this one is parsed, normalised and sent on.
        tokio::spawn(async move { pipeline.graph_query_bytes(&url, &body).await })
    };
    let mut seen: HashSet<String> = HashSet::new();
    let (mut pages, mut rows) = (0u32, 0u64);
    let mut in_flight = request(None);
    loop {
        let bytes = match in_flight.await {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => return Ok(Err((e.into(), pages))),
            Err(join) => {
                return Err(FatalError(format!(
                    "a Resource Graph request task failed: {join}"
                )))
            }
        };
        pages += 1;
        // The token first (a fast scan), the next request on its way, then the rows. A token
        // seen before is never requested again.
        let early = graph_skip_token(&bytes);
        let repeated = early.as_ref().is_some_and(|t| !seen.insert(t.clone()));
        let mut prefetch = match &early {
            Some(t) if !repeated && pages < ctx.opts.max_pages => Some(request(Some(t.clone()))),
            _ => None,
        };
        let parsed = serde_json::from_slice::<Value>(&bytes)
            .map_err(|e| GraphError::Http(HttpError::InvalidJson(e.to_string())))
            .and_then(|v| normalize::graph_page(v).map_err(GraphError::from));
        drop(bytes);
        let page = match parsed {
            Ok(p) => p,
            Err(e) => {
                abort(prefetch.take());
                return Ok(Err((e, pages)));
            }
        };
        rows += page.rows.len() as u64;
        let stop = match &page.skip_token {
            None => None,
            Some(_) if repeated => Some("the service sent the same $skipToken twice"),
            Some(_) if page.rows.is_empty() => {
                Some("the service sent an empty page with a $skipToken")
            }
            Some(_) if page.total_records.is_some_and(|t| rows >= t) => {
                Some("the service sent a $skipToken after every row it announced")
            }
            Some(_) if pages >= ctx.opts.max_pages => Some("the query reached the page limit"),
            Some(t) if early.as_deref() != Some(t.as_str()) => {
                Some("the page's $skipToken could not be read")
            }
            Some(_) => None,
        };
        if stop.is_some() || page.skip_token.is_none() {
            abort(prefetch.take());
        }
        let total_pages = page
            .total_records
            .map(|t| t.div_ceil(u64::from(page_size)).max(1));
        let message = match page.total_records {
            Some(t) => format!("Resource Graph {}: {rows} of {t} rows", q.table),
            None => format!("Resource Graph {}: {rows} rows", q.table),
        };
        let total = page
            .total_records
            .map(|t| t.to_string())
            .unwrap_or_else(|| "?".into());
        for row in page.rows {
            if let Err(e) = handle_row(ctx, q, row, found).await {
                abort(prefetch.take());
                return Err(e);
            }
        }
        ctx.emit(Event::Progress(Progress {
            scope: scope.clone(),
            done: u64::from(pages),
            total: total_pages,
            message,
        }))
        .await?;
        if let Some(why) = stop {
            let msg = format!("paging stopped after {pages} pages ({rows} of {total} rows): {why}");
            return Ok(Err((GraphError::Paging(msg), pages)));
        }
        match prefetch {
            Some(p) => in_flight = p,
            None => return Ok(Ok(())),
        }
    }
}

fn abort<T>(task: Option<tokio::task::JoinHandle<T>>) {
    if let Some(t) = task {
        t.abort();
    }
}

async fn handle_row(
    ctx: &Ctx<'_>,
    q: &TableQuery,
    row: Value,
    found: &mut Found,
) -> Result<(), FatalError> {
    // Only a row that fails needs its text again, for the error's subscription.
    let ids = (row.get("subscriptionId").cloned(), row.get("id").cloned());
    let r = match normalize::resource_owned(row, Hint::default()) {
        Ok(r) => r,
        Err(e) => {
            let row = json!({"subscriptionId": ids.0, "id": ids.1});
            let api = format!("POST {PATH} ({})", q.table);
            let sub = row
                .get("subscriptionId")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    row.get("id")
                        .and_then(Value::as_str)
                        .and_then(normalize::subscription_of)
                })
                .unwrap_or_default();
            let msg = format!("a row could not be read ({e}); it is left out");
            return ctx
                .emit(Event::Error(ctx.gap(
                    &sub,
                    &api,
                    None,
                    ErrorKind::InvalidResponse,
                    &msg,
                )))
                .await;
        }
    };
    match r.resource_type.as_str() {
        "microsoft.keyvault/vaults" | "microsoft.network/networksecuritygroups" => found
            .diagnostic_targets
            .push((r.account.clone(), r.id.clone())),
        "microsoft.sql/servers" => found.sql_servers.push((r.account.clone(), r.id.clone())),
        "microsoft.sql/servers/databases" => {
            found.sql_databases.push((r.account.clone(), r.id.clone()))
        }
        "microsoft.security/pricings" => {
            found.pricing_subscriptions.insert(r.account.clone());
        }
        _ => {}
    }
    if !ctx.wants(&r.resource_type) {
        return Ok(());
    }
    if r.resource_type == "microsoft.web/sites" {
        found.sites.push(r);
        return Ok(());
    }
    ctx.emit(Event::Resource(Box::new(r))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_splits_tables_and_skips_arm_types() {
        let wanted: BTreeSet<String> = [
            "microsoft.storage/storageaccounts",
            "microsoft.security/pricings",
            "microsoft.authorization/roleassignments",
            "microsoft.insights/diagnosticsettings",
            "microsoft.web/sites",
            "bad' | evil",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let p = plan(Some(&wanted));
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].table, "AuthorizationResources");
        let res = p.iter().find(|q| q.table == "Resources").unwrap();
        assert_eq!(
            res.types.as_deref(),
            Some(
                &[
                    "microsoft.storage/storageaccounts".to_string(),
                    "microsoft.web/sites".to_string()
                ][..]
            )
        );
        assert!(res.kql().starts_with("Resources | where type in~ ('microsoft.storage/storageaccounts', 'microsoft.web/sites')"));
        assert!(!p.iter().any(|q| q.kql().contains("evil")));
        let all = plan(None);
        assert!(all[0].kql().contains("!in~"));
        assert_eq!(all.len(), 3);
    }
}
