//! Glob patterns as the parameter operators use them (`${x#pat}`, `${x%%pat}`,
//! `${x//pat/rep}`): `*`, `?`, bracket expressions and escapes, matched by dynamic
//! programming in time proportional to the text times the pattern. Patterns are capped at
//! [`MAX_PATTERN`] elements; what they do not follow (`[[:alpha:]]`, extended globs) is
//! `None`, which the expansion takes as an unknown value.

use brush_parser::word::SubstringMatchKind;

/// Longest pattern followed; longer: `None`.
pub const MAX_PATTERN: usize = 64;

/// One element of a glob pattern.
#[derive(Debug, Clone, PartialEq)]
enum Pat {
    Char(char),
    Any,
    Star,
    /// A bracket expression: the characters and ranges it lists, and whether negated.
    Class(Vec<(char, char)>, bool),
}

/// Compiles a glob pattern (`*`, `?`, `[...]`, `\x`); `None` for what it does not follow
/// (`[[:alpha:]]` classes, extended globs) and for patterns longer than [`MAX_PATTERN`].
fn compile(pat: &str) -> Option<Vec<Pat>> {
    let chars: Vec<char> = pat.chars().collect();
    if chars.len() > MAX_PATTERN {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => out.push(Pat::Star),
            '?' => out.push(Pat::Any),
            '\\' => {
                out.push(Pat::Char(*chars.get(i)?));
                i += 1;
            }
            '[' => {
                let mut neg = false;
                if matches!(chars.get(i), Some('!' | '^')) {
                    neg = true;
                    i += 1;
                }
                let mut set = Vec::new();
                let mut first = true;
                loop {
                    let c = *chars.get(i)?;
                    if c == ']' && !first {
                        i += 1;
                        break;
                    }
                    if c == '[' && matches!(chars.get(i + 1), Some(':' | '=' | '.')) {
                        return None;
                    }
                    first = false;
                    let range_end = chars.get(i + 2).filter(|&&e| e != ']');
                    match (chars.get(i + 1), range_end) {
                        (Some('-'), Some(&e)) => {
                            set.push((c, e));
                            i += 3;
                        }
                        _ => {
                            set.push((c, c));
                            i += 1;
                        }
                    }
                }
                out.push(Pat::Class(set, neg));
            }
            '(' if i > 1 && matches!(chars[i - 2], '?' | '*' | '+' | '@' | '!') => return None,
            c => out.push(Pat::Char(c)),
        }
    }
    Some(out)
}

/// For each length `k` of `s`, whether `s[..k]` matches `pat` entirely: one pass of
/// dynamic programming, `s` times `pat` steps.
fn match_ends(s: &[char], pat: &[Pat]) -> Vec<bool> {
    // can[j]: the characters so far match the first j pattern elements.
    let mut can = vec![false; pat.len() + 1];
    can[0] = true;
    for j in 0..pat.len() {
        can[j + 1] = can[j] && pat[j] == Pat::Star;
    }
    let mut ends = Vec::with_capacity(s.len() + 1);
    ends.push(can[pat.len()]);
    let mut next = vec![false; pat.len() + 1];
    for &c in s {
        next[0] = false;
        for j in 0..pat.len() {
            next[j + 1] = match &pat[j] {
                Pat::Star => can[j + 1] || next[j],
                Pat::Any => can[j],
                Pat::Char(p) => can[j] && *p == c,
                Pat::Class(set, neg) => {
                    can[j] && (set.iter().any(|&(a, b)| a <= c && c <= b) != *neg)
                }
            };
        }
        std::mem::swap(&mut can, &mut next);
        ends.push(can[pat.len()]);
    }
    ends
}

/// `${s#pat}`, `${s##pat}`, `${s%pat}`, `${s%%pat}`.
pub fn remove_pattern(s: &str, pat: &str, prefix: bool, largest: bool) -> Option<String> {
    let mut p = compile(pat)?;
    let mut chars: Vec<char> = s.chars().collect();
    if !prefix {
        // A suffix of `s` matching `p` is a prefix of the reversed text matching the
        // reversed pattern (each element matches one character, or any run).
        chars.reverse();
        p.reverse();
    }
    let ends = match_ends(&chars, &p);
    let k = if largest {
        ends.iter().rposition(|&e| e)
    } else {
        ends.iter().position(|&e| e)
    };
    let mut rest: Vec<char> = chars[k.unwrap_or(0)..].to_vec();
    if !prefix {
        rest.reverse();
    }
    Some(rest.into_iter().collect())
}

