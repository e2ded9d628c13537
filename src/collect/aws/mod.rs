//! AWS collection (issue 3): AWS Config (per account and region, or through an organisation
//! aggregator) and IAM, in parallel under one concurrency bound.
//!
//! Entry point: [`collect`]. Modules: `options` (what to scan), `client` (SDK setup, assume
//! role), `config_service` and `iam` (API calls), `normalize` (pure decoding), `errors` (SDK
//! error -> CollectionError).

pub mod client;
pub mod config_service;
pub mod errors;
pub mod iam;
pub mod normalize;
pub mod options;

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

use aws_config::SdkConfig;
use futures::future::join_all;
use tokio::sync::{Semaphore, SemaphorePermit};

pub use options::{AssumeRole, AwsOptions, Regions, RetryMode, StaticCredentials};

use self::config_service::{Recording, RegionGap, SelectScope, Selected, RECORDER_STATUS};
use self::errors::CallSite;
use crate::collect::{Event, FatalError, Progress, Sink, TypeFilter};
use crate::model::{CollectionError, Provider, Resource, Source};

/// Config-recorded types fetched when every type is wanted (an inventory saved for later), on
/// top of the types the region reports. IAM types come from IAM (see `iam`).
pub const KNOWN_CONFIG_TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::S3::AccountPublicAccessBlock",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Volume",
    "AWS::EC2::Instance",
    "AWS::EC2::VPC",
    "AWS::EC2::FlowLog",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBSnapshot",
    "AWS::CloudTrail::Trail",
    "AWS::KMS::Key",
    "AWS::DynamoDB::Table",
    "AWS::EFS::FileSystem",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::Lambda::Function",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::CloudFront::Distribution",
    "AWS::ECR::Repository",
    "AWS::EKS::Cluster",
    "AWS::GuardDuty::Detector",
    "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupVault",
    "AWS::ACM::Certificate",
    "AWS::SecretsManager::Secret",
];

/// Shared state of one collection: the event sink, the bound on concurrent API calls, and
/// de-duplication (Config reports some resources in more than one region).
pub struct Ctx {
    sink: Sink,
    limiter: Semaphore,
    seen: Mutex<HashSet<(String, String, String)>>,
    announced: Mutex<HashSet<String>>,
}

impl Ctx {
    fn new(sink: Sink, max_concurrency: usize) -> Self {
        Ctx {
            sink,
            limiter: Semaphore::new(max_concurrency.max(1)),
            seen: Mutex::new(HashSet::new()),
            announced: Mutex::new(HashSet::new()),
        }
    }

    /// Held for the duration of one API call.
    pub async fn permit(&self) -> SemaphorePermit<'_> {
        self.limiter
            .acquire()
            .await
            .expect("the limiter is never closed")
    }

    /// Run one API call under the concurrency bound (SDK futures start when first polled).
    pub async fn call<F: std::future::Future>(&self, f: F) -> F::Output {
        let _permit = self.permit().await;
        f.await
    }

    async fn source(&self, source: Source) {
        self.announced
            .lock()
            .expect("poisoned")
            .insert(source.account.clone());
        let _ = self.sink.send(Event::Source(source)).await;
    }

    /// Send a resource once; an account first seen here (through an aggregator) is announced.
    pub async fn resource(&self, r: Resource) {
        let key = (r.account.clone(), r.resource_type.clone(), r.id.clone());
        if !self.seen.lock().expect("poisoned").insert(key) {
            return;
        }
        let new_account = self
            .announced
            .lock()
            .expect("poisoned")
            .insert(r.account.clone());
        if new_account {
            let src = Source {
                provider: Provider::Aws,
                account: r.account.clone(),
                regions: Vec::new(),
                principal: Some("AWS Config aggregator".to_string()),
            };
            let _ = self.sink.send(Event::Source(src)).await;
        }
        let _ = self.sink.send(Event::Resource(Box::new(r))).await;
    }

    pub async fn error(&self, e: CollectionError) {
        let _ = self.sink.send(Event::Error(e)).await;
    }

    pub async fn progress(&self, scope: String, done: u64, total: Option<u64>, message: String) {
        let _ = self
            .sink
            .send(Event::Progress(Progress {
                scope,
                done,
                total,
                message,
            }))
            .await;
    }
}

/// Which calls a type filter needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Config types to query; `None`: the known types plus those the region reports.
    pub config_types: Option<Vec<String>>,
    pub recorder_status: bool,
    pub iam_details: Vec<&'static str>,
    pub password_policy: bool,
    pub account_summary: bool,
    pub credential_report: bool,
}

