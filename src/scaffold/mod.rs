//! `lanes init` and `lanes uninstall`: set a repository up for parallel agents from
//! `lanes.toml`, and take that set-up out again.
//!
//! Both work in two steps. [`init`] and [`uninstall`] read the repository and return a
//! [`Plan`]: every file they would write, with its bytes before and after. Nothing is written
//! while planning, so any error (a broken policy, a `settings.json` that is not JSON,
//! unbalanced CLAUDE.md markers) leaves the repository untouched. [`Plan::diff`] shows the
//! plan (`--dry-run`), [`Plan::apply`] writes it, [`Plan::summary`] reports it. A file whose
//! bytes would not change is not in the plan, which is what makes a second run a no-op.
//!
//! What init owns, each in its own module: the policy [`templates`], the [`claude_md`]
//! block, the [`settings`] hook entry, the [`agents`] files (merged by [`agent_file`],
//! planned by [`agent_sync`]), the [`git_hook`] and the
//! [`gitignore`] entry; [`command`] decides how the hooks name the lanes executable.

pub mod agent_file;
pub mod agent_legacy;
pub mod agent_sync;
pub mod agents;
pub mod claude_md;
pub mod clients;
pub mod command;
pub mod git_hook;
pub mod gitignore;
pub mod settings;
pub mod templates;

pub use command::HookCommand;

use crate::client::ClientName;
use crate::env::Env;
use crate::git::{Git, GitError};
use crate::policy::{self, Policy, PolicyError, POLICY_FILE};
use git_hook::{FileState, HookWrites};
use std::fmt::{self, Write as _};
use std::io;
use std::path::{Path, PathBuf};

/// Where Claude Code reads the project's shared settings, relative to the root.
pub const SETTINGS: &str = ".claude/settings.json";
/// The personal settings file, read for warnings only.
pub const SETTINGS_LOCAL: &str = ".claude/settings.local.json";
/// The project memory file with the managed block.
pub const CLAUDE_MD: &str = "CLAUDE.md";

/// Why init or uninstall could not plan or apply.
#[derive(Debug)]
pub enum ScaffoldError {
    /// Not in a git work tree, or git failed.
    Git(String),
    /// `--template` names no shipped template.
    UnknownTemplate(String),
    /// The existing `lanes.toml` does not load.
    Policy(PolicyError),
    /// A file lanes must merge into cannot be merged (bad JSON, unbalanced markers, a hook
    /// in the way). `position` is the 1-based line and column, when known.
    File {
        /// The file.
        path: PathBuf,
        /// Line and column of the problem.
        position: Option<(usize, usize)>,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: io::Error,
    },
}

impl fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScaffoldError::Git(m) => f.write_str(m),
            ScaffoldError::UnknownTemplate(name) => {
                let names: Vec<&str> = templates::TEMPLATES.iter().map(|t| t.name).collect();
                write!(
                    f,
                    "there is no template `{name}`; the templates are {}",
                    names.join(", ")
                )
            }
            ScaffoldError::Policy(e) => write!(f, "{e}"),
            ScaffoldError::File {
                path,
                position: Some((line, col)),
                message,
            } => {
                write!(f, "{}:{line}:{col}: {message}", path.display())
            }
            ScaffoldError::File {
                path,
                position: None,
                message,
            } => write!(f, "{}: {message}", path.display()),
            ScaffoldError::Io { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for ScaffoldError {}

impl From<PolicyError> for ScaffoldError {
    fn from(e: PolicyError) -> Self {
        ScaffoldError::Policy(e)
    }
}

/// One file to write or delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Absolute path.
    pub path: PathBuf,
    /// The path as shown to people: relative to the root when inside it.
    pub shown: String,
    /// The current bytes; `None` when the file does not exist.
    pub before: Option<Vec<u8>>,
    /// The new bytes; `None` to delete the file.
    pub after: Option<Vec<u8>>,
    /// Permission bits to set on the new file (Unix); `None` keeps the default.
    pub mode: Option<u32>,
    /// What the change is, for the summary (`lanes block for 3 roles`).
    pub what: String,
}

