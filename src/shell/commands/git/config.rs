//! git configuration that matters to lanes: keys whose value git runs as a command (an
//! editor, a pager, a filter, an alias with `!`), keys that switch lanes' pre-commit hook off
//! (`core.hooksPath`) or load more configuration (`include.path`), and keys that move the
//! worktree or write files (`core.worktree`, `trace2.*Target`).
//!
//! Configuration given for one run (`-c`, `--config-env`, `GIT_CONFIG_COUNT` with
//! `GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`, `GIT_CONFIG_PARAMETERS`) is read here; what each
//! key does is decided in one place, [`classify`], for every source and for `git config`.

use super::known;
use crate::shell::expand::Val;
use crate::shell::walk::State;

/// What setting one key does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Key {
    /// Chooses the hooks git runs (`core.hooksPath`): lanes' pre-commit hook is skipped.
    Hooks,
    /// Loads configuration from a file (`include.path`, `includeIf.*.path`), which may hold
    /// any of these keys.
    Include,
    /// Moves the worktree (`core.worktree`).
    Worktree,
    /// Defines `git NAME` (`alias.NAME`).
    Alias(String),
    /// The editor (`core.editor`; `sequence.editor` for `rebase -i`), run when git opens one.
    Editor { sequence: bool },
    /// A command git runs (pagers, filters, diff drivers, ssh, credential helpers, ...).
    Command(Runs),
    /// A file git writes its trace to (`trace2.eventTarget`, ...).
    Trace,
    /// Anything else.
    Plain,
}

/// How a key's value is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Runs {
    /// A shell command.
    Shell,
    /// A shell command, or `true`/`false` for a built-in behaviour (`core.fsmonitor`,
    /// `pager.CMD`).
    ShellOrBool,
    /// A credential helper: `!command`, a path, or a name run as `git credential-NAME`.
    Credential,
    /// A shell command when it starts with `!` (`submodule.NAME.update`).
    Bang,
}

/// What git adds to a command it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Adds {
    /// Nothing that names a worktree path: pagers and filters of standard input, editors
    /// (their file is git's own, in `.git`), `rebase --exec`.
    Nothing,
    /// Arguments, which may be worktree paths (`diff.external`, `textconv`, ssh commands,
    /// credential helpers, `grep -O`, ...).
    Arguments,
    /// `%f`-style placeholders it replaces with paths (filters, merge drivers).
    Placeholders,
}

/// What git adds to the command held by `what`: a configuration key, a variable
/// (`GIT_EXTERNAL_DIFF`) or an option (`grep -O`).
pub(super) fn adds(what: &str) -> Adds {
    match what {
        "GIT_EDITOR"
        | "VISUAL"
        | "EDITOR"
        | "GIT_SEQUENCE_EDITOR"
        | "GIT_PAGER"
        | "PAGER"
        | "rebase --exec" => return Adds::Nothing,
        w if w.starts_with("GIT_") || w.starts_with("SSH_") || w.contains(' ') => {
            return Adds::Arguments
        }
        w if w.starts_with("--") => return Adds::Arguments,
        _ => {}
    }
    let lower = what.to_ascii_lowercase();
    let (section, rest) = lower.split_once('.').unwrap_or((&lower, ""));
    let name = rest.rsplit('.').next().unwrap_or(rest);
    match (section, name) {
        (_, "editor") | ("pager", _) | ("core", "pager") | ("interactive", "difffilter") => {
            Adds::Nothing
        }
        ("filter", _) | ("merge", "driver") => Adds::Placeholders,
        _ => Adds::Arguments,
    }
}

