//! Signing in and out, and what the window shows about the session.

use serde::Serialize;
use sxadmin_client::{PortalClient, PortalUrl};
use tauri::State;

use crate::demo::{demo_folder, DemoPortal};
use crate::error::{AppError, AppResult};
use crate::state::{AppState, Session, Source, CLIENT_ID};
use sxadmin_client::folders::Settings;

/// Who is signed in where; never the token.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct SessionInfo {
    pub portal_url: String,
    pub demo: bool,
    pub account_name: String,
    pub admin_email: String,
    pub admin_name: String,
    /// False when no keychain could keep the sign-in: it lasts until the app closes.
    pub remembered: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct AppInfo {
    pub version: String,
    /// The portal address typed last time, to prefill the sign-in screen.
    pub portal_url: Option<String>,
    pub session: Option<SessionInfo>,
}

fn info(session: &Session) -> SessionInfo {
    let user = &session.me.user;
    SessionInfo {
        portal_url: session.portal_url.clone(),
        demo: session.is_demo(),
        account_name: session.me.account.name.clone(),
        admin_email: user.email.clone(),
        admin_name: format!("{} {}", user.first_name, user.last_name)
            .trim()
            .to_owned(),
        remembered: session.remembered,
    }
}

/// A name looked up in the keychain only to learn whether one is running.
const KEYCHAIN_CHECK: &str = "keychain-check";

/// The keychain entry of the demo's token, one per demo database.
fn demo_secret_name(state: &AppState) -> String {
    format!("demo-portal:{}", demo_folder(&state.data_dir).display())
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> AppResult<AppInfo> {
    let settings = Settings::load(&state.folders());
    let session = state.session.read().await.as_ref().map(info);
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        portal_url: settings.portal_url,
        session,
    })
}

/// Starts the embedded demo portal (once) and signs in as its administrator, reusing the
/// token kept in the keychain from an earlier run when the portal still accepts it. The
/// demo needs no keychain: without one (or with one that refuses), its token stays in
/// memory and the window says that the sign-in will not be remembered.
async fn demo_session(state: &AppState) -> AppResult<Session> {
    let mut demo = state.demo.lock().await;
    if demo.is_none() {
        *demo = Some(DemoPortal::start(&state.data_dir).await?);
    }
    let portal = demo
        .as_ref()
        .ok_or_else(|| AppError::Internal("the demo portal did not start".into()))?;
    let url = PortalUrl::parse(&portal.url)?;
    let secret_name = demo_secret_name(state);
    if let Ok(Some(token)) = state.secrets.get(&secret_name) {
        let client = PortalClient::new(url.clone(), token)?;
        if let Ok(me) = client.me().await {
            return Ok(demo_client_session(client, me, true));
        }
    }
    let token = portal.admin_token().await?;
    let remembered = state.secrets.set(&secret_name, &token).is_ok();
    let client = PortalClient::new(url, token)?;
    let me = client.me().await?;
    Ok(demo_client_session(client, me, remembered))
}

fn demo_client_session(
    client: PortalClient,
    me: sxadmin_client::core::Me,
    remembered: bool,
) -> Session {
    Session {
        portal_url: client.url().as_str().trim_end_matches('/').to_owned(),
        source: Source::Demo(client),
        me,
        remembered,
    }
}

fn save(state: &AppState, settings: &Settings) -> AppResult<()> {
    Ok(settings.save(&state.folders())?)
}

async fn portal_session(session: sxadmin_client::session::Session) -> AppResult<Session> {
    let session = std::sync::Arc::new(session);
    let me = session.client().await?.me().await?;
    Ok(Session {
        portal_url: session.portal().as_str().trim_end_matches('/').to_owned(),
        source: Source::Portal(session),
        me,
        remembered: true,
    })
}

#[tauri::command]
pub async fn sign_in_demo(state: State<'_, AppState>) -> AppResult<SessionInfo> {
    let session = demo_session(&state).await?;
    let info = info(&session);
    *state.session.write().await = Some(session);
    let settings = Settings {
        demo: true,
        ..Settings::load(&state.folders())
    };
    settings.save(&state.folders())?;
    Ok(info)
}

/// Brings back the last session at start: the demo restarts; a portal session comes back
/// from the refresh token in the keychain.
#[tauri::command]
pub async fn restore_session(state: State<'_, AppState>) -> AppResult<Option<SessionInfo>> {
    if let Some(session) = state.session.read().await.as_ref() {
        return Ok(Some(info(session)));
    }
    let settings = Settings::load(&state.folders());
    if settings.demo {
        let session = demo_session(&state).await?;
        let info = info(&session);
        *state.session.write().await = Some(session);
        return Ok(Some(info));
    }
    let Some(url) = settings.portal_url else {
        return Ok(None);
    };
    let url = PortalUrl::parse(&url)?;
    let Some(restored) =
        sxadmin_client::session::Session::restore(url, CLIENT_ID, state.secrets.clone()).await?
    else {
        return Ok(None);
    };
    let session = portal_session(restored).await?;
    let info = info(&session);
    *state.session.write().await = Some(session);
    Ok(Some(info))
}

#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> AppResult<()> {
    let previous = state.session.write().await.take();
    match previous.map(|session| (session.source, session.remembered)) {
        Some((Source::Demo(_), remembered)) => {
            *state.demo.lock().await = None;
            // A demo kept only in memory has nothing in the keychain to forget.
            if remembered {
                state.secrets.delete(&demo_secret_name(&state))?;
            }
        }
        Some((Source::Portal(session), _)) => {
            session.sign_out().await?;
        }
        None => {}
    }
    if let Ok(mut import) = state.import.lock() {
        *import = None;
    }
    if let Ok(mut results) = state.results.lock() {
        results.clear();
    }
    let settings = Settings {
        demo: false,
        ..Settings::load(&state.folders())
    };
    settings.save(&state.folders())?;
    Ok(())
}

/// Signs in to a portal through the system browser (PKCE and a loopback redirect); the
/// refresh token goes to the keychain, the access token stays in memory.
#[tauri::command]
pub async fn sign_in(state: State<'_, AppState>, portal_url: String) -> AppResult<SessionInfo> {
    let url = PortalUrl::parse(&portal_url)?;
    // A sign-in the keychain cannot keep would be lost at once: say so before the browser
    // opens, with how to get a keychain, rather than after the administrator signed in.
    state.secrets.get(KEYCHAIN_CHECK)?;
    save(
        &state,
        &Settings {
            portal_url: Some(url.as_str().trim_end_matches('/').to_owned()),
            demo: false,
        },
    )?;
    let signed_in = sxadmin_client::session::Session::sign_in(
        url,
        CLIENT_ID,
        state.secrets.clone(),
        sxadmin_client::signin::open_in_browser,
    )
    .await?;
    let session = portal_session(signed_in).await?;
    let info = info(&session);
    *state.session.write().await = Some(session);
    Ok(info)
}
