//! `lanes run`: the walls and the Claude Code settings generated for the shipped templates and
//! for odd layouts (glob lanes, a signal file inside a shared lane, nested lanes, negations,
//! paths with spaces), and the binary's refusals and launch with a stand-in `claude` on PATH.
//! The real sandbox with the real CLI is in tests/e2e_claude.rs.

mod skip;
mod support;

use lanes::decide::{decide, Place};
use lanes::path::RepoPath;
use lanes::policy::{Lanes, Policy};
use lanes::role::{Actor, RoleSource};
use lanes::run::wall::{self, Disk, Walls};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// A project on disk: `policy` as lanes.toml, and `files` (a trailing `/` makes a folder).
struct Project {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    policy: Policy,
}

impl Project {
    fn new(policy: &str, files: &[&str]) -> Project {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("the project").canonicalize_or_create();
        fs::write(root.join("lanes.toml"), policy).unwrap();
        for f in files {
            let p = root.join(f);
            if f.ends_with('/') {
                fs::create_dir_all(&p).unwrap();
            } else {
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(&p, "x").unwrap();
            }
        }
        let policy = Policy::load(&root.join("lanes.toml")).unwrap();
        Project {
            _tmp: tmp,
            root,
            policy,
        }
    }

    fn walls(&self, role: &str) -> Walls {
        let lanes = Lanes::new(&self.policy);
        let role = self.policy.role(role).unwrap();
        wall::walls(&lanes, role, &Disk(&self.root)).unwrap()
    }

    /// The walls as a user reads them: denied paths, then what is left to the hook.
    fn view(&self, role: &str) -> String {
        let w = self.walls(role);
        let show = |d: &wall::Denied| match d.dir {
            true => format!("{}/", d.path),
            false => d.path.to_string(),
        };
        // lanes' own files and the agent clients' settings folders, walled for every role
        // (checked here once, left out of the view).
        let all: Vec<String> = w.denied.iter().map(show).collect();
        for own in LANES_OWN {
            assert!(
                all.iter().any(|d| d == own),
                "{role}: {own} is not walled: {all:?}"
            );
        }
        let rest: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|d| !LANES_OWN.contains(d))
            .collect();
        let mut out = format!("denied: {}", rest.join(" "));
        let held: Vec<String> = w
            .held
            .iter()
            .filter(|h| !h.path.is_root())
            .map(|h| format!("{}/ ({})", h.path, h.pattern))
            .collect();
        if !held.is_empty() {
            out += &format!("\nheld: {}", held.join(" "));
        }
        let globs: Vec<String> = w
            .globs
            .iter()
            .filter(|g| g.whose != "always protected")
            .map(|g| format!("{} ({})", g.pattern, g.whose))
            .collect();
        if !globs.is_empty() {
            out += &format!("\nglobs: {}", globs.join(" "));
        }
        if !w.unnameable.is_empty() {
            let names: Vec<String> = w.unnameable.iter().map(show).collect();
            out += &format!("\nunnameable: {}", names.join(" "));
        }
        out
    }

    /// Every walled path, and paths below it, is denied to `role` by the decision module;
    /// every path the role may write lies outside every wall.
    fn check_against_decide(&self, role_name: &str, may_write: &[&str]) {
        let lanes = Lanes::new(&self.policy);
        let role = self.policy.role(role_name).unwrap();
        let actor = Actor::Role(role, RoleSource::Flag);
        let judge = |p: &str, dir: bool| {
            let place = Place::Project(RepoPath::new(Path::new(p)).unwrap());
            decide(&lanes, &actor, &place, dir).unwrap()
        };
        let w = self.walls(role_name);
        for d in &w.denied {
            let p = d.path.to_string();
            let below = match d.dir {
                true => vec![p.clone(), format!("{p}/x"), format!("{p}/a/b.rs")],
                false => vec![p.clone()],
            };
            for below in below {
                let v = judge(&below, d.dir && below == p);
                assert!(
                    v.blocked,
                    "{role_name}: {below} is walled but allowed: {v:?}"
                );
            }
        }
        for p in may_write {
            assert!(
                !judge(p, false).blocked,
                "{role_name} may not write {p} after all"
            );
            let rp = RepoPath::new(Path::new(p)).unwrap();
            assert!(
                !w.denied.iter().any(|d| rp.starts_with(&d.path)),
                "{role_name} may write {p}, but it is walled"
            );
        }
    }
}

