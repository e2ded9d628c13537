//! Resource Manager: subscription discovery, and bounded-concurrency GETs for what Resource
//! Graph does not carry (web app `config/web`, diagnostic settings, Defender pricings, activity
//! log alerts, SQL auditing and TDE). Resource groups come through `azure_mgmt_resources`.

use std::collections::HashSet;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};

use super::auth::SdkCredential;
use super::http::HttpError;
use super::normalize::{self, Hint};
use super::resource_graph::Found;
use super::Ctx;
use crate::collect::{Event, FatalError};
use crate::model::{ErrorKind, Resource};

const SUBSCRIPTIONS_API: &str = "2022-12-01";
const DIAGNOSTIC_API: &str = "2021-05-01-preview";
const PRICINGS_API: &str = "2024-01-01";
const ALERTS_API: &str = "2020-10-01";
const SQL_API: &str = "2021-11-01";
const WEB_API: &str = "2023-12-01";

pub const DIAGNOSTIC_TYPE: &str = "microsoft.insights/diagnosticsettings";
pub const AUDITING_TYPE: &str = "microsoft.sql/servers/auditingsettings";
pub const TDE_TYPE: &str = "microsoft.sql/servers/databases/transparentdataencryption";
pub const PRICING_TYPE: &str = "microsoft.security/pricings";
pub const ALERT_TYPE: &str = "microsoft.insights/activitylogalerts";
pub const RESOURCE_GROUP_TYPE: &str = "microsoft.resources/subscriptions/resourcegroups";

/// A subscription as `GET /subscriptions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub name: String,
    pub state: String,
}

impl Subscription {
    /// Disabled and deleted subscriptions answer every read with an error.
    pub fn readable(&self) -> bool {
        !matches!(
            self.state.to_ascii_lowercase().as_str(),
            "disabled" | "deleted"
        )
    }
}

/// Every page of an ARM list, following `nextLink` (kept on our endpoint, bounded).
pub async fn list_all(ctx: &Ctx<'_>, first: &str) -> Result<Vec<Value>, HttpError> {
    let mut url = first.to_string();
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for _ in 0..ctx.opts.max_pages {
        let body = ctx.pipeline.get_json(&url).await?;
        let page = normalize::arm_list(&body).map_err(|e| HttpError::InvalidJson(e.to_string()))?;
        items.extend(page.items);
        let Some(next) = page.next_link else {
            return Ok(items);
        };
        let next = ctx.on_endpoint(&next);
        if !seen.insert(next.clone()) {
            return Err(HttpError::InvalidJson(format!(
                "nextLink repeats after {} items",
                items.len()
            )));
        }
        url = next;
    }
    Err(HttpError::InvalidJson(format!(
        "more than {} pages",
        ctx.opts.max_pages
    )))
}

/// The subscriptions to scan: the ones asked for, or every one the principal can see.
/// Asked-for subscriptions that are not visible become gaps, not silence.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Subscription>, FatalError> {
    let visible = if let Some(mg) = &ctx.opts.management_group {
        management_group_subscriptions(ctx, mg).await
    } else {
        let url = ctx.url(&format!("/subscriptions?api-version={SUBSCRIPTIONS_API}"));
        list_all(ctx, &url)
            .await
            .map(|items| items.iter().filter_map(subscription).collect())
    };
    let visible: Vec<Subscription> = visible.map_err(|e| {
        FatalError(format!(
            "cannot list Azure subscriptions ({e}); {}",
            "check the credentials and that the principal has Reader on at least one subscription"
        ))
    })?;
    if ctx.opts.subscriptions.is_empty() {
        return Ok(visible);
    }
    let mut out = Vec::new();
    for wanted in &ctx.opts.subscriptions {
        let w = wanted.to_ascii_lowercase();
        match visible.iter().find(|s| s.id == w) {
            Some(s) => out.push(s.clone()),
            None => {
                let msg = "the principal cannot see this subscription; grant it Reader on the subscription or check the id";
                ctx.emit(Event::Error(ctx.gap(
                    &w,
                    "GET /subscriptions",
                    None,
                    ErrorKind::AccessDenied,
                    msg,
                )))
                .await?;
            }
        }
    }
    Ok(out)
}

