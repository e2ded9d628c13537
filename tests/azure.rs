//! The Azure collector end to end against a local server on 127.0.0.1 that replays Microsoft's
//! own example responses (shared/reference/azure-rest-api-specs-examples) and runs a local
//! token endpoint: the real client code (auth, paging, retries, parsing) runs unchanged.
#![cfg(feature = "azure")]

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use annexa::collect::azure::{collect, AzureCloud, AzureOptions, CredentialEnv};
use annexa::collect::{Event, FatalError, TypeFilter};
use annexa::model::{CollectionError, ErrorKind, Resource, Source};
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TENANT: &str = "72f988bf-0000-0000-0000-000000000000";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const SECRET: &str = "local-test-secret";
const SUB1: &str = "aaaaaaaa-0000-0000-0000-000000000001";
const SUB2: &str = "aaaaaaaa-0000-0000-0000-000000000002";
const SUB3: &str = "aaaaaaaa-0000-0000-0000-000000000003";
const GRAPH: &str = "/providers/microsoft.resourcegraph/resources";

fn examples_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for base in [manifest.join("../shared"), manifest.join("../../shared")] {
        let dir = base.join("reference/azure-rest-api-specs-examples");
        if dir.is_dir() {
            return dir;
        }
    }
    panic!(
        "shared/reference/azure-rest-api-specs-examples not found next to {}",
        manifest.display()
    );
}

/// `responses.<2xx>.body` of one Microsoft example file.
fn example(rel: &str) -> Value {
    let text =
        std::fs::read_to_string(examples_dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    let r = v["responses"].as_object().unwrap();
    let code = ["200", "201", "202"]
        .into_iter()
        .find(|c| r.contains_key(*c))
        .unwrap();
    r[code]["body"].clone()
}

fn items(rel: &str) -> Vec<Value> {
    let b = example(rel);
    match b.get("value") {
        Some(Value::Array(a)) => a.clone(),
        _ => vec![b],
    }
}

/// Moves a Microsoft example into one of our subscriptions (examples use many ids and
/// placeholders), as Resource Graph would return it: with `subscriptionId`.
fn rehome(v: &Value, sub: &str) -> Value {
    let re = regex::Regex::new(r"(?i)/subscriptions/[^/\x22]+").unwrap();
    let text = re
        .replace_all(&v.to_string(), format!("/subscriptions/{sub}").as_str())
        .to_string();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    if let Some(o) = v.as_object_mut() {
        o.insert("subscriptionId".into(), json!(sub));
    }
    v
}

fn renamed(v: &Value, name: &str) -> Value {
    let mut v = v.clone();
    let id = v["id"].as_str().unwrap();
    let parent = &id[..id.rfind('/').unwrap()];
    v["id"] = json!(format!("{parent}/{name}"));
    v["name"] = json!(name);
    v
}

/// The bad cases Microsoft's examples lack, derived from them.
fn open_nsg() -> Value {
    let mut nsg = renamed(
        &example("network/2025-05-01/NetworkSecurityGroupGet.json"),
        "nsg-open-admin",
    );
    let base = nsg["properties"]["securityRules"][0].clone();
    let rule = |name: &str, port: &str, source: &str, priority: u32| {
        let mut r = base.clone();
        let id = r["id"]
            .as_str()
            .unwrap()
            .replace("nsg-open-admin", "x")
            .replace("testnsg", "nsg-open-admin");
        r["id"] = json!(id.replace("rule1", name));
        r["name"] = json!(name);
        r["properties"]["destinationPortRange"] = json!(port);
        r["properties"]["sourceAddressPrefix"] = json!(source);
        r["properties"]["priority"] = json!(priority);
        r
    };
    nsg["properties"]["securityRules"] = json!([
        rule("ssh", "22", "*", 100),
        rule("rdp", "3389", "Internet", 110)
    ]);
    nsg
}

fn insecure_storage() -> Value {
    let mut s = renamed(
        &example("storage/2025-01-01/StorageAccountCreate.json"),
        "stoinsecure",
    );
    s["type"] = json!("Microsoft.Storage/storageAccounts");
    s["properties"]["supportsHttpsTrafficOnly"] = json!(false);
    s["properties"]["minimumTlsVersion"] = json!("TLS1_0");
    s
}

fn vault_without_purge_protection() -> Value {
    let mut v = renamed(&example("keyvault/2026-04-01/getVault.json"), "kv-no-purge");
    let p = v["properties"].as_object_mut().unwrap();
    // Microsoft's loose form, which the collector must turn into a boolean.
    p.insert("enablePurgeProtection".into(), json!("False"));
    v
}

fn sql_database() -> Value {
    let tde = example("sql/2025-01-01/TransparentDataEncryptionGet.json");
    json!({"id": tde["id"], "name": "testdb", "type": "Microsoft.Sql/servers/databases", "location": "westus",
           "properties": {"status": "Online"}})
}

/// Rows per Resource Graph table, every one in SUB1 and SUB2.
fn graph_rows() -> Vec<(&'static str, Value)> {
    let mut resources: Vec<Value> = Vec::new();
    for rel in [
        "storage/2025-01-01/StorageAccountList.json",
        "network/2025-05-01/NetworkSecurityGroupListAll.json",
        "keyvault/2026-04-01/listVaultByResourceGroup.json",
        "sql/2025-01-01/ServerList.json",
        "compute/2025-04-01/VirtualMachine_Get.json",
        "compute/2025-01-02/Disk_ListBySubscription.json",
        "web/2026-09-01/ListWebApps.json",
    ] {
        resources.extend(items(rel));
    }
    resources.extend([
        open_nsg(),
        insecure_storage(),
        vault_without_purge_protection(),
        sql_database(),
    ]);
    let mut rows = Vec::new();
    for sub in [SUB1, SUB2] {
        for r in &resources {
            rows.push(("Resources", rehome(r, sub)));
        }
        for r in items("authorization/2022-04-01/RoleAssignments_ListForSubscription.json") {
            rows.push(("AuthorizationResources", rehome(&r, sub)));
        }
        for r in items("authorization/2022-04-01/GetRoleDefinitionAtScope.json") {
            rows.push(("AuthorizationResources", rehome(&r, sub)));
        }
    }
    // Defender pricings in SecurityResources for SUB1 only: SUB2's come from Resource Manager.
    for r in items("security/2024-01-01/ListPricings_example.json") {
        rows.push(("SecurityResources", rehome(&r, SUB1)));
    }
    rows
}

/// Faults a test injects.
#[derive(Default)]
struct Faults {
    /// The first N Resource Graph queries answer 429 with `Retry-After: 1`.
    graph_429: usize,
    /// The first N reads whose path contains the string answer 503.
    arm_503: Option<(String, usize)>,
    /// Reads whose path contains the string answer a broken JSON body.
    broken_json: Option<String>,
    /// Resource Graph keeps sending fresh `$skipToken`s for this table.
    endless_table: Option<&'static str>,
    /// Every read touching this subscription answers 403 AuthorizationFailed.
    denied_sub: Option<String>,
    /// The first Resource Manager read says the token expired.
    expire_first_token: bool,
    /// Resource Graph quota: (queries per window, window); 429 beyond it.
    quota: Option<(u32, Duration)>,
}

struct Fake {
    rows: Vec<(&'static str, Value)>,
    faults: Mutex<Faults>,
    tokens_issued: AtomicUsize,
    graph_queries: AtomicUsize,
    throttled: AtomicUsize,
    window: Mutex<(Instant, u32)>,
    federated_assertion: Option<String>,
    /// PEM of the certificate registered for the app: client assertions must be signed by it.
    certificate: Option<std::path::PathBuf>,
}

fn jwt(n: usize) -> String {
    let enc = |v: &Value| azure_core::base64::encode_url_safe(v.to_string());
    format!(
        "{}.{}.sig{n}",
        enc(&json!({"alg": "none"})),
        enc(&json!({"appid": CLIENT, "oid": "99999999-0000-0000-0000-000000000000", "n": n}))
    )
}

fn arm_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"code": code, "message": message}}))
}

