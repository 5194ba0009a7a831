//! The audit folder in `.gitignore`: the log is local evidence, not project content.

use crate::policy::Policy;

/// The `.gitignore` line for the policy's audit log: its folder (`.lanes/`) or, for a log at
/// the root, the file itself. `None` when the audit log is off.
pub fn entry(policy: &Policy) -> Option<String> {
    let audit = policy.audit.as_ref()?;
    Some(
        match audit
            .as_path()
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            Some(dir) => format!("{}/", dir.display()),
            None => audit.to_string(),
        },
    )
}

/// True when `text` already has a line ignoring `entry` (with or without the leading or
/// trailing `/`).
pub fn has(text: &str, entry: &str) -> bool {
    let bare = |s: &str| {
        s.trim()
            .trim_start_matches('/')
            .trim_end_matches('/')
            .to_string()
    };
    let want = bare(entry);
    text.lines().any(|l| bare(l) == want)
}

/// `existing` (`None`: no file) with `entry` appended, or unchanged when already there.
pub fn merge(existing: Option<&str>, entry: &str) -> String {
    let text = existing.unwrap_or("");
    if has(text, entry) {
        return text.to_string();
    }
    let sep = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    format!("{text}{sep}# lanes audit log (local, not committed)\n{entry}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn appends_once() {
        assert_eq!(
            merge(None, ".lanes/"),
            "# lanes audit log (local, not committed)\n.lanes/\n"
        );
        assert_eq!(
            merge(Some("target"), ".lanes/"),
            "target\n# lanes audit log (local, not committed)\n.lanes/\n"
        );
        for already in ["/.lanes/\n", ".lanes\n", "x\n  .lanes/  \n"] {
            assert_eq!(merge(Some(already), ".lanes/"), already);
        }
        let once = merge(Some("target/\n"), ".lanes/");
        assert_eq!(merge(Some(&once), ".lanes/"), once);
        assert!(!has(".lanes-old/\n", ".lanes/"));
    }

    #[test]
    fn entry_follows_the_audit_setting() {
        let p = |s: &str| {
            Policy::parse(Path::new("lanes.toml"), Path::new("/r"), s.to_string()).unwrap()
        };
        assert_eq!(entry(&p("")).as_deref(), Some(".lanes/"));
        assert_eq!(
            entry(&p("audit = \"logs/lanes/a.jsonl\"")).as_deref(),
            Some("logs/lanes/")
        );
        assert_eq!(entry(&p("audit = \"a.jsonl\"")).as_deref(), Some("a.jsonl"));
        assert_eq!(entry(&p("audit = false")), None);
    }
}
