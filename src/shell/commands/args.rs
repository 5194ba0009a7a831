//! The option grammar the models share, and words built from other words.
//!
//! One parser, [`Opts`], serves every command whose options follow the getopt conventions
//! (bundled short options, `--opt=value`, `--`); wrappers skip their own options with
//! [`skip_flags`]. The word helpers keep a value unknown when it is (`$x/f` stays unknown).

use crate::shell::expand::Val;

/// A known literal value.
pub(super) fn lit(s: &str) -> Val {
    Val::Known {
        text: s.to_string().into(),
        glob: false,
    }
}

/// `v` with `suffix` appended (an unknown value stays as it is).
pub(super) fn append(v: &Val, suffix: &str) -> Val {
    match v {
        Val::Known { text, glob } => Val::Known {
            text: format!("{text}{suffix}").into(),
            glob: *glob,
        },
        u => u.clone(),
    }
}

/// `v` without `prefix` (`of=F` -> `F`), when it starts with it.
pub(super) fn strip_val(v: &Val, prefix: &str) -> Option<Val> {
    match v {
        Val::Known { text, glob } => text.strip_prefix(prefix).map(|t| Val::Known {
            text: text.sub(t),
            glob: *glob,
        }),
        Val::Unknown { prefix: p } => p
            .strip_prefix(prefix)
            .map(|t| Val::Unknown { prefix: t.into() }),
    }
}

/// `dir/basename(src)`.
pub(super) fn join_base(dir: &Val, src: &Val) -> Val {
    match (dir, src) {
        (Val::Known { text: d, glob: g1 }, Val::Known { text: s, glob: g2 }) => {
            let base = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
            Val::Known {
                text: format!("{}/{}", d.trim_end_matches('/'), base).into(),
                glob: *g1 || *g2,
            }
        }
        (Val::Known { text: d, .. }, Val::Unknown { .. }) => Val::Unknown {
            prefix: format!("{}/", d.trim_end_matches('/')),
        },
        (u, _) => u.clone(),
    }
}

/// `dir/rel`: a path below `dir` (an unknown `dir` stays unknown).
pub(super) fn join_rel(dir: &Val, rel: &str) -> Val {
    match dir {
        Val::Known { text, glob } => Val::Known {
            text: format!("{}/{rel}", text.trim_end_matches('/')).into(),
            glob: *glob,
        },
        u => u.clone(),
    }
}

/// Parsed options and operands.
pub(super) struct Opts {
    /// Options in order, with their values.
    pub(super) flags: Vec<(String, Option<Val>)>,
    /// Operands in order.
    pub(super) operands: Vec<Val>,
}

impl Opts {
    /// Parses `args` where the short options in `short_arg` and the long options in
    /// `long_arg` take a value (attached or as the next word).
    pub(super) fn parse(args: &[Val], short_arg: &str, long_arg: &[&str]) -> Opts {
        Self::read(args, short_arg, long_arg, false)
    }

    /// Like [`Opts::parse`], but options end at the first operand, as for commands that run
    /// another command (`sudo -u me rm -f x`: `-f` is `rm`'s) or take a script whose
    /// arguments follow it: the operands are every word from there on.
    pub(super) fn leading(args: &[Val], short_arg: &str, long_arg: &[&str]) -> Opts {
        Self::read(args, short_arg, long_arg, true)
    }

