//! The walker: runs the script in the head, tracking what can be known statically.
//!
//! State: the set of possible working directories (a set, because `cd` may or may not have
//! happened on some path), `OLDPWD`, the `pushd` stack, variables assigned in the command,
//! functions, symlinks and directories made along the way. `( )`, pipeline elements, `&`,
//! substitutions and `sh -c` get a copy of the state that is thrown away afterwards; `{ }`,
//! `if`, loops, `case` and `eval` share it. Branches are all walked and their end states
//! united (reference §4.3).

use super::ast::*;
use super::expand::{self, Scope, Val};
use super::{Context, Finding, Found, Kind, Target};
use foldhash::fast::FixedState;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Most walk steps (commands, words) per analysis; past it the command is unparseable.
const MAX_STEPS: usize = 20_000;
/// Most findings per analysis.
const MAX_FINDINGS: usize = 512;
/// Deepest nesting of substitutions, `sh -c`, `eval` and function calls.
const MAX_DEPTH: usize = 24;
/// Most working directories tracked at once; more collapse to "unknown".
const MAX_CWDS: usize = 8;
/// Most words one simple command may expand to (brace expansion multiplies them).
const MAX_ARGS: usize = 4096;
/// Most values a `for` loop is unrolled over.
const MAX_FOR_VALUES: usize = 16;

/// A possible working directory; `None` is unknown.
pub(super) type Cwd = Option<PathBuf>;

/// What the walker knows at one point of the script.
#[derive(Debug, Clone)]
pub(super) struct State {
    pub cwds: Vec<Cwd>,
    pub oldpwd: Vec<Cwd>,
    pub stack: Vec<Vec<Cwd>>,
    /// Variables assigned in this command: `Some(value)` known, `None` unknown.
    pub vars: HashMap<String, Option<String>>,
    pub funcs: HashMap<String, Rc<Command>>,
    /// Symlinks made in this command: (link path, target), both absolute and normalised.
    pub links: Vec<(PathBuf, PathBuf)>,
    /// Directories made in this command (so a later `cd` into them succeeds).
    pub made_dirs: Vec<PathBuf>,
    /// True once more variables, functions, links or directories were made than are tracked
    /// ([`MAX_TRACKED`] each): then untracked names count as unknown and the command gets an
    /// unparseable finding, so cloning the state stays cheap and nothing is guessed.
    pub overflow: bool,
}

/// Most variables, functions, symlinks and directories tracked per command.
const MAX_TRACKED: usize = 64;

impl State {
    /// Sets a variable (`None`: unknown value), within [`MAX_TRACKED`].
    pub fn set_var(&mut self, name: String, value: Option<String>) {
        if self.vars.len() < MAX_TRACKED || self.vars.contains_key(&name) {
            self.vars.insert(name, value);
        } else {
            self.overflow = true;
        }
    }

    /// Records a function definition, within [`MAX_TRACKED`].
    pub fn set_func(&mut self, name: String, body: Rc<Command>) {
        if self.funcs.len() < MAX_TRACKED || self.funcs.contains_key(&name) {
            self.funcs.insert(name, body);
        } else {
            self.overflow = true;
        }
    }

    /// Records a symlink made in the command, within [`MAX_TRACKED`].
    pub fn add_link(&mut self, link: PathBuf, target: PathBuf) {
        if self.links.len() < MAX_TRACKED {
            self.links.push((link, target));
        } else {
            self.overflow = true;
        }
    }

    /// Records a directory made in the command, within [`MAX_TRACKED`].
    pub fn add_dir(&mut self, dir: PathBuf) {
        if self.made_dirs.contains(&dir) {
            return;
        }
        if self.made_dirs.len() < MAX_TRACKED {
            self.made_dirs.push(dir);
        } else {
            self.overflow = true;
        }
    }

