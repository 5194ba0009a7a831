//! `lanes validate`: checks a policy and the repository it governs, like a CODEOWNERS
//! validator does.
//!
//! Errors make the policy unusable (the hook would block every call it needs them for):
//! TOML and schema errors, invalid patterns, a signal file outside its role's lanes. Every
//! pattern is compiled on its own so that all bad patterns are reported, not just the first.
//! TOML and schema errors stop the check, since nothing after them can be trusted.
//!
//! Warnings point at a policy that works but probably does not say what its author meant:
//! paths in the lanes of several roles, patterns that match no file of the repository,
//! patterns that can never grant a write, roles without lanes, and top-level paths no role may
//! write. Ownership is worked out with [`decide::decide`] for every role and every file the
//! repository holds (tracked and untracked files that git does not ignore).

use crate::decide::{self, Place, Rule};
use crate::path::RepoPath;
use crate::policy::{Lanes, PatternList, PatternRef, Policy, PolicyError, Role};
use crate::role::{Actor, RoleSource};
use indexmap::{IndexMap, IndexSet};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// How many repository files are examined at most; larger repositories are cut off (and the
/// report says so), to keep `validate` fast.
pub const MAX_FILES: usize = 200_000;

/// One finding.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable kind: `parse` (TOML syntax, schema, and checks made while reading: unknown
    /// role in `spawn` or `after`, an `agents` name claimed twice, an `after` naming the role
    /// itself or a role without a signal file, a cycle of `after`), `pattern`, `signal`, `policy`
    /// (errors); `shared-lane`,
    /// `no-match`, `never-matches`, `no-lanes`, `unowned`, `signal-requires` (warnings).
    pub code: &'static str,
    /// The policy file.
    pub file: PathBuf,
    /// 1-based line, when the finding has a place in the file.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// Dotted TOML key (`roles.builder.write`).
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    fn from_error(code: &'static str, e: PolicyError) -> Diagnostic {
        Diagnostic {
            code,
            file: e.file,
            line: e.line,
            column: e.column,
            key: e.key,
            message: e.message,
        }
    }
}

/// Same shape as [`PolicyError`]: `FILE:LINE:COLUMN: KEY: MESSAGE`.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = PolicyError {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            key: self.key.clone(),
            message: self.message.clone(),
        };
        e.fmt(f)
    }
}

/// The result of validating a policy.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    /// The policy file.
    pub file: PathBuf,
    /// True when there are no errors.
    pub valid: bool,
    /// Errors: the policy cannot be used as it is.
    pub errors: Vec<Diagnostic>,
    /// Warnings: it works, but probably not as meant.
    pub warnings: Vec<Diagnostic>,
    /// Repository files examined for the warnings (0 when errors stopped the check).
    pub files_scanned: usize,
    /// True when the repository had more than [`MAX_FILES`] files and only the first were read.
    pub files_truncated: bool,
}

/// Validates the policy at `file`.
///
/// Errors (the `Err` side, exit status 2 in the CLI): the file cannot be read or its
/// directory resolved. Everything wrong *inside* the policy is in [`Validation::errors`].
pub fn validate(file: &Path) -> Result<Validation, String> {
    let source = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read the policy {}: {e}", file.display()))?;
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let root = dir.canonicalize().map_err(|e| {
        format!(
            "cannot resolve the project root {} of {}: {e}",
            dir.display(),
            file.display()
        )
    })?;
    let mut v = Validation {
        file: file.to_path_buf(),
        valid: true,
        errors: Vec::new(),
        warnings: Vec::new(),
        files_scanned: 0,
        files_truncated: false,
    };
    let policy = match Policy::parse(file, &root, source) {
        Ok(p) => p,
        Err(e) => {
            v.errors.push(Diagnostic::from_error("parse", e));
            v.valid = false;
            return Ok(v);
        }
    };
    let broken = pattern_errors(&policy, &mut v.errors);
    let lanes = Lanes::new(&policy);
    for role in &policy.roles {
        if !broken.contains(&role.name) {
            if let Err(e) = lanes.role_lane(role) {
                v.errors.push(Diagnostic::from_error("signal", e));
            }
        }
    }
    if v.errors.is_empty() {
        if let Err(e) = lanes.compile_all() {
            v.errors.push(Diagnostic::from_error("policy", e));
        }
    }
    v.valid = v.errors.is_empty();
    if !v.valid {
        return Ok(v);
    }
    let (files, truncated) = repo_files(&policy.root);
    v.files_scanned = files.len();
    v.files_truncated = truncated;
    Warnings {
        policy: &policy,
        lanes: &lanes,
        files: &files,
        out: &mut v.warnings,
    }
    .run();
    // In file order; findings about the repository as a whole (no line) last. Stable, so
    // findings at one place keep the order of the checks.
    v.warnings
        .sort_by_key(|d| (d.line.is_none(), d.line, d.column));
    Ok(v)
}

