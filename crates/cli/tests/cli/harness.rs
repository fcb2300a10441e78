//! What every test of the `sxadmin` binary needs: the built binary run as a script runs it
//! (no terminal on stdin, nothing inherited from the developer's own sign-in), a private
//! configuration and data folder, and the demo portal on a loopback port.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use sxadmin_client::{PortalClient, PortalUrl};
use sxadmin_portal::PortalConfig;
use sxadmin_tests::portal::DemoPortal;

/// A non-administrator of the demo account.
pub const STANDARD_USER: &str = "camille.tremblay@demo.example";

/// One run of `sxadmin` about to start: arguments, environment and folders.
pub struct Sxadmin {
    command: tokio::process::Command,
    shown: String,
}

impl Sxadmin {
    /// `sxadmin ARGS` with its settings, journals and results under `home`, and no
    /// portal, token or log level from the environment of whoever runs the tests.
    pub fn new(home: &Path, args: &[&str]) -> Sxadmin {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sxadmin"));
        command
            .args(args)
            .env("SXADMIN_CONFIG_DIR", home.join("config"))
            .env("SXADMIN_DATA_DIR", home.join("data"))
            .env_remove("SXADMIN_TOKEN")
            .env_remove("SXADMIN_PORTAL")
            .env_remove("SXADMIN_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        Sxadmin {
            command,
            shown: args.join(" "),
        }
    }

    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Sxadmin {
        self.command.env(name, value);
        self
    }

    pub fn env_remove(mut self, name: &str) -> Sxadmin {
        self.command.env_remove(name);
        self
    }

    pub fn spawn(mut self) -> tokio::process::Child {
        self.command.spawn().expect("sxadmin starts")
    }

    pub async fn run(mut self) -> Run {
        let output = self.command.output().await.expect("sxadmin runs");
        Run {
            args: self.shown,
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}

/// A finished run of `sxadmin`.
#[derive(Debug)]
pub struct Run {
    pub args: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "`sxadmin {}` exited {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        self.expect(0)
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`sxadmin {}` printed no JSON ({e}):\nstdout:\n{}\nstderr:\n{}",
                self.args, self.stdout, self.stderr
            )
        })
    }
}

/// A folder of its own for a test that needs no portal.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    pub fn sxadmin(&self, args: &[&str]) -> Sxadmin {
        Sxadmin::new(self.dir.path(), args)
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        self.sxadmin(args).run().await
    }
}

/// The demo portal, with the test's folders kept next to its database.
pub struct Portal {
    pub demo: DemoPortal,
    pub url: String,
    pub admin_token: String,
}

impl Portal {
    pub async fn start() -> Portal {
        Portal::start_with(PortalConfig::default()).await
    }

    pub async fn start_with(config: PortalConfig) -> Portal {
        let demo = DemoPortal::start(config).await;
        Portal {
            url: demo.url.clone(),
            admin_token: demo.admin_token.clone(),
            demo,
        }
    }

    pub fn home(&self) -> &Path {
        self.demo.dir.path()
    }

    /// A client signed in as the demo administrator, to set up and check what the
    /// command did.
    pub fn client(&self) -> PortalClient {
        PortalClient::new(
            PortalUrl::parse(&self.url).expect("the portal's address"),
            self.admin_token.clone(),
        )
        .expect("a client")
    }

    /// `sxadmin ARGS` with no sign-in at all: neither token nor portal address.
    pub fn signed_out(&self, args: &[&str]) -> Sxadmin {
        Sxadmin::new(self.home(), args)
    }

    /// `sxadmin ARGS` for the portal at `portal` (the demo portal, or a proxy in front of
    /// it), signed in with `token`.
    pub fn sxadmin_at(&self, portal: &str, token: Option<&str>, args: &[&str]) -> Sxadmin {
        let command = self.signed_out(args).env("SXADMIN_PORTAL", portal);
        match token {
            Some(token) => command.env("SXADMIN_TOKEN", token),
            None => command,
        }
    }

    /// `sxadmin ARGS` as the administrator, with a personal token as a script uses it.
    pub fn sxadmin(&self, args: &[&str]) -> Sxadmin {
        self.sxadmin_at(&self.url, Some(&self.admin_token), args)
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        self.sxadmin(args).run().await
    }

    pub async fn run_as(&self, token: Option<&str>, args: &[&str]) -> Run {
        self.sxadmin_at(&self.url, token, args).run().await
    }

    /// Writes `text` to a file of the test's folder.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        write_file(self.home(), name, text)
    }
}

pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the test file is written");
    path
}

/// A file of the shared CSV fixtures.
pub fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/csv")
        .join(name)
        .display()
        .to_string()
}

/// The cells of the table row whose first cell is `key`.
pub fn row<'a>(table: &'a str, key: &str) -> Option<Vec<&'a str>> {
    table.lines().find_map(|line| {
        let cells = cells(line);
        (cells.first() == Some(&key)).then_some(cells)
    })
}

/// A table line's cells: the table separates them with at least two spaces, never with
/// one, so a name with a space stays one cell.
pub fn cells(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect()
}
