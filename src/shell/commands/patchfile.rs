//! The files a patch names, for `patch`, `git apply` and `git am`.
//!
//! A unified diff names its files on `---`/`+++` lines, but a git diff also names them on
//! its `diff --git a/X b/Y` header and on `rename from/to` and `copy from/to` lines, and a
//! diff that creates an empty file, deletes one, renames one unchanged or only changes its
//! mode has no `---`/`+++` lines at all (`new file mode`, `deleted file mode`). Every name a
//! patch may write is collected: the old side too, since a rename deletes it.
//!
//! A patch file is read at hook time, so what the command itself may write before it runs
//! (an earlier redirect, an opaque program) cannot be trusted: then it is not read.

use crate::shell::expand::Val;
use crate::shell::walk::{State, Walker};
use crate::shell::{Found, Target};
use std::path::Path;

/// Names on a patch's lines, `strip` leading components removed (`None`: GNU patch's
/// default, either none or one). For GNU `patch`: `---`/`+++`, context diff `***`, `Index:`
/// and the git headers.
pub(super) fn patch_files(text: &str, strip: Option<usize>) -> Vec<String> {
    let strips: Vec<usize> = match strip {
        Some(n) => vec![n],
        None => vec![0, 1],
    };
    collect(text, &strips, true)
}

/// Names `git apply` and `git am` would write: the git headers and `---`/`+++` lines, `-p`
/// components removed (`rename`/`copy` lines carry no `a/` prefix, so one less).
pub(super) fn git_patch_files(text: &str, strip: usize) -> Vec<String> {
    collect(text, &[strip], false)
}

fn collect(text: &str, strips: &[usize], gnu: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut add = |name: &str, strip: usize| {
        let name = unquote(name);
        let name = name.trim();
        if name.is_empty() || name == "/dev/null" {
            return;
        }
        let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
        if strip < parts.len() {
            let p = parts[strip..].join("/");
            if seen.insert(p.clone()) {
                out.push(p);
            }
        }
    };
    for line in text.lines().take(100_000) {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            for name in git_header_names(rest, strips) {
                for &n in strips {
                    add(&name, n);
                }
            }
            continue;
        }
        let header = ["rename from ", "rename to ", "copy from ", "copy to "]
            .iter()
            .find_map(|h| line.strip_prefix(h));
        if let Some(name) = header {
            for &n in strips {
                add(name, n.saturating_sub(1));
            }
            continue;
        }
        let mut name = line.strip_prefix("+++ ").or(line.strip_prefix("--- "));
        if gnu {
            name = name
                .or(line.strip_prefix("*** "))
                .or(line.strip_prefix("Index: "));
        }
        let Some(rest) = name else { continue };
        // Context-diff hunk ranges (`*** 1,5 ****`, `--- 1,5 ----`) name no file.
        if rest.ends_with("****") || rest.ends_with("----") {
            continue;
        }
        let name = match rest.strip_prefix('"') {
            Some(_) => rest,
            None => rest.split('\t').next().unwrap_or(rest),
        };
        for &n in strips {
            add(name, n);
        }
    }
    out
}

/// The two names of a `diff --git` header: quoted names are read as such; otherwise the
/// split where both sides name the same file (git's rule for names with spaces), else the
/// split before ` b/`.
fn git_header_names(rest: &str, strips: &[usize]) -> Vec<String> {
    if rest.starts_with('"') {
        if let Some(end) = closing_quote(rest) {
            let (a, b) = rest.split_at(end + 1);
            return vec![a.to_string(), b.trim_start().to_string()];
        }
    }
    if let Some(i) = rest.find(" \"") {
        return vec![rest[..i].to_string(), rest[i + 1..].to_string()];
    }
    let strip = strips.last().copied().unwrap_or(1);
    let tail = |s: &str| -> Option<String> {
        let parts: Vec<&str> = s.split('/').collect();
        (strip < parts.len()).then(|| parts[strip..].join("/"))
    };
    // Each split costs the line's length: tried for lines with few spaces only.
    for (i, _) in rest.match_indices(' ').take(64) {
        let (a, b) = (&rest[..i], &rest[i + 1..]);
        if tail(a).is_some() && tail(a) == tail(b) {
            return vec![a.to_string(), b.to_string()];
        }
    }
    match rest.rfind(" b/").or_else(|| rest.find(' ')) {
        Some(i) => vec![rest[..i].to_string(), rest[i + 1..].to_string()],
        None => vec![rest.to_string()],
    }
}

