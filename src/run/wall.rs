//! The walls of a role session: the literal paths an OS sandbox denies to the role, and what
//! it leaves to the hook and `lanes check`.
//!
//! Every path is judged by [`decide_wall`] (the decision module), never here. This module
//! only chooses which paths to ask about: the literal part of every pattern of the policy,
//! the other roles' signal files, lanes' own files and the memory files Claude Code does not
//! protect (`CLAUDE.md`, `.gitignore`), and what exists on disk in the folders that are
//! denied to the role but hold something it may write (the project root, a lane of another
//! role that holds one of this role's lanes). A sandbox rule names a literal path and covers
//! everything below it (globs are skipped on Linux; sandbox-and-teams.md §1.2), so:
//!
//! - a glob lane is walled by the names that match it now; new matches are the hook's;
//! - a folder that holds a path the role may write is not walled itself; what it holds now
//!   is, one name at a time, and new names directly in it are the hook's (the root is one:
//!   the session starts there, so it stays writable anyway);
//! - git's folder (`.git`) is never walled, so the role can commit; Claude Code protects its
//!   hooks and config itself, and `lanes check` judges every commit.

use crate::decide::{decide_wall, Wall};
use crate::path::RepoPath;
use crate::policy::{Lanes, PolicyError, Role};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ffi::OsString;
use std::path::Path;

/// The most directory entries the walk of held folders looks at; past it, what is left is
/// the hook's, and [`Walls::truncated`] says where the walk stopped.
pub const WALK_BUDGET: usize = 5000;

/// Lanes' files that always get a wall when the role may not write them: the policy, lanes'
/// own folder, and the project files Claude Code's sandbox leaves writable
/// (sandbox-and-teams.md §1.5). `true`: a folder.
const ALWAYS_ASKED: &[(&str, bool)] = &[
    ("lanes.toml", false),
    (".lanes", true),
    ("CLAUDE.md", false),
    (".gitignore", false),
];

/// What the walls need to know of the disk, relative to the project root.
pub trait Tree {
    /// The entries of the folder `dir`: name, and whether it is a folder (a symbolic link is
    /// not followed, so it counts as a file). `None` when `dir` is not a readable folder.
    fn entries(&self, dir: &RepoPath) -> Option<Vec<(OsString, bool)>>;
    /// `Some(true)` for a folder, `Some(false)` for anything else that exists, `None` when
    /// nothing is there (a link is not followed).
    fn kind(&self, path: &RepoPath) -> Option<bool>;
}

/// The disk under a project root.
#[derive(Debug, Clone, Copy)]
pub struct Disk<'a>(pub &'a Path);

impl Tree for Disk<'_> {
    fn entries(&self, dir: &RepoPath) -> Option<Vec<(OsString, bool)>> {
        let read = std::fs::read_dir(self.0.join(dir.as_path())).ok()?;
        let mut out: Vec<(OsString, bool)> = read
            .filter_map(Result::ok)
            .map(|e| (e.file_name(), e.file_type().is_ok_and(|t| t.is_dir())))
            .collect();
        out.sort();
        Some(out)
    }

    fn kind(&self, path: &RepoPath) -> Option<bool> {
        std::fs::symlink_metadata(self.0.join(path.as_path()))
            .ok()
            .map(|m| m.is_dir())
    }
}

/// One walled path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denied {
    /// Relative to the project root.
    pub path: RepoPath,
    /// A folder (on disk, or named as one by the policy when it does not exist yet).
    pub dir: bool,
    /// Why the role may not write it ([`crate::decide::Rule`]'s short form).
    pub rule: String,
}

/// A path denied to the role that holds something the role may write, so it is not walled
/// whole: new names directly in it are left to the hook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    /// Relative to the project root (`.` for the root).
    pub path: RepoPath,
    /// The pattern that may open something below it.
    pub pattern: String,
}

/// A glob pattern of another role's lane or of a protected list: only what matches it now can
/// be walled, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GlobGap {
    /// The pattern as written.
    pub pattern: String,
    /// Whose it is: `lane of NAME`, `protected`, `always protected`.
    pub whose: String,
}

