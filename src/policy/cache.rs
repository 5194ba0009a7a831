//! The parsed-policy cache of `lanes hook`: `ROOT/.lanes/cache/policy.bin`.
//!
//! The hook runs on every tool call, and parsing a large `lanes.toml` (200 roles of 50
//! patterns: 216 KB) costs several times as much as the rest of the call. The cache keeps the
//! checked policy data of [`super::data::parse`] and is trusted only when the policy text it
//! was made from, which it holds, equals the text just read byte for byte: no times, no
//! hashes. Anything else (no file, a short or corrupt one, another lanes version, another
//! text) is a miss, and the policy is parsed as without a cache.
//!
//! Layout: [`MAGIC`], the format (`u32`, little-endian), the lanes version (a length byte and
//! the text), the policy text (a `u64` length and the bytes), then in postcard (a compact,
//! documented serde format) the [`Snapshot`] (everything but the pattern lists), then the
//! pattern lists, each encoded on its own so that the hook decodes only the lists a decision
//! needs. A pattern is kept as its span alone: its text is read from the policy text, where
//! it must be written as a plain quoted string. A list that does not decode or check (a file
//! damaged after its header was read), or that has a pattern written with escapes, is taken
//! from the policy text parsed again.
//!
//! The reader compares the policy text piece by piece as it reads, and keeps only the rest:
//! a hook with a large policy touches as little new memory as it can (page faults, not
//! instructions, are most of what a large file costs it).

use super::data::{self, PolicyData};
use super::lane::{Pattern, PatternList};
use super::owners::OwnerIndex;
use super::raw::{BashSettings, Mode, Unassigned};
use super::{PolicyError, Role};
use crate::path::RepoPath;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The cache file, relative to the project root.
pub(crate) const CACHE_FILE: &str = ".lanes/cache/policy.bin";

/// Policies shorter than this (in bytes) are parsed every time, and no cache is read or
/// written for them. Measured warm, a cache saves 2% of a hook call with the 741-byte
/// template policy (22 us), 5% at 2.8 KB and 9% at 5.6 KB: below this size the gain does
/// not pay for a cache folder appearing in every project.
pub(crate) const MIN_SOURCE_BYTES: usize = 4 * 1024;

/// The first bytes of a cache file.
const MAGIC: &[u8; 8] = b"lanes\xffpc";

/// The layout version; bump it when the layout, [`Snapshot`] or the list encoding changes.
const FORMAT: u32 = 2;

/// The lanes version that wrote the cache: another version parses again, since what parsing
/// derives from the text may have changed.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How much of the policy text is compared per read.
const COMPARE_CHUNK: usize = 32 * 1024;

/// Everything of [`PolicyData`] but the pattern lists, which are [`ListAt`] references into
/// the lists that follow. Written with `S = &str` and read with `S = String`, so that reading
/// makes each string once, in its final place.
#[derive(Serialize, Deserialize)]
struct Snapshot<S> {
    mode: Mode,
    unassigned: Unassigned,
    audit: Option<S>,
    roles: Vec<RoleSnapshot<S>>,
    shared: ListAt,
    protected: ListAt,
    mcp_tools: Vec<(S, Vec<S>)>,
    bash: BashSettings,
    /// The encoded [`OwnerIndex`], among the lists, and its [`checksum`]: unlike a pattern,
    /// the index cannot be checked against the policy text, and a damaged one could leave an
    /// owner out of a deny message.
    owners: ListAt,
    owners_sum: u64,
}

/// A [`Role`], its lane as a reference.
#[derive(Serialize, Deserialize)]
struct RoleSnapshot<S> {
    name: S,
    description: Option<S>,
    write: ListAt,
    /// `None` for the default, the role's name alone.
    agents: Option<Vec<S>>,
    signal: Option<(S, Span)>,
    signal_requires: Vec<S>,
    spawn: Vec<S>,
    branches: Vec<(S, Span)>,
}

/// One encoded pattern list: each pattern's span as (bytes since the end of the previous
/// pattern's span, or since the start of the text for the first; length), which takes two or
/// three bytes a pattern. `None` when a pattern is not written as a plain quoted string, so
/// its text cannot be read back from the span: the list is parsed again.
type EncodedList = Option<Vec<(usize, usize)>>;

/// A byte range of the policy text.
#[derive(Serialize, Deserialize, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

