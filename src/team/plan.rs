//! What `lanes up` opens, worked out without tmux or git: the session's name, one pane per
//! role (title, working directory, command) and the `lanes watch` pane.
//!
//! A role pane runs `<lanes> run ROLE`. A role with `after` runs, through `/bin/sh`, a line
//! saying what it waits for, then `<lanes> wait OTHER` for each named role and only then
//! `lanes run`: the handoff is decided by `lanes wait` itself, so `up` and `wait` can never
//! disagree about when a signal file is complete. Arguments for the agents (`lanes up -- ARGS`)
//! follow `lanes run ROLE ... --` in every role pane, quoted for the shell where one runs.

use crate::policy::{Policy, Role};
use std::path::{Path, PathBuf};

/// The title of the pane that runs `lanes watch`.
pub const WATCH_TITLE: &str = "watch";

/// One pane of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pane {
    /// The role it runs; `None` for the `lanes watch` pane.
    pub role: Option<String>,
    /// Its title: the role's name, or [`WATCH_TITLE`].
    pub title: String,
    /// Its working directory: the project root, or the role's place in its worktree.
    pub dir: PathBuf,
    /// The program and arguments tmux runs in it.
    pub argv: Vec<String>,
    /// `(role, signal file)` of each role it waits for first (`after`), in policy order.
    pub waits_for: Vec<(String, String)>,
}

/// How the role panes run `lanes run`.
#[derive(Debug, Clone)]
pub struct Launch<'a> {
    /// This `lanes` executable, absolute, so the panes need no `lanes` on `PATH`.
    pub exe: &'a Path,
    /// Pass `--no-sandbox` to `lanes run` (for machines without bubblewrap, and tests).
    pub no_sandbox: bool,
    /// The policy file's name when it was named (`--policy`, `LANES_POLICY`) rather than
    /// found: every command of a pane then gets `--policy <pane's folder>/<name>`, the same
    /// file in the pane's checkout.
    pub policy_name: Option<&'a std::ffi::OsStr>,
    /// Arguments for every agent: each `lanes run` gets them after `--`.
    pub agent_args: &'a [String],
}

/// The roles to start: those named (in the order given, each once), or every role of the
/// policy in file order when none is named.
///
/// Errors: the policy has no roles; a named role does not exist (the message lists them).
pub fn select<'p>(policy: &'p Policy, names: &[String]) -> Result<Vec<&'p Role>, String> {
    if policy.roles.is_empty() {
        return Err(format!(
            "{} has no roles, so there is no one to start: add a [roles.NAME] table",
            policy.file.display()
        ));
    }
    if names.is_empty() {
        return Ok(policy.roles.iter().collect());
    }
    let mut out: Vec<&Role> = Vec::new();
    for name in names {
        let Some(role) = policy.role(name) else {
            let known: Vec<&str> = policy.roles.iter().map(|r| r.name.as_str()).collect();
            return Err(format!(
                "no role '{name}' in {}; roles: {}",
                policy.file.display(),
                known.join(", ")
            ));
        };
        if !out.iter().any(|r| r.name == role.name) {
            out.push(role);
        }
    }
    Ok(out)
}

/// The default session name: `lanes-` and the main checkout's folder name, with the
/// characters tmux does not keep in session names (`.` and `:`) as `_`.
pub fn session_name(main_checkout: &Path) -> String {
    let base = main_checkout
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".into());
    tmux_session(&format!("lanes-{base}"))
}

/// `name` as tmux keeps a session's name: it stores `.` and `:` as `_`, so a name given with
/// them would not be found again by the commands that target it.
pub fn tmux_session(name: &str) -> String {
    name.replace(['.', ':'], "_")
}

