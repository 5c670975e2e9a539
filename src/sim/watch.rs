//! WATCH statements as NEURON 9's fixed step runs them
//! (`WatchCondition`, `_nrn_watch_activate`, `NetCvode::check_thresh`):
//!
//! - a WATCH statement activates its condition for the instance: the first
//!   WATCH of a NET_RECEIVE call first deactivates every condition of the
//!   instance (and drops their undelivered events); an activated condition
//!   counts as already true when its value is >= -1e-11 (hoc_epsilon), so
//!   it fires only after it was false;
//! - at every threshold check (the start of a step, after the spike
//!   detectors), each active condition, in activation order, is evaluated:
//!   when its value is above 0 and it was not true, it becomes true and a
//!   self-event with the WATCH's flag is queued at t (delivered in the
//!   same step's event delivery, NET_RECEIVE running with t and no
//!   connection arguments); when the value is not above 0 it becomes false.

/// NEURON's `hoc_epsilon`: the activation tolerance.
const EPSILON: f64 = 1e-11;

/// An active WATCH condition.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WatchCond {
    /// Mechanism slot.
    pub mech: u32,
    /// Instance.
    pub instance: u32,
    /// Index into the mechanism's watches.
    pub watch: usize,
    /// The NET_RECEIVE flag of its events.
    pub flag: f64,
    /// True at the last check (or at activation).
    pub above: bool,
    /// Creation number of its undelivered event, if any.
    pub pending: Option<u64>,
}

impl WatchCond {
    /// The condition as activated with value `value`.
    pub fn activated(mech: u32, instance: u32, watch: usize, flag: f64, value: f64) -> WatchCond {
        WatchCond {
            mech,
            instance,
            watch,
            flag,
            above: value >= -EPSILON,
            pending: None,
        }
    }

    /// A check with value `value`: true when the condition fires now.
    pub fn check(&mut self, value: f64) -> bool {
        if value > 0.0 {
            if !self.above {
                self.above = true;
                return true;
            }
        } else {
            self.above = false;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_once_per_upward_crossing() {
        let mut w = WatchCond::activated(0, 0, 0, 2.0, -1.0);
        assert!(!w.check(-0.5));
        assert!(w.check(0.1));
        assert!(!w.check(0.2));
        assert!(!w.check(0.0));
        assert!(w.check(1e-300));
    }

    #[test]
    fn true_at_activation_waits_for_false() {
        let mut w = WatchCond::activated(0, 0, 0, 2.0, -5e-12);
        assert!(!w.check(1.0));
        assert!(!w.check(-1.0));
        assert!(w.check(1.0));
    }
}
