//! `lanes up` and `lanes down`: the whole team in one tmux session, a pane per role running
//! `lanes run ROLE` (each in its own git worktree with `--worktrees`), roles with `after`
//! held back until the signal files they wait for are complete, and a `lanes watch` pane.
//!
//! `plan` works out the panes without tmux or git, `worktree` makes and removes the
//! worktrees (through `crate::git`), `tmux` is the only place tmux runs. Nothing here
//! prints: [`up`] and [`down`] return what they did and the binary says it.

pub mod environment;
pub mod plan;
pub mod tmux;
pub mod worktree;

use crate::git::Git;
use crate::policy::Policy;
use plan::{Launch, Pane};
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use tmux::{Spawn, Tmux, TmuxError};
use worktree::{Place, Removal};

/// What `lanes up` was asked for.
#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    /// The roles to start (every role when empty).
    pub roles: Vec<String>,
    /// A git worktree and branch per role.
    pub worktrees: bool,
    /// The session name (default `lanes-<main checkout's folder name>`).
    pub session: Option<String>,
    /// Run `lanes run --no-sandbox` in the panes.
    pub no_sandbox: bool,
    /// The policy was named (`--policy`, `LANES_POLICY`), not found: the panes name it too.
    pub named_policy: bool,
    /// This `lanes` executable, absolute.
    pub exe: PathBuf,
    /// `PATH` of the caller, given to every pane: an existing tmux server would otherwise
    /// give the panes its own, older environment.
    pub path: Option<OsString>,
    /// The caller's environment: what differs from an already running tmux server's is given
    /// to every pane (see [`environment::for_panes`]).
    pub env: Vec<(OsString, OsString)>,
    /// Arguments for every agent (`lanes up -- ARGS`): each pane runs `lanes run ROLE -- ARGS`.
    pub agent_args: Vec<String>,
}

/// What `lanes up` started.
#[derive(Debug, Clone)]
pub struct Started {
    /// The session's name.
    pub session: String,
    /// Its panes, in the order opened.
    pub panes: Vec<Pane>,
    /// The roles' worktrees (empty without `--worktrees`).
    pub worktrees: Vec<Place>,
    /// Things to know, for people: a handoff across worktrees that `lanes wait` cannot see.
    pub notes: Vec<String>,
}

/// Why `lanes up` or `lanes down` did not do (all of) it.
#[derive(Debug)]
pub enum TeamError {
    /// A session of that name exists already; nothing was changed (exit 1).
    Exists(String),
    /// tmux is missing (exit 2, with the install hint) or failed.
    Tmux(TmuxError),
    /// Anything else that stopped it before the session started: not in a git repository,
    /// no roles, an unknown role, `lanes.toml` not committed, a worktree that cannot be made.
    Setup(String),
}

