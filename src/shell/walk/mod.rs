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
//!
//! This module holds the entry point, the [`Walker`], its limits, and the walk of scripts,
//! pipelines, compound and simple commands; the submodules hold the walker's other
//! concerns, each in an `impl Walker` block of its own.

mod aliases;
mod dirs;
mod kept;
mod links;
mod redirect;
mod scope;
mod vars;
mod written;

use super::ast::*;
use super::expand::Val;
pub(super) use super::state::{Cwd, Desc, Link, Lookup, State, Var};
use super::{Context, Finding, Found, Target};
use foldhash::fast::FixedState;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
pub(super) use vars::arith_assigns;

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
