//! `lanes check`: the git backstop. Judges what is actually being committed (the staged
//! changes), or every commit of a range in CI, with the same policy, roles and decision code
//! as `lanes hook`.
//!
//! Data flows one way: git's change stream ([`crate::git`]) -> places relative to the policy
//! root -> [`decide::decide`] per path -> a [`Report`] holding only the violations and counts
//! (so memory does not grow with in-lane paths) -> the `format` module renders it. Nothing
//! here prints.
//!
//! Who is committing, first claim that decides wins:
//! 1. `--role NAME`;
//! 2. in range mode, the commit's `Lane: NAME` trailer (a statement about that commit, more
//!    specific than anything about the process running the check);
//! 3. `LANES_ROLE`;
//! 4. `CLAUDE_CODE_AGENT`, mapped through the roles' `agents` (no match passes on);
//! 5. the branch (`--branch`, else the current branch) matched against the roles' `branches`;
//! 6. otherwise unassigned: the policy's `unassigned` decides.

pub mod format;

use crate::decide::{self, Place, Rule};
use crate::env::Env;
use crate::git::{self, Detail, Event, Git, GitError, Status};
use crate::path::{self, RepoPath};
use crate::policy::{self, Lanes, Mode, Policy, PolicyError};
use crate::role::{self, Actor, Claim, RoleSource};
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

/// What to judge.
#[derive(Debug, Clone)]
pub enum Source {
    /// The changes staged for the next commit (the default).
    Staged,
    /// Every commit of a range, `A..B` or `A...B`, each on its own.
    Range(String),
    /// Paths named on the command line, relative to the working directory.
    Files(Vec<OsString>),
}

/// Options of `lanes check`.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--policy FILE`; wins over `LANES_POLICY`; relative to the working directory.
    pub policy: Option<PathBuf>,
    /// `--role NAME`: wins over every other source.
    pub role: Option<String>,
    /// `--branch NAME`: the branch to map through `branches` instead of the current one.
    pub branch: Option<String>,
    /// What to judge.
    pub source: Source,
}

/// Why `lanes check` could not judge (exit status 2).
#[derive(Debug)]
pub enum CheckError {
    /// No `lanes.toml` in the directory or above it.
    NoPolicy(PathBuf),
    /// The policy is broken.
    Policy(PolicyError),
    /// Git failed (not a repository, a bad range, ...).
    Git(GitError),
    /// A role was named that the policy does not define.
    UnknownRole {
        /// The name given.
        name: String,
        /// Where it came from.
        source: RoleSource,
        /// The commit whose trailer named it (range mode).
        commit: Option<String>,
        /// The roles the policy defines.
        known: Vec<String>,
    },
    /// A commit names different roles in several `Lane:` trailers.
    ConflictingTrailers {
        /// The commit.
        commit: String,
        /// The values.
        values: Vec<String>,
    },
    /// The policy's project and the git working tree do not overlap.
    Unrelated {
        /// The policy root.
        root: PathBuf,
        /// The git top level.
        toplevel: PathBuf,
    },
    /// A path could not be read as a project path.
    Path(String),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::NoPolicy(dir) => write!(
                f,
                "no {} in {} or any directory above it; give one with --policy FILE (or LANES_POLICY)",
                policy::POLICY_FILE,
                dir.display()
            ),
            CheckError::Policy(e) => write!(f, "{e}"),
            CheckError::Git(e) => write!(f, "{e}"),
            CheckError::UnknownRole { name, source, commit, known } => {
                let from = match (source, commit) {
                    (RoleSource::Trailer, Some(c)) => format!("the `Lane:` trailer of commit {}", short(c)),
                    (RoleSource::Flag, _) => "--role".to_string(),
                    (RoleSource::Env, _) => "LANES_ROLE".to_string(),
                    (s, _) => s.to_string(),
                };
                write!(f, "role `{name}` (from {from}) is not defined in the policy; roles: {}", known.join(", "))
            }
            CheckError::ConflictingTrailers { commit, values } => write!(
                f,
                "commit {} names several roles in its `Lane:` trailers ({}); a commit acts as one role",
                short(commit),
                values.join(", ")
            ),
            CheckError::Unrelated { root, toplevel } => write!(
                f,
                "the policy's project {} and the git working tree {} do not overlap",
                root.display(),
                toplevel.display()
            ),
            CheckError::Path(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CheckError {}

impl From<PolicyError> for CheckError {
    fn from(e: PolicyError) -> Self {
        CheckError::Policy(e)
    }
}

impl From<GitError> for CheckError {
    fn from(e: GitError) -> Self {
        CheckError::Git(e)
    }
}

/// The acting role of one judged unit (the staged changes, or one commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The commit id, in range mode.
    pub commit: Option<String>,
    /// The role (`None`: unassigned).
    pub role: Option<String>,
    /// Where the role came from.
    pub role_source: RoleSource,
    /// The branch that named the role, when `role_source` is `branch`.
    pub branch: Option<String>,
    /// How many paths were judged.
    pub paths: usize,
    /// How many of them are out of lane.
    pub violations: usize,
}

/// One path out of lane. The path and the rule are kept once in the [`Report`] (read them
/// with [`Report::path`] and [`Report::rule`]), so a commit with 100,000 such paths stays
/// small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Index into [`Report::units`].
    pub unit: usize,
    /// Byte range of the path in the report's path buffer.
    path: std::ops::Range<usize>,
    /// How it was changed.
    pub status: Status,
    /// Index into [`Report::rules`].
    pub rule: usize,
}

