//! `awk` and its dialects: a program is read token by token for what it does besides
//! printing. `print > F` and `printf ... >> F` write F (a string, or a variable whose values
//! come from `-v`, operand assignments or the program's own string assignments; anything
//! else is unknown); `cmd | getline`, `print | cmd`, `|&` and `system()` run commands
//! (opaque); gawk's `-i inplace` rewrites the files, and its `-o`, `-p`, `-d` write
//! report files; `-l` loads a library (opaque).

use super::args::{lit, Opts};
use super::editors::script_text;
use super::record::opaque;
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{State, Walker};
use crate::shell::Kind;

/// `awk [-F FS] [-v VAR=VAL]... [-f PROG | 'PROG'] [FILE | VAR=VAL]...`.
pub(super) fn awk(w: &mut Walker, st: &mut State, c: Cmd) {
    let (args, stdin) = (c.args, c.stdin.as_ref());
    // gawk's report files (`-o[FILE]`, `--pretty-print[=FILE]`, `-p`, `-d`; a value only
    // attached) are taken out first: the other options follow getopt.
    let mut rest: Vec<Val> = Vec::with_capacity(args.len());
    let mut k = 1;
    while k < args.len() {
        let t = args[k].text();
        if t == "--" || !t.starts_with('-') {
            rest.extend_from_slice(&args[k..]);
            break;
        }
        if matches!(t, "-v" | "-F" | "-f" | "-e" | "-i" | "-l" | "-E" | "-W") {
            rest.extend_from_slice(&args[k..(k + 2).min(args.len())]);
            k += 2;
            continue;
        }
        let mut report = None;
        for (flag, long, default) in [
            ("-o", "--pretty-print", "awkprof.out"),
            ("-p", "--profile", "awkprof.out"),
            ("-d", "--dump-variables", "awkvars.out"),
        ] {
            if let Some(f) = t.strip_prefix(long) {
                report = match f.strip_prefix('=') {
                    Some(v) => Some(v),
                    None if f.is_empty() => Some(default),
                    None => None,
                };
            } else if let Some(f) = t.strip_prefix(flag).filter(|_| !t.starts_with("--")) {
                report = Some(if f.is_empty() { default } else { f });
            }
            if report.is_some() {
                break;
            }
        }
        match report {
            Some(f) if f != "-" && f != "/dev/stdout" => w.write(st, &lit(f), Kind::Write),
            Some(_) => {}
            None => rest.push(args[k].clone()),
        }
        k += 1;
    }
    let p = Opts::parse(
        &rest,
        "FvfieElW",
        &[
            "--field-separator",
            "--assign",
            "--file",
            "--include",
            "--source",
            "--exec",
            "--load",
        ],
    );
    let sandbox = p.has(&["-S", "--sandbox"]);
    if !p.values(&["-l", "--load"]).is_empty() {
        opaque(w, st, "awk loading a library (-l)", args, stdin);
    }
    let includes = p.values(&["-i", "--include"]);
    let in_place = includes.iter().any(|v| v.known() == Some("inplace"));
    if includes.iter().any(|v| v.known() != Some("inplace")) {
        opaque(w, st, "awk including a library (-i)", args, stdin);
    }
    // The program: `-e`/`--source` texts, `-f` files read when they can be, else the first
    // operand.
    let mut program = String::new();
    let mut known = true;
    for v in p.values(&["-e", "--source"]) {
        known &= v.known().is_some();
        program.push_str(v.text());
        program.push('\n');
    }
    let files = p.values(&["-f", "--file", "-E", "--exec"]);
    for f in &files {
        match script_text(w, st, f, stdin) {
            Some(body) => {
                program.push_str(&body);
                program.push('\n');
            }
            None => known = false,
        }
    }
    let mut ops = p.operands.clone();
    if files.is_empty() && p.values(&["-e", "--source"]).is_empty() && !ops.is_empty() {
        let prog = ops.remove(0);
        known &= prog.known().is_some();
        program.push_str(prog.text());
    }
    // Operands: files, or `VAR=VAL` assignments.
    let mut assigned: Vec<(String, Val)> = Vec::new();
    for v in p.values(&["-v", "--assign"]) {
        if let Some((n, val)) = split_assignment(v) {
            assigned.push((n, val));
        }
    }
    for v in &ops {
        match split_assignment(v) {
            Some((n, val)) => assigned.push((n, val)),
            None if in_place => w.write(st, v, Kind::Write),
            None => {}
        }
    }
    if !known {
        opaque(w, st, "awk with a program lanes cannot read", args, stdin);
        return;
    }
    if sandbox {
        return; // `--sandbox`: no redirects, no commands
    }
    let scan = scan(&program);
    if scan.runs {
        opaque(w, st, args[0].text(), args, stdin);
    }
    for target in &scan.redirects {
        for v in target_values(target, &scan, &assigned) {
            w.write(st, &v, Kind::Write);
        }
    }
}

