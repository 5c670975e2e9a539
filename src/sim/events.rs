//! The event queue: a binary heap ordered by (time, creation stamp), so
//! delivery is deterministic and the same in any number of threads, plus the [`Engine`] kernels call back into
//! (`net_send` and friends).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};

use crate::back::Engine;
use crate::ir::Builtin;

/// No connection (a self-event sent from INITIAL).
pub(crate) const NO_CONN: u32 = u32::MAX;

/// What an event does when delivered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Target {
    /// Run NET_RECEIVE of connection `0`'s target with its arguments.
    NetCon(u32),
    /// Run NET_RECEIVE for every connection of fan-out list `0`, in order.
    Fanout(u32),
    /// A `net_send` self-event.
    SelfEvent {
        /// Mechanism slot.
        mech: u32,
        /// Instance.
        instance: u32,
        /// Flag.
        flag: f64,
        /// The connection whose arguments the event carries, or [`NO_CONN`].
        conn: u32,
    },
    /// Spike `index` of train `train`: send its connections' events.
    Train {
        /// Train index.
        train: u32,
        /// Spike index.
        index: u32,
    },
}

/// When an event was created, as an order that every partition of the
/// network into threads agrees on: step number, then phase (0: threshold
/// detection, 1: everything else), then for phase 0 the global detector
/// index and the event's index among that detector's events, for phase 1
/// a counter. Phase-1 events never cross threads (self-events, spike
/// trains, whose copies live in every thread that has targets), so their
/// counter only has to order the events of one thread. In one thread the
/// stamp order is creation order, which is NEURON's tie-break for events
/// of equal time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp {
    step: u64,
    phase: u8,
    source: u32,
    seq: u64,
}

#[derive(Clone, Copy, Debug)]
struct Item {
    t: f64,
    stamp: Stamp,
    target: Target,
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Item {}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Item {
    /// Reversed, so the max-heap pops the earliest (then first created).
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .t
            .total_cmp(&self.t)
            .then_with(|| other.stamp.cmp(&self.stamp))
    }
}

/// Pending events.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    heap: BinaryHeap<Item>,
    /// Step number now (0 during initialisation).
    step: u64,
    /// Phase-1 counter.
    seq: u64,
    /// Per (mechanism slot, instance): the undelivered self-event its
    /// last `net_send` queued, which `net_move` moves (NEURON keeps one
    /// such event per instance).
    movable: HashMap<(u32, u32), Movable>,
    /// Creation numbers of moved self-events, skipped when popped.
    cancelled: HashSet<u64>,
}

/// A self-event that `net_move` may move.
#[derive(Clone, Copy, Debug)]
struct Movable {
    seq: u64,
    target: Target,
}

impl Queue {
    /// Removes every event and restarts the step count.
    pub fn clear(&mut self) {
        self.heap.clear();
        self.seq = 0;
        self.step = 0;
        self.movable.clear();
        self.cancelled.clear();
    }

    /// Reserves room for `n` more events.
    pub fn reserve(&mut self, n: usize) {
        self.heap.reserve(n);
    }

    /// Starts step `step` (numbered from 1).
    pub fn start_step(&mut self, step: u64) {
        self.step = step;
    }

    /// The step number now.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// Schedules `target` at `t` (NaN times are dropped), created now
    /// outside threshold detection.
    pub fn push(&mut self, t: f64, target: Target) {
        self.seq += 1;
        let stamp = Stamp {
            step: self.step,
            phase: 1,
            source: 0,
            seq: self.seq,
        };
        self.push_stamped(t, stamp, target);
    }

    /// Schedules self-event `target` at `t` as the one `net_move` of its
    /// instance moves from now on.
    pub fn push_movable(&mut self, t: f64, target: Target) {
        self.push(t, target);
        if let Target::SelfEvent { mech, instance, .. } = target
            && !t.is_nan()
        {
            let m = Movable {
                seq: self.seq,
                target,
            };
            self.movable.insert((mech, instance), m);
        }
    }

    /// NEURON's `net_move`: the undelivered self-event of `instance` of
    /// mechanism slot `mech` is due at `t` instead (a new creation
    /// number). Nothing happens when there is none.
    pub fn move_self_event(&mut self, mech: u32, instance: u32, t: f64) {
        let Some(m) = self.movable.get(&(mech, instance)).copied() else {
            return;
        };
        self.cancelled.insert(m.seq);
        self.movable.remove(&(mech, instance));
        self.push_movable(t, m.target);
    }

    /// Schedules `target` at `t`: event `index` of a spike that global
    /// detector `detector` detected at the start of step `step`.
    pub fn push_spike(&mut self, t: f64, step: u64, detector: u32, index: u64, target: Target) {
        let stamp = Stamp {
            step,
            phase: 0,
            source: detector,
            seq: index,
        };
        self.push_stamped(t, stamp, target);
    }

    fn push_stamped(&mut self, t: f64, stamp: Stamp, target: Target) {
        if t.is_nan() {
            return;
        }
        self.heap.push(Item { t, stamp, target });
    }

    /// The earliest event if its time is at most `til` (moved self-events
    /// are skipped).
    pub fn pop_until(&mut self, til: f64) -> Option<(f64, Target)> {
        loop {
            let item = match self.heap.peek() {
                Some(item) if item.t <= til => self.heap.pop()?,
                _ => return None,
            };
            if let Target::SelfEvent { mech, instance, .. } = item.target
                && item.stamp.phase == 1
            {
                if self.cancelled.remove(&item.stamp.seq) {
                    continue;
                }
                if self
                    .movable
                    .get(&(mech, instance))
                    .is_some_and(|m| m.seq == item.stamp.seq)
                {
                    self.movable.remove(&(mech, instance));
                }
            }
            return Some((item.t, item.target));
        }
    }
}

