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

/// True when `dir` holds a `.git` entry (file or directory), i.e. may be a checkout root.
pub fn has_dot_git(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(".git")).is_ok()
}

/// The repository's common git directory, found from a checkout root.
fn common_dir(root: &Path) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    let meta = fs::symlink_metadata(&dot_git).ok()?;
    let git_dir = if meta.is_dir() {
        dot_git
    } else {
        let text = fs::read_to_string(&dot_git).ok()?;
        let rel = text.lines().next()?.strip_prefix("gitdir:")?.trim();
        root.join(rel)
    };
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
    fn not_a_checkout_has_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(checkouts_of(dir.path()).is_empty());
    }
}