impl Fake {
    fn new(faults: Faults) -> Arc<Fake> {
        Arc::new(Fake {
            rows: graph_rows(),
            faults: Mutex::new(faults),
            tokens_issued: AtomicUsize::new(0),
            graph_queries: AtomicUsize::new(0),
            throttled: AtomicUsize::new(0),
            window: Mutex::new((Instant::now(), 0)),
            federated_assertion: None,
            certificate: None,
        })
    }

    fn token(&self, req: &Request) -> ResponseTemplate {
        let form: HashMap<String, String> = String::from_utf8_lossy(&req.body)
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_decode(v)))
            .collect();
        let ok_client = form.get("client_id").map(String::as_str) == Some(CLIENT)
            && form.get("grant_type").map(String::as_str) == Some("client_credentials")
            && form.get("scope").map(String::as_str)
                == Some("https://management.azure.com/.default");
        let ok_secret = match (&self.federated_assertion, &self.certificate) {
            (_, Some(cert)) => {
                form.get("client_assertion_type").map(String::as_str)
                    == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                    && form
                        .get("client_assertion")
                        .is_some_and(|a| verify_assertion(a, cert))
            }
            (Some(a), None) => {
                form.get("client_assertion") == Some(a)
                    && form.get("client_assertion_type").map(String::as_str)
                        == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            }
            (None, None) => form.get("client_secret").map(String::as_str) == Some(SECRET),
        };
        if !(ok_client && ok_secret && req.url.path().starts_with(&format!("/{TENANT}/"))) {
            return ResponseTemplate::new(401)
                .set_body_json(json!({"error": "invalid_client", "error_description": "AADSTS7000215: bad credentials"}));
        }
        let n = self.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": jwt(n)}),
        )
    }

    fn graph(&self, req: &Request) -> ResponseTemplate {
        self.graph_queries.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let mut f = self.faults.lock().unwrap();
        let mut headers = Vec::new();
        if let Some((limit, window)) = f.quota {
            let mut w = self.window.lock().unwrap();
            if w.0.elapsed() >= window {
                *w = (Instant::now(), 0);
            }
            w.1 += 1;
            let resets = window.saturating_sub(w.0.elapsed());
            let resets = format!("00:00:{:06.3}", resets.as_secs_f64());
            if w.1 > limit {
                self.throttled.fetch_add(1, Ordering::SeqCst);
                return arm_error(429, "RateLimiting", "quota exceeded")
                    .insert_header("x-ms-user-quota-remaining", "0")
                    .insert_header("x-ms-user-quota-resets-after", resets.as_str());
            }
            headers.push(("x-ms-user-quota-remaining", (limit - w.1).to_string()));
            headers.push(("x-ms-user-quota-resets-after", resets));
        }
        if f.graph_429 > 0 {
            f.graph_429 -= 1;
            self.throttled.fetch_add(1, Ordering::SeqCst);
            return arm_error(429, "RateLimiting", "slow down").insert_header("retry-after", "1");
        }
        if let Some(mg) = body.get("managementGroups") {
            assert_eq!(mg, &json!(["mg-prod"]));
            assert!(body["query"]
                .as_str()
                .unwrap()
                .starts_with("ResourceContainers"));
            let rows: Vec<Value> = [(SUB2, "Enabled"), (SUB3, "Disabled")]
                .iter()
                .map(|(s, state)| json!({"subscriptionId": s, "name": format!("sub {s}"), "properties": {"state": state}}))
                .collect();
            return ResponseTemplate::new(200).set_body_json(
                json!({"totalRecords": 2, "count": 2, "resultTruncated": "false", "data": rows}),
            );
        }
        let subs: Vec<String> = body["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        if let Some(d) = &f.denied_sub {
            if subs.contains(d) {
                return arm_error(
                    403,
                    "AuthorizationFailed",
                    &format!("no access to subscription {d}"),
                );
            }
        }
        let query = body["query"].as_str().unwrap();
        let table = query.split_whitespace().next().unwrap();
        let quoted = |after: &str| -> Vec<String> {
            query
                .split_once(after)
                .map(|(_, rest)| rest.split(')').next().unwrap())
                .map(|list| {
                    list.split(',')
                        .map(|t| t.trim().trim_matches('\'').to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        let include = quoted("type in~ (");
        let exclude = quoted("type !in~ (");
        let matching: Vec<&Value> = self
            .rows
            .iter()
            .filter(|(t, r)| {
                let ty = r["type"].as_str().unwrap_or("").to_ascii_lowercase();
                *t == table
                    && subs.iter().any(|s| r["subscriptionId"] == json!(s))
                    && (include.is_empty() || include.contains(&ty))
                    && !exclude.contains(&ty)
            })
            .map(|(_, r)| r)
            .collect();
        let top = body["options"]["$top"].as_u64().unwrap() as usize;
        let offset = body["options"]["$skipToken"]
            .as_str()
            .map(|t| t.rsplit('-').next().unwrap().parse::<usize>().unwrap())
            .unwrap_or(0);
        let page: Vec<&Value> = matching.iter().skip(offset).take(top).copied().collect();
        let mut out = json!({"totalRecords": matching.len(), "count": page.len(), "resultTruncated": "false",
                             "facets": [], "data": page});
        if f.endless_table == Some(table) {
            // A fresh token forever, and the same rows again: the collector must stop.
            out["$skipToken"] = json!(format!(
                "endless-{}",
                self.graph_queries.load(Ordering::SeqCst)
            ));
            out["data"] = json!(matching.iter().take(top).collect::<Vec<_>>());
            out["count"] = json!(out["data"].as_array().unwrap().len());
        } else if offset + top < matching.len() {
            out["$skipToken"] = json!(format!("tok-{table}-{}", offset + top));
        }
        let mut rsp = ResponseTemplate::new(200).set_body_json(out);
        for (k, v) in headers {
            rsp = rsp.insert_header(k, v.as_str());
        }
        rsp
    }

    fn arm(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path().to_ascii_lowercase();
        let mut f = self.faults.lock().unwrap();
        if f.expire_first_token && path != "/subscriptions" {
            f.expire_first_token = false;
            return arm_error(
                401,
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
            );
        }
        if let Some(d) = &f.denied_sub {
            if path.contains(d.as_str()) {
                return arm_error(403, "AuthorizationFailed", &format!("The client '{CLIENT}' does not have authorization to perform action over scope '/subscriptions/{d}'"));
            }
        }
        if let Some((needle, n)) = &mut f.arm_503 {
            if *n > 0 && path.contains(needle.as_str()) {
                *n -= 1;
                return arm_error(503, "ServiceUnavailable", "try again");
            }
        }
        if f.broken_json.as_deref().is_some_and(|b| path.contains(b)) {
            return ResponseTemplate::new(200)
                .set_body_raw("{\"value\": [ {\"id\": ", "application/json");
        }
        drop(f);
        let sub = path.split('/').nth(2).unwrap_or_default().to_string();
        let ok = |v: Value| ResponseTemplate::new(200).set_body_json(rehome(&v, &sub));
        let list = |rel: &str| {
            let mut v =
                json!({"value": items(rel).iter().map(|i| rehome(i, &sub)).collect::<Vec<_>>()});
            v.as_object_mut().unwrap().remove("nextLink");
            ResponseTemplate::new(200).set_body_json(v)
        };
        if path == "/subscriptions" {
            return ResponseTemplate::new(200).set_body_json(json!({"value": [
                {"id": format!("/subscriptions/{SUB1}"), "subscriptionId": SUB1, "displayName": "Production", "state": "Enabled", "tenantId": TENANT},
                {"id": format!("/subscriptions/{SUB2}"), "subscriptionId": SUB2, "displayName": "Staging", "state": "Enabled", "tenantId": TENANT},
                {"id": format!("/subscriptions/{SUB3}"), "subscriptionId": SUB3, "displayName": "Old", "state": "Disabled", "tenantId": TENANT},
            ]}));
        }
        if path.ends_with("/providers/microsoft.insights/diagnosticsettings") {
            return if path.matches('/').count() == 5 {
                list("monitor/2021-05-01-preview/listSubscriptionDiagnosticSettings.json")
            } else if path.contains("/microsoft.keyvault/") {
                list("monitor/2021-05-01-preview/listDiagnosticSettings.json")
            } else {
                ResponseTemplate::new(200).set_body_json(json!({"value": []}))
            };
        }
        if path.ends_with("/providers/microsoft.security/pricings") {
            return list("security/2024-01-01/ListPricings_example.json");
        }
        if path.ends_with("/providers/microsoft.insights/activitylogalerts") {
            return list("monitor/2026-01-01/ActivityLogAlertRule_ListBySubscriptionId.json");
        }
        if path.ends_with("/auditingsettings/default") {
            return ok(example("sql/2025-01-01/ServerBlobAuditingGet.json"));
        }
        if path.ends_with("/transparentdataencryption/current") {
            return ok(example("sql/2025-01-01/TransparentDataEncryptionGet.json"));
        }
        if path.ends_with("/config/web") {
            return ok(example("web/2025-05-01/GetSiteConfig.json"));
        }
        if path.ends_with("/resourcegroups") {
            return ResponseTemplate::new(200)
                .set_body_json(json!({"value": [rehome(&example("resources/2025-04-01/CreateResourceGroup.json"), &sub)]}));
        }
        arm_error(404, "ResourceNotFound", &format!("no fixture for {path}"))
    }
}

/// What Entra ID checks of a certificate assertion, with openssl as the independent verifier:
/// thumbprint, audience, issuer and subject, expiry, and the RS256 signature.
fn verify_assertion(jwt: &str, cert: &std::path::Path) -> bool {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = jwt.split('.').collect();
    let [h, c, sig] = parts.as_slice() else {
        return false;
    };
    let (Ok(header), Ok(claims), Ok(signature)) = (b64.decode(h), b64.decode(c), b64.decode(sig))
    else {
        return false;
    };
    let header: Value = serde_json::from_slice(&header).unwrap();
    let claims: Value = serde_json::from_slice(&claims).unwrap();
    let dir = cert.parent().unwrap();
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl")
    };
    let fp = String::from_utf8(
        openssl(&[
            "x509",
            "-in",
            cert.to_str().unwrap(),
            "-noout",
            "-fingerprint",
            "-sha1",
        ])
        .stdout,
    )
    .unwrap();
    let hex: String = fp.trim().rsplit('=').next().unwrap().replace(':', "");
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let now = chrono::Utc::now().timestamp();
    let claims_ok = header["alg"] == "RS256"
        && header["x5t"] == b64.encode(bytes)
        && claims["aud"]
            .as_str()
            .is_some_and(|a| a.ends_with(&format!("/{TENANT}/oauth2/v2.0/token")))
        && claims["iss"] == CLIENT
        && claims["sub"] == CLIENT
        && claims["exp"].as_i64().is_some_and(|e| e > now);
    std::fs::write(dir.join("signed.txt"), format!("{h}.{c}")).unwrap();
    std::fs::write(dir.join("signature.bin"), signature).unwrap();
    let pubkey = openssl(&["x509", "-in", cert.to_str().unwrap(), "-noout", "-pubkey"]).stdout;
    std::fs::write(dir.join("pub.pem"), pubkey).unwrap();
    let verified = openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        "pub.pem",
        "-signature",
        "signature.bin",
        "signed.txt",
    ])
    .status
    .success();
    claims_ok && verified
}

