//! Static word expansion: what a word's value is, as far as the text alone says.
//!
//! Quotes, escapes, ANSI-C `$'...'`, braces, `~`, and variables whose value is known (`HOME`,
//! `PWD`, `OLDPWD`, and assignments made earlier in the same command) give literal text.
//! Anything else (`$(...)`, `$1`, unknown variables, arithmetic) makes the value unknown
//! from that point on; the literal text before it is kept as a prefix, never guessed past.
//! Command substitutions are handed to the [`Scope`] so their own writes are found.

use super::ast::{Text, Word};
use brush_parser::word::{
    self, BraceExpressionMember, BraceExpressionOrText, Parameter, ParameterExpr, TildeExpr,
    WordPiece, WordPieceWithSource,
};

/// Most words one brace expansion may produce; past it the word counts as unknown.
pub const MAX_BRACE_WORDS: usize = 256;

/// A word's value after static expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// Fully known. `glob` is true when unquoted `*`, `?` or `[` may match files.
    Known {
        /// The text (shared with the word when nothing in it expands).
        text: Text,
        /// Unquoted glob characters present.
        glob: bool,
    },
    /// Unknown after `prefix` (the literal text before the first unknown piece).
    Unknown {
        /// The literal prefix.
        prefix: String,
    },
}

impl Val {
    /// The known text, if any.
    pub fn known(&self) -> Option<&str> {
        match self {
            Val::Known { text, .. } => Some(text),
            Val::Unknown { .. } => None,
        }
    }

    /// The known text without glob characters (a plain literal).
    pub fn literal(&self) -> Option<&str> {
        match self {
            Val::Known { text, glob: false } => Some(text),
            _ => None,
        }
    }

    /// The text (for an unknown value: its prefix), for messages and path hints.
    pub fn text(&self) -> &str {
        match self {
            Val::Known { text, .. } => text,
            Val::Unknown { prefix } => prefix,
        }
    }
}

/// What expansion needs from the walker.
pub trait Scope {
    /// The value of variable `name` when it is known.
    fn lookup(&self, name: &str) -> Option<String>;
    /// Walks the body of a command substitution (its writes count).
    /// Walks the body of a command substitution (its writes count) and returns its output
    /// when that is known statically (`$(pwd)`, `$(git rev-parse --show-toplevel)`).
    fn substitute(&mut self, body: &str) -> Option<String>;
}

/// Expands `word` into its values (several when braces expand).
pub fn expand(word: &Word, scope: &mut dyn Scope) -> Vec<Val> {
    let mut out = Vec::new();
    expand_into(word, scope, &mut out);
    out
}

/// [`expand`], appending the values to `out` (a command's argument list, built without a
/// list per word).
pub fn expand_into(word: &Word, scope: &mut dyn Scope, out: &mut Vec<Val>) {
    let raw = word.0.as_str();
    let alternatives = if raw.contains('{') {
        braces(raw)
    } else {
        Ok(None)
    };
    match alternatives {
        Err(TooMany) => out.push(Val::Unknown {
            prefix: String::new(),
        }),
        Ok(Some(alts)) if alts.len() > MAX_BRACE_WORDS => out.push(Val::Unknown {
            prefix: String::new(),
        }),
        Ok(Some(alts)) => out.extend(alts.iter().map(|a| expand_one(a, scope))),
        // A word that nothing in it expands is its own value: shared, not copied.
        Ok(None) => out.push(match plain(raw) {
            Some(text) => Val::Known {
                text: word.0.sub(text),
                glob: false,
            },
            None => parsed(raw, scope),
        }),
    }
}

/// A brace expansion would produce more than [`MAX_BRACE_WORDS`] words.
struct TooMany;

fn braces(raw: &str) -> Result<Option<Vec<String>>, TooMany> {
    let Ok(Some(parts)) = word::parse_brace_expansions(raw, &super::parse::word_options()) else {
        return Ok(None);
    };
    if parts
        .iter()
        .all(|p| matches!(p, BraceExpressionOrText::Text(_)))
    {
        return Ok(None);
    }
    let mut out = vec![String::new()];
    alternatives(&parts, &mut out).ok_or(TooMany)?;
    Ok(Some(out))
}

