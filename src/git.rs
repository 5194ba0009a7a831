//! Git, as `lanes check`, `init`/`uninstall`, `status` and `up`/`down` (worktrees) need it:
//! the only module that starts git (tmux has its own, `team::tmux`).
//!
//! Every git command is built by one private builder (`Git::command`) and every listing is
//! read as a stream of NUL-separated tokens (`-z`), byte for byte: paths are raw bytes
//! (spaces, newlines and non-UTF-8 names survive) and nothing is collected per file. Changes
//! are listed in git's raw format (`--raw`), which carries each side's file mode, so a
//! submodule (a directory to lanes) is known as one, or, where that does not matter, as
//! `--name-status` (see [`Detail`]). Formats: git-diff(1) and git-log(1), "RAW OUTPUT
//! FORMAT", "COMBINED DIFF FORMAT" and `--name-status`; `-z` paths are never quoted.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

/// Marks a commit header in the `git log` stream; raw change tokens start with `:`.
const HEADER: u8 = 0x01;
/// Separates `Lane:` trailer values inside a header.
const TRAILER_SEP: u8 = 0x1f;
/// The file mode of a gitlink (a submodule), which lanes treats as a directory.
const GITLINK: &[u8] = b"160000";

/// A git command that could not be run or failed.
#[derive(Debug)]
pub enum GitError {
    /// `git` could not be started.
    Spawn(io::Error),
    /// Reading git's output failed.
    Read(io::Error),
    /// Git exited unsuccessfully; `stderr` is what it said (trimmed).
    Failed {
        /// The command line, for the message (`git diff --cached ...`).
        command: String,
        /// Git's stderr, trimmed.
        stderr: String,
    },
    /// Git's output did not have the expected shape.
    Output(String),
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitError::Spawn(e) => write!(f, "cannot run git (is it installed and on PATH?): {e}"),
            GitError::Read(e) => write!(f, "cannot read git's output: {e}"),
            GitError::Failed { command, stderr } if stderr.is_empty() => {
                write!(f, "`{command}` failed")
            }
            GitError::Failed { command, stderr } => write!(f, "`{command}` failed: {stderr}"),
            GitError::Output(m) => write!(f, "unexpected output from git: {m}"),
        }
    }
}

impl std::error::Error for GitError {}

/// How a path was changed, from git's status letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `A`.
    Added,
    /// `M`.
    Modified,
    /// `D`.
    Deleted,
    /// `T`: file type changed (file, symlink, submodule).
    TypeChanged,
    /// `U`: unmerged (a conflict staged mid-merge).
    Unmerged,
    /// `R`: a rename (only without `--no-renames`); both sides are reported.
    Renamed,
    /// `C`: a copy (both sides are reported).
    Copied,
    /// A merge commit's change against every parent (combined diff).
    Merged,
    /// A path named on the command line (`--files`): how it changed is not known.
    Named,
    /// Any other letter (`X`, or one a future git adds).
    Other,
}

impl Status {
    fn from_letters(letters: &[u8]) -> Status {
        if letters.len() > 1 && !letters[1].is_ascii_digit() {
            return Status::Merged; // one letter per parent: `MM`, `AM`
        }
        match letters.first() {
            Some(b'A') => Status::Added,
            Some(b'M') => Status::Modified,
            Some(b'D') => Status::Deleted,
            Some(b'T') => Status::TypeChanged,
            Some(b'U') => Status::Unmerged,
            Some(b'R') => Status::Renamed,
            Some(b'C') => Status::Copied,
            _ => Status::Other,
        }
    }

    /// A word for reports and JSON (`added`, `deleted`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Modified => "modified",
            Status::Deleted => "deleted",
            Status::TypeChanged => "type changed",
            Status::Unmerged => "unmerged",
            Status::Renamed => "renamed",
            Status::Copied => "copied",
            Status::Merged => "changed in merge",
            Status::Named => "named",
            Status::Other => "changed",
        }
    }
}

