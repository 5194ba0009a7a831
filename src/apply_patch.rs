//! The files an `apply_patch` patch writes: Codex's patch format, which Codex's `apply_patch`
//! tool (`tool_input.command`), Copilot CLI's `apply_patch` (a bare string in `toolArgs`) and
//! an `apply_patch` here-document typed into Codex's shell all carry.
//!
//! Format (`shared/reference/other-clients.md` §2 and §4): `*** Begin Patch`, then per file
//! `*** Add File: P`, `*** Delete File: P`, or `*** Update File: P` optionally followed by
//! `*** Move to: Q`, each with its hunk lines, then `*** End Patch`. Paths are relative to the
//! call's working directory (or absolute). A leaf: it knows nothing of lanes.
//!
//! Every header line is taken, wherever it stands (Codex's own parser is lenient about
//! indentation and wrappers such as `<<'EOF'`): naming one path too many makes a deny more
//! likely, never an allow.

use std::fmt;

/// What a patch does to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `*** Add File:` creates it.
    Add,
    /// `*** Update File:` changes it (and, with `*** Move to:`, deletes it).
    Update,
    /// `*** Delete File:` deletes it.
    Delete,
    /// `*** Move to:` writes the updated file here.
    MoveTo,
}

/// One file a patch writes, as written in the patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The path after the header (trimmed); relative to the call's directory unless absolute.
    pub path: String,
    /// What happens to it.
    pub op: Op,
}

/// Why a patch's files cannot be known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchError {
    /// No `*** Add File:`, `*** Update File:` or `*** Delete File:` line.
    NoFiles,
    /// A header names no path (`*** Add File:` and nothing after it).
    EmptyPath(&'static str),
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchError::NoFiles => f.write_str(
                "the patch names no file (no `*** Add File:`, `*** Update File:` or `*** Delete File:` line)",
            ),
            PatchError::EmptyPath(h) => write!(f, "the patch has a `{h}` line with no path"),
        }
    }
}

impl std::error::Error for PatchError {}

const HEADERS: [(&str, Op); 4] = [
    ("*** Add File:", Op::Add),
    ("*** Update File:", Op::Update),
    ("*** Delete File:", Op::Delete),
    ("*** Move to:", Op::MoveTo),
];

/// The files `text` writes, in order. Errors when it names none, or a header has no path.
pub fn written(text: &str) -> Result<Vec<Written>, PatchError> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        // Hunk lines start with `+`, `-`, ` ` or `@@`: only header lines start with `***`.
        if !line.starts_with("*** ") {
            continue;
        }
        for (header, op) in HEADERS {
            if let Some(rest) = line.strip_prefix(header) {
                let path = rest.trim();
                if path.is_empty() {
                    return Err(PatchError::EmptyPath(header));
                }
                out.push(Written {
                    path: path.to_string(),
                    op,
                });
            }
        }
    }
    if out.iter().all(|w| w.op == Op::MoveTo) {
        return Err(PatchError::NoFiles);
    }
    Ok(out)
}

/// [`written`], paths only.
pub fn paths(text: &str) -> Result<Vec<String>, PatchError> {
    Ok(written(text)?.into_iter().map(|w| w.path).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(path: &str, op: Op) -> Written {
        Written {
            path: path.into(),
            op,
        }
    }

    #[test]
    fn every_header_names_a_written_file() {
        let patch = "*** Begin Patch\n*** Add File: src/hello.txt\n+hello from codex\n\
                     *** Update File: README.md\n*** Move to: docs/README.md\n@@\n-old\n+new\n\
                     *** Delete File: research/old.md\n*** End Patch\n";
        assert_eq!(
            written(patch).unwrap(),
            [
                w("src/hello.txt", Op::Add),
                w("README.md", Op::Update),
                w("docs/README.md", Op::MoveTo),
                w("research/old.md", Op::Delete),
            ]
        );
    }

    #[test]
    fn added_lines_that_look_like_headers_are_content() {
        let patch =
            "*** Begin Patch\n*** Add File: src/a\n+*** Add File: research/x\n*** End Patch";
        assert_eq!(paths(patch).unwrap(), ["src/a"]);
    }

    #[test]
    fn indented_and_wrapped_patches_still_name_their_files() {
        let patch = "<<'EOF'\n  *** Begin Patch\n  *** Add File:   src/b  \n+x\n*** End Patch\nEOF";
        assert_eq!(paths(patch).unwrap(), ["src/b"]);
    }

    #[test]
    fn a_patch_that_names_nothing_is_an_error() {
        assert_eq!(
            written("*** Begin Patch\n*** End Patch\n"),
            Err(PatchError::NoFiles)
        );
        assert_eq!(written("hello"), Err(PatchError::NoFiles));
        assert_eq!(written("*** Move to: x"), Err(PatchError::NoFiles));
        assert_eq!(
            written("*** Begin Patch\n*** Add File:\n+x\n"),
            Err(PatchError::EmptyPath("*** Add File:"))
        );
    }
}
