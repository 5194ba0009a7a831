//! The parsed-policy cache of `lanes hook`: `ROOT/.lanes/cache/policy.bin`.
//!
//! The hook runs on every tool call, and parsing a large `lanes.toml` (200 roles of 50
//! patterns: 216 KB) costs several times as much as the rest of the call. The cache keeps the
//! checked policy data of [`super::data::parse`] and is trusted only when the policy text it
//! was made from, which it holds, equals the text of `lanes.toml` byte for byte: no times, no
//! hashes. Anything else (no file, a short or corrupt one, another lanes version, another
//! text) is a miss, and the policy is parsed as without a cache.
//!
//! Layout: [`MAGIC`], the format (`u32`, little-endian), the lanes version (a length byte and
//! the text), the policy text (a `u64` length and the bytes), the length and [`checksum`] of
//! the [`Snapshot`] (two `u64`), the snapshot in postcard (a compact, documented serde
//! format: everything but the pattern lists, the owner index and each role's details), then
//! those, each encoded on its own after its checksum, so that the hook reads and decodes
//! only what a decision needs. A pattern keeps its text and its span.
//!
//! A hit reads both texts in full (their equality is what it trusts), but a piece at a time
//! in two small buffers, and keeps neither: the copy in the cache was valid UTF-8 when it
//! was written, and byte equality carries that over. Beyond that it decodes the snapshot
//! (each role's name, agents and signal: what resolving the role needs). The text is read
//! back (from the cache) only for the line and column of an error. Lists are read with
//! positioned reads from the open file when first needed. Page faults, not instructions, are
//! most of what a large file costs a hook, which is why nothing is read whole.
//!
//! Damage (not forgery: whoever can write the cache can write `lanes.toml`) is caught by the
//! checksums: a damaged snapshot is a miss; a damaged list or role's details are taken
//! from the policy text parsed again; a damaged owner index is built again.

use super::data::{self, PolicyData};
use super::lane::{Pattern, PatternList};
use super::owners::OwnerIndex;
use super::raw::{BashSettings, Mode, Unassigned};
use super::{PolicyError, Role, RoleDetails};
use crate::path::RepoPath;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
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
const FORMAT: u32 = 5;

/// The lanes version that wrote the cache: another version parses again, since what parsing
/// derives from the text may have changed.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How much of each text is compared per read: two buffers of this size are all the memory
/// a comparison touches.
const COMPARE_CHUNK: usize = 16 * 1024;

/// The largest snapshot a reader accepts, so that a damaged length cannot make it allocate
/// without bound (a snapshot takes some 40 bytes a role).
const MAX_SNAPSHOT: u64 = 64 << 20;

/// Everything of [`PolicyData`] but the pattern lists and the owner index, which are
/// [`ListAt`] references into what follows. Written with `S = &str` and read with
/// `S = String`, so that reading makes each string once, in its final place.
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
    /// The encoded [`OwnerIndex`].
    owners: ListAt,
}

/// A [`Role`], its lane and its details as references.
#[derive(Serialize, Deserialize)]
struct RoleSnapshot<S> {
    name: S,
    write: ListAt,
    /// `None` for the default, the role's name alone.
    agents: Option<Vec<S>>,
    signal: Option<(S, Span)>,
    /// The encoded [`Details`]; empty when they are all defaults.
    details: ListAt,
}

/// The [`RoleDetails`] of a role, which the hook seldom needs: encoded on their own.
#[derive(Serialize, Deserialize)]
struct Details<S> {
    description: Option<S>,
    signal_requires: Vec<S>,
    spawn: Vec<S>,
    branches: Vec<(S, Span)>,
}

/// One encoded pattern list: each pattern as (its span's start in bytes since the end of the
/// previous pattern's span, or since the start of the text for the first; the span's length;
/// the text).
type EncodedList<S> = Vec<(usize, usize, S)>;

/// A byte range of the policy text.
#[derive(Serialize, Deserialize, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

/// Where one encoded list (or the owner index, or a role's details) lies, relative to the
/// end of the snapshot: the [`checksum`] of the encoding (a `u64`, little-endian), then the
/// encoding. The checksum is not in the snapshot, which then decodes two varints a list
/// instead of three, the third mostly ten bytes long.
#[derive(Serialize, Deserialize, Clone, Copy)]
struct ListAt {
    start: u64,
    len: u64,
}

