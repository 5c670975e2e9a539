//! Chunked, shuffled and deflate-compressed datasets written with the
//! filters run here, on every core, instead of inside HDF5: HDF5 runs its
//! filters one chunk at a time under its global lock, and a network of
//! 10^7 edges spends most of `nmc build` in them.
//!
//! Each chunk is laid out as HDF5 lays it out (row-major within the chunk,
//! the part past the dataset's edge filled with zeros, the fill value),
//! shuffled as HDF5's shuffle filter shuffles it (byte `b` of element `i`
//! goes to `b * n + i`: the bytes of one significance together, so the
//! zero high bytes of ids and the slowly changing middle ones of sorted
//! ids become long runs), compressed with the zlib HDF5 itself links and
//! with the call HDF5's deflate filter makes (`compress2`'s stream: window
//! 15 bits, memory level 8, default strategy, the whole chunk at once),
//! then handed to HDF5's direct chunk write (`H5Dwrite_chunk`) in chunk
//! order. The file holds the bytes HDF5's own filters would have written,
//! so h5py, BMTK and any HDF5 (shuffle and deflate are built into every
//! version) read it as a file h5py wrote with `shuffle=True,
//! compression='gzip'` at the same level.

use hdf5_metno as hdf5;
use hdf5_metno_sys::h5d::H5Dwrite_chunk;
use hdf5_metno_sys::h5p::H5P_DEFAULT;
use std::collections::BTreeMap;
use std::os::raw::{c_int, c_uint};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Numbers whose bytes in memory are their bytes in the file (the native
/// little-endian integer and floating-point types the datasets are created
/// with), so chunks of them can be compressed outside HDF5.
pub trait Plain: hdf5::H5Type + Copy + Default + Send + Sync {}

impl Plain for u8 {}
impl Plain for u16 {}
impl Plain for u32 {}
impl Plain for u64 {}
impl Plain for i8 {}
impl Plain for i16 {}
impl Plain for i32 {}
impl Plain for i64 {}
impl Plain for f32 {}
impl Plain for f64 {}

/// The values of a 1-D or 2-D dataset, row-major: `rows` x `cols`, and the
/// chunk shape `chunk_rows` x `chunk_cols` (`cols` = `chunk_cols` = 1 for
/// a 1-D dataset, whose chunk offsets then have one coordinate).
pub struct Layout {
    pub rows: usize,
    pub cols: usize,
    pub chunk_rows: usize,
    pub chunk_cols: usize,
    pub two_d: bool,
}

impl Layout {
    fn grid(&self) -> (usize, usize) {
        (
            self.rows.div_ceil(self.chunk_rows),
            self.cols.div_ceil(self.chunk_cols),
        )
    }

    /// Copies chunk `k` (row-major over the chunk grid) into `out`, which
    /// holds a whole chunk; values past the dataset's edge are zeros.
    fn fill<T: Plain>(&self, data: &[T], k: usize, out: &mut [T]) {
        let (_, nc) = self.grid();
        let (r0, c0) = ((k / nc) * self.chunk_rows, (k % nc) * self.chunk_cols);
        let rows = self.chunk_rows.min(self.rows - r0);
        let cols = self.chunk_cols.min(self.cols - c0);
        if rows < self.chunk_rows || cols < self.chunk_cols {
            out.fill(T::default());
        }
        for r in 0..rows {
            let from = (r0 + r) * self.cols + c0;
            let to = r * self.chunk_cols;
            out[to..to + cols].copy_from_slice(&data[from..from + cols]);
        }
    }

    /// The file coordinates of chunk `k`'s first element.
    fn offset(&self, k: usize) -> Vec<u64> {
        let (_, nc) = self.grid();
        let r0 = ((k / nc) * self.chunk_rows) as u64;
        if self.two_d {
            vec![r0, ((k % nc) * self.chunk_cols) as u64]
        } else {
            vec![r0]
        }
    }
}

/// A zlib deflate stream set up as `compress2` sets up its own, kept for
/// many chunks (reset between them) so its 256 KiB of tables are allocated
/// once per thread rather than once per chunk.
struct Deflater {
    stream: Box<libz_sys::z_stream>,
}

fn z_error(what: &str, code: c_int) -> hdf5::Error {
    hdf5::Error::from(format!("zlib {what} failed with code {code}"))
}

impl Deflater {
    fn new(level: u8) -> hdf5::Result<Self> {
        let mut stream = crate::sonata::zlib::fresh_stream();
        // SAFETY: `stream` is initialised as zlib asks (allocator set, no
        // state); the version and size are those of the linked library's
        // header, which libz-sys mirrors.
        let rc = unsafe {
            libz_sys::deflateInit2_(
                &mut *stream,
                c_int::from(level),
                libz_sys::Z_DEFLATED,
                15,
                8,
                libz_sys::Z_DEFAULT_STRATEGY,
                libz_sys::zlibVersion(),
                std::mem::size_of::<libz_sys::z_stream>() as c_int,
            )
        };
        if rc != libz_sys::Z_OK {
            return Err(z_error("deflateInit2", rc));
        }
        Ok(Self { stream })
    }

    /// The deflate stream of `input`, as `compress2` would write it.
    fn compress(&mut self, input: &[u8]) -> hdf5::Result<Vec<u8>> {
        let s = &mut *self.stream;
        // SAFETY: the stream was initialised by `new`.
        let rc = unsafe { libz_sys::deflateReset(s) };
        if rc != libz_sys::Z_OK {
            return Err(z_error("deflateReset", rc));
        }
        let n = c_uint::try_from(input.len()).map_err(|_| z_error("chunk size", 0))?;
        // SAFETY: bound of a stream in its initial state.
        let bound = unsafe { libz_sys::deflateBound(s, input.len() as libz_sys::uLong) } as usize;
        let mut out = vec![0u8; bound];
        s.next_in = input.as_ptr().cast_mut();
        s.avail_in = n;
        s.next_out = out.as_mut_ptr();
        s.avail_out = c_uint::try_from(bound).map_err(|_| z_error("chunk size", 0))?;
        // SAFETY: the input and output buffers outlive the call and their
        // lengths are those given; zlib does not write through `next_in`.
        let rc = unsafe { libz_sys::deflate(s, libz_sys::Z_FINISH) };
        let written = s.total_out as usize;
        s.next_in = std::ptr::null_mut();
        s.next_out = std::ptr::null_mut();
        if rc != libz_sys::Z_STREAM_END {
            return Err(z_error("deflate", rc));
        }
        out.truncate(written);
        Ok(out)
    }
}

impl Drop for Deflater {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised by `new` and is ended once.
        unsafe {
            libz_sys::deflateEnd(&mut *self.stream);
        }
    }
}

