//! Editors and in-place rewriters: `sed -i` and its `w FILE` commands, `perl -i`,
//! `awk -i inplace` and its `print > "FILE"`, interactive editors (every file operand is
//! assumed written), `patch` (the files its diff names), and code formatters in their
//! writing modes (a subtree each, as they take directories).

use super::args::{abbreviates, append, lit, Opts};
use super::patchfile::{patch_files, read_patch};
use super::record::{opaque, opaque_reader};
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{State, Stdin, Walker};
use crate::shell::Kind;

/// GNU sed's long options, for reading their abbreviations.
const SED_LONG: &[&str] = &[
    "--debug",
    "--expression",
    "--file",
    "--follow-symlinks",
    "--help",
    "--in-place",
    "--line-length",
    "--null-data",
    "--posix",
    "--quiet",
    "--regexp-extended",
    "--sandbox",
    "--separate",
    "--silent",
    "--unbuffered",
    "--version",
    "--zero-terminated",
];

/// `sed [-i[SUFFIX]] [-e SCRIPT]... [-f FILE] [SCRIPT] FILE...`.
pub(super) fn sed(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    // Read on the words' own text: nothing here needs a copy.
    let mut in_place = false;
    let mut suffix = "";
    // Nearly always one script: a list only for the second and later ones.
    let mut scripts = Scripts::default();
    let mut script_given = false;
    let mut script_files: Vec<Val> = Vec::new();
    let mut sandbox = false;
    let mut unknown_script = false;
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
        // A long option by its full name (GNU sed takes unambiguous abbreviations: `--in`
        // is `--in-place`), with the value written after `=`.
        let (long, value) = match t.strip_prefix("--").filter(|l| !l.is_empty()) {
            Some(l) => {
                let (n, v) = match l.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (l, None),
                };
                let given = format!("--{n}");
                let full = SED_LONG
                    .iter()
                    .find(|f| **f == given)
                    .or_else(|| SED_LONG.iter().find(|f| abbreviates(&given, f)));
                (full.copied(), v)
            }
            None => (None, None),
        };
        if t == "--" {
            done = true;
        } else if long == Some("--in-place") {
            in_place = true;
            suffix = value.unwrap_or("");
        } else if matches!(long, Some("--expression" | "--file")) && value.is_none() {
            script_given = true;
            if long == Some("--expression") {
                unknown_script |= matches!(rest.get(i), Some(Val::Unknown { .. }));
                scripts.extend(rest.get(i).map(Val::text));
            } else {
                script_files.extend(rest.get(i).cloned());
            }
            i += 1;
        } else if let (Some("--expression"), Some(e)) = (long, value) {
            script_given = true;
            scripts.push(e);
        } else if let (Some("--file"), Some(f)) = (long, value) {
            script_given = true;
            script_files.push(lit(f));
        } else if long == Some("--line-length") && value.is_none() {
            i += 1; // its value, not the script
        } else if long == Some("--sandbox") {
            sandbox = true;
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
                            if c == 'f' {
                                script_files.extend(rest.get(i - 1).cloned());
                                break;
                            }
                            unknown_script |=
                                c == 'e' && matches!(rest.get(i - 1), Some(Val::Unknown { .. }));
                            rest.get(i - 1).map(Val::text)
                        } else {
                            Some(attached)
                        };
                        if c == 'e' {
                            scripts.extend(value);
                        } else if c == 'f' {
                            script_files.extend(value.map(lit));
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
    }
    if !script_given && !operands.is_empty() {
        let script = operands.remove(0);
        unknown_script |= matches!(script, Val::Unknown { .. });
        scripts.push(script.text());
    }
    if in_place {
        for v in operands {
            w.write(st, v, Kind::Write);
            if !suffix.is_empty() && !suffix.contains('*') {
                w.write(st, &append(v, suffix), Kind::Write);
            }
        }
    }
    if sandbox {
        return; // `--sandbox`: `e`, `r`, `w` are refused
    }
    // GNU sed joins its scripts with newlines; a script file is read when it can be.
    let mut text = String::new();
    for piece in scripts.first.into_iter().chain(scripts.more) {
        text.push_str(piece);
        text.push('\n');
    }
    for f in &script_files {
        match script_text(w, st, f, c.stdin.as_ref()) {
            Some(body) => {
                text.push_str(&body);
                text.push('\n');
            }
            None => {
                opaque(
                    w,
                    st,
                    "sed -f (a script lanes cannot read)",
                    c.args,
                    c.stdin.as_ref(),
                );
                return;
            }
        }
    }
    let mut scan = scan_sed(&text);
    scan.unreadable |= unknown_script;
    // `w FILE`, `W FILE` commands and the `s///w FILE` flag write FILE (reference T120).
    for f in &scan.writes {
        w.write(st, &lit(f), Kind::Write);
    }
    // GNU sed's `e COMMAND` runs COMMAND; `e` alone and the `s///e` flag run the pattern
    // space (text from the input): opaque.
    for cmd in &scan.execs {
        let mut copy = st.clone();
        w.nested_script(cmd, &mut copy, "the command given to sed's e");
    }
    if scan.exec_pattern || scan.unreadable {
        let why = if scan.unreadable {
            "sed with a script lanes cannot read"
        } else {
            "sed running its input as commands (e)"
        };
        opaque(w, st, why, c.args, c.stdin.as_ref());
    }
}