    fn union(&mut self, other: State) {
        self.overflow |= other.overflow;
        union_cwds(&mut self.cwds, other.cwds);
        union_cwds(&mut self.oldpwd, other.oldpwd);
        for (k, v) in other.vars {
            match self.vars.get(&k) {
                Some(mine) if *mine == v => {}
                _ => self.set_var(k, None),
            }
        }
        for (k, v) in other.funcs {
            if !self.funcs.contains_key(&k) {
                self.set_func(k, v);
            }
        }
        for (l, t) in other.links {
            if !self.links.iter().any(|(a, b)| *a == l && *b == t) {
                self.add_link(l, t);
            }
        }
        for d in other.made_dirs {
            self.add_dir(d);
        }
    }

    /// `$PWD` when the working directory is known for certain.
    pub fn pwd(&self) -> Option<&Path> {
        match self.cwds.as_slice() {
            [Some(one)] => Some(one),
            _ => None,
        }
    }
}

fn union_cwds(mine: &mut Vec<Cwd>, other: Vec<Cwd>) {
    for c in other {
        if !mine.contains(&c) {
            mine.push(c);
        }
    }
    if mine.len() > MAX_CWDS {
        *mine = vec![None];
    }
}

/// Walks `script` from the context's working directory and returns what it found.
pub(super) fn walk(script: &Script, cx: &Context) -> Vec<Finding> {
    let mut w = Walker {
        cx,
        findings: Vec::new(),
        steps: 0,
        depth: 0,
        calls: 0,
        stopped: false,
        frag: Text::default(),
        frag_at: None,
        // Sized for a typical long command, so the set seldom grows.
        seen: HashMap::with_capacity_and_hasher(64, FixedState::default()),
        collided: Vec::new(),
        redirect_vals: Vec::new(),
        arg_vals: Vec::new(),
    };
    let mut st = State {
        cwds: vec![Some(cx.cwd.clone())],
        oldpwd: vec![None],
        stack: Vec::new(),
        vars: HashMap::new(),
        funcs: HashMap::new(),
        links: Vec::new(),
        made_dirs: Vec::new(),
        overflow: false,
    };
    w.script(script, &mut st);
    w.findings
}

pub(super) struct Walker<'a> {
    pub cx: &'a Context,
    pub findings: Vec<Finding>,
    steps: usize,
    pub depth: usize,
    /// Function calls in progress (recursion is cut at a fixed depth).
    pub calls: usize,
    stopped: bool,
    /// The simple command being judged, for messages (set through [`Walker::set_frag`]).
    pub frag: Text,
    /// The finding that holds the excerpt of `frag`, once one was pushed.
    frag_at: Option<usize>,
    /// The effects pushed so far, by hash: the index in `findings` of the first effect with
    /// that hash. Each effect is judged once, quoting the first fragment that has it
    /// (`>> src/lib.rs` in 60 commands is one finding).
    seen: HashMap<u64, usize, FixedState>,
    /// Indices of pushed effects whose hash an earlier, different effect already had.
    collided: Vec<usize>,
    /// An empty list for a file redirect's values, reused from one redirect to the next.
    redirect_vals: Vec<Val>,
    /// An empty list for a simple command's arguments, reused from one command to the next.
    arg_vals: Vec<Val>,
}

/// Expansion scope: variables from the state, substitutions walked in a copy of it.
struct Sc<'w, 'a> {
    w: &'w mut Walker<'a>,
    st: &'w State,
}

