//! Command-line interface (clap derive). Doc comments are the help text.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// Keep parallel AI coding agents in their lanes.
#[derive(Debug, Parser)]
#[command(name = "lanes", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the command line. `lanes hook` runs on every tool call, so it is first parsed
    /// with the hook's own arguments alone: clap otherwise builds the parser of every
    /// subcommand, a sixth of a hook call. Whatever that parser does not accept as it is (help,
    /// a usage error) goes through the full parser, so what users see does not change.
    pub fn parse_args() -> Cli {
        Cli::parse_hook(std::env::args_os()).unwrap_or_else(Cli::parse)
    }

    /// `lanes hook [ARGS]` parsed by the hook's arguments only; `None` for anything else.
    fn parse_hook(mut argv: impl Iterator<Item = std::ffi::OsString>) -> Option<Cli> {
        let bin = argv.next()?;
        if argv.next()? != "hook" {
            return None;
        }
        // `lanes hook` alone, as `lanes init` registers it: nothing to parse, and building
        // even the hook's small clap command costs page faults on every tool call.
        let mut rest = argv.peekable();
        if rest.peek().is_none() {
            return Some(Cli {
                command: Command::Hook(HookArgs {
                    policy: None,
                    client: None,
                }),
            });
        }
        let argv = rest;
        let parser = HookArgs::augment_args(clap::Command::new("hook"));
        let matches = parser
            .try_get_matches_from(std::iter::once(bin).chain(argv))
            .ok()?;
        let args = <HookArgs as clap::FromArgMatches>::from_arg_matches(&matches).ok()?;
        Some(Cli {
            command: Command::Hook(args),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Claude Code PreToolUse hook: reads the tool call on stdin and blocks out-of-lane writes.
    Hook(HookArgs),
    /// Git backstop: refuse staged changes (or commits in a range) that touch other lanes.
    /// Exit 0: all in lane; 1: something is out of lane; 2: error.
    Check(CheckArgs),
    /// Set up this repository for parallel agents: lanes.toml (from a template when there is
    /// none), the CLAUDE.md block, the Claude Code hook, agent files, the git pre-commit hook.
    Init(InitArgs),
    /// Remove what `lanes init` added (the hook entry, the CLAUDE.md block, the pre-commit
    /// hook); lanes.toml, agent files and the .gitignore entry are kept.
    Uninstall(UninstallArgs),
    /// Check the policy: errors (exit 1) and warnings; exit 2 when no policy can be read.
    Validate(ValidateArgs),
    /// Who may write PATH and by which rule; or replay a saved hook input (--hook-input).
    Explain(ExplainArgs),
    /// Roles, lanes, signal files, mode, audit log, installed hooks; problems first.
    Status(StatusArgs),
    /// Summarize the audit log per role and session (markdown: a completion receipt).
    Report(ReportArgs),
    /// Wait until ROLE's signal file is complete (exit 0; 1 on timeout; 2 on errors).
    Wait(WaitArgs),
    /// Start an agent session acting as ROLE from the project root, its lanes enforced by the
    /// hook and by the client's OS sandbox (exit 2 when it cannot start).
    Run(RunArgs),
    /// Start the team in a tmux session: a pane per role running `lanes run ROLE` (roles with
    /// `after` once the signal files they wait for are complete) and a `lanes watch` pane.
    /// Exit 1 when the session exists already (nothing is changed); 2 on errors.
    Up(UpArgs),
    /// End the team's tmux session; with --remove-worktrees also remove the roles' clean
    /// worktrees (exit 1 when one is kept: it holds uncommitted or unmerged work).
    Down(DownArgs),
    /// Follow the audit logs of this checkout and every worktree: one line per decision
    /// (time UTC, role, tool, path, decision, rule) until Ctrl-C or SIGTERM.
    Watch(WatchArgs),
}

/// Output format of validate, explain and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON document on stdout.
    Json,
}

/// Output format of report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// For people.
    Text,
    /// One JSON document on stdout.
    Json,
    /// A completion receipt to paste into a pull request.
    Markdown,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Policy file (default: lanes.toml here or in a parent directory; also LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The path to explain (relative to the current directory).
    #[arg(required_unless_present = "hook_input", conflicts_with = "hook_input")]
    pub path: Option<String>,
    /// Decide for this role only, with the reason the hook would give; exit 1 when denied.
    /// With --hook-input: the session's LANES_ROLE, which the payload does not carry.
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
    /// Replay a saved PreToolUse payload (`-` reads stdin) and print the decision trace;
    /// exit 1 when the hook would deny or block it. Nothing is written to the audit log.
    #[arg(long, value_name = "FILE")]
    pub hook_input: Option<PathBuf>,
    /// Policy file (default: found from the current directory, or the payload's cwd).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Policy file (default: lanes.toml here or in a parent directory; also LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Settle interval of signal files, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = seconds)]
    pub settle: Duration,
    /// Output format. Exit 1 when there are problems.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Policy file (default: lanes.toml here or in a parent directory; also LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Read this log instead of the policy's audit log.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Only records since TIME: RFC 3339 (2026-11-24T06:00:00Z) or a duration ago (2h, 30min).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only records of this role (`(unassigned)` for records without one).
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
    /// Only records of this session id.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The role whose signal file to wait for.
    pub role: String,
    /// Give up after this many seconds (exit 1). Default: wait forever.
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub timeout: Option<Duration>,
    /// The signal file must stay unchanged this many seconds.
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = seconds)]
    pub settle: Duration,
    /// Policy file (default: lanes.toml here or in a parent directory; also LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The role to act as.
    pub role: String,
    /// The agent client to start.
    #[arg(long, value_enum, default_value = "claude")]
    pub client: lanes::run::Client,
    /// Where the session starts: in the project root with the paths the role may not write
    /// denied (deny-list), or in the role's first folder lane with only its lanes writable
    /// (allow-list; the project's .claude/settings.json is then not read). See docs/run.md.
    #[arg(
        long,
        value_enum,
        default_value = "deny-list",
        conflicts_with = "no_sandbox"
    )]
    pub layout: lanes::run::Layout,
    /// Start without the OS sandbox: the hook still judges every call, but commands it cannot
    /// see into (scripts, interpreters) are only recorded, not contained.
    #[arg(long)]
    pub no_sandbox: bool,
    /// Policy file (default: lanes.toml here or in a parent directory; also LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Arguments for the client, after `--` (`lanes run builder -- -p "build it"`).
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// The roles to start (default: every role of the policy).
    #[arg(value_name = "ROLE")]
    pub roles: Vec<String>,
    /// Give each role its own git worktree beside the repository (`../<repo>-<role>`) on its
    /// own branch (the first literal name of its `branches`, else `lanes/<role>`); made
    /// when missing, reused when present. lanes.toml must be committed.
    #[arg(long)]
    pub worktrees: bool,
    /// The tmux session's name (default: `lanes-<repository folder>`).
    #[arg(long, value_name = "NAME")]
    pub session: Option<String>,
    /// Do not attach (or switch) to the session; for scripts and tests.
    #[arg(long)]
    pub detach: bool,
    /// Run the agents without `lanes run`'s sandbox (`lanes run --no-sandbox`): on machines
    /// without bubblewrap and socat, and for stand-in agents in tests.
    #[arg(long)]
    pub no_sandbox: bool,
    /// Policy file (default: lanes.toml here or in a parent directory; also LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Arguments for every agent, after `--`: each pane runs `lanes run ROLE -- ARGS`
    /// (`lanes up -- --model opus`; headless: `lanes up -- -p "the task"`).
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// The tmux session's name (default: `lanes-<repository folder>`).
    #[arg(long, value_name = "NAME")]
    pub session: Option<String>,
    /// Also remove the roles' worktrees (`../<repo>-<role>`) that hold no uncommitted changes
    /// and no commits missing from the main checkout's HEAD; the others are kept, with why.
    #[arg(long)]
    pub remove_worktrees: bool,
    /// Policy file (default: lanes.toml here or in a parent directory; also LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Policy file (default: lanes.toml here or in a parent directory; also LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// Policy file to use instead of searching for lanes.toml from the input's cwd
    /// (also: LANES_POLICY).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The agent CLI that runs this hook; a payload of another shape is blocked. Default:
    /// recognised from the payload.
    #[arg(long, value_enum, value_name = "NAME")]
    pub client: Option<ClientArg>,
}