fn subscription(v: &Value) -> Option<Subscription> {
    let id = v
        .get("subscriptionId")
        .and_then(Value::as_str)?
        .to_ascii_lowercase();
    Some(Subscription {
        name: v
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or(&id)
            .to_string(),
        state: v
            .get("state")
            .and_then(Value::as_str)
            .unwrap_or("Enabled")
            .to_string(),
        id,
    })
}

/// Subscriptions under a management group, from Resource Graph's `ResourceContainers`.
async fn management_group_subscriptions(
    ctx: &Ctx<'_>,
    mg: &str,
) -> Result<Vec<Subscription>, HttpError> {
    use super::resource_graph::{API_VERSION, PATH};
    let url = format!(
        "{}{PATH}?api-version={API_VERSION}",
        ctx.opts.arm_endpoint.trim_end_matches('/')
    );
    let query = "ResourceContainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId, name, properties | order by subscriptionId asc";
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut seen = HashSet::new();
    for _ in 0..ctx.opts.max_pages {
        let mut options = json!({"$top": 1000, "resultFormat": "objectArray"});
        if let Some(t) = &token {
            options["$skipToken"] = json!(t);
        }
        let body = json!({"managementGroups": [mg], "query": query, "options": options});
        let reply = ctx.pipeline.graph_query(&url, &body).await?;
        let page =
            normalize::graph_page(reply).map_err(|e| HttpError::InvalidJson(e.to_string()))?;
        for row in &page.rows {
            let id = row
                .get("subscriptionId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase();
            if id.is_empty() {
                continue;
            }
            out.push(Subscription {
                name: row
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(&id)
                    .to_string(),
                state: row
                    .pointer("/properties/state")
                    .and_then(Value::as_str)
                    .unwrap_or("Enabled")
                    .to_string(),
                id,
            });
        }
        match page.skip_token {
            Some(t) if seen.insert(t.clone()) && !page.rows.is_empty() => token = Some(t),
            Some(_) => {
                return Err(HttpError::InvalidJson(
                    "Resource Graph paging did not end".into(),
                ))
            }
            None => return Ok(out),
        }
    }
    Err(HttpError::InvalidJson(
        "Resource Graph paging did not end".into(),
    ))
}

/// One Resource Manager read.
#[derive(Debug)]
enum Job {
    SubscriptionDiagnostics(String),
    ResourceDiagnostics { sub: String, id: String },
    Pricings(String),
    ActivityLogAlerts(String),
    SqlAuditing { sub: String, server: String },
    Tde { sub: String, database: String },
    SiteConfig(Box<Resource>),
    ResourceGroups(String),
}

/// Plans and runs every Resource Manager read, `max_concurrency` at a time, sending results as
/// they complete.
pub async fn collect(
    ctx: &Ctx<'_>,
    subscriptions: &[String],
    found: Found,
) -> Result<(), FatalError> {
    let mut jobs = Vec::new();
    let failed_pricings: HashSet<&String> = found
        .failed
        .iter()
        .filter(|(t, _)| *t == "SecurityResources")
        .map(|(_, s)| s)
        .collect();
    for sub in subscriptions {
        if ctx.wants(DIAGNOSTIC_TYPE) {
            jobs.push(Job::SubscriptionDiagnostics(sub.clone()));
        }
        if ctx.wants(PRICING_TYPE)
            && !found.pricing_subscriptions.contains(sub)
            && !failed_pricings.contains(sub)
        {
            jobs.push(Job::Pricings(sub.clone()));
        }
        if ctx.wants(ALERT_TYPE) {
            jobs.push(Job::ActivityLogAlerts(sub.clone()));
        }
        if ctx.wants(RESOURCE_GROUP_TYPE) {
            jobs.push(Job::ResourceGroups(sub.clone()));
        }
    }
    if ctx.wants(DIAGNOSTIC_TYPE) {
        jobs.extend(
            found
                .diagnostic_targets
                .into_iter()
                .map(|(sub, id)| Job::ResourceDiagnostics { sub, id }),
        );
    }
    if ctx.wants(AUDITING_TYPE) {
        jobs.extend(
            found
                .sql_servers
                .into_iter()
                .map(|(sub, server)| Job::SqlAuditing { sub, server }),
        );
    }
    if ctx.wants(TDE_TYPE) {
        jobs.extend(
            found
                .sql_databases
                .into_iter()
                .filter(|(_, db)| !db.ends_with("/databases/master"))
                .map(|(sub, database)| Job::Tde { sub, database }),
        );
    }
    jobs.extend(
        found
            .sites
            .into_iter()
            .map(|s| Job::SiteConfig(Box::new(s))),
    );

    let total = jobs.len() as u64;
    let mut done = 0u64;
    let mut results = futures::stream::iter(jobs)
        .map(|j| run(ctx, j))
        .buffer_unordered(ctx.opts.max_concurrency.max(1));
    while let Some(events) = results.next().await {
        for e in events {
            ctx.emit(e).await?;
        }
        done += 1;
        ctx.emit(Event::Progress(crate::collect::Progress {
            scope: "azure".into(),
            done,
            total: Some(total),
            message: format!("Resource Manager: {done} of {total} reads"),
        }))
        .await?;
    }
    Ok(())
}

async fn run(ctx: &Ctx<'_>, job: Job) -> Vec<Event> {
    match job {
        Job::SubscriptionDiagnostics(sub) => {
            let scope = format!("/subscriptions/{sub}");
            diagnostics(ctx, &sub, &scope).await
        }
        Job::ResourceDiagnostics { sub, id } => diagnostics(ctx, &sub, &id).await,
        Job::Pricings(sub) => {
            let path = format!("/subscriptions/{sub}/providers/Microsoft.Security/pricings?api-version={PRICINGS_API}");
            listed(
                ctx,
                &sub,
                &path,
                PRICING_TYPE,
                "GET /subscriptions/{id}/providers/Microsoft.Security/pricings",
            )
            .await
        }
        Job::ActivityLogAlerts(sub) => {
            let path =
                format!("/subscriptions/{sub}/providers/Microsoft.Insights/activityLogAlerts?api-version={ALERTS_API}");
            listed(
                ctx,
                &sub,
                &path,
                ALERT_TYPE,
                "GET /subscriptions/{id}/providers/Microsoft.Insights/activityLogAlerts",
            )
            .await
        }
        Job::SqlAuditing { sub, server } => {
            let id = format!("{server}/auditingsettings/default");
            single(
                ctx,
                &sub,
                &id,
                AUDITING_TYPE,
                "GET {server}/auditingSettings/default",
            )
            .await
        }
        Job::Tde { sub, database } => {
            let id = format!("{database}/transparentdataencryption/current");
            single(
                ctx,
                &sub,
                &id,
                TDE_TYPE,
                "GET {database}/transparentDataEncryption/current",
            )
            .await
        }
        Job::SiteConfig(site) => site_config(ctx, *site).await,
        Job::ResourceGroups(sub) => resource_groups(ctx, &sub).await,
    }
}

fn api_version(resource_type: &str) -> &'static str {
    match resource_type {
        AUDITING_TYPE | TDE_TYPE => SQL_API,
        _ => WEB_API,
    }
}

