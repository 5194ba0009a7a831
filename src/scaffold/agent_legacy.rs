//! Agent files written by lanes before it marked its part (no `<!-- lanes:begin -->`): is a
//! file exactly what that lanes wrote, so that `lanes init` may rewrite it without losing a
//! byte of the user's?
//!
//! The old text was generated from the role's name, description, lanes and signal file and
//! the policy file's name. [`unedited`] reads those values back out of the file, renders the
//! old text from them (`render_v1`, the generator of that version, kept verbatim) and
//! compares byte for byte. Any edit, even one space, makes the file the user's.

/// The closing comment of old agent files; also marks an edited one as lanes' work.
pub const NOTE: &str = "<!-- Written by `lanes init` from lanes.toml.";

/// True when `text` is byte for byte an agent file the old lanes wrote.
pub fn unedited(text: &str) -> bool {
    let Some(name) = super::agents::frontmatter_name(text) else {
        return false;
    };
    let role = between(text, "\nYou are the ", ", one role in a team");
    let summary = between(text, "at the same time. ", "\n\n");
    let lanes = between(
        text,
        "Your lanes, the only paths you may write: ",
        ". Everything else",
    );
    let file = between(text, "lanes' own files (`", "`, `.claude/`)");
    let signal = between(text, "your signal file `", "` instead, and write");
    let (Some(role), Some(summary), Some(lanes), Some(file)) = (role, summary, lanes, file) else {
        return false;
    };
    let v1 = V1 {
        name: &name,
        role,
        summary,
        lanes,
        file,
        signal,
    };
    render_v1(&v1) == text
}

/// The text between the first `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// What the old generator took from the policy.
struct V1<'a> {
    name: &'a str,
    role: &'a str,
    summary: &'a str,
    /// The lanes as shown: `` `src/`, `Cargo.toml` `` or `none`.
    lanes: &'a str,
    file: &'a str,
    signal: Option<&'a str>,
}

/// The old generator's text.
fn render_v1(v: &V1<'_>) -> String {
    let plain = match v.lanes {
        "none" => String::new(),
        shown => shown.replace('`', ""),
    };
    let description = format!(
        "{} (lanes role `{}`: writes only {plain}.)",
        v.summary, v.role
    );
    let mut s = String::new();
    s.push_str("---\n");
    s.push_str(&format!("name: {}\n", v.name));
    s.push_str(&format!(
        "description: {}\n",
        serde_json::Value::String(description)
    ));
    s.push_str("---\n");
    s.push_str(&format!(
        "You are the {}, one role in a team of agents that work in this repository at the same time. {}\n\n",
        v.role, v.summary
    ));
    s.push_str(&format!(
        "Your lanes, the only paths you may write: {}. Everything else is read-only for you: the other roles' \
         lanes, the protected paths and lanes' own files (`{}`, `.claude/`).\n\n",
        v.lanes, v.file
    ));
    s.push_str(
        "Before you start, read the \"Lanes: who writes where\" section of CLAUDE.md: it says what the other \
         roles own and what belongs in your signal file. Never modify a file outside your lanes, not even \
         through a shell command or a script. ",
    );
    match v.signal {
        Some(signal) => s.push_str(&format!(
            "If something outside them must change, write the problem into your signal file `{signal}` instead, \
             and write that file when your work is done.\n"
        )),
        None => s.push_str(
            "If something outside them must change, report it in your final message instead.\n",
        ),
    }
    s.push_str(
        "\n<!-- Written by `lanes init` from lanes.toml. This file is yours to edit: lanes init never overwrites it. -->\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written by lanes 0.1.0 (`git show 65e2d4b:src/scaffold/agents.rs`) for the default
    /// template's builder.
    const OLD_BUILDER: &str = "---\nname: builder\ndescription: \"Implements the plan in src/ and keeps the package manifests and lock files up to date. (lanes role `builder`: writes only src/, Cargo.toml, Cargo.lock, package.json, package-lock.json, pyproject.toml, go.mod, go.sum.)\"\n---\nYou are the builder, one role in a team of agents that work in this repository at the same time. Implements the plan in src/ and keeps the package manifests and lock files up to date.\n\nYour lanes, the only paths you may write: `src/`, `Cargo.toml`, `Cargo.lock`, `package.json`, `package-lock.json`, `pyproject.toml`, `go.mod`, `go.sum`. Everything else is read-only for you: the other roles' lanes, the protected paths and lanes' own files (`lanes.toml`, `.claude/`).\n\nBefore you start, read the \"Lanes: who writes where\" section of CLAUDE.md: it says what the other roles own and what belongs in your signal file. Never modify a file outside your lanes, not even through a shell command or a script. If something outside them must change, write the problem into your signal file `src/BUILD_COMPLETE.md` instead, and write that file when your work is done.\n\n<!-- Written by `lanes init` from lanes.toml. This file is yours to edit: lanes init never overwrites it. -->\n";

    #[test]
    fn an_old_file_is_recognised_only_while_unedited() {
        assert!(unedited(OLD_BUILDER));
        let no_signal = OLD_BUILDER.replace(
            "write the problem into your signal file `src/BUILD_COMPLETE.md` instead, and write that file when your work is done.",
            "report it in your final message instead.",
        );
        assert!(unedited(&no_signal));
        for edited in [
            OLD_BUILDER.replace("up to date.\n\n", "up to date. Use tabs.\n\n"),
            format!("{OLD_BUILDER}Mine.\n"),
            OLD_BUILDER.replace("---\nYou", "model: opus\n---\nYou"),
            OLD_BUILDER.replace("writes only src/, Cargo.toml,", "writes only src/,"),
            OLD_BUILDER.trim_end().to_string(),
        ] {
            assert!(!unedited(&edited), "{edited}");
        }
    }
}
