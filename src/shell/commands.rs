//! Per-command models: from a command's expanded words to what it writes.
//!
//! Each model follows the option grammar of its command (short-option bundles such as
//! `-sSLo F` or `-pi`, `--opt=value` and `--opt value`, `--`), GNU behaviour unless noted;
//! see the reference's §3 catalogue. Commands on the read-only list write nothing but their
//! redirects; wrappers are unwrapped; anything else is opaque.

use super::expand::Val;
use super::walk::{State, Stdin, Walker};
use super::{Found, Kind};
use std::path::{Path, PathBuf};

/// How deep function calls may nest before the call counts as opaque.
const MAX_CALLS: usize = 4;

/// Variables that say who the agent is or which policy applies.
const TAMPER_VARS: &[&str] = &["LANES_ROLE", "LANES_POLICY", "CLAUDE_CODE_AGENT"];

/// Commands that write nothing themselves (their redirects are judged separately). A
/// `match` on the name, not a list search: it is asked for every command.
fn read_only(name: &str) -> bool {
    matches!(
        name,
        "ls" | "cat"
            | "head"
            | "tail"
            | "less"
            | "more"
            | "grep"
            | "egrep"
            | "fgrep"
            | "rg"
            | "ag"
            | "ack"
            | "wc"
            | "cut"
            | "tr"
            | "diff"
            | "cmp"
            | "comm"
            | "stat"
            | "file"
            | "du"
            | "df"
            | "pwd"
            | "echo"
            | "printf"
            | "true"
            | "false"
            | "test"
            | "["
            | "which"
            | "type"
            | "whereis"
            | "date"
            | "basename"
            | "dirname"
            | "realpath"
            | "readlink"
            | "jq"
            | "seq"
            | "sleep"
            | "wait"
            | "read"
            | "shift"
            | "alias"
            | "unalias"
            | "exit"
            | "return"
            | "break"
            | "continue"
            | ":"
            | "set"
            | "shopt"
            | "whoami"
            | "id"
            | "uname"
            | "hostname"
            | "ps"
            | "tree"
            | "sha256sum"
            | "sha1sum"
            | "md5sum"
            | "b2sum"
            | "cksum"
            | "od"
            | "hexdump"
            | "strings"
            | "nl"
            | "paste"
            | "column"
            | "fold"
            | "fmt"
            | "rev"
            | "tac"
            | "expand"
            | "unexpand"
            | "zcat"
            | "bzcat"
            | "xzcat"
            | "zgrep"
            | "history"
            | "jobs"
            | "trap"
            | "umask"
            | "ulimit"
            | "getopts"
            | "hash"
            | "let"
            | "printenv"
            | "locale"
            | "nproc"
            | "free"
            | "uptime"
            | "lsof"
            | "tty"
            | "look"
            | "join"
            | "numfmt"
            | "factor"
            | "yes"
            | "base64"
            | "base32"
            | "sum"
            | "tput"
            | "clear"
            | "fc"
            | "disown"
            | "kill"
            | "pgrep"
            | "top"
            | "htop"
            | "bc"
            | "expr"
            | "man"
            | "info"
            | "help"
            | "dirs"
    )
}

/// Opaque programs whose path operands are inputs: naming another lane's path is a read.
const READERS: &[&str] = &[
    "pytest",
    "py.test",
    "mypy",
    "pyright",
    "jest",
    "vitest",
    "mocha",
    "tsc",
    "flake8",
    "pylint",
    "shellcheck",
    "hadolint",
    "markdownlint",
    "vale",
    "codespell",
    "tox",
    "nox",
    "bats",
];

