//! Wrappers: commands that run another command, which is modelled in their place.
//!
//! Shells given a script (`bash -c`, a here-document fed to `sh`), privilege and
//! environment wrappers (`sudo`, `env`, which may also change directory or unset
//! `LANES_ROLE`), scheduling wrappers (`nice`, `timeout`, `flock`, `watch`, ...), `xargs`
//! (its operands come from standard input, so they are unknown) and package runners
//! (`npx`, `uvx`) whose tool may be modelled. Each skips its own options and hands the rest
//! to [`super::run`].

use super::args::{given_as, lit, skip_flags, Opts};
use super::editors::written_script;
use super::record::{check_tamper, opaque};
use super::{read_only, run, Cmd, READERS};
use crate::shell::expand::Val;
use crate::shell::walk::{State, Stdin, Var, Walker};
use crate::shell::Kind;

/// `bash`, `sh`, `zsh`...: `-c SCRIPT` and a literal script on standard input are walked;
/// a script file, or a script that is not known, is opaque.
pub(super) fn shell(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, args, stdin) = (c.name, c.args, c.stdin.as_ref());
    let mut i = 1;
    let mut command = false;
    while i < args.len() {
        let Some(t) = args[i].known() else { break };
        if t == "--" || t == "-" {
            i += 1;
            break;
        }
        if matches!(t, "--rcfile" | "--init-file") {
            // A start-up script lanes does not read.
            opaque(w, st, &format!("{name} {t}"), args, stdin);
            i += 2;
            continue;
        }
        if matches!(t, "-o" | "+o" | "-O" | "+O") {
            i += 2;
            continue;
        }
        if t.starts_with("--") {
            i += 1;
            continue;
        }
        if (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
            if t.contains('c') {
                command = true;
            }
            i += 1;
            continue;
        }
        break;
    }
    if command {
        // `bash -c SCRIPT [$0 [ARGS...]]`: the words after the script are $0, $1, ...
        let params = args.get(i + 2..).map(<[Val]>::to_vec).unwrap_or_default();
        let mut child = st.child_shell(Some(params));
        match args.get(i).map(|v| v.known()) {
            Some(Some(text)) => {
                w.nested_script(text, &mut child, &format!("the script given to {name} -c"))
            }
            _ => opaque(w, st, name, args, stdin),
        }
    } else if i < args.len() {
        // A script file: walked when the command itself wrote it as literal text.
        match written_script(w, st, &args[i]) {
            Some(text) => {
                let params = args.get(i + 1..).map(<[Val]>::to_vec).unwrap_or_default();
                let mut child = st.child_shell(Some(params));
                w.nested_script(&text, &mut child, "a script the command wrote");
            }
            None => opaque(w, st, name, args, stdin),
        }
    } else {
        let mut child = st.child_shell(Some(Vec::new()));
        match stdin {
            Some(Stdin::Text {
                body,
                literal: true,
            }) => w.nested_script(body, &mut child, &format!("the script fed to {name}")),
            _ => opaque(
                w,
                st,
                &format!("{name} reading a script from standard input"),
                args,
                stdin,
            ),
        }
    }
}

/// `exec`, `builtin`, `nohup`, ...: wrappers without options of their own.
pub(super) fn plain(w: &mut Walker, st: &mut State, c: Cmd) {
    unwrap(w, st, c.rest().to_vec(), c.stdin)
}

/// `exec [-cl] [-a NAME] CMD`.
pub(super) fn exec(w: &mut Walker, st: &mut State, c: Cmd) {
    unwrap(w, st, skip_flags(c.rest(), &["-a"], &[]), c.stdin)
}

/// `command CMD`; `command -v` / `-V` only looks the name up.
pub(super) fn command(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    if rest.iter().any(|a| matches!(a.known(), Some("-v" | "-V"))) {
        return;
    }
    let r: Vec<Val> = rest
        .iter()
        .skip_while(|a| a.known() == Some("-p"))
        .cloned()
        .collect();
    unwrap(w, st, r, c.stdin)
}

/// `time [-o F] [-a] [-f FMT] CMD` (GNU time writes its report to F).
pub(super) fn time(w: &mut Walker, st: &mut State, c: Cmd) {
    let o = Opts::leading(c.rest(), "of", &["--output", "--format"]);
    for f in o.values(&["-o", "--output"]) {
        w.write(st, f, Kind::Write);
    }
    unwrap(w, st, o.operands, c.stdin)
}

