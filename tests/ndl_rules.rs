//! NDL connection rules, weights, positions and inputs: counts and
//! statistics of what the rules build (fixed seeds, stated bounds),
//! reproducibility, and the diagnostics of the network statements.

use nmc::diag::{Diagnostic, SourceMap};
use nmc::front::ndl;
use nmc::net::Source;
use std::path::Path;

const HEAD: &str = "network t
mechanisms \"models\"
use \"components/templates/RTMExcCell.ndl\"
synapse exc = Exp2Syn { tau1 = 0.5 ms; tau2 = 3 ms; e = 0 mV }
run { tstop = 10 ms; dt = 0.1 ms }
";

/// Checks `body` after a common head; the experiment (if no errors) and
/// the diagnostics.
fn check(body: &str) -> (Option<ndl::Experiment>, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let text = format!("{HEAD}{body}");
    let c = nmc::driver::ndl::check_source(
        &mut map,
        "t.ndl",
        &text,
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &nmc::driver::ndl::LibraryLoader::new(),
    );
    (c.experiment, c.diagnostics)
}

fn build(body: &str) -> ndl::Experiment {
    let (e, d) = check(body);
    assert!(d.is_empty(), "{d:#?}");
    e.expect("an experiment")
}

/// (source cell, target cell) of every connection between real cells.
fn pairs(e: &ndl::Experiment) -> Vec<(usize, usize)> {
    e.network
        .connections
        .iter()
        .filter_map(|c| match c.source {
            Source::Cell(s) => Some((s, c.target_cell)),
            Source::Train(_) => None,
        })
        .collect()
}

fn codes(d: &[Diagnostic]) -> Vec<&str> {
    d.iter().map(|d| d.code).collect()
}

#[test]
fn all_to_all_connects_every_pair_with_or_without_self() {
    let e = build(
        "population A = 7 of RTMExcCell\npopulation B = 5 of RTMExcCell
connect A -> B { synapse = exc; weight = 1 nS; delay = 1 ms }
connect A -> A { rule = all_to_all(self = false); synapse = exc; weight = 1 nS; delay = 1 ms }",
    );
    let p = pairs(&e);
    assert_eq!(p.iter().filter(|x| x.1 >= 7).count(), 35);
    let aa: Vec<_> = p.iter().filter(|x| x.1 < 7).collect();
    assert_eq!(aa.len(), 42);
    assert!(aa.iter().all(|x| x.0 != x.1));
    // One synapse per connection, as BMTK.
    assert_eq!(e.network.cells[7].point_processes.len(), 7);
}

#[test]
fn probability_gives_about_p_n_m() {
    // 100 x 100 pairs at p = 0.1: mean 1000, sd 30; the bound is 5 sd.
    let e = build(
        "population A = 100 of RTMExcCell
connect A -> A { rule = probability(0.1); synapse = exc; weight = 1 nS; delay = 1 ms }",
    );
    let n = pairs(&e).len();
    assert!((850..=1150).contains(&n), "{n} connections");
    // Without self-connections none has source == target.
    let e = build(
        "population A = 100 of RTMExcCell
connect A -> A { rule = probability(0.5, self = false); synapse = exc; weight = 1 nS; delay = 1 ms }",
    );
    let p = pairs(&e);
    assert!(p.iter().all(|x| x.0 != x.1));
    assert!((4950 - 250..=4950 + 250).contains(&p.len()), "{}", p.len());
}

#[test]
fn fixed_indegree_gives_exact_in_degrees_of_distinct_sources() {
    let e = build(
        "population A = 30 of RTMExcCell\npopulation B = 12 of RTMExcCell
connect A -> B { rule = fixed_indegree(7); synapse = exc; weight = 1 nS; delay = 1 ms }
connect A -> A { rule = fixed_indegree(29, self = false); synapse = exc; weight = 1 nS; delay = 1 ms }",
    );
    let p = pairs(&e);
    for t in 30..42 {
        let mut s: Vec<usize> = p.iter().filter(|x| x.1 == t).map(|x| x.0).collect();
        assert_eq!(s.len(), 7);
        s.dedup();
        assert_eq!(s.len(), 7, "distinct sources");
        assert!(s.iter().all(|&x| x < 30));
    }
    for t in 0..30 {
        let s: Vec<usize> = p.iter().filter(|x| x.1 == t).map(|x| x.0).collect();
        assert_eq!(s.len(), 29);
        assert!(!s.contains(&t));
    }
}

