//! Working directories: `cd`, `pushd` and `popd`, the directories made in the command
//! (a later `cd` into them succeeds), and every directory the script may have been in.

use super::links::Resolved;
use super::{Cwd, State, Var, Walker};
use crate::shell::expand::Val;
use crate::shell::state::{union_cwds, MAX_CWDS, MAX_TRACKED};
use std::path::PathBuf;

impl Walker<'_> {
    /// `cd`: changes the working directories in `st`.
    pub fn cd(&mut self, st: &mut State, target: Option<&Val>) {
        let old = st.cwds.clone();
        let mut new: Vec<Cwd> = Vec::new();
        match target {
            None => new.push(self.cx.home.clone()),
            Some(Val::Known { text, glob: false }) if text == "-" => new = st.oldpwd.clone(),
            Some(Val::Known { text, glob: false }) => {
                // `CDPATH` set in the script: a relative name is looked for below each of
                // its directories first.
                let searched = !(text.starts_with('/')
                    || text.starts_with("./")
                    || text.starts_with("../")
                    || text == "."
                    || text == "..");
                let cdpath = match st.vars.get("CDPATH") {
                    Some(Var::Str(p)) if searched && !p.is_empty() => Some(p.clone()),
                    Some(Var::Unknown) if searched => {
                        st.oldpwd = old;
                        st.cwds = vec![None];
                        return;
                    }
                    _ => None,
                };
                for cwd in &st.cwds {
                    if let Some(found) = cdpath.as_deref().and_then(|p| {
                        p.split(':').find_map(|dir| {
                            let base =
                                self.absolute(cwd, if dir.is_empty() { "." } else { dir })?;
                            let c = crate::path::normalize_lexically(&base.join(text.as_str()));
                            match self.resolve(&c) {
                                Resolved::Path(r) if r.is_dir() || self.made_dirs.contains(&r) => {
                                    Some(Some(c))
                                }
                                Resolved::Unknown(_) => Some(None),
                                _ => None,
                            }
                        })
                    }) {
                        new.push(found);
                        continue;
                    }
                    match self.absolute(cwd, text) {
                        Some(p) => {
                            let p = crate::path::normalize_lexically(&p);
                            // A `cd` into a directory that does not exist (and was not made
                            // here) fails and leaves the directory as it was (T56). Through a
                            // link made here, it exists when the link's target does.
                            let exists = match self.resolve(&p) {
                                Resolved::Path(r) => {
                                    r.is_dir()
                                        || self.made_dirs.contains(&p)
                                        || self.made_dirs.contains(&r)
                                }
                                Resolved::Unknown(_) => {
                                    new.push(None);
                                    continue;
                                }
                            };
                            let at = match self.resolve_with(&p, false) {
                                Resolved::Path(a) => a,
                                Resolved::Unknown(_) => p.clone(),
                            };
                            if exists || self.links.iter().any(|l| !l.under && l.at == at) {
                                new.push(Some(p));
                            } else if st.overflow || self.overflow {
                                new.push(None);
                            } else {
                                new.push(cwd.clone());
                            }
                        }
                        None => new.push(None),
                    }
                }
            }
            Some(_) => new.push(None),
        }
        st.cwds = Vec::new();
        union_cwds(&mut st.cwds, new);
        st.oldpwd = old;
        self.saw_cwds(st);
    }

    /// `pushd DIR` / `popd`.
    pub fn pushd(&mut self, st: &mut State, target: Option<&Val>) {
        let old = st.cwds.clone();
        match target {
            Some(t) => {
                self.cd(st, Some(t));
                st.stack.push(old);
            }
            None => {
                if let Some(top) = st.stack.pop() {
                    st.stack.push(old);
                    st.cwds = top;
                }
            }
        }
        self.saw_cwds(st);
    }

    /// `popd`.
    pub fn popd(&mut self, st: &mut State) {
        if let Some(top) = st.stack.pop() {
            st.oldpwd = std::mem::replace(&mut st.cwds, top);
        }
        self.saw_cwds(st);
    }

    /// Records a directory made in the command, within [`MAX_TRACKED`].
    pub fn add_dir(&mut self, dir: PathBuf) {
        if self.made_dirs.contains(&dir) {
            return;
        }
        if self.made_dirs.len() < MAX_TRACKED {
            self.made_dirs.push(dir);
        } else {
            self.overflow = true;
        }
    }

    /// Records that the script may be in the working directories of `st`.
    fn saw_cwds(&mut self, st: &State) {
        for c in &st.cwds {
            if !self.cwds_seen.contains(c) {
                self.cwds_seen.push(c.clone());
            }
        }
        if self.cwds_seen.len() > MAX_CWDS {
            self.cwds_seen = vec![None];
        }
    }
}
