//! One model per git subcommand, each reading its words by the subcommand's own option table
//! ([`super::grammar`]) and its path operands as pathspecs.

use super::apply;
use super::grammar::{self, Parsed};
use super::{editor, known, Git};
use crate::shell::commands::record::{opaque, tamper_found};
use crate::shell::expand::Val;
use crate::shell::walk::Walker;
use crate::shell::Kind;
use std::path::Path;

/// Runs the model of `sub`; false when lanes has none (an alias, or a program `git-SUB`).
pub(super) fn dispatch(w: &mut Walker, g: &mut Git, sub: &str, args: &[Val]) -> bool {
    match sub {
        s if writes_nothing(s) => {}
        s if diff_options(s) => output(w, g, args),
        "commit" => commit(w, g, args),
        // Commits made without `git commit` run no pre-commit hook at all.
        "commit-tree" | "fast-import" => {
            tamper_found(w, &format!("makes commits without git's hooks (git {sub})"))
        }
        "merge" | "pull" | "rebase" | "cherry-pick" | "revert" => history(w, g, sub, args),
        "push" | "send-pack" => push(w, g, sub, args),
        "am" => apply::am(w, g, args),
        "config" => config(w, g, args),
        "format-patch" => format_patch(w, g, args),
        "grep" => grep(w, g, args),
        "checkout" => checkout(w, g, args),
        "restore" => restore(w, g, args),
        "switch" => switch(w, g, args),
        "reset" => reset(w, g, args),
        "rm" => rm(w, g, args),
        "mv" => mv(w, g, args),
        "add" | "stage" => add(w, g, args),
        "apply" => apply::apply(w, g, args),
        "clean" => clean(w, g, args),
        "stash" => stash(w, g, args),
        "checkout-index" => checkout_index(w, g, args),
        "read-tree" => read_tree(w, g, args),
        "sparse-checkout" => sparse_checkout(w, g, args),
        "clone" => clone(w, g, args),
        "init" | "init-db" => init(w, g, args),
        "worktree" => worktree(w, g, args),
        "archive" => archive(w, g, args),
        "bundle" => bundle(w, g, args),
        "tag" => tag(w, g, args),
        "notes" => notes(w, g, args),
        "branch" => branch(w, g, args),
        "fetch" | "ls-remote" | "fetch-pack" => fetch(w, g, sub, args),
        "diagnose" | "bugreport" => diagnose(w, g, args),
        "merge-file" => merge_file(w, g, args),
        "interpret-trailers" => interpret_trailers(w, g, args),
        "fast-export" => marks(w, g, args),
        "difftool" => difftool(w, g, args),
        "bisect" => bisect(w, g, args),
        "submodule" => submodule(w, g, args),
        "unpack-file" | "mailsplit" | "mailinfo" | "index-pack" | "pack-objects" => {
            // Files named from their operands (or in the working directory); kept unknown.
            for p in &g.places {
                g.write_unknown(w, p.base.as_deref(), Kind::Write);
            }
        }
        _ => return false,
    }
    true
}

/// Subcommands that change no file of the worktree (they read, or change only `.git`).
fn writes_nothing(sub: &str) -> bool {
    matches!(
        sub,
        "status"
            | "blame"
            | "annotate"
            | "ls-files"
            | "ls-tree"
            | "rev-parse"
            | "describe"
            | "cat-file"
            | "show-ref"
            | "for-each-ref"
            | "merge-base"
            | "remote"
            | "symbolic-ref"
            | "var"
            | "version"
            | "help"
            | "count-objects"
            | "fsck"
            | "gc"
            | "prune"
            | "name-rev"
            | "check-ignore"
            | "check-attr"
            | "check-ref-format"
            | "update-index"
            | "update-ref"
            | "write-tree"
            | "hash-object"
            | "verify-commit"
            | "verify-tag"
            | "credential"
            | "rerere"
            | "maintenance"
            | "mktree"
            | "mktag"
            | "pack-refs"
            | "repack"
            | "multi-pack-index"
            | "commit-graph"
            | "show-branch"
            | "patch-id"
            | "replace"
            | "stripspace"
            | "column"
            | "hook"
    )
}

