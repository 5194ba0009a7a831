//! The walker: runs the script in the head, tracking what can be known statically.
//!
//! State: the set of possible working directories (a set, because `cd` may or may not have
//! happened on some path), `OLDPWD`, the `pushd` stack, variables (arrays too) and positional
//! parameters assigned in the command, functions, aliases, open descriptors, and how command
//! names are looked up. `( )`, pipeline elements, `&`, substitutions and `sh -c` get a copy
//! of the state that is thrown away afterwards; `{ }`, `if`, loops, `case` and `eval` share
//! it. Branches are all walked and their end states united (reference §4.3).
//!
//! Some effects outlive the process that made them, so they are kept by the walker for the
//! rest of the script, wherever they were made: symlinks (and places an archive may have
//! filled with links), directories, and code kept to run later (`trap`, `PROMPT_COMMAND`),
//! which is walked at the end from every working directory the script was in.

use super::ast::*;
use super::expand::{self, Scope, Val};
use super::state::{union_cwds, MAX_CWDS, MAX_TRACKED};
pub(super) use super::state::{Cwd, Desc, Link, Lookup, State, Var};
use super::{Context, Finding, Found, Kind, Target};
use foldhash::fast::FixedState;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Most walk steps (commands, words) per analysis; past it the command is unparseable.
const MAX_STEPS: usize = 20_000;
/// Most findings per analysis.
const MAX_FINDINGS: usize = 512;
/// Deepest nesting of substitutions, `sh -c`, `eval` and function calls.
const MAX_DEPTH: usize = 24;
/// Most words one simple command may expand to (brace expansion multiplies them).
const MAX_ARGS: usize = 4096;
/// Most values a `for` loop is unrolled over.
const MAX_FOR_VALUES: usize = 16;
/// Work allowed for pattern matching (steps of [`super::pattern`]) and for directory
/// entries read (each counted as 1,000 steps), per analysis: about a tenth of a second of
/// either. Past it, values are unknown and copied trees are taken to hold unknown links.
const MAX_BUDGET: usize = 50_000_000;
/// Most rounds a loop body is walked for (each from the state the last one left).
const MAX_ROUNDS: usize = 4;
/// Most symlinks followed while resolving one path (a loop of links ends here).
const MAX_HOPS: usize = 16;

/// A path after the symlinks made in the command: where it lands, or unknown (with the
/// literal directory it is known to lie under, if any).
enum Resolved {
    Path(PathBuf),
    Unknown(Option<PathBuf>),
}

/// Walks `script` from the context's working directory and returns what it found. `text`
/// is the whole command, scanned for paths when a command's name is only known at run time.
pub(super) fn walk(script: &Script, cx: &Context, text: &str) -> Vec<Finding> {
    let mut w = Walker {
        cx,
        text,
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
        links: Vec::new(),
        made_dirs: Vec::new(),
        written: Vec::new(),
        overflow: false,
        deferred: Vec::new(),
        cwds_seen: vec![Some(cx.cwd.clone())],
        locals: Vec::new(),
        aliasing: Vec::new(),
        expansion_assigned: Vec::new(),
        text_mentions: std::cell::RefCell::new(Vec::new()),
        budget: MAX_BUDGET,
    };
    let mut st = State {
        cwds: vec![Some(cx.cwd.clone())],
        oldpwd: vec![None],
        stack: Vec::new(),
        vars: HashMap::new(),
        volatile: Vec::new(),
        exported: Vec::new(),
        allexport: false,
        readonly: Vec::new(),
        cased: Vec::new(),
        positional: None,
        funcs: HashMap::new(),
        aliases: Vec::new(),
        fds: Vec::new(),
        lookup: Lookup::default(),
        overflow: false,
    };
    w.script(script, &mut st);
    w.run_deferred(&mut st);
    w.findings
}

pub(super) struct Walker<'a> {
    pub cx: &'a Context,
    /// The whole command, for the lexical scan of commands built from data.
    pub text: &'a str,
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
    /// Symlinks made so far anywhere in the command (a subshell's too: the link outlives
    /// it), newest last.
    links: Vec<Link>,
    /// Directories made so far anywhere in the command (so a later `cd` into them succeeds).
    made_dirs: Vec<PathBuf>,
    /// Every write so far, newest last, with the text the file then holds when it is
    /// literal (a script written by the command and run later is read from here).
    written: Vec<(Target, Option<String>)>,
    /// True once more links, directories or kept scripts were made than are tracked.
    pub overflow: bool,
    /// Code kept to run later (`trap`, `PROMPT_COMMAND`, ...), walked at the end.
    deferred: Vec<String>,
    /// Every working directory the script may have been in (for the kept code).
    cwds_seen: Vec<Cwd>,
    /// Per function call in progress: the variables it made local, with their values before.
    pub locals: Vec<Vec<(String, Option<Var>)>>,
    /// Aliases being expanded (an alias is not expanded inside its own value).
    aliasing: Vec<String>,
    /// Work left for the costly parts: pattern matching in expansions, and directory entries
    /// looked at for the links a copied tree holds (see [`Walker::charge`]).
    budget: usize,
    /// The paths the whole command names, by working directory (scanned once each).
    text_mentions: std::cell::RefCell<Vec<(PathBuf, Vec<PathBuf>)>>,
    /// Variables that an expansion assigned (`${x:=v}`), with their values when known, set
    /// after the command's words are expanded.
    expansion_assigned: Vec<(String, Option<String>)>,
}

/// Expansion scope: variables from the state, substitutions walked in a copy of it.
struct Sc<'w, 'a> {
    w: &'w mut Walker<'a>,
    st: &'w State,
}

impl Sc<'_, '_> {
    /// A variable's value, `None` for one the script did not set (or cannot track).
    fn var(&self, name: &str) -> Option<Var> {
        if self.st.is_volatile(name) {
            return Some(Var::Unknown);
        }
        self.st.vars.get(name).cloned()
    }
}

