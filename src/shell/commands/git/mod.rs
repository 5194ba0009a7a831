//! `git`: where it works, what its configuration runs, and one model per subcommand.
//!
//! A run is read as git reads it. Global options first (`-C DIR`, repeated and relative to
//! each other; `--git-dir`, `--work-tree`; `-c KEY=VALUE`, `--config-env`; the pathspec
//! modes), with the variables set in the command (`GIT_DIR`, `GIT_WORK_TREE`,
//! `GIT_CONFIG_COUNT`, `GIT_CONFIG_PARAMETERS`, ...). They give the worktree the paths are
//! relative to ([`Place`]: the working directory when it lies in the worktree, else the
//! worktree's top; an unknown worktree makes every write unknown) and the configuration of
//! the run ([`config`]): keys that skip lanes' pre-commit hook or load more configuration
//! are tamper, keys whose value git runs are walked as commands, an alias is expanded.
//! Then the subcommand's words are read by git's own option grammar ([`grammar`]) and its
//! path operands as pathspecs ([`pathspec`]).
//!
//! Subcommands that only read or only change `.git` write nothing; whole-worktree reverts
//! (`reset --hard`, `stash`, `checkout -f`, `checkout-index -a`, `read-tree -u`) are
//! repo-wide; branch switches and merges are repo-wide but depend on the repository
//! (heuristic); the rest write the paths they name.

mod apply;
mod config;
mod grammar;
mod pathspec;
mod subs;

use super::args::lit as known;
use super::record::{opaque, tamper_found};
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{Cwd, State, Stdin, Walker};
use crate::shell::{Found, Kind};
use config::{Given, Key, Runs};
use std::path::{Path, PathBuf};

/// How deep aliases may expand to other aliases before the run counts as opaque.
const MAX_ALIASES: usize = 8;

/// Where one git run works.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    /// git's working directory (after `-C`).
    cwd: Cwd,
    /// The top of the worktree.
    top: Cwd,
    /// Where relative paths start: the working directory when it lies in the worktree, else
    /// the top (checked with git 2.47: `git --work-tree=docs checkout -- .` from the root
    /// checks the whole tree out into `docs/`).
    base: Cwd,
}

impl Place {
    /// Where a whole-worktree change happens.
    fn anchor(&self) -> Cwd {
        self.base.clone()
    }
}

/// One git run, as a subcommand's model sees it.
struct Git {
    /// The shell state, its working directories those of git (after `-C`).
    st: State,
    /// Where git works: one place per possible working directory, and one per worktree
    /// `-c core.worktree` may name.
    places: Vec<Place>,
    /// How pathspecs are read.
    mode: pathspec::Mode,
    /// What git reads on standard input.
    stdin: Option<Stdin>,
    /// Configuration given for this run.
    config: Given,
    /// True when git uses another repository than the one its working directory lies in
    /// (`--git-dir`, `GIT_DIR`), or one lanes cannot tell: its hooks are not lanes'.
    other_repo: bool,
    /// Why configuration lanes cannot see applies (`GIT_CONFIG_GLOBAL=F`, `HOME=D`), if it does.
    unseen_config: Option<String>,
    /// Aliases expanded so far.
    depth: usize,
}

/// `git [GLOBAL OPTIONS] SUB ARGS`.
pub(super) fn git(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let mut g = Git {
        st: st.clone(),
        places: Vec::new(),
        mode: pathspec::Mode::default(),
        stdin: c.stdin,
        config: Given::default(),
        other_repo: false,
        unseen_config: None,
        depth: 0,
    };
    g.config.push_environment(st);
    run(w, &mut g, rest);
}

/// The options of `git` itself, as read before the subcommand.
#[derive(Default)]
struct Globals {
    git_dir: Option<Val>,
    work_tree: Option<Val>,
    /// A word lanes cannot read stood among them.
    unknown: bool,
    exec_path: bool,
}

