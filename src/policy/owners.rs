//! Which roles may own a path, for the deny message ("that path is in the lane of role X"):
//! an index from literal path components to the roles whose patterns require them.
//!
//! A pattern matches a path, or a parent of it, only when each of its literal components
//! (see [`super::pattern::literals`]) is a component of the path. The index keys each positive
//! pattern by one of them, the one that the fewest patterns of the policy name (`r017` rather
//! than `docs` in `docs/r017/*.md`; the deepest on a tie), so a path's candidates are few even
//! when every role has a lane under the same folder. Roles with a pattern that has no literal
//! component, or that might not compile, are candidates for every path. Candidates are a
//! superset of the owners: each one's lane must still be asked.
//!
//! The index is one run of bytes, searched as it is: the parsed-policy cache keeps it so. Layout, every number a `u32`
//! (little-endian): the counts of keys, key roles and wild roles, and the length of the key
//! text; per key, in key order, (text start, text end, roles start, roles end); the key
//! roles (ascending within a key); the wild roles (ascending); the key text.

use super::pattern::{literals, Literals, PatternList};
use crate::path::RepoPath;
use foldhash::fast::FixedState;
use std::cell::{Cell, OnceCell, RefCell};
use std::cmp::Ordering;
use std::collections::HashMap;

/// The owner index of a policy; roles are indices into its roles, in file order.
#[derive(Debug, Default, Clone)]
pub(crate) struct OwnerIndex {
    bytes: Vec<u8>,
    /// How many lookups the index has answered.
    lookups: Cell<u32>,
    /// The index in a hash map, made once it has answered [`SEARCHES`] lookups: a caller that
    /// judges many paths (`lanes check`) then hashes each component once instead of searching
    /// the bytes. `None` inside when the bytes do not decode (they are searched as before).
    decoded: OnceCell<Option<Decoded>>,
}

impl PartialEq for OwnerIndex {
    fn eq(&self, other: &OwnerIndex) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for OwnerIndex {}

/// Lookups answered by searching the bytes before the index is decoded into a map.
const SEARCHES: u32 = 16;

/// [`OwnerIndex`] as a map: key component -> roles, and the roles that are always candidates.
#[derive(Debug, Clone)]
struct Decoded {
    keys: HashMap<Box<[u8]>, Vec<usize>, FixedState>,
    wild: Vec<usize>,
    /// The last directory asked and the roles its components are keys of (wild ones
    /// included): `lanes check` gets paths in index order, so most share the previous one's
    /// directory, and only the file name is left to look up.
    last_dir: RefCell<Option<(Vec<u8>, Vec<usize>)>>,
}

/// The counts of an [`OwnerIndex`] and where its parts start (in numbers, but `text`).
struct Layout<'a> {
    keys: usize,
    key_roles: usize,
    wild: usize,
    /// The first key role.
    roles_at: usize,
    /// The first wild role.
    wild_at: usize,
    /// The key text.
    text: &'a [u8],
}

/// The numbers before the keys.
const HEAD: usize = 4;

impl OwnerIndex {
    /// The index kept as `bytes` (see the module's layout). Damage shows as a lookup that
    /// fails (see [`OwnerIndex::candidates`]), never as a panic.
    pub(crate) fn from_bytes(bytes: Vec<u8>) -> OwnerIndex {
        OwnerIndex {
            bytes,
            ..OwnerIndex::default()
        }
    }

