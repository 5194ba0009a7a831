//! Patterns as written in the policy: gitignore syntax, every pattern anchored at the root.
//!
//! A pattern is written in gitignore syntax, but lanes anchors every pattern at the root as if
//! it began with `/`, because a security tool must not grant more than it says: `src/` is the
//! root's `src` directory and everything below it, never `lib/src/`. `**/` still matches at
//! any depth, `*` never crosses `/`, and a later `!pattern` takes a path out again.
//!
//! This module reads pattern text only (syntax checks, literal components, depths); the
//! compiled form is [`super::Lane`].

use crate::path::RepoPath;
use serde::{Deserialize, Serialize};
use std::ffi::OsStr;
use std::ops::Range;

/// One pattern as written in the policy, with where it was written: what a list is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The text as the user wrote it (`src/`, `!src/gen/`).
    pub text: String,
    /// Byte range in the policy source; `None` for built-in patterns.
    pub span: Option<Range<usize>>,
}

/// A pattern of a [`PatternList`], borrowed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternRef<'a> {
    /// The text as the user wrote it (`src/`, `!src/gen/`).
    pub text: &'a str,
    /// Byte range in the policy source; `None` for built-in patterns.
    pub span: Option<Range<usize>>,
}

impl Pattern {
    /// The pattern, borrowed.
    pub fn borrowed(&self) -> PatternRef<'_> {
        PatternRef {
            text: &self.text,
            span: self.span.clone(),
        }
    }
}

impl PatternRef<'_> {
    /// An owned copy.
    pub fn to_pattern(&self) -> Pattern {
        Pattern {
            text: self.text.to_string(),
            span: self.span.clone(),
        }
    }
}

/// An ordered list of patterns, as written: a role's `write`, `[shared] write`, `[protected]
/// paths` or the always-protected list. A plain value; [`super::Lanes`] compiles it.
///
/// The texts are kept end to end in one string, so that a policy of 10,000 patterns is 400
/// allocations rather than 10,000 (most of what reading one from the parsed-policy cache
/// would otherwise cost).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatternList {
    /// Every pattern's text, end to end.
    text: String,
    /// Per pattern: where its text ends in `text` (it starts where the previous one ends),
    /// and its span in the policy source.
    entries: Vec<(usize, Option<Range<usize>>)>,
}

/// A [`PatternList`] as the parsed-policy cache keeps it: the texts end to end, and per
/// pattern three little-endian `u32` (text end, span start, span end; `u32::MAX` for no span).
#[derive(Serialize, Deserialize)]
struct Packed<'a> {
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
    #[serde(borrow, with = "bytes")]
    numbers: std::borrow::Cow<'a, [u8]>,
}

/// `Cow<[u8]>` as serde bytes (one length and the bytes), not as a sequence of numbers.
pub(super) mod bytes {
    use serde::{Deserializer, Serializer};
    use std::borrow::Cow;

    // `&Cow`, not `&[u8]`: serde's `with` passes the field as it is.
    #[allow(clippy::ptr_arg)]
    pub fn serialize<S: Serializer>(b: &Cow<'_, [u8]>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, [u8]>, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Cow<'de, [u8]>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_vec()))
            }
        }
        d.deserialize_bytes(Visit)
    }
}

impl Serialize for PatternList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut numbers = Vec::with_capacity(self.entries.len() * 12);
        let n = |v: usize| u32::try_from(v).map_err(serde::ser::Error::custom);
        for (end, span) in &self.entries {
            let (start, stop) = match span {
                Some(r) => (n(r.start)?, n(r.end)?),
                None => (u32::MAX, u32::MAX),
            };
            for v in [n(*end)?, start, stop] {
                numbers.extend_from_slice(&v.to_le_bytes());
            }
        }
        Packed {
            text: self.text.as_str().into(),
            numbers: numbers.into(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PatternList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PatternList, D::Error> {
        let packed = Packed::deserialize(d)?;
        let bad = || serde::de::Error::custom("a damaged pattern list");
        let text = packed.text.into_owned();
        let mut entries = Vec::with_capacity(packed.numbers.len() / 12);
        let mut last = 0;
        for chunk in packed.numbers.chunks(12) {
            let [end, start, stop] = [0, 4, 8].map(|i| {
                chunk
                    .get(i..i + 4)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_le_bytes)
            });
            let (Some(end), Some(start), Some(stop)) = (end, start, stop) else {
                return Err(bad());
            };
            let end = end as usize;
            if end < last || !text.is_char_boundary(end) {
                return Err(bad());
            }
            last = end;
            let span = (start != u32::MAX).then_some(start as usize..stop as usize);
            entries.push((end, span));
        }
        if last != text.len() {
            return Err(bad());
        }
        Ok(PatternList { text, entries })
    }
}

