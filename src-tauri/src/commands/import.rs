//! The Import users screen: template, choosing or dropping a file, the preview of every
//! row and its plan, applying it, and the results file. Reading and planning are core's;
//! this module only moves bytes and rows between the dialogs, the portal and the window.

use std::sync::atomic::Ordering;
use sxadmin_client::core::csv::plan::{build_plan, PortalSnapshot};
use sxadmin_client::core::csv::results::write_results;
use sxadmin_client::core::csv::{read, ReadOptions};

use sxadmin_client::core::BatchOutcome;
use sxadmin_client::import::ApplyOptions;
use sxadmin_client::PortalClient;
use tauri::State;

use crate::dialogs;
use crate::error::{AppError, AppResult, DesktopCode};
use crate::import::{ImportPreview, ImportProgress, ImportReport, PreparedImport, PreviewRow};
use crate::state::AppState;
use sxadmin_client::core::csv::IssueCode;

/// Asks where to save the template and writes it. `None` when cancelled.
#[tauri::command]
pub async fn download_template() -> AppResult<Option<String>> {
    let Some(path) = dialogs::save_csv("Save the import template", "sxadmin-users.csv").await
    else {
        return Ok(None);
    };
    let template = sxadmin_client::core::csv::template();
    write_picked_file(&path, template.as_bytes()).await
}

/// Writes a file the user chose in the save dialog and answers with where it went.
async fn write_picked_file(path: &std::path::Path, contents: &[u8]) -> AppResult<Option<String>> {
    tokio::fs::write(path, contents).await.map_err(|e| {
        AppError::file(
            DesktopCode::WriteFailed,
            format!("cannot write {}: {e}", path.display()),
        )
    })?;
    Ok(Some(path.display().to_string()))
}

/// The native open dialog, then the preview of the chosen file. `None` when cancelled.
#[tauri::command]
pub async fn choose_import_file(state: State<'_, AppState>) -> AppResult<Option<ImportPreview>> {
    let client = state.client().await?;
    let Some(path) = dialogs::pick_csv("Choose the CSV file to import").await else {
        return Ok(None);
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let size = tokio::fs::metadata(&path)
        .await
        .map_err(|e| AppError::file(DesktopCode::ReadFailed, format!("cannot read {name}: {e}")))?
        .len();
    if size > ReadOptions::DEFAULT_MAX_BYTES as u64 {
        return Err(AppError::file(
            IssueCode::FileTooLarge,
            format!(
                "{name} is {} MB and the limit is {} MB; split it into smaller files",
                size / 1_000_000,
                ReadOptions::DEFAULT_MAX_BYTES / 1_000_000
            ),
        ));
    }
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::file(DesktopCode::ReadFailed, format!("cannot read {name}: {e}")))?;
    prepare(&state, &client, name, &bytes).await.map(Some)
}

/// A file dropped on the window: its bytes arrive as the raw IPC body, its name in the
/// `x-file-name` header (percent-encoded).
#[tauri::command]
pub async fn load_import_bytes(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> AppResult<ImportPreview> {
    let client = state.client().await?;
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::Invalid(
            "the dropped file did not arrive as bytes".into(),
        ));
    };
    let name = request
        .headers()
        .get("x-file-name")
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_else(|| "dropped file".to_owned());
    prepare(&state, &client, name, bytes).await
}

/// Reads the file, takes a snapshot of the portal and plans the import.
async fn prepare(
    state: &AppState,
    client: &PortalClient,
    file_name: String,
    bytes: &[u8],
) -> AppResult<ImportPreview> {
    if state.importing.load(Ordering::SeqCst) {
        return Err(AppError::Busy);
    }
    let file = read(bytes, &ReadOptions::default())
        .map_err(|error| AppError::file(error.code(), format!("{file_name}: {error}")))?
        .into_owned();
    let snapshot = snapshot(client).await?;
    let plan = build_plan(&file, &snapshot);
    let prepared = PreparedImport {
        file_name,
        file,
        plan,
        digest: sxadmin_client::import::file_digest(bytes),
        results: Vec::new(),
    };
    let preview = prepared.preview();
    *state.lock_import()? = Some(prepared);
    Ok(preview)
}

