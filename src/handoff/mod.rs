//! How a role hands off, in the words every generated text uses: what its signal file must
//! hold, and where problems found mid-work go instead.
//!
//! A signal file releases whoever waits for it (`lanes wait`) as soon as it is complete, so
//! it must be written once, last, and hold only the handoff. Problems and questions that come
//! up while a role works (something outside its lanes that must change) go to its notes
//! file, [`notes_file`]: `NOTES.md` beside the signal file, which nobody waits for. The
//! CLAUDE.md block, the agent files and the deny reasons all take their words from here, so
//! they cannot send an agent to different places. Where a role's signal file is, across
//! worktrees, is [`signal_file`].

mod located;
pub use located::{signal_file, Located};

use crate::decide::{self, Place, Rule};
use crate::path::RepoPath;
use crate::policy::{Lanes, Policy, Role};
use crate::role::{Actor, RoleSource};
use std::path::Path;

/// The file name of a role's notes file, in the folder of its signal file.
pub const NOTES: &str = "NOTES.md";

/// Where `role` writes down problems and questions while it works: `NOTES.md` in the folder
/// of its signal file (`research/DONE.md` -> `research/NOTES.md`), when that path lies in
/// the role's own lanes and is not a signal file. `None` for a role without a signal file or
/// whose lanes do not hold that path; such a role reports problems in its final message.
pub fn notes_file(policy: &Policy, role: &Role) -> Option<RepoPath> {
    let signal = role.signal.as_ref()?;
    let dir = signal.as_path().parent().unwrap_or(Path::new(""));
    let notes = RepoPath::new(&dir.join(NOTES))?;
    if &notes == signal {
        return None;
    }
    // Own lane only: a shared or unowned path would work for the hook, but other roles could
    // overwrite it, and the deny reason must name a path the role may really write.
    let lanes = Lanes::new(policy);
    let actor = Actor::Role(role, RoleSource::Flag);
    let verdict = decide::decide(&lanes, &actor, &Place::Project(notes.clone()), false).ok()?;
    matches!(verdict.rule, Rule::OwnLane { .. }).then_some(notes)
}

/// Where problems go, as the end of a sentence: `` in `research/NOTES.md` `` or
/// `in your final message`.
pub fn problems_go(policy: &Policy, role: &Role) -> String {
    match notes_file(policy, role) {
        Some(n) => format!("in `{n}`"),
        None => "in your final message".to_string(),
    }
}

/// What `role`'s signal file must contain, for people and agents: `` `## Findings`, `## Plan`
/// and `Status: done` `` (from `signal_requires`, in policy order); `None` when it requires
/// nothing.
pub fn required_text(role: &Role) -> Option<String> {
    let items: Vec<String> = role
        .signal_requires()
        .iter()
        .map(|r| format!("`{r}`"))
        .collect();
    match items.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        [rest @ .., last] => Some(format!("{} and {last}", rest.join(", "))),
    }
}

/// How to write `role`'s signal file, in sentences for CLAUDE.md and the agent file: last,
/// in one step, and what it must contain (its `signal_requires`, with a last string that is
/// not a heading read as the file's final line).
pub fn signal_rules(role: &Role) -> String {
    let mut s = String::from(
        "Write it last, in one step (a single Write with the whole content), when your work is done; never \
         earlier, in parts, or to note progress or problems: the next role starts as soon as it is complete.",
    );
    match required_text(role) {
        Some(list) => {
            let how = match role.signal_requires().len() {
                1 => "exactly as written",
                _ => "each exactly as written and in that order",
            };
            s.push_str(&format!(
                " It is complete only when it contains {list}, {how}"
            ));
            match role.signal_requires().last() {
                Some(last) if !last.starts_with('#') => {
                    s.push_str(&format!(", with `{last}` as its final line."))
                }
                _ => s.push('.'),
            }
        }
        None => s.push_str(
            " Say what you did, where the results are, how to check them and what is left.",
        ),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(src: &str) -> Policy {
        Policy::parse(Path::new("lanes.toml"), Path::new("/r"), src.to_string()).unwrap()
    }

    #[test]
    fn notes_lie_beside_the_signal_file_in_the_roles_own_lane() {
        let p = policy(
            "[roles.a]\nwrite = [\"research/\"]\nsignal = \"research/DONE.md\"\n\
             [roles.b]\nwrite = [\"B.md\"]\nsignal = \"B.md\"\n\
             [roles.c]\nwrite = [\"c/\", \"!c/NOTES.md\"]\nsignal = \"c/DONE.md\"\n\
             [roles.d]\nwrite = [\"d/\"]\nsignal = \"d/NOTES.md\"\n\
             [roles.e]\nwrite = [\"e/\"]\n",
        );
        let notes = |r: &str| notes_file(&p, p.role(r).unwrap()).map(|n| n.to_string());
        assert_eq!(notes("a").as_deref(), Some("research/NOTES.md"));
        assert_eq!(notes("b"), None, "NOTES.md at the root is not in b's lane");
        assert_eq!(notes("c"), None, "cut out of the lane");
        assert_eq!(notes("d"), None, "the signal file itself");
        assert_eq!(notes("e"), None, "no signal file");
        assert_eq!(
            problems_go(&p, p.role("a").unwrap()),
            "in `research/NOTES.md`"
        );
        assert_eq!(
            problems_go(&p, p.role("e").unwrap()),
            "in your final message"
        );
    }

    #[test]
    fn required_text_lists_the_strings_in_policy_order() {
        let p = policy(
            "[roles.a]\nwrite = [\"a/\"]\nsignal = \"a/D.md\"\nsignal_requires = [\"## X\", \"## Y\", \"Status: done\"]\n\
             [roles.b]\nwrite = [\"b/\"]\nsignal = \"b/D.md\"\nsignal_requires = [\"## X\"]\n\
             [roles.c]\nwrite = [\"c/\"]\nsignal = \"c/D.md\"\n",
        );
        let req = |r: &str| required_text(p.role(r).unwrap());
        assert_eq!(
            req("a").as_deref(),
            Some("`## X`, `## Y` and `Status: done`")
        );
        assert_eq!(req("b").as_deref(), Some("`## X`"));
        assert_eq!(req("c"), None);
        let rules = |r: &str| signal_rules(p.role(r).unwrap());
        let first = "Write it last, in one step (a single Write with the whole content), when your work is done; \
                     never earlier, in parts, or to note progress or problems: the next role starts as soon as it is \
                     complete.";
        assert_eq!(
            rules("a"),
            format!(
                "{first} It is complete only when it contains `## X`, `## Y` and `Status: done`, each exactly as \
                 written and in that order, with `Status: done` as its final line."
            )
        );
        assert_eq!(
            rules("b"),
            format!("{first} It is complete only when it contains `## X`, exactly as written.")
        );
        assert_eq!(
            rules("c"),
            format!(
                "{first} Say what you did, where the results are, how to check them and what is left."
            )
        );
    }
}
