//! Synapses of SONATA edges: the mechanism and parameters of an edge type
//! (BMTK's `exp2syn` and `dynamics_params` JSON files) and where on the
//! target cell each synapse sits.

use super::e1502;
use crate::diag::Diagnostic;
use crate::driver::library::Library;
use crate::ir::FieldKind;
use crate::net::{Cell, Location};
use crate::sonata::edges::EdgePopulation;
use crate::sonata::nodes::NodePopulation;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A synapse type: mechanism and parameters.
#[derive(Clone, Debug)]
pub(super) struct SynSpec {
    pub(super) mechanism: crate::net::SharedName,
    pub(super) params: std::sync::Arc<BTreeMap<String, f64>>,
}

pub(super) fn syn_spec(
    ep: &EdgePopulation,
    k: usize,
    syn_dir: &Path,
    lib: &Library,
    cache: &mut HashMap<String, Value>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<SynSpec, Diagnostic> {
    let tid = ep.type_ids[k];
    let types = ep.types_file.display();
    let _ = &warnings;
    let json = match ep.text(k, "dynamics_params") {
        None => Value::Object(Default::default()),
        Some(f) => {
            let path = syn_dir.join(f);
            let key = path.display().to_string();
            if let Some(v) = cache.get(&key) {
                v.clone()
            } else {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Diagnostic::error(
                        "E1501",
                        format!(
                            "`{types}` edge type {tid}: cannot read dynamics_params `{}`: {e}",
                            path.display()
                        ),
                    )
                })?;
                let v: Value = serde_json::from_str(&text)
                    .map_err(|e| e1502(format!("`{}` is not valid JSON: {e}", path.display())))?;
                cache.insert(key, v.clone());
                v
            }
        }
    };
    let file = ep
        .text(k, "dynamics_params")
        .unwrap_or("(no dynamics_params)");
    let Some(obj) = json.as_object() else {
        return Err(e1502(format!(
            "`{file}` (edge type {tid}) is not a JSON object"
        )));
    };
    // BMTK falls back on the JSON's `level_of_detail` without a model_template.
    let Some(tmpl) = ep
        .text(k, "model_template")
        .or_else(|| obj.get("level_of_detail").and_then(Value::as_str))
    else {
        return Err(e1502(format!(
            "`{types}` edge type {tid} has no model_template (and `{file}` no level_of_detail)"
        )));
    };
    let mut params = BTreeMap::new();
    if let Some((mechanism, table)) = bmtk_model(tmpl) {
        for (name, source) in table {
            let x = match source {
                Param::Json(key) => match obj.get(*key) {
                    None => continue,
                    Some(v) => v.as_f64().ok_or_else(|| {
                        e1502(format!(
                            "`{file}` (edge type {tid}): `{key}` is `{v}`, not a number"
                        ))
                    })?,
                },
                Param::Fixed(x) => *x,
            };
            params.insert(name.to_string(), x);
        }
        if mechanism != "Exp2Syn" && mechanism != "ExpSyn" && lib.ir(mechanism).is_none() {
            return Err(e1502(format!(
                "`{types}` edge type {tid}: model_template `{tmpl}` needs the mechanism `{mechanism}` in the mechanisms folder"
            )));
        }
        in_limits(
            lib,
            "Exp2Syn",
            &params,
            &format!("`{file}` (edge type {tid})"),
        )?;
        return Ok(SynSpec {
            mechanism: mechanism.into(),
            params: params.into(),
        });
    }
    if let Some(broken) = crate::ir::interface::Catalogue::broken(lib, tmpl) {
        return Err(broken.with_note(format!("edge type {tid} of `{types}` uses it")));
    }
    let Some(mech) = lib.ir(tmpl) else {
        let names: Vec<&str> = lib.names();
        let mut d = e1502(format!(
            "`{types}` edge type {tid}: model_template `{tmpl}` is neither `exp2syn` nor a mechanism of the mechanisms folder"
        ));
        if let Some(s) = crate::diag::suggest::closest(tmpl, names.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        return Err(d);
    };
    if obj.contains_key("stdevW") {
        return Err(e1502(format!(
            "`{file}` (edge type {tid}): `stdevW` (a lognormal initW) is not supported"
        )));
    }
    // A synapse model registered from Python: every key that is a
    // parameter of the mechanism is set, the others are listed once.
    let mut ignored = Vec::new();
    for (key, v) in obj {
        let Some(x) = v.as_f64() else {
            continue; // text such as level_of_detail
        };
        let settable = mech
            .fields
            .iter()
            .any(|f| f.name == *key && matches!(f.kind, FieldKind::Parameter));
        if settable {
            params.insert(key.clone(), x);
        } else {
            ignored.push(format!("`{key}`"));
        }
    }
    if !ignored.is_empty() {
        let msg = format!(
            "`{file}`: {} {} not a parameter of `{tmpl}`; ignored",
            ignored.join(", "),
            if ignored.len() == 1 { "is" } else { "are" }
        );
        if !warnings.iter().any(|w| w.message == msg) {
            warnings.push(Diagnostic::warning("W1501", msg));
        }
    }
    in_limits(lib, tmpl, &params, &format!("`{file}` (edge type {tid})"))?;
    Ok(SynSpec {
        mechanism: tmpl.into(),
        params: params.into(),
    })
}

