//! The SX Admin desktop console.

// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // WebKitGTK's accelerated compositing, on machines without GPU drivers (virtual
    // machines, remote desktops), paints each frame in software through an extra
    // layer: scrolling long lists is about five times slower and the web process holds
    // some 80 MB more. The app's pages gain nothing from it. Set before any thread
    // starts; a value the user set is kept.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    if let Err(error) = sxadmin_desktop::run() {
        eprintln!("SX Admin could not start: {error}");
        std::process::exit(1);
    }
}
