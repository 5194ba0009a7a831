//! `lanes check` against real, hermetic git repositories: private HOME, no system config,
//! pinned identity, no signing. Every test builds its own repository in a temp dir.

use assert_cmd::Command;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Output;

mod skip;

const POLICY: &str = r#"
[roles.builder]
write = ["src/", "package.json"]
branches = ["build/*"]

[roles.researcher]
write = ["research/"]
agents = ["researcher", "scout"]
branches = ["research/**"]

[roles.reviewer]
write = ["reviews/"]
"#;

struct Repo {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    dir: PathBuf,
}

impl Repo {
    /// A repository on branch `main` holding the policy and one file per lane, committed.
    fn new() -> Repo {
        let repo = Repo::empty(POLICY);
        for f in [
            "src/x.rs",
            "research/a.md",
            "research/b.md",
            "reviews/r.md",
            "README.md",
        ] {
            repo.write(f, "base\n");
        }
        repo.git(["add", "-A"]);
        repo.git(["commit", "-qm", "base"]);
        repo
    }

    /// A repository with nothing committed yet and `policy` written (not staged).
    fn empty(policy: &str) -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        let dir = root.join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Repo {
            _tmp: tmp,
            home,
            dir,
        };
        repo.git(["init", "-q", "-b", "main"]);
        repo.write("lanes.toml", policy);
        repo
    }

    fn write(&self, rel: impl AsRef<Path>, text: &str) {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn env(&self, cmd: &mut std::process::Command) {
        cmd.env_clear()
            .env("PATH", path_env())
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("GIT_CONFIG_COUNT", "2")
            .env("GIT_CONFIG_KEY_0", "commit.gpgsign")
            .env("GIT_CONFIG_VALUE_0", "false")
            .env("GIT_CONFIG_KEY_1", "init.defaultBranch")
            .env("GIT_CONFIG_VALUE_1", "main")
            .current_dir(&self.dir);
    }

    fn git_cmd<I, S>(&self, args: I) -> std::process::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = std::process::Command::new("git");
        self.env(&mut cmd);
        cmd.args(args);
        cmd
    }

    /// Runs git and asserts it succeeded; returns stdout.
    fn git<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.git_cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "git failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn head(&self) -> String {
        self.git(["rev-parse", "HEAD"])
    }

    fn lanes(&self) -> Command {
        let mut std_cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("lanes"));
        self.env(&mut std_cmd);
        let mut cmd = Command::from_std(std_cmd);
        cmd.arg("check");
        cmd
    }

    /// `lanes check ARGS` with extra environment; returns (exit code, stdout, stderr).
    fn check(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut cmd = self.lanes();
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        result(out)
    }

    fn json(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, serde_json::Value) {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = self.check(&all, env);
        let v = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
        (code, v)
    }

    /// Installs the repository's `hooks/pre-commit` shim.
    fn install_shim(&self) {
        let hook = self.dir.join(".git/hooks/pre-commit");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks/pre-commit"),
            &hook,
        )
        .unwrap();
    }
}

fn result(out: Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// PATH for tests: a directory holding only `lanes` (the binary under test), then the
/// caller's PATH for git.
fn path_env() -> String {
    #[allow(clippy::disallowed_methods)] // tests may read their own environment
    let outer = std::env::var("PATH").unwrap_or_default();
    format!("{}:{outer}", lanes_bin_dir().display())
}

fn lanes_bin_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lanes-bin");
    let link = dir.join("lanes");
    if !link.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("lanes"), &link);
    }
    dir
}

const BUILDER: &[(&str, &str)] = &[("LANES_ROLE", "builder")];

fn paths(v: &serde_json::Value) -> Vec<String> {
    v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn in_lane_changes_pass() {
    let r = Repo::new();
    r.write("src/new.rs", "x");
    r.write("src/x.rs", "changed");
    r.git(["add", "-A"]);
    let (code, out, _) = r.check(&[], BUILDER);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("2 staged paths, all in lane for role builder"),
        "{out}"
    );
}