/// Compiles every pattern on its own and reports each bad one. Returns the roles with a bad
/// pattern (their lanes cannot be checked further).
fn pattern_errors(policy: &Policy, errors: &mut Vec<Diagnostic>) -> IndexSet<String> {
    let mut broken = IndexSet::new();
    let mut lists: Vec<(Option<&str>, &PatternList)> =
        vec![(None, &policy.protected), (None, &policy.shared)];
    lists.extend(
        policy
            .roles
            .iter()
            .map(|r| (Some(r.name.as_str()), &r.write)),
    );
    for (role, list) in lists {
        for p in list.patterns() {
            let single = PatternList::new(vec![p.to_pattern()]);
            if let Err(e) = policy.compile(&single) {
                errors.push(Diagnostic::from_error("pattern", e));
                if let Some(r) = role {
                    broken.insert(r.to_string());
                }
            }
        }
    }
    broken
}

/// Files of the repository at `root`, relative to it: tracked and untracked files that git
/// does not ignore (`.gitignore`, `.git/info/exclude`), never `.git` itself nor a nested
/// repository or worktree.
fn repo_files(root: &Path) -> (Vec<RepoPath>, bool) {
    let walk = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_global(false)
        .parents(false)
        .require_git(false)
        // Nested repositories and linked worktrees (`.claude/worktrees/*`) are other checkouts.
        .filter_entry(|e| {
            let nested = e.depth() > 0
                && e.file_type().is_some_and(|t| t.is_dir())
                && e.path().join(".git").exists();
            e.file_name() != ".git" && !nested
        })
        .build();
    let mut files = Vec::new();
    for entry in walk.flatten() {
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            continue;
        }
        if let Some(rp) = RepoPath::from_root(root, entry.path()) {
            if files.len() == MAX_FILES {
                return (files, true);
            }
            files.push(rp);
        }
    }
    files.sort_by(|a, b| a.as_path().cmp(b.as_path()));
    (files, false)
}

struct Warnings<'a> {
    policy: &'a Policy,
    /// The policy's lanes, compiled above.
    lanes: &'a Lanes<'a>,
    files: &'a [RepoPath],
    out: &'a mut Vec<Diagnostic>,
}

