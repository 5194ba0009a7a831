//! Shell builtins that change the walker's state instead of files: the working directory
//! (`cd`, `pushd`, `popd`), variables and positional parameters (`export`, `declare`,
//! `local`, `unset`, `set`, `shift`, `read`, `printf -v`, ..., which may also switch lanes
//! off through `LANES_ROLE`), text run as code now or later (`eval`, `source`, `trap`,
//! `alias`), and how command names are looked up (`hash -p`, `enable -f`).

use super::args::{lit, operands_after_flags, Opts};
use super::editors::written_script;
use super::record::{check_tamper, opaque};
use super::Cmd;
use crate::shell::expand::{Val, DEFAULT_IFS};
use crate::shell::walk::{arith_assigns, State, Stdin, Var, Walker};
use crate::shell::Kind;

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
/// `local` (and `declare` in a function, without `-g`) makes the variable the call's own:
/// its value before is restored when the call returns. `-n` makes a nameref, through which
/// any assignment may change the variable it names: both are then untracked.
pub(super) fn declare(w: &mut Walker, st: &mut State, c: Cmd) {
    let mut flags = String::new();
    let mut names = Vec::new();
    for a in c.rest() {
        let text = a.text();
        if matches!(a, Val::Known { .. }) && (text.starts_with('-') || text.starts_with('+')) {
            if let Some(f) = text.strip_prefix('-') {
                flags.push_str(f);
            }
            continue;
        }
        names.push(a);
    }
    if flags.contains('f') || flags.contains('F') || flags.contains('p') {
        return; // functions, or printing
    }
    let local = c.name == "local"
        || (matches!(c.name, "declare" | "typeset") && w.calls > 0 && !flags.contains('g'));
    for a in names {
        let text = a.text();
        let (name, value) = match text.split_once('=') {
            Some((n, v)) => (n.trim_end_matches('+'), Some(v)),
            None => (text, None),
        };
        let known = matches!(a, Val::Known { .. });
        if !known && value.is_none() {
            // The name itself is not known: any variable may have changed.
            st.volatile = vec!["*".to_string()];
            continue;
        }
        let literal = value.filter(|_| known);
        check_tamper(w, name, literal, "sets");
        if flags.contains('n') {
            st.volatile.push(name.to_string());
            match literal {
                Some(t) if !t.is_empty() => st.volatile.push(t.to_string()),
                _ => st.volatile.push("*".to_string()),
            }
            continue;
        }
        if local {
            if let Some(frame) = w.locals.last_mut() {
                if !frame.iter().any(|(n, _)| n == name) {
                    frame.push((name.to_string(), st.vars.get(name).cloned()));
                }
            }
        }
        if c.name == "export" || flags.contains('x') {
            st.export(name);
        }
        // `-l` and `-u` change what is stored (`declare -l c; c='RM X'` holds `rm x`);
        // `-i` evaluates it as arithmetic, which is not followed: untracked.
        if flags.contains(['l', 'u']) {
            st.cased.retain(|(n, _)| n != name);
            st.cased.push((name.to_string(), flags.contains('u')));
        }
        if flags.contains('i') {
            st.volatile.push(name.to_string());
        }
        let appends = text.split_once('=').is_some_and(|(n, _)| n.ends_with('+'));
        let v = match (value, literal) {
            // `declare -a a=(x y)`: the elements' quoting is gone by now; unknown.
            (Some(v), Some(_)) if v.starts_with('(') || appends => Var::Unknown,
            (Some(_), Some(t)) => Var::Str(t.to_string()),
            (Some(_), None) => Var::Unknown,
            (None, _) if local => Var::Unset,
            (None, _) => {
                mark_readonly(st, c.name, &flags, name);
                continue;
            }
        };
        w.assign(st, name, v);
        mark_readonly(st, c.name, &flags, name);
    }
    st.bound_attributes();
}

/// `readonly NAME`, `declare -r NAME`: later assignments to NAME fail.
fn mark_readonly(st: &mut State, builtin: &str, flags: &str, name: &str) {
    if (builtin == "readonly" || flags.contains('r')) && !st.readonly.iter().any(|n| n == name) {
        st.readonly.push(name.to_string());
    }
}

/// `unset NAME...`, `unset -f NAME...`.
pub(super) fn unset(w: &mut Walker, st: &mut State, c: Cmd) {
    let functions = c.rest().iter().any(|a| a.known() == Some("-f"));
    for a in c.rest() {
        match a.known() {
            Some(n) if n.starts_with('-') => {}
            Some(n) if functions => {
                st.funcs.remove(n);
            }
            Some(n) => {
                check_tamper(w, n, None, "unsets");
                st.set(n.to_string(), Var::Unset);
            }
            None => st.volatile = vec!["*".to_string()],
        }
    }
}

