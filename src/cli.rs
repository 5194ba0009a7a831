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
    /// Git backstop: refuse staged changes (or commits in a range) that touch other lanes.
    /// Exit 0: all in lane; 1: something is out of lane; 2: error.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// Policy file to use instead of searching for lanes.toml from the input's cwd
    /// (also: LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy file to use instead of searching for lanes.toml from the working directory
    /// (also: LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The role committing; wins over every other source (trailer, LANES_ROLE,
    /// CLAUDE_CODE_AGENT, branch).
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
    /// Judge every commit in this range (A..B, or A...B: the commits B adds since the merge
    /// base) instead of the staged changes.
    #[arg(long, value_name = "A..B", conflicts_with = "files")]
    pub range: Option<String>,
    /// Judge these paths (relative to the working directory) instead of asking git. Hook
    /// managers never pass deleted files or the old side of a rename: prefer the default.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub files: Option<Vec<PathBuf>>,
    /// Branch name to map to a role through `branches` instead of the current branch (CI
    /// checkouts are usually detached).
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// Grouped report and a one-line summary.
    Human,
    /// One JSON object.
    Json,
    /// GitHub Actions annotations (::error file=...::).
    Github,
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