/// The walls of one role. Paths are sorted; none lies below another walled path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Walls {
    /// What the sandbox denies.
    pub denied: Vec<Denied>,
    /// Denied paths a sandbox rule cannot name (the absolute path holds `*`, `?`, `[`, `]`
    /// or `\`, which Claude Code reads as a glob and skips on Linux): the hook's.
    pub unnameable: Vec<Denied>,
    /// Folders denied to the role but holding what it may write: new names in them are the
    /// hook's.
    pub held: Vec<Held>,
    /// Glob patterns whose new matches are the hook's.
    pub globs: Vec<GlobGap>,
    /// Shared patterns starting with `**/` that the sandbox does not carve out of walled
    /// folders: there it is stricter than the policy.
    pub stricter: Vec<String>,
    /// The folder where the walk of held folders stopped after [`WALK_BUDGET`] entries.
    pub truncated: Option<RepoPath>,
}

/// The walls of `role` under the policy of `lanes`, with `tree` the project on disk.
///
/// Errors: a pattern list needed for a decision does not compile (named by file, line and
/// column).
pub fn walls(lanes: &Lanes<'_>, role: &Role, tree: &dyn Tree) -> Result<Walls, PolicyError> {
    let policy = lanes.policy();
    let mut w = Walker {
        lanes,
        role,
        tree,
        seen: BTreeSet::new(),
        denied: BTreeMap::new(),
        held: Vec::new(),
        queue: VecDeque::new(),
    };

    // The project root is never walled (the session starts there); walk what it holds.
    w.queue
        .push_back(RepoPath::new(Path::new("")).expect("the root"));
    let policy_file = policy
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    for (path, dir) in ALWAYS_ASKED {
        w.ask(path, *dir)?;
    }
    if let Some(name) = &policy_file {
        w.ask(name, false)?;
    }
    for other in policy.roles.iter().filter(|r| r.name != role.name) {
        if let Some(signal) = &other.signal {
            w.ask_path(signal.clone(), false)?;
        }
    }
    let lists = [&policy.builtin_protected, &policy.protected, &policy.shared]
        .into_iter()
        .chain(policy.roles.iter().map(|r| &r.write));
    for list in lists {
        for p in list.patterns() {
            if let Some((prefix, dir)) = literal_prefix(p.text) {
                w.ask(&prefix, dir)?;
            }
            // `**/NAME` also names NAME at the root (`.claude/`, `lanes.toml`).
            let anywhere = p.text.trim_start_matches('!').trim_start_matches('/');
            if let Some((prefix, dir)) = anywhere.strip_prefix("**/").and_then(literal_prefix) {
                w.ask(&prefix, dir)?;
            }
        }
    }
    let mut budget = WALK_BUDGET;
    let mut truncated = None;
    while let Some(dir) = w.queue.pop_front() {
        let Some(entries) = tree.entries(&dir) else {
            continue;
        };
        if entries.len() > budget {
            truncated = Some(dir);
            break;
        }
        budget -= entries.len();
        for (name, is_dir) in entries {
            if let Some(path) = RepoPath::new(&dir.as_path().join(name)) {
                w.ask_path(path, is_dir)?;
            }
        }
    }

    let root = &policy.root;
    let mut walls = Walls {
        truncated,
        ..Walls::default()
    };
    let denied: Vec<Denied> = w.denied.into_values().collect();
    let covered = |p: &RepoPath| {
        denied
            .iter()
            .any(|d| p.starts_with(&d.path) && *p != d.path)
    };
    for d in denied.iter().filter(|d| !covered(&d.path)) {
        if nameable(&root.join(d.path.as_path())) {
            walls.denied.push(d.clone());
        } else {
            walls.unnameable.push(d.clone());
        }
    }
    walls.held = w.held.into_iter().filter(|h| !covered(&h.path)).collect();
    walls.held.sort_by(|a, b| a.path.cmp(&b.path));
    walls.held.dedup_by(|a, b| a.path == b.path);

    let globbed = |text: &str| text.contains(['*', '?', '[']);
    let mut gap = |text: &str, whose: String| {
        let walled = literal_prefix(text)
            .and_then(|(p, _)| RepoPath::new(Path::new(&p)))
            .is_some_and(|p| walls.denied.iter().any(|d| p.starts_with(&d.path)));
        if !text.starts_with('!') && globbed(text) && !walled {
            walls.globs.push(GlobGap {
                pattern: text.to_string(),
                whose,
            });
        }
    };
    for p in policy.builtin_protected.patterns() {
        if p.text != "**/.git" {
            gap(p.text, "always protected".into());
        }
    }
    for p in policy.protected.patterns() {
        gap(p.text, "protected".into());
    }
    for other in policy.roles.iter().filter(|r| r.name != role.name) {
        for p in other.write.patterns() {
            gap(p.text, format!("lane of {}", other.name));
        }
    }
    walls.stricter = policy
        .shared
        .patterns()
        .map(|p| p.text)
        .filter(|t| t.trim_start_matches('/').starts_with("**/"))
        .map(str::to_string)
        .collect();
    Ok(walls)
}