/// Walled for every role: lanes' files, the memory and ignore files Claude Code leaves
/// writable, and the agent clients' settings folders (always protected).
const LANES_OWN: &[&str] = &[
    ".claude/",
    ".codex/",
    ".gemini/",
    ".github/hooks/",
    ".gitignore",
    ".lanes/",
    "CLAUDE.md",
    "lanes.toml",
];

trait CanonOrCreate {
    fn canonicalize_or_create(self) -> PathBuf;
}

impl CanonOrCreate for PathBuf {
    fn canonicalize_or_create(self) -> PathBuf {
        fs::create_dir_all(&self).unwrap();
        self.canonicalize().unwrap()
    }
}

fn template(name: &str) -> &'static str {
    lanes::scaffold::templates::find(name).unwrap().text
}

#[test]
fn research_build_review_walls_each_role_off_the_others() {
    let p = Project::new(
        template("research-build-review"),
        &[
            "src/main.rs",
            "research/",
            "reviews/",
            "tests/",
            "README.md",
            "target/",
            ".git/",
        ],
    );
    assert_eq!(
        p.view("builder"),
        "denied: README.md contracts/ research/ reviews/ tests/"
    );
    p.check_against_decide("builder", &["src/main.rs", "Cargo.toml", "target/debug/x"]);
    assert_eq!(
        p.view("researcher"),
        "denied: Cargo.lock Cargo.toml README.md contracts/ go.mod go.sum package-lock.json package.json pyproject.toml reviews/ src/ tests/"
    );
    p.check_against_decide("researcher", &["research/notes.md", "target/x"]);
    p.check_against_decide("reviewer", &["reviews/r.md", "tests/t.rs"]);
}

#[test]
fn every_template_walls_only_what_decide_denies() {
    for t in lanes::scaffold::templates::TEMPLATES {
        let p = Project::new(t.text, &["README.md", "src/", "docs/", "api/x.yaml"]);
        for role in &p.policy.roles {
            let own: Vec<String> = role
                .write
                .patterns()
                .filter(|x| !x.text.contains('*') && !x.text.starts_with('!'))
                .map(|x| format!("{}x", x.text.trim_end_matches('/').to_owned() + "/"))
                .collect();
            let own: Vec<&str> = own.iter().map(String::as_str).collect();
            p.check_against_decide(&role.name, &own);
            let w = p.walls(&role.name);
            assert!(
                w.denied.iter().any(|d| d.path.to_string() == "lanes.toml"),
                "{}: {}",
                t.name,
                role.name
            );
            assert!(
                w.stricter.iter().any(|s| s.starts_with("**/")),
                "{}",
                t.name
            );
        }
    }
}

#[test]
fn a_glob_lane_is_walled_by_what_matches_it_now() {
    let p = Project::new(
        r#"
[roles.writer]
write = ["docs/*.md"]
[roles.builder]
write = ["src/", "docs/api/"]
"#,
        &["docs/a.md", "docs/img.png", "docs/api/x.yaml", "src/"],
    );
    assert_eq!(
        p.view("builder"),
        "denied: docs/a.md docs/img.png\n\
         held: docs/ (docs/api/)\n\
         globs: docs/*.md (lane of writer)"
    );
    p.check_against_decide("builder", &["docs/api/y.yaml", "src/x.rs"]);
    assert_eq!(
        p.view("writer"),
        "denied: docs/api/ docs/img.png src/\n\
         held: docs/ (docs/*.md)"
    );
    p.check_against_decide("writer", &["docs/a.md", "docs/new.md"]);
}

#[test]
fn a_signal_file_inside_a_shared_lane_is_walled_alone() {
    let p = Project::new(
        r#"
[roles.researcher]
write = ["research/"]
signal = "handoff/RESEARCH_DONE.md"
[roles.builder]
write = ["src/"]
[shared]
write = ["handoff/", "research/"]
"#,
        &["handoff/notes.md", "research/"],
    );
    let w = p.walls("builder");
    let names: Vec<String> = w.denied.iter().map(|d| d.path.to_string()).collect();
    assert!(
        names.contains(&"handoff/RESEARCH_DONE.md".to_string()),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n == "handoff" || n == "research"));
    p.check_against_decide("builder", &["handoff/notes.md", "research/x"]);
}

