//! Per-command models: from a command's expanded words to what it writes.
//!
//! Each model follows the option grammar of its command (short-option bundles such as
//! `-sSLo F` or `-pi`, `--opt=value` and `--opt value`, `--`), GNU behaviour unless noted;
//! see the reference's §3 catalogue. Commands on the read-only list write nothing but their
//! redirects (and what a few of their options write or run, `text::reader`); wrappers are
//! unwrapped; anything else is opaque. Before any model, [`run`] resolves the name as bash
//! would: a function, a builtin, the hash table, then `PATH` (see [`run`]).
//!
//! [`run`] looks a command's name up in one table, [`model`], which names the model of each
//! command lanes knows; the models live in one module per family (files, git, archives,
//! editors, ...), so a new command touches one small file and one line of the table. The
//! option grammar and the findings every family records are shared ([`args`], [`record`]).

mod archives;
mod args;
mod awk;
mod builtins;
mod editors;
mod files;
mod git;
mod interactive;
mod login;
mod network;
mod patchfile;
mod record;
mod text;
mod tools;
mod vi;
mod wrappers;

/// Used by the walker for assignments (`LANES_ROLE=x cmd`) and aliases it cannot read.
pub(super) use record::{check_tamper, opaque_named};

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
            | "exit"
            | "return"
            | "break"
            | "continue"
            | ":"
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
            | "jobs"
            | "umask"
            | "ulimit"
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
///
/// The name is looked up as bash does: a function first (walked with the call's arguments
/// as `$1`...), then a builtin (unless `enable -f` replaced it), then the hash table
/// (`hash -p`), then `PATH`. When the script made that lookup unknowable (`PATH` with a
/// directory an agent may write to, `LD_PRELOAD`, ...), an external command is opaque
/// whatever its name; a name that is not known statically is opaque too.
pub(super) fn run(w: &mut Walker, st: &mut State, args: &[Val], stdin: Option<Stdin>) {
    let Some(first) = args.first() else { return };
    if w.cx.live_stdin {
        let name = first.known().map(|n| n.rsplit('/').next().unwrap_or(n));
        let function = first.known().is_some_and(|n| st.funcs.contains_key(n));
        // Inside a loop fed by a pipe or a file, standard input is what feeds the loop.
        let fed = Stdin::Pipe;
        let input = match stdin.as_ref() {
            None if st.fd_opened(0) => Some(&fed),
            other => other,
        };
        if let Some(what) = interactive::takes_typed_input(name, args, input) {
            if !function {
                record::tamper_found(
                    w,
                    &format!(
                        "{what}, which the agent can type into (write_stdin) where no hook \
                         sees; run those commands themselves instead"
                    ),
                );
            }
        }
    }
    let Some(raw_name) = first.known() else {
        let program = format!(
            "{}… (a command whose name is only known when it runs)",
            first.text()
        );
        opaque(w, st, &program, args, stdin.as_ref());
        not_found(w, st, args, stdin);
        return;
    };
    let name = raw_name.rsplit('/').next().unwrap_or(raw_name);
    if st.overflow || w.overflow {
        let mentions = super::lexical::mentions(&w.frag, &w.cx.cwd, w.cx.home.as_deref());
        let why = "it makes more variables, functions, links or directories than lanes tracks"
            .to_string();
        w.push(Found::Unparseable { why, mentions });
    }
    if let Some(body) = st.funcs.get(raw_name).cloned() {
        call(w, st, raw_name, body, args, stdin);
        return;
    }
    // lanes and agent programs are what they are wherever they live
    // (`./target/release/lanes init`, `~/.local/bin/claude`): modelled by their name below.
    if raw_name.contains('/') && !is_system_bin(raw_name) && !tools::guarded(name) {
        // A program named by its path: the path counts as named (`./docs/build.sh`).
        let mut all = args.to_vec();
        all.insert(1, first.clone());
        opaque(w, st, raw_name, &all, stdin.as_ref());
        // A script the command itself wrote as literal text is walked too.
        if let Some(text) = editors::written_script(w, st, first) {
            let mut child = st.child_shell(Some(args[1..].to_vec()));
            w.nested_script(&text, &mut child, "a script the command wrote");
        }
        not_found(w, st, args, stdin);
        return;
    }
    let builtin = !raw_name.contains('/') && is_builtin(name);
    if builtin && st.lookup.replaced.iter().any(|r| r == name || r == "*") {
        opaque(
            w,
            st,
            &format!("{name} (a builtin replaced by enable)"),
            args,
            stdin.as_ref(),
        );
        return;
    }
    if !builtin && !raw_name.contains('/') {
        if let Some((_, path)) = st.lookup.hashed.iter().rev().find(|(n, _)| n == name) {
            // `hash -p /bin/rm ls`: `ls` runs /bin/rm.
            let path = path.clone();
            match path.known() {
                Some(p) if is_system_bin(p) => {
                    let mut real = args.to_vec();
                    real[0] = path;
                    run(w, st, &real, stdin);
                }
                _ => {
                    let program = format!("{name} (hashed to {})", path.text());
                    opaque(w, st, &program, args, stdin.as_ref());
                }
            }
            return;
        }
        if let Some(why) = st.lookup.untrusted.clone() {
            let program = format!("{name} (found through a changed lookup: {why})");
            // The directories it may come from count as named by it.
            let mut all = args.to_vec();
            all.extend(
                st.lookup
                    .dirs
                    .iter()
                    .map(|d| args::lit(&d.to_string_lossy())),
            );
            opaque(w, st, &program, &all, stdin.as_ref());
            // What the real program would write still counts.
            if read_only(name) {
                text::reader(w, st, Cmd { name, args, stdin });
                return;
            }
        }
    }
    if read_only(name) {
        text::reader(w, st, Cmd { name, args, stdin });
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
            opaque(w, st, name, args, stdin.as_ref());
            not_found(w, st, args, stdin);
        }
    }
}

