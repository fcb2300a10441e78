//! The portal as one axum application: state, router and server start-up. `router` is a
//! plain function so tests and the CLI build exactly the same application.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use sxadmin_core::ErrorCode;
use tokio::net::TcpListener;

use crate::config::PortalConfig;
use crate::error::ApiError;
use crate::mailer::Outbox;
use crate::oauth::SignInState;
use crate::store::Store;
use crate::throttle::{FailureCounter, RateLimiter};

#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub store: Arc<dyn Store>,
    pub config: PortalConfig,
    /// The portal's own base URL, without a trailing slash (the OAuth issuer).
    pub issuer: String,
    pub api_limiter: RateLimiter,
    pub failures: FailureCounter,
    pub outbox: Outbox,
    pub sign_in: SignInState,
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: PortalConfig, issuer: String) -> Self {
        AppState(Arc::new(Inner {
            api_limiter: RateLimiter::new(config.api_rate),
            failures: FailureCounter::new(config.failed_sign_ins_per_hour),
            outbox: Outbox {
                folder: config.outbox.clone(),
                print: config.print_codes,
            },
            sign_in: SignInState::default(),
            issuer: issuer.trim_end_matches('/').to_owned(),
            store,
            config,
        }))
    }
}

/// The whole application: API, OpenAPI document, OAuth endpoints and sign-in pages.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = crate::api::routes().split_for_parts();
    let openapi_json = serde_json::to_value(&openapi).unwrap_or_default();
    let api = api
        .route(
            "/openapi.json",
            axum::routing::get(move || async move { axum::Json(openapi_json) }),
        )
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_api_rate,
        ));
    Router::new()
        .nest("/api/v1", api)
        .merge(crate::oauth::routes())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(security_headers))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            8 * 1024 * 1024,
        ))
        .with_state(state)
}

async fn unknown_route() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "No such route; the API is described at /api/v1/openapi.json.",
    )
}

async fn method_not_allowed() -> Response {
    let mut response =
        ApiError::invalid("This route does not accept that HTTP method.").into_response();
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}

async fn limit_api_rate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let key = match request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(value) => format!("token:{}", crate::secrets::hash(value)),
        None => match request.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(addr)) => format!("ip:{}", addr.ip()),
            None => "anonymous".to_owned(),
        },
    };
    if let Err(seconds) = state.api_limiter.check(&key, Instant::now()) {
        return ApiError::rate_limited(
            seconds,
            format!("Too many requests; wait {seconds} s and try again."),
        )
        .into_response();
    }
    next.run(request).await
}

/// Headers every answer carries: nothing is cached, sniffed or framed.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// A portal serving on a bound listener.
#[derive(Debug)]
pub struct RunningPortal {
    pub url: String,
    pub addr: SocketAddr,
    pub state: AppState,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serves the portal on `listener` in a background task. The issuer URL is the configured
/// public URL or the listener's own address.
pub async fn start(
    listener: TcpListener,
    store: Arc<dyn Store>,
    config: PortalConfig,
) -> std::io::Result<RunningPortal> {
    let addr = listener.local_addr()?;
    let url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let state = AppState::new(store, config, url.clone());
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    Ok(RunningPortal {
        url: state.issuer.clone(),
        addr,
        state,
        task,
    })
}
