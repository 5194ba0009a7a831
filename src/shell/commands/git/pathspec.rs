//! Pathspecs: what a path operand of git selects once its magic is read.
//!
//! Without magic a pathspec is relative to git's working directory and is a pattern when it
//! has `*`, `?`, `[` or `\` (`*` also matches `/`). Magic comes first: `:(top,glob,...)rest`
//! in long form, or short `:/` (top), `:!` / `:^` (exclude). Checked against git 2.47: from
//! `src/`, `:(top)research` and `:/research` name `research`; `:(icase)A` matches `src/a`
//! but not `SRC/a` (the working directory's prefix is matched exactly), while
//! `:(icase)../X` loses that prefix; a list of exclusions alone (`:!a`) means the whole
//! worktree, from the top. `--literal-pathspecs` turns magic and patterns off.

use crate::shell::expand::Val;

/// How every pathspec of one git run is read (`--literal-pathspecs`, `--glob-pathspecs`,
/// `--noglob-pathspecs`, `--icase-pathspecs` and their `GIT_*_PATHSPECS` variables).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Mode {
    pub literal: bool,
    pub glob: bool,
    pub noglob: bool,
    pub icase: bool,
}

/// What one pathspec selects, relative to git's working directory, or to the top of the
/// worktree when `top` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Spec {
    /// A path; a directory selects everything below it.
    Path { rel: String, top: bool },
    /// The paths a pattern matches: all lie below the literal directory `dir`.
    Pattern { dir: String, top: bool },
    /// Paths matched regardless of case: all lie below the part of the start directory that
    /// `rel` does not climb out of (that part is matched exactly).
    Icase { rel: String, top: bool },
    /// An exclusion: it takes paths away, and a list of exclusions alone selects the whole
    /// worktree.
    Exclude,
    /// Any path of the worktree: magic lanes does not read, or a value that may hold magic.
    Anywhere,
    /// A path known only up to the literal `prefix` (no magic: it does not start with `:`).
    Partial { prefix: String },
}

/// Reads one pathspec operand.
pub(super) fn parse(v: &Val, mode: Mode) -> Spec {
    let text = match v {
        Val::Unknown { prefix } => {
            return if prefix.is_empty() || (prefix.starts_with(':') && !mode.literal) {
                Spec::Anywhere
            } else {
                Spec::Partial {
                    prefix: literal_part(prefix, mode.literal).to_string(),
                }
            };
        }
        // An unquoted glob the shell did not expand reaches git as a pattern.
        Val::Known { text, glob: true } => {
            return Spec::Pattern {
                dir: dir_of(literal_part(text, false)).to_string(),
                top: false,
            }
        }
        Val::Known { text, .. } => &**text,
    };
    if mode.literal {
        return Spec::Path {
            rel: text.to_string(),
            top: false,
        };
    }
    let mut top = false;
    let mut exclude = false;
    let mut literal = false;
    let mut glob = mode.glob;
    let mut icase = mode.icase;
    let rest = if let Some(long) = text.strip_prefix(":(") {
        let Some((magic, rest)) = long.split_once(')') else {
            return Spec::Anywhere; // git refuses it; lanes does not guess
        };
        for word in magic.split(',') {
            match word.trim() {
                "top" => top = true,
                "exclude" => exclude = true,
                "literal" => literal = true,
                "glob" => glob = true,
                "icase" => icase = true,
                // Attributes only narrow what the pattern matches.
                w if w.starts_with("attr:") => {}
                "" => {}
                _ => return Spec::Anywhere,
            }
        }
        rest
    } else if let Some(short) = text.strip_prefix(':') {
        let mut end = short.len();
        for (i, c) in short.char_indices() {
            match c {
                ':' => {
                    end = i + 1;
                    break;
                }
                '/' => top = true,
                '!' | '^' => exclude = true,
                c if c.is_ascii() && !c.is_ascii_alphanumeric() && !"*?[\\".contains(c) => {
                    return Spec::Anywhere; // a mnemonic git does not know
                }
                _ => {
                    end = i;
                    break;
                }
            }
        }
        &short[end.min(short.len())..]
    } else {
        text
    };
    if exclude {
        return Spec::Exclude;
    }
    if icase {
        return Spec::Icase {
            rel: rest.to_string(),
            top,
        };
    }
    let pattern = !literal && (glob || !mode.noglob) && rest.contains(['*', '?', '[', '\\']);
    if pattern {
        return Spec::Pattern {
            dir: dir_of(literal_part(rest, false)).to_string(),
            top,
        };
    }
    Spec::Path {
        rel: rest.to_string(),
        top,
    }
}

/// `text` up to its first pattern character (all of it when `literal`).
fn literal_part(text: &str, literal: bool) -> &str {
    if literal {
        return text;
    }
    match text.find(['*', '?', '[', '\\']) {
        Some(i) => &text[..i],
        None => text,
    }
}

/// The directory part of a literal prefix (`docs/a` -> `docs`, `d` -> ``).
fn dir_of(prefix: &str) -> &str {
    match prefix.rfind('/') {
        Some(i) => &prefix[..i],
        None => "",
    }
}

/// How many directories above its start `rel` climbs at most (`../x` 1, `a/../../b` 1).
pub(super) fn climbs(rel: &str) -> usize {
    let mut depth: isize = 0;
    let mut lowest: isize = 0;
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                depth -= 1;
                lowest = lowest.min(depth);
            }
            _ => depth += 1,
        }
    }
    lowest.unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(s: &str) -> Val {
        Val::Known {
            text: s.to_string().into(),
            glob: false,
        }
    }

    fn path(rel: &str, top: bool) -> Spec {
        Spec::Path {
            rel: rel.into(),
            top,
        }
    }

    #[test]
    fn magic_is_read_like_git() {
        let m = Mode::default();
        assert_eq!(parse(&known(":(top)research"), m), path("research", true));
        assert_eq!(parse(&known(":/research"), m), path("research", true));
        assert_eq!(parse(&known(":/"), m), path("", true));
        assert_eq!(parse(&known(":/:x"), m), path("x", true));
        assert_eq!(parse(&known(":!a"), m), Spec::Exclude);
        assert_eq!(parse(&known(":^a"), m), Spec::Exclude);
        assert_eq!(parse(&known(":/!a"), m), Spec::Exclude);
        assert_eq!(parse(&known(":(exclude)a"), m), Spec::Exclude);
        assert_eq!(
            parse(&known(":(top,glob)docs/**/*.md"), m),
            Spec::Pattern {
                dir: "docs".into(),
                top: true
            }
        );
        assert_eq!(
            parse(&known("d*"), m),
            Spec::Pattern {
                dir: "".into(),
                top: false
            }
        );
        assert_eq!(parse(&known(":(literal)d*"), m), path("d*", false));
        assert_eq!(
            parse(&known(":(icase)../DOCS"), m),
            Spec::Icase {
                rel: "../DOCS".into(),
                top: false
            }
        );
        assert_eq!(parse(&known(":(nosuch)x"), m), Spec::Anywhere);
        assert_eq!(parse(&known(":.x"), m), Spec::Anywhere);
        assert_eq!(parse(&known(":docs"), m), path("docs", false));
        let literal = Mode { literal: true, ..m };
        assert_eq!(parse(&known(":/docs"), literal), path(":/docs", false));
        assert_eq!(
            parse(
                &Val::Unknown {
                    prefix: String::new()
                },
                m
            ),
            Spec::Anywhere
        );
        assert_eq!(climbs("../x"), 1);
        assert_eq!(climbs("a/../../b/../.."), 2);
        assert_eq!(climbs("a/b"), 0);
    }
}
