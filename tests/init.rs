//! `lanes init` and `lanes uninstall` through the real binary, in hermetic temporary git
//! repositories: fresh; with the user's own settings, CLAUDE.md, agents and pre-commit hook;
//! broken settings; `core.hooksPath`; idempotence (every file's bytes and mode); a policy
//! change flowing into CLAUDE.md; uninstall restoring what init found.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary git repository with a private HOME and a PATH holding git, sh and
/// (optionally) a `lanes`, so the command lanes registers does not depend on the machine.
struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    bin: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let home = tmp.path().join("home");
        let bin = tmp.path().join("bin");
        for d in [&root, &home, &bin] {
            fs::create_dir_all(d).unwrap();
        }
        let git = ["/usr/local/bin/git", "/usr/bin/git", "/bin/git"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("git is installed");
        symlink(git, bin.join("git")).unwrap();
        let repo = Repo {
            root: root.canonicalize().unwrap(),
            home,
            bin,
            _tmp: tmp,
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn path_var(&self) -> String {
        format!("{}:/usr/bin:/bin", self.bin.display())
    }

    fn git(&self, args: &[&str]) -> Output {
        let out = support::git_command(&self.root, &self.home)
            .env("PATH", self.path_var())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `git commit` through the installed hooks; returns whether it succeeded, and stderr.
    fn commit(&self, message: &str) -> (bool, String) {
        let out = support::git_command(&self.root, &self.home)
            .env("PATH", self.path_var())
            .args(["commit", "-q", "-m", message])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `lanes ARGS` in the repository, not yet run.
    fn lanes_command(&self, args: &[&str]) -> Command {
        let mut cmd = support::lanes();
        cmd.current_dir(&self.root)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("PATH", self.path_var())
            .args(args);
        cmd
    }

    fn lanes(&self, args: &[&str]) -> Run {
        let out = self.lanes_command(args).output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn exists(&self, rel: &str) -> bool {
        self.root.join(rel).exists()
    }

    fn executable(&self, rel: &str, text: &str) {
        self.write(rel, text);
        fs::set_permissions(self.root.join(rel), fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Asserts that the tree equals `before`, naming each file that differs.
    fn assert_unchanged(&self, before: &BTreeMap<PathBuf, (Vec<u8>, u32)>, why: &str) {
        let after = self.snapshot();
        let mut diffs = Vec::new();
        for path in before
            .keys()
            .chain(after.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            match (before.get(path), after.get(path)) {
                (Some(a), Some(b)) if a == b => {}
                (a, b) => diffs.push(format!(
                    "{}:\n--- before ({:o})\n{}\n--- after ({:o})\n{}",
                    path.display(),
                    a.map_or(0, |x| x.1),
                    a.map_or("<absent>".into(), |x| String::from_utf8_lossy(&x.0)
                        .into_owned()),
                    b.map_or(0, |x| x.1),
                    b.map_or("<absent>".into(), |x| String::from_utf8_lossy(&x.0)
                        .into_owned()),
                )),
            }
        }
        assert!(diffs.is_empty(), "{why}:\n{}", diffs.join("\n"));
    }

    /// Every file below the root (`.git` included): bytes and permission bits.
    fn snapshot(&self) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.root.clone()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let meta = fs::symlink_metadata(&p).unwrap();
                if meta.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(&self.root).unwrap().to_path_buf();
                    out.insert(rel, (fs::read(&p).unwrap(), meta.permissions().mode()));
                }
            }
        }
        out
    }

    fn settings(&self) -> Value {
        serde_json::from_str(&self.read(".claude/settings.json")).unwrap()
    }

    /// The lanes hook entries registered in settings.json.
    fn lanes_handlers(&self) -> Vec<Value> {
        self.settings()["hooks"]["PreToolUse"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["hooks"].as_array().unwrap().clone())
            .filter(|h| h["args"][0] == "hook")
            .collect()
    }
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(self) -> Run {
        assert_eq!(self.code, 0, "{self:#?}");
        self
    }
}

fn lanes_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lanes"))
        .canonicalize()
        .unwrap()
}

#[test]
fn fresh_repository_gets_everything_and_a_second_run_changes_no_byte() {
    let r = Repo::new();
    let out = r.lanes(&["init"]).ok();
    for line in [
        "created  lanes.toml",
        "created  CLAUDE.md",
        "created  .claude/settings.json",
        "created  .claude/agents/researcher.md",
        "created  .claude/agents/builder.md",
        "created  .claude/agents/reviewer.md",
        "created  .git/hooks/pre-commit",
        "created  .gitignore",
        "lanes run builder       (hook only: LANES_ROLE=builder claude, or claude --agent builder)",
    ] {
        assert!(
            out.stdout.contains(line),
            "missing {line:?} in\n{}",
            out.stdout
        );
    }
    assert_eq!(
        r.read("lanes.toml"),
        include_str!("../policies/research-build-review.toml")
    );
    // lanes is not on this PATH, so the hook names the running binary by absolute path, and says so.
    let exe = lanes_exe();
    let handlers = r.lanes_handlers();
    assert_eq!(handlers.len(), 1);
    assert_eq!(handlers[0]["command"], exe.to_str().unwrap());
    assert!(
        out.stdout.contains("lanes is not on PATH"),
        "{}",
        out.stdout
    );
    let hook = r.read(".git/hooks/pre-commit");
    assert!(
        hook.contains(&format!("lanes='{}'", exe.display())),
        "{hook}"
    );
    let mode = fs::metadata(r.root.join(".git/hooks/pre-commit"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111, "the hook is executable");
    assert!(r.read("CLAUDE.md").contains("### Role `builder`"));
    assert!(r
        .read(".claude/agents/builder.md")
        .starts_with("---\nname: builder\n"));
    assert_eq!(
        r.read(".gitignore"),
        "# lanes audit log (local, not committed)\n.lanes/\n"
    );

    let before = r.snapshot();
    let again = r.lanes(&["init"]).ok();
    r.assert_unchanged(&before, "a second lanes init changes no byte");
    assert!(
        again.stdout.starts_with("lanes init: nothing to change"),
        "{}",
        again.stdout
    );
}

#[test]
fn the_registered_hook_enforces_the_generated_policy() {
    let r = Repo::new();
    r.lanes(&["init"]).ok();
    let h = &r.lanes_handlers()[0];
    let run = |role: &str, rel: &str| {
        let payload = serde_json::json!({
            "session_id": "s", "cwd": r.root, "hook_event_name": "PreToolUse", "tool_name": "Write",
            "tool_input": {"file_path": r.root.join(rel), "content": "x"}
        });
        let mut child = Command::new(h["command"].as_str().unwrap())
            .args(
                h["args"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap()),
            )
            .current_dir(&r.root)
            .env("LANES_ROLE", role)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(payload.to_string().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(run("builder", "src/main.rs"), (Some(0), String::new()));
    let (code, stdout) = run("builder", "research/notes.md");
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("\"permissionDecision\":\"deny\""),
        "{stdout}"
    );
}

#[test]
fn existing_setup_is_kept_chained_and_restored_by_uninstall() {
    let r = Repo::new();
    // The user's settings, in the layout serde_json writes (2 spaces), so uninstall can
    // restore it byte for byte.
    let settings = "{\n  \"model\": \"opus\",\n  \"hooks\": {\n    \"PreToolUse\": [\n      {\n        \"matcher\": \"Bash\",\n        \"hooks\": [\n          {\n            \"type\": \"command\",\n            \"command\": \"guard.sh\"\n          }\n        ]\n      }\n    ],\n    \"Stop\": []\n  },\n  \"zzz\": {\n    \"b\": 1,\n    \"a\": 2\n  }\n}\n";
    r.write(".claude/settings.json", settings);
    let claude_md = "# Project notes\n\nUse tabs.\n";
    r.write("CLAUDE.md", claude_md);
    let builder_agent = "---\nname: builder\ndescription: my own builder\n---\nHand-written.\n";
    r.write(".claude/agents/builder.md", builder_agent);
    let user_hook = "#!/bin/sh\necho ran >> \"$(git rev-parse --show-toplevel)/.hook-ran\"\n";
    r.executable(".git/hooks/pre-commit", user_hook);
    // A stub lanes for the git hook: records its arguments, exits with $STUB_EXIT.
    let stub_dir = r.root.parent().unwrap().join("stub");
    fs::create_dir_all(&stub_dir).unwrap();
    let stub = stub_dir.join("lanes");
    fs::write(
        &stub,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}/.stub-args'\nexit $(cat '{}/.stub-exit' 2>/dev/null || echo 0)\n",
            r.root.display(),
            r.root.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&stub, fs::Permissions::from_mode(0o755)).unwrap();
    r.write(".git/info/exclude", ".hook-ran\n.stub-args\n.stub-exit\n");

    let out = r
        .lanes(&["init", "--hook-command", stub.to_str().unwrap()])
        .ok();
    assert!(
        out.stdout.contains("kept     .claude/agents/builder.md"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("your pre-commit hook is kept as .git/hooks/pre-commit.lanes-chained"),
        "{}",
        out.stdout
    );

    // settings: every other key and hook kept, in order; one lanes entry added.
    let s = r.settings();
    let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["model", "hooks", "zzz"]);
    assert_eq!(
        s["zzz"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["b", "a"]
    );
    let groups = s["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["hooks"][0]["command"], "guard.sh");
    assert_eq!(groups[1]["hooks"][0]["command"], stub.to_str().unwrap());
    assert_eq!(s["hooks"]["Stop"], serde_json::json!([]));
    // CLAUDE.md: the user's text first, byte for byte, then the block.
    let md = r.read("CLAUDE.md");
    assert!(
        md.starts_with(&format!("{claude_md}\n<!-- lanes:begin -->\n")),
        "{md}"
    );
    // Agents: the user's builder untouched, the others added.
    assert_eq!(r.read(".claude/agents/builder.md"), builder_agent);
    assert!(r.exists(".claude/agents/researcher.md") && r.exists(".claude/agents/reviewer.md"));
    // The user's hook is chained, with its mode.
    assert_eq!(r.read(".git/hooks/pre-commit.lanes-chained"), user_hook);

    // Idempotent with the user's files too.
    let before = r.snapshot();
    r.lanes(&["init", "--hook-command", stub.to_str().unwrap()])
        .ok();
    r.assert_unchanged(&before, "unchanged");

    // A real commit runs the user's hook, then `lanes check`.
    r.write("src/main.rs", "fn main() {}\n");
    r.git(&["add", "src/main.rs"]);
    let (ok, err) = r.commit("first");
    assert!(ok, "{err}");
    assert_eq!(r.read(".hook-ran"), "ran\n", "the user's hook still runs");
    assert_eq!(r.read(".stub-args"), "check\n");
    // `lanes check` exiting 1 refuses the commit; HEAD does not move.
    let head = r.git(&["rev-parse", "HEAD"]).stdout;
    r.write(".stub-exit", "1");
    r.write("src/lib.rs", "\n");
    r.git(&["add", "src/lib.rs"]);
    let (ok, _) = r.commit("second");
    assert!(!ok, "the commit is refused");
    assert_eq!(r.git(&["rev-parse", "HEAD"]).stdout, head);
    // A failing user hook stops the commit before lanes runs.
    fs::remove_file(r.root.join(".stub-exit")).unwrap();
    fs::remove_file(r.root.join(".stub-args")).unwrap();
    r.executable(".git/hooks/pre-commit.lanes-chained", "#!/bin/sh\nexit 3\n");
    let (ok, _) = r.commit("third");
    assert!(!ok);
    assert!(!r.exists(".stub-args"), "lanes check did not run");
    r.executable(".git/hooks/pre-commit.lanes-chained", user_hook);

    // Uninstall restores the user's files and keeps lanes.toml and the agents.
    let out = r.lanes(&["uninstall"]).ok();
    assert!(out.stdout.contains("kept lanes.toml"), "{}", out.stdout);
    assert_eq!(r.read(".claude/settings.json"), settings);
    assert_eq!(r.read("CLAUDE.md"), claude_md);
    assert_eq!(r.read(".git/hooks/pre-commit"), user_hook);
    assert!(!r.exists(".git/hooks/pre-commit.lanes-chained"));
    assert!(r.exists("lanes.toml") && r.exists(".claude/agents/researcher.md"));
    assert_eq!(r.read(".claude/agents/builder.md"), builder_agent);
    let before = r.snapshot();
    let again = r.lanes(&["uninstall"]).ok();
    assert!(again
        .stdout
        .starts_with("lanes uninstall: nothing to change"));
    r.assert_unchanged(&before, "unchanged");
}

#[test]
fn uninstall_after_a_fresh_init_removes_the_files_init_created() {
    let r = Repo::new();
    r.lanes(&["init"]).ok();
    r.lanes(&["uninstall"]).ok();
    for gone in [
        ".claude/settings.json",
        "CLAUDE.md",
        ".git/hooks/pre-commit",
    ] {
        assert!(!r.exists(gone), "{gone} removed");
    }
    for kept in ["lanes.toml", ".claude/agents/builder.md", ".gitignore"] {
        assert!(r.exists(kept), "{kept} kept");
    }
}

#[test]
fn unparsable_settings_stop_init_and_change_nothing() {
    let r = Repo::new();
    r.write(
        ".claude/settings.json",
        "{\n  \"model\": \"opus\",\n  oops\n}\n",
    );
    r.write("CLAUDE.md", "# mine\n");
    let before = r.snapshot();
    let out = r.lanes(&["init"]);
    assert_eq!(out.code, 2, "{out:#?}");
    let settings = r.root.join(".claude/settings.json");
    assert_eq!(
        out.stderr,
        format!(
            "lanes init: {}:3:3: not valid JSON: key must be a string\nlanes init: nothing was changed.\n",
            settings.display()
        )
    );
    r.assert_unchanged(&before, "not one byte changed");
    assert_eq!(r.lanes(&["uninstall"]).code, 2);
    r.assert_unchanged(&before, "unchanged");
}

#[test]
fn unbalanced_claude_md_markers_stop_init() {
    let r = Repo::new();
    r.write("CLAUDE.md", "# mine\n<!-- lanes:begin -->\nhalf\n");
    let before = r.snapshot();
    let out = r.lanes(&["init"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("CLAUDE.md:2:1: `<!-- lanes:begin -->` has no `<!-- lanes:end -->` below it"),
        "{}",
        out.stderr
    );
    r.assert_unchanged(&before, "unchanged");
}

#[test]
fn core_hooks_path_is_honoured() {
    let r = Repo::new();
    r.git(&["config", "core.hooksPath", ".githooks"]);
    r.executable(".githooks/pre-commit", "#!/bin/sh\nexit 0\n");
    let out = r.lanes(&["init"]).ok();
    assert!(
        out.stdout
            .contains("created  .githooks/pre-commit.lanes-chained"),
        "{}",
        out.stdout
    );
    assert!(r
        .read(".githooks/pre-commit")
        .contains("# lanes:pre-commit"));
    assert_eq!(
        r.read(".githooks/pre-commit.lanes-chained"),
        "#!/bin/sh\nexit 0\n"
    );
    assert!(!r.exists(".git/hooks/pre-commit"));
    r.lanes(&["uninstall"]).ok();
    assert_eq!(r.read(".githooks/pre-commit"), "#!/bin/sh\nexit 0\n");
}

#[test]
fn a_linked_worktree_shares_the_main_checkouts_hooks() {
    let r = Repo::new();
    r.write("README", "x\n");
    r.git(&["add", "README"]);
    r.git(&["commit", "-q", "-m", "init"]);
    let wt = r.root.parent().unwrap().join("wt");
    r.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "-b", "build"]);
    let out = support::lanes()
        .current_dir(&wt)
        .env("HOME", &r.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("PATH", r.path_var())
        .arg("init")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(wt.join("lanes.toml").exists() && wt.join(".claude/settings.json").exists());
    assert!(r
        .read(".git/hooks/pre-commit")
        .contains("# lanes:pre-commit"));
}

#[test]
fn a_policy_change_flows_into_claude_md_and_agents() {
    let r = Repo::new();
    r.write("CLAUDE.md", "Intro.\n");
    r.lanes(&["init"]).ok();
    let policy = r.read("lanes.toml").replace(
        "[roles.reviewer]",
        "[roles.docs]\ndescription = \"Writes the manual.\"\nwrite = [\"docs/\"]\nsignal = \"docs/DONE.md\"\n\n[roles.reviewer]",
    );
    r.write("lanes.toml", &policy);
    let out = r.lanes(&["init"]).ok();
    assert!(out.stdout.contains("updated  CLAUDE.md"), "{}", out.stdout);
    assert!(
        out.stdout.contains("created  .claude/agents/docs.md"),
        "{}",
        out.stdout
    );
    let md = r.read("CLAUDE.md");
    assert!(md.starts_with("Intro.\n\n<!-- lanes:begin -->"));
    assert!(md.contains("### Role `docs`\n\nWrites the manual.\n\n- **Writes:** `docs/`\n"));
    assert!(md.contains("\"Re-read CLAUDE.md. You are the docs; you write to docs/ only.\""));
    assert!(md.contains("`docs/` (docs)"), "other roles read docs/");
    assert_eq!(md.matches("<!-- lanes:begin -->").count(), 1);
}

/// Issue 19, finding 1: the researcher wrote `research/DONE.md` in two steps, and the builder
/// waiting on it was released after the first. With the template's `signal_requires`, a
/// mid-work note in the signal file is incomplete however long it stays unchanged.
#[test]
fn lanes_wait_is_not_released_by_a_half_written_handoff() {
    let r = Repo::new();
    r.lanes(&["init"]).ok();
    let md = r.read("CLAUDE.md");
    assert!(
        md.contains(
            "It is complete only when it contains `## Findings`, `## Plan`, `## Open questions` and \
             `Status: done`, each exactly as written and in that order, with `Status: done` as its final line."
        ),
        "{md}"
    );
    let mut waiting = r
        .lanes_command(&["wait", "researcher", "--settle", "0.2", "--timeout", "120"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Step 1: a mid-work note, as the old CLAUDE.md asked for problems.
    r.write(
        "research/DONE.md",
        "## Findings\n- src/parse.rs drops CRLF line endings (not my lane).\n",
    );
    // A second wait on the same file outlasts the settle interval many times over and ends
    // incomplete; the first wait, which saw the same file, is still waiting.
    let probe = r.lanes(&["wait", "researcher", "--settle", "0.2", "--timeout", "2"]);
    assert_eq!(probe.code, 1, "{}", probe.stderr);
    assert!(
        probe.stderr.contains(
            "timed out waiting for research/DONE.md of role 'researcher': incomplete: lacks \"## Plan\", \
             \"## Open questions\", \"Status: done\""
        ),
        "{}",
        probe.stderr
    );
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "lanes wait released the builder on a half-written handoff"
    );
    // Step 2: the complete handoff, in one write.
    r.write(
        "research/DONE.md",
        "## Findings\n- The parser drops CRLF.\n\n## Plan\n1. Keep line endings.\n\n\
         ## Open questions\nNone.\n\nStatus: done\n",
    );
    let out = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("research/DONE.md of role 'researcher' is complete"),
        "{stderr}"
    );
}

/// Issue 19, finding 1: nothing lanes writes sends an agent to its signal file with a problem.
#[test]
fn problems_go_to_the_notes_file_never_to_the_signal_file() {
    let r = Repo::new();
    r.lanes(&["init"]).ok();
    let md = r.read("CLAUDE.md");
    assert!(md.contains(
        "- **Problems outside your lanes:** write them down in `research/NOTES.md` as you find them; nobody \
         waits for that file."
    ));
    let agent = r.read(".claude/agents/builder.md");
    assert!(
        agent.contains("do not change it: write it down in `src/NOTES.md`"),
        "{agent}"
    );
    for text in [&md, &agent] {
        assert!(!text.contains("problem into your signal file"), "{text}");
    }
    let explain = r.lanes(&["explain", "--role", "builder", "research/x.md"]);
    assert!(
        explain.stdout.contains(
            "if something outside it needs to change, write that down in src/NOTES.md instead"
        ),
        "{}",
        explain.stdout
    );
    // The notes file is the builder's to write.
    let ok = r.lanes(&["explain", "--role", "builder", "src/NOTES.md"]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
}

const BUILDER_AGENT: &str = ".claude/agents/builder.md";

/// Issue 19, finding 2: after editing lanes.toml, `lanes init` regenerates lanes' part of the
/// builder's agent file (its system prompt), and keeps the user's own text byte for byte.
#[test]
fn init_regenerates_lanes_part_of_agent_files_and_keeps_the_users_text() {
    let r = Repo::new();
    r.lanes(&["init"]).ok();
    let generated = r.read(BUILDER_AGENT);
    assert!(generated.contains("Your lanes, the only paths you may write: `src/`, `Cargo.toml`"));
    // The user adds frontmatter fields (one before lanes' description, one after) and
    // instructions of their own, with odd whitespace.
    let edited = generated
        .replacen("name: builder\n", "name: builder\nmodel: opus\n", 1)
        .replacen("\n---\n", "\ntools: Read, Edit, Bash  \n---\n", 1)
        + "\n## House rules\r\nRun `cargo fmt`\tbefore committing.\n\n";
    r.write(BUILDER_AGENT, &edited);
    let st = r.lanes(&["status"]);
    assert_eq!(
        st.code, 0,
        "not stale: the user's own text is no problem\n{}",
        st.stdout
    );

    // The builder moves from src/ to lib/.
    let policy = r
        .read("lanes.toml")
        .replacen("  \"src/\",\n", "  \"lib/\",\n", 1)
        .replace(
            "signal = \"src/BUILD_COMPLETE.md\"",
            "signal = \"lib/BUILD_COMPLETE.md\"",
        );
    r.write("lanes.toml", &policy);
    let st = r.lanes(&["status"]);
    assert_eq!(st.code, 1);
    assert!(
        st.stdout.contains(
            "- .claude/agents/builder.md states what role builder may do as lanes.toml said when `lanes init` \
             last wrote it, not as it says now: run `lanes init` to regenerate lanes' part (your own text is kept)"
        ),
        "{}",
        st.stdout
    );
    let out = r.lanes(&["init"]).ok();
    assert!(
        out.stdout.contains("updated  .claude/agents/builder.md"),
        "{}",
        out.stdout
    );
    let now = r.read(BUILDER_AGENT);
    assert!(
        now.contains("Your lanes, the only paths you may write: `lib/`, `Cargo.toml`"),
        "{now}"
    );
    assert!(
        now.contains("Your signal file `lib/BUILD_COMPLETE.md`"),
        "{now}"
    );
    assert!(!now.contains("`src/`"), "{now}");
    assert!(
        now.contains("(lanes role `builder`: writes only lib/, Cargo.toml,"),
        "{now}"
    );
    // The user's text, byte for byte: everything but lanes' description line and block.
    let users = |t: &str| {
        let (front, rest) = t.split_at(t.find("<!-- lanes:begin -->").unwrap());
        let front: Vec<&str> = front
            .lines()
            .filter(|l| !l.starts_with("description:"))
            .collect();
        (
            front.join("\n"),
            rest[rest.find("<!-- lanes:end -->\n").unwrap()..].to_string(),
        )
    };
    assert_eq!(users(&now), users(&edited));
    assert!(now.starts_with("---\nname: builder\nmodel: opus\ndescription: "));
    assert!(now.ends_with(
        "<!-- lanes:end -->\n\n## House rules\r\nRun `cargo fmt`\tbefore committing.\n\n"
    ));
    let st = r.lanes(&["status"]);
    assert_eq!(st.code, 0, "up to date again\n{}", st.stdout);
    let before = r.snapshot();
    r.lanes(&["init"]).ok();
    r.assert_unchanged(&before, "a second init changes no byte");
}

/// Issue 19, finding 2: an agent file of a role that is gone maps `claude --agent NAME` to no
/// role. `lanes status` reports it; `lanes init` removes it when it holds only lanes' text,
/// and keeps it (still reported) when it holds the user's.
#[test]
fn status_reports_agent_files_of_removed_roles_and_init_removes_lanes_own() {
    let r = Repo::new();
    r.lanes(&["init"]).ok();
    r.write(
        ".claude/agents/researcher.md",
        &(r.read(".claude/agents/researcher.md") + "Cite sources.\n"),
    );
    r.write(
        ".claude/agents/helper.md",
        "---\nname: helper\ndescription: mine\n---\nHelps.\n",
    );
    let policy = r.read("lanes.toml");
    let cut = |p: &str, table: &str, next: &str| {
        let (a, b) = (p.find(table).unwrap(), p.find(next).unwrap());
        format!("{}{}", &p[..a], &p[b..])
    };
    let policy = cut(&policy, "[roles.reviewer]", "# Build outputs");
    let policy = cut(&policy, "[roles.researcher]", "[roles.builder]");
    // The builder waits for the researcher (`after`), which is gone too.
    let policy: String = policy
        .lines()
        .filter(|l| !l.starts_with("after ="))
        .map(|l| format!("{l}\n"))
        .collect();
    r.write("lanes.toml", &policy);

    let st = r.lanes(&["status"]);
    assert_eq!(st.code, 1, "{}", st.stderr);
    assert!(
        st.stdout.contains(
            "- .claude/agents/reviewer.md was written by lanes for agent `reviewer`, which no role in lanes.toml \
             has any more: `claude --agent reviewer` would act as no role, which writes as an unassigned session \
             (anywhere, since unassigned = \"allow\"); run `lanes init` to remove it"
        ),
        "{}",
        st.stdout
    );
    assert!(
        st.stdout.contains(
            "- .claude/agents/researcher.md was written by lanes for agent `researcher`, which no role in \
             lanes.toml has any more"
        ) && st.stdout.contains("it holds text of your own, so `lanes init` keeps it"),
        "{}",
        st.stdout
    );
    assert!(
        !st.stdout.contains("helper"),
        "the user's own agent is not lanes' concern"
    );

    let edited = r.read(".claude/agents/researcher.md");
    let out = r.lanes(&["init"]).ok();
    assert!(
        out.stdout.contains("removed  .claude/agents/reviewer.md"),
        "{}",
        out.stdout
    );
    assert!(!r.exists(".claude/agents/reviewer.md"));
    assert_eq!(r.read(".claude/agents/researcher.md"), edited);
    assert!(r.exists(".claude/agents/helper.md"));
    let st = r.lanes(&["status"]);
    assert!(!st.stdout.contains("reviewer.md"), "{}", st.stdout);
    assert!(st.stdout.contains("researcher.md"), "{}", st.stdout);
}

/// Unbalanced markers in an agent file stop init, naming the file and line, and are a problem
/// for status; nothing is written.
#[test]
fn unbalanced_markers_in_an_agent_file_stop_init() {
    let r = Repo::new();
    r.lanes(&["init"]).ok();
    let broken = r.read(BUILDER_AGENT).replace("<!-- lanes:end -->\n", "");
    r.write(BUILDER_AGENT, &broken);
    let before = r.snapshot();
    let out = r.lanes(&["init"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            ".claude/agents/builder.md:5:1: `<!-- lanes:begin -->` has no `<!-- lanes:end -->` below it"
        ),
        "{}",
        out.stderr
    );
    r.assert_unchanged(&before, "nothing written");
    let st = r.lanes(&["status"]);
    assert_eq!(st.code, 1);
    assert!(
        st.stdout.contains("- the agent files cannot be checked: "),
        "{}",
        st.stdout
    );
}

/// Agent files of the lanes before markers: an unedited one is rewritten with markers; an
/// edited one is kept byte for byte and reported, since its lanes text cannot be told from
/// the user's.
#[test]
fn agent_files_of_an_older_lanes_are_rewritten_only_when_unedited() {
    let r = Repo::new();
    r.lanes(&["init"]).ok();
    // What lanes 0.1.0 wrote for the default template's reviewer and researcher.
    let old = |role: &str, summary: &str, lanes: &[&str], signal: &str| {
        let shown: Vec<String> = lanes.iter().map(|l| format!("`{l}`")).collect();
        format!(
            "---\nname: {role}\ndescription: \"{summary} (lanes role `{role}`: writes only {}.)\"\n---\n\
             You are the {role}, one role in a team of agents that work in this repository at the same time. \
             {summary}\n\nYour lanes, the only paths you may write: {}. Everything else is read-only for you: \
             the other roles' lanes, the protected paths and lanes' own files (`lanes.toml`, `.claude/`).\n\n\
             Before you start, read the \"Lanes: who writes where\" section of CLAUDE.md: it says what the other \
             roles own and what belongs in your signal file. Never modify a file outside your lanes, not even \
             through a shell command or a script. If something outside them must change, write the problem into \
             your signal file `{signal}` instead, and write that file when your work is done.\n\n\
             <!-- Written by `lanes init` from lanes.toml. This file is yours to edit: lanes init never \
             overwrites it. -->\n",
            lanes.join(", "),
            shown.join(", ")
        )
    };
    let reviewer = old(
        "reviewer",
        "Reviews the builder's work, writes tests in tests/ and findings in reviews/. Does not fix src/ itself.",
        &["reviews/", "tests/"],
        "reviews/REVIEW_COMPLETE.md",
    );
    let researcher = old(
        "researcher",
        "Studies the problem, the code and the docs, and writes findings and a plan to research/. Never writes code.",
        &["research/"],
        "research/DONE.md",
    ) + "Always cite the file and line.\n";
    r.write(".claude/agents/reviewer.md", &reviewer);
    r.write(".claude/agents/researcher.md", &researcher);
    let st = r.lanes(&["status"]);
    assert!(
        st.stdout.contains(
            "- .claude/agents/reviewer.md was written by an older lanes, without markers, so its text about role \
             reviewer is not kept up to date: run `lanes init` to rewrite it (you have not edited it)"
        ),
        "{}",
        st.stdout
    );
    assert!(
        st.stdout.contains(
            "- .claude/agents/researcher.md was written by an older lanes, without markers, and edited since"
        ),
        "{}",
        st.stdout
    );
    let out = r.lanes(&["init"]).ok();
    assert!(
        out.stdout.contains("updated  .claude/agents/reviewer.md"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("kept     .claude/agents/researcher.md"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("edited since"),
        "init says why:\n{}",
        out.stdout
    );
    let now = r.read(".claude/agents/reviewer.md");
    assert!(
        now.contains("<!-- lanes:begin -->") && !now.contains("problem into"),
        "{now}"
    );
    assert_eq!(r.read(".claude/agents/researcher.md"), researcher);
}

#[test]
fn dry_run_prints_diffs_and_writes_nothing() {
    let r = Repo::new();
    r.write("CLAUDE.md", "# mine\n");
    let before = r.snapshot();
    let out = r.lanes(&["init", "--dry-run"]).ok();
    r.assert_unchanged(&before, "unchanged");
    assert!(
        out.stdout.contains("--- a/CLAUDE.md\n+++ b/CLAUDE.md\n"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("--- /dev/null\n+++ b/.claude/settings.json\n"));
    assert!(out.stdout.contains("+<!-- lanes:begin -->\n"));
    assert!(
        out.stdout.contains("would change 8 files"),
        "{}",
        out.stdout
    );
    r.lanes(&["init"]).ok();
    let before = r.snapshot();
    let out = r.lanes(&["uninstall", "--dry-run"]).ok();
    r.assert_unchanged(&before, "unchanged");
    assert!(out.stdout.contains("+++ /dev/null"), "{}", out.stdout);
}

#[test]
fn lanes_on_path_is_registered_by_name() {
    let r = Repo::new();
    symlink(lanes_exe(), r.bin.join("lanes")).unwrap();
    let out = r.lanes(&["init"]).ok();
    assert_eq!(r.lanes_handlers()[0]["command"], "lanes");
    assert!(r.read(".git/hooks/pre-commit").contains("lanes='lanes'"));
    assert!(!out.stdout.contains("Notes:"), "{}", out.stdout);
    assert!(
        out.stdout.contains("Both hooks run lanes, which is"),
        "{}",
        out.stdout
    );
}

#[test]
fn templates_are_listed_chosen_and_never_overwrite_a_policy() {
    let r = Repo::new();
    let list = r.lanes(&["init", "--list-templates"]).ok();
    for name in [
        "research-build-review (default)",
        "frontend-backend",
        "planner-coder-tester",
    ] {
        assert!(list.stdout.contains(name), "{}", list.stdout);
    }
    r.lanes(&["init", "--template", "frontend-backend"]).ok();
    assert_eq!(
        r.read("lanes.toml"),
        include_str!("../policies/frontend-backend.toml")
    );
    assert!(r.exists(".claude/agents/frontend.md"));
    let out = r
        .lanes(&["init", "--template", "planner-coder-tester"])
        .ok();
    assert!(out
        .stdout
        .contains("--template planner-coder-tester was not used"));
    assert_eq!(
        r.read("lanes.toml"),
        include_str!("../policies/frontend-backend.toml")
    );

    let r = Repo::new();
    let out = r.lanes(&["init", "--template", "nope"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("there is no template `nope`; the templates are research-build-review, frontend-backend, planner-coder-tester"));
    assert!(!r.exists("lanes.toml"));
}

#[test]
fn a_broken_policy_stops_init_with_its_position() {
    let r = Repo::new();
    r.write("lanes.toml", "[roles.builder]\nwirte = [\"src/\"]\n");
    let before = r.snapshot();
    let out = r.lanes(&["init"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("lanes.toml:2:1: roles.builder.wirte: unknown field `wirte`"),
        "{}",
        out.stderr
    );
    r.assert_unchanged(&before, "unchanged");
}

#[test]
fn outside_a_git_repository_init_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let out = support::lanes()
        .current_dir(tmp.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CEILING_DIRECTORIES", tmp.path())
        .arg("init")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not in one"), "{err}");
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_symlinked_claude_md_is_written_through_and_stays_a_link() {
    let r = Repo::new();
    r.write("AGENTS.md", "# Shared notes\n");
    symlink("AGENTS.md", r.root.join("CLAUDE.md")).unwrap();
    r.lanes(&["init"]).ok();
    assert!(fs::symlink_metadata(r.root.join("CLAUDE.md"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(r
        .read("AGENTS.md")
        .starts_with("# Shared notes\n\n<!-- lanes:begin -->"));
    r.lanes(&["uninstall"]).ok();
    assert_eq!(r.read("AGENTS.md"), "# Shared notes\n");
    assert!(fs::symlink_metadata(r.root.join("CLAUDE.md"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_policy_in_a_subdirectory_makes_that_directory_the_project() {
    let r = Repo::new();
    r.write("app/lanes.toml", "[roles.builder]\nwrite = [\"src/\"]\n");
    let out = support::lanes()
        .current_dir(r.root.join("app"))
        .env("HOME", &r.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("PATH", r.path_var())
        .arg("init")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(r.exists("app/.claude/settings.json") && r.exists("app/CLAUDE.md"));
    assert!(!r.exists("lanes.toml") && !r.exists(".claude"));
    assert!(r
        .read(".git/hooks/pre-commit")
        .contains("# lanes:pre-commit"));
    assert!(
        stdout.contains("is below the git work tree's top"),
        "{stdout}"
    );
}
