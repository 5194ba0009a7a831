//! Command-line interface (clap derive). Doc comments are the help text.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Keep parallel AI coding agents in their lanes.
#[derive(Debug, Parser)]
#[command(name = "lanes", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Claude Code PreToolUse hook: reads the tool call on stdin and blocks out-of-lane writes.
    Hook(HookArgs),
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// Policy file to use instead of searching for lanes.toml from the input's cwd
    /// (also: LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
