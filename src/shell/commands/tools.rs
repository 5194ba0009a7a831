//! Build tools, package managers, interpreters and test runners: opaque programs, since
//! what they write depends on files lanes does not read, except for the subcommands known
//! to write the source tree (`cargo fmt`, `go fmt`) or to only read it (`cargo metadata`,
//! `npm test`, `python -m pytest`: readers). Also `lanes` and `claude` themselves, which
//! could be asked to run under another role.

use super::args::{lit, Opts};
use super::record::{opaque, opaque_reader, tamper_found};
use super::wrappers::with_dirs;
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{State, Walker};
use crate::shell::Kind;

/// `cargo SUB`: `fmt`, `fix`, `clippy --fix` rewrite the package; read-only subcommands
/// write nothing; the rest build (opaque).
pub(super) fn cargo(w: &mut Walker, st: &mut State, c: Cmd) {
    let (args, stdin) = (c.args, c.stdin.as_ref());
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

/// `go SUB`: `go fmt` rewrites the package; `go test` reads.
pub(super) fn go(w: &mut Walker, st: &mut State, c: Cmd) {
    let (args, rest, stdin) = (c.args, c.rest(), c.stdin);
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

/// `make [-C DIR]`: opaque, in DIR.
pub(super) fn make(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, args, rest, stdin) = (c.name, c.args, c.rest(), c.stdin);
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

/// `npm`, `pnpm`, `yarn`, `bun` (`--prefix DIR`, `-C DIR`): opaque, or a reader for the
/// subcommands that only read (`test`, `ls`, ...).
pub(super) fn npm(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, args, rest, stdin) = (c.name, c.args, c.rest(), c.stdin);
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

/// `python`: a reader for `-m` modules that only read (`pytest`, `json.tool`, ...).
pub(super) fn python(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, args, rest, stdin) = (c.name, c.args, c.rest(), c.stdin);
    let module = rest
        .iter()
        .position(|a| a.known() == Some("-m"))
        .and_then(|i| rest.get(i + 1))
        .and_then(|m| m.known());
    match module {
        Some(
            "pytest" | "mypy" | "unittest" | "pyright" | "pylint" | "flake8" | "doctest"
            | "json.tool" | "http.server" | "pydoc" | "this" | "site" | "platform" | "tabnanny"
            | "py_compile" | "compileall" | "timeit",
        ) => opaque_reader(w, st, name, args),
        _ => opaque(w, st, name, args, stdin.as_ref()),
    }
}

/// `tsc`: the TypeScript compiler writes its output below `--outDir` (and
/// `--declarationDir`), or to `--outFile`; without them, beside each source it compiles,
/// imports included, which only its configuration and the sources say: opaque.
/// `--noEmit` writes nothing.
pub(super) fn tsc(w: &mut Walker, st: &mut State, c: Cmd) {
    let (args, rest, stdin) = (c.args, c.rest(), c.stdin);
    let p = Opts::parse(
        rest,
        "pt",
        &[
            "--outDir",
            "--outFile",
            "--out",
            "--declarationDir",
            "--tsBuildInfoFile",
            "--project",
            "--target",
            "--module",
            "--lib",
            "--rootDir",
            "--baseUrl",
            "--jsx",
            "--moduleResolution",
        ],
    );
    if p.has(&[
        "--noEmit",
        "--help",
        "-h",
        "--version",
        "-v",
        "--showConfig",
    ]) {
        return opaque_reader(w, st, "tsc", args);
    }
    let dirs = p.values(&["--outDir", "--declarationDir"]);
    let files = p.values(&["--outFile", "--out", "--tsBuildInfoFile"]);
    for d in &dirs {
        w.write_tree(st, d, Kind::Write);
    }
    for f in &files {
        w.write(st, f, Kind::Write);
    }
    if dirs.is_empty() && p.values(&["--outFile", "--out"]).is_empty() {
        opaque(w, st, "tsc", args, stdin.as_ref());
        for v in &p.operands {
            if let Some(t) = v.literal() {
                let js = match t.rsplit_once('.') {
                    Some((stem, "ts" | "tsx" | "mts" | "cts")) => format!("{stem}.js"),
                    _ => continue,
                };
                w.write(st, &lit(&js), Kind::Write);
            }
        }
    }
}

/// Test runners, type checkers and linters ([`super::READERS`]): their operands are read.
pub(super) fn reader(w: &mut Walker, st: &mut State, c: Cmd) {
    opaque_reader(w, st, c.name, c.args)
}

/// `lanes`: another role or policy is tamper; the read-only subcommands write nothing.
pub(super) fn lanes(w: &mut Walker, st: &mut State, c: Cmd) {
    let (args, rest, stdin) = (c.args, c.rest(), c.stdin);
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

/// `claude`: a nested session with another agent or settings is tamper; otherwise opaque.
pub(super) fn claude(w: &mut Walker, st: &mut State, c: Cmd) {
    let (args, rest, stdin) = (c.args, c.rest(), c.stdin);
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