/// The panes for `roles`, each working in `dir_of(role)`, and last the watch pane working in
/// `watch_dir`.
pub fn panes(
    policy: &Policy,
    roles: &[&Role],
    dir_of: impl Fn(&Role) -> PathBuf,
    watch_dir: &Path,
    launch: &Launch,
) -> Vec<Pane> {
    let exe = launch.exe.to_string_lossy().into_owned();
    let policy_args = |dir: &Path| -> Vec<String> {
        match launch.policy_name {
            Some(name) => vec![
                "--policy".into(),
                dir.join(name).to_string_lossy().into_owned(),
            ],
            None => Vec::new(),
        }
    };
    let mut out: Vec<Pane> = roles
        .iter()
        .map(|role| {
            let dir = dir_of(role);
            let named = policy_args(&dir);
            let mut run = vec![exe.clone(), "run".into(), role.name.clone()];
            if launch.no_sandbox {
                run.push("--no-sandbox".into());
            }
            run.extend(named.iter().cloned());
            if !launch.agent_args.is_empty() {
                run.push("--".into());
                run.extend(launch.agent_args.iter().cloned());
            }
            let waits_for: Vec<(String, String)> = role
                .after()
                .iter()
                .filter_map(|other| policy.role(other))
                .filter_map(|other| {
                    let sig = other.signal.as_ref()?;
                    Some((other.name.clone(), sig.to_string()))
                })
                .collect();
            let argv = if waits_for.is_empty() {
                run
            } else {
                vec![
                    "/bin/sh".into(),
                    "-c".into(),
                    waiting_script(&role.name, &exe, &waits_for, &named, &run),
                ]
            };
            Pane {
                role: Some(role.name.clone()),
                title: role.name.clone(),
                dir,
                argv,
                waits_for,
            }
        })
        .collect();
    out.push(Pane {
        role: None,
        title: WATCH_TITLE.into(),
        dir: watch_dir.to_path_buf(),
        argv: [exe, "watch".into()]
            .into_iter()
            .chain(policy_args(watch_dir))
            .collect(),
        waits_for: Vec::new(),
    });
    out
}

/// The `/bin/sh` script of a pane that waits: it says what it waits for, then runs
/// `lanes wait` for each role and, when all succeeded, replaces itself with `lanes run`.
fn waiting_script(
    role: &str,
    exe: &str,
    waits: &[(String, String)],
    policy: &[String],
    run: &[String],
) -> String {
    let list: Vec<String> = waits
        .iter()
        .map(|(r, sig)| format!("{sig} ({r})"))
        .collect();
    let say = format!(
        "lanes up: {role} waits for {} to be complete",
        list.join(", ")
    );
    let mut script = format!("printf '%s\\n' {}", quote(&say));
    for (other, _) in waits {
        script.push_str(&format!(" && {} wait {}", quote(exe), quote(other)));
        for a in policy {
            script.push(' ');
            script.push_str(&quote(a));
        }
    }
    let run: Vec<String> = run.iter().map(|a| quote(a)).collect();
    script.push_str(&format!(" && exec {}", run.join(" ")));
    script
}

