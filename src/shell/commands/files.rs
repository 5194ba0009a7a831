//! File utilities: commands whose operands are the paths they create, change, link,
//! re-permission or delete (coreutils and `find`), following GNU option grammar.
//!
//! A copy or move into a directory writes `DIR/basename(SRC)`; recursive forms and deletions
//! of directories are subtrees; a symbolic link made here redirects later writes through it.

use super::args::{append, join_base, join_rel, lit, operands_after_flags, strip_val, Opts};
use super::record::{copy_links, is_dir, operands_written, path_or_tree};
use super::{run, Cmd};
use crate::shell::expand::Val;
use crate::shell::walk::{State, Walker};
use crate::shell::Kind;
use std::path::Path;

/// `find START... EXPRESSION`: `-delete` deletes below each start, `-fprint F` writes F,
/// `-exec CMD {} ;` runs CMD on the matches (a glob under each start).
pub(super) fn find(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let mut i = 0;
    while i < rest.len() && matches!(rest[i].known(), Some("-H" | "-L" | "-P"))
        || rest
            .get(i)
            .and_then(|v| v.known())
            .is_some_and(|t| t.starts_with("-O") || t == "-D")
    {
        i += if rest[i].known() == Some("-D") { 2 } else { 1 };
    }
    let mut starts = Vec::new();
    while i < rest.len() {
        let t = rest[i].text();
        if t.starts_with('-') || t == "(" || t == "!" || t == "\\(" {
            break;
        }
        starts.push(rest[i].clone());
        i += 1;
    }
    if starts.is_empty() {
        starts.push(lit("."));
    }
    while i < rest.len() {
        let t = rest[i].known().unwrap_or("");
        match t {
            "-delete" => {
                for s in &starts {
                    w.write_tree(st, s, Kind::Delete);
                }
                i += 1;
            }
            "-fprint" | "-fprint0" | "-fls" => {
                if let Some(f) = rest.get(i + 1) {
                    w.write(st, f, Kind::Write);
                }
                i += 2;
            }
            "-fprintf" => {
                if let Some(f) = rest.get(i + 1) {
                    w.write(st, f, Kind::Write);
                }
                i += 3;
            }
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let end = rest[i + 1..]
                    .iter()
                    .position(|v| matches!(v.known(), Some(";" | "+")))
                    .map_or(rest.len(), |n| i + 1 + n);
                let cmd: Vec<Val> = rest[i + 1..end].to_vec();
                for s in &starts {
                    let matches = Val::Known {
                        text: format!("{}/*", s.text().trim_end_matches('/')).into(),
                        glob: true,
                    };
                    let inner: Vec<Val> = cmd
                        .iter()
                        .map(|v| match v {
                            Val::Known { text, .. } if text.contains("{}") => {
                                if s.known().is_some() {
                                    matches.clone()
                                } else {
                                    Val::Unknown {
                                        prefix: s.text().to_string(),
                                    }
                                }
                            }
                            other => other.clone(),
                        })
                        .collect();
                    if !inner.is_empty() {
                        let mut copy = st.clone();
                        run(w, &mut copy, &inner, None);
                    }
                }
                i = end + 1;
            }
            _ => i += 1,
        }
    }
}

/// `tee FILE...`.
pub(super) fn tee(w: &mut Walker, st: &mut State, c: Cmd) {
    for v in operands_after_flags(c.rest()) {
        if v.known() != Some("-") {
            w.write(st, &v, Kind::Write);
        }
    }
}

/// `cp` and `mv`: the destination, or `DIR/basename(SRC)` for each source; `mv` also
/// deletes its sources.
pub(super) fn copy_or_move(w: &mut Walker, st: &mut State, c: Cmd) {
    copy_like(w, st, c.rest(), c.name == "mv")
}