/// One item of a change stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A commit starts (range mode only); the changes that follow belong to it.
    Commit {
        /// The full commit id (hex).
        id: &'a str,
        /// The values of its `Lane:` trailers, in order (usually zero or one).
        lanes: Vec<&'a str>,
    },
    /// A touched path, relative to the repository's top level, as raw bytes.
    Change {
        /// How it changed.
        status: Status,
        /// The path, as git stores it (`/`-separated, no quoting).
        path: &'a [u8],
        /// True for a submodule (gitlink) on either side.
        is_dir: bool,
    },
}

/// Runs git in one directory, with the environment lanes was started with (so a hook sees
/// the `GIT_DIR` and `GIT_INDEX_FILE` git gives it, including the temporary index of
/// `git commit -a` and `git commit PATH`).
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
}

impl Git {
    /// Git run from `dir` (the process's working directory, normally).
    pub fn new(dir: &Path) -> Git {
        Git {
            dir: dir.to_path_buf(),
        }
    }

    /// The one command builder: `git` in [`Git`]'s directory, with settings that keep the
    /// output machine-readable whatever the user's configuration says (no pager, no colour,
    /// no external diff or textconv, no optional locks).
    fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.dir)
            .env("GIT_OPTIONAL_LOCKS", "0")
            .args([
                "--no-pager",
                "-c",
                "color.ui=false",
                "-c",
                "log.showSignature=false",
                "-c",
                "core.quotePath=false",
            ])
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs a short command and returns its stdout without the final newline.
    fn output<I, S>(&self, args: I) -> Result<Option<Vec<u8>>, GitError>
    where
        I: IntoIterator<Item = S> + Clone,
        S: AsRef<OsStr>,
    {
        let out = self
            .command(args.clone())
            .output()
            .map_err(GitError::Spawn)?;
        if !out.status.success() {
            if out.stderr.is_empty() && out.status.code() == Some(1) {
                return Ok(None); // `-q` commands answer "no" with status 1 and no message
            }
            return Err(failed(args, &out.stderr));
        }
        let mut bytes = out.stdout;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
        }
        Ok(Some(bytes))
    }

    /// The top level of the working tree (`git rev-parse --show-toplevel`), canonical.
    ///
    /// Errors: not inside a git working tree, or git cannot run.
    pub fn toplevel(&self) -> Result<PathBuf, GitError> {
        let out = self
            .output(["rev-parse", "--show-toplevel"])?
            .ok_or_else(|| {
                GitError::Output("`git rev-parse --show-toplevel` printed nothing".into())
            })?;
        let top = PathBuf::from(os_string(out));
        top.canonicalize().map_err(|e| {
            GitError::Output(format!(
                "cannot resolve the top level {}: {e}",
                top.display()
            ))
        })
    }

    /// The folder git runs hooks from, absolute, as git prints it (not canonicalized):
    /// `core.hooksPath` when set, else the common `.git/hooks`, shared by linked worktrees
    /// (`git rev-parse --path-format=absolute --git-path hooks`, git 2.31 or later).
    ///
    /// Errors: not inside a git repository, git cannot run, or it printed nothing.
    pub fn hooks_dir(&self) -> Result<PathBuf, GitError> {
        let out = self
            .output(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])?
            .filter(|o| !o.is_empty())
            .ok_or_else(|| {
                GitError::Output("`git rev-parse --git-path hooks` printed nothing".into())
            })?;
        Ok(PathBuf::from(os_string(out)))
    }

    /// Where git keeps this checkout's files: its own git directory and the common one
    /// (different in a linked worktree), absolute as git prints them
    /// (`git rev-parse --path-format=absolute --git-dir --git-common-dir`).
    ///
    /// Errors: not inside a git repository, or git cannot run.
    pub fn git_dirs(&self) -> Result<Vec<PathBuf>, GitError> {
        let out = self
            .output([
                "rev-parse",
                "--path-format=absolute",
                "--git-dir",
                "--git-common-dir",
            ])?
            .unwrap_or_default();
        Ok(out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| PathBuf::from(os_string(l.to_vec())))
            .collect())
    }

    /// The current branch's short name, `None` when `HEAD` is detached. Works on an unborn
    /// branch (before the first commit).
    pub fn current_branch(&self) -> Result<Option<String>, GitError> {
        Ok(self
            .output(["symbolic-ref", "-q", "--short", "HEAD"])?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The full commit id `rev` names (`git rev-parse --verify -q REV^{commit}`); `None`
    /// when it names no commit (an unborn branch, a missing ref).
    pub fn commit_id(&self, rev: &str) -> Result<Option<String>, GitError> {
        let spec = format!("{rev}^{{commit}}");
        Ok(self
            .output(["rev-parse", "-q", "--verify", spec.as_str()])?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The best common ancestor of `a` and `b` (`git merge-base`); `None` when they share
    /// no history.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<Option<String>, GitError> {
        Ok(self
            .output(["merge-base", a, b])?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The files of the working tree that differ from commit `base`, committed or not, as
    /// (status word, repo-relative path): `git diff --name-status -z --no-renames BASE`
    /// (tracked files) and `git ls-files -z --others --exclude-standard` (untracked files
    /// that are not ignored, listed as `untracked`). Paths are lossy UTF-8 (for reports).
    pub fn changed_since(&self, base: &str) -> Result<Vec<(&'static str, String)>, GitError> {
        let diff = self
            .output([
                "diff",
                "--name-status",
                "-z",
                "--no-renames",
                "--no-ext-diff",
                "--no-textconv",
                "--no-relative",
                base,
                "--",
            ])?
            .unwrap_or_default();
        let mut out = Vec::new();
        let mut tokens = diff.split(|&b| b == 0).filter(|t| !t.is_empty());
        while let (Some(letters), Some(path)) = (tokens.next(), tokens.next()) {
            let status = Status::from_letters(letters).as_str();
            out.push((status, String::from_utf8_lossy(path).into_owned()));
        }
        let others = self
            .output([
                "ls-files",
                "-z",
                "--others",
                "--exclude-standard",
                "--full-name",
            ])?
            .unwrap_or_default();
        for path in others.split(|&b| b == 0).filter(|t| !t.is_empty()) {
            out.push(("untracked", String::from_utf8_lossy(path).into_owned()));
        }
        Ok(out)
    }

    /// Git's object id of the file at `path` as it is on disk (`git hash-object`): the id a
    /// reviewer can recompute, and the blob id git would store.
    pub fn hash_object(&self, path: &Path) -> Result<Option<String>, GitError> {
        Ok(self
            .output([
                OsStr::new("hash-object"),
                OsStr::new("--"),
                path.as_os_str(),
            ])?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The changes staged for the next commit: `git diff --cached` against `HEAD` (or the
    /// empty tree before the first commit), renames listed as a deletion and an addition.
    /// Only the index is read, so unstaged edits are not listed and index-only changes are.
    pub fn staged(&self, detail: Detail) -> Result<ChangeStream, GitError> {
        self.staged_against(None, detail)
    }

    /// Like [`Git::staged`], but against commit `rev` instead of `HEAD` when given.
    pub fn staged_against(
        &self,
        rev: Option<&str>,
        detail: Detail,
    ) -> Result<ChangeStream, GitError> {
        let mut args = match detail {
            Detail::Modes => vec!["diff", "--cached", "--raw", "--no-abbrev"],
            Detail::Names => vec!["diff", "--cached", "--name-status"],
        };
        args.extend([
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "--no-relative",
            "--ignore-submodules=none",
        ]);
        args.extend(rev);
        args.push("--");
        self.stream(args, detail)
    }

    /// The commit being merged when a merge stopped for conflicts (`MERGE_HEAD`, the first
    /// one of an octopus merge), `None` when no merge is in progress.
    pub fn merge_head(&self) -> Result<Option<String>, GitError> {
        Ok(self
            .output(["rev-parse", "-q", "--verify", "MERGE_HEAD"])?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The changes of every commit in `range` (`A..B`; `A...B` means the same here: the
    /// commits `B` adds since the merge base), one [`Event::Commit`] before each commit's
    /// changes, oldest first. Root commits list every file. Merge commits list only what they
    /// change against every parent (`--cc`: conflict resolutions and edits made in the merge),
    /// since the commits they merge are judged on their own when they are in the range.
    pub fn range(&self, range: &str) -> Result<ChangeStream, GitError> {
        let format = "--format=%x01%H %(trailers:key=Lane,valueonly,unfold,separator=%x1f)";
        let mut args: Vec<OsString> = [
            "log",
            "-z",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--root",
            "--cc",
            "--reverse",
            "--no-ext-diff",
            "--no-textconv",
            "--no-relative",
            "--ignore-submodules=none",
            format,
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        if range.contains("...") {
            // `git log A...B` is the symmetric difference; keep only B's side.
            args.push("--right-only".into());
        }
        args.push(range.into());
        args.push("--".into());
        self.stream(args, Detail::Modes)
    }

    fn stream<I, S>(&self, args: I, detail: Detail) -> Result<ChangeStream, GitError>
    where
        I: IntoIterator<Item = S> + Clone,
        S: AsRef<OsStr>,
    {
        let command = describe(args.clone());
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(GitError::Spawn)?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr = child.stderr.take().expect("stderr is piped");
        // Drained on its own thread so a chatty git can never block on a full stderr pipe.
        let stderr = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });
        Ok(ChangeStream {
            child: Some(child),
            reader: BufReader::with_capacity(256 * 1024, stdout),
            stderr: Some(stderr),
            command,
            buf: Vec::with_capacity(4096),
            header: Vec::new(),
            pending: 0,
            status: Status::Other,
            is_dir: false,
            detail,
        })
    }
    /// The main checkout of the repository (the parent of the common `.git` directory, as
    /// `git rev-parse --path-format=absolute --git-common-dir` prints it), canonical; the
    /// current top level for a bare repository's linked worktree.
    ///
    /// Errors: not inside a git repository, or git cannot run.
    pub fn main_checkout(&self) -> Result<PathBuf, GitError> {
        let out = self
            .output(["rev-parse", "--path-format=absolute", "--git-common-dir"])?
            .filter(|o| !o.is_empty())
            .ok_or_else(|| {
                GitError::Output("`git rev-parse --git-common-dir` printed nothing".into())
            })?;
        let common = PathBuf::from(os_string(out));
        match common.file_name() {
            Some(n) if n == ".git" => {
                let main = common.parent().unwrap_or(&common);
                main.canonicalize().map_err(|e| {
                    GitError::Output(format!("cannot resolve {}: {e}", main.display()))
                })
            }
            _ => self.toplevel(),
        }
    }

    /// The linked and main worktrees (`git worktree list --porcelain -z`), in git's order
    /// (the main one first). Paths are as git records them (absolute).
    pub fn worktrees(&self) -> Result<Vec<Worktree>, GitError> {
        let out = self
            .output(["worktree", "list", "--porcelain", "-z"])?
            .unwrap_or_default();
        Ok(parse_worktrees(&out))
    }

    /// `git worktree add PATH BRANCH`, or with `-b BRANCH` (a new branch at `HEAD`) when
    /// `create` is true.
    ///
    /// Errors: git refuses (the path exists, the branch is checked out elsewhere, a bad name).
    pub fn worktree_add(&self, path: &Path, branch: &str, create: bool) -> Result<(), GitError> {
        let mut args: Vec<&OsStr> =
            vec![OsStr::new("worktree"), OsStr::new("add"), OsStr::new("-q")];
        if create {
            args.extend([OsStr::new("-b"), OsStr::new(branch), path.as_os_str()]);
        } else {
            args.extend([path.as_os_str(), OsStr::new(branch)]);
        }
        self.output(args).map(drop)
    }

    /// `git worktree remove PATH`, never forced: git itself refuses a worktree with
    /// uncommitted changes or untracked files.
    pub fn worktree_remove(&self, path: &Path) -> Result<(), GitError> {
        self.output([
            OsStr::new("worktree"),
            OsStr::new("remove"),
            path.as_os_str(),
        ])
        .map(drop)
    }

    /// True when `refs/heads/NAME` exists.
    pub fn branch_exists(&self, name: &str) -> Result<bool, GitError> {
        let full = format!("refs/heads/{name}");
        Ok(self
            .output(["rev-parse", "-q", "--verify", full.as_str()])?
            .is_some())
    }

    /// What `git status --porcelain -z` lists (tracked changes and untracked files that are
    /// not ignored), one entry per path as git prints it (`XY path`); empty when clean.
    pub fn uncommitted(&self) -> Result<Vec<String>, GitError> {
        let out = self
            .output(["status", "--porcelain", "-z", "--untracked-files=all"])?
            .unwrap_or_default();
        Ok(out
            .split(|&b| b == 0)
            .filter(|t| !t.is_empty())
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .collect())
    }

    /// The files git ignores here (`git status --porcelain -z --ignored=matching
    /// --untracked-files=all`, the `!!` entries), as paths relative to [`Git`]'s directory;
    /// `git worktree remove` deletes these without asking.
    pub fn ignored(&self) -> Result<Vec<String>, GitError> {
        let out = self
            .output([
                "status",
                "--porcelain",
                "-z",
                "--ignored=matching",
                "--untracked-files=all",
            ])?
            .unwrap_or_default();
        Ok(out
            .split(|&b| b == 0)
            .filter_map(|t| t.strip_prefix(b"!! "))
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .collect())
    }

    /// True when `path` (relative to [`Git`]'s directory) is in the `HEAD` commit and has no
    /// change, staged or not, against it. False before the first commit.
    pub fn is_committed(&self, path: &Path) -> Result<bool, GitError> {
        let in_head = self
            .output([
                OsStr::new("ls-tree"),
                OsStr::new("HEAD"),
                OsStr::new("--"),
                path.as_os_str(),
            ])
            .or_else(|e| match e {
                // An unborn branch has no `HEAD` tree.
                GitError::Failed { .. } => Ok(None),
                e => Err(e),
            })?
            .is_some_and(|o| !o.is_empty());
        if !in_head {
            return Ok(false);
        }
        let changed = self
            .output([
                OsStr::new("status"),
                OsStr::new("--porcelain"),
                OsStr::new("-z"),
                OsStr::new("--"),
                path.as_os_str(),
            ])?
            .is_some_and(|o| !o.is_empty());
        Ok(!changed)
    }

    /// True when commit `a` is an ancestor of (or equal to) commit `b`
    /// (`git merge-base --is-ancestor`): everything on `a` is in `b`.
    pub fn is_ancestor(&self, a: &str, b: &str) -> Result<bool, GitError> {
        Ok(self
            .output(["merge-base", "--is-ancestor", a, b])?
            .is_some())
    }

    /// The commit `HEAD` points at (full hex id), `None` before the first commit.
    pub fn head(&self) -> Result<Option<String>, GitError> {
        Ok(self
            .output(["rev-parse", "-q", "--verify", "HEAD^{commit}"])?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }
}

/// One entry of `git worktree list --porcelain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worktree {
    /// The worktree's top level, as git records it.
    pub path: PathBuf,
    /// The commit checked out (hex), `None` for a bare entry or an unborn branch.
    pub head: Option<String>,
    /// The branch checked out (short name, without `refs/heads/`), `None` when detached.
    pub branch: Option<String>,
}

/// Parses `git worktree list --porcelain -z`: attributes separated by NUL, entries by an
/// empty attribute. Format: git-worktree(1), "Porcelain Format".
fn parse_worktrees(out: &[u8]) -> Vec<Worktree> {
    let mut list = Vec::new();
    let mut cur: Option<Worktree> = None;
    for attr in out.split(|&b| b == 0) {
        if attr.is_empty() {
            list.extend(cur.take());
            continue;
        }
        let (key, value) = match attr.iter().position(|&b| b == b' ') {
            Some(i) => (&attr[..i], &attr[i + 1..]),
            None => (attr, &[][..]),
        };
        match key {
            b"worktree" => {
                list.extend(cur.take());
                cur = Some(Worktree {
                    path: PathBuf::from(os_str(value)),
                    head: None,
                    branch: None,
                });
            }
            b"HEAD" => {
                if let Some(w) = cur.as_mut() {
                    w.head = Some(String::from_utf8_lossy(value).into_owned());
                }
            }
            b"branch" => {
                if let Some(w) = cur.as_mut() {
                    let b = String::from_utf8_lossy(value);
                    w.branch = Some(b.strip_prefix("refs/heads/").unwrap_or(&b).to_string());
                }
            }
            _ => {}
        }
    }
    list.extend(cur);
    list
}

/// How much a staged listing says about each change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Git's raw format: status and each side's file mode, so a submodule (gitlink) is known
    /// as a directory. Git writes two object ids per path, which costs it about 1.4 times
    /// `Names` on a large listing.
    Modes,
    /// `--name-status`: status and path only; every path counts as a file.
    Names,
}

/// A running git listing, read one [`Event`] at a time with [`ChangeStream::next`] (each
/// event borrows the stream's buffer). Call [`ChangeStream::finish`] at the end to learn
/// whether git succeeded; dropping the stream early stops git.
pub struct ChangeStream {
    child: Option<Child>,
    reader: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    command: String,
    buf: Vec<u8>,
    header: Vec<u8>,
    /// Paths still to come for the current raw record (2 for a rename or copy).
    pending: u8,
    status: Status,
    is_dir: bool,
    detail: Detail,
}

impl ChangeStream {
    /// The next event, or `None` at the end of git's output.
    ///
    /// Errors: reading fails, or a token has an unexpected shape.
    #[allow(clippy::should_implement_trait)] // a lending iterator: events borrow the buffer
    pub fn next(&mut self) -> Result<Option<Event<'_>>, GitError> {
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(0, &mut self.buf)
                .map_err(GitError::Read)?;
            if n == 0 {
                if self.pending > 0 {
                    return Err(GitError::Output(
                        "a change record ends without its path".into(),
                    ));
                }
                return Ok(None);
            }
            if self.buf.last() == Some(&0) {
                self.buf.pop();
            }
            if self.pending > 0 {
                self.pending -= 1;
                return Ok(Some(Event::Change {
                    status: self.status,
                    path: &self.buf,
                    is_dir: self.is_dir,
                }));
            }
            // Outside a record: a commit header, a raw record, or the empty separator git
            // writes after a commit without changes. Git puts a newline before a commit's
            // first raw record.
            let token = self.buf.strip_prefix(b"\n").unwrap_or(&self.buf);
            match token.first() {
                None => continue,
                Some(&HEADER) => {
                    self.header.clear();
                    self.header.extend_from_slice(&token[1..]);
                    return parse_header(&self.header).map(Some);
                }
                Some(b':') => {
                    let (status, is_dir, paths) = parse_raw(token)?;
                    self.status = status;
                    self.is_dir = is_dir;
                    self.pending = paths;
                }
                Some(b'A'..=b'Z') if self.detail == Detail::Names => {
                    self.status = Status::from_letters(token);
                    self.is_dir = false;
                    self.pending = if matches!(self.status, Status::Renamed | Status::Copied) {
                        2
                    } else {
                        1
                    };
                }
                Some(_) => {
                    return Err(GitError::Output(format!(
                        "expected a change record, got {:?}",
                        String::from_utf8_lossy(&token[..token.len().min(60)])
                    )))
                }
            }
        }
    }

    /// Waits for git and reports whether it succeeded (with its stderr when not).
    pub fn finish(mut self) -> Result<(), GitError> {
        // Drain anything unread so git never blocks on a full pipe.
        io::copy(&mut self.reader, &mut io::sink()).map_err(GitError::Read)?;
        let status = self
            .child
            .take()
            .expect("not yet finished")
            .wait()
            .map_err(GitError::Read)?;
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        if status.success() {
            Ok(())
        } else {
            Err(GitError::Failed {
                command: self.command.clone(),
                stderr: trimmed(&stderr),
            })
        }
    }
}

impl Drop for ChangeStream {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `git ARGS` in `dir` with a fixed identity and neither the user's nor the system's
/// configuration, for unit tests that build repositories (integration tests have their own).
///
/// Panics when git cannot run or fails, with its stderr.
#[cfg(test)]
pub(crate) fn run_in_test_repo(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@e")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@e")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `HASH TRAILERS` (trailer values separated by 0x1f).
fn parse_header(header: &[u8]) -> Result<Event<'_>, GitError> {
    let text = std::str::from_utf8(header)
        .map_err(|_| GitError::Output("a commit header is not UTF-8".into()))?;
    let (id, trailers) = text.split_once(' ').unwrap_or((text, ""));
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(GitError::Output(format!("bad commit header {text:?}")));
    }
    let lanes = trailers
        .split(TRAILER_SEP as char)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    Ok(Event::Commit { id, lanes })
}

/// `:MODE... SHA... STATUS` (one colon and mode per side; a combined diff has one per parent
/// plus the result). Returns the status, whether any side is a gitlink, and how many paths
/// follow.
fn parse_raw(token: &[u8]) -> Result<(Status, bool, u8), GitError> {
    let colons = token.iter().take_while(|&&b| b == b':').count();
    let modes = colons + 1;
    let bad = || {
        GitError::Output(format!(
            "bad raw record {:?}",
            String::from_utf8_lossy(token)
        ))
    };
    let mut fields = token[colons..].split(|&b| b == b' ');
    let mut is_dir = false;
    for mode in fields.by_ref().take(modes) {
        is_dir |= mode == GITLINK;
    }
    let letters = fields.nth(modes).ok_or_else(bad)?;
    if fields.next().is_some() {
        return Err(bad());
    }
    let status = Status::from_letters(letters);
    let paths = if colons == 1 && matches!(status, Status::Renamed | Status::Copied) {
        2
    } else {
        1
    };
    Ok((status, is_dir, paths))
}

fn failed<I, S>(args: I, stderr: &[u8]) -> GitError
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    GitError::Failed {
        command: describe(args),
        stderr: trimmed(stderr),
    }
}

fn describe<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut s = String::from("git");
    for a in args {
        s.push(' ');
        s.push_str(&a.as_ref().to_string_lossy());
    }
    s
}

fn trimmed(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

/// Raw bytes as an OS string, unchanged on unix.
#[cfg(unix)]
pub fn os_string(bytes: Vec<u8>) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes)
}

/// Raw bytes as an OS string (lossy where the platform cannot hold arbitrary bytes).
#[cfg(not(unix))]
pub fn os_string(bytes: Vec<u8>) -> OsString {
    OsString::from(String::from_utf8_lossy(&bytes).into_owned())
}

/// Raw bytes as an OS string slice, unchanged on unix.
#[cfg(unix)]
pub fn os_str(bytes: &[u8]) -> &OsStr {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(bytes)
}

/// Raw bytes as an OS string slice; non-UTF-8 names are replaced by an empty string, which
/// no decision accepts as a project path.
#[cfg(not(unix))]
pub fn os_str(bytes: &[u8]) -> &OsStr {
    OsStr::new(std::str::from_utf8(bytes).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_records() {
        let t = |s: &str| parse_raw(s.as_bytes()).unwrap();
        assert_eq!(t(":100644 100644 abc def M"), (Status::Modified, false, 1));
        assert_eq!(t(":000000 100644 000 def A"), (Status::Added, false, 1));
        assert_eq!(t(":160000 160000 abc def M"), (Status::Modified, true, 1));
        assert_eq!(
            t(":100644 100644 abc def R087"),
            (Status::Renamed, false, 2)
        );
        assert_eq!(
            t("::100644 100644 100644 a b c MM"),
            (Status::Merged, false, 1)
        );
        assert!(parse_raw(b":100644 M").is_err());
    }

    #[test]
    fn worktree_listing() {
        let out = b"worktree /r/main\0HEAD abc\0branch refs/heads/main\0\0worktree /r/main-a b\0HEAD def\0detached\0\0worktree /r/x\0HEAD 123\0branch refs/heads/lanes/builder\0locked\0\0";
        let w = parse_worktrees(out);
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].branch.as_deref(), Some("main"));
        assert_eq!(w[1].path, PathBuf::from("/r/main-a b"));
        assert_eq!(
            (w[1].head.as_deref(), w[1].branch.as_deref()),
            (Some("def"), None)
        );
        assert_eq!(w[2].branch.as_deref(), Some("lanes/builder"));
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header(b"abc123 ").unwrap(),
            Event::Commit {
                id: "abc123",
                lanes: vec![]
            }
        );
        assert_eq!(
            parse_header(b"abc123 builder\x1f reviewer").unwrap(),
            Event::Commit {
                id: "abc123",
                lanes: vec!["builder", "reviewer"]
            }
        );
        assert!(parse_header(b"not-a-hash x").is_err());
    }
}
