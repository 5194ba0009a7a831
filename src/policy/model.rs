//! The policy as a plain value: what `lanes.toml` says, checked, plus where it lies.
//!
//! Nothing here is compiled or memoized: a [`Policy`] can be shared between threads and kept
//! in the parsed-policy cache. Matching paths against it goes through [`super::Lanes`], which
//! compiles pattern lists on first use and lives as long as the call that needs it.

use super::pattern::{Pattern, PatternList};
use super::raw::{BashSettings, Mode, Unassigned};
use crate::path::RepoPath;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The policy file name looked for in each directory.
pub const POLICY_FILE: &str = "lanes.toml";

/// The audit log used when `audit` is not set.
pub const DEFAULT_AUDIT: &str = ".lanes/audit.jsonl";

/// lanes' own folder (audit log, parsed-policy cache), always protected.
pub const LANES_DIR: &str = ".lanes/";

/// Input fields holding written paths for the reference filesystem MCP server
/// (`@modelcontextprotocol/server-filesystem`), used unless `[mcp_tools]` says otherwise.
pub(super) const DEFAULT_MCP_TOOLS: &[(&str, &[&str])] = &[
    ("mcp__filesystem__write_file", &["path"]),
    ("mcp__filesystem__edit_file", &["path"]),
    ("mcp__filesystem__create_directory", &["path"]),
    ("mcp__filesystem__move_file", &["source", "destination"]),
];

/// Everything a [`Policy`] takes from the policy text, checked: it depends on the text alone
/// (and on the lanes version), which is what lets the parsed-policy cache keep it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyData {
    /// `mode`.
    pub mode: Mode,
    /// `unassigned`.
    pub unassigned: Unassigned,
    /// `audit`, relative to the root; `None` when turned off.
    pub audit: Option<RepoPath>,
    /// `[roles.*]`, in file order.
    pub roles: Vec<Role>,
    /// `[shared] write`.
    pub shared: PatternList,
    /// `[protected] paths`.
    pub protected: PatternList,
    /// `[mcp_tools]` over the defaults, in order.
    pub mcp_tools: Vec<(String, Vec<String>)>,
    /// `[bash]`.
    pub bash: BashSettings,
}

/// A loaded, checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The policy file as found or named (`--policy`, `LANES_POLICY`).
    pub file: PathBuf,
    /// The project root: the directory holding the policy file, canonicalized.
    pub root: PathBuf,
    /// `mode`.
    pub mode: Mode,
    /// `unassigned`.
    pub unassigned: Unassigned,
    /// `audit`, relative to the root; `None` when turned off.
    pub audit: Option<RepoPath>,
    /// `[roles.*]`, in file order.
    pub roles: Vec<Role>,
    /// `[shared] write`: every role may write here.
    pub shared: PatternList,
    /// `[protected] paths`: no role may write here.
    pub protected: PatternList,
    /// Always protected, whatever the policy says: the policy file, `lanes.toml` at any depth,
    /// `.claude/`, `.git`, `.lanes/`
    /// (the parsed-policy cache and the default audit log) and the audit log's folder, so an
    /// agent can neither widen its lane nor unhook lanes.
    pub builtin_protected: PatternList,
    /// MCP tool name (exact, or a glob with `*`) -> input fields holding written paths.
    pub mcp_tools: Vec<(String, Vec<String>)>,
    /// `[bash]`: how Bash findings that no path settles are treated.
    pub bash: BashSettings,
    /// The policy text, for the line and column of errors.
    source: String,
}

/// `[roles.NAME]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    /// The table name.
    pub name: String,
    /// `write`: the role's lanes.
    pub write: PatternList,
    /// `signal`: the role's handoff file; it must lie inside the role's lanes.
    pub signal: Option<RepoPath>,
    /// Where `signal` is written in the policy text.
    pub(super) signal_span: Option<Range<usize>>,
    /// `agents` as written; `None` when not set (the role's name alone).
    pub(super) agents: Option<Vec<String>>,
    /// `description`.
    pub(super) description: Option<String>,
    /// `signal_requires`.
    pub(super) signal_requires: Vec<String>,
    /// `spawn`.
    pub(super) spawn: Vec<String>,
    /// `branches`, with where each is written.
    pub(super) branches: Vec<String>,
    pub(super) branch_spans: Vec<Range<usize>>,
    /// `after`, checked: each names another role that has a signal file, without cycles.
    pub(super) after: Vec<String>,
}

impl Role {
    /// `agents`: hook-input `agent_type` values that act as this role (default: the name).
    pub fn agents(&self) -> &[String] {
        self.agents
            .as_deref()
            .unwrap_or(std::slice::from_ref(&self.name))
    }