/// Appends every alternative of `parts` to each string in `acc` (cartesian product).
fn alternatives(parts: &[BraceExpressionOrText], acc: &mut Vec<String>) -> Option<()> {
    for part in parts {
        match part {
            BraceExpressionOrText::Text(t) => acc.iter_mut().for_each(|s| s.push_str(t)),
            BraceExpressionOrText::Expr(members) => {
                let mut next = Vec::new();
                for member in members {
                    let mut options: Vec<String> = Vec::new();
                    match member {
                        BraceExpressionMember::Child(children) => {
                            let mut sub = vec![String::new()];
                            alternatives(children, &mut sub)?;
                            options.extend(sub);
                        }
                        BraceExpressionMember::NumberSequence {
                            start,
                            end,
                            increment,
                        } => {
                            let step = increment.unsigned_abs().max(1) as i64;
                            if (end - start).unsigned_abs() / step as u64 > MAX_BRACE_WORDS as u64 {
                                return None;
                            }
                            let mut n = *start;
                            while (start <= end && n <= *end) || (start > end && n >= *end) {
                                options.push(n.to_string());
                                n += if start <= end { step } else { -step };
                            }
                        }
                        BraceExpressionMember::CharSequence { start, end, .. } => {
                            let (a, z) = (*start.min(end) as u32, *start.max(end) as u32);
                            if z - a > MAX_BRACE_WORDS as u32 {
                                return None;
                            }
                            options.extend((a..=z).filter_map(char::from_u32).map(String::from));
                        }
                    }
                    for prefix in acc.iter() {
                        for o in &options {
                            next.push(format!("{prefix}{o}"));
                            if next.len() > MAX_BRACE_WORDS {
                                *acc = next;
                                return Some(());
                            }
                        }
                    }
                }
                *acc = next;
            }
        }
    }
    Some(())
}

struct Acc {
    text: String,
    known: bool,
    glob: bool,
}

impl Acc {
    fn push(&mut self, s: &str) {
        if self.known {
            self.text.push_str(s);
        }
    }
    fn unknown(&mut self) {
        self.known = false;
    }
}

fn expand_one(raw: &str, scope: &mut dyn Scope) -> Val {
    if let Some(text) = plain(raw) {
        return Val::Known {
            text: text.to_string().into(),
            glob: false,
        };
    }
    parsed(raw, scope)
}

/// [`expand_one`] through brush-parser's word parser: any word.
fn parsed(raw: &str, scope: &mut dyn Scope) -> Val {
    let mut acc = Acc {
        text: String::new(),
        known: true,
        glob: false,
    };
    match word::parse(raw, &super::parse::word_options()) {
        Ok(pieces) => pieces_into(&pieces, false, scope, &mut acc),
        Err(_) => acc.unknown(),
    }
    if acc.known {
        Val::Known {
            text: acc.text.into(),
            glob: acc.glob,
        }
    } else {
        Val::Unknown { prefix: acc.text }
    }
}

/// The value of a word that nothing in it expands: only characters with no meaning to the
/// shell, or one single-quoted string. Most words are like that, and brush-parser's word
/// parser (a cached PEG parse that copies its result) costs far more than this scan.
fn plain(raw: &str) -> Option<&str> {
    let b = raw.as_bytes();
    if let [b'\'', inner @ .., b'\''] = b {
        return memchr::memchr(b'\'', inner)
            .is_none()
            .then(|| &raw[1..raw.len() - 1]);
    }
    // Folded without an early exit (words are short): no branch per byte.
    let loud = b.iter().fold(false, |any, &c| any | !QUIET[c as usize]);
    (!b.is_empty() && !loud).then_some(raw)
}