/// Subcommands that take diff options, one of which writes: `--output=FILE`.
fn diff_options(sub: &str) -> bool {
    matches!(
        sub,
        "diff"
            | "diff-files"
            | "diff-index"
            | "diff-tree"
            | "log"
            | "show"
            | "whatchanged"
            | "shortlog"
            | "reflog"
            | "range-diff"
            | "rev-list"
            | "cherry"
    )
}

/// `--output=FILE` / `--output FILE` among diff options (before `--`): FILE.
fn output(w: &mut Walker, g: &Git, args: &[Val]) {
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text();
        if t == "--" {
            break;
        }
        if let Some(f) = t.strip_prefix("--output=") {
            files.push(match &args[i] {
                Val::Known { .. } => known(f),
                Val::Unknown { .. } => Val::Unknown {
                    prefix: f.to_string(),
                },
            });
        } else if t == "--output" && args[i].known().is_some() {
            if let Some(f) = args.get(i + 1) {
                files.push(f.clone());
                i += 1;
            }
        }
        i += 1;
    }
    g.write_paths(w, &files, false, Kind::Write);
}

/// `--pathspec-from-file=F`: paths lanes does not read (F may be written by the command
/// itself, or be standard input); some paths of the worktree.
fn from_file(w: &mut Walker, g: &Git, p: &Parsed, kind: Kind) -> bool {
    if p.given("pathspec-from-file") {
        g.anywhere(w, kind);
        return true;
    }
    false
}

/// `commit`: `--no-verify` / `-n` (in any spelling git accepts) skip lanes' pre-commit hook;
/// an editor opens unless a message is given; nothing in the worktree changes.
fn commit(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::COMMIT);
    // A word lanes cannot read may be `--no-verify` itself (`git commit $(echo --no-verify)`):
    // lanes' pre-commit hook is the one these runs must not skip. Other subcommands skip
    // other hooks, so an unknown word (`git push origin "$BRANCH"`) is not held against them.
    if p.maybe("no-verify") {
        tamper_found(w, "skips the git hooks (git commit --no-verify)");
    }
    // `--fixup=amend:C` and `--fixup=reword:C` edit the message.
    let fixup_edits = p.values("fixup").iter().any(|v| {
        v.known()
            .is_none_or(|t| t.starts_with("amend:") || t.starts_with("reword:"))
    });
    let message = ["message", "file", "reuse-message", "fixup"]
        .iter()
        .any(|m| p.given(m))
        && !fixup_edits;
    let opens = match state(&p, "edit") {
        Some(e) => e,
        None => !message || p.given("reedit-message") || p.given("squash"),
    } || p.given("patch")
        || p.given("interactive")
        || p.unknown_option;
    if opens && !p.on("dry-run") {
        editor(w, g, false);
    }
}

/// The state of a boolean option after its last unambiguous occurrence.
fn state(p: &Parsed, name: &str) -> Option<bool> {
    let mut out = None;
    for o in &p.opts {
        if o.names.len() == 1 && o.names[0] == name {
            out = Some(!o.unset);
        }
    }
    out
}

