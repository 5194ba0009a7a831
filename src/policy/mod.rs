//! The policy, `lanes.toml`: which role may write where.
//!
//! Data flows one way through the submodules: `raw` (the TOML shapes) -> `data` (checked,
//! from the text alone) -> [`Policy`] (plain, with where it lies) -> [`Lanes`] (its pattern
//! lists compiled on first use, for one call). [`find`] locates the file by walking up from a
//! directory; the hook reads it through the parsed-policy cache ([`Policy::load_cached`]).

mod cache;
mod data;
mod error;
mod lane;
mod lanes;
mod literal;
mod model;
mod owners;
mod pattern;
mod raw;

pub use error::PolicyError;
pub use lane::Lane;
pub use lanes::Lanes;
pub use model::{Policy, PolicyData, Role, DEFAULT_AUDIT, LANES_DIR, POLICY_FILE};
pub use pattern::{first_component, Pattern, PatternList, PatternRef};
pub use raw::{BashAction, BashSettings, Mode, Unassigned};

use owners::OwnerIndex;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest policy file lanes reads. A policy of 200 roles with 50 patterns each is about
/// 216 KB; past this, reading is refused rather than held up (a file that never ends, a
/// pseudo-file reporting size 0).
pub const MAX_POLICY_BYTES: u64 = 4 << 20;

/// A policy read for `lanes hook`, with the owner index the parsed-policy cache kept for it.
#[derive(Debug)]
pub struct Loaded {
    /// The policy.
    pub policy: Policy,
    owners: Option<OwnerIndex>,
}

/// A policy read without the cache.
impl From<Policy> for Loaded {
    fn from(policy: Policy) -> Loaded {
        Loaded {
            policy,
            owners: None,
        }
    }
}

impl Loaded {
    /// The policy's lanes, with the cached owner index when there was one.
    pub fn lanes(&self) -> Lanes<'_> {
        Lanes::new(&self.policy).with_owner_index(self.owners.clone())
    }
}

impl Policy {
    /// Reads and checks the policy at `file`. The project root is the file's directory.
    ///
    /// Errors: the file cannot be read, is not a regular file or is larger than
    /// [`MAX_POLICY_BYTES`]; its directory cannot be resolved; TOML syntax; unknown keys and
    /// wrong types (serde, with `deny_unknown_fields`); semantic errors (unknown role in
    /// `spawn`, an `agents` name claimed by two roles, a bad `audit` path). Every error names
    /// the file, and where it can, the line, column and key.
    pub fn load(file: &Path) -> Result<Policy, PolicyError> {
        let source = read_text(file)?;
        Policy::parse(file, &project_root(file)?, source)
    }

    /// Checks `source` as the policy `file` of the project at `root` (already canonical).
    ///
    /// Errors: as [`Policy::load`], but for reading.
    pub fn parse(file: &Path, root: &Path, source: String) -> Result<Policy, PolicyError> {
        let data = data::parse(file, &source)?;
        Ok(Policy::assemble(file, root, source, data))
    }

    /// Compiles `list`, which need not be one of this policy's lists (`lanes validate` checks
    /// each pattern on its own), naming this policy's file and text in errors.
    ///
    /// Errors: a pattern is not allowed or does not compile.
    pub fn compile(&self, list: &PatternList) -> Result<Lane, PolicyError> {
        Lane::compile(list.patterns(), &self.file, self.source())
    }

