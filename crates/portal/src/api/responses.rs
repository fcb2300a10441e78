//! The error answers routes share, described once for the OpenAPI document instead of in
//! every route's annotation. Each is an [`ErrorBody`]; its `code` says which refusal it is,
//! and the status always follows from the code (`crate::error::status_of`).

use sxadmin_core::ErrorBody;
use utoipa::IntoResponses;

/// What any administration route may answer besides its own refusals.
#[derive(Debug, IntoResponses)]
pub enum AdminErrors {
    /// The request is malformed or breaks an input rule (`invalid_input`).
    #[response(status = 400)]
    InvalidInput(ErrorBody),
    /// No valid bearer token (`not_authenticated`).
    #[response(status = 401)]
    NotAuthenticated(ErrorBody),
    /// The caller lacks the permission the route needs, or acts on an administrator without
    /// being one; `details.permission` names the permission (`forbidden`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// Too many requests; wait the seconds of `Retry-After` (`rate_limited`).
    #[response(status = 429)]
    RateLimited(ErrorBody),
}

/// What a route for any signed-in user may answer besides its own refusals.
#[derive(Debug, IntoResponses)]
pub enum SignedInErrors {
    /// The request is malformed or breaks an input rule (`invalid_input`).
    #[response(status = 400)]
    InvalidInput(ErrorBody),
    /// No valid bearer token (`not_authenticated`).
    #[response(status = 401)]
    NotAuthenticated(ErrorBody),
    /// Too many requests; wait the seconds of `Retry-After` (`rate_limited`).
    #[response(status = 429)]
    RateLimited(ErrorBody),
}

/// Nothing with that id in the caller's account (`not_found`).
#[derive(Debug, IntoResponses)]
#[response(status = 404)]
pub struct NotFound(pub ErrorBody);

/// The request conflicts with the account's data: `email_taken`, `domain_exists`,
/// `licence_unavailable`, `user_has_licence`, `user_has_no_licence`, `licence_assigned`,
/// `last_administrator`, `confirmation_required` or `conflict`.
#[derive(Debug, IntoResponses)]
#[response(status = 409)]
pub struct Conflict(pub ErrorBody);

/// A domain rule refused it: `domain_not_approved` or `domain_verification_failed`.
#[derive(Debug, IntoResponses)]
#[response(status = 422)]
pub struct Unprocessable(pub ErrorBody);

/// The second-factor code is well formed but proves nothing: it does not match, or it was
/// already used (`forbidden`).
#[derive(Debug, IntoResponses)]
#[response(status = 403)]
pub struct CodeRefused(pub ErrorBody);