/// Everything `lanes check` found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The policy file used.
    pub policy_file: PathBuf,
    /// The policy's mode: in `log` mode violations are reported but do not fail.
    pub mode: Mode,
    /// What was judged.
    pub source: Source,
    /// One unit for the staged changes or the named files; one per commit in range mode.
    pub units: Vec<Unit>,
    /// Every path out of lane, in the order git listed them (so grouped by unit).
    pub violations: Vec<Violation>,
    /// The distinct rules the violations point at.
    pub rules: Vec<Rule>,
    /// The violations' paths, end to end.
    path_bytes: Vec<u8>,
}

impl Report {
    /// Paths judged, over all units.
    pub fn paths(&self) -> usize {
        self.units.iter().map(|u| u.paths).sum()
    }

    /// The path of a violation as git lists it (relative to the top level of the working
    /// tree, which is what GitHub annotations need), or as named with `--files`; raw bytes.
    pub fn path(&self, v: &Violation) -> &[u8] {
        &self.path_bytes[v.path.clone()]
    }

    /// Why a violation is out of lane.
    pub fn rule(&self, v: &Violation) -> &Rule {
        &self.rules[v.rule]
    }

    /// The violations of unit `i`.
    pub fn violations_of(&self, i: usize) -> &[Violation] {
        let start = self.violations.partition_point(|v| v.unit < i);
        let end = self.violations.partition_point(|v| v.unit <= i);
        &self.violations[start..end]
    }

    /// True when the check fails (exit 1): a violation in `enforce` mode.
    pub fn failed(&self) -> bool {
        !self.violations.is_empty() && self.mode == Mode::Enforce
    }
}

/// Runs the check from the working directory `cwd`.
///
/// Errors: no policy or a broken one (every pattern and branch glob is compiled up front, so
/// a broken role fails even when no path reaches it); not a git repository, a bad range or
/// any other git failure; a role named that the policy lacks; conflicting trailers.
pub fn run(cwd: &Path, env: &Env, opts: &Options) -> Result<Report, CheckError> {
    let explicit = opts.policy.as_deref().or(env.lanes_policy.as_deref());
    let file =
        policy::find(cwd, explicit).ok_or_else(|| CheckError::NoPolicy(cwd.to_path_buf()))?;
    let policy = Policy::load(&file)?;
    let lanes = Lanes::new(&policy);
    lanes.compile_all()?;
    let git = Git::new(cwd);
    let mut judge = Judge {
        lanes: &lanes,
        env,
        opts,
        git: &git,
        branch: None,
        units: Vec::new(),
        found: Found::default(),
    };
    match &opts.source {
        Source::Staged => {
            // Concluding a merge: judge only what differs from both sides, as range mode
            // does with merge commits; what the merged branch brought in unchanged was
            // judged on that branch.
            let merged = match git.merge_head()? {
                Some(rev) => Some(changed_paths(
                    git.staged_against(Some(&rev), Detail::Names)?,
                )?),
                None => None,
            };
            let toplevel = git.toplevel()?;
            // File modes tell a submodule (a directory) from a file, but cost git about 40%
            // more on big listings: ask for them when the repository has submodules. (A
            // gitlink added without `.gitmodules`, which git warns about, counts as a file.)
            let detail = match std::fs::symlink_metadata(toplevel.join(".gitmodules")) {
                Ok(_) => Detail::Modes,
                Err(_) => Detail::Names,
            };
            // Git starts listing while the role is looked up.
            let mut stream = git.staged(detail)?;
            let base = Base::new(&policy.root, &toplevel)?;
            let actor = judge.actor(None, None)?;
            judge.open(None, &actor);
            while let Some(event) = stream.next()? {
                let Event::Change {
                    status,
                    path,
                    is_dir,
                } = event
                else {
                    continue;
                };
                if merged.as_ref().is_some_and(|m| !m.contains(path)) {
                    continue;
                }
                let place = base.place(path)?;
                judge.path(&actor, &place, path, status, is_dir)?;
            }
            stream.finish()?;
        }
        Source::Range(range) => {
            let mut stream = git.range(range)?;
            let base = Base::new(&policy.root, &git.toplevel()?)?;
            let mut actor = Actor::Unassigned;
            while let Some(event) = stream.next()? {
                match event {
                    Event::Commit { id, lanes } => {
                        let trailer = one_trailer(id, &lanes)?;
                        let id = id.to_string();
                        actor = judge.actor(trailer, Some(&id))?;
                        judge.open(Some(id), &actor);
                    }
                    Event::Change {
                        status,
                        path,
                        is_dir,
                    } => {
                        if judge.units.is_empty() {
                            return Err(
                                GitError::Output("a change before any commit".into()).into()
                            );
                        }
                        let place = base.place(path)?;
                        judge.path(&actor, &place, path, status, is_dir)?;
                    }
                }
            }
            stream.finish()?;
        }
        Source::Files(files) => {
            let actor = judge.actor(None, None)?;
            judge.open(None, &actor);
            let cwd = cwd
                .canonicalize()
                .map_err(|e| CheckError::Path(format!("cannot resolve {}: {e}", cwd.display())))?;
            for raw in files {
                let abs = path::absolutize(raw, &cwd)
                    .map_err(|e| CheckError::Path(format!("path {raw:?}: {e}")))?;
                let abs = path::normalize_lexically(&abs);
                let is_dir = std::fs::symlink_metadata(&abs).is_ok_and(|m| m.is_dir());
                let place = match RepoPath::from_root(&policy.root, &abs) {
                    Some(rel) => Place::Project(rel),
                    None => Place::Outside,
                };
                judge.path(
                    &actor,
                    &place,
                    raw.as_encoded_bytes(),
                    Status::Named,
                    is_dir,
                )?;
            }
        }
    }
    Ok(Report {
        policy_file: file,
        mode: policy.mode,
        source: opts.source.clone(),
        units: judge.units,
        violations: judge.found.violations,
        rules: judge.found.rules,
        path_bytes: judge.found.path_bytes,
    })
}

