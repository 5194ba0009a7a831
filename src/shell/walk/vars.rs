//! Variables: the values assignments set, and what setting the variables the shell or
//! common programs act on does (kept code, prompt strings, `PATH`, `BASH_ALIASES`, ...).

use super::scope::INHERITED_PATH;
use super::{has_expansion, State, Var, Walker, MAX_ARGS, MAX_FOR_VALUES};
use crate::shell::ast::*;
use crate::shell::expand::Val;
use crate::shell::parse;
use std::path::{Path, PathBuf};

impl Walker<'_> {
    /// The value an assignment sets (`+=` appends to a known value: a string to a string,
    /// elements to an array).
    pub(super) fn assign_value(&mut self, a: &Assign, st: &State) -> Var {
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
            st.set_hashed(k, v);
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
}

/// The directory lanes takes for the project when judging `PATH`: the nearest ancestor of
/// `cwd` holding `.git` or `lanes.toml`, else `cwd`.
fn project_top(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|d| d.join(".git").exists() || d.join("lanes.toml").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// The bodies of the command substitutions in `text` (a prompt string, expanded like a
/// here-document body).
pub(in crate::shell) fn substitutions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if !has_expansion(text) {
        return out;
    }
    if let Ok(pieces) = brush_parser::word::parse_heredoc(text, &parse::word_options()) {
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
pub(in crate::shell) fn arith_assigns(expr: &str, st: &mut State) {
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
