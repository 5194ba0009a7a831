//! What a `Bash` tool call writes, found statically from the command text.
//!
//! [`analyze`] turns a command into [`Finding`]s: paths it writes (literal, a subtree, or
//! unknown with a literal prefix), programs whose writes cannot be seen (opaque), git
//! operations that touch the whole worktree, attempts to switch lanes off (tamper), and text
//! that could not be parsed. Deciding what the findings mean is not done here: the hook
//! resolves each path and asks [`crate::decide`].
//!
//! Pipeline (see `shared/reference/bash-write-targets.md` §4):
//! [`prescreen`] (size, control characters, nesting, here-doc tags) -> [`parse`] (a fast path
//! for plain commands, `quick`; otherwise brush-parser, behind our own [`ast`]; on a worker
//! thread with a large stack and a deadline for long text) -> `walk` (what the script does,
//! in order, from a `state`: possible working directories, variables and arrays, positional
//! parameters, functions, aliases, open descriptors, how command names are looked up; and,
//! kept for the whole script wherever they were made, symlinks and code kept to run later)
//! with [`expand`] (static word expansion and field splitting, so a command built from data
//! is seen as the command it runs) and `commands` (per-command models). When the text is
//! refused, does not parse, or the worker fails, [`lexical`] scans the raw text for paths.
//!
//! Hardening: nothing here may abort the process (a signal lets the call through). The
//! pre-screen keeps brush-parser 0.4.0's known unbounded-allocation inputs and deep nesting
//! away from it; the worker has a 256 MiB stack (reserved, not committed) and
//! [`PARSE_DEADLINE`]; the walker counts steps and findings and stops at fixed caps; brace
//! expansion is capped. A Rust allocation failure would abort, so there is no allocator
//! guard to hit: the design keeps every structure proportional to the (≤ 64 KiB) input.

pub mod ast;
mod commands;
pub mod expand;
pub mod lexical;
pub mod parse;
mod pattern;
pub mod prescreen;
mod quick;
mod state;
mod walk;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long parsing and walking may take before the command is judged lexically instead.
/// Below the hook's own 900 ms deadline, so a slow parse still ends in a reasoned answer.
pub const PARSE_DEADLINE: Duration = Duration::from_millis(400);

/// Commands up to this many bytes are parsed on the calling thread: with nesting capped at
/// [`prescreen::MAX_NESTING`] their recursion is shallow (`tests/bash_fuzz.rs` checks that the
/// worst shapes fit a 1 MiB stack in a debug build; the main thread has 8 MiB), and a thread
/// costs about a tenth of the hook's time. Longer ones get the worker and its deadline.
const INLINE_LIMIT: usize = 16 * 1024;

/// Stack size of the worker thread (address space only; pages are touched as needed).
const WORKER_STACK: usize = 256 * 1024 * 1024;

/// Where and for whom the command runs.
#[derive(Debug, Clone)]
pub struct Context {
    /// The hook input's `cwd` (absolute).
    pub cwd: PathBuf,
    /// `$HOME` of the hook process, for `~` and `cd` without an operand.
    pub home: Option<PathBuf>,
    /// The session's standard input stays open to the agent while a command runs (Codex's
    /// `write_stdin`, other-clients.md §4): a command that takes what is typed into it is
    /// then refused ([`Found::Tamper`]), since no hook sees what the agent types.
    pub live_stdin: bool,
}

/// Something the command does that the policy must judge. `fragment` is the part of the
/// command to quote in a message (a simple command as the parser printed it, or the raw text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    /// The command fragment responsible.
    pub fragment: String,
    /// What it does.
    pub effect: Found,
}