/// `merge`, `pull`, `rebase`, `cherry-pick`, `revert`: they change the worktree depending on
/// the repository (repo-wide, heuristic); `--no-verify` skips hooks; `rebase --exec` runs a
/// command; editors open for `rebase -i`, `revert`, `--edit`.
fn history(w: &mut Walker, g: &Git, sub: &str, args: &[Val]) {
    let table = match sub {
        "merge" => grammar::MERGE,
        "pull" => grammar::PULL,
        "rebase" => grammar::REBASE,
        "cherry-pick" => grammar::CHERRY_PICK,
        _ => grammar::REVERT,
    };
    let p = grammar::parse(args, table);
    if p.given("no-verify") {
        tamper_found(w, &format!("skips the git hooks (git {sub} --no-verify)"));
    }
    for cmd in p.values("exec").into_iter().cloned().collect::<Vec<_>>() {
        super::command(w, g, "rebase --exec", &cmd, super::config::Runs::Shell);
    }
    for cmd in p
        .values("upload-pack")
        .into_iter()
        .cloned()
        .collect::<Vec<_>>()
    {
        super::command(w, g, "--upload-pack", &cmd, super::config::Runs::Shell);
    }
    for s in p.values("strategy") {
        if !matches!(
            s.known(),
            Some("ort" | "recursive" | "resolve" | "octopus" | "ours" | "subtree")
        ) {
            let program = format!("git-merge-{}", s.text());
            opaque(w, &g.st, &program, args, None);
        }
    }
    let interactive = sub == "rebase" && (p.given("interactive") || p.given("edit-todo"));
    if interactive {
        editor(w, g, true);
    } else if state(&p, "edit").unwrap_or(sub == "revert") {
        editor(w, g, false);
    }
    g.repo_wide(w, false);
}

/// `push`, `send-pack`: `--no-verify` skips hooks; `--receive-pack`/`--exec` run a command.
fn push(w: &mut Walker, g: &Git, sub: &str, args: &[Val]) {
    let table = if sub == "push" {
        grammar::PUSH
    } else {
        grammar::SEND_PACK
    };
    let p = grammar::parse(args, table);
    if p.given("no-verify") {
        tamper_found(w, "skips the git hooks (git push --no-verify)");
    }
    for name in ["receive-pack", "exec"] {
        for cmd in p.values(name).into_iter().cloned().collect::<Vec<_>>() {
            super::command(w, g, "--receive-pack", &cmd, super::config::Runs::Shell);
        }
    }
}

/// `config`: setting or unsetting a key that runs commands, switches hooks, loads other
/// configuration or moves the worktree is tamper, in any scope; `--file F` writes F;
/// `--edit` opens an editor on configuration (any key may be set).
fn config(w: &mut Walker, g: &Git, args: &[Val]) {
    use super::config::{classify, Key};
    let p = grammar::parse(args, grammar::CONFIG);
    let ops = &p.operands;
    let first = ops.first().and_then(|v| v.known());
    let (action, keys): (&str, &[Val]) = match first {
        Some(a @ ("list" | "get")) => (a, &[]),
        Some(a @ ("set" | "unset" | "rename-section" | "remove-section")) => (a, &ops[1..]),
        Some("edit") => ("edit", &[]),
        _ => {
            let reads = [
                "get",
                "get-all",
                "get-regexp",
                "get-urlmatch",
                "list",
                "get-color",
                "get-colorbool",
            ]
            .iter()
            .any(|o| p.on(o));
            let changes = [
                "replace-all",
                "add",
                "unset",
                "unset-all",
                "rename-section",
                "remove-section",
            ]
            .iter()
            .any(|o| p.maybe(o));
            if p.maybe("edit") {
                ("edit", &[])
            } else if changes || (!reads && ops.len() >= 2) {
                ("set", &ops[..])
            } else {
                ("get", &[])
            }
        }
    };
    if action == "list" || action == "get" {
        return;
    }
    let mut files: Vec<Val> = p.values("file").into_iter().cloned().collect();
    if files.is_empty() {
        if let Some(Some(f)) = g.st.var_text("GIT_CONFIG") {
            files.push(known(f));
        }
    }
    g.write_paths(w, &files, false, Kind::Write);
    if action == "edit" {
        tamper_found(
            w,
            "edits git's configuration in an editor (any key may be set)",
        );
        editor(w, g, false);
        return;
    }
    // The key is the first operand; `rename-section`/`remove-section` name sections.
    let Some(key) = keys.first() else { return };
    let Some(key) = key.known() else {
        tamper_found(w, "changes a git configuration key lanes cannot read");
        return;
    };
    let section =
        action.ends_with("section") || p.maybe("rename-section") || p.maybe("remove-section");
    let risky = if section {
        // A whole section: risky when it may hold a risky key.
        let s = key.to_ascii_lowercase();
        let s = s.split('.').next().unwrap_or("");
        matches!(
            s,
            "core"
                | "alias"
                | "include"
                | "includeif"
                | "filter"
                | "diff"
                | "merge"
                | "pager"
                | "credential"
                | "sequence"
                | "gpg"
                | "hook"
                | "remote"
                | "difftool"
                | "mergetool"
                | "trace2"
                | "submodule"
                | "uploadpack"
                | "interactive"
                | "browser"
                | "man"
                | "web"
                | "sendemail"
                | "instaweb"
        )
    } else {
        classify(key) != Key::Plain
    };
    if risky {
        tamper_found(
            w,
            &format!("changes git's {key} (it runs commands or skips lanes' checks)"),
        );
    }
}

