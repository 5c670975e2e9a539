//! `nmc lsp` as an editor runs it: a child process spoken to in JSON-RPC
//! with Content-Length framing. Covers the lifecycle, diagnostics with
//! exact UTF-16 ranges, hover, definition, completion, document symbols,
//! NDL files checked against the `.mod` files they use, the time to the
//! first diagnostics, and a stream of hostile messages.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

struct Client {
    child: Child,
    /// Reads what the server writes on stderr (a panic would show there).
    stderr: Option<std::thread::JoinHandle<String>>,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        Client::start_with(&[])
    }

    /// A server with extra environment variables.
    fn start_with(env: &[(&str, &str)]) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nmc"))
            .arg("lsp")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nmc lsp");
        let stderr = child.stderr.take().map(|mut err| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = err.read_to_string(&mut text);
                text
            })
        });
        let stdout = child.stdout.take().expect("stdout");
        let stdin = child.stdin.take();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("server sent a Content-Length")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("server sent JSON");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stderr,
            stdin,
            rx,
            next_id: 1,
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        self.raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.response(json!(id))
    }

    /// The next message for which `pred` holds (others are dropped).
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("no {what} within {WAIT:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("server closed before {what}"),
            }
        }
    }

    fn response(&mut self, id: Value) -> Value {
        self.wait_for(&format!("response {id}"), |v| {
            v.get("id") == Some(&id) && v.get("method").is_none()
        })
    }

    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let v = self.wait_for(&format!("diagnostics for {uri}"), |v| {
            v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == uri
        });
        v["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn initialize(&mut self) -> Value {
        let r = self.request("initialize", json!({"capabilities": {}}));
        self.notify("initialized", json!({}));
        r
    }

    fn open(&mut self, uri: &str, lang: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": lang, "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"text": text}]}),
        );
    }

    /// shutdown, exit, and the exit status.
    fn finish(mut self) -> Option<i32> {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null, "{r}");
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        self.stdin = None;
        self.exit_status()
    }

    /// shutdown, exit, and what the server wrote on stderr.
    fn finish_with_stderr(mut self) -> String {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        self.stdin = None;
        let deadline = Instant::now() + WAIT;
        while !matches!(self.child.try_wait(), Ok(Some(_))) {
            assert!(Instant::now() < deadline, "nmc lsp did not exit");
            std::thread::sleep(Duration::from_millis(5));
        }
        self.stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }

    /// Waits for the server to exit; it must not have panicked.
    fn exit_status(&mut self) -> Option<i32> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                let err = self
                    .stderr
                    .take()
                    .and_then(|h| h.join().ok())
                    .unwrap_or_default();
                assert!(!err.contains("panicked"), "the server panicked:\n{err}");
                return s.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("nmc lsp did not exit");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn pos(line: u64, character: u64) -> Value {
    json!({"line": line, "character": character})
}

fn range(l0: u64, c0: u64, l1: u64, c1: u64) -> Value {
    json!({"start": pos(l0, c0), "end": pos(l1, c1)})
}

fn at(uri: &str, line: u64, character: u64) -> Value {
    json!({"textDocument": {"uri": uri}, "position": pos(line, character)})
}

/// A `.mod` file with exactly five errors (no warnings).
const FIVE: &str = ": Five errors; the comment has non-ASCII text: résumé 🧠 神经
NEURON {
    SUFFIX five
    NONSPECIFIC_CURRENT i
    RANGE gbar
}
PARAMETER {
    gbar = 0.001 (S/cm2)
}
ASSIGNED {
    v (mV)
    i (mA/cm2)
}
BREAKPOINT {
    SOLVE nothing METHOD cnexp
    i = gbar * (v - eleak) * exp(1, 2)
    i = i + undefined_x
}
PROCEDURE p() {
    LOCAL a, a
    a = 1
}
";