/// A command lanes does not know may not exist: bash then calls the function
/// `command_not_found_handle`, when the script defined one, with the command's words.
fn not_found(w: &mut Walker, st: &mut State, args: &[Val], stdin: Option<Stdin>) {
    if let Some(body) = st.funcs.get("command_not_found_handle").cloned() {
        let mut words = vec![args::lit("command_not_found_handle")];
        words.extend_from_slice(args);
        call(w, st, "command_not_found_handle", body, &words, stdin);
    }
}

/// Calls the function `name`: its body is walked with the call's arguments as the
/// positional parameters, and the variables it makes `local` are restored afterwards.
fn call(
    w: &mut Walker,
    st: &mut State,
    name: &str,
    body: std::rc::Rc<super::ast::Command>,
    args: &[Val],
    stdin: Option<Stdin>,
) {
    if w.calls >= MAX_CALLS {
        let program = format!("{name} (recursive function)");
        opaque(w, st, &program, args, stdin.as_ref());
        return;
    }
    let outer = st.positional.replace(args[1..].to_vec());
    w.calls += 1;
    w.locals.push(Vec::new());
    w.command(&body, st, stdin);
    for (var, old) in w.locals.pop().unwrap_or_default().into_iter().rev() {
        match old {
            Some(v) => st.set(var, v),
            None => {
                st.vars.remove(&var);
            }
        }
    }
    w.calls -= 1;
    st.positional = outer;
}