#[test]
fn add_modify_delete_out_of_lane_fail_and_name_the_path() {
    for (change, path, status) in [
        ("add", "research/new.md", "added"),
        ("modify", "research/a.md", "modified"),
        ("delete", "research/b.md", "deleted"),
    ] {
        let r = Repo::new();
        match change {
            "add" | "modify" => {
                r.write(path, "new");
                r.git(["add", path]);
            }
            _ => {
                r.git(["rm", "-q", path]);
            }
        }
        let (code, out, _) = r.check(&[], BUILDER);
        assert_eq!(code, 1, "{change}: {out}");
        assert!(
            out.contains("in the lane of researcher:"),
            "{change}: {out}"
        );
        assert!(
            out.contains(&format!("{status:<9} {path}")),
            "{change}: {out}"
        );
        assert!(
            out.contains("1 of 1 staged path out of lane: refused."),
            "{change}: {out}"
        );
    }
}

#[test]
fn both_sides_of_a_rename_count() {
    // Out of the researcher's lane into the builder's: the old side is the violation.
    let r = Repo::new();
    r.git(["mv", "research/a.md", "src/a.md"]);
    let (code, v) = r.json(&[], BUILDER);
    assert_eq!(code, 1);
    assert_eq!(paths(&v), ["research/a.md"]);
    assert_eq!(v["violations"][0]["status"], "deleted");
    assert_eq!(v["paths"], 2);
    // Out of the builder's lane into the researcher's: the new side is.
    let r = Repo::new();
    r.git(["mv", "src/x.rs", "research/x.rs"]);
    let (code, v) = r.json(&[], BUILDER);
    assert_eq!(code, 1);
    assert_eq!(paths(&v), ["research/x.rs"]);
}

#[test]
fn protected_paths_are_refused_for_every_role() {
    let r = Repo::new();
    r.write(
        "lanes.toml",
        &format!("{POLICY}\n[shared]\nwrite = [\"src/\"]\n"),
    );
    r.write(".claude/settings.json", "{}");
    r.git(["add", "-A"]);
    let (code, out, _) = r.check(&[], BUILDER);
    assert_eq!(code, 1);
    assert!(out.contains("protected:"), "{out}");
    assert!(
        out.contains("lanes.toml  (always protected: lanes.toml)"),
        "{out}"
    );
    assert!(
        out.contains(".claude/settings.json  (always protected: **/.claude/)"),
        "{out}"
    );
}

#[test]
fn unstaged_edits_are_not_judged() {
    let r = Repo::new();
    r.write("research/a.md", "unstaged edit");
    r.write("research/untracked.md", "untracked");
    r.write("src/y.rs", "staged");
    r.git(["add", "src/y.rs"]);
    let (code, out, _) = r.check(&[], BUILDER);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 staged path, all in lane"), "{out}");
}

#[test]
fn the_first_commit_is_judged() {
    let r = Repo::empty(POLICY);
    r.write("src/main.rs", "x");
    r.write("research/notes.md", "x");
    r.git(["add", "src", "research"]);
    let (code, v) = r.json(&[], BUILDER);
    assert_eq!(code, 1, "{v}");
    assert_eq!(paths(&v), ["research/notes.md"]);
    // Nobody named: the default `unassigned = "allow"` lets a person make the first commit.
    let (code, v) = r.json(&[], &[]);
    assert_eq!(
        (code, v["units"][0]["role_source"].as_str()),
        (0, Some("unassigned"))
    );
}

#[test]
fn odd_file_names_survive_byte_for_byte() {
    let r = Repo::new();
    let names: [&[u8]; 3] = [
        b"research/with space.md",
        b"research/new\nline.md",
        b"research/\xffbyte.md",
    ];
    for n in names {
        std::fs::write(r.dir.join(OsStr::from_bytes(n)), "x").unwrap();
    }
    std::fs::write(r.dir.join(OsStr::from_bytes(b"src/ok \xfe\n.rs")), "x").unwrap();
    r.git(["add", "-A"]);
    let (code, out, _) = r.check(&[], BUILDER);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("added     research/with space.md  ("), "{out}");
    assert!(
        out.contains("added     \"research/new\\nline.md\"  ("),
        "{out}"
    );
    assert!(
        out.contains("added     \"research/\\377byte.md\"  ("),
        "{out}"
    );
    assert!(
        out.contains("3 of 4 staged paths out of lane"),
        "the in-lane odd name is judged in lane: {out}"
    );
    let (_, v) = r.json(&[], BUILDER);
    let bytes: Vec<Vec<u8>> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| match x.get("path_bytes") {
            Some(b) => b
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_u64().unwrap() as u8)
                .collect(),
            None => x["path"].as_str().unwrap().as_bytes().to_vec(),
        })
        .collect();
    let mut want: Vec<Vec<u8>> = names.iter().map(|n| n.to_vec()).collect();
    want.sort();
    let mut got = bytes;
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn index_only_changes_are_seen() {
    let r = Repo::new();
    let mut hash = r.git_cmd(["hash-object", "-w", "--stdin"]);
    hash.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = hash.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"ghost\n").unwrap();
    let blob = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    r.git([
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("100644,{},research/ghost.md", blob.trim()),
    ]);
    assert!(!r.dir.join("research/ghost.md").exists());
    let (code, v) = r.json(&[], BUILDER);
    assert_eq!(code, 1);
    assert_eq!(paths(&v), ["research/ghost.md"]);
}

