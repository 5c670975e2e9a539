//! SONATA configuration files: the simulation config (`run`,
//! `conditions`, `inputs`, `output`, `node_sets_file`, `network`) and the
//! circuit config (`components`, `networks.nodes`, `networks.edges`), with
//! `manifest` variables (`$NAME`, `${NAME}`, `${configdir}`) and paths
//! relative to the config's folder; and `node_sets.json`.

use crate::diag::Diagnostic;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The circuit: component folders and node/edge files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CircuitConfig {
    /// The file it was read from.
    pub path: PathBuf,
    /// `components.templates_dir`.
    pub templates_dir: Option<PathBuf>,
    /// `components.mechanisms_dir`.
    pub mechanisms_dir: Option<PathBuf>,
    /// `components.morphologies_dir`.
    pub morphologies_dir: Option<PathBuf>,
    /// `components.biophysical_neuron_models_dir`.
    pub biophysical_neuron_models_dir: Option<PathBuf>,
    /// `components.point_neuron_models_dir`.
    pub point_neuron_models_dir: Option<PathBuf>,
    /// `components.synaptic_models_dir`.
    pub synaptic_models_dir: Option<PathBuf>,
    /// `(nodes_file, node_types_file)` pairs, in order.
    pub nodes: Vec<(PathBuf, PathBuf)>,
    /// `(edges_file, edge_types_file)` pairs, in order.
    pub edges: Vec<(PathBuf, PathBuf)>,
}

/// One entry of `inputs`.
#[derive(Clone, Debug, PartialEq)]
pub struct InputConfig {
    /// Its key in `inputs`.
    pub name: String,
    /// `input_type` (`spikes`...).
    pub input_type: String,
    /// `module` (`sonata`, `h5`...).
    pub module: String,
    /// `input_file`, resolved.
    pub input_file: Option<PathBuf>,
    /// `file` (a current clamp's waveform), resolved.
    pub file: Option<PathBuf>,
    /// `node_set`.
    pub node_set: Option<String>,
    /// The whole entry (for module-specific keys such as `amp`).
    pub params: Value,
}

/// One entry of `reports` (BMTK's `membrane_report`).
#[derive(Clone, Debug, PartialEq)]
pub struct ReportEntry {
    /// Its key in `reports`.
    pub name: String,
    /// `module` (`membrane_report`).
    pub module: String,
    /// `cells`: a node set name, an inline node set, or `None` for every
    /// real cell.
    pub cells: Option<Value>,
    /// `variable_name` (`v`, `m_na_rtm`).
    pub variable: String,
    /// `sections`: `soma` (default) or `all`.
    pub sections: String,
    /// The report file: `file_name` (default `<name>.h5`) inside the output folder.
    pub file: PathBuf,
    /// `syn_type` of a `netcon_report`: the synapses whose mechanism name
    /// starts with it (every synapse when missing).
    pub syn_type: Option<String>,
}

/// A simulation config with its circuit.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationConfig {
    /// The file it was read from.
    pub path: PathBuf,
    /// `run.tstart` (ms).
    pub tstart: f64,
    /// `run.tstop` (ms).
    pub tstop: f64,
    /// `run.dt` (ms).
    pub dt: f64,
    /// `run.spike_threshold` (mV).
    pub spike_threshold: f64,
    /// `run.dL` (um), BMTK's target segment length: 20 when absent,
    /// `None` when `null` (the templates' `nseg` stay).
    pub dl: Option<f64>,
    /// `conditions.celsius` (degC).
    pub celsius: f64,
    /// `conditions.v_init` (mV).
    pub v_init: f64,
    /// The inputs, in file order.
    pub inputs: Vec<InputConfig>,
    /// `output.output_dir`, resolved.
    pub output_dir: PathBuf,
    /// `output.spikes_file` (relative to `output_dir`).
    pub spikes_file: String,
    /// `output.log_file`, resolved against `output_dir` as BMTK does.
    pub log_file: Option<PathBuf>,
    /// Compartment reports, in file order.
    pub reports: Vec<ReportEntry>,
    /// Node sets: name → the JSON object or list.
    pub node_sets: BTreeMap<String, Value>,
    /// The node sets file, if any.
    pub node_sets_file: Option<PathBuf>,
    /// The circuit.
    pub circuit: CircuitConfig,
    /// Warnings found while reading.
    pub warnings: Vec<Diagnostic>,
}