/// Where one encoded pattern list lies, relative to the start of the lists.
#[derive(Serialize, Deserialize, Clone, Copy)]
struct ListAt {
    start: usize,
    len: usize,
}

/// A cache file read and found to match the policy text, shared by its lazy lists.
struct CacheFile {
    /// The file after the policy text: the snapshot, then the lists.
    bytes: Vec<u8>,
    /// Where the encoded lists start in `bytes`.
    lists: usize,
    /// The policy text, equal to the one in the file.
    source: Arc<String>,
    /// The policy file, for errors.
    file: PathBuf,
    /// How many roles the snapshot has, to check the policy parsed again against it.
    roles: usize,
    /// The pattern lists from the policy text parsed again, for a list that does not decode.
    reparsed: OnceLock<Result<ReparsedLists, PolicyError>>,
}

/// The pattern lists of a policy parsed again: each role's (in file order), shared, protected.
struct ReparsedLists {
    roles: Vec<Vec<Pattern>>,
    shared: Vec<Pattern>,
    protected: Vec<Pattern>,
}

/// The owner index in a cache file, decoded when the deny path first needs it.
#[derive(Clone)]
pub(crate) struct LazyOwners {
    cache: Arc<CacheFile>,
    at: Range<usize>,
    sum: u64,
}

impl std::fmt::Debug for LazyOwners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyOwners").field("at", &self.at).finish()
    }
}

impl LazyOwners {
    /// The index, or `None` when it is damaged (the caller then builds one).
    pub(crate) fn decode(&self) -> Option<OwnerIndex> {
        let bytes = self.cache.bytes.get(self.at.clone())?;
        (checksum(bytes) == self.sum).then(|| OwnerIndex::from_bytes(bytes.to_vec()))
    }
}

/// A 64-bit checksum of `bytes`, eight at a time (multiply, rotate; FNV's constants): it
/// catches damage, not forgery (whoever can write the cache can write `lanes.toml`).
fn checksum(bytes: &[u8]) -> u64 {
    let mix = |h: u64, w: u64| (h ^ w).wrapping_mul(0x0100_0000_01b3).rotate_left(31);
    let words = bytes.chunks_exact(8);
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    let h = words.fold(0xcbf2_9ce4_8422_2325, |h, w| {
        mix(h, u64::from_le_bytes(w.try_into().expect("eight bytes")))
    });
    mix(mix(h, u64::from_le_bytes(tail)), bytes.len() as u64)
}

/// Which list of the policy a [`LazyList`] is.
#[derive(Debug, Clone, Copy)]
enum Which {
    Role(usize),
    Shared,
    Protected,
}

/// A pattern list in a cache file, decoded when first needed (see [`PatternList::lazy`]).
#[derive(Clone)]
pub(crate) struct LazyList {
    cache: Arc<CacheFile>,
    which: Which,
    /// The encoded list in the cache file's bytes.
    at: Range<usize>,
}

impl std::fmt::Debug for LazyList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyList")
            .field("which", &self.which)
            .field("at", &self.at)
            .finish()
    }
}

impl LazyList {
    /// The patterns. A list that does not decode, whose spans do not fit the policy text or
    /// do not hold plain quoted strings, is taken from the text parsed again.
    ///
    /// Errors: only then, the policy does not parse (an error naming file, line and key), or
    /// parses to other roles than the cache holds.
    pub(crate) fn decode(&self) -> Result<Vec<Pattern>, PolicyError> {
        match self.decode_cached() {
            Some(patterns) => Ok(patterns),
            None => self.reparsed(),
        }
    }

    fn decode_cached(&self) -> Option<Vec<Pattern>> {
        let cache = &self.cache;
        let bytes = cache.bytes.get(self.at.clone())?;
        let list: EncodedList = postcard::from_bytes(bytes).ok()?;
        let source = cache.source.as_str();
        let mut end = 0usize;
        list?
            .into_iter()
            .map(|(gap, len)| {
                let start = end.checked_add(gap)?;
                end = start.checked_add(len)?;
                let span = span_in(Span { start, end }, source.as_bytes())?;
                let text = plain_text(&source[span.clone()])?;
                Some(Pattern {
                    text: text.to_string(),
                    span: Some(span),
                })
            })
            .collect()
    }

