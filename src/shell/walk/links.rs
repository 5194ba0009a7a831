//! Symlinks made in the command and paths resolved through them: where a path lands,
//! the regions links of unknown names may lie in, and symlinks on disk below a glob's
//! directory.

use super::redirect::Opened;
use super::{Cwd, Link, State, Walker};
use crate::shell::expand::Val;
use crate::shell::state::MAX_TRACKED;
use crate::shell::Target;
use std::path::{Component, Path, PathBuf};

/// Most symlinks followed while resolving one path (a loop of links ends here).
const MAX_HOPS: usize = 16;

/// A path after the symlinks made in the command: where it lands, or unknown (with the
/// literal directory it is known to lie under, if any).
pub(super) enum Resolved {
    Path(PathBuf),
    Unknown(Option<PathBuf>),
}

impl Walker<'_> {
    /// `text` made absolute against `cwd` (`~` expanded already); `None` when the
    /// working directory is unknown and the text relative.
    pub fn absolute(&self, cwd: &Cwd, text: &str) -> Option<PathBuf> {
        let p = Path::new(text);
        if p.is_absolute() {
            return Some(p.to_path_buf());
        }
        // `cwd.join(p)`, allocated once at its final size.
        cwd.as_ref().map(|c| {
            let mut out = PathBuf::with_capacity(c.as_os_str().len() + 1 + text.len());
            out.push(c);
            out.push(p);
            out
        })
    }

    /// Where `abs` lands once the symlinks made in the command are followed, component by
    /// component (so `link/..` is the target's parent, as the kernel resolves it).
    pub(super) fn resolve(&self, abs: &Path) -> Resolved {
        self.resolve_with(abs, true)
    }

    /// [`Walker::resolve`]; with `follow_last` false, a link that is the path's last
    /// component is not followed (`rm link` and `ln -sf` change the link, not its target).
    pub(super) fn resolve_with(&self, abs: &Path, follow_last: bool) -> Resolved {
        if self.links.is_empty() {
            return Resolved::Path(abs.to_path_buf());
        }
        let parts = |p: &Path| -> Vec<std::ffi::OsString> {
            p.components()
                .rev()
                .filter_map(|c| match c {
                    Component::Normal(n) => Some(n.to_os_string()),
                    Component::ParentDir => Some("..".into()),
                    _ => None,
                })
                .collect()
        };
        let mut rest = parts(abs);
        let mut out = PathBuf::from("/");
        let mut hops = 0;
        while let Some(c) = rest.pop() {
            if c == ".." {
                out.pop();
                continue;
            }
            out.push(&c);
            if !follow_last && rest.is_empty() {
                break;
            }
            for l in self.links.iter().rev() {
                if l.under {
                    if out.starts_with(&l.at) && out != l.at {
                        return Resolved::Unknown(Some(l.at.clone()));
                    }
                    continue;
                }
                if out != l.at {
                    continue;
                }
                match &l.to {
                    None => return Resolved::Unknown(out.parent().map(Path::to_path_buf)),
                    Some(t) => {
                        hops += 1;
                        if hops > MAX_HOPS {
                            return Resolved::Unknown(None);
                        }
                        // Go on from the link's target, then the rest of the path.
                        rest.extend(parts(t));
                        out = PathBuf::from("/");
                        break;
                    }
                }
            }
        }
        Resolved::Path(out)
    }

    /// `abs` with the symlinks made in the command followed, normalised (`None`: not
    /// known).
    pub fn follow(&self, abs: &Path) -> Option<PathBuf> {
        match self.resolve(abs) {
            Resolved::Path(p) => Some(crate::path::normalize_lexically(&p)),
            Resolved::Unknown(_) => None,
        }
    }

    /// Records a symlink made at `link` (from each working directory) pointing to `target`
    /// (`None`: unknown); a relative target is read from the link's directory, or from the
    /// working directory with `from_cwd` (`ln -r`). A link of unknown name may be anywhere
    /// below its literal prefix: every path there becomes unknown.
    pub fn add_link(&mut self, st: &State, link: &Val, target: Option<&Val>, from_cwd: bool) {
        for cwd in &st.cwds {
            let at = match (link.literal(), cwd) {
                (Some(l), _) => self.absolute(cwd, l),
                _ => None,
            };
            let Some(at) = at else {
                let region = match self.open_target(st, cwd, link, false) {
                    Opened::Target(Target::Unknown { prefix: Some(p) }) => p,
                    _ => PathBuf::from("/"),
                };
                self.push_link(Link {
                    at: region,
                    to: None,
                    raw: None,
                    under: true,
                });
                continue;
            };
            // Where the link really is: its directory may itself be a link made here.
            let at = match self.resolve_with(&at, false) {
                Resolved::Path(p) => p,
                Resolved::Unknown(prefix) => {
                    self.push_link(Link {
                        at: prefix.unwrap_or_else(|| PathBuf::from("/")),
                        to: None,
                        raw: None,
                        under: true,
                    });
                    continue;
                }
            };
            let base = if from_cwd {
                cwd.clone()
            } else {
                at.parent().map(Path::to_path_buf)
            };
            // Kept as written below its base: a `..` in it is resolved when the link is
            // followed, component by component.
            let to = match target.and_then(Val::literal) {
                Some(t) if Path::new(t).is_absolute() => Some(PathBuf::from(t)),
                Some(t) => base.map(|b| b.join(t)),
                None => None,
            };
            // `ln -r` writes a text of its own: moved elsewhere, the link is not known.
            let raw = target
                .and_then(Val::literal)
                .filter(|t| !from_cwd || Path::new(t).is_absolute())
                .map(String::from);
            self.push_link(Link {
                at,
                to,
                raw,
                under: false,
            });
        }
    }

    /// Records that `dir` (and below) may now hold links lanes cannot see (an archive
    /// extracted there): every path below it is unknown from now on.
    pub fn add_link_region(&mut self, st: &State, dir: &Val) {
        for cwd in &st.cwds {
            let at = match self.open_target(st, cwd, dir, false) {
                Opened::Target(Target::Path(p) | Target::Subtree(p)) => p,
                Opened::Target(Target::Unknown { prefix: Some(p) }) => p,
                _ => PathBuf::from("/"),
            };
            self.push_link(Link {
                at,
                to: None,
                raw: None,
                under: true,
            });
        }
    }

    /// Records a link (within [`MAX_TRACKED`]; past it, every path is unknown).
    pub fn push_link(&mut self, l: Link) {
        if self.links.contains(&l) {
            return;
        }
        if self.links.len() >= MAX_TRACKED {
            self.overflow = true;
            self.links.push(Link {
                at: PathBuf::from("/"),
                to: None,
                raw: None,
                under: true,
            });
            return;
        }
        self.links.push(l);
    }

    /// The symlink made at `path` (from the first working directory), if one was.
    pub fn link_at(&self, st: &State, path: &Val) -> Option<Link> {
        let at = self.physical(st, path)?;
        self.links
            .iter()
            .rev()
            .find(|l| !l.under && l.at == at)
            .cloned()
    }

    /// The symlinks made below the directory `path` names, by their path relative to it
    /// (a directory moved or copied takes them along).
    pub fn links_below(&self, st: &State, path: &Val) -> Vec<(String, Option<String>)> {
        let Some(dir) = self.physical(st, path) else {
            return Vec::new();
        };
        self.links
            .iter()
            .filter(|l| !l.under)
            .filter_map(|l| {
                let rel = l.at.strip_prefix(&dir).ok()?;
                (!rel.as_os_str().is_empty())
                    .then(|| (rel.to_string_lossy().into_owned(), l.raw.clone()))
            })
            .collect()
    }

    /// Where `path` (a literal, from the first working directory) really is, its last
    /// component not followed.
    fn physical(&self, st: &State, path: &Val) -> Option<PathBuf> {
        let abs = self.absolute(st.cwds.first()?, path.literal()?)?;
        match self.resolve_with(&abs, false) {
            Resolved::Path(p) => Some(p),
            Resolved::Unknown(_) => None,
        }
    }

    /// True when the matches of the glob `text` (as written, relative to the working
    /// directory) may lie outside the glob's directory: a symlink made here or on disk below
    /// it, or a working directory that is not known.
    pub(super) fn glob_may_escape(&self, st: &State, text: &str) -> bool {
        let abs = match st.pwd() {
            Some(cwd) => crate::path::normalize_lexically(&cwd.join(text)),
            None if text.starts_with('/') => crate::path::normalize_lexically(Path::new(text)),
            None => return true,
        };
        self.glob_escapes(&abs).1
    }

    /// The directory of the glob `abs` (absolute) before its first glob component, and
    /// whether a match may lie outside it: a link made so far in the command, or a symlink
    /// on disk down to the glob's depth, below that directory (the shell follows links while
    /// it expands a glob).
    pub(super) fn glob_escapes(&self, abs: &Path) -> (PathBuf, bool) {
        let dir = glob_dir(abs);
        let depth = abs
            .components()
            .count()
            .saturating_sub(dir.components().count());
        let escapes = self.links_may_reach_below(&dir) || symlink_below(&dir, depth);
        (dir, escapes)
    }

    /// True when a link made so far in the command may lie below `dir` (or links of unknown
    /// names were made in a directory that holds it).
    pub(super) fn links_may_reach_below(&self, dir: &Path) -> bool {
        self.links
            .iter()
            .any(|l| l.at.starts_with(dir) || (l.under && dir.starts_with(&l.at)))
    }
}