#[test]
fn role_from_each_source_in_order() {
    let r = Repo::new();
    r.write("research/x.md", "x");
    r.git(["add", "-A"]);
    let who = |args: &[&str], env: &[(&str, &str)]| {
        let (code, v) = r.json(args, env);
        let u = &v["units"][0];
        (
            code,
            u["role"].as_str().map(String::from),
            u["role_source"].as_str().unwrap().to_string(),
        )
    };
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        who(&["--role", "researcher"], BUILDER),
        (0, s("researcher"), "flag".into())
    );
    assert_eq!(
        who(
            &[],
            &[("LANES_ROLE", "builder"), ("CLAUDE_CODE_AGENT", "scout")]
        ),
        (1, s("builder"), "env".into())
    );
    assert_eq!(
        who(&[], &[("CLAUDE_CODE_AGENT", "scout")]),
        (0, s("researcher"), "claude_code_agent".into())
    );
    // An agent that maps to no role passes on to the next source (here: none).
    assert_eq!(
        who(&[], &[("CLAUDE_CODE_AGENT", "Explore")]),
        (0, None, "unassigned".into())
    );
    r.git(["checkout", "-q", "-b", "build/parser"]);
    assert_eq!(who(&[], &[]), (1, s("builder"), "branch".into()));
    assert_eq!(
        who(&[], &[("CLAUDE_CODE_AGENT", "Explore")]),
        (1, s("builder"), "branch".into())
    );
    assert_eq!(
        who(&[], &[("LANES_ROLE", "researcher")]),
        (0, s("researcher"), "env".into())
    );
    assert_eq!(
        who(&["--branch", "research/x"], &[]),
        (0, s("researcher"), "branch".into())
    );
}

#[test]
fn branch_mapping_uses_the_roles_globs() {
    let r = Repo::new();
    r.write("research/x.md", "x");
    r.git(["add", "-A"]);
    r.git(["checkout", "-q", "-b", "build/parser"]);
    let (code, out, _) = r.check(&[], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("role builder (from branch build/parser) may not commit 1 of 1 paths"),
        "{out}"
    );
    r.git(["checkout", "-q", "-b", "research/deep/topic"]);
    assert_eq!(r.check(&[], &[]).0, 0, "research/** crosses `/`");
    r.git(["checkout", "-q", "-b", "build/a/b"]);
    let (code, v) = r.json(&[], &[]);
    assert_eq!(
        (code, v["units"][0]["role_source"].as_str()),
        (0, Some("unassigned")),
        "build/* stays in one component"
    );
    // A detached HEAD has no branch.
    r.git(["checkout", "-q", "--detach"]);
    assert_eq!(r.json(&[], &[]).1["units"][0]["role_source"], "unassigned");
}

