//! `lanes hook` on `Bash` calls through the real binary: decisions, messages, the audit log,
//! the `[bash]` settings, and the fail-closed paths (hostile text, huge text, deep nesting).

mod support;

use serde_json::json;
use std::time::{Duration, Instant};
use support::Repo;

const POLICY: &str = r#"
[roles.researcher]
write = ["research/"]

[roles.builder]
write = ["src/"]

[shared]
write = ["target/"]
"#;

fn bash(r: &Repo, role: Option<&str>, command: &str) -> support::HookOutput {
    let mut h = r
        .hook()
        .tool("Bash", json!({ "command": command, "description": "test" }));
    if let Some(role) = role {
        h = h.role(role);
    }
    h.run()
}

fn asked(out: support::HookOutput) -> String {
    assert_eq!(out.code, 0, "{out:?}");
    let v: serde_json::Value =
        serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(
        v["hookSpecificOutput"]["permissionDecision"], "ask",
        "{out:?}"
    );
    v["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn an_out_of_lane_redirect_is_denied_with_the_fragment_and_the_path() {
    let r = Repo::new(POLICY);
    let reason = bash(
        &r,
        Some("builder"),
        "cargo build && echo done > research/notes.md",
    )
    .denied();
    assert!(
        reason.contains("`echo done > research/notes.md`"),
        "{reason}"
    );
    assert!(reason.contains("writes research/notes.md"), "{reason}");
    assert!(reason.contains("lane of role 'researcher'"), "{reason}");
    let audit = r.audit();
    let deny = audit
        .iter()
        .find(|a| a["decision"] == "deny")
        .expect("a deny line");
    assert_eq!(deny["tool"], "Bash");
    assert_eq!(deny["path"], "research/notes.md");
    assert_eq!(
        deny["extra"]["command"],
        "cargo build && echo done > research/notes.md"
    );
    let opaque = audit
        .iter()
        .find(|a| a["extra"]["opaque"] == true)
        .expect("cargo recorded as opaque");
    assert_eq!(opaque["decision"], "allow");
    assert_eq!(
        opaque["rule"],
        "opaque: cargo build (bash.opaque = \"allow\")"
    );
}

#[test]
fn in_lane_and_everyday_commands_run() {
    let r = Repo::new(POLICY);
    for cmd in [
        "echo hi > src/a.txt",
        "cd src && sed -i 's/a/b/' a.txt",
        "git status && git diff",
        "cargo test 2>&1 | tail -5",
        "ls research && cat research/x.md | grep -n y",
        "git add -A && git commit -m \"$(cat <<'EOF'\nfeat: x > y\nEOF\n)\"",
    ] {
        bash(&r, Some("builder"), cmd).allowed();
    }
}

#[test]
fn cd_heredoc_sed_cp_and_rm_into_another_lane_are_denied() {
    let r = Repo::new(POLICY);
    std::fs::write(r.root.join("research/a.md"), "a").unwrap();
    for cmd in [
        "cd research && touch x",
        "cat > research/plan.md <<'EOF'\nhello\nEOF",
        "sed -i -e s/a/b/ src/x.rs research/a.md",
        "cp src/x.rs research/",
        "rm -rf research",
        "python3 -c \"open('research/x','w').write('1')\"",
    ] {
        let reason = bash(&r, Some("builder"), cmd).denied();
        assert!(reason.contains("research"), "{cmd}: {reason}");
    }
}

#[test]
fn an_unknown_target_asks_and_the_settings_change_it() {
    let r = Repo::new(POLICY);
    let reason = asked(bash(&r, Some("builder"), "echo x > \"$OUT\""));
    assert!(
        reason.starts_with("lanes asks before `echo x > \"$OUT\"`"),
        "{reason}"
    );
    assert_eq!(r.audit().last().unwrap()["decision"], "ask");

    let strict = Repo::new(&format!(
        "{POLICY}\n[bash]\nopaque = \"deny\"\nunknown_target = \"allow\"\n"
    ));
    let reason = bash(&strict, Some("builder"), "make").denied();
    assert!(reason.contains("[bash] opaque = \"deny\""), "{reason}");
    bash(&strict, Some("builder"), "echo x > \"$OUT\"").allowed();
    let asking = Repo::new(&format!("{POLICY}\n[bash]\nopaque = \"ask\"\n"));
    asked(bash(&asking, Some("builder"), "python3 tool.py"));
}

#[test]
fn tampering_is_denied_for_roles_only() {
    let r = Repo::new(POLICY);
    for cmd in [
        "export LANES_ROLE=researcher",
        "git commit --no-verify -m x",
        "claude --agent researcher -p go",
    ] {
        let reason = bash(&r, Some("builder"), cmd).denied();
        assert!(
            reason.contains("switch the lanes guard off"),
            "{cmd}: {reason}"
        );
    }
    bash(&r, None, "export LANES_ROLE=researcher").allowed();
}

/// Each of these must end in a decision (exit 0 with JSON, or exit 2), well within the
/// deadline, never a hang, crash or runaway allocation.
#[test]
fn hostile_commands_fail_closed_and_fast() {
    let r = Repo::new(POLICY);
    let nested = format!("echo {}x{} > research/f", "$(".repeat(500), ")".repeat(500));
    let huge = format!("echo {} > research/big", "a".repeat(70 * 1024));
    let cases: Vec<(&str, String)> = vec![
        ("deny", "cat <<\r\t> research/x".to_string()),
        ("ask", "cat <<\r\t".to_string()),
        ("deny", "<<$( >${ research/y".to_string()),
        ("deny", nested),
        ("deny", huge),
        ("deny", "echo \"unterminated > research/x".to_string()),
        ("ask", "echo one;;".to_string()),
        (
            "deny",
            format!("{} echo > research/z", "if true; then ".repeat(40)),
        ),
    ];
    for (want, cmd) in cases {
        let start = Instant::now();
        let out = bash(&r, Some("builder"), &cmd);
        assert!(
            start.elapsed() < Duration::from_millis(2000),
            "{:?} took {:?}",
            &cmd[..20.min(cmd.len())],
            start.elapsed()
        );
        match want {
            "deny" => {
                out.denied();
            }
            _ => {
                asked(out);
            }
        }
    }
}

#[test]
fn a_bash_call_without_a_command_is_blocked() {
    let r = Repo::new(POLICY);
    let err = r
        .hook()
        .role("builder")
        .tool("Bash", json!({ "description": "x" }))
        .run()
        .blocked();
    assert!(err.contains("tool_input.command"), "{err}");
}

/// In log mode nothing is blocked, but a Bash write into another lane is still a violation
/// on record, and with the rule that says whose lane it is, whatever the finding's kind.
#[test]
fn log_mode_records_bash_violations_of_every_kind() {
    let r = Repo::new(&format!("mode = \"log\"\n{POLICY}"));
    for command in [
        "echo x > research/a.md",                // a known path
        "echo x > research/$(date +%s).md",      // a name known only at run time
        "cd research && python3 build.py",       // an opaque program in another lane
        "python3 -c \"open('research/x','w')\"", // an opaque program naming another lane
    ] {
        bash(&r, Some("builder"), command).allowed();
        let last = r.audit().pop().unwrap();
        assert_eq!(
            (last["decision"].as_str(), last["violation"].as_bool()),
            (Some("allow"), Some(true)),
            "{command}: {last}"
        );
        assert!(
            last["rule"]
                .as_str()
                .unwrap()
                .starts_with("lane of researcher"),
            "{command}: {last}"
        );
    }
}

#[test]
fn a_path_written_by_many_commands_is_judged_once_quoting_the_first() {
    let r = Repo::new(POLICY);
    let appends = |dir: &str| {
        (0..5)
            .map(|i| format!("echo 'mod m{i};' >> {dir}/lib.rs"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(bash(&r, Some("builder"), &appends("src")).code, 0);
    let reason = bash(&r, Some("builder"), &appends("research")).denied();
    assert_eq!(
        reason.matches("writes research/lib.rs").count(),
        1,
        "{reason}"
    );
    assert!(
        reason.contains("`echo 'mod m0;' >> research/lib.rs`"),
        "{reason}"
    );
    let audit = r.audit();
    for (path, decision) in [("src/lib.rs", "allow"), ("research/lib.rs", "deny")] {
        let lines: Vec<_> = audit.iter().filter(|a| a["path"] == path).collect();
        assert_eq!(lines.len(), 1, "{path}: {audit:?}");
        assert_eq!(lines[0]["decision"], decision);
        let first = format!("echo 'mod m0;' >> {path}");
        assert_eq!(lines[0]["extra"]["fragment"], first.as_str());
    }
}

#[test]
fn files_of_one_folder_written_by_one_command_are_each_judged_by_their_own_name() {
    // Most of the files in src/ get one verdict, which the hook may reuse; the ones that an
    // exception, a protected path or a `*` pattern sets apart get their own.
    let r = Repo::new(
        r#"
[roles.builder]
write = ["src/", "!src/secret.rs"]

[roles.docs]
write = ["src/*.md"]

[protected]
paths = ["src/LICENSE"]
"#,
    );
    let files = [
        "src/a.rs",
        "src/b.rs",
        "src/secret.rs",
        "src/c.rs",
        "src/LICENSE",
        "src/d.rs",
        "src/notes.md",
        "src/e.rs",
    ];
    let command = format!("touch {}", files.join(" "));
    // The role's own lane is asked before any other role's: builder may write src/notes.md.
    for (role, allowed) in [
        (
            "builder",
            &["a.rs", "b.rs", "c.rs", "d.rs", "notes.md", "e.rs"][..],
        ),
        ("docs", &["notes.md"][..]),
    ] {
        let reason = bash(&r, Some(role), &command).denied();
        let first = files
            .iter()
            .find(|f| !allowed.iter().any(|a| **f == format!("src/{a}")));
        assert!(
            reason.contains(&format!("(writes {})", first.unwrap())),
            "{role}: {reason}"
        );
        let audit = r.audit();
        for file in files {
            let allow = allowed.iter().any(|a| file == format!("src/{a}"));
            let lines: Vec<_> = audit
                .iter()
                .filter(|a| a["path"] == file && a["role"] == role)
                .collect();
            assert_eq!(lines.len(), 1, "{role} {file}: {audit:?}");
            let want = if allow { "allow" } else { "deny" };
            assert_eq!(lines[0]["decision"], want, "{role} {file}: {:?}", lines[0]);
        }
    }
}
