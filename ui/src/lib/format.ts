import type { LicenceTier } from "../bindings/LicenceTier";
import type { Permission } from "../bindings/Permission";

export const tierName: Record<LicenceTier, string> = { eco: "Eco", advanced: "Advanced", pro: "Pro" };
export const tiers: LicenceTier[] = ["eco", "advanced", "pro"];

export const permissionName: Record<Permission, string> = {
  business_management: "Business management",
  billing: "Billing",
  purchase: "Purchase",
  logs: "Logs",
  administrator_logs: "Administrator logs",
  domain_management: "Domain management",
  activation_rules: "Activation rules",
  roles_and_authorisations: "Roles and authorisations",
};

export function fullName(user: { first_name: string; last_name: string }): string {
  return `${user.first_name} ${user.last_name}`.trim();
}

export function date(value: string | null | undefined): string {
  if (!value) return "";
  const d = new Date(value);
  return isNaN(d.getTime()) ? value : d.toLocaleString();
}

export function plural(count: number | bigint, one: string, many: string): string {
  return `${count} ${Number(count) === 1 ? one : many}`;
}
