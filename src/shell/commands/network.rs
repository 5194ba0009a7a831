//! Downloads and remote copies: `curl -o`/`-O`, `wget` (a file named after the URL, or a
//! subtree when recursive), and `rsync`/`scp` into a local destination.

use super::args::{join_base, lit, Opts};
use super::record::{copy_links, opaque};
use super::Cmd;
use crate::shell::expand::Val;
use crate::shell::walk::{State, Walker};
use crate::shell::Kind;

/// The file name a download of URL `v` is saved under: the last component of its path, or
/// `index.html`. `None` when `v` is not a known URL.
fn url_basename(v: &Val) -> Option<String> {
    let t = v.known()?;
    let path = t.split_once("://")?.1.split(['?', '#']).next()?;
    let name = path
        .split_once('/')
        .map(|(_, p)| p.rsplit('/').next().unwrap_or(""))
        .unwrap_or("");
    Some(if name.is_empty() {
        "index.html".to_string()
    } else {
        name.to_string()
    })
}

/// `curl`: `-o F` and the other files it writes (headers, cookies, traces); `-O` writes
/// the URL's file name under `--output-dir`; `-K` reads options lanes cannot see.
pub(super) fn curl(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let long = [
        "--output",
        "--dump-header",
        "--cookie-jar",
        "--trace",
        "--trace-ascii",
        "--stderr",
        "--etag-save",
        "--libcurl",
        "--output-dir",
        "--config",
        "--data",
        "--data-raw",
        "--data-binary",
        "--data-urlencode",
        "--header",
        "--user-agent",
        "--request",
        "--url",
        "--cookie",
        "--max-time",
        "--connect-timeout",
        "--retry",
        "--user",
        "--proxy",
        "--referer",
        "--form",
        "--cacert",
        "--cert",
        "--key",
        "--resolve",
        "--write-out",
        "--range",
        "--upload-file",
        "--interface",
        "--limit-rate",
        "--max-filesize",
        "--retry-delay",
        "--retry-max-time",
        "--json",
        "--form-string",
        "--oauth2-bearer",
        "--continue-at",
        "--time-cond",
        "--create-file-mode",
        "--variable",
        "--expect100-timeout",
        "--unix-socket",
    ];
    let p = Opts::parse(rest, "AbcCdDeEFHKmoPQrtTuUwxXyYz", &long);
    for v in p.values(&[
        "-o",
        "--output",
        "-D",
        "--dump-header",
        "-c",
        "--cookie-jar",
        "--trace",
        "--trace-ascii",
        "--stderr",
        "--etag-save",
        "--libcurl",
    ]) {
        if v.known() != Some("-") {
            w.write(st, v, Kind::Write);
        }
    }
    let dir = p
        .values(&["--output-dir"])
        .first()
        .map(|v| (*v).clone())
        .unwrap_or_else(|| lit("."));
    if p.has(&["-O", "--remote-name", "--remote-name-all"]) {
        let urls: Vec<&Val> = p
            .operands
            .iter()
            .filter(|v| v.text().contains("://"))
            .collect();
        for u in urls {
            if p.has(&["-J", "--remote-header-name"]) {
                w.write(
                    st,
                    &Val::Unknown {
                        prefix: format!("{}/", dir.text().trim_end_matches('/')),
                    },
                    Kind::Write,
                );
            } else if let Some(b) = url_basename(u) {
                w.write(st, &join_base(&dir, &lit(&b)), Kind::Write);
            } else {
                w.write(
                    st,
                    &Val::Unknown {
                        prefix: format!("{}/", dir.text().trim_end_matches('/')),
                    },
                    Kind::Write,
                );
            }
        }
    }
    if p.has(&["-K", "--config"]) {
        opaque(w, st, "curl --config", rest, None);
    }
}

/// `wget`: `-O F`, logs, or the URL's file name under `-P DIR`; a subtree when recursive.
pub(super) fn wget(w: &mut Walker, st: &mut State, c: Cmd) {
    let rest = c.rest();
    let long = [
        "--output-document",
        "--output-file",
        "--append-output",
        "--directory-prefix",
        "--execute",
        "--tries",
        "--timeout",
        "--wait",
        "--quota",
        "--user-agent",
        "--input-file",
        "--base",
        "--level",
        "--header",
        "--user",
        "--password",
        "--post-data",
        "--post-file",
        "--accept",
        "--reject",
        "--domains",
    ];
    let p = Opts::parse(rest, "OoaPetTwQUiBlADR", &long);
    for v in p.values(&["-o", "--output-file", "-a", "--append-output"]) {
        w.write(st, v, Kind::Write);
    }
    let dir = p
        .values(&["-P", "--directory-prefix"])
        .first()
        .map(|v| (*v).clone())
        .unwrap_or_else(|| lit("."));
    let docs = p.values(&["-O", "--output-document"]);
    if !docs.is_empty() {
        for v in docs {
            if v.known() != Some("-") {
                w.write(st, v, Kind::Write);
            }
        }
    } else if p.has(&[
        "-r",
        "--recursive",
        "-m",
        "--mirror",
        "-i",
        "--input-file",
        "--content-disposition",
    ]) {
        w.write_tree(st, &dir, Kind::Write);
    } else {
        for u in p.operands.iter() {
            match url_basename(u) {
                Some(b) => w.write(st, &join_base(&dir, &lit(&b)), Kind::Write),
                None => w.write(
                    st,
                    &Val::Unknown {
                        prefix: format!("{}/", dir.text().trim_end_matches('/')),
                    },
                    Kind::Write,
                ),
            }
        }
    }
}