impl Plan {
    pub fn new(types: &TypeFilter) -> Plan {
        let Some(set) = types else {
            return Plan {
                config_types: None,
                recorder_status: true,
                iam_details: iam::AUTH_DETAIL_TYPES.to_vec(),
                password_policy: true,
                account_summary: true,
                credential_report: true,
            };
        };
        let wants = |t: &str| set.iter().any(|s| s.eq_ignore_ascii_case(t));
        let config_types: Vec<String> = set
            .iter()
            .filter(|t| t.starts_with("AWS::"))
            .filter(|t| !iam::TYPES.iter().any(|i| i.eq_ignore_ascii_case(t)))
            .filter(|t| !t.eq_ignore_ascii_case(RECORDER_STATUS))
            .cloned()
            .collect();
        Plan {
            recorder_status: wants(RECORDER_STATUS),
            config_types: Some(config_types),
            iam_details: iam::AUTH_DETAIL_TYPES
                .iter()
                .copied()
                .filter(|t| wants(t))
                .collect(),
            password_policy: wants(iam::PASSWORD_POLICY),
            account_summary: wants(iam::ACCOUNT_SUMMARY),
            credential_report: wants(iam::CREDENTIAL_REPORT),
        }
    }

    fn needs_config(&self) -> bool {
        self.recorder_status || self.config_types.as_ref().is_none_or(|t| !t.is_empty())
    }

    fn needs_iam(&self) -> bool {
        !self.iam_details.is_empty()
            || self.password_policy
            || self.account_summary
            || self.credential_report
    }
}

/// One account to scan: its SDK configuration and who we are there.
struct Account {
    sdk: SdkConfig,
    id: String,
    principal: Option<String>,
}

/// Collect AWS resources for `types`, sending events to `sink` as they arrive. Gaps are
/// `Event::Error`s; only missing credentials or unusable options are fatal.
pub async fn collect(opts: &AwsOptions, types: &TypeFilter, sink: Sink) -> Result<(), FatalError> {
    let plan = Plan::new(types);
    let base = client::base_config(opts).await;
    let regions: Vec<String> = match &opts.regions {
        Regions::List(l) if !l.is_empty() => l.clone(),
        Regions::All => options::ALL_REGIONS.iter().map(|s| s.to_string()).collect(),
        _ => match base.region() {
            Some(r) => vec![r.to_string()],
            None => {
                return Err(FatalError(
                    "no AWS region configured: pass --regions (for example --regions eu-west-1 or --regions all) or set AWS_REGION"
                        .into(),
                ))
            }
        },
    };
    let quiet_not_enabled = opts.regions == Regions::All;
    let ctx = Ctx::new(sink, opts.max_concurrency);

    let (home_id, home_principal) = whoami(&ctx, &base).await.map_err(|m| {
        FatalError(format!(
            "AWS credentials are not usable (sts:GetCallerIdentity): {m}. Configure credentials (environment, --profile, SSO) and try again"
        ))
    })?;
    let mut accounts = Vec::new();
    if opts.roles.is_empty() {
        accounts.push(Account {
            sdk: base.clone(),
            id: home_id.clone(),
            principal: Some(home_principal),
        });
    } else {
        for role in &opts.roles {
            let sdk = client::assumed_config(&base, role, &opts.session_name).await;
            match whoami(&ctx, &sdk).await {
                Ok((id, principal)) => accounts.push(Account {
                    sdk,
                    id,
                    principal: Some(principal),
                }),
                Err(m) => {
                    let account = options::account_of_arn(&role.role_arn).unwrap_or("unknown");
                    let site = CallSite {
                        account,
                        region: None,
                        resource_type: None,
                        api: "sts:AssumeRole",
                    };
                    ctx.error(site.error(
                        crate::model::ErrorKind::AccessDenied,
                        format!("could not assume {}: {m} (check the role's trust policy and --external-id)", role.role_arn),
                    ))
                    .await;
                }
            }
        }
    }

    let per_account = accounts.iter().map(|a| async {
        let regions_here = if opts.aggregator.is_some() {
            Vec::new()
        } else {
            regions.clone()
        };
        ctx.source(Source {
            provider: Provider::Aws,
            account: a.id.clone(),
            regions: regions_here,
            principal: a.principal.clone(),
        })
        .await;
        let iam_part = async {
            if plan.needs_iam() {
                collect_iam(&ctx, &plan, a, opts).await;
            }
        };
        let config_part = async {
            if plan.needs_config() && opts.aggregator.is_none() {
                join_all(
                    regions
                        .iter()
                        .map(|r| collect_region(&ctx, &plan, a, r, quiet_not_enabled)),
                )
                .await;
            }
        };
        futures::join!(iam_part, config_part);
    });
    let aggregate = async {
        if let (Some(name), true) = (&opts.aggregator, plan.needs_config()) {
            let region = opts
                .aggregator_region
                .clone()
                .unwrap_or_else(|| regions[0].clone());
            collect_aggregator(&ctx, &plan, &base, &home_id, name, &region).await;
        }
    };
    futures::join!(join_all(per_account), aggregate);
    Ok(())
}