/// `eval WORDS`: the words joined are a script, walked like the command's own text.
pub(super) fn eval(w: &mut Walker, st: &mut State, c: Cmd) {
    let parts: Option<Vec<&str>> = c.rest().iter().map(|v| v.known()).collect();
    match parts {
        Some(p) => w.nested_script(&p.join(" "), st, "the text given to eval"),
        None => {
            opaque(w, st, "eval", c.args, c.stdin.as_ref());
            // Code not known ran in this shell: it may have defined any command.
            st.lookup.untrusted = Some("eval of text lanes cannot know".into());
        }
    }
}

/// `source FILE`, `. FILE`: a script lanes does not read. It may define functions and
/// aliases of any name, so command names are not known to run what they say afterwards.
pub(super) fn source(w: &mut Walker, st: &mut State, c: Cmd) {
    // A script this command wrote as literal text is walked, in this shell.
    if let Some(text) = c.args.get(1).and_then(|f| written_script(w, st, f)) {
        let outer = st.positional.clone();
        if c.args.len() > 2 {
            st.positional = Some(c.args[2..].to_vec());
        }
        w.nested_script(&text, st, "a script the command wrote");
        if c.args.len() > 2 {
            st.positional = outer;
        }
        return;
    }
    opaque(w, st, c.name, c.args, c.stdin.as_ref());
    let script = c.args.get(1).map_or("", Val::text);
    st.lookup.untrusted = Some(format!("{} {script} may define any command", c.name));
}

/// `set [OPTIONS] [--] [ARGS]`: ARGS become the positional parameters (`set -- a b`, or
/// `set a b`); `-o NAME` takes a value; `-a` exports every variable set.
pub(super) fn set(_w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let mut i = 0;
    while i < rest.len() {
        let Some(t) = rest[i].known() else { break };
        let allexport = (t.starts_with('-') && !t.starts_with("--") && t.contains('a'))
            || (t == "-o" && rest.get(i + 1).and_then(Val::known) == Some("allexport"));
        if allexport {
            st.allexport = true;
        }
        if t == "--" || t == "-" {
            i += 1;
            st.positional = Some(rest[i..].to_vec());
            return;
        }
        if !(t.starts_with('-') || t.starts_with('+')) {
            break;
        }
        i += if (t == "-o" || t == "+o") && i + 1 < rest.len() {
            2
        } else {
            1
        };
    }
    if i < rest.len() {
        // A word that is not an option (or may not be one): the rest are the parameters.
        st.positional = rest[i].known().map(|_| rest[i..].to_vec());
    }
}

/// `shift [N]`.
pub(super) fn shift(_w: &mut Walker, st: &mut State, c: Cmd) {
    let n = match c.rest().first() {
        None => Some(1),
        Some(v) => v.known().and_then(|t| t.parse::<usize>().ok()),
    };
    st.positional = match (st.positional.take(), n) {
        (Some(mut p), Some(n)) if n <= p.len() => {
            p.drain(..n);
            Some(p)
        }
        (Some(p), Some(_)) => Some(p), // bash: shift past the end does nothing
        _ => None,
    };
}

