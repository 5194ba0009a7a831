//! `git`: global options (`-C DIR`, `-c core.hooksPath=...`, `--git-dir`), then one model
//! per subcommand. Subcommands that only read or only change `.git` write nothing;
//! checkouts, stashes, resets and merges change the worktree as a whole (repo-wide, certain
//! when the text alone says work is reverted); the rest write the paths they name.

use super::args::{append, lit, Opts};
use super::editors::{patch_files, read_patch};
use super::record::{opaque, path_or_tree, tamper_found};
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{State, Walker};
use crate::shell::{Found, Kind};

/// `git [GLOBAL OPTIONS] SUB ARGS`.
pub(super) fn git(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let Some((gst, i)) = global_options(w, st, rest) else {
        return;
    };
    let Some(sub) = rest.get(i).and_then(|v| v.known()).map(str::to_string) else {
        return;
    };
    let args = &rest[i + 1..];
    let st = &gst;
    match sub.as_str() {
        s if writes_nothing(s) => {}
        "commit" | "push" | "merge" | "am" | "rebase" | "cherry-pick" | "revert" | "pull" => {
            history(w, st, &sub, args)
        }
        "config" => config(w, args),
        "diff" => diff(w, st, args),
        "checkout" | "restore" => checkout(w, st, &sub, args),
        "rm" => rm(w, st, args),
        "mv" => {
            for v in Opts::parse(args, "", &[]).operands {
                path_or_tree(w, st, &v, Kind::Write);
            }
        }
        "apply" => apply(w, st, args),
        "clean" => clean(w, st, args),
        "stash" => stash(w, st, args),
        "reset" => {
            if has(args, &["--hard", "--merge", "--keep"]) {
                repo_wide(w, st, true);
            }
        }
        "switch" => {
            if !has(args, &["-c", "-C", "--create", "--force-create"]) || args.len() > 2 {
                repo_wide(w, st, false)
            }
        }
        "clone" => clone(w, st, args),
        "worktree" => worktree(w, st, args),
        "init" => init(w, st, args),
        "format-patch" => format_patch(w, st, args),
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

/// Reads git's options before the subcommand: `-C DIR` moves it (a copy of the state is
/// returned), `-c core.hooksPath=...` is tamper. Returns the state to run in and the index
/// of the subcommand; `None` when another repository or worktree was named, recorded as
/// opaque.
fn global_options(w: &mut Walker, st: &State, rest: &[Val]) -> Option<(State, usize)> {
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
                return None;
            }
            s if s.starts_with("--git-dir=") || s.starts_with("--work-tree=") => {
                opaque(
                    w,
                    st,
                    &format!("git {}", s.split('=').next().unwrap_or(s)),
                    rest,
                    None,
                );
                return None;
            }
            s if s.starts_with('-') => i += 1,
            _ => break,
        }
    }
    Some((gst, i))
}

/// Subcommands that change no file of the worktree (they read, or change only `.git`).
fn writes_nothing(sub: &str) -> bool {
    matches!(
        sub,
        "status"
            | "log"
            | "show"
            | "blame"
            | "grep"
            | "ls-files"
            | "ls-tree"
            | "rev-parse"
            | "describe"
            | "shortlog"
            | "reflog"
            | "cat-file"
            | "show-ref"
            | "for-each-ref"
            | "merge-base"
            | "branch"
            | "tag"
            | "fetch"
            | "remote"
            | "add"
            | "notes"
            | "symbolic-ref"
            | "var"
            | "version"
            | "help"
            | "whatchanged"
            | "count-objects"
            | "fsck"
            | "gc"
            | "prune"
            | "range-diff"
            | "name-rev"
            | "rev-list"
            | "check-ignore"
            | "check-attr"
            | "ls-remote"
            | "update-index"
            | "write-tree"
            | "hash-object"
            | "diff-tree"
            | "diff-index"
            | "diff-files"
            | "cherry"
            | "verify-commit"
            | "credential"
            | "rerere"
            | "maintenance"
    )
}

/// True when any word of `args` is one of `names`.
fn has(args: &[Val], names: &[&str]) -> bool {
    args.iter().any(|a| names.contains(&a.text()))
}

/// Records a change across the whole worktree where git runs.
fn repo_wide(w: &mut Walker, st: &State, certain: bool) {
    w.push(Found::RepoWide {
        certain,
        cwds: st.cwds.clone(),
    });
}