#[test]
fn errors_exit_2_and_say_why() {
    let r = Repo::new();
    let (code, out, err) = r.check(&["--format", "json"], &[("LANES_ROLE", "buidler")]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            v["ok"].as_bool(),
            v["error"].as_str().map(|e| e.contains("buidler"))
        ),
        (Some(false), Some(true))
    );
    assert!(
        err.contains(
            "role `buidler` (from LANES_ROLE) is not defined in the policy; roles: builder, researcher, reviewer"
        ),
        "{err}"
    );
    r.write(
        "lanes.toml",
        "[roles.builder]\nwrite = [\"src/\"]\nbranches = [\"build/[\"]\n",
    );
    let (code, _, err) = r.check(&[], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("lanes.toml:3:13: roles.builder.branches: invalid branch glob `build/[`"),
        "{err}"
    );
    r.write("lanes.toml", "[roles.builder]\nwrite = [\"../src\"]\n");
    let (code, _, err) = r.check(&["--format", "github"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("lanes.toml:2:10: roles.builder.write: invalid pattern `../src`"),
        "{err}"
    );
    let not_git = tempfile::tempdir().unwrap();
    std::fs::write(not_git.path().join("lanes.toml"), POLICY).unwrap();
    let (code, _, err) = r.check(
        &[
            "--policy",
            not_git.path().join("lanes.toml").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 2, "the repo and the policy do not overlap: {err}");
    let mut cmd = r.lanes();
    cmd.current_dir(not_git.path());
    let (code, _, err) = result(cmd.output().unwrap());
    assert_eq!(code, 2);
    assert!(err.contains("not a git repository"), "{err}");
}

#[test]
fn log_mode_reports_but_passes() {
    let r = Repo::new();
    r.write("lanes.toml", &format!("mode = \"log\"\n{POLICY}"));
    r.git(["commit", "-qam", "log mode"]);
    r.write("research/x.md", "x");
    r.git(["add", "-A"]);
    let (code, out, _) = r.check(&[], BUILDER);
    assert_eq!(code, 0);
    assert!(
        out.contains("1 of 1 staged path out of lane: reported only (mode = \"log\")."),
        "{out}"
    );
}

#[test]
fn a_policy_in_a_subdirectory_judges_paths_below_it() {
    let r = Repo::empty("");
    std::fs::remove_file(r.dir.join("lanes.toml")).unwrap();
    r.write("proj/lanes.toml", POLICY);
    r.write("proj/research/x.md", "x");
    r.write("proj/src/y.rs", "x");
    r.write("other/z.md", "x");
    r.git(["add", "other", "proj/research", "proj/src"]);
    let (code, v) = r.json(&["--policy", "proj/lanes.toml"], BUILDER);
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        paths(&v),
        ["proj/research/x.md"],
        "other/ lies outside the project; proj/src is the lane"
    );
    assert_eq!(v["paths"], 3);
}

#[test]
fn concluding_a_merge_judges_only_what_differs_from_both_sides() {
    let r = Repo::new();
    r.git(["checkout", "-q", "-b", "build/x"]);
    r.write("src/x.rs", "builder's version");
    r.git(["commit", "-qam", "builder"]);
    r.git(["checkout", "-q", "main"]);
    r.write("src/x.rs", "main's version");
    r.write("research/a.md", "the researcher's work, merged in");
    r.git(["commit", "-qam", "main"]);
    r.git(["checkout", "-q", "build/x"]);
    let merge = r.git_cmd(["merge", "-q", "main"]).output().unwrap();
    assert!(
        !merge.status.success(),
        "the merge stops on the conflict in src/x.rs"
    );
    r.write("src/x.rs", "resolved");
    r.git(["add", "src/x.rs"]);
    let (code, v) = r.json(&[], &[]);
    assert_eq!(code, 0, "research/a.md came from main unchanged: {v}");
    assert_eq!(v["paths"], 1, "{v}");
    // Editing the researcher's file while resolving is the builder's own change.
    r.write("research/a.md", "edited during the merge");
    r.git(["add", "research/a.md"]);
    let (code, v) = r.json(&[], &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(paths(&v), ["research/a.md"]);
}

#[test]
fn a_submodule_is_judged_as_a_directory() {
    let policy = "[roles.builder]\nwrite = [\"vendor/\", \".gitmodules\"]\n[protected]\npaths = [\"vendor/lib/\"]\n";
    let r = Repo::empty(policy);
    r.git(["add", "lanes.toml"]);
    r.git(["commit", "-qm", "policy"]);
    let head = r.head();
    r.write(
        ".gitmodules",
        "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = ../lib\n",
    );
    r.git(["add", ".gitmodules"]);
    r.git([
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{head},vendor/lib"),
    ]);
    r.write("vendor/other.txt", "x");
    r.git(["add", "vendor/other.txt"]);
    let (code, v) = r.json(&[], BUILDER);
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        paths(&v),
        ["vendor/lib"],
        "the gitlink matches the directory pattern `vendor/lib/`"
    );
    assert_eq!(v["violations"][0]["rule"], "protected: vendor/lib/");
}

