//! The allow-list layout (`lanes run ROLE --layout allow-list`): the session starts inside the
//! role's first folder lane, and the sandbox leaves writable only that folder, the role's
//! other literal lanes, the literal shared lanes and git's folders (sandbox-and-teams.md §1.4
//! C: the folder a session starts in is a write root, the rest of the disk is read-only).
//! New files at the project root are then refused by the kernel too. What a literal path
//! cannot name (glob lanes) becomes read-only: there the sandbox is stricter than the policy.
//! The walls of the deny-list layout still apply inside the allowed folders.

use crate::policy::{Policy, Role};
use serde::Serialize;
use std::path::{Path, PathBuf};

use super::wall::Tree;

/// Where an allow-list session starts and what it may write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllowList {
    /// The start folder: the role's first folder lane that exists (absolute).
    pub start: PathBuf,
    /// The other paths the sandbox leaves writable (absolute): the role's other literal lanes,
    /// the literal shared lanes, git's folders.
    pub write: Vec<PathBuf>,
    /// The folders among the role's other lanes and the shared lanes, which Claude Code is
    /// told are working folders too (`permissions.additionalDirectories`), so its Write and
    /// Edit tools work there as in the start folder.
    pub dirs: Vec<PathBuf>,
    /// Patterns the sandbox cannot allow (globs): read-only to Bash, stricter than the policy.
    pub read_only: Vec<String>,
    /// Paths of `write` that do not exist when the session starts: the sandbox cannot make
    /// them writable, so Bash cannot create them in this session (observed on 2.1.330).
    pub absent: Vec<PathBuf>,
}

/// The allow-list of `role`: the start folder and what else stays writable, with `tree` the
/// project on disk and `git_dirs` git's folders of the checkout (absolute).
///
/// Errors: none of the role's folder lanes exists as a folder (the message says so).
pub fn allow_list(
    policy: &Policy,
    role: &Role,
    tree: &dyn Tree,
    git_dirs: &[PathBuf],
) -> Result<AllowList, String> {
    let root = &policy.root;
    let mut start = None;
    let mut write = Vec::new();
    let mut dirs = Vec::new();
    let mut read_only = Vec::new();
    let mut absent = Vec::new();
    let lists = role
        .write
        .patterns()
        .map(|p| (p.text, true))
        .chain(policy.shared.patterns().map(|p| (p.text, false)));
    for (text, own) in lists {
        if text.starts_with('!') {
            continue; // taken out again: the walls deny it
        }
        let Some(rel) = literal(text) else {
            read_only.push(text.to_string());
            continue;
        };
        let Some(path) = crate::path::RepoPath::new(Path::new(&rel)) else {
            continue;
        };
        let abs = root.join(path.as_path());
        let is_dir = tree.kind(&path) == Some(true);
        if own && is_dir && start.is_none() {
            start = Some(abs);
            continue;
        }
        if is_dir || text.ends_with('/') {
            dirs.push(abs.clone());
        }
        if tree.kind(&path).is_none() {
            absent.push(abs.clone());
        }
        write.push(abs);
    }
    let Some(start) = start else {
        return Err(format!(
            "the allow-list layout starts the session inside one of role {}'s folder lanes, and none of \
             them exists as a folder yet (create it, or use the default deny-list layout)",
            role.name
        ));
    };
    write.extend(git_dirs.iter().cloned());
    write.retain(|p| !p.starts_with(&start));
    dirs.retain(|p| !p.starts_with(&start));
    absent.retain(|p| !p.starts_with(&start));
    write.dedup();
    Ok(AllowList {
        start,
        write,
        dirs,
        read_only,
        absent,
    })
}

/// The path a literal pattern names (`src/` -> `src`), `None` for a glob.
fn literal(pattern: &str) -> Option<String> {
    let text = pattern.trim_start_matches('/');
    if text.contains(['*', '?', '[', '\\']) || text.trim_end_matches('/').is_empty() {
        return None;
    }
    Some(text.trim_end_matches('/').to_string())
}
