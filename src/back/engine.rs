//! What a kernel asks of the simulation engine: events, WATCH activation,
//! printing, random numbers and FUNCTION_TABLE values. Both back ends call
//! the same [`Engine`] methods in the same order with the same values.

use crate::ir::Builtin;

/// Services the engine gives kernels. `instance` is always the index of
/// the instance whose statement made the call.
pub trait Engine {
    /// `net_send(delay, flag)`: a self-event to `instance` at t + `delay`.
    fn net_send(&mut self, instance: usize, delay: f64, flag: f64);
    /// `net_event(t)`: `instance` fires at `t`.
    fn net_event(&mut self, instance: usize, t: f64);
    /// `net_move(t)`: move `instance`'s pending self-event to `t`.
    fn net_move(&mut self, instance: usize, t: f64);
    /// `WATCH`: activate watch `watch` (index into `Mechanism::watches`).
    fn watch_on(&mut self, instance: usize, watch: usize, flag: f64);
    /// `printf(format, args...)`.
    fn printf(&mut self, instance: usize, format: &str, args: &[f64]);
    /// A random number (`normrand(mean, sd)`, `exprand(mean)`, `unirand()`,
    /// `scop_random()`), or `set_seed(seed)` restarting the stream (value
    /// 0); `args` are the call's arguments.
    fn random(&mut self, instance: usize, kind: Builtin, args: &[f64]) -> f64;
    /// The value of FUNCTION_TABLE `table` at `args`.
    fn function_table(&mut self, instance: usize, table: usize, args: &[f64]) -> f64;
}

/// One call a kernel made to the engine, as [`RecordingEngine`] keeps it.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineCall {
    /// `net_send(delay, flag)` by an instance.
    NetSend(usize, f64, f64),
    /// `net_event(t)` by an instance.
    NetEvent(usize, f64),
    /// `net_move(t)` by an instance.
    NetMove(usize, f64),
    /// WATCH activation `(instance, watch, flag)`.
    WatchOn(usize, usize, f64),
    /// `printf` with its format and arguments.
    Printf(usize, String, Vec<f64>),
    /// A random number request and the value returned.
    Random(usize, Builtin, Vec<f64>, f64),
    /// A FUNCTION_TABLE lookup and the value returned.
    FunctionTable(usize, usize, Vec<f64>, f64),
}

/// An engine for tests: records every call and answers random numbers and
/// table lookups from a deterministic sequence.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordingEngine {
    /// The calls, in order.
    pub calls: Vec<EngineCall>,
    counter: u64,
}

impl RecordingEngine {
    /// An engine with no calls recorded.
    pub fn new() -> Self {
        Self::default()
    }

    fn next_value(&mut self) -> f64 {
        // A fixed low-discrepancy sequence in [0, 1): deterministic for tests.
        self.counter += 1;
        (self.counter as f64 * 0.618_033_988_749_894_9).fract()
    }
}

impl Engine for RecordingEngine {
    fn net_send(&mut self, instance: usize, delay: f64, flag: f64) {
        self.calls.push(EngineCall::NetSend(instance, delay, flag));
    }

    fn net_event(&mut self, instance: usize, t: f64) {
        self.calls.push(EngineCall::NetEvent(instance, t));
    }

    fn net_move(&mut self, instance: usize, t: f64) {
        self.calls.push(EngineCall::NetMove(instance, t));
    }

    fn watch_on(&mut self, instance: usize, watch: usize, flag: f64) {
        self.calls.push(EngineCall::WatchOn(instance, watch, flag));
    }

    fn printf(&mut self, instance: usize, format: &str, args: &[f64]) {
        self.calls.push(EngineCall::Printf(
            instance,
            format.to_string(),
            args.to_vec(),
        ));
    }

    fn random(&mut self, instance: usize, kind: Builtin, args: &[f64]) -> f64 {
        let value = self.next_value();
        self.calls
            .push(EngineCall::Random(instance, kind, args.to_vec(), value));
        value
    }

    fn function_table(&mut self, instance: usize, table: usize, args: &[f64]) -> f64 {
        let value = self.next_value() + args.iter().sum::<f64>();
        self.calls.push(EngineCall::FunctionTable(
            instance,
            table,
            args.to_vec(),
            value,
        ));
        value
    }
}