/// What a sed script does besides editing text: files it writes, commands it runs.
#[derive(Default, Debug, PartialEq)]
struct SedScan {
    /// Files named by `w`, `W` and the `s///w` flag.
    writes: Vec<String>,
    /// Commands given to `e COMMAND`.
    execs: Vec<String>,
    /// `e` alone, or the `s///e` flag: the pattern space runs as a command.
    exec_pattern: bool,
    /// A command lanes does not know: the script may do anything sed can.
    unreadable: bool,
}

/// Reads a sed script command by command (GNU syntax: addresses, `!`, `{ }`, `s` and `y`
/// with any delimiter and bracket expressions, text commands, labels), noting the files it
/// writes and the commands it runs. File names and `e` commands run to the end of the
/// line, as sed reads them (`w f;p` writes the file `f;p`).
fn scan_sed(script: &str) -> SedScan {
    let c: Vec<char> = script.chars().collect();
    let n = c.len();
    let mut out = SedScan::default();
    let mut i = 0;
    let rest_of_line = |i: &mut usize| -> String {
        let start = *i;
        while *i < n && c[*i] != '\n' {
            *i += 1;
        }
        c[start..*i].iter().collect()
    };
    let skip_blank = |i: &mut usize| {
        while *i < n && matches!(c[*i], ' ' | '\t') {
            *i += 1;
        }
    };
    // Past a regular expression closed by `delim` (escapes and bracket expressions kept).
    let skip_regex = |i: &mut usize, delim: char| -> bool {
        while *i < n {
            match c[*i] {
                '\\' => *i += 2,
                '[' if delim != '[' => {
                    *i += 1;
                    if *i < n && c[*i] == '^' {
                        *i += 1;
                    }
                    if *i < n && c[*i] == ']' {
                        *i += 1;
                    }
                    while *i < n && c[*i] != ']' {
                        if c[*i] == '[' && *i + 1 < n && matches!(c[*i + 1], ':' | '.' | '=') {
                            let close = c[*i + 1];
                            *i += 2;
                            while *i + 1 < n && !(c[*i] == close && c[*i + 1] == ']') {
                                *i += 1;
                            }
                            *i += 2;
                        } else {
                            *i += 1;
                        }
                    }
                    *i += 1;
                }
                ch if ch == delim => {
                    *i += 1;
                    return true;
                }
                _ => *i += 1,
            }
        }
        false
    };
    let address = |i: &mut usize| -> bool {
        match c.get(*i) {
            Some(d) if d.is_ascii_digit() || *d == '+' || *d == '~' => {
                *i += 1;
                while *i < n && (c[*i].is_ascii_digit() || c[*i] == '~') {
                    *i += 1;
                }
                true
            }
            Some('$') => {
                *i += 1;
                true
            }
            Some('/') | Some('\\') => {
                let delim = if c[*i] == '\\' {
                    *i += 1;
                    match c.get(*i) {
                        Some(d) => *d,
                        None => return false,
                    }
                } else {
                    '/'
                };
                *i += 1;
                if !skip_regex(i, delim) {
                    return false;
                }
                while *i < n && matches!(c[*i], 'I' | 'M') {
                    *i += 1;
                }
                true
            }
            _ => true,
        }
    };
    while i < n {
        while i < n && (c[i].is_whitespace() || c[i] == ';') {
            i += 1;
        }
        if i >= n {
            break;
        }
        if !address(&mut i) {
            out.unreadable = true;
            break;
        }
        skip_blank(&mut i);
        if i < n && c[i] == ',' {
            i += 1;
            skip_blank(&mut i);
            if !address(&mut i) {
                out.unreadable = true;
                break;
            }
        }
        skip_blank(&mut i);
        while i < n && (c[i] == '!' || c[i] == ' ') {
            i += 1;
        }
        let Some(&cmd) = c.get(i) else {
            out.unreadable = true;
            break;
        };
        i += 1;
        match cmd {
            '{' | '}' => {}
            '#' | ':' => {
                rest_of_line(&mut i);
            }
            'b' | 't' | 'T' | 'v' => {
                while i < n && !matches!(c[i], ';' | '\n' | '}') {
                    i += 1;
                }
            }
            'a' | 'i' | 'c' => {
                // Text to the end of the line; a trailing backslash continues it.
                loop {
                    let line = rest_of_line(&mut i);
                    i += 1;
                    if !line.ends_with('\\') || i >= n {
                        break;
                    }
                }
            }
            'r' | 'R' => {
                rest_of_line(&mut i);
            }
            'w' | 'W' => {
                skip_blank(&mut i);
                let f = rest_of_line(&mut i);
                if f.is_empty() {
                    out.unreadable = true;
                } else {
                    out.writes.push(f);
                }
            }
            'e' => {
                skip_blank(&mut i);
                let cmd = rest_of_line(&mut i);
                if cmd.trim().is_empty() {
                    out.exec_pattern = true;
                } else {
                    out.execs.push(cmd);
                }
            }
            's' | 'y' => {
                let Some(&delim) = c.get(i) else {
                    out.unreadable = true;
                    break;
                };
                i += 1;
                if delim == '\n' || delim == '\\' || !skip_regex(&mut i, delim) {
                    out.unreadable = true;
                    break;
                }
                // The replacement: escapes only (no bracket expressions).
                let mut closed = false;
                while i < n {
                    match c[i] {
                        '\\' => i += 2,
                        ch if ch == delim => {
                            i += 1;
                            closed = true;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                if !closed {
                    out.unreadable = true;
                    break;
                }
                if cmd == 's' {
                    while i < n {
                        match c[i] {
                            'g' | 'p' | 'i' | 'I' | 'm' | 'M' => i += 1,
                            d if d.is_ascii_digit() => i += 1,
                            'e' => {
                                out.exec_pattern = true;
                                i += 1;
                            }
                            'w' => {
                                i += 1;
                                skip_blank(&mut i);
                                let f = rest_of_line(&mut i);
                                if f.is_empty() {
                                    out.unreadable = true;
                                } else {
                                    out.writes.push(f);
                                }
                            }
                            _ => break,
                        }
                    }
                }
            }
            'l' | 'L' | 'q' | 'Q' => {
                skip_blank(&mut i);
                while i < n && c[i].is_ascii_digit() {
                    i += 1;
                }
            }
            '=' | 'd' | 'D' | 'g' | 'G' | 'h' | 'H' | 'n' | 'N' | 'p' | 'P' | 'x' | 'z' | 'F' => {}
            _ => {
                out.unreadable = true;
                break;
            }
        }
    }
    out
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

/// Interactive editors without scripts lanes reads (`nano`, `emacs`, ...); `emacs
/// --batch` runs code. `vi` and `ed` are in `vi.rs`.
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
    // Every file operand is assumed written (H).
    let p = Opts::parse(rest, "", &[]);
    for v in p.operands.iter().filter(|v| !v.text().starts_with('+')) {
        w.write(st, v, Kind::Write);
    }
}

/// The text the command itself wrote to the file `v` names earlier, when it was literal
/// (`echo 'rm x' > s.sh; bash s.sh`): a script lanes can walk. `None` otherwise.
pub(super) fn written_script(w: &Walker, st: &State, v: &Val) -> Option<String> {
    let t = v.literal()?;
    let cwd = st.pwd()?;
    let path = w.follow(&cwd.join(t))?;
    w.written_content(&path).flatten().map(String::from)
}

/// The text of a script file a command reads (`sed -f F`, `awk -f F`, `vim -S F`): the
/// command's standard input when F names it (`-`, `/dev/stdin`) and it is literal, else the
/// file when lanes can read it ([`read_patch`]).
pub(super) fn script_text(
    w: &Walker,
    st: &State,
    f: &Val,
    stdin: Option<&Stdin>,
) -> Option<String> {
    match (f.known(), stdin) {
        (
            Some("-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0"),
            Some(Stdin::Text {
                body,
                literal: true,
            }),
        ) => Some(body.to_string()),
        _ => read_patch(w, st, f),
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
    // Rejects go to `-r F`; backups get a prefix that may be a directory elsewhere.
    for v in p.values(&["-r", "--reject-file"]) {
        if v.known() != Some("-") {
            w.write(st, v, Kind::Write);
        }
    }
    for v in p.values(&["-B", "--prefix", "-Y", "--basename-prefix"]) {
        w.write(
            st,
            &Val::Unknown {
                prefix: v.text().to_string(),
            },
            Kind::Write,
        );
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

/// `apply_patch PATCH` or `apply_patch <<'EOF' ... EOF` (also `applypatch`): Codex applies
/// such a command itself, as a patch in its own format, instead of running it
/// (`shared/reference/other-clients.md` §4). The files the patch names, relative to the
/// command's directory ([`crate::apply_patch`], the parser its `apply_patch` tool goes
/// through); a patch lanes cannot read writes an unknown path.
pub(super) fn apply_patch(w: &mut Walker, st: &mut State, c: Cmd) {
    let text = match (c.rest().first(), c.stdin.as_ref()) {
        (Some(arg), _) => arg.known().map(str::to_string),
        (None, Some(Stdin::Text { body, .. })) => Some(body.to_string()),
        (None, Some(Stdin::File(f))) => read_patch(w, st, f),
        _ => None,
    };
    match text.as_deref().map(crate::apply_patch::paths) {
        Some(Ok(paths)) => {
            for p in paths {
                w.write(st, &lit(&p), Kind::Write);
            }
        }
        _ => w.write(
            st,
            &Val::Unknown {
                prefix: String::new(),
            },
            Kind::Write,
        ),
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