/// `nice [-n N] CMD`.
pub(super) fn nice(w: &mut Walker, st: &mut State, c: Cmd) {
    unwrap(
        w,
        st,
        skip_flags(c.rest(), &["-n"], &["--adjustment"]),
        c.stdin,
    )
}

/// `timeout [OPTIONS] DURATION CMD`.
pub(super) fn timeout(w: &mut Walker, st: &mut State, c: Cmd) {
    let r = skip_flags(c.rest(), &["-s", "-k"], &["--signal", "--kill-after"]);
    unwrap(
        w,
        st,
        r.get(1..).map(<[Val]>::to_vec).unwrap_or_default(),
        c.stdin,
    )
}

/// `stdbuf [-i M] [-o M] [-e M] CMD`.
pub(super) fn stdbuf(w: &mut Walker, st: &mut State, c: Cmd) {
    unwrap(
        w,
        st,
        skip_flags(
            c.rest(),
            &["-i", "-o", "-e"],
            &["--input", "--output", "--error"],
        ),
        c.stdin,
    )
}

/// `ionice [-c C] [-n N] CMD`.
pub(super) fn ionice(w: &mut Walker, st: &mut State, c: Cmd) {
    unwrap(
        w,
        st,
        skip_flags(
            c.rest(),
            &["-c", "-n", "-p", "-P", "-u"],
            &["--class", "--classdata"],
        ),
        c.stdin,
    )
}

/// `setsid [OPTIONS] CMD`.
pub(super) fn setsid(w: &mut Walker, st: &mut State, c: Cmd) {
    unwrap(w, st, skip_flags(c.rest(), &[], &[]), c.stdin)
}

/// `watch [OPTIONS] CMD`; a single word with spaces is a script (`watch 'make test'`).
pub(super) fn watch(w: &mut Walker, st: &mut State, c: Cmd) {
    let r = skip_flags(
        c.rest(),
        &["-n", "-d", "-q"],
        &["--interval", "--differences"],
    );
    match r.as_slice() {
        [Val::Known { text, .. }] if text.contains(' ') => {
            let mut copy = st.clone();
            w.nested_script(text, &mut copy, "the command given to watch")
        }
        _ => unwrap(w, st, r, c.stdin),
    }
}

/// `npx TOOL`, `bunx TOOL`, `pnpx TOOL`; `npx -c 'SCRIPT'` runs SCRIPT in a shell.
pub(super) fn npx(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    if let Some(at) = rest
        .iter()
        .position(|a| matches!(a.known(), Some("-c" | "--call")))
    {
        let mut copy = st.clone();
        match rest.get(at + 1).and_then(|v| v.known()) {
            Some(script) => w.nested_script(script, &mut copy, "the script given to npx -c"),
            None => opaque(w, st, c.name, c.args, c.stdin.as_ref()),
        }
        return;
    }
    let r = skip_flags(rest, &["-p", "-c"], &["--package", "--call"]);
    unwrap_tool(w, st, c.name, r, c.stdin)
}

/// `uvx TOOL`, `pipx run TOOL`.
pub(super) fn uvx(w: &mut Walker, st: &mut State, c: Cmd) {
    // `pipx run TOOL`: the tool follows the subcommand.
    let rest = match c.rest() {
        [run, rest @ ..] if c.name == "pipx" && run.known() == Some("run") => rest,
        rest => rest,
    };
    unwrap_tool(
        w,
        st,
        c.name,
        skip_flags(rest, &[], &["--from", "--with", "--python", "--spec"]),
        c.stdin,
    )
}

/// `sudo`'s short options that take a value.
pub(super) const SUDO_SHORT_VALUED: &str = "ugCDhprtUT";

/// `sudo`'s long options that take a value.
pub(super) const SUDO_LONG_VALUED: &[&str] = &[
    "--user",
    "--group",
    "--chdir",
    "--host",
    "--prompt",
    "--role",
    "--type",
    "--other-user",
    "--command-timeout",
    "--close-from",
];

/// `sudo`, `doas`: `-D DIR` / `--chdir DIR` runs the command there; `-i` / `-s` with no
/// command starts a shell, which is opaque.
pub(super) fn sudo(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, rest, stdin) = (c.name, c.rest(), c.stdin);
    let o = Opts::leading(rest, SUDO_SHORT_VALUED, SUDO_LONG_VALUED);
    let shell = ["-i", "-s", "--login", "--shell"];
    if o.operands.is_empty() && o.has(&shell) {
        let t = o
            .flags
            .iter()
            .find(|(f, _)| given_as(f, &shell))
            .map(|(f, _)| f);
        let program = format!("{name} {}", t.map_or("-i", String::as_str));
        opaque(w, st, &program, rest, stdin.as_ref());
        return;
    }
    let dirs: Vec<Val> = o.values(&["-D", "--chdir"]).into_iter().cloned().collect();
    run_wrapped(w, st, &o.operands, &dirs, stdin);
}