/// The walk's state: paths asked about, their answers, and the held folders still to list.
struct Walker<'a, 'p> {
    lanes: &'a Lanes<'p>,
    role: &'a Role,
    tree: &'a dyn Tree,
    seen: BTreeSet<RepoPath>,
    denied: BTreeMap<RepoPath, Denied>,
    held: Vec<Held>,
    queue: VecDeque<RepoPath>,
}

impl Walker<'_, '_> {
    fn ask(&mut self, text: &str, dir: bool) -> Result<(), PolicyError> {
        match RepoPath::new(Path::new(text)) {
            Some(path) if !path.is_root() => self.ask_path(path, dir),
            _ => Ok(()),
        }
    }

    /// Judges `path` (a folder when the disk says so, else when `dir`), once.
    fn ask_path(&mut self, path: RepoPath, dir: bool) -> Result<(), PolicyError> {
        if is_git(&path) || !self.seen.insert(path.clone()) {
            return Ok(());
        }
        let on_disk = self.tree.kind(&path);
        let is_dir = on_disk.unwrap_or(dir);
        match decide_wall(self.lanes, self.role, &path, is_dir)? {
            Wall::Deny(rule) => {
                self.denied.insert(
                    path.clone(),
                    Denied {
                        path,
                        dir: is_dir,
                        rule: rule.to_string(),
                    },
                );
            }
            Wall::Holds { pattern, .. } => {
                if on_disk == Some(true) {
                    self.queue.push_back(path.clone());
                }
                self.held.push(Held { path, pattern });
            }
            Wall::Open(_) => {}
        }
        Ok(())
    }
}

/// True for git's own folder (or file, in a linked worktree) at any depth.
fn is_git(path: &RepoPath) -> bool {
    path.as_path().components().any(|c| c.as_os_str() == ".git")
}

/// The literal leading part of a pattern (`docs/*.md` -> `docs`, `src/` -> `src`), and
/// whether it names a folder (the pattern goes on past it, or ends in `/`). `None` when the
/// pattern starts with a glob (`**/x`, `*.md`): its literal part is the root.
fn literal_prefix(pattern: &str) -> Option<(String, bool)> {
    let text = pattern.trim_start_matches('!').trim_start_matches('/');
    let dir = text.ends_with('/');
    let comps: Vec<&str> = text.trim_end_matches('/').split('/').collect();
    let literal = comps
        .iter()
        .take_while(|c| !c.contains(['*', '?', '[', '\\']))
        .count();
    if literal == 0 {
        return None;
    }
    Some((comps[..literal].join("/"), dir || literal < comps.len()))
}

/// True when a sandbox rule can name `path` literally: Claude Code reads a path holding `*`,
/// `?`, `[` or `]` as a glob (and skips it on Linux); a backslash would be read as an escape.
pub fn nameable(path: &Path) -> bool {
    !path.to_string_lossy().contains(['*', '?', '[', ']', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefixes() {
        let t = |p: &str| literal_prefix(p);
        assert_eq!(t("src/"), Some(("src".into(), true)));
        assert_eq!(t("Cargo.toml"), Some(("Cargo.toml".into(), false)));
        assert_eq!(t("docs/*.md"), Some(("docs".into(), true)));
        assert_eq!(t("!src/vendor/"), Some(("src/vendor".into(), true)));
        assert_eq!(t("/a/b/**/c"), Some(("a/b".into(), true)));
        assert_eq!(t("**/node_modules/"), None);
        assert_eq!(t("*.lock"), None);
    }

    #[test]
    fn names_a_sandbox_rule_cannot_hold() {
        assert!(nameable(Path::new("/p/my docs/a b.txt")));
        for bad in ["/p/a*b", "/p/[x]", "/p/what?", "/p/a\\b"] {
            assert!(!nameable(Path::new(bad)), "{bad}");
        }
    }
}
