//! A long sequence whose values come in runs, kept one entry per run.
//!
//! A connect statement gives every connection it makes onto a cell the same
//! edge type and every synapse it places the same label, so the network's
//! per-connection and per-synapse tags repeat for thousands of entries:
//! kept as runs they cost a few bytes per statement and cell instead of
//! four per synapse.

/// A sequence of `T` stored as runs of equal values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Runs<T> {
    /// Index one past each run's last element, increasing.
    ends: Vec<usize>,
    /// Each run's value.
    values: Vec<T>,
}

impl<T> Default for Runs<T> {
    fn default() -> Self {
        Runs {
            ends: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<T: Copy + PartialEq> Runs<T> {
    /// Appends `value`.
    pub fn push(&mut self, value: T) {
        self.push_n(value, 1);
    }

    /// Appends `n` copies of `value`.
    pub fn push_n(&mut self, value: T, n: usize) {
        if n == 0 {
            return;
        }
        let len = self.len();
        match (self.values.last(), self.ends.last_mut()) {
            (Some(last), Some(end)) if *last == value => *end += n,
            _ => {
                self.ends.push(len + n);
                self.values.push(value);
            }
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Element `i`.
    pub fn get(&self, i: usize) -> Option<T> {
        let run = self.ends.partition_point(|&end| end <= i);
        self.values.get(run).copied()
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .zip(&self.values)
            .flat_map(|((start, &end), &value)| std::iter::repeat_n(value, end - start))
    }

    /// Moves `other`'s elements to the end of this sequence.
    pub fn append(&mut self, other: &mut Runs<T>) {
        let mut start = 0;
        for (&end, &value) in other.ends.iter().zip(&other.values) {
            self.push_n(value, end - start);
            start = end;
        }
        *other = Runs::default();
    }
}

#[cfg(test)]
mod tests {
    use super::Runs;

    #[test]
    fn runs_read_back_as_pushed() {
        let values = [3u32, 3, 3, 1, 1, 3, 7, 7, 7, 7];
        let mut runs = Runs::default();
        for &v in &values[..4] {
            runs.push(v);
        }
        let mut rest = Runs::default();
        for &v in &values[4..] {
            rest.push(v);
        }
        runs.append(&mut rest);
        assert!(rest.is_empty());
        assert_eq!(runs.len(), values.len());
        assert_eq!(runs.iter().collect::<Vec<_>>(), values);
        for (i, &v) in values.iter().enumerate() {
            assert_eq!(runs.get(i), Some(v), "element {i}");
        }
        assert_eq!(runs.get(values.len()), None);
        // 3 3 3 1 | 1 3 7 7 7 7: the runs joined across the append.
        assert_eq!(runs.values, [3, 1, 3, 7]);
    }
}
