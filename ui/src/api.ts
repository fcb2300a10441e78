// The only door to the Rust side: one typed function per Tauri command. Payload types are
// generated from the Rust definitions (src/bindings, by `cargo test -p sxadmin-desktop`).
import { invoke, Channel } from "@tauri-apps/api/core";
import type { AppInfo } from "./bindings/AppInfo";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { ErrorPayload } from "./bindings/ErrorPayload";
import type { UserPage } from "./bindings/UserPage";
import type { User } from "./bindings/User";
import type { NewUser } from "./bindings/NewUser";
import type { UserChanges } from "./bindings/UserChanges";
import type { ListUsers } from "./bindings/ListUsers";
import type { Role } from "./bindings/Role";
import type { Overview } from "./bindings/Overview";
import type { ImportPreview } from "./bindings/ImportPreview";
import type { PreviewRow } from "./bindings/PreviewRow";
import type { ImportProgress } from "./bindings/ImportProgress";
import type { ImportReport } from "./bindings/ImportReport";
import type { LicencePool } from "./bindings/LicencePool";
import type { Licence } from "./bindings/Licence";
import type { LicenceTier } from "./bindings/LicenceTier";
import type { Domain } from "./bindings/Domain";
import type { Roles } from "./bindings/Roles";
import type { Event } from "./bindings/Event";
import type { EventQuery } from "./bindings/EventQuery";

/** A failed command, always with words to show (never raw JSON). */
export class AppError extends Error {
  code: string;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.code = payload.code;
  }
}

function isPayload(value: unknown): value is ErrorPayload {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isPayload(error)) throw new AppError(error);
    throw new AppError({ code: "internal", message: typeof error === "string" ? error : "SX Admin could not do that; try again." });
  }
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  restoreSession: () => call<SessionInfo | null>("restore_session"),
  signIn: (portalUrl: string) => call<SessionInfo>("sign_in", { portalUrl }),
  signInDemo: () => call<SessionInfo>("sign_in_demo"),
  signOut: () => call<void>("sign_out"),
  overview: () => call<Overview>("overview"),

  listUsers: (query: ListUsers) => call<UserPage>("list_users", { query }),
  getUser: (id: number) => call<User>("get_user", { id }),
  createUser: (user: NewUser) => call<User>("create_user", { user }),
  updateUser: (id: number, changes: UserChanges) => call<User>("update_user", { id, changes }),
  deleteUser: (id: number) => call<void>("delete_user", { id }),
  setRole: (id: number, role: Role) => call<User>("set_role", { id, role }),

  downloadTemplate: () => call<string | null>("download_template"),
  chooseImportFile: () => call<ImportPreview | null>("choose_import_file"),
  // The dropped file's bytes travel as a raw IPC body, not as a JSON array of numbers.
  loadImportBytes: async (fileName: string, bytes: Uint8Array) => {
    try {
      return await invoke<ImportPreview>("load_import_bytes", bytes, {
        headers: { "x-file-name": encodeURIComponent(fileName) },
      });
    } catch (error) {
      if (isPayload(error)) throw new AppError(error);
      throw new AppError({ code: "internal", message: String(error) });
    }
  },
  importRows: (offset: number, limit: number) => call<PreviewRow[]>("import_rows", { offset, limit }),
  applyImport: (onProgress: (progress: ImportProgress) => void) => {
    const channel = new Channel<ImportProgress>();
    channel.onmessage = onProgress;
    return call<ImportReport>("apply_import", { progress: channel });
  },
  cancelImport: () => call<void>("cancel_import"),
  saveImportResults: () => call<string | null>("save_import_results"),

  licencePool: () => call<LicencePool>("licence_pool"),
  listLicences: () => call<Licence[]>("list_licences"),
  purchaseLicences: (tier: LicenceTier, count: number) => call<LicencePool>("purchase_licences", { tier, count }),
  assignLicence: (userId: number, tier: LicenceTier) => call<User>("assign_licence", { userId, tier }),
  changeLicence: (userIds: number[], tier: LicenceTier) => call<number>("change_licence", { userIds, tier }),
  unassignLicence: (userId: number) => call<User>("unassign_licence", { userId }),
  transferLicence: (fromUserId: number, toUserId: number) =>
    call<User>("transfer_licence", { fromUserId, toUserId }),
  removeLicences: (ids: number[]) => call<void>("remove_licences", { ids }),

  listDomains: () => call<Domain[]>("list_domains"),
  requestDomain: (name: string) => call<Domain>("request_domain", { name }),
  verifyDomain: (id: number) => call<Domain>("verify_domain", { id }),
  removeDomain: (id: number) => call<void>("remove_domain", { id }),

  roles: () => call<Roles>("roles"),
  listEvents: (query: EventQuery) => call<Event[]>("list_events", { query }),
  exportEvents: (query: EventQuery) => call<string | null>("export_events", { query }),
};

export function message(error: unknown): string {
  if (error instanceof AppError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
