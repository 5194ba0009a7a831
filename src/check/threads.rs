//! A long staged listing judged on two threads.
//!
//! Git prints `git diff --cached` only once it has compared the whole index (about 120 ms
//! for 100,000 files on the benchmark machine) and then writes it faster than lanes judges
//! paths out of lane, so lanes' own work used to follow git's. The first [`CHUNK`] paths are
//! judged as they are read, as a short listing (every pre-commit of a few files) always is.
//! The later ones are queued in chunks: a second thread takes them while this one reads,
//! because a pause here to judge would leave git blocked on a full pipe; once git is done,
//! this thread takes chunks from the same queue. The second thread parses the same policy
//! text for itself, because a [`Policy`] keeps memos that are not shared between threads.
//! The chunks' findings are put back in git's order, so the report is the one a single
//! thread writes. Queued chunks hold their paths until judged: at worst the listing itself
//! (about 3 MB for 100,000 paths).

use super::{Base, CheckError, Found};
use crate::decide::Batch;
use crate::git::{ChangeStream, Event, Status};
use crate::policy::Policy;
use crate::role::{Actor, RoleSource};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{mpsc, Mutex};

/// Paths per chunk. A chunk of 4,096 paths out of lane takes about 2.5 ms to judge on the
/// benchmark machine: long against handing it over, short against the listing.
const CHUNK: usize = 4096;

/// What judging some paths of one unit found.
#[derive(Debug, Default)]
pub(super) struct Part {
    /// How many paths were judged.
    pub paths: usize,
    /// The violations among them, in order.
    pub found: Found,
}

/// Paths read from git, waiting to be judged: their bytes end to end, and per path its
/// status, its range in the bytes and whether it is a directory (a submodule).
#[derive(Debug, Default)]
struct Chunk {
    bytes: Vec<u8>,
    paths: Vec<(Status, Range<usize>, bool)>,
}

/// What the second thread needs to judge as this one does: the policy as text (not the
/// parsed [`Policy`], which is not shared between threads) and the acting role by name.
struct Seed<'a> {
    file: PathBuf,
    root: PathBuf,
    text: String,
    /// The acting role's name and where it came from; `None` when unassigned.
    role: Option<(String, RoleSource)>,
    base: &'a Base,
    unit: usize,
}

/// Judges every change `stream` lists for which `keep` holds, as `actor` of `policy`, in unit
/// `unit`; `batch` is this thread's. The findings come in parts, in git's order.
///
/// Errors: as the stream's, [`Base::place`]'s and [`Batch::decide`]'s, the first in git's
/// order; the second thread's failure to take the policy is an error too, and so is its end
/// before it has judged every chunk it took (it never lets a path through unjudged).
pub(super) fn judge_staged<'p>(
    stream: &mut ChangeStream,
    keep: impl Fn(&[u8]) -> bool,
    policy: &'p Policy,
    batch: &mut Batch<'p>,
    actor: &Actor<'p>,
    base: &Base,
    unit: usize,
) -> Result<Vec<Part>, CheckError> {
    let role = match actor {
        Actor::Role(r, source) => Some((r.name.clone(), *source)),
        Actor::Unassigned => None,
        Actor::Unknown(name, _) => {
            return Err(CheckError::Path(format!(
                "role `{name}` is not in the policy"
            )))
        }
    };
    let (to_queue, queue) = mpsc::channel::<(usize, Chunk)>();
    let queue = Mutex::new(queue);
    let mut judging = Judging {
        batch,
        actor,
        base,
        unit,
    };
    std::thread::scope(|scope| {
        // Owned here, so that any early return closes the queue and ends the second thread
        // (the scope waits for it).
        let to_queue = to_queue;
        let (to_main, parts) = mpsc::channel::<(usize, Result<Part, CheckError>)>();
        // Taken when the second thread starts.
        let mut unstarted = Some(role);
        // The first chunk's paths are judged as they are read, as a short listing is; the
        // later ones wait in the queue, because a pause to judge them would leave git
        // blocked on a full pipe.
        let mut first = Part::default();
        let mut count = 1usize;
        let mut chunk = Chunk::default();
        while let Some(event) = stream.next()? {
            let Event::Change {
                status,
                path,
                is_dir,
            } = event
            else {
                continue;
            };
            if !keep(path) {
                continue;
            }
            if first.paths < CHUNK {
                judging.path(&mut first, status, path, is_dir)?;
                continue;
            }
            // The second thread starts with the first path past the first chunk.
            if let Some(role) = unstarted.take() {
                let seed = Seed {
                    file: policy.file.clone(),
                    root: policy.root.clone(),
                    text: policy.source().to_string(),
                    role,
                    base,
                    unit,
                };
                let (queue, to_main) = (&queue, to_main.clone());
                scope.spawn(move || second_thread(seed, queue, to_main));
            }
            let start = chunk.bytes.len();
            chunk.bytes.extend_from_slice(path);
            chunk.paths.push((status, start..chunk.bytes.len(), is_dir));
            if chunk.paths.len() == CHUNK {
                // Only fails when nothing receives, and this thread receives below.
                let _ = to_queue.send((count, std::mem::take(&mut chunk)));
                count += 1;
            }
        }
        if !chunk.paths.is_empty() {
            let _ = to_queue.send((count, chunk));
            count += 1;
        }
        drop(to_queue);
        // Git is done: this thread takes chunks from the same queue.
        let mut all = Vec::with_capacity(count);
        all.push((0, first));
        while let Some((index, chunk)) = next(&queue)? {
            all.push((index, judging.chunk(&chunk)?));
        }
        drop(to_main);
        for (index, part) in parts {
            all.push((index, part?));
        }
        in_order(all, count)
    })
}