/// What setting `key` (as written: section and name in any case) does.
pub(super) fn classify(key: &str) -> Key {
    let (section, rest) = key.split_once('.').unwrap_or((key, ""));
    let (sub, name) = match rest.rsplit_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, rest),
    };
    let section = section.to_ascii_lowercase();
    let name = name.to_ascii_lowercase();
    let shell = Key::Command(Runs::Shell);
    match (section.as_str(), sub.is_some(), name.as_str()) {
        ("core", false, "hookspath") | ("hook", true, _) => Key::Hooks,
        ("include", false, "path") | ("includeif", true, "path") => Key::Include,
        ("core", false, "worktree") => Key::Worktree,
        ("alias", false, n) => Key::Alias(n.to_string()),
        // `alias.NAME` may also be spelled with a subsection (`alias.x.y` is the alias `x.y`
        // to no git version lanes knows of); kept as an alias that is never called.
        ("alias", true, _) => Key::Alias(rest.to_ascii_lowercase()),
        ("core", false, "editor") => Key::Editor { sequence: false },
        ("sequence", false, "editor") => Key::Editor { sequence: true },
        ("core", false, "pager") => shell,
        ("pager", _, _) => Key::Command(Runs::ShellOrBool),
        ("core", false, "fsmonitor") => Key::Command(Runs::ShellOrBool),
        ("credential", _, "helper") => Key::Command(Runs::Credential),
        ("submodule", true, "update") => Key::Command(Runs::Bang),
        ("diff", false, "external")
        | ("core", false, "sshcommand")
        | ("core", false, "askpass")
        | ("core", false, "gitproxy")
        | ("core", false, "alternaterefscommand")
        | ("uploadpack", false, "packobjectshook")
        | ("interactive", false, "difffilter")
        | ("gpg", _, "program")
        | ("gpg", true, "defaultkeycommand")
        | ("diff", true, "textconv" | "command")
        | ("filter", true, "clean" | "smudge" | "process")
        | ("merge", true, "driver")
        | ("remote", true, "uploadpack" | "receivepack")
        | ("difftool", true, "cmd" | "path")
        | ("mergetool", true, "cmd" | "path")
        | ("browser", true, "cmd" | "path")
        | ("man", true, "cmd" | "path")
        | ("web", false, "browser")
        | ("sendemail", _, "smtpserver" | "tocmd" | "cccmd" | "headercmd")
        | ("instaweb", false, "httpd") => shell,
        ("trace2", false, n) if n.ends_with("target") => Key::Trace,
        _ => Key::Plain,
    }
}

/// Configuration given for one git run: `(key, value)` in order; `unreadable` says why some
/// of it cannot be read (then any key may be set).
#[derive(Debug, Clone, Default)]
pub(super) struct Given {
    pub pairs: Vec<(String, Val)>,
    pub unreadable: Option<String>,
}

impl Given {
    /// Adds `-c KEY[=VALUE]` (a key alone is the boolean `true`).
    pub fn push_assignment(&mut self, kv: &Val) {
        match kv {
            Val::Known { text, .. } => match text.split_once('=') {
                Some((k, v)) => self.pairs.push((k.to_string(), known(v))),
                None => self.pairs.push((text.to_string(), known("true"))),
            },
            Val::Unknown { prefix } => match prefix.split_once('=') {
                Some((k, v)) => self.pairs.push((
                    k.to_string(),
                    Val::Unknown {
                        prefix: v.to_string(),
                    },
                )),
                None => self.unreadable = Some(format!("-c {prefix}…")),
            },
        }
    }

    /// Adds `--config-env=KEY=ENVVAR`: the value is the variable's.
    pub fn push_config_env(&mut self, kv: &Val, st: &State) {
        match kv.known().and_then(|t| t.split_once('=')) {
            Some((k, var)) => {
                let value = match st.var_text(var) {
                    Some(Some(v)) => known(v),
                    _ => Val::Unknown {
                        prefix: String::new(),
                    },
                };
                self.pairs.push((k.to_string(), value));
            }
            None => self.unreadable = Some(format!("--config-env={}", kv.text())),
        }
    }