/// A throwaway key and self-signed certificate, made with openssl, in `dir/name.pem`.
fn make_certificate(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let key = dir.join(format!("{name}.key"));
    let crt = dir.join(format!("{name}.crt"));
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=annexa-test",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .output()
        .expect("openssl is needed for the certificate tests")
        .status
        .success();
    assert!(ok, "openssl could not make a test certificate");
    let pem = dir.join(format!("{name}.pem"));
    std::fs::write(
        &pem,
        std::fs::read_to_string(&key).unwrap() + &std::fs::read_to_string(&crt).unwrap(),
    )
    .unwrap();
    pem
}

/// A harness whose token endpoint trusts `trusted` and whose client signs with `used`.
async fn harness_certificate(
    dir: &std::path::Path,
    trusted: &std::path::Path,
    used: &std::path::Path,
) -> Harness {
    let mut h = harness(Faults::default()).await;
    let _ = dir;
    // The fake is shared with the mounted responder: mount a new one that trusts the certificate.
    h.server.reset().await;
    let mut fake = Fake::new(Faults::default());
    Arc::get_mut(&mut fake).unwrap().certificate = Some(trusted.with_extension("crt"));
    Mock::given(wiremock::matchers::any())
        .respond_with(Shared(fake.clone()))
        .mount(&h.server)
        .await;
    h.fake = fake;
    h.opts.credential.client_secret = None;
    h.opts.credential.client_certificate_path = Some(used.to_path_buf());
    h
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .to_string()
}