/// Every user of the account, the approved domains and the pool, as the plan needs them.
pub async fn snapshot(client: &PortalClient) -> AppResult<PortalSnapshot> {
    Ok(sxadmin_client::import::snapshot(client).await?)
}

/// One window of the preview table.
#[tauri::command]
pub async fn import_rows(
    state: State<'_, AppState>,
    offset: u32,
    limit: u32,
) -> AppResult<Vec<PreviewRow>> {
    let guard = state.lock_import()?;
    let prepared = guard.as_ref().ok_or(AppError::NoImport)?;
    Ok(prepared.rows(offset as usize, limit.min(2000) as usize))
}

#[tauri::command]
pub async fn cancel_import(state: State<'_, AppState>) -> AppResult<()> {
    state.cancel.store(true, Ordering::SeqCst);
    Ok(())
}

/// Asks where to save the results of the last import and writes them (Excel-safe CSV).
#[tauri::command]
pub async fn save_import_results(state: State<'_, AppState>) -> AppResult<Option<String>> {
    let rows = {
        let guard = state.lock_import()?;
        let prepared = guard.as_ref().ok_or(AppError::NoImport)?;
        if prepared.results.is_empty() {
            return Err(AppError::Invalid(
                "there are no results yet; run the import first".into(),
            ));
        }
        prepared.results.clone()
    };
    let Some(path) = dialogs::save_csv("Save the import results", "import-results.csv").await
    else {
        return Ok(None);
    };
    let mut out = Vec::new();
    write_results(rows, &mut out)
        .map_err(|e| AppError::Internal(format!("cannot write the results: {e}")))?;
    write_picked_file(&path, &out).await
}

/// Applies the previewed plan, reporting progress on `progress` after every batch. The
/// plan is taken again from a fresh snapshot first, so rows that changed on the portal
/// since the preview are not overwritten blindly.
#[tauri::command]
pub async fn apply_import(
    state: State<'_, AppState>,
    progress: tauri::ipc::Channel<ImportProgress>,
) -> AppResult<ImportReport> {
    let client = state.client().await?;
    if state.importing.swap(true, Ordering::SeqCst) {
        return Err(AppError::Busy);
    }
    state.cancel.store(false, Ordering::SeqCst);
    let outcome = run_import(&state, &client, &progress).await;
    state.importing.store(false, Ordering::SeqCst);
    outcome
}

async fn run_import(
    state: &AppState,
    client: &PortalClient,
    channel: &tauri::ipc::Channel<ImportProgress>,
) -> AppResult<ImportReport> {
    let snapshot = snapshot(client).await?;
    let (plan, digest) = {
        let guard = state.lock_import()?;
        let prepared = guard.as_ref().ok_or(AppError::NoImport)?;
        (build_plan(&prepared.file, &snapshot), prepared.digest)
    };
    let me = client.me().await?;
    let scope = sxadmin_client::import::key_scope(me.account.id, &digest);
    let outcome = sxadmin_client::import::apply(
        client,
        &plan,
        &scope,
        &ApplyOptions::default(),
        &state.cancel,
        |p| {
            // A closed window cannot receive progress; the import goes on regardless.
            let _ = channel.send(ImportProgress::from(p));
        },
    )
    .await;

    let report = ImportReport {
        progress: ImportProgress::from(&outcome.progress),
        cancelled: outcome.cancelled,
        failures: outcome
            .results
            .iter()
            .filter(|row| row.outcome == BatchOutcome::Error)
            .take(1000)
            .cloned()
            .collect(),
    };
    if let Some(prepared) = state.lock_import()?.as_mut() {
        prepared.plan = plan;
        prepared.results = outcome.results;
    }
    Ok(report)
}