/// `cp` (`is_move` false) and `mv`: see [`copy_or_move`]. `cp -s` makes symlinks to the
/// sources and `cp -l` hard links (a later write to the copy changes the source, so the
/// source counts as written); a symlink made earlier in the command and copied or moved
/// stays a link to the same place.
fn copy_like(w: &mut Walker, st: &State, rest: &[Val], is_move: bool) {
    let p = Opts::parse(rest, "tS", &["--target-directory", "--suffix"]);
    let tree = is_move || p.has(&["-r", "-R", "-a", "--recursive", "--archive"]);
    let symbolic = !is_move && p.has(&["-s", "--symbolic-link"]);
    let hard = !is_move && p.has(&["-l", "--link"]);
    let target_dir = p
        .values(&["-t", "--target-directory"])
        .first()
        .map(|v| (*v).clone());
    let (dest, srcs): (Val, Vec<Val>) = match target_dir {
        Some(d) => (d, p.operands.clone()),
        None => match p.operands.split_last() {
            Some((d, s)) if !s.is_empty() => (d.clone(), s.to_vec()),
            _ => return,
        },
    };
    let into_dir = !p.has(&["-T", "--no-target-directory"])
        && (srcs.len() > 1
            || p.has(&["-t", "--target-directory"])
            || dest.text().ends_with('/')
            || is_dir(w, st, &dest));
    for src in &srcs {
        if is_move {
            path_or_tree(w, st, src, Kind::Delete);
        }
        let target = if into_dir {
            join_base(&dest, src)
        } else {
            dest.clone()
        };
        let src_is_dir = is_dir(w, st, src);
        if tree && (src_is_dir || !is_move) {
            w.write_tree(st, &target, Kind::Write);
        } else {
            w.write(st, &target, Kind::Write);
        }
        if symbolic {
            // `cp -s SRC DEST` (and `-rs`, a tree of links): writes through DEST reach SRC.
            w.add_link(st, &target, Some(src), true);
        } else if hard {
            if tree {
                w.write_tree(st, src, Kind::Write);
            } else {
                w.write(st, src, Kind::Write);
            }
        } else if is_move || tree || p.has(&["-P", "-d", "--no-dereference", "--preserve=links"]) {
            // Links are copied as links (`mv`, `cp -r`/`-a`/`-P`): those on disk in the
            // source, and one made earlier in the command.
            copy_links(w, st, src, &target);
            if let Some(link) = w.link_at(st, src) {
                let raw = link.raw.as_deref().map(lit);
                w.add_link(st, &target, raw.as_ref(), false);
            }
            for (rel, raw) in w.links_below(st, src) {
                let raw = raw.as_deref().map(lit);
                w.add_link(st, &join_rel(&target, &rel), raw.as_ref(), false);
            }
        } else if let Some(link) = w.link_at(st, src) {
            // A link made here, moved or copied as a link (`mv`, `cp -P`/`-a`/`-r`; plain
            // `cp` copies what it points to, and treating it as a link too is the safe side).
            // Its text is kept: a relative one now resolves from the new place.
            let raw = link.raw.as_deref().map(lit);
            w.add_link(st, &target, raw.as_ref(), false);
        }
    }
}

/// `install SRC... DEST`, `install -d DIR...`.
pub(super) fn install(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let p = Opts::parse(
        rest,
        "gmoSt",
        &[
            "--group",
            "--mode",
            "--owner",
            "--suffix",
            "--target-directory",
            "--strip-program",
        ],
    );
    if p.has(&["-d", "--directory"]) {
        for v in &p.operands {
            w.write(st, v, Kind::MakeDir);
        }
        return;
    }
    let (dest, srcs): (Val, Vec<Val>) = match p.values(&["-t", "--target-directory"]).first() {
        Some(d) => ((*d).clone(), p.operands.clone()),
        None => match p.operands.split_last() {
            Some((d, s)) if !s.is_empty() => (d.clone(), s.to_vec()),
            _ => return,
        },
    };
    let into_dir = srcs.len() > 1 || p.has(&["-t", "--target-directory"]) || is_dir(w, st, &dest);
    for src in &srcs {
        let target = if into_dir {
            join_base(&dest, src)
        } else {
            dest.clone()
        };
        w.write(st, &target, Kind::Write);
    }
}

/// `ln [-s] TARGET... LINK` (and `link TARGET LINK`): the link is written. A symlink
/// redirects later writes through it, from anywhere in the command (`-r`: the target is
/// read from the working directory); a hard link shares the target's inode, so the target
/// counts as written.
pub(super) fn ln(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let p = Opts::parse(rest, "St", &["--suffix", "--target-directory"]);
    let symbolic = c.name == "ln" && p.has(&["-s", "--symbolic"]);
    let relative = p.has(&["-r", "--relative"]);
    let pairs: Vec<(Val, Val)> = match p.values(&["-t", "--target-directory"]).first() {
        Some(d) => p
            .operands
            .iter()
            .map(|t| (t.clone(), join_base(d, t)))
            .collect(),
        None => match p.operands.as_slice() {
            [] => Vec::new(),
            [t] => vec![(t.clone(), join_base(&lit("."), t))],
            [t, l]
                if !is_dir(w, st, l)
                    || p.has(&["-T", "--no-target-directory", "-n", "--no-dereference"]) =>
            {
                vec![(t.clone(), l.clone())]
            }
            [ts @ .., d] => ts.iter().map(|t| (t.clone(), join_base(d, t))).collect(),
        },
    };
    for (target, link) in pairs {
        w.write(st, &link, Kind::Link);
        if symbolic {
            // Writes through the new link later in the command reach its target (T95).
            w.add_link(st, &link, Some(&target), relative);
        } else {
            // A hard link shares the inode: later writes to the link change the target (T96).
            w.write(st, &target, Kind::Write);
        }
    }
}

/// `rm [-r] PATH...`.
pub(super) fn rm(w: &mut Walker, st: &mut State, c: Cmd) {
    let p = Opts::parse(c.rest(), "", &[]);
    let tree = p.has(&["-r", "-R", "--recursive"]);
    for v in &p.operands {
        if tree {
            w.write_tree(st, v, Kind::Delete)
        } else {
            w.write(st, v, Kind::Delete)
        }
    }
}

