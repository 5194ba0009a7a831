//! `lanes run ROLE --client codex|copilot|gemini`: the binary starts the client (a stand-in on
//! PATH that prints what it got) in the project root as the role, with the client's own
//! sandbox flags where it has one, and says what the sandbox does not cover. Runs without
//! bubblewrap: only Claude Code's sandbox needs it.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use support::Repo;

const POLICY: &str =
    "[roles.builder]\nwrite = [\"src/\"]\n[roles.researcher]\nwrite = [\"research/\"]\n";

/// Runs `lanes run ROLE --client CLIENT ARGS` with a stand-in client; (exit, stdout, stderr).
fn run(client: &str, extra: &[&str]) -> (i32, String, String) {
    let repo = Repo::new(POLICY);
    let bin = repo.dir.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let fake = bin.join(client);
    fs::write(
        &fake,
        "#!/bin/sh\necho \"args: $*\"\necho \"role: $LANES_ROLE\"\necho \"cwd: $(pwd)\"\n",
    )
    .unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let out = support::lanes()
        .args(["run", "builder", "--client", client])
        .args(extra)
        .current_dir(&repo.root)
        .env("PATH", path)
        .output()
        .unwrap();
    let stdout =
        String::from_utf8_lossy(&out.stdout).replace(&repo.root.display().to_string(), "$ROOT");
    (
        out.status.code().unwrap_or(-1),
        stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn codex_starts_as_the_role_in_its_workspace_write_sandbox() {
    let (code, out, err) = run("codex", &["--", "exec", "go"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "args: --sandbox workspace-write exec go\nrole: builder\ncwd: $ROOT\n"
    );
    assert!(
        err.contains("has no rule for a path inside it: the other lanes are left to the hook"),
        "{err}"
    );
    assert!(
        err.contains("hook: .codex/hooks.json (lanes init --client codex)"),
        "{err}"
    );
}

#[test]
fn copilot_and_gemini_start_as_the_role_and_say_their_sandbox_covers_no_lane() {
    let (code, out, err) = run("copilot", &["--", "-p", "go"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "args: -p go\nrole: builder\ncwd: $ROOT\n"),
        "{err}"
    );
    assert!(err.contains("Copilot CLI has no sandbox"), "{err}");
    let (code, out, err) = run("gemini", &[]);
    assert_eq!(
        (code, out.as_str()),
        (0, "args: \nrole: builder\ncwd: $ROOT\n"),
        "{err}"
    );
    assert!(err.contains("cannot wall off lanes"), "{err}");
}

#[test]
fn no_sandbox_drops_codexs_sandbox_flags_and_says_so() {
    let (code, out, err) = run("codex", &["--no-sandbox"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "args: \nrole: builder\ncwd: $ROOT\n"),
        "{err}"
    );
    assert!(
        err.contains("--no-sandbox: Codex starts without lanes' sandbox flags"),
        "{err}"
    );
}