impl Scope for Sc<'_, '_> {
    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(v) = self.st.vars.get(name) {
            return v.clone();
        }
        if self.st.overflow {
            return None; // the name may have been assigned and not tracked
        }
        match name {
            "HOME" => self.w.cx.home.as_ref().map(|h| h.display().to_string()),
            "PWD" => self.st.pwd().map(|p| p.display().to_string()),
            "OLDPWD" => match self.st.oldpwd.as_slice() {
                [Some(one)] => Some(one.display().to_string()),
                _ => None,
            },
            _ => None,
        }
    }

    fn substitute(&mut self, body: &str) -> Option<String> {
        let mut copy = self.st.clone();
        self.w
            .nested_script(body, &mut copy, "a command substitution");
        // Idioms whose output the state knows: a program's path (`$(command -v lanes)` runs
        // lanes: its name is what the models need), the working directory, and the top of
        // the git worktree it lies in (the nearest ancestor holding `.git`).
        let words: Vec<&str> = body.split_whitespace().collect();
        if let ["command", "-v", name] | ["which", name] | ["type", "-P" | "-p", name] =
            words.as_slice()
        {
            let plain = |c: char| c.is_ascii_alphanumeric() || "-_.+@".contains(c);
            if name.chars().all(plain) {
                return Some(name.to_string());
            }
        }
        let pwd = self.st.pwd()?;
        match words.as_slice() {
            ["pwd"] | ["pwd", "-L"] => Some(pwd.display().to_string()),
            ["git", "rev-parse", "--show-toplevel"] => pwd
                .ancestors()
                .find(|d| d.join(".git").exists())
                .map(|d| d.display().to_string()),
            _ => None,
        }
    }
}

impl<'a> Walker<'a> {
    fn tick(&mut self) -> bool {
        self.steps += 1;
        if self.stopped {
            return false;
        }
        if self.steps > MAX_STEPS || self.findings.len() > MAX_FINDINGS {
            self.stopped = true;
            let why = "it is too large to analyse (over the walk limits)".to_string();
            let mentions =
                super::lexical::mentions(&self.frag, &self.cx.cwd, self.cx.home.as_deref());
            self.findings.push(Finding {
                fragment: self.frag.to_string(),
                effect: Found::Unparseable { why, mentions },
            });
            return false;
        }
        true
    }

    pub fn push(&mut self, effect: Found) {
        if self.findings.len() >= MAX_FINDINGS {
            if !self.stopped {
                self.stopped = true;
                let why = format!("it has more than {MAX_FINDINGS} effects to judge");
                let mentions =
                    super::lexical::mentions(&self.frag, &self.cx.cwd, self.cx.home.as_deref());
                let fragment = super::lexical::excerpt(&self.frag);
                self.findings.push(Finding {
                    fragment,
                    effect: Found::Unparseable { why, mentions },
                });
            }
            return;
        }
        if self.is_seen(&effect) {
            return;
        }
        // The fragment's excerpt is made for its first finding and copied from there.
        let fragment = match self.frag_at {
            Some(at) => self.findings[at].fragment.clone(),
            None => super::lexical::excerpt(&self.frag),
        };
        self.frag_at = Some(self.findings.len());
        self.findings.push(Finding { fragment, effect });
    }

    /// True when `effect` was pushed before; otherwise records that it is about to be
    /// pushed (as the next finding). One hash per effect, and no copy of it: the set holds
    /// indices into `findings`.
    fn is_seen(&mut self, effect: &Found) -> bool {
        use std::collections::hash_map::Entry;
        use std::hash::BuildHasher;
        let next = self.findings.len();
        match self.seen.entry(FixedState::default().hash_one(effect)) {
            Entry::Vacant(v) => {
                v.insert(next);
                false
            }
            Entry::Occupied(o) => {
                let same = |at: &usize| self.findings[*at].effect == *effect;
                if same(o.get()) || self.collided.iter().any(same) {
                    return true;
                }
                // Two different effects with one hash (rare): kept apart, compared in full.
                self.collided.push(next);
                false
            }
        }
    }

    /// Makes `frag` the fragment quoted by the findings pushed from now on.
    pub fn set_frag(&mut self, frag: Text) {
        self.frag = frag;
        self.frag_at = None;
    }

