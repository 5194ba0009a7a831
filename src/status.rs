//! `lanes status`: the roles, their lanes and signal files, the mode, the audit log, and
//! whether enforcement is actually installed (the Claude Code hook in `.claude/settings.json`
//! and a git pre-commit hook that runs `lanes check`) and up to date (agent files that state
//! old lanes, or that belong to a role that is gone). Problems come first.

use crate::git::{Git, GitError};
use crate::policy::{Mode, Policy, Unassigned};
use crate::signal::{self, SignalState};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where Claude Code reads project hooks from, relative to the project root (the hooks fact
/// sheet, section 1.1). Hooks in both run once.
pub const SETTINGS_FILES: &[&str] = &[".claude/settings.json", ".claude/settings.local.json"];

/// The state of the project.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Set-ups that work but leave a gap worth knowing about (they do not fail the command).
    pub warnings: Vec<String>,
    /// Things that keep lanes from working as configured; empty when all is well.
    pub problems: Vec<String>,
    /// The policy file.
    pub policy: PathBuf,
    /// The project root.
    pub root: PathBuf,
    /// `enforce` or `log`.
    pub mode: &'static str,
    /// `allow` or `deny`.
    pub unassigned: &'static str,
    /// The audit log (absolute), `None` when turned off.
    pub audit: Option<AuditLog>,
    /// The Claude Code PreToolUse hook.
    pub claude_hook: Install,
    /// The git pre-commit hook.
    pub git_hook: Install,
    /// The lanes hooks registered for other agent CLIs, and whether they will run (see
    /// [`Status::add_clients`]).
    pub clients: Vec<crate::client::trust::ClientHook>,
    /// The roles, in policy order.
    pub roles: Vec<RoleStatus>,
    /// Whether `lanes run`'s sandbox can run here, and per role what it would wall off;
    /// filled by the caller ([`crate::run::status`] runs a program to find out).
    pub sandbox: Option<crate::run::SandboxStatus>,
}

/// The audit log file.
#[derive(Debug, Clone, Serialize)]
pub struct AuditLog {
    /// Absolute path.
    pub path: PathBuf,
    /// Size in bytes; `None` when it does not exist yet.
    pub bytes: Option<u64>,
}

/// Whether a hook is installed, and where.
#[derive(Debug, Clone, Serialize)]
pub struct Install {
    /// True when it is installed and runs lanes.
    pub installed: bool,
    /// The file that installs it (or was looked at).
    pub file: Option<PathBuf>,
    /// For people: how it is installed, or why it is not.
    pub detail: String,
}

/// One role.
#[derive(Debug, Clone, Serialize)]
pub struct RoleStatus {
    /// The role name.
    pub name: String,
    /// `write` patterns as written.
    pub lanes: Vec<String>,
    /// `agents`.
    pub agents: Vec<String>,
    /// `after`: the roles whose signal files `lanes up` waits for before starting this one.
    pub after: Vec<String>,
    /// The signal file and its state.
    pub signal: Option<SignalStatus>,
}

/// A role's signal file.
#[derive(Debug, Clone, Serialize)]
pub struct SignalStatus {
    /// Repo-relative path.
    pub path: String,
    /// The project root in the worktree where the role works, when that is not this checkout
    /// (`crate::handoff::signal_file`, as `lanes wait` finds it); the path is relative to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout: Option<std::path::PathBuf>,
    /// Its state (same check as `lanes wait`): `state` and, when incomplete, `missing`.
    #[serde(flatten)]
    pub state: SignalState,
}

