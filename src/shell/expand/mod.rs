//! Static word expansion: what a word's value is, as far as the text alone says.
//!
//! Quotes, escapes, ANSI-C `$'...'`, braces, `~`, and variables whose value is known (`HOME`,
//! `PWD`, `OLDPWD`, and assignments made earlier in the same command, arrays and positional
//! parameters included) give literal text; the parameter operators (`${x#p}`, `${x/p/r}`,
//! `${x:1:2}`, `${!name}`, ...) are applied to known values. Unquoted expansions are split at
//! `IFS` into several words, as bash does, so a command built from data (`c='rm -rf x'; $c`)
//! is seen as the command it runs. Anything else (`$(...)`, unknown variables, most
//! arithmetic) makes the value unknown from that point on; the literal text before it is
//! kept as a prefix, never guessed past. Command substitutions are handed to the [`Scope`]
//! so their own writes are found.
//!
//! This module holds [`Val`], the [`Scope`] and the walk of a word's pieces; the submodules
//! hold brace expansion, the fields being built, and parameter expansion.

mod brace;
mod fields;
mod param;

use brace::{braces, TooMany};
use fields::Fields;
use param::{arith_int, parameter_expr};

use super::ast::{Text, Word};
use brush_parser::word::{
    self, Parameter, ParameterExpr, SpecialParameter, TildeExpr, WordPiece, WordPieceWithSource,
};

/// Most words one brace expansion may produce; past it the word counts as unknown.
pub const MAX_BRACE_WORDS: usize = 256;

/// `IFS` when the script has not set it.
pub const DEFAULT_IFS: &str = " \t\n";

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

fn known(s: String) -> Val {
    Val::Known {
        text: s.into(),
        glob: false,
    }
}

/// What expansion needs from the walker.
pub trait Scope {
    /// The value of variable `name` when it is known (an array gives its first element;
    /// `1`, `2`, ... the positional parameters; `#` their count).
    fn lookup(&self, name: &str) -> Option<String>;
    /// Walks the body of a command substitution (its writes count) and returns its output
    /// when that is known statically (`$(pwd)`, `$(git rev-parse --show-toplevel)`).
    fn substitute(&mut self, body: &str) -> Option<String>;
    /// The elements of array `name`, or the positional parameters for `@`, when known.
    fn list(&self, name: &str) -> Option<Vec<Val>> {
        match name {
            "@" => None,
            _ => self.lookup(name).map(|v| vec![known(v)]),
        }
    }
    /// `IFS`, which splits the values of unquoted expansions: `None` when it is not known.
    fn ifs(&self) -> Option<String> {
        Some(DEFAULT_IFS.to_string())
    }
    /// Told that expansion may have assigned `name` (`${x:=v}`): `value` when known.
    fn assigned(&mut self, _name: &str, _value: Option<String>) {}
    /// Asks for `steps` of pattern matching; false when the analysis has spent its budget
    /// (the value is then unknown), so the work stays bounded whatever the command.
    fn charge(&mut self, _steps: usize) -> bool {
        true
    }
}

/// Expands `word` into its fields, as for a command's arguments: brace expansion, then
/// unquoted expansions split at `IFS` (`c='rm -rf x'; $c` is three words), `"$@"` and
/// `"${a[@]}"` one field per element; an unquoted expansion of nothing is no field.
pub fn expand(word: &Word, scope: &mut dyn Scope) -> Vec<Val> {
    let mut out = Vec::new();
    expand_into(word, scope, &mut out);
    out
}

/// [`expand`], appending the fields to `out` (a command's argument list, built without a
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
        Ok(Some(alts)) => {
            for a in &alts {
                match plain(a) {
                    Some(text) => out.push(known(text.to_string())),
                    None => parsed(a, scope, true, out),
                }
            }
        }
        // A word that nothing in it expands is its own value: shared, not copied.
        Ok(None) => match plain(raw) {
            Some(text) => out.push(Val::Known {
                text: word.0.sub(text),
                glob: false,
            }),
            None => parsed(raw, scope, true, out),
        },
    }
}

/// Expands `word` to one value without braces or field splitting, as bash does for the
/// value of an assignment, a `case` word, the words of `[[ ]]` and a here-string.
pub fn expand_single(word: &Word, scope: &mut dyn Scope) -> Val {
    let raw = word.0.as_str();
    if let Some(text) = plain(raw) {
        return Val::Known {
            text: word.0.sub(text),
            glob: false,
        };
    }
    let mut out = Vec::new();
    parsed(raw, scope, false, &mut out);
    out.pop().unwrap_or_else(|| known(String::new()))
}

