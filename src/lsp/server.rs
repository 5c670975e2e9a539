//! The server loop: read a message, answer it, publish diagnostics.
//! Every request gets a response: a result, or an LSP error for a
//! malformed message, bad parameters, an unknown method, a request before
//! `initialize` or after `shutdown`.
//!
//! Three threads: one reads messages, this loop answers them, and a
//! worker ([`super::builder`]) checks documents. Edits are coalesced: a
//! change schedules a check of its document (and of the NDL files using a
//! changed `.mod` file) [`DEBOUNCE`] later, pushed back by every further
//! change, so a burst of keystrokes costs one check. Requests are answered
//! from the latest analysis while a check runs; an analysis made of text
//! that has changed since is kept for requests but not published.

use super::builder::{self, Job, Outcome};
use super::document::Lang;
use super::transport::{Frame, read_frame, write_message};
use super::workspace::Workspace;
use super::{completion, definition, diagnostics, hover, symbols};
use lsp_server::{ErrorCode, Notification, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, GotoDefinition, HoverRequest, Initialize, Request as _,
    Shutdown,
};
use lsp_types::{
    CompletionOptions, CompletionResponse, DocumentSymbolResponse, GotoDefinitionResponse,
    HoverProviderCapability, InitializeResult, OneOf, Position, PublishDiagnosticsParams,
    SaveOptions, ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

/// How long after a change its check starts (each further change of the
/// same document pushes it back).
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Where the server is in the LSP lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for `initialize`.
    Uninitialized,
    /// Serving.
    Running,
    /// `shutdown` received; waiting for `exit`.
    ShutDown,
}

/// An error answer: code and message.
type Failure = (i32, String);

/// What wakes the loop: a message (`None` at the end of the input) or a
/// finished check.
enum Event {
    Frame(Option<Frame>),
    Checked(Outcome),
}

/// The language server over one input and one output stream.
pub struct Server<W: Write> {
    out: W,
    ws: Workspace,
    state: State,
    /// Checks waiting to start, by document: when, and an order among
    /// checks due at the same time (a `.mod` file before its dependents).
    pending: HashMap<String, (Instant, u64)>,
    /// Next order number for [`Server::pending`].
    order: u64,
    /// The document the worker is checking.
    in_flight: Option<String>,
    /// The worker's queue (`None`: checks run on this thread).
    jobs: Option<Sender<Job>>,
    /// Messages and finished checks.
    events: Option<Receiver<Event>>,
    /// Messages read while waiting for a first analysis, to handle next.
    backlog: VecDeque<Option<Frame>>,
}

impl<W: Write> Server<W> {
    /// A server writing to `out`.
    pub fn new(out: W) -> Self {
        Server {
            out,
            ws: Workspace::new(),
            state: State::Uninitialized,
            pending: HashMap::new(),
            order: 0,
            in_flight: None,
            jobs: None,
            events: None,
            backlog: VecDeque::new(),
        }
    }