/// `format-patch`: `-o DIR`, `--output FILE`, else one file per commit in the working
/// directory (unless `--stdout`).
fn format_patch(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::FORMAT_PATCH);
    let dirs: Vec<Val> = p.values("output-directory").into_iter().cloned().collect();
    let files: Vec<Val> = p.values("output").into_iter().cloned().collect();
    g.write_paths(w, &dirs, true, Kind::Write);
    g.write_paths(w, &files, false, Kind::Write);
    let dir_config = g
        .config
        .pairs
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case("format.outputdirectory"))
        .map(|(_, v)| v.clone());
    if dirs.is_empty() && files.is_empty() && !p.on("stdout") {
        match dir_config {
            Some(d) => g.write_paths(w, &[d], true, Kind::Write),
            None => {
                for pl in &g.places {
                    g.write_unknown(w, pl.base.as_deref(), Kind::Write);
                }
            }
        }
    }
}

/// `grep -O[CMD]`: CMD is run on the matching files.
fn grep(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::GREP);
    for cmd in p.values("open-files-in-pager") {
        super::command(w, g, "grep -O", cmd, super::config::Runs::Shell);
    }
}

/// `checkout`: the paths named (after `--`, or operands that are paths); a branch or
/// commit alone switches the whole worktree (certain with `--force`), and so does `-f` alone.
fn checkout(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::CHECKOUT);
    if from_file(w, g, &p, Kind::Write) {
        return;
    }
    let force = p.maybe("force");
    let create = p.given("-b") || p.given("-B") || p.given("orphan");
    let (refs, paths): (Vec<Val>, Vec<Val>) = match p.dashdash {
        Some(at) => (p.operands[..at].to_vec(), p.operands[at..].to_vec()),
        None if create => (p.operands.clone(), Vec::new()),
        None => match p.operands.split_first() {
            // `git checkout X ...`: X is a commit unless it reads as a path; the rest are paths.
            Some((first, rest)) if !is_path(g, first) => (vec![first.clone()], rest.to_vec()),
            _ => (Vec::new(), p.operands.clone()),
        },
    };
    if let Some(Val::Unknown { .. }) = refs.first() {
        // `git checkout "$X"`: a branch, or paths.
        g.write_specs(w, &refs[..1], false, Kind::Write);
    }
    if !paths.is_empty() {
        g.write_specs(w, &paths, false, Kind::Write);
    } else if p.given("patch") && refs.is_empty() {
        g.write_specs(w, &[known(".")], false, Kind::Write);
    } else if !refs.is_empty() || force {
        g.repo_wide(w, force);
    }
}