// SAFETY: the stream's raw pointers are its own tables (or null between
// calls); it moves between threads whole, never shared.
unsafe impl Send for Deflater {}

/// Writes `bytes`, `size`-byte elements, into `out` as HDF5's shuffle
/// filter does: byte `b` of element `i` at `b * n + i` (`n` elements).
/// One element, or one-byte elements, are left as they are (as HDF5
/// leaves them).
pub(crate) fn shuffle(bytes: &[u8], size: usize, out: &mut [u8]) {
    let n = bytes.len() / size.max(1);
    if size <= 1 || n <= 1 {
        out.copy_from_slice(bytes);
        return;
    }
    for (b, plane) in out.chunks_exact_mut(n).enumerate().take(size) {
        for (o, e) in plane.iter_mut().zip(bytes.chunks_exact(size)) {
            *o = e[b];
        }
    }
}

/// The bytes of `values` as they sit in memory.
fn bytes<T: Plain>(values: &[T]) -> &[u8] {
    // SAFETY: `Plain` types are integers and floats without padding; any
    // bit pattern of theirs is a valid byte sequence.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), std::mem::size_of_val(values)) }
}

fn write_chunk(ds: &hdf5::Dataset, offset: &[u64], bytes: &[u8]) -> hdf5::Result<()> {
    hdf5::sync::sync(|| {
        // SAFETY: `ds` is an open dataset of `offset.len()` dimensions and
        // `bytes` a whole compressed chunk; HDF5 copies it before returning.
        let rc = unsafe {
            H5Dwrite_chunk(
                ds.id(),
                H5P_DEFAULT,
                0,
                offset.as_ptr(),
                bytes.len(),
                bytes.as_ptr().cast(),
            )
        };
        if rc < 0 {
            Err(hdf5::Error::from(format!(
                "cannot write a chunk of `{}`",
                ds.name()
            )))
        } else {
            Ok(())
        }
    })
}