/// The index of the quote that closes the one `s` starts with.
fn closing_quote(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// A C-quoted name (`"a/x\tb"`), unquoted; other names as they are.
fn unquote(name: &str) -> String {
    let name = name.trim();
    let Some(inner) = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) else {
        return name.to_string();
    };
    let mut bytes = Vec::with_capacity(inner.len());
    let mut it = inner.bytes().peekable();
    while let Some(c) = it.next() {
        if c != b'\\' {
            bytes.push(c);
            continue;
        }
        match it.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&e @ b'0'..=b'7') = it.peek() {
                        v = v * 8 + u32::from(e - b'0');
                        it.next();
                    }
                }
                bytes.push(v as u8);
            }
            Some(o) => bytes.push(o),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Reads a patch file named in the command (at most 4 MiB). `None` when it cannot be read,
/// when the working directory is unknown, or when something earlier in the same command may
/// have written it (a write to it or to an unknown path, an opaque program): the file on
/// disk now is not the one the command will read.
pub(super) fn read_patch(w: &Walker, st: &State, v: &Val) -> Option<String> {
    use std::io::Read;
    let t = v.literal()?;
    let path = if Path::new(t).is_absolute() {
        Path::new(t).to_path_buf()
    } else {
        st.pwd()?.join(t)
    };
    // Through the links made in the command, as the program will open it.
    let path = w.follow(&crate::path::normalize_lexically(&path))?;
    // Written earlier in this command: what it will hold is what was written (when that was
    // literal text), not what is on disk now.
    if let Some(written) = w.written_content(&path) {
        return written.map(String::from);
    }
    if may_have_changed(w, &path) {
        return None;
    }
    // Only regular files: a device or pipe (`/dev/stdin`, `/dev/tty`, a FIFO) could block the
    // hook or be its own.
    if !std::fs::metadata(&path).ok()?.is_file() {
        return None;
    }
    let mut buf = String::new();
    std::fs::File::open(&path)
        .ok()?
        .take(4 << 20)
        .read_to_string(&mut buf)
        .ok()?;
    Some(buf)
}

/// True when a finding recorded so far may have changed `path`.
fn may_have_changed(w: &Walker, path: &Path) -> bool {
    w.findings.iter().any(|f| match &f.effect {
        Found::Write { target, .. } => match target {
            Target::Path(p) => crate::path::normalize_lexically(p) == path,
            Target::Subtree(p) => path.starts_with(crate::path::normalize_lexically(p)),
            Target::Unknown { .. } => true,
        },
        Found::Opaque { .. } | Found::Unparseable { .. } => true,
        Found::RepoWide { .. } | Found::Tamper { .. } => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_headers_name_files_without_content_lines() {
        let rename = "diff --git a/src/x.rs b/docs/x.rs\nsimilarity index 100%\n\
                      rename from src/x.rs\nrename to docs/x.rs\n";
        assert_eq!(git_patch_files(rename, 1), ["src/x.rs", "docs/x.rs"]);
        let created =
            "diff --git a/docs/new b/docs/new\nnew file mode 100644\nindex 0000000..e69de29\n";
        assert_eq!(git_patch_files(created, 1), ["docs/new"]);
        let copy = "diff --git a/src/a b/docs/b\ncopy from src/a\ncopy to docs/b\n";
        assert_eq!(git_patch_files(copy, 1), ["src/a", "docs/b"]);
        assert_eq!(git_patch_files(copy, 2), ["a", "b"]);
        let spaced = "diff --git a/docs/a b.md b/docs/a b.md\ndeleted file mode 100644\n";
        assert_eq!(git_patch_files(spaced, 1), ["docs/a b.md"]);
        let quoted = "diff --git \"a/docs/\\303\\251.md\" \"b/docs/\\303\\251.md\"\n";
        assert_eq!(git_patch_files(quoted, 1), ["docs/é.md"]);
    }

    #[test]
    fn gnu_patch_reads_context_and_index_lines() {
        let ctx = "Index: docs/a.md\n*** docs/a.md\t2024\n--- docs/a.md\t2024\n***************\n\
                   *** 1,2 ****\n--- 1,2 ----\n";
        assert_eq!(patch_files(ctx, Some(0)), ["docs/a.md"]);
    }
}
