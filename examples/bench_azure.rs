//! Benchmark of the Azure collector against a local server (127.0.0.1) that serves N resources
//! over Resource Graph pages with a fixed latency per request and Resource Graph's real user
//! quota (15 queries per 5-second window, announced in `x-ms-user-quota-remaining` /
//! `x-ms-user-quota-resets-after`, 429 beyond it).
//!
//! Prints the collection time, the floor those limits impose, and requests per resource.
//! Usage: `cargo run --example bench_azure -- [RESOURCES] [SUBSCRIPTIONS] [LATENCY_MS]`
//! (scripts/bench-azure.sh runs the standard cases).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use annexa::collect::azure::{collect, AzureCloud, AzureOptions, CredentialEnv};
use annexa::collect::Event;
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const QUOTA: u32 = 15;
const WINDOW: Duration = Duration::from_secs(5);
const PAGE: usize = 1000;

struct Server {
    resources: usize,
    subscriptions: usize,
    latency: Duration,
    template: Value,
    requests: AtomicUsize,
    graph_queries: AtomicUsize,
    throttled: AtomicUsize,
    window: Mutex<Option<(Instant, u32)>>,
    /// Pages built before the clock starts, so the server's own work does not count.
    pages: std::collections::HashMap<usize, Vec<u8>>,
}

impl Server {
    fn sub(i: usize) -> String {
        format!("00000000-0000-0000-0000-{:012}", i + 1)
    }

    /// Resource `i`, spread evenly over the subscriptions, shaped like Microsoft's storage
    /// account example.
    fn row(&self, i: usize) -> Value {
        let sub = Self::sub(i % self.subscriptions);
        let mut r = self.template.clone();
        let name = format!("sto{i:06}");
        r["id"] = json!(format!("/subscriptions/{sub}/resourceGroups/rg{}/providers/Microsoft.Storage/storageAccounts/{name}", i % 50));
        r["name"] = json!(name);
        r["type"] = json!("microsoft.storage/storageaccounts");
        r["subscriptionId"] = json!(sub);
        r
    }

    /// One page as the service would send it, serialised.
    fn page(&self, offset: usize, top: usize) -> Vec<u8> {
        let end = (offset + top).min(self.resources);
        let rows: Vec<Value> = (offset..end).map(|i| self.row(i)).collect();
        let mut out = json!({"totalRecords": self.resources, "count": rows.len(), "resultTruncated": "false", "data": rows});
        if end < self.resources {
            out["$skipToken"] = json!(end.to_string());
        }
        serde_json::to_vec(&out).unwrap()
    }

    fn graph(&self, req: &Request) -> ResponseTemplate {
        self.graph_queries.fetch_add(1, Ordering::SeqCst);
        let (remaining, resets) = {
            let mut w = self.window.lock().unwrap();
            let now = Instant::now();
            let (start, used) = match *w {
                Some((s, u)) if now.duration_since(s) < WINDOW => (s, u + 1),
                _ => (now, 1),
            };
            *w = Some((start, used));
            (
                QUOTA as i64 - used as i64,
                WINDOW.saturating_sub(now.duration_since(start)),
            )
        };
        let resets = format!("00:00:{:06.3}", resets.as_secs_f64());
        if remaining < 0 {
            self.throttled.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(429)
                .set_body_json(json!({"error": {"code": "RateLimiting", "message": "quota"}}))
                .insert_header("x-ms-user-quota-remaining", "0")
                .insert_header("x-ms-user-quota-resets-after", resets.as_str())
                .set_delay(self.latency);
        }
        let gen = Instant::now();
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let top = body["options"]["$top"].as_u64().unwrap_or(PAGE as u64) as usize;
        let offset = body["options"]["$skipToken"]
            .as_str()
            .map(|t| t.parse::<usize>().unwrap())
            .unwrap_or(0);
        let bytes = match self.pages.get(&offset) {
            Some(b) if top == PAGE => b.clone(),
            _ => self.page(offset, top),
        };
        let rsp = ResponseTemplate::new(200).set_body_raw(bytes, "application/json");
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            eprintln!("server: page at {offset} built in {:?}", gen.elapsed());
        }
        rsp.insert_header("x-ms-user-quota-remaining", remaining.to_string().as_str())
            .insert_header("x-ms-user-quota-resets-after", resets.as_str())
            .set_delay(self.latency)
    }
}

struct Shared(Arc<Server>);

