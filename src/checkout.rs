//! The other checkouts of the repository a project root belongs to: the main checkout and
//! every linked worktree (`git worktree add`, `claude --worktree`).
//!
//! The hook runs on every tool call, so this reads git's files directly instead of spawning
//! `git worktree list`: a linked worktree has a `.git` *file* (`gitdir: <common>/worktrees/<id>`),
//! the common directory lists each linked worktree in `worktrees/<id>/gitdir` (the path of that
//! worktree's `.git` file), and the main checkout is the parent of the common `.git` directory.
//! Format: git-worktree(1), "DETAILS"; gitrepository-layout(5), `worktrees/<id>/gitdir`.

use std::fs;
use std::path::{Path, PathBuf};

/// Every checkout of the repository `root` belongs to, `root` included, as canonical paths.
/// Empty when `root` is not a git checkout. Unreadable entries are skipped: a checkout lanes
/// cannot find is judged as "outside the project", never as in lane.
pub fn checkouts_of(root: &Path) -> Vec<PathBuf> {
    let Some(common) = common_dir(root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // The main checkout: `<main>/.git` is the common dir (a bare repository has none).
    if common.file_name().is_some_and(|n| n == ".git") {
        if let Some(main) = common.parent() {
            out.push(main.to_path_buf());
        }
    }
    if let Ok(entries) = fs::read_dir(common.join("worktrees")) {
        for entry in entries.flatten() {
            let Ok(text) = fs::read_to_string(entry.path().join("gitdir")) else {
                continue;
            };
            let dot_git = PathBuf::from(text.trim_end_matches(['\n', '\r']));
            if let Some(wt) = dot_git.parent() {
                out.push(wt.to_path_buf());
            }
        }
    }
    let mut out: Vec<PathBuf> = out
        .into_iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    if let Ok(root) = root.canonicalize() {
        if !out.contains(&root) {
            out.push(root);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The checkout whose root is `dir` or the nearest parent of `dir` holding a `.git` entry.
pub fn top_of(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| has_dot_git(d))
        .map(Path::to_path_buf)
}

/// The place `root` (a project root: the directory of `lanes.toml`) has in every checkout of
/// its repository, `root` first when it is one. A policy kept at `sub/lanes.toml` maps to
/// `<checkout>/sub` in each; a checkout without that directory is left out. Empty when `root`
/// is in no checkout. Used to find a role's signal file and the audit logs across worktrees.
pub fn project_in_every_checkout(root: &Path) -> Vec<PathBuf> {
    let Ok(root) = root.canonicalize() else {
        return Vec::new();
    };
    let Some(top) = top_of(&root) else {
        return Vec::new();
    };
    let Ok(offset) = root.strip_prefix(&top) else {
        return Vec::new();
    };
    let mut out = vec![root.clone()];
    for checkout in checkouts_of(&top) {
        // Joining an empty offset would add a trailing slash, shown in every message.
        let place = match offset.as_os_str().is_empty() {
            true => checkout,
            false => checkout.join(offset),
        };
        if place != root && place.is_dir() {
            out.push(place);
        }
    }
    out
}

/// The branch checked out at `checkout` (a checkout root), read from its `HEAD` file without
/// spawning git; `None` when `HEAD` is detached, unreadable or not a branch. Format:
/// gitrepository-layout(5), `HEAD` (`ref: refs/heads/<name>`).
pub fn branch_of(checkout: &Path) -> Option<String> {
    let git_dir = git_dir(checkout)?;
    let head = fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let name = head
        .trim_end()
        .strip_prefix("ref:")?
        .trim()
        .strip_prefix("refs/heads/")?;
    (!name.is_empty()).then(|| name.to_string())
}

/// The main checkout of the repository `root` belongs to (the parent of the common `.git`
/// directory), canonical; `None` for a bare repository or outside git.
pub fn main_of(root: &Path) -> Option<PathBuf> {
    let common = common_dir(root)?;
    if common.file_name()? != ".git" {
        return None;
    }
    common.parent().map(Path::to_path_buf)
}

/// True when `dir` holds a `.git` entry (file or directory), i.e. may be a checkout root.
pub fn has_dot_git(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(".git")).is_ok()
}

/// The checkout's own git directory: `.git` itself, or where a linked worktree's `.git` file
/// points (`gitdir: <path>`, relative to the checkout when not absolute).
fn git_dir(root: &Path) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    let meta = fs::symlink_metadata(&dot_git).ok()?;
    if meta.is_dir() {
        return Some(dot_git);
    }
    let text = fs::read_to_string(&dot_git).ok()?;
    let rel = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    Some(root.join(rel))
}

/// The repository's common git directory, found from a checkout root.
fn common_dir(root: &Path) -> Option<PathBuf> {
    let git_dir = git_dir(root)?;
    // A linked worktree's git dir names the common dir in `commondir` (relative to itself).
    let common = match fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => git_dir.join(text.trim_end_matches(['\n', '\r'])),
        Err(_) => git_dir,
    };
    common.canonicalize().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::run_in_test_repo as git;

    #[test]
    fn finds_main_checkout_and_linked_worktrees_from_either_side() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let main = base.join("main");
        fs::create_dir(&main).unwrap();
        git(&main, &["init", "-q"]);
        git(&main, &["commit", "-q", "--allow-empty", "-m", "init"]);
        git(&main, &["worktree", "add", "-q", "../wt", "-b", "wt"]);
        let want = vec![main.clone(), base.join("wt")];
        assert_eq!(checkouts_of(&main), want);
        assert_eq!(checkouts_of(&base.join("wt")), want);
    }

    #[test]
    fn maps_a_project_to_every_checkout_and_reads_each_branch() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let main = base.join("main");
        fs::create_dir_all(main.join("sub")).unwrap();
        git(&main, &["init", "-q", "-b", "trunk"]);
        fs::write(main.join("sub/keep"), "").unwrap();
        git(&main, &["add", "."]);
        git(&main, &["commit", "-q", "-m", "init"]);
        git(
            &main,
            &["worktree", "add", "-q", "../wt", "-b", "lanes/builder"],
        );
        assert_eq!(
            project_in_every_checkout(&base.join("wt/sub")),
            vec![base.join("wt/sub"), main.join("sub")]
        );
        assert_eq!(branch_of(&main).as_deref(), Some("trunk"));
        assert_eq!(
            branch_of(&base.join("wt")).as_deref(),
            Some("lanes/builder")
        );
        git(&main, &["checkout", "-q", "--detach"]);
        assert_eq!(branch_of(&main), None);
    }

    #[test]
    fn not_a_checkout_has_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(checkouts_of(dir.path()).is_empty());
    }
}