/// The [`ListAt`] of details left at their defaults: nothing is written or read.
const NOWHERE: ListAt = ListAt { start: 0, len: 0 };

/// A cache file found to match the policy text, kept open for its lazy lists.
#[derive(Debug)]
struct CacheFile {
    file: File,
    /// The file's length when it was opened (it is only ever replaced, never written over).
    size: u64,
    /// Where the policy text lies in the file.
    text: Range<u64>,
    /// Where the lists start in the file: the end of the snapshot.
    lists: u64,
    /// The policy file, for errors.
    policy: PathBuf,
    /// How many roles the snapshot has, to check the policy parsed again against it.
    roles: usize,
    /// The pattern lists from the policy text parsed again, for a list that does not decode.
    reparsed: OnceLock<Result<ReparsedLists, PolicyError>>,
}

impl CacheFile {
    /// The encoding at `at`, when it lies inside the file, can be read and matches its
    /// checksum.
    fn bytes(&self, at: ListAt) -> Option<Vec<u8>> {
        let start = self.lists.checked_add(at.start)?;
        let end = start.checked_add(at.len)?;
        if end > self.size || at.len < 8 {
            return None;
        }
        // Two reads, so the encoding lands where it is used (the owner index is large).
        let mut sum = [0u8; 8];
        self.file.read_exact_at(&mut sum, start).ok()?;
        let mut bytes = vec![0; usize::try_from(at.len - 8).ok()?];
        self.file.read_exact_at(&mut bytes, start + 8).ok()?;
        (checksum(&bytes) == u64::from_le_bytes(sum)).then_some(bytes)
    }

    /// The policy text, read back from the file, where it was found equal to `lanes.toml`.
    fn text(&self) -> Result<String, PolicyError> {
        let unreadable = || {
            PolicyError::file(
                &self.policy,
                format!("cannot read the policy text back from the parsed-policy cache {CACHE_FILE}; delete it"),
            )
        };
        let len = usize::try_from(self.text.end - self.text.start).map_err(|_| unreadable())?;
        let mut bytes = vec![0; len];
        self.file
            .read_exact_at(&mut bytes, self.text.start)
            .map_err(|_| unreadable())?;
        String::from_utf8(bytes).map_err(|_| unreadable())
    }
}

/// The policy text of a cache hit, read from the cache file on first use (see
/// [`super::Source`]).
#[derive(Debug)]
pub(crate) struct CachedText(Arc<CacheFile>);

impl CachedText {
    /// The text, or `None` when it cannot be read back.
    pub(crate) fn text(&self) -> Option<String> {
        self.0.text().ok()
    }
}

/// The pattern lists of a policy parsed again: each role's (in file order), shared, protected;
/// and each role's details.
struct ReparsedLists {
    roles: Vec<Vec<Pattern>>,
    details: Vec<RoleDetails>,
    shared: Vec<Pattern>,
    protected: Vec<Pattern>,
}

impl std::fmt::Debug for ReparsedLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReparsedLists").finish_non_exhaustive()
    }
}

/// The owner index in a cache file, decoded when the deny path first needs it.
#[derive(Clone)]
pub(crate) struct LazyOwners {
    cache: Arc<CacheFile>,
    at: ListAt,
}

impl std::fmt::Debug for LazyOwners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyOwners")
            .field("start", &self.at.start)
            .finish()
    }
}

impl LazyOwners {
    /// The index, or `None` when it is damaged (the caller then builds one).
    pub(crate) fn decode(&self) -> Option<OwnerIndex> {
        self.cache.bytes(self.at).map(OwnerIndex::from_bytes)
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
    at: ListAt,
}

impl std::fmt::Debug for LazyList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyList")
            .field("which", &self.which)
            .field("start", &self.at.start)
            .finish()
    }
}