/// `rsync`, `scp`: a local destination is a subtree; `--remove-source-files` deletes the
/// local sources.
pub(super) fn remote_copy(w: &mut Walker, st: &mut State, c: Cmd) {
    let (name, rest) = (c.name, c.rest());
    let long = [
        "--rsh",
        "--exclude",
        "--include",
        "--filter",
        "--log-file",
        "--backup-dir",
        "--partial-dir",
        "--temp-dir",
        "--files-from",
        "--password-file",
        "--port",
        "--chmod",
        "--timeout",
        "--bwlimit",
        "--max-size",
        "--min-size",
        "--block-size",
        "--out-format",
        "--compare-dest",
        "--copy-dest",
        "--link-dest",
        "--write-batch",
        "--only-write-batch",
        "--read-batch",
        "--iconv",
        "--suffix",
        "--exclude-from",
        "--include-from",
    ];
    let short = if name == "rsync" { "efTB" } else { "cFiJloPSD" };
    let p = Opts::parse(rest, short, &long);
    // The remote shell is a local command: `rsync -e CMD`, `scp -S PROG`, and ssh's
    // `-o ProxyCommand=CMD` (and a config file, which may hold one).
    let shells: Vec<&Val> = if name == "rsync" {
        p.values(&["-e", "--rsh"])
    } else {
        p.values(&["-S"])
    };
    for v in shells {
        match v.known() {
            Some(code) => {
                let mut copy = st.clone();
                w.nested_script(code, &mut copy, &format!("the remote shell of {name}"));
            }
            None => opaque(w, st, name, c.args, c.stdin.as_ref()),
        }
    }
    let proxies = p.values(&["-o", "-F"]).into_iter().any(|v| {
        let t = v.text().to_ascii_lowercase();
        t.starts_with("proxycommand") || t.starts_with("localcommand") || !t.contains('=')
    });
    if name == "scp" && proxies {
        opaque(
            w,
            st,
            "scp running a command from its ssh options",
            c.args,
            c.stdin.as_ref(),
        );
    }
    for v in p.values(&[
        "--log-file",
        "--write-batch",
        "--only-write-batch",
        "--backup-dir",
    ]) {
        w.write(st, v, Kind::Write);
    }
    // Temporary and partial files go to these directories.
    for v in p.values(&["--temp-dir", "-T", "--partial-dir"]) {
        w.write_tree(st, v, Kind::Write);
    }
    let remote = |v: &Val| {
        let t = v.text();
        t.split_once(':')
            .is_some_and(|(host, _)| !host.contains('/'))
    };
    if let Some((dest, srcs)) = p.operands.split_last() {
        if !remote(dest) && !srcs.is_empty() {
            w.write_tree(st, dest, Kind::Write);
            // `--link-dest=DIR`: unchanged files are hard links to DIR's, so later writes
            // to the copies change DIR's files. A relative DIR is read from the destination.
            for d in p.values(&["--link-dest"]) {
                w.write_tree(st, d, Kind::Write);
                if let (Some(dt), Some(base)) = (d.literal(), dest.literal()) {
                    if !dt.starts_with('/') {
                        let joined = format!("{}/{dt}", base.trim_end_matches('/'));
                        w.write_tree(st, &lit(&joined), Kind::Write);
                    }
                }
            }
            // `-a`/`-l` copy symlinks as symlinks: later writes through the copies follow
            // them (`SRC/` copies what is in SRC, `SRC` the directory itself).
            let links = name == "rsync"
                && p.flags
                    .iter()
                    .any(|(f, _)| matches!(f.as_str(), "-a" | "-l" | "--archive" | "--links"));
            for s in srcs.iter().filter(|s| links && !remote(s)) {
                let into = if s.text().ends_with('/') {
                    dest.clone()
                } else {
                    join_base(dest, s)
                };
                copy_links(w, st, s, &into);
                if let Some(link) = w.link_at(st, s) {
                    let raw = link.raw.as_deref().map(lit);
                    w.add_link(st, &into, raw.as_ref(), false);
                }
            }
        }
        if p.has(&["--remove-source-files", "--remove-sent-files"]) {
            for s in srcs.iter().filter(|s| !remote(s)) {
                w.write_tree(st, s, Kind::Delete);
            }
        }
    }
}
