//! Lanes: pattern lists compiled for matching.
//!
//! Matching is delegated to the `ignore` crate's gitignore engine, which also makes a
//! directory match cover everything below it; a list of literal paths only (`src/`,
//! `Cargo.toml`, `**/.git`) is matched by hand ([`LiteralLane`]), which spares the engine's
//! regex compilation on every hook call.

use super::literal::{Hit, LiteralLane};
use super::pattern::{
    anchor, depth, depth_bit, first_component, head, scan, Head, PatternList, PatternRef, Scan,
};
use super::PolicyError;
use crate::path::RepoPath;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use std::cell::RefCell;
use std::path::Path;

/// A compiled pattern list.
#[derive(Debug)]
pub struct Lane {
    matcher: Matcher,
    /// The user's text of each pattern, keyed by the anchored form the matcher reports.
    originals: Vec<(String, String)>,
    /// A prefilter read from the positive patterns, or `None` when one starts with a
    /// wildcard: each pattern either names its literal first component (`src` for `src/`;
    /// patterns are anchored) or, after a leading `**/`, a literal component the path must
    /// hold somewhere (`.git` for `**/.git`). A path that meets neither cannot match, and
    /// [`Lane::find`] answers it without the matcher, which keeps judging big commits
    /// against many roles cheap.
    heads: Option<Vec<Box<[u8]>>>,
    /// Components required anywhere (from `**/NAME...` patterns); part of the prefilter.
    anywhere: Vec<Box<[u8]>>,
    /// The last directory whose parents were matched, and the answer (see [`Lane::find`]).
    last_dir: RefCell<Option<(Vec<u8>, Option<usize>)>>,
    /// Bit `n` set: some pattern (positive or negated) can match a path of `n` components
    /// (bit 63: 63 or more); `None` when a pattern can match at any depth (`**`, classes,
    /// alternatives). A pattern without those has as many components as the paths it
    /// matches, since `*` and `?` never cross `/`; a path at another depth can only be in
    /// the lane through a parent directory.
    depths: Option<u64>,
}

/// The engine behind a lane: by hand when every pattern is a literal path (see [`LiteralLane`]),
/// else the gitignore engine.
#[derive(Debug)]
enum Matcher {
    Literal(LiteralLane),
    Glob(Gitignore),
}

/// What a matcher says of one path (or of a directory and its parents).
enum Answer {
    /// No pattern matches.
    NoMatch,
    /// The last pattern that matches is a negation: the path is out of the lane.
    Out,
    /// The last pattern that matches puts the path in the lane: its index in `originals`.
    In(usize),
}