#[test]
fn a_policy_above_the_repository_judges_paths_through_it() {
    // The project holds a nested repository: git lists paths relative to `inner/`.
    let r = Repo::empty(POLICY);
    let inner = r.dir.join("inner");
    std::fs::create_dir_all(inner.join("research")).unwrap();
    std::fs::write(inner.join("research/x.md"), "x").unwrap();
    let mut init = r.git_cmd(["init", "-q"]);
    init.current_dir(&inner);
    assert!(init.status().unwrap().success());
    let mut add = r.git_cmd(["add", "-A"]);
    add.current_dir(&inner);
    assert!(add.status().unwrap().success());
    let mut cmd = r.lanes();
    cmd.current_dir(&inner)
        .env("LANES_ROLE", "researcher")
        .args(["--format", "json"]);
    let (code, out, err) = result(cmd.output().unwrap());
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    assert_eq!(
        code, 1,
        "inner/research/x.md is not the root's research/: {v}"
    );
    assert_eq!(paths(&v), ["research/x.md"], "shown as git lists it");
    assert_eq!(v["violations"][0]["group"], "outside every lane");
}

#[test]
fn github_annotations_escape_file_names() {
    let r = Repo::new();
    r.write("research/a,b:c%.md", "x");
    r.git(["add", "-A"]);
    let (code, out, _) = r.check(&["--format", "github"], BUILDER);
    assert_eq!(code, 1);
    assert!(out.starts_with("::error file=research/a%2Cb%3Ac%25.md,title=lanes check%3A out of lane::research/a,b:c%25.md is in the lane of researcher"), "{out}");
}

/// Three good commits and one bad one on a builder branch; a trailer names another role.
fn range_repo() -> (Repo, String, String) {
    let r = Repo::new();
    let base = r.head();
    r.git(["checkout", "-q", "-b", "build/feature"]);
    let commit = |path: &str, msg: &str| {
        r.write(path, msg);
        r.git(["add", "-A"]);
        r.git(["commit", "-qm", msg]);
        r.head()
    };
    commit("src/one.rs", "one");
    let bad = commit("research/sneaky.md", "sneaky");
    commit("src/two.rs", "two");
    commit("research/by-researcher.md", "notes\n\nLane: researcher");
    (r, base, bad)
}

#[test]
fn range_mode_judges_each_commit_and_names_the_bad_one() {
    let (r, base, bad) = range_repo();
    let range = format!("{base}..HEAD");
    let (code, out, _) = r.check(&["--range", &range], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "commit {}: role builder (from branch build/feature)",
            &bad[..12]
        )),
        "{out}"
    );
    assert!(out.contains("research/sneaky.md"), "{out}");
    assert!(
        !out.contains("by-researcher"),
        "the trailer made that commit the researcher's: {out}"
    );
    assert!(
        out.contains(&format!(
            "1 of 4 changed paths in 1 of 4 commits of {range} out of lane"
        )),
        "{out}"
    );
    let (code, v) = r.json(&["--range", &format!("{base}...build/feature")], &[]);
    assert_eq!(code, 1);
    assert_eq!(paths(&v), ["research/sneaky.md"]);
    assert_eq!(v["violations"][0]["commit"].as_str(), Some(bad.as_str()));
    let sources: Vec<&str> = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["role_source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        ["branch", "branch", "branch", "trailer"],
        "oldest first"
    );
    // --role wins over trailers: as the researcher, the builder's commits are the bad ones.
    let (code, v) = r.json(&["--range", &range, "--role", "researcher"], &[]);
    assert_eq!(code, 1);
    assert_eq!(paths(&v), ["src/one.rs", "src/two.rs"]);
    // In CI the checkout is detached: --branch names the branch.
    r.git(["checkout", "-q", "--detach"]);
    let (code, v) = r.json(&["--range", &range, "--branch", "build/feature"], &[]);
    assert_eq!(
        (code, paths(&v)),
        (1, vec!["research/sneaky.md".to_string()])
    );
}

