use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ControlsCommand {
    /// List the controls.
    List,
}

pub fn run(_cmd: ControlsCommand) -> anyhow::Result<i32> {
    anyhow::bail!("controls is not wired yet")
}