/// `E1502` when a value of `params` lies outside the `<lo, hi>` limits
/// the mechanism's PARAMETER block declares (`what` says where it was set).
fn in_limits(
    lib: &Library,
    mechanism: &str,
    params: &BTreeMap<String, f64>,
    what: &str,
) -> Result<(), Diagnostic> {
    use crate::ir::interface::Catalogue;
    let Some(info) = lib.find(mechanism) else {
        return Ok(());
    };
    for (name, &v) in params {
        if let Some((lo, hi)) = info.var(name).and_then(|x| x.limits)
            && !(lo..=hi).contains(&v)
        {
            let n = crate::units::format_number;
            return Err(e1502(format!(
                "{what}: `{name}` of `{mechanism}` is {}, outside its declared range <{}, {}> ({})",
                n(v),
                n(lo),
                n(hi),
                info.file.display()
            )));
        }
    }
    Ok(())
}

/// Where edge `k`'s synapse goes on `cell`.
/// `order`: BMTK's order of the cell's sections, which `sec_id` indexes
/// (`None`: the cell's own order).
pub(super) fn site(
    ep: &EdgePopulation,
    k: usize,
    columns: &super::sites::SiteColumns<'_>,
    cell: &Cell,
    order: Option<&[usize]>,
) -> Result<Location, Diagnostic> {
    let sec_id = columns
        .sec_id
        .number(ep, k)
        .ok()
        .flatten()
        .or_else(|| columns.afferent_section_id.number(ep, k).ok().flatten());
    let sec_x = columns
        .sec_x
        .number(ep, k)
        .ok()
        .flatten()
        .or_else(|| columns.afferent_section_pos.number(ep, k).ok().flatten());
    if let Some(s) = sec_id {
        let x = sec_x.unwrap_or(0.5);
        if s < 0.0
            || s.fract() != 0.0
            || s as usize >= cell.sections.len()
            || !(0.0..=1.0).contains(&x)
        {
            return Err(e1502(format!(
                "`{}` edge {k} of `{}`: sec_id {s}, sec_x {x} is not a place on the target cell ({} sections)",
                ep.file.display(),
                ep.name,
                cell.sections.len()
            )));
        }
        let section = order
            .and_then(|o| o.get(s as usize).copied())
            .unwrap_or(s as usize);
        return Ok(Location { section, x });
    }
    let want = ep
        .text(k, "target_sections")
        .map(|s| {
            s.trim_matches(|c| c == '[' || c == ']')
                .split(',')
                .map(|x| x.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
        })
        .unwrap_or_else(|| vec!["soma".to_string()]);
    if want.iter().any(|w| w == "soma")
        && let Some(i) = cell
            .sections
            .iter()
            .position(|s| s.name == "soma" || s.name == "soma[0]")
    {
        return Ok(Location { section: i, x: 0.5 });
    }
    Err(e1502(format!(
        "`{}` edge type {}: target_sections {:?} cannot be placed without sec_id/sec_x columns (nmc places such synapses at soma(0.5) only)",
        ep.types_file.display(),
        ep.type_ids[k],
        want
    )))
}

/// Each node's `tuning_angle` by population and node id, for BMTK's
/// `gaussianLL` weight function; filled per population when first asked.
#[derive(Default)]
pub(super) struct Tuning {
    angles: HashMap<String, HashMap<u64, f64>>,
}

impl Tuning {
    fn angle(&mut self, pops: &[NodePopulation], pop: &str, id: u64) -> Option<f64> {
        if let Some(table) = self.angles.get(pop) {
            return table.get(&id).copied();
        }
        let table = self.angles.entry(pop.to_string()).or_insert_with(|| {
            pops.iter()
                .filter(|p| p.name == pop)
                .flat_map(|p| {
                    let col = p.columns.get("tuning_angle");
                    p.node_ids.iter().enumerate().filter_map(move |(k, &n)| {
                        // The node's own column, else its node type's.
                        let a = col
                            .and_then(|c| c.get(k))
                            .copied()
                            .filter(|a| !a.is_nan())
                            .or_else(|| p.attr(k, "tuning_angle")?.trim().parse().ok())?;
                        Some((n, a))
                    })
                })
                .collect()
        });
        table.get(&id).copied()
    }
}

/// True when edge `k`'s type leaves its weight as `syn_weight` gives it
/// (no `weight_function`, or one that returns the weight unchanged), so
/// [`edge_weight`] need not be asked edge by edge.
pub(super) fn plain_weight(ep: &EdgePopulation, k: usize) -> bool {
    matches!(
        ep.text(k, "weight_function"),
        None | Some("wmax" | "default_weight_fnc" | "set_syn_weight")
    )
}

/// The weight of edge `k` as BMTK's `weight_function` gives it from
/// `syn_weight` `w0`: `wmax`, `default_weight_fnc`, `set_syn_weight` or
/// none return `w0`; `gaussianLL` scales it by the tuning-angle difference
/// of the two nodes, `exp(-(d / weight_sigma)^2)`.
pub(super) fn edge_weight(
    ep: &EdgePopulation,
    k: usize,
    w0: f64,
    pops: &[NodePopulation],
    tuning: &mut Tuning,
) -> Result<f64, Diagnostic> {
    let tid = ep.type_ids[k];
    let what = || format!("`{}` edge type {tid}", ep.types_file.display());
    match ep.text(k, "weight_function") {
        None | Some("wmax" | "default_weight_fnc" | "set_syn_weight") => Ok(w0),
        Some("gaussianLL") => {
            let sigma = ep.number(k, "weight_sigma").ok().flatten().ok_or_else(|| {
                e1502(format!(
                    "{}: gaussianLL needs a number weight_sigma",
                    what()
                ))
            })?;
            let mut angle = |pop: &str, id: u64| {
                tuning.angle(pops, pop, id).ok_or_else(|| {
                    e1502(format!(
                        "{}: gaussianLL needs the tuning_angle of node {id} of `{pop}`",
                        what()
                    ))
                })
            };
            let src = angle(&ep.source_population, ep.source[k])?;
            let trg = angle(&ep.target_population, ep.target[k])?;
            let delta = ((180.0 - (trg - src).abs() % 360.0).abs() - 90.0).abs() - 90.0;
            let delta = delta.abs();
            Ok(w0 * (-(delta / sigma).powi(2)).exp())
        }
        Some(other) => Err(e1502(format!(
            "{}: weight_function `{other}` is not one nmc knows (wmax, gaussianLL, default_weight_fnc, set_syn_weight)",
            what()
        ))),
    }
}

/// Where a synapse parameter comes from in BMTK's synapse model functions.
enum Param {
    /// A key of the `dynamics_params` JSON.
    Json(&'static str),
    /// A value the function sets whatever the JSON says.
    Fixed(f64),
}

/// BMTK 1.2.0's registered synapse models (`synapse_models.py`): the
/// mechanism each makes and which of its parameters it sets from what.
/// Keys a function does not read are not set (`stp2syn` leaves `a_FDR`
/// at the mechanism's default).
fn bmtk_model(tmpl: &str) -> Option<(&'static str, &'static [(&'static str, Param)])> {
    use Param::{Fixed, Json};
    Some(match tmpl {
        "exp2syn" | "Exp2Syn" => (
            "Exp2Syn",
            &[
                ("e", Json("erev")),
                ("tau1", Json("tau1")),
                ("tau2", Json("tau2")),
            ],
        ),
        "expsyn" => ("ExpSyn", &[("e", Json("erev")), ("tau", Json("tau1"))]),
        "stp1syn" => (
            "stp1syn",
            &[
                ("e", Json("erev")),
                ("p0", Fixed(0.5)),
                ("tau_r", Fixed(200.0)),
                ("tau_1", Fixed(5.0)),
            ],
        ),
        "stp2syn" => (
            "stp2syn",
            &[
                ("e", Json("erev")),
                ("p0", Json("p0")),
                ("tau_r0", Json("tau_r0")),
                ("tau_FDR", Json("tau_FDR")),
                ("tau_1", Json("tau_1")),
            ],
        ),
        "stp3syn" => (
            "stp3syn",
            &[
                ("e", Json("erev")),
                ("p0", Fixed(0.6)),
                ("tau_r0", Fixed(200.0)),
                ("tau_FDR", Fixed(2000.0)),
                ("tau_D", Fixed(500.0)),
                ("tau_1", Fixed(5.0)),
            ],
        ),
        "stp4syn" => (
            "stp4syn",
            &[
                ("e", Json("erev")),
                ("p0", Fixed(0.6)),
                ("tau_r", Fixed(200.0)),
                ("tau_1", Fixed(5.0)),
            ],
        ),
        "stp5syn" => (
            "stp5syn",
            &[
                ("e", Json("erev")),
                ("tau_1", Json("tau_1")),
                ("tau_r0", Json("tau_r0")),
                ("tau_FDR", Json("tau_FDR")),
                ("a_FDR", Json("a_FDR")),
                ("a_D", Json("a_D")),
                ("a_i", Json("a_i")),
                ("a_f", Json("a_f")),
                ("pbtilde", Json("pbtilde")),
            ],
        ),
        "tmgsyn" => (
            "tmgsyn",
            &[
                ("e", Json("erev")),
                ("tau_1", Json("tau_1")),
                ("tau_rec", Json("tau_rec")),
                ("tau_facil", Json("tau_facil")),
                ("U", Json("U")),
                ("u0", Json("u0")),
            ],
        ),
        "exp1syn" => ("exp1syn", &[("e", Json("erev")), ("tau", Json("tau_1"))]),
        "exp1isyn" => ("exp1isyn", &[("e", Json("erev")), ("tau", Json("tau_1"))]),
        _ => return None,
    })
}
