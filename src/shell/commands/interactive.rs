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

/// How a program's command line says where its commands come from: its options, read up to
/// its first operand or `--` (after that, words belong to the script: `python3 - -c` still
/// reads its program from standard input).
///
/// Each program has its own grammar because the same letter means different things: `-c`
/// is the script for `bash` and `python3` but `php -c` names an ini file; `-e` is code for
/// `perl` and `node` but errexit for `bash` (`bash -e` reads commands from standard input);
/// `-p` is a port for `psql`. A word read as an option's value is not the script either
/// (`bash -o posix`, `redis-cli -h host`).
struct Grammar {
    /// Options that give the commands (as text, or a file or module to run), so standard
    /// input is not where they come from.
    script: &'static [&'static str],
    /// Other options that take the next word as their value.
    valued: &'static [&'static str],
    /// Options that read commands from standard input even with a script or commands given
    /// (`bash -s x`, `python3 -i x.py`, `php -a`).
    reads: &'static [&'static str],
}

/// The grammar of the program `name`, for the shells, interpreters and clients checked here.
fn grammar(name: &str) -> Grammar {
    let g = |script, valued, reads| Grammar {
        script,
        valued,
        reads,
    };
    if SHELLS.contains(&name) {
        return match name {
            "fish" => g(
                &["-c", "--command"],
                &[
                    "-C",
                    "--init-command",
                    "-d",
                    "--debug",
                    "-o",
                    "--debug-output",
                ],
                &["-i", "--interactive"],
            ),
            _ => g(
                &["-c"],
                &["-o", "+o", "-O", "+O", "--rcfile", "--init-file"],
                &["-s"],
            ),
        };
    }
    match name {
        "python" | "python2" | "python3" | "py" | "pypy" | "pypy3" => {
            g(&["-c", "-m"], &["-W", "-X", "-Q"], &["-i"])
        }
        "ipython" => g(&["-c", "-m"], &[], &["-i"]),
        "node" | "nodejs" | "bun" => g(
            &["-e", "--eval", "-p", "--print"],
            &[
                "-r",
                "--require",
                "--import",
                "--loader",
                "-C",
                "--conditions",
            ],
            &["-i", "--interactive"],
        ),
        "perl" => g(&["-e", "-E"], &[], &["-d"]),
        "ruby" => g(&["-e"], &["-r", "-I", "-C", "-E", "-F"], &[]),
        "php" => g(
            &["-r", "-f", "-R", "-F", "-B", "-E"],
            &["-c", "-d", "-z"],
            &["-a"],
        ),
        "lua" | "luajit" => g(&["-e"], &["-l"], &["-i"]),
        "julia" => g(
            &["-e", "--eval", "-E", "--print"],
            &["-L", "--load", "-J", "-p", "-t"],
            &["-i"],
        ),
        "R" | "Rscript" => g(&["-e", "-f", "--file"], &[], &[]),
        "ghci" | "scala" | "guile" | "racket" | "elixir" | "iex" => {
            g(&["-e", "-c", "--eval", "--command"], &[], &[])
        }
        "sbcl" => g(&["--script", "--eval", "--load"], &[], &[]),
        "ocaml" | "jshell" | "erl" | "tclsh" | "wish" | "irb" | "deno" => {
            g(&["-eval", "-e", "-s", "-run", "--execute"], &[], &[])
        }
        "bc" | "dc" => g(&["-e", "--expression", "-f", "--file"], &[], &[]),
        "psql" => g(
            &["-c", "--command", "-f", "--file"],
            &[
                "-h",
                "--host",
                "-p",
                "--port",
                "-U",
                "--username",
                "-d",
                "--dbname",
                "-v",
                "--set",
                "--variable",
                "-P",
                "--pset",
                "-o",
                "--output",
                "-L",
                "--log-file",
            ],
            &[],
        ),
        "mysql" | "mariadb" => g(
            &["-e", "--execute"],
            &[
                "-h",
                "--host",
                "-u",
                "--user",
                "-P",
                "--port",
                "-D",
                "--database",
                "-S",
                "--socket",
            ],
            &[],
        ),
        "redis-cli" => g(
            &[],
            &["-h", "-p", "-a", "-n", "-u", "-s", "--user", "--pass"],
            &[],
        ),
        "sqlite3" => g(
            &[],
            &[
                "-cmd",
                "-init",
                "-separator",
                "-newline",
                "-nullvalue",
                "-escape",
                "-vfs",
            ],
            &[],
        ),
        "mongosh" => g(
            &["--eval", "-f", "--file"],
            &["--host", "--port", "-u", "-p"],
            &[],
        ),
        "gdb" | "lldb" => g(
            &["-batch", "--batch"],
            &["-ex", "-x", "-p", "-o", "-s"],
            &[],
        ),
        "sftp" => g(&["-b"], &["-P", "-i", "-F", "-o", "-s"], &[]),
        // `-e`/`-c` connect a program to the network instead of standard input.
        "nc" | "ncat" => g(
            &["-e", "-c", "--exec", "--sh-exec"],
            &["-p", "-s", "-w"],
            &[],
        ),
        _ => g(&[], &[], &[]),
    }
}

