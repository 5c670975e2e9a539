//! HDF5 helpers for the SONATA writer: datasets stored the way h5py stores
//! them (chunk shape chosen by h5py's rule; numbers shuffled and deflated
//! at level 1, as h5py's `shuffle=True, compression='gzip',
//! compression_opts=1` stores them, strings deflated at h5py's default
//! level 4), the
//! file markers `magic` and `version` on the root, string attributes, and
//! files created under a temporary name and renamed when complete.

use super::chunks::{Layout, Plain, write_compressed};
use crate::diag::Diagnostic;
use hdf5_metno as hdf5;
use std::path::Path;

/// The `version` attribute of a SONATA file's root, as BMTK writes it.
pub const SONATA_VERSION: [u32; 2] = [0, 1];

/// gzip level h5py uses for `compression='gzip'` (text datasets).
const GZIP_LEVEL: u8 = 4;

/// gzip level of the numeric datasets, which are shuffled first. On the
/// edges of the seed network scaled by 10 (8.5 million edges) shuffling
/// makes the files 8 times smaller than BMTK's unshuffled level 4 (8.4 MB
/// instead of 65 MB); level 4 would make them 7.1 MB but takes 0.6 s more
/// CPU to write and inflates 3-5 times slower (its long runs of
/// distance-1 matches), so level 1.
const NUMBER_LEVEL: u8 = 1;

/// A chunked dataset of numbers with the filters every numeric dataset of
/// the writer has: shuffle, then deflate at [`NUMBER_LEVEL`].
fn numbers<T: Plain>(g: &hdf5::Group, chunk: &[usize]) -> hdf5::DatasetBuilderEmpty {
    g.new_dataset::<T>()
        .chunk(chunk.to_vec())
        .shuffle()
        .deflate(NUMBER_LEVEL)
}

/// The chunk shape h5py picks for a dataset of `shape` with elements of
/// `elem_size` bytes: aim at 16 KiB scaled by 2^log10(size in MiB),
/// between 8 KiB and 1 MiB, halving the dimensions in turn until the chunk
/// fits (or is within half of the target).
pub fn guess_chunk(shape: &[usize], elem_size: usize) -> Vec<usize> {
    const BASE: f64 = 16.0 * 1024.0;
    const MIN: f64 = 8.0 * 1024.0;
    const MAX: f64 = 1024.0 * 1024.0;
    let mut chunks: Vec<f64> = shape
        .iter()
        .map(|&x| if x == 0 { 1024.0 } else { x as f64 })
        .collect();
    if chunks.is_empty() {
        return Vec::new();
    }
    let bytes = |c: &[f64]| c.iter().product::<f64>() * elem_size as f64;
    let size_mib = bytes(&chunks) / (1024.0 * 1024.0);
    let target = (BASE * 2f64.powf(size_mib.log10())).clamp(MIN, MAX);
    let mut idx = 0;
    loop {
        let b = bytes(&chunks);
        if (b < target || (b - target).abs() / target < 0.5) && b < MAX {
            break;
        }
        if chunks.iter().product::<f64>() <= 1.0 {
            break;
        }
        let d = idx % chunks.len();
        chunks[d] = (chunks[d] / 2.0).ceil();
        idx += 1;
    }
    chunks.into_iter().map(|c| c as usize).collect()
}

/// Creates a 1-D dataset `name` in `g` holding `data` (chunked,
/// shuffled and gzip-compressed; empty data is stored contiguously). The chunks are compressed on every core ([`chunks`]).
pub fn dataset<T: Plain>(g: &hdf5::Group, name: &str, data: &[T]) -> hdf5::Result<hdf5::Dataset> {
    let b = g.new_dataset::<T>();
    if data.is_empty() {
        return b.shape(0).create(name);
    }
    let chunk = guess_chunk(&[data.len()], std::mem::size_of::<T>());
    let ds = numbers::<T>(g, &chunk).shape(data.len()).create(name)?;
    let layout = Layout {
        rows: data.len(),
        cols: 1,
        chunk_rows: chunk[0],
        chunk_cols: 1,
        two_d: false,
    };
    write_compressed(&ds, data, &layout, NUMBER_LEVEL)?;
    Ok(ds)
}

/// Creates a 1-D dataset `name` of `rows` values made chunk by chunk by
/// `values(range, out)` (see [`super::chunks::write_generated`]), stored
/// as [`dataset`] stores a list of them.
pub fn generated_dataset<T: Plain>(
    g: &hdf5::Group,
    name: &str,
    rows: usize,
    values: &(dyn Fn(std::ops::Range<usize>, &mut [T]) + Sync),
) -> hdf5::Result<hdf5::Dataset> {
    let b = g.new_dataset::<T>();
    if rows == 0 {
        return b.shape(0).create(name);
    }
    let chunk = guess_chunk(&[rows], std::mem::size_of::<T>());
    let ds = numbers::<T>(g, &chunk).shape(rows).create(name)?;
    super::chunks::write_generated(&ds, rows, chunk[0], NUMBER_LEVEL, values)?;
    Ok(ds)
}

