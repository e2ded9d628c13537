use clap::Args;

#[derive(Debug, Args)]
pub struct ScanArgs {}

pub fn run(_args: ScanArgs) -> anyhow::Result<i32> {
    anyhow::bail!("scan is not wired yet")
}