impl PatternList {
    /// A list from patterns in policy order.
    pub fn new(patterns: Vec<Pattern>) -> PatternList {
        let mut text = String::with_capacity(patterns.iter().map(|p| p.text.len()).sum());
        let mut entries = Vec::with_capacity(patterns.len());
        for p in patterns {
            text.push_str(&p.text);
            entries.push((text.len(), p.span));
        }
        PatternList { text, entries }
    }

    /// The patterns as written, in policy order.
    pub fn patterns(&self) -> impl ExactSizeIterator<Item = PatternRef<'_>> + Clone + '_ {
        (0..self.entries.len()).map(move |i| self.at(i))
    }

    /// The pattern at `i` (which must be below the list's length).
    fn at(&self, i: usize) -> PatternRef<'_> {
        let start = if i == 0 { 0 } else { self.entries[i - 1].0 };
        let (end, span) = &self.entries[i];
        PatternRef {
            text: &self.text[start..*end],
            span: span.clone(),
        }
    }

    /// True when the list has no pattern.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A cheap test, read from the pattern text without compiling anything: `false` means
    /// the list surely compiles and its lane does not hold `path` (nor any of its parents), so
    /// [`super::Lane::find`] would return `None`; `true` means it may. The decision uses it to
    /// skip compiling lists that cannot matter, so a policy with hundreds of roles compiles
    /// only the lanes that could own a path, and a skipped list never hides a policy error.
    ///
    /// It is `true` when some pattern might not compile (glob classes, alternates, escapes,
    /// or what `anchor` rejects), or when some positive pattern's literal components (those
    /// without glob syntax, like `src` in `src/*.rs`) all occur among the path's components.
    /// Why that suffices: patterns are anchored and `*`, `?` and classes never match `/`, so
    /// each pattern component other than `**` matches exactly one component of the matched
    /// path, and a literal one only an equal component; a negation never puts a path in a lane.
    pub fn may_hold(&self, path: &RepoPath) -> bool {
        let components = components(path);
        let mut may = false;
        for p in self.patterns() {
            match scan(p.text, &components, false) {
                Scan::MayFail => return true,
                Scan::MayHold => may = true,
                Scan::CannotHold => {}
            }
        }
        may
    }
}

/// The components of a normalized path, as bytes.
pub(super) fn components(path: &RepoPath) -> Vec<&[u8]> {
    path.as_path().iter().map(OsStr::as_encoded_bytes).collect()
}

/// The first component of a normalized path, as bytes (`src` for `src/a/b`).
pub fn first_component(path: &RepoPath) -> &[u8] {
    let bytes = path.as_path().as_os_str().as_encoded_bytes();
    bytes.split(|&b| b == b'/').next().unwrap_or(bytes)
}

pub(super) fn depth_bit(components: usize) -> u64 {
    1 << components.min(63)
}

/// How many components the paths an anchored pattern line matches have, or `None` when it
/// can match at several depths.
pub(super) fn depth(anchored: &str) -> Option<usize> {
    fixed_depth_body(anchored).map(|body| body.split('/').count())
}

/// The path part of an anchored pattern line (no `!`, leading or trailing `/`, or trailing
/// spaces the engine trims), or `None` when the pattern can match at several depths.
fn fixed_depth_body(anchored: &str) -> Option<&str> {
    let body = anchored.trim_start_matches('!').trim_start_matches('/');
    let body = if body.ends_with("\\ ") {
        body
    } else {
        body.trim_end()
    };
    let body = body.strip_suffix('/').unwrap_or(body);
    if body.is_empty() || body.contains("**") || body.contains(['[', ']', '{', '}', '\\']) {
        return None;
    }
    Some(body)
}

pub(super) enum Head<'a> {
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
pub(super) fn head(anchored: &str) -> Head<'_> {
    let Some(body) = anchored.strip_prefix('/') else {
        return Head::Negation;
    };
    head_of_body(body)
}

/// [`head`] of a positive pattern, given its body without leading `/` (as [`split`] gives).
pub(super) fn head_of_body(body: &str) -> Head<'_> {
    let body = if body.ends_with("\\ ") {
        body
    } else {
        body.trim_end()
    };
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

/// What the text of one pattern says about a path, for [`PatternList::may_hold`].
pub(super) enum Scan {
    /// The pattern might not compile.
    MayFail,
    /// The pattern compiles and might put the path in the lane.
    MayHold,
    /// The pattern compiles and cannot put the path in the lane.
    CannotHold,
}

