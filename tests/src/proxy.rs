//! A fault-injecting HTTP proxy that sits between a client and the portal.
//!
//! Each client connection carries one request (the proxy answers with `connection:
//! close`), so a fault can end a connection without disturbing others. Requests whose path
//! starts with the chosen prefix take the scripted faults in order, one each; the others,
//! and those past the end of the script, pass through untouched.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What happens to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded and answered as the portal answered.
    Pass,
    /// Answered 500 without reaching the portal.
    ServerError,
    /// Answered 429 with `Retry-After` of this many seconds, without reaching the portal.
    TooManyRequests(u64),
    /// The connection is closed before the request reaches the portal.
    Drop,
    /// Forwarded (the portal commits it), then the connection is closed without an answer.
    LoseAnswer,
    /// Forwarded, and answered only after this delay.
    Slow(Duration),
    /// Forwarded, and never answered until the proxy is dropped (a client killed here).
    Hang,
    /// Answered 401 as the portal answers an expired access token, without reaching it.
    ExpiredToken,
}

#[derive(Default)]
struct Script {
    prefix: String,
    faults: VecDeque<Fault>,
    /// Requests matching the prefix seen so far, and those the portal received.
    matched: usize,
    forwarded: usize,
    /// What was done, in order, and when, for the test's assertions.
    log: Vec<(Fault, std::time::Instant)>,
}

pub struct FaultProxy {
    pub url: String,
    script: Arc<Mutex<Script>>,
    seen: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy on 127.0.0.1 port 0 in front of `portal` (`http://127.0.0.1:PORT`).
    pub async fn start(portal: &str, prefix: &str, faults: Vec<Fault>) -> std::io::Result<Self> {
        let target: SocketAddr = portal
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let script = Arc::new(Mutex::new(Script {
            prefix: prefix.to_owned(),
            faults: faults.into(),
            ..Script::default()
        }));
        let seen = Arc::new(Notify::new());
        let task = {
            let script = script.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let script = script.clone();
                    let seen = seen.clone();
                    tokio::spawn(async move {
                        let _ = serve(stream, target, &script, &seen).await;
                    });
                }
            })
        };
        Ok(FaultProxy {
            url,
            script,
            seen,
            task,
        })
    }

    /// The faults applied so far to matching requests, with when each request arrived.
    pub fn log(&self) -> Vec<(Fault, std::time::Instant)> {
        self.script
            .lock()
            .map(|s| s.log.clone())
            .unwrap_or_default()
    }

    /// Requests of the prefix the portal received.
    pub fn forwarded(&self) -> usize {
        self.script.lock().map(|s| s.forwarded).unwrap_or_default()
    }

    /// Waits until `count` matching requests have reached the portal.
    pub async fn wait_forwarded(&self, count: usize) {
        loop {
            let notified = self.seen.notified();
            if self.forwarded() >= count {
                return;
            }
            notified.await;
        }
    }
}

async fn serve(
    mut client: TcpStream,
    target: SocketAddr,
    script: &Mutex<Script>,
    seen: &Notify,
) -> std::io::Result<()> {
    let request = read_request(&mut client).await?;
    let head_end = find(&request, b"\r\n\r\n").unwrap_or(request.len());
    let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
    let path = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or("")
        .to_owned();
    let fault = {
        let mut script = script
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        if path.starts_with(&script.prefix) {
            script.matched += 1;
            let fault = script.faults.pop_front().unwrap_or(Fault::Pass);
            script.log.push((fault.clone(), std::time::Instant::now()));
            fault
        } else {
            Fault::Pass
        }
    };
    match fault {
        Fault::ServerError => {
            return answer(
                &mut client,
                "500 Internal Server Error",
                "",
                r#"{"code":"internal","message":"the portal failed; try again"}"#,
            )
            .await
        }
        Fault::TooManyRequests(seconds) => {
            return answer(
                &mut client,
                "429 Too Many Requests",
                &format!("retry-after: {seconds}\r\n"),
                r#"{"code":"rate_limited","message":"too many requests; slow down"}"#,
            )
            .await
        }
        Fault::ExpiredToken => {
            return answer(
                &mut client,
                "401 Unauthorized",
                "",
                r#"{"code":"not_authenticated","message":"the access token has expired"}"#,
            )
            .await
        }
        Fault::Drop => return Ok(()),
        Fault::Pass | Fault::LoseAnswer | Fault::Slow(_) | Fault::Hang => {}
    }
    let response = forward(&request, head_end, target).await?;
    if path.starts_with(&script.lock().map(|s| s.prefix.clone()).unwrap_or_default()) {
        if let Ok(mut script) = script.lock() {
            script.forwarded += 1;
        }
        seen.notify_waiters();
    }
    match fault {
        Fault::LoseAnswer => Ok(()),
        Fault::Hang => {
            std::future::pending::<()>().await;
            Ok(())
        }
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            client.write_all(&response).await
        }
        _ => client.write_all(&response).await,
    }
}

/// Sends the request to the portal on a connection of its own and reads the whole answer.
/// The `Host` becomes the portal's own address, as a reverse proxy in front of a portal
/// sends it: the portal refuses requests for other host names.
async fn forward(request: &[u8], head_end: usize, target: SocketAddr) -> std::io::Result<Vec<u8>> {
    let head = String::from_utf8_lossy(&request[..head_end]);
    let mut rewritten = String::new();
    for line in head.split("\r\n") {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("connection:") {
            continue;
        }
        if lower.starts_with("host:") {
            rewritten.push_str(&format!("host: {target}\r\n"));
            continue;
        }
        rewritten.push_str(line);
        rewritten.push_str("\r\n");
    }
    rewritten.push_str("connection: close\r\n\r\n");
    let mut portal = TcpStream::connect(target).await?;
    portal.write_all(rewritten.as_bytes()).await?;
    portal
        .write_all(request.get(head_end + 4..).unwrap_or_default())
        .await?;
    let mut response = Vec::new();
    portal.read_to_end(&mut response).await?;
    // The client must not keep this connection: the next request may get another fault.
    Ok(close_connection(response))
}

fn close_connection(response: Vec<u8>) -> Vec<u8> {
    let Some(end) = find(&response, b"\r\n\r\n") else {
        return response;
    };
    let head = String::from_utf8_lossy(&response[..end]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(response.get(end + 4..).unwrap_or_default());
    bytes
}

async fn answer(
    client: &mut TcpStream,
    status: &str,
    extra_headers: &str,
    body: &str,
) -> std::io::Result<()> {
    let text = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         {extra_headers}connection: close\r\n\r\n{body}",
        body.len()
    );
    client.write_all(text.as_bytes()).await
}

/// Reads one request: the head, then as many body bytes as `content-length` says.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(8192);
    let mut buffer = [0u8; 16384];
    loop {
        if let Some(end) = find(&data, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return Ok(data);
            }
        }
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        }
        data.extend_from_slice(&buffer[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
