//! One error type for every API route, turned into `{code, message, details}` with the
//! status that code always has, so clients can rely on either.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sxadmin_core::rules::RuleError;
use sxadmin_core::{ErrorBody, ErrorCode};

use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub body: ErrorBody,
    /// Seconds to wait, sent as `Retry-After` with 429 answers.
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            body: ErrorBody::new(code, message),
            retry_after: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorCode::NotFound,
            format!("No such {what} in this account."),
        )
    }

    pub fn rate_limited(retry_after: u64, message: impl Into<String>) -> Self {
        ApiError {
            body: ErrorBody::new(ErrorCode::RateLimited, message)
                .with_details(serde_json::json!({ "retry_after_seconds": retry_after })),
            retry_after: Some(retry_after),
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.body.details = details;
        self
    }
}

/// The HTTP status each code always maps to.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::NotAuthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorCode::DomainNotApproved | ErrorCode::DomainVerificationFailed => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ErrorCode::DomainExists
        | ErrorCode::EmailTaken
        | ErrorCode::LicenceUnavailable
        | ErrorCode::UserHasLicence
        | ErrorCode::UserHasNoLicence
        | ErrorCode::LicenceAssigned
        | ErrorCode::LastAdministrator
        | ErrorCode::ConfirmationRequired
        | ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Internal | ErrorCode::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.body.code);
        let mut response = (status, axum::Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"sxadmin\""),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        if matches!(error, StoreError::Database(_) | StoreError::Migration(_)) {
            tracing::error!(%error, "storage failure");
        }
        ApiError {
            body: error.to_body(),
            retry_after: None,
        }
    }
}

/// A refused input is the caller's to fix; the rule's words already name the field.
impl From<RuleError> for ApiError {
    fn from(error: RuleError) -> Self {
        ApiError::invalid(error.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::invalid(format!(
            "The request body is not valid JSON for this route: {}",
            rejection.body_text()
        ))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::invalid(format!(
            "The query string is not valid: {}",
            rejection.body_text()
        ))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        // A malformed id names nothing that exists, so it is answered like a missing one.
        ApiError::new(
            ErrorCode::NotFound,
            format!("No such resource: {}", rejection.body_text()),
        )
    }
}

/// `axum::Json` whose rejections are API errors instead of plain text, and which reads a
/// whole number written with a fraction (`3.0`) as the integer it is: JSON does not tell
/// the two apart, and neither does the schema the OpenAPI document promises. Every request
/// body of the API is an object: serde would also read a struct from an array of its
/// fields (`[null, null]`), which no document describes, so anything else is refused.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(mut value) =
            axum::Json::<serde_json::Value>::from_request(request, state).await?;
        if !value.is_object() {
            return Err(ApiError::invalid(
                "The request body must be a JSON object; see the route's schema in /api/v1/openapi.json.",
            ));
        }
        whole_numbers_as_integers(&mut value);
        // Read through axum's parser again, whose refusals name the field at fault.
        let text = serde_json::to_vec(&value).map_err(|error| {
            ApiError::invalid(format!("The request body is not valid JSON: {error}"))
        })?;
        Ok(Json(axum::Json::<T>::from_bytes(&text)?.0))
    }
}

/// Rewrites every float with no fractional part that an `i64` holds exactly as that
/// integer.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    /// Beyond 2^53 a float no longer spells one integer.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        serde_json::Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            if let Some(float) = number.as_f64() {
                if float.fract() == 0.0 && float.abs() <= EXACT {
                    // Exact by the bound above.
                    #[allow(clippy::cast_possible_truncation)]
                    let whole = float as i64;
                    *value = serde_json::Value::from(whole);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(whole_numbers_as_integers)
        }
        _ => {}
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);
