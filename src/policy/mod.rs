//! The policy, `lanes.toml`: which role may write where.
//!
//! [`Policy::load`] reads and checks the file once; pattern lists compile lazily (see
//! [`PatternList`]). [`find`] locates the file by walking up from a directory.

mod cache;
mod data;
mod error;
mod lane;
mod literal;
mod owners;
mod raw;

pub use error::PolicyError;
pub use lane::{first_component, Lane, Pattern, PatternList};
pub use raw::{BashAction, BashSettings, Mode, Unassigned};

use crate::path::RepoPath;
use data::PolicyData;
use owners::OwnerIndex;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

/// The policy file name looked for in each directory.
pub const POLICY_FILE: &str = "lanes.toml";

/// The audit log used when `audit` is not set.
pub const DEFAULT_AUDIT: &str = ".lanes/audit.jsonl";

/// lanes' own folder (audit log, parsed-policy cache), always protected.
const LANES_DIR: &str = ".lanes/";

/// Input fields holding written paths for the reference filesystem MCP server
/// (`@modelcontextprotocol/server-filesystem`), used unless `[mcp_tools]` says otherwise.
const DEFAULT_MCP_TOOLS: &[(&str, &[&str])] = &[
    ("mcp__filesystem__write_file", &["path"]),
    ("mcp__filesystem__edit_file", &["path"]),
    ("mcp__filesystem__create_directory", &["path"]),
    ("mcp__filesystem__move_file", &["source", "destination"]),
];

/// A loaded, checked policy.
#[derive(Debug)]
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
    /// Always protected, whatever the policy says: the policy file, `.claude/`, `.git`, `.lanes/`
    /// (the parsed-policy cache and the default audit log) and the audit log's folder, so an
    /// agent can neither widen its lane nor unhook lanes.
    pub builtin_protected: PatternList,
    /// MCP tool name (exact, or a glob with `*`) -> input fields holding written paths.
    pub mcp_tools: Vec<(String, Vec<String>)>,
    /// `[bash]`: how Bash findings that no path settles are treated.
    pub bash: BashSettings,
    /// The policy text, for errors.
    source: Source,
    /// Every role's `branches` globs, compiled on first use: (index into `roles`, matcher).
    branch_globs: std::cell::OnceCell<Result<Vec<(usize, globset::GlobMatcher)>, PolicyError>>,
    /// Which roles' lanes may hold a path, by its first component; built on first use.
    owner_index: std::cell::OnceCell<OwnerIndex>,
    /// The owner index kept in the parsed-policy cache, decoded on first use.
    cached_owners: Option<cache::LazyOwners>,
    /// Owner lookups answered without the index so far (see [`Policy::roles_that_may_own`]).
    owner_lookups: std::cell::Cell<u32>,
    /// Indices into `roles` of the roles with a signal file, in file order.
    signal_roles: Vec<usize>,
}

/// Owner lookups answered with every role before the owner index is built: the hook judges
/// one path, for which building the index costs more than reading each role's patterns once.
const OWNER_LOOKUPS_WITHOUT_INDEX: u32 = 4;

/// The policy text, for the line and column of errors: held when the policy was parsed,
/// read back on first use when the policy came from the parsed-policy cache (a hook whose
/// decision raises no error never reads it).
#[derive(Debug, Default)]
pub struct Source {
    text: std::sync::OnceLock<String>,
    cached: Option<cache::CachedText>,
}

impl From<String> for Source {
    fn from(text: String) -> Source {
        Source {
            text: std::sync::OnceLock::from(text),
            cached: None,
        }
    }
}

impl Source {
    /// The text (read from the cache now if it is not yet held; empty when that fails, so
    /// an error then has no line and column).
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| match &self.cached {
            Some(c) => c.text().unwrap_or_default(),
            None => String::new(),
        })
    }
}

