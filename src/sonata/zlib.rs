//! What the parallel chunk reader and writer share of zlib: a stream
//! with no state yet and the allocator zlib calls.

use std::os::raw::{c_uint, c_void};

unsafe extern "C" fn z_alloc(_: *mut c_void, items: c_uint, size: c_uint) -> *mut c_void {
    // SAFETY: plain C allocation; zlib checks for null.
    unsafe { libc::malloc(items as usize * size as usize) }
}

unsafe extern "C" fn z_free(_: *mut c_void, p: *mut c_void) {
    // SAFETY: `p` came from `z_alloc`.
    unsafe { libc::free(p) }
}

/// A stream ready for `inflateInit_` / `deflateInit2_`: no input, no
/// output, no state, the C allocator. Boxed: zlib's state points back at
/// the stream, which must not move.
pub(crate) fn fresh_stream() -> Box<libz_sys::z_stream> {
    Box::new(libz_sys::z_stream {
        next_in: std::ptr::null_mut(),
        avail_in: 0,
        total_in: 0,
        next_out: std::ptr::null_mut(),
        avail_out: 0,
        total_out: 0,
        msg: std::ptr::null_mut(),
        state: std::ptr::null_mut(),
        zalloc: z_alloc,
        zfree: z_free,
        opaque: std::ptr::null_mut(),
        data_type: 0,
        adler: 0,
        reserved: 0,
    })
}
