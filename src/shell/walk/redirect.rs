//! Redirects and descriptors: files a redirect opens, the descriptors it sets, and the
//! names under `/dev` and `/proc` that stand for a descriptor, the working directory or
//! the root (`/dev/fd/3`, `/proc/self/cwd`).

use super::aliases::is_plain_name;
use super::links::Resolved;
use super::{has_expansion, Cwd, Desc, State, Stdin, Var, Walker};
use crate::shell::ast::*;
use crate::shell::expand::Val;
use crate::shell::{is_harmless_device, Found, Kind, Target};
use crate::shell::{lexical, parse};
use std::path::{Path, PathBuf};

impl Walker<'_> {
    /// Walks a redirect list: files opened for writing are write targets, and each
    /// descriptor set is recorded in `st` (the caller restores them when they only last for
    /// one command). Returns what the command reads on standard input, when that matters to
    /// a model.
    pub(super) fn redirects(&mut self, redirs: &[Redirect], st: &mut State) -> Option<Stdin> {
        let mut stdin = None;
        for r in redirs {
            match r {
                Redirect::File(fd, open, w) => {
                    // The values go to a list kept for the next redirect: one allocation per
                    // walk, not one per redirect (a nested walk takes its own while it runs).
                    let mut vals = std::mem::take(&mut self.redirect_vals);
                    vals.clear();
                    self.expand_into(w, st, &mut vals);
                    let n = fd.unwrap_or(open.default_fd());
                    for v in &vals {
                        match open {
                            Open::Read if n == 0 => stdin = Some(Stdin::File(v.clone())),
                            Open::Read => {}
                            Open::Write
                            | Open::Append
                            | Open::WriteBoth
                            | Open::AppendBoth
                            | Open::ReadWrite => self.write(st, v, Kind::Write),
                        }
                    }
                    // Whatever the mode, `/dev/fd/N` now reopens this file (for writing too).
                    let desc = self.desc_of(st, &vals);
                    st.set_fd(n, desc.clone());
                    if matches!(open, Open::WriteBoth | Open::AppendBoth) {
                        st.set_fd(2, desc);
                    }
                    vals.clear();
                    self.redirect_vals = vals;
                }
                Redirect::Dup { fd, output, from } => {
                    let n = fd.unwrap_or(if *output { 1 } else { 0 });
                    let desc = match from {
                        Some(m) => st.fd(*m),
                        None => Desc::Harmless, // closed: nothing to reopen
                    };
                    st.set_fd(n, desc);
                }
                Redirect::HereDoc { fd, body, expand } => {
                    if *expand {
                        self.heredoc_substitutions(body, st);
                    }
                    let n = fd.unwrap_or(0);
                    st.set_fd(n, Desc::Harmless);
                    if n == 0 {
                        stdin = Some(Stdin::Text {
                            body: body.clone(),
                            literal: !*expand || !has_expansion(body),
                        });
                    }
                }
                Redirect::HereString(fd, w) => {
                    let v = self.expand_single(w, st);
                    let n = fd.unwrap_or(0);
                    st.set_fd(n, Desc::Harmless);
                    if n == 0 {
                        stdin = Some(match v {
                            Val::Known { text, .. } => Stdin::Text {
                                body: text,
                                literal: true,
                            },
                            _ => Stdin::Pipe,
                        });
                    }
                }
                Redirect::ProcSub(fd, s) => {
                    let mut copy = st.clone();
                    self.script(s, &mut copy);
                    // A pipe: on the descriptor named, or the `/dev/fd/63` the word names.
                    st.set_fd(fd.unwrap_or(63), Desc::Harmless);
                    if *fd == Some(0) {
                        stdin = Some(Stdin::Pipe);
                    }
                }
            }
        }
        stdin
    }

    /// What a descriptor opened on the paths `vals` names refers to.
    fn desc_of(&self, st: &State, vals: &[Val]) -> Desc {
        let mut targets = Vec::new();
        for v in vals {
            for cwd in &st.cwds {
                match self.open_target(st, cwd, v, false) {
                    Opened::None => {}
                    Opened::Fd(d) => match d {
                        Desc::Harmless => {}
                        Desc::Unknown => return Desc::Unknown,
                        Desc::Files(ts) => targets.extend(ts),
                    },
                    Opened::Target(t) => targets.push(t),
                }
            }
        }
        if targets.is_empty() {
            Desc::Harmless
        } else {
            Desc::Files(targets)
        }
    }

    fn heredoc_substitutions(&mut self, body: &str, st: &State) {
        if !has_expansion(body) {
            return;
        }
        if let Ok(pieces) = brush_parser::word::parse_heredoc(body, &parse::word_options()) {
            for p in pieces {
                if let brush_parser::word::WordPiece::CommandSubstitution(b)
                | brush_parser::word::WordPiece::BackquotedCommandSubstitution(b) = &p.piece
                {
                    let mut copy = st.clone();
                    self.nested_script(b, &mut copy, "a here-document substitution");
                }
            }
        } else {
            let mentions = lexical::mentions(body, &self.cx.cwd, self.cx.home.as_deref());
            self.push(Found::Unparseable {
                why: "a here-document body does not parse".into(),
                mentions,
            });
        }
    }

    /// `exec {fd}>f`: bash gives each such redirect a free descriptor (10 and up, in
    /// order here) and stores its number in the variable. Returns the redirects with those
    /// descriptors, when the command has that form.
    pub(super) fn exec_fd_vars(&mut self, s: &Simple, st: &mut State) -> Option<Vec<Redirect>> {
        let (first, names) = s.words.split_first()?;
        if first.0.as_str() != "exec" || names.is_empty() {
            return None;
        }
        let names: Vec<&str> = names
            .iter()
            .map(|w| w.0.strip_prefix('{')?.strip_suffix('}'))
            .collect::<Option<_>>()?;
        if !names.iter().all(|n| is_plain_name(n)) {
            return None;
        }
        let mut k = 0;
        let mut out = s.redirects.clone();
        for r in &mut out {
            let fd = match r {
                Redirect::File(fd @ None, ..)
                | Redirect::Dup { fd: fd @ None, .. }
                | Redirect::HereDoc { fd: fd @ None, .. }
                | Redirect::HereString(fd @ None, _)
                | Redirect::ProcSub(fd @ None, _) => fd,
                _ => continue,
            };
            let Some(name) = names.get(k) else { break };
            let n = 10 + k as u32;
            *fd = Some(n);
            st.set(name.to_string(), Var::Str(n.to_string()));
            k += 1;
        }
        Some(out)
    }

    /// What `v` names from `cwd`: a target, a descriptor (`/dev/fd/N`, `/dev/stdout`,
    /// `/proc/self/fd/N`), or nothing (an empty name, a device that changes no file).
    pub(super) fn open_target(&self, st: &State, cwd: &Cwd, v: &Val, tree: bool) -> Opened {
        self.open_target_with(st, cwd, v, tree, true)
    }

    /// [`Walker::open_target`]; see [`Walker::resolve_with`] for `follow_last`.
    pub(super) fn open_target_with(
        &self,
        st: &State,
        cwd: &Cwd,
        v: &Val,
        tree: bool,
        follow_last: bool,
    ) -> Opened {
        match v {
            Val::Known { text, glob } => {
                if text.is_empty() {
                    return Opened::None;
                }
                let Some(abs) = self.absolute(cwd, text) else {
                    return Opened::Target(Target::Unknown { prefix: None });
                };
                // Links made here first (one may point at `/dev/fd/3`), then the names
                // under `/dev` and `/proc` that stand for other files; a working directory
                // or root they stand for goes through the links once more.
                let mut path = match self.resolve_with(&abs, follow_last) {
                    Resolved::Path(p) => p,
                    Resolved::Unknown(prefix) => return Opened::Target(Target::Unknown { prefix }),
                };
                if names_dev_or_proc(&path) {
                    let norm = crate::path::normalize_lexically(&path);
                    let again = match proc_alias(&norm) {
                        Some(Alias::Fd(n, rest)) => return Opened::Fd(desc_below(st.fd(n), &rest)),
                        Some(Alias::Cwd(rest)) => match cwd {
                            Some(c) => c.join(rest),
                            None => return Opened::Target(Target::Unknown { prefix: None }),
                        },
                        Some(Alias::Root(rest)) => Path::new("/").join(rest),
                        Some(Alias::Unknown) => {
                            return Opened::Target(Target::Unknown { prefix: None })
                        }
                        None if is_harmless_device(&norm) => return Opened::None,
                        None => norm,
                    };
                    path = match self.resolve_with(&again, follow_last) {
                        Resolved::Path(p) => p,
                        Resolved::Unknown(prefix) => {
                            return Opened::Target(Target::Unknown { prefix })
                        }
                    };
                }
                Opened::Target(if *glob {
                    // The shell follows symlinks while it expands a glob: through one made
                    // here or already on disk below the glob's directory, a match may lie
                    // anywhere, so the target is only known by that directory.
                    match self.glob_escapes(&path) {
                        (dir, true) => Target::Unknown { prefix: Some(dir) },
                        (dir, false) => Target::Subtree(dir),
                    }
                } else if tree {
                    Target::Subtree(path)
                } else {
                    Target::Path(path)
                })
            }
            Val::Unknown { prefix } => {
                let dir = match prefix.rfind('/') {
                    Some(i) => Some(&prefix[..=i]),
                    None if !prefix.is_empty() => Some(""),
                    None => None,
                };
                let prefix = dir
                    .and_then(|d| self.absolute(cwd, if d.is_empty() { "." } else { d }))
                    .and_then(
                        |p| match self.resolve(&crate::path::normalize_lexically(&p)) {
                            Resolved::Path(p) => Some(p),
                            Resolved::Unknown(p) => p,
                        },
                    );
                Opened::Target(Target::Unknown { prefix })
            }
        }
    }
}