impl Lane {
    /// Compiles `patterns` (in policy order). `file` and `source` are the policy's, for errors.
    ///
    /// Errors: a pattern is not allowed (see [`super::pattern`]) or does not compile; named by
    /// the policy file, line and column.
    pub(super) fn compile<'p>(
        patterns: impl IntoIterator<Item = PatternRef<'p>>,
        file: &Path,
        source: &str,
    ) -> Result<Lane, PolicyError> {
        let patterns: Vec<PatternRef<'p>> = patterns.into_iter().collect();
        let mut originals = Vec::with_capacity(patterns.len());
        let mut heads = Some(Vec::new());
        let mut anywhere = Vec::new();
        let mut depths = Some(0u64);
        for p in &patterns {
            let anchored = anchor(p.text).map_err(|m| {
                PolicyError::at(
                    file,
                    source,
                    p.span.clone(),
                    format!("invalid pattern `{}`: {m}", p.text),
                )
            })?;
            depths = depths.and_then(|d| depth(&anchored).map(|n| d | depth_bit(n)));
            match (head(&anchored), heads.as_mut()) {
                (Head::Literal(h), Some(list)) => list.push(h.as_bytes().into()),
                (Head::Anywhere(h), _) => anywhere.push(h.as_bytes().into()),
                (Head::Wild, _) => heads = None,
                _ => {}
            }
            originals.push((anchored, p.text.to_string()));
        }
        let matcher = match LiteralLane::new(originals.iter().map(|(a, _)| a.as_str())) {
            Some(literals) => Matcher::Literal(literals),
            None => {
                let mut builder = GitignoreBuilder::new("");
                for ((anchored, text), p) in originals.iter().zip(&patterns) {
                    builder.add_line(None, anchored).map_err(|e| {
                        PolicyError::at(
                            file,
                            source,
                            p.span.clone(),
                            format!("invalid pattern `{text}`: {e}"),
                        )
                    })?;
                }
                Matcher::Glob(builder.build().map_err(|e| {
                    PolicyError::file(file, format!("cannot compile patterns: {e}"))
                })?)
            }
        };
        Ok(Lane {
            matcher,
            originals,
            heads,
            anywhere,
            last_dir: RefCell::new(None),
            depths,
        })
    }

    fn holds_anywhere(&self, path: &RepoPath) -> bool {
        let mut components = path
            .as_path()
            .as_os_str()
            .as_encoded_bytes()
            .split(|&b| b == b'/');
        !self.anywhere.is_empty() && components.any(|c| self.anywhere.iter().any(|a| **a == *c))
    }

    /// The pattern (as the user wrote it) that puts `path` in this lane, or `None` when no
    /// pattern matches or a later `!pattern` takes it out again. `is_dir` tells whether `path`
    /// is a directory, for patterns that end in `/`. The project root is in no lane.
    pub fn find(&self, path: &RepoPath, is_dir: bool) -> Option<&str> {
        self.find_index(path, is_dir)
            .map(|i| self.originals[i].1.as_str())
    }

    /// [`Lane::find`], as the index of the pattern in the list compiled.
    pub(super) fn find_index(&self, path: &RepoPath, is_dir: bool) -> Option<usize> {
        if path.is_root() {
            return None;
        }
        if let Some(heads) = &self.heads {
            let first = first_component(path);
            if !heads.iter().any(|h| **h == *first) && !self.holds_anywhere(path) {
                return None;
            }
        }
        // What `matched_path_or_any_parents` does, split in two: the path itself, then its
        // directory and that directory's parents, whose answer depends on the directory alone
        // and is remembered for the next path in the same directory.
        let p = path.as_path();
        let at_depth = match self.depths {
            Some(d) => {
                d & depth_bit(
                    p.as_os_str()
                        .as_encoded_bytes()
                        .iter()
                        .filter(|&&b| b == b'/')
                        .count()
                        + 1,
                ) != 0
            }
            None => true,
        };
        let direct = if at_depth {
            self.matched(p, is_dir)
        } else {
            Answer::NoMatch
        };
        match direct {
            Answer::NoMatch => self.in_parents(p),
            Answer::Out => None,
            Answer::In(i) => Some(i),
        }
    }

    /// The answer for `path` itself.
    fn matched(&self, path: &Path, is_dir: bool) -> Answer {
        match &self.matcher {
            Matcher::Literal(l) => {
                self.literal_answer(l.matched(path.as_os_str().as_encoded_bytes(), is_dir))
            }
            Matcher::Glob(g) => self.glob_answer(g.matched(path, is_dir)),
        }
    }

    /// The answer for the directory holding `path` and that directory's parents (index into
    /// `originals`), cached for the last directory asked. `path` is normalized, so its
    /// directory is the text before its last `/`.
    fn in_parents(&self, path: &Path) -> Option<usize> {
        let bytes = path.as_os_str().as_encoded_bytes();
        let dir_bytes = &bytes[..bytes.iter().rposition(|&b| b == b'/')?];
        let mut last = self.last_dir.borrow_mut();
        if let Some((d, answer)) = last.as_ref() {
            if d.as_slice() == dir_bytes {
                return *answer;
            }
        }
        let answer = match &self.matcher {
            Matcher::Literal(l) => self.literal_answer(l.matched_dir_or_any_parents(dir_bytes)),
            Matcher::Glob(g) => {
                self.glob_answer(g.matched_path_or_any_parents(path.parent()?, true))
            }
        };
        let answer = match answer {
            Answer::In(i) => Some(i),
            Answer::NoMatch | Answer::Out => None,
        };
        *last = Some((dir_bytes.to_vec(), answer));
        answer
    }

    fn literal_answer(&self, hit: Option<Hit>) -> Answer {
        match hit {
            None => Answer::NoMatch,
            Some(h) if h.negated => Answer::Out,
            // The first pattern with the same anchored text, as for the engine's globs.
            Some(h) => self.user_pattern(&self.originals[h.index].0),
        }
    }

    fn glob_answer(&self, m: Match<&ignore::gitignore::Glob>) -> Answer {
        match m {
            Match::None => Answer::NoMatch,
            Match::Whitelist(_) => Answer::Out,
            Match::Ignore(glob) => self.user_pattern(glob.original()),
        }
    }

    /// The index of the user's pattern behind an anchored line that puts a path in the lane.
    fn user_pattern(&self, anchored: &str) -> Answer {
        match self.originals.iter().position(|(a, _)| a == anchored) {
            Some(i) => Answer::In(i),
            None => Answer::Out,
        }
    }
}