    /// Parses and walks `text` (a substitution body, `sh -c` string, `eval` text) with `st`.
    pub fn nested_script(&mut self, text: &str, st: &mut State, what: &str) {
        if self.depth >= MAX_DEPTH {
            let why = format!("{what} nests deeper than {MAX_DEPTH} levels");
            let mentions = super::lexical::mentions(text, &self.cx.cwd, self.cx.home.as_deref());
            self.push(Found::Unparseable { why, mentions });
            return;
        }
        let parsed = match super::prescreen::check(text) {
            Ok(()) => super::parse::parse(text),
            Err(r) => Err(r.to_string()),
        };
        match parsed {
            Ok(script) => {
                let saved = std::mem::take(&mut self.frag);
                self.frag_at = None;
                self.depth += 1;
                self.script(&script, st);
                self.depth -= 1;
                self.set_frag(saved);
            }
            Err(e) => {
                let why = format!("{what} does not parse ({})", e.lines().next().unwrap_or(""));
                let mentions =
                    super::lexical::mentions(text, &self.cx.cwd, self.cx.home.as_deref());
                self.push(Found::Unparseable { why, mentions });
            }
        }
    }

    pub fn script(&mut self, s: &Script, st: &mut State) {
        for item in &s.items {
            if !self.tick() {
                return;
            }
            if item.background {
                let mut copy = st.clone();
                self.and_or(&item.and_or, &mut copy);
            } else {
                self.and_or(&item.and_or, st);
            }
        }
    }

    fn and_or(&mut self, ao: &AndOr, st: &mut State) {
        // The state before a pipeline is kept only when `||` follows it (`A && B` needs none).
        let kept = |k: usize, st: &State| {
            matches!(ao.rest.get(k), Some((Connector::Or, _))).then(|| st.clone())
        };
        let mut before = kept(0, st);
        self.pipeline(&ao.first, st);
        for (k, (op, p)) in ao.rest.iter().enumerate() {
            match op {
                Connector::And => {
                    before = kept(k + 1, st);
                    self.pipeline(p, st);
                }
                Connector::Or => {
                    // `p` runs when the left side failed: from about the state before it.
                    // `A || exit` leaves only A's success state (reference T57).
                    let mut failed = before.take().unwrap_or_else(|| st.clone());
                    before = kept(k + 1, st);
                    self.pipeline(p, &mut failed);
                    if !terminates(p) {
                        st.union(failed);
                    }
                }
            }
        }
    }

    fn pipeline(&mut self, p: &Pipeline, st: &mut State) {
        if p.cmds.len() == 1 {
            self.command(&p.cmds[0], st, None);
            return;
        }
        for (i, c) in p.cmds.iter().enumerate() {
            let stdin = match i {
                0 => None,
                _ => Some(self.piped_text(&p.cmds[i - 1], st).unwrap_or(Stdin::Pipe)),
            };
            let mut copy = st.clone();
            self.command(c, &mut copy, stdin);
        }
    }

    /// What `cmd` writes to a pipe, when the text says so: `cat <<EOF`, `cat <<< word`,
    /// `echo`/`printf` of literal words. So `cat <<'EOF' | sh` is walked like `sh <<'EOF'`.
    fn piped_text(&mut self, cmd: &Command, st: &State) -> Option<Stdin> {
        let Command::Simple(s) = cmd else { return None };
        let name = s.words.first()?.0.as_str();
        match name {
            "cat" if s.words.len() == 1 => s.redirects.iter().rev().find_map(|r| match r {
                Redirect::HereDoc { body, expand } => Some(Stdin::Text {
                    body: body.clone(),
                    literal: !*expand || !has_expansion(body),
                }),
                Redirect::HereString(w) => match self.expand(w, st).as_slice() {
                    [Val::Known { text, .. }] => Some(Stdin::Text {
                        body: text.clone(),
                        literal: true,
                    }),
                    _ => None,
                },
                _ => None,
            }),
            "echo" | "printf" => {
                let mut parts = Vec::new();
                for w in &s.words[1..] {
                    for v in self.expand(w, st) {
                        parts.push(v.known()?.to_string());
                    }
                }
                let text = parts.join(" ");
                let text = if name == "printf" {
                    text.replace("\\n", "\n")
                } else {
                    text
                };
                Some(Stdin::Text {
                    body: text.into(),
                    literal: true,
                })
            }
            _ => None,
        }
    }

