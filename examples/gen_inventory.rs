//! Seeded generator of synthetic inventories for benchmarks.
//!
//! ```text
//! cargo run --release --no-default-features --example gen_inventory -- --resources 100000 --seed 7 -o target/bench/100k.jsonl.zst
//! ```
//!
//! An example rather than a `src/bin` target: it is a developer tool, not shipped or installed
//! with annexa, and it uses only the library's public API (`demo`, `inventory::Writer`), which
//! keeps that API honest.
//!
//! Every resource is a copy of a demo-estate resource (so the shapes are exactly the collected
//! ones): a quarter (`--bad-share`) from the demo resources that are misconfigured on purpose, the
//! rest from the well-configured ones, moved to one of several accounts (one AWS
//! account and one Azure subscription per 2,000 resources), renamed to a unique name and id, and
//! grown to a target size drawn between 1.5 and 10 KB, skewed towards the small end as real
//! configuration items are (1.5 KB * (10/1.5)^(u^2), u uniform: median about 2.6 KB, mean about
//! 3.3 KB). Growth adds what makes real items large, without changing the verdict of the copied
//! resource: lifecycle rules on buckets, private-range rules on security groups and NSGs, older
//! policy versions, key-policy grants, managed-policy attachments, storage IP rules, key vault
//! access policies, and tags for the rest. Account-level facts (password policy, account summary,
//! account public access block, recorder status per region, Defender plans, the root user's
//! credential report row) appear once per account and keep their real, smaller sizes. Same arguments, same bytes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use annexa::inventory::{Header, Writer};
use annexa::model::{Provider, Resource, Source};
use clap::Parser;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(about = "Write a synthetic annexa inventory (seeded, deterministic)")]
struct Args {
    /// Number of resources to write.
    #[arg(long, default_value_t = 10_000)]
    resources: usize,
    /// PRNG seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Share of resources copied from the demo resources that are misconfigured on purpose;
    /// the rest copy the well-configured ones. The demo itself is mostly bad, real estates less so.
    #[arg(long, default_value_t = 0.25)]
    bad_share: f64,
    /// Output file (`.zst` for compressed).
    #[arg(short, long)]
    output: PathBuf,
}

/// splitmix64: small, fast and good enough to pick templates and sizes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Facts about an account (or a region of it) rather than resources: once per account. The root
/// user's credential report row is one of them.
fn is_account_fact(t: &str, name: &str) -> bool {
    (t == "AWS::IAM::CredentialReport" && name == "<root_account>")
        || matches!(
            t,
            "AWS::IAM::AccountPasswordPolicy"
                | "AWS::IAM::AccountSummary"
                | "AWS::S3::AccountPublicAccessBlock"
                | "AWS::Config::RecorderStatus"
                | "microsoft.security/pricings"
        )
}

/// Demo resources that are misconfigured on purpose (see scripts/gen-demo-estate.py).
const DELIBERATELY_BAD: &[&str] = &[
    "nw-public-website",
    "nw-data-exports",
    "nw-legacy-backups",
    "bob.dev",
    "ci-deploy",
    "dave.contractor",
    "nw-full-access-legacy",
    "bastion-ssh",
    "win-rdp",
    "legacy-open",
    "vol-0c3e5a7b9d1f3a5c7",
    "i-0b4d6f8a0c2e4a6c8",
    "i-0c5e7a9b1d3f5a7c9",
    "nw-reporting-db",
    "nw-management-events",
    "7a2b9c4d-1e6f-4a3b-8c5d-2e9f0a1b3c4d",
    "vpc-0f9e8d7c6b5a40392",
    "stnwlegacy",
    "nsg-nw-web",
    "kv-nw-legacy",
    "sql-nw-orders",
    "vm-nw-jump01",
    "vm-nw-jump01_OsDisk_1",
    "app-nw-legacy",
    "9d1f3b5d-7f9a-4c1e-3b5d-7f9a1c3e5b7d",
];

struct Template {
    json: String,
    account: String,
    name: String,
}

