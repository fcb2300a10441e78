//! The Import users screen: template, choosing or dropping a file (CSV or a workbook, and
//! its sheet), the preview of every row and its plan with the removals a sync makes,
//! applying it, resuming an import that stopped, and the results file.
//! The steps are the client library's import workflow (read, plan, apply with a journal,
//! resume); this module only moves bytes and rows between the dialogs, the workflow and
//! the window.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use sxadmin_client::core::csv::results::write_results;
use sxadmin_client::core::csv::{IssueCode, ReadOptions};
use sxadmin_client::import::workflow::{self, ImportOptions, Planned};
use sxadmin_client::import::{ApplyOptions, Outcome};
use sxadmin_client::PortalClient;
use tauri::ipc::Channel;
use tauri::State;

use crate::dialogs::{self, FileFormat};
use crate::error::{AppError, AppResult, DesktopCode};
use crate::import::{
    ImportChoices, ImportPreview, ImportProgress, ImportReport, InterruptedImport, PreparedImport,
    PreviewRow,
};
use crate::state::AppState;

/// Asks where to save the template and writes it: the guided Excel workbook (drop-down
/// lists and a guide sheet) or the CSV header line. `None` when cancelled.
#[tauri::command]
pub async fn download_template(format: FileFormat) -> AppResult<Option<String>> {
    let Some(path) = format
        .save("Save the import template", "sxadmin-users")
        .await
    else {
        return Ok(None);
    };
    let template = match format {
        FileFormat::Xlsx => sxadmin_client::core::workbook::template_xlsx()?,
        FileFormat::Csv => sxadmin_client::core::csv::template().into_bytes(),
    };
    write_picked_file(&path, &template).await
}