/// True when a `checkout` operand without `--` reads as a path: magic, a pattern, a path
/// that exists, or one in an existing directory that no branch is named like.
fn is_path(g: &Git, v: &Val) -> bool {
    let Val::Known { text, glob } = v else {
        return false;
    };
    if *glob || (!g.mode.literal && (text.starts_with(':') || text.contains(['*', '?', '[']))) {
        return true;
    }
    if text.as_str() == "." {
        return true;
    }
    g.places.iter().any(|p| {
        let Some(base) = p.base.as_deref() else {
            return false;
        };
        let abs = base.join(&**text);
        if std::fs::symlink_metadata(&abs).is_ok() {
            return true;
        }
        let parent_exists = text.contains('/') && abs.parent().is_some_and(Path::is_dir);
        parent_exists && !is_branch(p.top.as_deref(), text)
    })
}

/// True when `.git/refs` holds a branch or tag `name` (loose refs only).
fn is_branch(top: Option<&Path>, name: &str) -> bool {
    let Some(top) = top else { return false };
    ["refs/heads", "refs/tags", "refs/remotes"]
        .iter()
        .any(|d| top.join(".git").join(d).join(name).is_file())
}

/// `restore`: the paths named, in the worktree unless only `--staged`.
fn restore(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::RESTORE);
    if p.on("staged") && !p.maybe("worktree") {
        return;
    }
    if from_file(w, g, &p, Kind::Write) {
        return;
    }
    if p.operands.is_empty() && p.given("patch") {
        g.write_specs(w, &[known(".")], false, Kind::Write);
    }
    g.write_specs(w, &p.operands, false, Kind::Write);
}

/// `switch`: to a branch (repo-wide, certain with `--force`/`--discard-changes`); `--orphan`
/// empties the worktree; `-c NEW` alone changes nothing.
fn switch(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::SWITCH);
    let force = p.maybe("force") || p.maybe("discard-changes");
    if p.given("orphan") {
        g.repo_wide(w, true);
        return;
    }
    let create = p.given("create") || p.given("force-create");
    if !p.operands.is_empty() || p.given("detach") || (create && force) {
        g.repo_wide(w, force);
    }
}

/// `reset --hard/--merge/--keep`: the whole worktree; other modes change the index only.
fn reset(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::RESET);
    if p.maybe("hard") || p.maybe("merge") || p.maybe("keep") {
        g.repo_wide(w, true);
    }
}

/// `rm [-r] PATHSPEC...`; `--cached` and `--dry-run` leave the files.
fn rm(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::RM);
    if p.on("cached") || p.on("dry-run") {
        return;
    }
    if from_file(w, g, &p, Kind::Delete) {
        return;
    }
    g.write_specs(w, &p.operands, p.maybe("-r"), Kind::Delete);
}

/// `mv SOURCE... DEST`: the sources and the destination.
fn mv(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::MV);
    if p.on("dry-run") {
        return;
    }
    g.write_specs(w, &p.operands, false, Kind::Write);
}

/// `add`: the index only; `--pathspec-from-file` names paths lanes does not see (asked,
/// never nothing); `-e`/`-p`/`-i` open an editor.
fn add(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::ADD);
    from_file(w, g, &p, Kind::Write);
    if p.given("edit") || p.given("patch") || p.given("interactive") {
        editor(w, g, false);
    }
}

/// `clean [PATHSPEC...]`: deletes untracked files below the paths (default: the working
/// directory). Without `-f` git refuses unless `clean.requireForce` is false, which lanes
/// cannot see: judged as deleting (only `--dry-run` writes nothing).
fn clean(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::CLEAN);
    if p.on("dry-run") {
        return;
    }
    if p.operands.is_empty() {
        g.write_specs(w, &[known(".")], true, Kind::Delete);
    } else {
        g.write_specs(w, &p.operands, true, Kind::Delete);
    }
}

/// `stash [push] [PATHSPEC...]`: reverts the paths, or the whole worktree; `pop`, `apply`,
/// `branch` may change it; `show` takes diff options.
fn stash(w: &mut Walker, g: &Git, args: &[Val]) {
    let Some(first) = args.first() else {
        g.repo_wide(w, true);
        return;
    };
    let Some(action) = first.known() else {
        g.repo_wide(w, true);
        return;
    };
    match action {
        "list" | "drop" | "clear" | "create" | "store" => {}
        "show" => output(w, g, &args[1..]),
        "pop" | "apply" | "branch" => g.repo_wide(w, false),
        "save" => g.repo_wide(w, true),
        "push" => stash_push(w, g, &args[1..]),
        a if a.starts_with('-') => stash_push(w, g, args),
        _ => {} // git refuses an unknown subcommand
    }
}