#[test]
fn nested_lanes_stay_writable_and_what_surrounds_them_is_walled_by_name() {
    let p = Project::new(
        r#"
[roles.builder]
write = ["src/", "!src/vendor/"]
[roles.codegen]
write = ["src/gen/"]
[roles.vendor]
write = ["src/vendor/"]
[protected]
paths = ["src/api/"]
"#,
        &[
            "src/main.rs",
            "src/gen/out.rs",
            "src/vendor/lib.rs",
            "src/lib/",
        ],
    );
    // codegen's lane lies inside builder's: builder's src/ is not walled whole.
    assert_eq!(
        p.view("codegen"),
        "denied: src/api/ src/lib/ src/main.rs src/vendor/\n\
         held: src/ (src/gen/)"
    );
    p.check_against_decide("codegen", &["src/gen/out.rs", "src/gen/new.rs"]);
    // builder may write src/gen/ too (a path in several lanes is each owner's), not the
    // negated src/vendor/ nor the protected src/api/.
    assert_eq!(p.view("builder"), "denied: src/api/ src/vendor/");
    p.check_against_decide("builder", &["src/main.rs", "src/gen/out.rs"]);
}

#[test]
fn paths_with_spaces_and_glob_characters() {
    let p = Project::new(
        r#"
[roles.writer]
write = ["my docs/"]
[roles.builder]
write = ["src/"]
"#,
        &["my docs/a b.md", "weird[1]/x", "src/"],
    );
    assert_eq!(
        p.view("builder"),
        "denied: my docs/\n\
         unnameable: weird[1]/"
    );
    let s = settings(&p, "builder", true);
    let deny = &s["sandbox"]["filesystem"]["denyWrite"];
    let abs = p.root.join("my docs").to_string_lossy().into_owned();
    assert!(
        deny.as_array().unwrap().iter().any(|d| d == abs.as_str()),
        "{deny}"
    );
    let rule = format!("Edit(/{abs}/**)");
    assert!(
        s["permissions"]["deny"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == rule.as_str()),
        "{}",
        s["permissions"]
    );
}

#[test]
fn log_mode_walls_nothing() {
    let p = Project::new(
        "mode = \"log\"\n[roles.a]\nwrite = [\"a/\"]\n[roles.b]\nwrite = [\"b/\"]\n",
        &["b/"],
    );
    assert_eq!(p.walls("a").denied, vec![]);
}

/// The settings `lanes run` would write for `role`.
fn settings(p: &Project, role: &str, sandbox: bool) -> Value {
    let probe = ready_probe();
    let machine = lanes::run::Machine {
        probe: &probe,
        tree: &Disk(&p.root),
        git_dirs: &[],
    };
    let req = lanes::run::Request {
        role,
        client: lanes::run::Client::Claude,
        sandbox,
        layout: lanes::run::Layout::DenyList,
        args: &[],
        hook_command: "lanes",
        explicit_policy: false,
    };
    let launch = lanes::run::plan(&p.policy, &req, &machine).unwrap();
    serde_json::from_str(&launch.files[0].1).unwrap()
}

fn ready_probe() -> lanes::run::probe::Probe {
    lanes::run::probe::Probe {
        os: "linux".into(),
        bwrap: Some("/usr/bin/bwrap".into()),
        socat: Some("/usr/bin/socat".into()),
        user_namespaces: Some(Ok(())),
    }
}

