//! Archives and compressors: `tar -x` writes below its directory (the archive's names are
//! not read), `tar -c` and `zip` write the archive, `unzip` writes below `-d`, and a
//! compressor replaces each file with its compressed (or decompressed) twin.

use super::args::{append, lit, Opts};
use super::record::opaque;
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{State, Walker};
use crate::shell::Kind;

/// `gzip`, `xz`, `gunzip`, ...: each FILE is deleted (unless `-k`) and FILE.EXT written, or
/// the other way round; `-c`, `-t`, `-l` write nothing.
pub(super) fn compressor(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, rest) = (c.name, c.rest());
    let p = Opts::parse(rest, "bSF", &["--suffix", "--format"]);
    if p.has(&[
        "-c",
        "--stdout",
        "--to-stdout",
        "-t",
        "--test",
        "-l",
        "--list",
    ]) {
        return;
    }
    let decompress = name.starts_with("gun")
        || name.starts_with("un")
        || name.starts_with("bun")
        || p.has(&["-d", "--decompress", "--uncompress"]);
    let ext = match name
        .trim_start_matches("gun")
        .trim_start_matches("bun")
        .trim_start_matches("un")
    {
        "zip" | "gzip" => ".gz",
        "bzip2" | "zip2" => ".bz2",
        "xz" => ".xz",
        "zstd" => ".zst",
        "lz4" => ".lz4",
        "lzma" => ".lzma",
        _ => ".Z",
    };
    for v in &p.operands {
        if !p.has(&["-k", "--keep"]) {
            w.write(st, v, Kind::Delete);
        }
        let other = if decompress {
            strip_suffix(v, ext)
        } else {
            append(v, ext)
        };
        w.write(st, &other, Kind::Write);
    }
}

/// `v` without the extension `ext`, when it ends with it (a decompressed file's name).
fn strip_suffix(v: &Val, ext: &str) -> Val {
    match v {
        Val::Known { text, glob } => Val::Known {
            text: text.strip_suffix(ext).unwrap_or(text).to_string().into(),
            glob: *glob,
        },
        u => u.clone(),
    }
}

/// `zip [-m] ARCHIVE FILE...`: the archive; with `-m` the files are deleted.
pub(super) fn zip(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    // `-TT CMD` is a two-letter option with a value: taken out before the getopt grammar.
    let plain: Vec<Val> = rest
        .iter()
        .enumerate()
        .filter(|(k, a)| {
            a.known() != Some("-TT")
                && !(*k > 0 && rest[k - 1].known() == Some("-TT"))
                && !a.text().starts_with("--unzip-command")
        })
        .map(|(_, a)| a.clone())
        .collect();
    let p = Opts::parse(
        &plain,
        "bnitxOPs",
        &[
            "--temp-path",
            "--suffixes",
            "--password",
            "--exclude",
            "--include",
            "--out",
        ],
    );
    if let Some(archive) = p
        .values(&["-O", "--out"])
        .first()
        .copied()
        .or(p.operands.first())
    {
        w.write(st, archive, Kind::Write);
    }
    if p.has(&["-m", "--move"]) {
        for v in p.operands.iter().skip(1) {
            w.write_tree(st, v, Kind::Delete);
        }
    }
    // `-TT CMD`, `--unzip-command CMD`: the archive is tested by running CMD.
    for (k, a) in rest.iter().enumerate() {
        if let Some(t) = a.known() {
            let cmd = if t == "-TT" || t == "--unzip-command" {
                rest.get(k + 1).cloned()
            } else {
                t.strip_prefix("--unzip-command=").map(lit)
            };
            match cmd.as_ref().map(|v| v.known()) {
                Some(Some(code)) => {
                    let mut copy = st.clone();
                    w.nested_script(code, &mut copy, "the command given to zip -TT");
                }
                Some(None) => opaque(w, st, "zip -TT", c.args, c.stdin.as_ref()),
                None => {}
            }
        }
    }
}