#[test]
fn range_mode_judges_merges_by_what_they_change_themselves() {
    let r = Repo::new();
    let base = r.head();
    r.git(["checkout", "-q", "-b", "build/x"]);
    r.write("src/one.rs", "one");
    r.git(["add", "-A"]);
    r.git(["commit", "-qm", "one"]);
    r.git(["checkout", "-q", "main"]);
    r.write("research/a.md", "from main");
    r.git(["commit", "-qam", "research\n\nLane: researcher"]);
    r.git(["checkout", "-q", "build/x"]);
    r.git(["merge", "-q", "--no-edit", "main"]);
    let range = format!("{base}..HEAD");
    let (code, v) = r.json(&["--range", &range], &[]);
    assert_eq!(code, 0, "a clean merge changes nothing of its own: {v}");
    assert_eq!(v["units"].as_array().unwrap().len(), 3, "{v}");
    // A merge that edits the researcher's file itself is the builder's doing.
    r.git(["checkout", "-q", "main"]);
    r.write("research/a.md", "main again");
    r.git(["commit", "-qam", "again\n\nLane: researcher"]);
    r.git(["checkout", "-q", "build/x"]);
    r.git(["merge", "-q", "--no-commit", "main"]);
    r.write("research/a.md", "rewritten in the merge");
    r.git(["add", "-A"]);
    r.git(["commit", "-qm", "evil merge"]);
    let merge = r.head();
    let (code, v) = r.json(&["--range", &range], &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(paths(&v), ["research/a.md"]);
    assert_eq!(v["violations"][0]["commit"].as_str(), Some(merge.as_str()));
    assert_eq!(v["violations"][0]["status"], "changed in merge");
}

#[test]
fn range_mode_github_annotations() {
    let (r, base, bad) = range_repo();
    let (code, out, _) = r.check(
        &["--range", &format!("{base}..HEAD"), "--format", "github"],
        &[],
    );
    assert_eq!(code, 1);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "::error file=research/sneaky.md,title=lanes check%3A out of lane::research/sneaky.md is in the lane of \
             researcher (pattern `research/`); role builder (from branch build/feature) may not change it (commit {})",
            &bad[..12]
        )
    );
    let (code, out, _) = r.check(&["--range", "nope..HEAD", "--format", "github"], &[]);
    assert_eq!(code, 2);
    assert!(out.starts_with("::error title=lanes check::"), "{out}");
}

#[test]
fn range_mode_unknown_trailer_role_is_an_error() {
    let r = Repo::new();
    let base = r.head();
    r.write("src/a.rs", "x");
    r.git(["add", "-A"]);
    r.git(["commit", "-qm", "a\n\nLane: nobody"]);
    let (code, _, err) = r.check(&["--range", &format!("{base}..HEAD")], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("role `nobody` (from the `Lane:` trailer of commit"),
        "{err}"
    );
}

#[test]
fn files_mode_judges_named_paths() {
    let r = Repo::new();
    let (code, v) = r.json(
        &["--files", "src/x.rs", "research/a.md", "../elsewhere"],
        BUILDER,
    );
    assert_eq!(code, 1);
    assert_eq!(paths(&v), ["research/a.md"]);
    assert_eq!(v["paths"], 3);
}

#[test]
fn the_pre_commit_shim_refuses_an_out_of_lane_commit() {
    let r = Repo::new();
    r.install_shim();
    r.git(["checkout", "-q", "-b", "build/x"]);
    let before = r.head();
    r.write("research/a.md", "builder was here");
    r.git(["add", "-A"]);
    let (code, _, err) = result(
        r.git_cmd(["commit", "-qm", "out of lane"])
            .output()
            .unwrap(),
    );
    assert_ne!(code, 0);
    assert!(err.contains("research/a.md"), "{err}");
    assert_eq!(r.head(), before, "HEAD did not move");
    // `git commit -a` stages into a temporary index; the hook sees it too.
    r.git(["reset", "-q"]);
    r.write("src/x.rs", "in lane");
    let (code, _, err) = result(r.git_cmd(["commit", "-qam", "all"]).output().unwrap());
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("research/a.md"), "{err}");
    assert_eq!(r.head(), before);
    // In lane: the commit goes through.
    r.git(["checkout", "-q", "research/a.md"]);
    r.git(["commit", "-qam", "in lane"]);
    assert_ne!(r.head(), before);
}

