//! Path safety: turning a path named by a tool call into the file it really reaches.
//!
//! Every target goes through three steps, in this order:
//! 1. [`absolutize`]: a relative path is joined to the tool call's `cwd`;
//! 2. [`resolve`]: `.` and `..` are applied and symlinks are followed component by component,
//!    like `realpath -m` (a missing tail is kept lexically, a dangling final symlink is
//!    followed), so a link made inside one's own lane cannot reach another lane;
//! 3. [`RepoPath::from_root`]: the physical path is made relative to the project root.
//!
//! This module imports nothing else of ours.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

/// How many symlinks one resolution may follow before it gives up (the kernel's own limit
/// is 40, `MAXSYMLINKS`); past it the path is reported as a loop, which fails closed.
const MAX_SYMLINKS: usize = 40;

/// A path relative to the project root, normalized: no `.` or `..` components, no leading or
/// trailing `/`. The empty path is the root itself. The only constructors normalize, so an
/// unnormalized path can never reach a decision.
#[derive(Clone, Debug, PartialOrd, Ord)]
pub struct RepoPath(PathBuf);

// Equal and hashed by bytes: being normalized, two paths with the same components have the
// same bytes, and comparing bytes skips `Path`'s component-by-component walk (a Bash command
// compares each of its written paths with each role's signal file).
impl PartialEq for RepoPath {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_os_str() == other.0.as_os_str()
    }
}

impl Eq for RepoPath {}

impl std::hash::Hash for RepoPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.as_os_str().hash(state);
    }
}

/// As its text (policy paths come from TOML strings, so they are UTF-8); read back through
/// [`RepoPath::new`], so a stored path is normalized like any other. For the parsed-policy cache.
impl serde::Serialize for RepoPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.to_str() {
            Some(text) => s.serialize_str(text),
            None => Err(serde::ser::Error::custom("a path that is not UTF-8")),
        }
    }
}

impl<'de> serde::Deserialize<'de> for RepoPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RepoPath, D::Error> {
        let text = String::deserialize(d)?;
        RepoPath::new(Path::new(&text))
            .ok_or_else(|| serde::de::Error::custom(format!("not a relative path: {text}")))
    }
}

impl RepoPath {
    /// The part of `path` below `root`, if `path` lies at or below it. Both must already be
    /// physical, absolute paths (see [`resolve`]); a path that merely shares a textual prefix
    /// (`/repo/researchers` for root `/repo/research`) is not below it.
    pub fn from_root(root: &Path, path: &Path) -> Option<RepoPath> {
        path.strip_prefix(root).ok().and_then(RepoPath::new)
    }

    /// Normalizes a relative path lexically (`a/./b/../c` is `a/c`). `None` when the path is
    /// absolute or climbs above its start with `..`.
    pub fn new(rel: &Path) -> Option<RepoPath> {
        if is_normal(rel.as_os_str().as_encoded_bytes()) {
            return Some(RepoPath(rel.to_path_buf())); // the common case, in one copy
        }
        let mut out = PathBuf::new();
        for c in rel.components() {
            match c {
                Component::Normal(part) => out.push(part),
                Component::CurDir => {}
                Component::ParentDir => {
                    if !out.pop() {
                        return None;
                    }
                }
                Component::RootDir | Component::Prefix(_) => return None,
            }
        }
        Some(RepoPath(out))
    }

    /// The path as a relative [`Path`] (empty for the root).
    pub fn as_path(&self) -> &Path {
        &self.0
    }

    /// The path's bytes split at its last `/`: (directory, file name). The directory is
    /// empty for a path at the root (and both are for the root itself).
    pub fn split_last(&self) -> (&[u8], &[u8]) {
        let bytes = self.0.as_os_str().as_encoded_bytes();
        match bytes.iter().rposition(|&b| b == b'/') {
            Some(at) => (&bytes[..at], &bytes[at + 1..]),
            None => (&bytes[..0], bytes),
        }
    }

    /// True for the project root itself.
    pub fn is_root(&self) -> bool {
        self.0.as_os_str().is_empty()
    }

    /// True when `self` is `dir` or lies below it, component-wise.
    pub fn starts_with(&self, dir: &RepoPath) -> bool {
        self.0.starts_with(&dir.0)
    }
}