impl FileChange {
    /// `create`, `update` or `remove`.
    pub fn kind(&self) -> &'static str {
        match (&self.before, &self.after) {
            (None, _) => "create",
            (Some(_), Some(_)) => "update",
            (Some(_), None) => "remove",
        }
    }
}

/// What a run would do (or did): the changes, the files it left as they were, warnings and
/// the next steps.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `lanes init` or `lanes uninstall`.
    pub command: &'static str,
    /// The project root (the git work tree's top level).
    pub root: PathBuf,
    /// Files to write or delete, in the order they are applied.
    pub changes: Vec<FileChange>,
    /// Files looked at and left as they are: (shown path, why).
    pub kept: Vec<(String, String)>,
    /// Warnings and facts the user should know.
    pub notes: Vec<String>,
    /// What to do next.
    pub next_steps: Vec<String>,
    /// The command the hooks run (init only).
    pub hook_command: Option<HookCommand>,
}

impl Plan {
    fn new(command: &'static str, root: PathBuf) -> Plan {
        Plan {
            command,
            root,
            changes: Vec::new(),
            kept: Vec::new(),
            notes: Vec::new(),
            next_steps: Vec::new(),
            hook_command: None,
        }
    }

    fn shown(&self, path: &Path) -> String {
        match path.strip_prefix(&self.root) {
            Ok(rel) => rel.display().to_string(),
            Err(_) => path.display().to_string(),
        }
    }

    /// Records `after` for `path` (currently `before`), or notes it as up to date.
    fn set(
        &mut self,
        path: PathBuf,
        before: Option<Vec<u8>>,
        after: Option<Vec<u8>>,
        mode: Option<u32>,
        what: String,
        current_mode: Option<u32>,
    ) {
        let shown = self.shown(&path);
        let same_mode = mode.is_none() || mode == current_mode;
        if before == after && same_mode {
            let why = if after.is_some() {
                format!("up to date ({what})")
            } else {
                "absent".to_string()
            };
            self.kept.push((shown, why));
        } else {
            self.changes.push(FileChange {
                path,
                shown,
                before,
                after,
                mode,
                what,
            });
        }
    }

    fn set_text(
        &mut self,
        path: PathBuf,
        before: Option<String>,
        after: Option<String>,
        what: String,
    ) {
        self.set(
            path,
            before.map(String::into_bytes),
            after.map(String::into_bytes),
            None,
            what,
            None,
        );
    }

    fn keep(&mut self, path: &Path, why: impl Into<String>) {
        let shown = self.shown(path);
        self.kept.push((shown, why.into()));
    }

    /// True when the run changes nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Unified diffs of every change (`--dry-run`), `a/` and `b/` prefixed as in git.
    pub fn diff(&self) -> String {
        let mut out = String::new();
        for c in &self.changes {
            let old = c
                .before
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let new = c
                .after
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            // git's a/ b/ prefixes for paths in the project; absolute paths (a hooks folder
            // elsewhere) as they are.
            let side = |present: bool, prefix: &str| match (present, c.shown.starts_with('/')) {
                (false, _) => "/dev/null".to_string(),
                (true, true) => c.shown.clone(),
                (true, false) => format!("{prefix}{}", c.shown),
            };
            let (a, b) = (
                side(c.before.is_some(), "a/"),
                side(c.after.is_some(), "b/"),
            );
            let _ = writeln!(out, "lanes: {} {} ({})", c.kind(), c.shown, c.what);
            if let (Some(mode), Some(_)) = (c.mode, &c.after) {
                let _ = writeln!(out, "mode {mode:o}");
            }
            if old == new {
                continue;
            }
            let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
            let _ = write!(
                out,
                "{}",
                diff.unified_diff()
                    .context_radius(3)
                    .missing_newline_hint(true)
                    .header(&a, &b)
            );
        }
        out
    }

