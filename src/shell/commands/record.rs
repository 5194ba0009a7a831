//! What the models of every family record besides a plain written path: opaque programs
//! (with the paths their text names), attempts to switch lanes off, every operand written,
//! and a path or a subtree depending on what is on disk.

use super::args::{self, lit, Opts};
use crate::shell::expand::Val;
use crate::shell::walk::{Desc, State, Stdin, Walker};
use crate::shell::{Found, Kind, Target};
use std::path::PathBuf;

/// Variables that say who the agent is or which policy applies.
const TAMPER_VARS: &[&str] = &["LANES_ROLE", "LANES_POLICY", "CLAUDE_CODE_AGENT"];

/// Records that the simple command being walked tampers with lanes.
pub(super) fn tamper_found(w: &mut Walker, what: &str) {
    w.push(Found::Tamper {
        what: what.to_string(),
        role: None,
    });
}

/// Flags assignments to the variables that say who the agent is. `value` is the literal
/// value assigned, if any: setting `LANES_ROLE` or `CLAUDE_CODE_AGENT` to the session's own
/// role changes nothing, which the hook checks.
pub(in crate::shell) fn check_tamper(w: &mut Walker, name: &str, value: Option<&str>, verb: &str) {
    let base = name.split(['[', '=']).next().unwrap_or(name);
    if TAMPER_VARS.contains(&base) {
        let role = value
            .filter(|_| base != "LANES_POLICY" && !name.contains('['))
            .map(String::from);
        let what = match value {
            Some(v) => format!("{verb} {base}={v}"),
            None => format!("{verb} {base}"),
        };
        w.push(Found::Tamper { what, role });
    }
}

/// An opaque program: recorded with its working directories and the paths it names.
pub(super) fn opaque(
    w: &mut Walker,
    st: &State,
    program: &str,
    args: &[Val],
    stdin: Option<&Stdin>,
) {
    let mentions = mentions_of(w, st, args, stdin);
    w.push(Found::Opaque {
        program: program.to_string(),
        cwds: st.cwds.clone(),
        mentions,
    });
}

/// An opaque program named by something other than its words (an alias lanes cannot
/// read): its words and the whole command are scanned for paths.
pub(in crate::shell) fn opaque_named(w: &mut Walker, st: &State, program: &str, args: &[Val]) {
    let mut mentions = mentions_of(w, st, args, None);
    for cwd in st.cwds.iter().flatten() {
        for m in w.text_mentions(cwd) {
            if !mentions.contains(&m) {
                mentions.push(m);
            }
        }
    }
    w.push(Found::Opaque {
        program: program.to_string(),
        cwds: st.cwds.clone(),
        mentions,
    });
}

/// An opaque program whose path operands are inputs (test runners, type checkers).
pub(super) fn opaque_reader(w: &mut Walker, st: &State, program: &str, _args: &[Val]) {
    w.push(Found::Opaque {
        program: program.to_string(),
        cwds: st.cwds.clone(),
        mentions: Vec::new(),
    });
}