    pub(super) fn command(&mut self, c: &Command, st: &mut State, stdin: Option<Stdin>) {
        if !self.tick() {
            return;
        }
        match c {
            Command::Simple(s) => self.simple(s, st, stdin),
            Command::Function { name, body } => {
                st.set_func(name.clone(), body.clone());
            }
            Command::Compound(comp, redirs) => {
                self.set_frag(compound_label(comp).into());
                self.redirects(redirs, st);
                self.compound(comp, st);
            }
        }
    }

    fn compound(&mut self, c: &Compound, st: &mut State) {
        match c {
            Compound::Group(s) => self.script(s, st),
            Compound::Subshell(s) => {
                let mut copy = st.clone();
                self.script(s, &mut copy);
            }
            Compound::If(branches) => {
                let mut cur = st.clone();
                let mut out: Option<State> = None;
                let mut has_else = false;
                for (cond, body) in branches {
                    match cond {
                        Some(c) => self.script(c, &mut cur),
                        None => has_else = true,
                    }
                    let mut b = cur.clone();
                    self.script(body, &mut b);
                    match &mut out {
                        Some(o) => o.union(b),
                        None => out = Some(b),
                    }
                }
                let mut out = out.unwrap_or_else(|| cur.clone());
                if !has_else {
                    out.union(cur);
                }
                *st = out;
            }
            Compound::Loop(cond, body) => {
                if let Some(c) = cond {
                    self.script(c, st);
                }
                let mut b = st.clone();
                self.script(body, &mut b);
                st.union(b);
            }
            Compound::For(var, values, body) => {
                let vals: Vec<Val> = match values {
                    Some(words) => words.iter().flat_map(|w| self.expand(w, st)).collect(),
                    None => vec![Val::Unknown {
                        prefix: String::new(),
                    }],
                };
                // A glob item (`for f in src/*.rs`) binds the pattern text: each file it
                // matches lies in the pattern's directory, which is what the lanes decide on.
                let literal: Option<Vec<String>> =
                    vals.iter().map(|v| v.known().map(String::from)).collect();
                let mut out = st.clone();
                match literal {
                    Some(list) if list.len() <= MAX_FOR_VALUES => {
                        for v in list {
                            let mut b = st.clone();
                            b.set_var(var.clone(), Some(v));
                            self.script(body, &mut b);
                            out.union(b);
                        }
                    }
                    _ => {
                        let mut b = st.clone();
                        b.set_var(var.clone(), None);
                        self.script(body, &mut b);
                        out.union(b);
                    }
                }
                *st = out;
            }
            Compound::Case(word, arms) => {
                self.expand(word, st);
                let mut out = st.clone();
                for arm in arms {
                    let mut b = st.clone();
                    self.script(arm, &mut b);
                    out.union(b);
                }
                *st = out;
            }
            Compound::Test(words) => {
                for w in words {
                    self.expand(w, st);
                }
            }
            Compound::Arith(w) => {
                if w.0.contains("$(") || w.0.contains('`') {
                    self.expand(
                        &Word(format!("\"{}\"", w.0.replace('"', "\\\"")).into()),
                        st,
                    );
                }
            }
            Compound::Coproc(cmd) => {
                let mut copy = st.clone();
                self.command(cmd, &mut copy, None);
            }
        }
    }

    /// Expands a word against `st`; substitutions inside are walked.
    pub fn expand(&mut self, w: &Word, st: &State) -> Vec<Val> {
        if !self.tick() {
            return vec![Val::Unknown {
                prefix: String::new(),
            }];
        }
        let mut sc = Sc { w: self, st };
        expand::expand(w, &mut sc)
    }

    /// [`Walker::expand`], appending the values to `out`.
    fn expand_into(&mut self, w: &Word, st: &State, out: &mut Vec<Val>) {
        if !self.tick() {
            out.push(Val::Unknown {
                prefix: String::new(),
            });
            return;
        }
        let mut sc = Sc { w: self, st };
        expand::expand_into(w, &mut sc, out)
    }