/// Creates a 1-D dataset of variable-length strings (chunked and
/// gzip-compressed by HDF5, as h5py does).
pub fn text_dataset(
    g: &hdf5::Group,
    name: &str,
    data: &[hdf5::types::VarLenUnicode],
) -> hdf5::Result<hdf5::Dataset> {
    let b = g.new_dataset_builder();
    if data.is_empty() {
        return b
            .empty::<hdf5::types::VarLenUnicode>()
            .shape(0)
            .create(name);
    }
    let chunk = guess_chunk(
        &[data.len()],
        std::mem::size_of::<hdf5::types::VarLenUnicode>(),
    );
    b.chunk(chunk)
        .deflate(GZIP_LEVEL)
        .with_data(data)
        .create(name)
}

/// Creates a 2-D dataset `name` of `rows` x `N` values (row-major).
pub fn dataset_2d<T: Plain, const N: usize>(
    g: &hdf5::Group,
    name: &str,
    rows: &[[T; N]],
) -> hdf5::Result<hdf5::Dataset> {
    let b = g.new_dataset::<T>().shape((rows.len(), N));
    if rows.is_empty() {
        return b.create(name);
    }
    let chunk = guess_chunk(&[rows.len(), N], std::mem::size_of::<T>());
    let ds = numbers::<T>(g, &chunk)
        .shape((rows.len(), N))
        .create(name)?;
    let layout = Layout {
        rows: rows.len(),
        cols: N,
        chunk_rows: chunk[0],
        chunk_cols: chunk[1],
        two_d: true,
    };
    write_compressed(&ds, rows.as_flattened(), &layout, NUMBER_LEVEL)?;
    Ok(ds)
}

/// A variable-length UTF-8 string (h5py's `str` type).
pub fn text(s: &str) -> hdf5::Result<hdf5::types::VarLenUnicode> {
    s.parse()
        .map_err(|_| hdf5::Error::from(format!("`{s}` cannot be stored as an HDF5 string")))
}

/// Sets a scalar string attribute (variable-length UTF-8, as h5py writes).
pub fn string_attr(loc: &hdf5::Location, name: &str, value: &str) -> hdf5::Result<()> {
    let v = text(value)?;
    loc.new_attr::<hdf5::types::VarLenUnicode>()
        .create(name)?
        .write_scalar(&v)
}

/// Sets SONATA's `magic` and `version` root attributes.
pub fn sonata_markers(file: &hdf5::File) -> hdf5::Result<()> {
    file.new_attr::<u32>()
        .create("magic")?
        .write_scalar(&super::super::spikes::SONATA_MAGIC)?;
    file.new_attr::<u32>()
        .shape(2)
        .create("version")?
        .write_raw(&SONATA_VERSION)
}

/// Creates the HDF5 file `path` in the oldest file format that can hold
/// its contents (HDF5's "earliest" library-version bound, the default of
/// HDF5 1.x and of h5py): readable by every HDF5 1.8 or newer that BMTK
/// and NEURON users have, and byte for byte the same on every run (the
/// newer object headers the bundled HDF5 2.x would write carry creation
/// and access times).
pub fn create(path: &Path) -> hdf5::Result<hdf5::File> {
    hdf5::File::with_options()
        .with_fapl(|p| p.libver_earliest())
        .create(path)
}

/// Writes an HDF5 file atomically: `fill` writes into a new file under a
/// temporary name in the same folder, which is renamed to `dest` when it
/// succeeded and removed when it failed. Errors name the file.
pub fn write_file(
    dest: &Path,
    fill: impl FnOnce(&hdf5::File) -> hdf5::Result<()>,
) -> Result<(), Diagnostic> {
    let tmp = super::super::spikes::temp_path(dest);
    let result = create(&tmp).and_then(|f| {
        sonata_markers(&f)?;
        fill(&f)?;
        f.close()
    });
    // On disk before the rename, so a crash never leaves a truncated file
    // under the final name.
    let result = result
        .map_err(|e| e.to_string())
        .and_then(|()| {
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| e.to_string())
        })
        .and_then(|()| std::fs::rename(&tmp, dest).map_err(|e| e.to_string()));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        super::write_error(dest, e)
    })
}

#[cfg(test)]
mod tests {
    use super::guess_chunk;

    #[test]
    fn chunks_match_the_ones_h5py_chose_for_the_seed() {
        // Chunk shapes BMTK 1.2.0 writes.
        assert_eq!(guess_chunk(&[85000], 8), vec![2657]);
        assert_eq!(guess_chunk(&[85000], 4), vec![2657]);
        assert_eq!(guess_chunk(&[85000], 2), vec![5313]);
        assert_eq!(guess_chunk(&[84998, 2], 8), vec![2657, 1]);
        assert_eq!(guess_chunk(&[300, 2], 8), vec![300, 2]);
        assert_eq!(guess_chunk(&[300, 3], 8), vec![300, 3]);
        assert_eq!(guess_chunk(&[200], 8), vec![200]);
        assert_eq!(guess_chunk(&[59848], 8), vec![1871]);
        assert_eq!(guess_chunk(&[5402], 8), vec![1351]);
    }
}
