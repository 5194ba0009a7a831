//! Editors driven by scripts: `vi`/`vim`/`nvim`/`ex` with `-c CMD`, `+CMD`, `--cmd CMD`,
//! `-S FILE` and, in ex mode, commands on standard input; `ed` with commands on standard
//! input. Every file operand is assumed written (the editor may save it); besides, the
//! scripts' `w FILE` (and `saveas`, `redir >`, ...) write FILE, a file the script opens
//! (`e FILE`, `file NAME`) may be saved, and `!cmd`, `normal`, `execute`, `call`, `source`,
//! scripting languages and `cd` make the editor opaque.

use super::args::lit;
use super::editors::script_text;
use super::patchfile::read_patch;
use super::record::opaque;
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{State, Stdin, Walker};
use crate::shell::Kind;

/// What an editor script does besides editing the buffer.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Scan {
    /// Files it writes or may write (`w FILE`, `e FILE` then `w`, ...).
    pub writes: Vec<String>,
    /// It runs commands or code lanes cannot follow.
    pub runs: bool,
}

/// `vi`, `vim`, `nvim`, `ex`, `view`, `rvim`, `vimdiff`.
pub(super) fn vim(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, args, rest) = (c.name, c.args, c.rest());
    let mut ex_mode = matches!(name, "ex" | "exim");
    let mut scripts: Vec<Val> = Vec::new();
    let mut files: Vec<Val> = Vec::new();
    let mut script_files: Vec<Val> = Vec::new();
    let mut runs = false;
    let mut i = 0;
    let mut options = true;
    while i < rest.len() {
        let a = &rest[i];
        i += 1;
        let t = a.text();
        if !options || !(t.starts_with('-') || t.starts_with('+')) || t == "-" {
            files.push(a.clone());
            continue;
        }
        if t == "--" {
            options = false;
            continue;
        }
        if let Some(cmd) = t.strip_prefix('+') {
            // `+N`, `+/pat` position the cursor; `+cmd` runs an ex command.
            if !cmd.is_empty() && !cmd.starts_with('/') && !cmd.bytes().all(|b| b.is_ascii_digit())
            {
                scripts.push(strip_val(a, 1));
            }
            continue;
        }
        let value = |i: &mut usize| -> Option<Val> {
            *i += 1;
            rest.get(*i - 1).cloned()
        };
        match t {
            "-c" | "--cmd" => scripts.extend(value(&mut i)),
            "-S" => script_files.extend(value(&mut i)),
            "-u" | "-U" | "-i" => {
                // A startup file run as commands; `-i`: a viminfo file written at exit.
                let v = value(&mut i);
                if let Some(v) = v.filter(|v| !matches!(v.known(), Some("NONE" | "NORC"))) {
                    if t == "-i" {
                        w.write(st, &v, Kind::Write);
                    } else {
                        script_files.push(v);
                    }
                }
            }
            "-w" | "-W" | "--startuptime" => {
                // Typed keys, or start-up times, are written to the file.
                if let Some(v) = value(&mut i) {
                    w.write(st, &v, Kind::Write);
                }
            }
            "-s" if !ex_mode => {
                // Normal-mode keys read from a file: anything an editor can do.
                let _ = value(&mut i);
                runs = true;
            }
            "-l" if name == "nvim" => runs = true, // a Lua script
            "-t" | "-q" | "-T" | "--listen" | "-r" => {
                let _ = value(&mut i);
            }
            _ if t.starts_with("--") => {}
            _ => {
                if t[1..].contains(['e', 'E']) && !t.starts_with("-V") {
                    ex_mode = true;
                }
                if t.starts_with("-V") && t.len() > 2 {
                    // `-V9file`: verbose messages go to the file.
                    let f = t[2..].trim_start_matches(|c: char| c.is_ascii_digit());
                    if !f.is_empty() {
                        w.write(st, &lit(f), Kind::Write);
                    }
                }
            }
        }
    }
    for v in files.iter() {
        w.write(st, v, Kind::Write);
    }
    let mut text = String::new();
    let mut known = true;
    for s in &scripts {
        known &= s.known().is_some();
        text.push_str(s.text());
        text.push('\n');
    }
    for f in &script_files {
        match script_text(w, st, f, c.stdin.as_ref()) {
            Some(body) => {
                text.push_str(&body);
                text.push('\n');
            }
            None => known = false,
        }
    }
    if ex_mode {
        match script_input(w, st, c.stdin.as_ref()) {
            Some(body) => text.push_str(&body),
            None => known = false,
        }
    }
    let scan = scan_ex(&text);
    for f in &scan.writes {
        w.write(st, &lit(f), Kind::Write);
    }
    if runs || scan.runs || !known {
        opaque(w, st, name, args, c.stdin.as_ref());
    }
}

