//! `lanes up`, `lanes down` and `lanes watch` through the real binary, the real tmux (on a
//! private server: `TMUX_TMPDIR` points into the test's folder) and real git, with a stand-in
//! `claude` on `PATH` that records its arguments, working directory and `LANES_ROLE`.
//!
//! Everything is polled with generous limits and nothing asserts on timings. Without tmux
//! the tmux tests print the skip line (`tests/skip`; under CI that fails: `.ci/test-tools`
//! installs it).

mod skip;
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::Repo;

/// The longest any test waits for something to happen.
const PATIENCE: Duration = Duration::from_secs(60);

const POLICY: &str = r#"
[roles.researcher]
write = ["research/"]
signal = "research/DONE.md"
branches = ["lanes/researcher"]

[roles.builder]
write = ["src/"]
signal = "src/BUILD_DONE.md"
after = ["researcher"]
branches = ["build/*", "build"]

[roles.reviewer]
write = ["reviews/"]
"#;

/// The stand-in `claude`: one file per start in `calls/`, written whole (then renamed), with
/// `role=`, `cwd=`, `mark=` (`$LANES_TEST_MARK`) and one `arg=` line per argument.
const CLAUDE: &str = r#"#!/bin/sh
f="CALLS/$(date +%s%N)-$$"
{
  printf 'role=%s\n' "$LANES_ROLE"
  printf 'cwd=%s\n' "$(pwd -P)"
  printf 'mark=%s\n' "$LANES_TEST_MARK"
  for a in "$@"; do printf 'arg=%s\n' "$a"; done
} > "$f.tmp" && mv "$f.tmp" "$f"
"#;

/// A repository with [`POLICY`] committed, a stand-in `claude` and a private tmux server.
struct Team {
    repo: Repo,
    /// The folder of the stand-in `claude`, first on the `PATH` lanes gets.
    bin: PathBuf,
    calls: PathBuf,
    tmux_dir: PathBuf,
}

/// One start of the stand-in.
#[derive(Debug)]
struct Call {
    role: String,
    cwd: PathBuf,
    /// `$LANES_TEST_MARK` as the agent got it.
    mark: String,
    args: Vec<String>,
}

impl Team {
    fn new(policy: &str) -> Team {
        let repo = Repo::new(policy);
        let base = repo.dir.path().canonicalize().unwrap();
        let bin = base.join("bin");
        let calls = base.join("calls");
        let tmux_dir = base.join("tmux");
        for d in [&bin, &calls, &tmux_dir] {
            std::fs::create_dir_all(d).unwrap();
        }
        let claude = bin.join("claude");
        std::fs::write(&claude, CLAUDE.replace("CALLS", calls.to_str().unwrap())).unwrap();
        make_executable(&claude);
        repo.git(&["add", "lanes.toml"]);
        repo.git(&["commit", "-q", "-m", "lanes"]);
        Team {
            repo,
            bin,
            calls,
            tmux_dir,
        }
    }

    /// Commits a `.gitignore` of `.lanes/`, as `lanes init` writes it: the audit log and
    /// `lanes run`'s settings stay out of git, so a worktree holding only them is clean.
    fn ignore_lanes_folder(&self) {
        std::fs::write(self.root().join(".gitignore"), ".lanes/\n").unwrap();
        self.repo.git(&["add", ".gitignore"]);
        self.repo.git(&["commit", "-q", "-m", "ignore"]);
    }

    fn root(&self) -> &Path {
        &self.repo.root
    }