#[test]
fn the_pre_commit_shim_fails_closed_without_lanes() {
    let r = Repo::new();
    r.install_shim();
    r.write("src/x.rs", "in lane, but nobody can check it");
    r.git(["add", "-A"]);
    let before = r.head();
    let git = std::process::Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    let git = PathBuf::from(String::from_utf8(git.stdout).unwrap().trim());
    let bin = r.home.join("only-git");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(&git, bin.join("git")).unwrap();
    let mut cmd = r.git_cmd(["commit", "-qm", "x"]);
    cmd.env("PATH", &bin);
    let (code, _, err) = result(cmd.output().unwrap());
    assert_ne!(code, 0);
    assert!(
        err.contains("`lanes` command was not found on PATH, so this commit is refused"),
        "{err}"
    );
    assert!(err.contains("cargo install"), "{err}");
    assert_eq!(r.head(), before);
}

/// How to run pre-commit: a program with leading arguments, and the `PYTHONPATH` it needs
/// (set for `git commit` too, since the installed hook runs the same Python).
struct PreCommit {
    program: PathBuf,
    args: Vec<&'static str>,
    pythonpath: Option<PathBuf>,
}

impl PreCommit {
    fn env(&self, cmd: &mut std::process::Command, cache: &Path) {
        cmd.env("PRE_COMMIT_HOME", cache);
        if let Some(p) = &self.pythonpath {
            cmd.env("PYTHONPATH", p);
        }
    }
}

/// pre-commit from PyPI, installed once into the target directory (CI machines have python3
/// and pip but not pre-commit): in a venv, or with `pip install --target` where the venv
/// module is missing (Debian without python3-venv). Skipped only when LANES_SKIP_PRECOMMIT=1,
/// and never under CI.
fn pre_commit() -> Option<PreCommit> {
    if skip::switch(
        "LANES_SKIP_PRECOMMIT",
        "pre-commit was not installed and the hook-manager test did not run",
    ) {
        return None;
    }
    const VERSION: &str = "4.7.0";
    let spec = format!("pre-commit=={VERSION}");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pre-commit-{VERSION}"));
    let done = dir.join("installed");
    let run = |cmd: &mut std::process::Command| {
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            format!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr)),
        )
    };
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let (venv_ok, venv_err) = run(std::process::Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&dir));
        let (ok, err) = if venv_ok {
            run(std::process::Command::new(dir.join("bin/pip")).args(["install", "-q", &spec]))
        } else {
            let _ = std::fs::remove_dir_all(&dir);
            let target = dir.join("site");
            let (ok, err) = run(std::process::Command::new("python3")
                .args(["-m", "pip", "install", "-q", "--target"])
                .arg(&target)
                .arg(&spec));
            (ok, format!("{venv_err}\n{err}"))
        };
        assert!(
            ok,
            "cannot install pre-commit (set LANES_SKIP_PRECOMMIT=1 to skip this test): {err}"
        );
        std::fs::write(&done, VERSION).unwrap();
    }
    Some(if dir.join("bin/pre-commit").exists() {
        PreCommit {
            program: dir.join("bin/pre-commit"),
            args: vec![],
            pythonpath: None,
        }
    } else {
        PreCommit {
            program: "python3".into(),
            args: vec!["-m", "pre_commit"],
            pythonpath: Some(dir.join("site")),
        }
    })
}

#[test]
fn real_pre_commit_with_this_repository_as_hook_source_refuses_an_out_of_lane_commit() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };
    // This repository's .pre-commit-hooks.yaml, committed in a clone pre-commit can fetch
    // offline.
    let source = Repo::empty("");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
        source.dir.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    source.git(["add", ".pre-commit-hooks.yaml"]);
    source.git(["commit", "-qm", "hooks"]);
    let rev = source.head();

    let r = Repo::new();
    r.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: lanes-check-system\n",
            source.dir.display()
        ),
    );
    r.git(["add", ".pre-commit-config.yaml"]);
    r.git(["commit", "-qm", "pre-commit config"]);
    let cache = r.home.join("pre-commit-cache");
    let pc = |args: &[&str]| {
        let mut cmd = std::process::Command::new(&pre_commit.program);
        r.env(&mut cmd);
        pre_commit.env(&mut cmd, &cache);
        cmd.args(&pre_commit.args).args(args);
        result(cmd.output().unwrap())
    };
    let (code, out, err) = pc(&["install"]);
    assert_eq!(code, 0, "{out}{err}");

    r.git(["checkout", "-q", "-b", "build/x"]);
    let before = r.head();
    r.git(["rm", "-q", "research/b.md"]); // a deletion: frameworks never pass these as file names
    let mut commit = r.git_cmd(["commit", "-m", "out of lane"]);
    pre_commit.env(&mut commit, &cache);
    let (code, out, err) = result(commit.output().unwrap());
    assert_ne!(code, 0, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(all.contains("deleted   research/b.md"), "{all}");
    assert!(all.contains("Failed"), "{all}");
    assert_eq!(r.head(), before, "HEAD did not move");

    r.git(["reset", "-q", "--hard"]);
    r.write("src/ok.rs", "fine");
    r.git(["add", "-A"]);
    let mut commit = r.git_cmd(["commit", "-qm", "in lane"]);
    pre_commit.env(&mut commit, &cache);
    let (code, out, err) = result(commit.output().unwrap());
    assert_eq!(code, 0, "{out}{err}");
    assert_ne!(r.head(), before);
}

