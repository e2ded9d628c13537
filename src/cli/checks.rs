use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// List the checks.
    List,
}

pub fn run(_cmd: ChecksCommand) -> anyhow::Result<i32> {
    anyhow::bail!("checks is not wired yet")
}