/// Gathers the status of the project governed by `policy`; `settle` is the signal files'
/// settle interval; `home` is where user settings live (`HOME`), if known.
pub fn status(policy: &Policy, settle: Duration, home: Option<&Path>) -> Status {
    let mut problems = Vec::new();
    if let Err(e) = crate::policy::Lanes::new(policy).compile_all() {
        problems.push(format!("the policy has errors (run `lanes validate`): {e}"));
    }
    let claude_hook = claude_hook(&policy.root, home);
    if !claude_hook.installed {
        problems.push(format!(
            "the Claude Code hook does not guard every write: {}",
            claude_hook.detail
        ));
    }
    let git_hook = git_hook(&policy.root);
    if !git_hook.installed {
        problems.push(format!("commits are not checked: {}", git_hook.detail));
    }
    let mut warnings = Vec::new();
    if policy.unassigned == Unassigned::Allow {
        let teams = agent_teams_enabled(&policy.root, home);
        let text = format!(
            "unassigned = \"allow\": a session without a role may write anywhere, and so may an \
             Agent Teams teammate in a tmux pane (it gets no LANES_ROLE and has an agent_type \
             only when built from an agent definition){}; set unassigned = \"deny\" for team sessions",
            if teams { ", and agent teams are enabled here" } else { "" }
        );
        if teams {
            problems.push(text);
        } else {
            warnings.push(text);
        }
    }
    // Agent files: the same survey as `lanes init`, so a file reported here is one init fixes
    // (or says why it does not).
    match crate::scaffold::agent_sync::survey(policy) {
        Ok(survey) => problems.extend(survey.files.into_iter().filter_map(|f| f.problem)),
        Err(e) => problems.push(format!("the agent files cannot be checked: {e}")),
    }
    let mut roles = Vec::new();
    for r in &policy.roles {
        let signal = r.signal.as_ref().map(|s| {
            // Where `lanes wait` looks: in the checkout where the role works.
            let (file, checkout) = match crate::handoff::signal_file(policy, r) {
                Ok(Some(at)) => (at.file, Some(at.checkout).filter(|c| *c != policy.root)),
                _ => (policy.root.join(s.as_path()), None),
            };
            let state = match signal::check(&file, r.signal_requires(), settle) {
                Ok(st) => st,
                Err(e) => {
                    problems.push(format!(
                        "signal file {s} of role {} cannot be read: {e}",
                        r.name
                    ));
                    SignalState::Absent
                }
            };
            SignalStatus {
                path: s.to_string(),
                checkout,
                state,
            }
        });
        roles.push(RoleStatus {
            name: r.name.clone(),
            lanes: r.write.patterns().map(|p| p.text.to_string()).collect(),
            agents: r.agents().to_vec(),
            after: r.after().to_vec(),
            signal,
        });
    }
    let audit = policy.audit.as_ref().map(|a| {
        let path = policy.root.join(a.as_path());
        let bytes = std::fs::metadata(&path).ok().map(|m| m.len());
        AuditLog { path, bytes }
    });
    Status {
        problems,
        warnings,
        policy: policy.file.clone(),
        root: policy.root.clone(),
        mode: match policy.mode {
            Mode::Enforce => "enforce",
            Mode::Log => "log",
        },
        unassigned: match policy.unassigned {
            Unassigned::Allow => "allow",
            Unassigned::Deny => "deny",
        },
        audit,
        claude_hook,
        git_hook,
        clients: Vec::new(),
        roles,
        sandbox: None,
    }
}

/// True when the project's or the user's Claude Code settings turn Agent Teams on (the
/// `CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS` variable in their `env`, or a `teammateMode`).
fn agent_teams_enabled(root: &Path, home: Option<&Path>) -> bool {
    let mut files: Vec<PathBuf> = SETTINGS_FILES.iter().map(|f| root.join(f)).collect();
    files.extend(home.map(|h| h.join(".claude/settings.json")));
    files.iter().any(|f| {
        let Ok(text) = std::fs::read_to_string(f) else {
            return false;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            return false;
        };
        let on = |x: &serde_json::Value| matches!(x.as_str(), Some("1" | "true")) || x == true;
        v.get("teammateMode").is_some()
            || v.get("env")
                .and_then(|e| e.get("CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS"))
                .is_some_and(on)
    })
}

/// The tools whose calls `lanes hook` judges; a matcher that leaves one out leaves a hole.
pub const JUDGED_TOOLS: &[&str] = &[
    "Write",
    "Edit",
    "MultiEdit",
    "NotebookEdit",
    "Bash",
    "Monitor",
    "PowerShell",
    "Agent",
];

