//! Policy errors that point at the file, line, column and key, like a compiler does.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A policy that cannot be used. Display shape: `FILE:LINE:COLUMN: KEY: MESSAGE`, where line
/// and column are 1-based and `KEY` is the dotted TOML key (`roles.builder.write`); parts that
/// are unknown (an unreadable file has no line) are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// The policy file (`lanes.toml`), as it was found or named.
    pub file: PathBuf,
    /// 1-based line of the offending text, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters) of the offending text, when known.
    pub column: Option<usize>,
    /// Dotted key of the offending entry (`roles.builder.write`), when known.
    pub key: Option<String>,
    /// What is wrong, for people.
    pub message: String,
}

impl PolicyError {
    /// An error about the file as a whole (unreadable, no parent directory).
    pub fn file(file: &Path, message: impl Into<String>) -> PolicyError {
        PolicyError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
        }
    }

    /// An error at a byte range of `source`; line, column and key are worked out from it.
    pub fn at(
        file: &Path,
        source: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> PolicyError {
        let mut err = PolicyError::file(file, message);
        if let Some(span) = span {
            // A span from the parsed-policy cache is not checked against the text when it is
            // read: keep it inside the text and on a character boundary, so a damaged one
            // misplaces a message instead of panicking.
            let mut offset = span.start.min(source.len());
            while !source.is_char_boundary(offset) {
                offset -= 1;
            }
            let before = &source[..offset];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            err.line = Some(line);
            err.column = Some(source[line_start..offset].chars().count() + 1);
            err.key = key_at(source, offset);
        }
        err
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for PolicyError {}

/// The dotted key that the text at `offset` belongs to: the nearest `key =` at or above it
/// (inside the same table) joined to the nearest `[table]` header above it. A span on a
/// header itself yields the header's name. Serde errors carry spans but not key paths; this
/// recovers the path from the text so messages name the key.
fn key_at(source: &str, offset: usize) -> Option<String> {
    let upto = &source[..source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i)];
    let mut key: Option<&str> = None;
    for line in upto.lines().rev() {
        let t = line.trim_start();
        if let Some(header) = t.strip_prefix('[') {
            let header = header.trim_start_matches('[');
            let name = header.split(']').next().unwrap_or("").trim();
            return Some(match key {
                Some(k) => format!("{name}.{k}"),
                None => name.to_string(),
            });
        }
        if key.is_none() {
            if let Some((k, _)) = t.split_once('=') {
                let k = k.trim();
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_alphanumeric() || "_-.\"'".contains(c))
                {
                    key = Some(k);
                }
            }
        }
    }
    key.map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_line_column_and_dotted_key() {
        let src = "mode = \"enforce\"\n\n[roles.builder]\nwrite = [\n  \"src/\",\n  \"!!\",\n]\n";
        let at = src.find("\"!!\"").unwrap();
        let e = PolicyError::at(
            Path::new("lanes.toml"),
            src,
            Some(at..at + 4),
            "bad pattern",
        );
        assert_eq!(
            e.to_string(),
            "lanes.toml:6:3: roles.builder.write: bad pattern"
        );
    }

    #[test]
    fn top_level_key_and_header() {
        let src = "mode = 3\n[rolez]\n";
        let e = PolicyError::at(Path::new("p.toml"), src, Some(7..8), "m");
        assert_eq!(e.to_string(), "p.toml:1:8: mode: m");
        let e = PolicyError::at(Path::new("p.toml"), src, Some(10..15), "m");
        assert_eq!(e.to_string(), "p.toml:2:2: rolez: m");
    }
}