    /// The index as bytes, to keep.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The index of roles whose lanes are `lanes` (in file order), read from the text of
    /// their patterns; `None` stands for a lane whose patterns could not be had, which is a
    /// candidate for every path so that its error surfaces when it is asked.
    pub(crate) fn build<'a>(lanes: impl Iterator<Item = Option<&'a PatternList>>) -> OwnerIndex {
        // Per role: the literal components of each positive pattern, or None (wild).
        let mut per_role: Vec<Option<Vec<Vec<&str>>>> = Vec::new();
        let mut named: HashMap<&str, u32> = HashMap::new();
        for lane in lanes {
            let Some(lane) = lane else {
                per_role.push(None);
                continue;
            };
            let mut patterns = Some(Vec::new());
            for p in lane.patterns() {
                match literals(p.text) {
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
        let mut text = String::new();
        let mut keys: Vec<[u32; 4]> = Vec::new();
        let mut roles: Vec<u32> = Vec::with_capacity(entries.len());
        for (key, role) in entries {
            let same = keys
                .last()
                .is_some_and(|k| &text[k[0] as usize..k[1] as usize] == key);
            if !same {
                let start = text.len() as u32;
                text.push_str(key);
                let at = roles.len() as u32;
                keys.push([start, text.len() as u32, at, at]);
            }
            roles.push(role);
            keys.last_mut().expect("pushed")[3] += 1;
        }
        let counts = [keys.len(), roles.len(), wild.len(), text.len()].map(|n| n as u32);
        let mut bytes = Vec::new();
        for n in counts
            .into_iter()
            .chain(keys.into_iter().flatten())
            .chain(roles)
            .chain(wild)
        {
            bytes.extend(n.to_le_bytes());
        }
        bytes.extend(text.as_bytes());
        OwnerIndex::from_bytes(bytes)
    }

    /// Where the parts of the layout lie; `None` when the counts do not fit the bytes.
    fn layout(&self) -> Option<Layout<'_>> {
        let [keys, key_roles, wild, text_len] = [0, 1, 2, 3].map(|i| self.number(i));
        let (keys, key_roles, wild, text_len) = (keys?, key_roles?, wild?, text_len?);
        let roles_at = HEAD.checked_add(keys.checked_mul(4)?)?;
        let wild_at = roles_at.checked_add(key_roles)?;
        let text_at = wild_at.checked_add(wild)?.checked_mul(4)?;
        let text = self.bytes.get(text_at..text_at.checked_add(text_len)?)?;
        Some(Layout {
            keys,
            key_roles,
            wild,
            roles_at,
            wild_at,
            text,
        })
    }

    /// The `i`th number of the layout.
    fn number(&self, i: usize) -> Option<usize> {
        let at = i.checked_mul(4)?;
        let b = self.bytes.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    /// The roles whose lanes may hold `path`, ascending: the wild ones and those keyed by
    /// one of its components. `None` when the index does not fit a policy of `roles` roles
    /// (a damaged cache), so that the caller asks every role instead.
    pub(crate) fn candidates(&self, path: &RepoPath, roles: usize) -> Option<Vec<usize>> {
        let asked = self.lookups.get();
        self.lookups.set(asked.saturating_add(1));
        if asked >= SEARCHES {
            if let Some(decoded) = self.decoded.get_or_init(|| self.decode()) {
                return decoded.candidates(path, roles);
            }
        }
        self.search(path, roles)
    }

    /// [`OwnerIndex::candidates`] by searching the bytes.
    fn search(&self, path: &RepoPath, roles: usize) -> Option<Vec<usize>> {
        let Layout {
            keys,
            key_roles,
            wild,
            roles_at,
            wild_at,
            text,
        } = self.layout()?;
        let key = |k: usize| text.get(self.number(HEAD + 4 * k)?..self.number(HEAD + 4 * k + 1)?);
        let mut found = Vec::new();
        for w in 0..wild {
            found.push(self.number(wild_at + w)?);
        }
        for c in path
            .as_path()
            .as_os_str()
            .as_encoded_bytes()
            .split(|&b| b == b'/')
        {
            let (mut lo, mut hi) = (0, keys);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                match key(mid)?.cmp(c) {
                    Ordering::Less => lo = mid + 1,
                    Ordering::Greater => hi = mid,
                    Ordering::Equal => {
                        let start = self.number(HEAD + 4 * mid + 2)?;
                        let end = self.number(HEAD + 4 * mid + 3)?;
                        for r in start..end.min(key_roles) {
                            found.push(self.number(roles_at + r)?);
                        }
                        break;
                    }
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found.iter().all(|&r| r < roles).then_some(found)
    }

    /// The index as a map; `None` when the bytes do not decode.
    fn decode(&self) -> Option<Decoded> {
        let Layout {
            keys,
            key_roles,
            wild,
            roles_at,
            wild_at,
            text,
        } = self.layout()?;
        let mut map = HashMap::with_capacity_and_hasher(keys, FixedState::default());
        for k in 0..keys {
            let key = text.get(self.number(HEAD + 4 * k)?..self.number(HEAD + 4 * k + 1)?)?;
            let start = self.number(HEAD + 4 * k + 2)?;
            let end = self.number(HEAD + 4 * k + 3)?.min(key_roles);
            let roles = (start..end)
                .map(|r| self.number(roles_at + r))
                .collect::<Option<Vec<_>>>()?;
            map.insert(Box::from(key), roles);
        }
        let wild = (0..wild)
            .map(|w| self.number(wild_at + w))
            .collect::<Option<Vec<_>>>()?;
        Some(Decoded {
            keys: map,
            wild,
            last_dir: RefCell::default(),
        })
    }
}

impl Decoded {
    /// [`OwnerIndex::candidates`] from the map.
    fn candidates(&self, path: &RepoPath, roles: usize) -> Option<Vec<usize>> {
        let (dir, name) = path.split_last();
        let mut last = self.last_dir.borrow_mut();
        if last.as_ref().is_none_or(|(d, _)| d.as_slice() != dir) {
            let mut found = self.wild.clone();
            if !dir.is_empty() {
                for c in dir.split(|&b| b == b'/') {
                    if let Some(r) = self.keys.get(c) {
                        found.extend(r);
                    }
                }
            }
            *last = Some((dir.to_vec(), found));
        }
        let mut found = last.as_ref().map(|(_, f)| f.clone()).unwrap_or_default();
        if let Some(r) = self.keys.get(name) {
            found.extend(r);
        }
        found.sort_unstable();
        found.dedup();
        found.iter().all(|&r| r < roles).then_some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::super::pattern::Pattern;
    use super::*;
    use std::path::Path;

    fn index(lanes: &[&[&str]]) -> OwnerIndex {
        let lanes: Vec<PatternList> = lanes
            .iter()
            .map(|l| {
                PatternList::new(
                    l.iter()
                        .map(|t| Pattern {
                            text: t.to_string(),
                            span: None,
                        })
                        .collect(),
                )
            })
            .collect();
        OwnerIndex::build(lanes.iter().map(Some))
    }

    fn candidates(i: &OwnerIndex, path: &str) -> Vec<usize> {
        i.candidates(&RepoPath::new(Path::new(path)).unwrap(), 10)
            .unwrap()
    }

    #[test]
    fn the_decoded_map_answers_as_the_byte_search() {
        let i = index(&[
            &["area0/r0/", "docs/r0/a.md", "!area0/r0/vendor/"],
            &["area0/r1/", "docs/r1/b.md", "**/r1.lock"],
            &["pkg/*/x.json"],
            &["area0/r2/", "docs/r2/c.md", "pkg/r2/*.json"],
        ]);
        let paths = [
            "area0/r0/src/lib.rs",
            "docs/r1/b.md",
            "x/y/r1.lock",
            "pkg/r2/a.json",
            "pkg/q/x.json",
            "elsewhere/a",
            "r2",
            "x/y/other",
            "x/y/r1.lock",
            "x/y/r2",
            "area0/r0/src/main.rs",
            "r1.lock",
        ];
        let want: Vec<_> = paths.iter().map(|p| candidates(&i, p)).collect();
        for _ in 0..=SEARCHES {
            for p in paths {
                candidates(&i, p);
            }
        }
        assert!(
            matches!(i.decoded.get(), Some(Some(_))),
            "decoded after many lookups"
        );
        let got: Vec<_> = paths.iter().map(|p| candidates(&i, p)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn keys_by_the_rarest_component_so_a_shared_folder_does_not_make_everyone_a_candidate() {
        let i = index(&[
            &["area0/r0/", "docs/r0/a.md", "!area0/r0/vendor/"],
            &["area0/r1/", "docs/r1/b.md", "**/r1.lock"],
            &["area0/r2/", "docs/r2/c.md", "pkg/r2/*.json"],
        ]);
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
                let list: Vec<Pattern> = lane
                    .iter()
                    .map(|t| Pattern {
                        text: t.to_string(),
                        span: None,
                    })
                    .collect();
                let compiled = super::super::Lane::compile(
                    list.iter().map(Pattern::borrowed),
                    Path::new("l"),
                    "",
                )
                .unwrap();
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
    fn an_index_that_does_not_fit_its_policy_answers_nothing_and_never_panics() {
        let i = index(&[&["src/"], &["doc/"]]);
        let path = RepoPath::new(Path::new("doc/x")).unwrap();
        assert_eq!(i.candidates(&path, 2), Some(vec![1]));
        assert_eq!(
            i.candidates(&path, 1),
            None,
            "a role the policy does not have"
        );
        let good = i.as_bytes().to_vec();
        for cut in 0..good.len() {
            let _ = OwnerIndex::from_bytes(good[..cut].to_vec()).candidates(&path, 2);
        }
        for at in 0..good.len() {
            for value in [0, 1, 0x7f, 0xff] {
                let mut bytes = good.clone();
                bytes[at] = value;
                let _ = OwnerIndex::from_bytes(bytes).candidates(&path, 2);
            }
        }
    }
}