/// `NAME=VALUE` as awk reads an assignment operand.
fn split_assignment(v: &Val) -> Option<(String, Val)> {
    let t = v.text();
    let (n, rest) = t.split_once('=')?;
    let name_ok = n
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !name_ok {
        return None;
    }
    let val = match v {
        Val::Known { .. } => lit(rest),
        Val::Unknown { .. } => Val::Unknown {
            prefix: rest.to_string(),
        },
    };
    Some((n.to_string(), val))
}

/// The paths a redirect target may name.
fn target_values(target: &Target, scan: &Scan, assigned: &[(String, Val)]) -> Vec<Val> {
    let unknown = |prefix: &str| Val::Unknown {
        prefix: prefix.to_string(),
    };
    match target {
        Target::Literal(s) => vec![lit(s)],
        Target::Var(name) => {
            let mut out: Vec<Val> = assigned
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .collect();
            for (n, v) in &scan.literals {
                if n == name {
                    out.push(lit(v));
                }
            }
            if out.is_empty() || scan.computed.contains(name) {
                out.push(unknown(""));
            }
            out
        }
        Target::Prefix(p) => vec![unknown(p)],
        Target::Unknown => vec![unknown("")],
    }
}

/// A redirect's target expression.
#[derive(Debug, PartialEq)]
enum Target {
    /// `> "file"`.
    Literal(String),
    /// `> name`.
    Var(String),
    /// `> "dir/" name`: a string, then more.
    Prefix(String),
    Unknown,
}