const RESOURCES_PER_ACCOUNT: usize = 2_000;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut rng = Rng(args.seed);

    let demo: Vec<Resource> = annexa::demo::reader()?.collect::<Result<_, _>>()?;
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.bad_share),
        "--bad-share is a fraction between 0 and 1"
    );
    let mut facts: BTreeMap<Provider, Vec<Template>> = BTreeMap::new();
    // provider -> (good, bad)
    let mut pool: BTreeMap<Provider, (Vec<Template>, Vec<Template>)> = BTreeMap::new();
    for r in &demo {
        let t = Template {
            json: serde_json::to_string(r)?,
            account: r.account.clone(),
            name: r.name.clone(),
        };
        if is_account_fact(&r.resource_type, &r.name) {
            facts.entry(r.provider).or_default().push(t);
        } else {
            let (good, bad) = pool.entry(r.provider).or_default();
            if DELIBERATELY_BAD.contains(&r.name.as_str()) {
                bad.push(t)
            } else {
                good.push(t)
            }
        }
    }

    let accounts = args.resources.div_ceil(RESOURCES_PER_ACCOUNT).max(1);
    let aws_account = |i: usize| format!("{:012}", 210_000_000_000u64 + i as u64 * 1_013);
    let azure_sub = |i: usize| {
        let x = rng_hex(args.seed ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        format!(
            "{}-{}-4{}-8{}-{}",
            &x[0..8],
            &x[8..12],
            &x[13..16],
            &x[17..20],
            &x[20..32]
        )
    };
    let mut sources = Vec::new();
    for i in 0..accounts {
        sources.push(Source {
            provider: Provider::Aws,
            account: aws_account(i),
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            principal: Some(format!(
                "arn:aws:sts::{}:assumed-role/AnnexaAudit/annexa",
                aws_account(i)
            )),
        });
        sources.push(Source {
            provider: Provider::Azure,
            account: azure_sub(i),
            regions: vec!["northeurope".into(), "westeurope".into()],
            principal: Some("servicePrincipal 0d2f4a6c-8e0a-4c2e-6a8c-0e2a4c6e8a0c".into()),
        });
    }
    let header = Header::new("2026-11-20T09:00:00Z", sources.clone());
    let mut writer = Writer::create(&args.output, &header)?;

    let mut written = 0usize;
    let mut bytes = 0u64;
    let mut serial = 0usize;
    'accounts: for (i, source) in sources.iter().enumerate() {
        // Spread resources evenly over the accounts, the last ones taking the remainder.
        let quota =
            args.resources / sources.len() + usize::from(i < args.resources % sources.len());
        let mut in_account = 0usize;
        for t in facts.get(&source.provider).into_iter().flatten() {
            if written == args.resources || in_account == quota {
                break;
            }
            let r = instantiate(t, &source.account, None)?;
            bytes += write(&mut writer, &r)?;
            written += 1;
            in_account += 1;
        }
        let (good, bad) = &pool[&source.provider];
        while in_account < quota {
            if written == args.resources {
                break 'accounts;
            }
            serial += 1;
            let templates = if rng.unit() < args.bad_share {
                bad
            } else {
                good
            };
            let t = &templates[rng.below(templates.len())];
            let mut r = instantiate(t, &source.account, Some(serial))?;
            let target = (1_500.0 * (10_000.0f64 / 1_500.0).powf(rng.unit().powi(2))) as usize;
            grow(&mut r, target, &mut rng)?;
            bytes += write(&mut writer, &r)?;
            written += 1;
            in_account += 1;
        }
    }
    let n = writer.finish()?;
    eprintln!(
        "wrote {n} resources in {} accounts to {} (average resource {} bytes)",
        sources.len(),
        args.output.display(),
        bytes / n.max(1)
    );
    Ok(())
}

fn rng_hex(seed: u64) -> String {
    let mut r = Rng(seed);
    format!("{:016x}{:016x}", r.next(), r.next())
}

fn write(w: &mut Writer, r: &Resource) -> anyhow::Result<u64> {
    w.write(r)?;
    Ok(serde_json::to_vec(r)?.len() as u64 + 1)
}

/// A copy of the template in `account`, renamed with `serial` (account facts keep their names).
fn instantiate(t: &Template, account: &str, serial: Option<usize>) -> anyhow::Result<Resource> {
    let mut text = t.json.replace(&t.account, account);
    if t.account.chars().any(|c| c.is_ascii_uppercase()) {
        text = text.replace(&t.account.to_lowercase(), account);
    }
    let mut r: Resource = serde_json::from_str(&text)?;
    if let Some(n) = serial {
        let new_name = format!("{}-{n:06}", t.name);
        let old_id = r.id.clone();
        let needle = if r.provider == Provider::Azure {
            t.name.to_lowercase()
        } else {
            t.name.clone()
        };
        r.id = match old_id.rfind(&needle) {
            Some(pos) if !t.name.is_empty() => {
                let replacement = if r.provider == Provider::Azure {
                    new_name.to_lowercase()
                } else {
                    new_name.clone()
                };
                format!(
                    "{}{}{}",
                    &old_id[..pos],
                    replacement,
                    &old_id[pos + needle.len()..]
                )
            }
            _ => format!("{old_id}-{n:06}"),
        };
        r.name = new_name;
    }
    Ok(r)
}

fn push(v: &mut Value, pointer: &str, item: Value) -> usize {
    let len = item.to_string().len() + 1;
    match v.pointer_mut(pointer) {
        Some(Value::Array(items)) => {
            items.push(item);
            len
        }
        _ => 0,
    }
}