/// True when `bytes` is already a normalized relative path: no leading, trailing or doubled
/// `/`, and no `.` or `..` component (what git lists, and most paths).
pub(crate) fn is_normal(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes
            .split(|&b| b == b'/')
            .all(|c| !c.is_empty() && c != b"." && c != b"..")
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            f.write_str(".")
        } else {
            write!(f, "{}", self.0.display())
        }
    }
}

/// Why a path named by a tool call cannot be judged. Every one of these blocks the call.
#[derive(Debug)]
pub enum PathError {
    /// The path is the empty string.
    Empty,
    /// The path holds a NUL byte, which no file name can contain.
    Nul,
    /// More than 40 symlinks were followed (a loop; the kernel's own limit).
    SymlinkLoop(PathBuf),
    /// A component could not be inspected (permission denied, I/O error).
    Io(PathBuf, io::Error),
    /// Longer than [`MAX_PATH_BYTES`]: the kernel refuses such a path in one call, and judging
    /// one component at a time would cost time that grows with its square.
    TooLong(usize),
}

/// The longest path lanes judges, in bytes: Linux's `PATH_MAX`.
pub const MAX_PATH_BYTES: usize = 4096;

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Empty => f.write_str("the path is empty"),
            PathError::Nul => f.write_str("the path contains a NUL byte"),
            PathError::SymlinkLoop(p) => {
                write!(f, "too many symlinks while resolving {}", p.display())
            }
            PathError::Io(p, e) => write!(f, "cannot inspect {}: {e}", p.display()),
            PathError::TooLong(n) => write!(
                f,
                "the path is {n} bytes long, more than the {MAX_PATH_BYTES} bytes lanes judges"
            ),
        }
    }
}

impl std::error::Error for PathError {}

/// Joins `raw` to `cwd` when it is relative. `cwd` must be absolute. Rejects the empty path
/// and NUL bytes. No normalization happens here; [`resolve`] does it.
pub fn absolutize(raw: &OsStr, cwd: &Path) -> Result<PathBuf, PathError> {
    if raw.is_empty() {
        return Err(PathError::Empty);
    }
    if raw.as_encoded_bytes().contains(&0) {
        return Err(PathError::Nul);
    }
    let p = Path::new(raw);
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    })
}

/// Normalizes an absolute path lexically: drops `.`, applies `..` to the text (never above
/// `/`), folds repeated and trailing slashes. It does not touch the file system.
pub fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// Resolves an absolute path to the physical file it names, the way the kernel would open
/// it: components are walked left to right, each existing symlink is replaced by its target
/// (relative targets against the link's directory), `..` removes the physical parent. Once a
/// component does not exist, the rest is applied lexically (`realpath -m`). A final component
/// that is a dangling symlink is followed too, since writing to it creates its target.
pub fn resolve(path: &Path) -> Result<PathBuf, PathError> {
    resolve_from(PathBuf::from("/"), path, path)
}

/// [`resolve`] for a path that may lie below `physical`, a directory path without symlinks
/// (as [`Path::canonicalize`] returns, like a policy's root): the components of `path` that
/// spell `physical` are taken as they are instead of being looked up one by one.
pub fn resolve_below(physical: &Path, path: &Path) -> Result<PathBuf, PathError> {
    match path.strip_prefix(physical) {
        Ok(rest) if physical.is_absolute() => resolve_from(physical.to_path_buf(), rest, path),
        _ => resolve(path),
    }
}