/// Looks for PreToolUse handlers that run `lanes hook` in the project's settings files and,
/// when `home` is given, the user's `~/.claude/settings.json` (hook lists of all levels are
/// merged), and checks that their matchers reach every tool in [`JUDGED_TOOLS`].
fn claude_hook(root: &Path, home: Option<&Path>) -> Install {
    let mut files: Vec<(String, PathBuf)> = SETTINGS_FILES
        .iter()
        .map(|rel| (rel.to_string(), root.join(rel)))
        .collect();
    if let Some(home) = home {
        files.push((
            "~/.claude/settings.json".into(),
            home.join(".claude/settings.json"),
        ));
    }
    let mut notes = Vec::new();
    let mut found: Vec<(String, String)> = Vec::new(); // (file label, matcher)
                                                       // The evidence events (after the run, the task), registered by `lanes init` too.
    let mut evidence: Vec<&str> = Vec::new();
    for (label, file) in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let json: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                notes.push(format!(
                    "{label} is not valid JSON ({e}), so Claude Code ignores its hooks"
                ));
                continue;
            }
        };
        if json.get("disableAllHooks").and_then(Value::as_bool) == Some(true) {
            notes.push(format!("{label} sets disableAllHooks"));
        }
        for (event, _) in &crate::scaffold::settings::EVENTS[1..] {
            let groups = json
                .pointer(&format!("/hooks/{event}"))
                .and_then(Value::as_array);
            let runs = groups.into_iter().flatten().any(|g| {
                g.get("hooks")
                    .and_then(Value::as_array)
                    .is_some_and(|h| h.iter().any(runs_lanes_hook))
            });
            if runs && !evidence.contains(event) {
                evidence.push(event);
            }
        }
        let entries = json
            .pointer("/hooks/PreToolUse")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for entry in &entries {
            let handlers = entry
                .get("hooks")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if handlers.iter().any(runs_lanes_hook) {
                let matcher = entry.get("matcher").and_then(Value::as_str).unwrap_or("");
                found.push((label.clone(), matcher.to_string()));
            }
        }
    }
    let first_file = found
        .first()
        .and_then(|(label, _)| files.iter().find(|(l, _)| l == label))
        .map(|(_, f)| f.clone());
    if found.is_empty() {
        let places: Vec<&str> = files.iter().map(|(l, _)| l.as_str()).collect();
        notes.insert(
            0,
            format!(
                "no PreToolUse handler runs `lanes hook` in {} (run `lanes init`)",
                places.join(", ")
            ),
        );
        return Install {
            installed: false,
            file: Some(root.join(SETTINGS_FILES[0])),
            detail: notes.join("; "),
        };
    }
    let uncovered: Vec<&str> = JUDGED_TOOLS
        .iter()
        .copied()
        .filter(|tool| !found.iter().any(|(_, m)| matcher_matches(m, tool)))
        .collect();
    let shown: Vec<String> = found
        .iter()
        .map(|(label, m)| {
            if m.is_empty() {
                format!("{label} (every tool)")
            } else {
                format!("{label} (matcher {m:?})")
            }
        })
        .collect();
    if !uncovered.is_empty() {
        notes.insert(
            0,
            format!(
                "`lanes hook` runs from {} but never for {}",
                shown.join(", "),
                uncovered.join(", ")
            ),
        );
    }
    if !notes.is_empty() {
        return Install {
            installed: false,
            file: first_file,
            detail: notes.join("; "),
        };
    }
    let missing: Vec<&str> = crate::scaffold::settings::EVENTS[1..]
        .iter()
        .map(|(e, _)| *e)
        .filter(|e| !evidence.contains(e))
        .collect();
    let mut detail = format!("PreToolUse runs `lanes hook` from {}", shown.join(", "));
    if missing.is_empty() {
        detail.push_str(", and so do PostToolUse, PostToolUseFailure and UserPromptSubmit");
    } else {
        detail.push_str(&format!(
            "; {} do not, so what shell commands change is not checked after the run and \
             receipts lack the task (run `lanes init`)",
            missing.join(", ")
        ));
    }
    Install {
        installed: true,
        file: first_file,
        detail,
    }
}

/// True when a handler's command (with its `args`) runs `lanes hook`: a word whose file name
/// is `lanes` followed by the word `hook`.
fn runs_lanes_hook(handler: &Value) -> bool {
    if handler
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != "command")
    {
        return false;
    }
    let mut words: Vec<String> = handler
        .get("command")
        .and_then(Value::as_str)
        .map(|c| {
            c.split_whitespace()
                .map(|w| w.trim_matches(['"', '\'']).to_string())
                .collect()
        })
        .unwrap_or_default();
    if let Some(args) = handler.get("args").and_then(Value::as_array) {
        words.extend(args.iter().filter_map(Value::as_str).map(String::from));
    }
    words.windows(2).any(|w| {
        let name = Path::new(&w[0])
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        (name == "lanes" || name == "lanes.exe") && w[1] == "hook"
    })
}