/// Shuffles and compresses the chunks of `data` (laid out as `layout`
/// says) with deflate at `level` and writes them into `ds`, which was
/// created with that chunk shape and the filters shuffle, then deflate. Chunks are compressed on up to
/// `available_parallelism` threads and written in order.
pub fn write_compressed<T: Plain>(
    ds: &hdf5::Dataset,
    data: &[T],
    layout: &Layout,
    level: u8,
) -> hdf5::Result<()> {
    write_chunks(ds, layout, level, &|k, buf: &mut [T]| {
        layout.fill(data, k, buf)
    })
}

/// Like [`write_compressed`] for a 1-D dataset of `rows` values in chunks
/// of `chunk_rows` whose values are made chunk by chunk, never held
/// whole: `values(range, out)` fills `out` with the values of rows
/// `range` (the part of a last chunk past the end is zeros).
pub fn write_generated<T: Plain>(
    ds: &hdf5::Dataset,
    rows: usize,
    chunk_rows: usize,
    level: u8,
    values: &(dyn Fn(std::ops::Range<usize>, &mut [T]) + Sync),
) -> hdf5::Result<()> {
    let layout = Layout {
        rows,
        cols: 1,
        chunk_rows,
        chunk_cols: 1,
        two_d: false,
    };
    write_chunks(ds, &layout, level, &|k, buf: &mut [T]| {
        let r0 = k * chunk_rows;
        let n = chunk_rows.min(rows - r0);
        values(r0..r0 + n, &mut buf[..n]);
        buf[n..].fill(T::default());
    })
}