/// Walks the components of `rest` from the physical directory `out`; `path` is the whole
/// path, for errors.
fn resolve_from(mut out: PathBuf, rest: &Path, path: &Path) -> Result<PathBuf, PathError> {
    let len = path.as_os_str().len();
    if len > MAX_PATH_BYTES {
        return Err(PathError::TooLong(len));
    }
    // Components still to walk, in reverse order so `pop` yields the next one.
    let mut todo: Vec<PathBuf> = rest
        .components()
        .rev()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(PathBuf::from(p)),
            Component::ParentDir => Some(PathBuf::from("..")),
            _ => None,
        })
        .collect();
    let mut missing = false;
    let mut links = 0;
    while let Some(part) = todo.pop() {
        if part.as_os_str() == ".." {
            out.pop();
            continue;
        }
        out.push(&part);
        if missing {
            continue;
        }
        match std::fs::symlink_metadata(&out) {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(PathError::SymlinkLoop(path.to_path_buf()));
                }
                let target = std::fs::read_link(&out).map_err(|e| PathError::Io(out.clone(), e))?;
                out.pop();
                if target.is_absolute() {
                    out = PathBuf::from("/");
                }
                for c in target.components().rev() {
                    match c {
                        Component::Normal(p) => todo.push(PathBuf::from(p)),
                        Component::ParentDir => todo.push(PathBuf::from("..")),
                        _ => {}
                    }
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => missing = true,
            // A file used as a directory (`file.txt/x`): the write will fail; judge the text.
            Err(e) if e.raw_os_error() == Some(20) => missing = true,
            Err(e) => return Err(PathError::Io(out, e)),
        }
    }
    Ok(out)
}

/// [`resolve`] for many paths that share directories (the targets of one Bash command):
/// each directory is resolved once, then only the last component is looked at.
#[derive(Debug, Default)]
pub struct Resolver {
    /// The physical directory, keyed by the directory as written, in bytes (hashing a `Path`
    /// walks its components).
    dirs: std::cell::RefCell<HashMap<OsString, PathBuf, foldhash::fast::FixedState>>,
    /// A directory known to be physical (the project root), see [`resolve_below`].
    physical: Option<PathBuf>,
}

impl Resolver {
    /// A resolver for paths that mostly lie below `physical`, a directory path without
    /// symlinks (as [`Path::canonicalize`] returns): its components are not looked up again.
    pub fn below(physical: PathBuf) -> Resolver {
        Resolver {
            physical: Some(physical),
            ..Resolver::default()
        }
    }

    /// [`resolve`], from the physical directory when `path` lies below it.
    fn walk(&self, path: &Path) -> Result<PathBuf, PathError> {
        match &self.physical {
            Some(dir) => resolve_below(dir, path),
            None => resolve(path),
        }
    }

    /// Same result as [`resolve`]`(path)`.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, PathError> {
        self.resolve_dir(path).map(|(p, _)| p)
    }

    /// [`Resolver::resolve`], and whether the result is an existing directory.
    pub fn resolve_dir(&self, path: &Path) -> Result<(PathBuf, bool), PathError> {
        let full = |p: &Path| {
            self.walk(p).map(|r| {
                let d = r.is_dir();
                (r, d)
            })
        };
        // `DIR/NAME` split in bytes, not by `Path::parent` and `Path::file_name`, which parse
        // components (a third of this function). Anything unusual takes the full walk.
        let bytes = path.as_os_str().as_bytes();
        let Some(cut) = bytes.iter().rposition(|&b| b == b'/') else {
            return full(path);
        };
        let (parent, name) = (&bytes[..cut], &bytes[cut + 1..]);
        if parent.is_empty() || matches!(name, b"" | b"." | b"..") {
            return full(path);
        }
        let parent = OsStr::from_bytes(parent);
        let mut dirs = self.dirs.borrow_mut();
        let dir = match dirs.entry(parent.to_owned()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(self.walk(Path::new(parent))?),
        };
        let candidate = child(dir, name);
        drop(dirs);
        // Only the last component is looked at: a symlink takes the full walk; a file that
        // cannot be inspected is judged by its text, as a missing one is.
        match std::fs::symlink_metadata(&candidate) {
            Ok(meta) if meta.file_type().is_symlink() => full(&candidate),
            Ok(meta) => Ok((candidate, meta.is_dir())),
            Err(_) => Ok((candidate, false)),
        }
    }
}