/// The pattern of `patterns` that puts `path` in their lane, as the compiled lane's
/// [`Lane::find`] answers, compiling only the patterns that can bear on `path`: a pattern
/// matches a path (or a parent of it) only when each of its literal components is a component
/// of the path (see [`super::PatternList::may_hold`]), and one that cannot match leaves the
/// answer as it is, negation or not. For a role of fifty patterns that is one or none.
/// `None` when the whole list must be compiled (a pattern might not compile, so its error
/// must surface as it would).
pub(super) fn find_by_subset<'a>(
    list: &'a PatternList,
    path: &RepoPath,
    is_dir: bool,
    file: &Path,
    source: &str,
) -> Option<Result<Option<&'a str>, PolicyError>> {
    let components = super::pattern::components(path);
    let mut subset = Vec::new();
    for p in list.patterns() {
        match scan(p.text, &components, true) {
            Scan::MayFail => return None,
            Scan::MayHold => subset.push(p),
            Scan::CannotHold => {}
        }
    }
    if subset.is_empty() {
        return Some(Ok(None));
    }
    let texts: Vec<&'a str> = subset.iter().map(|p| p.text).collect();
    Some(
        Lane::compile(subset, file, source)
            .map(|lane| lane.find_index(path, is_dir).map(|i| texts[i])),
    )
}

/// True when every pattern is a literal path: such a list compiles without the glob engine,
/// for less than compiling the subset for one path costs.
pub(super) fn is_literal(list: &PatternList) -> bool {
    list.patterns()
        .all(|p| anchor(p.text).is_ok_and(|a| LiteralLane::new([a.as_str()]).is_some()))
}

#[cfg(test)]
mod tests {
    use super::super::pattern::{Pattern, PatternList};
    use super::*;

    fn lane(patterns: &[&str]) -> Lane {
        let ps = patterns
            .iter()
            .map(|t| Pattern {
                text: t.to_string(),
                span: None,
            })
            .collect::<Vec<_>>();
        Lane::compile(
            ps.iter().map(Pattern::borrowed),
            Path::new("lanes.toml"),
            "",
        )
        .unwrap()
    }

    fn rp(s: &str) -> RepoPath {
        RepoPath::new(Path::new(s)).unwrap()
    }

    macro_rules! matches {
        ($patterns:expr; $($path:expr => $want:expr),* $(,)?) => {{
            let l = lane(&$patterns);
            $( assert_eq!(l.find(&rp($path), false), $want, "{:?} on {}", $patterns, $path); )*
        }};
    }

    #[test]
    fn directory_pattern_covers_everything_below() {
        matches!(["src/"];
            "src/main.rs" => Some("src/"),
            "src/a/b/c.rs" => Some("src/"),
            "srcx/main.rs" => None,
            "lib/src/main.rs" => None,
            "src" => None,  // a file named `src` is not the directory
        );
    }

    #[test]
    fn every_pattern_is_anchored_at_the_root() {
        matches!(["package.json"];
            "package.json" => Some("package.json"),
            "web/package.json" => None,
            "package.json/x" => Some("package.json"),
        );
    }

    #[test]
    fn double_star_matches_at_any_depth_and_star_stays_in_one_directory() {
        matches!(["**/*.lock", "docs/*.md"];
            "Cargo.lock" => Some("**/*.lock"),
            "a/b/yarn.lock" => Some("**/*.lock"),
            "docs/a.md" => Some("docs/*.md"),
            "docs/sub/a.md" => None,
            "docs/a.txt" => None,
        );
    }

