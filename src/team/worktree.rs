//! A git worktree per role for `lanes up --worktrees`, and their removal by `lanes down
//! --remove-worktrees`, which never loses work: a worktree with uncommitted changes, untracked
//! files, files git ignores (but lanes' own `.lanes/`) or commits its main checkout lacks is
//! kept, with the reason.
//!
//! Each role works in `../<repo>-<role>` beside the main checkout, on the first literal name
//! among its `branches` (a pattern without glob characters), else `lanes/<role>`.

use crate::git::{Git, GitError};
use crate::policy::{Role, LANES_DIR};
use std::path::{Path, PathBuf};

/// A role's worktree, ready for its pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The role.
    pub role: String,
    /// The worktree's top level (`../<repo>-<role>`).
    pub checkout: PathBuf,
    /// Where the role works: the project's place in the worktree (its top level unless the
    /// policy lies in a subfolder of the repository).
    pub dir: PathBuf,
    /// The branch checked out there.
    pub branch: String,
    /// True when `up` created the worktree now; false when it was already there.
    pub created: bool,
}

/// What `down --remove-worktrees` did with one role's worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// Removed; `absorbed` audit records were added to the main checkout's log first.
    Removed {
        /// The worktree's top level.
        checkout: PathBuf,
        /// Lines of its audit log kept in the main checkout's log (0 when it had none).
        absorbed: usize,
    },
    /// Kept, and why (uncommitted changes, commits not merged, git refused).
    Kept {
        /// The worktree's top level.
        checkout: PathBuf,
        /// Why, for people.
        reason: String,
    },
}

/// The branch a role's worktree uses: the first of its `branches` without glob characters,
/// else `lanes/<role>`.
pub fn branch_for(role: &Role) -> String {
    role.branches()
        .iter()
        .find(|b| !b.is_empty() && !b.contains(['*', '?', '[', '{', '\\', '!']))
        .cloned()
        .unwrap_or_else(|| format!("lanes/{}", role.name))
}

/// The worktree of `role` beside `main` (the main checkout): `<parent>/<main's name>-<role>`,
/// with characters other than letters, digits, `.`, `_` and `-` in the role's name as `-`.
pub fn path_for(main: &Path, role: &str) -> PathBuf {
    let base = main
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".into());
    let safe: String = role
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    main.parent().unwrap_or(main).join(format!("{base}-{safe}"))
}

/// Creates (or finds) the worktree of each of `roles`. `main` is the main checkout and
/// `offset` the project root's place inside a checkout (empty when the policy lies at the top).
///
/// Errors: the path exists but is not a worktree of this repository; git refuses to add one
/// (the branch is checked out elsewhere, a bad branch name). Worktrees made before the error
/// stay (they are clean, and the next `up` reuses them).
pub fn prepare(
    git: &Git,
    main: &Path,
    offset: &Path,
    roles: &[&Role],
) -> Result<Vec<Place>, String> {
    let known = git.worktrees().map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(roles.len());
    for role in roles {
        let path = path_for(main, &role.name);
        let existing = known.iter().find(|w| same_path(&w.path, &path));
        let (branch, created) = match existing {
            Some(w) => (
                w.branch.clone().unwrap_or_else(|| "(detached HEAD)".into()),
                false,
            ),
            None if path.exists() => {
                return Err(format!(
                    "{} exists but is not a worktree of this repository; move it away or \
                     start without --worktrees",
                    path.display()
                ))
            }
            None => {
                let branch = branch_for(role);
                let create = !git.branch_exists(&branch).map_err(|e| e.to_string())?;
                git.worktree_add(&path, &branch, create)
                    .map_err(|e| format!("cannot add the worktree of role '{}': {e}", role.name))?;
                (branch, true)
            }
        };
        let checkout = path.canonicalize().unwrap_or(path);
        out.push(Place {
            role: role.name.clone(),
            // `join("")` would add a trailing `/`.
            dir: if offset.as_os_str().is_empty() {
                checkout.clone()
            } else {
                checkout.join(offset)
            },
            checkout,
            branch,
            created,
        });
    }
    Ok(out)
}

/// Removes the worktree of each of `roles` that exists and holds nothing that could be lost.
/// `audit` is the audit log's path inside a checkout (`None` when off) and `main_log` the
/// main checkout's log, which receives a removed worktree's records.
pub fn remove(
    git: &Git,
    main: &Path,
    roles: &[&Role],
    audit: Option<&Path>,
    main_log: Option<&Path>,
) -> Result<Vec<Removal>, GitError> {
    let known = git.worktrees()?;
    let main_head = git.head()?;
    let mut out = Vec::new();
    for role in roles {
        let path = path_for(main, &role.name);
        let Some(wt) = known.iter().find(|w| same_path(&w.path, &path)) else {
            continue;
        };
        let checkout = wt.path.clone();
        let kept = |reason: String| Removal::Kept {
            checkout: checkout.clone(),
            reason,
        };
        let here = Git::new(&checkout);
        let dirty = here.uncommitted()?;
        if !dirty.is_empty() {
            let shown: Vec<&str> = dirty
                .iter()
                .take(3)
                .map(|s| s.get(3..).unwrap_or(s))
                .collect();
            let more = if dirty.len() > 3 { ", ..." } else { "" };
            out.push(kept(format!(
                "it has uncommitted changes ({} path{}: {}{more})",
                dirty.len(),
                if dirty.len() == 1 { "" } else { "s" },
                shown.join(", ")
            )));
            continue;
        }
        // `git worktree remove` deletes ignored files silently (a role's notes in an ignored
        // folder, a `.env`): only lanes' own folder, whose audit log is kept below, may go.
        let ignored: Vec<String> = here
            .ignored()?
            .into_iter()
            .filter(|p| !p.starts_with(LANES_DIR) && !p.contains(&format!("/{LANES_DIR}")))
            .collect();
        if !ignored.is_empty() {
            let shown: Vec<&str> = ignored.iter().take(3).map(String::as_str).collect();
            let more = if ignored.len() > 3 { ", ..." } else { "" };
            out.push(kept(format!(
                "it holds files git ignores, which removing it would delete ({} path{}: {}{more}); \
                 keep what you need, then `git worktree remove --force {}`",
                ignored.len(),
                if ignored.len() == 1 { "" } else { "s" },
                shown.join(", "),
                checkout.display()
            )));
            continue;
        }
        if let (Some(head), Some(main_head)) = (&wt.head, &main_head) {
            if !git.is_ancestor(head, main_head)? {
                let on = wt.branch.as_deref().unwrap_or("its detached HEAD");
                out.push(kept(format!(
                    "{on} has commits the main checkout's HEAD does not contain: merge them first"
                )));
                continue;
            }
        }
        // Its audit log is ignored by git, so removal would delete it: keep the records.
        let mut absorbed = 0;
        if let (Some(rel), Some(main_log)) = (audit, main_log) {
            let log = checkout.join(rel);
            if let Ok(bytes) = std::fs::read(&log) {
                if let Err(e) = crate::audit::append_lines(main_log, &bytes) {
                    out.push(kept(format!(
                        "its audit log {} could not be added to {}: {e}",
                        log.display(),
                        main_log.display()
                    )));
                    continue;
                }
                absorbed = bytes
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .count();
                let _ = std::fs::remove_file(&log);
            }
        }
        match git.worktree_remove(&checkout) {
            Ok(()) => out.push(Removal::Removed { checkout, absorbed }),
            Err(e) => out.push(kept(format!("git would not remove it: {e}"))),
        }
    }
    Ok(out)
}

fn same_path(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}