/// `tar` in its three option styles (`-xf A`, `xf A`, `--extract --file=A`). Extraction
/// writes below `-C` (the working directory by default), and may leave links there that
/// later writes go through. It writes anywhere with `-P` (absolute and `..` member names
/// kept), with member names or transforms that climb out, and runs programs with
/// `--to-command`, `-I`/`--use-compress-program`, `--checkpoint-action=exec=`, `-F`.
/// `--remove-files` deletes what it archives.
pub(super) fn tar(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    const TAKES: &str = "fCbKNTXgFLVHI";
    let mut mode = ' ';
    let mut files: Vec<Val> = Vec::new();
    let mut dirs: Vec<Val> = Vec::new();
    let mut members: Vec<Val> = Vec::new();
    let mut to_stdout = false;
    let mut anywhere = false;
    let mut remove = false;
    let mut runs: Vec<String> = Vec::new();
    let mut snapshots: Vec<Val> = Vec::new();
    let mut i = 0;
    let mut first = true;
    while i < rest.len() {
        let a = rest[i].clone();
        i += 1;
        let Some(t) = a.known().map(str::to_string) else {
            members.push(a);
            continue;
        };
        let old_style = first && !t.starts_with('-') && t.chars().all(|c| c.is_ascii_alphabetic());
        first = false;
        if let Some(long) = t.strip_prefix("--") {
            let (n, v) = match long.split_once('=') {
                Some((n, v)) => (n, Some(lit(v))),
                None => (long, None),
            };
            let mut value = || {
                v.clone().or_else(|| {
                    i += 1;
                    rest.get(i - 1).cloned()
                })
            };
            match n {
                "extract" | "get" => mode = 'x',
                "create" | "append" | "update" | "concatenate" | "catenate" => mode = 'c',
                "list" | "diff" | "compare" => mode = 't',
                // The members go to standard output, or to a command, not to files.
                "to-stdout" => to_stdout = true,
                "to-command" => {
                    to_stdout = true;
                    runs.push(value().map_or(String::new(), |v| v.text().into()));
                }
                "file" => files.extend(value()),
                "directory" => dirs.extend(value()),
                "absolute-names" => anywhere = true,
                // The snapshot file of an incremental archive is rewritten.
                "listed-incremental" => snapshots.extend(value()),
                "transform" | "xform" => {
                    let _ = value();
                    anywhere = true;
                }
                "remove-files" => remove = true,
                "use-compress-program" | "info-script" | "new-volume-script" | "rsh-command" => {
                    runs.push(value().map_or(String::new(), |v| v.text().into()))
                }
                "checkpoint-action" => {
                    let v = value();
                    if let Some(cmd) = v.as_ref().and_then(|v| v.text().strip_prefix("exec=")) {
                        runs.push(cmd.to_string());
                    }
                }
                _ => {}
            }
            continue;
        }
        if t.starts_with('-') || old_style {
            let chars: Vec<char> = t.trim_start_matches('-').chars().collect();
            for (k, c) in chars.iter().enumerate() {
                match c {
                    'x' => mode = 'x',
                    'c' | 'r' | 'u' | 'A' => mode = 'c',
                    't' | 'd' => mode = 't',
                    'O' => to_stdout = true,
                    'P' => anywhere = true,
                    _ => {}
                }
                if TAKES.contains(*c) {
                    // Built only when it can be the value (`tar xffff…` stays linear).
                    let attached: String = if old_style {
                        String::new()
                    } else {
                        chars[k + 1..].iter().collect()
                    };
                    let value = if !old_style && !attached.is_empty() {
                        Some(lit(&attached))
                    } else {
                        i += 1;
                        rest.get(i - 1).cloned()
                    };
                    match c {
                        'f' => files.extend(value),
                        'C' => dirs.extend(value),
                        'I' | 'F' => runs.push(value.map_or(String::new(), |v| v.text().into())),
                        'g' => snapshots.extend(value),
                        _ => {}
                    }
                    if !old_style {
                        break;
                    }
                }
            }
            continue;
        }
        members.push(a);
    }
    for f in &snapshots {
        w.write(st, f, Kind::Write);
    }
    for program in &runs {
        opaque(
            w,
            st,
            &format!("tar running `{program}`"),
            c.args,
            c.stdin.as_ref(),
        );
        // The command runs through the shell: its own writes are found too.
        if !program.is_empty() {
            let mut copy = st.clone();
            w.nested_script(program, &mut copy, "a command tar runs");
        }
    }
    match mode {
        'x' if !to_stdout => {
            if dirs.is_empty() {
                dirs.push(lit("."));
            }
            let climbs = members.iter().any(|m| match m.known() {
                Some(t) => t.starts_with('/') || t.split('/').any(|p| p == ".."),
                None => true,
            });
            // GNU tar drops a leading `/` and `../` unless `-P`; a name that climbs is taken
            // as written either way (bsdtar, other tars).
            if climbs || (anywhere && members.is_empty()) {
                w.write(
                    st,
                    &Val::Unknown {
                        prefix: String::new(),
                    },
                    Kind::Write,
                );
            }
            for d in &dirs {
                w.write_tree(st, d, Kind::Write);
                w.add_link_region(st, d);
            }
        }
        'c' => {
            for f in files.iter().filter(|f| f.known() != Some("-")) {
                w.write(st, f, Kind::Write);
            }
            if remove {
                for m in &members {
                    w.write_tree(st, m, Kind::Delete);
                }
            }
        }
        _ => {}
    }
}

