//! The process environment, read in exactly one place so every other module is a pure
//! function of its inputs (and tests never race on `std::env`).

use std::ffi::OsString;
use std::path::PathBuf;

/// Environment variables lanes reads. Empty values count as unset.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `LANES_ROLE`: the role of the session, set when it is launched (`LANES_ROLE=builder claude`).
    pub lanes_role: Option<String>,
    /// `LANES_POLICY`: the policy file to use instead of searching for `lanes.toml`.
    pub lanes_policy: Option<PathBuf>,
    /// `CLAUDE_CODE_AGENT`: set by Claude Code in the Bash tool's shell of a session started
    /// with `claude --agent NAME` (observed on CLI 2.1.330; see the hooks fact sheet, §10).
    pub claude_code_agent: Option<String>,
    /// `HOME`, for `~` in shell commands.
    pub home: Option<PathBuf>,
    /// `LANES_HOOK_DEADLINE_MS`: how long `lanes hook` may run before it blocks the call
    /// (default [`DEFAULT_HOOK_DEADLINE_MS`]).
    pub hook_deadline_ms: Option<u64>,
    /// `LANES_FAULT`: fault injection for tests of the fail-closed paths (`panic`); honoured
    /// only by debug builds.
    pub fault: Option<String>,
    /// `PATH`: `lanes init` looks for `lanes` on it to decide how the hooks name lanes, and
    /// the hook guards every `lanes` on it.
    pub path: Option<OsString>,
    /// `XDG_CONFIG_HOME`: where git reads its global configuration besides `~/.gitconfig`.
    pub xdg_config_home: Option<PathBuf>,
    /// `CODEX_HOME`: Codex's user configuration folder (default `~/.codex`).
    pub codex_home: Option<PathBuf>,
    /// `GEMINI_CLI_HOME`: the home Gemini CLI keeps `.gemini/` in (default `HOME`).
    pub gemini_cli_home: Option<PathBuf>,
    /// `COPILOT_HOME`: Copilot CLI's user configuration folder (default `~/.copilot`).
    pub copilot_home: Option<PathBuf>,
    /// `TMUX`: set inside a tmux client, where `lanes up` switches to its session instead
    /// of attaching.
    pub tmux: Option<OsString>,
}

/// The hook's own deadline. Claude Code lets a call through when a hook times out, so lanes
/// blocks by itself well before any configured timeout.
pub const DEFAULT_HOOK_DEADLINE_MS: u64 = 900;

impl Env {
    /// Reads the variables of the current process.
    #[allow(clippy::disallowed_methods)] // the one sanctioned place
    pub fn from_process() -> Env {
        let get = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let string = |k: &str| get(k).map(|v| v.to_string_lossy().into_owned());
        Env {
            lanes_role: string("LANES_ROLE"),
            lanes_policy: get("LANES_POLICY").map(PathBuf::from),
            claude_code_agent: string("CLAUDE_CODE_AGENT"),
            home: get("HOME").map(PathBuf::from),
            hook_deadline_ms: string("LANES_HOOK_DEADLINE_MS").and_then(|v| v.trim().parse().ok()),
            fault: string("LANES_FAULT"),
            path: get("PATH"),
            xdg_config_home: get("XDG_CONFIG_HOME").map(PathBuf::from),
            codex_home: get("CODEX_HOME").map(PathBuf::from),
            gemini_cli_home: get("GEMINI_CLI_HOME").map(PathBuf::from),
            copilot_home: get("COPILOT_HOME").map(PathBuf::from),
            tmux: get("TMUX"),
        }
    }

    /// Every variable of the current process, for `lanes up` to hand to its agents. Read on
    /// demand rather than in [`Env::from_process`], which every hook call runs.
    pub fn all_of_process() -> Vec<(OsString, OsString)> {
        std::env::vars_os().collect()
    }
}