/// `ed [-s] [-p PROMPT] [FILE]`, `red`: commands from standard input.
pub(super) fn ed(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, args, rest) = (c.name, c.args, c.rest());
    let mut i = 0;
    while i < rest.len() {
        let t = rest[i].text();
        i += 1;
        if t == "-p" || t == "--prompt" {
            i += 1;
        } else if !t.starts_with('-') || t == "-" {
            w.write(st, &rest[i - 1], Kind::Write);
        }
    }
    let scan = match script_input(w, st, c.stdin.as_ref()) {
        Some(body) => scan_ed(&body),
        None => Scan {
            writes: Vec::new(),
            runs: true,
        },
    };
    for f in &scan.writes {
        w.write(st, &lit(f), Kind::Write);
    }
    if scan.runs {
        opaque(w, st, name, args, c.stdin.as_ref());
    }
}

/// The commands an editor reads on standard input, when lanes can read them: a literal
/// here-document or here-string, or a file it can open. `None` otherwise. Without any
/// standard input redirected, the editor reads the terminal (nothing to see): empty.
fn script_input(w: &Walker, st: &State, stdin: Option<&Stdin>) -> Option<String> {
    match stdin {
        None => Some(String::new()),
        Some(Stdin::Text {
            body,
            literal: true,
        }) => Some(body.to_string()),
        Some(Stdin::File(f)) => read_patch(w, st, f),
        Some(_) => None,
    }
}

/// `v` without its first `n` bytes (`+cmd` -> `cmd`).
fn strip_val(v: &Val, n: usize) -> Val {
    match v {
        Val::Known { text, .. } => lit(&text[n.min(text.len())..]),
        Val::Unknown { prefix } => Val::Unknown {
            prefix: prefix.get(n..).unwrap_or("").to_string(),
        },
    }
}

/// True when `word` is `full` or an abbreviation of it at least `min` characters long.
fn abbrev(word: &str, full: &str, min: usize) -> bool {
    word.len() >= min && full.starts_with(word)
}

/// Reads ex commands (vim's `-c`, `:` commands, ex mode) for what they write and run.
pub(super) fn scan_ex(text: &str) -> Scan {
    let mut out = Scan::default();
    for line in text.lines() {
        ex_line(line, &mut out, 0);
    }
    out
}

fn ex_line(line: &str, out: &mut Scan, depth: usize) {
    if depth > 8 {
        out.runs = true;
        return;
    }
    let mut rest = line;
    loop {
        let cmd = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':');
        if cmd.is_empty() {
            return;
        }
        let cmd = skip_range(cmd);
        // `!cmd`: a shell command (the rest of the line, `|` included).
        if cmd.starts_with('!') {
            out.runs = true;
            return;
        }
        let name_len = cmd
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(cmd.len());
        let (name, after) = cmd.split_at(name_len);
        let after = after.strip_prefix('!').unwrap_or(after);
        // The argument runs to the next `|` (bar-separated commands), except for commands
        // that take the whole rest of the line.
        let whole_line = abbrev(name, "global", 1)
            || abbrev(name, "vglobal", 1)
            || abbrev(name, "normal", 4)
            || abbrev(name, "execute", 3);
        let (arg, next) = if whole_line {
            (after, None)
        } else {
            match after.find('|') {
                Some(at) => (&after[..at], Some(&after[at + 1..])),
                None => (after, None),
            }
        };
        let arg = arg.trim();
        ex_command(name, arg, out, depth);
        match next {
            Some(n) => rest = n,
            None => return,
        }
    }
}

/// Skips a line range (`%`, `1,$`, `'<,'>`, `.+1`, `/pat/`, `?pat?`).
fn skip_range(cmd: &str) -> &str {
    let b = cmd.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' | b'.' | b',' | b';' | b'$' | b'%' | b'+' | b'-' | b' ' => i += 1,
            b'\'' => i += 2,
            d @ (b'/' | b'?') => {
                i += 1;
                while i < b.len() && b[i] != d {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            _ => break,
        }
    }
    cmd.get(i.min(cmd.len())..).unwrap_or("")
}

