//! Programs that take their commands from standard input, for clients whose shell keeps the
//! session's standard input open to the agent after a command starts.
//!
//! Codex's `write_stdin` types into a command that is still running, and no hook sees what it
//! types (other-clients.md §4): `bash` started with no script, then `echo x > research/f`
//! typed into it, writes where lanes never looked. So when [`crate::shell::Context::live_stdin`]
//! is set, every simple command is checked here, by the name and words the walker expanded
//! (quotes, variables, wrappers such as `env`, `exec` and `stdbuf` already undone), and one
//! that reads commands or data to act on from the session's standard input (or from a pipe,
//! which may carry it on: `cat | sh`) is refused as tampering, whatever the role.

use crate::shell::expand::Val;
use crate::shell::walk::Stdin;

/// Shells: a single-dash option word holding `c` gives the script as text (`-c`, `-lc`).
const SHELLS: &[&str] = &[
    "bash", "sh", "dash", "zsh", "ksh", "mksh", "ash", "fish", "tcsh", "csh", "busybox",
];

/// Interpreters whose first operand is the script: with none, they read their program from
/// standard input.
const INTERPRETERS: &[&str] = &[
    "python", "python2", "python3", "py", "pypy", "pypy3", "ipython", "node", "nodejs", "deno",
    "bun", "perl", "ruby", "irb", "php", "lua", "luajit", "tclsh", "wish", "julia", "R", "Rscript",
    "ghci", "scala", "jshell", "guile", "racket", "sbcl", "ocaml", "erl", "iex", "elixir", "bc",
    "dc",
];

/// Clients whose operands name a database or host, not a script: they read commands from
/// standard input unless an option gives them (`sqlite3 db` reads SQL, `.shell` included).
const REPLS: &[&str] = &[
    "sqlite3",
    "psql",
    "mysql",
    "mariadb",
    "redis-cli",
    "mongosh",
    "gdb",
    "lldb",
    "ftp",
    "sftp",
    "telnet",
    "nc",
    "ncat",
    "socat",
];

/// Options that hand a program its commands as text or name a file or module to run.
const SCRIPT_OPTIONS: &[&str] = &[
    "-c",
    "-e",
    "-E",
    "-m",
    "-p",
    "-r",
    "-x",
    "-f",
    "--eval",
    "--print",
    "--command",
    "--file",
    "--execute",
    "-batch",
    "--batch",
];

/// Programs whose first operand is a program acting on the lines of their input files, or of
/// standard input when none is named (`awk '{system($0)}'` runs each typed line), and
/// `xargs`, which builds commands from the words of its input.
const FILTERS: &[&str] = &["awk", "gawk", "mawk", "nawk", "sed", "jq", "xargs"];

/// Programs that act on whatever is typed into them, operands or not: editors (`:w other`),
/// terminal recorders and `expect`, which start or drive a shell, and builtins that read a
/// line to use later.
const ALWAYS: &[&str] = &[
    "vi",
    "vim",
    "nvim",
    "view",
    "ex",
    "ed",
    "red",
    "nano",
    "pico",
    "emacs",
    "joe",
    "mcedit",
    "script",
    "expect",
    "read",
    "mapfile",
    "readarray",
];

/// Words that name standard input as the script (`bash /dev/stdin`, `python3 -`).
const STDIN_NAMES: &[&str] = &["-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"];