/// `7z`, `7za`, `7zr`, `7zz COMMAND [SWITCHES] ARCHIVE [FILES]`: `x`/`e` extract below
/// `-oDIR` (the working directory by default; `-spf` keeps absolute names: anywhere), `a`,
/// `u`, `d`, `rn` write the archive (`-sdel` deletes the files added).
pub(super) fn seven_zip(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let mut cmd = None;
    let mut out_dir = None;
    let mut operands = Vec::new();
    let mut anywhere = false;
    let mut delete = false;
    for a in rest {
        match a.known() {
            Some(t) if t.starts_with('-') => {
                if let Some(d) = t.strip_prefix("-o") {
                    out_dir = Some(lit(d));
                } else if t.starts_with("-spf") {
                    anywhere = true;
                } else if t == "-sdel" {
                    delete = true;
                }
            }
            Some(t) if cmd.is_none() => cmd = Some(t.to_string()),
            // `-o$DIR`: an output directory not known.
            None if a.text().starts_with("-o") => {
                out_dir = Some(Val::Unknown {
                    prefix: a.text()[2..].to_string(),
                })
            }
            _ => operands.push(a.clone()),
        }
    }
    match cmd.as_deref() {
        Some("x" | "e") => {
            let d = out_dir.unwrap_or_else(|| lit("."));
            if anywhere {
                w.write(
                    st,
                    &Val::Unknown {
                        prefix: String::new(),
                    },
                    Kind::Write,
                );
            }
            w.write_tree(st, &d, Kind::Write);
            w.add_link_region(st, &d);
        }
        Some("a" | "u" | "d" | "rn") => {
            if let Some(archive) = operands.first() {
                w.write(st, archive, Kind::Write);
            }
            if delete {
                for f in operands.iter().skip(1) {
                    w.write_tree(st, f, Kind::Delete);
                }
            }
        }
        Some("l" | "t" | "h" | "i" | "b") => {}
        _ => opaque(w, st, c.name, c.args, c.stdin.as_ref()),
    }
}

/// `unrar x|e ARCHIVE [FILES] [DIR/]` (and `rar`): extraction below the last operand when
/// it ends with `/`, else the working directory; `rar a` writes the archive.
pub(super) fn unrar(w: &mut Walker, st: &mut State, c: Cmd) {
    let ops: Vec<Val> = c
        .rest()
        .iter()
        .filter(|a| !a.text().starts_with('-'))
        .cloned()
        .collect();
    let Some((cmd, rest)) = ops.split_first() else {
        return;
    };
    match cmd.known() {
        Some("x" | "e") => {
            let d = match rest.split_last() {
                Some((d, others)) if !others.is_empty() && d.text().ends_with('/') => d.clone(),
                _ => lit("."),
            };
            w.write_tree(st, &d, Kind::Write);
            w.add_link_region(st, &d);
        }
        Some("a" | "u" | "m" | "f" | "d" | "c" | "k" | "r" | "rr" | "s") => {
            if let Some(archive) = rest.first() {
                w.write(st, archive, Kind::Write);
            }
            if cmd.known() == Some("m") {
                for f in rest.iter().skip(1) {
                    w.write_tree(st, f, Kind::Delete);
                }
            }
        }
        Some("l" | "lt" | "lb" | "v" | "vt" | "vb" | "t" | "p") => {}
        _ => opaque(w, st, c.name, c.args, c.stdin.as_ref()),
    }
}

/// `cpio -i` (extracts below the working directory, `-D DIR`; absolute names are kept
/// unless `--no-absolute-filenames`: anywhere), `cpio -p DIR` (copies below DIR),
/// `cpio -o -O F` / `-F F` (writes the archive F).
pub(super) fn cpio(w: &mut Walker, st: &mut State, c: Cmd) {
    let p = Opts::parse(
        c.rest(),
        "DEFHIMORs",
        &[
            "--directory",
            "--file",
            "--format",
            "--pattern-file",
            "--owner",
        ],
    );
    let dir = p
        .values(&["-D", "--directory"])
        .first()
        .map(|v| (*v).clone())
        .unwrap_or_else(|| lit("."));
    if p.has(&["-i", "--extract"]) {
        if !p.has(&["--no-absolute-filenames"]) {
            w.write(
                st,
                &Val::Unknown {
                    prefix: String::new(),
                },
                Kind::Write,
            );
        }
        w.write_tree(st, &dir, Kind::Write);
        w.add_link_region(st, &dir);
    } else if p.has(&["-p", "--pass-through"]) {
        if let Some(d) = p.operands.first() {
            w.write_tree(st, d, Kind::Write);
            w.add_link_region(st, d);
        }
    } else {
        for f in p.values(&["-O", "-F", "--file"]) {
            w.write(st, f, Kind::Write);
        }
    }
}

/// `unzip ARCHIVE [-d DIR]`; listing and testing modes write nothing.
pub(super) fn unzip(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let mut dir = None;
    let mut list = false;
    let mut i = 0;
    while i < rest.len() {
        let t = rest[i].text().to_string();
        i += 1;
        if t == "-d" {
            dir = rest.get(i).cloned();
            i += 1;
        } else if let Some(d) = t.strip_prefix("-d").filter(|d| !d.is_empty()) {
            dir = Some(lit(d));
        } else if t == "-x" {
            break;
        } else if t.starts_with('-') && t[1..].chars().any(|c| "ltvZpcz".contains(c)) {
            list = true;
        }
    }
    if !list {
        let d = dir.unwrap_or_else(|| lit("."));
        w.write_tree(st, &d, Kind::Write);
        // A zip may hold symlinks: later writes below DIR may go through them.
        w.add_link_region(st, &d);
    }
}