/// Runs the model for one simple command. `args[0]` is the command name.
pub(super) fn run(w: &mut Walker, st: &mut State, args: &[Val], stdin: Option<Stdin>) {
    let Some(first) = args.first() else { return };
    let Some(raw_name) = first.known() else {
        let program = format!("{}…", first.text());
        opaque(w, st, &program, args, stdin.as_ref());
        return;
    };
    if raw_name.contains('/') && !is_system_bin(raw_name) {
        opaque(w, st, raw_name, args, stdin.as_ref());
        return;
    }
    let name = raw_name.rsplit('/').next().unwrap_or(raw_name);
    if st.overflow {
        let mentions = super::lexical::mentions(&w.frag, &w.cx.cwd, w.cx.home.as_deref());
        let why = "it makes more variables, functions, links or directories than lanes tracks"
            .to_string();
        w.push(Found::Unparseable { why, mentions });
    }
    if let Some(body) = st.funcs.get(name).cloned() {
        if w.calls >= MAX_CALLS {
            opaque(
                w,
                st,
                &format!("{name} (recursive function)"),
                args,
                stdin.as_ref(),
            );
            return;
        }
        w.calls += 1;
        w.command(&body, st, None);
        w.calls -= 1;
        return;
    }
    let rest = &args[1..];
    match name {
        n if read_only(n) => {}
        "cd" => {
            let ops = operands_after_flags(rest);
            w.cd(st, ops.first());
        }
        "pushd" => {
            let ops = operands_after_flags(rest);
            match ops.first() {
                Some(Val::Known { text, .. }) if text.starts_with('+') || text.starts_with('-') => {
                    st.cwds = vec![None]
                }
                other => w.pushd(st, other),
            }
        }
        "popd" => w.popd(st),
        "export" | "declare" | "typeset" | "local" | "readonly" => declare(w, st, rest),
        "unset" => {
            for a in rest {
                if let Some(n) = a.known() {
                    check_tamper(w, n, None, "unsets");
                    st.vars.remove(n);
                }
            }
        }
        "eval" => {
            let parts: Option<Vec<&str>> = rest.iter().map(|v| v.known()).collect();
            match parts {
                Some(p) => w.nested_script(&p.join(" "), st, "the text given to eval"),
                None => opaque(w, st, "eval", args, stdin.as_ref()),
            }
        }
        "source" | "." => opaque(w, st, name, args, stdin.as_ref()),
        "bash" | "sh" | "dash" | "zsh" | "ksh" | "mksh" | "ash" => {
            shell(w, st, name, args, stdin.as_ref())
        }
        "exec" | "builtin" | "nohup" | "noglob" | "chronic" | "unbuffer" | "catchsegv"
        | "nocache" => unwrap(w, st, rest.to_vec(), stdin),
        "command" => {
            if rest.iter().any(|a| matches!(a.known(), Some("-v" | "-V"))) {
                return;
            }
            let r: Vec<Val> = rest
                .iter()
                .skip_while(|a| a.known() == Some("-p"))
                .cloned()
                .collect();
            unwrap(w, st, r, stdin)
        }
        "time" => unwrap(w, st, skip_flags(rest, &[], &["-o", "-f"]), stdin),
        "nice" => unwrap(w, st, skip_flags(rest, &["-n"], &["--adjustment"]), stdin),
        "timeout" => {
            let r = skip_flags(rest, &["-s", "-k"], &["--signal", "--kill-after"]);
            unwrap(
                w,
                st,
                r.get(1..).map(<[Val]>::to_vec).unwrap_or_default(),
                stdin,
            )
        }
        "stdbuf" => unwrap(
            w,
            st,
            skip_flags(
                rest,
                &["-i", "-o", "-e"],
                &["--input", "--output", "--error"],
            ),
            stdin,
        ),
        "ionice" => unwrap(
            w,
            st,
            skip_flags(
                rest,
                &["-c", "-n", "-p", "-P", "-u"],
                &["--class", "--classdata"],
            ),
            stdin,
        ),
        "setsid" => unwrap(w, st, skip_flags(rest, &[], &[]), stdin),
        "sudo" | "doas" => sudo(w, st, name, rest, stdin),
        "env" => env(w, st, rest, stdin),
        "xargs" => xargs(w, st, rest),
        "flock" => flock(w, st, rest, stdin),
        "watch" => {
            let r = skip_flags(rest, &["-n", "-d", "-q"], &["--interval", "--differences"]);
            match r.as_slice() {
                [Val::Known { text, .. }] if text.contains(' ') => {
                    let mut copy = st.clone();
                    w.nested_script(text, &mut copy, "the command given to watch")
                }
                _ => unwrap(w, st, r, stdin),
            }
        }
        "npx" | "bunx" | "pnpx" => {
            let r = skip_flags(rest, &["-p", "-c"], &["--package", "--call"]);
            unwrap_tool(w, st, name, r, stdin)
        }
        "uvx" | "pipx" => unwrap_tool(
            w,
            st,
            name,
            skip_flags(rest, &[], &["--from", "--with", "--python"]),
            stdin,
        ),
        "find" => find(w, st, rest),
        "tee" => {
            for v in operands_after_flags(rest) {
                if v.known() != Some("-") {
                    w.write(st, &v, Kind::Write);
                }
            }
        }
        "cp" => copy_like(w, st, rest, false),
        "mv" => copy_like(w, st, rest, true),
        "install" => install(w, st, rest),
        "ln" => ln(w, st, rest),
        "rm" => {
            let p = Opts::parse(rest, "", &[]);
            let tree = p.has(&["-r", "-R", "--recursive"]);
            for v in &p.operands {
                if tree {
                    w.write_tree(st, v, Kind::Delete)
                } else {
                    w.write(st, v, Kind::Delete)
                }
            }
        }
        "rmdir" => {
            let p = Opts::parse(rest, "", &[]);
            for v in &p.operands {
                w.write(st, v, Kind::Delete);
                if p.has(&["-p", "--parents"]) {
                    if let Some(t) = v.literal() {
                        let mut cur = Path::new(t);
                        while let Some(parent) = cur.parent().filter(|p| !p.as_os_str().is_empty())
                        {
                            w.write(st, &lit(&parent.to_string_lossy()), Kind::Delete);
                            cur = parent;
                        }
                    }
                }
            }
        }
        "mkdir" => {
            let p = Opts::parse(rest, "mZ", &["--mode", "--context"]);
            for v in &p.operands {
                w.write(st, v, Kind::MakeDir);
                if let Some(t) = v.literal() {
                    for cwd in st.cwds.clone() {
                        if let Some(abs) = w.absolute(&cwd, t) {
                            st.add_dir(crate::path::normalize_lexically(&abs));
                        }
                    }
                }
            }
        }
        "touch" => operands_written(
            w,
            st,
            rest,
            "rdt",
            &["--reference", "--date", "--time"],
            Kind::Write,
        ),
        "truncate" => operands_written(w, st, rest, "sr", &["--size", "--reference"], Kind::Write),
        "shred" | "unlink" | "mkfifo" => operands_written(
            w,
            st,
            rest,
            "nsum",
            &["--iterations", "--size", "--mode"],
            Kind::Write,
        ),
        "mknod" => {
            let p = Opts::parse(rest, "mZ", &["--mode", "--context"]);
            if let Some(v) = p.operands.first() {
                w.write(st, v, Kind::Write);
            }
        }
        "chmod" | "chown" | "chgrp" | "chattr" | "setfacl" => chmod(w, st, name, rest),
        "dd" => {
            for a in rest {
                if let Some(v) = strip_val(a, "of=") {
                    w.write(st, &v, Kind::Write);
                }
            }
        }
        "sed" => sed(w, st, rest),
        "perl" => perl(w, st, args, stdin.as_ref()),
        "awk" | "gawk" | "mawk" | "nawk" => awk(w, st, args, stdin.as_ref()),
        "sort" | "shuf" | "iconv" => {
            let p = Opts::parse(
                rest,
                "kotSTnifz",
                &[
                    "--key",
                    "--output",
                    "--field-separator",
                    "--buffer-size",
                    "--temporary-directory",
                    "--parallel",
                    "--files0-from",
                    "--compress-program",
                    "--random-source",
                    "--batch-size",
                    "--head-count",
                    "--input-range",
                    "--from-code",
                    "--to-code",
                ],
            );
            for v in p.values(&["-o", "--output"]) {
                w.write(st, v, Kind::Write);
            }
        }
        "uniq" => {
            let p = Opts::parse(
                rest,
                "fsw",
                &["--skip-fields", "--skip-chars", "--check-chars"],
            );
            if let Some(out) = p.operands.get(1) {
                w.write(st, out, Kind::Write);
            }
        }
        "xxd" => {
            let p = Opts::parse(rest, "cglosn", &["-cols", "-len", "-seek", "-name"]);
            if let Some(out) = p.operands.get(1) {
                w.write(st, out, Kind::Write);
            }
        }
        "split" | "csplit" => {
            let p = Opts::parse(
                rest,
                "abClntfn",
                &[
                    "--suffix-length",
                    "--bytes",
                    "--line-bytes",
                    "--lines",
                    "--number",
                    "--separator",
                    "--prefix",
                    "--digits",
                    "--additional-suffix",
                    "--filter",
                ],
            );
            let prefix = if name == "csplit" {
                p.values(&["-f", "--prefix"])
                    .first()
                    .map(|v| (*v).clone())
                    .unwrap_or_else(|| lit("xx"))
            } else {
                p.operands.get(1).cloned().unwrap_or_else(|| lit("x"))
            };
            w.write(st, &append(&prefix, "00"), Kind::Write);
            if p.has(&["--filter"]) {
                opaque(w, st, name, args, None);
            }
        }
        "gzip" | "bzip2" | "xz" | "zstd" | "lz4" | "lzma" | "compress" | "gunzip" | "bunzip2"
        | "unxz" | "unzstd" | "unlzma" | "uncompress" => compressor(w, st, name, rest),
        "zip" => {
            let p = Opts::parse(
                rest,
                "bnitxOPs",
                &[
                    "--temp-path",
                    "--suffixes",
                    "--password",
                    "--exclude",
                    "--include",
                    "--out",
                ],
            );
            if let Some(archive) = p
                .values(&["-O", "--out"])
                .first()
                .copied()
                .or(p.operands.first())
            {
                w.write(st, archive, Kind::Write);
            }
            if p.has(&["-m", "--move"]) {
                for v in p.operands.iter().skip(1) {
                    w.write_tree(st, v, Kind::Delete);
                }
            }
        }
        "tar" | "bsdtar" | "gtar" => tar(w, st, rest),
        "unzip" => unzip(w, st, rest),
        "curl" => curl(w, st, rest),
        "wget" => wget(w, st, rest),
        "rsync" | "scp" => remote_copy(w, st, name, rest),
        "mktemp" => {
            let p = Opts::parse(rest, "p", &["--tmpdir", "--suffix"]);
            if let Some(dir) = p.values(&["-p", "--tmpdir"]).first() {
                w.write(st, &append(dir, "/tmp.XXXXXXXXXX"), Kind::Write);
            } else if let Some(t) = p.operands.first() {
                if !p.has(&["-t"]) {
                    w.write(
                        st,
                        &Val::Unknown {
                            prefix: t.text().trim_end_matches('X').to_string(),
                        },
                        Kind::Write,
                    );
                }
            }
        }
        "patch" => patch(w, st, rest, stdin.as_ref()),
        "git" => git(w, st, rest),
        "ed" | "ex" | "vi" | "vim" | "nvim" | "nano" | "pico" | "micro" | "emacs" | "kak" => {
            if name == "emacs"
                && rest.iter().any(|a| {
                    a.known()
                        .is_some_and(|t| t.starts_with("--batch") || t == "--script")
                })
            {
                opaque(w, st, name, args, stdin.as_ref());
                return;
            }
            // Every file operand is assumed written (H). `-s` is a flag in ed and in vim's
            // ex mode (`-es`); `-c`, `-S`, `-u` ... take a value.
            let short = if name == "ed" { "p" } else { "cSuUiTwWtq" };
            let p = Opts::parse(rest, short, &["--cmd"]);
            for v in p.operands.iter().filter(|v| !v.text().starts_with('+')) {
                w.write(st, v, Kind::Write);
            }
        }
        "cargo" => cargo(w, st, args, stdin.as_ref()),
        "go" => {
            let sub = rest
                .iter()
                .find(|a| !a.text().starts_with('-'))
                .and_then(|a| a.known());
            match sub {
                Some("fmt") => w.write_tree(st, &lit("."), Kind::Write),
                Some("vet" | "version" | "env" | "list" | "doc" | "help") => {}
                Some("test") => opaque_reader(w, st, "go test", args),
                _ => opaque(w, st, "go", args, stdin.as_ref()),
            }
        }
        "gofmt" | "goimports" => {
            let p = Opts::parse(rest, "r", &[]);
            if p.has(&["-w"]) {
                for v in &p.operands {
                    w.write_tree(st, v, Kind::Write);
                }
            }
        }
        "prettier" | "eslint" | "black" | "isort" | "autopep8" | "rustfmt" | "clang-format"
        | "yapf" | "ruff" | "biome" | "stylelint" | "standard" => {
            formatter(w, st, name, args, stdin.as_ref())
        }
        "make" | "gmake" => {
            let p = Opts::parse(
                rest,
                "CfIjlWo",
                &[
                    "--directory",
                    "--file",
                    "--makefile",
                    "--include-dir",
                    "--jobs",
                ],
            );
            let dirs: Vec<Val> = p
                .values(&["-C", "--directory"])
                .into_iter()
                .cloned()
                .collect();
            with_dirs(w, st, &dirs, |w, st| {
                opaque(w, st, name, args, stdin.as_ref())
            });
        }
        "npm" | "pnpm" | "yarn" | "bun" => {
            let p = Opts::parse(
                rest,
                "C",
                &[
                    "--prefix",
                    "--dir",
                    "--cwd",
                    "--workspace",
                    "-w",
                    "--filter",
                ],
            );
            let dirs: Vec<Val> = p
                .values(&["--prefix", "-C", "--dir", "--cwd"])
                .into_iter()
                .cloned()
                .collect();
            let reader = matches!(
                p.operands.first().and_then(|v| v.known()),
                Some("test" | "t" | "ls" | "list" | "view" | "outdated" | "audit" | "why" | "info")
            );
            with_dirs(w, st, &dirs, |w, st| {
                if reader {
                    opaque_reader(w, st, name, args)
                } else {
                    opaque(w, st, name, args, stdin.as_ref())
                }
            });
        }
        "python" | "python3" | "python2" | "py" => {
            let module = rest
                .iter()
                .position(|a| a.known() == Some("-m"))
                .and_then(|i| rest.get(i + 1))
                .and_then(|m| m.known());
            match module {
                Some(
                    "pytest" | "mypy" | "unittest" | "pyright" | "pylint" | "flake8" | "doctest"
                    | "json.tool" | "http.server" | "pydoc" | "this" | "site" | "platform"
                    | "tabnanny" | "py_compile" | "compileall" | "timeit",
                ) => opaque_reader(w, st, name, args),
                _ => opaque(w, st, name, args, stdin.as_ref()),
            }
        }
        n if READERS.contains(&n) => opaque_reader(w, st, n, args),
        "lanes" => {
            let tamper = rest.iter().filter_map(|a| a.known()).any(|t| {
                ["--role", "--as", "--policy"]
                    .iter()
                    .any(|f| t == *f || t.starts_with(&format!("{f}=")))
            });
            if tamper {
                tamper_found(w, "runs lanes with another role or policy");
            } else if !matches!(
                rest.first().and_then(|a| a.known()),
                Some(
                    "hook"
                        | "check"
                        | "explain"
                        | "validate"
                        | "status"
                        | "whoami"
                        | "--help"
                        | "--version"
                        | "help"
                )
            ) {
                opaque(w, st, "lanes", args, stdin.as_ref());
            }
        }
        "claude" => {
            let bad = rest.iter().filter_map(|a| a.known()).find(|t| {
                [
                    "--agent",
                    "--agents",
                    "--settings",
                    "--setting-sources",
                    "--bare",
                ]
                .iter()
                .any(|f| *t == *f || t.starts_with(&format!("{f}=")))
            });
            match bad {
                Some(flag) => tamper_found(
                    w,
                    &format!(
                        "starts a nested claude with {}",
                        flag.split('=').next().unwrap_or(flag)
                    ),
                ),
                None => opaque(w, st, "claude", args, stdin.as_ref()),
            }
        }
        _ => opaque(w, st, name, args, stdin.as_ref()),
    }
}