/// What a fragment does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Found {
    /// Writes (creates, changes, deletes, re-permissions) `target`.
    Write {
        /// Where.
        target: Target,
        /// How, for messages.
        kind: Kind,
    },
    /// Runs a program whose writes cannot be known (an interpreter, a build tool, a script).
    Opaque {
        /// The program as named.
        program: String,
        /// The working directories it may run in (`None`: unknown).
        cwds: Vec<Option<PathBuf>>,
        /// Paths its text names (absolute, lexical), from a lexical scan of its arguments.
        mentions: Vec<PathBuf>,
    },
    /// Changes files across the whole worktree (`git stash`, `git reset --hard`); `certain`
    /// is false when it depends on repository state (`git checkout BRANCH`, `git pull`).
    RepoWide {
        /// True when the text alone says it reverts or deletes work.
        certain: bool,
        /// Where git runs (`None`: unknown).
        cwds: Vec<Option<PathBuf>>,
    },
    /// Would change who the agent is or switch lanes off.
    Tamper {
        /// What, in words.
        what: String,
        /// For `LANES_ROLE=x` / `CLAUDE_CODE_AGENT=x` with a literal `x`: the role or agent
        /// name set (the session's own changes nothing).
        role: Option<String>,
    },
    /// Could not be analysed; `mentions` are the paths a lexical scan found in the text.
    Unparseable {
        /// Why.
        why: String,
        /// Paths named in the text (absolute, lexical).
        mentions: Vec<PathBuf>,
    },
}

/// A written place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One path (absolute, lexically normalised; symlinks are resolved by the caller).
    Path(PathBuf),
    /// A directory and everything below it (`rm -r D`, `tar -x -C D`, a glob's directory).
    Subtree(PathBuf),
    /// A path whose name is not known statically; `prefix` is the literal directory it starts
    /// in, when there is one (a hint only: the unknown part may climb out with `..`).
    Unknown {
        /// The literal directory prefix.
        prefix: Option<PathBuf>,
    },
}

// Hashed by the last component only: equal targets have the same one, and the walker's
// set of findings hashes each target it meets, where hashing a whole `Path` goes through
// every component (a tenth of a long command's analysis).
impl std::hash::Hash for Target {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Target::Path(p) | Target::Subtree(p) => p.file_name().hash(state),
            Target::Unknown { prefix } => prefix.as_deref().map(Path::file_name).hash(state),
        }
    }
}

/// How a path is written, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Created or changed.
    Write,
    /// Deleted (`rm`, the source of `mv`).
    Delete,
    /// Permissions or times changed.
    Metadata,
    /// A link created.
    Link,
    /// A directory created (`mkdir`, `install -d`): judged as a directory.
    MakeDir,
}

impl Kind {
    /// A verb for messages: `writes`, `deletes`, ...
    pub fn verb(self) -> &'static str {
        match self {
            Kind::Write => "writes",
            Kind::Delete => "deletes",
            Kind::Metadata => "changes permissions of",
            Kind::Link => "creates the link",
            Kind::MakeDir => "creates the directory",
        }
    }
}

/// Analyses `command` as run in `cx.cwd`. Never fails and never aborts: anything it cannot
/// analyse becomes an [`Found::Unparseable`] finding carrying the paths the text names.
pub fn analyze(command: &str, cx: &Context) -> Vec<Finding> {
    let mut findings = analyze_text(command, cx);
    git_config_writes(&mut findings, cx);
    findings
}

fn analyze_text(command: &str, cx: &Context) -> Vec<Finding> {
    if let Err(refusal) = prescreen::check(command) {
        return fallback(command, cx, &format!("lanes did not parse it: {refusal}"));
    }
    if command.len() <= INLINE_LIMIT {
        return match parse::parse(command) {
            Ok(script) => walk::walk(&script, cx, command),
            Err(e) => fallback(
                command,
                cx,
                &format!("it does not parse as bash ({})", first_line(&e)),
            ),
        };
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let text = command.to_string();
    let worker_cx = cx.clone();
    let spawned = std::thread::Builder::new()
        .name("lanes-shell".into())
        .stack_size(WORKER_STACK)
        .spawn(move || {
            let result = parse::parse(&text).map(|script| walk::walk(&script, &worker_cx, &text));
            let _ = tx.send(result);
        });
    if spawned.is_err() {
        return fallback(command, cx, "lanes could not start its parser");
    }
    match rx.recv_timeout(PARSE_DEADLINE) {
        Ok(Ok(findings)) => findings,
        Ok(Err(e)) => fallback(
            command,
            cx,
            &format!("it does not parse as bash ({})", first_line(&e)),
        ),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => fallback(
            command,
            cx,
            &format!(
                "analysing it took longer than {} ms",
                PARSE_DEADLINE.as_millis()
            ),
        ),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            fallback(command, cx, "lanes' parser failed on it")
        }
    }
}