/// How many directory entries [`symlink_below`] looks at before it answers "maybe".
const SYMLINK_SCAN: usize = 4096;

/// True when a symlink may lie within `depth` levels below `dir` on disk (a scan of at most
/// [`SYMLINK_SCAN`] entries; past that, or on an unreadable directory, it may).
pub(super) fn symlink_below(dir: &Path, depth: usize) -> bool {
    let mut level = vec![dir.to_path_buf()];
    let mut seen = 0;
    for _ in 0..depth {
        let mut next = Vec::new();
        for d in &level {
            let Ok(entries) = std::fs::read_dir(d) else {
                // Missing: nothing below it. Unreadable: it may hold anything.
                if d.exists() {
                    return true;
                }
                continue;
            };
            for e in entries {
                seen += 1;
                let Ok(e) = e else { return true };
                if seen > SYMLINK_SCAN {
                    return true;
                }
                match e.file_type() {
                    Ok(t) if t.is_symlink() => return true,
                    Ok(t) if t.is_dir() => next.push(e.path()),
                    Ok(_) => {}
                    Err(_) => return true,
                }
            }
        }
        level = next;
    }
    false
}

/// The directory part of a glob before its first component with a glob character.
pub(super) fn glob_dir(abs: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in abs.components() {
        if c.as_os_str().to_string_lossy().contains(['*', '?', '[']) {
            break;
        }
        out.push(c);
    }
    out
}
