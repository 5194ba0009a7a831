//! Lanes whose patterns are all literal paths, matched without the glob engine.
//!
//! Most lanes are plain paths: `src/`, `Cargo.toml`, `!src/generated/`, and the built-in
//! `**/.git` and `**/.claude/`. Building the gitignore engine for them costs more than the
//! rest of a hook call's decision (glob translation, regex compilation, and a thread-count
//! probe of `/proc` and cgroup files for its match pool). [`LiteralLane`] answers exactly as the
//! gitignore engine would for such lists, which the tests check against it.

/// One literal pattern line in anchored form (see `lane::anchor`).
#[derive(Debug)]
struct Literal {
    /// The path without `!`, the leading `/`, a leading `**/`, or a trailing `/`.
    body: Box<[u8]>,
    /// It began with `**/`: it matches `body` at any depth.
    anywhere: bool,
    /// It ended in `/`: it matches directories only.
    dir_only: bool,
    /// It began with `!`: a match takes the path out of the lane.
    negated: bool,
}

/// A pattern list in which every pattern is literal, in policy order.
#[derive(Debug)]
pub(super) struct LiteralLane(Vec<Literal>);

/// How a path matched: the index of the last pattern that matched it, and whether that
/// pattern is a negation (gitignore's "whitelist").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hit {
    pub index: usize,
    pub negated: bool,
}

impl LiteralLane {
    /// The list, or `None` when some line is not literal. A literal line is an anchored
    /// gitignore line (`/body`, `!/body`, optionally `/**/body`, optionally ending in `/`)
    /// whose body's components are non-empty, not `.` or `..`, and made of plain bytes only
    /// (letters, digits, `-_.+@%=,~:` and non-ASCII): no glob syntax, escapes or spaces.
    pub(super) fn new<'a>(anchored: impl IntoIterator<Item = &'a str>) -> Option<LiteralLane> {
        anchored
            .into_iter()
            .map(Literal::parse)
            .collect::<Option<Vec<_>>>()
            .map(LiteralLane)
    }

    /// What gitignore's `matched(path, is_dir)` answers: the last pattern that matches the
    /// normalized relative `path` itself (a directory-only pattern only when `is_dir`).
    pub(super) fn matched(&self, path: &[u8], is_dir: bool) -> Option<Hit> {
        self.0
            .iter()
            .enumerate()
            .rev()
            .find(|(_, l)| (is_dir || !l.dir_only) && l.matches(path))
            .map(|(index, l)| Hit {
                index,
                negated: l.negated,
            })
    }

    /// What gitignore's `matched_path_or_any_parents(path, true)` answers: the first of
    /// `path` and its parents, nearest first, that some pattern matches.
    pub(super) fn matched_dir_or_any_parents(&self, path: &[u8]) -> Option<Hit> {
        let mut dir = path;
        loop {
            if let Some(hit) = self.matched(dir, true) {
                return Some(hit);
            }
            dir = &dir[..dir.iter().rposition(|&b| b == b'/')?];
        }
    }
}