/// `env [-u NAME] [-C DIR] [NAME=VALUE]... CMD`, and `env -S STRING`, walked as a script.
pub(super) fn env(w: &mut Walker, st: &mut State, c: Cmd) {
    let (rest, stdin) = (c.rest(), c.stdin);
    let mut i = 0;
    let mut dirs = Vec::new();
    let mut env: Vec<(String, Var)> = Vec::new();
    while i < rest.len() {
        let Some(t) = rest[i].known().map(str::to_string) else {
            if let Some((n, _)) = rest[i].text().split_once('=') {
                // `env NAME=$x ...`: set to a value not known.
                env.push((n.to_string(), Var::Unknown));
            }
            break;
        };
        if t == "--" {
            i += 1;
            break;
        }
        if matches!(t.as_str(), "-u" | "--unset") {
            if let Some(n) = rest.get(i + 1).and_then(|v| v.known()) {
                check_tamper(w, n, None, "unsets");
            }
            i += 2;
            continue;
        }
        if let Some(n) = t.strip_prefix("--unset=") {
            check_tamper(w, n, None, "unsets");
            i += 1;
            continue;
        }
        if matches!(t.as_str(), "-C" | "--chdir") {
            if let Some(d) = rest.get(i + 1) {
                dirs.push(d.clone());
            }
            i += 2;
            continue;
        }
        if let Some(d) = t.strip_prefix("--chdir=") {
            dirs.push(lit(d));
            i += 1;
            continue;
        }
        if matches!(t.as_str(), "-S" | "--split-string")
            || t.starts_with("--split-string=")
            || (t.starts_with("-S") && t.len() > 2)
        {
            let s = match t
                .strip_prefix("--split-string=")
                .or(t.strip_prefix("-S").filter(|s| !s.is_empty()))
            {
                Some(s) => s.to_string(),
                None => rest
                    .get(i + 1)
                    .map(|v| v.text().to_string())
                    .unwrap_or_default(),
            };
            let mut copy = st.clone();
            w.nested_script(&s, &mut copy, "the string given to env -S");
            return;
        }
        if t.starts_with('-') {
            i += 1;
            continue;
        }
        if let Some((n, v)) = t.split_once('=') {
            check_tamper(w, n, Some(v), "sets");
            env.push((n.to_string(), Var::Str(v.to_string())));
            i += 1;
            continue;
        }
        break;
    }
    // The command runs with the variables set (`env PATH=src ls`, `env PAGER=... git log`).
    let mut child = st.clone();
    for (n, v) in env {
        w.assign(&mut child, &n, v);
    }
    // An unknown word may be an assignment or the command: the command is what follows.
    run_wrapped(w, &mut child, &rest[i.min(rest.len())..], &dirs, stdin);
}

/// `xargs [OPTIONS] CMD`: the command runs with operands read from standard input.
pub(super) fn xargs(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let short = ["-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s"];
    let long = [
        "--arg-file",
        "--delimiter",
        "--eof",
        "--replace",
        "--max-lines",
        "--max-args",
        "--max-procs",
        "--max-chars",
        "--process-slot-var",
    ];
    let mut replace: Option<String> = None;
    let mut i = 0;
    while i < rest.len() {
        let Some(t) = rest[i].known() else { break };
        if t == "--" {
            i += 1;
            break;
        }
        if !t.starts_with('-') {
            break;
        }
        if t == "-I" || t == "--replace" {
            replace = rest.get(i + 1).and_then(|v| v.known()).map(String::from);
        } else if let Some(r) = t.strip_prefix("-I").filter(|r| !r.is_empty()) {
            replace = Some(r.to_string());
        } else if t == "-i" || t.starts_with("--replace=") {
            replace = Some(t.split_once('=').map_or("{}", |(_, r)| r).to_string());
        }
        let takes = short.contains(&t) || long.contains(&t);
        i += if takes { 2 } else { 1 };
    }
    let mut inner: Vec<Val> = rest.get(i..).map(<[Val]>::to_vec).unwrap_or_default();
    if inner.is_empty() {
        return; // echo
    }
    // The operands come from standard input: unknown, with their literal prefix.
    match &replace {
        Some(r) => {
            for v in inner.iter_mut().skip(1) {
                if let Val::Known { text, .. } = v {
                    if let Some(at) = text.find(r.as_str()) {
                        *v = Val::Unknown {
                            prefix: text[..at].to_string(),
                        };
                    }
                }
            }
        }
        None => inner.push(Val::Unknown {
            prefix: String::new(),
        }),
    }
    let mut copy = st.clone();
    run(w, &mut copy, &inner, Some(Stdin::Pipe));
}

