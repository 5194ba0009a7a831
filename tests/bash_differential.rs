//! The Bash tables, run for real. Every row of every `tests/data/bash*.jsonl` is judged by
//! `lanes::hook::evaluate` (role `src`, the fixture of `tests/support/bash_fixture.rs`) and
//! then run by `bash` in a fresh scratch copy of that fixture. Every path the run created,
//! changed or removed (content, type, mode, owner, mtime, hard links, symlink target;
//! directories created or removed) anywhere in the scratch tree (the project, `../other`, `~`) must be
//! among the targets lanes found, unless lanes did not allow the command or reported
//! something that covers any path (`?`, `opaque`, `repo-wide`, `tamper`, `unparseable`).
//! A change outside everything lanes found, on a command lanes allowed, is a gap: the hook
//! would let a write through without ever judging it.
//!
//! Rows that must not run here are in [`EXCLUDED`]; rows whose program is missing are
//! skipped and reported (under `CI` that fails: [`debian_packages`] says what to install,
//! `.ci/test-tools` installs it). Gaps that are known and explained are in [`KNOWN_GAPS`];
//! any other gap fails, and so does a listed gap that went away.

mod skip;
mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::hash::Hasher;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::bash_fixture::{self, Fixture, Row};

/// Per-row limit; then the row's whole process group is killed. The slowest rows (npm, vim)
/// take well under a second.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Rows never run, with why. Only what cannot be run safely or hermetically belongs here;
/// a missing program is a skip instead (CI installs it).
const EXCLUDED: &[(&str, &str)] = &[
    // Network: a fetch would depend on (and reach) the outside world.
    ("T148", "git clone of a remote repository"),
    ("T157", "curl download"),
    ("T158", "curl download"),
    ("T159", "curl download"),
    ("T160", "wget download"),
    ("T161", "curl download piped into sh"),
    ("T162", "npm install fetches from the registry"),
    ("T163", "npm install fetches from the registry"),
    ("D2", "npm install fetches from the registry"),
    ("T171", "npx fetches prettier from the registry"),
    ("E29", "npx fetches tsc from the registry"),
    ("T172", "pip install fetches from the index"),
    ("E43", "gh calls the GitHub API"),
    ("L18", "git push to a remote"),
    // A nested agent session talks to a remote API (and `claude` is no Debian package).
    ("L1", "starts a claude session"),
    ("L14", "starts a claude session"),
    ("L15", "starts a claude session"),
    ("L16", "starts a claude session"),
    ("L17", "starts a claude session"),
    // Another user's rights.
    ("T79", "sudo, and it writes /etc/hosts"),
    ("D12", "sudo"),
    // Writes outside the scratch tree, on the machine running the tests.
    ("T28", "writes /tmp/scratch.txt"),
    ("E21", "writes /tmp/a.md"),
    ("E33", "empties the machine's /tmp"),
    ("E47", "writes /tmp/x"),
];

/// Rows whose run changes paths lanes did not find although it allowed the command: real
/// gaps, each with exactly those paths and why. A gap not listed here fails the test, and so
/// does a listed row whose unfound paths are no longer exactly these.
const KNOWN_GAPS: &[(&str, &[&str], &str)] = &[
    (
        "E30",
        &["src/lib.rs", "src/main.rs"],
        "a `for` list's glob is kept as the literal path `src/*.rs`, not the files it matches; \
         right here only because the glob is in the last component of a path in the lane",
    ),
    (
        "E41",
        &["target/new"],
        "`mkdir -p` creates missing parents too; lanes reports only the last directory",
    ),
    (
        "G196",
        &[".git/config"],
        "`git config` of a key that runs nothing (user.email) is allowed on purpose: git writes \
         its own configuration; keys that run commands or skip hooks are tamper",
    ),
];

/// The programs the rows run that a minimal Debian may lack, with their packages: CI installs
/// the missing ones (`.ci/test-tools`, kept in step by `ci_installs_the_packages_rows_need`).
/// `cargo` and `lanes` are not here: the rows get the toolchain running this test and the
/// binary under test.
fn debian_packages() -> &'static [(&'static str, &'static str)] {
    &[
        ("git", "git"),
        ("rg", "ripgrep"),
        ("python3", "python3"),
        // `python`, as rows write it; Debian only ships `python3`.
        ("python", "python-is-python3"),
        ("pytest", "python3-pytest"),
        ("node", "nodejs"),
        ("npm", "npm"),
        ("make", "make"),
        // `awk -i inplace` is GNU awk's; Debian's default awk is mawk.
        ("gawk", "gawk"),
        ("vim", "vim"),
        ("ed", "ed"),
        ("patch", "patch"),
        ("unzip", "unzip"),
        ("7z", "p7zip-full"),
        ("watch", "procps"),
        ("unshare", "util-linux"),
    ]
}

/// Words that make a row unsafe to run when [`EXCLUDED`] does not name it (rows added later):
/// network clients, other users' rights, package managers, nested agents.
const UNSAFE_WORDS: &[&str] = &[
    "curl", "wget", "sudo", "doas", "su", "ssh", "scp", "sftp", "rsync", "nc", "ncat", "telnet",
    "ftp", "gh", "claude", "docker", "podman", "apt", "apt-get", "dpkg", "pip", "pip3", "npx",
    "bunx", "uvx", "pnpm", "yarn",
];