    /// Writes every change, in order: parent folders are created, each file is written to a
    /// temporary file beside it and renamed into place (so a watcher such as Claude Code's
    /// never sees half a `settings.json`). Errors name the file; earlier changes stay.
    pub fn apply(&self) -> Result<(), ScaffoldError> {
        for c in &self.changes {
            let io = |error| ScaffoldError::Io {
                path: c.path.clone(),
                error,
            };
            // A symlinked file (CLAUDE.md -> AGENTS.md is common) is written through, so
            // the link survives; emptying it stands in for deleting it.
            let link = std::fs::symlink_metadata(&c.path).is_ok_and(|m| m.file_type().is_symlink());
            let target = match link {
                true => std::fs::canonicalize(&c.path).map_err(io)?,
                false => c.path.clone(),
            };
            match (&c.after, link) {
                (Some(bytes), _) => write_atomic(&target, bytes, c.mode).map_err(io)?,
                (None, true) => write_atomic(&target, b"", c.mode).map_err(io)?,
                (None, false) => match std::fs::remove_file(&c.path) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io(e)),
                    _ => {}
                },
            }
        }
        Ok(())
    }

    /// The report printed after a run: one line per file, notes, next steps. `applied`
    /// says whether the changes were written or only shown (`--dry-run`).
    pub fn summary(&self, applied: bool) -> String {
        let mut s = String::new();
        let n = self.changes.len();
        let files = if n == 1 { "file" } else { "files" };
        let _ = match (applied, n) {
            (_, 0) => writeln!(
                s,
                "{}: nothing to change in {}",
                self.command,
                self.root.display()
            ),
            (true, _) => writeln!(
                s,
                "{}: changed {n} {files} in {}",
                self.command,
                self.root.display()
            ),
            (false, _) => writeln!(
                s,
                "{} --dry-run: would change {n} {files} in {} (nothing written)",
                self.command,
                self.root.display()
            ),
        };
        let width = self
            .changes
            .iter()
            .map(|c| c.shown.len())
            .chain(self.kept.iter().map(|k| k.0.len()))
            .max()
            .unwrap_or(0);
        for c in &self.changes {
            let verb = match (applied, c.kind()) {
                (true, "create") => "created",
                (true, "update") => "updated",
                (true, _) => "removed",
                (false, k) => k,
            };
            let _ = writeln!(s, "  {verb:<8} {:<width$}  {}", c.shown, c.what);
        }
        for (path, why) in &self.kept {
            let _ = writeln!(s, "  {:<8} {path:<width$}  {why}", "kept");
        }
        if let Some(cmd) = &self.hook_command {
            let _ = match &cmd.resolves_to {
                Some(p) if cmd.command == p.to_string_lossy() => {
                    writeln!(s, "\nBoth hooks run {} (`hook` for Claude Code, `check` for git).", cmd.command)
                }
                Some(p) => writeln!(
                    s,
                    "\nBoth hooks run {}, which is {} here (`hook` for Claude Code, `check` for git).",
                    cmd.command,
                    p.display()
                ),
                None => writeln!(s, "\nBoth hooks run {}, which is NOT FOUND on this machine (see the notes).", cmd.command),
            };
        }
        if !self.notes.is_empty() {
            s.push_str("\nNotes:\n");
            for note in &self.notes {
                let _ = writeln!(s, "  - {note}");
            }
        }
        if !self.next_steps.is_empty() {
            s.push_str("\nNext:\n");
            for step in &self.next_steps {
                let _ = writeln!(s, "  {step}");
            }
        }
        s
    }
}

/// Options of `lanes init`.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Where the command runs; the project root is the top level of its git work tree.
    pub dir: PathBuf,
    /// `--template NAME` for a new `lanes.toml` (default [`templates::DEFAULT_TEMPLATE`]).
    pub template: Option<String>,
    /// `--hook-command CMD`: how the hooks name lanes (see [`command::choose`]).
    pub hook_command: Option<String>,
    /// The running executable (`std::env::current_exe`), registered when lanes is not on PATH.
    pub exe: Option<PathBuf>,
    /// `--client NAME` (repeatable): the agent CLIs whose project configuration gets the
    /// hook. Empty means Claude Code alone.
    pub clients: Vec<crate::client::ClientName>,
}