fn err(path: &Path, msg: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error("E1502", format!("`{}`: {msg}", path.display()))
}

fn read_json(path: &Path) -> Result<Value, Diagnostic> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error("E1501", format!("cannot read `{}`: {e}", path.display()))
    })?;
    serde_json::from_str(crate::io::strip_bom(&text))
        .map_err(|e| err(path, format!("not valid JSON: {e}")))
}

/// Manifest variables of a config, fully expanded.
struct Manifest {
    vars: BTreeMap<String, String>,
    dir: PathBuf,
}

impl Manifest {
    fn new(path: &Path, json: &Value) -> Result<Manifest, Diagnostic> {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        // `${configdir}` must expand to a path that stays right when joined
        // again, so it is made absolute (a relative config path given on the
        // command line would otherwise be applied twice).
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        let mut m = Manifest {
            vars: BTreeMap::new(),
            dir,
        };
        let mut raw: BTreeMap<String, String> = BTreeMap::new();
        if let Some(obj) = json.get("manifest").and_then(Value::as_object) {
            for (k, v) in obj {
                let Some(s) = v.as_str() else {
                    return Err(err(path, format!("manifest entry `{k}` is not a string")));
                };
                raw.insert(k.trim_start_matches('$').to_string(), s.to_string());
            }
        }
        // Each variable is expanded once, its references resolved first;
        // text substituted in (such as a folder with `$` in its name) is
        // never read again.
        let mut done = BTreeMap::new();
        for k in raw.keys() {
            let mut stack = Vec::new();
            m.resolve(k, &raw, &mut done, &mut stack)
                .map_err(|e| err(path, format!("manifest entry `${k}`: {e}")))?;
        }
        m.vars = done;
        Ok(m)
    }

    /// The value of manifest variable `name`, expanded (memoised in `done`).
    fn resolve(
        &self,
        name: &str,
        raw: &BTreeMap<String, String>,
        done: &mut BTreeMap<String, String>,
        stack: &mut Vec<String>,
    ) -> Result<String, String> {
        if let Some(v) = done.get(name) {
            return Ok(v.clone());
        }
        if stack.iter().any(|s| s == name) {
            stack.push(name.to_string());
            return Err(format!("circular variables: ${}", stack.join(" -> $")));
        }
        let Some(text) = raw.get(name) else {
            return Err(format!("unknown variable `${name}`"));
        };
        stack.push(name.to_string());
        let v = self.substitute(text, &mut |n: &str| self.resolve(n, raw, done, stack))?;
        stack.pop();
        done.insert(name.to_string(), v.clone());
        Ok(v)
    }

    /// `s` with every `$name` / `${name}` replaced by `lookup(name)`
    /// (`configdir` by the config's folder), in one pass.
    fn substitute(
        &self,
        s: &str,
        lookup: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<String, String> {
        /// Longest expansion accepted (a path never comes near it).
        const MAX_LEN: usize = 1 << 16;
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let (name, tail) = if let Some(b) = after.strip_prefix('{') {
                match b.find('}') {
                    Some(j) => (&b[..j], &b[j + 1..]),
                    None => (b, ""),
                }
            } else {
                let j = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..j], &after[j..])
            };
            if name == "configdir" {
                out.push_str(&self.dir.to_string_lossy());
            } else {
                out.push_str(&lookup(name)?);
            }
            if out.len() > MAX_LEN {
                return Err(format!("expands to more than {MAX_LEN} characters"));
            }
            rest = tail;
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Expands variables and makes a relative path relative to the config's folder.
    fn path(&self, cfg: &Path, s: &str) -> Result<PathBuf, Diagnostic> {
        let e = self
            .substitute(s, &mut |n: &str| {
                self.vars
                    .get(n)
                    .cloned()
                    .ok_or_else(|| format!("unknown manifest variable `${n}`"))
            })
            .map_err(|e| err(cfg, format!("`{s}`: {e}")))?;
        if e.is_empty() {
            return Err(err(cfg, "an empty path"));
        }
        let p = PathBuf::from(e);
        Ok(if p.is_relative() { self.dir.join(p) } else { p })
    }
}

/// "an array", "a number", ...: what a JSON value is, for messages.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON value as text for a message, cut to 60 characters.
fn shorten(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s,
    }
}