    /// [`Policy::load`] for `lanes hook`, which runs on every tool call: a policy of 4 KiB or
    /// more is taken from the parsed-policy cache `ROOT/.lanes/cache/policy.bin` when the
    /// cache was made from the very same text, and parsed (and the cache rewritten)
    /// otherwise. The answer is the same as [`Policy::load`]'s: a cache that cannot be read,
    /// decoded or trusted is ignored, and failing to write one is too. Commands other than the
    /// hook parse the policy every time, and so does `lanes explain --hook-input`, which
    /// writes nothing.
    ///
    /// Errors: as [`Policy::load`].
    pub fn load_cached(file: &Path) -> Result<Loaded, PolicyError> {
        let source = read_text(file)?;
        let root = project_root(file)?;
        if source.len() < cache::MIN_SOURCE_BYTES {
            return Ok(Loaded {
                policy: Policy::parse(file, &root, source)?,
                owners: None,
            });
        }
        let cache_file = root.join(cache::CACHE_FILE);
        if let Some((data, owners)) = cache::read(&cache_file, &source) {
            return Ok(Loaded {
                policy: Policy::assemble(file, &root, source, data),
                owners: Some(owners),
            });
        }
        let data = data::parse(file, &source)?;
        let owners = OwnerIndex::build(data.roles.iter().map(|r| Some(&r.write)));
        // The decision never depends on the cache being written (a read-only checkout, a
        // full disk): the next run parses again.
        let _ = cache::write(&cache_file, &source, &data, &owners);
        Ok(Loaded {
            policy: Policy::assemble(file, &root, source, data),
            owners: Some(owners),
        })
    }
}