impl LazyList {
    /// The patterns. A list that cannot be read, does not match its checksum or does not
    /// decode is taken from the policy text parsed again.
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
        let bytes = self.cache.bytes(self.at)?;
        let list: EncodedList<String> = postcard::from_bytes(&bytes).ok()?;
        let mut end = 0usize;
        list.into_iter()
            .map(|(gap, len, text)| {
                let start = end.checked_add(gap)?;
                end = start.checked_add(len)?;
                Some(Pattern {
                    text,
                    span: Some(start..end),
                })
            })
            .collect()
    }

    fn reparsed(&self) -> Result<Vec<Pattern>, PolicyError> {
        let lists = self.cache.reparsed()?;
        Ok(match self.which {
            Which::Role(i) => lists.roles[i].clone(),
            Which::Shared => lists.shared.clone(),
            Which::Protected => lists.protected.clone(),
        })
    }
}

/// The details of a role in a cache file, decoded when first needed (see [`Role::lazy`]).
#[derive(Clone)]
pub(crate) struct LazyDetails {
    cache: Arc<CacheFile>,
    role: usize,
    at: ListAt,
}

impl std::fmt::Debug for LazyDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyDetails")
            .field("role", &self.role)
            .finish()
    }
}

impl LazyDetails {
    /// The details; when they cannot be read, do not match their checksum or do not decode,
    /// the policy text parsed again gives them, and `None` when it does not parse either.
    pub(crate) fn decode(&self) -> Option<RoleDetails> {
        self.decode_cached().or_else(|| {
            let lists = self.cache.reparsed().ok()?;
            lists.details.get(self.role).cloned()
        })
    }

    fn decode_cached(&self) -> Option<RoleDetails> {
        let bytes = self.cache.bytes(self.at)?;
        let d: Details<String> = postcard::from_bytes(&bytes).ok()?;
        let (branches, branch_spans) = d
            .branches
            .into_iter()
            .map(|(b, span)| (b, span.start..span.end))
            .unzip();
        Some(RoleDetails {
            description: d.description,
            signal_requires: d.signal_requires,
            spawn: d.spawn,
            branches,
            branch_spans,
        })
    }
}