impl Warnings<'_> {
    fn warn(
        &mut self,
        code: &'static str,
        pattern: Option<&PatternRef<'_>>,
        key_hint: Option<String>,
        message: String,
    ) {
        let p = self.policy;
        let mut e = PolicyError::at(
            &p.file,
            p.source(),
            pattern.and_then(|p| p.span.clone()),
            message,
        );
        if e.key.is_none() {
            e.key = key_hint;
        }
        self.out.push(Diagnostic::from_error(code, e));
    }

    /// True when `pat` already has a warning (one warning per pattern is enough).
    fn flagged(&self, pat: &PatternRef<'_>) -> bool {
        let p = self.policy;
        let at = PolicyError::at(&p.file, p.source(), pat.span.clone(), String::new());
        pat.span.is_some()
            && self
                .out
                .iter()
                .any(|d| d.line == at.line && d.column == at.column)
    }

    fn run(&mut self) {
        self.roles_without_lanes();
        self.never_matching();
        self.unmatched();
        self.ownership();
    }

    fn roles_without_lanes(&mut self) {
        for role in &self.policy.roles {
            if !role.write.patterns().any(|p| !p.text.starts_with('!')) {
                let span = role_header_span(self.policy.source(), &role.name);
                let e =
                    PolicyError::at(&self.policy.file, self.policy.source(), span, String::new());
                let msg = format!(
                    "role `{}` has no lanes: it may write only the shared paths",
                    role.name
                );
                self.out.push(Diagnostic {
                    message: msg,
                    ..Diagnostic::from_error("no-lanes", e)
                });
            }
            if role.signal.is_none() && !role.signal_requires().is_empty() {
                self.warn(
                    "signal-requires",
                    None,
                    Some(format!("roles.{}.signal_requires", role.name)),
                    format!("role `{}` sets `signal_requires` but has no `signal` file, so nothing checks it", role.name),
                );
            }
        }
    }

    /// Patterns that can never grant a write: a `!pattern` with nothing before it to take out,
    /// and lanes whose fixed part lies in a protected path or another role's signal file.
    fn never_matching(&mut self) {
        let p = self.policy;
        for role in &p.roles {
            let actor = Actor::Role(role, RoleSource::Flag);
            let mut seen_positive = false;
            for pat in role.write.patterns() {
                if pat.text.starts_with('!') {
                    if !seen_positive {
                        let msg = format!(
                            "`{}` can never match: a `!pattern` only takes paths out of earlier patterns, and none comes before it",
                            pat.text
                        );
                        self.warn("never-matches", Some(&pat), None, msg);
                    }
                    continue;
                }
                seen_positive = true;
                let Some((probe, is_dir)) = fixed_part(pat.text) else {
                    continue;
                };
                let Ok(v) =
                    decide::decide(self.lanes, &actor, &Place::Project(probe.clone()), is_dir)
                else {
                    continue;
                };
                let why = match &v.rule {
                    Rule::Protected {
                        pattern,
                        builtin: true,
                    } => format!("it lies in the always-protected `{pattern}`"),
                    Rule::Protected { pattern, .. } => {
                        format!("it lies in the protected `{pattern}`")
                    }
                    Rule::OtherSignal { owner } => {
                        format!("`{probe}` is the signal file of role `{owner}`")
                    }
                    _ => continue,
                };
                let msg = format!(
                    "`{}` can never grant role `{}` a write: {why}",
                    pat.text, role.name
                );
                self.warn("never-matches", Some(&pat), None, msg);
            }
        }
    }

    /// Patterns of roles and `[protected]` that match no file of the repository. Shared lanes
    /// are left out: they usually name build output that a fresh checkout does not have.
    fn unmatched(&mut self) {
        let p = self.policy;
        let lists = p
            .roles
            .iter()
            .map(|r| &r.write)
            .chain(std::iter::once(&p.protected));
        let mut found = Vec::new();
        for list in lists {
            for pat in list.patterns() {
                if pat.text.starts_with('!') || self.flagged(&pat) {
                    continue;
                }
                let single = PatternList::new(vec![pat.to_pattern()]);
                let Ok(lane) = p.compile(&single) else {
                    continue;
                };
                if self.files.iter().any(|f| lane.find(f, false).is_some()) {
                    continue;
                }
                // Ignored or empty directories are not walked; a fixed path on disk counts.
                if fixed_part(pat.text).is_some_and(|(rp, _)| p.root.join(rp.as_path()).exists()) {
                    continue;
                }
                found.push(pat.clone());
            }
        }
        for pat in found {
            let msg = format!(
                "`{}` matches no file in the repository (a typo, or a path not created yet?)",
                pat.text
            );
            self.warn("no-match", Some(&pat), None, msg);
        }
    }

    /// Per file, every role's decision: paths in the lanes of several roles, and top-level
    /// paths that no role may write.
    fn ownership(&mut self) {
        let p = self.policy;
        // (role, pattern) pairs that overlap -> (files, first file).
        let mut shared: IndexMap<Vec<(String, String)>, (usize, String)> = IndexMap::new();
        // top-level entry -> some role may write something under it.
        let mut top: IndexMap<String, bool> = IndexMap::new();
        for f in self.files {
            let mut owners: Vec<(String, String)> = Vec::new();
            let mut writable = false;
            let mut protected = false;
            for role in &p.roles {
                let actor = Actor::Role(role, RoleSource::Flag);
                let Ok(v) = decide::decide(self.lanes, &actor, &Place::Project(f.clone()), false)
                else {
                    continue;
                };
                match v.rule {
                    Rule::OwnLane { pattern } => {
                        owners.push((role.name.clone(), pattern));
                        writable = true;
                    }
                    Rule::Shared { .. } => writable = true,
                    Rule::Protected { .. } => protected = true,
                    _ => {}
                }
            }
            if owners.len() > 1 {
                let e = shared.entry(owners).or_insert((0, f.to_string()));
                e.0 += 1;
            }
            if protected {
                continue;
            }
            let first = f
                .as_path()
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().into_owned());
            if let Some(first) = first {
                let is_dir = f.as_path().components().count() > 1;
                let name = if is_dir { format!("{first}/") } else { first };
                *top.entry(name).or_insert(false) |= writable;
            }
        }
        // Overlaps visible in the policy text alone (no file needed): a fixed pattern of one
        // role inside another role's lane.
        for role in &p.roles {
            for pat in role.write.patterns().filter(|x| !x.text.starts_with('!')) {
                if has_glob(pat.text) {
                    continue;
                }
                let Some((probe, is_dir)) = fixed_part(pat.text) else {
                    continue;
                };
                // Another role's signal file is reported by `never_matching`.
                if p.roles.iter().any(|r| r.signal.as_ref() == Some(&probe)) {
                    continue;
                }
                let mut owners = vec![(role.name.clone(), pat.text.to_string())];
                for other in p.roles.iter().filter(|o| o.name != role.name) {
                    if let Ok(Some(op)) = self
                        .lanes
                        .lane(&other.write)
                        .map(|l| l.find(&probe, is_dir))
                    {
                        owners.push((other.name.clone(), op.to_string()));
                    }
                }
                if owners.len() > 1 && !shared.keys().any(|k| same_pairs(k, &owners)) {
                    shared.insert(owners, (0, probe.to_string()));
                }
            }
        }
        for (owners, (count, example)) in shared {
            let who: Vec<String> = owners
                .iter()
                .map(|(r, pat)| format!("`{pat}` of {r}"))
                .collect();
            let files = match count {
                0 | 1 => format!("`{example}`"),
                n => format!("{n} files, e.g. `{example}`"),
            };
            let first_role = p.role(&owners[0].0);
            let pat = first_role.and_then(|r| find_pattern(r, &owners[0].1));
            let msg = format!(
                "lanes of several roles hold {files}: {}; each may overwrite the other's work",
                who.join(" and ")
            );
            self.warn("shared-lane", pat.as_ref(), None, msg);
        }
        for (name, writable) in top {
            if !writable {
                let msg = format!(
                    "`{name}` is in no role's lane: no role may write it (add it to a role, [shared] or [protected])"
                );
                self.warn("unowned", None, None, msg);
            }
        }
    }
}