/// The parts of chunks `0..count`, sorted by chunk; an error when one is missing (the second
/// thread ended early), so no path goes unjudged.
fn in_order(mut all: Vec<(usize, Part)>, count: usize) -> Result<Vec<Part>, CheckError> {
    all.sort_unstable_by_key(|(index, _)| *index);
    if !all.iter().map(|(index, _)| *index).eq(0..count) {
        return Err(CheckError::Path(
            "the second thread stopped before it had judged every path it took".into(),
        ));
    }
    Ok(all.into_iter().map(|(_, part)| part).collect())
}

/// The next chunk of the queue, `None` once it is empty and closed.
fn next(
    queue: &Mutex<mpsc::Receiver<(usize, Chunk)>>,
) -> Result<Option<(usize, Chunk)>, CheckError> {
    let queue = queue
        .lock()
        .map_err(|_| CheckError::Path("the second thread failed".into()))?;
    Ok(queue.recv().ok())
}

/// Judges chunks from the queue until it is empty and closed, with a policy parsed from the
/// seed's text.
fn second_thread(
    seed: Seed<'_>,
    queue: &Mutex<mpsc::Receiver<(usize, Chunk)>>,
    to_main: mpsc::Sender<(usize, Result<Part, CheckError>)>,
) {
    let policy = match Policy::parse(&seed.file, &seed.root, seed.text) {
        Ok(p) => p,
        Err(e) => {
            let _ = to_main.send((0, Err(e.into())));
            return;
        }
    };
    let actor = match &seed.role {
        None => Actor::Unassigned,
        Some((name, source)) => match policy.role(name) {
            Some(r) => Actor::Role(r, *source),
            None => {
                let e = CheckError::Path(format!("lanes check: role `{name}` vanished"));
                let _ = to_main.send((0, Err(e)));
                return;
            }
        },
    };
    let mut batch = Batch::new(&policy);
    let mut judging = Judging {
        batch: &mut batch,
        actor: &actor,
        base: seed.base,
        unit: seed.unit,
    };
    loop {
        let (index, part) = match next(queue) {
            Ok(Some((index, chunk))) => (index, judging.chunk(&chunk)),
            Ok(None) => return,
            Err(e) => (0, Err(e)),
        };
        if to_main.send((index, part)).is_err() {
            return;
        }
    }
}

/// One thread's judge: its policy's [`Batch`], the acting role in that policy, and where
/// git's paths lie.
struct Judging<'a, 'p> {
    batch: &'a mut Batch<'p>,
    actor: &'a Actor<'p>,
    base: &'a Base,
    unit: usize,
}

impl Judging<'_, '_> {
    /// Judges the paths of `chunk`.
    fn chunk(&mut self, chunk: &Chunk) -> Result<Part, CheckError> {
        let mut part = Part::default();
        for (status, range, is_dir) in &chunk.paths {
            self.path(&mut part, *status, &chunk.bytes[range.clone()], *is_dir)?;
        }
        Ok(part)
    }

    /// Judges `path` as git lists it, as [`super::Judge::path`] does, into `part`.
    fn path(
        &mut self,
        part: &mut Part,
        status: Status,
        path: &[u8],
        is_dir: bool,
    ) -> Result<(), CheckError> {
        let place = self.base.place(path)?;
        let verdict = self.batch.decide(self.actor, &place, is_dir)?;
        part.paths += 1;
        if verdict.violation {
            part.found.record(self.unit, path, status, &verdict.rule);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(paths: usize) -> Part {
        Part {
            paths,
            found: Found::default(),
        }
    }

    #[test]
    fn parts_come_back_in_chunk_order_and_a_missing_one_is_an_error() {
        let got = in_order(vec![(0, part(1)), (2, part(3)), (1, part(2))], 3).unwrap();
        assert_eq!(got.iter().map(|p| p.paths).collect::<Vec<_>>(), [1, 2, 3]);
        for broken in [
            vec![(0, part(1)), (2, part(3))],
            vec![(0, part(1)), (1, part(2)), (1, part(2))],
            vec![(0, part(1)), (1, part(2)), (2, part(3)), (3, part(4))],
        ] {
            assert!(in_order(broken, 3).is_err());
        }
    }
}
