//! Where a role's signal file is: in the checkout where that role works.
//!
//! With one worktree per agent, the researcher writes `research/DONE.md` in its own
//! worktree, so `lanes wait researcher` (and `after` in `lanes up`) must look there, not in
//! the waiting role's checkout. The checkout a role works in is the one whose branch (read
//! from its `HEAD`, see [`checkout::branch_of`]) the role's `branches` match.

use crate::checkout;
use crate::policy::{Lanes, Policy, PolicyError, Role};
use std::path::PathBuf;

/// Where a role's signal file was placed, and why there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The signal file, absolute.
    pub file: PathBuf,
    /// The project root in the checkout chosen.
    pub checkout: PathBuf,
    /// A note for people when the choice was not clear-cut: several checkouts have a branch
    /// of the role out (the first whose signal file exists wins, else the first), or none
    /// does (this checkout is used). `None` when exactly one matched, or the role maps no
    /// branches (then this checkout is the role's).
    pub note: Option<String>,
}

/// The signal file of `role` (which must be a role of `policy`), in the checkout where the
/// role works. `None` when the role has no `signal`.
///
/// Errors: a branch glob of the policy does not compile.
pub fn signal_file(policy: &Policy, role: &Role) -> Result<Option<Located>, PolicyError> {
    let Some(sig) = &role.signal else {
        return Ok(None);
    };
    let here = policy.root.clone();
    let at = |checkout: PathBuf, note: Option<String>| Located {
        file: checkout.join(sig.as_path()),
        checkout,
        note,
    };
    if role.branches().is_empty() {
        return Ok(Some(at(here, None)));
    }
    let lanes = Lanes::new(policy);
    let mut matching = Vec::new();
    for place in checkout::project_in_every_checkout(&policy.root) {
        let branch = checkout::top_of(&place).and_then(|top| checkout::branch_of(&top));
        let Some(branch) = branch else { continue };
        if lanes
            .role_for_branch(&branch)?
            .is_some_and(|r| r.name == role.name)
        {
            matching.push((place, branch));
        }
    }
    Ok(Some(match matching.len() {
        0 => at(
            here,
            Some(format!(
                "no checkout has a branch of role '{}' out ({}); looking in this checkout",
                role.name,
                role.branches().join(", ")
            )),
        ),
        1 => at(matching.remove(0).0, None),
        _ => {
            let listed: Vec<String> = matching
                .iter()
                .map(|(p, b)| format!("{} ({b})", p.display()))
                .collect();
            let pick = matching
                .iter()
                .position(|(p, _)| p.join(sig.as_path()).exists())
                .unwrap_or(0);
            let chosen = matching.swap_remove(pick).0;
            let note = format!(
                "several checkouts have a branch of role '{}' out: {}; using {}",
                role.name,
                listed.join(", "),
                chosen.display()
            );
            at(chosen, Some(note))
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::run_in_test_repo as git;
    use std::fs;
    use std::path::Path;

    #[test]
    fn finds_the_signal_in_the_worktree_whose_branch_maps_to_the_role() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let main = base.join("main");
        fs::create_dir_all(&main).unwrap();
        let text = "[roles.researcher]\nwrite = [\"research/\"]\nsignal = \"research/DONE.md\"\nbranches = [\"lanes/researcher*\"]\n[roles.builder]\nwrite = [\"src/\"]\nsignal = \"src/B.md\"\n";
        fs::write(main.join("lanes.toml"), text).unwrap();
        git(&main, &["init", "-q", "-b", "main"]);
        git(&main, &["add", "."]);
        git(&main, &["commit", "-q", "-m", "init"]);
        let load = |root: &Path| Policy::load(&root.join("lanes.toml")).unwrap();
        let policy = load(&main);
        let role = |p: &Policy, n: &str| p.role(n).unwrap().clone();
        // No checkout has the researcher's branch: here, with a note.
        let found = signal_file(&policy, &role(&policy, "researcher"))
            .unwrap()
            .unwrap();
        assert_eq!(found.file, main.join("research/DONE.md"));
        assert!(found.note.unwrap().contains("no checkout has a branch"));
        git(
            &main,
            &["worktree", "add", "-q", "../r1", "-b", "lanes/researcher"],
        );
        let found = signal_file(&policy, &role(&policy, "researcher"))
            .unwrap()
            .unwrap();
        assert_eq!(found.file, base.join("r1/research/DONE.md"));
        assert_eq!(found.note, None);
        // A role without branches: this checkout.
        let found = signal_file(&policy, &role(&policy, "builder"))
            .unwrap()
            .unwrap();
        assert_eq!(found.file, main.join("src/B.md"));
        // Two: the one whose file exists, said so.
        git(
            &main,
            &["worktree", "add", "-q", "../r2", "-b", "lanes/researcher-2"],
        );
        fs::create_dir_all(base.join("r2/research")).unwrap();
        fs::write(base.join("r2/research/DONE.md"), "x").unwrap();
        let found = signal_file(&policy, &role(&policy, "researcher"))
            .unwrap()
            .unwrap();
        assert_eq!(found.file, base.join("r2/research/DONE.md"));
        assert!(found.note.unwrap().contains("several checkouts"));
    }
}