/// `flock [OPTIONS] FILE CMD` (the lock file is created) and `flock ... -c SCRIPT`.
pub(super) fn flock(w: &mut Walker, st: &mut State, c: Cmd) {
    let (rest, stdin) = (c.rest(), c.stdin);
    let o = Opts::leading(
        rest,
        "wEc",
        &["--timeout", "--wait", "--conflict-exit-code", "--command"],
    );
    let (file, inner) = match o.operands.split_first() {
        Some((f, inner)) => (Some(f), inner),
        None => (None, &[][..]),
    };
    // The lock file is created, whether the command is a script (`-c`) or words.
    if let Some(f) = file {
        w.write(st, f, Kind::Write);
    }
    let script = match (o.values(&["-c", "--command"]).first(), inner) {
        (Some(s), _) => Some(*s),
        (None, [first, second, ..]) if first.known() == Some("-c") => Some(second),
        _ => None,
    };
    match script {
        Some(s) => match s.known() {
            Some(text) => {
                let mut copy = st.clone();
                w.nested_script(text, &mut copy, "the command given to flock -c");
            }
            // A script only known when it runs is a program lanes cannot read.
            None => opaque(w, st, "flock -c", rest, stdin.as_ref()),
        },
        None => unwrap(w, st, inner.to_vec(), stdin),
    }
}

/// Runs the wrapped command (`inner`, its words), if there is one.
fn unwrap(w: &mut Walker, st: &mut State, inner: Vec<Val>, stdin: Option<Stdin>) {
    if !inner.is_empty() {
        run(w, st, &inner, stdin);
    }
}

/// `npx prettier --write x`: model the tool when it is modelled, else opaque under the
/// runner's name.
fn unwrap_tool(
    w: &mut Walker,
    st: &mut State,
    runner: &str,
    inner: Vec<Val>,
    stdin: Option<Stdin>,
) {
    // `npx @anthropic-ai/claude-code`: the package's program.
    if let Some(agent) = inner
        .first()
        .and_then(|v| v.known())
        .and_then(super::tools::package_agent)
    {
        let mut words = vec![lit(agent)];
        words.extend_from_slice(&inner[1..]);
        run(w, st, &words, stdin);
        return;
    }
    let modelled = inner.first().and_then(|v| v.known()).is_some_and(|n| {
        matches!(
            n,
            "prettier"
                | "eslint"
                | "black"
                | "isort"
                | "ruff"
                | "biome"
                | "stylelint"
                | "standard"
                | "rimraf"
        ) || READERS.contains(&n)
            || read_only(n)
    });
    if modelled {
        if inner.first().and_then(|v| v.known()) == Some("rimraf") {
            for v in &inner[1..] {
                if !v.text().starts_with('-') {
                    w.write_tree(st, v, Kind::Delete);
                }
            }
            return;
        }
        run(w, st, &inner, stdin);
    } else {
        let mut all = vec![lit(runner)];
        all.extend(inner);
        opaque(w, st, runner, &all, stdin.as_ref());
    }
}

/// Runs the command a wrapper wraps (`inner`, its words), in each of `dirs` when the wrapper
/// changes directory (a copy of the state each), else in the current state.
fn run_wrapped(w: &mut Walker, st: &mut State, inner: &[Val], dirs: &[Val], stdin: Option<Stdin>) {
    if inner.is_empty() {
        return;
    }
    if dirs.is_empty() {
        run(w, st, inner, stdin);
    } else {
        with_dirs(w, st, dirs, |w, st| {
            let mut copy = st.clone();
            run(w, &mut copy, inner, stdin.clone())
        });
    }
}

/// Runs `f` in each of `dirs` (relative to the current directories), or in place.
pub(super) fn with_dirs(w: &mut Walker, st: &State, dirs: &[Val], f: impl Fn(&mut Walker, &State)) {
    if dirs.is_empty() {
        f(w, st);
        return;
    }
    for d in dirs {
        let mut copy = st.clone();
        copy.cwds = st
            .cwds
            .iter()
            .map(|c| {
                d.literal()
                    .and_then(|t| w.absolute(c, t))
                    .map(|p| crate::path::normalize_lexically(&p))
            })
            .collect();
        f(w, &copy);
    }
}