/// `rmdir [-p] DIR...`: with `-p`, each parent named too.
pub(super) fn rmdir(w: &mut Walker, st: &mut State, c: Cmd) {
    let p = Opts::parse(c.rest(), "", &[]);
    for v in &p.operands {
        w.write(st, v, Kind::Delete);
        if p.has(&["-p", "--parents"]) {
            if let Some(t) = v.literal() {
                let mut cur = Path::new(t);
                while let Some(parent) = cur.parent().filter(|p| !p.as_os_str().is_empty()) {
                    w.write(st, &lit(&parent.to_string_lossy()), Kind::Delete);
                    cur = parent;
                }
            }
        }
    }
}

/// `mkdir DIR...`: the directories made are remembered, for `cp` and `mv` into them.
pub(super) fn mkdir(w: &mut Walker, st: &mut State, c: Cmd) {
    let p = Opts::parse(c.rest(), "mZ", &["--mode", "--context"]);
    for v in &p.operands {
        w.write(st, v, Kind::MakeDir);
        if let Some(t) = v.literal() {
            for cwd in st.cwds.clone() {
                if let Some(abs) = w.absolute(&cwd, t) {
                    w.add_dir(crate::path::normalize_lexically(&abs));
                }
            }
        }
    }
}

/// `touch FILE...`.
pub(super) fn touch(w: &mut Walker, st: &mut State, c: Cmd) {
    operands_written(
        w,
        st,
        c.rest(),
        "rdt",
        &["--reference", "--date", "--time"],
        Kind::Write,
    )
}

/// `truncate -s SIZE FILE...`.
pub(super) fn truncate(w: &mut Walker, st: &mut State, c: Cmd) {
    operands_written(
        w,
        st,
        c.rest(),
        "sr",
        &["--size", "--reference"],
        Kind::Write,
    )
}

/// `shred`, `unlink`, `mkfifo`: every operand.
pub(super) fn shred(w: &mut Walker, st: &mut State, c: Cmd) {
    operands_written(
        w,
        st,
        c.rest(),
        "nsum",
        &["--iterations", "--size", "--mode"],
        Kind::Write,
    )
}

/// `mknod NAME TYPE [MAJOR MINOR]`.
pub(super) fn mknod(w: &mut Walker, st: &mut State, c: Cmd) {
    let p = Opts::parse(c.rest(), "mZ", &["--mode", "--context"]);
    if let Some(v) = p.operands.first() {
        w.write(st, v, Kind::Write);
    }
}

/// `chmod`, `chown`, `chgrp`, `chattr`, `setfacl`: the operands after the mode (or owner,
/// or ACL), recursively with `-R`.
pub(super) fn chmod(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, rest) = (c.name, c.rest());
    let mode_like =
        |t: &str| t.len() > 1 && t[1..].chars().all(|c| "rwxXstugoa".contains(c)) && t != "-R";
    let mut mode_in_flags = false;
    let mut args = Vec::new();
    for a in rest {
        match a.known() {
            Some(t) if name == "chmod" && t.starts_with('-') && mode_like(t) => {
                mode_in_flags = true
            }
            _ => args.push(a.clone()),
        }
    }
    let p = Opts::parse(&args, "", &["--reference"]);
    let skip = usize::from(!(mode_in_flags || p.has(&["--reference"]) || (name == "setfacl")));
    let tree = p.has(&["-R", "--recursive"]);
    let ops: Vec<Val> = if name == "setfacl" {
        p.operands
            .iter()
            .skip(usize::from(
                p.operands.len() > 1 && !p.has(&["-b", "-k", "--remove-all", "--remove-default"]),
            ))
            .cloned()
            .collect()
    } else {
        p.operands.iter().skip(skip).cloned().collect()
    };
    for v in &ops {
        if tree {
            w.write_tree(st, v, Kind::Metadata)
        } else {
            w.write(st, v, Kind::Metadata)
        }
    }
}

/// `dd of=FILE`.
pub(super) fn dd(w: &mut Walker, st: &mut State, c: Cmd) {
    for a in c.rest() {
        if let Some(v) = strip_val(a, "of=") {
            w.write(st, &v, Kind::Write);
        }
    }
}

/// `mktemp [-p DIR] [TEMPLATE]`: a file of unknown name.
pub(super) fn mktemp(w: &mut Walker, st: &mut State, c: Cmd) {
    let p = Opts::parse(c.rest(), "p", &["--tmpdir", "--suffix"]);
    if let Some(dir) = p.values(&["-p", "--tmpdir"]).first() {
        w.write(st, &append(dir, "/tmp.XXXXXXXXXX"), Kind::Write);
    } else if let Some(t) = p.operands.first() {
        if !p.has(&["-t"]) {
            w.write(
                st,
                &Val::Unknown {
                    prefix: t.text().trim_end_matches('X').to_string(),
                },
                Kind::Write,
            );
        }
    }
}