/// The text of the policy `file`: a regular file (a symlink is followed) of at most
/// [`MAX_POLICY_BYTES`], counted as read, since some pseudo-files report a size of 0.
/// A FIFO or a device is refused before it is opened, so reading cannot block.
fn read_text(file: &Path) -> Result<String, PolicyError> {
    let fail = |m: String| PolicyError::file(file, m);
    let cannot = |e: std::io::Error| fail(format!("cannot read the policy: {e}"));
    let not_regular = || fail("cannot read the policy: it is not a regular file".into());
    if !std::fs::metadata(file).map_err(cannot)?.is_file() {
        return Err(not_regular());
    }
    let f = std::fs::File::open(file).map_err(cannot)?;
    // Checked again on what was opened: the name may have been replaced in between.
    if !f.metadata().map_err(cannot)?.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    f.take(MAX_POLICY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_POLICY_BYTES {
        return Err(fail(format!(
            "cannot read the policy: it is larger than {} MiB",
            MAX_POLICY_BYTES >> 20
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| fail("cannot read the policy: it is not valid UTF-8".into()))
}

/// The project root: the directory of the policy `file`, canonicalized.
fn project_root(file: &Path) -> Result<PathBuf, PolicyError> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    dir.canonicalize().map_err(|e| {
        PolicyError::file(
            file,
            format!("cannot resolve the project root {}: {e}", dir.display()),
        )
    })
}

/// Finds the policy that governs work done in `dir`: `explicit` when given (`--policy`,
/// `LANES_POLICY`; relative to `dir`), else the **outermost** `lanes.toml` among `dir` and its
/// ancestors. `None` means the project does not use lanes.
///
/// Outermost, not nearest: a role may write inside its lanes, so a nearer `lanes.toml` could be
/// one it wrote to judge itself. When policies nest, the outer one governs everything below
/// it, and a `lanes.toml` below is an ordinary file (protected for role sessions: see
/// [`is_policy_name`]).
pub fn find(dir: &Path, explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(dir.join(p));
    }
    dir.ancestors()
        .map(|d| d.join(POLICY_FILE))
        .filter(|p| std::fs::symlink_metadata(p).is_ok())
        .last()
}

/// True when `name` (a path's last component) is the policy file's name: no role session may
/// write a file of that name anywhere, so none can plant a policy that would govern it.
pub fn is_policy_name(name: &std::ffi::OsStr) -> bool {
    name == POLICY_FILE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::RepoPath;

    pub(crate) fn parse(src: &str) -> Result<Policy, PolicyError> {
        Policy::parse(Path::new("lanes.toml"), Path::new("/repo"), src.to_string())
    }

    const EXAMPLE: &str = r#"
mode = "enforce"
unassigned = "allow"
audit = ".lanes/audit.jsonl"

[roles.researcher]
description = "Researches; never writes code."
write = ["research/"]
agents = ["researcher"]
signal = "research/DONE.md"

[roles.builder]
write = ["src/", "package.json"]
spawn = ["reviewer"]

[roles.reviewer]
write = ["reviews/"]

[shared]
write = ["target/", "node_modules/"]

[protected]
paths = ["contracts/"]
"#;

    #[test]
    fn the_documented_example_parses() {
        let p = parse(EXAMPLE).unwrap();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(
            p.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["researcher", "builder", "reviewer"]
        );
        assert_eq!(p.role("builder").unwrap().agents(), ["builder"]);
        assert_eq!(p.role_for_agent("researcher").unwrap().name, "researcher");
        assert_eq!(p.audit.as_ref().unwrap().to_string(), ".lanes/audit.jsonl");
        let builtin: Vec<_> = p.builtin_protected.patterns().map(|p| p.text).collect();
        assert_eq!(
            builtin,
            [
                "**/lanes.toml",
                "lanes.toml",
                "**/.claude/",
                "**/.codex/",
                "**/.gemini/",
                ".github/hooks/",
                "**/.git",
                ".lanes/"
            ]
        );
        Lanes::new(&p).compile_all().unwrap();
    }

    #[test]
    fn after_names_the_roles_to_wait_for_in_order() {
        let p = parse("[roles.r]\nsignal = \"r/D\"\n[roles.s]\nsignal = \"s/D\"\n[roles.b]\nafter = [\"s\", \"r\"]\n").unwrap();
        assert_eq!(p.role("b").unwrap().after(), ["s", "r"]);
        assert!(p.role("r").unwrap().after().is_empty());
    }

    macro_rules! rejects {
        ($($src:expr => $msg:expr),* $(,)?) => {$(
            let err = parse($src).unwrap_err().to_string();
            assert_eq!(err, $msg, "for policy {:?}", $src);
        )*};
    }

    #[test]
    fn strict_parsing_names_file_line_column_and_key() {
        rejects! {
            "mode = \"strict\"\n" => "lanes.toml:1:8: mode: unknown variant `strict`, expected `enforce` or `log`",
            "[roles.b]\nwirte = [\"src/\"]\n" => "lanes.toml:2:1: roles.b.wirte: unknown field `wirte`, expected one of `description`, `write`, `agents`, `signal`, `signal_requires`, `spawn`, `branches`, `after`",
            "[roles.b]\nwrite = \"src/\"\n" => "lanes.toml:2:9: roles.b.write: invalid type: string \"src/\", expected a sequence",
            "audit = 3\n" => "lanes.toml:1:9: audit: invalid type: integer `3`, expected a path relative to the project root, or false to turn the audit log off",
            "audit = \"../x\"\n" => "lanes.toml:1:9: audit: `../x` must be a file path inside the project root",
            "[rolez]\n" => "lanes.toml:1:2: rolez: unknown field `rolez`, expected one of `mode`, `unassigned`, `audit`, `roles`, `shared`, `protected`, `mcp_tools`, `bash`",
            "[roles.a]\nspawn = [\"nobody\"]\n" => "lanes.toml:2:10: roles.a.spawn: `spawn` names `nobody`, which is not a role",
            "[roles.a]\nafter = [\"nobody\"]\n" => "lanes.toml:2:10: roles.a.after: `after` names `nobody`, which is not a role",
            "[roles.a]\nsignal = \"a/DONE\"\nafter = [\"a\"]\n" => "lanes.toml:3:10: roles.a.after: role `a` cannot start after itself",
            "[roles.a]\n[roles.b]\nafter = [\"a\"]\n" => "lanes.toml:3:10: roles.b.after: `after` names `a`, which has no `signal` file to wait for",
            "[roles.a]\nsignal = \"a/D\"\nafter = [\"c\"]\n[roles.b]\nsignal = \"b/D\"\nafter = [\"a\"]\n[roles.c]\nsignal = \"c/D\"\nafter = [\"b\"]\n" => "lanes.toml:6:10: roles.b.after: `after` makes a cycle (a waits for c, c waits for b, b waits for a): none of them would ever start",
            "[roles.a]\nagents = [\"x\"]\n[roles.b]\nagents = [\"x\"]\n" => "lanes.toml:3:8: roles.b: agent `x` is claimed by roles `a` and `b`; each agent_type may act as one role only",
            "[roles.a]\nsignal = \"../DONE.md\"\n" => "lanes.toml:2:10: roles.a.signal: signal `../DONE.md` must be a file path inside the project",
            "[bash]\nopaque = \"sometimes\"\n" => "lanes.toml:2:10: bash.opaque: unknown variant `sometimes`, expected one of `allow`, `ask`, `deny`",
            "[bash]\nopaq = \"ask\"\n" => "lanes.toml:2:1: bash.opaq: unknown field `opaq`, expected one of `opaque`, `unknown_target`, `repo_wide`, `unparseable`",
            "mode = \n" => "lanes.toml:1:8: mode: string values must be quoted, expected literal string",
        }
    }

    #[test]
    fn signal_outside_the_lane_is_an_error_when_the_lane_compiles() {
        let p = parse("[roles.a]\nwrite = [\"a/\"]\nsignal = \"b/DONE.md\"\n").unwrap();
        let e = Lanes::new(&p).role_lane(p.role("a").unwrap()).unwrap_err();
        assert_eq!(e.to_string(), "lanes.toml:3:10: roles.a.signal: signal `b/DONE.md` of role `a` lies outside the role's lanes");
    }

    #[test]
    fn audit_can_be_turned_off_or_moved() {
        assert!(parse("audit = false\n").unwrap().audit.is_none());
        let p = parse("audit = \"log.jsonl\"\n").unwrap();
        assert_eq!(p.audit.unwrap().to_string(), "log.jsonl");
        let builtin: Vec<_> = p.builtin_protected.patterns().map(|p| p.text).collect();
        assert_eq!(*builtin.last().unwrap(), "log.jsonl");
    }

    #[test]
    fn mcp_tool_map_has_defaults_and_accepts_globs() {
        let p = parse("[mcp_tools]\n\"mcp__notes__*\" = \"file\"\n\"mcp__filesystem__write_file\" = [\"path\", \"alt\"]\n").unwrap();
        assert_eq!(
            p.mcp_fields("mcp__filesystem__move_file").unwrap(),
            ["source", "destination"]
        );
        assert_eq!(
            p.mcp_fields("mcp__filesystem__write_file").unwrap(),
            ["path", "alt"]
        );
        assert_eq!(p.mcp_fields("mcp__notes__save").unwrap(), ["file"]);
        assert!(p.mcp_fields("mcp__filesystem__read_file").is_none());
    }

    #[test]
    fn name_globs() {
        assert!(model::glob_name_match("a*c", "abc"));
        assert!(model::glob_name_match("*", "x"));
        assert!(model::glob_name_match(
            "mcp__*__write_file",
            "mcp__fs__write_file"
        ));
        assert!(!model::glob_name_match(
            "mcp__*__write_file",
            "mcp__fs__write_files"
        ));
        assert!(!model::glob_name_match("abc", "abcd"));
    }

    #[test]
    fn branches_map_to_the_first_matching_role() {
        let p = parse("[roles.a]\nbranches = [\"build/*\", \"main\"]\n[roles.b]\nbranches = [\"build/**\", \"r?\"]\n")
            .unwrap();
        let lanes = Lanes::new(&p);
        let who = |b: &str| lanes.role_for_branch(b).unwrap().map(|r| r.name.clone());
        assert_eq!(who("build/x").as_deref(), Some("a"));
        assert_eq!(
            who("build/x/y").as_deref(),
            Some("b"),
            "`*` stays in one component"
        );
        assert_eq!(who("main").as_deref(), Some("a"));
        assert_eq!(who("r1").as_deref(), Some("b"));
        assert_eq!(who("builder"), None);
        let p = parse("[roles.a]\nbranches = [\n  \"x[\",\n]\n").unwrap();
        let e = Lanes::new(&p).compile_all().unwrap_err().to_string();
        assert!(
            e.starts_with("lanes.toml:3:3: roles.a.branches: invalid branch glob `x[`"),
            "{e}"
        );
    }

    /// The roles the owner index names for `path`, by name.
    fn owner_candidates(p: &Policy, path: &str) -> Vec<String> {
        let path = RepoPath::new(Path::new(path)).unwrap();
        let lanes = Lanes::new(p);
        let found = lanes
            .owner_index()
            .candidates(&path, p.roles.len())
            .unwrap();
        found.into_iter().map(|i| p.roles[i].name.clone()).collect()
    }

    #[test]
    fn owner_candidates_keep_file_order_and_include_wildcard_roles() {
        let p = parse("[roles.a]\nwrite = [\"src/\"]\n[roles.b]\nwrite = [\"*.md\"]\n[roles.c]\nwrite = [\"src/x/\", \"doc/\"]\n[roles.d]\nwrite = [\"doc/\"]\n")
            .unwrap();
        let names = |s: &str| owner_candidates(&p, s);
        assert_eq!(names("src/x/y.rs"), ["a", "b", "c"]);
        assert_eq!(names("doc/a.md"), ["b", "c", "d"]);
        assert_eq!(names("other/a"), ["b"]);
    }

    #[test]
    fn the_first_owner_lookups_return_every_role_then_the_index_answers() {
        let p = parse("[roles.a]\nwrite = [\"src/\"]\n[roles.b]\nwrite = [\"doc/\"]\n").unwrap();
        let path = RepoPath::new(Path::new("doc/x")).unwrap();
        let lanes = Lanes::new(&p);
        for _ in 0..lanes::OWNER_LOOKUPS_WITHOUT_INDEX {
            assert_eq!(lanes.roles_that_may_own(&path).len(), 2);
        }
        assert_eq!(
            lanes
                .roles_that_may_own(&path)
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
    }

    #[test]
    fn owner_candidates_by_a_component_anywhere_and_unsure_roles_everywhere() {
        let p = parse("[roles.a]\nwrite = [\"src/\"]\n[roles.e]\nwrite = [\"**/.cache/\", \"tmp/\"]\n[roles.f]\nwrite = [\"[ab]/\"]\n")
            .unwrap();
        let names = |s: &str| owner_candidates(&p, s);
        // `[ab]/` could be malformed as far as the text shows: `f` is asked for every path.
        assert_eq!(names("src/.cache/x"), ["a", "e", "f"]);
        assert_eq!(names("tmp/x"), ["e", "f"]);
        assert_eq!(names("src/x"), ["a", "f"]);
    }

    #[test]
    fn find_walks_up_to_the_outermost_policy() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("lanes.toml"), "").unwrap();
        assert_eq!(
            find(&dir.path().join("a/b"), None),
            Some(dir.path().join("lanes.toml"))
        );
        // A nested policy (one a role could have written in its lane) does not govern.
        std::fs::write(dir.path().join("a/lanes.toml"), "").unwrap();
        assert_eq!(
            find(&dir.path().join("a/b"), None),
            Some(dir.path().join("lanes.toml"))
        );
        assert_eq!(
            find(&dir.path().join("a"), Some(Path::new("x.toml"))),
            Some(dir.path().join("a/x.toml"))
        );
    }

    #[test]
    fn only_a_regular_policy_file_of_bounded_size_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let zero = dir.path().join("zero.toml");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let big = dir.path().join("big.toml");
        let line = "# filler\n".repeat(1024);
        std::fs::write(
            &big,
            line.repeat((MAX_POLICY_BYTES as usize / line.len()) + 1),
        )
        .unwrap();
        for (file, want) in [
            (&fifo, "it is not a regular file"),
            (&zero, "it is not a regular file"),
            (&big, "it is larger than 4 MiB"),
        ] {
            // A FIFO with no writer would block an `open` for reading: refused before it.
            let e = Policy::load(file).unwrap_err().to_string();
            assert!(
                e.contains(want) && e.contains(&*file.to_string_lossy()),
                "{e}"
            );
            let e = Policy::load_cached(file).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
    }
}