/// Plans `lanes init`: the policy (from a template when there is none), the CLAUDE.md block,
/// the settings entry, the agent files (see [`agent_sync`]), the git pre-commit hook and the
/// `.gitignore` entry. Reads only; see [`Plan::apply`].
///
/// Errors: not in a git work tree; unknown template; the existing policy does not load or
/// compile; a file to merge is not valid (JSON syntax with line and column, CLAUDE.md
/// markers with line, a foreign hook where lanes' chained hook lies); unreadable files.
pub fn init(opts: &InitOptions, env: &Env) -> Result<Plan, ScaffoldError> {
    let root = project_root(&opts.dir)?;
    let mut plan = Plan::new("lanes init", root.clone());

    // 1. The policy: never overwritten.
    let policy_file = root.join(POLICY_FILE);
    let policy = match read(&policy_file)? {
        Some(_) => {
            if let Some(t) = &opts.template {
                plan.notes.push(format!("{POLICY_FILE} exists, so --template {t} was not used (lanes never overwrites it)"));
            }
            plan.keep(&policy_file, "exists; never overwritten");
            Policy::load(&policy_file)?
        }
        None => {
            let name = opts
                .template
                .as_deref()
                .unwrap_or(templates::DEFAULT_TEMPLATE);
            let t = templates::find(name)
                .ok_or_else(|| ScaffoldError::UnknownTemplate(name.to_string()))?;
            plan.set_text(
                policy_file.clone(),
                None,
                Some(t.text.to_string()),
                format!("policy from template {name}"),
            );
            Policy::parse(&policy_file, &root, t.text.to_string())?
        }
    };
    crate::policy::Lanes::new(&policy).compile_all()?;
    let roles: Vec<&str> = policy.roles.iter().map(|r| r.name.as_str()).collect();
    if roles.is_empty() {
        plan.notes.push(format!(
            "{POLICY_FILE} defines no role; add [roles.NAME] tables and run lanes init again"
        ));
    }

    // 2. CLAUDE.md.
    let claude_md = root.join(CLAUDE_MD);
    let old = read_text(&claude_md)?;
    let new = claude_md::merge(old.as_deref(), &claude_md::render(&policy)).map_err(|e| {
        ScaffoldError::File {
            path: claude_md.clone(),
            position: Some((e.line, 1)),
            message: e.message,
        }
    })?;
    plan.set_text(
        claude_md,
        old,
        Some(new),
        format!("lanes block for roles {}", roles.join(", ")),
    );

    // 3. The Claude Code hook.
    let cmd = command::choose(
        opts.hook_command.as_deref(),
        opts.exe.as_deref(),
        env.path.as_deref(),
    );
    plan.notes.extend(cmd.warning.clone());
    let clients = if opts.clients.is_empty() {
        vec![ClientName::Claude]
    } else {
        opts.clients.clone()
    };
    if clients.contains(&ClientName::Claude) {
        let settings_file = root.join(SETTINGS);
        let old = read_text(&settings_file)?;
        let new =
            settings::merge(old.as_deref(), &cmd.command).map_err(|e| ScaffoldError::File {
                path: settings_file.clone(),
                position: e.position,
                message: e.message,
            })?;
        let disabled = settings::hooks_disabled(&new);
        plan.set_text(
            settings_file,
            old,
            Some(new),
            format!("PreToolUse hook: {} hook", cmd.command),
        );
        let local_disabled = read_text(&root.join(SETTINGS_LOCAL))
            .ok()
            .flatten()
            .is_some_and(|t| settings::hooks_disabled(&t));
        for (file, off) in [(SETTINGS, disabled), (SETTINGS_LOCAL, local_disabled)] {
            if off {
                plan.notes.push(format!(
                    "{file} sets \"disableAllHooks\": true, which turns lanes' hook off too"
                ));
            }
        }
    }
    // The other clients' project configuration (Codex, Copilot CLI, Gemini CLI).
    for &client in clients.iter().filter(|c| **c != ClientName::Claude) {
        let file = root.join(clients::file(client));
        let old = read_text(&file)?;
        let line = clients::hook_line(&cmd.command, client);
        let new =
            clients::merge(client, old.as_deref(), &line).map_err(|e| ScaffoldError::File {
                path: file.clone(),
                position: e.position,
                message: e.message,
            })?;
        plan.set_text(
            file,
            old,
            Some(new),
            format!("{} hook: {line}", client.product()),
        );
        plan.notes.extend(clients::trust_step(client, &root));
    }

    // 4. Agent files: created for roles that have none, lanes' parts regenerated, those of
    // roles that are gone removed when nothing of the user's is in them.
    let survey = agent_sync::survey(&policy)?;
    plan.notes.extend(survey.notes);
    for f in survey.files {
        match f.change {
            agent_sync::Change::Write(text) => plan.set_text(f.path, f.before, Some(text), f.what),
            agent_sync::Change::Remove => plan.set_text(f.path, f.before, None, f.what),
            agent_sync::Change::Keep => {
                plan.keep(&f.path, f.what);
                plan.notes.extend(f.problem);
            }
        }
    }

    // 5. The git pre-commit hook.
    let hooks = Git::new(&root).hooks_dir().map_err(git_error)?;
    let (hook, chained) = (hooks.join(git_hook::HOOK), hooks.join(git_hook::CHAINED));
    let (hook_now, chained_now) = (read(&hook)?, read(&chained)?);
    let writes = git_hook::install(
        hook_now.as_ref(),
        chained_now.as_ref(),
        &git_hook::script(&cmd.command),
    )
    .map_err(|message| ScaffoldError::File {
        path: hook.clone(),
        position: None,
        message,
    })?;
    if writes.chained.is_some() {
        plan.notes.push(format!(
            "your pre-commit hook is kept as {} and runs first, before lanes check",
            plan.shown(&chained)
        ));
    }
    let top = Git::new(&root).toplevel().map_err(git_error)?;
    if !hooks.starts_with(&root) && !hooks.starts_with(&top) {
        plan.notes.push(format!(
            "git's hooks folder ({}, core.hooksPath) lies outside this repository: the pre-commit hook \
             installed there runs for every repository that uses it",
            hooks.display()
        ));
    }
    if top != root {
        plan.notes.push(format!(
            "the project root {} is below the git work tree's top ({}); the pre-commit hook runs `lanes check` \
             from the top",
            root.display(),
            top.display()
        ));
    }
    let hook_what = format!("git pre-commit hook: {} check", cmd.command);
    if writes.hook.is_none() {
        plan.keep(&hook, format!("up to date ({hook_what})"));
    }
    plan_hook_writes(
        &mut plan,
        writes,
        (&hook, hook_now),
        (&chained, chained_now),
        &hook_what,
        "your previous pre-commit hook, chained",
    );

    // 6. .gitignore.
    match gitignore::entry(&policy) {
        Some(entry) => {
            let file = root.join(".gitignore");
            let old = read_text(&file)?;
            let new = gitignore::merge(old.as_deref(), &entry);
            plan.set_text(
                file,
                old,
                Some(new),
                format!("ignores the audit log folder {entry}"),
            );
        }
        None => plan
            .notes
            .push("the audit log is off (audit = false), so .gitignore is left alone".into()),
    }

    plan.hook_command = Some(cmd.clone());
    plan.next_steps = next_steps(&plan, &policy, &clients);
    Ok(plan)
}

