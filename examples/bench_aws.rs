//! Benchmark of the AWS Config path against the local stub (tests/aws/stub.rs): 10,000 items
//! built from recorded configuration items, 100 ms latency per call, at most 10 calls per
//! second per API. Prints collection time against the stub's floor (Select pages / cap) and
//! API calls per resource. Run through scripts/bench-aws.sh.

#[path = "../tests/aws/stub.rs"]
mod stub;

use std::time::{Duration, Instant};

use annexa::collect::aws::{collect, AwsOptions, Regions, StaticCredentials};
use annexa::collect::Event;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn arg_str(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// `--endpoint URL`: collect every type from an emulator (moto) instead of the stub.
async fn against_endpoint(endpoint: String) {
    let opts = AwsOptions {
        regions: Regions::List(vec!["us-east-1".into()]),
        endpoint_url: Some(endpoint),
        credentials: Some(StaticCredentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
        }),
        max_attempts: 3,
        ..AwsOptions::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let started = Instant::now();
    let task = tokio::spawn(async move { collect(&opts, &None, tx).await });
    let (mut resources, mut errors) = (0usize, Vec::new());
    while let Some(ev) = rx.recv().await {
        match ev {
            Event::Resource(_) => resources += 1,
            Event::Error(e) => errors.push(e.location() + ": " + &e.message),
            _ => {}
        }
    }
    task.await.expect("task").expect("collection");
    println!(
        "annexa collection: {:.2}s, {resources} resources, {} errors",
        started.elapsed().as_secs_f64(),
        errors.len()
    );
    for e in errors {
        println!("  gap: {e}");
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Some(endpoint) = arg_str("--endpoint") {
        return against_endpoint(endpoint).await;
    }
    let n = arg("--items", 10_000) as usize;
    let latency = Duration::from_millis(arg("--latency-ms", 100));
    let cap = arg("--cap", 10) as u32;
    let concurrency = arg("--max-concurrency", 8) as usize;

    let items = stub::make_items(n, &[stub::HOME_ACCOUNT], &["us-east-1"]);
    let types = stub::template_types();
    let faults = stub::Faults {
        latency,
        calls_per_second: Some(cap),
        ..stub::Faults::default()
    };
    let server = stub::ConfigStub::start(items, faults).await;
    let opts = AwsOptions {
        regions: Regions::List(vec!["us-east-1".into()]),
        endpoint_url: Some(server.endpoint()),
        credentials: Some(StaticCredentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
        }),
        max_concurrency: concurrency,
        ..AwsOptions::default()
    };
    let filter = Some(types.iter().cloned().collect());
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let started = Instant::now();
    let task = tokio::spawn(async move { collect(&opts, &filter, tx).await });
    let (mut resources, mut errors) = (0usize, 0usize);
    let mut first_resource = None;
    while let Some(ev) = rx.recv().await {
        match ev {
            Event::Resource(_) => {
                resources += 1;
                first_resource.get_or_insert_with(|| started.elapsed());
            }
            Event::Error(_) => errors += 1,
            _ => {}
        }
    }
    task.await.expect("task").expect("collection");
    let elapsed = started.elapsed();
    let actions = server.actions().await;
    let selects = actions
        .iter()
        .filter(|a| a.as_str() == "config:SelectResourceConfig")
        .count();
    let per_type: Vec<usize> = types.iter().map(|_| n / types.len()).collect();
    let pages: usize = per_type.iter().map(|c| c.div_ceil(100)).sum::<usize>();
    let floor = pages as f64 / cap as f64;
    println!(
        "items={n} types={} latency={}ms cap={cap}/s/API max_concurrency={concurrency}",
        types.len(),
        latency.as_millis()
    );
    println!("resources={resources} errors={errors}");
    println!(
        "first resource after {:.2}s",
        first_resource.unwrap_or_default().as_secs_f64()
    );
    println!(
        "collection time {:.2}s; floor {pages} pages / {cap} per s = {floor:.2}s; ratio {:.3}",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() / floor
    );
    println!(
        "API calls {} (Select {selects}); calls per resource {:.4}",
        actions.len(),
        actions.len() as f64 / resources.max(1) as f64
    );
}
