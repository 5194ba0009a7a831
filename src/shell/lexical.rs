//! The lexical scan: paths named anywhere in a text, without parsing it.
//!
//! Used when a command cannot be parsed (so a failed parse never becomes a silent allow),
//! for the arguments of opaque programs (`python3 -c "open('docs/x','w')"`), and for
//! here-documents fed to interpreters. Deliberately over-eager: it only ever adds denials to
//! cases that were going to be opaque or unparseable (reference §4.8).

use std::path::{Path, PathBuf};

/// Most candidates one scan reports.
pub const MAX_MENTIONS: usize = 64;
/// Most bare words checked against the file system (one `stat` each).
const MAX_STATS: usize = 32;

/// The paths `text` names, absolute and lexically normalised: tokens containing `/`, or
/// starting with `~`, or bare words that exist in `cwd`. Tokens are split at
/// whitespace, quotes and shell or program punctuation; `NAME=` and `--opt=` prefixes are
/// dropped. Each is resolved against `cwd` and against every `cd <literal>` in the text.
pub fn mentions(text: &str, cwd: &Path, home: Option<&Path>) -> Vec<PathBuf> {
    let tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || "'\"`;|&()<>{}[],$\\".contains(c))
        .filter(|t| !t.is_empty())
        .collect();
    let mut bases = vec![cwd.to_path_buf()];
    for pair in tokens.windows(2) {
        if matches!(pair[0], "cd" | "pushd") && bases.len() < 8 {
            bases.push(join(cwd, pair[1], home));
        }
    }
    let mut out: Vec<PathBuf> = Vec::new();
    let mut stats = 0;
    for raw in tokens {
        let t = raw
            .rsplit_once('=')
            .map_or(raw, |(_, v)| v)
            .trim_end_matches(':');
        if t.is_empty() || t.contains("://") || t.chars().all(|c| c == '/') {
            continue;
        }
        let pathish = t.contains('/') || t.starts_with('~') || t == "..";
        let bare = !pathish
            && t.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !t.starts_with('-')
            && stats < MAX_STATS
            && {
                stats += 1;
                std::fs::symlink_metadata(cwd.join(t)).is_ok()
            };
        if !(pathish || bare) {
            continue;
        }
        for base in &bases {
            let p = join(base, t, home);
            if !out.contains(&p) {
                out.push(p);
            }
            if out.len() >= MAX_MENTIONS {
                return out;
            }
        }
    }
    out
}

fn join(base: &Path, t: &str, home: Option<&Path>) -> PathBuf {
    let p = match (t.strip_prefix('~'), home) {
        (Some(rest), Some(h)) if rest.is_empty() || rest.starts_with('/') => {
            h.join(rest.trim_start_matches('/'))
        }
        _ => base.join(t),
    };
    crate::path::normalize_lexically(&p)
}

/// The text shortened for quoting in a message (first 160 characters, one line).
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 160;
    // ASCII (most commands): bytes are characters, so no decoding is needed.
    let head = &text.as_bytes()[..text.len().min(MAX + 1)];
    if head.is_ascii() {
        let kept = &text[..head.len().min(MAX)];
        // Folded without an early exit, so the compiler compares whole vectors.
        let control = kept
            .bytes()
            .fold(false, |any, b| any | (b < 0x20) | (b == 0x7f));
        let mut out = if control {
            kept.replace(|c: char| c.is_ascii_control(), " ")
        } else {
            let mut out = String::with_capacity(kept.len() + '…'.len_utf8());
            out.push_str(kept);
            out
        };
        if text.len() > MAX {
            out.push('…');
        }
        return out;
    }
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(161)
        .collect();
    if one_line.chars().count() > 160 {
        format!("{}…", one_line.chars().take(160).collect::<String>())
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_paths_in_code_and_after_cd() {
        let m = mentions(
            "python -c 'open(\"docs/x\",\"w\").write(1)'",
            Path::new("/r"),
            None,
        );
        assert_eq!(m, [PathBuf::from("/r/docs/x")]);
        let m = mentions(
            "cd sub && cat <<EOF > ../docs/y",
            Path::new("/r"),
            Some(Path::new("/h")),
        );
        assert!(m.contains(&PathBuf::from("/r/docs/y")), "{m:?}");
        let m = mentions(
            "echo ~/x --out=./o https://e.com/a/b",
            Path::new("/r"),
            Some(Path::new("/h")),
        );
        assert_eq!(m, [PathBuf::from("/h/x"), PathBuf::from("/r/o")]);
    }

    #[test]
    fn excerpt_is_short_and_single_line() {
        assert_eq!(excerpt("a\nb"), "a b");
        assert_eq!(excerpt(&"x".repeat(500)).chars().count(), 161);
        assert_eq!(excerpt(&"x".repeat(160)), "x".repeat(160));
        assert_eq!(excerpt(&"é".repeat(170)), format!("{}…", "é".repeat(160)));
        assert_eq!(
            excerpt(&format!("{}é", "x".repeat(160))),
            format!("{}…", "x".repeat(160))
        );
        assert_eq!(excerpt("a\tb\x7fc"), "a b c");
    }
}