/// `[roles.NAME]`. What every decision may need is in fields; the rest is behind methods,
/// because a role taken from the parsed-policy cache decodes it only when first asked (a
/// hook with hundreds of roles needs it for one role at most).
#[derive(Debug)]
pub struct Role {
    /// The table name.
    pub name: String,
    /// `write`: the role's lanes.
    pub write: PatternList,
    /// `signal`: the role's handoff file; it must lie inside the role's lanes.
    pub signal: Option<RepoPath>,
    /// `agents` as written; `None` when not set (the role's name alone).
    agents: Option<Vec<String>>,
    signal_span: Option<std::ops::Range<usize>>,
    /// The rest of the role, set or decoded from `pending` on first use; `None` when all
    /// of it is left at its defaults (boxed: a policy holds hundreds of roles).
    details: std::cell::OnceCell<Option<Box<RoleDetails>>>,
    /// Where the details of a role from the cache are, until `details` is set.
    pending: Option<cache::LazyDetails>,
    /// Set once the signal file has been found inside the role's lanes (see
    /// [`Policy::role_find`]), so that it is checked once per process, not once per path.
    signal_in_lane: std::cell::Cell<bool>,
}

/// The details of a role that sets none of them.
static NO_DETAILS: RoleDetails = RoleDetails {
    description: None,
    signal_requires: Vec::new(),
    spawn: Vec::new(),
    branches: Vec::new(),
    branch_spans: Vec::new(),
};

/// The parts of a [`Role`] that few calls need.
#[derive(Debug, Default, Clone)]
pub(crate) struct RoleDetails {
    pub description: Option<String>,
    pub signal_requires: Vec<String>,
    pub spawn: Vec<String>,
    pub branches: Vec<String>,
    pub branch_spans: Vec<std::ops::Range<usize>>,
}

impl RoleDetails {
    /// True when every part is left at its default (nothing needs decoding).
    pub(crate) fn is_default(&self) -> bool {
        self.description.is_none()
            && self.signal_requires.is_empty()
            && self.spawn.is_empty()
            && self.branches.is_empty()
    }
}

impl Role {
    /// A role with its details at hand (parsed, or defaults).
    pub(crate) fn new(
        name: String,
        write: PatternList,
        agents: Option<Vec<String>>,
        signal: Option<(RepoPath, std::ops::Range<usize>)>,
        details: RoleDetails,
    ) -> Role {
        let mut role = Role::lazy_or_not(name, write, agents, signal, None);
        role.details =
            std::cell::OnceCell::from((!details.is_default()).then(|| Box::new(details)));
        role
    }

    /// A role whose details `pending` decodes on first use.
    pub(crate) fn lazy(
        name: String,
        write: PatternList,
        agents: Option<Vec<String>>,
        signal: Option<(RepoPath, std::ops::Range<usize>)>,
        pending: cache::LazyDetails,
    ) -> Role {
        Role::lazy_or_not(name, write, agents, signal, Some(pending))
    }

    /// The fields both constructors share; `details` is left unset (see `pending`).
    fn lazy_or_not(
        name: String,
        write: PatternList,
        agents: Option<Vec<String>>,
        signal: Option<(RepoPath, std::ops::Range<usize>)>,
        pending: Option<cache::LazyDetails>,
    ) -> Role {
        let (signal, signal_span) = signal.unzip();
        Role {
            name,
            write,
            signal,
            agents,
            signal_span,
            details: std::cell::OnceCell::new(),
            pending,
            signal_in_lane: std::cell::Cell::new(false),
        }
    }

    /// `agents`: hook-input `agent_type` values that act as this role (default: the name).
    pub fn agents(&self) -> &[String] {
        self.agents
            .as_deref()
            .unwrap_or(std::slice::from_ref(&self.name))
    }

    /// `agents` as written, `None` when it is not set.
    pub(crate) fn agents_written(&self) -> Option<&[String]> {
        self.agents.as_deref()
    }

    /// Where `signal` is written in the policy text.
    pub(crate) fn signal_span(&self) -> Option<std::ops::Range<usize>> {
        self.signal_span.clone()
    }

    /// `description`, used in messages and CLAUDE.md.
    pub fn description(&self) -> Option<&str> {
        self.details().description.as_deref()
    }