/// Compresses the chunks `fill(k, buf)` lays out (chunk `k` in chunk
/// order, a whole chunk) and writes them into `ds` in order.
fn write_chunks<T: Plain>(
    ds: &hdf5::Dataset,
    layout: &Layout,
    level: u8,
    fill: &(dyn Fn(usize, &mut [T]) + Sync),
) -> hdf5::Result<()> {
    let (nr, nc) = layout.grid();
    let n_chunks = nr * nc;
    let chunk_len = layout.chunk_rows * layout.chunk_cols;
    let size = std::mem::size_of::<T>();
    let compress_one = |z: &mut Deflater, buf: &mut [T], shuffled: &mut [u8], k: usize| {
        fill(k, buf);
        shuffle(bytes(buf), size, shuffled);
        z.compress(shuffled)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(n_chunks);
    if threads <= 1 {
        let mut z = Deflater::new(level)?;
        let mut buf = vec![T::default(); chunk_len];
        let mut shuffled = vec![0u8; chunk_len * size];
        for k in 0..n_chunks {
            let out = compress_one(&mut z, &mut buf, &mut shuffled, k)?;
            write_chunk(ds, &layout.offset(k), &out)?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<hdf5::Result<(usize, Vec<u8>)>>(4 * threads);
        for _ in 0..threads {
            let tx = tx.clone();
            let next = &next;
            s.spawn(move || {
                let mut z = match Deflater::new(level) {
                    Ok(z) => z,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let mut buf = vec![T::default(); chunk_len];
                let mut shuffled = vec![0u8; chunk_len * size];
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= n_chunks {
                        return;
                    }
                    let done = compress_one(&mut z, &mut buf, &mut shuffled, k).map(|out| (k, out));
                    let failed = done.is_err();
                    if tx.send(done).is_err() || failed {
                        return;
                    }
                }
            });
        }
        drop(tx);
        // Chunks arrive in any order; they are written in order, so the
        // file's layout does not depend on the threads' timing.
        let mut waiting: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
        let mut want = 0;
        let result = (|| {
            for done in &rx {
                let (k, out) = done?;
                waiting.insert(k, out);
                while let Some(out) = waiting.remove(&want) {
                    write_chunk(ds, &layout.offset(want), &out)?;
                    want += 1;
                }
            }
            if want == n_chunks {
                Ok(())
            } else {
                Err(hdf5::Error::from("a compression thread stopped early"))
            }
        })();
        // On an error the workers stop at their next send.
        next.store(n_chunks, Ordering::Relaxed);
        drop(rx);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_chunks_are_padded_with_zeros_and_laid_out_by_row() {
        // 5 x 3 values, chunks of 2 x 2: grid 3 x 2.
        let data: Vec<u32> = (1..=15).collect();
        let l = Layout {
            rows: 5,
            cols: 3,
            chunk_rows: 2,
            chunk_cols: 2,
            two_d: true,
        };
        let mut out = vec![99u32; 4];
        l.fill(&data, 0, &mut out);
        assert_eq!(out, [1, 2, 4, 5]);
        l.fill(&data, 1, &mut out);
        assert_eq!(out, [3, 0, 6, 0]);
        l.fill(&data, 5, &mut out);
        assert_eq!(out, [15, 0, 0, 0]);
        assert_eq!(l.offset(5), vec![4, 2]);
    }

    #[test]
    fn chunks_are_the_bytes_hdf5s_own_shuffle_and_deflate_write() {
        let dir = std::env::temp_dir().join(format!("nmc_chunks_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let f = hdf5::File::create(dir.join("c.h5")).expect("create");
        // Sorted ids, as a target column holds them, and a last chunk
        // past the end.
        let data: Vec<u64> = (0..50_001u64).map(|i| i / 7 + (i % 3) * 1000).collect();
        let ours = crate::sonata::write::h5::dataset(&f, "ours", &data).expect("ours");
        let chunk = ours.chunk().expect("chunked");
        let theirs = f
            .new_dataset_builder()
            .chunk(chunk.clone())
            .set_filters(&ours.filters())
            .with_data(&data)
            .create("theirs")
            .expect("theirs");
        assert_eq!(ours.filters(), theirs.filters());
        let n = data.len().div_ceil(chunk[0]);
        let raw = |ds: &hdf5::Dataset| {
            crate::sonata::chunked::raw_chunks(ds, n, chunk[0], chunk[0] * 8).expect("chunks")
        };
        assert!(n > 2);
        assert_eq!(raw(&ours), raw(&theirs));
        assert_eq!(ours.read_raw::<u64>().expect("read"), data);
        drop(f);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn shuffle_puts_bytes_of_one_significance_together() {
        let v: Vec<u8> = [0x0102u16, 0x0304, 0x0506]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let mut out = vec![0u8; 6];
        shuffle(&v, 2, &mut out);
        assert_eq!(out, [2, 4, 6, 1, 3, 5]);
    }

    #[test]
    fn a_reused_stream_writes_what_a_fresh_one_writes() {
        let a: Vec<u8> = (0..20000u32)
            .flat_map(|i| (i * 7 % 251).to_le_bytes())
            .collect();
        let b: Vec<u8> = (0..5000u32).flat_map(|i| (i % 13).to_le_bytes()).collect();
        let mut z = Deflater::new(4).expect("init");
        let first = z.compress(&a).expect("a");
        let second = z.compress(&b).expect("b");
        assert_eq!(
            first,
            Deflater::new(4).expect("init").compress(&a).expect("a")
        );
        assert_eq!(
            second,
            Deflater::new(4).expect("init").compress(&b).expect("b")
        );
        // The same bytes as zlib's one-call `compress2`, which HDF5 calls.
        let mut dest = vec![0u8; a.len() + 1024];
        let mut len = dest.len() as libz_sys::uLongf;
        // SAFETY: buffers and lengths as zlib documents.
        let rc = unsafe {
            libz_sys::compress2(dest.as_mut_ptr(), &mut len, a.as_ptr(), a.len() as _, 4)
        };
        assert_eq!(rc, libz_sys::Z_OK);
        assert_eq!(first, dest[..len as usize]);
    }
}