/// The work [`remove_pattern`] (`replace` false) or [`replace_pattern`] does on a text of
/// `len` characters, in matching steps: charged against the walker's budget beforehand.
pub fn cost(len: usize, pat: &str, replace: bool) -> usize {
    let m = pat.chars().count().max(1);
    let literal = !pat.contains(['*', '?', '[', '\\']);
    if replace && !literal {
        len.saturating_mul(len).saturating_mul(m)
    } else {
        len.saturating_mul(m)
    }
}

/// `${s/pat/rep}` and its `//`, `/#`, `/%` forms (the longest match at the leftmost place).
pub fn replace_pattern(s: &str, pat: &str, rep: &str, kind: &SubstringMatchKind) -> Option<String> {
    let p = compile(pat)?;
    // A pattern of plain characters: string operations, linear in the text.
    if p.iter().all(|e| matches!(e, Pat::Char(_))) {
        let lit: String = p
            .iter()
            .map(|e| match e {
                Pat::Char(c) => *c,
                _ => '?',
            })
            .collect();
        if lit.is_empty() {
            return Some(s.to_string());
        }
        return Some(match kind {
            SubstringMatchKind::Prefix => match s.strip_prefix(&lit) {
                Some(rest) => format!("{rep}{rest}"),
                None => s.to_string(),
            },
            SubstringMatchKind::Suffix => match s.strip_suffix(&lit) {
                Some(rest) => format!("{rest}{rep}"),
                None => s.to_string(),
            },
            SubstringMatchKind::FirstOccurrence => s.replacen(&lit, rep, 1),
            SubstringMatchKind::Anywhere => s.replace(&lit, rep),
        });
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if p.is_empty() {
        return Some(s.to_string());
    }
    // The end of the longest match starting at `i`.
    let longest_at = |i: usize| {
        match_ends(&chars[i..], &p)
            .iter()
            .rposition(|&e| e)
            .map(|k| i + k)
    };
    let mut out = String::new();
    match kind {
        SubstringMatchKind::Prefix => match longest_at(0) {
            Some(j) => {
                out.push_str(rep);
                out.extend(&chars[j..]);
            }
            None => return Some(s.to_string()),
        },
        SubstringMatchKind::Suffix => {
            let mut rc = chars.clone();
            rc.reverse();
            let mut rp = p.clone();
            rp.reverse();
            match match_ends(&rc, &rp).iter().rposition(|&e| e) {
                Some(k) => {
                    out.extend(&chars[..n - k]);
                    out.push_str(rep);
                }
                None => return Some(s.to_string()),
            }
        }
        SubstringMatchKind::FirstOccurrence | SubstringMatchKind::Anywhere => {
            let all = matches!(kind, SubstringMatchKind::Anywhere);
            let mut i = 0;
            let mut replaced = false;
            while i < n {
                match longest_at(i).filter(|&j| j > i && (all || !replaced)) {
                    Some(j) => {
                        out.push_str(rep);
                        i = j;
                        replaced = true;
                    }
                    None => {
                        out.push(chars[i]);
                        i += 1;
                    }
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_takes_the_shortest_or_longest_match() {
        let r = |s, p, prefix, largest| remove_pattern(s, p, prefix, largest).unwrap();
        assert_eq!(r("a/b/c.d", "*/", true, false), "b/c.d");
        assert_eq!(r("a/b/c.d", "*/", true, true), "c.d");
        assert_eq!(r("a/b/c.d", ".*", false, false), "a/b/c");
        assert_eq!(r("a/b/c.d", "/*", false, true), "a");
        assert_eq!(r("abc", "x", true, true), "abc");
        assert_eq!(r("a]b", "[]]*", false, true), "a");
        assert_eq!(remove_pattern("x", "[[:alpha:]]", true, false), None);
    }

    #[test]
    fn replacement_follows_the_match_kind() {
        let r = |s, p, rep, k| replace_pattern(s, p, rep, &k).unwrap();
        assert_eq!(
            r("aXbXc", "X", "-", SubstringMatchKind::FirstOccurrence),
            "a-bXc"
        );
        assert_eq!(r("aXbXc", "X", "-", SubstringMatchKind::Anywhere), "a-b-c");
        assert_eq!(r("aXbXc", "a?", "", SubstringMatchKind::Prefix), "bXc");
        assert_eq!(r("aXbXc", "X*", "!", SubstringMatchKind::Suffix), "a!");
        assert_eq!(r("aaa", "a*", "b", SubstringMatchKind::Anywhere), "b");
        assert_eq!(r("abc", "[!a]", "_", SubstringMatchKind::Anywhere), "a__");
    }
}