/// A list read (pricings, alerts): every item a resource of `resource_type`.
async fn listed(
    ctx: &Ctx<'_>,
    sub: &str,
    path: &str,
    resource_type: &str,
    api: &str,
) -> Vec<Event> {
    match list_all(ctx, &ctx.url(path)).await {
        Ok(items) => to_resources(ctx, sub, &items, resource_type, api, |_| {}),
        Err(e) if is_not_found(&e) => Vec::new(),
        Err(e) => vec![http_gap(ctx, sub, api, Some(resource_type), &e)],
    }
}

/// A singleton read (`.../auditingSettings/default`); its id is the path asked for, because
/// some answers carry the parent's id (TDE returns the database's).
async fn single(ctx: &Ctx<'_>, sub: &str, id: &str, resource_type: &str, api: &str) -> Vec<Event> {
    let url = ctx.url(&format!("{id}?api-version={}", api_version(resource_type)));
    match ctx.pipeline.get_json(&url).await {
        Ok(body) => to_resources(ctx, sub, &[body], resource_type, api, |r| {
            r.id = id.to_string();
            r.resource_type = resource_type.to_string();
        }),
        Err(e) if is_not_found(&e) => Vec::new(),
        Err(e) => vec![http_gap(ctx, sub, api, Some(resource_type), &e)],
    }
}