    /// Where `signal` is written in the policy text.
    pub(crate) fn signal_span(&self) -> Option<Range<usize>> {
        self.signal_span.clone()
    }

    /// `description`, used in messages and CLAUDE.md.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// `signal_requires`: text the signal file must contain to count as complete.
    pub fn signal_requires(&self) -> &[String] {
        &self.signal_requires
    }

    /// `spawn`: other roles whose subagents this role may start.
    pub fn spawn(&self) -> &[String] {
        &self.spawn
    }

    /// `branches`: git branch globs whose commits act as this role (`lanes check`).
    pub fn branches(&self) -> &[String] {
        &self.branches
    }

    /// `after`: the roles whose signal files must be complete before `lanes up` starts this
    /// one, in policy order. Each has a signal file, and no role waits for itself, even
    /// through others (checked when the policy is read).
    pub fn after(&self) -> &[String] {
        &self.after
    }
}

impl Policy {
    /// The policy from its checked data plus what depends on where it lies: the file, the
    /// root (already canonical), and the always-protected patterns (the policy file's target
    /// when it is a symlink).
    pub(super) fn assemble(file: &Path, root: &Path, source: String, data: PolicyData) -> Policy {
        // The agent clients' project settings, where a hook registration could be removed
        // (Claude Code's `.claude/`, Codex's `.codex/`, Gemini CLI's `.gemini/`, Copilot CLI's
        // `.github/hooks/`), and git's own files.
        let mut builtin = vec![
            "**/.claude/".to_string(),
            "**/.codex/".to_string(),
            "**/.gemini/".to_string(),
            ".github/hooks/".to_string(),
            "**/.git".to_string(),
        ];
        // `root` is the file's directory, already resolved: only a policy file that is itself
        // a symlink needs resolving again, to protect the file it points to.
        let is_link = std::fs::symlink_metadata(file).is_ok_and(|m| m.file_type().is_symlink());
        let target = if is_link {
            file.canonicalize().ok()
        } else {
            None
        };
        if let Some(rel) = target.and_then(|f| RepoPath::from_root(root, &f)) {
            builtin.insert(0, rel.to_string());
        } else if let Some(name) = file.file_name() {
            builtin.insert(0, name.to_string_lossy().into_owned());
        }
        // `**/lanes.toml`: a policy file at any depth, which could govern a directory if the
        // outer one went away (see `find`). First, so that the root's own file is reported by
        // its entry (the last pattern that matches names the rule).
        builtin.insert(0, format!("**/{POLICY_FILE}"));
        // lanes' own folder: the audit log by default, and the parsed-policy cache, which the
        // hook trusts when it matches the policy text.
        builtin.push(LANES_DIR.to_string());
        if let Some(audit) = &data.audit {
            let folder = audit
                .as_path()
                .parent()
                .filter(|p| !p.as_os_str().is_empty());
            let entry = match folder {
                Some(dir) => format!("{}/", dir.display()),
                None => audit.to_string(),
            };
            if entry != LANES_DIR {
                builtin.push(entry);
            }
        }
        let builtin_protected = PatternList::new(
            builtin
                .into_iter()
                .map(|text| Pattern { text, span: None })
                .collect(),
        );
        Policy {
            file: file.to_path_buf(),
            root: root.to_path_buf(),
            mode: data.mode,
            unassigned: data.unassigned,
            audit: data.audit,
            roles: data.roles,
            shared: data.shared,
            protected: data.protected,
            builtin_protected,
            mcp_tools: data.mcp_tools,
            bash: data.bash,
            source,
        }
    }

    /// The first role other than `except` whose signal file is `path`.
    pub fn signal_owner(&self, path: &RepoPath, except: &str) -> Option<&Role> {
        self.roles
            .iter()
            .find(|r| r.signal.as_ref() == Some(path) && r.name != except)
    }

    /// The role called `name`.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The role whose `agents` list holds `agent_type`.
    pub fn role_for_agent(&self, agent_type: &str) -> Option<&Role> {
        self.roles
            .iter()
            .find(|r| r.agents().iter().any(|a| a == agent_type))
    }

    /// The input fields of MCP tool `tool` that hold written paths, if the tool is mapped.
    pub fn mcp_fields(&self, tool: &str) -> Option<&[String]> {
        self.mcp_tools
            .iter()
            .rev()
            .find(|(name, _)| glob_name_match(name, tool))
            .map(|(_, f)| f.as_slice())
    }

    /// The policy text, for tools that report positions (`lanes validate`) and for errors.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// Matches a tool name against a name pattern where `*` stands for any run of characters.
pub(super) fn glob_name_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    if parts.is_empty() {
        return rest.is_empty();
    }
    for (i, part) in parts.iter().enumerate() {
        if i == parts.len() - 1 {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}