impl fmt::Display for TeamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TeamError::Exists(s) => write!(
                f,
                "a tmux session named '{s}' exists already; nothing was changed \
                 (`lanes down` ends it, `tmux attach -t {s}` joins it, --session picks another name)"
            ),
            TeamError::Tmux(e) => e.fmt(f),
            TeamError::Setup(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TeamError {}

impl From<TmuxError> for TeamError {
    fn from(e: TmuxError) -> Self {
        TeamError::Tmux(e)
    }
}

/// The repository of `policy`: its main checkout and the project root's place inside any
/// checkout (empty when `lanes.toml` lies at the top).
///
/// Errors: the policy is not inside a git repository.
fn repository(policy: &Policy) -> Result<(Git, PathBuf, PathBuf), TeamError> {
    let git = Git::new(&policy.root);
    let not_git = |e: crate::git::GitError| {
        TeamError::Setup(format!(
            "{} is not inside a git repository, and lanes up works on one (run `git init` \
             and commit {}): {e}",
            policy.root.display(),
            crate::policy::POLICY_FILE
        ))
    };
    let top = git.toplevel().map_err(not_git)?;
    let main = git.main_checkout().map_err(not_git)?;
    let offset = policy
        .root
        .strip_prefix(&top)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Ok((git, main, offset))
}

/// The session name `up` and `down` use: the one given, or the default for this repository.
///
/// Errors: none given and `dir` is not inside a git repository.
pub fn session_for(dir: &Path, given: Option<&str>) -> Result<String, TeamError> {
    if let Some(s) = given {
        return Ok(plan::tmux_session(s));
    }
    let main = Git::new(dir).main_checkout().map_err(|e| {
        TeamError::Setup(format!(
            "{} is not inside a git repository (name the session with --session): {e}",
            dir.display()
        ))
    })?;
    Ok(plan::session_name(&main))
}

/// Starts the team: checks tmux, the repository and the roles, refuses an existing session,
/// makes the worktrees when asked, opens the panes and titles them. The session is left
/// detached; the caller attaches.
///
/// Errors: see [`TeamError`]. When opening a pane fails, the half-made session is killed.
pub fn up(policy: &Policy, opts: &UpOptions) -> Result<Started, TeamError> {
    let tmux = Tmux;
    tmux.version()?;
    let (git, main, offset) = repository(policy)?;
    let roles = plan::select(policy, &opts.roles).map_err(TeamError::Setup)?;
    let session = match &opts.session {
        Some(s) => plan::tmux_session(s),
        None => plan::session_name(&main),
    };
    if tmux.has_session(&session)? {
        return Err(TeamError::Exists(session));
    }
    let worktrees = if opts.worktrees {
        let file = policy
            .file
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::policy::POLICY_FILE.into());
        let committed = git
            .is_committed(&file)
            .map_err(|e| TeamError::Setup(e.to_string()))?;
        if !committed {
            return Err(TeamError::Setup(format!(
                "{} is not committed (or has uncommitted changes), and a new worktree starts \
                 from the last commit, without it: commit it, then run lanes up --worktrees again",
                policy.file.display()
            )));
        }
        worktree::prepare(&git, &main, &offset, &roles).map_err(TeamError::Setup)?
    } else {
        Vec::new()
    };
    let dir_of = |role: &crate::policy::Role| {
        worktrees
            .iter()
            .find(|p| p.role == role.name)
            .map_or_else(|| policy.root.clone(), |p| p.dir.clone())
    };
    let launch = Launch {
        exe: &opts.exe,
        no_sandbox: opts.no_sandbox,
        policy_name: policy.file.file_name().filter(|_| opts.named_policy),
        agent_args: &opts.agent_args,
    };
    let panes = plan::panes(policy, &roles, dir_of, &policy.root, &launch);
    let notes = unseen_handoffs(policy, &panes, &worktrees);
    let server = tmux.global_environment()?;
    let env = environment::for_panes(&opts.env, server.as_deref(), opts.path.as_ref());
    open(&tmux, &session, &panes, &env).inspect_err(|_| {
        let _ = tmux.kill_session(&session);
    })?;
    Ok(Started {
        session,
        panes,
        worktrees,
        notes,
    })
}

/// Handoffs `lanes wait` would look for in the wrong worktree: it finds a role's signal file
/// in the checkout whose branch the role's `branches` match, so a role waited for whose
/// worktree branch (`lanes/<role>`) its `branches` do not match is looked for in the waiting
/// role's own checkout, where it never appears.
fn unseen_handoffs(policy: &Policy, panes: &[Pane], worktrees: &[Place]) -> Vec<String> {
    let lanes = crate::policy::Lanes::new(policy);
    let mut notes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (other, _) in panes.iter().flat_map(|p| &p.waits_for) {
        let Some(place) = worktrees.iter().find(|w| &w.role == other) else {
            continue;
        };
        let theirs = lanes
            .role_for_branch(&place.branch)
            .ok()
            .flatten()
            .is_some_and(|r| &r.name == other);
        if !theirs && seen.insert(other.clone()) {
            notes.push(format!(
                "the roles after '{other}' will not see its signal file: lanes wait looks for \
                 it in the worktree whose branch its `branches` match, and no pattern of \
                 [roles.{other}] branches matches {}; add \"{}\" to them",
                place.branch, place.branch
            ));
        }
    }
    notes
}