    /// `signal_requires`: text the signal file must contain to count as complete.
    pub fn signal_requires(&self) -> &[String] {
        &self.details().signal_requires
    }

    /// `spawn`: other roles whose subagents this role may start.
    pub fn spawn(&self) -> &[String] {
        &self.details().spawn
    }

    /// `branches`: git branch globs whose commits act as this role (`lanes check`).
    pub fn branches(&self) -> &[String] {
        &self.details().branches
    }

    /// The details, decoded now for a role from the cache. Details the cache cannot give
    /// (damaged, and the policy text no longer parses, which lanes never writes) are left
    /// empty, which fails closed: no `spawn` allows a subagent.
    pub(crate) fn details(&self) -> &RoleDetails {
        self.details
            .get_or_init(|| {
                self.pending
                    .as_ref()
                    .and_then(cache::LazyDetails::decode)
                    .map(Box::new)
            })
            .as_deref()
            .unwrap_or(&NO_DETAILS)
    }
}

impl Policy {
    /// Reads and checks the policy at `file`. The project root is the file's directory.
    ///
    /// Errors: the file cannot be read or its directory resolved; TOML syntax; unknown keys
    /// and wrong types (serde, with `deny_unknown_fields`); semantic errors (unknown role in
    /// `spawn`, an `agents` name claimed by two roles, a bad `audit` path). Every error names
    /// the file, and where it can, the line, column and key.
    pub fn load(file: &Path) -> Result<Policy, PolicyError> {
        let (source, root) = read(file)?;
        Policy::parse(file, &root, source)
    }

    /// Checks `source` as the policy `file` of the project at `root` (already canonical).
    pub fn parse(file: &Path, root: &Path, source: String) -> Result<Policy, PolicyError> {
        let data = data::parse(file, &source)?;
        Ok(Policy::assemble(file, root, Source::from(source), data))
    }

    /// [`Policy::load`] for `lanes hook`, which runs on every tool call: a policy of 4 KiB or
    /// more is taken from the parsed-policy cache `ROOT/.lanes/cache/policy.bin` when the
    /// cache was made from the very same text, and parsed (and the cache rewritten) otherwise. The answer is the same as [`Policy::load`]'s: any
    /// cache that cannot be read, decoded or trusted is ignored, and failing to write one is
    /// too. Commands other than the hook parse the policy every time.
    ///
    /// Errors: as [`Policy::load`].
    pub fn load_cached(file: &Path) -> Result<Policy, PolicyError> {
        let cannot_read =
            |e: std::io::Error| PolicyError::file(file, format!("cannot read the policy: {e}"));
        let mut text = std::fs::File::open(file).map_err(cannot_read)?;
        let size = text.metadata().map_err(cannot_read)?.len();
        let root = project_root(file)?;
        let cache_file = root.join(cache::CACHE_FILE);
        if size >= cache::MIN_SOURCE_BYTES as u64 {
            // A hit compares the text with the cache's copy as it reads it, and keeps neither.
            if let Some((data, cached)) = cache::read(&cache_file, file, &mut text, size) {
                let source = Source {
                    text: std::sync::OnceLock::new(),
                    cached: Some(cached),
                };
                return Ok(Policy::assemble(file, &root, source, data));
            }
            text.rewind().map_err(cannot_read)?;
        }
        let mut source = String::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
        // Through `Take`: `File::read_to_string` would ask the file for its size again (an
        // `fstat` and an `lseek`), which `size` already holds.
        (&mut text)
            .take(u64::MAX)
            .read_to_string(&mut source)
            .map_err(cannot_read)?;
        if source.len() < cache::MIN_SOURCE_BYTES {
            return Policy::parse(file, &root, source);
        }
        let data = data::parse(file, &source)?;
        let owners = OwnerIndex::build(data.roles.iter().map(|r| r.write.try_patterns().ok()));
        // The decision never depends on the cache being written (a read-only checkout, a
        // full disk): the next run parses again.
        let _ = cache::write(&cache_file, &source, &data, &owners);
        let policy = Policy::assemble(file, &root, Source::from(source), data);
        // Built for the cache anyway: a deny in this run uses it too.
        let _ = policy.owner_index.set(owners);
        Ok(policy)
    }