    /// Walks a redirect list: files opened for writing are write targets. Returns what the
    /// command reads on standard input, when that matters to a model.
    fn redirects(&mut self, redirs: &[Redirect], st: &mut State) -> Option<Stdin> {
        let mut stdin = None;
        for r in redirs {
            match r {
                Redirect::File(open, w) => {
                    // The values go to a list kept for the next redirect: one allocation per
                    // walk, not one per redirect (a nested walk takes its own while it runs).
                    let mut vals = std::mem::take(&mut self.redirect_vals);
                    vals.clear();
                    self.expand_into(w, st, &mut vals);
                    for v in &vals {
                        match open {
                            Open::Read => stdin = Some(Stdin::File(v.clone())),
                            Open::Write | Open::ReadWrite => self.write(st, v, Kind::Write),
                        }
                    }
                    vals.clear();
                    self.redirect_vals = vals;
                }
                Redirect::Dup => {}
                Redirect::HereDoc { body, expand } => {
                    if *expand {
                        self.heredoc_substitutions(body, st);
                    }
                    stdin = Some(Stdin::Text {
                        body: body.clone(),
                        literal: !*expand || !has_expansion(body),
                    });
                }
                Redirect::HereString(w) => {
                    let vals = self.expand(w, st);
                    stdin = Some(match vals.as_slice() {
                        [Val::Known { text, .. }] => Stdin::Text {
                            body: text.clone(),
                            literal: true,
                        },
                        _ => Stdin::Pipe,
                    });
                }
                Redirect::ProcSub(s) => {
                    let mut copy = st.clone();
                    self.script(s, &mut copy);
                }
            }
        }
        stdin
    }

    fn heredoc_substitutions(&mut self, body: &str, st: &State) {
        if !has_expansion(body) {
            return;
        }
        if let Ok(pieces) = brush_parser::word::parse_heredoc(body, &super::parse::word_options()) {
            for p in pieces {
                if let brush_parser::word::WordPiece::CommandSubstitution(b)
                | brush_parser::word::WordPiece::BackquotedCommandSubstitution(b) = &p.piece
                {
                    let mut copy = st.clone();
                    self.nested_script(b, &mut copy, "a here-document substitution");
                }
            }
        } else {
            let mentions = super::lexical::mentions(body, &self.cx.cwd, self.cx.home.as_deref());
            self.push(Found::Unparseable {
                why: "a here-document body does not parse".into(),
                mentions,
            });
        }
    }

    fn simple(&mut self, s: &Simple, st: &mut State, pipe_in: Option<Stdin>) {
        self.set_frag(s.text.clone());
        // Redirects are opened before the command runs (`cd docs > src/log` writes src/log).
        let stdin = self.redirects(&s.redirects, st).or(pipe_in);
        let mut assigned = Vec::new();
        for a in &s.assigns {
            let value = match &a.value {
                Some(w) => match self.expand(w, st).as_slice() {
                    [Val::Known { text, .. }] => Some(text.to_string()),
                    _ => None,
                },
                None => None,
            };
            super::commands::check_tamper(self, &a.name, value.as_deref(), "assigns");
            assigned.push((a.name.clone(), value));
        }
        // The arguments go to a list kept for the next command: one allocation per walk, not
        // one per command (a command run inside this one takes its own while it runs).
        let mut args = std::mem::take(&mut self.arg_vals);
        args.clear();
        args.reserve(s.words.len());
        for w in &s.words {
            self.expand_into(w, st, &mut args);
            if args.len() > MAX_ARGS {
                // Past this, the remaining words count as one unknown (never as nothing).
                args.truncate(MAX_ARGS);
                args.push(Val::Unknown {
                    prefix: String::new(),
                });
                let why = format!("a command expands to more than {MAX_ARGS} words");
                let mentions =
                    super::lexical::mentions(&self.frag, &self.cx.cwd, self.cx.home.as_deref());
                self.push(Found::Unparseable { why, mentions });
                break;
            }
        }
        if args.is_empty() {
            // `NAME=value` alone sets a shell variable for the rest of the script.
            for (k, v) in assigned {
                st.set_var(k, v);
            }
            self.arg_vals = args;
            return;
        }
        // `NAME=value cmd`: the variable is in the command's environment (git reads
        // `GIT_DIR`, `GIT_CONFIG_*`, ...), and only there.
        let saved: Vec<(String, Option<Option<String>>)> = assigned
            .iter()
            .map(|(k, _)| (k.clone(), st.vars.get(k).cloned()))
            .collect();
        for (k, v) in assigned {
            st.set_var(k, v);
        }
        super::commands::run(self, st, &args, stdin);
        for (k, old) in saved {
            match old {
                Some(v) => st.vars.insert(k, v),
                None => st.vars.remove(&k),
            };
        }
        args.clear();
        self.arg_vals = args;
    }