/// True when a PreToolUse `matcher` sends `tool` to the hook, as Claude Code reads matchers
/// (hooks fact sheet, section 1.3): empty or `*` matches everything; a value of only letters,
/// digits, `_`, `-`, spaces, `,` and `|` is a list of exact names; anything else is an
/// unanchored regular expression.
fn matcher_matches(matcher: &str, tool: &str) -> bool {
    let m = matcher.trim();
    if m.is_empty() || m == "*" {
        return true;
    }
    if m.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_- ,|".contains(c))
    {
        return m.split(['|', ',']).any(|name| name.trim() == tool);
    }
    regex_lite::Regex::new(m).is_ok_and(|re| re.is_match(tool))
}

/// Looks for a git pre-commit hook that runs `lanes check` (directly, or through a
/// pre-commit/prek configuration).
fn git_hook(root: &Path) -> Install {
    let hooks = match Git::new(root).hooks_dir() {
        Ok(dir) => dir,
        Err(e) => {
            let detail = match e {
                GitError::Spawn(e) => format!("cannot run git: {e}"),
                _ => "the project is not in a git repository".into(),
            };
            return Install {
                installed: false,
                file: None,
                detail,
            };
        }
    };
    let file = hooks.join("pre-commit");
    let text = match std::fs::read(&file) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => {
            return Install {
                installed: false,
                file: Some(file.clone()),
                detail: format!(
                    "no pre-commit hook at {} runs `lanes check`",
                    file.display()
                ),
            }
        }
    };
    if !is_executable(&file) {
        return Install {
            installed: false,
            detail: format!("{} is not executable, so git skips it", file.display()),
            file: Some(file),
        };
    }
    // `lanes init` marks its hook; a hand-written one names the command.
    let by_init = text
        .lines()
        .any(|l| l.starts_with(crate::scaffold::git_hook::MARKER));
    if by_init || text.contains("lanes check") {
        return Install {
            installed: true,
            detail: format!("{} runs `lanes check`", file.display()),
            file: Some(file),
        };
    }
    for cfg in [".pre-commit-config.yaml", ".pre-commit-config.yml"] {
        if std::fs::read_to_string(root.join(cfg)).is_ok_and(|c| c.contains("lanes check")) {
            return Install {
                installed: true,
                detail: format!(
                    "{} runs the hooks of {cfg}, which runs `lanes check`",
                    file.display()
                ),
                file: Some(file),
            };
        }
    }
    Install {
        installed: false,
        detail: format!(
            "the pre-commit hook {} does not run `lanes check`",
            file.display()
        ),
        file: Some(file),
    }
}