    fn reparsed(&self) -> Result<Vec<Pattern>, PolicyError> {
        let cache = &self.cache;
        let lists = cache
            .reparsed
            .get_or_init(|| {
                let data = data::parse(&cache.file, &cache.source)?;
                if data.roles.len() != cache.roles {
                    return Err(PolicyError::file(
                        &cache.file,
                        format!("the parsed-policy cache {CACHE_FILE} does not match the policy; delete it"),
                    ));
                }
                Ok(ReparsedLists {
                    roles: data.roles.iter().map(|r| r.write.patterns().to_vec()).collect(),
                    shared: data.shared.patterns().to_vec(),
                    protected: data.protected.patterns().to_vec(),
                })
            })
            .as_ref()
            .map_err(Clone::clone)?;
        Ok(match self.which {
            Which::Role(i) => lists.roles[i].clone(),
            Which::Shared => lists.shared.clone(),
            Which::Protected => lists.protected.clone(),
        })
    }
}

/// The file's bytes after the policy text, when `cache_file` was written by this lanes
/// version (and layout) from exactly `source`. The text is compared as it is read, a piece
/// at a time, and not kept.
fn read_matching(cache_file: &Path, source: &str) -> Option<Vec<u8>> {
    let mut f = std::fs::File::open(cache_file).ok()?;
    let size = f.metadata().ok()?.len();
    let mut head = [0u8; MAGIC.len() + 4 + 1];
    f.read_exact(&mut head).ok()?;
    let version_len = usize::from(head[head.len() - 1]);
    if head[..MAGIC.len()] != MAGIC[..]
        || head[MAGIC.len()..MAGIC.len() + 4] != FORMAT.to_le_bytes()
        || version_len != VERSION.len()
    {
        return None;
    }
    let mut version = [0u8; 256];
    f.read_exact(&mut version[..version_len]).ok()?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len).ok()?;
    if version[..version_len] != *VERSION.as_bytes()
        || u64::from_le_bytes(len) != source.len() as u64
    {
        return None;
    }
    let mut chunk = vec![0u8; COMPARE_CHUNK.min(source.len())];
    for expected in source.as_bytes().chunks(COMPARE_CHUNK) {
        let got = &mut chunk[..expected.len()];
        f.read_exact(got).ok()?;
        if got != expected {
            return None;
        }
    }
    let read_so_far = (head.len() + version_len + len.len() + source.len()) as u64;
    let mut rest = Vec::with_capacity(usize::try_from(size.checked_sub(read_so_far)?).ok()?);
    f.read_to_end(&mut rest).ok()?;
    Some(rest)
}

/// The policy data in `cache_file` when it was made by this lanes version from exactly
/// `source` (the text of the policy `file`); `None` for any other file, which the caller
/// treats as no cache.
pub(crate) fn read(cache_file: &Path, file: &Path, source: &Arc<String>) -> Option<PolicyData> {
    let bytes = read_matching(cache_file, source)?;
    let (snap, lists) = postcard::take_from_bytes::<Snapshot<String>>(&bytes).ok()?;
    let lists_at = bytes.len() - lists.len();
    let cache = Arc::new(CacheFile {
        bytes,
        lists: lists_at,
        source: Arc::clone(source),
        file: file.to_path_buf(),
        roles: snap.roles.len(),
        reparsed: OnceLock::new(),
    });
    let range = |at: ListAt| -> Option<Range<usize>> {
        let start = cache.lists.checked_add(at.start)?;
        let end = start.checked_add(at.len)?;
        (end <= cache.bytes.len()).then_some(start..end)
    };
    let lazy = |which: Which, at: ListAt| -> Option<PatternList> {
        Some(PatternList::lazy(LazyList {
            cache: Arc::clone(&cache),
            which,
            at: range(at)?,
        }))
    };
    let text = source.as_bytes();

    // Everything but the lists is taken now, and checked as far as it is cheap.
    let mut roles = Vec::with_capacity(snap.roles.len());
    for (i, r) in snap.roles.into_iter().enumerate() {
        if r.name.is_empty() {
            return None;
        }
        let (signal, signal_span) = match r.signal {
            None => (None, None),
            Some((path, span)) => (
                Some(RepoPath::new(Path::new(&path)).filter(|p| !p.is_root())?),
                Some(span_in(span, text)?),
            ),
        };
        let (branches, branch_spans) = r
            .branches
            .into_iter()
            .map(|(b, span)| Some((b, span_in(span, text)?)))
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .unzip();
        roles.push(Role {
            agents: r.agents.unwrap_or_else(|| vec![r.name.clone()]),
            name: r.name,
            description: r.description,
            write: lazy(Which::Role(i), r.write)?,
            signal,
            signal_requires: r.signal_requires,
            spawn: r.spawn,
            branches,
            signal_span,
            branch_spans,
        });
    }
    let audit = match snap.audit {
        None => None,
        Some(a) => Some(RepoPath::new(Path::new(&a)).filter(|p| !p.is_root())?),
    };
    Some(PolicyData {
        mode: snap.mode,
        unassigned: snap.unassigned,
        audit,
        roles,
        shared: lazy(Which::Shared, snap.shared)?,
        protected: lazy(Which::Protected, snap.protected)?,
        mcp_tools: snap.mcp_tools,
        bash: snap.bash,
        owners: Some(LazyOwners {
            cache: Arc::clone(&cache),
            at: range(snap.owners)?,
            sum: snap.owners_sum,
        }),
    })
}

