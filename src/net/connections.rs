//! The network's connections, stored packed (24 bytes each instead of a
//! [`Connection`]'s 56; thresholds of their own are numbered; a chunk's
//! delays are stored once when they are all equal, as a network's often
//! are) in fixed-size chunks: a network of 10^7
//! connections grows without copying them all when it doubles, and the
//! engine frees them chunk by chunk as it builds its own tables
//! ([`Connections::into_chunks`]), so the two copies never coexist whole.

use super::{Connection, Source};

/// Connections per chunk (1.6 MB each, 2.1 MB with delays of their own).
const CHUNK: usize = 1 << 16;

/// A connection as stored: cell, train and point process indices in 32
/// bits. An index that does not fit is stored as [`OUT_OF_RANGE`], which
/// names no cell, train or point process, so the engine refuses the
/// connection instead of running a wrong one.
#[derive(Clone, Copy, PartialEq)]
struct Packed {
    weight: f64,
    source: u32,
    target_cell: u32,
    target: u32,
    /// Bit 0: the source is a spike train; the others: 0 for the run's
    /// threshold, else 1 + the index of the connection's own threshold
    /// in [`Connections::thresholds`].
    flags: u32,
}

const FROM_TRAIN: u32 = 1;

/// Stored in place of an index of 2^32 - 1 or more.
const OUT_OF_RANGE: u32 = u32::MAX;

fn narrow(k: usize) -> u32 {
    u32::try_from(k).unwrap_or(OUT_OF_RANGE)
}

fn widen(k: u32) -> usize {
    if k == OUT_OF_RANGE {
        usize::MAX
    } else {
        k as usize
    }
}

impl Packed {
    /// `c` packed, its own threshold being number `threshold` - 1 (0:
    /// none).
    fn pack(c: &Connection, threshold: u32) -> Packed {
        let (source, from_train) = match c.source {
            Source::Cell(k) => (narrow(k), 0),
            Source::Train(k) => (narrow(k), FROM_TRAIN),
        };
        Packed {
            weight: c.weight,
            source,
            target_cell: narrow(c.target_cell),
            target: narrow(c.target),
            flags: from_train | threshold << 1,
        }
    }

    /// The connection of delay `delay`; `thresholds` numbers the
    /// thresholds of their own.
    fn unpack(&self, delay: f64, thresholds: &[f64]) -> Connection {
        let source = widen(self.source);
        Connection {
            source: if self.flags & FROM_TRAIN != 0 {
                Source::Train(source)
            } else {
                Source::Cell(source)
            },
            target_cell: widen(self.target_cell),
            target: widen(self.target),
            weight: self.weight,
            delay,
            threshold: match (self.flags >> 1) as usize {
                0 => f64::NAN,
                n => thresholds.get(n - 1).copied().unwrap_or(f64::NAN),
            },
        }
    }
}

/// The delays of a chunk's connections.
#[derive(Clone, Debug, PartialEq)]
enum Delays {
    /// All equal to this one.
    Same(f64),
    /// One per connection.
    Each(Vec<f64>),
}

/// Up to [`CHUNK`] connections.
#[derive(Clone, PartialEq)]
struct Chunk {
    items: Vec<Packed>,
    delays: Delays,
}

impl Chunk {
    /// An empty chunk whose first connection will have delay `delay`.
    fn new(delay: f64) -> Chunk {
        Chunk {
            items: Vec::with_capacity(CHUNK),
            delays: Delays::Same(delay),
        }
    }

    fn push(&mut self, p: Packed, delay: f64) {
        match &mut self.delays {
            // Equal as stored: -0.0 and 0.0, or two NaNs, are told apart.
            Delays::Same(d) if d.to_bits() == delay.to_bits() => {}
            Delays::Same(d) => {
                let mut each = Vec::with_capacity(CHUNK);
                each.resize(self.items.len(), *d);
                each.push(delay);
                self.delays = Delays::Each(each);
            }
            Delays::Each(each) => each.push(delay),
        }
        self.items.push(p);
    }

    /// Delay of the chunk's connection `k`.
    fn delay(&self, k: usize) -> f64 {
        match &self.delays {
            Delays::Same(d) => *d,
            Delays::Each(each) => each.get(k).copied().unwrap_or(f64::NAN),
        }
    }

