//! `sxadmin portal serve`: a portal that is not a demo never prints a sign-in code or writes
//! one to disk, unless it is started with the development mailer, whose outbox only its
//! owner can read.

use std::path::Path;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdout};

use crate::harness::Sxadmin;

const ADMIN: &str = "admin@demo.example";

/// A portal started by `sxadmin portal serve`, with what it printed until it listened.
struct Served {
    child: Child,
    url: String,
    stdout: BufReader<ChildStdout>,
    printed: String,
}

impl Served {
    /// Serves a database that holds the demo account, without `--demo`.
    async fn start(home: &Path, extra: &[&str]) -> Served {
        let db = home.join("portal.sqlite");
        let store = sxadmin_portal::open(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sxadmin_portal::demo::seed(store.as_ref()).await.unwrap();
        drop(store);
        let db = db.display().to_string();
        let mut args = vec!["portal", "serve", "--listen", "127.0.0.1:0", "--db", &db];
        args.extend_from_slice(extra);
        let mut child = Sxadmin::new(home, &args).spawn();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut printed = String::new();
        let url = loop {
            let mut line = String::new();
            assert!(
                stdout.read_line(&mut line).await.unwrap() > 0,
                "the portal stopped before it listened: {printed}"
            );
            printed.push_str(&line);
            if let Some((_, url)) = line.trim().split_once("listening on ") {
                break url.to_owned();
            }
        };
        Served {
            child,
            url,
            stdout,
            printed,
        }
    }

    /// Asks for a sign-in code for the demo administrator, as a browser does.
    async fn request_code(&self) {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = http
            .get(format!("{}/oauth/authorize", self.url))
            .query(&[
                ("response_type", "code"),
                ("client_id", "sxadmin-cli"),
                ("redirect_uri", "http://127.0.0.1:1234/callback"),
                ("code_challenge", &"c".repeat(43)),
                ("code_challenge_method", "S256"),
                ("state", "s"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), reqwest::StatusCode::OK);
        let cookies: Vec<String> = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect();
        let html = page.text().await.unwrap();
        let marker = "name=\"flow\" value=\"";
        let start = html.find(marker).expect("the e-mail form") + marker.len();
        let flow: String = html[start..].chars().take_while(|&c| c != '"').collect();
        let answer = http
            .post(format!("{}/signin/email", self.url))
            .header("origin", &self.url)
            .header("cookie", cookies.join("; "))
            .form(&[("flow", flow.as_str()), ("email", ADMIN)])
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let html = answer.text().await.unwrap();
        assert_eq!(status, reqwest::StatusCode::OK, "{html}");
        assert!(html.contains("/signin/code"), "the code form: {html}");
    }

    /// Stops the portal and returns everything it printed on standard output and error.
    async fn stop(mut self) -> (String, String) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).await.unwrap();
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .await
            .unwrap();
        (self.printed + &rest, stderr)
    }
}

#[tokio::test]
async fn a_portal_without_a_mailer_never_prints_or_writes_sign_in_codes() {
    let home = tempfile::tempdir().unwrap();
    let served = Served::start(home.path(), &[]).await;
    // The sign-in goes as far as sending the code: the message is dropped, not shown.
    served.request_code().await;
    let (stdout, stderr) = served.stop().await;
    assert!(!stdout.contains("sign-in code"), "{stdout}");
    assert!(!stdout.contains("outbox"), "{stdout}");
    assert!(
        stderr.contains("cannot send sign-in e-mails") && stderr.contains("--dev-mailer"),
        "the start says e-mails cannot be sent, and how to get the development mailer: {stderr}"
    );
    let outbox = home.path().join("data").join("portal").join("outbox");
    assert!(!outbox.exists(), "nothing written to {}", outbox.display());
}

#[tokio::test]
async fn the_development_mailer_prints_codes_and_keeps_its_outbox_private() {
    let home = tempfile::tempdir().unwrap();
    let outbox = home.path().join("mail");
    let served = Served::start(
        home.path(),
        &["--dev-mailer", "--outbox", outbox.to_str().unwrap()],
    )
    .await;
    served.request_code().await;
    let (stdout, _) = served.stop().await;
    assert!(stdout.contains("development mailer"), "{stdout}");
    assert!(
        stdout.contains(&format!("sign-in code for {ADMIN}")),
        "{stdout}"
    );
    let messages: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(messages.len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&outbox), 0o700);
        assert_eq!(mode(&messages[0]), 0o600);
    }
}

#[tokio::test]
async fn an_outbox_without_the_development_mailer_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let outbox = home.path().join("mail");
    let run = Sxadmin::new(
        home.path(),
        &[
            "portal",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--outbox",
            outbox.to_str().unwrap(),
        ],
    )
    .run()
    .await;
    assert_ne!(run.code, Some(0), "{run:?}");
    assert!(run.stderr.contains("--dev-mailer"), "{run:?}");
    assert!(!outbox.exists());
}
