//! Which roles may own a path, for the deny message ("that path is in the lane of role X"):
//! an index from literal path components to the roles whose patterns require them.
//!
//! A pattern matches a path, or a parent of it, only when each of its literal components
//! (see [`super::lane::literals`]) is a component of the path. The index keys each positive
//! pattern by one of them, the one that the fewest patterns of the policy name (`r017` rather
//! than `docs` in `docs/r017/*.md`), so a path's candidates are few even when every role has
//! a lane under the same folder. Roles with a pattern that has no literal component, or that
//! might not compile, are candidates for every path. Candidates are a superset of the owners:
//! each one's lane must still be asked.

use super::lane::{literals, Literals};
use super::Pattern;
use crate::path::RepoPath;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The owner index of a policy; roles are indices into its roles, in file order.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OwnerIndex {
    /// Every key, one after the other.
    text: String,
    /// Per key, sorted by key: (start, end) of the key in `text`, and (start, end) of its
    /// roles in `roles`.
    keys: Vec<(u32, u32, u32, u32)>,
    /// The roles of each key, ascending within a key.
    roles: Vec<u32>,
    /// Roles that are candidates for every path, ascending.
    wild: Vec<u32>,
}

impl OwnerIndex {
    /// The index of roles whose lanes are `lanes` (in file order), read from the text of
    /// their patterns; `None` stands for a lane whose patterns could not be had, which is a
    /// candidate for every path so that its error surfaces when it is asked.
    pub(crate) fn build<'a>(lanes: impl Iterator<Item = Option<&'a [Pattern]>>) -> OwnerIndex {
        // Per role: the literal components of each positive pattern, or None (wild).
        let mut per_role: Vec<Option<Vec<Vec<&str>>>> = Vec::new();
        let mut named: HashMap<&str, u32> = HashMap::new();
        for lane in lanes {
            let Some(lane) = lane else {
                per_role.push(None);
                continue;
            };
            let mut patterns = Some(Vec::new());
            for p in lane {
                match literals(&p.text) {
                    Literals::Negation => {}
                    Literals::Positive(l) if !l.is_empty() => {
                        for c in &l {
                            *named.entry(c).or_default() += 1;
                        }
                        if let Some(list) = patterns.as_mut() {
                            list.push(l);
                        }
                    }
                    Literals::Positive(_) | Literals::MayFail => patterns = None,
                }
            }
            per_role.push(patterns);
        }
        let mut wild = Vec::new();
        let mut entries: Vec<(&str, u32)> = Vec::new();
        for (i, patterns) in per_role.iter().enumerate() {
            let i = i as u32;
            match patterns {
                None => wild.push(i),
                Some(patterns) => {
                    for l in patterns {
                        // Ties go to the deepest component: `r7` rather than `area` in
                        // `area/r7/`, since folders near the root tend to be shared.
                        let (_, rarest) = l
                            .iter()
                            .enumerate()
                            .min_by_key(|(at, c)| (named[*c], std::cmp::Reverse(*at)))
                            .expect("not empty");
                        entries.push((rarest, i));
                    }
                }
            }
        }
        entries.sort_unstable();
        entries.dedup();
        let mut index = OwnerIndex {
            wild,
            ..OwnerIndex::default()
        };
        for (key, role) in entries {
            let same = index
                .keys
                .last()
                .is_some_and(|&(s, e, _, _)| &index.text[s as usize..e as usize] == key);
            if !same {
                let start = index.text.len() as u32;
                index.text.push_str(key);
                let at = index.roles.len() as u32;
                index.keys.push((start, index.text.len() as u32, at, at));
            }
            index.roles.push(role);
            index.keys.last_mut().expect("pushed").3 += 1;
        }
        index
    }

    /// The roles whose lanes may hold `path`, ascending: the wild ones and those keyed by
    /// one of its components. `None` when the index is inconsistent (a damaged cache), so
    /// that the caller asks every role instead.
    pub(crate) fn candidates(&self, path: &RepoPath) -> Option<Vec<usize>> {
        let mut found: Vec<usize> = self.wild.iter().map(|&i| i as usize).collect();
        let key =
            |&(s, e, _, _): &(u32, u32, u32, u32)| self.text.as_bytes().get(s as usize..e as usize);
        for c in path
            .as_path()
            .as_os_str()
            .as_encoded_bytes()
            .split(|&b| b == b'/')
        {
            let Ok(at) = self
                .keys
                .binary_search_by(|k| key(k).unwrap_or_default().cmp(c))
            else {
                continue;
            };
            let (_, _, start, end) = self.keys[at];
            found.extend(
                self.roles
                    .get(start as usize..end as usize)?
                    .iter()
                    .map(|&i| i as usize),
            );
        }
        found.sort_unstable();
        found.dedup();
        Some(found)
    }

    /// True when every role index is below `roles`, every key lies in `text` and the keys
    /// are sorted: what [`OwnerIndex::candidates`] relies on to answer.
    pub(crate) fn fits(&self, roles: usize) -> bool {
        let mut last: Option<&str> = None;
        for &(s, e, rs, re) in &self.keys {
            let Some(key) = self.text.get(s as usize..e as usize) else {
                return false;
            };
            if last.is_some_and(|l| l >= key) || rs > re || re as usize > self.roles.len() {
                return false;
            }
            last = Some(key);
        }
        self.roles
            .iter()
            .chain(&self.wild)
            .all(|&i| (i as usize) < roles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn index(lanes: &[&[&str]]) -> OwnerIndex {
        let lanes: Vec<Vec<Pattern>> = lanes
            .iter()
            .map(|l| {
                l.iter()
                    .map(|t| Pattern {
                        text: t.to_string(),
                        span: None,
                    })
                    .collect()
            })
            .collect();
        OwnerIndex::build(lanes.iter().map(|l| Some(l.as_slice())))
    }

    fn candidates(i: &OwnerIndex, path: &str) -> Vec<usize> {
        i.candidates(&RepoPath::new(Path::new(path)).unwrap())
            .unwrap()
    }

    #[test]
    fn keys_by_the_rarest_component_so_a_shared_folder_does_not_make_everyone_a_candidate() {
        let i = index(&[
            &["area0/r0/", "docs/r0/a.md", "!area0/r0/vendor/"],
            &["area0/r1/", "docs/r1/b.md", "**/r1.lock"],
            &["area0/r2/", "docs/r2/c.md", "pkg/r2/*.json"],
        ]);
        assert!(i.fits(3));
        assert_eq!(candidates(&i, "area0/r0/src/lib.rs"), [0]);
        assert_eq!(candidates(&i, "docs/r1/b.md"), [1]);
        assert_eq!(candidates(&i, "x/y/r1.lock"), [1]);
        assert_eq!(candidates(&i, "area0/r3/x"), Vec::<usize>::new());
    }

    #[test]
    fn roles_that_may_match_anything_or_may_not_compile_are_candidates_everywhere() {
        let i = index(&[
            &["src/"],
            &["**/*.md"],
            &["docs/[ab"],
            &["!x/"],
            &["a/", "*"],
        ]);
        assert_eq!(candidates(&i, "src/x"), [0, 1, 2, 4]);
        assert_eq!(candidates(&i, "other"), [1, 2, 4]);
    }

    /// Every owner is a candidate: each role whose compiled lane holds a path is among the
    /// roles the index names for it.
    #[test]
    fn candidates_include_every_owner() {
        let lanes: &[&[&str]] = &[
            &["src/", "!src/gen/", "src/gen/keep.rs"],
            &[
                "area0/r1/",
                "docs/r1/t.md",
                "**/r1-2.lock",
                "pkg3/r1/*.json",
            ],
            &["docs/*.md", "a/b/c", "/x/y/"],
            &["**/.cache/", "tmp/", "v?/w/"],
            &["a/*/c/", "x/[ab]/y"],
            &["!only/negations/"],
        ];
        let i = index(lanes);
        let paths = [
            "src/a.rs",
            "src/gen/keep.rs",
            "area0/r1/a",
            "docs/r1/t.md",
            "q/r1-2.lock",
            "pkg3/r1/a.json",
            "docs/a.md",
            "a/b/c/d",
            "x/y/z",
            "k/.cache/x",
            "tmp/a",
            "v1/w/x",
            "a/q/c/d",
            "x/a/y",
            "only/negations/x",
            "other",
        ];
        for p in paths {
            let found = candidates(&i, p);
            for (role, lane) in lanes.iter().enumerate() {
                let list = super::super::PatternList::new(
                    lane.iter()
                        .map(|t| Pattern {
                            text: t.to_string(),
                            span: None,
                        })
                        .collect(),
                );
                let compiled = list.lane(Path::new("l"), "").unwrap();
                for is_dir in [false, true] {
                    if compiled
                        .find(&RepoPath::new(Path::new(p)).unwrap(), is_dir)
                        .is_some()
                    {
                        assert!(found.contains(&role), "{p}: owner {role} not in {found:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn an_index_that_does_not_fit_its_policy_is_refused() {
        let i = index(&[&["src/"], &["doc/"]]);
        assert!(i.fits(2));
        assert!(!i.fits(1));
        let mut bad = i.clone();
        bad.keys[0].1 = 999;
        assert!(!bad.fits(2));
        let mut unsorted = i.clone();
        unsorted.keys.swap(0, 1);
        assert!(!unsorted.fits(2));
    }
}
