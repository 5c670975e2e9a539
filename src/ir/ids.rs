//! Typed indices into a [`Mechanism`](super::Mechanism)'s tables.
//!
//! Each table (fields, globals, functions, ions, a body's locals) has its
//! own index type, so a field index cannot be used as a global's by
//! mistake. They print as their bare number, as the IR's text form and
//! golden files expect.

use std::fmt;

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident, $elem:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(usize);

        impl $name {
            /// The id of the table entry at `index`.
            pub const fn new(index: usize) -> Self {
                Self(index)
            }

            /// The position in the table.
            pub const fn index(self) -> usize {
                self.0
            }

            /// Ids `0..count`, in order.
            pub fn all(count: usize) -> impl DoubleEndedIterator<Item = Self> + ExactSizeIterator {
                (0..count).map(Self)
            }
        }

        impl Id for $name {
            fn at(index: usize) -> Self {
                Self(index)
            }
            fn position(self) -> usize {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::ops::Index<$name> for [$elem] {
            type Output = $elem;
            fn index(&self, id: $name) -> &$elem {
                &self[id.0]
            }
        }

        impl std::ops::IndexMut<$name> for [$elem] {
            fn index_mut(&mut self, id: $name) -> &mut $elem {
                &mut self[id.0]
            }
        }

        impl std::ops::Index<$name> for Vec<$elem> {
            type Output = $elem;
            fn index(&self, id: $name) -> &$elem {
                &self[id.0]
            }
        }

        impl std::ops::IndexMut<$name> for Vec<$elem> {
            fn index_mut(&mut self, id: $name) -> &mut $elem {
                &mut self[id.0]
            }
        }
    };
}

index_type!(
    /// Index of a [`Field`](super::Field) in `Mechanism::fields`.
    FieldId,
    super::Field
);
index_type!(
    /// Index of a [`Global`](super::Global) in `Mechanism::globals`.
    GlobalId,
    super::Global
);
index_type!(
    /// Index of a [`Function`](super::Function) in `Mechanism::functions`.
    FuncId,
    super::Function
);
index_type!(
    /// Index of an [`IonUse`](super::IonUse) in `Mechanism::ions`.
    IonId,
    super::IonUse
);
index_type!(
    /// Index of a local variable in its kernel's or function's `locals`
    /// (their names).
    LocalId,
    String
);

impl LocalId {
    /// This local renumbered `base` places on (inlined bodies' locals
    /// follow their caller's).
    pub const fn shifted(self, base: usize) -> Self {
        Self(self.0 + base)
    }
}

/// A vector indexed by one id type: `IdVec<FieldId, usize>` maps each
/// field to a number and cannot be indexed by a global's id.
#[derive(Clone, PartialEq, Eq)]
pub struct IdVec<I, T> {
    items: Vec<T>,
    id: std::marker::PhantomData<fn(I)>,
}

/// Id types that index an [`IdVec`].
pub trait Id: Copy {
    /// The id at `index`.
    fn at(index: usize) -> Self;
    /// Its position.
    fn position(self) -> usize;
}

impl<I: Id, T> IdVec<I, T> {
    /// An empty vector with room for `n` items.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            items: Vec::with_capacity(n),
            id: std::marker::PhantomData,
        }
    }

    /// Appends `item`, returning its id.
    pub fn push(&mut self, item: T) -> I {
        self.items.push(item);
        I::at(self.items.len() - 1)
    }

    /// The item of `id`, if there is one.
    pub fn get(&self, id: I) -> Option<&T> {
        self.items.get(id.position())
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items with their ids, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (I, &T)> + ExactSizeIterator {
        self.items.iter().enumerate().map(|(i, t)| (I::at(i), t))
    }

    /// The items in order, as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }
}

impl<I, T> From<Vec<T>> for IdVec<I, T> {
    fn from(items: Vec<T>) -> Self {
        Self {
            items,
            id: std::marker::PhantomData,
        }
    }
}

impl<I, T: fmt::Debug> fmt::Debug for IdVec<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.items, f)
    }
}

impl<I: Id, T> std::ops::Index<I> for IdVec<I, T> {
    type Output = T;
    fn index(&self, id: I) -> &T {
        &self.items[id.position()]
    }
}

impl<I: Id, T> std::ops::IndexMut<I> for IdVec<I, T> {
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.items[id.position()]
    }
}