#[test]
fn a_long_listing_is_reported_whole_and_in_git_order() {
    // Over 4,096 staged paths, lanes judges the listing on two threads: the report must be
    // the one a single thread writes, every path counted once, in the order git lists them.
    let r = Repo::new();
    let blob = r.git(["hash-object", "-w", "README.md"]);
    let mut index = String::new();
    let mut staged = Vec::new();
    for i in 0..20_000 {
        let path = match i % 7 {
            0..=2 => format!("src/m{}/f{i}.rs", i % 50),
            3 => format!("research/n{}/f{i}.md", i % 40),
            4 => format!("reviews/f{i}.md"),
            5 => format!("docs/d{}/f{i}.md", i % 3),
            _ => format!("src/flat{i}.rs"),
        };
        index.push_str(&format!("100644 {blob}\t{path}\n"));
        staged.push(path);
    }
    let mut add = r.git_cmd(["update-index", "--add", "--index-info"]);
    add.stdin(std::process::Stdio::piped());
    let mut child = add.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(index.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    // Git lists paths in byte order.
    staged.sort();
    for (role, lane) in [("builder", "src/"), ("researcher", "research/")] {
        let (code, v) = r.json(&["--role", role], &[]);
        assert_eq!(code, 1, "{role}: {v}");
        assert_eq!(v["paths"], 20_000, "{role}");
        let out: Vec<&String> = staged.iter().filter(|p| !p.starts_with(lane)).collect();
        let got = paths(&v);
        assert_eq!(got.len(), out.len(), "{role}");
        assert!(
            got.iter().eq(out.iter().copied()),
            "{role}: not in git's order"
        );
        for x in v["violations"].as_array().unwrap() {
            let path = x["path"].as_str().unwrap();
            let owner = match path.split('/').next().unwrap() {
                "src" => Some("builder"),
                "research" => Some("researcher"),
                "reviews" => Some("reviewer"),
                _ => None,
            };
            let rule = x["rule"].as_str().unwrap();
            match owner {
                Some(o) => assert!(rule.starts_with(&format!("lane of {o}")), "{path}: {rule}"),
                None => assert!(!rule.starts_with("lane of"), "{path}: {rule}"),
            }
        }
    }
}

#[test]
fn a_branch_without_the_policy_commits_with_a_note_but_a_named_missing_policy_fails() {
    // `lanes init` installs the pre-commit hook for every branch; an old release branch or an
    // orphan one without lanes.toml has no lanes to keep.
    let r = Repo::new();
    r.git(["checkout", "-q", "--orphan", "old"]);
    r.git(["rm", "-rq", "--cached", "."]);
    std::fs::remove_file(r.dir.join("lanes.toml")).unwrap();
    r.write("anything.txt", "x\n");
    r.git(["add", "anything.txt"]);
    let (code, _, err) = r.check(&[], BUILDER);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("no lanes.toml in") && err.contains("nothing to check"),
        "{err}"
    );
    let (code, out, _) = r.check(&["--format", "json"], BUILDER);
    assert_eq!((code, out.trim()), (0, r#"{"ok":true,"policy":null}"#));
    let (code, _, err) = r.check(&["--policy", "missing.toml"], BUILDER);
    assert_eq!(code, 2, "{err}");
}
