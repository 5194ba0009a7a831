//! Text filters that read their input and may write a named output file (`sort -o F`,
//! `uniq IN OUT`, `xxd IN OUT`, `split`'s pieces); without one they only print. Also the
//! options of read-only commands that write or run something after all (`rg --pre CMD`,
//! `less -o F`, `tree -o F`, `man -P CMD`, `file -C`, `info -o F`).

use super::args::{append, lit, Opts};
use super::record::opaque;
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{State, Var, Walker};
use crate::shell::Kind;

/// `sort`, `shuf`, `iconv`: `-o FILE`.
pub(super) fn sort(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let p = Opts::parse(
        rest,
        "kotSTnifz",
        &[
            "--key",
            "--output",
            "--field-separator",
            "--buffer-size",
            "--temporary-directory",
            "--parallel",
            "--files0-from",
            "--compress-program",
            "--random-source",
            "--batch-size",
            "--head-count",
            "--input-range",
            "--from-code",
            "--to-code",
        ],
    );
    for v in p.values(&["-o", "--output"]) {
        w.write(st, v, Kind::Write);
    }
    // Temporary files are made (and removed) in the directory given.
    for d in p.values(&["-T", "--temporary-directory"]) {
        w.write_tree(st, d, Kind::Write);
    }
    // `--compress-program=PROG` runs PROG on the temporary files.
    if !p.values(&["--compress-program"]).is_empty() {
        opaque(w, st, "sort --compress-program", c.args, c.stdin.as_ref());
    }
}

/// `uniq [IN [OUT]]`.
pub(super) fn uniq(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let p = Opts::parse(
        rest,
        "fsw",
        &["--skip-fields", "--skip-chars", "--check-chars"],
    );
    if let Some(out) = p.operands.get(1) {
        w.write(st, out, Kind::Write);
    }
}

/// `xxd [IN [OUT]]`.
pub(super) fn xxd(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let p = Opts::parse(rest, "cglosn", &["-cols", "-len", "-seek", "-name"]);
    if let Some(out) = p.operands.get(1) {
        w.write(st, out, Kind::Write);
    }
}

/// `split [IN [PREFIX]]`, `csplit -f PREFIX`: the first piece stands for all of them;
/// `--filter` runs a command per piece.
pub(super) fn split(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, args, rest) = (c.name, c.args, c.rest());
    let p = Opts::parse(
        rest,
        "abClntfn",
        &[
            "--suffix-length",
            "--bytes",
            "--line-bytes",
            "--lines",
            "--number",
            "--separator",
            "--prefix",
            "--digits",
            "--additional-suffix",
            "--filter",
        ],
    );
    let prefix = if name == "csplit" {
        p.values(&["-f", "--prefix"])
            .first()
            .map(|v| (*v).clone())
            .unwrap_or_else(|| lit("xx"))
    } else {
        p.operands.get(1).cloned().unwrap_or_else(|| lit("x"))
    };
    // `--filter=CMD`: CMD runs for each piece (`$FILE` is the piece's name), instead of
    // the pieces being written.
    match p.values(&["--filter"]).first() {
        Some(Val::Known { text, .. }) => {
            let mut copy = st.clone();
            copy.set("FILE".to_string(), Var::Unknown);
            w.nested_script(text, &mut copy, "the command given to split --filter");
        }
        Some(_) => opaque(w, st, name, args, None),
        None => w.write(st, &append(&prefix, "00"), Kind::Write),
    }
}

/// A command on the read-only list: nothing, unless an option of it writes a file or runs
/// a command.
pub(super) fn reader(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, args, rest) = (c.name, c.args, c.rest());
    // Options whose value is written (`less -o F`, `tree -o F`, `info --output=F`) or run.
    let (writes, runs): (&[&str], &[&str]) = match name {
        "less" => (&["-o", "-O", "--log-file", "--LOG-FILE"], &[]),
        "tree" => (&["-o"], &[]),
        "info" => (&["-o", "--output"], &[]),
        "rg" => (&[], &["--pre"]),
        "man" => (&[], &["-P", "--pager", "-H", "--html"]),
        "ag" | "ack" => (&[], &["--pager"]),
        "file" => {
            // `file -C -m MAGIC` compiles MAGIC into MAGIC.mgc (`magic.mgc` by default).
            let p = Opts::parse(rest, "emfFP", &["--magic-file", "--files-from"]);
            if p.has(&["-C", "--compile"]) {
                match p.values(&["-m", "--magic-file"]).first() {
                    Some(m) => w.write(st, &append(m, ".mgc"), Kind::Write),
                    None => w.write(st, &lit("magic.mgc"), Kind::Write),
                }
            }
            return;
        }
        _ => return,
    };
    let mut i = 0;
    while i < rest.len() {
        let t = rest[i].text();
        i += 1;
        if t == "--" {
            break;
        }
        for (flags, is_write) in [(writes, true), (runs, false)] {
            for f in flags {
                let value = if t == *f {
                    // `-H` and `--html` alone take no value (the default browser).
                    if matches!(*f, "-H" | "--html") {
                        Some(Val::Unknown {
                            prefix: String::new(),
                        })
                    } else {
                        i += 1;
                        rest.get(i - 1).cloned()
                    }
                } else if let Some(v) = t.strip_prefix(f).filter(|_| t.starts_with(f)) {
                    // `--opt=V`, or a short option with its value attached (`-oF`).
                    match v.strip_prefix('=') {
                        Some(v) => Some(lit(v)),
                        None if !f.starts_with("--") && !v.is_empty() => Some(lit(v)),
                        None => None,
                    }
                } else {
                    None
                };
                let Some(v) = value else { continue };
                if is_write {
                    w.write(st, &v, Kind::Write);
                    continue;
                }
                // A command run through the shell with the page or file as input.
                match v.known() {
                    Some(code) if !code.is_empty() => {
                        let mut copy = st.clone();
                        w.nested_script(
                            code,
                            &mut copy,
                            &format!("the command given to {name} {f}"),
                        );
                    }
                    _ => opaque(w, st, &format!("{name} {f}"), args, c.stdin.as_ref()),
                }
            }
        }
    }
}
