// Generated from sxadmin_core::rules::LIMITS; do not edit.
// `SXADMIN_UPDATE_BINDINGS=1 cargo test -p sxadmin-desktop bindings` rewrites it.

export type Limits = { max_name_chars: number, max_purchase_count: number, max_role_group_name_chars: number, default_user_page: number, max_user_page: number, default_event_limit: number, max_event_limit: number, max_batch_items: number, };

export const LIMITS: Limits = {
  "max_name_chars": 200,
  "max_purchase_count": 1000,
  "max_role_group_name_chars": 100,
  "default_user_page": 100,
  "max_user_page": 1000,
  "default_event_limit": 1000,
  "max_event_limit": 100000,
  "max_batch_items": 1000
};