fn stash_push(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::STASH_PUSH);
    if from_file(w, g, &p, Kind::Write) {
        return;
    }
    if p.operands.is_empty() {
        g.repo_wide(w, true);
    } else {
        g.write_specs(w, &p.operands, false, Kind::Write);
    }
}

/// `checkout-index`: the files named (relative to the working directory), all of them
/// (`-a`: the whole worktree), or under `--prefix` (relative to the top); `--stdin` and
/// `--temp` write files lanes cannot name.
fn checkout_index(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::CHECKOUT_INDEX);
    if p.given("temp") || p.given("stdin") {
        for pl in &g.places {
            g.write_unknown(w, pl.base.as_deref(), Kind::Write);
        }
    }
    let all = p.maybe("all");
    if !all && p.operands.is_empty() {
        return;
    }
    match p.last("prefix") {
        // Each file is written at PREFIX followed by its path from the top.
        Some(prefix) => {
            let v = match prefix {
                Val::Known { text, .. } if text.ends_with('/') => {
                    g.write_at_top(w, &[known(text.trim_end_matches('/'))], true, Kind::Write);
                    return;
                }
                Val::Known { text, .. } => Val::Unknown {
                    prefix: text.to_string(),
                },
                u => u.clone(),
            };
            g.write_at_top(w, &[v], false, Kind::Write);
        }
        None if all => g.repo_wide(w, true),
        None => g.write_paths(w, &p.operands, false, Kind::Write),
    }
}

/// `read-tree -u`: updates the worktree from a tree (the whole worktree, or below
/// `--prefix`, relative to the top); without `-u` only the index (and `--index-output`).
fn read_tree(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::READ_TREE);
    for f in p.values("index-output") {
        g.write_paths(w, std::slice::from_ref(f), false, Kind::Write);
    }
    if !p.maybe("-u") || p.on("dry-run") {
        return;
    }
    match p.last("prefix") {
        Some(prefix) => g.write_at_top(w, std::slice::from_ref(prefix), true, Kind::Write),
        None => g.repo_wide(w, true),
    }
}

/// `sparse-checkout set|add|init|reapply|disable`: files leave or enter the worktree.
fn sparse_checkout(w: &mut Walker, g: &Git, args: &[Val]) {
    match args.first().and_then(|v| v.known()) {
        Some("list" | "check-rules") | None => {}
        _ => g.repo_wide(w, true),
    }
}

/// `clone URL [DIR]`: DIR, or the repository's name, as a subtree. Its checkout runs the
/// configuration given (`-c`) and hooks from `--template`.
fn clone(w: &mut Walker, g: &Git, args: &[Val]) {
    use super::config::{classify, Key};
    let p = grammar::parse(args, grammar::CLONE);
    for cmd in p.values("upload-pack") {
        super::command(w, g, "--upload-pack", cmd, super::config::Runs::Shell);
    }
    for kv in p.values("config") {
        let (key, value) = match kv.known().and_then(|t| t.split_once('=')) {
            Some((k, v)) => (k.to_string(), known(v)),
            None => {
                opaque(
                    w,
                    &g.st,
                    "git clone (configuration lanes cannot read)",
                    args,
                    None,
                );
                continue;
            }
        };
        match classify(&key) {
            Key::Command(runs) => super::command(w, g, &key, &value, runs),
            Key::Hooks | Key::Include => opaque(
                w,
                &g.st,
                "git clone (hooks of the new repository)",
                args,
                None,
            ),
            _ => {}
        }
    }
    if p.given("template") {
        opaque(w, &g.st, "git clone (hooks from --template)", args, None);
    }
    for d in p.values("separate-git-dir") {
        g.write_paths(w, std::slice::from_ref(d), true, Kind::Write);
    }
    if p.operands.iter().any(|u| u.text().starts_with("ext::")) {
        opaque(w, &g.st, "git clone ext::", args, None);
    }
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
                known(&name)
            }
        }
        [] => return,
    };
    // The destination is relative to the working directory (not a pathspec).
    w.write_tree(&g.st, &dest, Kind::Write);
}