/// Programs that fetch with one of these subcommands: git's is its first operand (`git stash
/// push` does not push); the others' may follow options with values (`npm --prefix web
/// install`), so any later word of the same simple command counts.
const UNSAFE_PAIRS: &[(&str, &[&str])] = &[
    (
        "git",
        &["clone", "fetch", "pull", "push", "ls-remote", "submodule"],
    ),
    (
        "npm",
        &["install", "i", "ci", "add", "update", "publish", "exec"],
    ),
    (
        "cargo",
        &["install", "publish", "update", "fetch", "search"],
    ),
    ("go", &["get", "install", "mod"]),
    ("gem", &["install"]),
];

/// git's own bookkeeping in `.git`: docs/hook.md says `add`, `commit`, `branch`, ... "write only
/// `.git`, which git itself may do", so lanes never lists these. Only these names, and only for
/// a command that runs git: `.git/config`, `.git/hooks` and the rest are compared like any path.
const GIT_BOOKKEEPING: &[&str] = &[
    "index",
    "index.lock",
    "HEAD",
    "ORIG_HEAD",
    "FETCH_HEAD",
    "COMMIT_EDITMSG",
    "packed-refs",
    "objects",
    "refs",
    "logs",
    "worktrees",
];

/// Targets that stand for any path.
const COVER_ALL: &[&str] = &["?", "opaque", "repo-wide", "tamper", "unparseable"];

// ---------------------------------------------------------------------------------------------
// Snapshots

/// What a path is, as far as a write can change it. Directory mtimes are left out: they
/// change whenever an entry is added or removed, which the entries themselves show.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// `file`, `directory`, `symlink`, `fifo`, `socket`, `device`, or `unreadable`.
    kind: &'static str,
    mode: u32,
    /// uid and gid.
    owner: (u32, u32),
    /// Files: size and a hash of the contents.
    content: Option<(u64, u64)>,
    /// Symlinks: where they point.
    target: Option<PathBuf>,
    /// Files and symlinks.
    mtime: Option<(i64, i64)>,
    /// Files: hard links.
    nlink: Option<u64>,
}

/// Every path under `base` (relative to it), without following symlinks.
fn snapshot(base: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    walk(base, Path::new(""), &mut out);
    out
}

fn walk(base: &Path, rel: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
    use std::os::unix::fs::FileTypeExt;
    let unreadable = Entry {
        kind: "unreadable",
        mode: 0,
        owner: (0, 0),
        content: None,
        target: None,
        mtime: None,
        nlink: None,
    };
    let Ok(entries) = fs::read_dir(base.join(rel)) else {
        out.insert(rel.to_path_buf(), unreadable);
        return;
    };
    let mut names: Vec<_> = entries.map(|e| e.unwrap().file_name()).collect();
    names.sort();
    for name in names {
        let rel = rel.join(name);
        let path = base.join(&rel);
        let Ok(meta) = fs::symlink_metadata(&path) else {
            out.insert(rel, unreadable.clone());
            continue;
        };
        let ft = meta.file_type();
        let mut e = Entry {
            kind: "device",
            mode: meta.mode() & 0o7777,
            owner: (meta.uid(), meta.gid()),
            mtime: Some((meta.mtime(), meta.mtime_nsec())),
            ..unreadable.clone()
        };
        if ft.is_symlink() {
            e.kind = "symlink";
            e.target = Some(fs::read_link(&path).unwrap());
        } else if ft.is_dir() {
            e.kind = "directory";
            e.mtime = None;
            walk(base, &rel, out);
        } else if ft.is_file() {
            e.kind = "file";
            e.nlink = Some(meta.nlink());
            match hash_file(&path) {
                Ok(hash) => e.content = Some((meta.len(), hash)),
                Err(_) => e.kind = "unreadable",
            }
        } else if ft.is_fifo() {
            e.kind = "fifo";
        } else if ft.is_socket() {
            e.kind = "socket";
        }
        out.insert(rel, e);
    }
}

fn hash_file(path: &Path) -> std::io::Result<u64> {
    // `DefaultHasher::new()` has fixed keys: equal contents hash equally.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut f = fs::File::open(path)?;
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finish());
        }
        h.write(&buf[..n]);
    }
}

/// One changed path: shown as lanes shows paths, and what changed.
#[derive(Debug, Clone, serde::Serialize)]
struct Change {
    path: String,
    what: String,
}

fn diff(before: &BTreeMap<PathBuf, Entry>, after: &BTreeMap<PathBuf, Entry>) -> Vec<Change> {
    let paths: BTreeSet<&PathBuf> = before.keys().chain(after.keys()).collect();
    let mut out = Vec::new();
    for p in paths {
        let what = match (before.get(p), after.get(p)) {
            (None, Some(a)) => format!("created ({})", a.kind),
            (Some(b), None) => format!("removed ({})", b.kind),
            (Some(b), Some(a)) if b == a => continue,
            (Some(b), Some(a)) => describe(b, a),
            (None, None) => unreachable!(),
        };
        out.push(Change {
            path: show(p),
            what,
        });
    }
    out
}

