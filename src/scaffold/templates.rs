//! Policy templates shipped in the binary: the files in `policies/`, embedded at build time.
//!
//! Each template is a commented `lanes.toml`; its first line (`# Summary.`) is the summary
//! that `lanes init --list-templates` shows. Tests below parse every template and check a few
//! of its decisions, so a template that stops parsing or behaving fails the build's tests.

/// A policy template.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// The name given to `lanes init --template NAME`.
    pub name: &'static str,
    /// The file's text, written as `lanes.toml`.
    pub text: &'static str,
}

/// The template `lanes init` uses when `--template` is not given.
pub const DEFAULT_TEMPLATE: &str = "research-build-review";

/// Every shipped template, the default first.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "research-build-review",
        text: include_str!("../../policies/research-build-review.toml"),
    },
    Template {
        name: "frontend-backend",
        text: include_str!("../../policies/frontend-backend.toml"),
    },
    Template {
        name: "planner-coder-tester",
        text: include_str!("../../policies/planner-coder-tester.toml"),
    },
];

impl Template {
    /// The one-line summary: the template's first line without its `# `.
    pub fn summary(&self) -> &'static str {
        let first = self.text.lines().next().unwrap_or("");
        first.trim_start_matches('#').trim()
    }
}

/// `lanes init --list-templates`: each name (the default marked) and its summary.
pub fn listing() -> String {
    let mut out = String::new();
    for t in TEMPLATES {
        let default = if t.name == DEFAULT_TEMPLATE {
            " (default)"
        } else {
            ""
        };
        out.push_str(&format!("{}{default}\n    {}\n", t.name, t.summary()));
    }
    out
}

/// The template called `name`.
pub fn find(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::{decide, Place};
    use crate::path::RepoPath;
    use crate::policy::Policy;
    use crate::role::{Actor, RoleSource};
    use std::path::Path;

    fn load(name: &str) -> Policy {
        let t = find(name).unwrap_or_else(|| panic!("template {name} exists"));
        let p = Policy::parse(
            Path::new("lanes.toml"),
            Path::new("/repo"),
            t.text.to_string(),
        )
        .unwrap_or_else(|e| panic!("template {name}: {e}"));
        crate::policy::Lanes::new(&p)
            .compile_all()
            .unwrap_or_else(|e| panic!("template {name}: {e}"));
        p
    }

    /// `role` writing `path`: `pass` or `BLOCK`, with the rule.
    fn verdict(p: &Policy, role: &str, path: &str) -> String {
        let actor = Actor::Role(p.role(role).expect("role exists"), RoleSource::Flag);
        let place = Place::Project(RepoPath::new(Path::new(path)).unwrap());
        let v = decide(&crate::policy::Lanes::new(p), &actor, &place, false).unwrap();
        format!("{} [{}]", if v.blocked { "BLOCK" } else { "pass" }, v.rule)
    }

    macro_rules! decisions {
        ($template:expr; $($role:expr, $path:expr => $want:expr;)*) => {{
            let p = load($template);
            $( assert_eq!(verdict(&p, $role, $path), $want, "{} {} {}", $template, $role, $path); )*
        }};
    }

    #[test]
    fn every_template_parses_compiles_and_has_a_summary_and_signals() {
        assert_eq!(TEMPLATES[0].name, DEFAULT_TEMPLATE);
        for t in TEMPLATES {
            let p = load(t.name);
            assert!(
                t.summary().len() > 20 && t.summary().ends_with('.'),
                "{}: summary {:?}",
                t.name,
                t.summary()
            );
            assert!(p.roles.len() >= 2, "{}", t.name);
            for r in &p.roles {
                assert!(
                    r.description().is_some(),
                    "{}: role {} has a description",
                    t.name,
                    r.name
                );
                assert!(
                    r.signal.is_some(),
                    "{}: role {} has a signal file",
                    t.name,
                    r.name
                );
                // A complete handoff is defined, ends with its status line, and problems found
                // mid-work have a place that is not the signal file (issue 19, finding 1).
                assert!(
                    r.signal_requires().len() >= 3
                        && r.signal_requires().last().map(String::as_str) == Some("Status: done"),
                    "{}: role {} defines a complete signal: {:?}",
                    t.name,
                    r.name,
                    r.signal_requires()
                );
                assert!(
                    crate::handoff::notes_file(&p, r).is_some(),
                    "{}: role {} may write NOTES.md beside its signal file",
                    t.name,
                    r.name
                );
            }
        }
    }

    #[test]
    fn research_build_review_decides_as_documented() {
        decisions! { "research-build-review";
            "builder", "src/x.rs" => "pass [own lane: src/]";
            "builder", "Cargo.toml" => "pass [own lane: Cargo.toml]";
            "builder", "research/x.md" => "BLOCK [lane of researcher: research/]";
            "builder", "tests/t.rs" => "BLOCK [lane of reviewer: tests/]";
            "builder", "contracts/api.md" => "BLOCK [protected: contracts/]";
            "builder", "target/debug/x" => "pass [shared: target/]";
            "researcher", "research/notes.md" => "pass [own lane: research/]";
            "researcher", "src/BUILD_COMPLETE.md" => "BLOCK [signal file of builder]";
            "reviewer", "reviews/r1.md" => "pass [own lane: reviews/]";
            "reviewer", "tests/t.rs" => "pass [own lane: tests/]";
            "reviewer", "src/lib.rs" => "BLOCK [lane of builder: src/]";
            "reviewer", "lanes.toml" => "BLOCK [always protected: lanes.toml]";
        }
        let p = load("research-build-review");
        let signals: Vec<String> = p
            .roles
            .iter()
            .map(|r| r.signal.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(
            signals,
            [
                "research/DONE.md",
                "src/BUILD_COMPLETE.md",
                "reviews/REVIEW_COMPLETE.md"
            ]
        );
    }

    #[test]
    fn frontend_backend_decides_as_documented() {
        decisions! { "frontend-backend";
            "frontend", "frontend/app.tsx" => "pass [own lane: frontend/]";
            "frontend", "backend/server.go" => "BLOCK [lane of backend: backend/]";
            "backend", "backend/server.go" => "pass [own lane: backend/]";
            "backend", "api/openapi.yaml" => "BLOCK [protected: api/]";
            "backend", "frontend/app.tsx" => "BLOCK [lane of frontend: frontend/]";
            "backend", "backend/node_modules/x/index.js" => "pass [own lane: backend/]";
            "frontend", "node_modules/x/index.js" => "pass [shared: **/node_modules/]";
        }
    }

    #[test]
    fn planner_coder_tester_decides_as_documented() {
        decisions! { "planner-coder-tester";
            "planner", "plan/steps.md" => "pass [own lane: plan/]";
            "planner", "src/main.rs" => "BLOCK [lane of coder: src/]";
            "coder", "src/main.rs" => "pass [own lane: src/]";
            "coder", "tests/it.rs" => "BLOCK [lane of tester: tests/]";
            "tester", "tests/it.rs" => "pass [own lane: tests/]";
            "tester", "tests/TEST_REPORT.md" => "pass [own lane: tests/]";
        }
        let p = load("planner-coder-tester");
        assert_eq!(p.role("planner").unwrap().spawn(), ["coder", "tester"]);
    }

    #[test]
    fn unknown_template_is_none() {
        assert!(find("nope").is_none());
    }
}
