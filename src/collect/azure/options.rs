//! What an Azure collection covers and how it talks to Azure: clouds, endpoints, limits and
//! the credential inputs (read from the environment by the binary, passed in here so the
//! library has no global state and tests need no process-wide variables).

use std::path::PathBuf;
use std::time::Duration;

/// The national clouds; each has its own Resource Manager and Entra ID hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AzureCloud {
    #[default]
    AzureCloud,
    AzureUSGovernment,
    AzureChinaCloud,
}

impl AzureCloud {
    pub fn arm_endpoint(self) -> &'static str {
        match self {
            AzureCloud::AzureCloud => "https://management.azure.com",
            AzureCloud::AzureUSGovernment => "https://management.usgovcloudapi.net",
            AzureCloud::AzureChinaCloud => "https://management.chinacloudapi.cn",
        }
    }

    pub fn authority_host(self) -> &'static str {
        match self {
            AzureCloud::AzureCloud => "https://login.microsoftonline.com",
            AzureCloud::AzureUSGovernment => "https://login.microsoftonline.us",
            AzureCloud::AzureChinaCloud => "https://login.chinacloudapi.cn",
        }
    }
}

impl std::str::FromStr for AzureCloud {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "azurecloud" | "public" => Ok(AzureCloud::AzureCloud),
            "azureusgovernment" | "usgov" => Ok(AzureCloud::AzureUSGovernment),
            "azurechinacloud" | "china" => Ok(AzureCloud::AzureChinaCloud),
            other => Err(format!(
                "unknown Azure cloud '{other}' (expected AzureCloud, AzureUSGovernment or AzureChinaCloud)"
            )),
        }
    }
}

/// Credential inputs, as Azure tools name them (`AZURE_TENANT_ID`, ...). Empty means "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialEnv {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_certificate_path: Option<PathBuf>,
    pub federated_token_file: Option<PathBuf>,
    /// App Service / Functions / Container Apps managed identity endpoint and its header.
    pub identity_endpoint: Option<String>,
    pub identity_header: Option<String>,
    /// Instance metadata service base; `None` means the well-known link-local address.
    pub imds_endpoint: Option<String>,
    /// Try the Azure CLI (`az account get-access-token`) when nothing above is configured.
    pub use_azure_cli: bool,
}

impl CredentialEnv {
    /// Reads the variables Azure SDKs read. The binary calls this; tests build the struct.
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        CredentialEnv {
            tenant_id: var("AZURE_TENANT_ID"),
            client_id: var("AZURE_CLIENT_ID"),
            client_secret: var("AZURE_CLIENT_SECRET"),
            client_certificate_path: var("AZURE_CLIENT_CERTIFICATE_PATH").map(PathBuf::from),
            federated_token_file: var("AZURE_FEDERATED_TOKEN_FILE").map(PathBuf::from),
            identity_endpoint: var("IDENTITY_ENDPOINT").or_else(|| var("MSI_ENDPOINT")),
            identity_header: var("IDENTITY_HEADER").or_else(|| var("MSI_SECRET")),
            imds_endpoint: var("AZURE_POD_IDENTITY_AUTHORITY_HOST"),
            use_azure_cli: true,
        }
    }
}

/// Retries for throttling (429) and server errors (5xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    /// First backoff for 5xx and transport errors; doubled each time.
    pub base_delay: Duration,
    /// Cap for one wait, `Retry-After` included: a server asking for longer is a gap, not a hang.
    pub max_delay: Duration,
    /// One attempt's limit, so a server that never answers cannot hang the scan.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AzureOptions {
    /// Subscriptions to scan; empty means every subscription the principal can see (or, with
    /// `management_group`, every subscription under it).
    pub subscriptions: Vec<String>,
    pub management_group: Option<String>,
    pub cloud: AzureCloud,
    /// Resource Manager base URL (no trailing slash).
    pub arm_endpoint: String,
    /// Entra ID authority host (no trailing slash).
    pub authority_host: String,
    /// Parallel Resource Manager requests.
    pub max_concurrency: usize,
    pub retry: RetryPolicy,
    /// Rows per Resource Graph page (the service allows at most 1000).
    pub page_size: u32,
    /// Subscriptions per Resource Graph query.
    pub subscription_batch: usize,
    /// Hard cap on pages for one query, whatever `totalRecords` says.
    pub max_pages: u32,
    pub credential: CredentialEnv,
}

impl AzureOptions {
    /// Defaults for a cloud, with credentials as given.
    pub fn new(cloud: AzureCloud, credential: CredentialEnv) -> Self {
        AzureOptions {
            subscriptions: Vec::new(),
            management_group: None,
            cloud,
            arm_endpoint: cloud.arm_endpoint().to_string(),
            authority_host: cloud.authority_host().to_string(),
            max_concurrency: 8,
            retry: RetryPolicy::default(),
            page_size: 1000,
            subscription_batch: 1000,
            max_pages: 10_000,
            credential,
        }
    }

    /// The token scope for Resource Manager in this configuration.
    pub fn arm_scope(&self) -> String {
        format!("{}/.default", self.cloud.arm_endpoint())
    }
}