fn is_system_bin(name: &str) -> bool {
    [
        "/bin/",
        "/usr/bin/",
        "/usr/local/bin/",
        "/sbin/",
        "/usr/sbin/",
    ]
    .iter()
    .any(|d| name.strip_prefix(d).is_some_and(|rest| !rest.contains('/')))
}

/// A known literal value.
fn lit(s: &str) -> Val {
    Val::Known {
        text: s.to_string().into(),
        glob: false,
    }
}

fn append(v: &Val, suffix: &str) -> Val {
    match v {
        Val::Known { text, glob } => Val::Known {
            text: format!("{text}{suffix}").into(),
            glob: *glob,
        },
        u => u.clone(),
    }
}

fn strip_val(v: &Val, prefix: &str) -> Option<Val> {
    match v {
        Val::Known { text, glob } => text.strip_prefix(prefix).map(|t| Val::Known {
            text: text.sub(t),
            glob: *glob,
        }),
        Val::Unknown { prefix: p } => p
            .strip_prefix(prefix)
            .map(|t| Val::Unknown { prefix: t.into() }),
    }
}

/// `dir/basename(src)`.
fn join_base(dir: &Val, src: &Val) -> Val {
    match (dir, src) {
        (Val::Known { text: d, glob: g1 }, Val::Known { text: s, glob: g2 }) => {
            let base = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
            Val::Known {
                text: format!("{}/{}", d.trim_end_matches('/'), base).into(),
                glob: *g1 || *g2,
            }
        }
        (Val::Known { text: d, .. }, Val::Unknown { .. }) => Val::Unknown {
            prefix: format!("{}/", d.trim_end_matches('/')),
        },
        (u, _) => u.clone(),
    }
}

/// Records that the simple command being walked tampers with lanes.
fn tamper_found(w: &mut Walker, what: &str) {
    w.push(Found::Tamper {
        what: what.to_string(),
        role: None,
    });
}

