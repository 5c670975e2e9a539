//! The server loop: read a message, answer it, publish diagnostics. One
//! thread, one message at a time. Every request gets a response: a result,
//! or an LSP error for a malformed message, bad parameters, an unknown
//! method, a request before `initialize` or after `shutdown`.

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
use std::io::{BufRead, Write};

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

/// The language server over one input and one output stream.
pub struct Server<W: Write> {
    out: W,
    ws: Workspace,
    state: State,
}

impl<W: Write> Server<W> {
    /// A server writing to `out`.
    pub fn new(out: W) -> Self {
        Server {
            out,
            ws: Workspace::new(),
            state: State::Uninitialized,
        }
    }

    /// Serves messages from `input` until `exit` or the end of the stream.
    /// Returns the process exit status: 0 after `shutdown` then `exit`,
    /// 1 otherwise (as the LSP specification asks).
    pub fn serve(&mut self, input: &mut impl BufRead) -> i32 {
        loop {
            let frame = match read_frame(input) {
                Ok(Some(f)) => f,
                // End of input, or a body cut short by it.
                Ok(None) | Err(_) => return 1,
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
        let changed = match method {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = parse(params)?;
                let d = p.text_document;
                let lang = Lang::detect(&d.language_id, &d.uri);
                self.ws.set(d.uri.clone(), lang, d.text, d.version);
                d.uri
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = parse(params)?;
                let uri = p.text_document.uri;
                let Some(doc) = self.ws.get(&uri) else {
                    return Ok(());
                };
                let (lang, mut text) = (doc.lang, doc.text.clone());
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
                    .set(uri.clone(), lang, text, p.text_document.version);
                uri
            }
            DidSaveTextDocument::METHOD => {
                let p: lsp_types::DidSaveTextDocumentParams = parse(params)?;
                let uri = p.text_document.uri;
                match (p.text, self.ws.get(&uri)) {
                    (Some(text), Some(doc)) => {
                        let (lang, version) = (doc.lang, doc.version);
                        self.ws.set(uri.clone(), lang, text, version);
                    }
                    (None, Some(_)) => {
                        self.ws.refresh(&uri);
                    }
                    (_, None) => return Ok(()),
                }
                uri
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = parse(params)?;
                let uri = p.text_document.uri;
                if let Some(doc) = self.ws.close(&uri) {
                    self.notify::<PublishDiagnostics>(PublishDiagnosticsParams::new(
                        uri,
                        Vec::new(),
                        None,
                    ));
                    if let (Lang::Nmodl, Some(path)) = (doc.lang, &doc.path) {
                        self.refresh_dependents(path);
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
                        self.refresh_dependents(&path);
                    }
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        self.publish(&changed);
        let mod_path = self
            .ws
            .get(&changed)
            .filter(|d| d.lang == Lang::Nmodl)
            .and_then(|d| d.path.clone());
        if let Some(path) = mod_path {
            self.refresh_dependents(&path);
        }
        Ok(())
    }

    /// Re-checks the open NDL files that use the `.mod` file at `path`.
    fn refresh_dependents(&mut self, path: &std::path::Path) {
        for uri in self.ws.dependents(path) {
            if self.ws.refresh(&uri).is_some() {
                self.publish(&uri);
            }
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
