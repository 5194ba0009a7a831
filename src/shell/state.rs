//! What the walker knows at one point of a script ([`State`]): possible working
//! directories, variables (strings, arrays, unset, unknown), positional parameters,
//! functions, aliases, open descriptors and how command names are looked up; and how two
//! states that may each be the case are united (whatever they disagree on is unknown).
//! Symlinks ([`Link`]) are kept by the walker itself, since they outlive the process that
//! made them.

use super::ast::Command;
use super::expand::Val;
use super::Target;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Most working directories tracked at once; more collapse to "unknown".
pub(super) const MAX_CWDS: usize = 8;

/// A possible working directory; `None` is unknown.
pub(super) type Cwd = Option<PathBuf>;

/// A shell variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Var {
    /// A known string.
    Str(String),
    /// An array of (possibly unknown) elements.
    List(Vec<Val>),
    /// Unset in the script (`unset x`): empty, whatever the environment held.
    Unset,
    /// Not known statically.
    Unknown,
}

impl Var {
    /// From an optional known string.
    pub fn from_known(v: Option<String>) -> Var {
        v.map_or(Var::Unknown, Var::Str)
    }
}

/// What a file descriptor refers to, once the script changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Desc {
    /// What the shell inherited (the terminal, a pipe) or a device: writing changes no file.
    Harmless,
    /// Files (one per possible working directory).
    Files(Vec<Target>),
    /// Not known.
    Unknown,
}

/// How command names are looked up, once the script changed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Lookup {
    /// Why a command's name no longer says which program runs (`PATH` set to a directory
    /// lanes does not trust, `LD_PRELOAD`, ...): external commands are then opaque.
    pub untrusted: Option<String>,
    /// The directories that made it so (`PATH=docs:$PATH`): a program found there is
    /// judged as naming them.
    pub dirs: Vec<PathBuf>,
    /// `hash -p PATH NAME`: the program each name runs.
    pub hashed: Vec<(String, Val)>,
    /// Builtins replaced by `enable -f` (`*`: a name not known).
    pub replaced: Vec<String>,
}

impl Lookup {
    fn union(&mut self, other: Lookup) {
        if self.untrusted.is_none() {
            self.untrusted = other.untrusted;
        }
        for d in other.dirs {
            if !self.dirs.contains(&d) {
                self.dirs.push(d);
            }
        }
        for h in other.hashed {
            if !self.hashed.contains(&h) {
                self.hashed.push(h);
            }
        }
        for r in other.replaced {
            if !self.replaced.contains(&r) {
                self.replaced.push(r);
            }
        }
    }
}

/// What the walker knows at one point of the script.
#[derive(Debug, Clone)]
pub(super) struct State {
    pub cwds: Vec<Cwd>,
    pub oldpwd: Vec<Cwd>,
    pub stack: Vec<Vec<Cwd>>,
    /// Variables assigned in this command (absent: from the environment, unknown).
    pub vars: HashMap<String, Var>,
    /// Variables whose value cannot be tracked (namerefs and what they name; `*`: all).
    pub volatile: Vec<String>,
    /// Variables exported to child processes (`export`, `declare -x`, an assignment before
    /// a command); with `allexport` (`set -a`), every one.
    pub exported: Vec<String>,
    pub allexport: bool,
    /// Variables made read-only: a later assignment fails and leaves them as they were.
    pub readonly: Vec<String>,
    /// Variables whose value is stored lower- or upper-cased (`declare -l`, `-u`).
    pub cased: Vec<(String, bool)>,
    /// The positional parameters: `None` unknown (the top level), set by `set --` and by a
    /// function call's arguments.
    pub positional: Option<Vec<Val>>,
    pub funcs: HashMap<String, Rc<Command>>,
    /// Aliases defined in this command: name and value (`None`: unknown). A name `*`
    /// stands for aliases whose name is not known.
    pub aliases: Vec<(String, Option<String>)>,
    /// Descriptors changed by redirects (unlisted: 0-2 inherited, others unknown).
    pub fds: Vec<(u32, Desc)>,
    pub lookup: Lookup,
    /// True once more variables or functions were made than are tracked ([`MAX_TRACKED`]
    /// each): then untracked names count as unknown and the command gets an unparseable
    /// finding, so cloning the state stays cheap and nothing is guessed.
    pub overflow: bool,
}

/// Most variables, functions, aliases, symlinks, directories and kept scripts tracked per
/// command.
pub(super) const MAX_TRACKED: usize = 64;

