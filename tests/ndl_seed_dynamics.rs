//! `nmc run examples/bmtk_test_net/network.ndl` (the seed network in NDL,
//! with its own Poisson background) shows the seed's dynamics (spec
//! section 6): Exc at 20-24 Hz, PV in synchronous volleys of all 50 cells
//! that stop near 260 ms, SOM in volleys of all 50 cells from about 270 ms.

use std::process::Command;

/// Volleys: groups of spikes with gaps of at most 5 ms; (start, cells).
fn volleys(mut spikes: Vec<(u64, f64)>) -> Vec<(f64, usize)> {
    spikes.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut out: Vec<(f64, Vec<u64>)> = Vec::new();
    let mut last = f64::NEG_INFINITY;
    for (id, t) in spikes {
        if t - last > 5.0 {
            out.push((t, Vec::new()));
        }
        if let Some(v) = out.last_mut() {
            v.1.push(id);
        }
        last = t;
    }
    out.into_iter()
        .map(|(t, mut ids)| {
            ids.sort_unstable();
            ids.dedup();
            (t, ids.len())
        })
        .collect()
}

#[test]
fn seed_network_in_ndl_shows_the_seed_dynamics() {
    let out = std::env::temp_dir().join(format!("nmc_ndl_seed_{}", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["run", "--quiet", "examples/bmtk_test_net/network.ndl", "-o"])
        .arg(&out)
        .output()
        .expect("run nmc");
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let spikes = nmc::sonata::spikes::read(&out.join("spikes.h5")).expect("spike file");
    let _ = std::fs::remove_dir_all(&out);
    assert!(spikes.iter().all(|s| s.0 == "network"));
    let of = |lo: u64, hi: u64| -> Vec<(u64, f64)> {
        spikes
            .iter()
            .filter(|s| (lo..hi).contains(&s.1))
            .map(|s| (s.1, s.2))
            .collect()
    };
    let (pv, som, exc) = (of(0, 50), of(50, 100), of(100, 300));

    let exc_rate = exc.len() as f64 / 200.0;
    assert!(
        (20.0..=24.0).contains(&exc_rate),
        "Exc rate {exc_rate} Hz, want 20-24"
    );

    let pv_v = volleys(pv);
    let som_v = volleys(som);
    // PV: volleys of all 50 cells, the last one starting near 260 ms, then silence.
    assert!(pv_v.len() >= 8, "PV volleys {pv_v:?}");
    assert!(pv_v.iter().all(|v| v.1 == 50), "PV volleys {pv_v:?}");
    let last_pv = pv_v.last().map_or(0.0, |v| v.0);
    assert!(
        (235.0..=285.0).contains(&last_pv),
        "last PV volley at {last_pv} ms"
    );
    // SOM: silent until the PV volleys stop, then volleys of all 50 cells.
    let first_som = som_v.first().map_or(f64::INFINITY, |v| v.0);
    assert!(
        (250.0..=300.0).contains(&first_som) && first_som > last_pv,
        "first SOM volley at {first_som} ms (last PV {last_pv} ms)"
    );
    assert!(som_v.len() >= 8, "SOM volleys {som_v:?}");
    assert!(som_v.iter().all(|v| v.1 == 50), "SOM volleys {som_v:?}");
    // SOM volleys every 60-120 ms.
    for w in som_v.windows(2) {
        let gap = w[1].0 - w[0].0;
        assert!((60.0..=120.0).contains(&gap), "SOM volleys {som_v:?}");
    }
}
