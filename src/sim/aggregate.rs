//! Linear synapse aggregation at run time: after INITIAL, the instances of
//! a mechanism that [`super::linear::analyse`] admits are grouped by node
//! and by the values of the fields their state and current kernels read
//! ([`Linearity::keys`]). Each group gets one row in a second, smaller
//! [`MechanismData`] (the leaders), which holds the sum of the group's
//! states; the state and current kernels run over the leaders only.
//! NET_RECEIVE still runs on the instance's own row of the full data (its
//! per-instance event state, e.g. `u`, `R`, `tsyn`, stays there), whose
//! states are zero between events; right after each event the increment
//! it added is moved into the leader ([`Merged::settle`]). A NET_RECEIVE
//! that only adds to states what fields equal within the group give
//! (Exp2Syn's `A = A + weight*factor`) runs on the leader's row directly
//! ([`Merged::direct`]): the same sums, one row touched.
//!
//! Exact in real arithmetic (superposition), not bit for bit: the sum of
//! states is rounded differently from the sum of currents.

use std::collections::{BTreeSet, HashMap};

use super::linear::Linearity;
use crate::back::MechanismData;
use crate::back::Prepared;
use crate::ir::{FieldId, Mechanism};

/// The leaders of one aggregated mechanism.
pub(crate) struct Merged {
    /// One row per group: the group's summed states, the other fields
    /// copied from its first instance.
    pub data: MechanismData,
    /// The argument block of `data` (see `instances::prepare`).
    pub prepared: Option<Prepared>,
    /// Instance (row of the full data) → leader row.
    pub leader_of: Vec<u32>,
    /// Column slots of the states.
    pub states: Vec<usize>,
    /// Per column slot: true when the leader's row holds the live value
    /// (states and the fields the state and current kernels write).
    pub owned: Vec<bool>,
    /// NET_RECEIVE runs on the leader's row (it qualifies, see
    /// `linear::on_leader`, and what else it reads is equal within every
    /// group): no per-instance row to touch and settle.
    pub direct: bool,
}

impl Merged {
    /// Moves instance `row`'s states (an event's increment) into its
    /// leader and zeroes them.
    #[inline]
    pub fn settle(&mut self, full: &mut MechanismData, row: usize) {
        let Some(&leader) = self.leader_of.get(row) else {
            return;
        };
        for &s in &self.states {
            let x = match full.column_mut(s).and_then(|c| c.get_mut(row)) {
                Some(x) => std::mem::replace(x, 0.0),
                None => continue,
            };
            if let Some(y) = self
                .data
                .column_mut(s)
                .and_then(|c| c.get_mut(leader as usize))
            {
                *y += x;
            }
        }
    }

    /// Number of leaders.
    pub fn leaders(&self) -> usize {
        self.data.count()
    }
}

/// Groups the instances of `full` (a mechanism `lin` describes); `pinned`
/// instances (recorded ones) stay alone. Returns None when no two
/// instances share a group. Moves every instance's states into its leader.
pub(crate) fn build(
    mech: &Mechanism,
    full: &mut MechanismData,
    lin: &Linearity,
    pinned: &BTreeSet<u32>,
) -> Option<Merged> {
    let layout = full.layout().clone();
    let slot = |f: FieldId| layout.field_slot.get(f).copied();
    let key_slots: Vec<usize> = lin.keys.iter().filter_map(|&f| slot(f)).collect();
    let states: Vec<usize> = lin.states.iter().filter_map(|&f| slot(f)).collect();
    let n = full.count();
    let mut groups: HashMap<(u32, Vec<u64>), u32> = HashMap::new();
    let mut leader_of = Vec::with_capacity(n);
    let mut first = Vec::new();
    for row in 0..n {
        let node = full.node_of(row).unwrap_or(0) as u32;
        let next = first.len() as u32;
        let leader = if pinned.contains(&(row as u32)) {
            next
        } else {
            let key: Vec<u64> = key_slots
                .iter()
                .map(|&s| full.value(s, row).unwrap_or(f64::NAN).to_bits())
                .collect();
            *groups.entry((node, key)).or_insert(next)
        };
        if leader == next {
            first.push(row);
        }
        leader_of.push(leader);
    }
    let count = first.len();
    if count == n {
        return None;
    }
    let mut data = MechanismData::new(mech, count);
    let nodes: Vec<u32> = first
        .iter()
        .map(|&r| full.node_of(r).unwrap_or(0) as u32)
        .collect();
    data.set_node_index(&nodes);
    for s in 0..layout.columns {
        let (Some(src), Some(dst)) = (full.column(s), data.column_mut(s)) else {
            continue;
        };
        for (d, &r) in dst.iter_mut().zip(&first) {
            *d = src.get(r).copied().unwrap_or(0.0);
        }
    }
    data.globals_mut().copy_from_slice(full.globals());
    for a in 0..mech.global_arrays.len() {
        if let (Some(src), Some(dst)) = (full.global_array(a), data.global_array_mut(a))
            && src.len() == dst.len()
        {
            dst.copy_from_slice(src);
        }
    }
    for &s in &states {
        let (Some(src), Some(dst)) = (full.column_mut(s), data.column_mut(s)) else {
            continue;
        };
        dst.fill(0.0);
        for (x, &l) in src.iter_mut().zip(&leader_of) {
            if let Some(y) = dst.get_mut(l as usize) {
                *y += std::mem::replace(x, 0.0);
            }
        }
    }
    let direct = lin.event_reads.as_ref().is_some_and(|reads| {
        reads.iter().filter_map(|&f| slot(f)).all(|s| {
            (0..n).all(|row| {
                let first_row = leader_of
                    .get(row)
                    .and_then(|&l| first.get(l as usize))
                    .copied()
                    .unwrap_or(row);
                full.value(s, row).map(f64::to_bits) == full.value(s, first_row).map(f64::to_bits)
            })
        })
    });
    let mut owned = vec![false; layout.columns];
    for &f in lin.kernel_written.iter().chain(&lin.states) {
        if let Some(o) = slot(f).and_then(|s| owned.get_mut(s)) {
            *o = true;
        }
    }
    Some(Merged {
        data,
        prepared: None,
        leader_of,
        states,
        owned,
        direct,
    })
}