#[test]
fn the_settings_hold_the_sandbox_the_deny_rules_and_the_hook_init_registers() {
    let p = Project::new(template("research-build-review"), &["research/"]);
    let s = settings(&p, "builder", true);
    let root = p.root.to_string_lossy().into_owned();
    assert_eq!(s["sandbox"]["enabled"], true);
    assert_eq!(s["sandbox"]["failIfUnavailable"], true);
    assert_eq!(s["sandbox"]["allowUnsandboxedCommands"], false);
    let deny: Vec<&str> = s["sandbox"]["filesystem"]["denyWrite"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for rel in [
        "research",
        "reviews",
        "tests",
        "contracts",
        "lanes.toml",
        ".lanes",
        "CLAUDE.md",
        ".gitignore",
    ] {
        assert!(
            deny.contains(&format!("{root}/{rel}").as_str()),
            "{rel}: {deny:?}"
        );
    }
    assert!(!deny
        .iter()
        .any(|d| d.ends_with("/src") || d.ends_with("/.git")));
    let rules = s["permissions"]["deny"].as_array().unwrap();
    assert!(rules.contains(&Value::from(format!("Edit(/{root}/research/**)"))));
    assert!(rules.contains(&Value::from(format!("Edit(/{root}/lanes.toml)"))));
    assert_eq!(s["bashEditDiffEnabled"], true);
    assert_eq!(s["hooks"], lanes::scaffold::settings::hooks("lanes"));
    let without = settings(&p, "builder", false);
    assert!(without.get("sandbox").is_none(), "{without}");
    assert_eq!(without["permissions"], s["permissions"]);
}

#[test]
fn git_folders_outside_the_project_stay_writable() {
    let p = Project::new(template("research-build-review"), &[]);
    let probe = ready_probe();
    let dirs = vec![p.root.join(".git"), PathBuf::from("/elsewhere/main/.git")];
    let machine = lanes::run::Machine {
        probe: &probe,
        tree: &Disk(&p.root),
        git_dirs: &dirs,
    };
    let req = lanes::run::Request {
        role: "builder",
        client: lanes::run::Client::Claude,
        sandbox: true,
        layout: lanes::run::Layout::DenyList,
        args: &["-p".into(), "go".into()],
        hook_command: "/opt/lanes",
        explicit_policy: true,
    };
    let launch = lanes::run::plan(&p.policy, &req, &machine).unwrap();
    let s: Value = serde_json::from_str(&launch.files[0].1).unwrap();
    assert_eq!(
        s["sandbox"]["filesystem"]["allowWrite"],
        serde_json::json!(["/elsewhere/main/.git"])
    );
    let file = p.root.join(".lanes/run/claude-builder.json");
    assert_eq!(launch.files[0].0, file);
    assert_eq!(launch.program, "claude");
    assert_eq!(
        launch.args,
        vec![
            "--settings".into(),
            file.into_os_string(),
            "-p".into(),
            "go".into()
        ]
    );
    assert_eq!(launch.cwd, p.root);
    assert!(launch
        .env
        .contains(&("LANES_ROLE".into(), "builder".into())));
    assert!(launch
        .env
        .contains(&("LANES_POLICY".into(), p.root.join("lanes.toml").into())));
}

// --- the binary ---------------------------------------------------------------------------

/// A project from the default template, a private HOME, and a `bin/` holding a stand-in
/// `claude` that records its arguments, folder and LANES_ROLE in `out/`.
struct Cli {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    bin: PathBuf,
    out: PathBuf,
}

impl Cli {
    fn new() -> Cli {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let bin = tmp.path().join("bin");
        let out = tmp.path().join("out");
        for d in [&root, &bin, &out] {
            fs::create_dir_all(d).unwrap();
        }
        let root = root.canonicalize().unwrap();
        fs::write(root.join("lanes.toml"), template("research-build-review")).unwrap();
        fs::create_dir_all(root.join("src/deep")).unwrap();
        let claude = bin.join("claude");
        fs::write(
            &claude,
            format!(
                "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{o}/argv'\npwd > '{o}/cwd'\nprintf '%s\\n' \"$LANES_ROLE\" > '{o}/role'\nprintf '%s\\n' \"$LANES_POLICY\" > '{o}/policy'\n",
                o = out.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&claude, fs::Permissions::from_mode(0o755)).unwrap();
        Cli {
            _tmp: tmp,
            root,
            bin,
            out,
        }
    }

    /// `lanes run ARGS` from `src/deep`, with PATH = `path`.
    fn run(&self, args: &[&str], path: &std::ffi::OsStr) -> std::process::Output {
        support::lanes()
            .arg("run")
            .args(args)
            .current_dir(self.root.join("src/deep"))
            .env("PATH", path)
            .env("HOME", self._tmp.path())
            .output()
            .unwrap()
    }

    fn recorded(&self, what: &str) -> String {
        fs::read_to_string(self.out.join(what)).unwrap_or_default()
    }
}

#[test]
fn without_bwrap_it_refuses_with_the_install_hint() {
    let c = Cli::new();
    let out = c.run(&["builder", "--", "-p", "hi"], c.bin.as_os_str());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bubblewrap (bwrap) is not on PATH"), "{err}");
    assert!(err.contains("socat is not on PATH"), "{err}");
    assert!(
        err.contains("sudo apt-get install bubblewrap socat"),
        "{err}"
    );
    assert!(err.contains("lanes run builder --no-sandbox"), "{err}");
    assert_eq!(c.recorded("argv"), "", "claude must not start");
}

#[test]
fn with_no_sandbox_it_starts_claude_as_the_role_from_the_root() {
    let c = Cli::new();
    let out = c.run(
        &["builder", "--no-sandbox", "--", "-p", "build it", "--x"],
        c.bin.as_os_str(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let file = c.root.join(".lanes/run/claude-builder.json");
    assert_eq!(
        c.recorded("argv"),
        format!("--settings\n{}\n-p\nbuild it\n--x\n", file.display())
    );
    assert_eq!(c.recorded("cwd").trim(), c.root.to_string_lossy());
    assert_eq!(c.recorded("role"), "builder\n");
    assert!(
        err.contains("--no-sandbox: Bash runs unsandboxed, so commands lanes cannot see into"),
        "{err}"
    );
    assert!(
        err.contains("lanes run: role builder (LANES_ROLE=builder): src/"),
        "{err}"
    );
    let s: Value = serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap();
    assert!(s.get("sandbox").is_none());
    assert!(s["hooks"]["PreToolUse"].is_array());
}

#[test]
fn an_unknown_role_exits_2_listing_the_roles() {
    let c = Cli::new();
    let out = c.run(&["bilder", "--no-sandbox"], c.bin.as_os_str());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no role `bilder` in") && err.contains("roles: researcher, builder, reviewer"),
        "{err}"
    );
}

#[test]
fn with_the_sandbox_here_it_starts_with_the_sandbox_settings() {
    let host = host_path();
    if !lanes::run::probe::Probe::run(Some(&host)).ready() {
        skip::partial(
            "bwrap, socat or user namespaces are missing here; the sandboxed launch was not tried",
        );
        return;
    }
    let c = Cli::new();
    let mut path = std::ffi::OsString::from(c.bin.as_os_str());
    path.push(":");
    path.push(&host);
    let out = c.run(&["reviewer", "--", "-p", "x"], &path);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(c.recorded("role"), "reviewer\n");
    assert!(err.contains("layout: deny-list, started in"), "{err}");
    assert!(err.contains("the sandbox denies Bash writes"), "{err}");
    let file = c.root.join(".lanes/run/claude-reviewer.json");
    let s: Value = serde_json::from_str(&fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(s["sandbox"]["enabled"], true);
}

#[allow(clippy::disallowed_methods)] // Test harness settings, not lanes configuration.
fn host_path() -> std::ffi::OsString {
    std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into())
}

#[test]
fn status_says_whether_the_sandbox_can_run_and_what_each_role_s_would_cover() {
    let c = Cli::new();
    let out = support::lanes()
        .args(["status"])
        .current_dir(&c.root)
        .env("PATH", &c.bin)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "sandbox:     cannot run: bubblewrap (bwrap) is not on PATH; socat is not on PATH"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "`lanes run` cannot start a sandboxed session here: bubblewrap (bwrap) is not on PATH"
        ),
        "{text}"
    );
    assert!(
        text.contains("  builder:\n    the sandbox denies Bash writes, and Claude Code the Write and Edit tools, to "),
        "{text}"
    );
    assert!(
        text.contains("    left to the hook and lanes check: new files outside builder's lanes directly in the project root"),
        "{text}"
    );
    let out = support::lanes()
        .args(["status", "--format", "json"])
        .current_dir(&c.root)
        .env("PATH", &c.bin)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sandbox"]["ready"], false);
    let builder = &v["sandbox"]["roles"][1];
    assert_eq!(builder["name"], "builder");
    let denied: Vec<&str> = builder["walls"]["denied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(
        denied.contains(&"research") && denied.contains(&"lanes.toml"),
        "{denied:?}"
    );
}

#[test]
fn without_user_namespaces_it_refuses_with_the_fix() {
    let c = Cli::new();
    use std::os::unix::fs::PermissionsExt;
    for (name, body) in [
        (
            "bwrap",
            "#!/bin/sh\necho 'bwrap: No permissions to create a new namespace' >&2\nexit 1\n",
        ),
        ("socat", "#!/bin/sh\nexit 0\n"),
    ] {
        let f = c.bin.join(name);
        fs::write(&f, body).unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = c.run(&["builder"], c.bin.as_os_str());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "bwrap cannot make a user namespace here (bwrap: No permissions to create a new namespace); \
             enable unprivileged user namespaces (`sysctl kernel.unprivileged_userns_clone=1`"
        ),
        "{err}"
    );
    assert!(!err.contains("apt-get"), "nothing to install: {err}");
    assert_eq!(c.recorded("argv"), "", "claude must not start");
}