/// Grows `r` to about `target` bytes with content that does not change its verdicts.
fn grow(r: &mut Resource, target: usize, rng: &mut Rng) -> anyhow::Result<()> {
    let mut size = serde_json::to_vec(&r)?.len();
    let account = r.account.clone();
    let mut k = 0usize;
    if r.resource_type == "AWS::S3::Bucket" {
        let supp = &mut r.config["supplementaryConfiguration"];
        if supp.get("BucketLifecycleConfiguration").is_none() {
            supp["BucketLifecycleConfiguration"] = json!({"rules": []});
        }
    }
    while size < target {
        k += 1;
        let octet = rng.below(250);
        let added = match r.resource_type.as_str() {
            "AWS::S3::Bucket" => push(
                &mut r.config,
                "/supplementaryConfiguration/BucketLifecycleConfiguration/rules",
                json!({"id": format!("archive-{k:03}"), "expirationInDays": 365 + k, "noncurrentVersionExpirationInDays": -1,
                       "status": "Enabled", "transitions": [{"days": 30, "storageClass": "STANDARD_IA"}, {"days": 90, "storageClass": "GLACIER"}],
                       "filter": {"predicate": {"type": "LifecyclePrefixPredicate", "prefix": format!("exports/{k:03}/")}}}),
            ),
            "AWS::EC2::SecurityGroup" => push(
                &mut r.config,
                "/configuration/ipPermissions",
                json!({"ipProtocol": "tcp", "fromPort": 8000 + k, "toPort": 8000 + k, "ipv6Ranges": [], "prefixListIds": [],
                       "userIdGroupPairs": [], "ipv4Ranges": [{"cidrIp": format!("10.{octet}.{k}.0/24"), "description": format!("service {k}")}],
                       "ipRanges": [format!("10.{octet}.{k}.0/24")]}),
            ),
            "AWS::IAM::Policy" => push(
                &mut r.config,
                "/configuration/policyVersionList",
                json!({"document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
                        "Resource": [format!("arn:aws:s3:::nw-data-{k:03}"), format!("arn:aws:s3:::nw-data-{k:03}/*")]}]},
                       "versionId": format!("v{}", k + 2), "isDefaultVersion": false, "createDate": "2024-01-15T10:00:00.000Z"}),
            ),
            "AWS::KMS::Key" => push(
                &mut r.config,
                "/supplementaryConfiguration/Policy/Statement",
                json!({"Sid": format!("AllowService{k}"), "Effect": "Allow",
                       "Principal": {"AWS": format!("arn:aws:iam::{account}:role/nw-service-{k:03}")},
                       "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"}),
            ),
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => push(
                &mut r.config,
                "/configuration/attachedManagedPolicies",
                json!({"policyName": format!("nw-app-{k:03}-read"), "policyArn": format!("arn:aws:iam::{account}:policy/nw-app-{k:03}-read")}),
            ),
            "microsoft.network/networksecuritygroups" => {
                let nsg = r.id.clone();
                push(
                    &mut r.config,
                    "/properties/securityRules",
                    json!({"name": format!("allow-svc-{k:03}"), "id": format!("{nsg}/securityrules/allow-svc-{k:03}"),
                           "properties": {"provisioningState": "Succeeded", "protocol": "Tcp", "sourcePortRange": "*",
                                          "destinationPortRange": (8000 + k).to_string(), "sourceAddressPrefix": format!("10.{octet}.{k}.0/24"),
                                          "destinationAddressPrefix": "*", "access": "Allow", "priority": 1000 + k, "direction": "Inbound",
                                          "sourcePortRanges": [], "destinationPortRanges": [], "sourceAddressPrefixes": [], "destinationAddressPrefixes": []}}),
                )
            }
            "microsoft.storage/storageaccounts" => push(
                &mut r.config,
                "/properties/networkAcls/ipRules",
                json!({"value": format!("198.51.{}.{}", k % 256, octet), "action": "Allow"}),
            ),
            "microsoft.keyvault/vaults" => push(
                &mut r.config,
                "/properties/accessPolicies",
                json!({"tenantId": "b3e1f8a2-5c47-4d9e-8a16-7f0c2d9e4b51", "objectId": format!("{:08x}-1c2d-4e3f-8a9b-0c1d2e3f4a5b", k),
                       "permissions": {"keys": ["get", "list"], "secrets": ["get", "list"], "certificates": ["get"]}}),
            ),
            _ => 0,
        };
        size += if added > 0 {
            added
        } else {
            // Tags: every provider has them and no verdict here depends on them.
            let (key, value) = (
                format!("nw:component-{k:03}"),
                format!("orders-platform/{}/{k:04}", TEAMS[k % TEAMS.len()]),
            );
            let len = key.len() + value.len() + 6;
            r.tags.insert(key, value);
            len
        };
    }
    Ok(())
}

const TEAMS: [&str; 6] = [
    "payments",
    "catalog",
    "identity",
    "analytics",
    "operations",
    "security",
];