fn next_steps(plan: &Plan, policy: &Policy, clients: &[ClientName]) -> Vec<String> {
    let mut steps = Vec::new();
    if plan.changes.iter().any(|c| c.shown == POLICY_FILE) {
        steps.push(format!("Review {POLICY_FILE} (roles and their lanes); after editing it, run `lanes init` again to refresh CLAUDE.md and the agent files."));
    }
    let configs: Vec<&str> = clients.iter().map(|c| clients::file(*c)).collect();
    steps.push(format!(
        "Commit {POLICY_FILE}, {CLAUDE_MD}, {}, {}/ and .gitignore: other checkouts and worktrees read the committed copies.",
        configs.join(", "),
        agents::DIR
    ));
    if clients.contains(&ClientName::Claude) {
        steps.push(format!(
            "Start Claude Code in {} (it reads {SETTINGS} only from the directory it starts in) and accept the trust prompt; /hooks lists lanes.",
            plan.root.display()
        ));
    }
    let others: Vec<&str> = clients
        .iter()
        .filter(|c| **c != ClientName::Claude)
        .map(|c| c.as_str())
        .collect();
    if let (false, Some(role)) = (others.is_empty(), policy.roles.first()) {
        steps.push(format!(
            "Start {} as a role with `lanes run ROLE --client NAME` (for example lanes run {} --client {}); their subagents take the role their agent type maps to.",
            others.join(", "),
            role.name,
            others[0]
        ));
    }
    if !policy.roles.is_empty() && clients.contains(&ClientName::Claude) {
        steps.push(
            "Launch each role in its own terminal with `lanes run ROLE`: the hook, plus Claude Code's OS sandbox \
             around Bash, walled to the role's lanes (docs/run.md):"
                .into(),
        );
        let width = policy.roles.iter().map(|r| r.name.len()).max().unwrap_or(0);
        for role in &policy.roles {
            let agent = agents::agent_name(role);
            steps.push(format!(
                "  lanes run {:<width$}    (hook only: LANES_ROLE={} claude, or claude --agent {agent})",
                role.name, role.name
            ));
        }
        steps.push(
            "Or start them all at once, a tmux pane each (roles with `after` once their handoff is complete): lanes up [--worktrees]".into(),
        );
    }
    steps
}

