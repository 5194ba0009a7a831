//! The environment the agents of `lanes up` get: the caller's, as if each ran `lanes run`
//! in the caller's shell.
//!
//! A tmux pane starts from the server's global environment, which the server took from the
//! client that started it, maybe days ago; of the caller's own variables tmux copies only a
//! few (`update-environment`: DISPLAY, SSH_AUTH_SOCK, ...). So when a server runs already,
//! every variable whose value differs from the server's (a new `ANTHROPIC_API_KEY`,
//! `ANTHROPIC_BASE_URL=... lanes up`) is given to each pane with `-e`; when none runs, the
//! server `lanes up` starts has the caller's environment anyway. `PATH` is always given.

use std::ffi::OsString;

/// Variables that describe the caller's terminal or shell, not what the agents need: tmux
/// sets its own in each pane, and the pane's shell state starts fresh.
const PER_TERMINAL: &[&str] = &[
    "TMUX",
    "TMUX_PANE",
    "TERM",
    "TERM_PROGRAM",
    "TERM_PROGRAM_VERSION",
    "COLUMNS",
    "LINES",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "_",
];

/// `NAME=VALUE` pairs for every pane: `PATH` (when set), then each of the caller's variables
/// (`caller`) that the running server's global environment (`server`; `None`: no server
/// runs) lacks or holds with another value, leaving out [`PER_TERMINAL`] ones and names that
/// are not UTF-8.
pub fn for_panes(
    caller: &[(OsString, OsString)],
    server: Option<&[(String, String)]>,
    path: Option<&OsString>,
) -> Vec<(String, OsString)> {
    let mut out: Vec<(String, OsString)> = path
        .map(|p| ("PATH".to_string(), p.clone()))
        .into_iter()
        .collect();
    let Some(server) = server else {
        return out;
    };
    for (name, value) in caller {
        let Some(name) = name.to_str() else {
            continue;
        };
        if name == "PATH" || name.is_empty() || PER_TERMINAL.contains(&name) {
            continue;
        }
        let same = server
            .iter()
            .any(|(k, v)| k == name && value.to_str() == Some(v.as_str()));
        if !same {
            out.push((name.to_string(), value.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Vec<(OsString, OsString)> {
        [
            ("PATH", "/new/bin:/usr/bin"),
            ("HOME", "/home/me"),
            ("ANTHROPIC_BASE_URL", "http://127.0.0.1:8080"),
            ("ANTHROPIC_API_KEY", "new-key"),
            ("TMUX", "/tmp/tmux-0/default,1,0"),
            ("TERM", "xterm-256color"),
            ("PWD", "/src/app"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
    }

    #[test]
    fn a_running_server_gets_what_it_lacks_or_holds_otherwise() {
        let server: Vec<(String, String)> = [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/me"),
            ("ANTHROPIC_API_KEY", "old-key"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
        let path = OsString::from("/new/bin:/usr/bin");
        let got = for_panes(&caller(), Some(&server), Some(&path));
        let names: Vec<(&str, &str)> = got
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(
            names,
            [
                ("PATH", "/new/bin:/usr/bin"),
                ("ANTHROPIC_BASE_URL", "http://127.0.0.1:8080"),
                ("ANTHROPIC_API_KEY", "new-key"),
            ]
        );
    }

    #[test]
    fn a_new_server_has_the_callers_environment_already() {
        let path = OsString::from("/bin");
        let got = for_panes(&caller(), None, Some(&path));
        assert_eq!(got, [("PATH".to_string(), path)]);
        assert!(for_panes(&caller(), None, None).is_empty());
    }
}