#[test]
fn a_named_policy_reaches_the_session_as_an_absolute_lanes_policy() {
    let c = Cli::new();
    let out = c.run(
        &["reviewer", "--no-sandbox", "--policy", "../../lanes.toml"],
        c.bin.as_os_str(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        c.recorded("policy"),
        format!("{}\n", c.root.join("lanes.toml").display())
    );
    assert_eq!(c.recorded("role"), "reviewer\n");
}

#[test]
fn the_allow_list_layout_starts_in_the_first_folder_lane() {
    let p = Project::new(
        template("research-build-review"),
        &["src/", "target/", "Cargo.toml"],
    );
    let probe = ready_probe();
    let git = vec![p.root.join(".git")];
    let machine = lanes::run::Machine {
        probe: &probe,
        tree: &Disk(&p.root),
        git_dirs: &git,
    };
    let req = lanes::run::Request {
        role: "builder",
        client: lanes::run::Client::Claude,
        sandbox: true,
        layout: lanes::run::Layout::AllowList,
        args: &[],
        hook_command: "lanes",
        explicit_policy: false,
    };
    let launch = lanes::run::plan(&p.policy, &req, &machine).unwrap();
    assert_eq!(launch.cwd, p.root.join("src"));
    let s: Value = serde_json::from_str(&launch.files[0].1).unwrap();
    let abs = |r: &str| Value::from(p.root.join(r).to_string_lossy().into_owned());
    let allow = s["sandbox"]["filesystem"]["allowWrite"].as_array().unwrap();
    for r in ["Cargo.toml", "go.mod", "target", "node_modules", ".git"] {
        assert!(allow.contains(&abs(r)), "{r}: {allow:?}");
    }
    assert!(
        !allow.contains(&abs("src")),
        "the start folder is writable anyway"
    );
    assert_eq!(
        s["permissions"]["additionalDirectories"],
        serde_json::json!([abs("target"), abs("node_modules")])
    );
    assert!(s["sandbox"]["filesystem"]["denyWrite"]
        .as_array()
        .unwrap()
        .contains(&abs("research")));
    let summary = launch.summary.join("\n");
    for line in [
        "layout: allow-list, started in ",
        "Bash may write only src/, Cargo.toml, Cargo.lock, package.json",
        "the rest of the project is read-only to it, new files at the root included",
        "stricter than the policy: not there when the session starts, so Bash cannot create them in it: Cargo.lock,",
        "stricter than the policy: **/__pycache__/ cannot be allowed by a sandbox rule",
        "the project's .claude/settings.json is not read",
    ] {
        assert!(summary.contains(line), "{line:?} in\n{summary}");
    }
    assert!(
        !summary.contains("create them in it: Cargo.toml"),
        "{summary}"
    );

    // Without an existing folder lane there is nowhere to start.
    let bare = Project::new(template("research-build-review"), &[]);
    let machine = lanes::run::Machine {
        probe: &probe,
        tree: &Disk(&bare.root),
        git_dirs: &[],
    };
    let log = Project::new(
        &template("research-build-review").replace("mode = \"enforce\"", "mode = \"log\""),
        &["src/"],
    );
    let e = lanes::run::plan(&log.policy, &req, &machine).unwrap_err();
    assert!(
        e.to_string()
            .contains("sets mode = \"log\", which blocks nothing"),
        "{e}"
    );
    let e = lanes::run::plan(&bare.policy, &req, &machine).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "the allow-list layout starts the session inside one of role builder's folder lanes"
        ),
        "{e}"
    );
}

#[test]
fn the_allow_list_layout_needs_the_sandbox() {
    let c = Cli::new();
    let out = c.run(
        &["builder", "--layout", "allow-list", "--no-sandbox"],
        c.bin.as_os_str(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    assert_eq!(c.recorded("argv"), "");
}