/// STS GetCallerIdentity: (account, principal ARN).
async fn whoami(ctx: &Ctx, sdk: &SdkConfig) -> Result<(String, String), String> {
    let res = ctx
        .call(client::sts_client(sdk).get_caller_identity().send())
        .await;
    match res {
        Ok(out) => match out.account() {
            Some(a) => Ok((a.to_string(), out.arn().unwrap_or_default().to_string())),
            None => Err("the answer has no account id".into()),
        },
        Err(e) => Err(errors::source_chain(&e)),
    }
}

async fn collect_iam(ctx: &Ctx, plan: &Plan, a: &Account, opts: &AwsOptions) {
    let iam = client::iam_client(&a.sdk);
    let details = iam::authorization_details(ctx, &iam, &a.id, &plan.iam_details);
    let password = async {
        if plan.password_policy {
            iam::password_policy(ctx, &iam, &a.id).await
        }
    };
    let summary = async {
        if plan.account_summary {
            iam::account_summary(ctx, &iam, &a.id).await
        }
    };
    let report = async {
        if plan.credential_report {
            iam::credential_report(ctx, &iam, &a.id, opts.credential_report_timeout).await
        }
    };
    futures::join!(details, password, summary, report);
}

async fn collect_region(
    ctx: &Ctx,
    plan: &Plan,
    a: &Account,
    region: &str,
    quiet_not_enabled: bool,
) {
    let cc = client::config_client(&a.sdk, region);
    let scope = format!("aws/{}/{region}", a.id);
    match config_service::recorder_status(
        ctx,
        &cc,
        &a.id,
        region,
        plan.recorder_status,
        quiet_not_enabled,
    )
    .await
    {
        Ok(Recording::NotSetUp) | Err(RegionGap::Reported) => return,
        Err(RegionGap::NotEnabled) => {
            ctx.progress(
                scope,
                1,
                Some(1),
                "region not enabled for the account: left out".into(),
            )
            .await;
            return;
        }
        Ok(Recording::On | Recording::Stopped) => {}
    }
    let types: Vec<String> = match &plan.config_types {
        Some(t) => t.clone(),
        None => {
            let mut all: BTreeSet<String> =
                KNOWN_CONFIG_TYPES.iter().map(|s| s.to_string()).collect();
            all.extend(config_service::discovered_types(ctx, &cc).await);
            all.retain(|t| !iam::TYPES.contains(&t.as_str()));
            all.into_iter().collect()
        }
    };
    let total = types.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let (cc, done, scope) = (&cc, &done, &scope);
    join_all(types.iter().map(|t| async move {
        if config_service::select_type(
            ctx,
            cc,
            SelectScope::Region {
                account: &a.id,
                region,
            },
            t,
        )
        .await
            == Selected::Nothing
        {
            config_service::list_and_get(ctx, cc, &a.id, region, t).await;
        }
        let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        ctx.progress(scope.clone(), d, Some(total), format!("{t} done"))
            .await;
    }))
    .await;
}

async fn collect_aggregator(
    ctx: &Ctx,
    plan: &Plan,
    base: &SdkConfig,
    home: &str,
    name: &str,
    region: &str,
) {
    let cc = client::config_client(base, region);
    let types: Vec<String> = match &plan.config_types {
        Some(t) => t.clone(),
        None => KNOWN_CONFIG_TYPES.iter().map(|s| s.to_string()).collect(),
    };
    join_all(types.iter().map(|t| async {
        if config_service::select_type(
            ctx,
            &cc,
            SelectScope::Aggregator {
                home_account: home,
                name,
            },
            t,
        )
        .await
            == Selected::Nothing
        {
            config_service::aggregate_list_and_get(ctx, &cc, home, name, t).await;
        }
    }))
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(types: &[&str]) -> Plan {
        Plan::new(&Some(types.iter().map(|t| t.to_string()).collect()))
    }

    #[test]
    fn every_type_when_no_filter() {
        let p = Plan::new(&None);
        assert_eq!(p.config_types, None);
        assert!(p.recorder_status && p.password_policy && p.account_summary && p.credential_report);
        assert_eq!(p.iam_details.len(), 4);
    }

    #[test]
    fn a_filter_selects_sources_and_calls() {
        let p = plan(&[
            "AWS::S3::Bucket",
            "AWS::IAM::User",
            "AWS::IAM::AccountPasswordPolicy",
            "microsoft.keyvault/vaults",
        ]);
        assert_eq!(p.config_types, Some(vec!["AWS::S3::Bucket".to_string()]));
        assert_eq!(p.iam_details, vec![iam::USER]);
        assert!(
            p.password_policy && !p.account_summary && !p.credential_report && !p.recorder_status
        );
        assert!(p.needs_config() && p.needs_iam());

        let iam_only = plan(&["AWS::IAM::CredentialReport"]);
        assert!(!iam_only.needs_config());
        assert!(iam_only.needs_iam() && iam_only.iam_details.is_empty());

        let status_only = plan(&["AWS::Config::RecorderStatus"]);
        assert!(status_only.needs_config() && !status_only.needs_iam());
        assert_eq!(status_only.config_types, Some(vec![]));
    }
}
