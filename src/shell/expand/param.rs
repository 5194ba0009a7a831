//! Parameter expansion: `$name`, `${...}` and its operators (`${x#p}`, `${x/p/r}`,
//! `${x:1:2}`, `${!name}`, ...) applied to known values, and simple arithmetic.

use super::fields::Fields;
use super::{ansi_c, known, sub_value, Scope, Val};
use crate::shell::pattern::{self, remove_pattern, replace_pattern};
use brush_parser::word::{
    Parameter, ParameterExpr, ParameterTestType, ParameterTransformOp, SpecialParameter,
};

/// Longest value the pattern operators (`${x#p}`, `${x/p/r}`) work on; longer: unknown.
/// Replacing is quadratic in the value (see [`crate::shell::pattern`]), so it is small.
const MAX_PATTERN_INPUT: usize = 256;

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
pub(super) fn arith_int(expr: &str, scope: &mut dyn Scope) -> Option<i64> {
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
pub(super) fn parameter_expr(
    e: &ParameterExpr,
    quoted: bool,
    scope: &mut dyn Scope,
    f: &mut Fields,
) {
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
