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
use std::sync::atomic::AtomicUsize;

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
    assert_eq!(planted["console_user_without_mfa"], "bob");
    moto.reset_actions();
    let opts = emulator_options(&moto.endpoint, &["us-east-1", "eu-west-1"]);
    let c = run(&opts, &None).await;

    // One source, announced before any resource.
    assert_eq!(c.sources.len(), 1);
    assert_eq!(c.sources[0].account, "123456789012");
    assert_eq!(c.sources[0].regions, vec!["us-east-1", "eu-west-1"]);
    assert!(c.sources[0]
        .principal
        .as_deref()
        .is_some_and(|p| p.starts_with("arn:aws:")));
    assert_eq!(c.order.first().map(|o| o.0), Some('s'));
    assert!(c.progress > 0);

    let expected: BTreeMap<String, usize> = [
        ("AWS::Config::RecorderStatus", 2),
        ("AWS::IAM::AccountPasswordPolicy", 1),
        ("AWS::IAM::AccountSummary", 1),
        ("AWS::IAM::CredentialReport", 4),
        ("AWS::IAM::Group", 1),
        ("AWS::IAM::Policy", 2),
        ("AWS::IAM::Role", 2),
        ("AWS::IAM::User", 4),
        ("AWS::S3::AccountPublicAccessBlock", 1),
        ("AWS::S3::Bucket", 3),
        ("AWS::SNS::Topic", 2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(c.types(), expected);

    // The only gap: Config is not set up in eu-west-1, for every type of that region.
    assert_eq!(c.errors.len(), 1, "{:#?}", c.errors);
    let gap = &c.errors[0];
    assert_eq!(
        (gap.account.as_str(), gap.region.as_deref(), gap.kind),
        ("123456789012", Some("eu-west-1"), ErrorKind::Unavailable)
    );
    assert_eq!(gap.resource_type, None);
    assert!(gap.message.contains("not set up"), "{}", gap.message);
    let eu = c.named("AWS::Config::RecorderStatus", "config-recorder-eu-west-1");
    assert_eq!(
        eu.config["configuration"]["recorders"],
        serde_json::json!([])
    );
    let us = c.named("AWS::Config::RecorderStatus", "config-recorder-us-east-1");
    assert_eq!(
        us.id,
        "arn:aws:config:us-east-1:123456789012:recorder-status"
    );
    assert_eq!(
        us.config["configuration"]["recorders"][0]["recording"],
        true
    );
    assert_eq!(
        us.config["configuration"]["deliveryChannels"][0]["s3BucketName"],
        "annexa-config-logs"
    );
    assert_eq!(
        us.config["configuration"]["deliveryChannels"][0]["lastStatus"],
        "Success"
    );

    // Weak password policy.
    let pp = &c.of_type("AWS::IAM::AccountPasswordPolicy")[0];
    assert_eq!(pp.id, "arn:aws:iam::123456789012:account-password-policy");
    assert_eq!(pp.region, "global");
    let ppc = &pp.config["configuration"];
    assert_eq!(
        (ppc["present"].clone(), ppc["minimumPasswordLength"].clone()),
        (Value::Bool(true), Value::from(6))
    );
    assert_eq!(ppc["requireSymbols"], false);
    assert_eq!(ppc["passwordReusePrevention"], Value::Null);

    // Console password without MFA (bob) beside a compliant user (alice).
    let bob = &c.named("AWS::IAM::CredentialReport", "bob").config["configuration"];
    assert_eq!(
        (bob["password_enabled"].clone(), bob["mfa_active"].clone()),
        (Value::Bool(true), Value::Bool(false))
    );
    assert_eq!(bob["access_key_1_active"], true);
    assert_eq!(bob["password_last_used"], Value::Null);
    let alice = &c.named("AWS::IAM::CredentialReport", "alice").config["configuration"];
    assert_eq!(
        (
            alice["password_enabled"].clone(),
            alice["mfa_active"].clone()
        ),
        (Value::Bool(true), Value::Bool(true))
    );
    let carol_row = &c.named("AWS::IAM::CredentialReport", "carol").config["configuration"];
    assert_eq!(carol_row["password_enabled"], false);

    // Admin *:* policy attached to carol, decoded from its URL-encoded document.
    let carol = c.named("AWS::IAM::User", "carol");
    assert_eq!(carol.id, "arn:aws:iam::123456789012:user/carol");
    let attached = &carol.config["configuration"]["attachedManagedPolicies"][0];
    assert_eq!(
        attached["policyArn"],
        "arn:aws:iam::123456789012:policy/annexa-admin-all"
    );
    let admin = c.named("AWS::IAM::Policy", "annexa-admin-all");
    let versions = admin.config["configuration"]["policyVersionList"]
        .as_array()
        .unwrap();
    let default = versions
        .iter()
        .find(|v| v["isDefaultVersion"] == true)
        .expect("a default version");
    assert_eq!(default["document"]["Statement"][0]["Action"], "*");
    assert_eq!(default["document"]["Statement"][0]["Resource"], "*");
    // Inline policies and groups.
    let dave = &c.named("AWS::IAM::User", "dave").config["configuration"];
    assert_eq!(dave["groupList"], serde_json::json!(["readers"]));
    assert_eq!(
        dave["userPolicyList"][0]["policyDocument"]["Statement"][0]["Action"][0],
        "s3:GetObject"
    );
    let readers = &c.named("AWS::IAM::Group", "readers").config["configuration"];
    assert!(readers["groupPolicyList"][0]["policyDocument"]["Statement"].is_array());
    assert_eq!(
        c.named("AWS::IAM::User", "alice")
            .tags
            .get("team")
            .map(String::as_str),
        Some("platform")
    );
    let alice_user = &c.named("AWS::IAM::User", "alice").config["configuration"];
    assert_eq!(
        alice_user["virtualMfaDevices"][0]["serialNumber"],
        "arn:aws:iam::123456789012:mfa/alice"
    );
    assert_eq!(
        c.named("AWS::IAM::User", "bob").config["configuration"]["virtualMfaDevices"],
        serde_json::json!([])
    );

    // Roles: trust policies decoded.
    let cross = &c.named("AWS::IAM::Role", "annexa-cross-account").config["configuration"];
    assert_eq!(
        cross["assumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::999999999999:root"
    );
    let app = &c.named("AWS::IAM::Role", "annexa-app").config["configuration"];
    assert_eq!(
        app["assumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );

    // Buckets, from Config's API form: supplementary values decoded.
    let open = c.named("AWS::S3::Bucket", "annexa-open-bucket");
    assert_eq!(
        (open.id.as_str(), open.region.as_str()),
        ("arn:aws:s3:::annexa-open-bucket", "us-east-1")
    );
    let open_sup = &open.config["supplementaryConfiguration"];
    assert!(
        open_sup.get("PublicAccessBlockConfiguration").is_none(),
        "{open_sup}"
    );
    assert!(open_sup.get("ServerSideEncryptionConfiguration").is_none());
    assert_eq!(
        open_sup["BucketPolicy"]["policyText"]["Statement"][0]["Principal"],
        "*"
    );
    assert_eq!(
        open_sup["AccessControlList"]["grantList"][0]["permission"],
        "FullControl"
    );
    let secure =
        &c.named("AWS::S3::Bucket", "annexa-secure-bucket").config["supplementaryConfiguration"];
    assert_eq!(
        secure["PublicAccessBlockConfiguration"]["blockPublicAcls"],
        true
    );
    assert_eq!(
        secure["PublicAccessBlockConfiguration"]["restrictPublicBuckets"],
        true
    );
    let pab = &c.of_type("AWS::S3::AccountPublicAccessBlock")[0].config["configuration"];
    assert_eq!(
        (
            pab["blockPublicAcls"].clone(),
            pab["blockPublicPolicy"].clone()
        ),
        (Value::Bool(true), Value::Bool(false))
    );

    // SNS topics: the policy string is decoded; one topic has a KMS key.
    let alerts = &c.named("AWS::SNS::Topic", "annexa-alerts").config["configuration"];
    assert!(alerts["policy"]["Statement"].is_array(), "{alerts}");
    let names: BTreeSet<String> = c.names("AWS::SNS::Topic");
    assert_eq!(
        names,
        ["annexa-alerts", "annexa-encrypted"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );

    // Least privilege: every call made is in docs/aws-iam-policy.json.
    let actions = moto.actions();
    assert!(
        actions.contains(&"config:BatchGetResourceConfig".to_string()),
        "{actions:?}"
    );
    assert!(actions.contains(&"iam:GetCredentialReport".to_string()));
    assert_in_policy(&actions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_type_filter_fetches_only_what_is_needed() {
    let moto = MotoServer::start();
    moto.seed();

    moto.reset_actions();
    let opts = emulator_options(&moto.endpoint, &["us-east-1"]);
    let c = run(&opts, &filter(&["AWS::IAM::AccountPasswordPolicy"])).await;
    assert_eq!(
        c.types().keys().collect::<Vec<_>>(),
        vec!["AWS::IAM::AccountPasswordPolicy"]
    );
    let actions: BTreeSet<String> = moto.actions().into_iter().collect();
    assert_eq!(
        actions,
        ["iam:GetAccountPasswordPolicy", "sts:GetCallerIdentity"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );

    moto.reset_actions();
    let c = run(&opts, &filter(&["AWS::S3::Bucket", "azure-type-ignored"])).await;
    assert_eq!(
        c.types().keys().collect::<Vec<_>>(),
        vec!["AWS::S3::Bucket"]
    );
    let actions: BTreeSet<String> = moto.actions().into_iter().collect();
    assert!(
        actions.iter().all(|a| !a.starts_with("iam:")),
        "{actions:?}"
    );
    assert!(actions.contains("config:SelectResourceConfig"));
    assert!(c.errors.is_empty(), "{:#?}", c.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_assumed_roles_name_their_accounts() {
    let moto = MotoServer::start();
    moto.seed();
    moto.reset_actions();
    let mut opts = emulator_options(&moto.endpoint, &["us-east-1"]);
    opts.roles = vec![annexa::collect::aws::AssumeRole {
        role_arn: "arn:aws:iam::123456789012:role/annexa-app".into(),
        external_id: Some("ext".into()),
    }];
    let c = run(&opts, &filter(&["AWS::IAM::AccountSummary"])).await;
    assert_eq!(c.sources.len(), 1);
    assert!(
        c.sources[0]
            .principal
            .as_deref()
            .is_some_and(|p| p.contains("assumed-role/annexa-app")),
        "{:?}",
        c.sources[0]
    );
    assert_eq!(c.of_type("AWS::IAM::AccountSummary").len(), 1);
    let actions = moto.actions();
    assert!(
        actions.contains(&"sts:AssumeRole".to_string()),
        "{actions:?}"
    );
    assert_in_policy(&actions);
}

// ---------------------------------------------------------------------------------------------
// Config stub

use stub::{make_items, template_types, ConfigStub, Faults, HOME_ACCOUNT};

fn stub_options(stub: &ConfigStub, regions: &[&str]) -> AwsOptions {
    emulator_options(&stub.endpoint(), regions)
}

fn all_template_types() -> TypeFilter {
    Some(template_types().into_iter().collect())
}

fn count(actions: &[String], a: &str) -> usize {
    actions.iter().filter(|x| x.as_str() == a).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_select_pages_thousands_of_items() {
    let items = make_items(3000, &[HOME_ACCOUNT], &["us-east-1"]);
    let stub = ConfigStub::start(items, Faults::default()).await;
    let c = run(&stub_options(&stub, &["us-east-1"]), &all_template_types()).await;
    assert!(c.errors.is_empty(), "{:#?}", c.errors);
    assert_eq!(c.resources.len(), 3000);
    let ids: BTreeSet<&str> = c.resources.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 3000, "every item once");
    // 7 types x ~429 items: 5 pages each.
    let actions = stub.actions().await;
    assert_eq!(count(&actions, "config:SelectResourceConfig"), 7 * 5);
    assert_eq!(count(&actions, "config:ListDiscoveredResources"), 0);
    let per_resource = actions.len() as f64 / 3000.0;
    assert!(
        per_resource <= 0.02,
        "{} calls for 3000 resources",
        actions.len()
    );
    assert_in_policy(&actions);

    // Select rows decode like API items: the double-encoded ACL is an object, KMS policy too.
    let bucket = c.of_type("AWS::S3::Bucket")[0];
    assert_eq!(
        bucket.config["supplementaryConfiguration"]["AccessControlList"]["grantList"][0]
            ["permission"],
        "FullControl"
    );
    assert_eq!(
        bucket.config["supplementaryConfiguration"]["IsRequesterPaysEnabled"],
        false
    );
    let key = c.of_type("AWS::KMS::Key")[0];
    assert!(key.config["supplementaryConfiguration"]["Policy"]["Statement"].is_array());
    assert_eq!(key.account, HOME_ACCOUNT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_list_and_batch_get_for_types_select_does_not_return() {
    let items = make_items(700, &[HOME_ACCOUNT], &["us-east-1"]);
    let faults = Faults {
        list_only_types: ["AWS::S3::Bucket".to_string()].into(),
        ..Faults::default()
    };
    let stub = ConfigStub::start(items, faults).await;
    let c = run(
        &stub_options(&stub, &["us-east-1"]),
        &filter(&["AWS::S3::Bucket", "AWS::SQS::Queue"]),
    )
    .await;
    assert!(c.errors.is_empty(), "{:#?}", c.errors);
    assert_eq!(c.of_type("AWS::S3::Bucket").len(), 100);
    assert_eq!(c.of_type("AWS::SQS::Queue").len(), 100);
    let actions = stub.actions().await;
    assert_eq!(count(&actions, "config:ListDiscoveredResources"), 1);
    assert_eq!(count(&actions, "config:BatchGetResourceConfig"), 1);
    // API form: every supplementary value was a string, the ACL twice encoded.
    let b = c.of_type("AWS::S3::Bucket")[0];
    assert_eq!(
        b.config["supplementaryConfiguration"]["AccessControlList"]["grantList"][0]["permission"],
        "FullControl"
    );
    assert_eq!(
        b.config["supplementaryConfiguration"]["PublicAccessBlockConfiguration"]["blockPublicAcls"],
        true
    );
    assert_in_policy(&actions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_throttling_and_5xx_bursts_are_retried_and_the_scan_completes() {
    let items = make_items(1400, &[HOME_ACCOUNT], &["us-east-1"]);
    let faults = Faults {
        throttle_selects: AtomicUsize::new(8),
        unavailable_selects: AtomicUsize::new(3),
        ..Faults::default()
    };
    let stub = ConfigStub::start(items, faults).await;
    // The default attempts (10): a burst may hit one query several times in a row.
    let mut opts = stub_options(&stub, &["us-east-1"]);
    opts.max_attempts = AwsOptions::default().max_attempts;
    let c = run(&opts, &all_template_types()).await;
    assert!(c.errors.is_empty(), "{:#?}", c.errors);
    assert_eq!(c.resources.len(), 1400);
    assert_eq!(stub.throttled(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_faults_become_errors_naming_account_region_and_api() {
    let items = make_items(1400, &[HOME_ACCOUNT], &["us-east-1", "eu-west-1"]);
    let faults = Faults {
        denied_regions: ["eu-west-1".to_string()].into(),
        truncated_types: ["AWS::KMS::Key".to_string()].into(),
        broken_types: ["AWS::SQS::Queue".to_string()].into(),
        ..Faults::default()
    };
    let stub = ConfigStub::start(items, faults).await;
    let mut opts = stub_options(&stub, &["us-east-1", "eu-west-1"]);
    opts.max_attempts = 2;
    let c = run(&opts, &all_template_types()).await;

    let denied: Vec<&CollectionError> = c
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::AccessDenied)
        .collect();
    assert_eq!(denied.len(), 1, "{:#?}", c.errors);
    assert_eq!(denied[0].account, HOME_ACCOUNT);
    assert_eq!(denied[0].region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        denied[0].api.as_deref(),
        Some("config:DescribeConfigurationRecorders")
    );
    assert!(
        denied[0].message.contains("AccessDeniedException"),
        "{}",
        denied[0].message
    );

    let truncated: Vec<&CollectionError> = c
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::InvalidResponse)
        .collect();
    assert_eq!(truncated.len(), 1, "{:#?}", c.errors);
    assert_eq!(truncated[0].resource_type.as_deref(), Some("AWS::KMS::Key"));
    assert_eq!(truncated[0].region.as_deref(), Some("us-east-1"));
    assert_eq!(
        truncated[0].api.as_deref(),
        Some("config:SelectResourceConfig")
    );

    let broken: Vec<&CollectionError> = c
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::Unavailable)
        .collect();
    assert_eq!(broken.len(), 1, "{:#?}", c.errors);
    assert_eq!(broken[0].resource_type.as_deref(), Some("AWS::SQS::Queue"));
    assert_eq!(c.errors.len(), 3);

    // Everything else in us-east-1 arrived; nothing from eu-west-1, KMS or SQS.
    let us_items = 700;
    let per_type = us_items / 7;
    assert_eq!(c.resources.len(), per_type * 5);
    assert!(c.resources.iter().all(|r| r.region == "us-east-1"));
    assert!(c.of_type("AWS::KMS::Key").is_empty() && c.of_type("AWS::SQS::Queue").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_aggregator_reads_every_account() {
    let accounts = ["222222222222", "333333333333", "444444444444"];
    let items = make_items(2100, &accounts, &["us-east-1", "eu-west-1"]);
    let stub = ConfigStub::start(items, Faults::default()).await;
    let mut opts = stub_options(&stub, &["us-east-1"]);
    opts.aggregator = Some("org".into());
    let c = run(&opts, &all_template_types()).await;
    assert!(c.errors.is_empty(), "{:#?}", c.errors);
    assert_eq!(c.resources.len(), 2100);
    let by_account: BTreeMap<&str, usize> = c.resources.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.account.as_str()).or_default() += 1;
        m
    });
    assert_eq!(by_account.len(), 3);
    assert!(by_account.values().all(|n| *n == 700), "{by_account:?}");
    // Each account is announced before its first resource.
    for a in accounts {
        let first_source = c
            .order
            .iter()
            .position(|o| o.0 == 's' && o.1 == a)
            .expect("a source per account");
        let first_resource = c.order.iter().position(|o| o.0 == 'r' && o.1 == a).unwrap();
        assert!(first_source < first_resource);
    }
    let actions = stub.actions().await;
    assert_eq!(
        count(&actions, "config:SelectAggregateResourceConfig"),
        7 * 3
    );
    assert_eq!(count(&actions, "config:SelectResourceConfig"), 0);
    assert_in_policy(&actions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_aggregator_lists_and_batch_gets_types_select_does_not_return() {
    let accounts = ["222222222222", "333333333333"];
    let items = make_items(2800, &accounts, &["us-east-1", "eu-west-1"]);
    let faults = Faults {
        list_only_types: ["AWS::KMS::Key".to_string()].into(),
        ..Faults::default()
    };
    let stub = ConfigStub::start(items, faults).await;
    let mut opts = stub_options(&stub, &["us-east-1"]);
    opts.aggregator = Some("org".into());
    let c = run(&opts, &filter(&["AWS::KMS::Key"])).await;
    assert!(c.errors.is_empty(), "{:#?}", c.errors);
    let keys = c.of_type("AWS::KMS::Key");
    assert_eq!(keys.len(), 400);
    let accounts_seen: BTreeSet<&str> = keys.iter().map(|r| r.account.as_str()).collect();
    assert_eq!(accounts_seen, accounts.into_iter().collect());
    assert!(keys[0].config["supplementaryConfiguration"]["Policy"]["Statement"].is_array());
    let actions = stub.actions().await;
    assert_eq!(
        count(&actions, "config:ListAggregateDiscoveredResources"),
        4
    );
    assert_eq!(count(&actions, "config:BatchGetAggregateResourceConfig"), 4);
    assert_in_policy(&actions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stub_all_regions_leaves_out_regions_not_enabled() {
    let items = make_items(140, &[HOME_ACCOUNT], &["us-east-1", "eu-west-1"]);
    let faults = Faults {
        enabled_regions: ["us-east-1".to_string(), "eu-west-1".to_string()].into(),
        ..Faults::default()
    };
    let stub = ConfigStub::start(items, faults).await;
    let mut opts = stub_options(&stub, &[]);
    opts.regions = Regions::All;
    let c = run(
        &opts,
        &filter(&["AWS::S3::Bucket", "AWS::Config::RecorderStatus"]),
    )
    .await;
    assert!(c.errors.is_empty(), "{:#?}", c.errors);
    let regions: BTreeSet<&str> = c.resources.iter().map(|r| r.region.as_str()).collect();
    assert_eq!(regions, ["eu-west-1", "us-east-1"].into_iter().collect());
    assert_eq!(c.of_type("AWS::S3::Bucket").len(), 20);
    assert_eq!(c.of_type("AWS::Config::RecorderStatus").len(), 2);

    // Named explicitly, a region that is not enabled is a gap.
    let c = run(
        &stub_options(&stub, &["us-east-1", "ap-east-2"]),
        &filter(&["AWS::S3::Bucket"]),
    )
    .await;
    assert_eq!(c.errors.len(), 1, "{:#?}", c.errors);
    assert_eq!(c.errors[0].region.as_deref(), Some("ap-east-2"));
    assert_eq!(c.errors[0].kind, ErrorKind::AccessDenied);
    assert!(
        c.errors[0].message.contains("region enabled"),
        "{}",
        c.errors[0].message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_file_lists_only_read_actions() {
    for a in policy_actions() {
        let verb = a.split(':').nth(1).unwrap_or_default();
        let read = [
            "Get",
            "List",
            "Describe",
            "Select",
            "BatchGet",
            "GenerateCredentialReport",
            "AssumeRole",
        ]
        .iter()
        .any(|p| verb.starts_with(p));
        assert!(read, "{a} is not a read action");
    }
}

/// Run the annexa binary against an emulator with static test keys and a fixed clock.
fn annexa_cli(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut c = assert_cmd::Command::cargo_bin("annexa").unwrap();
    c.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("ANNEXA_") {
            c.env_remove(k);
        }
    }
    c.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("ANNEXA_NOW", "2026-11-23T12:00:00Z")
        .args(args)
        .output()
        .unwrap()
}

fn failing(results: &Value) -> BTreeSet<(String, String)> {
    results["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| {
            (
                f["check_id"].as_str().unwrap().to_string(),
                f["resource_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Issue 3's end-to-end promise: `annexa scan aws` against the seeded emulator reports every
/// planted failure through the check meant for it, and nothing else but what the emulator's own
/// data makes true (listed below, each with its reason).
#[test]
fn scan_aws_against_moto_finds_the_planted_failures() {
    let moto = MotoServer::start();
    let planted = moto.seed();
    let dir = tempfile::tempdir().unwrap();
    let out = annexa_cli(
        dir.path(),
        &[
            "scan",
            "aws",
            "--endpoint-url",
            &moto.endpoint,
            "--regions",
            "us-east-1,eu-west-1",
            "--format",
            "console,json,sarif",
            "--output-dir",
            "out",
            "--fail-on",
            "high",
            "--save-inventory",
            "moto.jsonl",
        ],
    );
    let console = String::from_utf8_lossy(&out.stdout);
    // High findings fail the gate before the eu-west-1 gap could make it 3.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{console}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        console.contains("INCOMPLETE") && console.contains("aws/123456789012/eu-west-1"),
        "{console}"
    );
    let results: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/results.json")).unwrap())
            .unwrap();
    let found = failing(&results);

    let a = "123456789012";
    let planted_checks: Vec<(&str, &str, String)> = vec![
        (
            "password_policy_weak",
            "aws.iam.password-policy-strong",
            format!("arn:aws:iam::{a}:account-password-policy"),
        ),
        (
            "password_policy_weak",
            "aws.iam.password-policy-reuse-prevented",
            format!("arn:aws:iam::{a}:account-password-policy"),
        ),
        (
            "console_user_without_mfa",
            "aws.iam.user-console-mfa-enabled",
            format!("arn:aws:iam::{a}:user/bob"),
        ),
        (
            "user_with_admin_policy",
            "aws.iam.policy-no-admin-access",
            format!("arn:aws:iam::{a}:policy/annexa-admin-all"),
        ),
        (
            "user_with_admin_policy",
            "aws.iam.user-permissions-through-groups",
            format!("arn:aws:iam::{a}:user/carol"),
        ),
        (
            "bucket_without_public_access_block",
            "aws.s3.bucket-public-access-blocked",
            "arn:aws:s3:::annexa-open-bucket".into(),
        ),
        (
            "bucket_without_encryption",
            "aws.s3.bucket-default-encryption-enabled",
            "arn:aws:s3:::annexa-open-bucket".into(),
        ),
        (
            "bucket_public_policy",
            "aws.s3.bucket-policy-not-public",
            "arn:aws:s3:::annexa-open-bucket".into(),
        ),
        (
            "account_public_access_block_partial",
            "aws.s3.account-public-access-blocked",
            format!("aws/{a}"),
        ),
        (
            "role_trusting_foreign_account_without_external_id",
            "aws.iam.role-cross-account-trust-conditioned",
            format!("arn:aws:iam::{a}:role/annexa-cross-account"),
        ),
        (
            "config_not_recording",
            "aws.config.recorder-enabled-all-regions",
            format!("aws/{a}"),
        ),
        (
            "sns_topic_unencrypted",
            "aws.sns.topic-encrypted",
            format!("arn:aws:sns:us-east-1:{a}:annexa-alerts"),
        ),
    ];
    let planted_names: BTreeSet<&str> = planted
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let covered: BTreeSet<&str> = planted_checks.iter().map(|(p, _, _)| *p).collect();
    assert_eq!(
        covered, planted_names,
        "every failure seed.py plants is asserted here"
    );
    for (what, check, resource) in &planted_checks {
        assert!(
            found.contains(&(check.to_string(), resource.clone())),
            "planted {what}: {check} did not fail on {resource}"
        );
    }

    // True in the emulator but not planted: moto's root user has no MFA and the account has no
    // support role; the seed gives user dave an inline policy. Every bucket lacks logging,
    // lifecycle, replication, MFA delete, a TLS-only policy and a classification tag.
    // moto's bucket items lack ServerSideEncryptionConfiguration and BucketVersioningConfiguration
    // (shared/reference/moto/README.md), so even annexa-secure-bucket reads as unencrypted and
    // unversioned, as a real item without those keys would.
    let mut expected: BTreeSet<(String, String)> = planted_checks
        .iter()
        .map(|(_, c, r)| (c.to_string(), r.clone()))
        .collect();
    for (c, r) in [
        ("aws.iam.root-mfa-enabled", format!("aws/{a}")),
        ("aws.iam.support-role-exists", format!("aws/{a}")),
        (
            "aws.iam.user-no-inline-policies",
            format!("arn:aws:iam::{a}:user/dave"),
        ),
    ] {
        expected.insert((c.to_string(), r));
    }
    for bucket in [
        "annexa-config-logs",
        "annexa-open-bucket",
        "annexa-secure-bucket",
    ] {
        for check in [
            "access-logging-enabled",
            "classification-tagged",
            "default-encryption-enabled",
            "encrypted-with-kms",
            "lifecycle-configured",
            "mfa-delete-enabled",
            "replication-enabled",
            "ssl-requests-only",
            "versioning-enabled",
        ] {
            expected.insert((
                format!("aws.s3.bucket-{check}"),
                format!("arn:aws:s3:::{bucket}"),
            ));
        }
    }
    expected.insert((
        "aws.s3.bucket-public-access-blocked".into(),
        "arn:aws:s3:::annexa-config-logs".into(),
    ));
    let unexpected: Vec<_> = found.difference(&expected).collect();
    let missing: Vec<_> = expected.difference(&found).collect();
    assert!(
        unexpected.is_empty() && missing.is_empty(),
        "unexpected failures: {unexpected:#?}\nexpected but not failing: {missing:#?}"
    );

    // The gap in eu-west-1 makes regional checks error there, never pass; global IAM is unaffected.
    let errors: Vec<&Value> = results["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "error")
        .collect();
    assert!(errors
        .iter()
        .any(|f| f["resource_id"].as_str().unwrap().contains("eu-west-1")));
    assert!(
        errors.iter().all(|f| !f["resource_type"]
            .as_str()
            .unwrap()
            .starts_with("AWS::IAM::")),
        "IAM is global: a regional gap does not hide it"
    );

    // The saved inventory reproduces the scan offline.
    let again = annexa_cli(
        dir.path(),
        &[
            "scan",
            "--inventory",
            "moto.jsonl",
            "--format",
            "json",
            "--output-dir",
            "again",
            "--fail-on",
            "high",
        ],
    );
    assert_eq!(again.status.code(), Some(1));
    let offline: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("again/results.json")).unwrap())
            .unwrap();
    assert_eq!(offline["findings"], results["findings"]);
    assert_eq!(
        offline["scope"]["inventory_digest"],
        results["scope"]["inventory_digest"]
    );
}