/// Expands `raw` through brush-parser's word parser (any word), appending its fields.
fn parsed(raw: &str, scope: &mut dyn Scope, split: bool, out: &mut Vec<Val>) {
    let mut f = Fields {
        out,
        cur: String::new(),
        started: false,
        known: true,
        glob: false,
        split,
    };
    match word::parse(raw, &super::parse::word_options()) {
        Ok(pieces) => pieces_into(&pieces, false, scope, &mut f),
        Err(_) => f.unknown(),
    }
    if !split {
        f.started = true; // an assignment's value exists even when empty
    }
    f.finish();
}

/// The value of `raw` (a default value, a pattern, a replacement), unsplit: `None` when
/// unknown.
fn sub_value(raw: &str, quoted: bool, scope: &mut dyn Scope) -> Option<String> {
    let mut out = Vec::new();
    let mut f = Fields {
        out: &mut out,
        cur: String::new(),
        started: true,
        known: true,
        glob: false,
        split: false,
    };
    match word::parse(raw, &super::parse::word_options()) {
        Ok(pieces) => pieces_into(&pieces, quoted, scope, &mut f),
        Err(_) => f.unknown(),
    }
    f.finish();
    match out.pop() {
        Some(Val::Known { text, .. }) => Some(text.to_string()),
        _ => None,
    }
}

fn pieces_into(
    pieces: &[WordPieceWithSource],
    quoted: bool,
    scope: &mut dyn Scope,
    f: &mut Fields,
) {
    for p in pieces {
        match &p.piece {
            WordPiece::Text(t) => {
                if quoted {
                    f.text(t)
                } else {
                    f.unquoted(t)
                }
            }
            WordPiece::SingleQuotedText(t) => f.text(t),
            WordPiece::AnsiCQuotedText(t) => f.text(&ansi_c(t)),
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                // `""` is a field; `"$@"` with no parameters is none.
                if !inner.iter().any(|p| is_all_elements(&p.piece)) {
                    f.started = true;
                }
                pieces_into(inner, true, scope, f)
            }
            WordPiece::TildeExpansion(t) => {
                let v = match t {
                    TildeExpr::Home => scope.lookup("HOME"),
                    TildeExpr::WorkingDir => scope.lookup("PWD"),
                    TildeExpr::OldWorkingDir => scope.lookup("OLDPWD"),
                    _ => None,
                };
                match v {
                    Some(v) => f.text(&v),
                    None => f.unknown(),
                }
            }
            WordPiece::ParameterExpansion(e) => parameter_expr(e, quoted, scope, f),
            WordPiece::CommandSubstitution(body)
            | WordPiece::BackquotedCommandSubstitution(body) => match scope.substitute(body) {
                Some(out) => {
                    let ifs = scope.ifs();
                    f.value(&known(out), quoted, ifs.as_deref())
                }
                None => f.unknown(),
            },
            WordPiece::EscapeSequence(s) => {
                let rest = s.strip_prefix('\\').unwrap_or(s);
                if rest == "\n" {
                    continue;
                }
                if quoted && !matches!(rest, "\"" | "\\" | "$" | "`") {
                    f.text(s);
                } else {
                    f.text(rest);
                }
            }
            WordPiece::ArithmeticExpression(e) => {
                // `$(( $(cmd) ))` still runs cmd.
                if e.value.contains("$(") || e.value.contains('`') {
                    let _ = sub_value(&e.value, true, scope);
                    f.unknown();
                    continue;
                }
                match arith_int(&e.value, scope) {
                    Some(n) => f.text(&n.to_string()),
                    None => f.unknown(),
                }
            }
        }
    }
}