    /// The parser behind both: with `posix`, options end at the first operand.
    fn read(args: &[Val], short_arg: &str, long_arg: &[&str], posix: bool) -> Opts {
        let mut flags = Vec::new();
        let mut operands = Vec::new();
        let mut i = 0;
        let mut done = false;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            let text = match a {
                Val::Known { text, .. } if !done && text.len() > 1 && text.starts_with('-') => {
                    text.clone()
                }
                _ => {
                    operands.push(a.clone());
                    done |= posix;
                    continue;
                }
            };
            if text == "--" {
                done = true;
                continue;
            }
            if let Some(long) = text.strip_prefix("--") {
                match long.split_once('=') {
                    Some((n, v)) => flags.push((format!("--{n}"), Some(lit(v)))),
                    None => {
                        let name = format!("--{long}");
                        let exact = long_arg.contains(&name.as_str());
                        if (exact || long_arg.iter().any(|n| abbreviates(&name, n)))
                            && i < args.len()
                        {
                            flags.push((name, Some(args[i].clone())));
                            // An abbreviation may also be an option of its own that takes no
                            // value: the word after it counts as an operand too (in POSIX
                            // order that word would end the options, so the value is taken).
                            if !exact && !posix {
                                operands.push(args[i].clone());
                            }
                            i += 1;
                        } else {
                            flags.push((name, None));
                        }
                    }
                }
                continue;
            }
            if long_arg.contains(&text.as_str()) && i < args.len() {
                // Single-dash long options (`-name` for find-like grammars).
                flags.push((text.to_string(), Some(args[i].clone())));
                i += 1;
                continue;
            }
            let chars: Vec<char> = text[1..].chars().collect();
            for (k, c) in chars.iter().enumerate() {
                if short_arg.contains(*c) {
                    let attached: String = chars[k + 1..].iter().collect();
                    let value = if !attached.is_empty() {
                        Some(lit(&attached))
                    } else if i < args.len() {
                        i += 1;
                        Some(args[i - 1].clone())
                    } else {
                        None
                    };
                    flags.push((format!("-{c}"), value));
                    break;
                }
                flags.push((format!("-{c}"), None));
            }
        }
        Opts { flags, operands }
    }

    /// True when any of `names` was given (a long option also as an abbreviation of it).
    pub(super) fn has(&self, names: &[&str]) -> bool {
        self.flags.iter().any(|(f, _)| given_as(f, names))
    }

    /// The values given to any of `names` (a long option also as an abbreviation of it), in
    /// order.
    pub(super) fn values(&self, names: &[&str]) -> Vec<&Val> {
        self.flags
            .iter()
            .filter(|(f, _)| given_as(f, names))
            .filter_map(|(_, v)| v.as_ref())
            .collect()
    }
}

/// True when the option `given` names one of `names`: the same, or for a `--long` option a
/// shorter start of it, as GNU's getopt_long takes unambiguous abbreviations
/// (`--target-dir` for `--target-directory`, `--in` for `--in-place`). An abbreviation that
/// is ambiguous makes the program fail, so reading it as every option it may be is safe.
pub(super) fn given_as(given: &str, names: &[&str]) -> bool {
    names.iter().any(|n| *n == given || abbreviates(given, n))
}

/// True when `given` is a strict abbreviation of the long option `full` (both with `--`).
pub(super) fn abbreviates(given: &str, full: &str) -> bool {
    given.len() > 2
        && given.starts_with("--")
        && full.len() > given.len()
        && full.starts_with(given)
}

/// The operands, options of any kind skipped (none takes a value).
pub(super) fn operands_after_flags(rest: &[Val]) -> Vec<Val> {
    Opts::parse(rest, "", &[]).operands
}

/// Skips a wrapper's leading options (those in `short`/`long` take a value) and returns the
/// wrapped command's words.
pub(super) fn skip_flags(rest: &[Val], short: &[&str], long: &[&str]) -> Vec<Val> {
    let mut i = 0;
    while i < rest.len() {
        let Some(t) = rest[i].known() else { break };
        if t == "--" {
            i += 1;
            break;
        }
        if !t.starts_with('-') || t == "-" {
            break;
        }
        let takes = short.contains(&t) || long.contains(&t);
        i += if takes { 2 } else { 1 };
    }
    rest.get(i..).map(<[Val]>::to_vec).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<Val> {
        ws.iter().map(|w| lit(w)).collect()
    }

    fn texts(vs: &[Val]) -> Vec<&str> {
        vs.iter().filter_map(Val::known).collect()
    }

    #[test]
    fn leading_options_end_at_the_first_operand() {
        let args = words(&["-Eu", "root", "--chd", "d", "rm", "-f", "x"]);
        let o = Opts::leading(&args, "u", &["--chdir"]);
        assert_eq!(texts(&o.operands), ["rm", "-f", "x"]);
        assert_eq!(
            texts(&o.values(&["-u"]).into_iter().cloned().collect::<Vec<_>>()),
            ["root"]
        );
        assert_eq!(
            texts(
                &o.values(&["--chdir"])
                    .into_iter()
                    .cloned()
                    .collect::<Vec<_>>()
            ),
            ["d"]
        );
        // Anywhere-order parsing reads `-f` as an option and the abbreviation's value twice.
        let o = Opts::parse(&args, "u", &["--chdir"]);
        assert_eq!(texts(&o.operands), ["d", "rm", "x"]);
        let o = Opts::leading(&words(&["-n", "--", "-x"]), "", &[]);
        assert_eq!(texts(&o.operands), ["-x"]);
    }
}
