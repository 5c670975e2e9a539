//! The network's connections, stored in fixed-size chunks: a network of
//! 10^7 connections grows without copying them all when it doubles, and
//! the engine frees them chunk by chunk as it builds its own tables
//! ([`Connections::into_chunks`]), so the two copies never coexist whole.

use super::Connection;

/// Connections per chunk (about 3.5 MB each).
const CHUNK: usize = 1 << 16;

/// A list of [`Connection`]s in creation order (which decides the order
/// events are delivered in).
#[derive(Clone, Default, PartialEq)]
pub struct Connections {
    /// Full chunks of [`CHUNK`] connections, then the last one.
    chunks: Vec<Vec<Connection>>,
    len: usize,
}

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
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(c),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(c);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    /// Makes room for `extra` more connections (a hint: chunks are
    /// allocated whole anyway).
    pub fn reserve(&mut self, extra: usize) {
        self.chunks.reserve(extra.div_ceil(CHUNK));
    }

    /// Connection `k`.
    pub fn get(&self, k: usize) -> Option<&Connection> {
        self.chunks.get(k / CHUNK)?.get(k % CHUNK)
    }

    /// The connections in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Connection> + Clone + '_ {
        self.chunks.iter().flatten()
    }

    /// The connections in order, as the chunks that hold them: each is
    /// freed as soon as the caller drops it.
    pub fn into_chunks(self) -> impl Iterator<Item = Vec<Connection>> {
        self.chunks.into_iter()
    }
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl std::ops::Index<usize> for Connections {
    type Output = Connection;

    fn index(&self, k: usize) -> &Connection {
        &self.chunks[k / CHUNK][k % CHUNK]
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
    type Item = &'a Connection;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<Connection>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flatten()
    }
}

impl IntoIterator for Connections {
    type Item = Connection;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<Connection>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
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
    fn keeps_order_across_chunks() {
        let n = 2 * CHUNK + 5;
        let list: Connections = (0..n).map(conn).collect();
        assert_eq!(list.len(), n);
        assert_eq!(list.chunks.len(), 3);
        assert!(list.iter().enumerate().all(|(k, c)| c.weight == k as f64));
        assert_eq!(list[CHUNK + 1].weight, (CHUNK + 1) as f64);
        assert_eq!(list.get(n).map(|c| c.weight), None);
        let back: Vec<f64> = list.into_chunks().flatten().map(|c| c.weight).collect();
        assert_eq!(back.len(), n);
        assert!(back.iter().enumerate().all(|(k, &w)| w == k as f64));
    }
}