/// The keys a config may hold, with the JSON type each must have: a key of
/// another type is an error naming the key and what it holds, not a
/// setting silently ignored.
fn check_types(path: &Path, json: &Value) -> Result<(), Diagnostic> {
    type Is = fn(&Value) -> bool;
    let object: Is = Value::is_object;
    let text: Is = Value::is_string;
    let array: Is = Value::is_array;
    let number: Is = Value::is_number;
    let table: &[(&[&str], Is, &str)] = &[
        (&["manifest"], object, "an object"),
        (&["run"], object, "an object"),
        (&["run", "tstart"], number, "a number"),
        (&["run", "tstop"], number, "a number"),
        (&["run", "dt"], number, "a number"),
        (&["conditions"], object, "an object"),
        (&["inputs"], object, "an object"),
        (&["reports"], object, "an object"),
        (&["output"], object, "an object"),
        (&["output", "output_dir"], text, "a text"),
        (&["output", "spikes_file"], text, "a text"),
        (&["output", "log_file"], text, "a text"),
        (&["network"], text, "a text"),
        (&["node_sets_file"], text, "a text"),
        (&["node_sets"], object, "an object"),
        (&["networks"], object, "an object"),
        (&["networks", "nodes"], array, "an array"),
        (&["networks", "edges"], array, "an array"),
        (&["components"], object, "an object"),
        (&["components", "templates_dir"], text, "a text"),
        (&["components", "mechanisms_dir"], text, "a text"),
        (&["components", "synaptic_models_dir"], text, "a text"),
        (&["components", "morphologies_dir"], text, "a text"),
        (
            &["components", "biophysical_neuron_models_dir"],
            text,
            "a text",
        ),
        (&["components", "point_neuron_models_dir"], text, "a text"),
    ];
    // `nodes` and `edges` belong under `networks`; at the top level nothing
    // reads them, and the network would silently lose its files.
    for key in ["nodes", "edges"] {
        if let Some(v) = json.get(key) {
            return Err(err(
                path,
                format!(
                    "`{key}` at the top level is not read (it is {}: `{}`); the circuit lists its {key} in `networks.{key}`, an array of {{ \"{key}_file\": ..., \"{}_types_file\": ... }}",
                    json_kind(v),
                    shorten(v),
                    key.trim_end_matches('s')
                ),
            ));
        }
    }
    for (keys, is, want) in table {
        let mut v = json;
        let mut found = true;
        for k in *keys {
            match v.get(k) {
                Some(x) => v = x,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if found && !is(v) {
            return Err(err(
                path,
                format!(
                    "`{}` must be {want}, but is {} (`{}`)",
                    keys.join("."),
                    json_kind(v),
                    shorten(v)
                ),
            ));
        }
    }
    for (section, what) in [("inputs", "an input"), ("reports", "a report")] {
        if let Some(obj) = json.get(section).and_then(Value::as_object) {
            for (name, v) in obj {
                if !v.is_object() {
                    return Err(err(
                        path,
                        format!(
                            "`{section}.{name}` must be an object describing {what}, but is {}",
                            json_kind(v)
                        ),
                    ));
                }
                let texts: &[&str] = if section == "inputs" {
                    &["input_type", "module", "input_file", "node_set"]
                } else {
                    &["module", "variable_name", "file_name", "sections"]
                };
                for k in texts {
                    if let Some(x) = v.get(k)
                        && !x.is_string()
                    {
                        return Err(err(
                            path,
                            format!(
                                "`{section}.{name}.{k}` must be a text, but is {} (`{}`)",
                                json_kind(x),
                                shorten(x)
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn string_at<'a>(json: &'a Value, keys: &[&str]) -> Option<&'a str> {
    let mut v = json;
    for k in keys {
        v = v.get(k)?;
    }
    v.as_str()
}

fn number_at(cfg: &Path, json: &Value, keys: &[&str]) -> Result<Option<f64>, Diagnostic> {
    let mut v = json;
    for k in keys {
        match v.get(k) {
            Some(x) => v = x,
            None => return Ok(None),
        }
    }
    v.as_f64()
        .map(Some)
        .ok_or_else(|| err(cfg, format!("`{}` is `{v}`, not a number", keys.join("."))))
}

/// Reads the circuit part of `json` (a circuit config or a merged config).
fn circuit_from(path: &Path, json: &Value) -> Result<CircuitConfig, Diagnostic> {
    let m = Manifest::new(path, json)?;
    let comp = |k: &str| -> Result<Option<PathBuf>, Diagnostic> {
        match string_at(json, &["components", k]) {
            Some(s) => m.path(path, s).map(Some),
            None => Ok(None),
        }
    };
    let mut c = CircuitConfig {
        path: path.to_path_buf(),
        templates_dir: comp("templates_dir")?,
        mechanisms_dir: comp("mechanisms_dir")?,
        synaptic_models_dir: comp("synaptic_models_dir")?,
        morphologies_dir: comp("morphologies_dir")?,
        biophysical_neuron_models_dir: comp("biophysical_neuron_models_dir")?,
        point_neuron_models_dir: comp("point_neuron_models_dir")?,
        ..CircuitConfig::default()
    };
    for (kind, file_key, types_key) in [
        ("nodes", "nodes_file", "node_types_file"),
        ("edges", "edges_file", "edge_types_file"),
    ] {
        let list = json
            .get("networks")
            .and_then(|n| n.get(kind))
            .and_then(Value::as_array);
        for (i, entry) in list.into_iter().flatten().enumerate() {
            if !entry.is_object() {
                return Err(err(
                    path,
                    format!(
                        "`networks.{kind}[{i}]` must be an object with `{file_key}` and `{types_key}`, but is {} (`{}`)",
                        json_kind(entry),
                        shorten(entry)
                    ),
                ));
            }
            for k in [file_key, types_key] {
                if let Some(x) = entry.get(k)
                    && !x.is_string()
                {
                    return Err(err(
                        path,
                        format!(
                            "`networks.{kind}[{i}].{k}` must be a text, but is {} (`{}`)",
                            json_kind(x),
                            shorten(x)
                        ),
                    ));
                }
            }
            let f = entry
                .get(file_key)
                .and_then(Value::as_str)
                .ok_or_else(|| err(path, format!("networks.{kind}[{i}] has no `{file_key}`")))?;
            let t = entry
                .get(types_key)
                .and_then(Value::as_str)
                .ok_or_else(|| err(path, format!("networks.{kind}[{i}] has no `{types_key}`")))?;
            let pair = (m.path(path, f)?, m.path(path, t)?);
            if kind == "nodes" {
                c.nodes.push(pair);
            } else {
                c.edges.push(pair);
            }
        }
    }
    Ok(c)
}

/// Reads a simulation config (and the circuit config it names, or the
/// circuit part of the same file).
pub fn load(path: &Path) -> Result<SimulationConfig, Diagnostic> {
    let json = read_json(path)?;
    if !json.is_object() {
        return Err(err(
            path,
            format!(
                "a simulation config is a JSON object (`{{ \"run\": ..., \"network\": ... }}`), not {}",
                json_kind(&json)
            ),
        ));
    }
    check_types(path, &json)?;
    let m = Manifest::new(path, &json)?;
    let mut warnings = Vec::new();
    let circuit = match string_at(&json, &["network"]) {
        Some(s) => {
            let cpath = m.path(path, s)?;
            let cjson = read_json(&cpath)?;
            if !cjson.is_object() {
                return Err(err(
                    &cpath,
                    format!(
                        "a circuit config is a JSON object, not {}",
                        json_kind(&cjson)
                    ),
                ));
            }
            check_types(&cpath, &cjson)?;
            circuit_from(&cpath, &cjson)?
        }
        None => circuit_from(path, &json)?,
    };
    if circuit.nodes.is_empty() {
        return Err(err(path, "the circuit lists no nodes (`networks.nodes`)"));
    }
    let num = |keys: &[&str], default: f64, warn: &mut Vec<Diagnostic>| {
        number_at(path, &json, keys).map(|v| {
            v.unwrap_or_else(|| {
                warn.push(Diagnostic::warning(
                    "W1501",
                    format!(
                        "`{}` has no `{}`; using {default}",
                        path.display(),
                        keys.join(".")
                    ),
                ));
                default
            })
        })
    };
    let tstart = number_at(path, &json, &["run", "tstart"])?.unwrap_or(0.0);
    let tstop = num(&["run", "tstop"], 1000.0, &mut warnings)?;
    if tstop <= tstart || tstop.is_nan() {
        return Err(err(
            path,
            format!("`run.tstop` ({tstop} ms) must be later than `run.tstart` ({tstart} ms)"),
        ));
    }
    let dt = num(&["run", "dt"], 0.025, &mut warnings)?;
    let spike_threshold = num(&["run", "spike_threshold"], -15.0, &mut warnings)?;
    let dl = match json.get("run").and_then(|r| r.get("dL")) {
        Some(Value::Null) => None,
        Some(_) => number_at(path, &json, &["run", "dL"])?,
        None => Some(20.0),
    };
    let celsius = num(&["conditions", "celsius"], 34.0, &mut warnings)?;
    let v_init = num(&["conditions", "v_init"], -80.0, &mut warnings)?;
    let mut inputs = Vec::new();
    if let Some(obj) = json.get("inputs").and_then(Value::as_object) {
        for (name, v) in obj {
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            inputs.push(InputConfig {
                name: name.clone(),
                input_type: s("input_type").unwrap_or_default(),
                module: s("module").unwrap_or_default(),
                input_file: match v.get("input_file").and_then(Value::as_str) {
                    Some(f) => Some(m.path(path, f)?),
                    None => None,
                },
                file: match v.get("file").and_then(Value::as_str) {
                    Some(f) => Some(m.path(path, f)?),
                    None => None,
                },
                node_set: s("node_set"),
                params: v.clone(),
            });
        }
    }
    let output_dir = match string_at(&json, &["output", "output_dir"]) {
        Some(s) => m.path(path, s)?,
        None => m.dir.join("output"),
    };
    let spikes_file = string_at(&json, &["output", "spikes_file"])
        .unwrap_or("spikes.h5")
        .to_string();
    // BMTK reads a relative log file and report file inside output_dir.
    let in_output = |f: &str| -> Result<PathBuf, Diagnostic> {
        let e = m
            .substitute(f, &mut |n: &str| {
                m.vars
                    .get(n)
                    .cloned()
                    .ok_or_else(|| format!("unknown manifest variable `${n}`"))
            })
            .map_err(|e| err(path, format!("`{f}`: {e}")))?;
        if e.trim().is_empty() {
            return Err(err(path, "an output file name is empty"));
        }
        let e = PathBuf::from(e);
        Ok(if e.is_relative() {
            output_dir.join(e)
        } else {
            e
        })
    };
    if spikes_file.trim().is_empty() {
        return Err(err(path, "`output.spikes_file` is empty"));
    }
    let log_file = string_at(&json, &["output", "log_file"])
        .map(in_output)
        .transpose()?;
    let mut reports = Vec::new();
    if let Some(obj) = json.get("reports").and_then(Value::as_object) {
        for (name, v) in obj {
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            let Some(variable) = s("variable_name") else {
                return Err(err(path, format!("report `{name}` has no `variable_name`")));
            };
            let file_name = s("file_name").unwrap_or_else(|| format!("{name}.h5"));
            let file = in_output(&file_name)?;
            reports.push(ReportEntry {
                name: name.clone(),
                module: s("module").unwrap_or_else(|| "membrane_report".into()),
                cells: v.get("cells").cloned(),
                variable,
                sections: s("sections").unwrap_or_else(|| "soma".into()),
                file,
                syn_type: s("syn_type"),
            });
        }
    }
    let mut node_sets = BTreeMap::new();
    let node_sets_file = match string_at(&json, &["node_sets_file"]) {
        Some(s) => Some(m.path(path, s)?),
        None => None,
    };
    if let Some(f) = &node_sets_file {
        let ns = read_json(f)?;
        let Some(obj) = ns.as_object() else {
            return Err(err(f, "node sets must be a JSON object"));
        };
        node_sets.extend(obj.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if let Some(obj) = json.get("node_sets").and_then(Value::as_object) {
        node_sets.extend(obj.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Ok(SimulationConfig {
        path: path.to_path_buf(),
        tstart,
        tstop,
        dt,
        spike_threshold,
        dl,
        celsius,
        v_init,
        inputs,
        output_dir,
        spikes_file,
        log_file,
        reports,
        node_sets,
        node_sets_file,
        circuit,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_manifest_variables() {
        let json: Value = serde_json::json!({
            "manifest": {"$BASE_DIR": "${configdir}", "$NET": "$BASE_DIR/network"}
        });
        let m = Manifest::new(Path::new("/a/b/config.json"), &json).unwrap();
        assert_eq!(
            m.path(Path::new("x"), "$NET/n.h5").unwrap(),
            PathBuf::from("/a/b/network/n.h5")
        );
        assert_eq!(
            m.path(Path::new("x"), "rel/f.h5").unwrap(),
            PathBuf::from("/a/b/rel/f.h5")
        );
        assert!(m.path(Path::new("x"), "$NOPE/f").is_err());
    }
}
