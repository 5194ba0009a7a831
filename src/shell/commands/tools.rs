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
    // `pnpm dlx PKG`, `npm exec PKG`, `yarn dlx PKG`, `bun x PKG`, `yarn BIN`, `bun SCRIPT`:
    // an agent's package, program or script starts an agent session.
    let ops: Vec<&str> = p.operands.iter().filter_map(|v| v.known()).collect();
    let runner = matches!(ops.first(), Some(&("dlx" | "exec" | "x")));
    let agent = ops
        .iter()
        .skip(usize::from(runner))
        .enumerate()
        .find_map(|(i, o)| match (runner, name) {
            (true, _) => package_agent(o).or_else(|| script_agent(o)),
            // `yarn claude`, `pnpm claude`, `bun claude`: a package's program by its name.
            (false, "yarn" | "pnpm" | "bun") if i == 0 && agent(o) => Some(package_agent(o)?),
            (false, "bun") => script_agent(o),
            _ => None,
        });
    if let Some(agent) = agent {
        tamper_found(w, &format!("starts a nested agent session ({agent})"));
        return;
    }
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

/// Programs lanes models by their name wherever they live (`./target/release/lanes`).
pub(super) fn guarded(name: &str) -> bool {
    name == "lanes" || agent(name)
}

/// Programs that start an agent session. A nested session is not bound to this role's lane
/// (`env -i claude -p ...` drops `LANES_ROLE`; its own settings may drop the hook), so
/// starting one from a role session is tamper.
pub(super) fn agent(name: &str) -> bool {
    matches!(
        name,
        "claude"
            | "claude-code"
            | "codex"
            | "gemini"
            | "copilot"
            | "cursor-agent"
            | "aider"
            | "opencode"
            | "qwen"
            | "amp"
            | "crush"
    )
}

/// The agent program a package runs (`npx @anthropic-ai/claude-code@latest`, `uvx
/// aider-chat`, `npx claude`), by the package's name without its version.
pub(super) fn package_agent(spec: &str) -> Option<&'static str> {
    let name = match spec.strip_prefix('@') {
        Some(scoped) => {
            let end = scoped.find('/').map_or(scoped.len(), |s| {
                s + 1 + scoped[s + 1..].find('@').unwrap_or(scoped.len() - s - 1)
            });
            &spec[..end + 1]
        }
        None => spec.split('@').next().unwrap_or(spec),
    };
    Some(match name {
        "@anthropic-ai/claude-code" | "claude" | "claude-code" => "claude",
        "@openai/codex" | "codex" => "codex",
        "@google/gemini-cli" | "gemini" => "gemini",
        "@github/copilot" | "copilot" => "copilot",
        "@qwen-code/qwen-code" | "qwen" => "qwen",
        "opencode-ai" | "opencode" => "opencode",
        "@sourcegraph/amp" | "amp" => "amp",
        "@charmland/crush" | "crush" => "crush",
        "aider-chat" | "aider" => "aider",
        "cursor-agent" => "cursor-agent",
        _ => return None,
    })
}

/// When an opaque program `name` is handed a command line that starts an agent session or
/// runs `lanes init`/`uninstall`: what it starts. Terminal and session runners (`tmux`,
/// `screen`, `script`, ...) run their words as a command; any other program counts only a word
/// that is a whole command line (`concurrently "claude -p x"`).
pub(super) fn hands_over(name: &str, args: &[Val]) -> Option<String> {
    let runner = matches!(
        name,
        "tmux"
            | "screen"
            | "byobu"
            | "zellij"
            | "script"
            | "xterm"
            | "x-terminal-emulator"
            | "gnome-terminal"
            | "konsole"
            | "kitty"
            | "alacritty"
            | "wezterm"
            | "foot"
            | "expect"
            | "dtach"
            | "abduco"
            | "systemd-run"
            | "at"
            | "batch"
            | "parallel"
            | "entr"
    );
    let starts = |line: &[&str]| -> Option<String> {
        let first = line.first()?;
        let base = first.rsplit('/').next().unwrap_or(first);
        if agent(base) {
            return Some(format!(
                "starts a nested agent session ({base}) through {name}"
            ));
        }
        if base != "lanes" {
            return None;
        }
        let setup = line[1..].iter().find(|w| !w.starts_with('-'));
        matches!(setup, Some(&"init" | &"uninstall"))
            .then(|| format!("runs lanes' set-up through {name}"))
    };
    let known = args[1..].iter().filter_map(|a| a.known());
    if runner {
        // The command line may start at any of its words.
        let words: Vec<&str> = known.flat_map(str::split_whitespace).collect();
        (0..words.len()).find_map(|i| starts(&words[i..]))
    } else {
        // Only a word that is a whole command line.
        known
            .filter(|a| a.contains(char::is_whitespace))
            .find_map(|a| starts(&a.split_whitespace().collect::<Vec<_>>()))
    }
}

