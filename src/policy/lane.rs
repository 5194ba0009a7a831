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
use std::cell::OnceCell;
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
        for p in patterns {
            let err = |msg: String| PolicyError::at(file, source, p.span.clone(), msg);
            let anchored =
                anchor(&p.text).map_err(|m| err(format!("invalid pattern `{}`: {m}", p.text)))?;
            builder
                .add_line(None, &anchored)
                .map_err(|e| err(format!("invalid pattern `{}`: {e}", p.text)))?;
            originals.push((anchored, p.text.clone()));
        }
        let matcher = builder
            .build()
            .map_err(|e| PolicyError::file(file, format!("cannot compile patterns: {e}")))?;
        Ok(Lane { matcher, originals })
    }

    /// The pattern (as the user wrote it) that puts `path` in this lane, or `None` when no
    /// pattern matches or a later `!pattern` takes it out again. `is_dir` tells whether `path`
    /// is a directory, for patterns that end in `/`. The project root is in no lane.
    pub fn find(&self, path: &RepoPath, is_dir: bool) -> Option<&str> {
        if path.is_root() {
            return None;
        }
        let m = self
            .matcher
            .matched_path_or_any_parents(path.as_path(), is_dir);
        if !m.is_ignore() {
            return None;
        }
        let anchored = m.inner()?.original();
        self.originals
            .iter()
            .find(|(a, _)| a == anchored)
            .map(|(_, user)| user.as_str())
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
        for bad in ["", "!", "#x", "/", "a/../b", "src/[z-a]"] {
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