impl Literal {
    fn parse(anchored: &str) -> Option<Literal> {
        let (negated, line) = match anchored.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, anchored),
        };
        let line = line.strip_prefix('/')?;
        let (anywhere, line) = match line.strip_prefix("**/") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let (dir_only, body) = match line.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let plain = |c: &[u8]| {
            !c.is_empty()
                && c != b"."
                && c != b".."
                && c.iter().all(|&b| {
                    b.is_ascii_alphanumeric()
                        || b >= 0x80
                        || matches!(
                            b,
                            b'-' | b'_' | b'.' | b'+' | b'@' | b'%' | b'=' | b',' | b'~' | b':'
                        )
                })
        };
        if !body.as_bytes().split(|&b| b == b'/').all(plain) {
            return None;
        }
        Some(Literal {
            body: body.as_bytes().into(),
            anywhere,
            dir_only,
            negated,
        })
    }

    /// The path is the body, or (after `**/`) ends in `/` and the body.
    fn matches(&self, path: &[u8]) -> bool {
        match path.strip_suffix(&*self.body) {
            Some(rest) => rest.is_empty() || (self.anywhere && rest.ends_with(b"/")),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ignore::gitignore::{Gitignore, GitignoreBuilder};
    use ignore::Match;
    use proptest::prelude::*;
    use std::path::Path;

    fn engine(lines: &[String]) -> Gitignore {
        let mut b = GitignoreBuilder::new("");
        for l in lines {
            b.add_line(None, l).unwrap();
        }
        b.build().unwrap()
    }

    /// The engine's answer as a `Hit`: the first line with the matched glob's text (which is
    /// how the lane maps a glob back to its pattern).
    fn hit(lines: &[String], m: Match<&ignore::gitignore::Glob>) -> Option<Hit> {
        let glob = m.inner()?;
        let index = lines.iter().position(|l| l == glob.original())?;
        Some(Hit {
            index,
            negated: m.is_whitelist(),
        })
    }

    /// The literal answer with the index moved to the first line of the same text.
    fn first_of_same(lines: &[String], h: Option<Hit>) -> Option<Hit> {
        h.map(|h| Hit {
            index: lines.iter().position(|l| *l == lines[h.index]).unwrap(),
            ..h
        })
    }

    #[test]
    fn only_literal_lines_are_taken() {
        for line in [
            "/src/",
            "!/src/gen/",
            "/**/.git",
            "/**/.claude/",
            "/a/b.c",
            "/é/x",
        ] {
            assert!(LiteralLane::new([line]).is_some(), "{line}");
        }
        for line in [
            "src/",
            "/src/*.rs",
            "/a?",
            "/[ab]",
            "/{a,b}",
            "/a\\b",
            "/a b",
            "/a/**",
            "/**",
            "/a//b",
            "/./a",
            "/a/..",
            "/**/**/a",
            "/a/**/b",
        ] {
            assert!(LiteralLane::new([line]).is_none(), "{line}");
        }
    }

    #[test]
    fn directory_only_and_anywhere_lines() {
        let l = LiteralLane::new(["/src/", "/**/.git", "!/src/gen/"]).unwrap();
        assert_eq!(l.matched(b"src", false), None);
        assert_eq!(l.matched(b"src", true).map(|h| h.index), Some(0));
        assert_eq!(l.matched(b"a/b/.git", false).map(|h| h.index), Some(1));
        assert_eq!(l.matched(b"a/x.git", false), None);
        let gen = l.matched_dir_or_any_parents(b"src/gen/x").unwrap();
        assert_eq!((gen.index, gen.negated), (2, true));
        assert_eq!(
            l.matched_dir_or_any_parents(b"src/lib").map(|h| h.index),
            Some(0)
        );
    }

    fn component() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "src", "gen", ".git", "x.rs", "a.b"])
            .prop_map(str::to_string)
    }

    fn line() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(component(), 1..4),
            any::<bool>(),
        )
            .prop_map(|(neg, anywhere, parts, dir)| {
                format!(
                    "{}/{}{}{}",
                    if neg { "!" } else { "" },
                    if anywhere { "**/" } else { "" },
                    parts.join("/"),
                    if dir { "/" } else { "" }
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn answers_as_the_gitignore_engine_does(
            lines in prop::collection::vec(line(), 1..6),
            path in prop::collection::vec(component(), 1..5),
            is_dir in any::<bool>(),
        ) {
            let path = path.join("/");
            let literals = LiteralLane::new(lines.iter().map(String::as_str)).unwrap();
            let gi = engine(&lines);
            prop_assert_eq!(
                first_of_same(&lines, literals.matched(path.as_bytes(), is_dir)),
                hit(&lines, gi.matched(Path::new(&path), is_dir))
            );
            prop_assert_eq!(
                first_of_same(&lines, literals.matched_dir_or_any_parents(path.as_bytes())),
                hit(&lines, gi.matched_path_or_any_parents(Path::new(&path), true))
            );
        }
    }
}
