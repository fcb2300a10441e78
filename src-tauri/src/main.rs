//! The SX Admin desktop console.

// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(error) = sxadmin_desktop::run() {
        eprintln!("SX Admin could not start: {error}");
        std::process::exit(1);
    }
}