#[test]
fn one_to_one_maps_with_offset_and_wrap() {
    let e = build(
        "population A = 10 of RTMExcCell\npopulation B = 10 of RTMExcCell
input s = poisson { count = 10; rate = 10 Hz; stop = 10 ms }
connect A -> B { rule = one_to_one(offset = 3, wrap = true); synapse = exc; weight = 1 nS; delay = 1 ms }
connect s -> B { rule = one_to_one; synapse = exc; weight = 1 nS; delay = 1 ms }",
    );
    let mut p = pairs(&e);
    p.sort_by_key(|x| x.0);
    let want: Vec<(usize, usize)> = (0..10).map(|i| (i, 10 + (i + 3) % 10)).collect();
    assert_eq!(p, want);
    for c in &e.network.connections {
        if let Source::Train(k) = c.source {
            assert_eq!(c.target_cell, 10 + k);
        }
    }
    // Without wrap, an offset leaves targets without a source: W1102.
    let (e, d) = check(
        "population A = 10 of RTMExcCell\npopulation B = 10 of RTMExcCell
connect A -> B { rule = one_to_one(offset = -4); synapse = exc; weight = 1 nS; delay = 1 ms }",
    );
    assert_eq!(codes(&d), ["W1102"]);
    assert!(
        d[0].message.contains("4 of 10 targets get no source"),
        "{}",
        d[0].message
    );
    let mut p = pairs(&e.expect("builds"));
    p.sort_by_key(|x| x.0);
    assert_eq!(p, (4..10).map(|i| (i, 10 + i - 4)).collect::<Vec<_>>());
    // Two sources per target: doubly connected targets are reported too.
    let (_, d) = check(
        "population A = 10 of RTMExcCell\npopulation B = 5 of RTMExcCell
connect A -> B { rule = one_to_one(wrap = true); synapse = exc; weight = 1 nS; delay = 1 ms }",
    );
    assert_eq!(codes(&d), ["W1102"]);
    assert!(
        d[0].message.contains("5 targets get more than one"),
        "{}",
        d[0].message
    );
}

