//! A throwaway PostgreSQL cluster for the shared-ledger tests and benchmarks: `initdb` into a
//! temporary folder, `pg_ctl start` on a free loopback port, stopped and removed on drop. As
//! root (PostgreSQL refuses to run as root), the cluster runs as the `postgres` user through
//! `runuser`. `initdb` is looked up on the PATH, then in Debian's `/usr/lib/postgresql/N/bin`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running cluster.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
}

/// The folder of `initdb` and `pg_ctl`: on the PATH, else Debian's `/usr/lib/postgresql/N/bin`.
/// Whether `initdb` and `pg_ctl` can be found (as [`Cluster::start`] looks for them).
pub fn installed() -> bool {
    bin_dir().is_ok()
}

fn bin_dir() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Ok(dir);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).filter(|b| b.join("initdb").is_file()).collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions.pop().ok_or_else(|| {
        "PostgreSQL's initdb is not installed (cargo xtask ci installs it: apt-get install postgresql)".into()
    })
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// `program args…`, as the `postgres` user when this process is root.
fn as_cluster_user(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

/// A new empty folder under the system's temporary folder.
fn scratch() -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("videogen-pg-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

impl Cluster {
    /// Creates and starts a cluster (trust authentication on loopback, no fsync: it is thrown away).
    ///
    /// # Errors
    /// PostgreSQL is not installed, or `initdb` / `pg_ctl start` failed (their output).
    pub fn start() -> Result<Self, String> {
        let bin = bin_dir()?;
        let dir = scratch()?;
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["-R", "postgres:postgres"]).arg(&dir);
                    c
                },
                "chown the cluster folder",
            )?;
        }
        let data = dir.join("data");
        let mut init = as_cluster_user(&bin.join("initdb"));
        init.arg("-D").arg(&data).args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        run(init, "initdb")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port: {e}"))?
            .port();
        let cluster = Self { dir, bin, port, url: format!("postgres://postgres@127.0.0.1:{port}/postgres") };
        cluster.restart()?;
        Ok(cluster)
    }

    /// Stops the server at once, as a crash does (`pg_ctl stop -m immediate`: connections are
    /// cut, nothing is shut down cleanly; the data survives for [`Cluster::restart`]).
    ///
    /// # Errors
    /// `pg_ctl stop` failed (its output).
    pub fn crash(&self) -> Result<(), String> {
        let mut stop = as_cluster_user(&self.bin.join("pg_ctl"));
        stop.arg("-D").arg(self.dir.join("data")).args(["-m", "immediate", "-w", "stop"]);
        run(stop, "pg_ctl stop")
    }

    /// Starts the server (again, after [`Cluster::crash`]) on the same port, and waits until
    /// it takes connections.
    ///
    /// # Errors
    /// `pg_ctl start` failed (its output).
    pub fn restart(&self) -> Result<(), String> {
        let mut start = as_cluster_user(&self.bin.join("pg_ctl"));
        start
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("log"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                self.port,
                self.dir.display()
            ))
            .args(["-w", "start"]);
        run(start, "pg_ctl start")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut stop = as_cluster_user(&self.bin.join("pg_ctl"));
        stop.arg("-D").arg(self.dir.join("data")).args(["-m", "immediate", "stop"]);
        let _ = stop.output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
