//! Reading large 1-D numeric columns with their chunks decompressed on
//! every core: HDF5 runs its deflate filter one chunk at a time under its
//! global lock, and the columns of a network of 10^7 edges take most of
//! `nmc run`'s reading in it.
//!
//! Applies only to what it can read exactly as HDF5 would: a 1-D chunked
//! dataset whose filters are deflate alone or shuffle then deflate (h5py's
//! `compression='gzip'`, with or without `shuffle=True`), of little-endian
//! integers or floats, every chunk stored. The compressed chunks are read
//! as they sit in the file (`H5Dread_chunk`), inflated with the zlib HDF5
//! links, checked to be whole chunks, unshuffled and converted as HDF5 converts (integers to
//! int64, an unsigned value past int64's range clipped to its largest;
//! integers and floats to float64 rounded to nearest). Anything else is
//! left to HDF5 ([`read_numbers`] returns `None`).

use hdf5_metno as hdf5;
use hdf5_metno_sys::h5d::{H5Dget_chunk_info_by_coord, H5Dread_chunk};
use hdf5_metno_sys::h5p::H5P_DEFAULT;
use std::os::raw::{c_int, c_uint};

/// What a column is read as: int64 (ids, indexes) or float64 (values).
pub trait Number: Copy + Default + Send + Sync {
    /// The value HDF5 converts a signed integer to.
    fn from_i64(v: i64) -> Self;
    /// The value HDF5 converts an unsigned integer to.
    fn from_u64(v: u64) -> Self;
    /// The value HDF5 converts a float to; `None` where this reader
    /// leaves the conversion to HDF5 (floats read as integers).
    fn from_f64(v: f64) -> Option<Self>;
}

impl Number for i64 {
    fn from_i64(v: i64) -> Self {
        v
    }
    fn from_u64(v: u64) -> Self {
        i64::try_from(v).unwrap_or(i64::MAX)
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
}

impl Number for f64 {
    fn from_i64(v: i64) -> Self {
        v as f64
    }
    fn from_u64(v: u64) -> Self {
        v as f64
    }
    fn from_f64(v: f64) -> Option<Self> {
        Some(v)
    }
}

/// The element type in the file: integer (signed or not) or float, and
/// its size in bytes.
#[derive(Clone, Copy)]
enum Kind {
    Signed(usize),
    Unsigned(usize),
    Float(usize),
}

impl Kind {
    fn of(ds: &hdf5::Dataset) -> Option<Kind> {
        use hdf5::types::{FloatSize, TypeDescriptor as T};
        let dtype = ds.dtype().ok()?;
        if !cfg!(target_endian = "little")
            || dtype.byte_order() != hdf5::datatype::ByteOrder::LittleEndian
        {
            return None;
        }
        let size = dtype.size();
        match dtype.to_descriptor().ok()? {
            T::Integer(_) => Some(Kind::Signed(size)),
            T::Unsigned(_) => Some(Kind::Unsigned(size)),
            T::Float(FloatSize::U4) if size == 4 => Some(Kind::Float(4)),
            T::Float(FloatSize::U8) if size == 8 => Some(Kind::Float(8)),
            _ => None,
        }
        .filter(|k| matches!(k, Kind::Float(_)) || matches!(size, 1 | 2 | 4 | 8))
    }

    fn size(self) -> usize {
        match self {
            Kind::Signed(s) | Kind::Unsigned(s) | Kind::Float(s) => s,
        }
    }

    /// Converts the little-endian values of `bytes` into `out` (one loop
    /// per element type, the type decided once per chunk).
    fn convert<T: Number>(self, bytes: &[u8], out: &mut [T]) -> bool {
        match self {
            Kind::Unsigned(1) => each(bytes, out, |b: [u8; 1]| T::from_u64(u64::from(b[0]))),
            Kind::Unsigned(2) => each(bytes, out, |b| {
                T::from_u64(u64::from(u16::from_le_bytes(b)))
            }),
            Kind::Unsigned(4) => each(bytes, out, |b| {
                T::from_u64(u64::from(u32::from_le_bytes(b)))
            }),
            Kind::Unsigned(_) => each(bytes, out, |b| T::from_u64(u64::from_le_bytes(b))),
            Kind::Signed(1) => each(bytes, out, |b: [u8; 1]| T::from_i64(i64::from(b[0] as i8))),
            Kind::Signed(2) => each(bytes, out, |b| {
                T::from_i64(i64::from(i16::from_le_bytes(b)))
            }),
            Kind::Signed(4) => each(bytes, out, |b| {
                T::from_i64(i64::from(i32::from_le_bytes(b)))
            }),
            Kind::Signed(_) => each(bytes, out, |b| T::from_i64(i64::from_le_bytes(b))),
            // Floats read as integers are left to HDF5.
            Kind::Float(_) if T::from_f64(0.0).is_none() => return false,
            Kind::Float(4) => each(bytes, out, |b| {
                T::from_f64(f64::from(f32::from_le_bytes(b))).unwrap_or_default()
            }),
            Kind::Float(_) => each(bytes, out, |b| {
                T::from_f64(f64::from_le_bytes(b)).unwrap_or_default()
            }),
        }
        true
    }
}

/// `out[i] = f(the i-th N bytes of bytes)`.
fn each<const N: usize, T>(bytes: &[u8], out: &mut [T], f: impl Fn([u8; N]) -> T) {
    for (o, b) in out.iter_mut().zip(bytes.chunks_exact(N)) {
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        *o = f(a);
    }
}

/// A zlib inflate stream kept for many chunks.
struct Inflater {
    stream: Box<libz_sys::z_stream>,
}

impl Inflater {
    fn new() -> Option<Self> {
        let mut stream = super::zlib::fresh_stream();
        // SAFETY: the stream is initialised as zlib asks; version and size
        // are those of the linked library, which libz-sys mirrors.
        let rc = unsafe {
            libz_sys::inflateInit_(
                &mut *stream,
                libz_sys::zlibVersion(),
                std::mem::size_of::<libz_sys::z_stream>() as c_int,
            )
        };
        (rc == libz_sys::Z_OK).then_some(Self { stream })
    }

