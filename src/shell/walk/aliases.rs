//! Aliases: a command whose name is an alias runs the alias's text too.

use super::{State, Stdin, Walker};
use crate::shell::ast::Simple;
use crate::shell::commands;
use crate::shell::expand::Val;

impl Walker<'_> {
    /// Runs the command `args` (whose words as written are `s.words`), and, when its name
    /// is an alias, the alias's text too: aliases may be on (`shopt -s expand_aliases`,
    /// `bash -i`, the user's shell snapshot), and an alias is only text.
    pub(super) fn with_aliases(
        &mut self,
        s: &Simple,
        st: &mut State,
        args: &[Val],
        stdin: Option<Stdin>,
    ) {
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
            commands::run(self, st, args, stdin);
            return;
        };
        let mut aliased = st.clone();
        commands::run(self, st, args, stdin.clone());
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
                commands::opaque_named(self, st, &program, args);
            }
        }
    }
}

/// True for a word that is a bare name as written (no quotes, escapes or expansions): the
/// only form bash looks up as an alias.
pub(super) fn is_plain_name(w: &str) -> bool {
    !w.is_empty()
        && w.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'_' | b'-' | b'.' | b'+' | b'@' | b'%' | b':' | b',')
        })
}