#[test]
fn lognormal_weights_have_the_mean_and_sd_asked_for_and_respect_bounds() {
    // 200 x 200 = 40,000 draws of mean 2 nS, sd 1 nS (in uS: 0.002, 0.001).
    let e = build(
        "population A = 200 of RTMExcCell
connect A -> A { synapse = exc; weight = lognormal(mean = 2 nS, sd = 1 nS); delay = 1 ms }",
    );
    let w: Vec<f64> = e.network.connections.iter().map(|c| c.weight).collect();
    let n = w.len() as f64;
    let mean = w.iter().sum::<f64>() / n;
    let sd = (w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!((mean / 0.002 - 1.0).abs() < 0.02, "mean {mean}");
    assert!((sd / 0.001 - 1.0).abs() < 0.05, "sd {sd}");
    // Bounds in units of the log's sd: [exp(mu - sigma), exp(mu + 0.5 sigma)].
    let e = build(
        "population A = 100 of RTMExcCell
connect A -> A { synapse = exc; weight = lognormal(2 nS, 1 nS, lower = -1, upper = 0.5); delay = 1 ms }",
    );
    let s2 = (0.25f64 + 1.0).ln();
    let (mu, sigma) = (0.002f64.ln() - s2 / 2.0, s2.sqrt());
    let (lo, hi) = ((mu - sigma).exp(), (mu + 0.5 * sigma).exp());
    let w: Vec<f64> = e.network.connections.iter().map(|c| c.weight).collect();
    assert!(w.iter().all(|&x| x >= lo && x <= hi));
    // Clipped, not redrawn: some weights sit exactly on each bound.
    assert!(w.contains(&lo) && w.contains(&hi));
    // The edge types carry no constant weight; every edge has its own.
    let ep = &e.circuit().edge_populations[0];
    assert_eq!(ep.edge_types[0].syn_weight, None);
    assert!(ep.edges.iter().all(|x| x.syn_weight.is_some()));
}

#[test]
fn distance_formulas_shape_probability_weight_and_delay() {
    let e = build(
        "population A = 60 of RTMExcCell { positions = cuboid(size = 200 um) }
connect A -> A { rule = probability(exp(-distance / 30)); synapse = exc; weight = 0.5 * exp(-distance / 100) nS; delay = (0.5 + distance / 500) ms }",
    );
    let pos = &e.populations[0].positions;
    let dist = |a: usize, b: usize| {
        (0..3)
            .map(|k| (pos[a][k] - pos[b][k]).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let conns = &e.network.connections;
    assert!(!conns.is_empty());
    let mut near = 0.0;
    for c in conns {
        let Source::Cell(s) = c.source else {
            unreachable!()
        };
        let d = dist(s, c.target_cell);
        assert!((c.weight - 0.5e-3 * (-d / 100.0).exp()).abs() < 1e-15);
        assert!((c.delay - (0.5 + d / 500.0)).abs() < 1e-12);
        near += d;
    }
    let mean_connected = near / conns.len() as f64;
    let mut all = 0.0;
    for a in 0..60 {
        for b in 0..60 {
            all += dist(a, b);
        }
    }
    let mean_all = all / 3600.0;
    assert!(
        mean_connected < 0.6 * mean_all,
        "connected pairs {mean_connected} um apart on average, all pairs {mean_all}"
    );
}

#[test]
fn positions_from_cuboid_list_and_file() {
    let e = build(
        "population A = 40 of RTMExcCell { positions = cuboid(size = [100, 50, 20] um, center = [10, 0, 0] um) }
population B = 3 of RTMExcCell { positions = [(0, 0, 0), (1, 2, 3), (0.001, 0, 0)] mm }
population C = 4 of RTMExcCell { positions = from \"tests/cells/data/positions_4.txt\" um }
population D = 27 of RTMExcCell { positions = cuboid(size = 4 um, min_distance = 2 um) }",
    );
    let a = &e.populations[0].positions;
    assert!(a.iter().all(|p| (-40.0..=60.0).contains(&p[0])
        && (-25.0..=25.0).contains(&p[1])
        && (-10.0..=10.0).contains(&p[2])));
    assert_eq!(e.populations[1].positions[1], [1000.0, 2000.0, 3000.0]);
    assert_eq!(e.populations[2].positions[3], [0.0, 0.0, 10.0]);
    // 27 cells on a 3x3x3 grid of spacing 2 um: every grid point once.
    let mut d = e.populations[3].positions.clone();
    d.sort_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
    d.dedup();
    assert_eq!(d.len(), 27);
    assert!(d.iter().flatten().all(|x| [-2.0, 0.0, 2.0].contains(x)));
    // The circuit carries them.
    let nodes = &e.circuit().node_populations[0].nodes;
    assert_eq!(nodes[40 + 1].position, Some([1000.0, 2000.0, 3000.0]));
}

#[test]
fn poisson_inputs_have_the_rate_asked_for() {
    // 100 trains at 20 Hz over 500 ms: 1000 spikes expected, sd about 32.
    let e = build(
        "population A = 1 of RTMExcCell
input bg = poisson { count = 100; rate = 20 Hz; start = 100 ms; stop = 600 ms; seed = 5 }",
    );
    let t = &e.network.trains;
    assert_eq!(t.len(), 100);
    let n: usize = t.iter().map(|x| x.times.len()).sum();
    assert!((850..=1150).contains(&n), "{n} spikes");
    assert!(
        t.iter()
            .flat_map(|x| &x.times)
            .all(|&s| (100.0..600.0).contains(&s))
    );
    assert!(
        t.iter()
            .enumerate()
            .all(|(k, x)| x.gid == k as u64 && x.population == "bg")
    );
    assert_eq!(e.inputs.len(), 100);
}

#[test]
fn seeds_make_builds_reproducible_and_distinct() {
    let body = |seed: u64| {
        format!(
            "seed {seed}
population A = 50 of RTMExcCell {{ positions = cuboid(size = 100 um) }}
input bg = poisson {{ count = 10; rate = 50 Hz; stop = 100 ms }}
connect A -> A {{ rule = probability(0.2); synapse = exc; weight = lognormal(1 nS, 0.5 nS); delay = 1 ms }}"
        )
    };
    let a = build(&body(1));
    let b = build(&body(1));
    let c = build(&body(2));
    assert_eq!(format!("{:?}", a.network), format!("{:?}", b.network));
    assert!(a.circuit() == b.circuit());
    assert_ne!(pairs(&a), pairs(&c));
    assert_ne!(a.populations[0].positions, c.populations[0].positions);
    assert_ne!(a.network.trains, c.network.trains);
    // A statement's own `seed` overrides the file's.
    let d = build(&body(1).replace(
        "rule = probability(0.2);",
        "rule = probability(0.2); seed = 9;",
    ));
    let f = build(&body(2).replace(
        "rule = probability(0.2);",
        "rule = probability(0.2); seed = 9;",
    ));
    assert_eq!(pairs(&d), pairs(&f));
}

#[test]
fn empty_selections_warn_naming_the_selector() {
    let (_, d) = check(
        "population Exc = 4 of RTMExcCell
input bgnoisevirtExt = poisson { count = 4; rate = 10 Hz; stop = 10 ms }
node_set exc { pop_name = bgnoisevirtExc }
node_set pn { pop_name = Exc }
connect Exc -> Exc { rule = probability(0); synapse = exc; weight = 1 nS; delay = 1 ms }",
    );
    assert_eq!(codes(&d), ["W1101", "W1101"]);
    let set = d
        .iter()
        .find(|x| x.message.contains("node set"))
        .expect("node set");
    assert!(set.message.contains("bgnoisevirtExc"), "{}", set.message);
    assert_eq!(
        set.help.as_deref(),
        Some("did you mean pop_name `bgnoisevirtExt`?")
    );
    let rule = d
        .iter()
        .find(|x| x.message.contains("connect"))
        .expect("rule");
    assert!(rule.message.contains("probability(0)"), "{}", rule.message);
}

#[test]
fn network_statements_report_bad_arguments_and_units() {
    for (body, code) in [
        (
            "connect A -> A { rule = probability(1.5); synapse = exc; weight = 1 nS; delay = 1 ms }",
            "E1304",
        ),
        (
            "connect A -> A { rule = probability(0.1 ms); synapse = exc; weight = 1 nS; delay = 1 ms }",
            "E1301",
        ),
        (
            "connect A -> A { rule = probability(q = 0.1); synapse = exc; weight = 1 nS; delay = 1 ms }",
            "E1212",
        ),
        (
            "connect A -> A { rule = fixed_indegree(5); synapse = exc; weight = 1 nS; delay = 1 ms }",
            "E1304",
        ),
        (
            "connect A -> A { rule = fixed_indegree(1, 2, 3); synapse = exc; weight = 1 nS; delay = 1 ms }",
            "E1212",
        ),
        (
            "connect A -> A { rule = one_to_one(offset = 1.5); synapse = exc; weight = 1 nS; delay = 1 ms }",
            "E1304",
        ),
        (
            "connect A -> A { rule = all_to_al; synapse = exc; weight = 1 nS; delay = 1 ms }",
            "E1207",
        ),
        (
            "connect A -> A { synapse = exc; weight = lognormal(1 nS, 1 mV); delay = 1 ms }",
            "E1301",
        ),
        (
            "connect A -> A { synapse = exc; weight = lognormal(0 nS, 1 nS); delay = 1 ms }",
            "E1304",
        ),
        (
            "connect A -> A { synapse = exc; weight = 1 nS; delay = (1 + distance) ms }",
            "E1208",
        ),
        (
            "connect A -> A { synapse = exc; weight = 1 nS; delay = 2 * distanse ms }",
            "E1211",
        ),
        (
            "connect A -> A { synapse = exc; weight = 1 nS; delay = -1 ms }",
            "E1304",
        ),
        ("input p = poisson { count = 3; rate = 5 ms }", "E1301"),
        ("input p = poisson { count = 3 }", "E1208"),
        ("input p = poisson { count = 0; rate = 5 Hz }", "E1304"),
        ("input p = spikes from \"nowhere.h5\"", "E1007"),
        (
            "population B = 2 of RTMExcCell { positions = [(0, 0, 0)] um }",
            "E1304",
        ),
        (
            "population B = 2 of RTMExcCell { positions = cuboid(size = 1 ms) }",
            "E1301",
        ),
        (
            "population B = 100 of RTMExcCell { positions = cuboid(size = 2 um, min_distance = 1 um) }",
            "E1304",
        ),
        (
            "population B = 2 of RTMExcCell { positions = from \"nowhere.txt\" um }",
            "E1006",
        ),
        (
            "population B = 2 of RTMExcCell { pop_name = \"X\" }",
            "E1207",
        ),
        ("population B = 2 of RTMExcCell { ei = [1, 2, 3] }", "E1304"),
        ("use \"nowhere.ndl\"", "E1005"),
    ] {
        let (e, d) = check(&format!("population A = 3 of RTMExcCell\n{body}"));
        assert!(e.is_none(), "{body}: expected an error");
        assert!(
            codes(&d).contains(&code),
            "{body}: want {code}, got {:#?}",
            d
        );
        let main = d.iter().find(|x| x.code == code).expect("the diagnostic");
        assert!(
            main.primary_span().is_some() || code == "E1007",
            "{body}: no span"
        );
    }
}

#[test]
fn sonata_spike_files_become_virtual_populations() {
    let dir = std::env::temp_dir().join(format!("nmc_ndl_spikes_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("in.h5");
    let mut spikes = std::collections::BTreeMap::new();
    spikes.insert(
        "ext".to_string(),
        vec![(3u64, 12.5), (0, 5.0), (3, 2.0), (1, 7.25)],
    );
    nmc::sonata::spikes::write(&file, &spikes).expect("spike file");
    let e = build(&format!(
        "population A = 4 of RTMExcCell
input ext = spikes from \"{}\"
connect ext -> A {{ rule = one_to_one; synapse = exc; weight = 1 nS; delay = 1 ms }}",
        file.display()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let t: Vec<(u64, Vec<f64>)> = e
        .network
        .trains
        .iter()
        .map(|t| (t.gid, t.times.clone()))
        .collect();
    assert_eq!(
        t,
        [
            (0, vec![5.0]),
            (1, vec![7.25]),
            (2, vec![]),
            (3, vec![2.0, 12.5])
        ]
    );
    assert_eq!(e.circuit().node_populations[1].name, "ext");
    assert_eq!(e.circuit().node_populations[1].nodes.len(), 4);
    assert_eq!(e.circuit().inputs[0].spikes[0], (3, 2.0));
}

/// Every rule draws the connections onto a target cell from that cell's
/// own stream: the network is the same built on 1, 2, 3 or 7 threads, and
/// a rank's share (over 2 or 3 ranks) holds exactly the whole network's
/// connections onto the rank's cells, with the same weights and delays.
#[test]
fn builds_are_the_same_on_any_threads_and_ranks() {
    let body = "seed 3
population A = 40 of RTMExcCell { positions = cuboid(size = 60 um) }
population B = 25 of RTMExcCell { positions = cuboid(size = 60 um) }
input bg = poisson { count = 40; rate = 50 Hz; stop = 100 ms }
connect A -> A { rule = probability(0.3, self = false); synapse = exc; weight = lognormal(mean = 1 nS, sd = 0.5 nS, lower = -2, upper = 2); delay = (0.5 + distance / 100) ms }
connect A -> B { rule = fixed_indegree(7); synapse = exc; weight = 0.5 * exp(-distance / 50) nS; delay = 1 ms }
connect B -> A { rule = probability(0.6 * exp(-distance / 40)); synapse = exc; weight = lognormal(2 nS, 1 nS); delay = 1 ms; seed = 11 }
connect B -> B { rule = all_to_all(self = false); synapse = exc; weight = 1 nS; delay = 2 ms }
connect bg -> A { rule = one_to_one; synapse = exc; weight = 3 nS; delay = 1 ms }
";
    let dir = std::env::temp_dir().join(format!("nmc-ndl-share-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let root = env!("CARGO_MANIFEST_DIR");
    let head = HEAD
        .replace("\"models\"", &format!("\"{root}/models\""))
        .replace("\"components/", &format!("\"{root}/components/"));
    let file = dir.join("t.ndl");
    std::fs::write(&file, format!("{head}{body}")).expect("write");
    let share = |rank, ranks, threads| {
        let mut map = SourceMap::new();
        let s = ndl::lower::Share {
            rank,
            ranks,
            threads,
            all_gather: None,
        };
        let (c, _) = nmc::driver::ndl::check_file_share(&mut map, &file, s);
        assert!(
            !c.diagnostics.iter().any(Diagnostic::is_error),
            "{:#?}",
            c.diagnostics
        );
        c.experiment.expect("an experiment")
    };
    let whole = share(0, 1, 1);
    let n = whole.network.connections.len();
    assert!(n > 1000, "{n} connections");
    let shown = format!("{:?}", whole.network);
    for threads in [2, 3, 7] {
        assert_eq!(
            format!("{:?}", share(0, 1, threads).network),
            shown,
            "{threads} threads"
        );
    }
    // (target cell, source, weight bits, delay bits) of each connection.
    let key = |e: &ndl::Experiment, cells: std::ops::Range<usize>| {
        let mut v: Vec<_> = e
            .network
            .connections
            .iter()
            .filter(|c| cells.contains(&c.target_cell))
            .map(|c| {
                (
                    c.target_cell,
                    format!("{:?}", c.source),
                    c.weight.to_bits(),
                    c.delay.to_bits(),
                )
            })
            .collect();
        v.sort();
        v
    };
    for ranks in [2, 3] {
        let mut seen = 0;
        for rank in 0..ranks {
            let part = share(rank, ranks, 2);
            let starts = part.rank_starts.clone().expect("a cut over ranks");
            let end = starts
                .get(rank + 1)
                .copied()
                .unwrap_or(whole.network.cells.len());
            let mine = key(&part, starts[rank]..end);
            assert_eq!(
                mine.len(),
                part.network.connections.len(),
                "only its cells'"
            );
            assert_eq!(
                mine,
                key(&whole, starts[rank]..end),
                "rank {rank} of {ranks}"
            );
            seen += mine.len();
        }
        assert_eq!(seen, n, "{ranks} ranks");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