/// Diagnostic settings of a subscription or resource; `config.scope` says whose they are.
async fn diagnostics(ctx: &Ctx<'_>, sub: &str, scope: &str) -> Vec<Event> {
    let url = ctx.url(&format!(
        "{scope}/providers/Microsoft.Insights/diagnosticSettings?api-version={DIAGNOSTIC_API}"
    ));
    let api = if scope.matches('/').count() <= 2 {
        "GET /subscriptions/{id}/providers/Microsoft.Insights/diagnosticSettings".to_string()
    } else {
        format!("GET {scope}/providers/Microsoft.Insights/diagnosticSettings")
    };
    let scope_id = normalize::arm_id(scope);
    match list_all(ctx, &url).await {
        Ok(items) => to_resources(ctx, sub, &items, DIAGNOSTIC_TYPE, &api, |r| {
            r.resource_type = DIAGNOSTIC_TYPE.to_string();
            // A setting's id is under the scope it belongs to; some examples name another.
            if !r.id.starts_with(&scope_id) {
                r.id = format!(
                    "{scope_id}/providers/microsoft.insights/diagnosticsettings/{}",
                    r.name.to_ascii_lowercase()
                );
            }
            if let Some(c) = r.config.as_object_mut() {
                c.insert("scope".into(), json!(scope_id));
            }
        }),
        // Resource types without diagnostic settings answer 400/404: nothing to report.
        Err(HttpError::Status {
            status: 400 | 404, ..
        }) => Vec::new(),
        Err(e) => vec![http_gap(ctx, sub, &api, Some(DIAGNOSTIC_TYPE), &e)],
    }
}

/// A web app with its `config/web` in place of the partial `siteConfig` the list carries.
async fn site_config(ctx: &Ctx<'_>, mut site: Resource) -> Vec<Event> {
    let url = ctx.url(&format!("{}/config/web?api-version={WEB_API}", site.id));
    let api = format!("GET {}/config/web", site.id);
    match ctx.pipeline.get_json(&url).await {
        Ok(body) => match body
            .as_object()
            .and_then(|o| normalize::field(o, "properties"))
            .cloned()
        {
            Some(props) => {
                if let Some(p) = site
                    .config
                    .get_mut("properties")
                    .and_then(Value::as_object_mut)
                {
                    p.insert("siteConfig".into(), normalize::loose(props));
                } else if let Some(c) = site.config.as_object_mut() {
                    c.insert(
                        "properties".into(),
                        json!({"siteConfig": normalize::loose(props)}),
                    );
                }
                vec![Event::Resource(Box::new(site))]
            }
            None => {
                let gap = ctx.gap(
                    &site.account,
                    &api,
                    Some("microsoft.web/sites"),
                    ErrorKind::InvalidResponse,
                    "config/web has no properties; the site's TLS and FTPS settings are unknown",
                );
                vec![Event::Resource(Box::new(site)), Event::Error(gap)]
            }
        },
        Err(e) => {
            let gap = http_gap(
                ctx,
                &site.account.clone(),
                &api,
                Some("microsoft.web/sites"),
                &e,
            );
            vec![Event::Resource(Box::new(site)), gap]
        }
    }
}