/// Analyses a parsed script directly, on the calling thread (tests, and the fuzz harness
/// that checks the walker's own limits).
pub fn analyze_parsed(script: &ast::Script, cx: &Context) -> Vec<Finding> {
    let mut findings = walk::walk(script, cx, "");
    git_config_writes(&mut findings, cx);
    findings
}

/// A write to git's global or system configuration (`~/.gitconfig`,
/// `~/.config/git/config`, `/etc/gitconfig`) lies outside the project, where writes are
/// allowed, yet it can set `core.hooksPath` or an alias for every later git command: it is
/// also tamper. (`.git/config` is a protected path already.)
fn git_config_writes(findings: &mut Vec<Finding>, cx: &Context) {
    let mut files = vec![PathBuf::from("/etc/gitconfig")];
    if let Some(home) = &cx.home {
        files.push(home.join(".gitconfig"));
        files.push(home.join(".config/git/config"));
    }
    let mut found = Vec::new();
    for f in findings.iter() {
        let hit = match &f.effect {
            Found::Write {
                target: Target::Path(p),
                ..
            } => files.contains(&crate::path::normalize_lexically(p)),
            Found::Write {
                target: Target::Subtree(p),
                ..
            } => {
                // `rm -r ~/.config/git`; wider deletions (`rm -rf /tmp/*` with a HOME below
                // /tmp) are not read as aimed at it.
                let p = crate::path::normalize_lexically(p);
                files
                    .iter()
                    .any(|c| c.parent() == Some(p.as_path()) && p.ends_with("git"))
            }
            _ => false,
        };
        if hit {
            found.push(Finding {
                fragment: f.fragment.clone(),
                effect: Found::Tamper {
                    what: "writes git's global configuration (it may set core.hooksPath)".into(),
                    role: None,
                },
            });
        }
    }
    findings.extend(found);
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn fallback(command: &str, cx: &Context, why: &str) -> Vec<Finding> {
    let mentions = lexical::mentions(command, &cx.cwd, cx.home.as_deref());
    vec![Finding {
        fragment: lexical::excerpt(command),
        effect: Found::Unparseable {
            why: why.to_string(),
            mentions,
        },
    }]
}

/// True for device paths whose writes change no file (`/dev/null`, `/dev/tty`, ...).
/// `/dev/stdout`, `/dev/fd/N` and `/proc/self/fd/N` are not among them: they reopen
/// whatever the descriptor refers to, which the walker follows.
pub fn is_harmless_device(path: &Path) -> bool {
    matches!(
        path.to_str(),
        Some("/dev/null" | "/dev/tty" | "/dev/zero" | "/dev/full" | "/dev/random" | "/dev/urandom")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn sed_scripts_write_their_files_in_order() {
        let cx = Context {
            cwd: PathBuf::from("/r"),
            home: None,
            live_stdin: false,
        };
        let written = |cmd: &str| -> Vec<PathBuf> {
            analyze(cmd, &cx)
                .into_iter()
                .filter_map(|f| match f.effect {
                    Found::Write {
                        target: Target::Path(p),
                        ..
                    } => Some(p),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            written("sed -n -e 'w a' -e 's/x/y/w b' --expression='w c' -e p f"),
            ["/r/a", "/r/b", "/r/c"].map(PathBuf::from)
        );
        assert_eq!(
            written("sed -i.bak 's/x/y/w d' f"),
            ["/r/f", "/r/f.bak", "/r/d"].map(PathBuf::from)
        );
    }

    #[test]
    fn targets_hash_alike_when_equal_and_stay_apart_when_not() {
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::default();
        let p = |s: &str| Target::Path(PathBuf::from(s));
        assert_eq!(p("/r/a//b"), p("/r/a/b"));
        assert_eq!(h.hash_one(p("/r/a//b")), h.hash_one(p("/r/a/b/")));
        let set: HashSet<Target> = [
            p("/r/a/f"),
            p("/r/b/f"),
            p("/r/a/f"),
            Target::Subtree(PathBuf::from("/r/a/f")),
            Target::Unknown { prefix: None },
            Target::Unknown {
                prefix: Some(PathBuf::from("/r/a")),
            },
            Target::Unknown {
                prefix: Some(PathBuf::from("/r/a/")),
            },
        ]
        .into_iter()
        .collect();
        assert_eq!(set.len(), 5);
    }
}