fn describe(b: &Entry, a: &Entry) -> String {
    if b.kind != a.kind {
        return format!("{} -> {}", b.kind, a.kind);
    }
    let mut w = Vec::new();
    if let (Some((s1, h1)), Some((s2, h2))) = (b.content, a.content) {
        if (s1, h1) != (s2, h2) {
            w.push(format!("content ({s1} -> {s2} bytes)"));
        }
    }
    if b.target != a.target {
        let t = |e: &Entry| {
            e.target
                .as_deref()
                .unwrap_or(Path::new(""))
                .display()
                .to_string()
        };
        w.push(format!("retargeted {} -> {}", t(b), t(a)));
    }
    if b.mode != a.mode {
        w.push(format!("mode {:o} -> {:o}", b.mode, a.mode));
    }
    if b.owner != a.owner {
        w.push(format!("owner {:?} -> {:?}", b.owner, a.owner));
    }
    if let (Some(n1), Some(n2)) = (b.nlink, a.nlink) {
        if n1 != n2 {
            w.push(format!("links {n1} -> {n2}"));
        }
    }
    if w.is_empty() {
        // Only the time is left (`touch`, or rewriting the same bytes).
        w.push("mtime".into());
    }
    w.join(", ")
}

/// A path relative to the scratch base, shown as lanes shows it: repo-relative (`.` for the
/// root), `~/...` in the home, `../...` beside the project.
fn show(rel: &Path) -> String {
    if let Ok(r) = rel.strip_prefix("proj") {
        return if r.as_os_str().is_empty() {
            ".".into()
        } else {
            r.to_string_lossy().into_owned()
        };
    }
    if let Ok(r) = rel.strip_prefix("home") {
        return if r.as_os_str().is_empty() {
            "~".into()
        } else {
            format!("~/{}", r.display())
        };
    }
    format!("../{}", rel.display())
}

// ---------------------------------------------------------------------------------------------
// What lanes found

/// Whether lanes' answer covers a change to `path` (shown as [`show`] shows it).
fn covered(path: &str, targets: &[String], decision: &str) -> bool {
    if decision != "allow" {
        return true;
    }
    targets.iter().any(|t| covers(t, path))
}

fn covers(target: &str, path: &str) -> bool {
    if COVER_ALL.contains(&target) || target.starts_with("error: ") {
        return true;
    }
    if let Some(dir) = target.strip_suffix("/**") {
        // The directory itself and everything below it; `./**` is the whole project.
        if dir == "." {
            return !path.starts_with("../") && path != "~" && !path.starts_with("~/");
        }
        return path == dir || path.starts_with(&format!("{dir}/"));
    }
    if let Some(dir) = target.strip_suffix("/?") {
        // One name, any name, directly under `dir`.
        let parent = path.rsplit_once('/').map_or(".", |(p, _)| p);
        return parent == dir;
    }
    target == path
}

/// git's own bookkeeping, for a command that runs git (see [`GIT_BOOKKEEPING`]).
fn git_bookkeeping(path: &str, cmd: &str) -> bool {
    let Some(rest) = path.strip_prefix(".git/") else {
        return false;
    };
    let first = rest.split('/').next().unwrap_or("");
    GIT_BOOKKEEPING.contains(&first) && words(cmd).any(|w| w == "git")
}

/// The command's words, roughly: runs of name characters.
fn words(cmd: &str) -> impl Iterator<Item = &str> {
    cmd.split(|c: char| !(c.is_ascii_alphanumeric() || "_.+-".contains(c)))
        .filter(|w| !w.is_empty())
}

/// Why a row that [`EXCLUDED`] does not name must not run, if it must not: a network or
/// privileged program in its text, or a target lanes found outside the scratch tree.
fn unsafe_to_run(cmd: &str, targets: &[String]) -> Option<String> {
    let ws: BTreeSet<&str> = words(cmd).collect();
    if let Some(w) = UNSAFE_WORDS.iter().find(|w| ws.contains(*w)) {
        return Some(format!("runs `{w}`"));
    }
    if let Some(found) = fetching_subcommand(cmd) {
        return Some(format!("runs `{found}`"));
    }
    // In-tree targets are relative, `~/...` or `../...`; an absolute one is outside.
    targets
        .iter()
        .find(|t| t.starts_with('/'))
        .map(|t| format!("writes {t}, outside the scratch tree"))
}