/// Resource groups through `azure_mgmt_resources`, as the user asked, on the shared transport.
async fn resource_groups(ctx: &Ctx<'_>, sub: &str) -> Vec<Event> {
    let api = "GET /subscriptions/{id}/resourcegroups";
    let endpoint = match azure_core::Url::parse(&ctx.opts.arm_endpoint) {
        Ok(u) => u,
        Err(e) => {
            return vec![Event::Error(ctx.gap(
                sub,
                api,
                None,
                ErrorKind::Unavailable,
                &e.to_string(),
            ))]
        }
    };
    let credential = Arc::new(SdkCredential(ctx.pipeline.credential.clone()));
    let client = azure_mgmt_resources::package_resources_2021_04::Client::builder(credential)
        .endpoint(endpoint)
        .scopes(&[ctx.opts.arm_scope().as_str()])
        .transport(azure_core::TransportOptions::new(
            ctx.pipeline.transport.client(),
        ))
        .build();
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            return vec![Event::Error(ctx.gap(
                sub,
                api,
                None,
                ErrorKind::Unavailable,
                &e.to_string(),
            ))]
        }
    };
    let pages: Result<Vec<_>, _> = client
        .resource_groups_client()
        .list(sub)
        .into_stream()
        .try_collect()
        .await;
    match pages {
        Ok(pages) => {
            let items: Vec<Value> = pages
                .into_iter()
                .flat_map(|p| p.value)
                .filter_map(|rg| serde_json::to_value(rg).ok())
                .collect();
            to_resources(ctx, sub, &items, RESOURCE_GROUP_TYPE, api, |r| {
                r.resource_type = RESOURCE_GROUP_TYPE.to_string()
            })
        }
        Err(e) => {
            let (status, code) = match e.as_http_error() {
                Some(h) => (
                    u16::from(h.status()),
                    h.error_code().unwrap_or_default().to_string(),
                ),
                None => (0, String::new()),
            };
            let err = if status == 0 {
                HttpError::Transport(e.to_string())
            } else {
                HttpError::Status {
                    status,
                    code,
                    message: e.to_string(),
                }
            };
            vec![http_gap(ctx, sub, api, Some(RESOURCE_GROUP_TYPE), &err)]
        }
    }
}

fn to_resources(
    ctx: &Ctx<'_>,
    sub: &str,
    items: &[Value],
    resource_type: &str,
    api: &str,
    fix: impl Fn(&mut Resource),
) -> Vec<Event> {
    let hint = Hint {
        subscription: Some(sub),
        resource_type: Some(resource_type),
    };
    items
        .iter()
        .map(|item| match normalize::resource(item, hint) {
            Ok(mut r) => {
                fix(&mut r);
                if r.account.is_empty() || !r.id.contains("/subscriptions/") {
                    r.account = sub.to_string();
                }
                Event::Resource(Box::new(r))
            }
            Err(e) => Event::Error(ctx.gap(
                sub,
                api,
                Some(resource_type),
                ErrorKind::InvalidResponse,
                &format!("an item could not be read ({e}); it is left out"),
            )),
        })
        .collect()
}

fn is_not_found(e: &HttpError) -> bool {
    matches!(e, HttpError::Status { status: 404, .. })
}

fn http_gap(
    ctx: &Ctx<'_>,
    sub: &str,
    api: &str,
    resource_type: Option<&str>,
    e: &HttpError,
) -> Event {
    Event::Error(ctx.gap(
        sub,
        api,
        resource_type,
        e.kind(),
        &format!("{e}; {}", e.advice()),
    ))
}