    /// The policy from its checked data plus what depends on where it lies: the file, the
    /// root, and the always-protected patterns (the policy file's target when it is a symlink).
    fn assemble(file: &Path, root: &Path, source: Source, data: PolicyData) -> Policy {
        let mut builtin = vec!["**/.claude/".to_string(), "**/.git".to_string()];
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
        let roles = data.roles;
        let signal_roles = (0..roles.len())
            .filter(|&i| roles[i].signal.is_some())
            .collect();
        Policy {
            file: file.to_path_buf(),
            root: root.to_path_buf(),
            mode: data.mode,
            unassigned: data.unassigned,
            audit: data.audit,
            roles,
            shared: data.shared,
            protected: data.protected,
            builtin_protected,
            mcp_tools: data.mcp_tools,
            bash: data.bash,
            source,
            branch_globs: std::cell::OnceCell::new(),
            owner_index: std::cell::OnceCell::new(),
            cached_owners: data.owners,
            owner_lookups: std::cell::Cell::new(0),
            signal_roles,
        }
    }

    /// The compiled form of `list`, which must belong to this policy.
    pub fn lane<'a>(&'a self, list: &'a PatternList) -> Result<&'a Lane, PolicyError> {
        list.lane(&self.file, &self.source)
    }

    /// The first role other than `except` whose signal file is `path`. Looks only at the
    /// roles that have one, since `lanes check` asks for every staged path.
    pub fn signal_owner(&self, path: &RepoPath, except: &str) -> Option<&Role> {
        self.signal_roles
            .iter()
            .map(|&i| &self.roles[i])
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

    /// The first role (in file order) whose `branches` globs match `branch` (a short branch
    /// name such as `build/parser`). In a glob, `*` and `?` stay within one `/`-separated
    /// component, `**` crosses them, `[...]` is a class.
    ///
    /// Errors: a glob does not compile (named by file, line and key).
    pub fn role_for_branch(&self, branch: &str) -> Result<Option<&Role>, PolicyError> {
        let globs = self
            .branch_globs
            .get_or_init(|| self.compile_branch_globs())
            .as_ref()
            .map_err(Clone::clone)?;
        Ok(globs
            .iter()
            .find(|(_, m)| m.is_match(branch))
            .map(|(i, _)| &self.roles[*i]))
    }

    /// The roles, in file order, whose lanes may hold `path`: a superset of its owners
    /// (each candidate's lane must still be asked). Reads every role's patterns on first use
    /// and compiles none: a role whose patterns might not compile is a candidate for every
    /// path, so its error surfaces when its lane is asked.
    ///
    /// The first few lookups return every role: a caller judging one path (the hook) is
    /// better served by testing each role's patterns once (see [`PatternList::find`]).
    pub fn roles_that_may_own(&self, path: &RepoPath) -> Vec<&Role> {
        if self.owner_index.get().is_none()
            && self.cached_owners.is_none()
            && self.owner_lookups.get() < OWNER_LOOKUPS_WITHOUT_INDEX
        {
            self.owner_lookups.set(self.owner_lookups.get() + 1);
            return self.roles.iter().collect();
        }
        self.indexed_owner_candidates(path)
    }

    /// [`Policy::roles_that_may_own`] from the owner index: the one in the cache when it
    /// decodes and fits this policy, else one built from the patterns.
    fn indexed_owner_candidates(&self, path: &RepoPath) -> Vec<&Role> {
        match self.owner_index().candidates(path, self.roles.len()) {
            Some(found) => found.into_iter().map(|i| &self.roles[i]).collect(),
            None => self.roles.iter().collect(),
        }
    }

    /// For the files directly in the directory `dir`: the roles, in file order, whose lanes
    /// may hold one whose name is no key of the owner index (see [`Policy::is_owner_key`]);
    /// a superset of their owners, as [`Policy::roles_that_may_own`] gives for each. `None`
    /// when the owner index is damaged.
    pub fn owner_candidates_in(&self, dir: &RepoPath) -> Option<Vec<&Role>> {
        let found = self.owner_index().candidates(dir, self.roles.len())?;
        Some(found.into_iter().map(|i| &self.roles[i]).collect())
    }

    /// True when the path component `name` may change which roles own a path that holds it
    /// (it is a key of the owner index, or the index is damaged).
    pub fn is_owner_key(&self, name: &[u8]) -> bool {
        self.owner_index().is_key(name).unwrap_or(true)
    }

    /// The names of the signal files directly in the directory `dir` (normalized bytes).
    pub fn signal_names_in(&self, dir: &[u8]) -> Vec<&[u8]> {
        self.signal_roles
            .iter()
            .filter_map(|&i| {
                let (parent, name) = self.roles[i].signal.as_ref()?.split_last();
                (parent == dir).then_some(name)
            })
            .collect()
    }

    fn compile_branch_globs(&self) -> Result<Vec<(usize, globset::GlobMatcher)>, PolicyError> {
        let mut out = Vec::new();
        for (i, role) in self.roles.iter().enumerate() {
            let details = role.details();
            for (glob, span) in details.branches.iter().zip(&details.branch_spans) {
                let err = |m: String| {
                    PolicyError::at(&self.file, self.source.text(), Some(span.clone()), m)
                };
                if glob.trim().is_empty() {
                    return Err(err("a branch glob may not be empty".into()));
                }
                let compiled = globset::GlobBuilder::new(glob)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| err(format!("invalid branch glob `{glob}`: {}", e.kind())))?;
                out.push((i, compiled.compile_matcher()));
            }
        }
        Ok(out)
    }

