//! The anatomy of one `.claude/agents/*.md` file: which parts lanes wrote and may rewrite,
//! and which are the user's.
//!
//! lanes' parts are the block between the markers (in the body, after the frontmatter) and
//! the frontmatter line `description: "... (lanes role `NAME`: writes only ...)"`, a JSON
//! string ending with lanes' note. Every other byte is the user's: the `name` (the agent's
//! identity, which lanes writes once and never changes), fields the user added, a description
//! the user wrote, text around the block.

use super::claude_md::{self, MarkerError};

/// Who wrote an agent file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// It holds a lanes block: lanes regenerates its parts.
    Managed,
    /// Written by a lanes without markers. `unedited`: byte for byte what that lanes wrote
    /// (see [`super::agent_legacy`]), so it may be rewritten whole.
    Legacy {
        /// No byte changed since.
        unedited: bool,
    },
    /// The user's own: lanes never writes it.
    Foreign,
}

/// Who wrote `text`. Errors: unbalanced markers in the body (lines counted in the file).
pub fn kind(text: &str) -> Result<Kind, MarkerError> {
    let at = body_start(text);
    if claude_md::find_block(&text[at..])
        .map_err(|e| shift(e, text, at))?
        .is_some()
    {
        return Ok(Kind::Managed);
    }
    if super::agent_legacy::unedited(text) {
        return Ok(Kind::Legacy { unedited: true });
    }
    if text.contains(super::agent_legacy::NOTE) || lanes_description(text).is_some() {
        return Ok(Kind::Legacy { unedited: false });
    }
    Ok(Kind::Foreign)
}

/// A [`Kind::Managed`] `text` with lanes' parts replaced: `description` (a whole line, see
/// [`super::agents::description_line`]) where lanes' description line is, and `block` where
/// the block is. Every other byte is kept.
///
/// Errors: unbalanced markers.
pub fn merge(text: &str, description: &str, block: &str) -> Result<String, MarkerError> {
    let at = body_start(text);
    let (front, body) = text.split_at(at);
    let body = claude_md::merge(Some(body), block).map_err(|e| shift(e, text, at))?;
    let front = match lanes_description(text) {
        Some((start, end)) => format!("{}{description}{}", &front[..start], &front[end..]),
        None => front.to_string(),
    };
    Ok(front + &body)
}

/// True when a [`Kind::Managed`] `text` holds nothing but what lanes wrote: without the block,
/// lanes' description line and the `name:` line, only the frontmatter fences and blank lines
/// are left. Such a file can be deleted without losing anything of the user's.
pub fn only_lanes_text(text: &str) -> bool {
    let at = body_start(text);
    let (front, body) = text.split_at(at);
    let body_empty = match claude_md::remove(body) {
        Ok(None) => true,
        Ok(Some(rest)) => rest.trim().is_empty(),
        Err(_) => false,
    };
    body_empty && front_is_lanes_only(text, front)
}

/// True when the frontmatter `front` of `text` holds only fences, blank lines, `name:` and
/// lanes' description.
fn front_is_lanes_only(text: &str, front: &str) -> bool {
    let lanes_line = lanes_description(text);
    let mut offset = 0;
    front.split_inclusive('\n').all(|line| {
        let start = offset;
        offset += line.len();
        let t = line.trim();
        t.is_empty()
            || t == "---"
            || line.starts_with("name:")
            || lanes_line.is_some_and(|(s, _)| s == start)
    })
}

/// Where the body starts: after the closing `---` of a frontmatter that opens the file, or 0.
fn body_start(text: &str) -> usize {
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => return 0,
    }
    let mut offset = text.split_inclusive('\n').next().map_or(0, str::len);
    for line in lines {
        offset += line.len();
        if line.trim_end() == "---" {
            return offset;
        }
    }
    0 // never closed: not frontmatter
}

/// The byte range (newline included) of lanes' `description:` line in the frontmatter of
/// `text`: a JSON string ending with `(lanes role `...`: writes only ....)`.
fn lanes_description(text: &str) -> Option<(usize, usize)> {
    let front = &text[..body_start(text)];
    let mut offset = 0;
    for line in front.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let Some(value) = line.strip_prefix("description:") else {
            continue;
        };
        let Ok(text) = serde_json::from_str::<String>(value.trim()) else {
            continue;
        };
        if text.contains("(lanes role `") && text.ends_with(".)") {
            return Some((start, offset));
        }
    }
    None
}

/// A marker error in the body at `at`, with its line counted from the top of `text`.
fn shift(mut e: MarkerError, text: &str, at: usize) -> MarkerError {
    e.line += text[..at].matches('\n').count();
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "<!-- lanes:begin -->\nnew\n<!-- lanes:end -->\n";
    const DESC: &str = "description: \"New. (lanes role `b`: writes only src/.)\"\n";

    #[test]
    fn merge_replaces_lanes_parts_and_keeps_every_other_byte() {
        let old = "---\nname: b\nmodel: opus  \ndescription: \"Old. (lanes role `b`: writes only lib/.)\"\ntools: Read, Edit\n---\n\
                   <!-- lanes:begin -->\nold\n<!-- lanes:end -->\nMine.\r\n\n";
        assert_eq!(kind(old), Ok(Kind::Managed));
        assert_eq!(
            merge(old, DESC, BLOCK).unwrap(),
            "---\nname: b\nmodel: opus  \ndescription: \"New. (lanes role `b`: writes only src/.)\"\ntools: Read, Edit\n---\n\
             <!-- lanes:begin -->\nnew\n<!-- lanes:end -->\nMine.\r\n\n"
        );
        // The user's own description (no lanes note) is theirs.
        let own = "---\nname: b\ndescription: Builds.\n---\n<!-- lanes:begin -->\nold\n<!-- lanes:end -->\n";
        assert_eq!(
            merge(own, DESC, BLOCK).unwrap(),
            "---\nname: b\ndescription: Builds.\n---\n<!-- lanes:begin -->\nnew\n<!-- lanes:end -->\n"
        );
        // Markers in the frontmatter are not the block; the body's are.
        let merged = merge(&format!("---\nname: b\n{DESC}---\n{BLOCK}"), DESC, BLOCK).unwrap();
        assert_eq!(merged, format!("---\nname: b\n{DESC}---\n{BLOCK}"));
    }

    #[test]
    fn kinds_and_what_only_lanes_wrote() {
        let managed = format!("---\nname: b\n{DESC}---\n{BLOCK}");
        assert!(only_lanes_text(&managed));
        assert!(!only_lanes_text(&format!("{managed}Mine.\n")));
        assert!(!only_lanes_text(
            &managed.replace("name: b\n", "name: b\nmodel: opus\n")
        ));
        assert_eq!(kind("---\nname: b\n---\nMine.\n"), Ok(Kind::Foreign));
        assert_eq!(kind("plain\n"), Ok(Kind::Foreign));
        assert_eq!(
            kind(&format!("---\nname: b\n{DESC}---\nMine, edited.\n")),
            Ok(Kind::Legacy { unedited: false })
        );
        assert_eq!(
            kind("x\n<!-- Written by `lanes init` from lanes.toml. Edited -->\n"),
            Ok(Kind::Legacy { unedited: false })
        );
        let e = kind("---\nname: b\n---\n<!-- lanes:begin -->\n").unwrap_err();
        assert_eq!(e.line, 4);
    }
}
