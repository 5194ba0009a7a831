//! Brace expansion (`{a,b}`, `{1..3}`), capped at [`MAX_BRACE_WORDS`] words.

use super::MAX_BRACE_WORDS;
use crate::shell::parse;
use brush_parser::word::{self, BraceExpressionMember, BraceExpressionOrText};

/// A brace expansion would produce more than [`MAX_BRACE_WORDS`] words.
pub(super) struct TooMany;

pub(super) fn braces(raw: &str) -> Result<Option<Vec<String>>, TooMany> {
    let Ok(Some(parts)) = word::parse_brace_expansions(raw, &parse::word_options()) else {
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
