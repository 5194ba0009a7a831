//! Hermetic temp git repos for e2e runs: a private HOME and TMPDIR beside the repo, a pinned git
//! identity, no system or global git config, `lanes.toml`, `.claude/settings.json` registering
//! this build's `lanes hook`, and subagent definitions in `.claude/agents/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use tempfile::TempDir;

/// The policy every scenario uses unless it sets its own.
pub const POLICY: &str = r#"mode = "enforce"
unassigned = "allow"
audit = ".lanes/audit.jsonl"

[roles.researcher]
write = ["research/"]

[roles.builder]
write = ["src/"]

[shared]
write = ["target/"]
"#;

/// The tools the hook is registered for (anchored: an unanchored `Write` would hit `TodoWrite`).
pub const HOOK_MATCHER: &str =
    "^(Write|Edit|MultiEdit|NotebookEdit|Bash|Monitor|PowerShell|Agent|Task|mcp__.*)$";

/// A temp dir holding `repo/`, `home/` and `tmp/`; deleted on drop.
pub struct TestRepo {
    dir: TempDir,
}

impl TestRepo {
    /// A committed git repo with `policy` as `lanes.toml`, the lanes hook registered, one
    /// subagent definition per name in `agents`, and empty `src/` and `research/`.
    pub fn new(policy: &str, agents: &[&str]) -> TestRepo {
        let repo = TestRepo::empty();
        repo.write("lanes.toml", policy);
        repo.write(".claude/settings.json", &hook_settings());
        for name in agents {
            repo.write(
                &format!(".claude/agents/{name}.md"),
                &agent_definition(name),
            );
        }
        repo.write("src/.gitkeep", "");
        repo.write("research/.gitkeep", "");
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "-m", "init"]);
        repo
    }

    /// A committed git repo set up by `lanes init` alone (default template) and holding
    /// `src/`, `research/` and `reviews/`, with
    /// `--hook-command` naming this build, so an installed `lanes` on PATH cannot stand in.
    pub fn by_init() -> TestRepo {
        let repo = TestRepo::empty();
        repo.lanes_init(&[]);
        // The template's lanes, present as they would be in a project.
        for lane in ["src", "research", "reviews"] {
            repo.write(&format!("{lane}/.gitkeep"), "");
        }
        repo.git(&["add", "-A"]);
        // The commit is set-up, not a subject of the test: skip the pre-commit hook init installed.
        repo.git(&["commit", "-q", "--no-verify", "-m", "lanes init"]);
        repo
    }

    /// A committed git repo holding `policy`, `src/` and `research/`, set up by
    /// `lanes init --client CLIENT` (naming this build) for another agent CLI, and `files`
    /// (path, text), such as the client's subagent definitions.
    pub fn for_client(policy: &str, client: &str, files: &[(&str, &str)]) -> TestRepo {
        let repo = TestRepo::empty();
        repo.write("lanes.toml", policy);
        repo.write("src/.gitkeep", "");
        repo.write("research/.gitkeep", "");
        for (path, text) in files {
            repo.write(path, text);
        }
        repo.lanes_init(&["--client", client]);
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "--no-verify", "-m", "lanes init"]);
        repo
    }

    /// Runs `lanes init ARGS --hook-command <this build>` in the repo, hermetically (its own
    /// HOME, no git config), and asserts it succeeded. Naming this build means an installed
    /// `lanes` on PATH cannot stand in.
    fn lanes_init(&self, args: &[&str]) {
        let out = Command::new(env!("CARGO_BIN_EXE_lanes"))
            .arg("init")
            .args(args)
            .args(["--hook-command", env!("CARGO_BIN_EXE_lanes")])
            .current_dir(self.root())
            .env("HOME", self.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("PATH", super::host_path())
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("run lanes init");
        assert!(
            out.status.success(),
            "lanes init {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A git repo with nothing in it yet.
    fn empty() -> TestRepo {
        let tmp_root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        fs::create_dir_all(tmp_root).expect("create CARGO_TARGET_TMPDIR");
        let dir = tempfile::Builder::new()
            .prefix("lanes-e2e-")
            .tempdir_in(tmp_root)
            .expect("create temp dir");
        let repo = TestRepo { dir };
        for d in [repo.root(), repo.home(), repo.tmp()] {
            fs::create_dir_all(d).expect("create dir");
        }
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "lanes e2e"]);
        repo.git(&["config", "user.email", "e2e@lanes.invalid"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    /// The work tree claude runs in.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// Private HOME for claude (its `~/.claude.json`, transcripts) and git.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Private TMPDIR: claude keeps task output and sockets under `$TMPDIR/claude-<uid>/`.
    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// Directory for run artifacts (stub log, stub stderr), outside the work tree.
    pub fn artifacts(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// `rel` resolved against the work tree.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Writes `rel` (creating parent dirs).
    pub fn write(&self, rel: &str, contents: &str) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("create parent dir");
        fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
    }

    /// Runs git in the work tree with the hermetic environment; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.root())
            .env("HOME", self.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Project settings registering this build's lanes binary, exec form (no shell), for every
/// event `lanes init` registers (PreToolUse, PostToolUse, PostToolUseFailure,
/// UserPromptSubmit).
pub fn hook_settings() -> String {
    let settings =
        json!({ "hooks": lanes::scaffold::settings::hooks(env!("CARGO_BIN_EXE_lanes")) });
    assert_eq!(
        settings["hooks"]["PreToolUse"][0]["matcher"], HOOK_MATCHER,
        "the e2e matcher is the one lanes init writes"
    );
    serde_json::to_string_pretty(&settings).expect("settings json")
}

/// A minimal subagent file; `name` becomes the hook input's `agent_type`.
pub fn agent_definition(name: &str) -> String {
    format!("---\nname: {name}\ndescription: The {name} lane for lanes e2e tests.\n---\nYou are the {name}.\n")
}