    /// Records a write of the path `v` names, from every possible working directory.
    pub fn write(&mut self, st: &State, v: &Val, kind: Kind) {
        self.write_targets(st, v, false, kind);
    }

    /// Records a write of `v` and everything below it.
    pub fn write_tree(&mut self, st: &State, v: &Val, kind: Kind) {
        self.write_targets(st, v, true, kind);
    }

    fn write_targets(&mut self, st: &State, v: &Val, tree: bool, kind: Kind) {
        // One working directory (nearly always): one target, no list to build.
        if let [cwd] = st.cwds.as_slice() {
            if let Some(target) = self.target(st, cwd, v, tree) {
                self.push(Found::Write { target, kind });
            }
            return;
        }
        for target in self.targets(st, v, tree) {
            self.push(Found::Write { target, kind });
        }
    }

    /// The targets `v` names from each possible working directory.
    pub fn targets(&self, st: &State, v: &Val, tree: bool) -> Vec<Target> {
        let mut out = Vec::new();
        for cwd in &st.cwds {
            if let Some(t) = self.target(st, cwd, v, tree) {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// The target `v` names from `cwd`; `None` for none (an empty name, a device).
    fn target(&self, st: &State, cwd: &Cwd, v: &Val, tree: bool) -> Option<Target> {
        Some(match v {
            Val::Known { text, glob } => {
                if text.is_empty() {
                    return None;
                }
                let Some(abs) = self.absolute(cwd, text) else {
                    return Some(Target::Unknown { prefix: None });
                };
                if is_device(&abs) {
                    return None;
                }
                let abs = follow_links(st, abs);
                if *glob {
                    Target::Subtree(glob_dir(&abs))
                } else if tree {
                    Target::Subtree(abs)
                } else {
                    Target::Path(abs)
                }
            }
            Val::Unknown { prefix } => {
                let dir = match prefix.rfind('/') {
                    Some(i) => Some(&prefix[..=i]),
                    None if !prefix.is_empty() => Some(""),
                    None => None,
                };
                let prefix = dir.and_then(|d| {
                    self.absolute(cwd, if d.is_empty() { "." } else { d })
                        .map(|p| follow_links(st, crate::path::normalize_lexically(&p)))
                });
                Target::Unknown { prefix }
            }
        })
    }

    /// `text` made absolute against `cwd` (`~` expanded already); `None` when the
    /// working directory is unknown and the text relative.
    pub fn absolute(&self, cwd: &Cwd, text: &str) -> Option<PathBuf> {
        let p = Path::new(text);
        if p.is_absolute() {
            return Some(p.to_path_buf());
        }
        // `cwd.join(p)`, allocated once at its final size.
        cwd.as_ref().map(|c| {
            let mut out = PathBuf::with_capacity(c.as_os_str().len() + 1 + text.len());
            out.push(c);
            out.push(p);
            out
        })
    }

    /// `cd`: changes the working directories in `st`.
    pub fn cd(&mut self, st: &mut State, target: Option<&Val>) {
        let old = st.cwds.clone();
        let mut new: Vec<Cwd> = Vec::new();
        match target {
            None => new.push(self.cx.home.clone()),
            Some(Val::Known { text, glob: false }) if text == "-" => new = st.oldpwd.clone(),
            Some(Val::Known { text, glob: false }) => {
                for cwd in &st.cwds {
                    match self.absolute(cwd, text) {
                        Some(p) => {
                            let p = crate::path::normalize_lexically(&p);
                            // A `cd` into a directory that does not exist (and was not made
                            // here) fails and leaves the directory as it was (T56).
                            if p.is_dir()
                                || st.made_dirs.contains(&p)
                                || st.links.iter().any(|(l, _)| *l == p)
                            {
                                new.push(Some(p));
                            } else if st.overflow {
                                new.push(None);
                            } else {
                                new.push(cwd.clone());
                            }
                        }
                        None => new.push(None),
                    }
                }
            }
            Some(_) => new.push(None),
        }
        st.cwds = Vec::new();
        union_cwds(&mut st.cwds, new);
        st.oldpwd = old;
    }

    /// `pushd DIR` / `popd`.
    pub fn pushd(&mut self, st: &mut State, target: Option<&Val>) {
        let old = st.cwds.clone();
        match target {
            Some(t) => {
                self.cd(st, Some(t));
                st.stack.push(old);
            }
            None => {
                if let Some(top) = st.stack.pop() {
                    st.stack.push(old);
                    st.cwds = top;
                }
            }
        }
    }

    /// `popd`.
    pub fn popd(&mut self, st: &mut State) {
        if let Some(top) = st.stack.pop() {
            st.oldpwd = std::mem::replace(&mut st.cwds, top);
        }
    }
}

/// What a command reads on standard input.
#[derive(Debug, Clone)]
pub(super) enum Stdin {
    /// A pipe from another command (contents unknown).
    Pipe,
    /// A file (`< F`).
    File(Val),
    /// A here-document or here-string; `literal` when nothing in it expands.
    Text { body: Text, literal: bool },
}

fn has_expansion(body: &str) -> bool {
    body.contains('$') || body.contains('`')
}

fn terminates(p: &Pipeline) -> bool {
    match p.cmds.as_slice() {
        [Command::Simple(s)] => matches!(
            s.words.first().map(|w| w.0.as_str()),
            Some("exit" | "return")
        ),
        _ => false,
    }
}

fn compound_label(c: &Compound) -> &'static str {
    match c {
        Compound::Group(_) => "{ ... }",
        Compound::Subshell(_) => "( ... )",
        Compound::If(_) => "if ... fi",
        Compound::Loop(..) => "a loop",
        Compound::For(..) => "for ... done",
        Compound::Case(..) => "case ... esac",
        Compound::Test(_) => "[[ ... ]]",
        Compound::Arith(_) => "(( ... ))",
        Compound::Coproc(_) => "coproc",
    }
}

/// True when `abs`, once normalised, is a device whose writes change no file. Normalising
/// only drops components, so a path without a `/dev` or `/proc` in its text is none (the
/// common case, which then costs no allocation).
fn is_device(abs: &Path) -> bool {
    let b = abs.as_os_str().as_encoded_bytes();
    let named = b.iter().enumerate().any(|(i, &c)| {
        c == b'/' && (b[i + 1..].starts_with(b"dev") || b[i + 1..].starts_with(b"proc"))
    });
    named && super::is_harmless_device(&crate::path::normalize_lexically(abs))
}

/// Rewrites a path that goes through a symlink made earlier in the same command (T95).
fn follow_links(st: &State, abs: PathBuf) -> PathBuf {
    if st.links.is_empty() {
        return abs;
    }
    let norm = crate::path::normalize_lexically(&abs);
    for (link, target) in st.links.iter().rev() {
        if let Ok(rest) = norm.strip_prefix(link) {
            return if rest.as_os_str().is_empty() {
                target.clone()
            } else {
                target.join(rest)
            };
        }
    }
    abs
}

/// The directory part of a glob before its first component with a glob character.
fn glob_dir(abs: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in abs.components() {
        if c.as_os_str().to_string_lossy().contains(['*', '?', '[']) {
            break;
        }
        out.push(c);
    }
    out
}