/// Writes a file the user chose in the save dialog and answers with where it went.
pub(crate) async fn write_picked_file(
    path: &std::path::Path,
    contents: &[u8],
) -> AppResult<Option<String>> {
    let target = path.to_path_buf();
    let contents = contents.to_vec();
    let written = tokio::task::spawn_blocking(move || {
        sxadmin_client::files::write_private(&target, &contents)
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    written.map_err(|e| {
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
    let Some(path) = dialogs::pick_import_file("Choose the file to import").await else {
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
    prepare(&state, &client, name, bytes, ImportChoices::default())
        .await
        .map(Some)
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
    prepare(
        &state,
        &client,
        name,
        bytes.clone(),
        ImportChoices::default(),
    )
    .await
}

/// Plans the file already chosen again with another sheet or sync mode.
#[tauri::command]
pub async fn plan_import(
    state: State<'_, AppState>,
    choices: ImportChoices,
) -> AppResult<ImportPreview> {
    let client = state.client().await?;
    let (file_name, bytes) = {
        let guard = state.lock_import()?;
        let prepared = guard.as_ref().ok_or(AppError::NoImport)?;
        (prepared.file_name.clone(), prepared.bytes.clone())
    };
    prepare(&state, &client, file_name, bytes, choices).await
}

/// Where the journals of running and interrupted imports are kept.
fn journals(state: &AppState) -> PathBuf {
    state.folders().imports()
}

/// The workflow's options for what the administrator chose.
fn options(choices: &ImportChoices) -> ImportOptions {
    ImportOptions {
        sheet: choices.sheet.clone(),
        sync: choices.sync,
        ..ImportOptions::default()
    }
}

/// Reads the file and plans it against a snapshot of the portal. Nothing is written.
async fn prepare(
    state: &AppState,
    client: &PortalClient,
    file_name: String,
    bytes: Vec<u8>,
    choices: ImportChoices,
) -> AppResult<ImportPreview> {
    if state.importing.load(Ordering::SeqCst) {
        return Err(AppError::Busy);
    }
    let file = workflow::read_sheet(&bytes, choices.sheet.as_deref())
        .map_err(|error| AppError::file(error.code(), format!("{file_name}: {error}")))?
        .into_owned();
    let planned = workflow::plan_with(
        client,
        &bytes,
        &file_name,
        &journals(state),
        &options(&choices),
    )
    .await?;
    let prepared = PreparedImport {
        file_name,
        bytes,
        file,
        plan: planned.plan,
        choices,
    };
    let preview = prepared.preview();
    *state.lock_import()? = Some(prepared);
    Ok(preview)
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
    let rows = state.lock_results()?.clone();
    if rows.is_empty() {
        return Err(AppError::Invalid(
            "there are no results yet; run the import first".into(),
        ));
    }
    let Some(path) = dialogs::save_csv("Save the import results", "import-results.csv").await
    else {
        return Ok(None);
    };
    let mut out = Vec::new();
    write_results(rows, &mut out)
        .map_err(|e| AppError::Internal(format!("cannot write the results: {e}")))?;
    write_picked_file(&path, &out).await
}

/// Applies the previewed file, reporting progress on `progress` after every batch. The
/// file is planned again from a fresh snapshot first, so rows that changed on the portal
/// since the preview are not overwritten blindly. A journal in the app's data folder
/// records each settled row: if the app closes midway, the import can be resumed.
///
/// A plan that removes more users than the safeguard allows is refused unless
/// `confirmed_removals` is the number of users it removes, as the administrator typed it.
#[tauri::command]
pub async fn apply_import(
    state: State<'_, AppState>,
    confirmed_removals: Option<u32>,
    progress: Channel<ImportProgress>,
) -> AppResult<ImportReport> {
    let client = state.client().await?;
    let (file_name, bytes, choices) = {
        let guard = state.lock_import()?;
        let prepared = guard.as_ref().ok_or(AppError::NoImport)?;
        (
            prepared.file_name.clone(),
            prepared.bytes.clone(),
            prepared.choices.clone(),
        )
    };
    exclusive(&state, async {
        let mut planned: Planned = workflow::plan_with(
            &client,
            &bytes,
            &file_name,
            &journals(&state),
            &options(&choices),
        )
        .await?;
        if let Some(typed) = confirmed_removals {
            planned.confirm_removals(typed as usize)?;
        }
        let outcome = workflow::apply(
            &client,
            &planned,
            &ApplyOptions::default(),
            &state.cancel,
            |p| send(&progress, p),
        )
        .await?;
        if let Some(prepared) = state.lock_import()?.as_mut() {
            prepared.plan = planned.plan;
        }
        finish(&state, outcome)
    })
    .await
}

/// The imports of the signed-in account that stopped before their end.
#[tauri::command]
pub async fn interrupted_imports(state: State<'_, AppState>) -> AppResult<Vec<InterruptedImport>> {
    let account = state.account().await?;
    Ok(workflow::interrupted(&journals(&state), account)
        .iter()
        .filter_map(InterruptedImport::from_journal)
        .collect())
}

/// Goes on with an interrupted import: the rows it had not settled are sent with their
/// original keys, so none is created twice.
#[tauri::command]
pub async fn resume_import(
    state: State<'_, AppState>,
    id: String,
    progress: Channel<ImportProgress>,
) -> AppResult<ImportReport> {
    let client = state.client().await?;
    let journal = interrupted_journal(&state, &id).await?;
    exclusive(&state, async {
        let outcome = workflow::resume(
            &client,
            &journal,
            &ApplyOptions::default(),
            &state.cancel,
            |p| send(&progress, p),
        )
        .await?;
        finish(&state, outcome)
    })
    .await
}

/// Forgets an interrupted import; its file can still be imported again from the start.
#[tauri::command]
pub async fn discard_import(state: State<'_, AppState>, id: String) -> AppResult<()> {
    let journal = interrupted_journal(&state, &id).await?;
    Ok(workflow::discard(&journal)?)
}

/// The journal `id` names, only when it is an interrupted import of the signed-in account:
/// the web view names an import, never a path.
async fn interrupted_journal(state: &AppState, id: &str) -> AppResult<PathBuf> {
    let account = state.account().await?;
    workflow::interrupted(&journals(state), account)
        .into_iter()
        .find(|found| found.journal.file_name().is_some_and(|name| name == id))
        .map(|found| found.journal)
        .ok_or_else(|| {
            AppError::Invalid("that import has finished or was discarded already".into())
        })
}

fn send(channel: &Channel<ImportProgress>, progress: &sxadmin_client::import::Progress) {
    // A closed window cannot receive progress; the import goes on regardless.
    let _ = channel.send(ImportProgress::from(progress));
}

/// Keeps the results for "Save results…" and answers the report.
fn finish(state: &AppState, outcome: Outcome) -> AppResult<ImportReport> {
    let report = ImportReport::from(&outcome);
    *state.lock_results()? = outcome.results;
    Ok(report)
}

/// Runs one import at a time; Cancel stops the one running.
async fn exclusive(
    state: &AppState,
    import: impl std::future::Future<Output = AppResult<ImportReport>>,
) -> AppResult<ImportReport> {
    if state.importing.swap(true, Ordering::SeqCst) {
        return Err(AppError::Busy);
    }
    state.cancel.store(false, Ordering::SeqCst);
    let outcome = import.await;
    state.importing.store(false, Ordering::SeqCst);
    outcome
}
