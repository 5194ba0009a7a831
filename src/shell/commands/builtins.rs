//! Shell builtins that change the walker's state instead of files: the working directory
//! (`cd`, `pushd`, `popd`), variables (`export`, `declare`, `unset`, which may also switch
//! lanes off through `LANES_ROLE`), and text run as code (`eval`, `source`).

use super::args::operands_after_flags;
use super::record::{check_tamper, opaque};
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{State, Walker};

/// `cd DIR`.
pub(super) fn cd(w: &mut Walker, st: &mut State, c: Cmd) {
    let ops = operands_after_flags(c.rest());
    w.cd(st, ops.first());
}

/// `pushd DIR`; `pushd +N` / `-N` rotates the stack to a directory lanes does not follow.
pub(super) fn pushd(w: &mut Walker, st: &mut State, c: Cmd) {
    let ops = operands_after_flags(c.rest());
    match ops.first() {
        Some(Val::Known { text, .. }) if text.starts_with('+') || text.starts_with('-') => {
            st.cwds = vec![None]
        }
        other => w.pushd(st, other),
    }
}

/// `popd`.
pub(super) fn popd(w: &mut Walker, st: &mut State, _c: Cmd) {
    w.popd(st)
}

/// `export`, `declare`, `typeset`, `local`, `readonly`: `NAME=VALUE` operands assign.
pub(super) fn declare(w: &mut Walker, st: &mut State, c: Cmd) {
    for a in c.rest() {
        let text = a.text();
        if text.starts_with('-') || text.starts_with('+') {
            continue;
        }
        let (name, value) = match text.split_once('=') {
            Some((n, v)) => (n.trim_end_matches('+'), Some(v)),
            None => (text, None),
        };
        let literal = value.filter(|_| matches!(a, Val::Known { .. }));
        check_tamper(w, name, literal, "sets");
        if let Some(v) = value {
            let known = matches!(a, Val::Known { .. }).then(|| v.to_string());
            st.set_var(name.to_string(), known);
        }
    }
}

/// `unset NAME...`.
pub(super) fn unset(w: &mut Walker, st: &mut State, c: Cmd) {
    for a in c.rest() {
        if let Some(n) = a.known() {
            check_tamper(w, n, None, "unsets");
            st.vars.remove(n);
        }
    }
}

/// `eval WORDS`: the words joined are a script, walked like the command's own text.
pub(super) fn eval(w: &mut Walker, st: &mut State, c: Cmd) {
    let parts: Option<Vec<&str>> = c.rest().iter().map(|v| v.known()).collect();
    match parts {
        Some(p) => w.nested_script(&p.join(" "), st, "the text given to eval"),
        None => opaque(w, st, "eval", c.args, c.stdin.as_ref()),
    }
}

/// `source FILE`, `. FILE`: a script lanes does not read.
pub(super) fn source(w: &mut Walker, st: &mut State, c: Cmd) {
    opaque(w, st, c.name, c.args, c.stdin.as_ref())
}