/// The same mechanism with every error fixed.
const FIXED: &str = ": Five errors fixed: résumé 🧠 神经
NEURON {
    SUFFIX five
    NONSPECIFIC_CURRENT i
    RANGE gbar
}
PARAMETER {
    gbar = 0.001 (S/cm2)
    eleak = -70 (mV)
}
ASSIGNED {
    v (mV)
    i (mA/cm2)
}
BREAKPOINT {
    i = gbar * (v - eleak) * exp(1)
    i = i + rate(v)
}
FUNCTION rate(x (mV)) {
    LOCAL a
    a = x
    rate = a
}
";

#[test]
fn lifecycle_diagnostics_hover_definition_completion_symbols() {
    let mut c = Client::start();
    let init = c.initialize();
    let caps = &init["result"]["capabilities"];
    assert_eq!(caps["hoverProvider"], true, "{init}");
    assert_eq!(caps["definitionProvider"], true);
    assert_eq!(caps["documentSymbolProvider"], true);
    assert_eq!(caps["textDocumentSync"]["change"], 1, "full sync");

    let uri = "file:///tmp/nmc-lsp-test/five.mod";
    c.open(uri, "nmodl", FIVE);
    let diags = c.diagnostics(uri);
    let got: Vec<(String, Value)> = diags
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["range"].clone(),
            )
        })
        .collect();
    let want = vec![
        ("E0301".to_string(), range(14, 10, 14, 17)),
        ("E0201".to_string(), range(15, 20, 15, 25)),
        ("E0304".to_string(), range(15, 29, 15, 38)),
        ("E0201".to_string(), range(16, 12, 16, 23)),
        ("E0203".to_string(), range(19, 13, 19, 14)),
    ];
    assert_eq!(got, want, "{diags:#?}");
    for d in &diags {
        assert_eq!(d["severity"], 1);
        assert_eq!(d["source"], "nmc");
    }
    // The message, label and help `nmc check` prints.
    assert_eq!(
        diags[1]["message"],
        "undefined name `eleak`\nnot declared anywhere in this file\nhelp: declare `eleak` in PARAMETER or ASSIGNED, or as a LOCAL in this block"
    );
    // A two-span diagnostic carries the other span as related information.
    let related = &diags[4]["relatedInformation"];
    assert_eq!(related[0]["location"]["uri"], uri, "{related}");
    assert_eq!(related[0]["location"]["range"], range(19, 10, 19, 11));
    assert_eq!(related[0]["message"], "first declared here");

    // Fixing the file clears them.
    c.change(uri, 2, FIXED);
    assert!(c.diagnostics(uri).is_empty());

    // Hover on `gbar` in BREAKPOINT (line 15: `    i = gbar * ...`).
    let h = c.request("textDocument/hover", at(uri, 15, 10));
    let text = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(text.contains("gbar = 0.001 (S/cm2)"), "{text}");
    assert!(text.contains("PARAMETER, RANGE"), "{text}");
    assert!(text.contains("unit: `S/cm2`"), "{text}");
    assert!(text.contains("default: `0.001`"), "{text}");
    assert_eq!(h["result"]["range"], range(15, 8, 15, 12));
    // Hover on an argument: its unit and owner.
    let h = c.request("textDocument/hover", at(uri, 20, 8));
    let text = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        text.contains("x (mV)") && text.contains("FUNCTION rate"),
        "{text}"
    );
    // Hover on nothing.
    let h = c.request("textDocument/hover", at(uri, 0, 0));
    assert_eq!(h["result"], Value::Null, "{h}");

    // Definition: `eleak` in BREAKPOINT → its PARAMETER line.
    let d = c.request("textDocument/definition", at(uri, 15, 22));
    assert_eq!(d["result"]["uri"], uri, "{d}");
    assert_eq!(d["result"]["range"], range(8, 4, 8, 9));
    // `a` in `rate = a` → the LOCAL.
    let d = c.request("textDocument/definition", at(uri, 21, 11));
    assert_eq!(d["result"]["range"], range(19, 10, 19, 11), "{d}");
    // `rate(v)` → the FUNCTION's name.
    let d = c.request("textDocument/definition", at(uri, 16, 13));
    assert_eq!(d["result"]["range"], range(18, 9, 18, 13), "{d}");

    // Completion: block keywords at the top level, names inside code.
    let labels = |v: &Value| -> Vec<String> {
        v["result"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["label"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let top = labels(&c.request("textDocument/completion", at(uri, 23, 0)));
    assert!(top.contains(&"BREAKPOINT".to_string()), "{top:?}");
    assert!(!top.contains(&"gbar".to_string()));
    let inside = labels(&c.request("textDocument/completion", at(uri, 21, 4)));
    for want in ["gbar", "eleak", "a", "x", "rate", "LOCAL", "exp", "v"] {
        assert!(
            inside.contains(&want.to_string()),
            "{want} not in {inside:?}"
        );
    }
    let neuron = labels(&c.request("textDocument/completion", at(uri, 2, 4)));
    assert!(neuron.contains(&"USEION".to_string()), "{neuron:?}");

    // Document symbols: the blocks, with declarations under PARAMETER.
    let s = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let syms = s["result"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = syms.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        vec!["NEURON", "PARAMETER", "ASSIGNED", "BREAKPOINT", "rate"],
        "{s}"
    );
    let params: Vec<&str> = syms[1]["children"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(params, vec!["gbar", "eleak"]);
    assert_eq!(syms[4]["kind"], 12, "FUNCTION is a Function symbol");
    assert_eq!(syms[4]["selectionRange"], range(18, 9, 18, 13));

    assert_eq!(c.finish(), Some(0));
}

#[test]
fn five_errors_are_published_within_50_ms_of_did_open() {
    let mut c = Client::start();
    c.initialize();
    let mut times = Vec::new();
    for k in 0..7 {
        let uri = format!("file:///tmp/nmc-lsp-timing/five{k}.mod");
        let start = Instant::now();
        c.open(&uri, "nmodl", FIVE);
        let n = c.diagnostics(&uri).len();
        times.push(start.elapsed());
        assert_eq!(n, 5);
    }
    times.sort();
    let median = times[times.len() / 2];
    eprintln!(
        "didOpen → 5 diagnostics: median {:.2} ms, min {:.2} ms, max {:.2} ms",
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
    assert!(median < Duration::from_millis(50), "median {median:?}");

    // An NDL file: the first check builds the catalogue of its mechanisms
    // folder (the 15 project models); later edits reuse it.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cells/rtm_iclamp.ndl");
    let text = std::fs::read_to_string(&path).expect("read ndl");
    let uri = file_uri(&path);
    let start = Instant::now();
    c.open(&uri, "ndl", &text);
    assert!(c.diagnostics(&uri).is_empty());
    let first = start.elapsed();
    let mut edits = Vec::new();
    for v in 2..9 {
        let start = Instant::now();
        c.change(&uri, v, &format!("{text}\n// edit {v}\n"));
        assert!(c.diagnostics(&uri).is_empty());
        edits.push(start.elapsed());
    }
    edits.sort();
    eprintln!(
        "rtm_iclamp.ndl: first didOpen {:.1} ms, edits median {:.2} ms",
        first.as_secs_f64() * 1e3,
        edits[edits.len() / 2].as_secs_f64() * 1e3
    );
    assert_eq!(c.finish(), Some(0));
}

/// A fresh folder under the system temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nmc-lsp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("mods")).expect("temp dir");
    d
}

fn file_uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

const LEAKY: &str = "NEURON {
    SUFFIX leaky
    NONSPECIFIC_CURRENT i
    RANGE g, e
}
PARAMETER {
    g = 0.001 (S/cm2)
    e = -70 (mV)
}
ASSIGNED {
    v (mV)
    i (mA/cm2)
}
BREAKPOINT {
    i = g * (v - e)
}
";

const NET: &str = "// a net with non-ASCII: é 🧠 神经
network n
mechanisms \"mods\"
cell C {
  section soma { L = 10 um; diam = 10 um }
  insert leaky { g = 1e-4 S/cm2; e = -65 mV }
}
population P = 2 of C
run { tstop = 10 ms }
output { dir = \"sortie_é🧠\"; report r { cells = Q; variable = v } }
";

#[test]
fn ndl_is_checked_against_the_mod_files_it_uses() {
    let dir = temp_dir("ndl");
    let mod_path = dir.join("mods/leaky.mod");
    std::fs::write(&mod_path, LEAKY).expect("write mod");
    let ndl_path = dir.join("net.ndl");
    std::fs::write(&ndl_path, NET).expect("write ndl");
    let (mod_uri, ndl_uri) = (file_uri(&mod_path), file_uri(&ndl_path));

    let mut c = Client::start();
    c.initialize();
    c.open(&ndl_uri, "ndl", NET);
    let d = c.diagnostics(&ndl_uri);
    // Only the unknown population, on a line after non-ASCII text:
    // `é` is one UTF-16 unit, `🧠` two.
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0]["code"], "E1204");
    assert_eq!(d[0]["range"], range(9, 48, 9, 49));

    // Hover on the mechanism lists its parameters with units.
    let h = c.request("textDocument/hover", at(&ndl_uri, 5, 10));
    let text = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(text.contains("| `g` | S/cm2 | 0.001 |"), "{text}");
    assert!(text.contains("| `e` | mV | -70 |"), "{text}");
    // Definition of the mechanism: its SUFFIX in the .mod file.
    let def = c.request("textDocument/definition", at(&ndl_uri, 5, 10));
    assert_eq!(def["result"]["uri"], mod_uri.as_str(), "{def}");
    assert_eq!(def["result"]["range"], range(1, 11, 1, 16));
    // Definition of a parameter: its declaration.
    let def = c.request("textDocument/definition", at(&ndl_uri, 5, 33));
    assert_eq!(def["result"]["range"], range(7, 4, 7, 5), "{def}");
    // Definition of the cell type used by the population.
    let def = c.request("textDocument/definition", at(&ndl_uri, 7, 20));
    assert_eq!(def["result"]["range"], range(3, 5, 3, 6), "{def}");
    // Completion in the insert block: the mechanism's parameters.
    let comp = c.request("textDocument/completion", at(&ndl_uri, 5, 16));
    let labels: Vec<&str> = comp["result"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["label"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(labels, vec!["g", "e"], "{comp}");
    // After `insert `: the density mechanisms, NEURON's built-ins (in
    // their order) then the folder's.
    let comp = c.request("textDocument/completion", at(&ndl_uri, 5, 9));
    let labels: Vec<&str> = comp["result"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["label"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(labels, vec!["pas", "hh", "leaky"], "{comp}");
    // Symbols: the cell with its section, the population, run, output.
    let s = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": ndl_uri}}),
    );
    let names: Vec<&str> = s["result"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["n", "C", "P", "run", "output"], "{s}");

    // Editing the open .mod file (unsaved) re-checks the NDL file: the
    // parameter `e` is renamed, so `e = -65 mV` is now unknown.
    c.open(&mod_uri, "nmodl", LEAKY);
    assert!(c.diagnostics(&mod_uri).is_empty());
    let renamed = LEAKY
        .replace("e = -70", "erev = -70")
        .replace("RANGE g, e", "RANGE g, erev")
        .replace("(v - e)", "(v - erev)");
    c.change(&mod_uri, 2, &renamed);
    assert!(c.diagnostics(&mod_uri).is_empty());
    let d = c.diagnostics(&ndl_uri);
    let codes: Vec<&str> = d.iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, vec!["E1203", "E1204"], "{d:#?}");
    assert_eq!(d[0]["range"], range(5, 33, 5, 34));
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("`leaky` has no parameter `e`")
    );
    // Closing the buffer goes back to the file on disk.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": mod_uri}}),
    );
    assert!(c.diagnostics(&mod_uri).is_empty());
    assert_eq!(c.diagnostics(&ndl_uri).len(), 1);
    // A change on disk, reported by the client's file watcher.
    std::fs::write(&mod_path, &renamed).expect("rewrite mod");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": mod_uri, "type": 2}]}),
    );
    assert_eq!(c.diagnostics(&ndl_uri).len(), 2);

    // A cell type from a `use`d file: definition goes to that file.
    let cells_path = dir.join("cells.ndl");
    let cells = "// shared cells\ncell D {\n  section soma { L = 10 um; diam = 10 um }\n}\n";
    std::fs::write(&cells_path, cells).expect("write cells");
    let net2 =
        "mechanisms \"mods\"\nuse \"cells.ndl\"\npopulation Q = 1 of D\nrun { tstop = 1 ms }\n";
    let net2_path = dir.join("net2.ndl");
    std::fs::write(&net2_path, net2).expect("write net2");
    let net2_uri = file_uri(&net2_path);
    c.open(&net2_uri, "ndl", net2);
    assert!(c.diagnostics(&net2_uri).is_empty());
    let def = c.request("textDocument/definition", at(&net2_uri, 2, 20));
    assert_eq!(
        def["result"]["uri"],
        file_uri(&cells_path).as_str(),
        "{def}"
    );
    assert_eq!(def["result"]["range"], range(1, 5, 1, 6));
    let h = c.request("textDocument/hover", at(&net2_uri, 2, 20));
    let text = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        text.contains("cell type **D**") && text.contains("sections: soma"),
        "{text}"
    );

    // A name declared in an INCLUDEd file: definition goes there.
    let inc_path = dir.join("shared.inc");
    std::fs::write(&inc_path, "PARAMETER {\n    gk = 0.036 (S/cm2)\n}\n").expect("write inc");
    let main_text = "NEURON {\n    SUFFIX withinc\n    RANGE gk\n}\nINCLUDE \"shared.inc\"\nASSIGNED { g (S/cm2) }\nBREAKPOINT {\n    g = gk\n}\n";
    let main_path = dir.join("withinc.mod");
    std::fs::write(&main_path, main_text).expect("write mod");
    let main_uri = file_uri(&main_path);
    c.open(&main_uri, "nmodl", main_text);
    assert!(c.diagnostics(&main_uri).is_empty());
    let def = c.request("textDocument/definition", at(&main_uri, 7, 9));
    assert_eq!(def["result"]["uri"], file_uri(&inc_path).as_str(), "{def}");
    assert_eq!(def["result"]["range"], range(1, 4, 1, 6));
    let h = c.request("textDocument/hover", at(&main_uri, 7, 9));
    let text = h["result"]["contents"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        text.contains("gk = 0.036 (S/cm2)") && text.contains("RANGE"),
        "{text}"
    );
    // Its outline holds its own blocks only.
    let s = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": main_uri}}),
    );
    let names: Vec<&str> = s["result"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        vec!["NEURON", "INCLUDE \"shared.inc\"", "ASSIGNED", "BREAKPOINT"],
        "{s}"
    );
    // An error inside an INCLUDEd file: shown on the INCLUDE, located in
    // the file by the related information.
    let bad_path = dir.join("bad.inc");
    std::fs::write(&bad_path, "PROCEDURE q() {\n    y = 1\n}\n").expect("write inc");
    let with_bad = main_text
        .replace("shared.inc", "bad.inc")
        .replace("RANGE gk", "RANGE g")
        .replace("g = gk", "g = 1");
    c.change(&main_uri, 2, &with_bad);
    let d = c.diagnostics(&main_uri);
    let undefined: Vec<&Value> = d.iter().filter(|d| d["code"] == "E0201").collect();
    assert_eq!(undefined.len(), 1, "{d:#?}");
    assert_eq!(undefined[0]["range"], range(4, 0, 4, 17), "{d:#?}");
    let rel = &undefined[0]["relatedInformation"][0]["location"];
    assert_eq!(rel["uri"], file_uri(&bad_path).as_str(), "{d:#?}");
    assert_eq!(rel["range"], range(1, 4, 1, 5), "{d:#?}");

    assert_eq!(c.finish(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small deterministic generator for the random bytes.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn error_code(v: &Value) -> i64 {
    v["error"]["code"].as_i64().unwrap_or(0)
}

#[test]
fn hostile_messages_get_errors_and_the_server_keeps_serving() {
    let mut c = Client::start();
    let uri = "file:///tmp/nmc-lsp-hostile/h.mod";

    // Before initialize: requests are refused, notifications dropped.
    let r = c.request("textDocument/hover", at(uri, 0, 0));
    assert_eq!(error_code(&r), -32002, "{r}");
    c.open(uri, "nmodl", FIVE);
    // initialize with bad params: InvalidParams, still uninitialized.
    let r = c.request("initialize", json!(5));
    assert_eq!(error_code(&r), -32602, "{r}");
    let r = c.request("shutdown", Value::Null);
    assert_eq!(error_code(&r), -32002, "{r}");
    let r = c.initialize();
    assert!(r["result"]["capabilities"].is_object(), "{r}");
    let r = c.request("initialize", json!({"capabilities": {}}));
    assert_eq!(error_code(&r), -32600, "second initialize: {r}");

    // Invalid JSON with a correct length: a parse error with a null id.
    c.raw(b"Content-Length: 9\r\n\r\n{\"id\": 1,");
    let r = c.response(Value::Null);
    assert_eq!(error_code(&r), -32700, "{r}");
    // JSON that is not a request object.
    c.send(json!([1, 2, 3]));
    assert_eq!(error_code(&c.response(Value::Null)), -32600);
    c.send(json!({"id": {"no": 1}, "method": "textDocument/hover"}));
    assert_eq!(error_code(&c.response(Value::Null)), -32600);
    c.send(json!({"jsonrpc": "2.0", "id": 77}));
    assert_eq!(error_code(&c.response(json!(77))), -32600);
    // Unknown method, string id.
    c.send(json!({"jsonrpc": "2.0", "id": "abc", "method": "nmc/doesNotExist", "params": {}}));
    assert_eq!(error_code(&c.response(json!("abc"))), -32601);
    // Bad params for known methods.
    for (method, params) in [
        ("textDocument/hover", json!({"textDocument": 3})),
        ("textDocument/definition", json!(null)),
        ("textDocument/completion", json!({"position": "x"})),
        ("textDocument/documentSymbol", json!([])),
    ] {
        let r = c.request(method, params);
        assert_eq!(error_code(&r), -32602, "{method}: {r}");
    }
    // Notifications with bad params and unknown notifications: no answer, no crash.
    c.notify("textDocument/didOpen", json!({"textDocument": {"uri": 5}}));
    c.notify("textDocument/didChange", json!({"contentChanges": "x"}));
    c.notify("nmc/unknownNotification", json!({}));
    c.notify("$/cancelRequest", json!({"id": 1}));
    // Positions far outside the text, on a document not open, and an
    // incremental change with a range past the end.
    c.open(uri, "nmodl", FIVE);
    assert_eq!(c.diagnostics(uri).len(), 5);
    let r = c.request("textDocument/hover", at(uri, 1 << 30, 1 << 30));
    assert!(r.get("error").is_none(), "{r}");
    let r = c.request("textDocument/completion", at(uri, 9999, 3));
    assert!(r["result"].is_array(), "{r}");
    let r = c.request("textDocument/hover", at("file:///not/open.mod", 0, 0));
    assert_eq!(r["result"], Value::Null, "{r}");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3},
               "contentChanges": [{"range": range(500, 0, 900, 9), "text": "\n: 🧠"}]}),
    );
    assert_eq!(c.diagnostics(uri).len(), 5);

    // Truncated and random byte streams, then valid requests.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..40 {
        match round % 4 {
            0 => {
                // A body shorter than its Content-Length says: the server
                // reads the next bytes as part of it (a parse error).
                let body = br#"{"jsonrpc":"2.0","id":5,"method":"textDocument/hov"#;
                let mut m = format!("Content-Length: {}\r\n\r\n", body.len() + 20).into_bytes();
                m.extend_from_slice(body);
                m.extend_from_slice(&[b' '; 20]);
                c.raw(&m);
            }
            1 => {
                // A body longer than its Content-Length says.
                let body = br#"{"jsonrpc":"2.0","id":6,"method":"shutdown"}"#;
                let mut m = b"Content-Length: 10\r\n\r\n".to_vec();
                m.extend_from_slice(body);
                c.raw(&m);
            }
            2 => {
                let n = 1 + (xorshift(&mut seed) % 300) as usize;
                let bytes: Vec<u8> = (0..n).map(|_| xorshift(&mut seed) as u8).collect();
                c.raw(&bytes);
                c.raw(b"\r\n");
            }
            _ => {
                c.raw(b"Content-Length: 99999999999999\r\n\r\n");
                c.raw(b"Content-Type: nothing\r\n\r\nContent-Length: x\r\n\r\n");
            }
        }
        // The server still answers a valid request after each.
        let r = c.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        );
        assert!(r["result"].is_array(), "round {round}: {r}");
    }
    // The id-6 shutdown above was cut to 10 bytes, so the server is still running.
    let r = c.request("textDocument/hover", at(uri, 7, 5));
    assert!(
        r["result"]["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("gbar"),
        "{r}"
    );
    assert_eq!(c.finish(), Some(0));
}

