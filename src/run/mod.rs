//! `lanes run ROLE`: start an agent session acting as a role, its lanes enforced by the hook
//! and by the client's OS sandbox.
//!
//! [`plan`] is pure: the policy, the request and what was found on the machine ([`Machine`])
//! go in, a [`Launch`] comes out (the program, its arguments, environment and folder, the
//! files to write first, and the summary to print). The binary writes the files, prints the
//! summary to stderr and execs the program. The modules: [`wall`] (which paths the role's
//! sandbox denies, and what it leaves to the hook), [`settings`] (Claude Code's settings file),
//! [`probe`] (can the sandbox run here), [`allow`] (the allow-list layout's start folder and
//! writable paths). Facts: shared/reference/sandbox-and-teams.md.
//!
//! Adding a client is one more [`Client`] variant and one more arm in [`plan`].

pub mod allow;
pub mod probe;
pub mod settings;
pub mod wall;

use crate::path::RepoPath;
use crate::policy::{Lanes, Mode, Policy, PolicyError, Role};
use probe::Probe;
use serde::Serialize;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use wall::{Tree, Walls};

/// lanes' folder for the files of role sessions, relative to the project root (inside
/// `.lanes/`, which is git-ignored and always protected).
pub const RUN_DIR: &str = ".lanes/run";

/// How many walled paths a summary line names before it says how many more there are.
const SHOWN: usize = 12;

/// The agent client to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Client {
    /// Claude Code (`claude`), with its Bash sandbox (bubblewrap on Linux, Seatbelt on macOS).
    Claude,
    /// OpenAI Codex (`codex`), with its workspace-write sandbox.
    Codex,
    /// GitHub Copilot CLI (`copilot`), which has no sandbox.
    Copilot,
    /// Gemini CLI (`gemini`), whose container sandbox cannot wall off lanes.
    Gemini,
}

impl Client {
    /// The program started.
    pub fn program(self) -> &'static str {
        match self {
            Client::Claude => "claude",
            Client::Codex => "codex",
            Client::Copilot => "copilot",
            Client::Gemini => "gemini",
        }
    }

    /// How to install the client, for the message when it is not on PATH.
    pub fn install_hint(self) -> &'static str {
        match self {
            Client::Claude => "install Claude Code: npm install -g @anthropic-ai/claude-code",
            Client::Codex => "install Codex: npm install -g @openai/codex",
            Client::Copilot => "install Copilot CLI: npm install -g @github/copilot",
            Client::Gemini => "install Gemini CLI: npm install -g @google/gemini-cli",
        }
    }

    /// The client as `lanes hook --client` and `lanes init --client` name it.
    pub fn name(self) -> crate::client::ClientName {
        use crate::client::ClientName;
        match self {
            Client::Claude => ClientName::Claude,
            Client::Codex => ClientName::Codex,
            Client::Copilot => ClientName::Copilot,
            Client::Gemini => ClientName::Gemini,
        }
    }
}

/// Where the session starts, and so what the sandbox leaves writable (docs/run.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Start in the project root and deny the paths the role may not write; new files at the
    /// root are left to the hook.
    DenyList,
    /// Start in the role's first folder lane and leave only its lanes, the shared ones and
    /// git's folders writable; glob lanes become read-only, and the project's
    /// `.claude/settings.json` is not read.
    AllowList,
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The role's name.
    pub role: &'a str,
    /// The client.
    pub client: Client,
    /// False with `--no-sandbox`.
    pub sandbox: bool,
    /// `--layout`.
    pub layout: Layout,
    /// Arguments after `--`, appended to the client's.
    pub args: &'a [OsString],
    /// The command the hook registration runs (as `lanes init` chooses it: `lanes` when it is
    /// on PATH, else this executable's absolute path).
    pub hook_command: &'a str,
    /// The policy was named (`--policy`, `LANES_POLICY`): the session gets it as an absolute
    /// `LANES_POLICY`, so its hooks read the same policy.
    pub explicit_policy: bool,
}

