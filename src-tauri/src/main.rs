//! The SX Admin desktop console. The native window arrives with the desktop issue; until
//! then this binary only states where the administration tools are.

fn main() {
    println!(
        "SX Admin desktop {}: the window is not built yet; use `sxadmin` meanwhile.",
        env!("CARGO_PKG_VERSION")
    );
}