    /// A team with `.lanes/` ignored, started with `lanes up ROLES --worktrees --detach
    /// --no-sandbox`; `up` succeeded.
    fn up_in_worktrees(roles: &[&str]) -> (Team, Output) {
        let t = Team::new(POLICY);
        t.ignore_lanes_folder();
        let mut args = vec!["up"];
        args.extend(roles);
        args.extend(["--worktrees", "--detach", "--no-sandbox"]);
        let out = t.lanes(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        (t, out)
    }

    /// The worktree `lanes up --worktrees` makes for `role`: `repo-ROLE` beside the main
    /// checkout.
    fn worktree(&self, role: &str) -> PathBuf {
        self.root().parent().unwrap().join(format!("repo-{role}"))
    }

    /// `lanes ARGS` in `dir`, with the stand-in first on PATH, the private tmux server, a
    /// private HOME and no git configuration but a pinned identity.
    fn lanes_in(&self, dir: &Path, args: &[&str]) -> Command {
        let mut c = support::lanes();
        c.args(args).current_dir(dir);
        self.env(&mut c);
        c
    }

    fn lanes(&self, args: &[&str]) -> Output {
        self.lanes_in(self.root(), args).output().unwrap()
    }

    fn env(&self, c: &mut Command) {
        let path = format!("{}:{}", self.bin.display(), system_path());
        c.env("PATH", path)
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .env_remove("TMUX")
            .env("HOME", self.repo.dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com");
    }

    /// `tmux ARGS` on the private server; stdout, or `None` when tmux failed.
    fn tmux(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("tmux")
            .args(args)
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .env_remove("TMUX")
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn session(&self) -> String {
        "lanes-repo".into()
    }

    /// `(title, start command)` of every pane of the session, in pane order.
    fn panes(&self) -> Vec<(String, String)> {
        let out = self
            .tmux(&[
                "list-panes",
                "-s",
                "-t",
                &format!("={}", self.session()),
                "-F",
                "#{@lanes_role}\t#{pane_start_command}",
            ])
            .expect("the session exists");
        out.lines()
            .map(|l| {
                let (t, c) = l.split_once('\t').unwrap();
                (t.to_string(), c.to_string())
            })
            .collect()
    }

    /// Everything pane `title` has shown, history included.
    fn screen(&self, title: &str) -> String {
        let ids = self
            .tmux(&[
                "list-panes",
                "-s",
                "-t",
                &format!("={}", self.session()),
                "-F",
                "#{pane_id} #{@lanes_role}",
            ])
            .unwrap_or_default();
        let id = ids
            .lines()
            .find_map(|l| l.strip_suffix(&format!(" {title}")))
            .unwrap_or_else(|| panic!("no pane {title} in {ids}"));
        self.tmux(&["capture-pane", "-p", "-S", "-", "-t", id])
            .unwrap_or_default()
    }

    fn has_session(&self) -> bool {
        self.tmux(&["has-session", "-t", &format!("={}", self.session())])
            .is_some()
    }

    /// The stand-in's starts so far.
    fn calls(&self) -> Vec<Call> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.calls)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_none())
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                let mut call = Call {
                    role: String::new(),
                    cwd: PathBuf::new(),
                    mark: String::new(),
                    args: Vec::new(),
                };
                for line in text.lines() {
                    if let Some(v) = line.strip_prefix("role=") {
                        call.role = v.into();
                    } else if let Some(v) = line.strip_prefix("cwd=") {
                        call.cwd = v.into();
                    } else if let Some(v) = line.strip_prefix("mark=") {
                        call.mark = v.into();
                    } else if let Some(v) = line.strip_prefix("arg=") {
                        call.args.push(v.into());
                    }
                }
                call
            })
            .collect()
    }

    /// Waits until the stand-in was started for `role`, and returns that start.
    fn started(&self, role: &str) -> Call {
        let found = poll(|| self.calls().into_iter().find(|c| c.role == role));
        found.unwrap_or_else(|| {
            panic!(
                "claude was not started for {role}; starts: {:?}; panes: {:?}\n{}",
                self.calls(),
                self.panes(),
                self.screen(role)
            )
        })
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The system directories only: tmux, git and sh, but no real `claude`.
fn system_path() -> &'static str {
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Calls `f` until it returns something, for at most [`PATIENCE`].
fn poll<T>(mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > PATIENCE {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// True when tmux runs here; otherwise prints the skip line (and fails under CI).
fn tmux_here() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .env("PATH", system_path())
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip::partial("tmux is not installed (.ci/test-tools installs it: apt-get install tmux)");
    }
    ok
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn up_opens_a_titled_pane_per_role_and_a_watch_pane_then_down_ends_it() {
    if !tmux_here() {
        return;
    }
    let t = Team::new(POLICY);
    let out = t.lanes(&["up", "--detach", "--no-sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("lanes up: session 'lanes-repo' with 4 panes\n"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("builder     lanes run builder once research/DONE.md (researcher) complete"),
        "{stdout}"
    );
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_lanes"));
    let exe = exe.to_str().unwrap();
    let panes = t.panes();
    let titles: Vec<&str> = panes.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(titles, ["researcher", "builder", "reviewer", "watch"]);
    // tmux shows a start command as one string, quoting arguments only where needed.
    assert_eq!(panes[0].1, format!("{exe} run researcher --no-sandbox"));
    assert!(panes[1].1.starts_with("/bin/sh -c "), "{}", panes[1].1);
    assert_eq!(panes[3].1, format!("{exe} watch"));

    // The roles without `after` start at once, in the project, with their role.
    for role in ["researcher", "reviewer"] {
        let call = t.started(role);
        assert_eq!(call.cwd, t.root(), "{call:?}");
        assert!(
            call.args.iter().any(|a| a == "--settings"),
            "lanes run passes its settings: {call:?}"
        );
    }
    // The watch pane follows the audit log.
    assert!(
        poll(|| t
            .screen("watch")
            .contains("lanes watch: following")
            .then_some(()))
        .is_some(),
        "{}",
        t.screen("watch")
    );

    // A second `up` is refused and changes nothing.
    let again = t.lanes(&["up", "--detach", "--no-sandbox"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr)
            .contains("a tmux session named 'lanes-repo' exists already; nothing was changed"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(t.panes().len(), 4);

    let down = t.lanes(&["down"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down.stderr));
    assert_eq!(
        text(&down.stdout),
        "lanes down: ended session 'lanes-repo'\n"
    );
    assert!(!t.has_session(), "the session is gone");
    let again = t.lanes(&["down"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        text(&again.stdout),
        "lanes down: no session 'lanes-repo' (nothing to end)\n"
    );
}

/// tmux keeps `.` and `:` in a session's name as `_`: a name given with them is the same
/// session for `up`, a second `up` and `down`.
#[test]
fn a_session_named_with_dots_is_found_again() {
    if !tmux_here() {
        return;
    }
    let t = Team::new(POLICY);
    let up = t.lanes(&["up", "--detach", "--no-sandbox", "--session", "team.v2"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));
    let again = t.lanes(&["up", "--detach", "--no-sandbox", "--session", "team.v2"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    let down = t.lanes(&["down", "--session", "team.v2"]);
    assert_eq!(
        text(&down.stdout),
        "lanes down: ended session 'team_v2'\n",
        "{}",
        text(&down.stderr)
    );
}

#[test]
fn after_holds_a_role_back_until_the_signal_file_is_complete() {
    if !tmux_here() {
        return;
    }
    let t = Team::new(POLICY);
    let out = t.lanes(&["up", "builder", "--detach", "--no-sandbox"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let says = "lanes up: builder waits for research/DONE.md (researcher) to be complete";
    assert!(
        poll(|| t.screen("builder").contains(says).then_some(())).is_some(),
        "{}",
        t.screen("builder")
    );
    // Still waiting a while later: nothing is there to wait for.
    std::thread::sleep(Duration::from_secs(2));
    assert!(t.calls().is_empty(), "{:?}", t.calls());
    std::fs::write(t.root().join("research/DONE.md"), "## Findings\n").unwrap();
    let call = t.started("builder");
    assert_eq!(call.cwd, t.root());
    assert!(t
        .screen("builder")
        .contains("lanes: research/DONE.md of role 'researcher' is complete"));
}

#[test]
fn arguments_after_a_double_dash_reach_every_agent_a_held_back_one_too() {
    if !tmux_here() {
        return;
    }
    let t = Team::new(POLICY);
    let task = "it's the task; $HOME stays as written";
    let out = t.lanes(&[
        "up",
        "researcher",
        "builder",
        "--detach",
        "--no-sandbox",
        "--",
        "--model",
        "opus",
        "-p",
        task,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let given = ["--model", "opus", "-p", task];
    let researcher = t.started("researcher");
    assert!(
        researcher.args.ends_with(&given.map(String::from)),
        "{researcher:?}"
    );
    std::fs::write(t.root().join("research/DONE.md"), "## Findings\n").unwrap();
    let builder = t.started("builder");
    assert!(
        builder.args.ends_with(&given.map(String::from)),
        "{builder:?}"
    );
}

#[test]
fn names_and_arguments_reach_the_panes_as_text_not_as_tmux_commands_or_formats() {
    if !tmux_here() {
        return;
    }
    let probe = tempfile::tempdir().unwrap();
    let ran = probe.path().join("ran");
    // A pane title is a tmux format, where `#(...)` runs a command; an argument ending in `;`
    // ends a tmux command.
    let role = format!("x#(touch {})", ran.display());
    let t = Team::new(&format!("[roles.\"{role}\"]\nwrite = [\"x/\"]\n"));
    let out = t.lanes(&["up", "--detach", "--no-sandbox", "--", "-p", "fix it;"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let call = t.started(&role);
    assert!(
        call.args.ends_with(&["-p".into(), "fix it;".into()]),
        "{call:?}"
    );
    let titles = t
        .tmux(&[
            "list-panes",
            "-s",
            "-t",
            "=lanes-repo",
            "-F",
            "#{pane_title}",
        ])
        .unwrap();
    assert_eq!(titles.lines().next(), Some(role.as_str()), "{titles}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(!ran.exists(), "tmux ran the command in the role's name");
}

#[test]
fn agents_get_the_callers_environment_also_from_a_tmux_server_started_earlier() {
    if !tmux_here() {
        return;
    }
    let t = Team::new(POLICY);
    // A server started before the variable was set: panes start from its environment.
    let earlier = Command::new("tmux")
        .args(["new-session", "-d", "-s", "earlier", "sleep 600"])
        .env("TMUX_TMPDIR", &t.tmux_dir)
        .env_remove("TMUX")
        .env_remove("LANES_TEST_MARK")
        .status()
        .unwrap();
    assert!(earlier.success());
    let out = t
        .lanes_in(t.root(), &["up", "researcher", "--detach", "--no-sandbox"])
        .env("LANES_TEST_MARK", "set by the caller")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(t.started("researcher").mark, "set by the caller");
}

#[test]
fn worktrees_give_each_role_its_own_and_down_removes_only_the_clean_ones() {
    if !tmux_here() {
        return;
    }
    let (t, out) = Team::up_in_worktrees(&["researcher", "builder", "reviewer"]);
    let (res, build, rev) = (
        t.worktree("researcher"),
        t.worktree("builder"),
        t.worktree("reviewer"),
    );
    let stdout = text(&out.stdout);
    for line in [
        format!("worktree {} on lanes/researcher (created)", res.display()),
        // The first literal name of builder's `branches`.
        format!("worktree {} on build (created)", build.display()),
        format!("worktree {} on lanes/reviewer (created)", rev.display()),
    ] {
        assert!(stdout.contains(&line), "{line:?} in {stdout}");
    }
    assert!(!stdout.contains("note:"), "{stdout}");
    let list = t.repo.git(&["worktree", "list", "--porcelain"]);
    for branch in ["lanes/researcher", "build", "lanes/reviewer"] {
        assert!(
            list.contains(&format!("branch refs/heads/{branch}\n")),
            "{list}"
        );
    }
    // Each agent starts in its own worktree.
    assert_eq!(t.started("researcher").cwd, res);
    assert_eq!(t.started("reviewer").cwd, rev);

    // The reviewer leaves uncommitted work, the builder a commit main lacks; the
    // researcher's worktree holds nothing to lose.
    std::fs::create_dir_all(rev.join("reviews")).unwrap();
    std::fs::write(rev.join("reviews/r.md"), "ok\n").unwrap();
    std::fs::create_dir_all(build.join("src")).unwrap();
    std::fs::write(build.join("src/lib.rs"), "fn main() {}\n").unwrap();
    let git_in = |dir: &Path, args: &[&str]| {
        let out = support::git_command(dir, t.repo.dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    git_in(&build, &["add", "src/lib.rs"]);
    git_in(&build, &["commit", "-q", "-m", "build"]);
    let down = t.lanes(&["down", "--remove-worktrees"]);
    assert_eq!(down.status.code(), Some(1), "{}", text(&down.stderr));
    let stdout = text(&down.stdout);
    for line in [
        "lanes down: ended session 'lanes-repo'".to_string(),
        format!("  removed  {}", res.display()),
        format!(
            "  kept     {}: build has commits the main checkout's HEAD does not contain: merge them first",
            build.display()
        ),
        format!(
            "  kept     {}: it has uncommitted changes (1 path: reviews/r.md)",
            rev.display()
        ),
    ] {
        assert!(stdout.contains(&line), "{line:?} in {stdout}");
    }
    assert!(!res.exists());
    assert_eq!(
        std::fs::read_to_string(rev.join("reviews/r.md")).unwrap(),
        "ok\n"
    );
    assert!(build.join("src/lib.rs").exists());
    assert!(!t.has_session());

    // Once merged, the builder's worktree goes too; the branches stay.
    t.repo.git(&["merge", "-q", "--ff-only", "build"]);
    std::fs::remove_file(rev.join("reviews/r.md")).unwrap();
    let down = t.lanes(&["down", "--remove-worktrees"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down.stdout));
    assert!(!build.exists() && !rev.exists());
    assert!(t.repo.git(&["branch", "--list", "build"]).contains("build"));
}

/// `git worktree remove` deletes ignored files without asking, so a worktree holding any
/// (but lanes' own `.lanes/`) is kept until they are dealt with.
#[test]
fn down_keeps_a_worktree_holding_ignored_files() {
    if !tmux_here() {
        return;
    }
    let (t, _) = Team::up_in_worktrees(&["researcher"]);
    let res = t.worktree("researcher");
    let exclude = t.root().join(".git/info/exclude");
    std::fs::create_dir_all(exclude.parent().unwrap()).unwrap();
    std::fs::write(&exclude, "*.local\n").unwrap();
    std::fs::write(res.join("notes.local"), "mine\n").unwrap();
    std::fs::create_dir_all(res.join(".lanes")).unwrap();
    std::fs::write(res.join(".lanes/scratch"), "x\n").unwrap();
    let down = t.lanes(&["down", "--remove-worktrees"]);
    assert_eq!(down.status.code(), Some(1), "{}", text(&down.stderr));
    let line = format!(
        "  kept     {}: it holds files git ignores, which removing it would delete (1 path: notes.local)",
        res.display()
    );
    assert!(
        text(&down.stdout).contains(&line),
        "{line:?} in {}",
        text(&down.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(res.join("notes.local")).unwrap(),
        "mine\n"
    );
    std::fs::remove_file(res.join("notes.local")).unwrap();
    let down = t.lanes(&["down", "--remove-worktrees"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down.stdout));
    assert!(!res.exists());
}

#[test]
fn after_finds_the_handoff_in_the_worktree_of_the_role_it_waits_for() {
    if !tmux_here() {
        return;
    }
    let (t, _) = Team::up_in_worktrees(&["researcher", "builder"]);
    let (res, build) = (t.worktree("researcher"), t.worktree("builder"));
    assert_eq!(t.started("researcher").cwd, res);
    // The researcher's handoff, written in its own worktree, releases the builder in its own.
    std::fs::create_dir_all(res.join("research")).unwrap();
    std::fs::write(res.join("research/DONE.md"), "done\n").unwrap();
    assert_eq!(t.started("builder").cwd, build);
}

#[test]
fn up_refuses_worktrees_while_the_policy_is_not_committed() {
    if !tmux_here() {
        return;
    }
    let t = Team::new(POLICY);
    std::fs::write(t.root().join("lanes.toml"), format!("{POLICY}\n# edited\n")).unwrap();
    let out = t.lanes(&["up", "--worktrees", "--detach", "--no-sandbox"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("lanes.toml is not committed (or has uncommitted changes)"),
        "{}",
        text(&out.stderr)
    );
    assert!(!t.has_session());
    assert!(!t.root().parent().unwrap().join("repo-builder").exists());
}

#[test]
fn up_explains_a_missing_tmux_a_missing_repository_and_a_policy_without_roles() {
    let t = Team::new(POLICY);
    // No tmux on PATH: only the stand-in's folder.
    let out = t
        .lanes_in(t.root(), &["up", "--detach"])
        .env("PATH", &t.bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "lanes up: tmux is not installed (not on PATH): install it (`apt-get install tmux`, `brew install tmux`)\n"
    );
    if !tmux_here() {
        return;
    }
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("lanes.toml"), POLICY).unwrap();
    let out = t
        .lanes_in(plain.path(), &["up", "--detach"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not inside a git repository, and lanes up works on one"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(t.root().join("lanes.toml"), "mode = \"enforce\"\n").unwrap();
    let out = t.lanes(&["up", "--detach"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("has no roles, so there is no one to start"),
        "{}",
        text(&out.stderr)
    );
    assert!(!t.has_session());
}

#[test]
fn validate_names_the_line_of_a_bad_after() {
    let t = Team::new("[roles.a]\nsignal = \"a/D\"\nafter = [\"b\"]\n[roles.b]\nsignal = \"b/D\"\nafter = [\"a\"]\n");
    let out = t.lanes(&["validate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("lanes.toml:6:10: roles.b.after: `after` makes a cycle (a waits for b, b waits for a): none of them would ever start"),
        "{}",
        text(&out.stdout)
    );
}

/// A child process killed when the test ends, also when it fails half-way.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads lines of `r` on a thread; the test takes them with a limit.
fn lines(r: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn watch_prints_denials_from_every_worktree_and_ends_on_sigterm() {
    let t = Team::new(POLICY);
    t.repo.git(&["worktree", "add", "-q", "../wt", "-b", "wt"]);
    let wt = t.root().parent().unwrap().join("wt");
    let mut watch = Reaped(
        t.lanes_in(t.root(), &["watch"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut watch.0;
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    let header = err
        .recv_timeout(PATIENCE)
        .expect("watch says what it follows");
    assert!(header.starts_with("lanes watch: following "), "{header}");
    assert!(header.contains("wt/.lanes/audit.jsonl"), "{header}");

    // A denial in this checkout, then one in the worktree.
    t.repo
        .hook()
        .role("builder")
        .write("research/x.md")
        .run()
        .denied();
    let line = out.recv_timeout(PATIENCE).expect("a line for the denial");
    assert!(
        line.ends_with("Z  builder  Write  research/x.md  deny  lane of researcher: research/"),
        "{line}"
    );
    let target = wt.join("src/y.rs");
    t.repo
        .hook()
        .cwd(&wt)
        .role("reviewer")
        .write_raw(target.to_str().unwrap())
        .run()
        .denied();
    let line = out
        .recv_timeout(PATIENCE)
        .expect("a line from the worktree");
    assert!(
        line.contains("  reviewer  Write  src/y.rs  deny  "),
        "{line}"
    );

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > PATIENCE {
            panic!("lanes watch did not end on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "ends cleanly on SIGTERM");
}

#[test]
fn init_points_at_lanes_up() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let git = support::git_command(&repo, dir.path())
        .args(["init", "-q"])
        .status()
        .unwrap();
    assert!(git.success());
    let out = support::lanes()
        .arg("init")
        .current_dir(&repo)
        .env("HOME", dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Or start them all at once, a tmux pane each (roles with `after` once their handoff is complete): lanes up [--worktrees]"),
        "{}",
        text(&out.stdout)
    );
}