/// What a path opens: a target, a descriptor's file, or nothing.
pub(super) enum Opened {
    None,
    Target(Target),
    Fd(Desc),
}

/// A path under `/dev` or `/proc` that names something else.
enum Alias {
    /// Descriptor N of the shell (`/dev/fd/N`, `/dev/stdout`, `/proc/self/fd/N`), and the
    /// rest of the path below it (a descriptor opened on a directory).
    Fd(u32, PathBuf),
    /// The working directory (`/proc/self/cwd`), and the rest of the path.
    Cwd(PathBuf),
    /// The root (`/proc/self/root`), and the rest of the path.
    Root(PathBuf),
    /// Another process's descriptor, directory or root: not known.
    Unknown,
}

/// True when the path's text has a `/dev` or `/proc` component (normalising only drops
/// components, so a path without one in its text is none: the common case, which then
/// costs no allocation).
fn names_dev_or_proc(abs: &Path) -> bool {
    let b = abs.as_os_str().as_encoded_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'/' && (b[i + 1..].starts_with(b"dev") || b[i + 1..].starts_with(b"proc"))
    })
}

/// What a normalised path under `/dev` or `/proc` names, when it names another file.
fn proc_alias(norm: &Path) -> Option<Alias> {
    let fd_path = |rest: &Path| -> Option<Alias> {
        let mut c = rest.components();
        let n = c.next()?.as_os_str().to_str()?.parse().ok()?;
        Some(Alias::Fd(n, c.as_path().to_path_buf()))
    };
    match norm.to_str()? {
        "/dev/stdin" => return Some(Alias::Fd(0, PathBuf::new())),
        "/dev/stdout" => return Some(Alias::Fd(1, PathBuf::new())),
        "/dev/stderr" => return Some(Alias::Fd(2, PathBuf::new())),
        _ => {}
    }
    if let Ok(rest) = norm.strip_prefix("/dev/fd") {
        return fd_path(rest);
    }
    let rest = norm.strip_prefix("/proc").ok()?;
    let mut c = rest.components();
    let who = c.next()?.as_os_str().to_str()?;
    let own = matches!(who, "self" | "thread-self");
    if !own && !who.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let what = c.next()?.as_os_str().to_str()?;
    let below = c.as_path();
    match (own, what) {
        // Another process's (a pid: maybe this shell, maybe not).
        (false, "fd" | "cwd" | "root") => Some(Alias::Unknown),
        (true, "fd") => fd_path(below).or(Some(Alias::Unknown)),
        (true, "cwd") => Some(Alias::Cwd(below.to_path_buf())),
        (true, "root") => Some(Alias::Root(below.to_path_buf())),
        _ => None,
    }
}

/// What a descriptor's path names below it (`/dev/fd/3/x` when 3 is a directory).
fn desc_below(d: Desc, rest: &Path) -> Desc {
    if rest.as_os_str().is_empty() {
        return d;
    }
    match d {
        Desc::Files(ts) => Desc::Files(
            ts.into_iter()
                .map(|t| match t {
                    Target::Path(p) => Target::Path(p.join(rest)),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}