/// What was found on the machine.
pub struct Machine<'a> {
    /// Whether the sandbox can run.
    pub probe: &'a Probe,
    /// The project on disk.
    pub tree: &'a dyn Tree,
    /// Git's folders of this checkout (`git rev-parse --git-dir --git-common-dir`), absolute;
    /// those outside the project stay writable in the sandbox, so the role can commit.
    pub git_dirs: &'a [PathBuf],
}

/// A session to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The program, looked up on PATH.
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Variables set in its environment (the rest is inherited).
    pub env: Vec<(OsString, OsString)>,
    /// Where it starts: the project root.
    pub cwd: PathBuf,
    /// Files to write before it starts: absolute path and text.
    pub files: Vec<(PathBuf, String)>,
    /// The summary for stderr, one line each.
    pub summary: Vec<String>,
}

/// Why a session cannot start.
#[derive(Debug, Clone)]
pub enum RunError {
    /// The policy has no such role.
    UnknownRole {
        /// The name asked for.
        role: String,
        /// The policy file.
        file: PathBuf,
        /// The roles it has.
        roles: Vec<String>,
    },
    /// The sandbox cannot run here and `--no-sandbox` was not given.
    NoSandbox {
        /// What is missing, one sentence each ([`Probe::missing`]).
        missing: Vec<String>,
        /// Whether bwrap or socat is missing (the install hint applies).
        packages: bool,
        /// The role, for the `--no-sandbox` hint.
        role: String,
    },
    /// The policy does not compile.
    Policy(PolicyError),
    /// The layout cannot be set up (the allow-list layout needs an existing folder lane).
    Layout(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::UnknownRole { role, file, roles } => write!(
                f,
                "no role `{role}` in {}; roles: {}",
                file.display(),
                if roles.is_empty() {
                    "(none)".to_string()
                } else {
                    roles.join(", ")
                }
            ),
            RunError::NoSandbox {
                missing,
                packages,
                role,
            } => {
                write!(
                    f,
                    "the sandbox that would contain this session's Bash commands cannot run here: {}.",
                    missing.join("; ")
                )?;
                if *packages {
                    write!(f, "\n  To {}.", probe::INSTALL_HINT)?;
                }
                write!(
                    f,
                    "\n  Or start without it: lanes run {role} --no-sandbox (then commands lanes cannot \
                     see into, such as scripts and interpreters, are only recorded, not contained)."
                )
            }
            RunError::Policy(e) => write!(f, "{e}"),
            RunError::Layout(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RunError {}

impl From<PolicyError> for RunError {
    fn from(e: PolicyError) -> Self {
        RunError::Policy(e)
    }
}

/// Plans the session of `req.role` under `policy`.
///
/// Errors: an unknown role (the message lists the roles); the sandbox cannot run and
/// `req.sandbox` is set; the policy does not compile.
pub fn plan(policy: &Policy, req: &Request<'_>, machine: &Machine<'_>) -> Result<Launch, RunError> {
    let role = policy.role(req.role).ok_or_else(|| RunError::UnknownRole {
        role: req.role.to_string(),
        file: policy.file.clone(),
        roles: policy.roles.iter().map(|r| r.name.clone()).collect(),
    })?;
    // The probe is of Claude Code's sandbox (bubblewrap, socat); the others bring their own.
    let missing = machine.probe.missing();
    if req.sandbox && req.client == Client::Claude && !missing.is_empty() {
        return Err(RunError::NoSandbox {
            packages: machine.probe.bwrap.is_none() || machine.probe.socat.is_none(),
            missing,
            role: role.name.clone(),
        });
    }
    let lanes = Lanes::new(policy);
    lanes.compile_all()?;
    let walls = wall::walls(&lanes, role, machine.tree)?;
    match req.client {
        Client::Claude => claude(policy, role, req, machine, &walls),
        // The other clients' sandboxes have no layout to choose.
        _ if req.layout == Layout::AllowList => Err(RunError::Layout(format!(
            "--layout allow-list shapes Claude Code's sandbox; {} has no such sandbox",
            req.client.name().product()
        ))),
        // Codex's workspace-write sandbox keeps commands' writes in the project (and its
        // `.git`, `.codex` read-only); it has no rule for a path inside it, so no lane.
        Client::Codex => {
            let flags = ["--sandbox", "workspace-write"];
            let covered =
                "Codex's workspace-write sandbox keeps shell commands' writes inside the \
                           project, but has no rule for a path inside it: the other lanes are left \
                           to the hook and lanes check";
            Ok(other(policy, role, req, &flags, covered))
        }
        Client::Copilot => Ok(other(
            policy,
            role,
            req,
            &[],
            "Copilot CLI has no sandbox; its path permissions cover whole folders it may read and \
             write, not lanes: every write is left to the hook and lanes check",
        )),
        // `gemini --sandbox` runs tools in a container (docker, podman) or Seatbelt profile
        // that mounts the whole project writable, so it walls nothing off between lanes.
        Client::Gemini => Ok(other(
            policy,
            role,
            req,
            &[],
            "Gemini CLI's sandbox mounts the whole project writable, so it cannot wall off lanes: \
             every write is left to the hook and lanes check; Gemini sends no agent identity, so \
             its subagents act as this role too",
        )),
    }
}

/// Codex, Copilot CLI, Gemini CLI: the client started in the project root with `LANES_ROLE`;
/// the hook comes from the project configuration `lanes init --client NAME` wrote. `flags`
/// are the client's sandbox flags (with the sandbox on); `covered` says what they cover.
fn other(policy: &Policy, role: &Role, req: &Request<'_>, flags: &[&str], covered: &str) -> Launch {
    let root = &policy.root;
    let name = req.client.name();
    let mut args: Vec<OsString> = Vec::new();
    if req.sandbox {
        args.extend(flags.iter().map(OsString::from));
    }
    args.extend(req.args.iter().cloned());
    let mut summary = role_lines(policy, role);
    summary.push(format!(
        "hook: {} (lanes init --client {name}), which {} runs once it trusts it: `lanes status` says whether \
         it will",
        crate::scaffold::clients::file(name),
        name.product()
    ));
    summary.push(match (req.sandbox, flags.is_empty()) {
        (false, false) => format!(
            "--no-sandbox: {} starts without lanes' sandbox flags; every write is left to the hook and lanes check",
            name.product()
        ),
        _ => covered.to_string(),
    });
    launch(policy, role, req, args, root.clone(), Vec::new(), summary)
}

/// The launch of `req.client` with `args` in `cwd` as `role`: `LANES_ROLE` (and
/// `LANES_POLICY` when the policy was named), and the summary's last line, the command.
fn launch(
    policy: &Policy,
    role: &Role,
    req: &Request<'_>,
    args: Vec<OsString>,
    cwd: PathBuf,
    files: Vec<(PathBuf, String)>,
    mut summary: Vec<String>,
) -> Launch {
    summary.push(format!(
        "starting: {} {}",
        req.client.program(),
        args.iter()
            .map(|a| shown_arg(&a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    let mut env: Vec<(OsString, OsString)> = vec![("LANES_ROLE".into(), role.name.clone().into())];
    if req.explicit_policy {
        if let Some(file) = policy.file.file_name() {
            env.push(("LANES_POLICY".into(), policy.root.join(file).into()));
        }
    }
    Launch {
        program: req.client.program().into(),
        args,
        env,
        cwd,
        files,
        summary,
    }
}

/// Claude Code: `claude --settings FILE ARGS...`, FILE generated under [`RUN_DIR`].
fn claude(
    policy: &Policy,
    role: &Role,
    req: &Request<'_>,
    machine: &Machine<'_>,
    walls: &Walls,
) -> Result<Launch, RunError> {
    let root = &policy.root;
    let rel = claude_settings_file(&role.name);
    let file = root.join(&rel);
    let allow = match req.layout {
        Layout::DenyList => None,
        Layout::AllowList if policy.mode == Mode::Log => {
            return Err(RunError::Layout(format!(
                "{} sets mode = \"log\", which blocks nothing, while the allow-list layout makes \
                 everything but the role's lanes read-only; use the default layout",
                policy.file.display()
            )))
        }
        Layout::AllowList => Some(
            allow::allow_list(policy, role, machine.tree, machine.git_dirs)
                .map_err(RunError::Layout)?,
        ),
    };
    let (allow_write, additional_dirs, cwd) = match &allow {
        None => {
            let outside: Vec<PathBuf> = machine
                .git_dirs
                .iter()
                .filter(|d| !d.starts_with(root))
                .cloned()
                .collect();
            (outside, Vec::new(), root.clone())
        }
        Some(a) => (a.write.clone(), a.dirs.clone(), a.start.clone()),
    };
    let value = settings::settings(&settings::Input {
        root,
        walls,
        hook_command: req.hook_command,
        sandbox: req.sandbox,
        allow_write: &allow_write,
        additional_dirs: &additional_dirs,
    });
    let mut args: Vec<OsString> = vec!["--settings".into(), file.clone().into()];
    args.extend(req.args.iter().cloned());

    let mut summary = role_lines(policy, role);
    match &allow {
        None => summary.push(format!(
            "layout: deny-list, started in {} (the project root); settings: {}",
            root.display(),
            rel.display()
        )),
        Some(a) => summary.extend(allow_lines(root, a, &rel)),
    }
    if req.sandbox && allow.is_some() {
        summary.extend(
            sandbox_lines(policy, role, walls, "Bash")
                .into_iter()
                .take(1),
        );
        summary.push(
            "left to the hook and lanes check: inside the writable paths, what no literal path names \
             (new matches of other roles' glob lanes, new files in a lane that holds another's)"
                .into(),
        );
    } else if req.sandbox {
        summary.extend(sandbox_lines(policy, role, walls, "Bash"));
        if !allow_write.is_empty() {
            let shown: Vec<String> = allow_write
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            summary.push(format!(
                "git's folders outside the project stay writable so the role can commit: {}",
                shown.join(", ")
            ));
        }
    } else {
        summary.push(
            "--no-sandbox: Bash runs unsandboxed, so commands lanes cannot see into (scripts, \
             interpreters, build tools) are only recorded by the hook, not contained"
                .into(),
        );
        if !walls.denied.is_empty() {
            summary.push(format!(
                "Claude Code itself refuses the Write and Edit tools on {}",
                list(walls)
            ));
        }
    }
    let files = vec![(file, settings::render(&value))];
    Ok(launch(policy, role, req, args, cwd, files, summary))
}

/// The summary lines of the allow-list layout.
fn allow_lines(root: &Path, a: &allow::AllowList, settings: &Path) -> Vec<String> {
    let rel = |p: &Path| match p.strip_prefix(root) {
        Ok(r) => r.display().to_string(),
        Err(_) => p.display().to_string(),
    };
    let mut out = vec![format!(
        "layout: allow-list, started in {} (the role's first folder lane); settings: {}",
        a.start.display(),
        settings.display()
    )];
    let others: Vec<String> = a.write.iter().map(|p| rel(p)).collect();
    out.push(format!(
        "Bash may write only {}/{}{}; the rest of the project is read-only to it, new files at the root included",
        rel(&a.start),
        if others.is_empty() { "" } else { ", " },
        others.join(", ")
    ));
    if !a.absent.is_empty() {
        let absent: Vec<String> = a.absent.iter().map(|p| rel(p)).collect();
        out.push(format!(
            "stricter than the policy: not there when the session starts, so Bash cannot create them in it: {}",
            absent.join(", ")
        ));
    }
    if !a.read_only.is_empty() {
        out.push(format!(
            "stricter than the policy: {} cannot be allowed by a sandbox rule, so Bash cannot write there",
            a.read_only.join(", ")
        ));
    }
    out.push(
        "the project's .claude/settings.json is not read (Claude Code reads it from the start folder only): \
         its permissions, hooks and env do not apply; the lanes hook comes with the settings file"
            .into(),
    );
    out
}

/// `role NAME: LANES (shared: ...)`.
fn role_lines(policy: &Policy, role: &Role) -> Vec<String> {
    let lanes: Vec<&str> = role.write.patterns().map(|p| p.text).collect();
    let shared: Vec<&str> = policy.shared.patterns().map(|p| p.text).collect();
    let mut line = format!(
        "role {} (LANES_ROLE={}): {}",
        role.name,
        role.name,
        if lanes.is_empty() {
            "no lanes".to_string()
        } else {
            lanes.join(", ")
        }
    );
    if !shared.is_empty() {
        line.push_str(&format!(" (shared: {})", shared.join(", ")));
    }
    vec![line]
}

/// What the sandbox covers and what it leaves to the hook, for the summary and for
/// `lanes status`. `what` names what the sandbox contains (`Bash`).
pub fn sandbox_lines(policy: &Policy, role: &Role, walls: &Walls, what: &str) -> Vec<String> {
    let mut out = Vec::new();
    if policy.mode == Mode::Log {
        out.push(
            "mode = \"log\": the policy blocks nothing, so the sandbox walls nothing off; \
             out-of-lane writes are recorded"
                .into(),
        );
        return out;
    }
    if walls.denied.is_empty() {
        out.push(format!(
            "the sandbox denies no path in the project to {what}"
        ));
    } else {
        out.push(format!(
            "the sandbox denies {what} writes, and Claude Code the Write and Edit tools, to {}",
            list(walls)
        ));
    }
    out.push(format!(
        "left to the hook and lanes check: {}",
        gaps(role, walls).join("; ")
    ));
    if !walls.stricter.is_empty() {
        out.push(format!(
            "stricter than the policy: the shared {} stay read-only inside walled paths",
            walls.stricter.join(", ")
        ));
    }
    out
}

/// The walled paths, `dir/` for folders, the first [`SHOWN`] of them.
fn list(walls: &Walls) -> String {
    let n = walls.denied.len();
    let mut names: Vec<String> = walls.denied.iter().take(SHOWN).map(shown_path).collect();
    if n > SHOWN {
        names.push(format!("and {} more", n - SHOWN));
    }
    format!(
        "{n} path{}: {}",
        if n == 1 { "" } else { "s" },
        names.join(", ")
    )
}

/// What the sandbox cannot express for this role, one phrase each.
pub fn gaps(role: &Role, walls: &Walls) -> Vec<String> {
    let mut out = Vec::new();
    let held: Vec<String> = walls
        .held
        .iter()
        .filter(|h| !h.path.is_root())
        .map(|h| format!("{}/ (holds {})", h.path, h.pattern))
        .collect();
    let mut where_ =
        "the project root (the session starts there, so it stays writable)".to_string();
    if !held.is_empty() {
        where_ = format!("{where_} and in {}", held.join(", "));
    }
    out.push(format!(
        "new files outside {}'s lanes directly in {where_}",
        role.name
    ));
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for g in &walls.globs {
        match groups.iter_mut().find(|(w, _)| *w == g.whose) {
            Some((_, pats)) => pats.push(&g.pattern),
            None => groups.push((&g.whose, vec![&g.pattern])),
        }
    }
    if !groups.is_empty() {
        let globs: Vec<String> = groups
            .iter()
            .map(|(whose, pats)| format!("{} ({whose})", pats.join(", ")))
            .collect();
        out.push(format!(
            "new matches of globs, which a sandbox rule cannot name: {}",
            globs.join("; ")
        ));
    }
    if !walls.unnameable.is_empty() {
        let names: Vec<String> = walls.unnameable.iter().map(shown_path).collect();
        out.push(format!(
            "paths whose names hold glob characters: {}",
            names.join(", ")
        ));
    }
    if let Some(dir) = &walls.truncated {
        out.push(format!(
            "what lies in {} (more than {} entries were looked at)",
            dir_name(dir),
            wall::WALK_BUDGET
        ));
    }
    out.push(".git (left writable so the role can commit)".into());
    out
}

fn shown_path(d: &wall::Denied) -> String {
    match d.dir {
        true => format!("{}/", d.path),
        false => d.path.to_string(),
    }
}

fn dir_name(p: &RepoPath) -> String {
    match p.is_root() {
        true => "the project root".into(),
        false => format!("{p}/"),
    }
}

/// An argument as a shell would need it, for the summary only.
fn shown_arg(a: &str) -> String {
    let plain = !a.is_empty()
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b));
    match plain {
        true => a.to_string(),
        false => format!("'{}'", a.replace('\'', r"'\''")),
    }
}

/// A role name as part of a file name: letters, digits, `-` and `_` kept, every other byte
/// written `%XX`. Distinct roles get distinct names (`a.b` and `a_b` would otherwise share
/// one settings file, and each session would start with the other's walls).
fn file_stem(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            true => out.push(char::from(b)),
            false => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `lanes status`: whether the sandbox can run here, and per role what it would wall off.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxStatus {
    /// The probe's one-line verdict ([`Probe::describe`]).
    pub machine: String,
    /// True when it can run.
    pub ready: bool,
    /// Per role, in policy order.
    pub roles: Vec<RoleSandbox>,
}

/// What one role's sandbox would cover.
#[derive(Debug, Clone, Serialize)]
pub struct RoleSandbox {
    /// The role.
    pub name: String,
    /// The walls; `None` when the policy does not compile.
    pub walls: Option<Walls>,
    /// Summary lines, as `lanes run` prints them.
    pub lines: Vec<String>,
}

/// The sandbox part of `lanes status`.
pub fn status(policy: &Policy, probe: &Probe, tree: &dyn Tree) -> SandboxStatus {
    let lanes = Lanes::new(policy);
    let roles = policy
        .roles
        .iter()
        .map(|role| match wall::walls(&lanes, role, tree) {
            Ok(w) => RoleSandbox {
                name: role.name.clone(),
                lines: sandbox_lines(policy, role, &w, "Bash"),
                walls: Some(w),
            },
            Err(e) => RoleSandbox {
                name: role.name.clone(),
                walls: None,
                lines: vec![format!("cannot say: {e}")],
            },
        })
        .collect();
    SandboxStatus {
        machine: probe.describe(),
        ready: probe.ready(),
        roles,
    }
}

impl SandboxStatus {
    /// Text for `lanes status`.
    pub fn text(&self) -> String {
        let mut out = format!(
            "\nsandbox:     {} (`lanes run ROLE` uses it)\n",
            self.machine
        );
        for r in &self.roles {
            out.push_str(&format!("  {}:\n", r.name));
            for l in &r.lines {
                out.push_str(&format!("    {l}\n"));
            }
        }
        out
    }
}

/// The path of a role's Claude Code settings file, relative to the project root.
pub fn claude_settings_file(role: &str) -> PathBuf {
    Path::new(RUN_DIR).join(format!("claude-{}.json", file_stem(role)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_gets_a_settings_file_of_its_own() {
        assert_eq!(
            claude_settings_file("build-er_2"),
            Path::new(".lanes/run/claude-build-er_2.json")
        );
        let names = ["a.b", "a_b", "a b", "a%2Eb", "a/b", "ä"];
        let stems: std::collections::BTreeSet<String> =
            names.iter().map(|n| file_stem(n)).collect();
        assert_eq!(stems.len(), names.len(), "{stems:?}");
        assert_eq!(file_stem("a/b"), "a%2Fb");
        assert_eq!(file_stem("ä"), "%C3%A4");
    }
}
