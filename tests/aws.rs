//! AWS collector against real components: moto's server (seeded by fixtures/moto/seed.py) and a
//! local stub speaking the AWS Config JSON protocol for what moto cannot do (paging over
//! thousands of items, aggregators, throttling, 5xx, truncated bodies, AccessDenied).
//!
//! Tools come from `$ANNEXA_TEST_TOOLS` (scripts/test-env.sh installs them); a missing tool
//! fails the test with that instruction.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use annexa::collect::aws::{collect, AwsOptions, Regions, StaticCredentials};
use annexa::collect::{Event, TypeFilter};
use annexa::model::{CollectionError, ErrorKind, Resource, Source};
use serde_json::Value;

#[path = "aws/stub.rs"]
mod stub;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn tools() -> PathBuf {
    std::env::var_os("ANNEXA_TEST_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").expect("HOME is set"))
                .join(".cache/annexa-test-tools")
        })
}

fn python() -> PathBuf {
    let p = tools().join("venv/bin/python");
    assert!(
        p.exists() && tools().join("venv/bin/moto_server").exists(),
        "moto is not installed under {}: run scripts/test-env.sh",
        tools().display()
    );
    p
}

/// moto's server on 127.0.0.1 on a free port, stopped when dropped.
pub struct MotoServer {
    child: Child,
    pub endpoint: String,
}

impl MotoServer {
    pub fn start() -> MotoServer {
        let mut child = Command::new(python())
            .arg(repo().join("fixtures/moto/launch.py"))
            .args(["--port", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fixtures/moto/launch.py");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the launcher's port line");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT=")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("launcher printed {line:?} instead of PORT=<n>"));
        MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Run fixtures/moto/seed.py; returns its list of planted failures.
    pub fn seed(&self) -> Value {
        let out = Command::new(python())
            .arg(repo().join("fixtures/moto/seed.py"))
            .arg(&self.endpoint)
            .output()
            .expect("run seed.py");
        assert!(
            out.status.success(),
            "seed.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("seed.py prints JSON")
    }

    fn http(&self, method: &str, path: &str) -> String {
        let addr = self.endpoint.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).expect("connect to moto");
        write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        let mut buf = String::new();
        s.read_to_string(&mut buf).unwrap();
        buf.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }

    /// Forget the calls recorded so far (the seeding's).
    pub fn reset_actions(&self) {
        self.http("POST", "/annexa/actions");
    }

    /// Every AWS call made since the last reset, as `service:Action`.
    pub fn actions(&self) -> Vec<String> {
        serde_json::from_str(&self.http("GET", "/annexa/actions")).expect("action list")
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Options for an emulator: static test keys for this client only, no process-wide env.
pub fn emulator_options(endpoint: &str, regions: &[&str]) -> AwsOptions {
    AwsOptions {
        regions: Regions::List(regions.iter().map(|r| r.to_string()).collect()),
        endpoint_url: Some(endpoint.to_string()),
        credentials: Some(StaticCredentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
        }),
        // moto answers some unimplemented calls with 5xx: do not wait out ten retries.
        max_attempts: 3,
        ..AwsOptions::default()
    }
}

/// Everything a collection sent, in order.
#[derive(Debug, Default)]
pub struct Collected {
    pub sources: Vec<Source>,
    pub resources: Vec<Resource>,
    pub errors: Vec<CollectionError>,
    pub progress: usize,
    /// Events in arrival order as (kind, account) to check that a Source precedes its resources.
    pub order: Vec<(char, String)>,
}

impl Collected {
    pub fn of_type(&self, t: &str) -> Vec<&Resource> {
        self.resources
            .iter()
            .filter(|r| r.resource_type == t)
            .collect()
    }
    pub fn named(&self, t: &str, name: &str) -> &Resource {
        self.resources
            .iter()
            .find(|r| r.resource_type == t && r.name == name)
            .unwrap_or_else(|| panic!("no {t} named {name}; have {:?}", self.names(t)))
    }
    pub fn names(&self, t: &str) -> BTreeSet<String> {
        self.of_type(t).iter().map(|r| r.name.clone()).collect()
    }
    pub fn types(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for r in &self.resources {
            *m.entry(r.resource_type.clone()).or_insert(0) += 1;
        }
        m
    }
}

pub async fn run(opts: &AwsOptions, types: &TypeFilter) -> Collected {
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let opts2 = opts.clone();
    let types2 = types.clone();
    let task = tokio::spawn(async move { collect(&opts2, &types2, tx).await });
    let mut c = Collected::default();
    while let Some(ev) = rx.recv().await {
        match ev {
            Event::Source(s) => {
                c.order.push(('s', s.account.clone()));
                c.sources.push(s)
            }
            Event::Resource(r) => {
                c.order.push(('r', r.account.clone()));
                c.resources.push(*r)
            }
            Event::Error(e) => c.errors.push(e),
            Event::Progress(_) => c.progress += 1,
        }
    }
    task.await
        .expect("collector task")
        .expect("collection is not fatal");
    c
}

pub fn filter(types: &[&str]) -> TypeFilter {
    Some(types.iter().map(|t| t.to_string()).collect())
}

/// The actions of docs/aws-iam-policy.json.
pub fn policy_actions() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join("docs/aws-iam-policy.json"))
        .expect("docs/aws-iam-policy.json");
    let v: Value = serde_json::from_str(&text).expect("policy is JSON");
    v["Statement"]
        .as_array()
        .expect("Statement list")
        .iter()
        .flat_map(|s| s["Action"].as_array().cloned().unwrap_or_default())
        .map(|a| a.as_str().expect("action string").to_string())
        .collect()
}

fn assert_in_policy(actions: &[String]) {
    let policy = policy_actions();
    let unknown: BTreeSet<&String> = actions.iter().filter(|a| !policy.contains(*a)).collect();
    assert!(
        unknown.is_empty(),
        "calls outside docs/aws-iam-policy.json: {unknown:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// moto

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_account_is_collected_with_planted_failures() {
    let moto = MotoServer::start();
    let planted = moto.seed();
    assert!(planted["console_user_without_mfa"].is_string());
    moto.reset_actions();
    let opts = emulator_options(&moto.endpoint, &["us-east-1", "eu-west-1"]);
    let c = run(&opts, &None).await;
    eprintln!("types: {:?}", c.types());
    eprintln!("errors: {:#?}", c.errors);
    for r in &c.resources {
        eprintln!(
            "{} {} {} {}",
            r.resource_type,
            r.region,
            r.id,
            serde_json::to_string(&r.config)
                .unwrap()
                .chars()
                .take(600)
                .collect::<String>()
        );
    }
    eprintln!("actions: {:?}", moto.actions());
}