fn same_pairs(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn find_pattern<'a>(role: &'a Role, text: &str) -> Option<PatternRef<'a>> {
    role.write.patterns().find(|p| p.text == text)
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

/// The fixed leading part of a positive pattern, as a path: `src/` -> (`src`, dir),
/// `docs/*.md` -> (`docs`, dir), `README.md` -> (`README.md`, file). `None` when the pattern
/// starts with a wildcard (`**/*.lock`).
fn fixed_part(pattern: &str) -> Option<(RepoPath, bool)> {
    let body = pattern.trim_start_matches('/');
    let parts: Vec<&str> = body.split('/').collect();
    let fixed: Vec<&str> = parts.iter().take_while(|c| !has_glob(c)).copied().collect();
    let whole = fixed.len() == parts.len();
    let text = fixed.join("/");
    let text = text.trim_end_matches('/');
    if text.is_empty() {
        return None;
    }
    let is_dir = !whole || body.ends_with('/');
    RepoPath::new(Path::new(text))
        .filter(|p| !p.is_root())
        .map(|p| (p, is_dir))
}

/// The byte range of a role's `[roles.NAME]` header, for a warning about the role as a whole.
fn role_header_span(source: &str, name: &str) -> Option<std::ops::Range<usize>> {
    for header in [format!("[roles.{name}]"), format!("[roles.\"{name}\"]")] {
        if let Some(at) = source.find(&header) {
            return Some(at + 1..at + header.len() - 1);
        }
    }
    None
}

impl Validation {
    /// Text for a terminal: one line per finding, then a summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for e in &self.errors {
            out.push_str(&format!("error: {e}\n"));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        let n = |k: usize, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
        if self.valid {
            out.push_str(&format!(
                "{} is valid: {} ({} files examined{})\n",
                self.file.display(),
                n(self.warnings.len(), "warning"),
                self.files_scanned,
                if self.files_truncated {
                    ", cut off"
                } else {
                    ""
                }
            ));
        } else {
            out.push_str(&format!(
                "{} is invalid: {}\n",
                self.file.display(),
                n(self.errors.len(), "error")
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_parts() {
        let f = |s: &str| fixed_part(s).map(|(p, d)| (p.to_string(), d));
        assert_eq!(f("src/"), Some(("src".into(), true)));
        assert_eq!(f("/src/lib.rs"), Some(("src/lib.rs".into(), false)));
        assert_eq!(f("docs/*.md"), Some(("docs".into(), true)));
        assert_eq!(f("**/*.lock"), None);
        assert_eq!(f("a/b/**"), Some(("a/b".into(), true)));
    }

    #[test]
    fn role_header_spans_point_inside_the_brackets() {
        let src = "mode = \"log\"\n[roles.builder]\n";
        let s = role_header_span(src, "builder").unwrap();
        assert_eq!(&src[s], "roles.builder");
    }
}
