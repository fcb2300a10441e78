// The one place the UI talks to Rust: every call goes through here, and every failure
// becomes an AppError with a typed code and words to show (never raw JSON). The typed
// function of each command is generated into bindings/commands.ts.
import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import type { AppErrorCode } from "./bindings/AppErrorCode";
import type { CommandName } from "./bindings/commands";
import type { ErrorPayload } from "./bindings/ErrorPayload";

/** A failed command, always with words to show. */
export class AppError extends Error {
  code: AppErrorCode;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.code = payload.code;
  }
}

function isPayload(value: unknown): value is ErrorPayload {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

function failure(error: unknown): AppError {
  if (isPayload(error)) return new AppError(error);
  return new AppError({ code: "internal", message: typeof error === "string" ? error : "SX Admin could not do that; try again." });
}

export async function call<T>(command: CommandName, args: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw failure(error);
  }
}

/** A command whose input is the raw IPC body (bytes, not a JSON array of numbers). */
export async function callRaw<T>(command: CommandName, body: Uint8Array, headers: Record<string, string>): Promise<T> {
  try {
    return await invoke<T>(command, body, { headers });
  } catch (error) {
    throw failure(error);
  }
}