/// True for `$@`, `${a[@]}`: expansions that give one field per element when quoted.
fn is_all_elements(piece: &WordPiece) -> bool {
    let WordPiece::ParameterExpansion(e) = piece else {
        return false;
    };
    let param = match e {
        ParameterExpr::Parameter { parameter, .. }
        | ParameterExpr::UseDefaultValues { parameter, .. }
        | ParameterExpr::UseAlternativeValue { parameter, .. }
        | ParameterExpr::Substring { parameter, .. }
        | ParameterExpr::ReplaceSubstring { parameter, .. }
        | ParameterExpr::RemoveSmallestPrefixPattern { parameter, .. }
        | ParameterExpr::RemoveLargestPrefixPattern { parameter, .. }
        | ParameterExpr::RemoveSmallestSuffixPattern { parameter, .. }
        | ParameterExpr::RemoveLargestSuffixPattern { parameter, .. } => parameter,
        _ => return false,
    };
    matches!(
        param,
        Parameter::Special(SpecialParameter::AllPositionalParameters { concatenate: false })
            | Parameter::NamedWithAllIndices {
                concatenate: false,
                ..
            }
    )
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
        fn list(&self, name: &str) -> Option<Vec<Val>> {
            let v = self.0.get(if name == "@" { "ARGS" } else { name })?;
            Some(v.split(',').map(k).collect())
        }
        fn ifs(&self) -> Option<String> {
            match self.0.get("IFS") {
                Some(&"?") => None,
                Some(v) => Some(v.to_string()),
                None => Some(DEFAULT_IFS.to_string()),
            }
        }
        fn substitute(&mut self, body: &str) -> Option<String> {
            self.1.push(body.to_string());
            (body == "pwd").then(|| "/r".to_string())
        }
    }

    fn ex(raw: &str) -> (Vec<Val>, Vec<String>) {
        ex_with(raw, &[])
    }

    fn ex_with(raw: &str, more: &[(&'static str, &'static str)]) -> (Vec<Val>, Vec<String>) {
        let mut vars = HashMap::from([("HOME", "/home/u"), ("X", "docs"), ("PWD", "/r")]);
        vars.extend(more.iter().copied());
        let mut v = Vars(vars, Vec::new());
        let out = expand(&Word(raw.to_string().into()), &mut v);
        (out, v.1)
    }

    fn u(prefix: &str) -> Val {
        Val::Unknown {
            prefix: prefix.to_string(),
        }
    }

    #[test]
    fn unquoted_expansions_split_into_words() {
        let c = [("C", "rm -rf docs"), ("E", ""), ("G", "docs/*")];
        assert_eq!(ex_with("$C", &c).0, [k("rm"), k("-rf"), k("docs")]);
        assert_eq!(ex_with("\"$C\"", &c).0, [k("rm -rf docs")]);
        assert_eq!(ex_with("x$C", &c).0, [k("xrm"), k("-rf"), k("docs")]);
        assert_eq!(ex_with("$E", &c).0, []);
        assert_eq!(ex_with("\"$E\"", &c).0, [k("")]);
        assert_eq!(
            ex_with("$G", &c).0,
            [Val::Known {
                text: "docs/*".into(),
                glob: true
            }]
        );
        let ifs = [("IFS", "/"), ("P", "rm/-rf/docs")];
        assert_eq!(ex_with("$P", &ifs).0, [k("rm"), k("-rf"), k("docs")]);
        let unknown_ifs = [("IFS", "?"), ("P", "rm -rf")];
        assert_eq!(ex_with("$P", &unknown_ifs).0, [u("")]);
    }

    #[test]
    fn lists_give_one_word_per_element() {
        let a = [("A", "rm,-rf,docs dir"), ("ARGS", "a b,c")];
        assert_eq!(
            ex_with("\"${A[@]}\"", &a).0,
            [k("rm"), k("-rf"), k("docs dir")]
        );
        assert_eq!(
            ex_with("${A[@]}", &a).0,
            [k("rm"), k("-rf"), k("docs"), k("dir")]
        );
        assert_eq!(ex_with("\"${A[*]}\"", &a).0, [k("rm -rf docs dir")]);
        assert_eq!(ex_with("${A[1]}", &a).0, [k("-rf")]);
        assert_eq!(ex_with("${#A[@]}", &a).0, [k("3")]);
        assert_eq!(ex_with("\"$@\"", &a).0, [k("a b"), k("c")]);
        assert_eq!(ex_with("x\"$@\"y", &a).0, [k("xa b"), k("cy")]);
        assert_eq!(ex_with("\"${@:2}\"", &a).0, [k("c")]);
        assert_eq!(ex("\"$@\"").0, [u("")]);
    }

    #[test]
    fn parameter_operators_on_known_values() {
        let v = [("N", "C"), ("C", "rm -rf"), ("Y", "Xdocs/a.md"), ("Z", "")];
        assert_eq!(ex_with("${!N}", &v).0, [k("rm"), k("-rf")]);
        assert_eq!(ex_with("${Y#X}", &v).0, [k("docs/a.md")]);
        assert_eq!(ex_with("${Y##*/}", &v).0, [k("a.md")]);
        assert_eq!(ex_with("${Y%.*}", &v).0, [k("Xdocs/a")]);
        assert_eq!(ex_with("${Y%%/*}", &v).0, [k("Xdocs")]);
        assert_eq!(ex_with("${Y/X/}", &v).0, [k("docs/a.md")]);
        assert_eq!(ex_with("${Y//[Xa]/_}", &v).0, [k("_docs/_.md")]);
        assert_eq!(ex_with("${Y:1:4}", &v).0, [k("docs")]);
        assert_eq!(ex_with("${Z:-rm}", &v).0, [k("rm")]);
        assert_eq!(ex_with("${Y:+rm}", &v).0, [k("rm")]);
        assert_eq!(ex_with("${Y^^}", &v).0, [k("XDOCS/A.MD")]);
        assert_eq!(ex_with("${#Y}", &v).0, [k("10")]);
        assert_eq!(ex_with("${Q:-rm}", &v).0, [u("")]);
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
            let mut slow = Vec::new();
            parsed(w, &mut v, true, &mut slow);
            assert_eq!(expand(&Word(w.to_string().into()), &mut v), slow, "{w}");
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
