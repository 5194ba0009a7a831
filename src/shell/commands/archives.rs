//! Archives and compressors: `tar -x` writes below its directory (the archive's names are
//! not read), `tar -c` and `zip` write the archive, `unzip` writes below `-d`, and a
//! compressor replaces each file with its compressed (or decompressed) twin.

use super::args::{append, lit, Opts};
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
    let p = Opts::parse(
        rest,
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
}

/// `tar` in its three option styles (`-xf A`, `xf A`, `--extract --file=A`).
pub(super) fn tar(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    const TAKES: &str = "fCbKNTXgFLVH";
    let mut mode = ' ';
    let mut files: Vec<Val> = Vec::new();
    let mut dirs: Vec<Val> = Vec::new();
    let mut to_stdout = false;
    let mut i = 0;
    let mut first = true;
    while i < rest.len() {
        let a = rest[i].clone();
        i += 1;
        let Some(t) = a.known().map(str::to_string) else {
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
                "to-stdout" => to_stdout = true,
                "file" => files.extend(value()),
                "directory" => dirs.extend(value()),
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
                    _ => {}
                }
                if TAKES.contains(*c) {
                    let attached: String = chars[k + 1..].iter().collect();
                    let value = if !old_style && !attached.is_empty() {
                        Some(lit(&attached))
                    } else {
                        i += 1;
                        rest.get(i - 1).cloned()
                    };
                    match c {
                        'f' => files.extend(value),
                        'C' => dirs.extend(value),
                        _ => {}
                    }
                    if !old_style {
                        break;
                    }
                }
            }
        }
    }
    match mode {
        'x' if !to_stdout => {
            if dirs.is_empty() {
                dirs.push(lit("."));
            }
            for d in &dirs {
                w.write_tree(st, d, Kind::Write);
            }
        }
        'c' => {
            for f in files.iter().filter(|f| f.known() != Some("-")) {
                w.write(st, f, Kind::Write);
            }
        }
        _ => {}
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
        w.write_tree(st, &dir.unwrap_or_else(|| lit(".")), Kind::Write);
    }
}
