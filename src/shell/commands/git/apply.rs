//! `git apply` and `git am`: the files their patches name, read by
//! [`crate::shell::commands::patchfile`], with `-p`, `--directory` and `--include`/`--exclude`
//! applied as `git apply` applies them (checked with git 2.47: an `--include` that matches
//! nothing skips the file; wildmatch has no braces).

use super::grammar::{self, Parsed};
use super::{editor, known, Git};
use crate::shell::commands::patchfile::{git_patch_files, read_patch};
use crate::shell::commands::record::tamper_found;
use crate::shell::expand::Val;
use crate::shell::walk::{Stdin, Walker};
use crate::shell::Kind;

/// `am MBOX...`: applies the patches in the mailboxes (or standard input), writing the files
/// they name; `--no-verify` skips hooks; `--abort` and the like change the worktree.
pub(super) fn am(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::AM);
    if p.given("no-verify") {
        tamper_found(w, "skips the git hooks (git am --no-verify)");
    }
    if p.given("interactive") {
        editor(w, g, false);
    }
    let control = ["continue", "resolved", "skip", "abort", "quit", "retry"];
    if control.iter().any(|c| p.given(c)) {
        g.repo_wide(w, false);
        return;
    }
    if p.given("show-current-patch") {
        return;
    }
    patches(w, g, &p, &[]);
}

/// Writes the files the patches of `p`'s operands (or standard input) name, `--directory`,
/// `-p`, `--include`/`--exclude` applied; with `reject`, their `.rej` files too.
fn patches(w: &mut Walker, g: &Git, p: &Parsed, extra_suffixes: &[&str]) {
    let strip = match p.last("-p") {
        None => Some(1),
        Some(v) => v.known().and_then(|t| t.trim().parse::<usize>().ok()),
    };
    let dir = match p.last("directory") {
        None => Some(String::new()),
        Some(v) => v
            .known()
            .map(|d| format!("{}/", d.trim_end_matches('/')))
            .map(|d| if d == "/" { String::new() } else { d }),
    };
    // `--include`/`--exclude` in order: the first that matches decides; with an include
    // given, a name no rule matches is left out.
    let mut rules: Vec<(bool, Option<String>)> = Vec::new();
    for o in &p.opts {
        if o.names.len() == 1 && (o.names[0] == "include" || o.names[0] == "exclude") {
            let pat = o.value.as_ref().and_then(|v| v.known()).map(str::to_string);
            rules.push((o.names[0] == "include", pat));
        }
    }
    let inputs: Vec<Option<String>> = if p.operands.is_empty() {
        vec![stdin_text(w, g)]
    } else {
        p.operands
            .iter()
            .map(|f| match f.known() {
                Some("-") => stdin_text(w, g),
                _ => read_patch(w, &g.st, f),
            })
            .collect()
    };
    for text in inputs {
        let (Some(text), Some(strip), Some(dir)) = (text, strip, dir.as_ref()) else {
            let prefix = dir.clone().unwrap_or_default();
            let v = Val::Unknown { prefix };
            g.write_paths(w, &[v], false, Kind::Write);
            continue;
        };
        let mut names: Vec<Val> = Vec::new();
        for name in git_patch_files(&text, strip) {
            let full = format!("{dir}{name}");
            if !used(&rules, &full) {
                continue;
            }
            for suffix in std::iter::once("").chain(extra_suffixes.iter().copied()) {
                names.push(known(&format!("{full}{suffix}")));
            }
        }
        g.write_paths(w, &names, false, Kind::Write);
    }
}

/// True when `git apply` uses the patch for `name` under `rules` (`--include`/`--exclude`).
fn used(rules: &[(bool, Option<String>)], name: &str) -> bool {
    for (include, pat) in rules {
        match pat {
            // Bracket expressions (`[[:alpha:]]`, ranges) are not matched here, and matching
            // costs the product of the lengths: such rules keep the name.
            Some(pat) if pat.contains('[') || pat.len() * name.len() > 1 << 20 => return true,
            Some(pat) if wildmatch(pat.as_bytes(), name.as_bytes()) => return *include,
            Some(_) => {}
            // A pattern lanes cannot read may match: the name is kept.
            None => return true,
        }
    }
    !rules.iter().any(|(include, _)| *include)
}

/// git's `wildmatch` without `WM_PATHNAME` (so `*` matches `/`) for patterns without
/// brackets: `*`, `?`, `\` quoting (no braces, unlike shell globs). Iterative, with one
/// backtracking point.
fn wildmatch(pat: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    while p < pat.len() && pat[p] == b'*' {
                        p += 1;
                    }
                    star = Some((p, t));
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'\\' if p + 1 < pat.len() => {
                    if pat[p + 1] == text[t] {
                        p += 2;
                        t += 1;
                        continue;
                    }
                }
                c => {
                    if c == text[t] {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, st)) => {
                p = sp;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Standard input as text when the command shows it literally (a here-document, a file
/// lanes may read); `None` otherwise.
fn stdin_text(w: &Walker, g: &Git) -> Option<String> {
    match &g.stdin {
        Some(Stdin::Text {
            body,
            literal: true,
        }) => Some(body.to_string()),
        Some(Stdin::File(f)) => read_patch(w, &g.st, f),
        _ => None,
    }
}

/// `apply PATCH...`: the files the patches name; `--check`, `--stat`, `--numstat`,
/// `--summary` apply nothing (unless `--apply`); `--cached` writes only the index.
pub(super) fn apply(w: &mut Walker, g: &Git, args: &[Val]) {
    let p = grammar::parse(args, grammar::APPLY);
    for f in p.values("build-fake-ancestor") {
        g.write_paths(w, std::slice::from_ref(f), false, Kind::Write);
    }
    let reports = ["check", "stat", "numstat", "summary"]
        .iter()
        .any(|o| p.on(o));
    if reports && !p.maybe("apply") {
        return;
    }
    if p.on("cached") && !p.maybe("index") {
        return;
    }
    let rej: &[&str] = if p.maybe("reject") { &[".rej"] } else { &[] };
    patches(w, g, &p, rej);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildmatch_matches_like_git_without_pathname() {
        assert!(wildmatch(b"docs/*", b"docs/a/b.md"));
        assert!(wildmatch(b"*.md", b"docs/a.md"));
        assert!(!wildmatch(b"src/*", b"docs/a.md"));
        assert!(wildmatch(b"d?cs/?.md", b"docs/a.md"));
        assert!(!wildmatch(b"{docs,x}/*", b"docs/a.md"));
        assert!(wildmatch(b"\\*x", b"*x"));
    }

    #[test]
    fn include_and_exclude_rules_decide_in_order() {
        let inc = |p: &str| (true, Some(p.to_string()));
        let exc = |p: &str| (false, Some(p.to_string()));
        assert!(used(&[], "docs/a.md"));
        assert!(!used(&[inc("src/*")], "docs/a.md"));
        assert!(used(&[inc("src/*")], "src/a.rs"));
        assert!(!used(&[exc("docs/*"), inc("*")], "docs/a.md"));
        assert!(used(&[exc("src/*")], "docs/a.md"));
        assert!(used(&[(true, None)], "docs/a.md"));
        assert!(used(&[inc("[[:alpha:]]ocs/*")], "docs/a.md"));
    }
}