struct Shared(Arc<Fake>);

impl Respond for Shared {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let fake = &self.0;
        let path = req.url.path().to_ascii_lowercase();
        if req.method.as_str() == "POST" && path.ends_with("/oauth2/v2.0/token") {
            return fake.token(req);
        }
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !auth.starts_with("Bearer ") || auth.len() < 20 {
            return arm_error(401, "AuthenticationFailed", "missing bearer token");
        }
        if path == GRAPH {
            let api = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "api-version")
                .map(|(_, v)| v.to_string());
            assert_eq!(api.as_deref(), Some("2024-04-01"));
            return fake.graph(req);
        }
        fake.arm(req)
    }
}

struct Harness {
    server: MockServer,
    fake: Arc<Fake>,
    opts: AzureOptions,
    _dir: tempfile::TempDir,
}

async fn harness(faults: Faults) -> Harness {
    harness_with(faults, false).await
}

async fn harness_with(faults: Faults, federated: bool) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut fake = Fake::new(faults);
    let mut env = CredentialEnv {
        tenant_id: Some(TENANT.into()),
        client_id: Some(CLIENT.into()),
        use_azure_cli: false,
        ..Default::default()
    };
    if federated {
        let assertion = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMifQ.c2ln";
        let file = dir.path().join("federated-token");
        std::fs::write(&file, format!("{assertion}\n")).unwrap();
        env.federated_token_file = Some(file);
        Arc::get_mut(&mut fake).unwrap().federated_assertion = Some(assertion.into());
    } else {
        env.client_secret = Some(SECRET.into());
    }
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(Shared(fake.clone()))
        .mount(&server)
        .await;
    let mut opts = AzureOptions::new(AzureCloud::AzureCloud, env);
    opts.arm_endpoint = server.uri();
    opts.authority_host = server.uri();
    opts.page_size = 7;
    opts.retry.base_delay = Duration::from_millis(20);
    opts.retry.max_delay = Duration::from_secs(5);
    opts.retry.timeout = Duration::from_secs(10);
    opts.max_concurrency = 4;
    Harness {
        server,
        fake,
        opts,
        _dir: dir,
    }
}

#[derive(Default, Debug)]
struct Outcome {
    sources: Vec<Source>,
    resources: Vec<Resource>,
    errors: Vec<CollectionError>,
    progress: usize,
}

impl Outcome {
    /// Gaps other than the disabled subscription every listing includes.
    fn gaps(&self) -> Vec<&CollectionError> {
        self.errors.iter().filter(|e| e.account != SUB3).collect()
    }
    fn of_type(&self, t: &str) -> Vec<&Resource> {
        self.resources
            .iter()
            .filter(|r| r.resource_type == t)
            .collect()
    }
    fn named(&self, t: &str, name: &str, sub: &str) -> &Resource {
        self.resources
            .iter()
            .find(|r| r.resource_type == t && r.name == name && r.account == sub)
            .unwrap_or_else(|| panic!("no {t} named {name} in {sub}"))
    }
}