impl State {
    /// A variable as an environment lookup sees it (git's `GIT_*`): `None` when the script has
    /// not set it or unset it, `Some(None)` when its value is not known statically (an
    /// array reads as unknown), `Some(Some(v))` when it is.
    pub fn var_text(&self, name: &str) -> Option<Option<&str>> {
        match self.vars.get(name)? {
            Var::Str(v) => Some(Some(v)),
            Var::Unset => None,
            Var::List(_) | Var::Unknown => Some(None),
        }
    }

    /// Sets a variable (`None`: unknown value), within [`MAX_TRACKED`].
    pub fn set_var(&mut self, name: String, value: Option<String>) {
        self.set(name, Var::from_known(value))
    }

    /// Sets a variable to `value`, within [`MAX_TRACKED`]; a volatile one stays unknown.
    pub fn set(&mut self, name: String, value: Var) {
        if !self.readonly.is_empty() && self.readonly.contains(&name) {
            return;
        }
        let value = if self.is_volatile(&name) {
            Var::Unknown
        } else {
            value
        };
        let value = match self.cased.iter().find(|(n, _)| *n == name) {
            Some((_, upper)) => recase(value, *upper),
            None => value,
        };
        if self.vars.len() < MAX_TRACKED || self.vars.contains_key(&name) {
            self.vars.insert(name, value);
        } else {
            self.overflow = true;
        }
    }

    /// Keeps the lists of variable attributes within [`MAX_TRACKED`]: past it, every
    /// variable is untracked.
    pub fn bound_attributes(&mut self) {
        if self.volatile.len() > MAX_TRACKED
            || self.readonly.len() > MAX_TRACKED
            || self.cased.len() > MAX_TRACKED
        {
            self.volatile = vec!["*".to_string()];
            self.readonly.clear();
            self.cased.clear();
        }
    }

    /// True when `name`'s value cannot be tracked (a nameref, or what one names).
    pub fn is_volatile(&self, name: &str) -> bool {
        !self.volatile.is_empty() && self.volatile.iter().any(|v| v == name || v == "*")
    }

    /// Records a function definition, within [`MAX_TRACKED`].
    pub fn set_func(&mut self, name: String, body: Rc<Command>) {
        if self.funcs.len() < MAX_TRACKED || self.funcs.contains_key(&name) {
            self.funcs.insert(name, body);
        } else {
            self.overflow = true;
        }
    }

    /// Records an alias, within [`MAX_TRACKED`].
    pub fn set_alias(&mut self, name: String, value: Option<String>) {
        self.aliases.retain(|(n, _)| *n != name);
        if self.aliases.len() < MAX_TRACKED {
            self.aliases.push((name, value));
        } else {
            self.overflow = true;
        }
    }

    /// Puts `name` in the shell's command hash table as `path` (`hash -p`, `BASH_CMDS[x]=`),
    /// replacing an earlier entry, within [`MAX_TRACKED`]: past it, the walk is marked as
    /// overflowing, so a text cannot grow the table (and its scans) without bound.
    pub fn set_hashed(&mut self, name: String, path: Val) {
        self.lookup.hashed.retain(|(n, _)| *n != name);
        if self.lookup.hashed.len() < MAX_TRACKED {
            self.lookup.hashed.push((name, path));
        } else {
            self.overflow = true;
        }
    }

    /// Marks `name` exported (within [`MAX_TRACKED`]; past it, everything is).
    pub fn export(&mut self, name: &str) {
        if self.exported.iter().any(|n| n == name) {
            return;
        }
        if self.exported.len() < MAX_TRACKED {
            self.exported.push(name.to_string());
        } else {
            self.allexport = true;
        }
    }

    /// The state a new shell process starts from (`bash -c`, `sh script`): variables not
    /// exported are not there (a value of the same name may come from the environment:
    /// unknown), nor are aliases; the positional parameters are `args`.
    pub fn child_shell(&self, args: Option<Vec<Val>>) -> State {
        let mut child = self.clone();
        if !self.allexport {
            for (name, v) in child.vars.iter_mut() {
                if !self.exported.iter().any(|n| n == name) {
                    *v = Var::Unknown;
                }
            }
        }
        child.aliases.clear();
        child.positional = args;
        child
    }

    /// What descriptor `fd` refers to.
    pub fn fd(&self, fd: u32) -> Desc {
        match self.fds.iter().find(|(n, _)| *n == fd) {
            Some((_, d)) => d.clone(),
            None if fd <= 2 => Desc::Harmless,
            // Not opened here: an inherited descriptor lanes knows nothing about.
            None => Desc::Unknown,
        }
    }