impl Respond for Shared {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let s = &self.0;
        s.requests.fetch_add(1, Ordering::SeqCst);
        let path = req.url.path().to_ascii_lowercase();
        if path.ends_with("/oauth2/v2.0/token") {
            return ResponseTemplate::new(200)
                .set_body_json(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "bench-token"}))
                .set_delay(s.latency);
        }
        if path == "/providers/microsoft.resourcegraph/resources" {
            return s.graph(req);
        }
        if path == "/subscriptions" {
            let subs: Vec<Value> = (0..s.subscriptions)
                .map(|i| json!({"subscriptionId": Server::sub(i), "displayName": format!("s{i}"), "state": "Enabled"}))
                .collect();
            return ResponseTemplate::new(200)
                .set_body_json(json!({"value": subs}))
                .set_delay(s.latency);
        }
        ResponseTemplate::new(404).set_delay(s.latency)
    }
}

/// The earliest the work can end: token and subscription list, then `queries` pages one after
/// another (each needs the previous page's `$skipToken`), at most QUOTA per window counted from
/// the first query.
fn floor(queries: usize, latency: Duration) -> Duration {
    let mut t = Duration::ZERO;
    for i in 0..queries {
        let window_start = WINDOW * (i / QUOTA as usize) as u32;
        t = t.max(window_start) + latency;
    }
    latency * 2 + t
}

fn template() -> Value {
    let manifest = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let rel = "reference/azure-rest-api-specs-examples/storage/2025-01-01/StorageAccountGetProperties.json";
    let path = [
        manifest.join("../shared").join(rel),
        manifest.join("../../shared").join(rel),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .expect("shared/reference/azure-rest-api-specs-examples not found next to the crate");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["responses"]["200"]["body"].clone()
}

#[tokio::main]
async fn main() {
    if std::env::var_os("BENCH_VERBOSE").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let resources = args.first().copied().unwrap_or(10_000);
    let subscriptions = args.get(1).copied().unwrap_or(10);
    let latency = Duration::from_millis(args.get(2).copied().unwrap_or(150) as u64);
    let mut server = Server {
        resources,
        subscriptions,
        latency,
        template: template(),
        requests: AtomicUsize::new(0),
        graph_queries: AtomicUsize::new(0),
        throttled: AtomicUsize::new(0),
        window: Mutex::new(None),
        pages: Default::default(),
    };
    server.pages = (0..resources)
        .step_by(PAGE)
        .map(|o| (o, server.page(o, PAGE)))
        .collect();
    let server = Arc::new(server);
    let mock = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(Shared(server.clone()))
        .mount(&mock)
        .await;

    let env = CredentialEnv {
        tenant_id: Some("bench-tenant".into()),
        client_id: Some("bench-client".into()),
        client_secret: Some("bench-secret".into()),
        ..Default::default()
    };
    let mut opts = AzureOptions::new(AzureCloud::AzureCloud, env);
    opts.arm_endpoint = mock.uri();
    opts.authority_host = mock.uri();
    let types: BTreeSet<String> = ["microsoft.storage/storageaccounts".to_string()].into();

    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let t0 = Instant::now();
    let drain = tokio::spawn(async move {
        let (mut n, mut errors) = (0usize, 0usize);
        while let Some(e) = rx.recv().await {
            match e {
                Event::Resource(_) => n += 1,
                Event::Error(e) => {
                    errors += 1;
                    eprintln!("gap: {} {}", e.location(), e.message);
                }
                Event::Progress(p) if std::env::var_os("BENCH_VERBOSE").is_some() => {
                    eprintln!("{:?} {}", t0.elapsed(), p.message)
                }
                _ => {}
            }
        }
        (n, errors)
    });
    let started = Instant::now();
    collect(&opts, &Some(types), tx)
        .await
        .expect("collection failed");
    let elapsed = started.elapsed();
    let (collected, errors) = drain.await.unwrap();

    let queries = server.graph_queries.load(Ordering::SeqCst);
    let requests = server.requests.load(Ordering::SeqCst);
    let min_queries = resources.div_ceil(PAGE);
    let floor = floor(min_queries, latency);
    println!(
        "resources          {resources} in {subscriptions} subscriptions, {} ms latency",
        latency.as_millis()
    );
    println!("collected          {collected} resources, {errors} gaps");
    println!("time               {:.3} s", elapsed.as_secs_f64());
    println!(
        "floor              {:.3} s ({min_queries} pages, quota {QUOTA}/{}s)",
        floor.as_secs_f64(),
        WINDOW.as_secs()
    );
    println!(
        "time / floor       {:.3}",
        elapsed.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "requests           {requests} ({queries} Resource Graph queries, {} throttled)",
        server.throttled.load(Ordering::SeqCst)
    );
    println!(
        "requests/resource  {:.4}",
        requests as f64 / collected.max(1) as f64
    );
    assert_eq!(collected, resources, "every resource collected");
}