async fn run(opts: &AzureOptions, filter: TypeFilter) -> (Result<(), FatalError>, Outcome) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let drain = tokio::spawn(async move {
        let mut o = Outcome::default();
        while let Some(e) = rx.recv().await {
            match e {
                Event::Source(s) => o.sources.push(s),
                Event::Resource(r) => o.resources.push(*r),
                Event::Error(e) => o.errors.push(e),
                Event::Progress(_) => o.progress += 1,
            }
        }
        o
    });
    let result = tokio::time::timeout(Duration::from_secs(60), collect(opts, &filter, tx))
        .await
        .expect("the collector must never hang");
    (result, drain.await.unwrap())
}

fn filter(types: &[&str]) -> TypeFilter {
    Some(types.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>())
}

#[tokio::test]
async fn collects_microsoft_examples_end_to_end() {
    let h = harness(Faults::default()).await;
    let (result, o) = run(&h.opts, None).await;
    result.unwrap();

    // Sources: every visible subscription, the disabled one included, with the principal.
    let accounts: Vec<&str> = o.sources.iter().map(|s| s.account.as_str()).collect();
    assert_eq!(accounts, [SUB1, SUB2, SUB3]);
    let principal = o.sources[0].principal.as_deref().unwrap();
    assert!(
        principal.starts_with("client secret") && principal.contains(CLIENT),
        "{principal}"
    );
    // The only gap: the disabled subscription.
    assert_eq!(o.errors.len(), 1, "{:#?}", o.errors);
    assert_eq!(o.errors[0].account, SUB3);
    assert_eq!(o.errors[0].kind, ErrorKind::Unavailable);
    assert!(o.errors[0].message.contains("Disabled"));
    assert!(o.progress > 0);

    // Every type the collector knows, in both subscriptions.
    for (t, per_sub) in [
        ("microsoft.storage/storageaccounts", 7),
        ("microsoft.network/networksecuritygroups", 3),
        ("microsoft.keyvault/vaults", 2),
        ("microsoft.sql/servers", 2),
        ("microsoft.sql/servers/databases", 1),
        ("microsoft.compute/virtualmachines", 1),
        ("microsoft.compute/disks", 3),
        ("microsoft.web/sites", 2),
        ("microsoft.authorization/roleassignments", 1),
        ("microsoft.authorization/roledefinitions", 1),
        ("microsoft.security/pricings", 13),
        ("microsoft.insights/activitylogalerts", 2),
        ("microsoft.sql/servers/auditingsettings", 2),
        (
            "microsoft.sql/servers/databases/transparentdataencryption",
            1,
        ),
        ("microsoft.resources/subscriptions/resourcegroups", 1),
    ] {
        for sub in [SUB1, SUB2] {
            let n = o.of_type(t).iter().filter(|r| r.account == sub).count();
            assert_eq!(n, per_sub, "{t} in {sub}");
        }
    }
    // Diagnostic settings: the subscription's and the key vaults' (NSGs have none).
    let diag = o.of_type("microsoft.insights/diagnosticsettings");
    assert_eq!(diag.len(), 2 * (1 + 2), "{diag:#?}");
    let sub_diag = diag
        .iter()
        .find(|r| r.config["scope"] == json!(format!("/subscriptions/{SUB1}")))
        .unwrap();
    assert_eq!(
        sub_diag.config["properties"]["logs"][0]["categoryGroup"],
        json!("allLogs")
    );
    assert!(
        sub_diag.id.starts_with(&format!("/subscriptions/{SUB1}/")),
        "{}",
        sub_diag.id
    );

    // Ids and types are lower case, ids have a leading slash; nothing is duplicated.
    let mut ids = BTreeSet::new();
    for r in &o.resources {
        assert_eq!(r.id, r.id.to_ascii_lowercase());
        assert!(r.id.starts_with("/subscriptions/"), "{}", r.id);
        assert_eq!(r.resource_type, r.resource_type.to_ascii_lowercase());
        assert!(
            ids.insert((r.resource_type.clone(), r.id.clone())),
            "duplicate {} {}",
            r.resource_type,
            r.id
        );
    }

    // The bad cases, as checks will see them.
    let nsg = o.named(
        "microsoft.network/networksecuritygroups",
        "nsg-open-admin",
        SUB1,
    );
    let rules = nsg.config["properties"]["securityRules"]
        .as_array()
        .unwrap();
    let open: Vec<(&str, &str)> = rules
        .iter()
        .map(|r| {
            let p = &r["properties"];
            (
                p["destinationPortRange"].as_str().unwrap(),
                p["sourceAddressPrefix"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(open, [("22", "*"), ("3389", "Internet")]);
    assert_eq!(rules[0]["properties"]["access"], json!("Allow"));
    let sto = o.named("microsoft.storage/storageaccounts", "stoinsecure", SUB2);
    assert_eq!(
        sto.config["properties"]["supportsHttpsTrafficOnly"],
        json!(false)
    );
    assert_eq!(
        sto.config["properties"]["minimumTlsVersion"],
        json!("TLS1_0")
    );
    let kv = o.named("microsoft.keyvault/vaults", "kv-no-purge", SUB1);
    assert_eq!(
        kv.config["properties"]["enablePurgeProtection"],
        json!(false)
    );
    let good_kv = o.named("microsoft.keyvault/vaults", "sample-vault", SUB1);
    assert!(good_kv.config["properties"]
        .get("enablePurgeProtection")
        .is_none_or(|v| v != &json!(true)));

    // Defender pricings: SUB1 from SecurityResources, SUB2 through Resource Manager; same shape.
    for sub in [SUB1, SUB2] {
        let vm = o.named("microsoft.security/pricings", "VirtualMachines", sub);
        assert_eq!(vm.config["properties"]["enforce"], json!(false));
        assert_eq!(
            vm.config["properties"]["extensions"][0]["isEnabled"],
            json!(true)
        );
        assert_eq!(vm.region, "global");
    }
    // Web apps carry config/web.
    for site in o.of_type("microsoft.web/sites") {
        let sc = &site.config["properties"]["siteConfig"];
        assert_eq!(sc["ftpsState"], json!("AllAllowed"), "{}", site.id);
        assert_eq!(sc["minTlsVersion"], json!("1.2"), "{}", site.id);
    }
    // TDE keeps its own id, not the database's it came back with.
    let tde = &o.of_type("microsoft.sql/servers/databases/transparentdataencryption")[0];
    assert!(
        tde.id
            .ends_with("/databases/testdb/transparentdataencryption/current"),
        "{}",
        tde.id
    );
    assert_eq!(tde.config["properties"]["state"], json!("Enabled"));
    let rg = o.named(
        "microsoft.resources/subscriptions/resourcegroups",
        "my-resource-group",
        SUB1,
    );
    assert_eq!(
        rg.id,
        format!("/subscriptions/{SUB1}/resourcegroups/my-resource-group")
    );
    assert_eq!(rg.region, "eastus");

    // Least privilege: every request is a GET, a Resource Graph query or a token request.
    let requests = h.server.received_requests().await.unwrap();
    assert!(requests.len() > 20);
    for r in &requests {
        let path = r.url.path().to_ascii_lowercase();
        let allowed = r.method.as_str() == "GET"
            || (r.method.as_str() == "POST" && path == GRAPH)
            || (r.method.as_str() == "POST" && path == format!("/{TENANT}/oauth2/v2.0/token"));
        assert!(allowed, "{} {} is not a read", r.method, r.url);
    }
    // One token for the whole scan.
    assert_eq!(h.fake.tokens_issued.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn workload_identity_federation() {
    let h = harness_with(Faults::default(), true).await;
    let (result, o) = run(&h.opts, filter(&["microsoft.keyvault/vaults"])).await;
    result.unwrap();
    let principal = o.sources[0].principal.as_deref().unwrap();
    assert!(
        principal.starts_with("workload identity federation"),
        "{principal}"
    );
    assert!(principal.contains("object id 99999999"), "{principal}");
    assert_eq!(o.of_type("microsoft.keyvault/vaults").len(), 4);
    assert_eq!(h.fake.tokens_issued.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn wrong_secret_is_fatal_and_says_what_to_do() {
    let mut h = harness(Faults::default()).await;
    h.opts.credential.client_secret = Some("wrong".into());
    let (result, o) = run(&h.opts, None).await;
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("Azure sign-in failed") && err.contains("AADSTS7000215"),
        "{err}"
    );
    assert!(o.resources.is_empty());
}

#[tokio::test]
async fn type_filter_limits_the_requests() {
    let h = harness(Faults::default()).await;
    let (result, o) = run(&h.opts, filter(&["microsoft.storage/storageaccounts"])).await;
    result.unwrap();
    assert!(o
        .resources
        .iter()
        .all(|r| r.resource_type == "microsoft.storage/storageaccounts"));
    assert_eq!(o.resources.len(), 14);
    let requests = h.server.received_requests().await.unwrap();
    let arm_gets: Vec<String> = requests
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(
        arm_gets,
        ["/subscriptions"],
        "only discovery besides the graph query"
    );
    // 14 storage accounts at 7 a page, both subscriptions in one batch: 2 queries.
    assert_eq!(h.fake.graph_queries.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn throttling_retry_after_is_obeyed() {
    let h = harness(Faults {
        graph_429: 1,
        ..Default::default()
    })
    .await;
    let t = Instant::now();
    let (result, o) = run(&h.opts, filter(&["microsoft.compute/disks"])).await;
    result.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 not obeyed ({:?})",
        t.elapsed()
    );
    assert!(o.gaps().is_empty(), "{:?}", o.gaps());
    assert_eq!(o.of_type("microsoft.compute/disks").len(), 6);
    assert_eq!(h.fake.throttled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn quota_headers_slow_down_before_a_429() {
    let h = harness(Faults {
        quota: Some((3, Duration::from_millis(1500))),
        ..Default::default()
    })
    .await;
    let mut opts = h.opts.clone();
    opts.page_size = 2;
    let t = Instant::now();
    let (result, o) = run(&opts, filter(&["microsoft.storage/storageaccounts"])).await;
    result.unwrap();
    // 14 rows at 2 a page: 7 queries against 3 per window.
    assert_eq!(h.fake.graph_queries.load(Ordering::SeqCst), 7);
    assert_eq!(
        h.fake.throttled.load(Ordering::SeqCst),
        0,
        "the collector ran into the quota"
    );
    assert!(
        t.elapsed() >= Duration::from_millis(2900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(o.resources.len(), 14);
    assert!(o.gaps().is_empty());
}

#[tokio::test]
async fn server_errors_are_retried() {
    let h = harness(Faults {
        arm_503: Some(("activitylogalerts".into(), 2)),
        ..Default::default()
    })
    .await;
    let (result, o) = run(&h.opts, filter(&["microsoft.insights/activitylogalerts"])).await;
    result.unwrap();
    assert!(o.gaps().is_empty(), "{:?}", o.gaps());
    assert_eq!(o.of_type("microsoft.insights/activitylogalerts").len(), 4);
    let alert = &o.of_type("microsoft.insights/activitylogalerts")[0];
    assert_eq!(alert.config["properties"]["enabled"], json!(true));
}

#[tokio::test]
async fn broken_json_is_an_invalid_response_gap() {
    let h = harness(Faults {
        broken_json: Some("activitylogalerts".into()),
        ..Default::default()
    })
    .await;
    let types = [
        "microsoft.insights/activitylogalerts",
        "microsoft.keyvault/vaults",
    ];
    let (result, o) = run(&h.opts, filter(&types)).await;
    result.unwrap();
    assert_eq!(o.gaps().len(), 2, "{:#?}", o.gaps());
    for (e, sub) in o.gaps().iter().zip([SUB1, SUB2]) {
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
        assert_eq!(
            e.resource_type.as_deref(),
            Some("microsoft.insights/activitylogalerts")
        );
        assert!(e.api.as_deref().unwrap().contains("activityLogAlerts"));
        assert!(o.gaps().iter().any(|e| e.account == sub));
    }
    assert_eq!(
        o.of_type("microsoft.keyvault/vaults").len(),
        4,
        "the rest is still collected"
    );
}

#[tokio::test]
async fn endless_skip_token_is_bounded() {
    let h = harness(Faults {
        endless_table: Some("Resources"),
        ..Default::default()
    })
    .await;
    let t = Instant::now();
    let (result, o) = run(&h.opts, filter(&["microsoft.keyvault/vaults"])).await;
    result.unwrap();
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(o.gaps().len(), 2, "{:#?}", o.gaps());
    for e in &o.gaps() {
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
        assert!(e.message.contains("paging stopped"), "{}", e.message);
        assert_eq!(
            e.resource_type.as_deref(),
            Some("microsoft.keyvault/vaults")
        );
        assert!(e
            .api
            .as_deref()
            .unwrap()
            .contains("Microsoft.ResourceGraph"));
    }
    // 4 vaults announced, 4 rows a page: the second page's token is one too many.
    assert!(h.fake.graph_queries.load(Ordering::SeqCst) <= 3);
}

#[tokio::test]
async fn authorization_failed_on_one_subscription() {
    let h = harness(Faults {
        denied_sub: Some(SUB2.into()),
        ..Default::default()
    })
    .await;
    let (result, o) = run(&h.opts, None).await;
    result.unwrap();
    let sub2: Vec<&CollectionError> = o.errors.iter().filter(|e| e.account == SUB2).collect();
    assert!(!sub2.is_empty());
    assert!(sub2
        .iter()
        .all(|e| e.kind == ErrorKind::AccessDenied && e.message.contains("AuthorizationFailed")));
    assert!(sub2
        .iter()
        .any(|e| e.api.as_deref().unwrap().contains("(Resources)")));
    assert!(sub2
        .iter()
        .any(|e| e.api.as_deref().unwrap().contains("diagnosticSettings")));
    assert!(sub2
        .iter()
        .any(|e| e.api.as_deref().unwrap().contains("resourcegroups")));
    assert!(sub2[0].message.contains("Reader"), "{}", sub2[0].message);
    // SUB1 is complete; nothing of SUB2 leaked in.
    assert!(o.errors.iter().all(|e| e.account != SUB1));
    assert_eq!(
        o.of_type("microsoft.storage/storageaccounts")
            .iter()
            .filter(|r| r.account == SUB1)
            .count(),
        7
    );
    assert!(o.resources.iter().all(|r| r.account != SUB2));
}

#[tokio::test]
async fn expired_token_is_refreshed_once() {
    let h = harness(Faults {
        expire_first_token: true,
        ..Default::default()
    })
    .await;
    let (result, o) = run(&h.opts, filter(&["microsoft.insights/activitylogalerts"])).await;
    result.unwrap();
    assert!(o.gaps().is_empty(), "{:?}", o.gaps());
    assert_eq!(o.of_type("microsoft.insights/activitylogalerts").len(), 4);
    assert_eq!(h.fake.tokens_issued.load(Ordering::SeqCst), 2);
}

/// Microsoft's own paging examples: the first page's `$skipToken` is sent back verbatim and the
/// next page is read.
#[tokio::test]
async fn microsoft_paging_examples_are_followed() {
    use wiremock::matchers::{body_partial_json, method, path};
    let h = harness(Faults::default()).await;
    let server = MockServer::start().await;
    let first = example("resourcegraph/2024-04-01/ResourcesFirstPageQuery.json");
    let next = example("resourcegraph/2024-04-01/ResourcesNextPageQuery.json");
    let mut last = next.clone();
    last.as_object_mut().unwrap().remove("$skipToken");
    for (token, body) in [
        (first["$skipToken"].clone(), next.clone()),
        (next["$skipToken"].clone(), last),
    ] {
        Mock::given(method("POST"))
            .and(path("/providers/Microsoft.ResourceGraph/resources"))
            .and(body_partial_json(json!({"options": {"$skipToken": token}})))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/providers/Microsoft.ResourceGraph/resources"))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .with_priority(5)
        .mount(&server)
        .await;
    // Tokens and subscriptions still come from the fake.
    Mock::given(wiremock::matchers::any())
        .respond_with(Shared(h.fake.clone()))
        .with_priority(10)
        .mount(&server)
        .await;
    let mut opts = h.opts.clone();
    opts.arm_endpoint = server.uri();
    opts.authority_host = server.uri();
    opts.subscriptions = vec![SUB1.into()];
    let types = [
        "microsoft.compute/disks",
        "microsoft.automation/automationaccounts",
        "microsoft.automation/automationaccounts/runbooks",
    ];
    let (result, o) = run(&opts, filter(&types)).await;
    result.unwrap();
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    let names: Vec<&str> = o.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names.len(), 9, "{names:?}");
    assert!(names.contains(&"second_OsDisk_dddddbcb625a457bb69fe2abf5975820"));
    let disk = o.named(
        "microsoft.compute/disks",
        "yetanothertest_OsDisk_1_f396cbcb625a457bb69fe2abf5975820",
        "cfbbd179-59d2-4052-aa06-9270a38aa9d6",
    );
    assert_eq!(disk.region, "eastus");
    assert_eq!(disk.config["properties"], Value::Null);
}

#[tokio::test]
async fn unknown_subscription_is_a_gap() {
    let mut h = harness(Faults::default()).await;
    h.opts.subscriptions = vec![SUB1.into(), "bbbbbbbb-0000-0000-0000-000000000009".into()];
    let (result, o) = run(&h.opts, filter(&["microsoft.keyvault/vaults"])).await;
    result.unwrap();
    assert_eq!(o.sources.len(), 1);
    assert_eq!(o.errors.len(), 1);
    assert_eq!(o.errors[0].account, "bbbbbbbb-0000-0000-0000-000000000009");
    assert_eq!(o.errors[0].kind, ErrorKind::AccessDenied);
    assert_eq!(o.of_type("microsoft.keyvault/vaults").len(), 2);
}

#[tokio::test]
async fn management_group_scopes_the_subscriptions() {
    let mut h = harness(Faults::default()).await;
    h.opts.management_group = Some("mg-prod".into());
    let (result, o) = run(&h.opts, filter(&["microsoft.keyvault/vaults"])).await;
    result.unwrap();
    let accounts: Vec<&str> = o.sources.iter().map(|s| s.account.as_str()).collect();
    assert_eq!(accounts, [SUB2, SUB3]);
    assert_eq!(o.errors.len(), 1);
    assert_eq!(o.errors[0].account, SUB3);
    assert_eq!(o.of_type("microsoft.keyvault/vaults").len(), 2);
    assert!(o.resources.iter().all(|r| r.account == SUB2));
    // No subscription listing: the management group defines the scope.
    let requests = h.server.received_requests().await.unwrap();
    assert!(!requests.iter().any(|r| r.url.path() == "/subscriptions"));
}

/// Issue 4's end-to-end promise: `annexa scan azure` against Microsoft's replayed examples reports
/// the derived bad cases through the checks meant for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_azure_cli_reports_the_derived_bad_cases() {
    let h = harness(Faults::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let uri = h.server.uri();
    let cwd = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        let mut c = assert_cmd::Command::cargo_bin("annexa").unwrap();
        c.current_dir(&cwd);
        for (k, _) in std::env::vars() {
            if k.starts_with("AZURE_")
                || k.starts_with("ANNEXA_")
                || k.starts_with("IDENTITY_")
                || k.starts_with("MSI_")
            {
                c.env_remove(k);
            }
        }
        c.env("AZURE_TENANT_ID", TENANT)
            .env("AZURE_CLIENT_ID", CLIENT)
            .env("AZURE_CLIENT_SECRET", SECRET)
            .env("ANNEXA_NOW", "2026-11-23T12:00:00Z")
            .args([
                "scan",
                "azure",
                "--arm-endpoint",
                &uri,
                "--authority-host",
                &uri,
            ])
            .args(["--subscriptions", &format!("{SUB1},{SUB2}")])
            .args([
                "--format",
                "json,sarif",
                "--output-dir",
                "out",
                "--fail-on",
                "none",
            ])
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let results: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/results.json")).unwrap())
            .unwrap();
    let findings = results["findings"].as_array().unwrap();
    let fails = |check: &str| -> BTreeSet<String> {
        findings
            .iter()
            .filter(|f| f["status"] == "fail" && f["check_id"] == check)
            .map(|f| f["resource_name"].as_str().unwrap().to_string())
            .collect()
    };
    let one = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    // The NSG opened on 22 to `*` and on 3389 to `Internet`, in both subscriptions' data.
    assert_eq!(
        fails("azure.network.nsg-ssh-not-open-to-internet"),
        one(&["nsg-open-admin"])
    );
    assert_eq!(
        fails("azure.network.nsg-rdp-not-open-to-internet"),
        one(&["nsg-open-admin"])
    );
    // The storage account allowing HTTP and TLS 1.0.
    assert!(fails("azure.storage.account-https-only").contains("stoinsecure"));
    assert!(fails("azure.storage.account-tls-1-2-minimum").contains("stoinsecure"));
    // The vault with purge protection off.
    assert!(fails("azure.keyvault.vault-purge-protection-enabled").contains("kv-no-purge"));
    // Both subscriptions were scanned with the client-secret principal; nothing is missing.
    let sources = results["scope"]["sources"].as_array().unwrap();
    for sub in [SUB1, SUB2] {
        let s = sources
            .iter()
            .find(|s| s["account"] == sub)
            .unwrap_or_else(|| panic!("{sub} not scanned: {sources:#?}"));
        assert!(
            s["principal"]
                .as_str()
                .unwrap()
                .starts_with("client secret"),
            "{s}"
        );
    }
    let gaps: Vec<&Value> = results["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["account"] != SUB3)
        .collect();
    assert!(gaps.is_empty(), "{gaps:#?}");
    assert!(dir.path().join("out/results.sarif").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_credentials_sign_a_client_assertion() {
    let dir = tempfile::tempdir().unwrap();
    let good = make_certificate(dir.path(), "app");
    let h = harness_certificate(dir.path(), &good, &good).await;
    let (result, o) = run(&h.opts, filter(&["microsoft.storage/storageaccounts"])).await;
    result.unwrap();
    assert!(!o.of_type("microsoft.storage/storageaccounts").is_empty());
    let principal = o.sources[0].principal.as_deref().unwrap();
    assert!(
        principal.starts_with("client certificate") && principal.contains("app.pem"),
        "{principal}"
    );

    // Another key than the registered certificate's is refused, and the run says so.
    let other = make_certificate(dir.path(), "other");
    let h = harness_certificate(dir.path(), &good, &other).await;
    let (result, _) = run(&h.opts, filter(&["microsoft.storage/storageaccounts"])).await;
    let e = result.unwrap_err().to_string();
    assert!(
        e.contains("client certificate") && e.contains("other.pem"),
        "{e}"
    );

    // A missing file names its path.
    let h = harness_certificate(dir.path(), &good, &dir.path().join("missing.pem")).await;
    let (result, _) = run(&h.opts, filter(&["microsoft.storage/storageaccounts"])).await;
    let e = result.unwrap_err().to_string();
    assert!(
        e.contains("missing.pem") && e.contains("cannot read"),
        "{e}"
    );
}