/// `commit`, `push`, `merge`, `rebase`, `pull`, ...: `--no-verify` skips the hooks (tamper);
/// all but `commit` and `push` may change the worktree.
fn history(w: &mut Walker, st: &State, sub: &str, args: &[Val]) {
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
    if !matches!(sub, "commit" | "push") {
        repo_wide(w, st, false);
    }
}

/// `config`: setting or unsetting `core.hooksPath` is tamper.
fn config(w: &mut Walker, args: &[Val]) {
    let texts: Vec<&str> = args.iter().map(|a| a.text()).collect();
    let has = |names: &[&str]| texts.iter().any(|t| names.contains(t));
    let key = texts
        .iter()
        .position(|t| t.eq_ignore_ascii_case("core.hookspath"));
    if let Some(k) = key {
        let reads = has(&["--get", "--get-all", "--get-regexp", "-l", "--list", "get"]);
        if !reads && (k + 1 < texts.len() || has(&["--unset", "--unset-all", "unset", "set"])) {
            tamper_found(w, "changes core.hooksPath");
        }
    }
}

/// `diff --output=FILE`.
fn diff(w: &mut Walker, st: &State, args: &[Val]) {
    for a in args {
        if let Some(f) = a.text().strip_prefix("--output=") {
            w.write(st, &lit(f), Kind::Write);
        }
    }
}

/// `checkout`, `restore`: the paths named (after `--`, or existing ones); a branch or
/// commit alone switches the whole worktree.
fn checkout(w: &mut Walker, st: &State, sub: &str, args: &[Val]) {
    if sub == "restore" && has(args, &["--staged", "-S"]) && !has(args, &["--worktree", "-W"]) {
        return;
    }
    let p = Opts::parse(
        args,
        "bBs",
        &["--source", "--orphan", "--conflict", "--pathspec-from-file"],
    );
    let after_dashes = args.iter().position(|a| a.text() == "--");
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
                repo_wide(w, st, false);
            }
            paths
        }
    };
    for v in &paths {
        path_or_tree(w, st, v, Kind::Write);
    }
}

/// True when `v` names an existing file, directory or link from a working directory.
fn exists(w: &Walker, st: &State, v: &Val) -> bool {
    let Some(t) = v.literal() else { return false };
    st.cwds.iter().any(|c| {
        w.absolute(c, t)
            .is_some_and(|p| std::fs::symlink_metadata(p).is_ok())
    })
}

/// `rm [-r] PATH...`; `--cached` leaves the files.
fn rm(w: &mut Walker, st: &State, args: &[Val]) {
    if has(args, &["--cached"]) {
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

/// `apply PATCH...`: the files each patch names (read when lanes can), under `--directory`;
/// the checking and index-only modes write nothing.
fn apply(w: &mut Walker, st: &State, args: &[Val]) {
    if has(
        args,
        &[
            "--cached",
            "--check",
            "--stat",
            "--numstat",
            "--summary",
            "--index-info",
        ],
    ) && !has(args, &["--index"])
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

/// `clean -f [PATH...]`: deletes below the paths (default `.`).
fn clean(w: &mut Walker, st: &State, args: &[Val]) {
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

/// `stash [push] [-- PATH...]`: reverts the paths, or the whole worktree; `pop` and `apply`
/// may change it.
fn stash(w: &mut Walker, st: &State, args: &[Val]) {
    let action = args.first().and_then(|v| v.known()).unwrap_or("push");
    match action {
        "list" | "show" | "drop" | "clear" | "create" | "store" | "branch" => {}
        "pop" | "apply" => repo_wide(w, st, false),
        _ => match args.iter().position(|a| a.text() == "--") {
            Some(at) => {
                for v in &args[at + 1..] {
                    path_or_tree(w, st, v, Kind::Write);
                }
            }
            None => repo_wide(w, st, true),
        },
    }
}

/// `clone URL [DIR]`: DIR, or the repository's name, as a subtree.
fn clone(w: &mut Walker, st: &State, args: &[Val]) {
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

/// `worktree add|remove|move PATH...`: the worktrees' directories.
fn worktree(w: &mut Walker, st: &State, args: &[Val]) {
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

/// `init [DIR]`: DIR/.git.
fn init(w: &mut Walker, st: &State, args: &[Val]) {
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

/// `format-patch -o DIR` (a subtree), `--output FILE`.
fn format_patch(w: &mut Walker, st: &State, args: &[Val]) {
    let p = Opts::parse(args, "ov", &["--output-directory", "--output"]);
    for v in p.values(&["-o", "--output-directory"]) {
        w.write_tree(st, v, Kind::Write);
    }
    for v in p.values(&["--output"]) {
        w.write(st, v, Kind::Write);
    }
}