    #[test]
    fn question_mark_and_classes_as_in_gitignore() {
        matches!(["v?/", "[ab].txt"];
            "v1/x" => Some("v?/"),
            "v10/x" => None,
            "a.txt" => Some("[ab].txt"),
            "c.txt" => None,
        );
    }

    #[test]
    fn negation_takes_a_path_out_again() {
        matches!(["src/", "!src/generated/", "!src/secret.rs"];
            "src/main.rs" => Some("src/"),
            "src/generated/x.rs" => None,
            "src/secret.rs" => None,
        );
    }

    #[test]
    fn leading_slash_is_accepted_and_reported_as_written() {
        matches!(["/src/"]; "src/x" => Some("/src/"));
    }

    #[test]
    fn literal_heads_skip_the_matcher_without_changing_answers() {
        matches!(["src/", "docs/*.md", "!src/gen/"];
            "src/a" => Some("src/"),
            "docs/a.md" => Some("docs/*.md"),
            "srcs/a" => None,
            "x/src/a" => None,
            "src/gen/x" => None,
        );
        assert!(lane(&["src/", "doc?/"]).heads.is_none());
        assert!(lane(&["src/", "**/*.md"]).heads.is_none());
        assert!(
            !lane(&["src/", "**/x"]).anywhere.is_empty(),
            "a role with `**/x` may own any first component"
        );
        matches!(["lanes.toml", "**/.claude/", "**/.git"];
            "lanes.toml" => Some("lanes.toml"),
            "a/b/.git/config" => Some("**/.git"),
            ".git" => Some("**/.git"),
            "a/.gitx/y" => None,
            "src/.claude/settings.json" => Some("**/.claude/"),
            "src/main.rs" => None,
        );
        assert_eq!(
            lane(&["src/", "!x/", "a/b/c"])
                .heads
                .as_ref()
                .unwrap()
                .len(),
            2
        );
    }

    /// The prefilter and the per-directory cache never change an answer: compare with the
    /// matcher asked directly, over pattern sets and paths in an order that revisits
    /// directories.
    #[test]
    fn find_agrees_with_the_plain_matcher() {
        let sets: &[&[&str]] = &[
            &["src/", "!src/gen/", "src/gen/keep.rs"],
            &["**/.git", "**/.claude/", "lanes.toml", ".lanes/"],
            &["docs/*.md", "!docs/private.md", "a/b/c"],
            &["**/*.lock", "web/", "!web/**/dist/"],
            &["src", "src/x/"],
            &[
                "lane0/",
                "docs/role0/*.md",
                "!lane0/generated/",
                "lane0/sub/?.txt",
            ],
            &["a/*/c/", "!a/b/c/d", "x/[ab]/y"],
        ];
        let paths = [
            "src/a.rs",
            "src/gen/x.rs",
            "src/gen/keep.rs",
            "src/gen/y.rs",
            "src/a.rs",
            "src/x/y",
            "src/x",
            "docs/a.md",
            "docs/private.md",
            "docs/sub/a.md",
            "a/b/c/d",
            "a/b/cd",
            "web/app/dist/x.js",
            "web/app/src/x.js",
            "web/app/dist/y.js",
            "Cargo.lock",
            "x/yarn.lock",
            "x/.git/HEAD",
            ".git",
            "x/.claude/s.json",
            "x/.claude",
            "lanes.toml",
            ".lanes/audit.jsonl",
            "other/a",
            "lane0",
            "lane0/a",
            "lane0/generated/x",
            "lane0/sub/a.txt",
            "lane0/sub/ab.txt",
            "docs/role0/a.md",
            "docs/role0/x/a.md",
            "a/b/c",
            "a/b/c/d",
            "a/b/c/e",
            "a/x/c/d/e",
            "x/a/y",
            "x/a/y/z",
            "x/c/y",
        ];
        for set in sets {
            let l = lane(set);
            // The gitignore engine on the same lines, whichever matcher the lane chose.
            let mut builder = GitignoreBuilder::new("");
            for (anchored, _) in &l.originals {
                builder.add_line(None, anchored).unwrap();
            }
            let engine = builder.build().unwrap();
            for round in 0..2 {
                for p in paths.iter().chain(paths.iter().rev()) {
                    for is_dir in [false, true] {
                        let m = engine.matched_path_or_any_parents(Path::new(p), is_dir);
                        let want = if m.is_ignore() {
                            l.originals
                                .iter()
                                .find(|(a, _)| a == m.inner().unwrap().original())
                                .map(|(_, u)| u.as_str())
                        } else {
                            None
                        };
                        assert_eq!(
                            l.find(&rp(p), is_dir),
                            want,
                            "{set:?} on {p} (dir {is_dir}, round {round})"
                        );
                    }
                }
            }
        }
    }

