//! Reading only the edges onto some target nodes (what one rank of a run
//! over ranks needs): through `indices/target_to_source` the read gives
//! exactly the edges of a whole read kept by target, in the same order;
//! without the index the whole population is read, filtered and named.

mod common;
use common::repo;

use hdf5_metno as hdf5;
use nmc::sonata::edges::{EdgePopulation, TargetIndex, read_edges, read_edges_onto};
use nmc::sonata::write::edges::edge_index;
use nmc::sonata::write::h5::{dataset, dataset_2d, string_attr};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The whole read of `file` with every population kept to the edges
/// whose target is in `range`.
fn filtered(file: &Path, types: &Path, range: &Range<u64>) -> Vec<EdgePopulation> {
    let mut all = read_edges(file, types).expect("whole read");
    for p in &mut all {
        let target = p.target.clone();
        p.retain(|k| range.contains(&target[k]));
    }
    all
}

fn check_ranges(file: &Path, types: &Path, ranges: &[Range<u64>], indexed: bool) {
    let whole = read_edges(file, types).expect("whole read");
    for range in ranges {
        let (got, unindexed) = read_edges_onto(file, types, &|_| Some(range.clone()))
            .unwrap_or_else(|e| panic!("read onto {range:?}: {}", e.message));
        assert_eq!(unindexed.is_empty(), indexed, "{range:?}: {unindexed:?}");
        let want = filtered(file, types, range);
        assert_eq!(got, want, "{} onto {range:?}", file.display());
        for p in &got {
            assert!(p.target.iter().all(|t| range.contains(t)));
        }
    }
    // The pieces of a cut add up to the whole, edge for edge.
    let n: u64 = whole
        .iter()
        .map(|p| p.target.iter().max().map_or(0, |m| m + 1))
        .max()
        .unwrap_or(0);
    let cut = [0, n / 3, n / 3 + 1, n];
    let mut total = 0;
    for w in cut.windows(2) {
        let (got, _) = read_edges_onto(file, types, &|_| Some(w[0]..w[1])).expect("piece");
        total += got.iter().map(EdgePopulation::len).sum::<usize>();
    }
    assert_eq!(total, whole.iter().map(EdgePopulation::len).sum::<usize>());
    // A population whose target population is not asked for is read whole.
    let (got, _) = read_edges_onto(file, types, &|_| None).expect("read all");
    assert_eq!(got, whole);
}

#[test]
fn indexed_seed_edges_read_by_target_range() {
    let dir = repo("network");
    let file = dir.join("network_network_edges.h5");
    let types = dir.join("network_network_edge_types.csv");
    check_ranges(
        &file,
        &types,
        &[
            0..1,
            0..150,
            137..300,
            299..300,
            0..300,
            250..1000,
            300..400,
            5..5,
        ],
        true,
    );
    // Edges per target from the index: the whole read's counts.
    let h5 = hdf5::File::open(&file).expect("open");
    let g = h5.group("edges/network_to_network").expect("group");
    let whole = read_edges(&file, &types).expect("whole read");
    let counts = TargetIndex::read(&file, &g, whole[0].len())
        .expect("index")
        .expect("present")
        .counts();
    let mut want = vec![0u64; counts.len()];
    for &t in &whole[0].target {
        want[t as usize] += 1;
    }
    assert_eq!(counts, want);
    assert_eq!(counts.iter().sum::<u64>(), 85_000);
}

/// An edges file whose targets are not sorted (edges of one target in
/// several runs), with or without `indices/target_to_source`.
fn unsorted_file(dir: &Path, indexed: bool) -> (PathBuf, PathBuf) {
    let file = dir.join(format!("unsorted_{indexed}.h5"));
    let types = dir.join("unsorted_types.csv");
    std::fs::write(
        &types,
        "edge_type_id model_template\n100 exp2syn\n101 exp2syn\n",
    )
    .expect("types");
    let source: Vec<u64> = (0..40).map(|k| (k * 7 % 11) as u64).collect();
    let target: Vec<u64> = (0..40).map(|k| (k * 5 % 9) as u64).collect();
    let types_of: Vec<u32> = (0..40).map(|k| 100 + (k % 3 == 0) as u32).collect();
    let weight: Vec<f64> = (0..40).map(|k| 0.5 + k as f64).collect();
    let h5 = hdf5::File::create(&file).expect("create");
    let g = h5.create_group("edges/a_to_b").expect("group");
    let s = dataset(&g, "source_node_id", &source).expect("source");
    string_attr(&s, "node_population", "a").expect("attr");
    let t = dataset(&g, "target_node_id", &target).expect("target");
    string_attr(&t, "node_population", "b").expect("attr");
    dataset(&g, "edge_type_id", &types_of).expect("types");
    dataset(&g, "edge_group_id", &[0u16; 40]).expect("gid");
    dataset(&g, "edge_group_index", &(0..40u32).collect::<Vec<_>>()).expect("gix");
    let g0 = g.create_group("0").expect("group 0");
    dataset(&g0, "syn_weight", &weight).expect("weight");
    if indexed {
        let index = edge_index(&target, 9);
        let ix = g.create_group("indices/target_to_source").expect("index");
        dataset_2d(&ix, "node_id_to_range", &index.node_id_to_range).expect("n2r");
        dataset_2d(&ix, "range_to_edge_id", &index.range_to_edge_id).expect("r2e");
    }
    (file, types)
}

#[test]
fn unsorted_edges_read_by_target_range_with_and_without_index() {
    let dir = std::env::temp_dir().join(format!("nmc_edges_onto_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ranges = [0..1, 0..4, 3..9, 8..9, 0..9, 2..3];
    for indexed in [true, false] {
        let (file, types) = unsorted_file(&dir, indexed);
        check_ranges(&file, &types, &ranges, indexed);
        if !indexed {
            let (_, unindexed) = read_edges_onto(&file, &types, &|_| Some(0..3)).expect("read");
            assert_eq!(unindexed, vec!["a_to_b".to_string()]);
        }
    }
    // The group columns come along at the right rows: edge k has weight
    // 0.5 + k, so a piece's weights name its edge ids.
    let (file, types) = unsorted_file(&dir, true);
    let (got, _) = read_edges_onto(&file, &types, &|_| Some(2..3)).expect("read");
    let ids: Vec<usize> = got[0].columns["syn_weight"]
        .iter()
        .map(|w| (w - 0.5) as usize)
        .collect();
    let want: Vec<usize> = (0..40).filter(|k| k * 5 % 9 == 2).collect();
    assert_eq!(ids, want);
    std::fs::remove_dir_all(&dir).ok();
}