/// `s` as one word for a POSIX shell: single-quoted, each `'` written as `'\''`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Policy {
        let dir = std::env::temp_dir();
        Policy::parse(&dir.join("lanes.toml"), &dir, text.to_string()).unwrap()
    }

    /// The panes of every role of [`TEAM`] launched as `launch`, each working in `dir_of(role)`
    /// and the watch pane in `/w`.
    fn team_panes(launch: &Launch, dir_of: impl Fn(&Role) -> PathBuf) -> Vec<Pane> {
        let p = policy(TEAM);
        let roles = select(&p, &[]).unwrap();
        panes(&p, &roles, dir_of, Path::new("/w"), launch)
    }

    const TEAM: &str =
        "[roles.researcher]\nwrite = [\"research/\"]\nsignal = \"research/DONE.md\"\n\
        [roles.builder]\nwrite = [\"src/\"]\nsignal = \"src/DONE.md\"\nafter = [\"researcher\"]\n\
        [roles.reviewer]\nwrite = [\"reviews/\"]\nafter = [\"researcher\", \"builder\"]\n";

    #[test]
    fn one_pane_per_role_then_the_watch_pane() {
        let launch = Launch {
            exe: Path::new("/opt/it's/lanes"),
            no_sandbox: true,
            policy_name: None,
            agent_args: &[],
        };
        let panes = team_panes(&launch, |r| PathBuf::from(format!("/w/{}", r.name)));
        let titles: Vec<&str> = panes.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["researcher", "builder", "reviewer", "watch"]);
        assert_eq!(
            panes[0].argv,
            ["/opt/it's/lanes", "run", "researcher", "--no-sandbox"]
        );
        assert_eq!(panes[0].dir, Path::new("/w/researcher"));
        assert_eq!(panes[1].argv[..2], ["/bin/sh", "-c"]);
        assert_eq!(
            panes[1].argv[2],
            r"printf '%s\n' 'lanes up: builder waits for research/DONE.md (researcher) to be complete' && '/opt/it'\''s/lanes' wait 'researcher' && exec '/opt/it'\''s/lanes' 'run' 'builder' '--no-sandbox'"
        );
        assert_eq!(
            panes[2].waits_for,
            [
                ("researcher".to_string(), "research/DONE.md".to_string()),
                ("builder".to_string(), "src/DONE.md".to_string())
            ]
        );
        assert_eq!(panes[3].argv, ["/opt/it's/lanes", "watch"]);
        assert_eq!(panes[3].dir, Path::new("/w"));
    }

    #[test]
    fn a_named_policy_is_named_to_every_command_in_each_panes_checkout() {
        let launch = Launch {
            exe: Path::new("/l"),
            no_sandbox: false,
            policy_name: Some(std::ffi::OsStr::new("team.toml")),
            agent_args: &[],
        };
        let panes = team_panes(&launch, |r| PathBuf::from(format!("/w-{}", r.name)));
        assert_eq!(
            panes[0].argv,
            [
                "/l",
                "run",
                "researcher",
                "--policy",
                "/w-researcher/team.toml"
            ]
        );
        assert_eq!(
            panes[1].argv[2],
            r"printf '%s\n' 'lanes up: builder waits for research/DONE.md (researcher) to be complete' && '/l' wait 'researcher' '--policy' '/w-builder/team.toml' && exec '/l' 'run' 'builder' '--policy' '/w-builder/team.toml'"
        );
        assert_eq!(panes[3].argv, ["/l", "watch", "--policy", "/w/team.toml"]);
    }

    #[test]
    fn arguments_for_the_agents_follow_every_lanes_run_after_a_double_dash() {
        let args = ["-p".to_string(), "it's done; $HOME".to_string()];
        let launch = Launch {
            exe: Path::new("/l"),
            no_sandbox: true,
            policy_name: None,
            agent_args: &args,
        };
        let panes = team_panes(&launch, |_| PathBuf::from("/w"));
        assert_eq!(
            panes[0].argv,
            [
                "/l",
                "run",
                "researcher",
                "--no-sandbox",
                "--",
                "-p",
                "it's done; $HOME"
            ]
        );
        assert_eq!(
            panes[1].argv[2],
            r"printf '%s\n' 'lanes up: builder waits for research/DONE.md (researcher) to be complete' && '/l' wait 'researcher' && exec '/l' 'run' 'builder' '--no-sandbox' '--' '-p' 'it'\''s done; $HOME'"
        );
        assert!(panes[2].argv[2]
            .ends_with(r"'run' 'reviewer' '--no-sandbox' '--' '-p' 'it'\''s done; $HOME'"));
        assert_eq!(panes[3].argv, ["/l", "watch"], "lanes watch gets none");
    }

    #[test]
    fn named_roles_in_the_order_given_and_unknown_ones_refused() {
        let p = policy(TEAM);
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let got: Vec<&str> = select(&p, &names(&["reviewer", "researcher", "reviewer"]))
            .unwrap()
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(got, ["reviewer", "researcher"]);
        let e = select(&p, &names(&["tester"])).unwrap_err();
        assert!(e.ends_with("; roles: researcher, builder, reviewer"), "{e}");
        assert!(select(&policy("mode = \"log\"\n"), &[])
            .unwrap_err()
            .contains("has no roles"));
    }

    #[test]
    fn session_names_keep_what_tmux_keeps() {
        assert_eq!(session_name(Path::new("/src/my.app:v2")), "lanes-my_app_v2");
        assert_eq!(session_name(Path::new("/src/shop")), "lanes-shop");
        assert_eq!(tmux_session("team.v2:a"), "team_v2_a");
    }
}