/// `init [DIR]`: DIR/.git (and `--separate-git-dir`).
fn init(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::INIT);
    let dir = p.operands.first().cloned().unwrap_or_else(|| known("."));
    w.write(
        &g.st,
        &super::super::args::append(&dir, "/.git"),
        Kind::Write,
    );
    for d in p.values("separate-git-dir") {
        w.write_tree(&g.st, d, Kind::Write);
    }
}

/// `worktree add|move|remove PATH...`: the worktrees' directories.
fn worktree(w: &mut Walker, g: &Git, args: &[Val]) {
    let rest = args.get(1..).unwrap_or(&[]);
    let (table, count) = match args.first().and_then(|v| v.known()) {
        Some("add") => (grammar::WORKTREE_ADD, 1),
        Some("remove") => ("f|force", 1),
        Some("move") => ("f|force", 2),
        _ => return,
    };
    let p = grammar::parse(rest, table);
    let paths: Vec<Val> = p.operands.iter().take(count).cloned().collect();
    g.write_paths(w, &paths, true, Kind::Write);
}

/// `archive -o FILE`; `--exec` runs a command for `--remote`.
fn archive(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::ARCHIVE);
    let files: Vec<Val> = p.values("output").into_iter().cloned().collect();
    g.write_paths(w, &files, false, Kind::Write);
    for cmd in p.values("exec") {
        super::command(w, g, "archive --exec", cmd, super::config::Runs::Shell);
    }
}

/// `bundle create FILE ...`.
fn bundle(w: &mut Walker, g: &Git, args: &[Val]) {
    if args.first().and_then(|v| v.known()) != Some("create") {
        return;
    }
    let p = grammar::parse(&args[1..], grammar::BUNDLE_CREATE);
    if let Some(f) = p.operands.first() {
        g.write_paths(w, std::slice::from_ref(f), false, Kind::Write);
    }
}

/// `tag -a`/`-s` without a message opens an editor.
fn tag(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::TAG);
    let annotated = p.given("annotate") || p.given("sign") || p.given("local-user");
    let message = p.given("message") || p.given("file");
    if state(&p, "edit").unwrap_or(annotated && !message) {
        editor(w, g, false);
    }
}

/// `notes add|append|edit`: an editor unless a message is given.
fn notes(w: &mut Walker, g: &Git, args: &[Val]) {
    let Some(action) = args.first().and_then(|v| v.known()) else {
        return;
    };
    if !matches!(action, "add" | "append" | "edit") {
        return;
    }
    let p = grammar::parse(&args[1..], grammar::NOTES_ADD);
    let message = ["message", "file", "reuse-message"]
        .iter()
        .any(|m| p.given(m));
    if action == "edit" || !message || p.given("reedit-message") {
        editor(w, g, false);
    }
}

/// `branch --edit-description` opens an editor.
fn branch(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::BRANCH);
    if p.given("edit-description") {
        editor(w, g, false);
    }
}

/// `fetch`, `ls-remote`, `fetch-pack`: `--upload-pack`/`--exec` run a command.
fn fetch(w: &mut Walker, g: &Git, sub: &str, args: &[Val]) {
    let table = match sub {
        "fetch" => grammar::FETCH,
        _ => grammar::LS_REMOTE,
    };
    let p = grammar::parse(args, table);
    for name in ["upload-pack", "exec"] {
        for cmd in p.values(name) {
            super::command(w, g, "--upload-pack", cmd, super::config::Runs::Shell);
        }
    }
    if p.operands.iter().any(|u| u.text().starts_with("ext::")) {
        opaque(w, &g.st, &format!("git {sub} ext::"), args, None);
    }
}