/// An agent CLI whose pre-tool hook lanes serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum ClientArg {
    /// Claude Code (`.claude/settings.json`).
    Claude,
    /// OpenAI Codex (`.codex/hooks.json`).
    Codex,
    /// GitHub Copilot CLI (`.github/hooks/lanes.json`).
    Copilot,
    /// Gemini CLI (`.gemini/settings.json`).
    Gemini,
}

impl From<ClientArg> for lanes::client::ClientName {
    fn from(c: ClientArg) -> Self {
        use lanes::client::ClientName;
        match c {
            ClientArg::Claude => ClientName::Claude,
            ClientArg::Codex => ClientName::Codex,
            ClientArg::Copilot => ClientName::Copilot,
            ClientArg::Gemini => ClientName::Gemini,
        }
    }
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
    /// Register the hook for this agent CLI (repeatable; default: claude). Codex, Copilot CLI
    /// and Gemini CLI get it in their project configuration (.codex/hooks.json,
    /// .github/hooks/lanes.json, .gemini/settings.json).
    #[arg(long, value_enum, value_name = "NAME")]
    pub client: Vec<ClientArg>,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Show what would change, as diffs, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Parses a non-negative number of seconds (`3`, `0.5`).
fn seconds(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .and_then(|f| Duration::try_from_secs_f64(f).ok())
        .ok_or_else(|| format!("`{s}` is not a number of seconds (like 3 or 0.5)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_hook_fast_path_parses_like_the_full_parser_or_not_at_all() {
        let argv = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        for a in [
            &["lanes", "hook"][..],
            &["lanes", "hook", "--policy", "x.toml"],
            &["lanes", "hook", "--policy=y"],
            &["lanes", "hook", "--client", "gemini"],
        ] {
            let fast = Cli::parse_hook(argv(a).into_iter()).expect("the fast path takes it");
            assert_eq!(
                format!("{fast:?}"),
                format!("{:?}", Cli::try_parse_from(a).unwrap()),
                "{a:?}"
            );
        }
        for a in [
            &["lanes", "hook", "--help"][..],
            &["lanes", "hook", "--bogus"],
            &["lanes", "hook", "x"],
            &["lanes", "check"],
            &["lanes"],
        ] {
            assert!(
                Cli::parse_hook(argv(a).into_iter()).is_none(),
                "{a:?} must go to the full parser"
            );
        }
    }
}