/// Every path a change stream lists.
fn changed_paths(
    mut stream: git::ChangeStream,
) -> Result<std::collections::HashSet<Vec<u8>>, CheckError> {
    let mut paths = std::collections::HashSet::new();
    while let Some(event) = stream.next()? {
        if let Event::Change { path, .. } = event {
            paths.insert(path.to_vec());
        }
    }
    stream.finish()?;
    Ok(paths)
}

/// The value of a commit's `Lane:` trailers: none, or one name (repeated is fine).
fn one_trailer<'a>(commit: &str, lanes: &[&'a str]) -> Result<Option<&'a str>, CheckError> {
    let Some(first) = lanes.first() else {
        return Ok(None);
    };
    if lanes.iter().any(|l| l != first) {
        return Err(CheckError::ConflictingTrailers {
            commit: commit.to_string(),
            values: lanes.iter().map(|s| s.to_string()).collect(),
        });
    }
    Ok(Some(first))
}

struct Judge<'a> {
    lanes: &'a Lanes<'a>,
    env: &'a Env,
    opts: &'a Options,
    git: &'a Git,
    /// The branch and the role it maps to, looked up once when first needed.
    branch: Option<(Option<String>, Option<String>)>,
    units: Vec<Unit>,
    found: Found,
}

/// How many of the latest distinct rules a new violation's rule is compared with before it is
/// stored again (paths in one directory usually share a rule).
const RULES_SEARCHED: usize = 32;