/// `diagnose`, `bugreport`: a file in `-o DIR`, else in the working directory.
fn diagnose(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::DIAGNOSE);
    let dirs: Vec<Val> = p.values("output-directory").into_iter().cloned().collect();
    if dirs.is_empty() {
        for pl in &g.places {
            g.write_unknown(w, pl.base.as_deref(), Kind::Write);
        }
    }
    g.write_paths(w, &dirs, true, Kind::Write);
}

/// `merge-file CURRENT BASE OTHER`: CURRENT, unless `--stdout`.
fn merge_file(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::MERGE_FILE);
    if p.on("stdout") {
        return;
    }
    if let Some(f) = p.operands.first() {
        g.write_paths(w, std::slice::from_ref(f), false, Kind::Write);
    }
}

/// `interpret-trailers --in-place FILE...`.
fn interpret_trailers(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::INTERPRET_TRAILERS);
    if p.maybe("in-place") {
        g.write_paths(w, &p.operands, false, Kind::Write);
    }
}

/// `fast-export`/`fast-import --export-marks=FILE` (and `--export-pack-edges=FILE`).
fn marks(w: &mut Walker, g: &Git, args: &[Val]) {
    for a in args {
        let t = a.text();
        for opt in ["--export-marks=", "--export-pack-edges="] {
            if let Some(f) = t.strip_prefix(opt) {
                let v = match a {
                    Val::Known { .. } => known(f),
                    Val::Unknown { .. } => Val::Unknown {
                        prefix: f.to_string(),
                    },
                };
                g.write_paths(w, &[v], false, Kind::Write);
            }
        }
    }
}

/// `difftool -x CMD` runs CMD; otherwise the configured tools, which lanes cannot see.
fn difftool(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::DIFFTOOL);
    let cmds: Vec<Val> = p.values("extcmd").into_iter().cloned().collect();
    if cmds.is_empty() {
        opaque(w, &g.st, "git difftool", args, None);
    }
    for cmd in &cmds {
        super::command(w, g, "difftool --extcmd", cmd, super::config::Runs::Shell);
    }
}

/// `bisect run CMD...` runs CMD from the top; the other subcommands check commits out.
fn bisect(w: &mut Walker, g: &Git, args: &[Val]) {
    match args.first().and_then(|v| v.known()) {
        Some("run") if args.len() > 1 => {
            let mut st = g.at_top();
            crate::shell::commands::run(w, &mut st, &args[1..], None);
        }
        Some("log" | "visualize" | "view" | "terms" | "help") | None => {}
        Some(_) => g.repo_wide(w, false),
    }
}

/// `submodule foreach CMD` runs CMD in each submodule; `submodule add URL [PATH]` clones
/// into PATH; the rest is opaque (update modes may be commands).
fn submodule(w: &mut Walker, g: &Git, args: &[Val]) {
    let ops: Vec<&Val> = args.iter().filter(|a| !a.text().starts_with('-')).collect();
    match ops.first().and_then(|v| v.known()) {
        Some("foreach") => {
            let words: Option<Vec<&str>> = ops[1..].iter().map(|v| v.known()).collect();
            let mut st = g.st.clone();
            st.cwds = vec![None];
            match words {
                Some(words) => w.nested_script(&words.join(" "), &mut st, "git submodule foreach"),
                None => opaque(w, &st, "git submodule foreach", args, None),
            }
        }
        Some("add") => {
            let dest = match ops.get(2) {
                Some(d) => (*d).clone(),
                None => Val::Unknown {
                    prefix: String::new(),
                },
            };
            g.write_paths(w, &[dest], true, Kind::Write);
        }
        Some("status" | "summary" | "foreach-status") => {}
        _ => opaque(w, &g.st, "git submodule", args, None),
    }
}
