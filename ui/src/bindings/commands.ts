// Generated from the command table in src-tauri/src/command_list.rs; do not edit.
// `SXADMIN_UPDATE_BINDINGS=1 cargo test -p sxadmin-desktop bindings` rewrites it.
import type { Channel } from "@tauri-apps/api/core";
import { call, callRaw } from "../ipc";
import type { AppInfo } from "./AppInfo";
import type { Domain } from "./Domain";
import type { Event } from "./Event";
import type { EventQuery } from "./EventQuery";
import type { ExportedUsers } from "./ExportedUsers";
import type { FileFormat } from "./FileFormat";
import type { ImportChoices } from "./ImportChoices";
import type { ImportPreview } from "./ImportPreview";
import type { ImportProgress } from "./ImportProgress";
import type { ImportReport } from "./ImportReport";
import type { InterruptedImport } from "./InterruptedImport";
import type { Licence } from "./Licence";
import type { LicencePool } from "./LicencePool";
import type { LicenceTier } from "./LicenceTier";
import type { ListUsers } from "./ListUsers";
import type { NewUser } from "./NewUser";
import type { Overview } from "./Overview";
import type { PerUserResult } from "./PerUserResult";
import type { PreviewRow } from "./PreviewRow";
import type { Role } from "./Role";
import type { Roles } from "./Roles";
import type { SessionInfo } from "./SessionInfo";
import type { User } from "./User";
import type { UserChanges } from "./UserChanges";
import type { UserPage } from "./UserPage";

/** Every command the window may call, as the capability grants it. */
export type CommandName =
  | "app_info"
  | "restore_session"
  | "sign_in"
  | "sign_in_demo"
  | "sign_out"
  | "overview"
  | "list_users"
  | "get_user"
  | "create_user"
  | "update_user"
  | "delete_user"
  | "set_role"
  | "export_users"
  | "download_template"
  | "choose_import_file"
  | "load_import_bytes"
  | "plan_import"
  | "import_rows"
  | "apply_import"
  | "cancel_import"
  | "interrupted_imports"
  | "resume_import"
  | "discard_import"
  | "save_import_results"
  | "licence_pool"
  | "list_licences"
  | "purchase_licences"
  | "assign_licences"
  | "change_licences"
  | "unassign_licences"
  | "transfer_licence"
  | "remove_licences"
  | "list_domains"
  | "request_domain"
  | "verify_domain"
  | "remove_domain"
  | "roles"
  | "list_events"
  | "export_events"
;

/** One typed function per command, with the argument names Tauri reads. */
export const commands = {
  appInfo: (): Promise<AppInfo> =>
    call<AppInfo>("app_info", {}),
  restoreSession: (): Promise<SessionInfo | null> =>
    call<SessionInfo | null>("restore_session", {}),
  signIn: (portalUrl: string): Promise<SessionInfo> =>
    call<SessionInfo>("sign_in", { portalUrl }),
  signInDemo: (): Promise<SessionInfo> =>
    call<SessionInfo>("sign_in_demo", {}),
  signOut: (): Promise<void> =>
    call<void>("sign_out", {}),
  overview: (): Promise<Overview> =>
    call<Overview>("overview", {}),
  listUsers: (query: ListUsers): Promise<UserPage> =>
    call<UserPage>("list_users", { query }),
  getUser: (id: number): Promise<User> =>
    call<User>("get_user", { id }),
  createUser: (user: NewUser): Promise<User> =>
    call<User>("create_user", { user }),
  updateUser: (id: number, changes: UserChanges): Promise<User> =>
    call<User>("update_user", { id, changes }),
  deleteUser: (id: number): Promise<void> =>
    call<void>("delete_user", { id }),
  setRole: (id: number, role: Role): Promise<User> =>
    call<User>("set_role", { id, role }),
  exportUsers: (query: ListUsers, format: FileFormat): Promise<ExportedUsers | null> =>
    call<ExportedUsers | null>("export_users", { query, format }),
  downloadTemplate: (format: FileFormat): Promise<string | null> =>
    call<string | null>("download_template", { format }),
  chooseImportFile: (): Promise<ImportPreview | null> =>
    call<ImportPreview | null>("choose_import_file", {}),
  loadImportBytes: (body: Uint8Array, headers: Record<string, string>): Promise<ImportPreview> =>
    callRaw<ImportPreview>("load_import_bytes", body, headers),
  planImport: (choices: ImportChoices): Promise<ImportPreview> =>
    call<ImportPreview>("plan_import", { choices }),
  importRows: (offset: number, limit: number): Promise<Array<PreviewRow>> =>
    call<Array<PreviewRow>>("import_rows", { offset, limit }),
  applyImport: (confirmedRemovals: number | null, progress: Channel<ImportProgress>): Promise<ImportReport> =>
    call<ImportReport>("apply_import", { confirmedRemovals, progress }),
  cancelImport: (): Promise<void> =>
    call<void>("cancel_import", {}),
  interruptedImports: (): Promise<Array<InterruptedImport>> =>
    call<Array<InterruptedImport>>("interrupted_imports", {}),
  resumeImport: (id: string, progress: Channel<ImportProgress>): Promise<ImportReport> =>
    call<ImportReport>("resume_import", { id, progress }),
  discardImport: (id: string): Promise<void> =>
    call<void>("discard_import", { id }),
  saveImportResults: (): Promise<string | null> =>
    call<string | null>("save_import_results", {}),
  licencePool: (): Promise<LicencePool> =>
    call<LicencePool>("licence_pool", {}),
  listLicences: (): Promise<Array<Licence>> =>
    call<Array<Licence>>("list_licences", {}),
  purchaseLicences: (tier: LicenceTier, count: number): Promise<LicencePool> =>
    call<LicencePool>("purchase_licences", { tier, count }),
  assignLicences: (userIds: Array<number>, tier: LicenceTier): Promise<Array<PerUserResult>> =>
    call<Array<PerUserResult>>("assign_licences", { userIds, tier }),
  changeLicences: (userIds: Array<number>, tier: LicenceTier): Promise<Array<PerUserResult>> =>
    call<Array<PerUserResult>>("change_licences", { userIds, tier }),
  unassignLicences: (userIds: Array<number>): Promise<Array<PerUserResult>> =>
    call<Array<PerUserResult>>("unassign_licences", { userIds }),
  transferLicence: (fromUserId: number, toUserId: number): Promise<User> =>
    call<User>("transfer_licence", { fromUserId, toUserId }),
  removeLicences: (ids: Array<number>): Promise<void> =>
    call<void>("remove_licences", { ids }),
  listDomains: (): Promise<Array<Domain>> =>
    call<Array<Domain>>("list_domains", {}),
  requestDomain: (name: string): Promise<Domain> =>
    call<Domain>("request_domain", { name }),
  verifyDomain: (id: number): Promise<Domain> =>
    call<Domain>("verify_domain", { id }),
  removeDomain: (id: number): Promise<void> =>
    call<void>("remove_domain", { id }),
  roles: (): Promise<Roles> =>
    call<Roles>("roles", {}),
  listEvents: (query: EventQuery): Promise<Array<Event>> =>
    call<Array<Event>>("list_events", { query }),
  exportEvents: (query: EventQuery): Promise<string | null> =>
    call<string | null>("export_events", { query }),
};