impl CacheFile {
    /// The policy's lists and details from its text (read back from the cache) parsed
    /// again, once.
    fn reparsed(&self) -> Result<&ReparsedLists, PolicyError> {
        self.reparsed
            .get_or_init(|| {
                let text = self.text()?;
                let data = data::parse(&self.policy, &text)?;
                if data.roles.len() != self.roles {
                    return Err(PolicyError::file(
                        &self.policy,
                        format!("the parsed-policy cache {CACHE_FILE} does not match the policy; delete it"),
                    ));
                }
                Ok(ReparsedLists {
                    roles: data.roles.iter().map(|r| r.write.patterns().to_vec()).collect(),
                    details: data.roles.iter().map(|r| r.details().clone()).collect(),
                    shared: data.shared.patterns().to_vec(),
                    protected: data.protected.patterns().to_vec(),
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Reads `N` bytes.
fn take<const N: usize>(f: &mut impl Read) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    f.read_exact(&mut out).ok()?;
    Some(out)
}

/// Whether `a` and `b` hold the same next `len` bytes and `b` ends there (`a` need not),
/// compared a piece at a time.
fn same_bytes(a: &mut impl Read, b: &mut impl Read, len: u64) -> Option<bool> {
    let mut left = len;
    let (mut x, mut y) = (vec![0u8; COMPARE_CHUNK], vec![0u8; COMPARE_CHUNK]);
    while left > 0 {
        let n = usize::try_from(left.min(COMPARE_CHUNK as u64)).ok()?;
        a.read_exact(&mut x[..n]).ok()?;
        b.read_exact(&mut y[..n]).ok()?;
        if x[..n] != y[..n] {
            return Some(false);
        }
        left -= n as u64;
    }
    // The policy may have grown since its length was taken.
    Some(b.read(&mut y[..1]).ok()? == 0)
}

/// The policy data in `cache_file` when it was made by this lanes version from exactly the
/// text of `policy` (the open policy `file`, `size` bytes long, read from its start), and
/// the handle that reads that text back for errors; `None` for any other file, which the
/// caller treats as no cache (`policy` is then left part read).
pub(crate) fn read(
    cache_file: &Path,
    file: &Path,
    policy: &mut File,
    size: u64,
) -> Option<(PolicyData, CachedText)> {
    let mut f = File::open(cache_file).ok()?;
    let file_size = f.metadata().ok()?.len();
    let head: [u8; 13] = take(&mut f)?;
    let version_len = usize::from(head[12]);
    if head[..8] != MAGIC[..] || head[8..12] != FORMAT.to_le_bytes() || version_len != VERSION.len()
    {
        return None;
    }
    let mut version = [0u8; 256];
    f.read_exact(&mut version[..version_len]).ok()?;
    let text_len = u64::from_le_bytes(take(&mut f)?);
    if version[..version_len] != *VERSION.as_bytes() || text_len != size {
        return None;
    }
    let text_at = (head.len() + version_len + 8) as u64;
    if !same_bytes(&mut f, policy, text_len)? {
        return None;
    }
    let table: [u8; 16] = take(&mut f)?;
    let snap_len = u64::from_le_bytes(table[..8].try_into().ok()?);
    let snap_sum = u64::from_le_bytes(table[8..].try_into().ok()?);
    let lists = (text_at + text_len + 16).checked_add(snap_len)?;
    if snap_len > MAX_SNAPSHOT || lists > file_size {
        return None;
    }
    let mut bytes = vec![0u8; usize::try_from(snap_len).ok()?];
    f.read_exact(&mut bytes).ok()?;
    if checksum(&bytes) != snap_sum {
        return None;
    }
    let snap: Snapshot<String> = postcard::from_bytes(&bytes).ok()?;
    let cache = Arc::new(CacheFile {
        file: f,
        size: file_size,
        text: text_at..text_at + text_len,
        lists,
        policy: file.to_path_buf(),
        roles: snap.roles.len(),
        reparsed: OnceLock::new(),
    });
    let lazy = |which: Which, at: ListAt| -> Option<PatternList> {
        let end = lists.checked_add(at.start)?.checked_add(at.len)?;
        (end <= file_size).then(|| {
            PatternList::lazy(LazyList {
                cache: Arc::clone(&cache),
                which,
                at,
            })
        })
    };

    // Everything but the lists and details is taken now, and checked as far as it is cheap.
    let mut roles = Vec::with_capacity(snap.roles.len());
    for (i, r) in snap.roles.into_iter().enumerate() {
        if r.name.is_empty() {
            return None;
        }
        let signal = match r.signal {
            None => None,
            Some((path, span)) => Some((
                RepoPath::new(Path::new(&path)).filter(|p| !p.is_root())?,
                span.start..span.end,
            )),
        };
        let write = lazy(Which::Role(i), r.write)?;
        roles.push(if r.details.len == 0 {
            Role::new(r.name, write, r.agents, signal, RoleDetails::default())
        } else {
            lists
                .checked_add(r.details.start)?
                .checked_add(r.details.len)?;
            Role::lazy(
                r.name,
                write,
                r.agents,
                signal,
                LazyDetails {
                    cache: Arc::clone(&cache),
                    role: i,
                    at: r.details,
                },
            )
        });
    }
    let audit = match snap.audit {
        None => None,
        Some(a) => Some(RepoPath::new(Path::new(&a)).filter(|p| !p.is_root())?),
    };
    let owners_end = lists
        .checked_add(snap.owners.start)?
        .checked_add(snap.owners.len)?;
    if owners_end > file_size {
        return None;
    }
    let data = PolicyData {
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
            at: snap.owners,
        }),
    };
    Some((data, CachedText(cache)))
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

/// `list` encoded (see [`EncodedList`]); the patterns of a parsed list all have spans.
fn encode_list(list: &PatternList) -> std::io::Result<EncodedList<&str>> {
    let mut end = 0;
    list.patterns()
        .iter()
        .map(|p| {
            let span = p
                .span
                .clone()
                .ok_or_else(|| std::io::Error::other("a pattern without a span"))?;
            let gap = span
                .start
                .checked_sub(end)
                .ok_or_else(|| std::io::Error::other("patterns out of order"))?;
            end = span.end;
            Ok((gap, span.len(), p.text.as_str()))
        })
        .collect()
}

/// The bytes of a cache file for `data`, parsed from `source`.
fn encode(source: &str, data: &PolicyData, owners: &OwnerIndex) -> std::io::Result<Vec<u8>> {
    let mut lists = Vec::new();
    let mut put = |bytes: &[u8]| {
        let at = ListAt {
            start: lists.len() as u64,
            len: 8 + bytes.len() as u64,
        };
        lists.extend(checksum(bytes).to_le_bytes());
        lists.extend_from_slice(bytes);
        at
    };
    let encoded = |l: &PatternList| -> std::io::Result<Vec<u8>> {
        postcard::to_allocvec(&encode_list(l)?).map_err(std::io::Error::other)
    };
    let mut roles: Vec<RoleSnapshot<&str>> = Vec::with_capacity(data.roles.len());
    for r in &data.roles {
        let d = r.details();
        let details = Details {
            description: d.description.as_deref(),
            signal_requires: refs(&d.signal_requires),
            spawn: refs(&d.spawn),
            branches: d
                .branches
                .iter()
                .zip(&d.branch_spans)
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
        };
        let details = if d.is_default() {
            NOWHERE
        } else {
            put(&postcard::to_allocvec(&details).map_err(std::io::Error::other)?)
        };
        roles.push(RoleSnapshot {
            name: &r.name,
            write: put(&encoded(&r.write)?),
            agents: r.agents_written().map(refs),
            signal: match (&r.signal, r.signal_span()) {
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
            details,
        });
    }
    let shared = put(&encoded(&data.shared)?);
    let protected = put(&encoded(&data.protected)?);
    let owners = put(owners.as_bytes());
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
    };
    let snap = postcard::to_allocvec(&snap).map_err(std::io::Error::other)?;
    let version_len = u8::try_from(VERSION.len()).map_err(std::io::Error::other)?;
    let mut out = MAGIC.to_vec();
    out.extend(FORMAT.to_le_bytes());
    out.push(version_len);
    out.extend(VERSION.as_bytes());
    out.extend((source.len() as u64).to_le_bytes());
    out.extend(source.as_bytes());
    out.extend((snap.len() as u64).to_le_bytes());
    out.extend(checksum(&snap).to_le_bytes());
    out.extend(snap);
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

    /// The policy data read from the cache `file` for the policy text `src`.
    fn read_back(file: &Path, src: &str) -> Option<PolicyData> {
        read_text(file, src).map(|(data, _)| data)
    }

    /// [`read`] for the policy text `src` (written next to the cache file).
    fn read_text(file: &Path, src: &str) -> Option<(PolicyData, CachedText)> {
        let policy = file.with_file_name("lanes.toml");
        std::fs::write(&policy, src).unwrap();
        let mut f = File::open(&policy).unwrap();
        read(file, Path::new("lanes.toml"), &mut f, src.len() as u64)
    }

    /// The snapshot of a cache file made from `src`, where it starts, and where the lists
    /// start in the file.
    fn snapshot(bytes: &[u8], src: &str) -> (Snapshot<&'static str>, usize, usize) {
        let table = MAGIC.len() + 4 + 1 + VERSION.len() + 8 + src.len();
        let len = u64::from_le_bytes(bytes[table..table + 8].try_into().unwrap()) as usize;
        let at = table + 16;
        let rest: &'static [u8] = bytes[at..at + len].to_vec().leak();
        (postcard::from_bytes(rest).unwrap(), at, at + len)
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
                let d = r.details();
                format!(
                    "{} {:?} {:?} {:?} {:?}@{:?} {:?} {:?} {:?}@{:?}",
                    r.name,
                    d.description,
                    list(&r.write),
                    r.agents(),
                    r.signal,
                    r.signal_span(),
                    d.signal_requires,
                    d.spawn,
                    d.branches,
                    d.branch_spans
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
        let (_, snap_at, lists_at) = snapshot(&good, POLICY);
        for at in [snap_at, (snap_at + lists_at) / 2, lists_at - 1] {
            let mut damaged = good.clone();
            damaged[at] ^= 0x10;
            cases.push(("a damaged snapshot", damaged));
        }
        let mut longer = good.clone();
        longer[snap_at - 16] ^= 0x40;
        cases.push(("a snapshot length past the end", longer));
        let mut text = good.clone();
        text[snap_at - 17] ^= 0x01;
        cases.push(("another last byte of text", text));
        for (what, bytes) in cases {
            std::fs::write(&file, &bytes).unwrap();
            assert!(read_back(&file, POLICY).is_none(), "{what}");
        }
    }

    /// A list damaged after the header (its encoding, a span, a pattern's text) is parsed
    /// again from the policy text: damage never changes what a list holds.
    #[test]
    fn a_damaged_list_is_taken_from_the_text_parsed_again() {
        let data = parse(POLICY);
        let (_dir, file) = cached(POLICY, &data);
        let good = std::fs::read(&file).unwrap();
        let (snap, _, lists_start) = snapshot(&good, POLICY);
        // The builder's list, `["src/", "package.json"]`: its length (2), then per pattern
        // (gap, span length, text), the text being its length and bytes.
        let builder = lists_start + snap.roles[1].write.start as usize + 8;
        let encoded = &good[builder..builder + snap.roles[1].write.len as usize - 8];
        assert_eq!(encoded[0], 2, "{encoded:?}");
        let text = encoded.windows(4).position(|w| w == b"src/").unwrap();
        assert_eq!(
            encoded[text - 2],
            6,
            "the length of `\"src/\"`: {encoded:?}"
        );
        for (at, value) in [
            (builder, 7),               // another number of patterns
            (builder + 1, 0xff),        // a gap that does not end
            (builder + text - 2, 5),    // another span
            (builder + text, b'x'),     // `xrc/`: another pattern, same length
            (builder + text - 1, 3),    // a shorter text
            (builder + text - 1, 0x7f), // past the end of the list
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

    /// A role's details (description, spawn, branches, ...) are decoded only when asked,
    /// and damaged ones are taken from the policy text parsed again.
    #[test]
    fn damaged_role_details_are_taken_from_the_text_parsed_again() {
        let data = parse(POLICY);
        let (_dir, file) = cached(POLICY, &data);
        let good = std::fs::read(&file).unwrap();
        let (snap, _, lists_start) = snapshot(&good, POLICY);
        assert_eq!(snap.roles[2].details.len, 0, "the reviewer sets no details");
        let builder = snap.roles[1].details;
        let at = lists_start + builder.start as usize;
        assert!(good[at..at + builder.len as usize]
            .windows(7)
            .any(|w| w == b"build/*"));
        for offset in [0, builder.len as usize / 2, builder.len as usize - 1] {
            let mut bytes = good.clone();
            bytes[at + offset] ^= 0x04;
            std::fs::write(&file, &bytes).unwrap();
            let back = read_back(&file, POLICY).unwrap();
            assert_eq!(shown(&back), shown(&data), "byte {offset} of the details");
            assert_eq!(back.roles[1].spawn(), ["reviewer"]);
        }
    }

    /// The policy text of a hit is read back from the cache, for errors, only when asked.
    #[test]
    fn the_text_of_a_hit_is_read_back_from_the_cache() {
        let (_dir, file) = cached(POLICY, &parse(POLICY));
        let (_, text) = read_text(&file, POLICY).unwrap();
        assert_eq!(text.text().as_deref(), Some(POLICY));
    }

    #[test]
    fn a_list_that_cannot_be_had_is_an_error_not_an_empty_lane() {
        let data = parse(POLICY);
        // A cache that holds a text which no longer parses (made by hand: lanes never writes
        // one), with a damaged list: the list is an error, which the hook turns into a block.
        let broken = POLICY.replace("[bash]", "[bash");
        let (_dir, file) = cached(&broken, &data);
        let mut bytes = std::fs::read(&file).unwrap();
        let (snap, _, lists_start) = snapshot(&bytes, &broken);
        let last = lists_start + (snap.protected.start + snap.protected.len) as usize - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&file, &bytes).unwrap();
        let back = read_back(&file, &broken).unwrap();
        let e = back
            .protected
            .lane(Path::new("lanes.toml"), &crate::policy::Source::default())
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
        let (snap, _, lists_start) = snapshot(&bytes, POLICY);
        let at = lists_start + (snap.owners.start + snap.owners.len / 2) as usize;
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
}
