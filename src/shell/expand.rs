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

use super::ast::{Text, Word};
use super::pattern::{self, remove_pattern, replace_pattern};
use brush_parser::word::{
    self, BraceExpressionMember, BraceExpressionOrText, Parameter, ParameterExpr,
    ParameterTestType, ParameterTransformOp, SpecialParameter, TildeExpr, WordPiece,
    WordPieceWithSource,
};

/// Most words one brace expansion may produce; past it the word counts as unknown.
pub const MAX_BRACE_WORDS: usize = 256;

/// `IFS` when the script has not set it.
pub const DEFAULT_IFS: &str = " \t\n";

/// Longest value the pattern operators (`${x#p}`, `${x/p/r}`) work on; longer: unknown.
/// Replacing is quadratic in the value (see [`super::pattern`]), so it is small.
const MAX_PATTERN_INPUT: usize = 256;

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

/// The fields a word expands to, built piece by piece.
struct Fields<'o> {
    out: &'o mut Vec<Val>,
    /// The field being built (for an unknown one: its literal prefix).
    cur: String,
    /// True once the current field exists (it has text, or a quoted part, even empty).
    started: bool,
    known: bool,
    glob: bool,
    /// Field splitting applies (arguments); off for assignments and the like.
    split: bool,
}

impl Fields<'_> {
    /// Literal text (quoted, or unquoted text of the word itself).
    fn text(&mut self, s: &str) {
        if self.known {
            self.cur.push_str(s);
        }
        self.started = true;
    }

    /// Unquoted text, where `*`, `?` and `[` are glob characters.
    fn unquoted(&mut self, s: &str) {
        if self.known && self.split && s.contains(['*', '?', '[']) {
            self.glob = true;
        }
        self.text(s);
    }

    /// The rest of the current field cannot be known.
    fn unknown(&mut self) {
        self.known = false;
        self.started = true;
    }

    /// Ends the current field.
    fn finish(&mut self) {
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
    fn value(&mut self, v: &Val, quoted: bool, ifs: Option<&str>) {
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
    fn list(&mut self, elems: &[Val], quoted: bool, ifs: Option<&str>) {
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

/// A parameter's value: one string, or a list (`$@`, `${a[@]}`, `$*`).
enum PVal {
    One(String),
    /// The elements, and whether they are joined into one (`$*`, `${a[*]}`).
    List(Vec<Val>, bool),
}

/// Looks a parameter up (`None`: unknown); with `indirect` (`${!name}`), its value names
/// the variable.
fn param_value(p: &Parameter, indirect: bool, scope: &mut dyn Scope) -> Option<PVal> {
    let direct = match p {
        Parameter::Positional(0) => None,
        Parameter::Positional(n) => scope.lookup(&n.to_string()).map(PVal::One),
        Parameter::Special(SpecialParameter::AllPositionalParameters { concatenate }) => {
            scope.list("@").map(|l| PVal::List(l, *concatenate))
        }
        Parameter::Special(SpecialParameter::PositionalParameterCount) => {
            scope.lookup("#").map(PVal::One)
        }
        Parameter::Special(_) => None,
        Parameter::Named(n) => scope.lookup(n).map(PVal::One),
        Parameter::NamedWithIndex { name, index } => {
            let i = usize::try_from(arith_int(index, scope)?).ok()?;
            match scope.list(name)?.get(i) {
                Some(Val::Known { text, .. }) => Some(PVal::One(text.to_string())),
                Some(Val::Unknown { .. }) => None,
                None => Some(PVal::One(String::new())),
            }
        }
        Parameter::NamedWithAllIndices { name, concatenate } => {
            scope.list(name).map(|l| PVal::List(l, *concatenate))
        }
    };
    if !indirect {
        return direct;
    }
    // `${!name}`: the variable named by name's value.
    let PVal::One(target) = direct? else {
        return None;
    };
    let inner = match target.split_once('[') {
        Some((n, rest)) => match rest.strip_suffix(']')? {
            "@" | "*" => Parameter::NamedWithAllIndices {
                name: n.to_string(),
                concatenate: rest.starts_with('*'),
            },
            index => Parameter::NamedWithIndex {
                name: n.to_string(),
                index: index.to_string(),
            },
        },
        None if !target.is_empty() && target.bytes().all(|b| b.is_ascii_digit()) => {
            Parameter::Positional(target.parse().ok()?)
        }
        None if target == "@" || target == "*" => {
            Parameter::Special(SpecialParameter::AllPositionalParameters {
                concatenate: target == "*",
            })
        }
        None if is_name(&target) => Parameter::Named(target),
        None => return None,
    };
    param_value(&inner, false, scope)
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The value of a simple arithmetic expression: an integer, or a variable (`$i`, `i`)
/// holding one, optionally added to or subtracted from another. Else `None`.
fn arith_int(expr: &str, scope: &mut dyn Scope) -> Option<i64> {
    let e = expr.trim();
    let atom = |t: &str, scope: &mut dyn Scope| -> Option<i64> {
        let t = t.trim();
        if let Ok(n) = t.parse::<i64>() {
            return Some(n);
        }
        let name = t.strip_prefix('$').unwrap_or(t);
        let name = name
            .strip_prefix('{')
            .and_then(|n| n.strip_suffix('}'))
            .unwrap_or(name);
        if is_name(name) {
            let v = scope.lookup(name)?;
            let v = v.trim();
            // bash reads an unset or empty variable as 0.
            return if v.is_empty() {
                Some(0)
            } else {
                v.parse().ok()
            };
        }
        None
    };
    if let Some(n) = atom(e, scope) {
        return Some(n);
    }
    // `a+b`, `a-b` (one operator, not a leading sign).
    let at = e.get(1..)?.find(['+', '-']).map(|i| i + 1)?;
    let (l, r) = (&e[..at], &e[at + 1..]);
    let (a, b) = (atom(l, scope)?, atom(r, scope)?);
    if e.as_bytes()[at] == b'+' {
        a.checked_add(b)
    } else {
        a.checked_sub(b)
    }
}

/// One `${...}` (or `$name`) expansion.
fn parameter_expr(e: &ParameterExpr, quoted: bool, scope: &mut dyn Scope, f: &mut Fields) {
    use ParameterExpr as P;
    let ifs = scope.ifs();
    let ifs = ifs.as_deref();
    // A value, or a list's elements (one field each), or a list joined (`"$*"`).
    let emit = |v: PVal, f: &mut Fields| match v {
        PVal::One(s) => f.value(&known(s), quoted, ifs),
        PVal::List(l, true) if quoted || !f.split => match ifs {
            Some(sep) => {
                let sep = if f.split {
                    sep.chars().next()
                } else {
                    Some(' ')
                };
                match join_list(&l, sep) {
                    Some(s) => f.text(&s),
                    None => f.unknown(),
                }
            }
            None => f.unknown(),
        },
        PVal::List(l, _) => f.list(&l, quoted, ifs),
    };
    match e {
        P::Parameter {
            parameter,
            indirect,
        }
        | P::IndicateErrorIfNullOrUnset {
            parameter,
            indirect,
            ..
        } => match param_value(parameter, *indirect, scope) {
            Some(v) => emit(v, f),
            None => f.unknown(),
        },
        P::UseDefaultValues {
            parameter,
            indirect,
            test_type,
            default_value,
        }
        | P::AssignDefaultValues {
            parameter,
            indirect,
            test_type,
            default_value,
        } => {
            let value = param_value(parameter, *indirect, scope);
            // `${x:=v}` also assigns x when it is empty (or unset).
            let assigns = match (e, parameter) {
                (P::AssignDefaultValues { .. }, Parameter::Named(n)) => Some(n.as_str()),
                _ => None,
            };
            match value {
                Some(v) if !is_empty(&v) => emit(v, f),
                // Empty: the default with `:-` (for `-`, empty and unset differ: unknown).
                Some(_) if matches!(test_type, ParameterTestType::UnsetOrNull) => {
                    let d = match default_value {
                        Some(d) => sub_value(d, quoted, scope),
                        None => Some(String::new()),
                    };
                    if let Some(n) = assigns {
                        scope.assigned(n, d.clone());
                    }
                    match d {
                        Some(d) => f.value(&known(d), quoted, ifs),
                        None => f.unknown(),
                    }
                }
                _ => {
                    if let Some(n) = assigns {
                        scope.assigned(n, None);
                    }
                    f.unknown()
                }
            }
        }
        P::UseAlternativeValue {
            parameter,
            indirect,
            test_type,
            alternative_value,
        } => match param_value(parameter, *indirect, scope) {
            Some(v) if !is_empty(&v) => {
                if let Some(a) = alternative_value {
                    match sub_value(a, quoted, scope) {
                        Some(a) => f.value(&known(a), quoted, ifs),
                        None => f.unknown(),
                    }
                }
            }
            Some(_) if matches!(test_type, ParameterTestType::UnsetOrNull) => {}
            _ => f.unknown(),
        },
        P::ParameterLength {
            parameter,
            indirect,
        } => match param_value(parameter, *indirect, scope) {
            Some(PVal::One(s)) => f.text(&s.chars().count().to_string()),
            Some(PVal::List(l, _)) => f.text(&l.len().to_string()),
            None => f.unknown(),
        },
        P::RemoveSmallestPrefixPattern {
            parameter,
            indirect,
            pattern,
        }
        | P::RemoveLargestPrefixPattern {
            parameter,
            indirect,
            pattern,
        }
        | P::RemoveSmallestSuffixPattern {
            parameter,
            indirect,
            pattern,
        }
        | P::RemoveLargestSuffixPattern {
            parameter,
            indirect,
            pattern,
        } => {
            let largest = matches!(
                e,
                P::RemoveLargestPrefixPattern { .. } | P::RemoveLargestSuffixPattern { .. }
            );
            let prefix = matches!(
                e,
                P::RemoveSmallestPrefixPattern { .. } | P::RemoveLargestPrefixPattern { .. }
            );
            let pat = match pattern {
                Some(p) => sub_value(p, false, scope),
                None => Some(String::new()),
            };
            let v = param_value(parameter, *indirect, scope);
            let steps = pattern::cost(chars_in(&v), pat.as_deref().unwrap_or(""), false);
            if !scope.charge(steps) {
                f.unknown();
                return;
            }
            let op = |s: &str| remove_pattern(s, pat.as_deref()?, prefix, largest);
            match map_value(v, op) {
                Some(v) => emit(v, f),
                None => f.unknown(),
            }
        }
        P::ReplaceSubstring {
            parameter,
            indirect,
            pattern,
            replacement,
            match_kind,
        } => {
            let pat = sub_value(pattern, false, scope);
            let rep = match replacement {
                Some(r) => sub_value(r, quoted, scope),
                None => Some(String::new()),
            };
            let v = param_value(parameter, *indirect, scope);
            let op = |s: &str| replace_pattern(s, pat.as_deref()?, rep.as_deref()?, match_kind);
            match map_value(v, op) {
                Some(v) => emit(v, f),
                None => f.unknown(),
            }
        }
        P::Substring {
            parameter,
            indirect,
            offset,
            length,
        } => {
            let off = arith_int(&offset.value, scope);
            let len = match length {
                Some(l) => arith_int(&l.value, scope).map(Some),
                None => Some(None),
            };
            let positional = matches!(
                parameter,
                Parameter::Special(SpecialParameter::AllPositionalParameters { .. })
            );
            let v = param_value(parameter, *indirect, scope);
            let sliced = match (v, off, len) {
                (Some(PVal::One(s)), Some(o), Some(l)) => {
                    let chars: Vec<char> = s.chars().collect();
                    slice(chars.len(), o, l).map(|r| PVal::One(chars[r].iter().collect()))
                }
                // `${@:1}` counts from `$0`, which is not in the list.
                (Some(PVal::List(items, c)), Some(o), Some(l)) => {
                    let o = if positional { o - 1 } else { o };
                    if positional && o < 0 {
                        None
                    } else {
                        slice(items.len(), o, l).map(|r| PVal::List(items[r].to_vec(), c))
                    }
                }
                _ => None,
            };
            match sliced {
                Some(v) => emit(v, f),
                None => f.unknown(),
            }
        }
        P::UppercaseFirstChar {
            parameter,
            indirect,
            pattern,
        }
        | P::UppercasePattern {
            parameter,
            indirect,
            pattern,
        }
        | P::LowercaseFirstChar {
            parameter,
            indirect,
            pattern,
        }
        | P::LowercasePattern {
            parameter,
            indirect,
            pattern,
        } => {
            // Only without a pattern (every character); a pattern: unknown.
            if pattern.as_deref().is_some_and(|p| !p.is_empty()) {
                f.unknown();
                return;
            }
            let upper = matches!(e, P::UppercaseFirstChar { .. } | P::UppercasePattern { .. });
            let all = matches!(e, P::UppercasePattern { .. } | P::LowercasePattern { .. });
            let v = param_value(parameter, *indirect, scope);
            match map_value(v, |s| Some(change_case(s, upper, all))) {
                Some(v) => emit(v, f),
                None => f.unknown(),
            }
        }
        P::Transform {
            parameter,
            indirect,
            op,
        } => {
            let v = param_value(parameter, *indirect, scope);
            // `${x@P}` expands the value as a prompt: its command substitutions run.
            if matches!(op, ParameterTransformOp::PromptExpand) {
                if let Some(PVal::One(s)) = &v {
                    let _ = sub_value(&format!("\"{}\"", s.replace('"', "\\\"")), true, scope);
                }
                f.unknown();
                return;
            }
            let t = |s: &str| -> Option<String> {
                match op {
                    ParameterTransformOp::ToUpperCase => Some(s.to_uppercase()),
                    ParameterTransformOp::ToLowerCase => Some(s.to_lowercase()),
                    ParameterTransformOp::CapitalizeInitial => Some(change_case(s, true, false)),
                    ParameterTransformOp::ExpandEscapeSequences => Some(ansi_c(s)),
                    _ => None,
                }
            };
            match map_value(v, t) {
                Some(v) => emit(v, f),
                None => f.unknown(),
            }
        }
        _ => f.unknown(),
    }
}

/// The characters a pattern operator works through (every element of a list).
fn chars_in(v: &Option<PVal>) -> usize {
    match v {
        Some(PVal::One(s)) => s.len(),
        Some(PVal::List(l, _)) => l.iter().map(|e| e.text().len()).sum(),
        None => 0,
    }
}

fn is_empty(v: &PVal) -> bool {
    match v {
        PVal::One(s) => s.is_empty(),
        PVal::List(l, _) => l.is_empty() || l.iter().all(|e| e.known() == Some("")),
    }
}

/// `l` joined with `sep` (`None`: no separator), when every element is known.
fn join_list(l: &[Val], sep: Option<char>) -> Option<String> {
    let parts: Option<Vec<&str>> = l.iter().map(Val::known).collect();
    Some(parts?.join(&sep.map(String::from).unwrap_or_default()))
}

/// Applies `op` to a value, or to each element of a list.
fn map_value(v: Option<PVal>, op: impl Fn(&str) -> Option<String>) -> Option<PVal> {
    match v? {
        PVal::One(s) if s.len() <= MAX_PATTERN_INPUT => op(&s).map(PVal::One),
        PVal::One(_) => None,
        PVal::List(l, c) => {
            let mapped: Option<Vec<Val>> = l
                .iter()
                .map(|e| match e {
                    Val::Known { text, .. } if text.len() <= MAX_PATTERN_INPUT => {
                        op(text).map(known)
                    }
                    _ => None,
                })
                .collect();
            mapped.map(|m| PVal::List(m, c))
        }
    }
}

/// The range `${x:off:len}` takes from `n` items (a negative offset counts from the end; a
/// negative length stops that far from the end).
fn slice(n: usize, off: i64, len: Option<i64>) -> Option<std::ops::Range<usize>> {
    let n = i64::try_from(n).ok()?;
    let start = if off < 0 { n + off } else { off };
    if start < 0 || start > n {
        return Some(0..0);
    }
    let end = match len {
        None => n,
        Some(l) if l < 0 => n + l,
        Some(l) => start.saturating_add(l).min(n),
    };
    if end < start {
        return None; // bash: an error
    }
    Some(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
}

fn change_case(s: &str, upper: bool, all: bool) -> String {
    let conv = |c: char| -> String {
        if upper {
            c.to_uppercase().collect()
        } else {
            c.to_lowercase().collect()
        }
    };
    if all {
        return s.chars().map(conv).collect();
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => conv(c) + chars.as_str(),
        None => String::new(),
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