impl Scope for Sc<'_, '_> {
    fn lookup(&self, name: &str) -> Option<String> {
        if let Ok(n) = name.parse::<usize>() {
            // `$1`...: a positional parameter (unset past the last: empty).
            let list = self.st.positional.as_ref()?;
            return match n.checked_sub(1).and_then(|i| list.get(i)) {
                Some(v) => v.known().map(String::from),
                None => Some(String::new()),
            };
        }
        if name == "#" {
            return self.st.positional.as_ref().map(|l| l.len().to_string());
        }
        match self.var(name) {
            Some(Var::Str(s)) => return Some(s),
            Some(Var::List(l)) => {
                return match l.first() {
                    Some(v) => v.known().map(String::from),
                    None => Some(String::new()),
                }
            }
            Some(Var::Unset) => return Some(String::new()),
            Some(Var::Unknown) => return None,
            None => {}
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

    fn list(&self, name: &str) -> Option<Vec<Val>> {
        if name == "@" {
            return self.st.positional.clone();
        }
        match self.var(name) {
            Some(Var::List(l)) => Some(l),
            Some(Var::Unset) => Some(Vec::new()),
            Some(Var::Str(s)) => Some(vec![Val::Known {
                text: s.into(),
                glob: false,
            }]),
            _ => None,
        }
    }

    fn ifs(&self) -> Option<String> {
        match self.var("IFS") {
            None | Some(Var::Unset) => Some(expand::DEFAULT_IFS.to_string()),
            Some(Var::Str(s)) => Some(s),
            Some(_) => None,
        }
    }

    fn charge(&mut self, steps: usize) -> bool {
        self.w.charge(steps)
    }

    fn assigned(&mut self, name: &str, value: Option<String>) {
        self.w.expansion_assigned.push((name.to_string(), value));
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
                // Assignments made by the enclosing command's expansions are its own.
                let pending = std::mem::take(&mut self.expansion_assigned);
                self.frag_at = None;
                self.depth += 1;
                self.script(&script, st);
                self.depth -= 1;
                self.expansion_assigned = pending;
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

    /// Keeps `code` to run later (a `trap`, `PROMPT_COMMAND`, ...): it is walked now, from
    /// the current state, and again at the end of the script from every working directory
    /// the script was in, since it may run at any point after this one.
    pub fn defer(&mut self, code: &str, st: &State, what: &str) {
        let mut copy = st.clone();
        self.nested_script(code, &mut copy, what);
        if self.deferred.iter().any(|d| d == code) {
            return;
        }
        if self.deferred.len() < MAX_TRACKED {
            self.deferred.push(code.to_string());
        } else {
            self.overflow = true;
        }
    }

    /// Walks the kept code at the end of the script (see [`Walker::defer`]).
    fn run_deferred(&mut self, st: &mut State) {
        let mut cwds = Vec::new();
        union_cwds(&mut cwds, self.cwds_seen.clone());
        st.cwds = cwds;
        // Kept code may keep more: each is walked once, within the tracked number.
        let mut i = 0;
        while i < self.deferred.len() && !self.stopped {
            let code = self.deferred[i].clone();
            let mut copy = st.clone();
            self.nested_script(&code, &mut copy, "code kept to run later");
            i += 1;
        }
        if self.overflow {
            let mentions =
                super::lexical::mentions(self.text, &self.cx.cwd, self.cx.home.as_deref());
            let why =
                "it makes more links, directories or kept scripts than lanes tracks".to_string();
            self.push(Found::Unparseable { why, mentions });
        }
    }

    /// Records that the script may be in the working directories of `st`.
    fn saw_cwds(&mut self, st: &State) {
        for c in &st.cwds {
            if !self.cwds_seen.contains(c) {
                self.cwds_seen.push(c.clone());
            }
        }
        if self.cwds_seen.len() > MAX_CWDS {
            self.cwds_seen = vec![None];
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
            // Standard input and output between the commands are pipes.
            if i > 0 {
                copy.set_fd(0, Desc::Harmless);
            }
            if i + 1 < p.cmds.len() {
                copy.set_fd(1, Desc::Harmless);
            }
            self.command(c, &mut copy, stdin);
            if i + 1 == p.cmds.len() {
                // With `shopt -s lastpipe` (and in zsh) the last command runs in this
                // shell: what it set may persist (`... | read c`).
                st.union(copy);
            }
        }
    }

    /// What `cmd` writes to a pipe, when the text says so: `cat <<EOF`, `cat <<< word`,
    /// `echo`/`printf` of literal words. So `cat <<'EOF' | sh` is walked like `sh <<'EOF'`.
    fn piped_text(&mut self, cmd: &Command, st: &State) -> Option<Stdin> {
        let Command::Simple(s) = cmd else { return None };
        let name = s.words.first()?.0.as_str();
        match name {
            "cat" if s.words.len() == 1 => s.redirects.iter().rev().find_map(|r| match r {
                Redirect::HereDoc {
                    fd: None | Some(0),
                    body,
                    expand,
                } => Some(Stdin::Text {
                    body: body.clone(),
                    literal: !*expand || !has_expansion(body),
                }),
                Redirect::HereString(None | Some(0), w) => match self.expand_single(w, st) {
                    Val::Known { text, .. } => Some(Stdin::Text {
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
                // The redirects' descriptors last as long as the compound command.
                let fds = (!redirs.is_empty()).then(|| st.fds.clone());
                self.redirects(redirs, st);
                self.compound(comp, st);
                if let Some(fds) = fds {
                    st.fds = fds;
                }
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
                // Each round starts from the state the last one left: walked until nothing
                // new is learnt (a variable set in one round is used by the next).
                self.rounds(st, |w, b| {
                    if let Some(c) = cond {
                        w.script(c, b);
                    }
                    w.script(body, b);
                });
                if let Some(c) = cond {
                    self.script(c, st);
                }
            }
            Compound::For(var, values, body) => {
                let vals: Vec<Val> = match values {
                    Some(words) => words.iter().flat_map(|w| self.expand(w, st)).collect(),
                    None => match &st.positional {
                        Some(p) => p.clone(),
                        None => vec![Val::Unknown {
                            prefix: String::new(),
                        }],
                    },
                };
                // A glob item (`for f in src/*.rs`) binds the pattern text: each file it
                // matches lies in the pattern's directory, which is what the lanes decide on,
                // unless a symlink below that directory (made here or on disk) lets a match
                // lie anywhere: then the item is unknown.
                let vals: Vec<Val> = vals
                    .into_iter()
                    .map(|v| match &v {
                        Val::Known { text, glob: true } if self.glob_may_escape(st, text) => {
                            Val::Unknown {
                                prefix: String::new(),
                            }
                        }
                        _ => v,
                    })
                    .collect();
                let literal: Option<Vec<String>> =
                    vals.iter().map(|v| v.known().map(String::from)).collect();
                match literal {
                    Some(list) if list.len() <= MAX_FOR_VALUES => {
                        // One round per value, in order (each sees what the last one set);
                        // `break` may end the loop after any of them.
                        let mut out = st.clone();
                        let mut b = st.clone();
                        for v in list {
                            b.set_var(var.clone(), Some(v));
                            self.script(body, &mut b);
                            out.union(b.clone());
                        }
                        *st = out;
                    }
                    _ => self.rounds(st, |w, b| {
                        b.set(var.clone(), Var::Unknown);
                        w.script(body, b);
                    }),
                }
            }
            Compound::Case(word, arms) => {
                self.expand_single(word, st);
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
                    self.expand_single(w, st);
                }
            }
            Compound::Arith(w) => {
                if w.0.contains("$(") || w.0.contains('`') {
                    self.expand(
                        &Word(format!("\"{}\"", w.0.replace('"', "\\\"")).into()),
                        st,
                    );
                }
                arith_assigns(&w.0, st);
            }
            Compound::Coproc(cmd) => {
                let mut copy = st.clone();
                self.command(cmd, &mut copy, None);
            }
        }
    }

    /// Walks a loop body (`round`) from `st` until another round learns nothing new, at
    /// most [`MAX_ROUNDS`] times; `st` ends as the union of not running it and every round.
    fn rounds(&mut self, st: &mut State, round: impl Fn(&mut Self, &mut State)) {
        let mut out = st.clone();
        let mut b = st.clone();
        for n in 0..MAX_ROUNDS {
            round(self, &mut b);
            let before = (out.vars.clone(), out.positional.clone(), out.aliases.len());
            out.union(b.clone());
            let learnt = before != (out.vars.clone(), out.positional.clone(), out.aliases.len());
            if !learnt || self.stopped {
                break;
            }
            if n + 1 == MAX_ROUNDS {
                // Still changing: whatever a round sets is unknown.
                for v in out.vars.values_mut() {
                    *v = Var::Unknown;
                }
                out.positional = None;
            }
            b = out.clone();
        }
        *st = out;
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

    /// Expands a word to one value, without field splitting (an assignment's value, a
    /// `case` word, a here-string).
    pub fn expand_single(&mut self, w: &Word, st: &State) -> Val {
        if !self.tick() {
            return Val::Unknown {
                prefix: String::new(),
            };
        }
        let mut sc = Sc { w: self, st };
        expand::expand_single(w, &mut sc)
    }

    /// Makes the variables an expansion assigned (`${x:=v}`) unknown in `st`.
    fn settle_expansion_assigns(&mut self, st: &mut State) {
        for (name, value) in std::mem::take(&mut self.expansion_assigned) {
            st.set(name, Var::from_known(value));
        }
    }

    /// Walks a redirect list: files opened for writing are write targets, and each
    /// descriptor set is recorded in `st` (the caller restores them when they only last for
    /// one command). Returns what the command reads on standard input, when that matters to
    /// a model.
    fn redirects(&mut self, redirs: &[Redirect], st: &mut State) -> Option<Stdin> {
        let mut stdin = None;
        for r in redirs {
            match r {
                Redirect::File(fd, open, w) => {
                    // The values go to a list kept for the next redirect: one allocation per
                    // walk, not one per redirect (a nested walk takes its own while it runs).
                    let mut vals = std::mem::take(&mut self.redirect_vals);
                    vals.clear();
                    self.expand_into(w, st, &mut vals);
                    let n = fd.unwrap_or(open.default_fd());
                    for v in &vals {
                        match open {
                            Open::Read if n == 0 => stdin = Some(Stdin::File(v.clone())),
                            Open::Read => {}
                            Open::Write
                            | Open::Append
                            | Open::WriteBoth
                            | Open::AppendBoth
                            | Open::ReadWrite => self.write(st, v, Kind::Write),
                        }
                    }
                    // Whatever the mode, `/dev/fd/N` now reopens this file (for writing too).
                    let desc = self.desc_of(st, &vals);
                    st.set_fd(n, desc.clone());
                    if matches!(open, Open::WriteBoth | Open::AppendBoth) {
                        st.set_fd(2, desc);
                    }
                    vals.clear();
                    self.redirect_vals = vals;
                }
                Redirect::Dup { fd, output, from } => {
                    let n = fd.unwrap_or(if *output { 1 } else { 0 });
                    let desc = match from {
                        Some(m) => st.fd(*m),
                        None => Desc::Harmless, // closed: nothing to reopen
                    };
                    st.set_fd(n, desc);
                }
                Redirect::HereDoc { fd, body, expand } => {
                    if *expand {
                        self.heredoc_substitutions(body, st);
                    }
                    let n = fd.unwrap_or(0);
                    st.set_fd(n, Desc::Harmless);
                    if n == 0 {
                        stdin = Some(Stdin::Text {
                            body: body.clone(),
                            literal: !*expand || !has_expansion(body),
                        });
                    }
                }
                Redirect::HereString(fd, w) => {
                    let v = self.expand_single(w, st);
                    let n = fd.unwrap_or(0);
                    st.set_fd(n, Desc::Harmless);
                    if n == 0 {
                        stdin = Some(match v {
                            Val::Known { text, .. } => Stdin::Text {
                                body: text,
                                literal: true,
                            },
                            _ => Stdin::Pipe,
                        });
                    }
                }
                Redirect::ProcSub(fd, s) => {
                    let mut copy = st.clone();
                    self.script(s, &mut copy);
                    // A pipe: on the descriptor named, or the `/dev/fd/63` the word names.
                    st.set_fd(fd.unwrap_or(63), Desc::Harmless);
                    if *fd == Some(0) {
                        stdin = Some(Stdin::Pipe);
                    }
                }
            }
        }
        stdin
    }

    /// What a descriptor opened on the paths `vals` names refers to.
    fn desc_of(&self, st: &State, vals: &[Val]) -> Desc {
        let mut targets = Vec::new();
        for v in vals {
            for cwd in &st.cwds {
                match self.open_target(st, cwd, v, false) {
                    Opened::None => {}
                    Opened::Fd(d) => match d {
                        Desc::Harmless => {}
                        Desc::Unknown => return Desc::Unknown,
                        Desc::Files(ts) => targets.extend(ts),
                    },
                    Opened::Target(t) => targets.push(t),
                }
            }
        }
        if targets.is_empty() {
            Desc::Harmless
        } else {
            Desc::Files(targets)
        }
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
        let written_before = self.written.len();
        // Descriptors set by the redirects last for this command only (`exec` alone keeps
        // them for the rest of the script).
        let saved_fds = (!s.redirects.is_empty()).then(|| st.fds.clone());
        // Redirects are opened before the command runs (`cd docs > src/log` writes src/log).
        let numbered = self.exec_fd_vars(s, st);
        let stdin = self
            .redirects(numbered.as_deref().unwrap_or(&s.redirects), st)
            .or(pipe_in);
        let mut assigned: Vec<(String, Var)> = Vec::new();
        for a in &s.assigns {
            let value = self.assign_value(a, st);
            let known = match &value {
                Var::Str(v) => Some(v.as_str()),
                _ => None,
            };
            super::commands::check_tamper(self, &a.name, known, "assigns");
            assigned.push((a.name.clone(), value));
        }
        // The arguments go to a list kept for the next command: one allocation per walk, not
        // one per command (a command run inside this one takes its own while it runs).
        let mut args = std::mem::take(&mut self.arg_vals);
        args.clear();
        args.reserve(s.words.len());
        let declares = s.words.first().is_some_and(|w| {
            matches!(
                w.0.as_str(),
                "export" | "declare" | "typeset" | "local" | "readonly"
            )
        });
        for (i, w) in s.words.iter().enumerate() {
            if declares && i > 0 && w.0.starts_with("PATH=") {
                // `export PATH="$HOME/bin:$PATH"`: the inherited part stays recognisable.
                let v = self.expand_path_value(w, st);
                args.push(v);
                continue;
            }
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
        self.settle_expansion_assigns(st);
        if args.is_empty() {
            // `NAME=value` alone sets a shell variable for the rest of the script.
            for (k, v) in assigned {
                self.assign(st, &k, v);
            }
            if let Some(fds) = saved_fds {
                st.fds = fds;
            }
            self.arg_vals = args;
            return;
        }
        if numbered.is_some() {
            // `exec {fd}<f`: nothing runs; the descriptors stay open after it.
            args.clear();
            self.arg_vals = args;
            return;
        }
        // `exec 3<>f`: likewise.
        let keeps_fds = args.len() == 1 && args[0].known() == Some("exec");
        // Assignments before a command are its environment: set while it runs, then undone
        // (a value the command itself changed is unknown afterwards).
        let mut before = Vec::with_capacity(assigned.len());
        let lookup = (!assigned.is_empty()).then(|| st.lookup.clone());
        let exported = (!assigned.is_empty()).then(|| st.exported.clone());
        for (k, v) in &assigned {
            before.push((k.clone(), st.vars.get(k).cloned(), v.clone()));
            self.assign(st, k, v.clone());
            st.export(k);
        }
        // What it prints when that is literal (`echo 'rm x' > s.sh`): the file then holds
        // it, for a later `bash s.sh` or `sed -f`.
        let output = (saved_fds.is_some())
            .then(|| super::commands::literal_output(&args, stdin.as_ref()))
            .flatten();
        self.with_aliases(s, st, &args, stdin);
        if let Some(out) = output {
            self.log_output(s, st, out, written_before);
        }
        for (k, old, temp) in before {
            if st.vars.get(&k) != Some(&temp) && !st.is_volatile(&k) {
                st.set(k, Var::Unknown);
                continue;
            }
            match old {
                Some(v) => st.set(k, v),
                None => {
                    st.vars.remove(&k);
                }
            }
        }
        if let Some(l) = lookup {
            st.lookup = l;
        }
        if let Some(e) = exported {
            st.exported = e;
        }
        if let Some(fds) = saved_fds.filter(|_| !keeps_fds) {
            st.fds = fds;
        }
        args.clear();
        self.arg_vals = args;
    }

    /// Runs the command `args` (whose words as written are `s.words`), and, when its name
    /// is an alias, the alias's text too: aliases may be on (`shopt -s expand_aliases`,
    /// `bash -i`, the user's shell snapshot), and an alias is only text.
    fn with_aliases(&mut self, s: &Simple, st: &mut State, args: &[Val], stdin: Option<Stdin>) {
        let name = s.words.first().map(|w| w.0.as_str()).unwrap_or("");
        let alias = if is_plain_name(name) && !self.aliasing.iter().any(|a| a == name) {
            st.aliases
                .iter()
                .find(|(n, _)| n == name || n == "*")
                .map(|(n, v)| (n.clone(), v.clone()))
        } else {
            None
        };
        let Some((alias_name, value)) = alias else {
            super::commands::run(self, st, args, stdin);
            return;
        };
        let mut aliased = st.clone();
        super::commands::run(self, st, args, stdin.clone());
        match value {
            Some(v) if alias_name != "*" => {
                // The alias's text, then the rest of the words as written; a value ending
                // in a blank makes the next word an alias too (`alias sudo='sudo '`).
                let mut text = v;
                let mut chained = vec![alias_name];
                for w in &s.words[1..] {
                    let next = (text.ends_with([' ', '\t']) && is_plain_name(&w.0))
                        .then(|| {
                            st.aliases
                                .iter()
                                .find(|(n, _)| *n == *w.0 && !chained.contains(n))
                                .cloned()
                        })
                        .flatten();
                    text.push(' ');
                    match next {
                        Some((n, Some(v))) => {
                            text.push_str(&v);
                            chained.push(n);
                        }
                        // A word that is no alias ends the chain (the text no longer ends
                        // in a blank).
                        _ => text.push_str(&w.0),
                    }
                }
                let depth = chained.len();
                self.aliasing.extend(chained);
                self.nested_script(&text, &mut aliased, "an alias");
                for _ in 0..depth {
                    self.aliasing.pop();
                }
                st.union(aliased);
            }
            _ => {
                let program = format!("{name} (an alias lanes cannot read)");
                super::commands::opaque_named(self, st, &program, args);
            }
        }
    }

    /// The value an assignment sets (`+=` appends to a known value: a string to a string,
    /// elements to an array).
    fn assign_value(&mut self, a: &Assign, st: &State) -> Var {
        let value = match &a.value {
            Some(AssignValue::Scalar(w)) if a.name == "PATH" => {
                match self.expand_path_value(w, st) {
                    Val::Known { text, .. } => Var::Str(text.to_string()),
                    Val::Unknown { .. } => Var::Unknown,
                }
            }
            Some(AssignValue::Scalar(w)) => match self.expand_single(w, st) {
                Val::Known { text, .. } => Var::Str(text.to_string()),
                Val::Unknown { .. } => Var::Unknown,
            },
            Some(AssignValue::Array(words)) => {
                let mut elems = Vec::new();
                for w in words {
                    self.expand_into(w, st, &mut elems);
                    if elems.len() > MAX_ARGS {
                        return Var::Unknown;
                    }
                }
                Var::List(elems)
            }
            None => Var::Unknown,
        };
        if !a.append || a.name.contains('[') {
            return if a.append { Var::Unknown } else { value };
        }
        let old = if st.is_volatile(&a.name) {
            Some(Var::Unknown)
        } else {
            st.vars.get(&a.name).cloned()
        };
        match (old, value) {
            (Some(Var::Str(o)), Var::Str(v)) => Var::Str(o + &v),
            (Some(Var::Unset), v) => v,
            (Some(Var::List(mut o)), Var::List(v)) if o.len() + v.len() <= MAX_ARGS => {
                o.extend(v);
                Var::List(o)
            }
            (Some(Var::Str(o)), Var::List(v)) => {
                let mut l = vec![Val::Known {
                    text: o.into(),
                    glob: false,
                }];
                l.extend(v);
                Var::List(l)
            }
            _ => Var::Unknown,
        }
    }

    /// Expands the value of `PATH` (`PATH=...`, `export PATH=...`) with `$PATH` standing
    /// for the inherited directories, which lanes trusts (see [`INHERITED_PATH`]).
    fn expand_path_value(&mut self, w: &Word, st: &State) -> Val {
        let mut sc = Sc { w: self, st };
        let mut marked = PathMarker(&mut sc);
        expand::expand_single(w, &mut marked)
    }

    /// Sets `name` (or the array element `name[i]`) to `value`, with what setting some
    /// variables does besides: code kept to run later (`PROMPT_COMMAND`, `PS4`, a pager),
    /// scripts run by every shell (`BASH_ENV`), and command lookup (`PATH`, `LD_PRELOAD`).
    pub fn assign(&mut self, st: &mut State, name: &str, value: Var) {
        // `BASH_ALIASES[ls]=...` defines an alias, `BASH_CMDS[ls]=/bin/rm` hashes a name.
        let key = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| k.trim_matches(['"', '\'']).to_string())
        };
        if let Some(k) = key("BASH_ALIASES[") {
            let v = match value {
                Var::Str(s) => Some(s),
                _ => None,
            };
            st.set_alias(k, v);
            return;
        }
        if let Some(k) = key("BASH_CMDS[") {
            let v = match value {
                Var::Str(s) => Val::Known {
                    text: s.into(),
                    glob: false,
                },
                _ => Val::Unknown {
                    prefix: String::new(),
                },
            };
            st.lookup.hashed.push((k, v));
            return;
        }
        if matches!(name, "BASH_ALIASES" | "BASH_CMDS") {
            // The whole table set at once (`BASH_ALIASES=([ls]=...)`): not followed.
            st.set_alias("*".to_string(), None);
            st.lookup.untrusted = Some(format!("{name} is set"));
            return;
        }
        if let Some((base, index)) = name.split_once('[') {
            let index = index.strip_suffix(']').unwrap_or(index);
            let mut list = match st.vars.get(base) {
                Some(Var::List(l)) => Some(l.clone()),
                Some(Var::Str(s)) => Some(vec![Val::Known {
                    text: s.clone().into(),
                    glob: false,
                }]),
                Some(Var::Unset) => Some(Vec::new()),
                _ => None,
            };
            let at = index
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|i| *i < MAX_FOR_VALUES * 16);
            match (&mut list, at, value) {
                (Some(l), Some(i), Var::Str(v)) => {
                    while l.len() <= i {
                        l.push(Val::Known {
                            text: Text::default(),
                            glob: false,
                        });
                    }
                    l[i] = Val::Known {
                        text: v.into(),
                        glob: false,
                    };
                }
                _ => list = None,
            }
            st.set(base.to_string(), list.map_or(Var::Unknown, Var::List));
            return;
        }
        self.special_var(st, name, &value);
        st.set(name.to_string(), value);
    }

    /// What setting one of the variables the shell or common programs act on does.
    fn special_var(&mut self, st: &mut State, name: &str, value: &Var) {
        let texts = || -> Option<Vec<String>> {
            match value {
                Var::Str(s) => Some(vec![s.clone()]),
                Var::List(l) => l.iter().map(|v| v.known().map(String::from)).collect(),
                Var::Unset => Some(Vec::new()),
                Var::Unknown => None,
            }
        };
        // `BASH_FUNC_ls%%=() { ...; }` in the environment defines a function in every bash
        // started later (`env 'BASH_FUNC_ls%%=() { rm -rf x; }' bash -c ls`).
        if let Some(f) = name
            .strip_prefix("BASH_FUNC_")
            .and_then(|f| f.strip_suffix("%%"))
        {
            match texts() {
                Some(defs) if defs.len() == 1 => {
                    let def = format!("{f} {}", defs[0]);
                    self.nested_script(&def, st, "a function given in the environment");
                }
                _ => st.lookup.untrusted = Some(format!("{name} is set")),
            }
            return;
        }
        match name {
            // Run as commands later: before each prompt, or by the programs that read them.
            "PROMPT_COMMAND" | "PAGER" | "MANPAGER" | "GIT_PAGER" | "SYSTEMD_PAGER" | "EDITOR"
            | "VISUAL" | "GIT_EDITOR" | "SUDO_EDITOR" | "FCEDIT" | "BROWSER" | "LESSOPEN"
            | "LESSCLOSE" => match texts() {
                Some(codes) => {
                    for code in codes {
                        // `LESSOPEN='|cmd %s'`: the command after the pipe signs.
                        let code = code.trim_start_matches(['|', '-']);
                        self.defer(code, st, &format!("the command in {name}"));
                    }
                }
                None => self.opaque_text(st, &format!("the command in {name}")),
            },
            // Prompt strings: their command substitutions run each time one is shown
            // (`PS4` with `set -x`, in any shell).
            "PS0" | "PS1" | "PS2" | "PS3" | "PS4" => match texts() {
                Some(prompts) => {
                    for p in prompts {
                        for body in substitutions(&p) {
                            self.defer(&body, st, &format!("a command in {name}"));
                        }
                    }
                }
                None => self.opaque_text(st, &format!("the prompt {name}")),
            },
            // A script every shell started later runs first.
            "BASH_ENV" | "ENV" => self.opaque_text(st, &format!("the script {name} names")),
            // Code loaded into every program started later.
            "LD_PRELOAD" | "LD_LIBRARY_PATH" | "LD_AUDIT" | "GCONV_PATH" | "TAR_OPTIONS" => {
                st.lookup.untrusted = Some(format!("{name} is set"));
            }
            "PATH" => {
                if let Some((why, dirs)) = self.untrusted_path(value, st) {
                    st.lookup.untrusted = Some(why);
                    st.lookup.dirs.extend(dirs);
                }
            }
            _ => {}
        }
    }

    /// A program lanes cannot see into, started by something the script set: opaque, with
    /// the paths the whole command names.
    pub fn opaque_text(&mut self, st: &State, program: &str) {
        let mut mentions = Vec::new();
        for cwd in st.cwds.iter().flatten() {
            for m in self.text_mentions(cwd) {
                if !mentions.contains(&m) {
                    mentions.push(m);
                }
            }
        }
        self.push(Found::Opaque {
            program: program.to_string(),
            cwds: st.cwds.clone(),
            mentions,
        });
    }

    /// Spends `steps` of the analysis' budget for costly work; false when too little is
    /// left (the caller then gives up on knowing, which is never less safe).
    pub fn charge(&mut self, steps: usize) -> bool {
        match self.budget.checked_sub(steps) {
            Some(left) => {
                self.budget = left;
                true
            }
            None => false,
        }
    }

    /// The paths the whole command's text names from `cwd` (for a command built from data:
    /// the data may lie anywhere in it). Scanned once per working directory.
    pub fn text_mentions(&self, cwd: &Path) -> Vec<PathBuf> {
        if let Some((_, m)) = self.text_mentions.borrow().iter().find(|(c, _)| c == cwd) {
            return m.clone();
        }
        let m = super::lexical::mentions(self.text, cwd, self.cx.home.as_deref());
        self.text_mentions
            .borrow_mut()
            .push((cwd.to_path_buf(), m.clone()));
        m
    }

    /// Why `PATH` set to `value` makes command names untrustworthy (a directory that is
    /// relative, unknown, in the project, where an agent may write a program, or a scratch
    /// directory), and those directories. `None` when it holds only the inherited
    /// directories and others outside the project.
    fn untrusted_path(&self, value: &Var, st: &State) -> Option<(String, Vec<PathBuf>)> {
        let Var::Str(v) = value else {
            return Some((
                "PATH is set to a value lanes cannot know".into(),
                Vec::new(),
            ));
        };
        let top = project_top(&self.cx.cwd);
        let home = self.cx.home.as_deref();
        let mut why = None;
        let mut dirs = Vec::new();
        for dir in v.split(':') {
            if dir == INHERITED_PATH {
                continue;
            }
            let shown = dir.replace(INHERITED_PATH, "$PATH");
            // `PATH=$PATH:~/bin`: bash expands `~` after a colon in an assignment.
            let home_dir = match (dir.strip_prefix('~'), home) {
                (Some(r), Some(h)) if r.is_empty() || r.starts_with('/') => {
                    Some(h.join(r.trim_start_matches('/')))
                }
                _ => None,
            };
            let dir_buf;
            let dir = match &home_dir {
                Some(h) => {
                    dir_buf = h.to_string_lossy().into_owned();
                    dir_buf.as_str()
                }
                None => dir,
            };
            if dir.is_empty() || !dir.starts_with('/') {
                why.get_or_insert(format!("PATH holds the relative directory `{shown}`"));
                let rel = if dir.is_empty() { "." } else { dir };
                dirs.extend(
                    st.cwds
                        .iter()
                        .flatten()
                        .map(|c| crate::path::normalize_lexically(&c.join(rel))),
                );
                continue;
            }
            let d = crate::path::normalize_lexically(Path::new(dir));
            // The home directory is outside every lane, so an agent cannot plant a program
            // there through lanes; scratch directories are open to anyone.
            let in_home = home.is_some_and(|h| d.starts_with(h));
            if d.starts_with(&top)
                || (!in_home
                    && ["/tmp", "/var/tmp", "/dev/shm"]
                        .iter()
                        .any(|t| d.starts_with(t)))
            {
                why.get_or_insert(format!("PATH holds `{shown}`"));
                dirs.push(d);
            }
        }
        why.map(|w| (w, dirs))
    }

    /// `exec {fd}>f`: bash gives each such redirect a free descriptor (10 and up, in
    /// order here) and stores its number in the variable. Returns the redirects with those
    /// descriptors, when the command has that form.
    fn exec_fd_vars(&mut self, s: &Simple, st: &mut State) -> Option<Vec<Redirect>> {
        let (first, names) = s.words.split_first()?;
        if first.0.as_str() != "exec" || names.is_empty() {
            return None;
        }
        let names: Vec<&str> = names
            .iter()
            .map(|w| w.0.strip_prefix('{')?.strip_suffix('}'))
            .collect::<Option<_>>()?;
        if !names.iter().all(|n| is_plain_name(n)) {
            return None;
        }
        let mut k = 0;
        let mut out = s.redirects.clone();
        for r in &mut out {
            let fd = match r {
                Redirect::File(fd @ None, ..)
                | Redirect::Dup { fd: fd @ None, .. }
                | Redirect::HereDoc { fd: fd @ None, .. }
                | Redirect::HereString(fd @ None, _)
                | Redirect::ProcSub(fd @ None, _) => fd,
                _ => continue,
            };
            let Some(name) = names.get(k) else { break };
            let n = 10 + k as u32;
            *fd = Some(n);
            st.set(name.to_string(), Var::Str(n.to_string()));
            k += 1;
        }
        Some(out)
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
        // Deleting or making a link changes the link itself, not where it points.
        let follow = !matches!(kind, Kind::Delete | Kind::Link);
        // One working directory (nearly always): no list to build.
        if let [cwd] = st.cwds.as_slice() {
            match self.open_target_with(st, cwd, v, tree, follow) {
                Opened::None => {}
                Opened::Target(target) => self.push_write(target, kind),
                Opened::Fd(d) => self.write_desc(d, kind),
            }
            return;
        }
        let mut seen: Vec<Target> = Vec::new();
        for cwd in &st.cwds {
            match self.open_target_with(st, cwd, v, tree, follow) {
                Opened::None => {}
                Opened::Target(t) => {
                    if !seen.contains(&t) {
                        seen.push(t.clone());
                        self.push_write(t, kind);
                    }
                }
                Opened::Fd(d) => self.write_desc(d, kind),
            }
        }
    }

    /// A write through a descriptor's path (`/dev/fd/3`): the file it was opened on.
    fn write_desc(&mut self, d: Desc, kind: Kind) {
        match d {
            Desc::Harmless => {}
            Desc::Unknown => self.push_write(Target::Unknown { prefix: None }, kind),
            Desc::Files(ts) => {
                for target in ts {
                    self.push_write(target, kind);
                }
            }
        }
    }

    /// Records a write: a finding, and an entry in the log of what files hold.
    fn push_write(&mut self, target: Target, kind: Kind) {
        // Permissions and new directories leave a file's text as it was.
        if !matches!(kind, Kind::Metadata | Kind::MakeDir) {
            self.log_written(target.clone(), None);
        }
        self.push(Found::Write { target, kind });
    }

    /// Notes what a command's literal output leaves in the file its standard output was
    /// redirected to (the last redirect of descriptor 1 decides; `>>` appends).
    fn log_output(&mut self, s: &Simple, st: &State, out: String, before: usize) {
        let Desc::Files(ts) = st.fd(1) else { return };
        let [Target::Path(p)] = ts.as_slice() else {
            return;
        };
        let p = &crate::path::normalize_lexically(p);
        let last = s.redirects.iter().rev().find(|r| match r {
            Redirect::File(fd, open, _) => fd.unwrap_or(open.default_fd()) == 1,
            Redirect::Dup { fd, output, .. } => fd.unwrap_or(if *output { 1 } else { 0 }) == 1,
            _ => false,
        });
        let content = match last {
            Some(Redirect::File(_, Open::Write | Open::WriteBoth, _)) => Some(out),
            Some(Redirect::File(_, Open::Append | Open::AppendBoth, _)) => {
                // What the file held before this command's own redirect.
                match self.written_content_upto(p, before) {
                    Some(Some(before)) => Some(format!("{before}{out}")),
                    Some(None) => None,
                    None if !p.exists() => Some(out),
                    None => None,
                }
            }
            _ => return,
        };
        self.log_written(Target::Path(p.clone()), content);
    }

    /// Notes that `target` now holds `content` (`None`: not known), newest last.
    fn log_written(&mut self, target: Target, content: Option<String>) {
        let norm = |p: &PathBuf| crate::path::normalize_lexically(p);
        let target = match target {
            Target::Path(p) => Target::Path(norm(&p)),
            Target::Subtree(p) => Target::Subtree(norm(&p)),
            Target::Unknown { prefix } => Target::Unknown {
                prefix: prefix.as_ref().map(norm),
            },
        };
        if self.written.len() >= MAX_FINDINGS {
            // Too many to keep: from now on every file may have been written.
            self.written.clear();
            self.written.push((Target::Unknown { prefix: None }, None));
        }
        self.written.push((target, content));
    }

    /// What the command has written to `path` (absolute, normalised) so far: `None` when
    /// nothing did, `Some(None)` when something did with content lanes cannot know, and
    /// `Some(Some(text))` when the last write was literal text (`echo`, `printf`, `cat` of
    /// a here-document). A script file read at hook time is stale once written.
    pub fn written_content(&self, path: &Path) -> Option<Option<&str>> {
        self.written_content_upto(path, self.written.len())
    }

    /// [`Walker::written_content`] as it was after the first `upto` writes.
    fn written_content_upto(&self, path: &Path, upto: usize) -> Option<Option<&str>> {
        self.written[..upto.min(self.written.len())]
            .iter()
            .rev()
            .find_map(|(t, c)| {
                let covers = match t {
                    Target::Path(p) => p == path,
                    Target::Subtree(p) => path.starts_with(p),
                    Target::Unknown { prefix: Some(p) } => path.starts_with(p),
                    Target::Unknown { prefix: None } => true,
                };
                let content = match t {
                    Target::Path(_) => c.as_deref(),
                    _ => None,
                };
                covers.then_some(content)
            })
    }

    /// What `v` names from `cwd`: a target, a descriptor (`/dev/fd/N`, `/dev/stdout`,
    /// `/proc/self/fd/N`), or nothing (an empty name, a device that changes no file).
    fn open_target(&self, st: &State, cwd: &Cwd, v: &Val, tree: bool) -> Opened {
        self.open_target_with(st, cwd, v, tree, true)
    }

    /// [`Walker::open_target`]; see [`Walker::resolve_with`] for `follow_last`.
    fn open_target_with(
        &self,
        st: &State,
        cwd: &Cwd,
        v: &Val,
        tree: bool,
        follow_last: bool,
    ) -> Opened {
        match v {
            Val::Known { text, glob } => {
                if text.is_empty() {
                    return Opened::None;
                }
                let Some(abs) = self.absolute(cwd, text) else {
                    return Opened::Target(Target::Unknown { prefix: None });
                };
                // Links made here first (one may point at `/dev/fd/3`), then the names
                // under `/dev` and `/proc` that stand for other files; a working directory
                // or root they stand for goes through the links once more.
                let mut path = match self.resolve_with(&abs, follow_last) {
                    Resolved::Path(p) => p,
                    Resolved::Unknown(prefix) => return Opened::Target(Target::Unknown { prefix }),
                };
                if names_dev_or_proc(&path) {
                    let norm = crate::path::normalize_lexically(&path);
                    let again = match proc_alias(&norm) {
                        Some(Alias::Fd(n, rest)) => return Opened::Fd(desc_below(st.fd(n), &rest)),
                        Some(Alias::Cwd(rest)) => match cwd {
                            Some(c) => c.join(rest),
                            None => return Opened::Target(Target::Unknown { prefix: None }),
                        },
                        Some(Alias::Root(rest)) => Path::new("/").join(rest),
                        Some(Alias::Unknown) => {
                            return Opened::Target(Target::Unknown { prefix: None })
                        }
                        None if super::is_harmless_device(&norm) => return Opened::None,
                        None => norm,
                    };
                    path = match self.resolve_with(&again, follow_last) {
                        Resolved::Path(p) => p,
                        Resolved::Unknown(prefix) => {
                            return Opened::Target(Target::Unknown { prefix })
                        }
                    };
                }
                Opened::Target(if *glob {
                    // The shell follows symlinks while it expands a glob: through one made
                    // here or already on disk below the glob's directory, a match may lie
                    // anywhere, so the target is only known by that directory.
                    let dir = glob_dir(&path);
                    let depth = path.components().count() - dir.components().count();
                    if self.links_may_reach_below(&dir) || symlink_below(&dir, depth) {
                        Target::Unknown { prefix: Some(dir) }
                    } else {
                        Target::Subtree(dir)
                    }
                } else if tree {
                    Target::Subtree(path)
                } else {
                    Target::Path(path)
                })
            }
            Val::Unknown { prefix } => {
                let dir = match prefix.rfind('/') {
                    Some(i) => Some(&prefix[..=i]),
                    None if !prefix.is_empty() => Some(""),
                    None => None,
                };
                let prefix = dir
                    .and_then(|d| self.absolute(cwd, if d.is_empty() { "." } else { d }))
                    .and_then(
                        |p| match self.resolve(&crate::path::normalize_lexically(&p)) {
                            Resolved::Path(p) => Some(p),
                            Resolved::Unknown(p) => p,
                        },
                    );
                Opened::Target(Target::Unknown { prefix })
            }
        }
    }

    /// Where `abs` lands once the symlinks made in the command are followed, component by
    /// component (so `link/..` is the target's parent, as the kernel resolves it).
    fn resolve(&self, abs: &Path) -> Resolved {
        self.resolve_with(abs, true)
    }

    /// [`Walker::resolve`]; with `follow_last` false, a link that is the path's last
    /// component is not followed (`rm link` and `ln -sf` change the link, not its target).
    fn resolve_with(&self, abs: &Path, follow_last: bool) -> Resolved {
        if self.links.is_empty() {
            return Resolved::Path(abs.to_path_buf());
        }
        let parts = |p: &Path| -> Vec<std::ffi::OsString> {
            p.components()
                .rev()
                .filter_map(|c| match c {
                    Component::Normal(n) => Some(n.to_os_string()),
                    Component::ParentDir => Some("..".into()),
                    _ => None,
                })
                .collect()
        };
        let mut rest = parts(abs);
        let mut out = PathBuf::from("/");
        let mut hops = 0;
        while let Some(c) = rest.pop() {
            if c == ".." {
                out.pop();
                continue;
            }
            out.push(&c);
            if !follow_last && rest.is_empty() {
                break;
            }
            for l in self.links.iter().rev() {
                if l.under {
                    if out.starts_with(&l.at) && out != l.at {
                        return Resolved::Unknown(Some(l.at.clone()));
                    }
                    continue;
                }
                if out != l.at {
                    continue;
                }
                match &l.to {
                    None => return Resolved::Unknown(out.parent().map(Path::to_path_buf)),
                    Some(t) => {
                        hops += 1;
                        if hops > MAX_HOPS {
                            return Resolved::Unknown(None);
                        }
                        // Go on from the link's target, then the rest of the path.
                        rest.extend(parts(t));
                        out = PathBuf::from("/");
                        break;
                    }
                }
            }
        }
        Resolved::Path(out)
    }

    /// Records a symlink made at `link` (from each working directory) pointing to `target`
    /// (`None`: unknown); a relative target is read from the link's directory, or from the
    /// working directory with `from_cwd` (`ln -r`). A link of unknown name may be anywhere
    /// below its literal prefix: every path there becomes unknown.
    pub fn add_link(&mut self, st: &State, link: &Val, target: Option<&Val>, from_cwd: bool) {
        for cwd in &st.cwds {
            let at = match (link.literal(), cwd) {
                (Some(l), _) => self.absolute(cwd, l),
                _ => None,
            };
            let Some(at) = at else {
                let region = match self.open_target(st, cwd, link, false) {
                    Opened::Target(Target::Unknown { prefix: Some(p) }) => p,
                    _ => PathBuf::from("/"),
                };
                self.push_link(Link {
                    at: region,
                    to: None,
                    raw: None,
                    under: true,
                });
                continue;
            };
            // Where the link really is: its directory may itself be a link made here.
            let at = match self.resolve_with(&at, false) {
                Resolved::Path(p) => p,
                Resolved::Unknown(prefix) => {
                    self.push_link(Link {
                        at: prefix.unwrap_or_else(|| PathBuf::from("/")),
                        to: None,
                        raw: None,
                        under: true,
                    });
                    continue;
                }
            };
            let base = if from_cwd {
                cwd.clone()
            } else {
                at.parent().map(Path::to_path_buf)
            };
            // Kept as written below its base: a `..` in it is resolved when the link is
            // followed, component by component.
            let to = match target.and_then(Val::literal) {
                Some(t) if Path::new(t).is_absolute() => Some(PathBuf::from(t)),
                Some(t) => base.map(|b| b.join(t)),
                None => None,
            };
            // `ln -r` writes a text of its own: moved elsewhere, the link is not known.
            let raw = target
                .and_then(Val::literal)
                .filter(|t| !from_cwd || Path::new(t).is_absolute())
                .map(String::from);
            self.push_link(Link {
                at,
                to,
                raw,
                under: false,
            });
        }
    }

    /// Records that `dir` (and below) may now hold links lanes cannot see (an archive
    /// extracted there): every path below it is unknown from now on.
    pub fn add_link_region(&mut self, st: &State, dir: &Val) {
        for cwd in &st.cwds {
            let at = match self.open_target(st, cwd, dir, false) {
                Opened::Target(Target::Path(p) | Target::Subtree(p)) => p,
                Opened::Target(Target::Unknown { prefix: Some(p) }) => p,
                _ => PathBuf::from("/"),
            };
            self.push_link(Link {
                at,
                to: None,
                raw: None,
                under: true,
            });
        }
    }

    /// The symlink made at `path` (from the first working directory), if one was.
    pub fn link_at(&self, st: &State, path: &Val) -> Option<Link> {
        let at = self.physical(st, path)?;
        self.links
            .iter()
            .rev()
            .find(|l| !l.under && l.at == at)
            .cloned()
    }

    /// The symlinks made below the directory `path` names, by their path relative to it
    /// (a directory moved or copied takes them along).
    pub fn links_below(&self, st: &State, path: &Val) -> Vec<(String, Option<String>)> {
        let Some(dir) = self.physical(st, path) else {
            return Vec::new();
        };
        self.links
            .iter()
            .filter(|l| !l.under)
            .filter_map(|l| {
                let rel = l.at.strip_prefix(&dir).ok()?;
                (!rel.as_os_str().is_empty())
                    .then(|| (rel.to_string_lossy().into_owned(), l.raw.clone()))
            })
            .collect()
    }

    /// Where `path` (a literal, from the first working directory) really is, its last
    /// component not followed.
    fn physical(&self, st: &State, path: &Val) -> Option<PathBuf> {
        let abs = self.absolute(st.cwds.first()?, path.literal()?)?;
        match self.resolve_with(&abs, false) {
            Resolved::Path(p) => Some(p),
            Resolved::Unknown(_) => None,
        }
    }

    /// `abs` with the symlinks made in the command followed, normalised (`None`: not
    /// known).
    /// True when the matches of the glob `text` (as written, relative to the working
    /// directory) may lie outside the glob's directory: a symlink made here or on disk below
    /// it, or a working directory that is not known.
    fn glob_may_escape(&self, st: &State, text: &str) -> bool {
        let abs = match st.pwd() {
            Some(cwd) => crate::path::normalize_lexically(&cwd.join(text)),
            None if text.starts_with('/') => crate::path::normalize_lexically(Path::new(text)),
            None => return true,
        };
        let dir = glob_dir(&abs);
        let depth = abs.components().count() - dir.components().count();
        self.links_may_reach_below(&dir) || symlink_below(&dir, depth)
    }

    /// True when a link made so far in the command may lie below `dir` (or links of unknown
    /// names were made in a directory that holds it).
    fn links_may_reach_below(&self, dir: &Path) -> bool {
        self.links
            .iter()
            .any(|l| l.at.starts_with(dir) || (l.under && dir.starts_with(&l.at)))
    }

    pub fn follow(&self, abs: &Path) -> Option<PathBuf> {
        match self.resolve(abs) {
            Resolved::Path(p) => Some(crate::path::normalize_lexically(&p)),
            Resolved::Unknown(_) => None,
        }
    }

    /// Records a link (within [`MAX_TRACKED`]; past it, every path is unknown).
    pub fn push_link(&mut self, l: Link) {
        if self.links.contains(&l) {
            return;
        }
        if self.links.len() >= MAX_TRACKED {
            self.overflow = true;
            self.links.push(Link {
                at: PathBuf::from("/"),
                to: None,
                raw: None,
                under: true,
            });
            return;
        }
        self.links.push(l);
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
                // `CDPATH` set in the script: a relative name is looked for below each of
                // its directories first.
                let searched = !(text.starts_with('/')
                    || text.starts_with("./")
                    || text.starts_with("../")
                    || text == "."
                    || text == "..");
                let cdpath = match st.vars.get("CDPATH") {
                    Some(Var::Str(p)) if searched && !p.is_empty() => Some(p.clone()),
                    Some(Var::Unknown) if searched => {
                        st.oldpwd = old;
                        st.cwds = vec![None];
                        return;
                    }
                    _ => None,
                };
                for cwd in &st.cwds {
                    if let Some(found) = cdpath.as_deref().and_then(|p| {
                        p.split(':').find_map(|dir| {
                            let base =
                                self.absolute(cwd, if dir.is_empty() { "." } else { dir })?;
                            let c = crate::path::normalize_lexically(&base.join(text.as_str()));
                            match self.resolve(&c) {
                                Resolved::Path(r) if r.is_dir() || self.made_dirs.contains(&r) => {
                                    Some(Some(c))
                                }
                                Resolved::Unknown(_) => Some(None),
                                _ => None,
                            }
                        })
                    }) {
                        new.push(found);
                        continue;
                    }
                    match self.absolute(cwd, text) {
                        Some(p) => {
                            let p = crate::path::normalize_lexically(&p);
                            // A `cd` into a directory that does not exist (and was not made
                            // here) fails and leaves the directory as it was (T56). Through a
                            // link made here, it exists when the link's target does.
                            let exists = match self.resolve(&p) {
                                Resolved::Path(r) => {
                                    r.is_dir()
                                        || self.made_dirs.contains(&p)
                                        || self.made_dirs.contains(&r)
                                }
                                Resolved::Unknown(_) => {
                                    new.push(None);
                                    continue;
                                }
                            };
                            let at = match self.resolve_with(&p, false) {
                                Resolved::Path(a) => a,
                                Resolved::Unknown(_) => p.clone(),
                            };
                            if exists || self.links.iter().any(|l| !l.under && l.at == at) {
                                new.push(Some(p));
                            } else if st.overflow || self.overflow {
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
        self.saw_cwds(st);
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
        self.saw_cwds(st);
    }

    /// `popd`.
    pub fn popd(&mut self, st: &mut State) {
        if let Some(top) = st.stack.pop() {
            st.oldpwd = std::mem::replace(&mut st.cwds, top);
        }
        self.saw_cwds(st);
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

/// What a path opens: a target, a descriptor's file, or nothing.
enum Opened {
    None,
    Target(Target),
    Fd(Desc),
}

/// A path under `/dev` or `/proc` that names something else.
enum Alias {
    /// Descriptor N of the shell (`/dev/fd/N`, `/dev/stdout`, `/proc/self/fd/N`), and the
    /// rest of the path below it (a descriptor opened on a directory).
    Fd(u32, PathBuf),
    /// The working directory (`/proc/self/cwd`), and the rest of the path.
    Cwd(PathBuf),
    /// The root (`/proc/self/root`), and the rest of the path.
    Root(PathBuf),
    /// Another process's descriptor, directory or root: not known.
    Unknown,
}

/// True when the path's text has a `/dev` or `/proc` component (normalising only drops
/// components, so a path without one in its text is none: the common case, which then
/// costs no allocation).
fn names_dev_or_proc(abs: &Path) -> bool {
    let b = abs.as_os_str().as_encoded_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'/' && (b[i + 1..].starts_with(b"dev") || b[i + 1..].starts_with(b"proc"))
    })
}

/// What a normalised path under `/dev` or `/proc` names, when it names another file.
fn proc_alias(norm: &Path) -> Option<Alias> {
    let fd_path = |rest: &Path| -> Option<Alias> {
        let mut c = rest.components();
        let n = c.next()?.as_os_str().to_str()?.parse().ok()?;
        Some(Alias::Fd(n, c.as_path().to_path_buf()))
    };
    match norm.to_str()? {
        "/dev/stdin" => return Some(Alias::Fd(0, PathBuf::new())),
        "/dev/stdout" => return Some(Alias::Fd(1, PathBuf::new())),
        "/dev/stderr" => return Some(Alias::Fd(2, PathBuf::new())),
        _ => {}
    }
    if let Ok(rest) = norm.strip_prefix("/dev/fd") {
        return fd_path(rest);
    }
    let rest = norm.strip_prefix("/proc").ok()?;
    let mut c = rest.components();
    let who = c.next()?.as_os_str().to_str()?;
    let own = matches!(who, "self" | "thread-self");
    if !own && !who.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let what = c.next()?.as_os_str().to_str()?;
    let below = c.as_path();
    match (own, what) {
        // Another process's (a pid: maybe this shell, maybe not).
        (false, "fd" | "cwd" | "root") => Some(Alias::Unknown),
        (true, "fd") => fd_path(below).or(Some(Alias::Unknown)),
        (true, "cwd") => Some(Alias::Cwd(below.to_path_buf())),
        (true, "root") => Some(Alias::Root(below.to_path_buf())),
        _ => None,
    }
}

/// What a descriptor's path names below it (`/dev/fd/3/x` when 3 is a directory).
fn desc_below(d: Desc, rest: &Path) -> Desc {
    if rest.as_os_str().is_empty() {
        return d;
    }
    match d {
        Desc::Files(ts) => Desc::Files(
            ts.into_iter()
                .map(|t| match t {
                    Target::Path(p) => Target::Path(p.join(rest)),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// The directory lanes takes for the project when judging `PATH`: the nearest ancestor of
/// `cwd` holding `.git` or `lanes.toml`, else `cwd`.
fn project_top(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|d| d.join(".git").exists() || d.join("lanes.toml").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// What `$PATH` expands to inside a `PATH=` value: a marker for the inherited directories,
/// which lanes trusts. It holds control characters, which the pre-screen refuses in any
/// command, so a script cannot spell it.
pub(super) const INHERITED_PATH: &str = "\u{1}PATH\u{1}";

/// A scope that expands `$PATH` to [`INHERITED_PATH`] when the script has not set it.
struct PathMarker<'s, 'w, 'a>(&'s mut Sc<'w, 'a>);

impl Scope for PathMarker<'_, '_, '_> {
    fn lookup(&self, name: &str) -> Option<String> {
        if name == "PATH" && !self.0.st.vars.contains_key("PATH") {
            return Some(INHERITED_PATH.to_string());
        }
        self.0.lookup(name)
    }
    fn substitute(&mut self, body: &str) -> Option<String> {
        self.0.substitute(body)
    }
    fn list(&self, name: &str) -> Option<Vec<Val>> {
        self.0.list(name)
    }
    fn ifs(&self) -> Option<String> {
        self.0.ifs()
    }
    fn charge(&mut self, steps: usize) -> bool {
        self.0.charge(steps)
    }
    fn assigned(&mut self, name: &str, value: Option<String>) {
        self.0.assigned(name, value)
    }
}

/// True for a word that is a bare name as written (no quotes, escapes or expansions): the
/// only form bash looks up as an alias.
fn is_plain_name(w: &str) -> bool {
    !w.is_empty()
        && w.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'_' | b'-' | b'.' | b'+' | b'@' | b'%' | b':' | b',')
        })
}

/// The bodies of the command substitutions in `text` (a prompt string, expanded like a
/// here-document body).
pub(super) fn substitutions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if !has_expansion(text) {
        return out;
    }
    if let Ok(pieces) = brush_parser::word::parse_heredoc(text, &super::parse::word_options()) {
        for p in pieces {
            if let brush_parser::word::WordPiece::CommandSubstitution(b)
            | brush_parser::word::WordPiece::BackquotedCommandSubstitution(b) = &p.piece
            {
                out.push(b.clone());
            }
        }
    } else {
        // Not readable: run as a whole, so its paths are still scanned.
        out.push(text.to_string());
    }
    out
}

/// Variables that `(( ))` and `let` may assign: every tracked name in an expression that
/// assigns (`=`, `++`, `--`) becomes unknown.
pub(super) fn arith_assigns(expr: &str, st: &mut State) {
    let assigns = expr.contains("++")
        || expr.contains("--")
        || expr.char_indices().any(|(i, c)| {
            c == '=' && !matches!(expr[i + 1..].chars().next(), Some('=')) && {
                let before = expr[..i].chars().next_back();
                !matches!(before, Some('=' | '!' | '<' | '>'))
                    || expr[..i].ends_with("<<")
                    || expr[..i].ends_with(">>")
            }
        });
    if !assigns {
        return;
    }
    let names: Vec<String> = expr
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|t| t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        .filter(|t| st.vars.contains_key(*t))
        .map(String::from)
        .collect();
    for n in names {
        st.set(n, Var::Unknown);
    }
}

/// How many directory entries [`symlink_below`] looks at before it answers "maybe".
const SYMLINK_SCAN: usize = 4096;

/// True when a symlink may lie within `depth` levels below `dir` on disk (a scan of at most
/// [`SYMLINK_SCAN`] entries; past that, or on an unreadable directory, it may).
fn symlink_below(dir: &Path, depth: usize) -> bool {
    let mut level = vec![dir.to_path_buf()];
    let mut seen = 0;
    for _ in 0..depth {
        let mut next = Vec::new();
        for d in &level {
            let Ok(entries) = std::fs::read_dir(d) else {
                // Missing: nothing below it. Unreadable: it may hold anything.
                if d.exists() {
                    return true;
                }
                continue;
            };
            for e in entries {
                seen += 1;
                let Ok(e) = e else { return true };
                if seen > SYMLINK_SCAN {
                    return true;
                }
                match e.file_type() {
                    Ok(t) if t.is_symlink() => return true,
                    Ok(t) if t.is_dir() => next.push(e.path()),
                    Ok(_) => {}
                    Err(_) => return true,
                }
            }
        }
        level = next;
    }
    false
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