/// What a command line says about where its commands come from.
struct Reading<'a> {
    /// An option gives the commands.
    script: bool,
    /// An option reads commands from standard input whatever else is given.
    reads: bool,
    /// The operands, in order (`None`: only known when it runs).
    operands: Vec<Option<&'a str>>,
}

/// Reads `words` (the arguments after the name) with the grammar `g`. A single-dash word is
/// the option itself when listed (`-cmd`, `-batch`), else a bundle of letters, where a
/// letter that takes a value takes the rest of the word or the next one (`-lc`, `-euo x`).
fn read<'a>(g: &Grammar, words: &[Option<&'a str>]) -> Reading<'a> {
    let mut r = Reading {
        script: false,
        reads: false,
        operands: Vec::new(),
    };
    let mut i = 0;
    while i < words.len() {
        let Some(w) = words[i] else { break };
        // Only shells take `+o`-style options; elsewhere `+x` is an operand.
        let plus = w.starts_with('+') && g.valued.contains(&"+o");
        let option = w.len() > 1 && (w.starts_with('-') || plus);
        if !option {
            break;
        }
        i += 1;
        if w == "--" {
            break;
        }
        let name = w.split_once('=').map_or(w, |(n, _)| n);
        if w.starts_with("--")
            || g.script.contains(&name)
            || g.valued.contains(&name)
            || g.reads.contains(&name)
        {
            r.script |= g.script.contains(&name);
            r.reads |= g.reads.contains(&name);
            if name == w && (g.script.contains(&name) || g.valued.contains(&name)) {
                i += 1;
            }
            continue;
        }
        let sign = &w[..1];
        for (k, c) in w[1..].char_indices() {
            let letter = format!("{sign}{c}");
            let letter = letter.as_str();
            r.reads |= g.reads.contains(&letter);
            if g.script.contains(&letter) || g.valued.contains(&letter) {
                r.script |= g.script.contains(&letter);
                if w[1 + k + c.len_utf8()..].is_empty() {
                    i += 1;
                }
                break;
            }
        }
    }
    r.operands = words.get(i..).unwrap_or_default().to_vec();
    r
}

/// True when the file `f`, opened for reading, may be the session's terminal or standard
/// input: `/dev/tty`, `/dev/stdin`, `/dev/stderr` (on a terminal, opened for reading it reads
/// what is typed), `/dev/pts/N`, `/proc/self/fd/N`, or a name only known when it runs.
fn may_be_the_terminal(f: &Val) -> bool {
    match f {
        Val::Known { glob: true, .. } | Val::Unknown { .. } => true,
        Val::Known { text, .. } => names_the_terminal(text),
    }
}

/// True when the path `p` names standard input or a terminal (`-`, `/dev/stdin`,
/// `/dev/tty`, `/dev/pts/0`, `/proc/self/fd/0`, ...): anything under /dev or /proc but the
/// devices that give or take nothing typed.
fn names_the_terminal(p: &str) -> bool {
    const INERT: &[&str] = &[
        "/dev/null",
        "/dev/zero",
        "/dev/random",
        "/dev/urandom",
        "/dev/full",
    ];
    STDIN_NAMES.contains(&p)
        || ((p.starts_with("/dev/") || p.starts_with("/proc/")) && !INERT.contains(&p))
}