    /// Serves messages from `input` until `exit` or the end of the stream.
    /// Returns the process exit status: 0 after `shutdown` then `exit`,
    /// 1 otherwise (as the LSP specification asks).
    pub fn serve<R: BufRead + Send + 'static>(&mut self, mut input: R) -> i32 {
        let (tx, rx) = channel();
        let frames = tx.clone();
        let reader = std::thread::Builder::new()
            .name("nmc-lsp-read".into())
            .spawn(move || {
                loop {
                    let frame = match read_frame(&mut input) {
                        Ok(Some(f)) => Some(f),
                        // End of input, or a body cut short by it.
                        Ok(None) | Err(_) => None,
                    };
                    let end = frame.is_none();
                    if frames.send(Event::Frame(frame)).is_err() || end {
                        return;
                    }
                }
            });
        if reader.is_err() {
            return 1;
        }
        self.jobs = builder::spawn(move |outcome| {
            let _ = tx.send(Event::Checked(outcome));
        });
        self.events = Some(rx);
        loop {
            let frame = match self.backlog.pop_front() {
                Some(f) => f,
                None => match self.next_event() {
                    Event::Frame(f) => f,
                    Event::Checked(outcome) => {
                        self.checked(outcome);
                        continue;
                    }
                },
            };
            let Some(frame) = frame else {
                return 1;
            };
            let handled =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.frame(frame)));
            match handled {
                Ok(Some(code)) => return code,
                Ok(None) => {}
                // A bug in nmc: the request that caused it was answered
                // below when it had an id; keep serving.
                Err(_) => {}
            }
        }
    }

    /// Starts the checks that are due, then waits for a message or a
    /// finished check (waking when the next check falls due).
    fn next_event(&mut self) -> Event {
        loop {
            self.start_due();
            let wait = if self.in_flight.is_none() {
                self.pending
                    .values()
                    .map(|(at, _)| at.saturating_duration_since(Instant::now()))
                    .min()
            } else {
                None
            };
            let Some(rx) = self.events.as_ref() else {
                return Event::Frame(None);
            };
            match wait {
                Some(d) => match rx.recv_timeout(d) {
                    Ok(e) => return e,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return Event::Frame(None),
                },
                None => return rx.recv().unwrap_or(Event::Frame(None)),
            }
        }
    }

    /// Schedules a check of `uri` after `delay` (replacing one already
    /// scheduled).
    fn schedule(&mut self, uri: &Uri, delay: Duration) {
        self.order += 1;
        self.pending.insert(
            uri.as_str().to_string(),
            (Instant::now() + delay, self.order),
        );
    }

    /// Hands the earliest due check to the worker when it is idle.
    fn start_due(&mut self) {
        if self.in_flight.is_some() {
            return;
        }
        let now = Instant::now();
        let next = self
            .pending
            .iter()
            .filter(|(_, (at, _))| *at <= now)
            .min_by_key(|(_, (at, order))| (*at, *order))
            .map(|(k, _)| k.clone());
        if let Some(key) = next {
            self.start(&key);
        }
    }

    /// Starts the check of document `key` on the worker (or checks it here
    /// when there is no worker).
    fn start(&mut self, key: &str) {
        self.pending.remove(key);
        let Some(source) = self.ws.source_by_key(key).cloned() else {
            return;
        };
        let uri = source.uri.clone();
        if let Some(jobs) = &self.jobs {
            let job = Job {
                source,
                overlays: self.ws.overlays(),
            };
            if jobs.send(job).is_ok() {
                self.in_flight = Some(key.to_string());
                return;
            }
            self.jobs = None;
        }
        if self.ws.analyse_now(&uri).is_some() {
            self.publish(&uri);
        }
    }

    /// Keeps a finished check; publishes its diagnostics unless the
    /// document changed since (a newer check is then pending).
    fn checked(&mut self, outcome: Outcome) {
        self.in_flight = None;
        let Ok(doc) = outcome else {
            return;
        };
        let uri = doc.uri.clone();
        let current = !self.pending.contains_key(uri.as_str());
        if self.ws.store(*doc) && current {
            self.publish(&uri);
        }
    }

    /// Waits for the first analysis of `uri` when it is open but has none
    /// yet (a request right after `didOpen`); messages read meanwhile are
    /// handled afterwards, in order.
    fn settle(&mut self, uri: &Uri) {
        let key = uri.as_str().to_string();
        loop {
            if self.ws.get(uri).is_some() || self.ws.source(uri).is_none() {
                return;
            }
            if self.in_flight.is_none() {
                self.start(&key);
                continue;
            }
            let Some(rx) = self.events.as_ref() else {
                self.start(&key);
                return;
            };
            match rx.recv() {
                Ok(Event::Checked(outcome)) => {
                    let failed = outcome.is_err();
                    self.checked(outcome);
                    if failed && self.ws.get(uri).is_none() {
                        return;
                    }
                }
                Ok(Event::Frame(f)) => self.backlog.push_back(f),
                Err(_) => {
                    self.events = None;
                    return;
                }
            }
        }
    }

    /// Handles one frame; `Some(status)` when the server must exit.
    fn frame(&mut self, frame: Frame) -> Option<i32> {
        let msg = match frame {
            Frame::Json(v) => v,
            Frame::Invalid(why) => {
                self.send_error(Value::Null, ErrorCode::ParseError as i32, why);
                return None;
            }
        };
        let Value::Object(obj) = msg else {
            self.send_error(
                Value::Null,
                ErrorCode::InvalidRequest as i32,
                "a message must be a JSON object".into(),
            );
            return None;
        };
        let method = obj
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_string);
        let id = obj.get("id").cloned();
        let params = obj.get("params").cloned().unwrap_or(Value::Null);
        match (method, id) {
            (Some(method), Some(id)) => {
                let Ok(rid) = serde_json::from_value::<RequestId>(id.clone()) else {
                    self.send_error(
                        Value::Null,
                        ErrorCode::InvalidRequest as i32,
                        "a request id must be a number or a string".into(),
                    );
                    return None;
                };
                let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.request(&method, params)
                }))
                .unwrap_or_else(|_| {
                    Err((
                        ErrorCode::InternalError as i32,
                        format!("nmc failed while answering `{method}` (a bug in nmc)"),
                    ))
                });
                let response = match answer {
                    Ok(v) => Response::new_ok(rid, v),
                    Err((code, message)) => Response::new_err(rid, code, message),
                };
                self.send(&response);
                None
            }
            (Some(method), None) => self.notification(&method, params),
            // A response to a request we never sent, or junk.
            (None, Some(_)) if obj.contains_key("result") || obj.contains_key("error") => None,
            (None, id) => {
                self.send_error(
                    id.unwrap_or(Value::Null),
                    ErrorCode::InvalidRequest as i32,
                    "a message needs a `method`".into(),
                );
                None
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        if self.state == State::Running
            && let Some(uri) = params
                .get("textDocument")
                .and_then(|d| d.get("uri"))
                .and_then(|u| serde_json::from_value::<Uri>(u.clone()).ok())
        {
            self.settle(&uri);
        }
        match (self.state, method) {
            (State::Uninitialized, Initialize::METHOD) => {
                let _: lsp_types::InitializeParams = parse(params)?;
                self.state = State::Running;
                to_value(initialize_result())
            }
            (State::Uninitialized, _) => Err((
                ErrorCode::ServerNotInitialized as i32,
                format!("`{method}` before `initialize`"),
            )),
            (_, Initialize::METHOD) => Err((
                ErrorCode::InvalidRequest as i32,
                "`initialize` was already received".into(),
            )),
            (State::ShutDown, _) => Err((
                ErrorCode::InvalidRequest as i32,
                format!("`{method}` after `shutdown`"),
            )),
            (State::Running, Shutdown::METHOD) => {
                self.state = State::ShutDown;
                Ok(Value::Null)
            }
            (State::Running, HoverRequest::METHOD) => {
                let p: lsp_types::HoverParams = parse(params)?;
                let pos = p.text_document_position_params;
                let found = self.at(&pos.text_document.uri, pos.position, |ws, doc, off| {
                    hover::hover(ws, doc, off)
                });
                to_value(found.flatten())
            }
            (State::Running, GotoDefinition::METHOD) => {
                let p: lsp_types::GotoDefinitionParams = parse(params)?;
                let pos = p.text_document_position_params;
                let found = self.at(&pos.text_document.uri, pos.position, |ws, doc, off| {
                    definition::definition(ws, doc, off)
                });
                to_value(found.flatten().map(GotoDefinitionResponse::Scalar))
            }
            (State::Running, Completion::METHOD) => {
                let p: lsp_types::CompletionParams = parse(params)?;
                let pos = p.text_document_position;
                let items = self
                    .at(&pos.text_document.uri, pos.position, |ws, doc, off| {
                        completion::complete(ws, doc, off)
                    })
                    .unwrap_or_default();
                to_value(CompletionResponse::Array(items))
            }
            (State::Running, DocumentSymbolRequest::METHOD) => {
                let p: lsp_types::DocumentSymbolParams = parse(params)?;
                let found = self.ws.get(&p.text_document.uri).map(symbols::symbols);
                to_value(found.map(DocumentSymbolResponse::Nested))
            }
            (State::Running, _) => Err((
                ErrorCode::MethodNotFound as i32,
                format!("nmc does not implement `{method}`"),
            )),
        }
    }

    /// Runs `f` on the open document at `uri` with the byte offset of `pos`.
    fn at<T>(
        &self,
        uri: &Uri,
        pos: Position,
        f: impl FnOnce(&Workspace, &super::document::Document, usize) -> T,
    ) -> Option<T> {
        let doc = self.ws.get(uri)?;
        let offset = doc.lines.offset(&doc.text, pos);
        Some(f(&self.ws, doc, offset))
    }

    fn notification(&mut self, method: &str, params: Value) -> Option<i32> {
        if method == "exit" {
            return Some(if self.state == State::ShutDown { 0 } else { 1 });
        }
        if self.state != State::Running {
            return None;
        }
        // Notifications get no answer, even when malformed.
        let _ = self.document_change(method, params);
        None
    }

    fn document_change(&mut self, method: &str, params: Value) -> Result<(), Failure> {
        let (changed, delay) = match method {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = parse(params)?;
                let d = p.text_document;
                let lang = Lang::detect(&d.language_id, &d.uri);
                self.ws.set_text(d.uri.clone(), lang, d.text, d.version);
                (d.uri, Duration::ZERO)
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = parse(params)?;
                let uri = p.text_document.uri;
                let Some(src) = self.ws.source(&uri) else {
                    return Ok(());
                };
                let (lang, mut text) = (src.lang, src.text.clone());
                for change in p.content_changes {
                    match change.range {
                        None => text = change.text,
                        Some(r) => {
                            let lines = super::position::LineIndex::new(&text);
                            let a = lines.offset(&text, r.start);
                            let b = lines.offset(&text, r.end).max(a);
                            text.replace_range(a..b, &change.text);
                        }
                    }
                }
                self.ws
                    .set_text(uri.clone(), lang, text, p.text_document.version);
                (uri, DEBOUNCE)
            }
            DidSaveTextDocument::METHOD => {
                let p: lsp_types::DidSaveTextDocumentParams = parse(params)?;
                let uri = p.text_document.uri;
                let Some(src) = self.ws.source(&uri) else {
                    return Ok(());
                };
                if let Some(text) = p.text {
                    let (lang, version) = (src.lang, src.version);
                    self.ws.set_text(uri.clone(), lang, text, version);
                }
                (uri, Duration::ZERO)
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = parse(params)?;
                let uri = p.text_document.uri;
                self.pending.remove(uri.as_str());
                let lang = self.ws.source(&uri).map(|s| s.lang);
                self.ws.close(&uri);
                if let Some(lang) = lang {
                    self.notify::<PublishDiagnostics>(PublishDiagnosticsParams::new(
                        uri.clone(),
                        Vec::new(),
                        None,
                    ));
                    if let (Lang::Nmodl, Some(path)) = (lang, super::uri::to_path(&uri)) {
                        self.refresh_dependents(&path, Duration::ZERO);
                    }
                }
                return Ok(());
            }
            DidChangeWatchedFiles::METHOD => {
                // `.mod` files changed on disk: re-check their dependents.
                let p: lsp_types::DidChangeWatchedFilesParams = parse(params)?;
                for change in p.changes {
                    if let Some(path) = super::uri::to_path(&change.uri)
                        && path.extension().is_some_and(|e| e == "mod")
                    {
                        self.refresh_dependents(&path, Duration::ZERO);
                    }
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        self.schedule(&changed, delay);
        let is_mod = self
            .ws
            .source(&changed)
            .is_some_and(|s| s.lang == Lang::Nmodl);
        if is_mod && let Some(path) = super::uri::to_path(&changed) {
            self.refresh_dependents(&path, delay);
        }
        Ok(())
    }

    /// Schedules checks of the open NDL files that use the `.mod` file at
    /// `path`, after `delay` (and after the checks scheduled before).
    fn refresh_dependents(&mut self, path: &std::path::Path, delay: Duration) {
        for uri in self.ws.dependents(path) {
            self.schedule(&uri, delay);
        }
    }

    fn publish(&mut self, uri: &Uri) {
        if let Some(doc) = self.ws.get(uri) {
            let params = diagnostics::publish(doc);
            self.notify::<PublishDiagnostics>(params);
        }
    }

    fn notify<N: lsp_types::notification::Notification>(&mut self, params: N::Params) {
        let n = Notification::new(N::METHOD.to_string(), params);
        self.send(&n);
    }

    fn send(&mut self, msg: &impl serde::Serialize) {
        if let Ok(mut v) = serde_json::to_value(msg) {
            if let Value::Object(o) = &mut v {
                o.insert("jsonrpc".into(), Value::String("2.0".into()));
            }
            // A closed output leaves nothing to do; the next read ends the loop.
            let _ = write_message(&mut self.out, &v);
        }
    }

    fn send_error(&mut self, id: Value, code: i32, message: String) {
        let v = serde_json::json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": { "code": code, "message": message },
        });
        let _ = write_message(&mut self.out, &v);
    }
}

fn parse<T: DeserializeOwned>(params: Value) -> Result<T, Failure> {
    serde_json::from_value(params).map_err(|e| {
        (
            ErrorCode::InvalidParams as i32,
            format!("invalid params: {e}"),
        )
    })
}

fn to_value(v: impl serde::Serialize) -> Result<Value, Failure> {
    serde_json::to_value(v).map_err(|e| (ErrorCode::InternalError as i32, e.to_string()))
}

/// What the server can do, sent in answer to `initialize`.
fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::FULL),
                    save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                        include_text: Some(false),
                    })),
                    ..Default::default()
                },
            )),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![" ".into(), "{".into()]),
                ..Default::default()
            }),
            document_symbol_provider: Some(OneOf::Left(true)),
            ..Default::default()
        },
        server_info: Some(ServerInfo {
            name: "nmc".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    }
}