/// What kernels of one mechanism call back into during one kernel call.
pub(crate) struct Callbacks<'a> {
    /// The queue self-events go to.
    pub queue: &'a mut Queue,
    /// The mechanism slot running.
    pub mech: u32,
    /// Time of the call (the event time in NET_RECEIVE).
    pub t: f64,
    /// The connection being delivered, or [`NO_CONN`].
    pub conn: u32,
    /// Random number state.
    pub rng: &'a mut u64,
    /// Where `net_event` of an artificial cell goes; None while the
    /// engine takes no spikes (INITIAL).
    pub spiking: Option<Spiking<'a>>,
}

/// What `net_event` of an artificial cell needs: the cell's detector
/// (its connections) and the list its spikes are recorded in.
pub(crate) struct Spiking<'a> {
    /// (mechanism slot, instance) of each artificial cell -> its detector.
    pub sources: &'a HashMap<(u32, u32), u32>,
    /// Every detector of the part.
    pub detectors: &'a [super::Detector],
    /// Delay of every connection.
    pub delays: &'a [f64],
    /// Spikes found so far: (gid, time).
    pub spikes: &'a mut Vec<(u64, f64)>,
}

impl Callbacks<'_> {
    fn uniform(&mut self) -> f64 {
        // xorshift64*: deterministic, never zero state.
        let mut x = *self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *self.rng = x;
        let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (r >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl Engine for Callbacks<'_> {
    fn net_send(&mut self, instance: usize, delay: f64, flag: f64) {
        self.queue.push_movable(
            self.t + delay,
            Target::SelfEvent {
                mech: self.mech,
                instance: instance as u32,
                flag,
                conn: self.conn,
            },
        );
    }

    /// An artificial cell fires at `t`: the spike is recorded under the
    /// cell's gid at exactly `t` and its events queued at `t` + delay, in
    /// creation order (NEURON's `PreSyn::send` from `net_event`).
    fn net_event(&mut self, instance: usize, t: f64) {
        let Some(sp) = &mut self.spiking else {
            return;
        };
        let Some(d) = sp
            .sources
            .get(&(self.mech, instance as u32))
            .and_then(|&k| sp.detectors.get(k as usize))
        else {
            return;
        };
        if let Some(gid) = d.gid {
            sp.spikes.push((gid, t));
        }
        super::step::send(self.queue, t, None, &d.groups, &d.targets, sp.delays);
    }

    fn net_move(&mut self, instance: usize, t: f64) {
        self.queue.move_self_event(self.mech, instance as u32, t);
    }

    fn watch_on(&mut self, _instance: usize, _watch: usize, _flag: f64) {}

    fn printf(&mut self, _instance: usize, _format: &str, _args: &[f64]) {}

    fn random(&mut self, _instance: usize, kind: Builtin, args: &[f64]) -> f64 {
        let u = self.uniform();
        match kind {
            Builtin::UniRand | Builtin::ScopRandom => u,
            Builtin::SetSeed => {
                // xorshift state must not be 0; mix the seed so small seeds differ widely.
                let seed = args.first().copied().unwrap_or(0.0).to_bits();
                *self.rng = (seed ^ 0x9E37_79B9_7F4A_7C15).max(1);
                0.0
            }
            Builtin::ExpRand => -args.first().copied().unwrap_or(1.0) * (1.0 - u).ln(),
            Builtin::NormRand => {
                let u2 = self.uniform();
                let z = (-2.0 * (1.0 - u).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                args.first().copied().unwrap_or(0.0) + args.get(1).copied().unwrap_or(1.0) * z
            }
        }
    }

    fn function_table(&mut self, _instance: usize, _table: usize, _args: &[f64]) -> f64 {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_event(instance: u32, flag: f64) -> Target {
        Target::SelfEvent {
            mech: 0,
            instance,
            flag,
            conn: NO_CONN,
        }
    }

    #[test]
    fn net_move_moves_the_last_self_event_only() {
        let mut q = Queue::default();
        q.push_movable(5.0, self_event(0, 1.0));
        q.push_movable(7.0, self_event(1, 1.0));
        q.move_self_event(0, 0, 2.0);
        q.move_self_event(0, 0, 3.0);
        assert_eq!(q.pop_until(10.0), Some((3.0, self_event(0, 1.0))));
        // The event at 5 and the one at 2 were moved away.
        assert_eq!(q.pop_until(10.0), Some((7.0, self_event(1, 1.0))));
        assert_eq!(q.pop_until(10.0), None);
        // Delivered: nothing left to move.
        q.move_self_event(0, 0, 4.0);
        assert_eq!(q.pop_until(10.0), None);
    }

    #[test]
    fn equal_times_deliver_in_creation_order() {
        let mut q = Queue::default();
        q.push_movable(1.0, self_event(0, 1.0));
        q.push(1.0, Target::NetCon(4));
        q.push_movable(1.0, self_event(1, 2.0));
        assert_eq!(q.pop_until(1.0), Some((1.0, self_event(0, 1.0))));
        assert_eq!(q.pop_until(1.0), Some((1.0, Target::NetCon(4))));
        assert_eq!(q.pop_until(1.0), Some((1.0, self_event(1, 2.0))));
    }
}
