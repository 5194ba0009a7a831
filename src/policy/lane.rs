//! Lanes: sets of gitignore patterns anchored at the project root.
//!
//! A pattern is written in gitignore syntax, but lanes anchors every pattern at the root as if
//! it began with `/`, because a security tool must not grant more than it says: `src/` is the
//! root's `src` directory and everything below it, never `lib/src/`. `**/` still matches at
//! any depth, `*` never crosses `/`, and a later `!pattern` takes a path out again. Matching
//! is delegated to the `ignore` crate's gitignore engine, which also makes a directory match
//! cover everything below it.

use super::PolicyError;
use crate::path::RepoPath;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use std::cell::{OnceCell, RefCell};
use std::ops::Range;
use std::path::Path;

/// One pattern as written in the policy, with where it was written.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The text as the user wrote it (`src/`, `!src/gen/`).
    pub text: String,
    /// Byte range in the policy source; `None` for built-in patterns.
    pub span: Option<Range<usize>>,
}

/// An ordered list of patterns, compiled on first use. The hook compiles only what a decision
/// needs (the acting role's lane, the shared and protected lists), so a policy with hundreds
/// of roles costs little per tool call.
#[derive(Debug, Default)]
pub struct PatternList {
    patterns: Vec<Pattern>,
    compiled: OnceCell<Result<Lane, PolicyError>>,
}

/// A compiled pattern list.
#[derive(Debug)]
pub struct Lane {
    matcher: Gitignore,
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

impl PatternList {
    /// A list from patterns in policy order.
    pub fn new(patterns: Vec<Pattern>) -> PatternList {
        PatternList {
            patterns,
            compiled: OnceCell::new(),
        }
    }