/// `PROGRAM SUBCOMMAND` when a simple command of `cmd` runs one of [`UNSAFE_PAIRS`].
fn fetching_subcommand(cmd: &str) -> Option<String> {
    for segment in cmd.split(|c: char| ";|&()\n`".contains(c)) {
        let toks: Vec<String> = segment
            .split_whitespace()
            .map(|t| t.chars().filter(|c| !"\\\"'$".contains(*c)).collect())
            .collect();
        for (i, tok) in toks.iter().enumerate() {
            let name = tok.rsplit('/').next().unwrap_or(tok);
            let Some((prog, subs)) = UNSAFE_PAIRS.iter().find(|(p, _)| *p == name) else {
                continue;
            };
            let rest = &toks[i + 1..];
            let hit = if *prog == "git" {
                // Skip git's own options, and the values of those that take one.
                let mut it = rest.iter();
                let mut sub = None;
                while let Some(t) = it.next() {
                    if matches!(t.as_str(), "-C" | "-c" | "--git-dir" | "--work-tree") {
                        it.next();
                    } else if !t.starts_with('-') {
                        sub = Some(t);
                        break;
                    }
                }
                sub.filter(|s| subs.contains(&s.as_str())).cloned()
            } else {
                rest.iter().find(|t| subs.contains(&t.as_str())).cloned()
            };
            if let Some(sub) = hit {
                return Some(format!("{prog} {sub}"));
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Running a row

/// How rows are run: the environment, and the sandbox when the machine allows one.
struct Runner {
    path: String,
    /// `unshare` arguments before the sandbox script; `None`: no sandbox here.
    sandbox: Option<Vec<&'static str>>,
    /// Holds the `lanes` link on PATH, and the rows' stdout and stderr.
    aux: tempfile::TempDir,
    /// `command -v` answers, per program.
    found: HashMap<String, bool>,
}

/// Run by `sh` inside fresh mount and network namespaces: every mount but the virtual ones
/// becomes read-only, then the scratch tree is bound writable over itself. So a row that
/// writes outside the scratch tree fails instead of changing the machine. Exits 125 when it
/// cannot set up.
const SANDBOX: &str = r#"
base=$1; shift
while read -r _ _ _ _ mnt _; do
    case $mnt in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac
    mount -o remount,bind,ro "$mnt" 2>/dev/null
done < /proc/self/mountinfo
fail() { echo "sandbox: $1" >&2; exit 125; }
mount --bind "$base" "$base" && mount -o remount,bind,rw "$base" || fail "cannot bind $base"
# The working directory still lies on the mount below: enter the writable one.
cd "$PWD" || fail "cannot enter $PWD"
exec bash --noprofile --norc -c "$1"
"#;

/// An address nothing listens on, for every proxy variable.
const NO_PROXY: &str = "http://127.0.0.1:9";

impl Runner {
    fn new() -> Runner {
        let aux = tempfile::tempdir().unwrap();
        let bin = aux.path().join("bin");
        fs::create_dir(&bin).unwrap();
        // L13 runs `lanes` itself: the binary under test, and only it.
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_lanes"), bin.join("lanes")).unwrap();
        // The toolchain running this test, for the cargo rows: a Debian cargo would be a
        // second toolchain just to fail on a fixture without Cargo.toml.
        let toolchain = Path::new(env!("CARGO")).parent().unwrap();
        let path = format!(
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:{}:{}",
            toolchain.display(),
            bin.display()
        );
        let mut r = Runner {
            path,
            sandbox: None,
            aux,
            found: HashMap::new(),
        };
        r.sandbox = r.probe_sandbox();
        r
    }

    /// The first `unshare` form under which the sandbox keeps writes inside and lets them
    /// there, if any.
    fn probe_sandbox(&self) -> Option<Vec<&'static str>> {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().canonicalize().unwrap();
        let inside = dir.join("in");
        fs::create_dir(&inside).unwrap();
        let outside = dir.join("out");
        let cmd = format!("touch in && ! touch '{}' 2>/dev/null", outside.display());
        let base = ["--mount", "--net", "--propagation", "private"];
        for extra in [&[][..], &["--map-root-user"][..]] {
            let mut args: Vec<&'static str> = base.to_vec();
            args.extend_from_slice(extra);
            let status = Command::new("unshare")
                .args(&args)
                .args(["--", "sh", "-c", SANDBOX, "sh"])
                .arg(&inside)
                .arg(&cmd)
                .current_dir(&inside)
                .env_clear()
                .env("PATH", &self.path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if status.is_ok_and(|s| s.success()) && inside.join("in").exists() && !outside.exists()
            {
                return Some(args);
            }
            let _ = fs::remove_file(inside.join("in"));
        }
        None
    }

    fn env(&self, c: &mut Command, fx: &Fixture) {
        c.env_clear()
            .env("PATH", &self.path)
            .env("HOME", &fx.home)
            .env("TMPDIR", fx.base.join("tmp"))
            .env("LC_ALL", "C")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            // A file of the scratch tree, not /dev/null: a row that writes the global
            // configuration (`git config --global`) would rename a file over /dev/null.
            .env("GIT_CONFIG_GLOBAL", fx.home.join(".gitconfig"))
            // git never looks for a repository above the scratch tree.
            .env("GIT_CEILING_DIRECTORIES", &fx.base)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_AUTHOR_DATE", "2020-01-01T00:00:00Z")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z");
        for var in [
            "http_proxy",
            "https_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
        ] {
            c.env(var, NO_PROXY);
        }
    }

    /// Whether `program` is found on the rows' PATH (a builtin or keyword counts).
    fn has(&mut self, program: &str, fx: &Fixture) -> bool {
        if let Some(&f) = self.found.get(program) {
            return f;
        }
        let mut c = Command::new("bash");
        self.env(&mut c, fx);
        let f = c
            .args([
                "--noprofile",
                "--norc",
                "-c",
                "command -v -- \"$1\"",
                "_",
                program,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        self.found.insert(program.to_string(), f);
        f
    }

    /// Runs `cmd` with bash in the project root of `fx`.
    fn run(&self, fx: &Fixture, id: &str, cmd: &str) -> Run {
        let out = self.aux.path().join(format!("{id}.out"));
        let err = self.aux.path().join(format!("{id}.err"));
        let mut c = match &self.sandbox {
            Some(args) => {
                let mut c = Command::new("unshare");
                c.args(args)
                    .args(["--", "sh", "-c", SANDBOX, "sh"])
                    .arg(&fx.base)
                    .arg(cmd);
                c
            }
            None => {
                let mut c = Command::new("bash");
                c.args(["--noprofile", "--norc", "-c", cmd]);
                c
            }
        };
        self.env(&mut c, fx);
        // Files, not pipes: a background job left running must not hold the test up.
        c.current_dir(&fx.root)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).unwrap())
            .stderr(fs::File::create(&err).unwrap())
            .process_group(0);
        let start = Instant::now();
        let mut child = c.spawn().unwrap();
        let pgid = child.id();
        let mut timed_out = false;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > TIMEOUT {
                timed_out = true;
                kill_group(pgid);
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        // Background jobs the row left behind would keep writing after the snapshot.
        kill_group(pgid);
        let stderr = fs::read_to_string(&err).unwrap_or_default();
        let _ = (fs::remove_file(&out), fs::remove_file(&err));
        if status.code() == Some(125) && stderr.contains("sandbox: ") {
            panic!("row {id}: the sandbox could not be set up: {stderr}");
        }
        Run {
            code: status.code(),
            timed_out,
            stderr,
        }
    }
}

/// Kills the process group the row runs in (its id is the row's bash, or unshare).
fn kill_group(pgid: u32) {
    // bash's own `kill`: procps may be missing.
    let _ = Command::new("bash")
        .args(["-c", "kill -KILL -- \"-$1\"", "_", &pgid.to_string()])
        .stderr(Stdio::null())
        .status();
}

struct Run {
    code: Option<i32>,
    timed_out: bool,
    stderr: String,
}

impl Run {
    /// The programs bash could not find, when the run failed for it (exit 127).
    fn not_found(&self) -> Vec<String> {
        if self.code != Some(127) {
            return Vec::new();
        }
        self.stderr
            .lines()
            .filter_map(|l| l.strip_suffix(": command not found"))
            .map(|l| l.rsplit(": ").next().unwrap_or(l).to_string())
            .collect()
    }
}

/// The program a row starts with, when it names one (`LANES_ROLE=x claude` -> `claude`,
/// `\rm` -> `rm`); `None` for syntax (`(cd`, `f()`, `>x`), which `bash` always has.
fn first_program(cmd: &str) -> Option<String> {
    for tok in shell_words(cmd) {
        let tok = tok.trim_end_matches(';');
        if let Some((name, _)) = tok.split_once('=') {
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
        }
        let w: String = tok.chars().filter(|c| !"\\\"'".contains(*c)).collect();
        let program_like = !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+-/".contains(c));
        return program_like.then_some(w);
    }
    None
}

/// The command's words, split at white space outside quotes (roughly, as far as
/// [`first_program`] needs: `x='a b'; rm $x` is `x='a b';`, `rm`, `$x`).
fn shell_words(cmd: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quote) = (None, None);
    for (i, c) in cmd.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => {
                quote = Some(c);
                start.get_or_insert(i);
            }
            (None, c) if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    out.push(&cmd[s..i]);
                }
            }
            (None, _) => {
                start.get_or_insert(i);
            }
        }
    }
    if let Some(s) = start {
        out.push(&cmd[s..]);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The scratch repository

/// The fixture as a git repository, built once and copied for each row. Its history makes
/// the rows' git commands do something: HEAD has other contents for `src/lib.rs` and
/// `docs/guide.md` (so checkout, restore and stash write them; the change to
/// `docs/guide.md` is staged, so a commit commits), `src/util/mod.rs` is untracked (so
/// `git clean` removes it), and there are two commits (`HEAD~1`). `pkg.tgz` and `pkg.zip` are
/// real archives of `pkg/a.txt` (the fixture's are empty, so extracting would write nothing;
/// lanes never reads them). Every other file is the fixture's, as `tests/bash_table.rs` judges it.
fn template() -> Fixture {
    let fx = bash_fixture::fixture();
    fs::create_dir(fx.base.join("tmp")).unwrap();
    for a in fx.base.ancestors().skip(1) {
        // cargo looks upwards for a manifest: `cargo fmt` must not find this one.
        assert!(
            !a.join("Cargo.toml").exists(),
            "the scratch tree {} is inside a Cargo project ({}): set TMPDIR elsewhere",
            fx.base.display(),
            a.display()
        );
    }
    let git = |args: &[&str]| {
        let out = support::git_command(&fx.root, &fx.home)
            .env("GIT_CEILING_DIRECTORIES", &fx.base)
            .env("GIT_AUTHOR_DATE", "2020-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let write = |rel: &str, text: &str| fs::write(fx.root.join(rel), text).unwrap();
    let staging = tempfile::tempdir().unwrap();
    fs::create_dir(staging.path().join("pkg")).unwrap();
    fs::write(staging.path().join("pkg/a.txt"), "packed\n").unwrap();
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(fx.root.join("pkg.tgz"))
        .args(["-C"])
        .arg(staging.path())
        .arg("pkg")
        .status()
        .unwrap();
    assert!(tar.success());
    fs::write(fx.root.join("pkg.zip"), zip_one("pkg/a.txt", b"packed\n")).unwrap();
    let original: Vec<(&str, String)> = ["src/lib.rs", "docs/guide.md", "tests/t.rs"]
        .iter()
        .map(|f| (*f, fs::read_to_string(fx.root.join(f)).unwrap()))
        .collect();
    // No template: `.git/hooks` stays the fixture's empty directory.
    git(&["init", "-q", "--template="]);
    write("src/lib.rs", "// committed\n");
    write("docs/guide.md", "committed\n");
    write("tests/t.rs", "// first\n");
    git(&["add", "-A"]);
    git(&["rm", "-q", "--cached", "src/util/mod.rs"]);
    git(&["commit", "-q", "-m", "first"]);
    write("tests/t.rs", &original[2].1);
    git(&["commit", "-q", "-am", "second"]);
    for (f, text) in &original {
        write(f, text);
    }
    git(&["add", "docs/guide.md"]);
    fx
}

/// A zip archive of one stored (uncompressed) file.
fn zip_one(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = !data.iter().fold(!0u32, |mut c, &b| {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
        c
    });
    let (len, name_len) = (data.len() as u32, name.len() as u16);
    // Version 2.0, no flags, stored, 1980-01-01 00:00, then CRC and sizes.
    let mut common = Vec::new();
    for v in [20u16, 0, 0, 0, 0x21] {
        common.extend(v.to_le_bytes());
    }
    for v in [crc, len, len] {
        common.extend(v.to_le_bytes());
    }
    common.extend(name_len.to_le_bytes());
    common.extend(0u16.to_le_bytes()); // no extra field
    let mut out = Vec::new();
    out.extend(0x0403_4b50u32.to_le_bytes());
    out.extend(&common);
    out.extend(name.as_bytes());
    out.extend(data);
    let central_at = out.len() as u32;
    out.extend(0x0201_4b50u32.to_le_bytes());
    out.extend(20u16.to_le_bytes()); // made by
    out.extend(&common);
    for v in [0u16, 0, 0] {
        out.extend(v.to_le_bytes()); // comment, disk, internal attributes
    }
    out.extend(0u32.to_le_bytes()); // external attributes
    out.extend(0u32.to_le_bytes()); // the local header's offset
    out.extend(name.as_bytes());
    let central_len = out.len() as u32 - central_at;
    out.extend(0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, 1, 1] {
        out.extend(v.to_le_bytes());
    }
    for v in [central_len, central_at] {
        out.extend(v.to_le_bytes());
    }
    out.extend(0u16.to_le_bytes());
    out
}

/// A fresh copy of `template`, with modes and symlinks.
fn scratch(template: &Fixture) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    copy_tree(&template.base, &base);
    Fixture {
        dir,
        root: base.join("proj"),
        home: base.join("home"),
        base,
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let meta = fs::symlink_metadata(&src).unwrap();
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if meta.is_dir() {
            fs::create_dir(&dst).unwrap();
            copy_tree(&src, &dst);
            fs::set_permissions(&dst, meta.permissions()).unwrap();
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The tests

/// What happened to one row, written to `bash_differential.actual.jsonl` for review.
#[derive(serde::Serialize)]
struct Outcome<'a> {
    id: &'a str,
    cmd: &'a str,
    decision: String,
    targets: Vec<String>,
    /// `ran`, `excluded: WHY`, `skipped: PROGRAM missing`.
    run: String,
    exit: Option<i32>,
    /// How long the run took.
    ms: u128,
    changes: Vec<Change>,
    /// Changes lanes did not find on a command it allowed.
    gaps: Vec<Change>,
}

#[test]
fn every_change_a_row_makes_is_one_lanes_found() {
    let start = Instant::now();
    let rows = bash_fixture::rows();
    let known_ids: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let listed = EXCLUDED.iter().map(|(id, _)| id);
    for id in listed.chain(KNOWN_GAPS.iter().map(|(id, _, _)| id)) {
        assert!(
            known_ids.contains(id),
            "EXCLUDED or KNOWN_GAPS names row {id}, which no table has"
        );
    }
    let excluded: HashMap<&str, &str> = EXCLUDED.iter().copied().collect();
    let known_gaps: HashMap<&str, BTreeSet<&str>> = KNOWN_GAPS
        .iter()
        .map(|(id, paths, _)| (*id, paths.iter().copied().collect()))
        .collect();
    let mut gaps_seen = 0;
    let template = template();
    let mut runner = Runner::new();

    let mut outcomes = Vec::new();
    let mut ran = 0;
    let mut screened: Vec<String> = Vec::new();
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut timed_out: Vec<&str> = Vec::new();
    let mut git_only: Vec<&str> = Vec::new();
    let mut failures = Vec::new();
    for row in &rows {
        let Row { id, cmd, .. } = row;
        let mut out = Outcome {
            id,
            cmd,
            decision: String::new(),
            targets: Vec::new(),
            run: "ran".into(),
            exit: None,
            ms: 0,
            changes: Vec::new(),
            gaps: Vec::new(),
        };
        if let Some(why) = excluded.get(id.as_str()) {
            out.run = format!("excluded: {why}");
            outcomes.push(out);
            continue;
        }
        let fx = scratch(&template);
        let (targets, decision) = bash_fixture::judge(&fx, cmd);
        out.targets = targets.clone();
        out.decision = decision.clone();
        if let Some(why) = unsafe_to_run(cmd, &targets) {
            screened.push(format!("{id} ({why})"));
            out.run = format!("excluded: {why}");
            outcomes.push(out);
            continue;
        }
        // A row lanes does not allow, or allows only as something it cannot see into, is
        // covered whatever its run changes: running it would prove nothing.
        if decision != "allow" || targets.iter().any(|t| COVER_ALL.contains(&t.as_str())) {
            out.run = "not run: covered by lanes' answer, whatever it changes".into();
            outcomes.push(out);
            continue;
        }
        if let Some(p) = first_program(cmd).filter(|p| !runner.has(p, &fx)) {
            missing.entry(p.clone()).or_default().push(id.clone());
            out.run = format!("skipped: {p} missing");
            outcomes.push(out);
            continue;
        }
        let before = snapshot(&fx.base);
        let t = Instant::now();
        let run = runner.run(&fx, id, cmd);
        out.ms = t.elapsed().as_millis();
        let after = snapshot(&fx.base);
        out.exit = run.code;
        if run.timed_out {
            timed_out.push(id);
        }
        let not_found = run.not_found();
        for p in &not_found {
            missing.entry(p.clone()).or_default().push(id.clone());
        }
        if not_found.is_empty() {
            ran += 1;
        } else {
            // Still compared below: what a partial run changed must be covered too.
            out.run = format!("skipped: {} missing", not_found.join(", "));
        }
        out.changes = diff(&before, &after);
        let mut excused_by_git = false;
        for c in &out.changes {
            if covered(&c.path, &targets, &decision) {
                continue;
            }
            if git_bookkeeping(&c.path, cmd) {
                excused_by_git = true;
                continue;
            }
            out.gaps.push(c.clone());
        }
        if excused_by_git {
            git_only.push(id);
        }
        let unfound: BTreeSet<&str> = out.gaps.iter().map(|c| c.path.as_str()).collect();
        match known_gaps.get(id.as_str()) {
            Some(known) if *known == unfound => gaps_seen += 1,
            // A partial run may not reach the gap.
            Some(_) if !not_found.is_empty() => {}
            Some(known) => failures.push(format!(
                "row {id} is in KNOWN_GAPS with {known:?} unfound, but now {unfound:?}: \
                 update KNOWN_GAPS"
            )),
            None if unfound.is_empty() => {}
            None => {
                let changes: Vec<String> = out
                    .gaps
                    .iter()
                    .map(|c| format!("{} [{}]", c.path, c.what))
                    .collect();
                failures.push(format!(
                    "row {id} `{}`:\n    lanes: {decision} {targets:?}\n    changed, not found: {}",
                    cmd.escape_debug(),
                    changes.join("; ")
                ));
            }
        }
        outcomes.push(out);
    }

    let actual = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bash_differential.actual.jsonl");
    let text: Vec<String> = outcomes
        .iter()
        .map(|o| serde_json::to_string(o).unwrap())
        .collect();
    fs::write(&actual, text.join("\n") + "\n").unwrap();

    let skipped = missing.values().flatten().collect::<BTreeSet<_>>().len();
    let covered_rows = outcomes
        .iter()
        .filter(|o| o.run.starts_with("not run"))
        .count();
    let mut summary = format!(
        "bash_differential: {} rows: {ran} ran, {covered_rows} covered by a deny, ask or \
         opaque answer (not run), {skipped} skipped, {} excluded ({} by the list, \
         {} by the safety screen{}), {} known gaps, {} timed out{}, {} changed only git's \
         bookkeeping; {} ({:.1} s, details: {})",
        rows.len(),
        EXCLUDED.len() + screened.len(),
        EXCLUDED.len(),
        screened.len(),
        if screened.is_empty() {
            String::new()
        } else {
            format!(": {}", screened.join(", "))
        },
        gaps_seen,
        timed_out.len(),
        if timed_out.is_empty() {
            String::new()
        } else {
            format!(" ({})", timed_out.join(", "))
        },
        git_only.len(),
        if runner.sandbox.is_some() {
            "sandboxed"
        } else {
            "NOT sandboxed (unshare unavailable)"
        },
        start.elapsed().as_secs_f64(),
        actual.display()
    );
    summary.push('\n');
    let _ = std::io::stderr().write_all(summary.as_bytes());

    // Missing programs: a line `scripts/test` counts as a skip, or a failure under CI.
    let mut skip_reason = None;
    if !missing.is_empty() {
        let names: Vec<String> = missing
            .iter()
            .map(|(p, ids)| format!("{p} ({})", ids.join(" ")))
            .collect();
        let packages: BTreeSet<&str> = missing
            .keys()
            .filter_map(|p| debian_packages().iter().find(|(q, _)| q == p))
            .map(|(_, pkg)| *pkg)
            .collect();
        let unknown: Vec<&String> = missing
            .keys()
            .filter(|p| !debian_packages().iter().any(|(q, _)| q == *p))
            .collect();
        let mut how = format!(
            "apt-get install -y --no-install-recommends {}",
            packages.into_iter().collect::<Vec<_>>().join(" ")
        );
        if !unknown.is_empty() {
            how.push_str(&format!(
                "; no package is known for {unknown:?}: add one to debian_packages() and \
                 .ci/test-tools, or exclude the row"
            ));
        }
        skip_reason = Some(format!(
            "rows not run, their programs missing: {skipped}: {}; install: {how}",
            names.join(", ")
        ));
    }
    assert!(
        failures.is_empty(),
        "{} rows change paths lanes did not find although it allowed them (see {}):\n{}{}",
        failures.len(),
        actual.display(),
        failures.join("\n"),
        skip_reason
            .as_ref()
            .map_or(String::new(), |r| format!("\nand {r}"))
    );
    if let Some(reason) = skip_reason {
        skip::partial(&reason);
    }
}

/// CI installs every package the rows need (`.ci/test-tools`), so CI runs every row.
#[test]
fn ci_installs_the_packages_rows_need() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/test-tools");
    let text = fs::read_to_string(&script).unwrap();
    for (program, package) in debian_packages() {
        assert!(
            text.contains(&format!(" {program}:{package}\n")),
            "{} does not install {package} for `{program}`",
            script.display()
        );
    }
    let ci = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run")).unwrap();
    assert!(
        ci.contains(".ci/test-tools"),
        ".ci/run does not run .ci/test-tools"
    );
}

/// The comparison itself: a command that changes one path of each kind is seen to change
/// exactly those, and only targets that cover a path excuse it.
#[test]
fn the_comparison_sees_every_kind_of_change() {
    let template = template();
    let fx = scratch(&template);
    let runner = Runner::new();
    // A symlink to retarget, and one whose target goes away (it must stay unchanged).
    std::os::unix::fs::symlink("a.txt", fx.root.join("src/old")).unwrap();
    std::os::unix::fs::symlink("../b.txt", fx.root.join("src/dangling")).unwrap();
    let root = fs::metadata("/proc/self").unwrap().uid() == 0;
    let cmd = "echo x > src/new; echo y >> docs/a.md; chmod 600 tests/t.rs; \
               ln -s ../a.txt src/link; ln -sfn ../b.txt src/old; mkdir ../other/d; \
               rm b.txt; rmdir target; touch -d @0 README.md; ln a.txt src/hard; \
               echo h > ~/h; mkfifo src/fifo; chmod 700 docs; printf a > a.txt; \
               chown 1:1 lanes.toml 2>/dev/null || true";
    let before = snapshot(&fx.base);
    let run = runner.run(&fx, "self", cmd);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let changes = diff(&before, &snapshot(&fx.base));
    let mut got: Vec<String> = changes
        .iter()
        .map(|c| format!("{} [{}]", c.path, c.what))
        .collect();
    got.sort();
    let mut want = vec![
        "../other/d [created (directory)]",
        "README.md [mtime]",
        // Other bytes, and a second name.
        "a.txt [content (2 -> 1 bytes), links 1 -> 2]",
        "b.txt [removed (file)]",
        "docs [mode 755 -> 700]",
        "docs/a.md [content (2 -> 4 bytes)]",
        "src/fifo [created (fifo)]",
        "src/hard [created (file)]",
        "src/link [created (symlink)]",
        "src/new [created (file)]",
        "src/old [retargeted a.txt -> ../b.txt]",
        "target [removed (directory)]",
        "tests/t.rs [mode 644 -> 600]",
        "~/h [created (file)]",
    ];
    if root {
        want.push("lanes.toml [owner (0, 0) -> (1, 1)]");
        want.sort();
    }
    assert_eq!(got, want, "{got:#?}");

    let s = |v: &[&str]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    assert!(covered("src/a/b", &s(&["src/**"]), "allow"));
    assert!(covered("src", &s(&["src/**"]), "allow"));
    assert!(!covered("srcx/a", &s(&["src/**"]), "allow"));
    assert!(covered("docs/new", &s(&["docs/?"]), "allow"));
    assert!(!covered("docs/new/deeper", &s(&["docs/?"]), "allow"));
    assert!(covered("a/b", &s(&["./**"]), "allow"));
    assert!(!covered("../other/x", &s(&["./**"]), "allow"));
    assert!(!covered("~/x", &s(&["./**"]), "allow"));
    assert!(covered("../other/x", &s(&["../other/**"]), "allow"));
    assert!(covered("~/x", &s(&["~/x"]), "allow"));
    assert!(!covered("src/x", &s(&["src/y"]), "allow"));
    assert!(!covered("src/main.rs", &s(&["src/*.rs"]), "allow"));
    assert!(!covered("src/x", &[], "allow"));
    assert!(covered("src/x", &[], "deny"));
    assert!(covered("src/x", &[], "ask"));
    for all in COVER_ALL {
        assert!(covered("../../anything", &s(&[all]), "allow"));
    }
    assert!(git_bookkeeping(".git/index", "git add -A"));
    assert!(!git_bookkeeping(".git/index", "echo x > .git/index"));
    assert!(!git_bookkeeping(".git/config", "git config user.name x"));
    assert!(!git_bookkeeping(".git/hooks/pre-commit", "git status"));

    // Missing programs.
    assert_eq!(
        first_program("LANES_ROLE=\"$R\" claude -p hi").as_deref(),
        Some("claude")
    );
    assert_eq!(first_program("X=docs; echo hi").as_deref(), Some("echo"));
    assert_eq!(first_program("\\rm docs/a.md").as_deref(), Some("rm"));
    assert_eq!(first_program("\"rm\" docs/a.md").as_deref(), Some("rm"));
    assert_eq!(first_program("(cd src && make)"), None);
    assert_eq!(first_program("f() { :; }; f"), None);
    let run = |code, stderr: &str| Run {
        code: Some(code),
        timed_out: false,
        stderr: stderr.into(),
    };
    let missing = "bash: line 1: rg: command not found\n";
    assert_eq!(run(127, missing).not_found(), ["rg"]);
    assert!(run(0, missing).not_found().is_empty());
    assert!(
        run(127, "bash: line 1: ./x.sh: No such file or directory\n")
            .not_found()
            .is_empty()
    );

    // The safety screen, for rows added later.
    assert_eq!(unsafe_to_run("git stash push -- src/", &[]), None);
    assert_eq!(unsafe_to_run("git commit -m 'push it'", &[]), None);
    assert_eq!(unsafe_to_run("npm test", &[]), None);
    for (cmd, why) in [
        ("git -C ../x push", "runs `git push`"),
        ("cd src && \\git clone u d", "runs `git clone`"),
        ("npm --prefix web install left-pad", "runs `npm install`"),
        ("x=1; curl -O u", "runs `curl`"),
        ("echo x | sudo tee f", "runs `sudo`"),
    ] {
        assert_eq!(unsafe_to_run(cmd, &[]).as_deref(), Some(why), "{cmd}");
    }
    assert!(unsafe_to_run("echo > \"$X\"", &s(&["/etc/x"])).is_some());
    assert_eq!(unsafe_to_run("echo", &s(&["../other/x", "~/x"])), None);
}
