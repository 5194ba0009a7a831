//! Which lanes projects a tool call reaches: every path it names is judged by the policy of
//! the project that path lies in, wherever the call's `cwd` is.
//!
//! Without this, a role whose call runs from outside its project (a `cwd` in `/tmp`, or in
//! another project) would find no policy, or the wrong one, and write into its project by
//! absolute path. The hook judges the call once under the policy found from its `cwd`, and
//! once more under each other policy that governs a path the call names: with a policy, the
//! paths its judging located outside the project; without one, every path the call names.

use crate::path;
use crate::policy;
use crate::shell::{Finding, Found, Target};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Collects the governing policies of the paths a call names, looking each directory up once.
#[derive(Debug, Default)]
pub struct Reach {
    /// Directory -> its governing policy file (outermost `lanes.toml` above it), if any.
    known: HashMap<PathBuf, Option<PathBuf>>,
    /// The policies found, other than the one the call is already judged by.
    found: BTreeSet<PathBuf>,
}

impl Reach {
    /// Notes the governing policy of the absolute path `p`.
    pub fn note(&mut self, p: &Path) {
        self.note_at(p, false);
    }

    /// [`Reach::note`] for a directory the call works in (the directory itself is looked in).
    pub fn note_dir(&mut self, d: &Path) {
        self.note_at(d, true);
    }

    fn note_at(&mut self, p: &Path, is_dir: bool) {
        // Physical, so a symlink outside pointing into a project counts for that project. A
        // path that cannot be resolved (too long, unreadable) is left to the judging, which
        // blocks on it under a policy; with none, the kernel would refuse it too.
        let Ok(real) = path::resolve(p) else {
            return;
        };
        let dir = match real.parent() {
            Some(parent) if !is_dir => parent.to_path_buf(),
            _ => real,
        };
        let governing = self
            .known
            .entry(dir)
            .or_insert_with_key(|dir| policy::find(dir, None))
            .clone();
        if let Some(file) = governing {
            self.found.insert(file);
        }
    }

    /// Notes every path a Bash finding names (written targets, where opaque programs and git
    /// run, paths their text names).
    pub fn note_finding(&mut self, f: &Finding) {
        let note_dirs = |dirs: &[Option<PathBuf>], this: &mut Reach| {
            for d in dirs.iter().flatten() {
                this.note_dir(d);
            }
        };
        match &f.effect {
            Found::Write { target, .. } => match target {
                Target::Path(p) | Target::Subtree(p) => self.note(p),
                Target::Unknown { prefix: Some(p) } => self.note_dir(p),
                Target::Unknown { prefix: None } => {}
            },
            Found::Opaque { cwds, mentions, .. } => {
                note_dirs(cwds, self);
                for m in mentions {
                    self.note(m);
                }
            }
            Found::RepoWide { cwds, .. } => note_dirs(cwds, self),
            Found::Unparseable { mentions, .. } => {
                for m in mentions {
                    self.note(m);
                }
            }
            Found::Tamper { .. } => {}
        }
    }

    /// The policy files found, except `primary`, in path order.
    pub fn others(self, primary: Option<&Path>) -> Vec<PathBuf> {
        self.found
            .into_iter()
            .filter(|f| Some(f.as_path()) != primary)
            .collect()
    }
}