/// Why the command `args` (its name first, `name` without a directory) takes what the agent
/// types later from `stdin` (`None`: the session's own standard input), if it does.
/// `name` is `None` when the command's name is only known when it runs.
pub(super) fn takes_typed_input(
    name: Option<&str>,
    args: &[Val],
    stdin: Option<&Stdin>,
) -> Option<String> {
    let source = match stdin {
        None => "the session's standard input",
        Some(Stdin::Pipe) => "a pipe that may carry the session's standard input",
        Some(Stdin::File(_) | Stdin::Text { .. }) => return None,
    };
    let Some(name) = name else {
        return Some(format!(
            "runs a command whose name is only known when it runs, reading {source}"
        ));
    };
    let reads = |what: &str| Some(format!("starts {name} {what} from {source}"));
    let words: Vec<Option<&str>> = args.iter().skip(1).map(Val::known).collect();
    let operands = || {
        words
            .iter()
            .filter(|w| !w.is_some_and(|w| w.starts_with('-')))
    };
    if matches!(name, "source" | ".") {
        return match words.first() {
            Some(Some(w)) if STDIN_NAMES.contains(w) => reads("running what is typed"),
            _ => None,
        };
    }
    if ALWAYS.contains(&name) || FILTERS.contains(&name) {
        // Reading a pipe, these read what another command wrote (`ls | xargs`,
        // `git ls-files | while read f`), not the session's input.
        if stdin.is_some() {
            return None;
        }
        if name == "xargs" {
            // Its operands are the command it builds; its input is standard input unless
            // `-a FILE` names another.
            let file = words
                .iter()
                .flatten()
                .any(|w| *w == "-a" || w.starts_with("--arg-file"));
            if file {
                return None;
            }
        } else if FILTERS.contains(&name) {
            // The program (or the file `-f` names) is the first operand; input files follow.
            if operands().count() > 1 {
                return None;
            }
        }
        return reads("acting on what is typed into it");
    }
    let shell = SHELLS.contains(&name);
    let repl = REPLS.contains(&name);
    if !shell && !repl && !INTERPRETERS.contains(&name) {
        return None;
    }
    let script_option = |w: &str| {
        SCRIPT_OPTIONS.contains(&w)
            || (shell && w.starts_with('-') && !w.starts_with("--") && w[1..].contains('c'))
    };
    if words.iter().flatten().any(|w| script_option(w)) {
        return None;
    }
    if repl {
        // `sqlite3 db 'SQL'`, `redis-cli GET key`: commands given as operands.
        let given = match name {
            "sqlite3" => 2,
            "redis-cli" => 1,
            _ => usize::MAX,
        };
        return (operands().count() < given)
            .then(|| reads("reading commands"))
            .flatten();
    }
    match operands().next() {
        // A word only known when it runs is taken as the script.
        Some(None) => None,
        Some(Some(w)) if !STDIN_NAMES.contains(w) => None,
        _ => reads("with no script, so it runs commands"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::commands::args::lit;

    fn check(words: &[&str], stdin: Option<&Stdin>) -> Option<String> {
        let args: Vec<Val> = words.iter().map(|w| lit(w)).collect();
        takes_typed_input(Some(words[0]), &args, stdin)
    }

    #[test]
    fn interpreters_without_a_script_take_typed_input() {
        for c in [
            &["bash"][..],
            &["bash", "-i"],
            &["bash", "-l", "--norc"],
            &["bash", "/dev/stdin"],
            &["python3", "-"],
            &["python3", "-u"],
            &["node", "-i"],
            &["vim", "src/x.rs"],
            &["ed", "src/x"],
            &["script", "-q", "/dev/null"],
            &["read", "-r", "line"],
            &["sqlite3", "app.db"],
            &["bash", "--norc"],
            &["xargs", "sh", "-c"],
            &["awk", "{system($0)}"],
            &["source", "/dev/stdin"],
        ] {
            assert!(check(c, None).is_some(), "{c:?}");
        }
        assert!(check(&["sh"], Some(&Stdin::Pipe)).is_some());
    }

    #[test]
    fn a_script_a_file_or_other_programs_do_not() {
        for c in [
            &["bash", "x.sh"][..],
            &["bash", "-c", "echo hi"],
            &["bash", "-lc", "make"],
            &["python3", "x.py"],
            &["python3", "-m", "http.server"],
            &["node", "-e", "1"],
            &["awk", "{print}", "data.txt"],
            &["sqlite3", "app.db", "select 1"],
            &["source", "env.sh"],
            &["cargo", "build"],
            &["cat"],
        ] {
            assert!(check(c, None).is_none(), "{c:?}");
        }
        let file = Stdin::File(lit("script.sh"));
        assert!(check(&["bash"], Some(&file)).is_none());
        assert!(check(&["read", "line"], Some(&Stdin::Pipe)).is_none());
        assert!(check(&["xargs", "rm"], Some(&Stdin::Pipe)).is_none());
    }
}