/// Reads the global options in `words`, then runs the subcommand (also for the words an
/// alias expands to).
fn run(w: &mut Walker, g: &mut Git, words: &[Val]) {
    let mut globals = Globals::default();
    let mut i = 0;
    while i < words.len() {
        let Some(t) = words[i].known() else {
            // `--work-tree="$W"`: the option is known, its value is not.
            let prefix = words[i].text();
            if prefix.starts_with("--git-dir=") {
                globals.git_dir = Some(after_eq(&words[i]));
            } else if prefix.starts_with("--work-tree=") {
                globals.work_tree = Some(after_eq(&words[i]));
            } else if prefix.starts_with("--config-env=") {
                g.config.push_config_env(&after_eq(&words[i]), &g.st);
            } else if prefix.starts_with('-') {
                globals.unknown = true;
            } else {
                break; // `git $SUB`: the subcommand itself is unknown
            }
            i += 1;
            continue;
        };
        let next = words.get(i + 1);
        match t {
            "-C" => {
                if let Some(d) = next {
                    g.st.cwds = g.st.cwds.iter().map(|c| join(w, c, d)).collect();
                }
                i += 2;
            }
            "-c" => {
                if let Some(kv) = next {
                    g.config.push_assignment(kv);
                }
                i += 2;
            }
            "--config-env" => {
                if let Some(kv) = next {
                    g.config.push_config_env(kv, &g.st);
                }
                i += 2;
            }
            "--git-dir" | "--work-tree" | "--namespace" | "--attr-source" => {
                match t {
                    "--git-dir" => globals.git_dir = next.cloned(),
                    "--work-tree" => globals.work_tree = next.cloned(),
                    _ => {}
                }
                i += 2;
            }
            "--literal-pathspecs" => (g.mode.literal, i) = (true, i + 1),
            "--glob-pathspecs" => (g.mode.glob, i) = (true, i + 1),
            "--noglob-pathspecs" => (g.mode.noglob, i) = (true, i + 1),
            "--icase-pathspecs" => (g.mode.icase, i) = (true, i + 1),
            // They print and exit.
            "--exec-path" | "--html-path" | "--man-path" | "--info-path" | "-h" | "--help"
            | "-v" | "--version" => return,
            s if s.starts_with("--list-cmds=") => return,
            s if s.starts_with("--git-dir=") => {
                globals.git_dir = Some(after_eq(&words[i]));
                i += 1;
            }
            s if s.starts_with("--work-tree=") => {
                globals.work_tree = Some(after_eq(&words[i]));
                i += 1;
            }
            s if s.starts_with("--config-env=") => {
                g.config.push_config_env(&after_eq(&words[i]), &g.st);
                i += 1;
            }
            s if s.starts_with("--exec-path=") => {
                globals.exec_path = true;
                i += 1;
            }
            // `-p`, `-P`, `--bare`, `--no-replace-objects`, ... take no value.
            s if s.starts_with('-') => i += 1,
            _ => break,
        }
    }
    // Again for an alias's words: they may hold `-C` or `-c` of their own.
    environment(w, g, &globals);
    let Some(sub_val) = words.get(i) else { return };
    let args = &words[i + 1..];
    if globals.exec_path {
        let program = "git (its programs from --exec-path)";
        opaque(w, &g.st, program, words, g.stdin.as_ref());
    }
    judge_config(w, g);
    let Some(sub) = sub_val.known().map(str::to_string) else {
        // `git $SUB ...`: any subcommand; the words are still checked as `commit` reads them.
        opaque(w, &g.st, &format!("git {}…", sub_val.text()), words, None);
        if grammar::parse(args, grammar::COMMIT).given("no-verify") {
            tamper_found(w, "may skip the git hooks (git … --no-verify)");
        } else if args.iter().any(|a| a.known().is_some_and(runs_hooks)) {
            // `git $OPTS commit`: the unknown words may be `-c core.hooksPath=...`.
            tamper_found(
                w,
                "runs git with options lanes cannot read, which may skip its hooks",
            );
        }
        return;
    };
    if globals.unknown && runs_hooks(&sub) {
        tamper_found(
            w,
            &format!("runs git {sub} with options lanes cannot read, which may skip its hooks"),
        );
    }
    if runs_hooks(&sub) {
        if g.other_repo {
            tamper_found(
                w,
                &format!("runs git {sub} with another repository's hooks (--git-dir, GIT_DIR)"),
            );
        }
        if let Some(why) = &g.unseen_config {
            tamper_found(
                w,
                &format!("runs git {sub} with configuration lanes cannot see ({why}), which may skip its hooks"),
            );
        }
    } else if let Some(why) = g.unseen_config.clone() {
        let program = format!("git {sub} (with configuration from {why})");
        opaque(w, &g.st, &program, words, g.stdin.as_ref());
    }
    if !subs::dispatch(w, g, &sub, args) {
        alias(w, g, &sub, args);
    }
}

