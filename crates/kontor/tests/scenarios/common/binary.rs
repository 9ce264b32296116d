//! The real `kontor` binary as its own process, for tests that need one (kill -9, logs on
//! disk, the command line as people type it).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_kontor");
/// The token that opens `/metrics` of a server started here.
pub const METRICS_TOKEN: &str = "metrics-token-for-the-tests-0123456789";

/// A running `kontor serve`; killed when dropped.
pub struct Serve {
    pub child: Child,
    pub port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `kontor serve` on the data directory and waits until it listens; with `log`, its
/// output goes there at debug level.
pub fn serve(data: &Path, port: u16, log: Option<&Path>) -> Serve {
    // These tests send thousands of messages a minute from one device: past the limit that
    // stops a flood (which has tests of its own), so it is raised here.
    let config = data.with_extension("toml");
    std::fs::write(&config, "[limits]\nmessages_per_minute = 1000000\n").unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--data", data.to_str().unwrap()])
        .args(["--config", config.to_str().unwrap()])
        .env("KONTOR_LISTEN", format!("127.0.0.1:{port}"))
        .env("KONTOR_METRICS_TOKEN", METRICS_TOKEN);
    match log {
        Some(log) => {
            let out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .unwrap();
            cmd.env("RUST_LOG", "debug")
                .stdout(Stdio::from(out.try_clone().unwrap()))
                .stderr(Stdio::from(out));
        }
        None => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    let child = cmd.spawn().unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Serve { child, port }
}
