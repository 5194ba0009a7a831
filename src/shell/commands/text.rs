//! Text filters that read their input and may write a named output file (`sort -o F`,
//! `uniq IN OUT`, `xxd IN OUT`, `split`'s pieces); without one they only print.

use super::args::{append, lit, Opts};
use super::record::opaque;
use super::Cmd;
use crate::shell::walk::{State, Walker};
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
    w.write(st, &append(&prefix, "00"), Kind::Write);
    if p.has(&["--filter"]) {
        opaque(w, st, name, args, None);
    }
}