#[test]
fn requests_after_shutdown_are_refused_and_exit_without_shutdown_fails() {
    let mut c = Client::start();
    c.initialize();
    let r = c.request("shutdown", Value::Null);
    assert_eq!(r["result"], Value::Null);
    let r = c.request("textDocument/hover", at("file:///x.mod", 0, 0));
    assert_eq!(error_code(&r), -32600, "{r}");
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_status(), Some(0));

    let mut c = Client::start();
    c.initialize();
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_status(), Some(1));

    // End of input without exit.
    let mut c = Client::start();
    c.initialize();
    c.stdin = None;
    assert_eq!(c.exit_status(), Some(1));
}

/// Lines of the server's check trace (`NMC_LSP_TRACE`) about `uri`.
fn checks_of<'a>(trace: &'a str, uri: &str) -> Vec<&'a str> {
    trace
        .lines()
        .filter(|l| l.starts_with("nmc lsp: checked ") && l.contains(&format!("{uri} version")))
        .collect()
}

#[test]
fn a_burst_of_changes_is_checked_once() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cells/rtm_iclamp.ndl");
    let text = std::fs::read_to_string(&path).expect("read ndl");
    let uri = file_uri(&path);
    let mut c = Client::start_with(&[("NMC_LSP_TRACE", "1")]);
    c.initialize();
    c.open(&uri, "ndl", &text);
    assert!(c.diagnostics(&uri).is_empty());
    // Forty keystrokes, as fast as the pipe takes them.
    for v in 2..=41 {
        c.change(&uri, v, &format!("{text}\n// edit {v}\n"));
    }
    let published = c.wait_for("diagnostics after the burst", |v| {
        v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == uri.as_str()
    });
    assert_eq!(published["params"]["version"], 41, "{published}");
    // Nothing else is published for it.
    let quiet = Instant::now() + Duration::from_millis(600);
    while let Some(left) = quiet.checked_duration_since(Instant::now()) {
        match c.rx.recv_timeout(left) {
            Ok(v) => assert!(
                v["params"]["uri"] != uri.as_str(),
                "a second publish after the burst: {v}"
            ),
            Err(_) => break,
        }
    }
    let trace = c.finish_with_stderr();
    let checks = checks_of(&trace, &uri);
    assert_eq!(
        checks.len(),
        2,
        "one check at open, one for the burst:\n{trace}"
    );
    assert!(checks[1].contains("version 41 "), "{trace}");
}

