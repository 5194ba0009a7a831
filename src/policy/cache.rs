//! The parsed-policy cache of `lanes hook`: `ROOT/.lanes/cache/policy.bin`.
//!
//! The hook runs on every tool call, and parsing a large `lanes.toml` (200 roles of 50
//! patterns: 216 KB) costs several times as much as the rest of the call. The cache is one
//! blob keyed on the policy's bytes: it holds the policy text it was made from and is used
//! only when that text equals `lanes.toml` byte for byte (no times, no hashes decide).
//! Anything else (no file, a short or damaged one, another lanes version, another text) is a
//! miss, and the policy is parsed as without a cache.
//!
//! Layout: [`MAGIC`], the format (`u32`, little-endian), the lanes version (a length byte and
//! the text), the policy text (a `u64` length and the bytes), then the body's length and
//! [`checksum`] (two `u64`) and the body: the checked [`PolicyData`] and the owner index, in
//! postcard (a compact serde format with a stable wire specification).
//!
//! The checksum catches damage, not forgery: the cache lies in `.lanes/`, which no role may
//! write, and whoever could write it could as well edit `lanes.toml`.

use super::model::PolicyData;
use super::owners::OwnerIndex;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// Where the cache lies, relative to the project root.
pub(super) const CACHE_FILE: &str = ".lanes/cache/policy.bin";

/// Policies shorter than this are parsed on every call: reading the cache would cost about as
/// much (the template policies are under 1 KiB).
pub(super) const MIN_SOURCE_BYTES: usize = 4 * 1024;

/// The first bytes of a cache file.
const MAGIC: &[u8; 8] = b"lanes\xffpc";

/// The layout's version; bump it when the layout or the body's types change.
const FORMAT: u32 = 8;

/// The lanes version: a cache written by another version is a miss, since the checked data
/// may differ between versions even for the same text.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the cache keeps besides the text.
#[derive(Serialize, Deserialize)]
struct Body<'a> {
    data: PolicyData,
    /// [`OwnerIndex::as_bytes`], as bytes (one length, then the bytes).
    #[serde(borrow, with = "super::pattern::bytes")]
    owners: std::borrow::Cow<'a, [u8]>,
}

/// The cache's header up to (not including) the policy text.
fn header(text_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + VERSION.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.push(VERSION.len() as u8);
    out.extend_from_slice(VERSION.as_bytes());
    out.extend_from_slice(&(text_len as u64).to_le_bytes());
    out
}

/// The checked data and owner index of the cache at `file`, when it was made from exactly
/// `text` by this lanes version and is undamaged; `None` otherwise (a miss).
pub(super) fn read(file: &Path, text: &str) -> Option<(PolicyData, OwnerIndex)> {
    let blob = std::fs::read(file).ok()?;
    let rest = blob.strip_prefix(header(text.len()).as_slice())?;
    let rest = rest.strip_prefix(text.as_bytes())?;
    let (len, rest) = rest.split_first_chunk::<8>()?;
    let (sum, body) = rest.split_first_chunk::<8>()?;
    if u64::from_le_bytes(*len) != body.len() as u64 || u64::from_le_bytes(*sum) != checksum(body) {
        return None;
    }
    let body: Body = postcard::from_bytes(body).ok()?;
    Some((body.data, OwnerIndex::from_bytes(body.owners.into_owned())))
}

/// Writes the cache for `text` atomically: a temporary file in the same folder, renamed over
/// the old one, so a concurrent hook reads the old cache or the new one, never half of one.
///
/// Errors: the folder or file cannot be written; the caller goes on without a cache.
pub(super) fn write(
    file: &Path,
    text: &str,
    data: &PolicyData,
    owners: &OwnerIndex,
) -> std::io::Result<()> {
    let body = postcard::to_allocvec(&Body {
        data: data.clone(),
        owners: owners.as_bytes().into(),
    })
    .map_err(std::io::Error::other)?;
    let mut blob = header(text.len());
    blob.reserve(text.len() + 16 + body.len());
    blob.extend_from_slice(text.as_bytes());
    blob.extend_from_slice(&(body.len() as u64).to_le_bytes());
    blob.extend_from_slice(&checksum(&body).to_le_bytes());
    blob.extend_from_slice(&body);
    let dir = file.parent().unwrap_or(Path::new("."));
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
    // One temporary file per process: hooks started together each write their own.
    let tmp = dir.join(format!("policy.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(&blob))
        .and_then(|()| std::fs::rename(&tmp, file));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A 64-bit checksum of `bytes`, eight at a time (xor, multiply by FNV's prime, rotate):
/// enough to tell a damaged cache from a whole one, at a fraction of a byte-wise hash's cost.
fn checksum(bytes: &[u8]) -> u64 {
    let mix = |h: u64, word: u64| {
        (h ^ word)
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(29)
    };
    let mut words = bytes.chunks_exact(8);
    let mut h = words.by_ref().fold(0xcbf2_9ce4_8422_2325, |h, w| {
        mix(h, u64::from_le_bytes(w.try_into().expect("eight bytes")))
    });
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    h = mix(h, u64::from_le_bytes(tail));
    mix(h, bytes.len() as u64)
}