/// `dir/name`, built in one allocation (`Path::join` parses and grows).
fn child(dir: &Path, name: &[u8]) -> PathBuf {
    let d = dir.as_os_str().as_bytes();
    let mut out = Vec::with_capacity(d.len() + 1 + name.len());
    out.extend_from_slice(d);
    if !d.ends_with(b"/") {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    PathBuf::from(OsString::from_vec(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn repo_paths_with_the_same_components_are_equal_and_hash_alike() {
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::default();
        let rp = |s: &str| RepoPath::new(Path::new(s)).unwrap();
        for (a, b) in [
            ("a/b", "a//b"),
            ("a/b", "./a/b/"),
            ("a/b", "a/x/../b"),
            ("", "."),
        ] {
            assert_eq!(rp(a), rp(b), "{a} vs {b}");
            assert_eq!(h.hash_one(rp(a)), h.hash_one(rp(b)), "{a} vs {b}");
        }
        assert_ne!(rp("a/b"), rp("a/bc"));
        assert_ne!(rp("a/b"), rp("a"));
    }

    macro_rules! lexical {
        ($($input:expr => $want:expr),* $(,)?) => {$(
            assert_eq!(normalize_lexically(Path::new($input)), PathBuf::from($want), "lexical {}", $input);
        )*};
    }

    #[test]
    fn lexical_table() {
        lexical! {
            "/repo/src/main.rs" => "/repo/src/main.rs",
            "/repo/./src//main.rs" => "/repo/src/main.rs",
            "/repo/src/../research/x" => "/repo/research/x",
            "/repo/src/" => "/repo/src",
            "/repo//src///" => "/repo/src",
            "/../../etc" => "/etc",
            "/" => "/",
        }
    }

    macro_rules! repo_path {
        ($($input:expr => $want:expr),* $(,)?) => {$(
            assert_eq!(RepoPath::new(Path::new($input)).map(|p| p.to_string()), $want.map(String::from), "repo path {}", $input);
        )*};
    }

    #[test]
    fn repo_path_table() {
        repo_path! {
            "src/main.rs" => Some("src/main.rs"),
            "./src/./main.rs" => Some("src/main.rs"),
            "src/../research/x" => Some("research/x"),
            "" => Some("."),
            "src/.." => Some("."),
            "../x" => None::<&str>,
            "a//b/" => Some("a/b"),
            "a/." => Some("a"),
            "a b/c\nd" => Some("a b/c\nd"),
            "src/../../x" => None::<&str>,
            "/abs" => None::<&str>,
        }
    }

    #[test]
    fn a_prefix_is_not_a_parent() {
        let root = Path::new("/repo/research");
        assert!(RepoPath::from_root(root, Path::new("/repo/researchers/x")).is_none());
        assert_eq!(
            RepoPath::from_root(root, Path::new("/repo/research/x"))
                .unwrap()
                .to_string(),
            "x"
        );
        let research = RepoPath::new(Path::new("research")).unwrap();
        assert!(!RepoPath::new(Path::new("researchers/x"))
            .unwrap()
            .starts_with(&research));
        assert!(RepoPath::new(Path::new("research/x"))
            .unwrap()
            .starts_with(&research));
    }

    #[test]
    fn absolutize_rejects_empty_and_nul() {
        let cwd = Path::new("/repo");
        assert!(matches!(
            absolutize(OsStr::new(""), cwd),
            Err(PathError::Empty)
        ));
        assert!(matches!(
            absolutize(OsStr::new("a\0b"), cwd),
            Err(PathError::Nul)
        ));
        assert_eq!(
            absolutize(OsStr::new("src/x"), cwd).unwrap(),
            PathBuf::from("/repo/src/x")
        );
        assert_eq!(
            absolutize(OsStr::new("/tmp/x"), cwd).unwrap(),
            PathBuf::from("/tmp/x")
        );
    }

    /// A temporary tree with the lanes `src/` and `research/`, canonicalized so `/tmp`
    /// symlinks on some systems do not disturb the comparisons.
    fn tree() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join("research")).unwrap();
        (dir, root)
    }

    #[test]
    fn symlinked_directory_inside_own_lane_reaches_the_other_lane() {
        let (_d, root) = tree();
        symlink("../research", root.join("src/link")).unwrap();
        let got = resolve(&root.join("src/link/new.txt")).unwrap();
        assert_eq!(got, root.join("research/new.txt"));
    }

    #[test]
    fn resolving_below_a_physical_root_answers_as_resolving_from_slash() {
        let (_d, root) = tree();
        std::fs::create_dir_all(root.join("research/deep")).unwrap();
        symlink("../research", root.join("src/link")).unwrap();
        symlink(root.join("research/deep"), root.join("src/abs")).unwrap();
        let outside = root.parent().unwrap().join("elsewhere/x");
        for rel in [
            "src/link/new.txt",
            "src/abs/../x",
            "src/../research/x",
            "../outside/y",
            "src/missing/../z",
            "",
        ] {
            let path = root.join(rel);
            assert_eq!(
                resolve_below(&root, &path).unwrap(),
                resolve(&path).unwrap(),
                "{rel}"
            );
        }
        assert_eq!(
            resolve_below(&root, &outside).unwrap(),
            resolve(&outside).unwrap()
        );
    }

    #[test]
    fn dangling_final_symlink_is_followed() {
        let (_d, root) = tree();
        symlink("../research/not-yet.txt", root.join("src/dangling")).unwrap();
        assert_eq!(
            resolve(&root.join("src/dangling")).unwrap(),
            root.join("research/not-yet.txt")
        );
    }

    #[test]
    fn absolute_symlink_and_dotdot_after_link_are_physical() {
        let (_d, root) = tree();
        std::fs::create_dir_all(root.join("research/deep")).unwrap();
        symlink(root.join("research/deep"), root.join("src/abs")).unwrap();
        // `src/abs/..` is `research`, not `src`: the kernel applies `..` after the link.
        assert_eq!(
            resolve(&root.join("src/abs/../x")).unwrap(),
            root.join("research/x")
        );
    }

    #[test]
    fn missing_tail_is_lexical() {
        let (_d, root) = tree();
        assert_eq!(
            resolve(&root.join("src/new/dir/../f")).unwrap(),
            root.join("src/new/f")
        );
        assert_eq!(
            resolve(&root.join("src/./a//b/")).unwrap(),
            root.join("src/a/b")
        );
    }

    #[test]
    fn symlink_loop_is_an_error() {
        let (_d, root) = tree();
        symlink("b", root.join("src/a")).unwrap();
        symlink("a", root.join("src/b")).unwrap();
        assert!(matches!(
            resolve(&root.join("src/a/x")),
            Err(PathError::SymlinkLoop(_))
        ));
    }

    #[test]
    fn the_resolver_agrees_with_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("real/sub")).unwrap();
        symlink(base.join("real"), base.join("link")).unwrap();
        symlink("sub", base.join("real/rel")).unwrap();
        symlink(base.join("nowhere"), base.join("real/dangling")).unwrap();
        for r in [Resolver::default(), Resolver::below(base.clone())] {
            for p in [
                "link/x",
                "link/sub/y",
                "link/rel/z",
                "link/rel",
                "link/dangling",
                "real/../link/sub",
                "link/sub",
                "new/file",
                // Spellings that the byte split must leave to the full walk, or split right.
                "link//sub/w",
                "link/sub/",
                "link/sub/.",
                "real/./rel/v",
                "link/..",
                "link/rel/..",
            ] {
                let abs = base.join(p);
                let (got, is_dir) = r.resolve_dir(&abs).unwrap();
                assert_eq!(got, resolve(&abs).unwrap(), "{p}");
                assert_eq!(is_dir, got.is_dir(), "{p}");
            }
        }
    }

    #[test]
    fn files_of_one_directory_asked_about_many_times_are_answered_as_by_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let d = base.join("d");
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::create_dir_all(base.join("elsewhere")).unwrap();
        std::fs::write(d.join("file"), "").unwrap();
        symlink(base.join("elsewhere"), d.join("to_dir")).unwrap();
        symlink("file", d.join("to_file")).unwrap();
        symlink(base.join("nowhere"), d.join("dangling")).unwrap();
        let mut names: Vec<String> = (0..16).map(|i| format!("new{i}")).collect();
        names.extend(["file", "sub", "to_dir", "to_file", "dangling"].map(String::from));
        names.extend(["sub", "to_dir", "file"].map(String::from)); // asked again
        for r in [Resolver::default(), Resolver::below(base.clone())] {
            for name in &names {
                let abs = d.join(name);
                let (got, is_dir) = r.resolve_dir(&abs).unwrap();
                assert_eq!(got, resolve(&abs).unwrap(), "{name}");
                assert_eq!(is_dir, got.is_dir(), "{name}");
            }
        }
    }
}
