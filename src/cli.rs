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
    /// Set up this repository for parallel agents: lanes.toml (from a template when there is
    /// none), the CLAUDE.md block, the Claude Code hook, agent files, the git pre-commit hook.
    Init(InitArgs),
    /// Remove what `lanes init` added (the hook entry, the CLAUDE.md block, the pre-commit
    /// hook); lanes.toml, agent files and the .gitignore entry are kept.
    Uninstall(UninstallArgs),
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// Policy file to use instead of searching for lanes.toml from the input's cwd
    /// (also: LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Template for a new lanes.toml (an existing one is never overwritten).
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// List the policy templates and exit.
    #[arg(long)]
    pub list_templates: bool,
    /// Show what would change, as diffs, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How the hooks name lanes (default: `lanes` when it is on PATH, else this executable's
    /// absolute path).
    #[arg(long, value_name = "CMD")]
    pub hook_command: Option<String>,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Show what would change, as diffs, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
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
