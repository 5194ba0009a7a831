//! Word expansion against the walker's state: the [`Scope`] that looks variables up in a
//! [`State`] and walks command substitutions in a copy of it, and the one that keeps an
//! inherited `$PATH` recognisable inside a `PATH=` value.

use super::{State, Var, Walker};
use crate::shell::ast::Word;
use crate::shell::expand::{self, Scope, Val};

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

impl Walker<'_> {
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
    pub(super) fn expand_into(&mut self, w: &Word, st: &State, out: &mut Vec<Val>) {
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
    pub(super) fn settle_expansion_assigns(&mut self, st: &mut State) {
        for (name, value) in std::mem::take(&mut self.expansion_assigned) {
            st.set(name, Var::from_known(value));
        }
    }

    /// Expands the value of `PATH` (`PATH=...`, `export PATH=...`) with `$PATH` standing
    /// for the inherited directories, which lanes trusts (see [`INHERITED_PATH`]).
    pub(super) fn expand_path_value(&mut self, w: &Word, st: &State) -> Val {
        let mut sc = Sc { w: self, st };
        let mut marked = PathMarker(&mut sc);
        expand::expand_single(w, &mut marked)
    }
}

/// What `$PATH` expands to inside a `PATH=` value: a marker for the inherited directories,
/// which lanes trusts. It holds control characters, which the pre-screen refuses in any
/// command, so a script cannot spell it.
pub(in crate::shell) const INHERITED_PATH: &str = "\u{1}PATH\u{1}";

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