/// Opens the session with `panes`, each titled and given `env`.
fn open(
    tmux: &Tmux,
    session: &str,
    panes: &[Pane],
    env: &[(String, OsString)],
) -> Result<(), TmuxError> {
    let mut ids: Vec<String> = Vec::with_capacity(panes.len());
    for pane in panes {
        let spawn = Spawn {
            dir: &pane.dir,
            argv: &pane.argv,
            env,
        };
        let id = match ids.last() {
            None => tmux.new_session(session, &spawn)?,
            Some(last) => tmux.split(session, last, &spawn)?,
        };
        ids.push(id);
    }
    for (id, pane) in ids.iter().zip(panes) {
        tmux.title(id, &pane.title)?;
    }
    Ok(())
}

/// Attaches to (or, inside tmux, switches to) the session `up` started.
///
/// Errors: tmux cannot run.
pub fn attach(session: &str, inside_tmux: bool) -> Result<std::process::ExitStatus, TmuxError> {
    Tmux.attach(session, inside_tmux)
}

/// What `lanes down` did.
#[derive(Debug, Clone)]
pub struct Stopped {
    /// The session's name.
    pub session: String,
    /// False when there was no such session.
    pub killed: bool,
    /// What happened to each role's worktree (with `--remove-worktrees`).
    pub worktrees: Vec<Removal>,
}

impl Stopped {
    /// True when a worktree was kept (`down` then exits 1).
    pub fn kept_any(&self) -> bool {
        self.worktrees
            .iter()
            .any(|r| matches!(r, Removal::Kept { .. }))
    }
}

/// Ends the session `session` and, with `remove_worktrees` (which needs the policy),
/// removes the roles' worktrees that hold nothing unmerged or uncommitted.
///
/// Errors: tmux cannot run; the repository cannot be read.
pub fn down(session: &str, remove_worktrees: Option<&Policy>) -> Result<Stopped, TeamError> {
    let killed = Tmux.kill_session(session)?;
    let mut worktrees = Vec::new();
    if let Some(policy) = remove_worktrees {
        let (_, main, offset) = repository(policy)?;
        // Merged means merged into the main checkout's HEAD, wherever `down` runs.
        let git = Git::new(&main);
        let roles: Vec<&crate::policy::Role> = policy.roles.iter().collect();
        let audit = policy.audit.as_ref().map(|a| offset.join(a.as_path()));
        let main_log = audit.as_ref().map(|a| main.join(a));
        worktrees = worktree::remove(&git, &main, &roles, audit.as_deref(), main_log.as_deref())
            .map_err(|e| TeamError::Setup(e.to_string()))?;
    }
    Ok(Stopped {
        session: session.to_string(),
        killed,
        worktrees,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handoff_across_worktrees_needs_the_branch_among_the_roles_branches() {
        let dir = std::env::temp_dir();
        let text =
            "[roles.r]\nsignal = \"r/D\"\n[roles.s]\nsignal = \"s/D\"\nbranches = [\"lanes/s\"]\n\
                    [roles.b]\nafter = [\"r\", \"s\"]\n";
        let policy = Policy::parse(&dir.join("lanes.toml"), &dir, text.to_string()).unwrap();
        let roles = plan::select(&policy, &[]).unwrap();
        let launch = Launch {
            exe: Path::new("/l"),
            no_sandbox: false,
            policy_name: None,
            agent_args: &[],
        };
        let panes = plan::panes(&policy, &roles, |_| dir.clone(), &dir, &launch);
        let place = |role: &str| Place {
            role: role.into(),
            checkout: dir.clone(),
            dir: dir.clone(),
            branch: format!("lanes/{role}"),
            created: true,
        };
        let notes = unseen_handoffs(&policy, &panes, &[place("r"), place("s"), place("b")]);
        assert_eq!(notes, ["the roles after 'r' will not see its signal file: lanes wait looks for it in the worktree whose branch its `branches` match, and no pattern of [roles.r] branches matches lanes/r; add \"lanes/r\" to them"]);
        assert!(
            unseen_handoffs(&policy, &panes, &[]).is_empty(),
            "no worktrees, no note"
        );
    }
}
