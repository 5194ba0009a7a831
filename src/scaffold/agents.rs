//! `.claude/agents/<role>.md`: a Claude Code subagent definition per role, so that
//! `claude --agent builder` and a `builder` subagent reach lanes as role `builder` (their
//! `agent_type` is the frontmatter `name`; hooks fact sheet §6).
//!
//! lanes writes a file only for a role that has none: an agent file, once written, is the
//! user's to edit, and `lanes init` never overwrites it.

use crate::policy::{Policy, Role};
use std::collections::BTreeSet;
use std::path::Path;

/// Where project agent files live, relative to the project root.
pub const DIR: &str = ".claude/agents";

/// The agent name for `role`: the role's own name when its `agents` list holds it (the
/// default), else the first name in that list, so the file's `agent_type` maps to the role.
pub fn agent_name(role: &Role) -> &str {
    if role.agents().iter().any(|a| a == &role.name) {
        &role.name
    } else {
        role.agents()
            .first()
            .map_or(role.name.as_str(), String::as_str)
    }
}

/// Whether Claude Code loads an agent called `name` and it makes a safe file name: not
/// empty, no `:` (skipped by Claude Code), no leading `-` or `.`, no path separators.
pub fn usable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['-', '.'])
        && !name.contains([':', '/', '\\'])
        && !name.chars().any(char::is_control)
}

/// The agent file for `role`, named `name`.
pub fn render(policy: &Policy, role: &Role, name: &str) -> String {
    let lanes: Vec<String> = role
        .write
        .patterns()
        .map(|p| format!("`{}`", p.text))
        .collect();
    let plain: Vec<&str> = role.write.patterns().map(|p| p.text).collect();
    let summary = match role.description() {
        Some(d) => one_line(d),
        None => format!("The {} role.", role.name),
    };
    let description = format!(
        "{summary} (lanes role `{}`: writes only {}.)",
        role.name,
        plain.join(", ")
    );
    let mut s = String::new();
    s.push_str("---\n");
    s.push_str(&format!("name: {name}\n"));
    // A JSON string is a valid YAML double-quoted scalar, whatever the description holds.
    s.push_str(&format!(
        "description: {}\n",
        serde_json::Value::String(description)
    ));
    s.push_str("---\n");
    s.push_str(&format!(
        "You are the {}, one role in a team of agents that work in this repository at the same time. {summary}\n\n",
        role.name
    ));
    s.push_str(&format!(
        "Your lanes, the only paths you may write: {}. Everything else is read-only for you: the other roles' \
         lanes, the protected paths and lanes' own files (`{}`, `.claude/`).\n\n",
        if lanes.is_empty() { "none".to_string() } else { lanes.join(", ") },
        policy.file.file_name().map_or("lanes.toml".into(), |f| f.to_string_lossy())
    ));
    s.push_str(
        "Before you start, read the \"Lanes: who writes where\" section of CLAUDE.md: it says what the other \
         roles own and what belongs in your signal file. Never modify a file outside your lanes, not even \
         through a shell command or a script. ",
    );
    match &role.signal {
        Some(signal) => s.push_str(&format!(
            "If something outside them must change, write the problem into your signal file `{signal}` instead, \
             and write that file when your work is done.\n"
        )),
        None => s.push_str("If something outside them must change, report it in your final message instead.\n"),
    }
    s.push_str(
        "\n<!-- Written by `lanes init` from lanes.toml. This file is yours to edit: lanes init never overwrites it. -->\n",
    );
    s
}

/// The agent names declared by the `.md` files below `dir` (recursively; the frontmatter
/// `name:`). Unreadable entries are skipped: this only decides whether lanes adds a file,
/// never whether it overwrites one (an existing file is never overwritten).
pub fn declared_names(dir: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                if let Some(name) = std::fs::read_to_string(&path)
                    .ok()
                    .as_deref()
                    .and_then(frontmatter_name)
                {
                    names.insert(name);
                }
            }
        }
    }
    names
}

/// The `name:` of a Markdown file's YAML frontmatter, unquoted.
fn frontmatter_name(text: &str) -> Option<String> {
    let mut lines = text.lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    for line in lines {
        if line.trim_end() == "---" {
            return None;
        }
        if let Some(v) = line.strip_prefix("name:") {
            let v = v.split(" #").next().unwrap_or(v).trim();
            return Some(v.trim_matches(|c| c == '"' || c == '\'').to_string());
        }
    }
    None
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(src: &str) -> Policy {
        Policy::parse(Path::new("lanes.toml"), Path::new("/r"), src.to_string()).unwrap()
    }

    #[test]
    fn renders_frontmatter_and_a_body_stating_the_lanes() {
        let p = policy("[roles.builder]\ndescription = 'Builds \"it\".'\nwrite = [\"src/\", \"Cargo.toml\"]\nsignal = \"src/DONE.md\"\n");
        let role = p.role("builder").unwrap();
        let text = render(&p, role, agent_name(role));
        assert!(text.starts_with(
            "---\nname: builder\ndescription: \"Builds \\\"it\\\". (lanes role `builder`: writes only src/, Cargo.toml.)\"\n---\n\
             You are the builder, one role in a team"
        ), "{text}");
        assert!(text.contains("Your lanes, the only paths you may write: `src/`, `Cargo.toml`."));
        assert!(text.contains("your signal file `src/DONE.md` instead"));
        assert_eq!(frontmatter_name(&text).as_deref(), Some("builder"));
    }

    #[test]
    fn the_agent_name_maps_back_to_the_role() {
        let p = policy("[roles.builder]\nagents = [\"impl\", \"coder\"]\n[roles.reviewer]\n");
        assert_eq!(agent_name(p.role("builder").unwrap()), "impl");
        assert_eq!(agent_name(p.role("reviewer").unwrap()), "reviewer");
        assert_eq!(p.role_for_agent("impl").unwrap().name, "builder");
    }

    #[test]
    fn names_claude_code_would_skip_are_not_usable() {
        for bad in ["", "-x", ".x", "a:b", "a/b", "a\\b", "a\nb"] {
            assert!(!usable_name(bad), "{bad:?}");
        }
        assert!(usable_name("code-reviewer"));
    }

    #[test]
    fn finds_declared_names_in_frontmatter_and_file_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("team")).unwrap();
        std::fs::write(
            dir.path().join("team/x.md"),
            "---\nname: \"builder\" # mine\ndescription: d\n---\nbody\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("reviewer.md"), "no frontmatter\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "---\nname: researcher\n---\n").unwrap();
        let names = declared_names(dir.path());
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["builder"]);
        assert!(declared_names(&dir.path().join("missing")).is_empty());
    }
}