    /// A list asked before it is compiled answers from the patterns that can bear on the
    /// path; it must answer as the whole compiled list does, negations included.
    #[test]
    fn find_on_the_patterns_that_bear_on_a_path_agrees_with_the_whole_lane() {
        let sets: &[&[&str]] = &[
            &["src/", "!src/gen/", "src/gen/keep.rs"],
            &[
                "area0/r1/",
                "docs/r1/t.md",
                "**/r1-2.lock",
                "pkg3/r1/*.json",
                "!area0/r1/vendor/",
            ],
            &["docs/*.md", "!docs/private.md", "a/b/c", "!**/c/d"],
            &["**/*.lock", "web/", "!web/**/dist/", "web/app/dist/keep/"],
            &["a/*/c/", "!a/b/c/d", "x/[ab]/y"],
            &["/src/", "!/src/x", "src/x/y/"],
        ];
        let paths = [
            "src/a.rs",
            "src/gen/x.rs",
            "src/gen/keep.rs",
            "src/x",
            "src/x/y/z",
            "area0/r1/a",
            "area0/r1/vendor/a",
            "docs/r1/t.md",
            "q/r1-2.lock",
            "pkg3/r1/a.json",
            "docs/a.md",
            "docs/private.md",
            "a/b/c",
            "a/b/c/d",
            "x/c/d",
            "web/app/dist/x.js",
            "web/app/dist/keep/x",
            "web/a",
            "Cargo.lock",
            "a/x/c/y",
            "x/a/y",
            "other",
        ];
        for set in sets {
            let whole = lane(set);
            let patterns: Vec<Pattern> = set
                .iter()
                .map(|t| Pattern {
                    text: t.to_string(),
                    span: None,
                })
                .collect();
            for p in paths {
                for is_dir in [false, true] {
                    let list = PatternList::new(patterns.clone());
                    let subset = find_by_subset(&list, &rp(p), is_dir, Path::new("l"), "");
                    // Classes may be malformed: such a list is compiled whole.
                    let whole_needed = set.iter().any(|t| t.contains('['));
                    assert_eq!(subset.is_none(), whole_needed, "{set:?} for {p}");
                    if let Some(got) = subset {
                        assert_eq!(
                            got.unwrap(),
                            whole.find(&rp(p), is_dir),
                            "{set:?} on {p} (dir {is_dir})"
                        );
                    }
                }
            }
        }
        let broken = [Pattern {
            text: "src/[z-a]".into(),
            span: None,
        }];
        assert!(
            find_by_subset(
                &PatternList::new(broken.to_vec()),
                &rp("docs/a"),
                false,
                Path::new("l"),
                ""
            )
            .is_none(),
            "a pattern that may not compile is compiled whole, so its error surfaces, for any path"
        );
    }

    #[test]
    fn pattern_depths() {
        let d = |p: &str| depth(&anchor(p).unwrap());
        assert_eq!(d("src/"), Some(1));
        assert_eq!(d("/docs/*.md"), Some(2));
        assert_eq!(d("!a/b/"), Some(2));
        assert_eq!(d("a/b/c"), Some(3));
        assert_eq!(d("**/x"), None);
        assert_eq!(d("a/**"), None);
        assert_eq!(d("a/[bc]"), None);
        assert_eq!(d("a/{b,c/d}"), None);
    }

    #[test]
    fn root_is_in_no_lane() {
        assert_eq!(lane(&["**"]).find(&rp(""), true), None);
    }