    /// The chunk's connections in order.
    fn unpack<'a>(
        &'a self,
        thresholds: &'a [f64],
    ) -> impl DoubleEndedIterator<Item = Connection> + Clone + 'a {
        self.items
            .iter()
            .enumerate()
            .map(move |(k, p)| p.unpack(self.delay(k), thresholds))
    }
}

/// A list of [`Connection`]s in creation order (which decides the order
/// events are delivered in).
#[derive(Clone, Default, PartialEq)]
pub struct Connections {
    /// Full chunks of [`CHUNK`] connections, then the last one.
    chunks: Vec<Chunk>,
    len: usize,
    /// The distinct thresholds of the connections that have their own.
    thresholds: Vec<f64>,
}

/// Thresholds of their own numbered beyond this many are refused (stored
/// as the run's would be wrong): a network has a few distinct ones.
const MAX_THRESHOLDS: usize = 1 << 20;

impl Connections {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of connections.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `c`.
    pub fn push(&mut self, c: Connection) {
        let threshold = if c.threshold.is_nan() {
            0
        } else {
            let bits = c.threshold.to_bits();
            match self.thresholds.iter().rposition(|t| t.to_bits() == bits) {
                Some(i) => i + 1,
                None if self.thresholds.len() < MAX_THRESHOLDS => {
                    self.thresholds.push(c.threshold);
                    self.thresholds.len()
                }
                // Too many to number: the connection names no cell.
                None => {
                    let mut c = c;
                    c.target_cell = usize::MAX;
                    c.threshold = f64::NAN;
                    return self.push(c);
                }
            }
        };
        let p = Packed::pack(&c, threshold as u32);
        match self.chunks.last_mut() {
            Some(last) if last.items.len() < CHUNK => last.push(p, c.delay),
            _ => {
                let mut chunk = Chunk::new(c.delay);
                chunk.push(p, c.delay);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    /// True when some connection has a threshold of its own.
    pub fn has_own_thresholds(&self) -> bool {
        !self.thresholds.is_empty()
    }

    /// Makes room for `extra` more connections (a hint: chunks are
    /// allocated whole anyway).
    pub fn reserve(&mut self, extra: usize) {
        self.chunks.reserve(extra.div_ceil(CHUNK));
    }

    /// Connection `k`.
    pub fn get(&self, k: usize) -> Option<Connection> {
        let chunk = self.chunks.get(k / CHUNK)?;
        chunk
            .items
            .get(k % CHUNK)
            .map(|p| p.unpack(chunk.delay(k % CHUNK), &self.thresholds))
    }

    /// The connections in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Connection> + Clone + '_ {
        self.chunks
            .iter()
            .flat_map(|chunk| chunk.unpack(&self.thresholds))
    }

    /// The list cut into up to `n` lists of whole chunks, in order (each
    /// full but its last), to be read on `n` threads.
    pub fn into_pieces(self, n: usize) -> Vec<Connections> {
        let per = self.chunks.len().div_ceil(n.max(1)).max(1);
        let mut pieces = Vec::new();
        let mut chunks = self.chunks.into_iter().peekable();
        while chunks.peek().is_some() {
            let part: Vec<Chunk> = chunks.by_ref().take(per).collect();
            pieces.push(Connections {
                len: part.iter().map(|c| c.items.len()).sum(),
                chunks: part,
                thresholds: self.thresholds.clone(),
            });
        }
        pieces
    }

    /// The connections in order, as the chunks that hold them: each is
    /// freed as soon as the caller drops it.
    pub fn into_chunks(self) -> impl Iterator<Item = impl Iterator<Item = Connection>> {
        let thresholds: std::sync::Arc<[f64]> = self.thresholds.into();
        self.chunks.into_iter().map(move |chunk| {
            let thresholds = thresholds.clone();
            let Chunk { items, delays } = chunk;
            items.into_iter().enumerate().map(move |(k, p)| {
                let delay = match &delays {
                    Delays::Same(d) => *d,
                    Delays::Each(each) => each.get(k).copied().unwrap_or(f64::NAN),
                };
                p.unpack(delay, &thresholds)
            })
        })
    }
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<Connection>> for Connections {
    fn from(list: Vec<Connection>) -> Self {
        list.into_iter().collect()
    }
}

impl FromIterator<Connection> for Connections {
    fn from_iter<I: IntoIterator<Item = Connection>>(iter: I) -> Self {
        let mut out = Connections::new();
        for c in iter {
            out.push(c);
        }
        out
    }
}

impl Extend<Connection> for Connections {
    fn extend<I: IntoIterator<Item = Connection>>(&mut self, iter: I) {
        for c in iter {
            self.push(c);
        }
    }
}

impl<'a> IntoIterator for &'a Connections {
    type Item = Connection;
    type IntoIter = Box<dyn Iterator<Item = Connection> + 'a>;

    /// The connections in order, by value.
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl IntoIterator for Connections {
    type Item = Connection;
    type IntoIter = Box<dyn Iterator<Item = Connection>>;

    /// The connections in order; each chunk is freed once passed.
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.into_chunks().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Source;

    fn conn(k: usize) -> Connection {
        Connection {
            source: Source::Train(k),
            target_cell: 0,
            target: 0,
            weight: k as f64,
            delay: 1.0,
            threshold: f64::NAN,
        }
    }

    #[test]
    fn a_connection_comes_back_as_pushed() {
        let c = Connection {
            source: Source::Cell(7),
            target_cell: 3,
            target: 11,
            weight: -0.25,
            delay: 1.5,
            threshold: -20.0,
        };
        let mut list = Connections::new();
        list.push(c.clone());
        list.push(Connection {
            source: Source::Train(usize::MAX - 1),
            ..c.clone()
        });
        assert_eq!(list.get(0), Some(c));
        // An index too large for the packed form names nothing at all.
        assert_eq!(
            list.get(1).map(|c| c.source),
            Some(Source::Train(usize::MAX))
        );
        assert_eq!(std::mem::size_of::<Packed>(), 24);
    }

    #[test]
    fn delays_are_kept_whether_equal_or_not() {
        // Equal delays, then a different one late in the first chunk, a
        // chunk of -0.0 next to 0.0, and a last chunk of equal ones.
        let delay = |k: usize| match k {
            k if k < CHUNK - 3 => 1.5,
            k if k < CHUNK => k as f64,
            k if k < 2 * CHUNK => {
                if k % 2 == 0 {
                    0.0
                } else {
                    -0.0
                }
            }
            _ => 2.25,
        };
        let n = 2 * CHUNK + 7;
        let list: Connections = (0..n)
            .map(|k| Connection {
                delay: delay(k),
                ..conn(k)
            })
            .collect();
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
        assert!(
            list.iter()
                .enumerate()
                .all(|(k, c)| same(c.delay, delay(k)))
        );
        assert!((0..n).all(|k| list.get(k).is_some_and(|c| same(c.delay, delay(k)))));
        assert!(matches!(list.chunks[2].delays, Delays::Same(d) if d == 2.25));
        assert!(matches!(list.chunks[0].delays, Delays::Each(_)));
        let back: Vec<f64> = list.into_chunks().flatten().map(|c| c.delay).collect();
        assert!(back.iter().enumerate().all(|(k, &d)| same(d, delay(k))));
    }

    #[test]
    fn pieces_hold_the_list_in_order() {
        let n = 3 * CHUNK + 5;
        let list: Connections = (0..n).map(conn).collect();
        for k in [1, 2, 3, 7] {
            let pieces = list.clone().into_pieces(k);
            assert!(pieces.len() <= k.min(4));
            let back: Vec<f64> = pieces
                .iter()
                .flat_map(|p| p.iter())
                .map(|c| c.weight)
                .collect();
            assert_eq!(back.len(), n);
            assert!(back.iter().enumerate().all(|(i, &w)| w == i as f64));
        }
        assert!(Connections::new().into_pieces(2).is_empty());
    }

    #[test]
    fn keeps_order_across_chunks() {
        let n = 2 * CHUNK + 5;
        let list: Connections = (0..n).map(conn).collect();
        assert_eq!(list.len(), n);
        assert_eq!(list.chunks.len(), 3);
        assert!(list.iter().enumerate().all(|(k, c)| c.weight == k as f64));
        assert_eq!(
            list.get(CHUNK + 1).map(|c| c.weight),
            Some((CHUNK + 1) as f64)
        );
        assert_eq!(list.get(n).map(|c| c.weight), None);
        let back: Vec<f64> = list.into_chunks().flatten().map(|c| c.weight).collect();
        assert_eq!(back.len(), n);
        assert!(back.iter().enumerate().all(|(k, &w)| w == k as f64));
    }
}