/// Bytes with no meaning to the shell: letters, digits and `_./-+,:@%=`.
const QUIET: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 128 {
        t[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let more = b"_./-+,:@%=";
    let mut k = 0;
    while k < more.len() {
        t[more[k] as usize] = true;
        k += 1;
    }
    t
};

fn pieces_into(pieces: &[WordPieceWithSource], quoted: bool, scope: &mut dyn Scope, acc: &mut Acc) {
    for p in pieces {
        match &p.piece {
            WordPiece::Text(t) => {
                if !quoted && t.contains(['*', '?', '[']) && acc.known {
                    acc.glob = true;
                }
                acc.push(t);
            }
            WordPiece::SingleQuotedText(t) => acc.push(t),
            WordPiece::AnsiCQuotedText(t) => acc.push(&ansi_c(t)),
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => pieces_into(inner, true, scope, acc),
            WordPiece::TildeExpansion(t) => match t {
                TildeExpr::Home => lookup(scope, "HOME", acc),
                TildeExpr::WorkingDir => lookup(scope, "PWD", acc),
                TildeExpr::OldWorkingDir => lookup(scope, "OLDPWD", acc),
                _ => acc.unknown(),
            },
            WordPiece::ParameterExpansion(e) => match e {
                ParameterExpr::Parameter {
                    parameter: Parameter::Named(n),
                    indirect: false,
                } => lookup(scope, n, acc),
                ParameterExpr::UseDefaultValues {
                    parameter: Parameter::Named(n),
                    indirect: false,
                    ..
                } => lookup(scope, n, acc),
                _ => acc.unknown(),
            },
            WordPiece::CommandSubstitution(body)
            | WordPiece::BackquotedCommandSubstitution(body) => match scope.substitute(body) {
                Some(out) => acc.push(&out),
                None => acc.unknown(),
            },
            WordPiece::EscapeSequence(s) => {
                let rest = s.strip_prefix('\\').unwrap_or(s);
                if rest == "\n" {
                    continue;
                }
                if quoted && !matches!(rest, "\"" | "\\" | "$" | "`") {
                    acc.push(s);
                } else {
                    acc.push(rest);
                }
            }
            WordPiece::ArithmeticExpression(e) => {
                // `$(( $(cmd) ))` still runs cmd.
                if e.value.contains("$(") || e.value.contains('`') {
                    if let Ok(inner) = word::parse(&e.value, &super::parse::word_options()) {
                        let mut scratch = Acc {
                            text: String::new(),
                            known: true,
                            glob: false,
                        };
                        pieces_into(&inner, true, scope, &mut scratch);
                    }
                }
                acc.unknown();
            }
        }
    }
}

fn lookup(scope: &mut dyn Scope, name: &str, acc: &mut Acc) {
    match scope.lookup(name) {
        Some(v) => acc.push(&v),
        None => acc.unknown(),
    }
}

/// Decodes the body of `$'...'` as bash does (`\n`, `\t`, `\xHH`, `\NNN`, `\uHHHH`, ...).
pub fn ansi_c(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        let mut number = |radix: u32, max: usize, first: Option<char>| {
            let mut digits: String = first.into_iter().collect();
            while digits.len() < max {
                match chars.peek() {
                    Some(d) if d.is_digit(radix) => digits.push(chars.next().unwrap_or('0')),
                    _ => break,
                }
            }
            u32::from_str_radix(&digits, radix)
                .ok()
                .and_then(char::from_u32)
        };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'e' | 'E' => out.push('\x1b'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            '\\' | '\'' | '"' | '?' => out.push(e),
            'x' => match number(16, 2, None) {
                Some(ch) => out.push(ch),
                None => out.push_str("\\x"),
            },
            'u' => out.extend(number(16, 4, None)),
            'U' => out.extend(number(16, 8, None)),
            '0'..='7' => out.extend(number(8, 3, Some(e))),
            'c' => {
                if let Some(x) = chars.next() {
                    out.push(char::from((x as u8) & 0x1f));
                }
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Vars(HashMap<&'static str, &'static str>, Vec<String>);
    impl Scope for Vars {
        fn lookup(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|s| s.to_string())
        }
        fn substitute(&mut self, body: &str) -> Option<String> {
            self.1.push(body.to_string());
            (body == "pwd").then(|| "/r".to_string())
        }
    }

    fn ex(raw: &str) -> (Vec<Val>, Vec<String>) {
        let mut v = Vars(
            HashMap::from([("HOME", "/home/u"), ("X", "docs"), ("PWD", "/r")]),
            Vec::new(),
        );
        let out = expand(&Word(raw.to_string().into()), &mut v);
        (out, v.1)
    }

    fn k(s: &str) -> Val {
        Val::Known {
            text: s.to_string().into(),
            glob: false,
        }
    }

    #[test]
    fn quoting_escapes_and_ansi_c() {
        assert_eq!(ex("'src/it'\\''s.txt'").0, [k("src/it's.txt")]);
        assert_eq!(
            ex("src/file\\ with\\ space.txt").0,
            [k("src/file with space.txt")]
        );
        assert_eq!(ex("$'docs/ansi\\x2emd'").0, [k("docs/ansi.md")]);
        assert_eq!(ex("$'\\x2e\\x2e/esc.txt'").0, [k("../esc.txt")]);
        assert_eq!(ex("\"a\\\"b\\$c\\d\"").0, [k("a\"b$c\\d")]);
        assert_eq!(
            ex("\"docs/file with spaces.md\"").0,
            [k("docs/file with spaces.md")]
        );
    }

    #[test]
    fn variables_tilde_braces_globs() {
        assert_eq!(ex("$X/y.txt").0, [k("docs/y.txt")]);
        assert_eq!(ex("\"$HOME/x\"").0, [k("/home/u/x")]);
        assert_eq!(ex("~/.bashrc").0, [k("/home/u/.bashrc")]);
        assert_eq!(ex("\"$PWD/docs/x\"").0, [k("/r/docs/x")]);
        assert_eq!(ex("${X:-lit}").0, [k("docs")]);
        assert_eq!(ex("src/{a,b}.rs").0, [k("src/a.rs"), k("src/b.rs")]);
        assert_eq!(ex("f{1..3}").0, [k("f1"), k("f2"), k("f3")]);
        assert_eq!(
            ex("src/*.rs").0,
            [Val::Known {
                text: "src/*.rs".into(),
                glob: true
            }]
        );
        assert_eq!(ex("'src/*.rs'").0, [k("src/*.rs")]);
        assert_eq!(
            ex("{1..100000}").0,
            [Val::Unknown {
                prefix: String::new()
            }]
        );
    }

    #[test]
    fn plain_words_skip_the_parser_with_the_same_value() {
        let words = [
            "src/lib.rs",
            "-i",
            "--out=a,b:c@d%e+f",
            "'s/old_name_1/new_name_1/g'",
            "'mod m;'",
            "''",
            "'a b\\c $x `y` \"z\"'",
            "A=1",
        ];
        for w in words {
            let mut v = Vars(HashMap::new(), Vec::new());
            assert!(plain(w).is_some(), "{w}");
            assert_eq!(expand_one(w, &mut v), parsed(w, &mut v), "{w}");
        }
        for w in [
            "'a'b'",
            "'a'\\''b'",
            "~/x",
            "a*",
            "$x",
            "a\\ b",
            "{a,b}",
            "'",
            "",
        ] {
            assert!(plain(w).is_none(), "{w}");
        }
    }

    #[test]
    fn unknowns_keep_their_prefix_and_substitutions_are_walked() {
        let (v, subs) = ex("docs/$(echo a).md");
        assert_eq!(
            v,
            [Val::Unknown {
                prefix: "docs/".into()
            }]
        );
        assert_eq!(subs, ["echo a"]);
        assert_eq!(
            ex("\"$OUT\"").0,
            [Val::Unknown {
                prefix: String::new()
            }]
        );
        assert_eq!(
            ex("src/$1").0,
            [Val::Unknown {
                prefix: "src/".into()
            }]
        );
        assert_eq!(
            ex("~other/x").0,
            [Val::Unknown {
                prefix: String::new()
            }]
        );
    }
}