    #[test]
    fn may_hold_is_a_necessary_condition_for_find() {
        let patterns = [
            "src/",
            "/src/",
            "package.json",
            "docs/*.md",
            "**/*.lock",
            "**/gen/",
            "a/**/b/c.txt",
            "v?/",
            "[ab].txt",
            "src/",
            "!src/vendor/",
            "x y/",
            "caf\u{e9}/",
            "{a,b}/",
            "\\#x",
            "r000-1.lock",
            "**",
            "deep/er/still/",
            "docs/r000/topic1.md",
            "pkg3/r000/*.json",
        ];
        let paths = [
            "src/main.rs",
            "src",
            "srcx/a",
            "lib/src/a",
            "package.json",
            "package.json/x",
            "web/package.json",
            "docs/a.md",
            "docs/sub/a.md",
            "Cargo.lock",
            "a/b/yarn.lock",
            "x/gen/y",
            "gen/y",
            "a/b/c.txt",
            "a/x/y/b/c.txt",
            "a/b/c.txt/d",
            "v1/x",
            "a.txt",
            "c.txt",
            "src/vendor/x",
            "x y/z",
            "caf\u{e9}/z",
            "a/z",
            "#x",
            "q/r000-1.lock",
            "deep/er/still/z",
            "deep/er/z",
            "docs/r000/topic1.md",
            "pkg3/r000/a.json",
            "pkg3/r001/a.json",
        ];
        let invalid = ["", "!", "#x", "/", "a/../b", "src/[z-a]", "src/{a", "x/\\"];
        for pattern in patterns.into_iter().chain(invalid) {
            let ps = vec![Pattern {
                text: pattern.into(),
                span: None,
            }];
            let list = PatternList::new(ps.clone());
            let Ok(compiled) = Lane::compile(ps.iter().map(Pattern::borrowed), Path::new("l"), "")
            else {
                // A list that does not compile is never skipped: its error must surface.
                for path in paths {
                    assert!(
                        list.may_hold(&rp(path)),
                        "{pattern:?} fails to compile but is skipped for {path:?}"
                    );
                }
                continue;
            };
            for path in paths {
                for is_dir in [false, true] {
                    if compiled.find(&rp(path), is_dir).is_some() {
                        assert!(
                            list.may_hold(&rp(path)),
                            "{pattern:?} holds {path:?} but may_hold says no"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn may_hold_rules_out_lanes_by_their_literal_components() {
        let list = |ps: &[&str]| {
            PatternList::new(
                ps.iter()
                    .map(|t| Pattern {
                        text: t.to_string(),
                        span: None,
                    })
                    .collect(),
            )
        };
        let team = list(&[
            "area0/r000/",
            "docs/r000/topic1.md",
            "**/r000-2.lock",
            "pkg3/r000/*.json",
            "!area0/r000/vendor/",
        ]);
        assert!(team.may_hold(&rp("area0/r000/src/lib.rs")));
        assert!(team.may_hold(&rp("x/y/r000-2.lock")));
        assert!(!team.may_hold(&rp("area0/r001/src/lib.rs")));
        assert!(!team.may_hold(&rp("docs/r001/topic1.md")));
        // Only negations: nothing can be in the lane.
        assert!(!list(&["!area0/"]).may_hold(&rp("area0/x")));
        // A pattern without literal components may match anything.
        assert!(list(&["**/*.lock"]).may_hold(&rp("anything/at/all")));
        assert!(list(&["*/x"]).may_hold(&rp("a/x")));
    }

    #[test]
    fn bad_patterns_are_errors_with_position() {
        let src = "[roles.b]\nwrite = [\"./src\"]\n";
        let at = src.find("\"./src\"").unwrap();
        let ps = [Pattern {
            text: "./src".into(),
            span: Some(at..at + 7),
        }];
        let e = Lane::compile(
            ps.iter().map(Pattern::borrowed),
            Path::new("lanes.toml"),
            src,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "lanes.toml:2:10: roles.b.write: invalid pattern `./src`: patterns are anchored at the project root and may not contain `.` or `..` components"
        );
        for bad in [
            "",
            "!",
            "#x",
            "/",
            "a/../b",
            "src/[z-a]",
            "src ",
            " src/",
            "!src/ ",
        ] {
            let ps = [Pattern {
                text: bad.into(),
                span: None,
            }];
            assert!(
                Lane::compile(ps.iter().map(Pattern::borrowed), Path::new("l"), "").is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
