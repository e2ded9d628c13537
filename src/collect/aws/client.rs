//! SDK configuration: credentials chain or static keys, endpoint override, retries, and the
//! per-account configuration when a role is assumed. No service calls except STS.

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_config::config::Credentials;
use aws_sdk_config::config::SharedCredentialsProvider;

use super::options::{AssumeRole, AwsOptions, Regions, RetryMode};

/// Region used for global services (IAM, STS) and when no region is configured.
pub const GLOBAL_SIGNING_REGION: &str = "us-east-1";

/// The base configuration: the standard credential chain (or the static keys of `opts`), the
/// profile, the endpoint override and the retry policy.
pub async fn base_config(opts: &AwsOptions) -> SdkConfig {
    let retry = match opts.retry_mode {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    }
    .with_max_attempts(opts.max_attempts.max(1));
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry);
    // A named region spares the region chain its instance-metadata probe (a second's wait
    // off EC2); every client sets its own region anyway.
    if let Regions::List(list) = &opts.regions {
        if let Some(first) = list.first() {
            loader = loader.region(Region::new(first.clone()));
        }
    }
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(c) = &opts.credentials {
        loader = loader.credentials_provider(Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            None,
            None,
            "annexa-static",
        ));
    }
    loader.load().await
}

/// Configuration for one account reached by assuming `role`. The provider refreshes the
/// session before it expires, so long scans keep working.
pub async fn assumed_config(base: &SdkConfig, role: &AssumeRole, session_name: &str) -> SdkConfig {
    let mut b = AssumeRoleProvider::builder(role.role_arn.clone())
        .session_name(session_name)
        .configure(base);
    if base.region().is_none() {
        b = b.region(Region::new(GLOBAL_SIGNING_REGION));
    }
    if let Some(ext) = &role.external_id {
        b = b.external_id(ext);
    }
    let provider = b.build().await;
    base.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

pub fn config_client(sdk: &SdkConfig, region: &str) -> aws_sdk_config::Client {
    let conf = aws_sdk_config::config::Builder::from(sdk)
        .region(Region::new(region.to_string()))
        .build();
    aws_sdk_config::Client::from_conf(conf)
}

pub fn iam_client(sdk: &SdkConfig) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::config::Builder::from(sdk)
        .region(Region::new(GLOBAL_SIGNING_REGION))
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

pub fn sts_client(sdk: &SdkConfig) -> aws_sdk_sts::Client {
    let region = sdk
        .region()
        .cloned()
        .unwrap_or_else(|| Region::new(GLOBAL_SIGNING_REGION));
    let conf = aws_sdk_sts::config::Builder::from(sdk)
        .region(region)
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}