/// Builtins that assign variables from data: `read`, `mapfile`/`readarray` (whose `-C`
/// callback is code), `getopts`, `printf -v`, `let`. The value is computed when the input
/// is literal (`read x <<< "a b"`, `printf -v x %s a`), else unknown.
pub(super) fn assigns(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    match c.name {
        "read" => {
            let p = Opts::parse(rest, "adinNptu", &[]);
            let text = match &c.stdin {
                Some(Stdin::Text {
                    body,
                    literal: true,
                }) if !p.has(&["-d", "-n", "-N", "-u", "-t"]) => {
                    Some(body.lines().next().unwrap_or("").to_string())
                }
                _ => None,
            };
            let raw = p.has(&["-r"]);
            let text = text.filter(|t| raw || !t.contains('\\'));
            let ifs = match st.vars.get("IFS") {
                None | Some(Var::Unset) => Some(DEFAULT_IFS.to_string()),
                Some(Var::Str(s)) => Some(s.clone()),
                Some(_) => None,
            };
            if let Some(arr) = p.values(&["-a"]).first().and_then(|v| v.known()) {
                let v = match (&text, &ifs) {
                    (Some(t), Some(ifs)) => Var::List(
                        t.split(|ch| ifs.contains(ch))
                            .filter(|f| !f.is_empty())
                            .map(lit)
                            .collect(),
                    ),
                    _ => Var::Unknown,
                };
                w.assign(st, arr, v);
                return;
            }
            let mut names: Vec<String> = p
                .operands
                .iter()
                .map(|v| v.known().map(String::from))
                .collect::<Option<_>>()
                .unwrap_or_else(|| {
                    st.volatile = vec!["*".to_string()];
                    Vec::new()
                });
            if names.is_empty() && !p.operands.iter().any(|v| v.known().is_none()) {
                names.push("REPLY".to_string());
            }
            let values = match (&text, &ifs) {
                (Some(t), Some(ifs)) => Some(read_fields(t, ifs, names.len())),
                _ => None,
            };
            for (k, n) in names.iter().enumerate() {
                let v = match &values {
                    Some(vals) => Var::Str(vals.get(k).cloned().unwrap_or_default()),
                    None => Var::Unknown,
                };
                w.assign(st, n, v);
            }
        }
        "mapfile" | "readarray" => {
            let p = Opts::parse(rest, "dnOsuCc", &[]);
            if let Some(cb) = p.values(&["-C"]).first() {
                // The callback runs with the index and the line as arguments.
                match cb.known() {
                    Some(code) => {
                        // The line is data: a variable lanes cannot know stands for it.
                        let code = format!("{code} 0 \"$__mapfile_line\"");
                        w.nested_script(&code, st, "the callback of mapfile -C");
                    }
                    None => opaque(w, st, c.name, c.args, c.stdin.as_ref()),
                }
            }
            let name = p
                .operands
                .first()
                .and_then(|v| v.known())
                .unwrap_or("MAPFILE");
            w.assign(st, name, Var::Unknown);
        }
        "getopts" => {
            for n in ["OPTARG", "OPTIND"] {
                w.assign(st, n, Var::Unknown);
            }
            match rest.get(1).and_then(|v| v.known()) {
                Some(n) => w.assign(st, n, Var::Unknown),
                None => st.volatile = vec!["*".to_string()],
            }
        }
        "printf" => {
            let Some(at) = rest.iter().position(|a| a.known() == Some("-v")) else {
                return;
            };
            let Some(name) = rest.get(at + 1) else { return };
            let Some(name) = name.known() else {
                st.volatile = vec!["*".to_string()];
                return;
            };
            let v = match rest.get(at + 2..) {
                Some([fmt, args @ ..]) => format_printf(fmt, args).map_or(Var::Unknown, Var::Str),
                _ => Var::Unknown,
            };
            w.assign(st, name, v);
        }
        _ => {
            // `let EXPR...`
            for a in rest {
                match a.known() {
                    Some(e) => arith_assigns(e, st),
                    None => st.volatile = vec!["*".to_string()],
                }
            }
        }
    }
}

/// The fields `read` assigns to `n` names from `line` (the last takes the rest).
fn read_fields(line: &str, ifs: &str, n: usize) -> Vec<String> {
    let white = |c: char| ifs.contains(c) && matches!(c, ' ' | '\t' | '\n');
    let mut out = Vec::new();
    let mut rest = line.trim_start_matches(white);
    while out.len() + 1 < n {
        match rest.find(|c: char| ifs.contains(c)) {
            Some(at) => {
                out.push(rest[..at].to_string());
                let sep = rest[at..].chars().next().map_or(1, char::len_utf8);
                rest = rest[at + sep..].trim_start_matches(white);
            }
            None => break,
        }
    }
    out.push(rest.trim_end_matches(white).to_string());
    out
}

/// `printf FORMAT ARGS` for the plain cases (`%s`, `%%`, `\n`, the format reused while
/// arguments remain); `None` for anything else.
pub(super) fn format_printf(fmt: &Val, args: &[Val]) -> Option<String> {
    let fmt = fmt.known()?;
    let args: Vec<&str> = args.iter().map(Val::known).collect::<Option<_>>()?;
    let mut out = String::new();
    let mut next = 0;
    loop {
        let mut chars = fmt.chars().peekable();
        let mut used = false;
        while let Some(ch) = chars.next() {
            match ch {
                '%' => match chars.next()? {
                    '%' => out.push('%'),
                    's' => {
                        out.push_str(args.get(next).copied().unwrap_or(""));
                        next += 1;
                        used = true;
                    }
                    _ => return None,
                },
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    '\\' => out.push('\\'),
                    _ => return None,
                },
                ch => out.push(ch),
            }
        }
        if !used || next >= args.len() || out.len() > 4096 {
            return Some(out);
        }
    }
}

