// The commands as the screens use them: the generated functions (bindings/commands.ts,
// from the command table in src-tauri/src/command_list.rs), with a friendlier shape for
// the two that take a channel or raw bytes.
import { Channel } from "@tauri-apps/api/core";
import { commands } from "./bindings/commands";
import type { ImportProgress } from "./bindings/ImportProgress";
import { AppError } from "./ipc";

export { AppError } from "./ipc";
export type { AppErrorCode } from "./bindings/AppErrorCode";

function progressChannel(onProgress: (progress: ImportProgress) => void): Channel<ImportProgress> {
  const channel = new Channel<ImportProgress>();
  channel.onmessage = onProgress;
  return channel;
}

export const api = {
  ...commands,
  // The dropped file's bytes travel as a raw IPC body; its name in a header.
  loadImportBytes: (fileName: string, bytes: Uint8Array) =>
    commands.loadImportBytes(bytes, { "x-file-name": encodeURIComponent(fileName) }),
  // `confirmedRemovals`: the number of users removed, as typed to pass the safeguard.
  applyImport: (confirmedRemovals: number | null, onProgress: (progress: ImportProgress) => void) =>
    commands.applyImport(confirmedRemovals, progressChannel(onProgress)),
  resumeImport: (id: string, onProgress: (progress: ImportProgress) => void) =>
    commands.resumeImport(id, progressChannel(onProgress)),
};

export function message(error: unknown): string {
  if (error instanceof AppError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