    /// The owner index: the one in the cache when it decodes and fits this policy, else one
    /// built from the patterns.
    fn owner_index(&self) -> &OwnerIndex {
        self.owner_index.get_or_init(|| {
            self.cached_owners
                .as_ref()
                .and_then(cache::LazyOwners::decode)
                .unwrap_or_else(|| {
                    OwnerIndex::build(self.roles.iter().map(|r| r.write.try_patterns().ok()))
                })
        })
    }

    /// The role's lane, compiled, after checking that its signal file lies inside it.
    pub fn role_lane<'a>(&'a self, role: &'a Role) -> Result<&'a Lane, PolicyError> {
        let lane = self.lane(&role.write)?;
        if let Some(signal) = &role.signal {
            if lane.find(signal, false).is_none() {
                return Err(self.signal_outside(role, signal));
            }
        }
        Ok(lane)
    }

    /// The pattern of `list` (which must belong to this policy) that puts `path` in its
    /// lane, compiling no more of it than [`PatternList::find`] needs.
    ///
    /// Errors: a pattern of the list does not compile.
    pub fn find_in<'a>(
        &'a self,
        list: &'a PatternList,
        path: &RepoPath,
        is_dir: bool,
    ) -> Result<Option<&'a str>, PolicyError> {
        list.find(path, is_dir, &self.file, &self.source)
    }

    /// The pattern of the role's lane that puts `path` in it, after checking that its signal
    /// file lies inside the lane, as [`Policy::role_lane`] does, but compiling no more of the
    /// lane than [`PatternList::find`] needs.
    ///
    /// Errors: a pattern of the lane does not compile; the signal file lies outside it.
    pub fn role_find<'a>(
        &'a self,
        role: &'a Role,
        path: &RepoPath,
        is_dir: bool,
    ) -> Result<Option<&'a str>, PolicyError> {
        if let Some(signal) = &role.signal {
            if !role.signal_in_lane.get() {
                if self.find_in(&role.write, signal, false)?.is_none() {
                    return Err(self.signal_outside(role, signal));
                }
                role.signal_in_lane.set(true);
            }
        }
        self.find_in(&role.write, path, is_dir)
    }

    fn signal_outside(&self, role: &Role, signal: &RepoPath) -> PolicyError {
        PolicyError::at(
            &self.file,
            self.source.text(),
            role.signal_span(),
            format!(
                "signal `{signal}` of role `{}` lies outside the role's lanes",
                role.name
            ),
        )
    }

    /// Compiles every pattern list and checks every role, as `lanes validate` and
    /// `lanes check` need; the hook compiles only what a decision needs.
    pub fn compile_all(&self) -> Result<(), PolicyError> {
        self.lane(&self.builtin_protected)?;
        self.lane(&self.protected)?;
        self.lane(&self.shared)?;
        for role in &self.roles {
            self.role_lane(role)?;
        }
        self.role_for_branch("")?;
        Ok(())
    }

    /// The input fields of MCP tool `tool` that hold written paths, if the tool is mapped.
    pub fn mcp_fields(&self, tool: &str) -> Option<&[String]> {
        self.mcp_tools
            .iter()
            .rev()
            .find(|(name, _)| glob_name_match(name, tool))
            .map(|(_, f)| f.as_slice())
    }

    /// The policy text, for tools that report positions (`lanes validate`).
    pub fn source(&self) -> &str {
        self.source.text()
    }
}