/// Bash builtins: `PATH` and the hash table do not change what they run.
fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        "cd" | "pushd"
            | "popd"
            | "dirs"
            | "echo"
            | "printf"
            | "test"
            | "["
            | "true"
            | "false"
            | "pwd"
            | "read"
            | "set"
            | "shift"
            | "export"
            | "declare"
            | "typeset"
            | "local"
            | "readonly"
            | "unset"
            | "eval"
            | "source"
            | "."
            | "exec"
            | "exit"
            | "return"
            | "break"
            | "continue"
            | ":"
            | "shopt"
            | "alias"
            | "unalias"
            | "trap"
            | "umask"
            | "ulimit"
            | "getopts"
            | "hash"
            | "let"
            | "type"
            | "command"
            | "builtin"
            | "enable"
            | "help"
            | "history"
            | "fc"
            | "jobs"
            | "kill"
            | "wait"
            | "disown"
            | "bg"
            | "fg"
            | "suspend"
            | "times"
            | "caller"
            | "compgen"
            | "complete"
            | "compopt"
            | "mapfile"
            | "readarray"
            | "bind"
            | "logout"
    )
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
        // Builtins that set variables, positional parameters, aliases, traps, lookups.
        "set" => builtins::set,
        "shift" => builtins::shift,
        "read" | "mapfile" | "readarray" | "getopts" | "printf" | "let" => builtins::assigns,
        "alias" => builtins::alias,
        "unalias" => builtins::unalias,
        "trap" => builtins::trap,
        "hash" => builtins::hash,
        "enable" => builtins::enable,
        "history" => builtins::history,
        "fc" => builtins::fc,
        // Shells, and wrappers that run the command they are given.
        "bash" | "sh" | "dash" | "zsh" | "ksh" | "mksh" | "ash" => wrappers::shell,
        "exec" => wrappers::exec,
        "builtin" | "nohup" | "noglob" | "chronic" | "unbuffer" | "catchsegv" | "busybox"
        | "toybox" | "nocache" => wrappers::plain,
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
        "ln" | "link" => files::ln,
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
        "awk" | "gawk" | "mawk" | "nawk" => awk::awk,
        "patch" => editors::patch,
        "apply_patch" | "applypatch" => editors::apply_patch,
        "ed" | "red" => vi::ed,
        "ex" | "vi" | "vim" | "nvim" | "view" | "rvim" | "vimdiff" | "gvim" => vi::vim,
        "nano" | "pico" | "micro" | "emacs" | "kak" => editors::editor,
        "gofmt" | "goimports" => editors::gofmt,
        "prettier" | "eslint" | "black" | "isort" | "autopep8" | "rustfmt" | "clang-format"
        | "yapf" | "ruff" | "biome" | "stylelint" | "standard" => editors::formatter,
        // Archives and compressors.
        "gzip" | "bzip2" | "xz" | "zstd" | "lz4" | "lzma" | "compress" | "gunzip" | "bunzip2"
        | "unxz" | "unzstd" | "unlzma" | "uncompress" => archives::compressor,
        "zip" => archives::zip,
        "tar" | "bsdtar" | "gtar" => archives::tar,
        "unzip" => archives::unzip,
        "7z" | "7za" | "7zr" | "7zz" => archives::seven_zip,
        "unrar" | "rar" => archives::unrar,
        "cpio" => archives::cpio,
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
        "tsc" => tools::tsc,
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

/// What a command prints when the text says so: `echo` and `printf` of known words, `cat`
/// of a literal here-document or here-string. `None` otherwise.
pub(super) fn literal_output(args: &[Val], stdin: Option<&Stdin>) -> Option<String> {
    let name = args.first()?.known()?;
    let rest = &args[1..];
    match name.rsplit('/').next()? {
        "echo" => {
            let mut words: Vec<&str> = rest.iter().map(Val::known).collect::<Option<_>>()?;
            let mut newline = true;
            while let Some(f) = words.first() {
                match *f {
                    "-n" => newline = false,
                    "-E" => {}
                    f if f.starts_with('-')
                        && f.len() > 1
                        && f[1..].chars().all(|c| "neE".contains(c)) =>
                    {
                        return None; // `-e`: escapes lanes does not decode here
                    }
                    _ => break,
                }
                words.remove(0);
            }
            let mut out = words.join(" ");
            if newline {
                out.push('\n');
            }
            Some(out)
        }
        "printf" => {
            let (fmt, more) = rest.split_first()?;
            if fmt.known()?.starts_with('-') {
                return None;
            }
            builtins::format_printf(fmt, more)
        }
        "cat" if rest.iter().all(|a| a.known() == Some("-")) => match stdin? {
            Stdin::Text {
                body,
                literal: true,
            } => Some(body.to_string()),
            _ => None,
        },
        _ => None,
    }
}