/// `--opt=VALUE` -> `VALUE`.
fn after_eq(v: &Val) -> Val {
    match v {
        Val::Known { text, .. } => known(text.split_once('=').map_or("", |(_, r)| r)),
        Val::Unknown { prefix } => Val::Unknown {
            prefix: prefix.split_once('=').map_or("", |(_, r)| r).to_string(),
        },
    }
}

/// `d` from `cwd`, normalised; `None` when either is unknown. An empty `-C ''` stays.
fn join(w: &Walker, cwd: &Cwd, d: &Val) -> Cwd {
    let t = d.literal()?;
    if t.is_empty() {
        return cwd.clone();
    }
    w.absolute(cwd, t)
        .map(|p| crate::path::normalize_lexically(&p))
}

/// A variable set in the command: `Some(Some(v))` known, `Some(None)` set to something
/// unknown, `None` not set by the command.
fn var<'s>(st: &'s State, name: &str) -> Option<Option<&'s str>> {
    st.var_text(name)
}

/// A boolean variable (`GIT_LITERAL_PATHSPECS=1`).
fn var_true(st: &State, name: &str) -> Option<bool> {
    var(st, name).map(|v| {
        v.is_none_or(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
    })
}

/// The nearest directory at or above `dir` holding `.git` (a directory or a file).
fn discover(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").symlink_metadata().is_ok())
        .map(Path::to_path_buf)
}

/// Reads the variables git takes its repository, worktree, pathspec mode and configuration
/// from, with `--git-dir`/`--work-tree` winning over theirs, and sets the places.
fn environment(w: &mut Walker, g: &mut Git, globals: &Globals) {
    let st = &g.st;
    let from_var = |name: &str| -> Option<Val> {
        var(st, name).map(|v| match v {
            Some(t) => known(t),
            None => Val::Unknown {
                prefix: String::new(),
            },
        })
    };
    let git_dir = globals.git_dir.clone().or_else(|| from_var("GIT_DIR"));
    let work_tree = globals
        .work_tree
        .clone()
        .or_else(|| from_var("GIT_WORK_TREE"));
    let common_dir = from_var("GIT_COMMON_DIR");
    if var_true(st, "GIT_LITERAL_PATHSPECS") == Some(true) {
        g.mode.literal = true;
    }
    if var_true(st, "GIT_GLOB_PATHSPECS") == Some(true) {
        g.mode.glob = true;
    }
    if var_true(st, "GIT_NOGLOB_PATHSPECS") == Some(true) {
        g.mode.noglob = true;
    }
    // Matching without case selects more: an unknown value counts as set.
    if var(st, "GIT_ICASE_PATHSPECS").is_some_and(|v| v.is_none_or(|v| v != "0")) {
        g.mode.icase = true;
    }
    for name in [
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM",
        "HOME",
        "XDG_CONFIG_HOME",
    ] {
        if var(st, name).is_some() {
            g.unseen_config = Some(name.to_string());
        }
    }
    let worktrees: Vec<Val> = g
        .config
        .of(&Key::Worktree)
        .map(|(_, v)| v.clone())
        .collect();
    let mut places = Vec::new();
    let mut other = common_dir.is_some();
    for cwd in &g.st.cwds {
        let found = cwd.as_deref().and_then(discover);
        let own_git_dir = found.as_ref().map(|t| t.join(".git"));
        let abs = |v: &Val| join(w, cwd, v);
        let git_dir_abs = git_dir.as_ref().map(abs);
        if let Some(d) = &git_dir_abs {
            other |= d.is_none() || *d != own_git_dir;
        }
        let top = match (&work_tree, &git_dir_abs) {
            (Some(wt), _) => abs(wt),
            // `GIT_DIR` alone: the working directory is the top, when the repository is the
            // one it lies in; another repository's own `core.worktree` is not read.
            (None, Some(d)) if *d == own_git_dir => cwd.clone(),
            (None, Some(_)) => None,
            (None, None) => found.clone(),
        };
        let explicit = work_tree.is_some() || git_dir_abs.is_some();
        places.push(place(cwd, top, explicit));
        if globals.unknown {
            // An option lanes cannot read may be `--work-tree=...`.
            places.push(place(cwd, None, true));
        }
        // `-c core.worktree=D` (git 2.47 reads it only from the repository's own file; taken
        // as applying too): relative to the git directory, and to the working directory.
        let gd = git_dir_abs.clone().flatten().or(own_git_dir.clone());
        for wt in &worktrees {
            let Some(t) = wt.literal() else {
                places.push(place(cwd, None, true));
                continue;
            };
            for start in [&gd, cwd] {
                let top = join(w, start, &known(t));
                let p = place(cwd, top, true);
                if !places.contains(&p) {
                    places.push(p);
                }
            }
        }
    }
    g.places = places;
    g.other_repo = other;
}

/// A place from a working directory and a top; `explicit` when the top was named (then a
/// working directory outside it makes paths relative to the top, and an unknown top makes
/// them unknown).
fn place(cwd: &Cwd, top: Cwd, explicit: bool) -> Place {
    let base = match (cwd, &top) {
        (None, _) => None,
        (Some(c), Some(t)) if c.starts_with(t) => Some(c.clone()),
        (_, Some(t)) if explicit => Some(t.clone()),
        (Some(c), None) if !explicit => Some(c.clone()),
        (c, Some(_)) => c.clone(),
        _ => None,
    };
    Place {
        cwd: cwd.clone(),
        top,
        base,
    }
}

/// Subcommands that make commits or push, and so run git's hooks.
fn runs_hooks(sub: &str) -> bool {
    matches!(
        sub,
        "commit" | "merge" | "pull" | "am" | "rebase" | "cherry-pick" | "revert" | "push"
    )
}

/// Judges the configuration given for the run: hooks and includes are tamper, commands
/// are walked, trace files are written.
fn judge_config(w: &mut Walker, g: &mut Git) {
    if let Some(what) = &g.config.unreadable {
        tamper_found(
            w,
            &format!("sets git configuration lanes cannot read ({what})"),
        );
    }
    let pairs = g.config.pairs.clone();
    for (key, value) in &pairs {
        match config::classify(key) {
            Key::Hooks => tamper_found(w, &format!("overrides {key} (git's hooks)")),
            Key::Include => {
                tamper_found(w, &format!("loads git configuration from a file ({key})"))
            }
            Key::Command(runs) => command(w, g, key, value, runs),
            Key::Trace => trace_target(w, g, value),
            Key::Worktree | Key::Alias(_) | Key::Editor { .. } | Key::Plain => {}
        }
    }
    for (name, runs) in [
        ("GIT_SSH_COMMAND", Runs::Shell),
        ("GIT_SSH", Runs::Shell),
        ("GIT_PAGER", Runs::Shell),
        ("PAGER", Runs::Shell),
        ("GIT_EXTERNAL_DIFF", Runs::Shell),
        ("GIT_ASKPASS", Runs::Shell),
        ("SSH_ASKPASS", Runs::Shell),
        ("GIT_PROXY_COMMAND", Runs::Shell),
        ("GIT_EXEC_PATH", Runs::Shell),
    ] {
        if let Some(v) = var(&g.st, name) {
            if name == "GIT_EXEC_PATH" {
                let program = "git (its programs from GIT_EXEC_PATH)";
                opaque(w, &g.st, program, &[], None);
                continue;
            }
            let value = v.map_or(
                Val::Unknown {
                    prefix: String::new(),
                },
                known,
            );
            command(w, g, name, &value, runs);
        }
    }
    // `GIT_TRACE*=/path`: git appends its trace to that file.
    let mut traces: Vec<(String, Option<String>)> =
        g.st.vars
            .keys()
            .filter(|k| k.starts_with("GIT_TRACE"))
            .filter_map(|k| Some((k.clone(), g.st.var_text(k)?.map(String::from))))
            .collect();
    traces.sort();
    for (_, v) in traces {
        let value = v.as_deref().map_or(
            Val::Unknown {
                prefix: String::new(),
            },
            known,
        );
        trace_target(w, g, &value);
    }
}

/// A trace target: an absolute path is a file (or a directory of files) git writes.
fn trace_target(w: &mut Walker, g: &Git, value: &Val) {
    match value {
        Val::Known { text, .. } if text.starts_with('/') => {
            if Path::new(&**text).is_dir() {
                w.write_tree(&g.st, value, Kind::Write)
            } else {
                w.write(&g.st, value, Kind::Write)
            }
        }
        Val::Known { .. } => {}
        Val::Unknown { prefix } if prefix.is_empty() || prefix.starts_with('/') => {
            w.write(&g.st, value, Kind::Write)
        }
        Val::Unknown { .. } => {}
    }
}

/// Walks the command a configuration key (or variable) `what` holds, as git runs it: from
/// the top of the worktree. An unknown value is an opaque program.
fn command(w: &mut Walker, g: &Git, what: &str, value: &Val, runs: Runs) {
    let Some(text) = value.known() else {
        let program = format!("the command in git's {what}");
        opaque(w, &g.at_top(), &program, &[], None);
        return;
    };
    let script = match runs {
        Runs::Shell => text.to_string(),
        Runs::ShellOrBool => {
            let t = text.trim().to_ascii_lowercase();
            if matches!(
                t.as_str(),
                "" | "true" | "false" | "yes" | "no" | "on" | "off" | "1" | "0"
            ) {
                return;
            }
            text.to_string()
        }
        Runs::Bang => match text.strip_prefix('!') {
            Some(cmd) => cmd.to_string(),
            None => return,
        },
        Runs::Credential => match text.strip_prefix('!') {
            Some(cmd) => cmd.to_string(),
            None if text.starts_with('/') || text.starts_with('~') => text.to_string(),
            None => format!("git credential-{text}"),
        },
    };
    // What git hands the command: worktree paths among its arguments (`GIT_EXTERNAL_DIFF`
    // gets the file being diffed: `rm -f x` would delete it too), or `%f` placeholders; an
    // unknown word stands for them.
    let script = match config::adds(what) {
        config::Adds::Nothing => script,
        config::Adds::Arguments => format!("{script} \"$__lanes_unknown\""),
        config::Adds::Placeholders => placeholders(&script),
    };
    let mut st = g.at_top();
    w.nested_script(&script, &mut st, &format!("the command in git's {what}"));
}

/// `%f`, `%A`, ... (a filter's or merge driver's paths) replaced by an unknown word.
fn placeholders(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('%', Some(n)) if n.is_ascii_alphabetic() => {
                chars.next();
                out.push_str("\"$__lanes_unknown\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Walks the editor git would open: `GIT_SEQUENCE_EDITOR` and `sequence.editor` for the todo
/// list of `rebase -i`, `GIT_EDITOR`, `core.editor`, `VISUAL`, `EDITOR` (every one the
/// command sets; git takes the first).
fn editor(w: &mut Walker, g: &Git, sequence: bool) {
    let mut values: Vec<(String, Val)> = Vec::new();
    let mut from_var = |name: &str| {
        if let Some(v) = var(&g.st, name) {
            let value = v.map_or(
                Val::Unknown {
                    prefix: String::new(),
                },
                known,
            );
            values.push((name.to_string(), value));
        }
    };
    if sequence {
        from_var("GIT_SEQUENCE_EDITOR");
    }
    from_var("GIT_EDITOR");
    from_var("VISUAL");
    from_var("EDITOR");
    for (key, v) in &g.config.pairs {
        if let Key::Editor { sequence: s } = config::classify(key) {
            if !s || sequence {
                values.push((key.clone(), v.clone()));
            }
        }
    }
    for (what, v) in values {
        command(w, g, &what, &v, Runs::Shell);
    }
}

/// `git NAME` for a name that is not a subcommand lanes models: an alias given for the run
/// (`-c alias.NAME=...`) is expanded (`!cmd` is a shell command run from the top);
/// otherwise an opaque program (`git-NAME`, or an alias lanes cannot see).
fn alias(w: &mut Walker, g: &mut Git, sub: &str, args: &[Val]) {
    let want = Key::Alias(sub.to_ascii_lowercase());
    let value = g.config.of(&want).last().map(|(_, v)| v.clone());
    let Some(value) = value else {
        let mut all = vec![known(sub)];
        all.extend_from_slice(args);
        opaque(w, &g.st, &format!("git {sub}"), &all, g.stdin.as_ref());
        return;
    };
    let Some(text) = value.known().map(str::to_string) else {
        opaque(
            w,
            &g.at_top(),
            &format!("git {sub} (an alias lanes cannot read)"),
            args,
            None,
        );
        return;
    };
    if g.depth >= MAX_ALIASES {
        opaque(w, &g.st, &format!("git {sub} (nested aliases)"), args, None);
        return;
    }
    if let Some(cmd) = text.strip_prefix('!') {
        // git runs `sh -c 'CMD "$@"' CMD ARGS...`.
        let mut script = cmd.to_string();
        for a in args {
            script.push(' ');
            match a.known() {
                Some(t) => script.push_str(&format!("'{}'", t.replace('\'', r"'\''"))),
                None => script.push_str("\"$__lanes_unknown\""),
            }
        }
        let mut st = g.at_top();
        w.nested_script(&script, &mut st, &format!("git's alias {sub}"));
        return;
    }
    let Some(words) = config::split_cmdline(&text) else {
        opaque(w, &g.st, &format!("git {sub} (alias)"), args, None);
        return;
    };
    let mut expanded: Vec<Val> = words.iter().map(|t| known(t)).collect();
    expanded.extend_from_slice(args);
    g.depth += 1;
    run(w, g, &expanded);
    g.depth -= 1;
}

impl Git {
    /// The shell state at the top of each worktree (where git runs hooks, aliases, filters).
    fn at_top(&self) -> State {
        let mut st = self.st.clone();
        let mut cwds: Vec<Cwd> = Vec::new();
        for p in &self.places {
            let c = p.top.clone().or_else(|| p.base.clone());
            if !cwds.contains(&c) {
                cwds.push(c);
            }
        }
        if !cwds.is_empty() {
            st.cwds = cwds;
        }
        st
    }

    /// Records a change across the whole worktree of each place.
    fn repo_wide(&self, w: &mut Walker, certain: bool) {
        let mut cwds: Vec<Cwd> = Vec::new();
        for p in &self.places {
            let a = p.anchor();
            if !cwds.contains(&a) {
                cwds.push(a);
            }
        }
        w.push(Found::RepoWide { certain, cwds });
    }

    /// Records a write of `abs`, or of everything below it (`tree`).
    fn write_abs(&self, w: &mut Walker, abs: &Path, tree: bool, kind: Kind) {
        let v = known(&abs.to_string_lossy());
        if tree {
            w.write_tree(&self.st, &v, kind)
        } else {
            w.write(&self.st, &v, kind)
        }
    }

    /// Records a write whose path is unknown below `dir` (`None`: anywhere).
    fn write_unknown(&self, w: &mut Walker, dir: Option<&Path>, kind: Kind) {
        let prefix = dir
            .map(|d| format!("{}/", d.to_string_lossy().trim_end_matches('/')))
            .unwrap_or_default();
        w.write(&self.st, &Val::Unknown { prefix }, kind);
    }

    /// Records writes of some paths of each worktree lanes cannot name (`--pathspec-from-file`,
    /// a patch it cannot read).
    fn anywhere(&self, w: &mut Walker, kind: Kind) {
        for p in &self.places {
            self.write_unknown(w, p.top.as_deref().or(p.base.as_deref()), kind);
        }
    }

    /// Records writes of what each pathspec selects, in each place. `tree`: a literal path
    /// counts as everything below it even when it is not a directory now (`rm -r`).
    fn write_specs(&self, w: &mut Walker, specs: &[Val], tree: bool, kind: Kind) {
        let parsed: Vec<pathspec::Spec> = specs
            .iter()
            .map(|v| pathspec::parse(v, self.mode))
            .collect();
        let only_excludes =
            !parsed.is_empty() && parsed.iter().all(|s| *s == pathspec::Spec::Exclude);
        for p in &self.places {
            if only_excludes {
                // git 2.47: exclusions alone select the whole worktree, from the top.
                match p.top.as_deref().or(p.base.as_deref()) {
                    Some(t) => self.write_abs(w, t, true, kind),
                    None => self.write_unknown(w, None, kind),
                }
                continue;
            }
            for s in &parsed {
                self.write_spec(w, p, s, tree, kind);
            }
        }
    }

    fn write_spec(&self, w: &mut Walker, p: &Place, s: &pathspec::Spec, tree: bool, kind: Kind) {
        use pathspec::Spec;
        let start = |top: bool| {
            if top {
                p.top.as_deref()
            } else {
                p.base.as_deref()
            }
        };
        match s {
            Spec::Exclude => {}
            Spec::Path { rel, top } => match start(*top) {
                Some(dir) => {
                    let abs = crate::path::normalize_lexically(&dir.join(rel));
                    let is_tree = tree || rel.is_empty() || rel == "." || abs.is_dir();
                    self.write_abs(w, &abs, is_tree, kind)
                }
                None => self.write_unknown(w, None, kind),
            },
            Spec::Pattern { dir, top } => match start(*top) {
                Some(d) => {
                    let abs = crate::path::normalize_lexically(&d.join(dir));
                    self.write_abs(w, &abs, true, kind)
                }
                None => self.write_unknown(w, None, kind),
            },
            Spec::Icase { rel, top } => match start(*top) {
                Some(d) => {
                    let mut exact = d.to_path_buf();
                    for _ in 0..pathspec::climbs(rel) {
                        exact.pop();
                    }
                    self.write_abs(w, &exact, true, kind)
                }
                None => self.write_unknown(w, None, kind),
            },
            Spec::Anywhere => self.write_unknown(w, p.top.as_deref().or(p.base.as_deref()), kind),
            Spec::Partial { prefix } => match p.base.as_deref() {
                Some(d) => {
                    let v = Val::Unknown {
                        prefix: format!("{}/{prefix}", d.to_string_lossy().trim_end_matches('/')),
                    };
                    w.write(&self.st, &v, kind)
                }
                None => self.write_unknown(w, None, kind),
            },
        }
    }

    /// Records writes of plain paths (no pathspec magic: a patch's names, `checkout-index`
    /// operands), relative to each place's base; `tree` for everything below each.
    fn write_paths(&self, w: &mut Walker, paths: &[Val], tree: bool, kind: Kind) {
        for p in &self.places {
            for v in paths {
                self.write_path(w, p.base.as_deref(), v, tree, kind);
            }
        }
    }

    /// Records a write of `v` relative to `start` (unknown when `start` is).
    fn write_path(&self, w: &mut Walker, start: Option<&Path>, v: &Val, tree: bool, kind: Kind) {
        let Some(d) = start else {
            return self.write_unknown(w, None, kind);
        };
        match v {
            Val::Known { text, glob: false } => {
                let abs = crate::path::normalize_lexically(&d.join(&**text));
                let is_tree = tree || abs.is_dir();
                self.write_abs(w, &abs, is_tree, kind)
            }
            Val::Known { text, glob: true } => {
                let v = Val::Known {
                    text: d.join(&**text).to_string_lossy().into_owned().into(),
                    glob: true,
                };
                w.write(&self.st, &v, kind)
            }
            Val::Unknown { prefix } => {
                let v = Val::Unknown {
                    prefix: if prefix.starts_with('/') {
                        prefix.clone()
                    } else {
                        format!("{}/{prefix}", d.to_string_lossy().trim_end_matches('/'))
                    },
                };
                w.write(&self.st, &v, kind)
            }
        }
    }

    /// Records writes of plain paths relative to each worktree's top (`read-tree --prefix`).
    fn write_at_top(&self, w: &mut Walker, paths: &[Val], tree: bool, kind: Kind) {
        for p in &self.places {
            for v in paths {
                self.write_path(w, p.top.as_deref(), v, tree, kind);
            }
        }
    }
}