    /// Reads `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_n` / `GIT_CONFIG_VALUE_n` and
    /// `GIT_CONFIG_PARAMETERS` from the variables set in the command.
    pub fn push_environment(&mut self, st: &State) {
        match st.var_text("GIT_CONFIG_COUNT") {
            None => {}
            Some(None) => self.unreadable = Some("GIT_CONFIG_COUNT".into()),
            Some(Some(n)) => match n.trim().parse::<usize>() {
                // More entries than a command can hold variables for cannot all be known.
                Ok(n) if n <= 64 => {
                    for i in 0..n {
                        let key = st.var_text(&format!("GIT_CONFIG_KEY_{i}"));
                        let value = st.var_text(&format!("GIT_CONFIG_VALUE_{i}"));
                        match (key, value) {
                            (Some(Some(k)), Some(Some(v))) => {
                                self.pairs.push((k.to_string(), known(v)))
                            }
                            (Some(Some(k)), _) => self.pairs.push((
                                k.to_string(),
                                Val::Unknown {
                                    prefix: String::new(),
                                },
                            )),
                            _ => self.unreadable = Some(format!("GIT_CONFIG_KEY_{i}")),
                        }
                    }
                }
                Ok(_) => self.unreadable = Some("GIT_CONFIG_COUNT".into()),
                Err(_) => {} // git refuses to run
            },
        }
        match st.var_text("GIT_CONFIG_PARAMETERS") {
            None => {}
            Some(Some(text)) => match parameters(text) {
                Some(pairs) => self
                    .pairs
                    .extend(pairs.into_iter().map(|(k, v)| (k, known(&v)))),
                None => self.unreadable = Some("GIT_CONFIG_PARAMETERS".into()),
            },
            Some(None) => self.unreadable = Some("GIT_CONFIG_PARAMETERS".into()),
        }
    }

    /// The values given for keys that `classify` as `want`, in order.
    pub fn of<'a>(&'a self, want: &'a Key) -> impl Iterator<Item = (&'a str, &'a Val)> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| classify(k) == *want)
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// `GIT_CONFIG_PARAMETERS`: shell-single-quoted words, `'key'='value'` or `'key=value'`,
/// separated by spaces. `None` when it does not read that way (git refuses it too).
fn parameters(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let first = quoted(&mut chars)?;
        if chars.peek() == Some(&'=') {
            chars.next();
            let value = quoted(&mut chars)?;
            out.push((first, value));
        } else {
            match first.split_once('=') {
                Some((k, v)) => out.push((k.to_string(), v.to_string())),
                None => out.push((first, "true".to_string())),
            }
        }
    }
}

/// One shell-single-quoted word (`'it'\''s'`), from its opening quote.
fn quoted(chars: &mut std::iter::Peekable<std::str::Chars>) -> Option<String> {
    let mut out = String::new();
    if chars.next()? != '\'' {
        return None;
    }
    loop {
        match chars.next()? {
            '\'' => {
                // `'\''`: an escaped quote inside the word.
                if chars.peek() == Some(&'\\') {
                    chars.next();
                    if chars.next()? != '\'' || chars.next()? != '\'' {
                        return None;
                    }
                    out.push('\'');
                } else {
                    return Some(out);
                }
            }
            c => out.push(c),
        }
    }
}

/// Splits an alias's value into words, as git's `split_cmdline` does (quotes and
/// backslashes); `None` when the quotes do not close.
pub(super) fn split_cmdline(text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (q, '\\') if q != Some('\'') => {
                cur.push(chars.next()?);
                in_word = true;
            }
            (_, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return None;
    }
    if in_word {
        out.push(cur);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_classified_case_insensitively_outside_subsections() {
        assert_eq!(classify("Core.HooksPath"), Key::Hooks);
        assert_eq!(classify("includeIf.gitdir:~/x.path"), Key::Include);
        assert_eq!(classify("alias.C"), Key::Alias("c".into()));
        assert_eq!(classify("filter.x.Smudge"), Key::Command(Runs::Shell));
        assert_eq!(classify("core.x.hooksPath"), Key::Plain);
        assert_eq!(classify("user.email"), Key::Plain);
        assert_eq!(classify("trace2.eventTarget"), Key::Trace);
    }

    // Checked against git 2.47: both forms are read, `'\''` is a quote.
    #[test]
    fn config_parameters_are_read_like_git() {
        assert_eq!(
            parameters("'core.hookspath'='/y' 'a.b=it'\\''s'"),
            Some(vec![
                ("core.hookspath".into(), "/y".into()),
                ("a.b".into(), "it's".into())
            ])
        );
        assert_eq!(parameters("'a.b"), None);
    }

    #[test]
    fn alias_values_split_like_git() {
        assert_eq!(
            split_cmdline("commit --no-verify -m 'a b'"),
            Some(vec![
                "commit".into(),
                "--no-verify".into(),
                "-m".into(),
                "a b".into()
            ])
        );
        assert_eq!(split_cmdline("x 'y"), None);
    }
}
