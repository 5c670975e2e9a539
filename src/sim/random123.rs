//! NEURON 9's random streams (`RANDOM` variables of NMODL): the
//! Philox4x32-10 counter-based generator of Random123 (Salmon et al.,
//! SC11 2011) with NEURON's conventions, so a stream with the same ids
//! gives NEURON's numbers bit for bit.
//!
//! NEURON's conventions (`nrnran123`):
//! - the counter is (sequence, id3, id1, id2), the key (global index, 0);
//!   the global index is shared by every stream (0 unless set);
//! - a stream yields the four 32-bit words of one Philox block in order
//!   (`which` = 0..3), then increments the counter (the sequence word,
//!   carrying into the next words) and computes the next block;
//! - a stream made without ids has ids (1, 0, n), n counting the streams
//!   made so far in the process from 1 (NEURON's `nrnran123_newstream()`,
//!   called once per instance of a mechanism with RANDOM, at creation);
//! - a double in (0, 1) is `(u + 1) / (2^32 + 1)`, computed as
//!   `(u + 1.0) * (1.0 / 4294967297.0)`;
//! - `negexp(mean)` is `-log(x) * mean`; `normal` is Marsaglia's polar
//!   method on two such doubles mapped to (-1, 1), returning one value.

/// Philox4x32 multipliers and Weyl key increments.
const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Philox4x32 with 10 rounds of `ctr` under `key`.
pub(crate) fn philox4x32(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut x = ctr;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let p0 = u64::from(M0) * u64::from(x[0]);
        let p1 = u64::from(M1) * u64::from(x[2]);
        x = [
            (p1 >> 32) as u32 ^ x[1] ^ k[0],
            p1 as u32,
            (p0 >> 32) as u32 ^ x[3] ^ k[1],
            p0 as u32,
        ];
    }
    x
}

/// One random stream (NEURON's `nrnran123_State`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Stream {
    /// (sequence, id3, id1, id2).
    ctr: [u32; 4],
    /// The block of the current counter.
    block: [u32; 4],
    /// The next word of `block` to hand out.
    which: u8,
}

impl Stream {
    /// The stream with ids (id1, id2, id3) at sequence 0, word 0, under
    /// global index `global`.
    pub fn new(id1: u32, id2: u32, id3: u32, global: u32) -> Stream {
        let mut s = Stream {
            ctr: [0, id3, id1, id2],
            block: [0; 4],
            which: 0,
        };
        s.set_seq(0, 0, global);
        s
    }

    /// `random_setids`: new ids; the sequence and word stay, the block is
    /// not recomputed (as NEURON's `nrnran123_setids`).
    pub fn set_ids(&mut self, id1: u32, id2: u32, id3: u32) {
        self.ctr[1] = id3;
        self.ctr[2] = id1;
        self.ctr[3] = id2;
    }

    /// The ids (id1, id2, id3).
    pub fn ids(&self) -> [u32; 3] {
        [self.ctr[2], self.ctr[3], self.ctr[1]]
    }

    /// Sequence `seq`, next word `which` (0 when above 3).
    pub fn set_seq(&mut self, seq: u32, which: u8, global: u32) {
        self.which = if which > 3 { 0 } else { which };
        self.ctr[0] = seq;
        self.block = philox4x32(self.ctr, [global, 0]);
    }

    /// `random_setseq(r, x)`: x encodes sequence * 4 + word (as a double;
    /// negative or above 2^40 - 1 means 0; bits above 34 are dropped).
    pub fn set_seq4which(&mut self, x: f64, global: u32) {
        let x = if x < 0.0 || x > 0xff_ffff_ffff_u64 as f64 || x.is_nan() {
            0.0
        } else {
            x
        };
        let bits = (x as u64) & 0x3_ffff_ffff;
        self.set_seq((bits >> 2) as u32, (bits & 3) as u8, global);
    }

    /// The next 32-bit word.
    pub fn ipick(&mut self, global: u32) -> u32 {
        let w = self.block[self.which as usize & 3];
        self.which += 1;
        if self.which > 3 {
            self.which = 0;
            self.increment();
            self.block = philox4x32(self.ctr, [global, 0]);
        }
        w
    }

    /// The 128-bit counter plus one.
    fn increment(&mut self) {
        for w in &mut self.ctr {
            *w = w.wrapping_add(1);
            if *w != 0 {
                break;
            }
        }
    }

    /// A double in (0, 1): never 0 or 1.
    pub fn dblpick(&mut self, global: u32) -> f64 {
        const SHIFT32: f64 = 1.0 / 4_294_967_297.0;
        (f64::from(self.ipick(global)) + 1.0) * SHIFT32
    }

    /// Exponentially distributed with mean 1.
    pub fn negexp(&mut self, global: u32) -> f64 {
        -self.dblpick(global).ln()
    }

    /// Standard normal (Marsaglia's polar method, one value per call).
    pub fn normal(&mut self, global: u32) -> f64 {
        loop {
            let u1 = 2.0 * self.dblpick(global) - 1.0;
            let u2 = 2.0 * self.dblpick(global) - 1.0;
            let w = u1 * u1 + u2 * u2;
            if w <= 1.0 {
                let y = ((-2.0 * w.ln()) / w).sqrt();
                return u1 * y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123's published known-answer vectors for Philox4x32-10.
    #[test]
    fn philox_known_answers() {
        assert_eq!(
            philox4x32([0; 4], [0; 2]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    /// NEURON 9.0.2: `ns = h.NetStim(); ns.ranvar.set_ids(7, 8, 9);
    /// ns.ranvar.set_seq(0)`, then six `ns.ranvar.uniform()` (printed
    /// with repr).
    #[test]
    fn uniform_equals_neuron() {
        let mut s = Stream::new(7, 8, 9, 0);
        let got: Vec<f64> = (0..6).map(|_| s.dblpick(0)).collect();
        let want = [
            0.01631282921500671,
            0.267980444415477,
            0.0509723452732497,
            0.44645909861511107,
            0.3331551441612758,
            0.07735289026113393,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn words_then_next_block() {
        let mut s = Stream::new(0, 0, 0, 0);
        let first = philox4x32([0; 4], [0; 2]);
        for w in first {
            assert_eq!(s.ipick(0), w);
        }
        assert_eq!(s.ipick(0), philox4x32([1, 0, 0, 0], [0; 2])[0]);
    }

    #[test]
    fn seq4which_encodes_sequence_and_word() {
        let mut s = Stream::new(1, 2, 3, 0);
        s.set_seq4which(4.0 * 7.0 + 2.0, 0);
        let block = philox4x32([7, 3, 1, 2], [0; 2]);
        assert_eq!(s.ipick(0), block[2]);
        assert_eq!(s.ipick(0), block[3]);
        assert_eq!(s.ipick(0), philox4x32([8, 3, 1, 2], [0; 2])[0]);
    }
}