    /// The patterns as written.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// True when the list has no pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The compiled lane. Errors name the policy file, line and column of the bad pattern;
    /// the same error is returned on every call.
    pub fn lane(&self, file: &Path, source: &str) -> Result<&Lane, PolicyError> {
        self.compiled
            .get_or_init(|| Lane::compile(&self.patterns, file, source))
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl Lane {
    fn compile(patterns: &[Pattern], file: &Path, source: &str) -> Result<Lane, PolicyError> {
        let mut builder = GitignoreBuilder::new("");
        let mut originals = Vec::with_capacity(patterns.len());
        let mut heads = Some(Vec::new());
        let mut anywhere = Vec::new();
        let mut depths = Some(0u64);
        for p in patterns {
            let err = |msg: String| PolicyError::at(file, source, p.span.clone(), msg);
            let anchored =
                anchor(&p.text).map_err(|m| err(format!("invalid pattern `{}`: {m}", p.text)))?;
            builder
                .add_line(None, &anchored)
                .map_err(|e| err(format!("invalid pattern `{}`: {e}", p.text)))?;
            depths = depths.and_then(|d| depth(&anchored).map(|n| d | depth_bit(n)));
            match (head(&anchored), heads.as_mut()) {
                (Head::Literal(h), Some(list)) => list.push(h.as_bytes().into()),
                (Head::Anywhere(h), _) => anywhere.push(h.as_bytes().into()),
                (Head::Wild, _) => heads = None,
                _ => {}
            }
            originals.push((anchored, p.text.clone()));
        }
        let matcher = builder.build().map_err(|e| PolicyError::file(file, format!("cannot compile patterns: {e}")))?;
        Ok(Lane { matcher, originals, heads, anywhere, last_dir: RefCell::new(None), depths })
    }

    /// The literal first components of the positive patterns, `None` when any pattern may
    /// match paths under any first component. A path whose first component is not listed is
    /// in no pattern of this lane.
    pub fn heads(&self) -> Option<&[Box<[u8]>]> {
        if self.anywhere.is_empty() {
            self.heads.as_deref()
        } else {
            None
        }
    }

    fn holds_anywhere(&self, path: &RepoPath) -> bool {
        let mut components = path.as_path().as_os_str().as_encoded_bytes().split(|&b| b == b'/');
        !self.anywhere.is_empty() && components.any(|c| self.anywhere.iter().any(|a| **a == *c))
    }

    /// The pattern (as the user wrote it) that puts `path` in this lane, or `None` when no
    /// pattern matches or a later `!pattern` takes it out again. `is_dir` tells whether `path`
    /// is a directory, for patterns that end in `/`. The project root is in no lane.
    pub fn find(&self, path: &RepoPath, is_dir: bool) -> Option<&str> {
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
            Some(d) => d & depth_bit(p.as_os_str().as_encoded_bytes().iter().filter(|&&b| b == b'/').count() + 1) != 0,
            None => true,
        };
        let direct = if at_depth { self.matcher.matched(p, is_dir) } else { Match::None };
        let found = match direct {
            Match::None => self.in_parents(p),
            m => self.user_pattern(m),
        };
        found.map(|i| self.originals[i].1.as_str())
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
        let answer = self.user_pattern(self.matcher.matched_path_or_any_parents(path.parent()?, true));
        *last = Some((dir_bytes.to_vec(), answer));
        answer
    }

    /// The index of the user's pattern behind a match that puts a path in the lane.
    fn user_pattern(&self, m: Match<&ignore::gitignore::Glob>) -> Option<usize> {
        if !m.is_ignore() {
            return None;
        }
        let anchored = m.inner()?.original();
        self.originals.iter().position(|(a, _)| a == anchored)
    }
}

/// The first component of a normalized path, as bytes (`src` for `src/a/b`).
pub fn first_component(path: &RepoPath) -> &[u8] {
    let bytes = path.as_path().as_os_str().as_encoded_bytes();
    bytes.split(|&b| b == b'/').next().unwrap_or(bytes)
}

fn depth_bit(components: usize) -> u64 {
    1 << components.min(63)
}

/// How many components the paths an anchored pattern line matches have, or `None` when it
/// can match at several depths.
fn depth(anchored: &str) -> Option<usize> {
    let body = anchored.trim_start_matches('!').trim_start_matches('/');
    let body = if body.ends_with("\\ ") { body } else { body.trim_end() };
    let body = body.strip_suffix('/').unwrap_or(body);
    if body.is_empty() || body.contains("**") || body.contains(['[', ']', '{', '}', '\\']) {
        return None;
    }
    Some(body.split('/').count())
}

enum Head<'a> {
    /// A negation: it only takes paths out, so it cannot make a path match.
    Negation,
    /// The pattern's first component is this literal text.
    Literal(&'a str),
    /// The pattern is `**/` then this literal component: the path must hold it somewhere.
    Anywhere(&'a str),
    /// The first component holds a wildcard, class, alternative or escape.
    Wild,
}

/// The first component of an anchored pattern line, read as the gitignore engine reads it
/// (trailing spaces trimmed unless escaped).
fn head(anchored: &str) -> Head<'_> {
    let Some(body) = anchored.strip_prefix('/') else { return Head::Negation };
    let body = if body.ends_with("\\ ") { body } else { body.trim_end() };
    let literal = |c: &str| !c.is_empty() && !c.contains(['*', '?', '[', ']', '{', '}', '\\']);
    let mut parts = body.split('/');
    match parts.next().unwrap_or("") {
        first if literal(first) => Head::Literal(first),
        "**" => match parts.next() {
            Some(next) if literal(next) => Head::Anywhere(next),
            _ => Head::Wild,
        },
        _ => Head::Wild,
    }
}

/// Rewrites a user pattern into an anchored gitignore line, or says why it is not allowed.
fn anchor(pattern: &str) -> Result<String, &'static str> {
    let (neg, body) = match pattern.strip_prefix('!') {
        Some(body) => ("!", body),
        None => ("", pattern),
    };
    if body.trim().is_empty() {
        return Err("empty pattern");
    }
    // gitignore trims trailing spaces, so `"src "` would silently mean `src`; say so instead.
    if body.trim() != body {
        return Err("leading or trailing white space; remove it (file names with spaces at their ends are not supported)");
    }
    if neg.is_empty() && body.starts_with('#') {
        return Err("`#` starts a comment in gitignore syntax; write `\\#` for a literal #");
    }
    let trimmed = body.trim_start_matches('/');
    if trimmed.is_empty() {
        return Err("`/` alone matches nothing; write `**` for the whole project");
    }
    if trimmed.split('/').any(|c| c == "." || c == "..") {
        return Err(
            "patterns are anchored at the project root and may not contain `.` or `..` components",
        );
    }
    Ok(format!("{neg}/{trimmed}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(patterns: &[&str]) -> Lane {
        let ps = patterns
            .iter()
            .map(|t| Pattern {
                text: t.to_string(),
                span: None,
            })
            .collect::<Vec<_>>();
        Lane::compile(&ps, Path::new("lanes.toml"), "").unwrap()
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
        assert!(lane(&["src/", "**/x"]).heads().is_none(), "a role with `**/x` may own any first component");
        matches!(["lanes.toml", "**/.claude/", "**/.git"];
            "lanes.toml" => Some("lanes.toml"),
            "a/b/.git/config" => Some("**/.git"),
            ".git" => Some("**/.git"),
            "a/.gitx/y" => None,
            "src/.claude/settings.json" => Some("**/.claude/"),
            "src/main.rs" => None,
        );
        assert_eq!(lane(&["src/", "!x/", "a/b/c"]).heads.as_ref().unwrap().len(), 2);
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
            &["lane0/", "docs/role0/*.md", "!lane0/generated/", "lane0/sub/?.txt"],
            &["a/*/c/", "!a/b/c/d", "x/[ab]/y"],
        ];
        let paths = [
            "src/a.rs", "src/gen/x.rs", "src/gen/keep.rs", "src/gen/y.rs", "src/a.rs", "src/x/y", "src/x",
            "docs/a.md", "docs/private.md", "docs/sub/a.md", "a/b/c/d", "a/b/cd", "web/app/dist/x.js",
            "web/app/src/x.js", "web/app/dist/y.js", "Cargo.lock", "x/yarn.lock", "x/.git/HEAD", ".git",
            "x/.claude/s.json", "x/.claude", "lanes.toml", ".lanes/audit.jsonl", "other/a",
            "lane0", "lane0/a", "lane0/generated/x", "lane0/sub/a.txt", "lane0/sub/ab.txt", "docs/role0/a.md",
            "docs/role0/x/a.md", "a/b/c", "a/b/c/d", "a/b/c/e", "a/x/c/d/e", "x/a/y", "x/a/y/z", "x/c/y",
        ];
        for set in sets {
            let l = lane(set);
            for round in 0..2 {
                for p in paths.iter().chain(paths.iter().rev()) {
                    for is_dir in [false, true] {
                        let m = l.matcher.matched_path_or_any_parents(Path::new(p), is_dir);
                        let want = if m.is_ignore() {
                            l.originals.iter().find(|(a, _)| a == m.inner().unwrap().original()).map(|(_, u)| u.as_str())
                        } else {
                            None
                        };
                        assert_eq!(l.find(&rp(p), is_dir), want, "{set:?} on {p} (dir {is_dir}, round {round})");
                    }
                }
            }
        }
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
    fn bad_patterns_are_errors_with_position() {
        let src = "[roles.b]\nwrite = [\"./src\"]\n";
        let at = src.find("\"./src\"").unwrap();
        let ps = vec![Pattern {
            text: "./src".into(),
            span: Some(at..at + 7),
        }];
        let e = Lane::compile(&ps, Path::new("lanes.toml"), src).unwrap_err();
        assert_eq!(
            e.to_string(),
            "lanes.toml:2:10: roles.b.write: invalid pattern `./src`: patterns are anchored at the project root and may not contain `.` or `..` components"
        );
        for bad in ["", "!", "#x", "/", "a/../b", "src/[z-a]", "src ", " src/", "!src/ "] {
            let ps = vec![Pattern {
                text: bad.into(),
                span: None,
            }];
            assert!(
                Lane::compile(&ps, Path::new("l"), "").is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