    /// Makes descriptor `fd` refer to `d`.
    /// True when the script opened or redirected `fd` itself (a pipe into a loop, `done <
    /// list`, `exec 0< f`), so it is no longer the one the shell inherited.
    pub fn fd_opened(&self, fd: u32) -> bool {
        self.fds.iter().any(|(n, _)| *n == fd)
    }

    pub fn set_fd(&mut self, fd: u32, d: Desc) {
        if let Some(slot) = self.fds.iter_mut().find(|(n, _)| *n == fd) {
            slot.1 = d;
        } else if self.fds.len() < MAX_TRACKED {
            self.fds.push((fd, d));
        } else {
            self.overflow = true;
        }
    }

    /// Unites `other` (another state the script may be in) into this one.
    pub fn union(&mut self, other: State) {
        self.overflow |= other.overflow;
        union_cwds(&mut self.cwds, other.cwds);
        union_cwds(&mut self.oldpwd, other.oldpwd);
        // A variable the branches disagree on, or that only one of them set, is unknown.
        let mut names: Vec<String> = self.vars.keys().cloned().collect();
        names.extend(
            other
                .vars
                .keys()
                .filter(|k| !self.vars.contains_key(*k))
                .cloned(),
        );
        for k in names {
            if self.vars.get(&k) != other.vars.get(&k) {
                self.set(k, Var::Unknown);
            }
        }
        for v in other.exported {
            if !self.exported.contains(&v) {
                self.exported.push(v);
            }
        }
        self.allexport |= other.allexport;
        for c in other.cased {
            if !self.cased.contains(&c) {
                self.cased.push(c);
            }
        }
        for v in other.readonly {
            if !self.readonly.contains(&v) {
                self.readonly.push(v);
            }
        }
        for v in other.volatile {
            if !self.volatile.contains(&v) {
                self.volatile.push(v);
            }
        }
        if self.positional != other.positional {
            self.positional = None;
        }
        for (k, v) in other.funcs {
            if !self.funcs.contains_key(&k) {
                self.set_func(k, v);
            }
        }
        for (n, v) in other.aliases {
            match self.aliases.iter().find(|(m, _)| *m == n) {
                Some((_, mine)) if *mine == v => {}
                Some(_) => self.set_alias(n, None),
                None => self.set_alias(n, v),
            }
        }
        for (fd, d) in other.fds {
            if self.fd(fd) != d {
                let merged = match (self.fd(fd), d) {
                    (Desc::Files(mut a), Desc::Files(b)) => {
                        a.extend(b);
                        Desc::Files(a)
                    }
                    (Desc::Harmless, Desc::Files(b)) | (Desc::Files(b), Desc::Harmless) => {
                        Desc::Files(b)
                    }
                    _ => Desc::Unknown,
                };
                self.set_fd(fd, merged);
            }
        }
        self.lookup.union(other.lookup);
    }

    /// `$PWD` when the working directory is known for certain.
    pub fn pwd(&self) -> Option<&Path> {
        match self.cwds.as_slice() {
            [Some(one)] => Some(one),
            _ => None,
        }
    }
}

/// Adds `other` to the working directories in `mine`; too many collapse to unknown.
pub(super) fn union_cwds(mine: &mut Vec<Cwd>, other: Vec<Cwd>) {
    for c in other {
        if !mine.contains(&c) {
            mine.push(c);
        }
    }
    if mine.len() > MAX_CWDS {
        *mine = vec![None];
    }
}

/// A symlink made in the command (or a place that may hold such links).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Link {
    /// The link's path, absolute and normalised; with `under`, the directory below which
    /// links of unknown names and targets may have been made (`/` for anywhere).
    pub at: PathBuf,
    /// Where it points (absolute, normalised); `None` when not known.
    pub to: Option<PathBuf>,
    /// The link's text when known (relative ones resolve from wherever the link is moved).
    pub raw: Option<String>,
    /// See `at`.
    pub under: bool,
}

/// `v` as a variable declared `-u` (`upper`) or `-l` stores it.
fn recase(v: Var, upper: bool) -> Var {
    let conv = |s: &str| {
        if upper {
            s.to_uppercase()
        } else {
            s.to_lowercase()
        }
    };
    match v {
        Var::Str(s) => Var::Str(conv(&s)),
        Var::List(l) => Var::List(
            l.into_iter()
                .map(|e| match e {
                    Val::Known { text, glob } => Val::Known {
                        text: conv(&text).into(),
                        glob,
                    },
                    // An unknown element's prefix would be changed too: all unknown.
                    Val::Unknown { .. } => Val::Unknown {
                        prefix: String::new(),
                    },
                })
                .collect(),
        ),
        other => other,
    }
}