/// `name` as the lists here spell it: a versioned name (`python3.12`, `lua5.4`, `php8.2`,
/// `tclsh8.6`) is its program's, when the name itself is not listed (`sqlite3` is).
fn family(name: &str) -> &str {
    let lists = [SHELLS, INTERPRETERS, REPLS, FILTERS, ALWAYS];
    let listed = |n: &str| lists.iter().any(|l| l.contains(&n));
    if listed(name) {
        return name;
    }
    let bare = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-');
    if !bare.is_empty() && listed(bare) {
        bare
    } else {
        name
    }
}

/// Why the command `args` (its name first, `name` without a directory) takes what the agent
/// types later from `stdin` (`None`: the session's own standard input), if it does.
/// `name` is `None` when the command's name is only known when it runs.
pub(super) fn takes_typed_input(
    name: Option<&str>,
    args: &[Val],
    stdin: Option<&Stdin>,
) -> Option<String> {
    // `sh < /dev/tty` reads the session's input as surely as `sh` does.
    let stdin = match stdin {
        Some(Stdin::File(f)) if may_be_the_terminal(f) => None,
        other => other,
    };
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
    let name = family(name);
    let words: Vec<Option<&str>> = args.iter().skip(1).map(Val::known).collect();
    let operands = || {
        words
            .iter()
            .filter(|w| !w.is_some_and(|w| w.starts_with('-')))
    };
    if matches!(name, "source" | ".") {
        return match words.first() {
            Some(Some(w)) if names_the_terminal(w) => reads("running what is typed"),
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
            // `-a /dev/tty` reads the terminal all the same.
            let file = words.iter().enumerate().find_map(|(k, w)| match (*w)? {
                "-a" | "--arg-file" => Some(words.get(k + 1).copied().flatten()),
                w => w.strip_prefix("--arg-file=").map(Some),
            });
            match file {
                Some(Some(f)) if names_the_terminal(f) => {}
                Some(_) => return None,
                None => {}
            }
        } else if FILTERS.contains(&name) {
            // The program (or the file `-f` names) is the first operand; input files follow,
            // and one that is the terminal (`awk '{system($0)}' /dev/tty`) is typed input.
            let inputs: Vec<_> = operands().skip(1).collect();
            if !inputs.is_empty() && !inputs.iter().any(|w| w.is_some_and(names_the_terminal)) {
                return None;
            }
        }
        return reads("acting on what is typed into it");
    }
    if super::login::starts_a_shell(name, &args[1..]) {
        return reads("which starts a shell reading commands");
    }
    let repl = REPLS.contains(&name);
    if !SHELLS.contains(&name) && !repl && !INTERPRETERS.contains(&name) {
        return None;
    }
    let r = read(&grammar(name), &words);
    if r.reads {
        return reads("reading commands");
    }
    if r.script {
        return None;
    }
    if repl {
        // `sqlite3 db 'SQL'`, `redis-cli GET key`: commands given as operands.
        let given = match name {
            "sqlite3" => 2,
            "redis-cli" => 1,
            _ => usize::MAX,
        };
        let operands = r
            .operands
            .iter()
            .filter(|w| !w.is_some_and(|w| w.starts_with('-')));
        return (operands.count() < given)
            .then(|| reads("reading commands"))
            .flatten();
    }
    match r.operands.first() {
        // A word only known when it runs is taken as the script.
        Some(None) => None,
        Some(Some(w)) if !names_the_terminal(w) => None,
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
            &["python3.12"],
            &["python3.12", "-i", "x.py"],
            &["pypy3.10", "-"],
            &["lua5.4"],
            &["php8.2", "-a"],
            &["perl5.36.0"],
            &["tclsh8.6"],
            &["vim9"],
            &["sudo", "-s"],
            &["su", "-"],
            &["bash", "/dev/tty"],
            &["python3", "/dev/pts/3"],
            &["source", "/dev/tty"],
            &["awk", "{system($0)}", "/dev/tty"],
            &["sed", "e", "f", "/dev/stdin"],
            &["xargs", "-a", "/dev/tty", "sh", "-c"],
            &["xargs", "--arg-file=/dev/stdin", "sh"],
        ] {
            assert!(check(c, None).is_some(), "{c:?}");
        }
        assert!(check(&["sh"], Some(&Stdin::Pipe)).is_some());
    }

    #[test]
    fn each_program_reads_its_own_options() {
        // Letters that give a script to one program are something else to another, and an
        // option's value or a word after the script is not a script option.
        for c in [
            &["bash", "-e"][..],
            &["bash", "-x"],
            &["sh", "-eu"],
            &["bash", "-p"],
            &["bash", "-r"],
            &["bash", "-o", "posix"],
            &["bash", "-euo", "pipefail"],
            &["bash", "+o", "posix"],
            &["bash", "-s", "x.sh"],
            &["bash", "-s", "--", "-c"],
            &["bash", "/dev/stdin", "-c", "x"],
            &["python3", "-", "-c", "x"],
            &["python3", "-i", "x.py"],
            &["python3", "-ic", "1"],
            &["python3", "-x"],
            &["python3", "-W", "ignore"],
            &["perl", "-p"],
            &["perl", "-n"],
            &["ruby", "-r", "json"],
            &["php", "-c", "php.ini"],
            &["php", "-a"],
            &["psql", "-p", "5432", "db"],
            &["mysql", "-p"],
            &["redis-cli", "-h", "localhost"],
            &["redis-cli", "-p", "6379"],
            &["sqlite3", "-batch", "app.db"],
            &["gdb", "-x", "cmds", "prog"],
        ] {
            assert!(check(c, None).is_some(), "{c:?}");
        }
        for c in [
            &["bash", "-e", "x.sh"][..],
            &["bash", "-o", "pipefail", "-c", "make"],
            &["bash", "-euxc", "make"],
            &["python3", "-W", "ignore", "x.py"],
            &["python3", "-u", "-m", "pytest"],
            &["perl", "-pe", "s/a/b/", "f"],
            &["perl", "-ne", "print"],
            &["ruby", "-r", "json", "x.rb"],
            &["php", "-r", "echo 1;"],
            &["php", "-c", "php.ini", "x.php"],
            &["psql", "-p", "5432", "-c", "select 1", "db"],
            &["mysql", "-e", "select 1"],
            &["redis-cli", "-h", "localhost", "PING"],
            &["gdb", "-batch", "-ex", "bt", "prog"],
            &["nc", "-e", "/bin/sh", "host", "1"],
        ] {
            assert!(check(c, None).is_none(), "{c:?}");
        }
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
            &["python3.12", "x.py"],
            &["sqlite3", "app.db", "select 1"],
            &["gcc-12", "x.c"],
            &["sudo", "-u", "me", "make"],
            &["xargs", "-a", "list.txt", "rm"],
            &["awk", "{print}", "/dev/null"],
        ] {
            assert!(check(c, None).is_none(), "{c:?}");
        }
        let file = Stdin::File(lit("script.sh"));
        assert!(check(&["bash"], Some(&file)).is_none());
        assert!(check(&["bash"], Some(&Stdin::File(lit("/dev/null")))).is_none());
        // The terminal, or standard input, opened by name is the session's input.
        for f in [
            "/dev/tty",
            "/dev/stdin",
            "/dev/stderr",
            "/dev/pts/0",
            "/proc/self/fd/0",
        ] {
            assert!(
                check(&["bash"], Some(&Stdin::File(lit(f)))).is_some(),
                "{f}"
            );
            assert!(check(&["vim"], Some(&Stdin::File(lit(f)))).is_some(), "{f}");
        }
        let unknown = Stdin::File(Val::Unknown {
            prefix: String::new(),
        });
        assert!(check(&["python3"], Some(&unknown)).is_some());
        assert!(check(&["read", "line"], Some(&Stdin::Pipe)).is_none());
        assert!(check(&["xargs", "rm"], Some(&Stdin::Pipe)).is_none());
    }
}