/// What a program does besides printing to standard output.
#[derive(Debug, Default)]
struct Scan {
    /// `print > T`, `printf ... >> T`.
    redirects: Vec<Target>,
    /// A command runs (`system()`, pipes, `|&`).
    runs: bool,
    /// `name = "string"` assignments.
    literals: Vec<(String, String)>,
    /// Variables assigned anything else (`f = $1`, `getline f`, `f += 1`, ...).
    computed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Regex,
    Ident(String),
    Num,
    Punct(&'static str),
    Newline,
}

const PUNCT: &[&str] = &[
    ">>", "||", "&&", "|&", "==", "!=", "<=", ">=", "++", "--", "+=", "-=", "*=", "/=", "%=", "^=",
    "**", "!~", ">", "<", "|", "&", "(", ")", "{", "}", "[", "]", ";", ",", "=", "+", "-", "*",
    "/", "%", "^", "!", "~", "?", ":", "$",
];

/// Splits an awk program into tokens. A `/` starts a regular expression where an operand
/// may start (after an operator, `(`, `,`, a keyword...), else it divides.
fn tokens(prog: &str) -> Vec<Tok> {
    let c: Vec<char> = prog.chars().collect();
    let n = c.len();
    let mut out: Vec<Tok> = Vec::new();
    let mut i = 0;
    while i < n {
        let ch = c[i];
        match ch {
            ' ' | '\t' | '\r' => i += 1,
            '\\' if c.get(i + 1) == Some(&'\n') => i += 2,
            '\n' => {
                out.push(Tok::Newline);
                i += 1;
            }
            '#' => {
                while i < n && c[i] != '\n' {
                    i += 1;
                }
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                while i < n && c[i] != '"' {
                    if c[i] == '\\' && i + 1 < n {
                        i += 1;
                        s.push(match c[i] {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    } else {
                        s.push(c[i]);
                    }
                    i += 1;
                }
                i += 1;
                out.push(Tok::Str(s));
            }
            '/' if regex_allowed(out.last()) => {
                i += 1;
                while i < n && c[i] != '/' && c[i] != '\n' {
                    if c[i] == '\\' {
                        i += 1;
                    } else if c[i] == '[' {
                        // A bracket expression may hold `/`.
                        i += 1;
                        if i < n && c[i] == ']' {
                            i += 1;
                        }
                        while i < n && c[i] != ']' && c[i] != '\n' {
                            i += 1;
                        }
                    }
                    i += 1;
                }
                i += 1;
                out.push(Tok::Regex);
            }
            c0 if c0.is_ascii_alphabetic() || c0 == '_' => {
                let start = i;
                while i < n && (c[i].is_ascii_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                out.push(Tok::Ident(c[start..i].iter().collect()));
            }
            c0 if c0.is_ascii_digit() || c0 == '.' => {
                while i < n && (c[i].is_ascii_alphanumeric() || c[i] == '.') {
                    i += 1;
                }
                out.push(Tok::Num);
            }
            _ => {
                let rest: String = c[i..n.min(i + 2)].iter().collect();
                let p = PUNCT
                    .iter()
                    .find(|p| rest.starts_with(**p))
                    .copied()
                    .unwrap_or("?");
                i += p.chars().count().max(1);
                out.push(Tok::Punct(p));
            }
        }
    }
    out
}

fn regex_allowed(prev: Option<&Tok>) -> bool {
    match prev {
        None | Some(Tok::Newline) => true,
        Some(Tok::Punct(p)) => !matches!(*p, ")" | "]" | "$" | "++" | "--"),
        Some(Tok::Ident(k)) => matches!(k.as_str(), "print" | "printf" | "return" | "in"),
        _ => false,
    }
}

/// Ends a statement (or a print's target) at depth 0.
fn ends_statement(t: &Tok) -> bool {
    matches!(t, Tok::Newline | Tok::Punct(";" | "}" | "{"))
}

fn scan(prog: &str) -> Scan {
    let toks = tokens(prog);
    let mut out = Scan::default();
    let mut i = 0;
    // Where the last scan for assigned names stopped (see the `split` arm).
    let mut scanned_to = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Punct("|" | "|&") => out.runs = true,
            Tok::Ident(f) if f == "system" && toks.get(i + 1) == Some(&Tok::Punct("(")) => {
                out.runs = true
            }
            Tok::Ident(k) if k == "print" || k == "printf" => {
                let mut depth = 0i32;
                let mut j = i + 1;
                while j < toks.len() {
                    match &toks[j] {
                        Tok::Punct("(" | "[") => depth += 1,
                        Tok::Punct(")" | "]") => depth -= 1,
                        // `print | "cmd"`, and any pipe inside the statement.
                        Tok::Punct("|" | "|&") => out.runs = true,
                        t if depth <= 0 && ends_statement(t) => break,
                        Tok::Punct(">" | ">>") if depth <= 0 => {
                            let (target, end) = redirect_target(&toks, j + 1);
                            out.redirects.push(target);
                            j = end;
                            continue;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                i = j;
                continue;
            }
            Tok::Ident(name) => match toks.get(i + 1) {
                Some(Tok::Punct("=")) => {
                    // A literal only when the right side is one string: looked at by its first
                    // two tokens, not read to the statement's end (`a=b=c=...` stays linear).
                    let rhs = (toks.get(i + 2), toks.get(i + 3));
                    match rhs {
                        (Some(Tok::Str(s)), None) => out.literals.push((name.clone(), s.clone())),
                        (Some(Tok::Str(s)), Some(t)) if ends_statement(t) => {
                            out.literals.push((name.clone(), s.clone()))
                        }
                        _ => out.computed.push(name.clone()),
                    }
                }
                Some(Tok::Punct("+=" | "-=" | "*=" | "/=" | "%=" | "^=" | "++" | "--")) => {
                    out.computed.push(name.clone())
                }
                // Whatever names follow, up to the statement's end, may be assigned. Once per
                // statement: a later one in it would find the same names again
                // (`split split split ...` stays linear).
                _ if i >= scanned_to
                    && matches!(
                        name.as_str(),
                        "getline"
                            | "sub"
                            | "gsub"
                            | "split"
                            | "patsplit"
                            | "match"
                            | "for"
                            | "sprintf"
                    ) =>
                {
                    let mut j = i + 1;
                    while j < toks.len() && !ends_statement(&toks[j]) {
                        if let Tok::Ident(v) = &toks[j] {
                            out.computed.push(v.clone());
                        }
                        j += 1;
                    }
                    scanned_to = j;
                }
                _ => {}
            },
            _ => {}
        }
        i += 1;
    }
    out
}

/// The target expression of a redirect starting at `from`, and where it ends.
fn redirect_target(toks: &[Tok], from: usize) -> (Target, usize) {
    let mut j = from;
    let mut parts = Vec::new();
    let mut depth = 0i32;
    while j < toks.len() {
        match &toks[j] {
            Tok::Punct("(") => depth += 1,
            Tok::Punct(")") if depth == 0 => break,
            Tok::Punct(")") => depth -= 1,
            Tok::Punct("|" | "||" | "&&") if depth == 0 => break,
            t if depth == 0 && ends_statement(t) => break,
            _ => {}
        }
        parts.push(&toks[j]);
        j += 1;
    }
    // `> ("dir/" f)`: the parentheses change nothing.
    while let (Some(Tok::Punct("(")), Some(Tok::Punct(")"))) = (parts.first(), parts.last()) {
        parts = parts[1..parts.len() - 1].to_vec();
    }
    let target = match parts.as_slice() {
        [Tok::Str(s)] => Target::Literal(s.clone()),
        [Tok::Ident(v)] => Target::Var(v.clone()),
        [Tok::Str(s), ..] => Target::Prefix(s.clone()),
        _ => Target::Unknown,
    };
    (target, j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_pipes_and_assignments_are_found() {
        let s = scan("{ print > \"docs/x\"; printf \"%s\", $1 >> f } $3 > 100 { print }");
        assert_eq!(
            s.redirects,
            [Target::Literal("docs/x".into()), Target::Var("f".into())]
        );
        assert!(!s.runs);
        let s = scan("/a|b/ { n = n || 1 } END { print (a > b) }");
        assert!(!s.runs, "{s:?}");
        assert!(s.redirects.is_empty(), "{s:?}");
        let s = scan("BEGIN { f = \"docs/y\"; g = $1 } { print > (\"d/\" g) }");
        assert_eq!(s.literals, [("f".to_string(), "docs/y".to_string())]);
        assert_eq!(s.computed, ["g"]);
        assert_eq!(s.redirects, [Target::Prefix("d/".into())]);
        assert!(scan("{ print | \"sh\" }").runs);
        assert!(scan("{ c = \"rm x\"; c | getline }").runs);
        assert!(scan("BEGIN { system(\"rm x\") }").runs);
        assert_eq!(
            scan("{ print $1/2 > \"o\" }").redirects,
            [Target::Literal("o".into())]
        );
    }
}