    /// Inflates the zlib stream `input` into `out`, which it must fill
    /// exactly.
    fn inflate(&mut self, input: &[u8], out: &mut [u8]) -> bool {
        let s = &mut *self.stream;
        let (Ok(n_in), Ok(n_out)) = (c_uint::try_from(input.len()), c_uint::try_from(out.len()))
        else {
            return false;
        };
        // SAFETY: the stream was initialised by `new`.
        if unsafe { libz_sys::inflateReset(s) } != libz_sys::Z_OK {
            return false;
        }
        s.next_in = input.as_ptr().cast_mut();
        s.avail_in = n_in;
        s.next_out = out.as_mut_ptr();
        s.avail_out = n_out;
        // SAFETY: both buffers outlive the call with the lengths given;
        // zlib does not write through `next_in`.
        let rc = unsafe { libz_sys::inflate(s, libz_sys::Z_FINISH) };
        let whole = rc == libz_sys::Z_STREAM_END && s.avail_out == 0;
        s.next_in = std::ptr::null_mut();
        s.next_out = std::ptr::null_mut();
        whole
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: initialised by `new`, ended once.
        unsafe {
            libz_sys::inflateEnd(&mut *self.stream);
        }
    }
}

/// The chunks of `ds` as stored (bytes, filter mask), or `None` if one is
/// missing, cannot be read or is stored larger than deflate ever makes a
/// chunk of `chunk_bytes` (a damaged file, left to HDF5 to report).
pub(crate) fn raw_chunks(
    ds: &hdf5::Dataset,
    n_chunks: usize,
    chunk: usize,
    chunk_bytes: usize,
) -> Option<Vec<(Vec<u8>, u32)>> {
    hdf5::sync::sync(|| {
        let mut out = Vec::with_capacity(n_chunks);
        for k in 0..n_chunks {
            let offset = [(k * chunk) as u64];
            let (mut mask, mut addr, mut size) = (0, 0, 0);
            // SAFETY: `ds` is an open 1-D dataset; `offset` one coordinate.
            let rc = unsafe {
                H5Dget_chunk_info_by_coord(
                    ds.id(),
                    offset.as_ptr(),
                    &mut mask,
                    &mut addr,
                    &mut size,
                )
            };
            if rc < 0 || size == 0 || size > 2 * chunk_bytes as u64 + 1024 {
                return None;
            }
            let mut buf = vec![0u8; usize::try_from(size).ok()?];
            let mut filters: u32 = 0;
            let mut buf_size = buf.len();
            // SAFETY: `buf` holds the chunk's stored size, which HDF5 was
            // asked for just above and is told of.
            let rc = unsafe {
                H5Dread_chunk(
                    ds.id(),
                    H5P_DEFAULT,
                    offset.as_ptr(),
                    &mut filters,
                    buf.as_mut_ptr().cast(),
                    &mut buf_size,
                )
            };
            if rc < 0 || buf_size != buf.len() {
                return None;
            }
            out.push((buf, filters));
        }
        Some(out)
    })
}

/// The whole 1-D dataset `ds` as `T`, read with its chunks inflated on
/// every core; `None` when the dataset is not one this reader handles
/// exactly (see the module's documentation), to be read by HDF5 instead.
pub fn read_numbers<T: Number>(ds: &hdf5::Dataset) -> Option<Vec<T>> {
    if ds.ndim() != 1 || !ds.is_chunked() {
        return None;
    }
    use hdf5::filters::Filter;
    // The filter mask's bits are the pipeline's filters in order, a set
    // bit one the chunk skipped.
    let (shuffle_bit, deflate_bit) = match ds.filters().as_slice() {
        [Filter::Deflate(_)] => (None, 1),
        [Filter::Shuffle, Filter::Deflate(_)] => (Some(1), 2),
        _ => return None,
    };
    let kind = Kind::of(ds)?;
    let n = ds.size();
    let chunk = *ds.chunk()?.first()?;
    if chunk == 0 || n == 0 {
        return None;
    }
    let n_chunks = n.div_ceil(chunk);
    let chunk_bytes = chunk.checked_mul(kind.size())?;
    crate::io::check_memory(n as f64 * std::mem::size_of::<T>() as f64).ok()?;
    let raw = raw_chunks(ds, n_chunks, chunk, chunk_bytes)?;
    let mut out = vec![T::default(); n];
    // Chunk k fills out[k * chunk ..]; each thread takes a run of chunks.
    let one = |z: &mut Inflater,
               (buf, plain_buf): (&mut [u8], &mut [u8]),
               (bytes, mask): &(Vec<u8>, u32),
               dst: &mut [T]| {
        let inflated: &[u8] = if mask & deflate_bit == 0 {
            if !z.inflate(bytes, buf) {
                return false;
            }
            buf
        } else if bytes.len() == chunk_bytes {
            bytes
        } else {
            return false;
        };
        let plain = match shuffle_bit {
            Some(bit) if mask & bit == 0 => {
                unshuffle(inflated, kind.size(), plain_buf);
                &*plain_buf
            }
            _ => inflated,
        };
        kind.convert(plain, dst)
    };
    let run = |raw: &[(Vec<u8>, u32)], dst: &mut [T]| -> bool {
        let Some(mut z) = Inflater::new() else {
            return false;
        };
        let mut buf = vec![0u8; chunk_bytes];
        let mut plain = vec![
            0u8;
            if shuffle_bit.is_some() {
                chunk_bytes
            } else {
                0
            }
        ];
        raw.iter()
            .zip(dst.chunks_mut(chunk))
            .all(|(r, d)| one(&mut z, (&mut buf, &mut plain), r, d))
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(n_chunks);
    let per = n_chunks.div_ceil(threads.max(1));
    let ok = std::thread::scope(|s| {
        let handles: Vec<_> = raw
            .chunks(per)
            .zip(out.chunks_mut(per * chunk))
            .map(|(r, d)| s.spawn(move || run(r, d)))
            .collect();
        handles.into_iter().all(|h| h.join().unwrap_or(false))
    });
    ok.then_some(out)
}

/// Undoes HDF5's shuffle filter on `bytes` (`size`-byte elements) into
/// `out`: byte `b` of element `i` was stored at `b * n + i`. One element,
/// or one-byte elements, were stored as they are.
fn unshuffle(bytes: &[u8], size: usize, out: &mut [u8]) {
    let n = bytes.len() / size.max(1);
    if size <= 1 || n <= 1 {
        out.copy_from_slice(bytes);
        return;
    }
    for (b, plane) in bytes.chunks_exact(n).enumerate().take(size) {
        for (e, &v) in out.chunks_exact_mut(size).zip(plane) {
            e[b] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert_as_hdf5_converts_them() {
        let mut out = [0i64; 2];
        assert!(Kind::Signed(2).convert(&[0xfe, 0xff, 0x05, 0x00], &mut out));
        assert_eq!(out, [-2, 5]);
        let big = u64::MAX.to_le_bytes();
        let mut one = [0i64; 1];
        assert!(Kind::Unsigned(8).convert(&big, &mut one));
        assert_eq!(one, [i64::MAX]);
        let mut f = [0f64; 1];
        assert!(Kind::Float(4).convert(&1.5f32.to_le_bytes(), &mut f));
        assert_eq!(f, [1.5]);
        assert!(!Kind::Float(8).convert(&1.5f64.to_le_bytes(), &mut one));
    }

    #[test]
    fn chunks_inflate_to_the_columns_hdf5_reads() {
        let dir = std::env::temp_dir().join(format!("nmc_chunked_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("c.h5");
        let data: Vec<u32> = (0..100_003u32)
            .map(|i| i.wrapping_mul(2_654_435_761) >> 7)
            .collect();
        let f = hdf5::File::create(&path).expect("create");
        f.new_dataset_builder()
            .chunk(4096)
            .deflate(4)
            .with_data(&data)
            .create("a")
            .expect("a");
        let ds = f.dataset("a").expect("a");
        let ours: Vec<i64> = read_numbers(&ds).expect("handled");
        let hdf5s: Vec<i64> = ds.read_raw().expect("read");
        assert_eq!(ours, hdf5s);
        let floats: Vec<f64> = read_numbers(&ds).expect("handled");
        assert_eq!(floats, ds.read_raw::<f64>().expect("read"));
        // Shuffled by HDF5's own filter, then deflated: unshuffled here.
        f.new_dataset_builder()
            .chunk(4096)
            .shuffle()
            .deflate(4)
            .with_data(&data)
            .create("s")
            .expect("s");
        let ds = f.dataset("s").expect("s");
        let ours: Vec<i64> = read_numbers(&ds).expect("handled");
        assert_eq!(ours, ds.read_raw::<i64>().expect("read"));
        // A contiguous dataset is left to HDF5.
        f.new_dataset_builder()
            .with_data(&data)
            .create("b")
            .expect("b");
        assert!(read_numbers::<i64>(&f.dataset("b").expect("b")).is_none());
        drop(f);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