#[test]
fn requests_are_answered_while_a_check_runs() {
    let dir = temp_dir("slow");
    let path = dir.join("slow.ndl");
    let head = "network n\ncell C {\n  section soma { L = 10 um; diam = 10 um }\n  insert pas { }\n}\nsynapse s = Exp2Syn { tau1 = 0.5 ms; tau2 = 3 ms; e = 0 mV }\n";
    let small = format!("{head}population E = 10 of C\nrun {{ tstop = 1 ms }}\n");
    // 2.25e8 pairs to draw: seconds of work for the check.
    let slow = format!(
        "{head}population E = 15000 of C\nconnect E -> E {{ rule = probability(1e-12 * 2); synapse = s; weight = 1 nS; delay = 1 ms }}\nrun {{ tstop = 1 ms }}\n"
    );
    std::fs::write(&path, &small).expect("write");
    let uri = file_uri(&path);
    let mut c = Client::start_with(&[("NMC_LSP_TRACE", "1")]);
    c.initialize();
    c.open(&uri, "ndl", &small);
    assert!(c.diagnostics(&uri).is_empty());
    c.change(&uri, 2, &slow);
    // The check starts after the debounce; ask while it runs.
    std::thread::sleep(Duration::from_millis(400));
    let asked = Instant::now();
    let h = c.request("textDocument/hover", at(&uri, 1, 5));
    let answered = asked.elapsed();
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("cell type **C**"),
        "{h}"
    );
    let comp = c.request("textDocument/completion", at(&uri, 3, 9));
    assert!(comp["result"].is_array(), "{comp}");
    let both = asked.elapsed();
    // The slow check publishes only now, after both answers.
    let d = c.wait_for("diagnostics of the slow version", |v| {
        v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == uri.as_str()
    });
    let published = asked.elapsed();
    assert_eq!(d["params"]["version"], 2, "{d}");
    assert!(
        both < published,
        "answers took {both:?}, the check ended after {published:?}: not answered during it"
    );
    assert!(
        answered < Duration::from_millis(500),
        "hover took {answered:?}"
    );
    let trace = c.finish_with_stderr();
    assert_eq!(checks_of(&trace, &uri).len(), 2, "{trace}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Completion follows the context: in an expression only values and
/// functions that start with the word typed (no statement keywords, no
/// equation blocks), equation blocks after SOLVE, methods after METHOD.
#[test]
fn completion_is_filtered_by_the_word_and_the_position() {
    const NA: &str = "NEURON {\n    SUFFIX nax\n    USEION na READ ena WRITE ina\n    RANGE gbar, g\n}\nPARAMETER { gbar = 0.1 (S/cm2) gamma = 2 }\nASSIGNED { v (mV) ena (mV) ina (mA/cm2) g (S/cm2) }\nSTATE { m }\nBREAKPOINT {\n    SOLVE states METHOD cnexp\n    g = gbar*m\n    ina = g\n}\nDERIVATIVE states { m' = (1 - m)/gamma }\n";
    let mut c = Client::start();
    c.initialize();
    let uri = "file:///tmp/nmc-lsp-test/nax.mod";
    c.open(uri, "nmodl", NA);
    let _ = c.diagnostics(uri);
    let labels = |v: &Value| -> Vec<String> {
        v["result"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["label"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    // After `ina = g` (line 11): the names starting with g, nothing else.
    let mut got = labels(&c.request("textDocument/completion", at(uri, 11, 11)));
    got.sort();
    // (`gauss` is a built-in function.)
    assert_eq!(got, vec!["g", "gamma", "gauss", "gbar"], "after `ina = g`");
    // After `ina = ` (no word yet): values and functions, no keywords,
    // no equation block.
    let all = labels(&c.request("textDocument/completion", at(uri, 11, 10)));
    for want in ["gbar", "ena", "m", "v", "exp"] {
        assert!(all.contains(&want.to_string()), "{want} not in {all:?}");
    }
    for not in ["SOLVE", "LOCAL", "states", "cnexp"] {
        assert!(!all.contains(&not.to_string()), "{not} in {all:?}");
    }
    // After `SOLVE `: the equation block; after `METHOD `: the methods.
    let solve = labels(&c.request("textDocument/completion", at(uri, 9, 10)));
    assert_eq!(solve, vec!["states"], "after SOLVE");
    let method = labels(&c.request("textDocument/completion", at(uri, 9, 24)));
    assert!(method.contains(&"cnexp".to_string()), "{method:?}");
    assert!(
        method.iter().all(|m| m != "gbar" && m != "SOLVE"),
        "{method:?}"
    );
    let _ = c.finish();
}