/// The paths an opaque program's words (and a literal standard input) name, from each known
/// working directory.
fn mentions_of(w: &Walker, st: &State, args: &[Val], stdin: Option<&Stdin>) -> Vec<PathBuf> {
    let mut text: String = args
        .iter()
        .skip(1)
        .map(|a| a.text())
        .collect::<Vec<_>>()
        .join(" ");
    // A dynamic command name, or a dynamic word given to something that runs its arguments
    // as code (`eval "$(…)"`, `python3 -c "$CODE"`), is scanned as written, with the whole
    // command: the data it was built from may lie anywhere in it (`c=$(printf 'rm docs')`).
    // Not for other programs: `gh pr create --body "$(cat <<EOF …)"` may well mention
    // other lanes' files in prose.
    let runs_code = match args.first() {
        Some(Val::Known { text, .. }) => {
            let name = text.rsplit('/').next().unwrap_or(text);
            matches!(
                name,
                "eval"
                    | "bash"
                    | "sh"
                    | "zsh"
                    | "dash"
                    | "ksh"
                    | "node"
                    | "perl"
                    | "ruby"
                    | "php"
                    | "deno"
                    | "bun"
            ) || name.starts_with("python")
        }
        _ => true,
    };
    // A script read from a process substitution (`bash <(…)`, `source <(…)`) is in the
    // command's own text.
    let procsub = args
        .iter()
        .skip(1)
        .any(|a| a.known().is_some_and(|t| t.starts_with("/dev/fd/")));
    let sources = matches!(args.first().and_then(Val::known), Some("source" | "."));
    if (runs_code || sources) && procsub {
        text.push('\n');
        text.push_str(&w.frag);
    }
    let whole = runs_code && args.iter().any(|a| matches!(a, Val::Unknown { .. }));
    if whole {
        text.push('\n');
        text.push_str(&w.frag);
    }
    if let Some(Stdin::Text { body, .. }) = stdin {
        text.push('\n');
        text.push_str(body);
    }
    let mut out = Vec::new();
    for cwd in st.cwds.iter().flatten() {
        for m in crate::shell::lexical::mentions(&text, cwd, w.cx.home.as_deref()) {
            if !out.contains(&m) {
                out.push(m);
            }
        }
        if whole {
            for m in w.text_mentions(cwd) {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
    }
    // Files the script opened on other descriptors: the program inherits them and may
    // write them through `/dev/fd/N`.
    for (fd, d) in &st.fds {
        if let (3.., Desc::Files(ts)) = (*fd, d) {
            for t in ts {
                if let Target::Path(p) | Target::Subtree(p) = t {
                    if !out.contains(p) {
                        out.push(p.clone());
                    }
                }
            }
        }
    }
    out
}

/// Writes every operand (options in `short`/`long` take a value).
pub(super) fn operands_written(
    w: &mut Walker,
    st: &State,
    rest: &[Val],
    short: &str,
    long: &[&str],
    kind: Kind,
) {
    for v in Opts::parse(rest, short, long).operands {
        w.write(st, &v, kind);
    }
}

/// True when `v` names an existing directory from the (first known) working directory.
pub(super) fn is_dir(w: &Walker, st: &State, v: &Val) -> bool {
    let Some(t) = v.literal() else { return false };
    st.cwds
        .iter()
        .any(|c| w.absolute(c, t).is_some_and(|p| p.is_dir()))
}

/// Writes `v`, as a subtree when it is `.` or an existing directory.
pub(super) fn path_or_tree(w: &mut Walker, st: &State, v: &Val, kind: Kind) {
    if v.known() == Some(".") || is_dir(w, st, v) {
        w.write_tree(st, v, kind)
    } else {
        w.write(st, v, kind)
    }
}

/// Most directory entries looked at when a tree is copied, for the symlinks in it.
const MAX_SCANNED: usize = 256;

/// A copy (`cp -a`, `cp -r`, `mv`, `rsync -a`) of `src` to `dest` that keeps symlinks as
/// symlinks: the links on disk in `src` (itself, or below it when a directory) become links
/// at the same places below `dest`, so later writes through them are followed. A tree too
/// large to look through makes later writes below `dest` unknown.
pub(super) fn copy_links(w: &mut Walker, st: &State, src: &Val, dest: &Val) {
    let (Some(s), Some(cwd)) = (src.literal(), st.pwd()) else {
        return;
    };
    let root = cwd.join(s);
    let Ok(meta) = std::fs::symlink_metadata(&root) else {
        return;
    };
    if meta.is_symlink() {
        if let Ok(raw) = std::fs::read_link(&root) {
            w.add_link(st, dest, Some(&lit(&raw.to_string_lossy())), false);
        }
        return;
    }
    if !meta.is_dir() {
        return;
    }
    let mut queue = vec![PathBuf::new()];
    let mut seen = 0;
    while let Some(rel) = queue.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            // Past the bound for one tree, or for the whole command: links not known.
            if seen > MAX_SCANNED || !w.charge(1_000) {
                w.add_link_region(st, dest);
                return;
            }
            let Ok(ft) = e.file_type() else { continue };
            let r = rel.join(e.file_name());
            if ft.is_symlink() {
                if let Ok(raw) = std::fs::read_link(e.path()) {
                    let at = args::join_rel(dest, &r.to_string_lossy());
                    w.add_link(st, &at, Some(&lit(&raw.to_string_lossy())), false);
                }
            } else if ft.is_dir() {
                queue.push(r);
            }
        }
    }
}