fn ex_command(name: &str, arg: &str, out: &mut Scan, depth: usize) {
    // A file argument (`w FILE`, `w >> FILE`, `w ++opt FILE`); `w !cmd` runs cmd.
    let file_arg = |out: &mut Scan, default: Option<&str>| {
        let a = arg.trim_start_matches(">>").trim();
        let a = a
            .split_whitespace()
            .skip_while(|p| p.starts_with("++"))
            .collect::<Vec<_>>()
            .join(" ");
        if a.starts_with('!') {
            out.runs = true;
        } else if !a.is_empty() {
            out.writes.push(a);
        } else if let Some(d) = default {
            out.writes.push(d.to_string());
        }
    };
    let writes = name == "wq"
        || abbrev(name, "write", 1)
        || abbrev(name, "xit", 1)
        || abbrev(name, "exit", 3)
        || abbrev(name, "update", 2)
        || abbrev(name, "saveas", 3)
        || abbrev(name, "wnext", 2)
        || abbrev(name, "wNext", 2)
        || abbrev(name, "wprevious", 2)
        || abbrev(name, "edit", 1)
        || abbrev(name, "new", 3)
        || abbrev(name, "vnew", 3)
        || abbrev(name, "split", 2)
        || abbrev(name, "vsplit", 2)
        || abbrev(name, "tabedit", 4)
        || abbrev(name, "tabnew", 4)
        || abbrev(name, "badd", 3)
        || abbrev(name, "argadd", 4)
        || abbrev(name, "next", 1)
        || abbrev(name, "file", 1)
        || abbrev(name, "sview", 2)
        || abbrev(name, "view", 3)
        || abbrev(name, "read", 1);
    if writes {
        // `r FILE` only reads; `r !cmd` runs. The others may save FILE.
        if abbrev(name, "read", 1) {
            if arg.trim_start().starts_with('!') {
                out.runs = true;
            }
        } else {
            file_arg(out, None);
        }
        return;
    }
    if abbrev(name, "redir", 3) {
        if arg.starts_with('>') || arg.starts_with('!') {
            let a = arg.trim_start_matches(['>', '!']).trim();
            if !a.is_empty() && a != "END" {
                out.writes.push(a.to_string());
            }
        }
        return;
    }
    for (full, min, default) in [
        ("mksession", 3, "Session.vim"),
        ("mkview", 4, ""),
        ("mkvimrc", 3, ".vimrc"),
        ("mkexrc", 2, ".exrc"),
        ("wviminfo", 2, ""),
        ("wshada", 3, ""),
    ] {
        if abbrev(name, full, min) {
            if default.is_empty() && arg.is_empty() {
                out.runs = true; // a file in the editor's own directories
            } else {
                file_arg(out, Some(default));
            }
            return;
        }
    }
    if abbrev(name, "global", 1) || abbrev(name, "vglobal", 1) {
        // `g/pat/cmd`: the command after the pattern.
        let a = arg.trim_start();
        if let Some(d) = a.chars().next() {
            let body = &a[d.len_utf8()..];
            let mut i = 0;
            let b = body.as_bytes();
            while i < b.len() && b[i] != d as u8 {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            let cmd = body.get(i + 1..).unwrap_or("");
            ex_line(if cmd.is_empty() { "p" } else { cmd }, out, depth + 1);
        }
        return;
    }
    // Modifiers run the command that follows.
    for (full, min) in [
        ("silent", 3),
        ("keepalt", 5),
        ("keepjumps", 5),
        ("keepmarks", 3),
        ("keeppatterns", 5),
        ("noautocmd", 3),
        ("vertical", 4),
        ("tab", 3),
        ("botright", 2),
        ("topleft", 2),
        ("aboveleft", 3),
        ("belowright", 3),
        ("confirm", 4),
        ("lockmarks", 3),
        ("unsilent", 3),
        ("sandbox", 3),
        ("legacy", 3),
        ("vim9cmd", 4),
    ] {
        if abbrev(name, full, min) {
            ex_line(arg, out, depth + 1);
            return;
        }
    }
    let runs = [
        ("normal", 4),
        ("execute", 3),
        ("call", 3),
        ("source", 2),
        ("runtime", 2),
        ("python", 2),
        ("python3", 4),
        ("py3", 3),
        ("pyx", 3),
        ("pythonx", 7),
        ("pyfile", 3),
        ("py3file", 4),
        ("lua", 3),
        ("luafile", 4),
        ("luado", 4),
        ("perl", 2),
        ("ruby", 3),
        ("tcl", 3),
        ("mzscheme", 2),
        ("let", 3),
        ("cd", 2),
        ("lcd", 2),
        ("tcd", 2),
        ("chdir", 3),
        ("lchdir", 3),
        ("terminal", 3),
        ("make", 3),
        ("lmake", 2),
        ("grep", 2),
        ("lgrep", 2),
        ("shell", 2),
        ("diffpatch", 5),
        ("autocmd", 2),
        ("command", 3),
        ("function", 2),
        ("eval", 3),
        ("packadd", 2),
        ("options", 3),
        ("windo", 5),
        ("bufdo", 5),
        ("tabdo", 4),
        ("argdo", 5),
        ("cdo", 3),
        ("ldo", 3),
        ("cfdo", 3),
        ("lfdo", 3),
    ];
    if runs.iter().any(|(full, min)| abbrev(name, full, *min))
        || arg.contains("system(")
        || arg.contains("systemlist(")
        || arg.contains("writefile(")
    {
        out.runs = true;
    }
}

/// Reads `ed` commands (`w FILE`, `e FILE`, `f FILE`, `!cmd`, `r !cmd`, text typed after
/// `a`, `i`, `c` until a line `.`).
pub(super) fn scan_ed(text: &str) -> Scan {
    let mut out = Scan::default();
    let mut input = false;
    for line in text.lines() {
        if input {
            input = line != ".";
            continue;
        }
        input = ed_line(line, &mut out, 0);
    }
    out
}

/// One ed command; true when text input follows.
fn ed_line(line: &str, out: &mut Scan, depth: usize) -> bool {
    if depth > 8 {
        out.runs = true;
        return false;
    }
    let cmd = skip_range(line.trim_start());
    let mut chars = cmd.chars();
    let Some(c) = chars.next() else { return false };
    let rest = chars.as_str();
    match c {
        '!' => out.runs = true,
        'a' | 'i' | 'c' => return rest.trim().is_empty() || rest.starts_with(['l', 'n', 'p']),
        'w' | 'W' | 'e' | 'E' | 'f' => {
            let arg = rest.strip_prefix('q').unwrap_or(rest).trim();
            if arg.starts_with('!') {
                out.runs = true;
            } else if !arg.is_empty() {
                out.writes.push(arg.to_string());
            }
        }
        'r' if rest.trim().starts_with('!') => out.runs = true,
        'g' | 'v' | 'G' | 'V' => {
            // `g/re/cmd`: the command after the expression (interactive forms: opaque).
            let Some(d) = rest.chars().next() else {
                return false;
            };
            let body = &rest[d.len_utf8()..];
            match body.find(d) {
                Some(at) if c == 'g' || c == 'v' => {
                    let cmds = &body[at + d.len_utf8()..];
                    ed_line(cmds, out, depth + 1);
                }
                _ => out.runs = true,
            }
        }
        _ => {}
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ex_scripts_write_and_run() {
        let s = scan_ex("w docs/x\n%s/a/b/g | wq! src/y\nsilent! saveas >> z");
        assert_eq!(s.writes, ["docs/x", "src/y", "z"]);
        assert!(!s.runs);
        assert!(scan_ex("1,$!sort").runs);
        assert!(scan_ex("normal :w x").runs);
        assert!(scan_ex("w !sh").runs);
        assert_eq!(scan_ex("g/x/w docs/z").writes, ["docs/z"]);
        assert_eq!(scan_ex("redir > docs/r").writes, ["docs/r"]);
        assert_eq!(scan_ex("e docs/a.md").writes, ["docs/a.md"]);
        assert_eq!(scan_ex("q!\nset nu\n%d").writes, Vec::<String>::new());
    }

    #[test]
    fn ed_scripts_write_and_run_but_typed_text_does_not() {
        let s = scan_ed("a\nw docs/not-a-command\n.\n1,$w docs/x\nq");
        assert_eq!(s.writes, ["docs/x"]);
        assert!(!s.runs);
        assert!(scan_ed("r !ls").runs);
        assert!(scan_ed("!rm x").runs);
        assert_eq!(scan_ed("f docs/y\nw").writes, ["docs/y"]);
        assert_eq!(scan_ed("g/x/w docs/g").writes, ["docs/g"]);
    }
}
