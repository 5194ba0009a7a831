//! The fields a word expands to, built piece by piece, and field splitting at `IFS`.

use super::Val;

/// The fields a word expands to, built piece by piece.
pub(super) struct Fields<'o> {
    pub(super) out: &'o mut Vec<Val>,
    /// The field being built (for an unknown one: its literal prefix).
    pub(super) cur: String,
    /// True once the current field exists (it has text, or a quoted part, even empty).
    pub(super) started: bool,
    pub(super) known: bool,
    pub(super) glob: bool,
    /// Field splitting applies (arguments); off for assignments and the like.
    pub(super) split: bool,
}

impl Fields<'_> {
    /// Literal text (quoted, or unquoted text of the word itself).
    pub(super) fn text(&mut self, s: &str) {
        if self.known {
            self.cur.push_str(s);
        }
        self.started = true;
    }

    /// Unquoted text, where `*`, `?` and `[` are glob characters.
    pub(super) fn unquoted(&mut self, s: &str) {
        if self.known && self.split && s.contains(['*', '?', '[']) {
            self.glob = true;
        }
        self.text(s);
    }

    /// The rest of the current field cannot be known.
    pub(super) fn unknown(&mut self) {
        self.known = false;
        self.started = true;
    }

    /// Ends the current field.
    pub(super) fn finish(&mut self) {
        if self.started {
            let text = std::mem::take(&mut self.cur);
            self.out.push(if self.known {
                Val::Known {
                    text: text.into(),
                    glob: self.glob,
                }
            } else {
                Val::Unknown { prefix: text }
            });
        }
        self.cur.clear();
        self.started = false;
        self.known = true;
        self.glob = false;
    }

    /// The value of an expansion: split at `ifs` when unquoted (`None`: `IFS` unknown, so
    /// where the fields end is unknown too).
    pub(super) fn value(&mut self, v: &Val, quoted: bool, ifs: Option<&str>) {
        let (text, unknown_after) = match v {
            Val::Known { text, .. } => (text.as_str(), false),
            Val::Unknown { prefix } => (prefix.as_str(), true),
        };
        if quoted || !self.split {
            self.text(text);
        } else {
            match ifs {
                Some(ifs) => self.split_into(text, ifs),
                None if text.is_empty() && !unknown_after => {}
                None => self.unknown(),
            }
        }
        if unknown_after {
            self.unknown();
        }
    }

    fn split_into(&mut self, text: &str, ifs: &str) {
        let (pieces, lead, trail) = split_ifs(text, ifs);
        if lead {
            self.finish();
        }
        for (k, p) in pieces.iter().enumerate() {
            if k > 0 {
                self.finish();
            }
            self.unquoted(p);
        }
        if trail && !pieces.is_empty() {
            self.finish();
        }
    }

    /// A list of values (`"$@"`, `${a[@]}`): one field per element when quoted (the first
    /// joins the text before, the last the text after); unquoted, each is also split.
    /// Without splitting (an assignment), the elements are joined with spaces.
    pub(super) fn list(&mut self, elems: &[Val], quoted: bool, ifs: Option<&str>) {
        for (k, e) in elems.iter().enumerate() {
            if k > 0 {
                if self.split {
                    self.finish();
                } else {
                    self.text(" ");
                }
            }
            if quoted && self.split {
                self.started = true; // `"$@"` keeps an empty parameter as a field
            }
            self.value(e, quoted, ifs);
        }
    }
}

/// Splits `text` at the characters of `ifs` as bash does: runs of `IFS` white space
/// separate fields and are dropped at both ends; each other `IFS` character ends a field.
/// Returns the fields and whether the text starts and ends with a separator.
fn split_ifs(text: &str, ifs: &str) -> (Vec<String>, bool, bool) {
    if ifs.is_empty() || text.is_empty() {
        let fields = if text.is_empty() {
            Vec::new()
        } else {
            vec![text.to_string()]
        };
        return (fields, false, false);
    }
    let is_sep = |c: char| ifs.contains(c);
    let is_white = |c: char| is_sep(c) && matches!(c, ' ' | '\t' | '\n');
    let lead = text.starts_with(is_sep);
    let trail = text.ends_with(is_sep);
    let chars: Vec<char> = text.chars().collect();
    let mut fields = Vec::new();
    let mut i = 0;
    while i < chars.len() && is_white(chars[i]) {
        i += 1;
    }
    while i < chars.len() {
        let mut field = String::new();
        while i < chars.len() && !is_sep(chars[i]) {
            field.push(chars[i]);
            i += 1;
        }
        fields.push(field);
        // One separator: white space around at most one other IFS character.
        while i < chars.len() && is_white(chars[i]) {
            i += 1;
        }
        if i < chars.len() && is_sep(chars[i]) && !is_white(chars[i]) {
            i += 1;
            while i < chars.len() && is_white(chars[i]) {
                i += 1;
            }
        }
    }
    (fields, lead, trail)
}