/// Plans `lanes uninstall`: the settings entry, the CLAUDE.md block and lanes' pre-commit
/// hook go (the chained user hook moves back). `lanes.toml`, the agent files and the
/// `.gitignore` entry stay. Errors as for [`init`]; nothing is written while planning.
pub fn uninstall(dir: &Path) -> Result<Plan, ScaffoldError> {
    let root = project_root(dir)?;
    let mut plan = Plan::new("lanes uninstall", root.clone());

    let settings_file = root.join(SETTINGS);
    if let Some(old) = read_text(&settings_file)? {
        let new = settings::remove(&old).map_err(|e| ScaffoldError::File {
            path: settings_file.clone(),
            position: e.position,
            message: e.message,
        })?;
        let what = if new.is_none() {
            "held only the lanes hook"
        } else {
            "lanes hook entry removed"
        };
        plan.set_text(settings_file, Some(old), new, what.into());
    }

    for client in ClientName::ALL
        .into_iter()
        .filter(|c| *c != ClientName::Claude)
    {
        let file = root.join(clients::file(client));
        if let Some(old) = read_text(&file)? {
            let new = clients::remove(client, &old).map_err(|e| ScaffoldError::File {
                path: file.clone(),
                position: e.position,
                message: e.message,
            })?;
            let what = match &new {
                None => format!("held only the lanes hook for {}", client.product()),
                Some(_) => format!("lanes hook for {} removed", client.product()),
            };
            plan.set_text(file, Some(old), new, what);
        }
    }

    let claude_md = root.join(CLAUDE_MD);
    if let Some(old) = read_text(&claude_md)? {
        let new = claude_md::remove(&old).map_err(|e| ScaffoldError::File {
            path: claude_md.clone(),
            position: Some((e.line, 1)),
            message: e.message,
        })?;
        let what = if new.is_none() {
            "held only the lanes block"
        } else {
            "lanes block removed"
        };
        plan.set_text(claude_md, Some(old), new, what.into());
    }

    let hooks = Git::new(&root).hooks_dir().map_err(git_error)?;
    let (hook, chained) = (hooks.join(git_hook::HOOK), hooks.join(git_hook::CHAINED));
    let (hook_now, chained_now) = (read(&hook)?, read(&chained)?);
    let writes = git_hook::uninstall(hook_now.as_ref(), chained_now.as_ref());
    if writes.hook.is_none() && hook_now.is_some() {
        plan.keep(&hook, "not lanes' hook; left alone");
    }
    if writes.chained.is_none() && chained_now.is_some() {
        plan.notes.push(format!(
            "{} is left alone: lanes' pre-commit hook, which ran it, is gone",
            plan.shown(&chained)
        ));
    }
    let hook_what = if chained_now.is_some() {
        "your pre-commit hook, restored"
    } else {
        "lanes' pre-commit hook"
    };
    plan_hook_writes(
        &mut plan,
        writes,
        (&hook, hook_now),
        (&chained, chained_now),
        hook_what,
        "moved back to pre-commit",
    );

    plan.notes.push(format!(
        "kept {POLICY_FILE}, the agent files in {}/ and the .gitignore entry; delete them by hand if you no longer want them",
        agents::DIR
    ));
    Ok(plan)
}

