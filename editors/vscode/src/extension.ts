// Starts `nmc lsp` for .mod and .ndl files and connects VS Code to it.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration("nmc").get<string>("path", "nmc");
  const run = { command, args: ["lsp"], transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "nmodl" },
      { scheme: "file", language: "ndl" },
      { scheme: "untitled", language: "nmodl" },
      { scheme: "untitled", language: "ndl" },
    ],
    // .mod files changed on disk re-check the NDL files that use them.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.mod") },
  };
  client = new LanguageClient("nmc", "nmc language server", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.commands.registerCommand("nmc.restartServer", async () => {
      await client?.restart();
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