/// Matches a tool name against a name pattern where `*` stands for any run of characters.
fn glob_name_match(pattern: &str, name: &str) -> bool {
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

/// The policy text and the project root (the file's directory, canonicalized).
fn read(file: &Path) -> Result<(String, PathBuf), PolicyError> {
    let source = std::fs::read_to_string(file)
        .map_err(|e| PolicyError::file(file, format!("cannot read the policy: {e}")))?;
    Ok((source, project_root(file)?))
}

/// The project root: the directory of the policy `file`, canonicalized.
fn project_root(file: &Path) -> Result<PathBuf, PolicyError> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    dir.canonicalize().map_err(|e| {
        PolicyError::file(
            file,
            format!("cannot resolve the project root {}: {e}", dir.display()),
        )
    })
}

/// Finds the policy for work done in `dir`: `explicit` when given (`--policy`,
/// `LANES_POLICY`; relative to `dir`), else the first `lanes.toml` in `dir` or one of its
/// ancestors. `None` means the project does not use lanes.
pub fn find(dir: &Path, explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(dir.join(p));
    }
    dir.ancestors()
        .map(|d| d.join(POLICY_FILE))
        .find(|p| std::fs::symlink_metadata(p).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn parse(src: &str) -> Result<Policy, PolicyError> {
        Policy::parse(Path::new("lanes.toml"), Path::new("/repo"), src.to_string())
    }

    const EXAMPLE: &str = r#"
mode = "enforce"
unassigned = "allow"
audit = ".lanes/audit.jsonl"

[roles.researcher]
description = "Researches; never writes code."
write = ["research/"]
agents = ["researcher"]
signal = "research/DONE.md"

[roles.builder]
write = ["src/", "package.json"]
spawn = ["reviewer"]

[roles.reviewer]
write = ["reviews/"]

[shared]
write = ["target/", "node_modules/"]

[protected]
paths = ["contracts/"]
"#;

    #[test]
    fn the_documented_example_parses() {
        let p = parse(EXAMPLE).unwrap();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(
            p.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["researcher", "builder", "reviewer"]
        );
        assert_eq!(p.role("builder").unwrap().agents(), ["builder"]);
        assert_eq!(p.role_for_agent("researcher").unwrap().name, "researcher");
        assert_eq!(p.audit.as_ref().unwrap().to_string(), ".lanes/audit.jsonl");
        let builtin: Vec<_> = p
            .builtin_protected
            .patterns()
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(builtin, ["lanes.toml", "**/.claude/", "**/.git", ".lanes/"]);
        p.compile_all().unwrap();
    }

    macro_rules! rejects {
        ($($src:expr => $msg:expr),* $(,)?) => {$(
            let err = parse($src).unwrap_err().to_string();
            assert_eq!(err, $msg, "for policy {:?}", $src);
        )*};
    }

    #[test]
    fn strict_parsing_names_file_line_column_and_key() {
        rejects! {
            "mode = \"strict\"\n" => "lanes.toml:1:8: mode: unknown variant `strict`, expected `enforce` or `log`",
            "[roles.b]\nwirte = [\"src/\"]\n" => "lanes.toml:2:1: roles.b.wirte: unknown field `wirte`, expected one of `description`, `write`, `agents`, `signal`, `signal_requires`, `spawn`, `branches`",
            "[roles.b]\nwrite = \"src/\"\n" => "lanes.toml:2:9: roles.b.write: invalid type: string \"src/\", expected a sequence",
            "audit = 3\n" => "lanes.toml:1:9: audit: invalid type: integer `3`, expected a path relative to the project root, or false to turn the audit log off",
            "audit = \"../x\"\n" => "lanes.toml:1:9: audit: `../x` must be a file path inside the project root",
            "[rolez]\n" => "lanes.toml:1:2: rolez: unknown field `rolez`, expected one of `mode`, `unassigned`, `audit`, `roles`, `shared`, `protected`, `mcp_tools`, `bash`",
            "[roles.a]\nspawn = [\"nobody\"]\n" => "lanes.toml:2:10: roles.a.spawn: `spawn` names `nobody`, which is not a role",
            "[roles.a]\nagents = [\"x\"]\n[roles.b]\nagents = [\"x\"]\n" => "lanes.toml:3:8: roles.b: agent `x` is claimed by roles `a` and `b`; each agent_type may act as one role only",
            "[roles.a]\nsignal = \"../DONE.md\"\n" => "lanes.toml:2:10: roles.a.signal: signal `../DONE.md` must be a file path inside the project",
            "[bash]\nopaque = \"sometimes\"\n" => "lanes.toml:2:10: bash.opaque: unknown variant `sometimes`, expected one of `allow`, `ask`, `deny`",
            "[bash]\nopaq = \"ask\"\n" => "lanes.toml:2:1: bash.opaq: unknown field `opaq`, expected one of `opaque`, `unknown_target`, `repo_wide`, `unparseable`",
            "mode = \n" => "lanes.toml:1:8: mode: string values must be quoted, expected literal string",
        }
    }

    #[test]
    fn signal_outside_the_lane_is_an_error_when_the_lane_compiles() {
        let p = parse("[roles.a]\nwrite = [\"a/\"]\nsignal = \"b/DONE.md\"\n").unwrap();
        let e = p.role_lane(p.role("a").unwrap()).unwrap_err();
        assert_eq!(e.to_string(), "lanes.toml:3:10: roles.a.signal: signal `b/DONE.md` of role `a` lies outside the role's lanes");
    }

    #[test]
    fn audit_can_be_turned_off_or_moved() {
        assert!(parse("audit = false\n").unwrap().audit.is_none());
        let p = parse("audit = \"log.jsonl\"\n").unwrap();
        assert_eq!(p.audit.unwrap().to_string(), "log.jsonl");
        let builtin: Vec<_> = p
            .builtin_protected
            .patterns()
            .iter()
            .map(|p| p.text.clone())
            .collect();
        assert_eq!(builtin.last().unwrap(), "log.jsonl");
    }

    #[test]
    fn mcp_tool_map_has_defaults_and_accepts_globs() {
        let p = parse("[mcp_tools]\n\"mcp__notes__*\" = \"file\"\n\"mcp__filesystem__write_file\" = [\"path\", \"alt\"]\n").unwrap();
        assert_eq!(
            p.mcp_fields("mcp__filesystem__move_file").unwrap(),
            ["source", "destination"]
        );
        assert_eq!(
            p.mcp_fields("mcp__filesystem__write_file").unwrap(),
            ["path", "alt"]
        );
        assert_eq!(p.mcp_fields("mcp__notes__save").unwrap(), ["file"]);
        assert!(p.mcp_fields("mcp__filesystem__read_file").is_none());
    }

    #[test]
    fn name_globs() {
        assert!(glob_name_match("a*c", "abc"));
        assert!(glob_name_match("*", "x"));
        assert!(glob_name_match("mcp__*__write_file", "mcp__fs__write_file"));
        assert!(!glob_name_match(
            "mcp__*__write_file",
            "mcp__fs__write_files"
        ));
        assert!(!glob_name_match("abc", "abcd"));
    }

    #[test]
    fn branches_map_to_the_first_matching_role() {
        let p = parse("[roles.a]\nbranches = [\"build/*\", \"main\"]\n[roles.b]\nbranches = [\"build/**\", \"r?\"]\n")
            .unwrap();
        let who = |b: &str| p.role_for_branch(b).unwrap().map(|r| r.name.clone());
        assert_eq!(who("build/x").as_deref(), Some("a"));
        assert_eq!(
            who("build/x/y").as_deref(),
            Some("b"),
            "`*` stays in one component"
        );
        assert_eq!(who("main").as_deref(), Some("a"));
        assert_eq!(who("r1").as_deref(), Some("b"));
        assert_eq!(who("builder"), None);
        let p = parse("[roles.a]\nbranches = [\n  \"x[\",\n]\n").unwrap();
        let e = p.compile_all().unwrap_err().to_string();
        assert!(
            e.starts_with("lanes.toml:3:3: roles.a.branches: invalid branch glob `x[`"),
            "{e}"
        );
    }

    /// The roles the owner index names for `path`, by name.
    fn owner_candidates(p: &Policy, path: &str) -> Vec<String> {
        let path = RepoPath::new(Path::new(path)).unwrap();
        p.indexed_owner_candidates(&path)
            .iter()
            .map(|r| r.name.clone())
            .collect()
    }

    #[test]
    fn owner_candidates_keep_file_order_and_include_wildcard_roles() {
        let p = parse("[roles.a]\nwrite = [\"src/\"]\n[roles.b]\nwrite = [\"*.md\"]\n[roles.c]\nwrite = [\"src/x/\", \"doc/\"]\n[roles.d]\nwrite = [\"doc/\"]\n")
            .unwrap();
        let names = |s: &str| owner_candidates(&p, s);
        assert_eq!(names("src/x/y.rs"), ["a", "b", "c"]);
        assert_eq!(names("doc/a.md"), ["b", "c", "d"]);
        assert_eq!(names("other/a"), ["b"]);
    }

    #[test]
    fn the_first_owner_lookups_return_every_role_then_the_index_answers() {
        let p = parse("[roles.a]\nwrite = [\"src/\"]\n[roles.b]\nwrite = [\"doc/\"]\n").unwrap();
        let path = RepoPath::new(Path::new("doc/x")).unwrap();
        for _ in 0..OWNER_LOOKUPS_WITHOUT_INDEX {
            assert_eq!(p.roles_that_may_own(&path).len(), 2);
        }
        assert_eq!(
            p.roles_that_may_own(&path)
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
    }

    #[test]
    fn owner_candidates_by_a_component_anywhere_and_unsure_roles_everywhere() {
        let p = parse("[roles.a]\nwrite = [\"src/\"]\n[roles.e]\nwrite = [\"**/.cache/\", \"tmp/\"]\n[roles.f]\nwrite = [\"[ab]/\"]\n")
            .unwrap();
        let names = |s: &str| owner_candidates(&p, s);
        // `[ab]/` could be malformed as far as the text shows: `f` is asked for every path.
        assert_eq!(names("src/.cache/x"), ["a", "e", "f"]);
        assert_eq!(names("tmp/x"), ["e", "f"]);
        assert_eq!(names("src/x"), ["a", "f"]);
    }

    #[test]
    fn find_walks_up_to_the_first_policy() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("lanes.toml"), "").unwrap();
        assert_eq!(
            find(&dir.path().join("a/b"), None),
            Some(dir.path().join("lanes.toml"))
        );
        assert_eq!(
            find(&dir.path().join("a"), Some(Path::new("x.toml"))),
            Some(dir.path().join("a/x.toml"))
        );
    }
}