/// Flags assignments to the variables that say who the agent is. `value` is the literal
/// value assigned, if any: setting `LANES_ROLE` or `CLAUDE_CODE_AGENT` to the session's own
/// role changes nothing, which the hook checks.
pub(super) fn check_tamper(w: &mut Walker, name: &str, value: Option<&str>, verb: &str) {
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

fn declare(w: &mut Walker, st: &mut State, rest: &[Val]) {
    for a in rest {
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

/// Parsed options and operands.
struct Opts {
    flags: Vec<(String, Option<Val>)>,
    operands: Vec<Val>,
}

impl Opts {
    /// Parses `args` where the short options in `short_arg` and the long options in
    /// `long_arg` take a value (attached or as the next word).
    fn parse(args: &[Val], short_arg: &str, long_arg: &[&str]) -> Opts {
        let mut flags = Vec::new();
        let mut operands = Vec::new();
        let mut i = 0;
        let mut done = false;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            let text = match a {
                Val::Known { text, .. } if !done && text.len() > 1 && text.starts_with('-') => {
                    text.clone()
                }
                _ => {
                    operands.push(a.clone());
                    continue;
                }
            };
            if text == "--" {
                done = true;
                continue;
            }
            if let Some(long) = text.strip_prefix("--") {
                match long.split_once('=') {
                    Some((n, v)) => flags.push((format!("--{n}"), Some(lit(v)))),
                    None => {
                        let name = format!("--{long}");
                        if long_arg.contains(&name.as_str()) && i < args.len() {
                            flags.push((name, Some(args[i].clone())));
                            i += 1;
                        } else {
                            flags.push((name, None));
                        }
                    }
                }
                continue;
            }
            if long_arg.contains(&text.as_str()) && i < args.len() {
                // Single-dash long options (`-name` for find-like grammars).
                flags.push((text.to_string(), Some(args[i].clone())));
                i += 1;
                continue;
            }
            let chars: Vec<char> = text[1..].chars().collect();
            for (k, c) in chars.iter().enumerate() {
                if short_arg.contains(*c) {
                    let attached: String = chars[k + 1..].iter().collect();
                    let value = if !attached.is_empty() {
                        Some(lit(&attached))
                    } else if i < args.len() {
                        i += 1;
                        Some(args[i - 1].clone())
                    } else {
                        None
                    };
                    flags.push((format!("-{c}"), value));
                    break;
                }
                flags.push((format!("-{c}"), None));
            }
        }
        Opts { flags, operands }
    }

    fn has(&self, names: &[&str]) -> bool {
        self.flags.iter().any(|(f, _)| names.contains(&f.as_str()))
    }

    fn values(&self, names: &[&str]) -> Vec<&Val> {
        self.flags
            .iter()
            .filter(|(f, _)| names.contains(&f.as_str()))
            .filter_map(|(_, v)| v.as_ref())
            .collect()
    }
}

fn operands_after_flags(rest: &[Val]) -> Vec<Val> {
    Opts::parse(rest, "", &[]).operands
}

fn operands_written(
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

/// Skips a wrapper's leading options (those in `short`/`long` take a value) and returns the
/// wrapped command's words.
fn skip_flags(rest: &[Val], short: &[&str], long: &[&str]) -> Vec<Val> {
    let mut i = 0;
    while i < rest.len() {
        let Some(t) = rest[i].known() else { break };
        if t == "--" {
            i += 1;
            break;
        }
        if !t.starts_with('-') || t == "-" {
            break;
        }
        let takes = short.contains(&t) || long.contains(&t);
        i += if takes { 2 } else { 1 };
    }
    rest.get(i..).map(<[Val]>::to_vec).unwrap_or_default()
}

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

/// An opaque program: recorded with its working directories and the paths it names.
fn opaque(w: &mut Walker, st: &State, program: &str, args: &[Val], stdin: Option<&Stdin>) {
    let mentions = mentions_of(w, st, args, stdin);
    w.push(Found::Opaque {
        program: program.to_string(),
        cwds: st.cwds.clone(),
        mentions,
    });
}

/// An opaque program whose path operands are inputs (test runners, type checkers).
fn opaque_reader(w: &mut Walker, st: &State, program: &str, _args: &[Val]) {
    w.push(Found::Opaque {
        program: program.to_string(),
        cwds: st.cwds.clone(),
        mentions: Vec::new(),
    });
}

fn mentions_of(w: &Walker, st: &State, args: &[Val], stdin: Option<&Stdin>) -> Vec<PathBuf> {
    let mut text: String = args
        .iter()
        .skip(1)
        .map(|a| a.text())
        .collect::<Vec<_>>()
        .join(" ");
    // A dynamic command name, or a dynamic word given to something that runs its arguments
    // as code (`eval "$(…)"`, `python3 -c "$CODE"`), is scanned as written, with the rest of
    // the simple command. Not for other programs: `gh pr create --body "$(cat <<EOF …)"`
    // may well mention other lanes' files in prose.
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
    if runs_code && args.iter().any(|a| matches!(a, Val::Unknown { .. })) {
        text.push('\n');
        text.push_str(&w.frag);
    }
    if let Some(Stdin::Text { body, .. }) = stdin {
        text.push('\n');
        text.push_str(body);
    }
    let mut out = Vec::new();
    for cwd in st.cwds.iter().flatten() {
        for m in super::lexical::mentions(&text, cwd, w.cx.home.as_deref()) {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// Runs `f` in each of `dirs` (relative to the current directories), or in place.
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

fn with_dirs(w: &mut Walker, st: &State, dirs: &[Val], f: impl Fn(&mut Walker, &State)) {
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

fn shell(w: &mut Walker, st: &mut State, name: &str, args: &[Val], stdin: Option<&Stdin>) {
    let mut i = 1;
    let mut command = false;
    while i < args.len() {
        let Some(t) = args[i].known() else { break };
        if t == "--" || t == "-" {
            i += 1;
            break;
        }
        if matches!(t, "-o" | "+o" | "--rcfile" | "--init-file" | "-O" | "+O") {
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
    let mut copy = st.clone();
    if command {
        match args.get(i).map(|v| v.known()) {
            Some(Some(text)) => {
                w.nested_script(text, &mut copy, &format!("the script given to {name} -c"))
            }
            _ => opaque(w, st, name, args, stdin),
        }
    } else if i < args.len() {
        opaque(w, st, name, args, stdin) // a script file
    } else {
        match stdin {
            Some(Stdin::Text {
                body,
                literal: true,
            }) => w.nested_script(body, &mut copy, &format!("the script fed to {name}")),
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

fn sudo(w: &mut Walker, st: &mut State, name: &str, rest: &[Val], stdin: Option<Stdin>) {
    let mut i = 0;
    let mut dirs = Vec::new();
    while i < rest.len() {
        let Some(t) = rest[i].known() else { break };
        if t == "--" {
            i += 1;
            break;
        }
        if !t.starts_with('-') {
            break;
        }
        if matches!(t, "-i" | "-s" | "--login" | "--shell") && i + 1 >= rest.len() {
            opaque(w, st, &format!("{name} {t}"), rest, stdin.as_ref());
            return;
        }
        if matches!(t, "-D" | "--chdir") {
            if let Some(d) = rest.get(i + 1) {
                dirs.push(d.clone());
            }
        }
        let takes = matches!(
            t,
            "-u" | "-g"
                | "-C"
                | "-D"
                | "-h"
                | "-p"
                | "-r"
                | "-t"
                | "-U"
                | "-T"
                | "--user"
                | "--group"
                | "--chdir"
                | "--host"
                | "--prompt"
                | "--role"
                | "--type"
                | "--other-user"
                | "--command-timeout"
                | "--close-from"
        );
        i += if takes { 2 } else { 1 };
    }
    run_wrapped(w, st, &rest[i.min(rest.len())..], &dirs, stdin);
}

fn env(w: &mut Walker, st: &mut State, rest: &[Val], stdin: Option<Stdin>) {
    let mut i = 0;
    let mut dirs = Vec::new();
    while i < rest.len() {
        let Some(t) = rest[i].known().map(str::to_string) else {
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
            i += 1;
            continue;
        }
        break;
    }
    // An unknown word may be an assignment or the command: the command is what follows.
    run_wrapped(w, st, &rest[i.min(rest.len())..], &dirs, stdin);
}

fn xargs(w: &mut Walker, st: &mut State, rest: &[Val]) {
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

fn flock(w: &mut Walker, st: &mut State, rest: &[Val], stdin: Option<Stdin>) {
    let mut i = 0;
    while i < rest.len() {
        let Some(t) = rest[i].known() else { break };
        if matches!(t, "-c" | "--command") {
            if let Some(s) = rest.get(i + 1).and_then(|v| v.known()) {
                let mut copy = st.clone();
                w.nested_script(s, &mut copy, "the command given to flock -c");
            }
            return;
        }
        if !t.starts_with('-') {
            break;
        }
        i += if matches!(
            t,
            "-w" | "-E" | "--timeout" | "--wait" | "--conflict-exit-code"
        ) {
            2
        } else {
            1
        };
    }
    // flock FILE CMD...: the lock file is created.
    if let Some(f) = rest.get(i) {
        w.write(st, f, Kind::Write);
    }
    let inner: Vec<Val> = rest.get(i + 1..).map(<[Val]>::to_vec).unwrap_or_default();
    match inner.as_slice() {
        [] => {}
        [first, second, ..] if first.known() == Some("-c") => {
            if let Some(s) = second.known() {
                let mut copy = st.clone();
                w.nested_script(s, &mut copy, "the command given to flock -c");
            }
        }
        _ => unwrap(w, st, inner, stdin),
    }
}

fn find(w: &mut Walker, st: &mut State, rest: &[Val]) {
    let mut i = 0;
    while i < rest.len() && matches!(rest[i].known(), Some("-H" | "-L" | "-P"))
        || rest
            .get(i)
            .and_then(|v| v.known())
            .is_some_and(|t| t.starts_with("-O") || t == "-D")
    {
        i += if rest[i].known() == Some("-D") { 2 } else { 1 };
    }
    let mut starts = Vec::new();
    while i < rest.len() {
        let t = rest[i].text();
        if t.starts_with('-') || t == "(" || t == "!" || t == "\\(" {
            break;
        }
        starts.push(rest[i].clone());
        i += 1;
    }
    if starts.is_empty() {
        starts.push(lit("."));
    }
    while i < rest.len() {
        let t = rest[i].known().unwrap_or("");
        match t {
            "-delete" => {
                for s in &starts {
                    w.write_tree(st, s, Kind::Delete);
                }
                i += 1;
            }
            "-fprint" | "-fprint0" | "-fls" => {
                if let Some(f) = rest.get(i + 1) {
                    w.write(st, f, Kind::Write);
                }
                i += 2;
            }
            "-fprintf" => {
                if let Some(f) = rest.get(i + 1) {
                    w.write(st, f, Kind::Write);
                }
                i += 3;
            }
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let end = rest[i + 1..]
                    .iter()
                    .position(|v| matches!(v.known(), Some(";" | "+")))
                    .map_or(rest.len(), |n| i + 1 + n);
                let cmd: Vec<Val> = rest[i + 1..end].to_vec();
                for s in &starts {
                    let matches = Val::Known {
                        text: format!("{}/*", s.text().trim_end_matches('/')).into(),
                        glob: true,
                    };
                    let inner: Vec<Val> = cmd
                        .iter()
                        .map(|v| match v {
                            Val::Known { text, .. } if text.contains("{}") => {
                                if s.known().is_some() {
                                    matches.clone()
                                } else {
                                    Val::Unknown {
                                        prefix: s.text().to_string(),
                                    }
                                }
                            }
                            other => other.clone(),
                        })
                        .collect();
                    if !inner.is_empty() {
                        let mut copy = st.clone();
                        run(w, &mut copy, &inner, None);
                    }
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
}

fn copy_like(w: &mut Walker, st: &State, rest: &[Val], is_move: bool) {
    let p = Opts::parse(rest, "tS", &["--target-directory", "--suffix"]);
    let tree = is_move || p.has(&["-r", "-R", "-a", "--recursive", "--archive"]);
    let target_dir = p
        .values(&["-t", "--target-directory"])
        .first()
        .map(|v| (*v).clone());
    let (dest, srcs): (Val, Vec<Val>) = match target_dir {
        Some(d) => (d, p.operands.clone()),
        None => match p.operands.split_last() {
            Some((d, s)) if !s.is_empty() => (d.clone(), s.to_vec()),
            _ => return,
        },
    };
    let into_dir = !p.has(&["-T", "--no-target-directory"])
        && (srcs.len() > 1
            || p.has(&["-t", "--target-directory"])
            || dest.text().ends_with('/')
            || is_dir(w, st, &dest));
    for src in &srcs {
        if is_move {
            path_or_tree(w, st, src, Kind::Delete);
        }
        let target = if into_dir {
            join_base(&dest, src)
        } else {
            dest.clone()
        };
        let src_is_dir = is_dir(w, st, src);
        if tree && (src_is_dir || !is_move) {
            w.write_tree(st, &target, Kind::Write);
        } else {
            w.write(st, &target, Kind::Write);
        }
    }
}

/// True when `v` names an existing directory from the (first known) working directory.
fn is_dir(w: &Walker, st: &State, v: &Val) -> bool {
    let Some(t) = v.literal() else { return false };
    st.cwds
        .iter()
        .any(|c| w.absolute(c, t).is_some_and(|p| p.is_dir()))
}

fn install(w: &mut Walker, st: &State, rest: &[Val]) {
    let p = Opts::parse(
        rest,
        "gmoSt",
        &[
            "--group",
            "--mode",
            "--owner",
            "--suffix",
            "--target-directory",
            "--strip-program",
        ],
    );
    if p.has(&["-d", "--directory"]) {
        for v in &p.operands {
            w.write(st, v, Kind::MakeDir);
        }
        return;
    }
    let (dest, srcs): (Val, Vec<Val>) = match p.values(&["-t", "--target-directory"]).first() {
        Some(d) => ((*d).clone(), p.operands.clone()),
        None => match p.operands.split_last() {
            Some((d, s)) if !s.is_empty() => (d.clone(), s.to_vec()),
            _ => return,
        },
    };
    let into_dir = srcs.len() > 1 || p.has(&["-t", "--target-directory"]) || is_dir(w, st, &dest);
    for src in &srcs {
        let target = if into_dir {
            join_base(&dest, src)
        } else {
            dest.clone()
        };
        w.write(st, &target, Kind::Write);
    }
}

fn ln(w: &mut Walker, st: &mut State, rest: &[Val]) {
    let p = Opts::parse(rest, "St", &["--suffix", "--target-directory"]);
    let symbolic = p.has(&["-s", "--symbolic"]);
    let pairs: Vec<(Val, Val)> = match p.values(&["-t", "--target-directory"]).first() {
        Some(d) => p
            .operands
            .iter()
            .map(|t| (t.clone(), join_base(d, t)))
            .collect(),
        None => match p.operands.as_slice() {
            [] => Vec::new(),
            [t] => vec![(t.clone(), join_base(&lit("."), t))],
            [t, l]
                if !is_dir(w, st, l)
                    || p.has(&["-T", "--no-target-directory", "-n", "--no-dereference"]) =>
            {
                vec![(t.clone(), l.clone())]
            }
            [ts @ .., d] => ts.iter().map(|t| (t.clone(), join_base(d, t))).collect(),
        },
    };
    for (target, link) in pairs {
        w.write(st, &link, Kind::Link);
        if symbolic {
            // Writes through the new link later in the command reach its target (T95).
            if let (Some(t), Some(l), Some(cwd)) = (
                target.literal(),
                link.literal(),
                st.pwd().map(Path::to_path_buf),
            ) {
                let link_abs = crate::path::normalize_lexically(&cwd.join(l));
                let base = link_abs
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| cwd.clone());
                let target_abs = crate::path::normalize_lexically(&base.join(t));
                st.add_link(link_abs, target_abs);
            }
        } else {
            // A hard link shares the inode: later writes to the link change the target (T96).
            w.write(st, &target, Kind::Write);
        }
    }
}

fn chmod(w: &mut Walker, st: &State, name: &str, rest: &[Val]) {
    let mode_like =
        |t: &str| t.len() > 1 && t[1..].chars().all(|c| "rwxXstugoa".contains(c)) && t != "-R";
    let mut mode_in_flags = false;
    let mut args = Vec::new();
    for a in rest {
        match a.known() {
            Some(t) if name == "chmod" && t.starts_with('-') && mode_like(t) => {
                mode_in_flags = true
            }
            _ => args.push(a.clone()),
        }
    }
    let p = Opts::parse(&args, "", &["--reference"]);
    let skip = usize::from(!(mode_in_flags || p.has(&["--reference"]) || (name == "setfacl")));
    let tree = p.has(&["-R", "--recursive"]);
    let ops: Vec<Val> = if name == "setfacl" {
        p.operands
            .iter()
            .skip(usize::from(
                p.operands.len() > 1 && !p.has(&["-b", "-k", "--remove-all", "--remove-default"]),
            ))
            .cloned()
            .collect()
    } else {
        p.operands.iter().skip(skip).cloned().collect()
    };
    for v in &ops {
        if tree {
            w.write_tree(st, v, Kind::Metadata)
        } else {
            w.write(st, v, Kind::Metadata)
        }
    }
}

fn sed(w: &mut Walker, st: &State, rest: &[Val]) {
    // Read on the words' own text: nothing here needs a copy.
    let mut in_place = false;
    let mut suffix = "";
    // Nearly always one script: a list only for the second and later ones.
    let mut scripts = Scripts::default();
    let mut script_given = false;
    let mut operands: Vec<&Val> = Vec::with_capacity(rest.len());
    let mut i = 0;
    let mut done = false;
    while i < rest.len() {
        let a = &rest[i];
        i += 1;
        let t = match a.known() {
            Some(t) if !done && t.starts_with('-') && t.len() > 1 => t,
            _ => {
                operands.push(a);
                continue;
            }
        };
        if t == "--" {
            done = true;
        } else if t == "--in-place" || t.starts_with("--in-place=") {
            in_place = true;
            suffix = t.strip_prefix("--in-place=").unwrap_or("");
        } else if t == "--expression" || t == "--file" {
            script_given = true;
            if t == "--expression" {
                scripts.extend(rest.get(i).map(Val::text));
            }
            i += 1;
        } else if let Some(e) = t.strip_prefix("--expression=") {
            script_given = true;
            scripts.push(e);
        } else if t.starts_with("--file=") {
            script_given = true;
        } else if !t.starts_with("--") {
            for (k, c) in t[1..].char_indices() {
                let attached = &t[1 + k + c.len_utf8()..];
                match c {
                    'i' => {
                        in_place = true;
                        suffix = attached; // the rest is the backup suffix
                        break;
                    }
                    'e' | 'f' | 'l' => {
                        if c != 'l' {
                            script_given = true;
                        }
                        let value = if attached.is_empty() {
                            i += 1;
                            rest.get(i - 1).map(Val::text)
                        } else {
                            Some(attached)
                        };
                        if c == 'e' {
                            scripts.extend(value);
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
    }
    if !script_given && !operands.is_empty() {
        scripts.push(operands.remove(0).text());
    }
    if in_place {
        for v in operands {
            w.write(st, v, Kind::Write);
            if !suffix.is_empty() && !suffix.contains('*') {
                w.write(st, &append(v, suffix), Kind::Write);
            }
        }
    }
    // `w FILE`, `W FILE` commands and the `s///w FILE` flag write FILE (reference T120).
    for s in scripts.first.into_iter().chain(scripts.more) {
        for line in s.split(['\n', ';']) {
            let l = line.trim();
            let file = if let Some(f) = l.strip_prefix("w ").or(l.strip_prefix("W ")) {
                Some(f)
            } else {
                l.strip_prefix('s')
                    .filter(|_| l.len() > 1)
                    .and_then(|body| {
                        let delim = body.chars().next()?;
                        let flags = body[delim.len_utf8()..].splitn(3, delim).nth(2)?;
                        flags.find('w').map(|at| &flags[at + 1..])
                    })
            };
            if let Some(f) = file.map(str::trim).filter(|f| !f.is_empty()) {
                w.write(st, &lit(f), Kind::Write);
            }
        }
    }
}

/// `sed`'s scripts in order: the first, and any after it.
#[derive(Default)]
struct Scripts<'a> {
    first: Option<&'a str>,
    more: Vec<&'a str>,
}

impl<'a> Scripts<'a> {
    fn push(&mut self, s: &'a str) {
        match self.first {
            None => self.first = Some(s),
            Some(_) => self.more.push(s),
        }
    }

    fn extend(&mut self, s: Option<&'a str>) {
        if let Some(s) = s {
            self.push(s);
        }
    }
}

fn perl(w: &mut Walker, st: &State, args: &[Val], stdin: Option<&Stdin>) {
    let rest = &args[1..];
    let mut in_place = false;
    let mut program = false;
    let mut i = 0;
    while i < rest.len() {
        let Some(t) = rest[i].known() else { break };
        if t == "--" {
            i += 1;
            break;
        }
        if !t.starts_with('-') || t == "-" {
            break;
        }
        i += 1;
        for (k, c) in t[1..].char_indices() {
            match c {
                'i' => {
                    in_place = true;
                    break;
                }
                'e' | 'E' => {
                    program = true;
                    if t[1 + k + 1..].is_empty() {
                        i += 1;
                    }
                    break;
                }
                'M' | 'I' | 'm' | 'x' | '0' | 'l' | 'C' | 'd' | 'D' | 'F' | 'V' => break,
                _ => {}
            }
        }
    }
    let mut files: Vec<Val> = rest.get(i..).map(<[Val]>::to_vec).unwrap_or_default();
    if in_place {
        if !program && !files.is_empty() {
            files.remove(0);
        }
        for v in &files {
            w.write(st, v, Kind::Write);
        }
    } else {
        opaque(w, st, "perl", args, stdin);
    }
}

fn awk(w: &mut Walker, st: &State, args: &[Val], stdin: Option<&Stdin>) {
    let p = Opts::parse(
        &args[1..],
        "Fvfie",
        &[
            "--field-separator",
            "--assign",
            "--file",
            "--include",
            "--source",
        ],
    );
    let in_place = p
        .values(&["-i", "--include"])
        .iter()
        .any(|v| v.known() == Some("inplace"));
    let mut ops = p.operands.clone();
    let program = if p.has(&["-f", "--file"]) || ops.is_empty() {
        None
    } else {
        Some(ops.remove(0))
    };
    if in_place {
        for v in &ops {
            w.write(st, v, Kind::Write);
        }
    }
    if let Some(prog) = program {
        let text = prog.text();
        if text.contains("system(")
            || text.contains("| \"")
            || text.contains("|\"")
            || text.contains("|&")
        {
            opaque(w, st, args[0].text(), args, stdin);
        }
        // print > "FILE", print >> "FILE".
        let mut rest = text;
        while let Some(at) = rest.find('>') {
            let after = rest[at + 1..].trim_start_matches('>').trim_start();
            if let Some(q) = after.strip_prefix('"') {
                if let Some(end) = q.find('"') {
                    w.write(st, &lit(&q[..end]), Kind::Write);
                }
            }
            rest = &rest[at + 1..];
        }
    }
}

fn compressor(w: &mut Walker, st: &State, name: &str, rest: &[Val]) {
    let p = Opts::parse(rest, "bSF", &["--suffix", "--format"]);
    if p.has(&[
        "-c",
        "--stdout",
        "--to-stdout",
        "-t",
        "--test",
        "-l",
        "--list",
    ]) {
        return;
    }
    let decompress = name.starts_with("gun")
        || name.starts_with("un")
        || name.starts_with("bun")
        || p.has(&["-d", "--decompress", "--uncompress"]);
    let ext = match name
        .trim_start_matches("gun")
        .trim_start_matches("bun")
        .trim_start_matches("un")
    {
        "zip" | "gzip" => ".gz",
        "bzip2" | "zip2" => ".bz2",
        "xz" => ".xz",
        "zstd" => ".zst",
        "lz4" => ".lz4",
        "lzma" => ".lzma",
        _ => ".Z",
    };
    for v in &p.operands {
        if !p.has(&["-k", "--keep"]) {
            w.write(st, v, Kind::Delete);
        }
        let other = if decompress {
            strip_suffix(v, ext)
        } else {
            append(v, ext)
        };
        w.write(st, &other, Kind::Write);
    }
}

fn strip_suffix(v: &Val, ext: &str) -> Val {
    match v {
        Val::Known { text, glob } => Val::Known {
            text: text.strip_suffix(ext).unwrap_or(text).to_string().into(),
            glob: *glob,
        },
        u => u.clone(),
    }
}

fn tar(w: &mut Walker, st: &State, rest: &[Val]) {
    const TAKES: &str = "fCbKNTXgFLVH";
    let mut mode = ' ';
    let mut files: Vec<Val> = Vec::new();
    let mut dirs: Vec<Val> = Vec::new();
    let mut to_stdout = false;
    let mut i = 0;
    let mut first = true;
    while i < rest.len() {
        let a = rest[i].clone();
        i += 1;
        let Some(t) = a.known().map(str::to_string) else {
            continue;
        };
        let old_style = first && !t.starts_with('-') && t.chars().all(|c| c.is_ascii_alphabetic());
        first = false;
        if let Some(long) = t.strip_prefix("--") {
            let (n, v) = match long.split_once('=') {
                Some((n, v)) => (n, Some(lit(v))),
                None => (long, None),
            };
            let mut value = || {
                v.clone().or_else(|| {
                    i += 1;
                    rest.get(i - 1).cloned()
                })
            };
            match n {
                "extract" | "get" => mode = 'x',
                "create" | "append" | "update" | "concatenate" | "catenate" => mode = 'c',
                "list" | "diff" | "compare" => mode = 't',
                "to-stdout" => to_stdout = true,
                "file" => files.extend(value()),
                "directory" => dirs.extend(value()),
                _ => {}
            }
            continue;
        }
        if t.starts_with('-') || old_style {
            let chars: Vec<char> = t.trim_start_matches('-').chars().collect();
            for (k, c) in chars.iter().enumerate() {
                match c {
                    'x' => mode = 'x',
                    'c' | 'r' | 'u' | 'A' => mode = 'c',
                    't' | 'd' => mode = 't',
                    'O' => to_stdout = true,
                    _ => {}
                }
                if TAKES.contains(*c) {
                    let attached: String = chars[k + 1..].iter().collect();
                    let value = if !old_style && !attached.is_empty() {
                        Some(lit(&attached))
                    } else {
                        i += 1;
                        rest.get(i - 1).cloned()
                    };
                    match c {
                        'f' => files.extend(value),
                        'C' => dirs.extend(value),
                        _ => {}
                    }
                    if !old_style {
                        break;
                    }
                }
            }
        }
    }
    match mode {
        'x' if !to_stdout => {
            if dirs.is_empty() {
                dirs.push(lit("."));
            }
            for d in &dirs {
                w.write_tree(st, d, Kind::Write);
            }
        }
        'c' => {
            for f in files.iter().filter(|f| f.known() != Some("-")) {
                w.write(st, f, Kind::Write);
            }
        }
        _ => {}
    }
}

fn unzip(w: &mut Walker, st: &State, rest: &[Val]) {
    let mut dir = None;
    let mut list = false;
    let mut i = 0;
    while i < rest.len() {
        let t = rest[i].text().to_string();
        i += 1;
        if t == "-d" {
            dir = rest.get(i).cloned();
            i += 1;
        } else if let Some(d) = t.strip_prefix("-d").filter(|d| !d.is_empty()) {
            dir = Some(lit(d));
        } else if t == "-x" {
            break;
        } else if t.starts_with('-') && t[1..].chars().any(|c| "ltvZpcz".contains(c)) {
            list = true;
        }
    }
    if !list {
        w.write_tree(st, &dir.unwrap_or_else(|| lit(".")), Kind::Write);
    }
}

fn url_basename(v: &Val) -> Option<String> {
    let t = v.known()?;
    let path = t.split_once("://")?.1.split(['?', '#']).next()?;
    let name = path
        .split_once('/')
        .map(|(_, p)| p.rsplit('/').next().unwrap_or(""))
        .unwrap_or("");
    Some(if name.is_empty() {
        "index.html".to_string()
    } else {
        name.to_string()
    })
}

fn curl(w: &mut Walker, st: &State, rest: &[Val]) {
    let long = [
        "--output",
        "--dump-header",
        "--cookie-jar",
        "--trace",
        "--trace-ascii",
        "--stderr",
        "--etag-save",
        "--libcurl",
        "--output-dir",
        "--config",
        "--data",
        "--data-raw",
        "--data-binary",
        "--data-urlencode",
        "--header",
        "--user-agent",
        "--request",
        "--url",
        "--cookie",
        "--max-time",
        "--connect-timeout",
        "--retry",
        "--user",
        "--proxy",
        "--referer",
        "--form",
        "--cacert",
        "--cert",
        "--key",
        "--resolve",
        "--write-out",
        "--range",
        "--upload-file",
        "--interface",
        "--limit-rate",
        "--max-filesize",
        "--retry-delay",
        "--retry-max-time",
        "--json",
        "--form-string",
        "--oauth2-bearer",
        "--continue-at",
        "--time-cond",
        "--create-file-mode",
        "--variable",
        "--expect100-timeout",
        "--unix-socket",
    ];
    let p = Opts::parse(rest, "AbcCdDeEFHKmoPQrtTuUwxXyYz", &long);
    for v in p.values(&[
        "-o",
        "--output",
        "-D",
        "--dump-header",
        "-c",
        "--cookie-jar",
        "--trace",
        "--trace-ascii",
        "--stderr",
        "--etag-save",
        "--libcurl",
    ]) {
        if v.known() != Some("-") {
            w.write(st, v, Kind::Write);
        }
    }
    let dir = p
        .values(&["--output-dir"])
        .first()
        .map(|v| (*v).clone())
        .unwrap_or_else(|| lit("."));
    if p.has(&["-O", "--remote-name", "--remote-name-all"]) {
        let urls: Vec<&Val> = p
            .operands
            .iter()
            .filter(|v| v.text().contains("://"))
            .collect();
        for u in urls {
            if p.has(&["-J", "--remote-header-name"]) {
                w.write(
                    st,
                    &Val::Unknown {
                        prefix: format!("{}/", dir.text().trim_end_matches('/')),
                    },
                    Kind::Write,
                );
            } else if let Some(b) = url_basename(u) {
                w.write(st, &join_base(&dir, &lit(&b)), Kind::Write);
            } else {
                w.write(
                    st,
                    &Val::Unknown {
                        prefix: format!("{}/", dir.text().trim_end_matches('/')),
                    },
                    Kind::Write,
                );
            }
        }
    }
    if p.has(&["-K", "--config"]) {
        opaque(w, st, "curl --config", rest, None);
    }
}

fn wget(w: &mut Walker, st: &State, rest: &[Val]) {
    let long = [
        "--output-document",
        "--output-file",
        "--append-output",
        "--directory-prefix",
        "--execute",
        "--tries",
        "--timeout",
        "--wait",
        "--quota",
        "--user-agent",
        "--input-file",
        "--base",
        "--level",
        "--header",
        "--user",
        "--password",
        "--post-data",
        "--post-file",
        "--accept",
        "--reject",
        "--domains",
    ];
    let p = Opts::parse(rest, "OoaPetTwQUiBlADR", &long);
    for v in p.values(&["-o", "--output-file", "-a", "--append-output"]) {
        w.write(st, v, Kind::Write);
    }
    let dir = p
        .values(&["-P", "--directory-prefix"])
        .first()
        .map(|v| (*v).clone())
        .unwrap_or_else(|| lit("."));
    let docs = p.values(&["-O", "--output-document"]);
    if !docs.is_empty() {
        for v in docs {
            if v.known() != Some("-") {
                w.write(st, v, Kind::Write);
            }
        }
    } else if p.has(&[
        "-r",
        "--recursive",
        "-m",
        "--mirror",
        "-i",
        "--input-file",
        "--content-disposition",
    ]) {
        w.write_tree(st, &dir, Kind::Write);
    } else {
        for u in p.operands.iter() {
            match url_basename(u) {
                Some(b) => w.write(st, &join_base(&dir, &lit(&b)), Kind::Write),
                None => w.write(
                    st,
                    &Val::Unknown {
                        prefix: format!("{}/", dir.text().trim_end_matches('/')),
                    },
                    Kind::Write,
                ),
            }
        }
    }
}

fn remote_copy(w: &mut Walker, st: &State, name: &str, rest: &[Val]) {
    let long = [
        "--rsh",
        "--exclude",
        "--include",
        "--filter",
        "--log-file",
        "--backup-dir",
        "--partial-dir",
        "--temp-dir",
        "--files-from",
        "--password-file",
        "--port",
        "--chmod",
        "--timeout",
        "--bwlimit",
        "--max-size",
        "--min-size",
        "--block-size",
        "--out-format",
        "--compare-dest",
        "--copy-dest",
        "--link-dest",
        "--write-batch",
        "--only-write-batch",
        "--read-batch",
        "--iconv",
        "--suffix",
        "--exclude-from",
        "--include-from",
    ];
    let short = if name == "rsync" { "efTB" } else { "cFiJloPSD" };
    let p = Opts::parse(rest, short, &long);
    for v in p.values(&[
        "--log-file",
        "--write-batch",
        "--only-write-batch",
        "--backup-dir",
    ]) {
        w.write(st, v, Kind::Write);
    }
    let remote = |v: &Val| {
        let t = v.text();
        t.split_once(':')
            .is_some_and(|(host, _)| !host.contains('/'))
    };
    if let Some((dest, srcs)) = p.operands.split_last() {
        if !remote(dest) && !srcs.is_empty() {
            w.write_tree(st, dest, Kind::Write);
        }
        if p.has(&["--remove-source-files", "--remove-sent-files"]) {
            for s in srcs.iter().filter(|s| !remote(s)) {
                w.write_tree(st, s, Kind::Delete);
            }
        }
    }
}

/// Paths named on a patch's `---`/`+++` lines, `strip` leading components removed.
fn patch_files(text: &str, strip: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines().take(100_000) {
        let Some(rest) = line.strip_prefix("+++ ").or(line.strip_prefix("--- ")) else {
            continue;
        };
        let name = rest.split('\t').next().unwrap_or(rest).trim();
        if name == "/dev/null" || name.is_empty() {
            continue;
        }
        let strips: Vec<usize> = match strip {
            Some(n) => vec![n],
            None => vec![0, 1],
        };
        for n in strips {
            let parts: Vec<&str> = name.split('/').collect();
            if n < parts.len() {
                let p = parts[n..].join("/");
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Reads a patch file named in the command (at most 4 MiB). `None` when it cannot be read.
fn read_patch(w: &Walker, st: &State, v: &Val) -> Option<String> {
    use std::io::Read;
    let t = v.literal()?;
    let cwd = st
        .pwd()
        .map(Path::to_path_buf)
        .or_else(|| Some(w.cx.cwd.clone()))?;
    let mut buf = String::new();
    std::fs::File::open(cwd.join(t))
        .ok()?
        .take(4 << 20)
        .read_to_string(&mut buf)
        .ok()?;
    Some(buf)
}

fn patch(w: &mut Walker, st: &State, rest: &[Val], stdin: Option<&Stdin>) {
    let p = Opts::parse(
        rest,
        "BDFVYdioprz",
        &[
            "--prefix",
            "--ifdef",
            "--fuzz",
            "--version-control",
            "--basename-prefix",
            "--directory",
            "--input",
            "--output",
            "--strip",
            "--reject-file",
            "--suffix",
        ],
    );
    if p.has(&["--dry-run", "-C", "--check"]) {
        return;
    }
    if let Some(v) = p.values(&["-o", "--output"]).first() {
        if v.known() != Some("-") {
            w.write(st, v, Kind::Write);
        }
        return;
    }
    let strip = p
        .values(&["-p", "--strip"])
        .first()
        .and_then(|v| v.known())
        .and_then(|t| t.parse().ok());
    let dir = p
        .values(&["-d", "--directory"])
        .first()
        .map(|v| (*v).clone());
    let input = p
        .values(&["-i", "--input"])
        .first()
        .map(|v| (*v).clone())
        .or_else(|| p.operands.get(1).cloned());
    let text = match (&input, stdin) {
        (Some(f), _) => read_patch(w, st, f),
        (None, Some(Stdin::File(f))) => read_patch(w, st, f),
        (None, Some(Stdin::Text { body, .. })) => Some(body.to_string()),
        _ => None,
    };
    let base = dir
        .map(|d| format!("{}/", d.text().trim_end_matches('/')))
        .unwrap_or_default();
    if let Some(target) = p
        .operands
        .first()
        .filter(|_| input.is_some() || p.operands.len() == 1)
    {
        w.write(st, &lit(&format!("{base}{}", target.text())), Kind::Write);
        return;
    }
    match text {
        Some(t) => {
            for f in patch_files(&t, strip) {
                w.write(st, &lit(&format!("{base}{f}")), Kind::Write);
            }
        }
        None => w.write(st, &Val::Unknown { prefix: base }, Kind::Write),
    }
}

fn git(w: &mut Walker, st: &State, rest: &[Val]) {
    let mut i = 0;
    let mut gst = st.clone();
    while i < rest.len() {
        let Some(t) = rest[i].known().map(str::to_string) else {
            break;
        };
        match t.as_str() {
            "-C" => {
                if let Some(d) = rest.get(i + 1) {
                    gst.cwds = gst
                        .cwds
                        .iter()
                        .map(|c| {
                            d.literal()
                                .and_then(|t| w.absolute(c, t))
                                .map(|p| crate::path::normalize_lexically(&p))
                        })
                        .collect();
                }
                i += 2;
            }
            "-c" => {
                if let Some(kv) = rest.get(i + 1) {
                    if kv.text().to_ascii_lowercase().starts_with("core.hookspath") {
                        tamper_found(w, "overrides core.hooksPath");
                    }
                }
                i += 2;
            }
            "--git-dir" | "--work-tree" | "--namespace" | "--exec-path" => {
                opaque(w, st, &format!("git {t}"), rest, None);
                return;
            }
            s if s.starts_with("--git-dir=") || s.starts_with("--work-tree=") => {
                opaque(
                    w,
                    st,
                    &format!("git {}", s.split('=').next().unwrap_or(s)),
                    rest,
                    None,
                );
                return;
            }
            s if s.starts_with('-') => i += 1,
            _ => break,
        }
    }
    let Some(sub) = rest.get(i).and_then(|v| v.known()).map(str::to_string) else {
        return;
    };
    let args = &rest[i + 1..];
    let st = &gst;
    let texts: Vec<&str> = args.iter().map(|a| a.text()).collect();
    let has = |names: &[&str]| texts.iter().any(|t| names.contains(t));
    match sub.as_str() {
        "status" | "log" | "show" | "blame" | "grep" | "ls-files" | "ls-tree" | "rev-parse"
        | "describe" | "shortlog" | "reflog" | "cat-file" | "show-ref" | "for-each-ref"
        | "merge-base" | "branch" | "tag" | "fetch" | "remote" | "add" | "notes"
        | "symbolic-ref" | "var" | "version" | "help" | "whatchanged" | "count-objects"
        | "fsck" | "gc" | "prune" | "range-diff" | "name-rev" | "rev-list" | "check-ignore"
        | "check-attr" | "ls-remote" | "update-index" | "write-tree" | "hash-object"
        | "diff-tree" | "diff-index" | "diff-files" | "cherry" | "verify-commit" | "credential"
        | "rerere" | "maintenance" => {}
        "commit" | "push" | "merge" | "am" | "rebase" | "cherry-pick" | "revert" | "pull" => {
            let p = Opts::parse(
                args,
                if sub == "commit" { "mFcCt" } else { "mXsS" },
                &[
                    "--message",
                    "--file",
                    "--reuse-message",
                    "--reedit-message",
                    "--template",
                    "--author",
                    "--date",
                    "--cleanup",
                    "--fixup",
                    "--squash",
                    "--trailer",
                    "--pathspec-from-file",
                    "--strategy",
                    "--strategy-option",
                    "--onto",
                    "--exec",
                    "--repo",
                    "--push-option",
                ],
            );
            if p.has(&["--no-verify"]) || (sub == "commit" && p.has(&["-n"])) {
                tamper_found(w, &format!("skips the git hooks (git {sub} --no-verify)"));
            }
            if !matches!(sub.as_str(), "commit" | "push") {
                w.push(Found::RepoWide {
                    certain: false,
                    cwds: st.cwds.clone(),
                });
            }
        }
        "config" => {
            let key = texts
                .iter()
                .position(|t| t.eq_ignore_ascii_case("core.hookspath"));
            if let Some(k) = key {
                let reads = has(&["--get", "--get-all", "--get-regexp", "-l", "--list", "get"]);
                if !reads
                    && (k + 1 < texts.len() || has(&["--unset", "--unset-all", "unset", "set"]))
                {
                    tamper_found(w, "changes core.hooksPath");
                }
            }
        }
        "diff" => {
            for t in &texts {
                if let Some(f) = t.strip_prefix("--output=") {
                    w.write(st, &lit(f), Kind::Write);
                }
            }
        }
        "checkout" | "restore" => {
            if sub == "restore" && has(&["--staged", "-S"]) && !has(&["--worktree", "-W"]) {
                return;
            }
            let p = Opts::parse(
                args,
                "bBs",
                &["--source", "--orphan", "--conflict", "--pathspec-from-file"],
            );
            let after_dashes = texts.iter().position(|t| *t == "--");
            let paths: Vec<Val> = match after_dashes {
                Some(at) => args[at + 1..].to_vec(),
                None if sub == "restore" => p.operands.clone(),
                None => {
                    if p.has(&["-b", "-B", "--orphan"]) && p.operands.is_empty() {
                        return;
                    }
                    // `git checkout X`: a path when X exists, else a branch or commit.
                    let (paths, refs): (Vec<Val>, Vec<Val>) = p
                        .operands
                        .iter()
                        .cloned()
                        .partition(|v| v.known() == Some(".") || exists(w, st, v));
                    if !refs.is_empty() && paths.is_empty() && !p.has(&["-b", "-B", "--orphan"]) {
                        w.push(Found::RepoWide {
                            certain: false,
                            cwds: st.cwds.clone(),
                        });
                    }
                    paths
                }
            };
            for v in &paths {
                path_or_tree(w, st, v, Kind::Write);
            }
        }
        "rm" => {
            if has(&["--cached"]) {
                return;
            }
            let p = Opts::parse(args, "", &["--pathspec-from-file"]);
            for v in &p.operands {
                if p.has(&["-r"]) {
                    w.write_tree(st, v, Kind::Delete)
                } else {
                    w.write(st, v, Kind::Delete)
                }
            }
        }
        "mv" => {
            for v in Opts::parse(args, "", &[]).operands {
                path_or_tree(w, st, &v, Kind::Write);
            }
        }
        "apply" => {
            if has(&[
                "--cached",
                "--check",
                "--stat",
                "--numstat",
                "--summary",
                "--index-info",
            ]) && !has(&["--index"])
            {
                return;
            }
            let p = Opts::parse(
                args,
                "pC",
                &[
                    "--directory",
                    "--exclude",
                    "--include",
                    "--whitespace",
                    "--build-fake-ancestor",
                ],
            );
            let strip = p
                .values(&["-p"])
                .first()
                .and_then(|v| v.known())
                .and_then(|t| t.parse().ok())
                .or(Some(1));
            let base = p
                .values(&["--directory"])
                .first()
                .map(|d| format!("{}/", d.text().trim_end_matches('/')))
                .unwrap_or_default();
            if p.operands.is_empty() {
                w.write(
                    st,
                    &Val::Unknown {
                        prefix: String::new(),
                    },
                    Kind::Write,
                );
            }
            for f in &p.operands {
                match read_patch(w, st, f) {
                    Some(t) => {
                        for name in patch_files(&t, strip) {
                            w.write(st, &lit(&format!("{base}{name}")), Kind::Write);
                        }
                    }
                    None => w.write(
                        st,
                        &Val::Unknown {
                            prefix: base.clone(),
                        },
                        Kind::Write,
                    ),
                }
            }
        }
        "clean" => {
            let p = Opts::parse(args, "e", &["--exclude"]);
            if p.has(&["-n", "--dry-run"]) || !p.has(&["-f", "--force"]) {
                return;
            }
            if p.operands.is_empty() {
                w.write_tree(st, &lit("."), Kind::Delete);
            }
            for v in &p.operands {
                w.write_tree(st, v, Kind::Delete);
            }
        }
        "stash" => {
            let action = args.first().and_then(|v| v.known()).unwrap_or("push");
            match action {
                "list" | "show" | "drop" | "clear" | "create" | "store" | "branch" => {}
                "pop" | "apply" => w.push(Found::RepoWide {
                    certain: false,
                    cwds: st.cwds.clone(),
                }),
                _ => match texts.iter().position(|t| *t == "--") {
                    Some(at) => {
                        for v in &args[at + 1..] {
                            path_or_tree(w, st, v, Kind::Write);
                        }
                    }
                    None => w.push(Found::RepoWide {
                        certain: true,
                        cwds: st.cwds.clone(),
                    }),
                },
            }
        }
        "reset" => {
            if has(&["--hard", "--merge", "--keep"]) {
                w.push(Found::RepoWide {
                    certain: true,
                    cwds: st.cwds.clone(),
                });
            }
        }
        "switch" => {
            if !has(&["-c", "-C", "--create", "--force-create"]) || args.len() > 2 {
                w.push(Found::RepoWide {
                    certain: false,
                    cwds: st.cwds.clone(),
                })
            }
        }
        "clone" => {
            let p = Opts::parse(
                args,
                "bocuj",
                &[
                    "--branch",
                    "--origin",
                    "--depth",
                    "--reference",
                    "--separate-git-dir",
                    "--template",
                    "--upload-pack",
                    "--config",
                    "--jobs",
                    "--filter",
                    "--shallow-since",
                    "--shallow-exclude",
                ],
            );
            let dest = match p.operands.as_slice() {
                [_, d, ..] => d.clone(),
                [url] => {
                    let name = url
                        .text()
                        .trim_end_matches('/')
                        .rsplit(['/', ':'])
                        .next()
                        .unwrap_or("")
                        .trim_end_matches(".git")
                        .to_string();
                    if name.is_empty() || url.known().is_none() {
                        Val::Unknown {
                            prefix: String::new(),
                        }
                    } else {
                        lit(&name)
                    }
                }
                [] => return,
            };
            w.write_tree(st, &dest, Kind::Write);
        }
        "worktree" => {
            let p = Opts::parse(args.get(1..).unwrap_or(&[]), "bB", &["--reason"]);
            // `add PATH [BRANCH]`, `remove PATH`, `move PATH NEW`.
            let paths = match args.first().and_then(|v| v.known()) {
                Some("add" | "remove") => 1,
                Some("move") => 2,
                _ => 0,
            };
            for v in p.operands.iter().take(paths) {
                w.write_tree(st, v, Kind::Write);
            }
        }
        "init" => {
            let p = Opts::parse(
                args,
                "b",
                &[
                    "--template",
                    "--separate-git-dir",
                    "--initial-branch",
                    "--object-format",
                ],
            );
            let dir = p.operands.first().cloned().unwrap_or_else(|| lit("."));
            w.write(st, &append(&dir, "/.git"), Kind::Write);
        }
        "format-patch" => {
            let p = Opts::parse(args, "ov", &["--output-directory", "--output"]);
            for v in p.values(&["-o", "--output-directory"]) {
                w.write_tree(st, v, Kind::Write);
            }
            for v in p.values(&["--output"]) {
                w.write(st, v, Kind::Write);
            }
        }
        "archive" => {
            for v in Opts::parse(args, "o", &["--output", "--prefix", "--format", "--remote"])
                .values(&["-o", "--output"])
            {
                w.write(st, v, Kind::Write);
            }
        }
        "bundle" => {
            if args.first().and_then(|v| v.known()) == Some("create") {
                if let Some(f) = args.get(1) {
                    w.write(st, f, Kind::Write);
                }
            }
        }
        _ => opaque(w, st, &format!("git {sub}"), rest, None),
    }
}

fn exists(w: &Walker, st: &State, v: &Val) -> bool {
    let Some(t) = v.literal() else { return false };
    st.cwds.iter().any(|c| {
        w.absolute(c, t)
            .is_some_and(|p| std::fs::symlink_metadata(p).is_ok())
    })
}

fn path_or_tree(w: &mut Walker, st: &State, v: &Val, kind: Kind) {
    if v.known() == Some(".") || is_dir(w, st, v) {
        w.write_tree(st, v, kind)
    } else {
        w.write(st, v, kind)
    }
}

fn cargo(w: &mut Walker, st: &State, args: &[Val], stdin: Option<&Stdin>) {
    let p = Opts::parse(
        &args[1..],
        "pjFZC",
        &[
            "--package",
            "--manifest-path",
            "--target-dir",
            "--features",
            "--jobs",
            "--config",
            "--color",
            "--profile",
            "--target",
            "--bin",
            "--test",
            "--example",
            "--bench",
        ],
    );
    let sub = p.operands.first().and_then(|v| v.known()).unwrap_or("");
    match sub {
        "fmt" => {
            if !p.has(&["--check"]) && !args.iter().any(|a| a.known() == Some("--check")) {
                w.write_tree(st, &lit("."), Kind::Write);
            }
        }
        "fix" => w.write_tree(st, &lit("."), Kind::Write),
        "clippy" if p.has(&["--fix"]) => w.write_tree(st, &lit("."), Kind::Write),
        "metadata" | "tree" | "version" | "search" | "help" | "locate-project" | "pkgid"
        | "read-manifest" | "verify-project" | "--version" | "-V" => {}
        "" if p.has(&["--version", "-V", "--help", "-h", "--list"]) => {}
        _ => opaque(w, st, format!("cargo {sub}").trim(), args, stdin),
    }
}

fn formatter(w: &mut Walker, st: &State, name: &str, args: &[Val], stdin: Option<&Stdin>) {
    let rest = &args[1..];
    let texts: Vec<&str> = rest.iter().map(|a| a.text()).collect();
    let has = |names: &[&str]| texts.iter().any(|t| names.contains(t));
    let writes = match name {
        "prettier" => has(&["--write", "-w"]),
        "eslint" | "stylelint" | "standard" => has(&["--fix"]),
        "black" | "isort" | "yapf" => {
            !has(&["--check", "--diff", "-c", "--check-only"])
                || (name == "yapf" && has(&["-i", "--in-place"]))
        }
        "autopep8" | "clang-format" => has(&["-i", "--in-place"]),
        "rustfmt" => !has(&["--check"]),
        "ruff" => {
            (texts.first() == Some(&"format") && !has(&["--check", "--diff"])) || has(&["--fix"])
        }
        "biome" => {
            has(&["--write", "--apply", "--fix"])
                || texts.first() == Some(&"format") && has(&["--write"])
        }
        _ => false,
    };
    if !writes {
        opaque_reader(w, st, name, args);
        return;
    }
    let p = Opts::parse(
        rest,
        "c",
        &[
            "--config",
            "--ignore-path",
            "--plugin",
            "--parser",
            "--line-length",
            "--target-version",
            "--style",
            "--config-path",
        ],
    );
    let mut ops: Vec<Val> = p
        .operands
        .into_iter()
        .filter(|v| !matches!(v.known(), Some("format" | "check")))
        .collect();
    if ops.is_empty() {
        ops.push(lit("."));
    }
    for v in &ops {
        w.write_tree(st, v, Kind::Write);
    }
    let _ = stdin;
}