/// The agent a script path belongs to (`node .../@anthropic-ai/claude-code/cli.js`).
fn script_agent(path: &str) -> Option<&'static str> {
    [
        ("@anthropic-ai/claude-code", "claude"),
        ("claude-code/cli", "claude"),
        ("@openai/codex", "codex"),
        ("@google/gemini-cli", "gemini"),
        ("@github/copilot", "copilot"),
        ("@qwen-code/", "qwen"),
        ("@sourcegraph/amp", "amp"),
    ]
    .iter()
    .find(|(marker, _)| path.contains(marker))
    .map(|(_, agent)| *agent)
}

/// `lanes`: `init` and `uninstall` (which install or remove the hooks that hold the lanes),
/// another role or policy are tamper; the read-only subcommands write nothing.
pub(super) fn lanes(w: &mut Walker, st: &mut State, c: Cmd) {
    let (args, rest, stdin) = (c.args, c.rest(), c.stdin);
    let tamper = rest.iter().filter_map(|a| a.known()).any(|t| {
        ["--role", "--as", "--policy"]
            .iter()
            .any(|f| t == *f || t.starts_with(&format!("{f}=")))
    });
    let sub = rest
        .iter()
        .find(|a| !a.text().starts_with('-'))
        .map(|a| a.known());
    if tamper {
        tamper_found(w, "runs lanes with another role or policy");
    } else if let Some(Some(s @ ("init" | "uninstall"))) = sub {
        tamper_found(
            w,
            &format!("runs lanes {s}, which changes lanes' own set-up"),
        );
    } else if let Some(None) = sub {
        tamper_found(w, "runs lanes with a subcommand lanes cannot read");
    } else if !matches!(
        rest.first().and_then(|a| a.known()),
        Some(
            "hook"
                | "check"
                | "explain"
                | "validate"
                | "status"
                | "report"
                | "wait"
                | "whoami"
                | "--help"
                | "-h"
                | "--version"
                | "-V"
                | "help"
        )
    ) {
        opaque(w, st, "lanes", args, stdin.as_ref());
    }
}

/// `claude`, `codex`, `gemini`, ...: a nested agent session is tamper; `--version` and
/// `--help` alone start none.
pub(super) fn agent_session(w: &mut Walker, _st: &mut State, c: Cmd) {
    let rest = c.rest();
    if let [only] = rest {
        if matches!(
            only.known(),
            Some("--version" | "-v" | "-V" | "--help" | "-h")
        ) {
            return;
        }
    }
    tamper_found(w, &format!("starts a nested agent session ({})", c.name));
}

/// `node`, `deno`, `tsx`: an agent's script is an agent session; any other script is opaque.
pub(super) fn node(w: &mut Walker, st: &mut State, c: Cmd) {
    // The script may follow a subcommand (`deno run -A npm:@anthropic-ai/claude-code`).
    let agent = c
        .rest()
        .iter()
        .filter(|a| !a.text().starts_with('-'))
        .find_map(|a| script_agent(a.text()))
        // `node "$(npm root -g)/@anthropic-ai/claude-code/cli.js"`: the word is unknown, its
        // text still names the package.
        .or_else(|| script_agent(&w.frag));
    if let Some(agent) = agent {
        tamper_found(w, &format!("starts a nested agent session ({agent})"));
        return;
    }
    opaque(w, st, c.name, c.args, c.stdin.as_ref())
}