/// The text of a TOML string written without escapes (`"src/"`, `'src/'`), given as written
/// (its span in the policy text); `None` for any other string, whose text differs from what
/// is written.
fn plain_text(written: &str) -> Option<&str> {
    let inner = |q: char| written.strip_prefix(q)?.strip_suffix(q);
    match (inner('"'), inner('\'')) {
        (Some(t), _) if !t.contains(['"', '\\']) => Some(t),
        (_, Some(t)) if !t.contains('\'') => Some(t),
        _ => None,
    }
}

/// `span` as a range of `source`, if it lies inside it on character boundaries.
fn span_in(span: Span, source: &[u8]) -> Option<Range<usize>> {
    let boundary = |i: usize| i == source.len() || source.get(i).is_some_and(|b| b & 0xc0 != 0x80);
    (span.start <= span.end
        && span.end <= source.len()
        && boundary(span.start)
        && boundary(span.end))
    .then_some(span.start..span.end)
}

/// Writes the cache for `data`, parsed from `source`: to a temporary file in the cache
/// folder (created if needed), then renamed over `cache_file`, so that a hook running at the
/// same time reads either the old file or the new one, never half of one.
///
/// `owners` is the owner index of `data` ([`OwnerIndex::build`] of its lanes).
///
/// Errors: the folder or file cannot be written.
pub(crate) fn write(
    cache_file: &Path,
    source: &str,
    data: &PolicyData,
    owners: &OwnerIndex,
) -> std::io::Result<()> {
    let bytes = encode(source, data, owners)?;
    let dir = cache_file
        .parent()
        .ok_or_else(|| std::io::Error::other("the cache file has no folder"))?;
    std::fs::create_dir_all(dir)?;
    // The folder ignores itself, so git never lists the cache, whatever `.gitignore` says
    // (`lanes init` ignores `.lanes/` only while the audit log is there).
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(".gitignore"))
        .and_then(|mut f| {
            f.write_all(b"# lanes' parsed-policy cache, local to this checkout\n*\n")
        });
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!("policy.{}.{nanos}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(&bytes))
        .and_then(|()| std::fs::rename(&tmp, cache_file));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The strings of `v`, borrowed.
fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A path from the policy text (so UTF-8) as text.
fn utf8(path: &RepoPath) -> std::io::Result<&str> {
    path.as_path()
        .to_str()
        .ok_or_else(|| std::io::Error::other("a path that is not UTF-8"))
}

/// `list` encoded (see [`EncodedList`]), its patterns being spans of `source`.
fn encode_list(list: &PatternList, source: &str) -> EncodedList {
    let mut end = 0;
    list.patterns()
        .iter()
        .map(|p| {
            let span = p.span.clone()?;
            let gap = span.start.checked_sub(end)?;
            end = span.end;
            (plain_text(source.get(span.clone())?) == Some(p.text.as_str()))
                .then_some((gap, span.len()))
        })
        .collect()
}

/// The bytes of a cache file for `data`, parsed from `source`.
fn encode(source: &str, data: &PolicyData, owners: &OwnerIndex) -> std::io::Result<Vec<u8>> {
    let mut lists = Vec::new();
    let mut list = |l: &PatternList| -> std::io::Result<ListAt> {
        let start = lists.len();
        lists
            .extend(postcard::to_allocvec(&encode_list(l, source)).map_err(std::io::Error::other)?);
        Ok(ListAt {
            start,
            len: lists.len() - start,
        })
    };
    let mut roles: Vec<RoleSnapshot<&str>> = Vec::with_capacity(data.roles.len());
    for r in &data.roles {
        roles.push(RoleSnapshot {
            name: &r.name,
            description: r.description.as_deref(),
            write: list(&r.write)?,
            agents: (r.agents != [r.name.as_str()]).then(|| refs(&r.agents)),
            signal: match (&r.signal, &r.signal_span) {
                (None, _) => None,
                (Some(path), Some(span)) => Some((
                    utf8(path)?,
                    Span {
                        start: span.start,
                        end: span.end,
                    },
                )),
                (Some(_), None) => return Err(std::io::Error::other("a signal without a span")),
            },
            signal_requires: refs(&r.signal_requires),
            spawn: refs(&r.spawn),
            branches: r
                .branches
                .iter()
                .zip(&r.branch_spans)
                .map(|(b, s)| {
                    (
                        b.as_str(),
                        Span {
                            start: s.start,
                            end: s.end,
                        },
                    )
                })
                .collect(),
        });
    }
    let shared = list(&data.shared)?;
    let protected = list(&data.protected)?;
    let index = owners.as_bytes();
    let owners = ListAt {
        start: lists.len(),
        len: index.len(),
    };
    let owners_sum = checksum(index);
    lists.extend_from_slice(index);
    let snap: Snapshot<&str> = Snapshot {
        mode: data.mode,
        unassigned: data.unassigned,
        audit: data.audit.as_ref().map(utf8).transpose()?,
        roles,
        shared,
        protected,
        mcp_tools: data
            .mcp_tools
            .iter()
            .map(|(t, f)| (t.as_str(), refs(f)))
            .collect(),
        bash: data.bash,
        owners,
        owners_sum,
    };
    let version_len = u8::try_from(VERSION.len()).map_err(std::io::Error::other)?;
    let mut out = MAGIC.to_vec();
    out.extend(FORMAT.to_le_bytes());
    out.push(version_len);
    out.extend(VERSION.as_bytes());
    out.extend((source.len() as u64).to_le_bytes());
    out.extend(source.as_bytes());
    out.extend(postcard::to_allocvec(&snap).map_err(std::io::Error::other)?);
    out.extend(lists);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r###"
mode = "log"
unassigned = "deny"
audit = "logs/audit.jsonl"

[roles.researcher]
description = "Researches; never writes code."
write = ["research/", 'notes/*.md', "!research/private/", "caf\u00e9/"]
agents = ["researcher", "scout"]
signal = "research/DONE.md"
signal_requires = ["## Findings"]

[roles.builder]
write = ["src/", "package.json"]
spawn = ["reviewer"]
branches = ["build/*", "main"]

[roles.reviewer]
write = []

[shared]
write = ["target/", "node_modules/"]

[protected]
paths = ["contracts/"]

[mcp_tools]
"mcp__notes__*" = "file"

[bash]
opaque = "deny"
"###;

    fn parse(src: &str) -> PolicyData {
        data::parse(Path::new("lanes.toml"), src).unwrap()
    }

    /// The cache bytes for `src`, written to a temporary folder; returns the folder and file.
    fn cached(src: &str, data: &PolicyData) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(CACHE_FILE);
        write(&file, src, data, &owner_index(data)).unwrap();
        (dir, file)
    }

    fn owner_index(data: &PolicyData) -> OwnerIndex {
        OwnerIndex::build(data.roles.iter().map(|r| r.write.try_patterns().ok()))
    }

    fn read_back(file: &Path, src: &str) -> Option<PolicyData> {
        read(file, Path::new("lanes.toml"), &Arc::new(src.to_string()))
    }

    /// The snapshot of a cache file made from `src`, and where its lists start in the file.
    fn snapshot(bytes: &[u8], src: &str) -> (Snapshot<&'static str>, usize) {
        let after = MAGIC.len() + 4 + 1 + VERSION.len() + 8 + src.len();
        let rest: &'static [u8] = bytes[after..].to_vec().leak();
        let (snap, lists) = postcard::take_from_bytes::<Snapshot<&str>>(rest).unwrap();
        (snap, bytes.len() - lists.len())
    }

    /// Every field, with each list's patterns and spans, as text: two policies that print the
    /// same decide the same.
    fn shown(d: &PolicyData) -> String {
        let list = |l: &PatternList| {
            l.patterns()
                .iter()
                .map(|p| format!("{}@{:?}", p.text, p.span))
                .collect::<Vec<_>>()
        };
        let roles: Vec<String> = d
            .roles
            .iter()
            .map(|r| {
                format!(
                    "{} {:?} {:?} {:?} {:?}@{:?} {:?} {:?} {:?}@{:?}",
                    r.name,
                    r.description,
                    list(&r.write),
                    r.agents,
                    r.signal,
                    r.signal_span,
                    r.signal_requires,
                    r.spawn,
                    r.branches,
                    r.branch_spans
                )
            })
            .collect();
        format!(
            "{:?} {:?} {:?} {roles:#?} {:?} {:?} {:?} {:?}",
            d.mode,
            d.unassigned,
            d.audit,
            list(&d.shared),
            list(&d.protected),
            d.mcp_tools,
            d.bash
        )
    }

    #[test]
    fn parse_then_cache_then_read_equals_parse() {
        let data = parse(POLICY);
        let (_dir, file) = cached(POLICY, &data);
        let back = read_back(&file, POLICY).expect("a cache of the same text is used");
        assert_eq!(shown(&back), shown(&data));
        assert!(shown(&data).contains("caf\u{e9}/"), "{}", shown(&data));
    }

    #[test]
    fn the_cache_is_used_only_for_the_very_text_it_was_made_from() {
        let (_dir, file) = cached(POLICY, &parse(POLICY));
        let same_length = POLICY.replace("\"src/\"", "\"srd/\"");
        assert_eq!(same_length.len(), POLICY.len());
        assert!(read_back(&file, &same_length).is_none());
        assert!(read_back(&file, &format!("{POLICY}\n")).is_none());
        assert!(read_back(&file, &POLICY[..POLICY.len() - 1]).is_none());
    }

    /// A cache that claims more for a role than its text says is trusted only with that text:
    /// the embedded text, not the claim, decides whether it is used.
    #[test]
    fn a_cache_claiming_other_patterns_is_not_used_for_another_text() {
        let wider = POLICY.replace(
            r#"write = ["src/", "package.json"]"#,
            r#"write = ["src/", "research/"]"#,
        );
        let (_dir, file) = cached(&wider, &parse(&wider));
        assert!(read_back(&file, POLICY).is_none());
        let back = read_back(&file, &wider).unwrap();
        assert_eq!(shown(&back), shown(&parse(&wider)));
    }

    #[test]
    fn damaged_files_are_misses() {
        let data = parse(POLICY);
        let (_dir, file) = cached(POLICY, &data);
        let good = std::fs::read(&file).unwrap();
        let mut cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("magic only", MAGIC.to_vec()),
            ("garbage", b"not a cache at all".repeat(100)),
        ];
        for cut in [9, 20, good.len() / 2] {
            cases.push(("truncated", good[..cut].to_vec()));
        }
        let at = good
            .windows(VERSION.len())
            .position(|w| w == VERSION.as_bytes())
            .unwrap();
        let mut other_version = good.clone();
        other_version[at] ^= 1;
        cases.push(("another lanes version", other_version));
        let mut other_format = good.clone();
        other_format[MAGIC.len()] = FORMAT as u8 + 1;
        cases.push(("another format", other_format));
        for (what, bytes) in cases {
            std::fs::write(&file, &bytes).unwrap();
            assert!(read_back(&file, POLICY).is_none(), "{what}");
        }
    }

    /// A list damaged after the header (its encoding, a span's start or length) is parsed
    /// again from the policy text: damage never changes what a list holds.
    #[test]
    fn a_damaged_list_is_taken_from_the_text_parsed_again() {
        let data = parse(POLICY);
        let (_dir, file) = cached(POLICY, &data);
        let good = std::fs::read(&file).unwrap();
        let (snap, lists_start) = snapshot(&good, POLICY);
        // The builder's list, `["src/", "package.json"]`: `Some`, its length (2), then
        // (gap, length) per pattern, the first gap being the offset of `"src/"` (2 bytes).
        let builder = lists_start + snap.roles[1].write.start;
        let encoded = &good[builder..builder + snap.roles[1].write.len];
        assert_eq!(encoded[..2], [1, 2], "{encoded:?}");
        assert_eq!(encoded[4], 6, "the length of `\"src/\"`: {encoded:?}");
        for (at, value) in [
            (builder, 0),        // `None`: written with escapes
            (builder, 7),        // not an `Option`
            (builder + 1, 0xff), // a length that does not end
            (builder + 2, 0x01), // the first span starts elsewhere
            (builder + 4, 5),    // `"src/` without its closing quote
            (builder + 4, 0x7f), // past the end of the string
            (builder + 6, 0x2a), // the second span is longer
        ] {
            let mut bytes = good.clone();
            bytes[at] = value;
            std::fs::write(&file, &bytes).unwrap();
            // The snapshot is intact, so the file is used; the damaged list is not.
            let back = read_back(&file, POLICY).unwrap();
            assert_eq!(shown(&back), shown(&data), "byte {at} set to {value}");
        }
        // Cut short, a list lies past the end: a miss.
        std::fs::write(&file, &good[..good.len() - 3]).unwrap();
        assert!(read_back(&file, POLICY).is_none());
    }

    #[test]
    fn a_list_that_cannot_be_had_is_an_error_not_an_empty_lane() {
        let data = parse(POLICY);
        // A cache that holds a text which no longer parses (made by hand: lanes never writes
        // one), with a damaged list: the list is an error, which the hook turns into a block.
        let broken = POLICY.replace("[bash]", "[bash");
        let (_dir, file) = cached(&broken, &data);
        let mut bytes = std::fs::read(&file).unwrap();
        let (snap, lists_start) = snapshot(&bytes, &broken);
        let last = lists_start + snap.protected.start + snap.protected.len - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&file, &bytes).unwrap();
        let back = read_back(&file, &broken).unwrap();
        let e = back
            .protected
            .lane(Path::new("lanes.toml"), &broken)
            .unwrap_err();
        assert!(e.to_string().starts_with("lanes.toml:"), "{e}");
        assert!(back
            .protected
            .may_hold(&RepoPath::new(Path::new("x")).unwrap()));
    }

    #[test]
    fn the_owner_index_is_kept_and_a_damaged_one_is_not_used() {
        let data = parse(POLICY);
        let (_dir, file) = cached(POLICY, &data);
        let built = owner_index(&data);
        let back = read_back(&file, POLICY).unwrap();
        assert_eq!(back.owners.as_ref().unwrap().decode(), Some(built));

        let mut bytes = std::fs::read(&file).unwrap();
        let (snap, lists_start) = snapshot(&bytes, POLICY);
        let at = lists_start + snap.owners.start + snap.owners.len / 2;
        bytes[at] ^= 0x01;
        std::fs::write(&file, &bytes).unwrap();
        let back = read_back(&file, POLICY).unwrap();
        assert_eq!(back.owners.as_ref().unwrap().decode(), None);
    }

    #[test]
    fn patterns_written_with_escapes_are_parsed_again_and_still_equal() {
        let src = "[roles.a]\nwrite = [\"sr\\u0063/\", \"\"\"doc/\"\"\"]\n";
        let data = parse(src);
        let (_dir, file) = cached(src, &data);
        let back = read_back(&file, src).unwrap();
        assert_eq!(shown(&back), shown(&data));
        assert_eq!(back.roles[0].write.patterns()[0].text, "src/");
    }

    #[test]
    fn plain_text_reads_only_strings_written_without_escapes() {
        assert_eq!(plain_text("\"src/\""), Some("src/"));
        assert_eq!(plain_text("'src/'"), Some("src/"));
        assert_eq!(
            plain_text("'a\\b'"),
            Some("a\\b"),
            "no escapes in a literal string"
        );
        for not_plain in [
            "\"src/",
            "src/",
            "\"",
            "\"a\\b\"",
            "\"\"\"src/\"\"\"",
            "'''src/'''",
            "\"a\", \"b\"",
            "'a' '",
        ] {
            assert_eq!(plain_text(not_plain), None, "{not_plain}");
        }
    }
}
