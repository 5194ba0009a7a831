//! Per-command models: from a command's expanded words to what it writes.
//!
//! Each model follows the option grammar of its command (short-option bundles such as
//! `-sSLo F` or `-pi`, `--opt=value` and `--opt value`, `--`), GNU behaviour unless noted;
//! see the reference's §3 catalogue. Commands on the read-only list write nothing but their
//! redirects; wrappers are unwrapped; anything else is opaque.
//!
//! [`run`] looks a command's name up in one table, [`model`], which names the model of each
//! command lanes knows; the models live in one module per family (files, git, archives,
//! editors, ...), so a new command touches one small file and one line of the table. The
//! option grammar and the findings every family records are shared ([`args`], [`record`]).

mod archives;
mod args;
mod builtins;
mod editors;
mod files;
mod git;
mod network;
mod patchfile;
mod record;
mod text;
mod tools;
mod wrappers;

/// Used by the walker for assignments (`LANES_ROLE=x cmd`).
pub(super) use record::check_tamper;

use super::expand::Val;
use super::walk::{State, Stdin, Walker};
use super::Found;
use record::opaque;

/// How deep function calls may nest before the call counts as opaque.
const MAX_CALLS: usize = 4;

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

/// One simple command, as its model sees it.
struct Cmd<'a> {
    /// The name it was called by, without a system directory (`rm` for `/bin/rm`).
    name: &'a str,
    /// Its words, the name first.
    args: &'a [Val],
    /// Its standard input, when the walker knows what it is.
    stdin: Option<Stdin>,
}

impl<'a> Cmd<'a> {
    /// The words after the name.
    fn rest(&self) -> &'a [Val] {
        &self.args[1..]
    }
}

/// A command's model: records what the command writes (or runs) through the walker.
type Model = fn(&mut Walker<'_>, &mut State, Cmd<'_>);

/// Runs the model for one simple command. `args[0]` is the command name.
pub(super) fn run(w: &mut Walker, st: &mut State, args: &[Val], stdin: Option<Stdin>) {
    let Some(first) = args.first() else { return };
    let Some(raw_name) = first.known() else {
        let program = format!("{}…", first.text());
        opaque(w, st, &program, args, stdin.as_ref());
        return;
    };
    let name = raw_name.rsplit('/').next().unwrap_or(raw_name);
    // lanes and agent programs are what they are wherever they live
    // (`./target/release/lanes init`, `~/.local/bin/claude`).
    if raw_name.contains('/') && !is_system_bin(raw_name) && !tools::guarded(name) {
        opaque(w, st, raw_name, args, stdin.as_ref());
        return;
    }
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
    if read_only(name) {
        return;
    }
    match model(name) {
        Some(m) => m(w, st, Cmd { name, args, stdin }),
        None => {
            // `tmux new 'claude -p x'`, `script -c claude`: a program lanes does not model that
            // is handed an agent's command line.
            if let Some(what) = tools::hands_over(name, args) {
                record::tamper_found(w, &what);
            }
            opaque(w, st, name, args, stdin.as_ref())
        }
    }
}

/// The model of each command lanes knows, by name (`None`: an opaque program). Read-only
/// commands are not here: [`run`] asks [`read_only`] first.
fn model(name: &str) -> Option<Model> {
    Some(match name {
        // Shell builtins: directories, variables, text run as code.
        "cd" => builtins::cd,
        "pushd" => builtins::pushd,
        "popd" => builtins::popd,
        "export" | "declare" | "typeset" | "local" | "readonly" => builtins::declare,
        "unset" => builtins::unset,
        "eval" => builtins::eval,
        "source" | "." => builtins::source,
        // Shells, and wrappers that run the command they are given.
        "bash" | "sh" | "dash" | "zsh" | "ksh" | "mksh" | "ash" => wrappers::shell,
        "exec" => wrappers::exec,
        "builtin" | "nohup" | "noglob" | "chronic" | "unbuffer" | "catchsegv" | "nocache" => {
            wrappers::plain
        }
        "command" => wrappers::command,
        "time" => wrappers::time,
        "nice" => wrappers::nice,
        "timeout" => wrappers::timeout,
        "stdbuf" => wrappers::stdbuf,
        "ionice" => wrappers::ionice,
        "setsid" => wrappers::setsid,
        "sudo" | "doas" => wrappers::sudo,
        "env" => wrappers::env,
        "xargs" => wrappers::xargs,
        "flock" => wrappers::flock,
        "watch" => wrappers::watch,
        "npx" | "bunx" | "pnpx" => wrappers::npx,
        "uvx" | "pipx" => wrappers::uvx,
        // Files: copies, links, deletions, permissions.
        "find" => files::find,
        "tee" => files::tee,
        "cp" | "mv" => files::copy_or_move,
        "install" => files::install,
        "ln" => files::ln,
        "rm" => files::rm,
        "rmdir" => files::rmdir,
        "mkdir" => files::mkdir,
        "touch" => files::touch,
        "truncate" => files::truncate,
        "shred" | "unlink" | "mkfifo" => files::shred,
        "mknod" => files::mknod,
        "chmod" | "chown" | "chgrp" | "chattr" | "setfacl" => files::chmod,
        "dd" => files::dd,
        "mktemp" => files::mktemp,
        // Text filters with an output file.
        "sort" | "shuf" | "iconv" => text::sort,
        "uniq" => text::uniq,
        "xxd" => text::xxd,
        "split" | "csplit" => text::split,
        // Editors, in-place scripts, patches and formatters.
        "sed" => editors::sed,
        "perl" => editors::perl,
        "awk" | "gawk" | "mawk" | "nawk" => editors::awk,
        "patch" => editors::patch,
        "ed" | "ex" | "vi" | "vim" | "nvim" | "nano" | "pico" | "micro" | "emacs" | "kak" => {
            editors::editor
        }
        "gofmt" | "goimports" => editors::gofmt,
        "prettier" | "eslint" | "black" | "isort" | "autopep8" | "rustfmt" | "clang-format"
        | "yapf" | "ruff" | "biome" | "stylelint" | "standard" => editors::formatter,
        // Archives and compressors.
        "gzip" | "bzip2" | "xz" | "zstd" | "lz4" | "lzma" | "compress" | "gunzip" | "bunzip2"
        | "unxz" | "unzstd" | "unlzma" | "uncompress" => archives::compressor,
        "zip" => archives::zip,
        "tar" | "bsdtar" | "gtar" => archives::tar,
        "unzip" => archives::unzip,
        // Downloads and remote copies.
        "curl" => network::curl,
        "wget" => network::wget,
        "rsync" | "scp" => network::remote_copy,
        // git.
        "git" => git::git,
        // Build tools, interpreters, test runners; lanes and claude themselves.
        "cargo" => tools::cargo,
        "go" => tools::go,
        "make" | "gmake" => tools::make,
        "npm" | "pnpm" | "yarn" | "bun" => tools::npm,
        "python" | "python3" | "python2" | "py" => tools::python,
        "lanes" => tools::lanes,
        n if tools::agent(n) => tools::agent_session,
        "node" | "deno" | "tsx" => tools::node,
        n if READERS.contains(&n) => tools::reader,
        _ => return None,
    })
}

/// True for a program named by its path in a system directory (`/usr/bin/rm`), which is
/// modelled like its bare name.
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