/// `alias NAME=VALUE...`: later commands named NAME run VALUE (see the walker).
pub(super) fn alias(_w: &mut Walker, st: &mut State, c: Cmd) {
    for a in c.rest() {
        match a {
            Val::Known { text, .. } => {
                if let Some((n, v)) = text.split_once('=') {
                    st.set_alias(n.to_string(), Some(v.to_string()));
                }
            }
            Val::Unknown { prefix } => match prefix.split_once('=') {
                Some((n, _)) => st.set_alias(n.to_string(), None),
                None => st.set_alias("*".to_string(), None),
            },
        }
    }
}

/// `unalias NAME...`, `unalias -a`.
pub(super) fn unalias(_w: &mut Walker, st: &mut State, c: Cmd) {
    for a in c.rest() {
        match a.known() {
            Some("-a") => st.aliases.retain(|(n, _)| n == "*"),
            Some(n) => st.aliases.retain(|(m, _)| m != n),
            None => {}
        }
    }
}

/// `trap [ACTION] SIGNAL...`: ACTION is code run later (at exit, on a signal, before each
/// command for `DEBUG`): walked as such (see [`Walker::defer`]).
pub(super) fn trap(w: &mut Walker, st: &mut State, c: Cmd) {
    let mut rest = c.rest();
    match rest.first().and_then(|v| v.known()) {
        Some("-l" | "-p" | "-P") => return,
        Some("--") => rest = &rest[1..],
        _ => {}
    }
    // One operand, or a first operand that is a number: signals reset, no action.
    let action = match rest {
        [] | [_] => return,
        [a, ..] => a,
    };
    match action {
        Val::Known { text, .. } if text.is_empty() || text == "-" => {}
        Val::Known { text, .. } if text.bytes().all(|b| b.is_ascii_digit()) => {}
        Val::Known { text, .. } => {
            let code = text.to_string();
            w.defer(&code, st, "the code given to trap");
        }
        Val::Unknown { .. } => w.opaque_text(st, "the code given to trap"),
    }
}

/// `hash -p PATH NAME`: NAME runs PATH from now on; `hash -r` forgets; `hash -d NAME`.
pub(super) fn hash(_w: &mut Walker, st: &mut State, c: Cmd) {
    let p = Opts::parse(c.rest(), "pt", &[]);
    if p.has(&["-r"]) {
        st.lookup.hashed.clear();
    }
    if let Some(path) = p.values(&["-p"]).first() {
        for n in &p.operands {
            match n.known() {
                Some(n) => st.set_hashed(n.to_string(), (*path).clone()),
                None => st.lookup.untrusted = Some("hash -p gives a name lanes cannot know".into()),
            }
        }
    }
    if p.has(&["-d"]) {
        for n in p.operands.iter().filter_map(Val::known) {
            st.lookup.hashed.retain(|(m, _)| m != n);
        }
    }
}

/// `enable -f LIB NAME...` loads builtins from a shared library (its code runs, and NAME
/// runs it from then on); `enable -n NAME` turns a builtin off, so NAME is looked up on
/// `PATH`.
pub(super) fn enable(w: &mut Walker, st: &mut State, c: Cmd) {
    let p = Opts::parse(c.rest(), "f", &[]);
    let loads = p.has(&["-f"]);
    if loads {
        opaque(w, st, "enable -f", c.args, c.stdin.as_ref());
    }
    if loads || p.has(&["-n"]) {
        for n in &p.operands {
            let n = n.known().unwrap_or("*").to_string();
            if !st.lookup.replaced.contains(&n) {
                st.lookup.replaced.push(n);
            }
        }
    }
}

/// `history -w [FILE]`, `history -a [FILE]`: write the history file (`HISTFILE`, by
/// default `~/.bash_history`).
pub(super) fn history(w: &mut Walker, st: &mut State, c: Cmd) {
    let p = Opts::parse(c.rest(), "d", &[]);
    if !p.has(&["-w", "-a"]) {
        return;
    }
    let file = match p.operands.first() {
        Some(f) => f.clone(),
        None => match st.vars.get("HISTFILE") {
            Some(Var::Str(f)) => lit(f),
            Some(_) => Val::Unknown {
                prefix: String::new(),
            },
            None => match &w.cx.home {
                Some(h) => lit(&h.join(".bash_history").to_string_lossy()),
                None => Val::Unknown {
                    prefix: String::new(),
                },
            },
        },
    };
    w.write(st, &file, Kind::Write);
}

/// `fc`: re-runs commands from the history, or edits them with an editor and runs the
/// result; only `fc -l` just lists.
pub(super) fn fc(w: &mut Walker, st: &mut State, c: Cmd) {
    if c.rest().iter().any(|a| a.known() == Some("-l")) {
        return;
    }
    opaque(w, st, "fc", c.args, c.stdin.as_ref())
}
