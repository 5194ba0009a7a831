//! Writes: each recorded as a finding, and logged with the text the file then holds when
//! that is literal (a script the command writes and runs later is read from the log).

use super::redirect::Opened;
use super::{Desc, State, Walker, MAX_FINDINGS};
use crate::shell::ast::*;
use crate::shell::expand::Val;
use crate::shell::{Found, Kind, Target};
use std::path::{Path, PathBuf};

impl Walker<'_> {
    /// Records a write of the path `v` names, from every possible working directory.
    pub fn write(&mut self, st: &State, v: &Val, kind: Kind) {
        self.write_targets(st, v, false, kind);
    }

    /// Records a write of `v` and everything below it.
    pub fn write_tree(&mut self, st: &State, v: &Val, kind: Kind) {
        self.write_targets(st, v, true, kind);
    }

    fn write_targets(&mut self, st: &State, v: &Val, tree: bool, kind: Kind) {
        // Deleting or making a link changes the link itself, not where it points.
        let follow = !matches!(kind, Kind::Delete | Kind::Link);
        // One working directory (nearly always): no list to build.
        if let [cwd] = st.cwds.as_slice() {
            match self.open_target_with(st, cwd, v, tree, follow) {
                Opened::None => {}
                Opened::Target(target) => self.push_write(target, kind),
                Opened::Fd(d) => self.write_desc(d, kind),
            }
            return;
        }
        let mut seen: Vec<Target> = Vec::new();
        for cwd in &st.cwds {
            match self.open_target_with(st, cwd, v, tree, follow) {
                Opened::None => {}
                Opened::Target(t) => {
                    if !seen.contains(&t) {
                        seen.push(t.clone());
                        self.push_write(t, kind);
                    }
                }
                Opened::Fd(d) => self.write_desc(d, kind),
            }
        }
    }

    /// A write through a descriptor's path (`/dev/fd/3`): the file it was opened on.
    fn write_desc(&mut self, d: Desc, kind: Kind) {
        match d {
            Desc::Harmless => {}
            Desc::Unknown => self.push_write(Target::Unknown { prefix: None }, kind),
            Desc::Files(ts) => {
                for target in ts {
                    self.push_write(target, kind);
                }
            }
        }
    }

    /// Records a write: a finding, and an entry in the log of what files hold.
    fn push_write(&mut self, target: Target, kind: Kind) {
        // Permissions and new directories leave a file's text as it was.
        if !matches!(kind, Kind::Metadata | Kind::MakeDir) {
            self.log_written(target.clone(), None);
        }
        self.push(Found::Write { target, kind });
    }

    /// Notes what a command's literal output leaves in the file its standard output was
    /// redirected to (the last redirect of descriptor 1 decides; `>>` appends).
    pub(super) fn log_output(&mut self, s: &Simple, st: &State, out: String, before: usize) {
        let Desc::Files(ts) = st.fd(1) else { return };
        let [Target::Path(p)] = ts.as_slice() else {
            return;
        };
        let p = &crate::path::normalize_lexically(p);
        let last = s.redirects.iter().rev().find(|r| match r {
            Redirect::File(fd, open, _) => fd.unwrap_or(open.default_fd()) == 1,
            Redirect::Dup { fd, output, .. } => fd.unwrap_or(if *output { 1 } else { 0 }) == 1,
            _ => false,
        });
        let content = match last {
            Some(Redirect::File(_, Open::Write | Open::WriteBoth, _)) => Some(out),
            Some(Redirect::File(_, Open::Append | Open::AppendBoth, _)) => {
                // What the file held before this command's own redirect.
                match self.written_content_upto(p, before) {
                    Some(Some(before)) => Some(format!("{before}{out}")),
                    Some(None) => None,
                    None if !p.exists() => Some(out),
                    None => None,
                }
            }
            _ => return,
        };
        self.log_written(Target::Path(p.clone()), content);
    }

    /// Notes that `target` now holds `content` (`None`: not known), newest last.
    fn log_written(&mut self, target: Target, content: Option<String>) {
        let norm = |p: &PathBuf| crate::path::normalize_lexically(p);
        let target = match target {
            Target::Path(p) => Target::Path(norm(&p)),
            Target::Subtree(p) => Target::Subtree(norm(&p)),
            Target::Unknown { prefix } => Target::Unknown {
                prefix: prefix.as_ref().map(norm),
            },
        };
        if self.written.len() >= MAX_FINDINGS {
            // Too many to keep: from now on every file may have been written.
            self.written.clear();
            self.written.push((Target::Unknown { prefix: None }, None));
        }
        self.written.push((target, content));
    }

    /// What the command has written to `path` (absolute, normalised) so far: `None` when
    /// nothing did, `Some(None)` when something did with content lanes cannot know, and
    /// `Some(Some(text))` when the last write was literal text (`echo`, `printf`, `cat` of
    /// a here-document). A script file read at hook time is stale once written.
    pub fn written_content(&self, path: &Path) -> Option<Option<&str>> {
        self.written_content_upto(path, self.written.len())
    }

    /// [`Walker::written_content`] as it was after the first `upto` writes.
    fn written_content_upto(&self, path: &Path, upto: usize) -> Option<Option<&str>> {
        self.written[..upto.min(self.written.len())]
            .iter()
            .rev()
            .find_map(|(t, c)| {
                let covers = match t {
                    Target::Path(p) => p == path,
                    Target::Subtree(p) => path.starts_with(p),
                    Target::Unknown { prefix: Some(p) } => path.starts_with(p),
                    Target::Unknown { prefix: None } => true,
                };
                let content = match t {
                    Target::Path(_) => c.as_deref(),
                    _ => None,
                };
                covers.then_some(content)
            })
    }
}
