//! Editors and in-place rewriters: `sed -i` and its `w FILE` commands, `perl -i`,
//! `awk -i inplace` and its `print > "FILE"`, interactive editors (every file operand is
//! assumed written), `patch` (the files its diff names), and code formatters in their
//! writing modes (a subtree each, as they take directories).

use super::args::{append, lit, Opts};
use super::patchfile::{patch_files, read_patch};
use super::record::{opaque, opaque_reader};
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{State, Stdin, Walker};
use crate::shell::Kind;

/// `sed [-i[SUFFIX]] [-e SCRIPT]... [-f FILE] [SCRIPT] FILE...`.
pub(super) fn sed(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    // Read on the words' own text: nothing here needs a copy.
    let mut in_place = false;
    let mut suffix = "";
    // Nearly always one script: a list only for the second and later ones.
    let mut scripts = Scripts::default();
    let mut script_given = false;
    let mut operands: Vec<&Val> = Vec::with_capacity(rest.len());
    let mut i = 0;
    let mut done = false;
    while i < rest.len() {
        let a = &rest[i];
        i += 1;
        let t = match a.known() {
            Some(t) if !done && t.starts_with('-') && t.len() > 1 => t,
            _ => {
                operands.push(a);
                continue;
            }
        };
        if t == "--" {
            done = true;
        } else if t == "--in-place" || t.starts_with("--in-place=") {
            in_place = true;
            suffix = t.strip_prefix("--in-place=").unwrap_or("");
        } else if t == "--expression" || t == "--file" {
            script_given = true;
            if t == "--expression" {
                scripts.extend(rest.get(i).map(Val::text));
            }
            i += 1;
        } else if let Some(e) = t.strip_prefix("--expression=") {
            script_given = true;
            scripts.push(e);
        } else if t.starts_with("--file=") {
            script_given = true;
        } else if !t.starts_with("--") {
            for (k, c) in t[1..].char_indices() {
                let attached = &t[1 + k + c.len_utf8()..];
                match c {
                    'i' => {
                        in_place = true;
                        suffix = attached; // the rest is the backup suffix
                        break;
                    }
                    'e' | 'f' | 'l' => {
                        if c != 'l' {
                            script_given = true;
                        }
                        let value = if attached.is_empty() {
                            i += 1;
                            rest.get(i - 1).map(Val::text)
                        } else {
                            Some(attached)
                        };
                        if c == 'e' {
                            scripts.extend(value);
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
    }
    if !script_given && !operands.is_empty() {
        scripts.push(operands.remove(0).text());
    }
    if in_place {
        for v in operands {
            w.write(st, v, Kind::Write);
            if !suffix.is_empty() && !suffix.contains('*') {
                w.write(st, &append(v, suffix), Kind::Write);
            }
        }
    }
    // `w FILE`, `W FILE` commands and the `s///w FILE` flag write FILE (reference T120).
    for s in scripts.first.into_iter().chain(scripts.more) {
        for line in s.split(['\n', ';']) {
            let l = line.trim();
            let file = if let Some(f) = l.strip_prefix("w ").or(l.strip_prefix("W ")) {
                Some(f)
            } else {
                l.strip_prefix('s')
                    .filter(|_| l.len() > 1)
                    .and_then(|body| {
                        let delim = body.chars().next()?;
                        let flags = body[delim.len_utf8()..].splitn(3, delim).nth(2)?;
                        flags.find('w').map(|at| &flags[at + 1..])
                    })
            };
            if let Some(f) = file.map(str::trim).filter(|f| !f.is_empty()) {
                w.write(st, &lit(f), Kind::Write);
            }
        }
    }
}

/// `sed`'s scripts in order: the first, and any after it.
#[derive(Default)]
struct Scripts<'a> {
    first: Option<&'a str>,
    more: Vec<&'a str>,
}

impl<'a> Scripts<'a> {
    fn push(&mut self, s: &'a str) {
        match self.first {
            None => self.first = Some(s),
            Some(_) => self.more.push(s),
        }
    }

    fn extend(&mut self, s: Option<&'a str>) {
        if let Some(s) = s {
            self.push(s);
        }
    }
}

/// `perl -i[EXT] [-e CODE | SCRIPT] FILE...`; without `-i`, an opaque program.
pub(super) fn perl(w: &mut Walker, st: &mut State, c: Cmd) {
    let (args, stdin) = (c.args, c.stdin.as_ref());
    let rest = &args[1..];
    let mut in_place = false;
    let mut program = false;
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
        i += 1;
        for (k, c) in t[1..].char_indices() {
            match c {
                'i' => {
                    in_place = true;
                    break;
                }
                'e' | 'E' => {
                    program = true;
                    if t[1 + k + 1..].is_empty() {
                        i += 1;
                    }
                    break;
                }
                'M' | 'I' | 'm' | 'x' | '0' | 'l' | 'C' | 'd' | 'D' | 'F' | 'V' => break,
                _ => {}
            }
        }
    }
    let mut files: Vec<Val> = rest.get(i..).map(<[Val]>::to_vec).unwrap_or_default();
    if in_place {
        if !program && !files.is_empty() {
            files.remove(0);
        }
        for v in &files {
            w.write(st, v, Kind::Write);
        }
    } else {
        opaque(w, st, "perl", args, stdin);
    }
}

/// `awk`, `gawk`, ...: `-i inplace` writes the files; the program's `print > "FILE"`
/// writes FILE; `system()` and pipes run other programs.
pub(super) fn awk(w: &mut Walker, st: &mut State, c: Cmd) {
    let (args, stdin) = (c.args, c.stdin.as_ref());
    let p = Opts::parse(
        &args[1..],
        "Fvfie",
        &[
            "--field-separator",
            "--assign",
            "--file",
            "--include",
            "--source",
        ],
    );
    let in_place = p
        .values(&["-i", "--include"])
        .iter()
        .any(|v| v.known() == Some("inplace"));
    let mut ops = p.operands.clone();
    let program = if p.has(&["-f", "--file"]) || ops.is_empty() {
        None
    } else {
        Some(ops.remove(0))
    };
    if in_place {
        for v in &ops {
            w.write(st, v, Kind::Write);
        }
    }
    if let Some(prog) = program {
        let text = prog.text();
        if text.contains("system(")
            || text.contains("| \"")
            || text.contains("|\"")
            || text.contains("|&")
        {
            opaque(w, st, args[0].text(), args, stdin);
        }
        // print > "FILE", print >> "FILE".
        let mut rest = text;
        while let Some(at) = rest.find('>') {
            let after = rest[at + 1..].trim_start_matches('>').trim_start();
            if let Some(q) = after.strip_prefix('"') {
                if let Some(end) = q.find('"') {
                    w.write(st, &lit(&q[..end]), Kind::Write);
                }
            }
            rest = &rest[at + 1..];
        }
    }
}

/// Interactive and line editors (`vi`, `nano`, `ed`, ...); `emacs --batch` runs code.
pub(super) fn editor(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, args, rest, stdin) = (c.name, c.args, c.rest(), c.stdin);
    if name == "emacs"
        && rest.iter().any(|a| {
            a.known()
                .is_some_and(|t| t.starts_with("--batch") || t == "--script")
        })
    {
        opaque(w, st, name, args, stdin.as_ref());
        return;
    }
    // Every file operand is assumed written (H). `-s` is a flag in ed and in vim's
    // ex mode (`-es`); `-c`, `-S`, `-u` ... take a value.
    let short = if name == "ed" { "p" } else { "cSuUiTwWtq" };
    let p = Opts::parse(rest, short, &["--cmd"]);
    for v in p.operands.iter().filter(|v| !v.text().starts_with('+')) {
        w.write(st, v, Kind::Write);
    }
}

/// `patch [-pN] [-d DIR] [-i PATCH | < PATCH] [FILE]`: the file named, else the files the
/// diff names (read when lanes can), else an unknown file under DIR.
pub(super) fn patch(w: &mut Walker, st: &mut State, c: Cmd) {
    let (rest, stdin) = (c.rest(), c.stdin.as_ref());
    let p = Opts::parse(
        rest,
        "BDFVYdioprz",
        &[
            "--prefix",
            "--ifdef",
            "--fuzz",
            "--version-control",
            "--basename-prefix",
            "--directory",
            "--input",
            "--output",
            "--strip",
            "--reject-file",
            "--suffix",
        ],
    );
    if p.has(&["--dry-run", "-C", "--check"]) {
        return;
    }
    if let Some(v) = p.values(&["-o", "--output"]).first() {
        if v.known() != Some("-") {
            w.write(st, v, Kind::Write);
        }
        return;
    }
    let strip = p
        .values(&["-p", "--strip"])
        .first()
        .and_then(|v| v.known())
        .and_then(|t| t.parse().ok());
    let dir = p
        .values(&["-d", "--directory"])
        .first()
        .map(|v| (*v).clone());
    let input = p
        .values(&["-i", "--input"])
        .first()
        .map(|v| (*v).clone())
        .or_else(|| p.operands.get(1).cloned());
    let text = match (&input, stdin) {
        (Some(f), _) => read_patch(w, st, f),
        (None, Some(Stdin::File(f))) => read_patch(w, st, f),
        (None, Some(Stdin::Text { body, .. })) => Some(body.to_string()),
        _ => None,
    };
    let base = dir
        .map(|d| format!("{}/", d.text().trim_end_matches('/')))
        .unwrap_or_default();
    if let Some(target) = p
        .operands
        .first()
        .filter(|_| input.is_some() || p.operands.len() == 1)
    {
        w.write(st, &lit(&format!("{base}{}", target.text())), Kind::Write);
        return;
    }
    match text {
        Some(t) => {
            for f in patch_files(&t, strip) {
                w.write(st, &lit(&format!("{base}{f}")), Kind::Write);
            }
        }
        None => w.write(st, &Val::Unknown { prefix: base }, Kind::Write),
    }
}

/// `gofmt -w`, `goimports -w`: the operands, as subtrees.
pub(super) fn gofmt(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let p = Opts::parse(rest, "r", &[]);
    if p.has(&["-w"]) {
        for v in &p.operands {
            w.write_tree(st, v, Kind::Write);
        }
    }
}

/// Code formatters and fixers (`prettier --write`, `black`, `ruff format`, ...): in their
/// writing modes the operands (default `.`) as subtrees; otherwise readers.
pub(super) fn formatter(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, args, stdin) = (c.name, c.args, c.stdin.as_ref());
    let rest = &args[1..];
    let texts: Vec<&str> = rest.iter().map(|a| a.text()).collect();
    let has = |names: &[&str]| texts.iter().any(|t| names.contains(t));
    let writes = match name {
        "prettier" => has(&["--write", "-w"]),
        "eslint" | "stylelint" | "standard" => has(&["--fix"]),
        "black" | "isort" | "yapf" => {
            !has(&["--check", "--diff", "-c", "--check-only"])
                || (name == "yapf" && has(&["-i", "--in-place"]))
        }
        "autopep8" | "clang-format" => has(&["-i", "--in-place"]),
        "rustfmt" => !has(&["--check"]),
        "ruff" => {
            (texts.first() == Some(&"format") && !has(&["--check", "--diff"])) || has(&["--fix"])
        }
        "biome" => {
            has(&["--write", "--apply", "--fix"])
                || texts.first() == Some(&"format") && has(&["--write"])
        }
        _ => false,
    };
    if !writes {
        opaque_reader(w, st, name, args);
        return;
    }
    let p = Opts::parse(
        rest,
        "c",
        &[
            "--config",
            "--ignore-path",
            "--plugin",
            "--parser",
            "--line-length",
            "--target-version",
            "--style",
            "--config-path",
        ],
    );
    let mut ops: Vec<Val> = p
        .operands
        .into_iter()
        .filter(|v| !matches!(v.known(), Some("format" | "check")))
        .collect();
    if ops.is_empty() {
        ops.push(lit("."));
    }
    for v in &ops {
        w.write_tree(st, v, Kind::Write);
    }
    let _ = stdin;
}