impl<'a> Judge<'a> {
    /// Resolves the acting role in the documented order (see the module docs).
    fn actor(
        &mut self,
        trailer: Option<&str>,
        commit: Option<&String>,
    ) -> Result<Actor<'a>, CheckError> {
        let mut claims: Vec<Claim<'_>> = Vec::with_capacity(4);
        if let Some(r) = self.opts.role.as_deref() {
            claims.push(Claim::Named(r, RoleSource::Flag));
        }
        if let Some(t) = trailer {
            claims.push(Claim::Named(t, RoleSource::Trailer));
        }
        if let Some(r) = self.env.lanes_role.as_deref() {
            claims.push(Claim::Named(r, RoleSource::Env));
        }
        if let Some(a) = self.env.claude_code_agent.as_deref() {
            claims.push(Claim::Agent(a, RoleSource::ClaudeCodeAgent));
        }
        let policy = self.lanes.policy();
        let mut actor = role::resolve(policy, &claims);
        if matches!(actor, Actor::Unassigned)
            && policy.roles.iter().any(|r| !r.branches().is_empty())
        {
            if let Some(role) = self.branch_role()? {
                actor = Actor::Role(role, RoleSource::Branch);
            }
        }
        if let Actor::Unknown(name, source) = &actor {
            return Err(CheckError::UnknownRole {
                name: name.clone(),
                source: *source,
                commit: commit.cloned(),
                known: policy.roles.iter().map(|r| r.name.clone()).collect(),
            });
        }
        Ok(actor)
    }

    fn branch_role(&mut self) -> Result<Option<&'a crate::policy::Role>, CheckError> {
        if self.branch.is_none() {
            let name = match &self.opts.branch {
                Some(b) => Some(b.clone()),
                None => self.git.current_branch()?,
            };
            let role = match &name {
                Some(b) => self.lanes.role_for_branch(b)?.map(|r| r.name.clone()),
                None => None,
            };
            self.branch = Some((name, role));
        }
        let role = self.branch.as_ref().and_then(|(_, r)| r.as_deref());
        Ok(role.and_then(|r| self.lanes.policy().role(r)))
    }

    fn open(&mut self, commit: Option<String>, actor: &Actor<'_>) {
        let branch = match actor.source() {
            RoleSource::Branch => self.branch.as_ref().and_then(|(b, _)| b.clone()),
            _ => None,
        };
        self.units.push(Unit {
            commit,
            role: actor.name().map(String::from),
            role_source: actor.source(),
            branch,
            paths: 0,
            violations: 0,
        });
    }

    fn path(
        &mut self,
        actor: &Actor<'a>,
        place: &Place,
        shown: &[u8],
        status: Status,
        is_dir: bool,
    ) -> Result<(), CheckError> {
        let verdict = decide::decide(self.lanes, actor, place, is_dir)?;
        let unit = self.units.len() - 1;
        let u = &mut self.units[unit];
        u.paths += 1;
        if verdict.violation {
            u.violations += 1;
            self.found.record(unit, shown, status, &verdict.rule);
        }
        Ok(())
    }
}

/// The violations as a [`Report`] keeps them: each path's bytes once, end to end, and the
/// rules they point at (a rule equal to one of the latest is not stored again).
#[derive(Debug, Default)]
struct Found {
    violations: Vec<Violation>,
    rules: Vec<Rule>,
    path_bytes: Vec<u8>,
}

impl Found {
    /// Records that `shown` (as git lists it), changed as `status` in unit `unit`, is out of
    /// lane by `rule`.
    fn record(&mut self, unit: usize, shown: &[u8], status: Status, rule: &Rule) {
        let rule = self.rule_index(rule);
        let start = self.path_bytes.len();
        self.path_bytes.extend_from_slice(shown);
        self.violations.push(Violation {
            unit,
            path: start..self.path_bytes.len(),
            status,
            rule,
        });
    }

    /// Where `rule` is in `rules`, stored now unless it is among the latest.
    fn rule_index(&mut self, rule: &Rule) -> usize {
        let recent = self.rules.len().saturating_sub(RULES_SEARCHED);
        match self.rules[recent..].iter().rposition(|r| r == rule) {
            Some(i) => recent + i,
            None => {
                self.rules.push(rule.clone());
                self.rules.len() - 1
            }
        }
    }
}

/// How git's paths (relative to the top level) relate to the policy root.
enum Base {
    /// The policy sits at the top level.
    Same,
    /// The policy sits in a subdirectory: this prefix (with a trailing `/`) is the project;
    /// other paths lie outside it.
    Below(Vec<u8>),
    /// The policy sits above the top level: paths get this prefix.
    Above(PathBuf),
}

impl Base {
    fn new(root: &Path, toplevel: &Path) -> Result<Base, CheckError> {
        if root == toplevel {
            return Ok(Base::Same);
        }
        if let Ok(sub) = root.strip_prefix(toplevel) {
            let mut prefix = sub.as_os_str().as_encoded_bytes().to_vec();
            prefix.push(b'/');
            return Ok(Base::Below(prefix));
        }
        if let Ok(up) = toplevel.strip_prefix(root) {
            return Ok(Base::Above(up.to_path_buf()));
        }
        Err(CheckError::Unrelated {
            root: root.to_path_buf(),
            toplevel: toplevel.to_path_buf(),
        })
    }

    fn place(&self, path: &[u8]) -> Result<Place, CheckError> {
        let rel = match self {
            Base::Same => RepoPath::new(Path::new(git::os_str(path))),
            Base::Below(prefix) => match path.strip_prefix(prefix.as_slice()) {
                Some(rest) => RepoPath::new(Path::new(git::os_str(rest))),
                None => return Ok(Place::Outside),
            },
            Base::Above(prefix) => RepoPath::new(&prefix.join(git::os_str(path))),
        };
        match rel {
            Some(rel) => Ok(Place::Project(rel)),
            None => Err(CheckError::Path(format!(
                "git listed a path that is not relative: {:?}",
                String::from_utf8_lossy(path)
            ))),
        }
    }
}

/// The first 12 characters of a commit id.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}