/// One pass over `pattern` against the path's `components`. A component counts as literal
/// when it has only plain characters (no glob syntax, escapes or whitespace, which gitignore
/// may trim); anything else may match any one component, which keeps the test conservative.
/// A negation never holds a path, unless `negations` asks whether it may match one.
pub(super) fn scan(pattern: &str, components: &[&[u8]], negations: bool) -> Scan {
    if split(pattern).is_err() {
        return Scan::MayFail;
    }
    let positive = negations || !pattern.starts_with('!');
    let mut all_found = true;
    for c in pattern.as_bytes().split(|&b| b == b'/') {
        let Some(literal) = component_kind(c) else {
            return Scan::MayFail;
        };
        if literal && all_found && !components.contains(&c) {
            all_found = false;
        }
    }
    if positive && all_found {
        Scan::MayHold
    } else {
        Scan::CannotHold
    }
}

/// How one `/`-separated component of a pattern reads: `None` when it holds glob syntax that
/// can be malformed (see [`BYTE_CLASS`]), else whether it is literal (plain bytes only, and
/// not empty, `.` or `..`).
pub(super) fn component_kind(c: &[u8]) -> Option<bool> {
    let mut literal = !c.is_empty() && c != b"." && c != b"..";
    for &b in c {
        match BYTE_CLASS[b as usize] {
            PLAIN => {}
            MALFORMABLE => return None,
            _ => literal = false,
        }
    }
    Some(literal)
}

/// What the owner index needs from a pattern's text (see the owner index).
pub(super) enum Literals<'a> {
    /// The pattern might not compile: its list must be asked for every path.
    MayFail,
    /// A negation: it never puts a path in a lane.
    Negation,
    /// The literal components of a positive pattern (as [`scan`] counts them): a path it
    /// matches, or whose parent it matches, has each of them as a component. Empty when the
    /// pattern has none, so that it may match any path.
    Positive(Vec<&'a str>),
}

/// The literal components of `pattern`, read as [`scan`] reads them.
pub(super) fn literals(pattern: &str) -> Literals<'_> {
    if split(pattern).is_err() {
        return Literals::MayFail;
    }
    if pattern.starts_with('!') {
        return Literals::Negation;
    }
    let mut out = Vec::with_capacity(4);
    let mut start = 0;
    for c in pattern.as_bytes().split(|&b| b == b'/') {
        // `/` is ASCII, so the component's ends are character boundaries.
        let (from, to) = (start, start + c.len());
        start = to + 1;
        match component_kind(c) {
            None => return Literals::MayFail,
            Some(true) => out.push(&pattern[from..to]),
            Some(false) => {}
        }
    }
    Literals::Positive(out)
}

const PLAIN: u8 = 0;
const OTHER: u8 = 1;
const MALFORMABLE: u8 = 2;

/// How [`scan`] sees each byte: plain (letters, digits, `-_.+@%=,~:` and non-ASCII), glob
/// syntax that can be malformed (`[`, `]`, `{`, `}`, `\`), or anything else (`*`, `?`,
/// whitespace, ...), which makes its component non-literal.
const BYTE_CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric()
            || c >= 0x80
            || matches!(
                c,
                b'-' | b'_' | b'.' | b'+' | b'@' | b'%' | b'=' | b',' | b'~' | b':'
            )
        {
            t[b] = PLAIN;
        } else if matches!(c, b'[' | b']' | b'{' | b'}' | b'\\') {
            t[b] = MALFORMABLE;
        }
        b += 1;
    }
    t
};

/// True when a `/`-separated path has a `.` or `..` component.
pub(super) fn has_dot_component(path: &[u8]) -> bool {
    path.split(|&b| b == b'/').any(|c| c == b"." || c == b"..")
}

/// Rewrites a user pattern into an anchored gitignore line, or says why it is not allowed.
pub(super) fn anchor(pattern: &str) -> Result<String, &'static str> {
    let (neg, trimmed) = split(pattern)?;
    Ok(format!("{neg}/{trimmed}"))
}

/// Checks a user pattern and splits it into its negation (`!` or empty) and its body without
/// leading `/`, or says why it is not allowed.
pub(super) fn split(pattern: &str) -> Result<(&'static str, &str), &'static str> {
    let (neg, body) = match pattern.strip_prefix('!') {
        Some(body) => ("!", body),
        None => ("", pattern),
    };
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return Err("empty pattern");
    }
    // gitignore trims trailing spaces, so `"src "` would silently mean `src`; say so instead.
    if trimmed.len() != body.len() {
        return Err("leading or trailing white space; remove it (file names with spaces at their ends are not supported)");
    }
    if neg.is_empty() && body.starts_with('#') {
        return Err("`#` starts a comment in gitignore syntax; write `\\#` for a literal #");
    }
    let trimmed = body.trim_start_matches('/');
    if trimmed.is_empty() {
        return Err("`/` alone matches nothing; write `**` for the whole project");
    }
    if has_dot_component(trimmed.as_bytes()) {
        return Err(
            "patterns are anchored at the project root and may not contain `.` or `..` components",
        );
    }
    Ok((neg, trimmed))
}