/// Adds the hook writes to the plan: the chained file first, so the user's hook is saved
/// before lanes' replaces it.
fn plan_hook_writes(
    plan: &mut Plan,
    writes: HookWrites,
    (hook, hook_now): (&Path, Option<FileState>),
    (chained, chained_now): (&Path, Option<FileState>),
    hook_what: &str,
    chained_what: &str,
) {
    for (path, now, write, what) in [
        (chained, chained_now, writes.chained, chained_what),
        (hook, hook_now, writes.hook, hook_what),
    ] {
        if let Some(new) = write {
            let mode = new.as_ref().and_then(|s| s.mode);
            let current_mode = now.as_ref().and_then(|s| s.mode);
            let (before, after) = (now.map(|s| s.bytes), new.map(|s| s.bytes));
            plan.set(
                path.to_path_buf(),
                before,
                after,
                mode,
                what.to_string(),
                current_mode,
            );
        }
    }
}

/// The top level of the git work tree holding `dir`, canonical.
fn project_root(dir: &Path) -> Result<PathBuf, ScaffoldError> {
    // First, so that a missing `dir` is reported as such rather than as git failing to start
    // in it.
    let given = dir;
    let dir = given.canonicalize().map_err(|error| ScaffoldError::Io {
        path: given.to_path_buf(),
        error,
    })?;
    let top = Git::new(&dir).toplevel().map_err(|e| {
        ScaffoldError::Git(format!(
            "lanes sets up a git repository, and {} is not in one ({e})",
            given.display()
        ))
    })?;
    // A lanes.toml between `dir` and the top (a project inside a monorepo) makes its
    // directory the root, as it is for `lanes hook`.
    let found = policy::find(&dir, None)
        .and_then(|f| f.parent().map(Path::to_path_buf))
        .filter(|d| d.starts_with(&top));
    Ok(found.unwrap_or(top))
}

/// A git failure as a scaffold error.
fn git_error(e: GitError) -> ScaffoldError {
    ScaffoldError::Git(e.to_string())
}

/// A file's bytes and mode; `None` when it does not exist.
fn read(path: &Path) -> Result<Option<FileState>, ScaffoldError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let mode = mode_of(path);
            Ok(Some(FileState { bytes, mode }))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(ScaffoldError::Io {
            path: path.to_path_buf(),
            error,
        }),
    }
}

/// A text file; `None` when it does not exist. Errors on non-UTF-8 content rather than
/// rewriting bytes lanes cannot read.
fn read_text(path: &Path) -> Result<Option<String>, ScaffoldError> {
    match read(path)? {
        None => Ok(None),
        Some(s) => String::from_utf8(s.bytes)
            .map(Some)
            .map_err(|_| ScaffoldError::File {
                path: path.to_path_buf(),
                position: None,
                message: "is not UTF-8 text; lanes will not rewrite it".into(),
            }),
    }
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_of(_: &Path) -> Option<u32> {
    None
}

/// Writes `bytes` to a temporary file beside `path`, sets `mode`, and renames it into place.
/// Without `mode`, an existing file keeps its permissions.
fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.lanes-tmp"));
    std::fs::write(&tmp, bytes)?;
    let result = (|| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Some(m) = mode.or_else(|| mode_of(path)) {
                std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(m))?;
            }
        }
        #[cfg(not(unix))]
        let _ = mode;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