#[cfg(unix)]
fn is_executable(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(file).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(file: &Path) -> bool {
    file.is_file()
}

impl Status {
    /// Adds the other clients' registrations ([`crate::client::trust::check`]): one that
    /// will not run is a problem, since that client then runs every call unchecked.
    pub fn add_clients(&mut self, hooks: Vec<crate::client::trust::ClientHook>) {
        // A project guarded only for other clients: no Claude Code hook is a gap to know of,
        // not a broken set-up.
        let unregistered = self.claude_hook.detail.starts_with("no PreToolUse handler");
        if !hooks.is_empty() && !self.claude_hook.installed && unregistered {
            let gap = self
                .problems
                .iter()
                .position(|p| p.starts_with("the Claude Code hook does not guard"));
            if let Some(i) = gap {
                let p = self.problems.remove(i);
                self.warnings.push(p);
            }
        }
        for h in &hooks {
            match h.runs {
                Some(false) => self.problems.push(format!(
                    "the {} hook in {} will not run: {}",
                    h.client,
                    h.file.display(),
                    h.detail
                )),
                None => self
                    .warnings
                    .push(format!("{} hook: {}", h.client, h.detail)),
                Some(true) => {}
            }
        }
        self.clients = hooks;
    }

    /// Text for a terminal, problems first.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if self.problems.is_empty() {
            out.push_str("no problems\n");
        } else {
            out.push_str("problems:\n");
            for p in &self.problems {
                let _ = writeln!(out, "  - {p}");
            }
        }
        if !self.warnings.is_empty() {
            out.push_str("\nwarnings:\n");
            for w in &self.warnings {
                let _ = writeln!(out, "  - {w}");
            }
        }
        let _ = writeln!(
            out,
            "\npolicy:      {} (mode {}, unassigned {})",
            self.policy.display(),
            self.mode,
            self.unassigned
        );
        match &self.audit {
            Some(a) => {
                let size = a
                    .bytes
                    .map_or("not created yet".to_string(), |b| format!("{b} bytes"));
                let _ = writeln!(out, "audit log:   {} ({size})", a.path.display());
            }
            None => out.push_str("audit log:   off\n"),
        }
        let mark = |i: &Install| if i.installed { "installed" } else { "MISSING" };
        let _ = writeln!(
            out,
            "claude hook: {}: {}",
            mark(&self.claude_hook),
            self.claude_hook.detail
        );
        let _ = writeln!(
            out,
            "git hook:    {}: {}",
            mark(&self.git_hook),
            self.git_hook.detail
        );
        for h in &self.clients {
            let state = match h.runs {
                Some(true) => "runs",
                Some(false) => "WILL NOT RUN",
                None => "registered",
            };
            let _ = writeln!(
                out,
                "{:<12} {state}: {}",
                format!("{} hook:", h.client),
                h.detail
            );
        }
        out.push_str("\nroles:\n");
        for r in &self.roles {
            let lanes = if r.lanes.is_empty() {
                "(no lanes)".to_string()
            } else {
                r.lanes.join(", ")
            };
            let _ = writeln!(out, "  {}: {lanes}", r.name);
            if !r.after.is_empty() {
                let _ = writeln!(out, "    after: {} (lanes up)", r.after.join(", "));
            }
            if let Some(s) = &r.signal {
                let place = match &s.checkout {
                    Some(c) => format!(" in {}", c.display()),
                    None => String::new(),
                };
                let _ = writeln!(out, "    signal {}{place}: {}", s.path, s.state.describe());
            }
        }
        if let Some(sandbox) = &self.sandbox {
            out.push_str(&sandbox.text());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognizes_lanes_hook_commands() {
        assert!(runs_lanes_hook(
            &json!({"type": "command", "command": "lanes hook"})
        ));
        assert!(runs_lanes_hook(
            &json!({"type": "command", "command": "/usr/local/bin/lanes", "args": ["hook"]})
        ));
        assert!(runs_lanes_hook(
            &json!({"type": "command", "command": "\"$HOME/.cargo/bin/lanes\" hook --policy x"})
        ));
        assert!(!runs_lanes_hook(
            &json!({"type": "command", "command": "lanes check"})
        ));
        assert!(!runs_lanes_hook(
            &json!({"type": "command", "command": "notlanes hook"})
        ));
        assert!(!runs_lanes_hook(
            &json!({"type": "prompt", "command": "lanes hook"})
        ));
    }

    #[test]
    fn matchers_as_claude_code_reads_them() {
        for m in [
            "",
            "*",
            "Write|Edit",
            "Edit, Write",
            "^Write$",
            ".*",
            "Wri.e",
        ] {
            assert!(matcher_matches(m, "Write"), "{m:?}");
        }
        for m in ["Bash", "Edit|MultiEdit", "TodoWrite", "^Edit$", "(unclosed"] {
            assert!(!matcher_matches(m, "Write"), "{m:?}");
        }
        // A regex is unanchored: `Edit.*` also reaches NotebookEdit.
        assert!(matcher_matches("Edit.*", "NotebookEdit"));
    }

    #[test]
    fn agent_teams_turned_on_in_settings_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert!(!agent_teams_enabled(root, None));
        std::fs::create_dir_all(root.join(".claude")).unwrap();
        let settings = root.join(".claude/settings.json");
        std::fs::write(
            &settings,
            r#"{"env":{"CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS":"0"}}"#,
        )
        .unwrap();
        assert!(!agent_teams_enabled(root, None));
        std::fs::write(
            &settings,
            r#"{"env":{"CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS":"1"}}"#,
        )
        .unwrap();
        assert!(agent_teams_enabled(root, None));
        std::fs::write(&settings, r#"{"teammateMode":"tmux"}"#).unwrap();
        assert!(agent_teams_enabled(root, None));
    }
}
