//! The portal as one axum application: state, router and server start-up. `router` is a
//! plain function so tests and the CLI build exactly the same application.

use std::net::{IpAddr, SocketAddr};
use std::ops::Deref;
use std::sync::{Arc, Weak};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use sxadmin_core::ErrorCode;
use tokio::net::TcpListener;

use crate::auth::Authentication;
use crate::config::PortalConfig;
use crate::error::ApiError;
use crate::mailer::Outbox;
use crate::oauth::{SignInSizes, SignInState};
use crate::request_guard::{AllowedHosts, ClientAddress};
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
    /// The `Host` values requests may carry.
    pub hosts: AllowedHosts,
    /// API requests per signed-in user, and per client address before authentication.
    pub api_limiter: RateLimiter,
    /// Requests to the sign-in pages and OAuth endpoints per client address.
    pub sign_in_limiter: RateLimiter,
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

/// How many entries each in-memory map holds, for tests and measurements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryUse {
    pub sign_in: SignInSizes,
    pub api_buckets: usize,
    pub sign_in_buckets: usize,
    pub failure_accounts: usize,
}

impl AppState {
    /// The state of a portal listening on `listen`; its issuer is the configured public URL
    /// or the listener's own address.
    pub fn new(store: Arc<dyn Store>, config: PortalConfig, listen: SocketAddr) -> Self {
        let issuer = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{listen}"));
        AppState(Arc::new(Inner {
            hosts: AllowedHosts::new(&issuer, listen),
            api_limiter: RateLimiter::with_cap(config.api_rate, config.caps.buckets),
            sign_in_limiter: RateLimiter::with_cap(config.sign_in_rate, config.caps.buckets),
            failures: FailureCounter::new(config.failed_sign_ins_per_hour),
            outbox: Outbox {
                folder: config.outbox.clone(),
                print: config.print_codes,
            },
            sign_in: SignInState::new(config.caps),
            issuer: issuer.trim_end_matches('/').to_owned(),
            store,
            config,
        }))
    }

    pub fn memory(&self) -> MemoryUse {
        MemoryUse {
            sign_in: self.sign_in.sizes(),
            api_buckets: self.api_limiter.len(),
            sign_in_buckets: self.sign_in_limiter.len(),
            failure_accounts: self.failures.len(),
        }
    }

    /// Removes whatever has expired from every in-memory map.
    pub fn sweep(&self, now: Instant) {
        self.sign_in.sweep(now, &self.config);
        self.api_limiter.sweep(now);
        self.sign_in_limiter.sweep(now);
        self.failures.sweep(now);
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
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::oauth::guard_sign_in_routes,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::request_guard::check_host,
        ))
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

/// Authenticates the request once, then counts it against the signed-in user, however their
/// tokens or the spelling of `Bearer` vary; requests without a valid token count against
/// their client address. The outcome goes along with the request so that the route's
/// [`crate::auth::Caller`] does not look the token up again.
async fn limit_api_rate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let authentication = crate::auth::authenticate(&state, request.headers()).await;
    let key = match &authentication {
        Authentication::Caller(caller) => format!("user:{}", caller.user.id),
        Authentication::Anonymous | Authentication::Refused | Authentication::Unavailable => {
            let address = request
                .extensions()
                .get::<ClientAddress>()
                .copied()
                .unwrap_or(ClientAddress(IpAddr::from([0, 0, 0, 0])));
            format!("address:{}", address.limit_key())
        }
    };
    request.extensions_mut().insert(authentication);
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

/// Serves the portal on `listener` in a background task, with the timer that empties its
/// in-memory maps of what has expired. The issuer URL is the configured public URL or the
/// listener's own address.
pub async fn start(
    listener: TcpListener,
    store: Arc<dyn Store>,
    config: PortalConfig,
) -> std::io::Result<RunningPortal> {
    let addr = listener.local_addr()?;
    let state = AppState::new(store, config, addr);
    let app = router(state.clone());
    let sweeper = AbortOnDrop(tokio::spawn(sweep_until_stopped(Arc::downgrade(&state.0))));
    let task = tokio::spawn(async move {
        // The timer lives as long as this task: stopped with it, or when it is aborted.
        let _sweeper = sweeper;
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

/// Sweeps the state's maps every `sweep_interval` for as long as the portal exists.
async fn sweep_until_stopped(state: Weak<Inner>) {
    let Some(interval) = state.upgrade().map(|s| s.config.sweep_interval) else {
        return;
    };
    let mut ticks = tokio::time::interval(interval.max(std::time::Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let Some(inner) = state.upgrade() else {
            return;
        };
        AppState(inner).sweep(Instant::now());
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
