//! `cargo xtask bench [--quick]`: videogen measured against baselines in the same run, against a
//! release-mode `videogen-sim` in its own process. Prints one table; the full run also writes
//! `BENCHMARKS.md`. `--quick` (small sizes, no clean build) only checks that everything runs.
//!
//! Client-side figures come from the measured process itself (`/proc/self`: CPU time, `VmHWM`)
//! and from the kernel when it exits (`wait4`: peak RSS of a child, the same way for curl).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Sim {
    child: Child,
    base: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn start_sim(root: &Path, args: &[&str]) -> Result<Sim, String> {
    let port = free_port()?;
    let child = Command::new(root.join("target/release/videogen-sim"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--finished-job-cap", "100000"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("videogen-sim: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("videogen-sim did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Sim { child, base: format!("http://127.0.0.1:{port}") })
}

/// Runs a command to its end; returns its stdout, wall time and peak RSS (KiB) from `wait4`.
fn measured(command: &mut Command) -> Result<(String, Duration, u64), String> {
    let start = Instant::now();
    let mut child =
        command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().map_err(|e| format!("{command:?}: {e}"))?;
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout.read_to_string(&mut out).map_err(|e| e.to_string())?;
    }
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child's pid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: `pid` is our child, not yet reaped; `status` and `usage` are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if waited != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("{command:?} failed (status {status})"));
    }
    Ok((out, wall, usage.ru_maxrss as u64))
}

fn json(text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text.trim()).map_err(|e| format!("bench output {text:?}: {e}"))
}

fn counters(sim: &Sim) -> Result<serde_json::Value, String> {
    let out = Command::new("curl")
        .args(["-s", &format!("{}/_sim/counters", sim.base)])
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    json(&String::from_utf8_lossy(&out.stdout))
}

fn first_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").to_string())
        .unwrap_or_else(|| "?".into())
}

fn mem_total_gib() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:").and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub fn run(root: &Path, cargo: &str, quick: bool) -> Result<(), String> {
    let status = Command::new(cargo)
        .args(["build", "--release", "--locked", "-p", "videogen-sim", "-p", "videogen-bench"])
        .current_dir(root)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("building the release binaries failed".into());
    }
    let bench = root.join("target/release/videogen-bench");
    let scratch: PathBuf = root.join("target/bench-scratch");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut commands: Vec<String> = Vec::new();

    // 1. Per-job overhead.
    let (jobs, rounds) = if quick { ("20", "2") } else { ("200", "6") };
    {
        let sim = start_sim(root, &["--queued-ms", "0", "--processing-ms", "0", "--result-size", "1048576"])?;
        let args = ["overhead", "--base", &format!("{}/v1", sim.base), "--jobs", jobs, "--rounds", rounds, "--dir"];
        let (out, _, _) = measured(Command::new(&bench).args(args).arg(scratch.join("overhead")))?;
        let v = json(&out)?;
        commands.push(format!("videogen-bench overhead --jobs {jobs} --rounds {rounds} (sim: --queued-ms 0 --processing-ms 0 --result-size 1048576)"));
        rows.push((
            "per-job CPU (submit + 10 polls + 1 MiB download)".into(),
            format!(
                "facade {:.2} ms, raw reqwest loop {:.2} ms (medians of {rounds} alternating rounds of {jobs})",
                v["facade_median_cpu_ms"].as_f64().unwrap_or(0.0),
                v["raw_median_cpu_ms"].as_f64().unwrap_or(0.0)
            ),
            format!("ratio {:.2} (target ≤ 1.15)", v["ratio"].as_f64().unwrap_or(0.0)),
        ));
    }

    // 2. Concurrency.
    let sizes: &[usize] = if quick { &[100] } else { &[1000, 10_000] };
    for &n in sizes {
        let sim =
            start_sim(root, &["--queued-ms", "1000", "--processing-ms", "2000", "--openai-poll-after-ms", "1000"])?;
        let before = counters(&sim)?;
        let (out, _, rss) = measured(Command::new(&bench).args([
            "concurrency",
            "--base",
            &format!("{}/v1", sim.base),
            "--jobs",
            &n.to_string(),
            "--poll-ms",
            "1000",
        ]))?;
        let after = counters(&sim)?;
        let v = json(&out)?;
        let polls = after["requests"]["openai.GetVideo"].as_f64().unwrap_or(0.0)
            - before["requests"]["openai.GetVideo"].as_f64().unwrap_or(0.0);
        commands.push(format!(
            "videogen-bench concurrency --jobs {n} --poll-ms 1000 (sim: --queued-ms 1000 --processing-ms 2000 --openai-poll-after-ms 1000)"
        ));
        rows.push((
            format!("{n} concurrent jobs, one Client (jobs take 3 s)"),
            format!(
                "wall {:.2} s, CPU {:.2} s, {:.1} polls/job, {} errors",
                v["wall_s"].as_f64().unwrap_or(0.0),
                v["cpu_s"].as_f64().unwrap_or(0.0),
                polls / n as f64,
                v["errors"]
            ),
            format!("peak RSS {:.1} MiB (target ≤ 100 MiB at 10,000, 0 errors)", mib(rss)),
        ));
    }

    // 3. Downloads: download_to against curl, alternately.
    let size: u64 = if quick { 64 << 20 } else { 1 << 30 };
    {
        let sim = start_sim(root, &["--queued-ms", "0", "--processing-ms", "0", "--result-size", &size.to_string()])?;
        let (mut ours, mut theirs, mut our_rss, mut curl_rss) = (Vec::new(), Vec::new(), 0u64, 0u64);
        let file = scratch.join("download.mp4");
        for _ in 0..if quick { 1 } else { 3 } {
            let (out, _, rss) =
                measured(Command::new(&bench).args(["download", "--base", &sim.base, "--out"]).arg(&file))?;
            let v = json(&out)?;
            ours.push(v["mib_per_s"].as_f64().unwrap_or(0.0));
            our_rss = our_rss.max(rss);
            let url = v["url"].as_str().unwrap_or_default().to_string();
            let _ = std::fs::remove_file(&file);
            let (_, wall, rss) = measured(Command::new("curl").args(["-s", "-o"]).arg(&file).arg(&url))?;
            theirs.push(size as f64 / 1048576.0 / wall.as_secs_f64());
            curl_rss = curl_rss.max(rss);
            let _ = std::fs::remove_file(&file);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        commands
            .push(format!("videogen-bench download / curl -s -o FILE URL, alternately (sim: --result-size {size})"));
        rows.push((
            format!("download {} MiB", size >> 20),
            format!(
                "download_to {:.0} MiB/s (peak RSS {:.1} MiB), curl {:.0} MiB/s (peak RSS {:.1} MiB)",
                mean(&ours),
                mib(our_rss),
                mean(&theirs),
                mib(curl_rss)
            ),
            format!("throughput ratio {:.2} (target ≥ 0.9; RSS ≤ 32 MiB)", mean(&ours) / mean(&theirs)),
        ));
    }
    {
        let size: u64 = if quick { 8 << 20 } else { 64 << 20 };
        let sim = start_sim(root, &["--queued-ms", "0", "--processing-ms", "0", "--result-size", &size.to_string()])?;
        let (out, _, rss) =
            measured(Command::new(&bench).args(["b64", "--base", &sim.base, "--out"]).arg(scratch.join("b64.mp4")))?;
        let v = json(&out)?;
        let encoded = v["encoded_bytes"].as_f64().unwrap_or(1.0);
        commands.push(format!(
            "videogen-bench b64 (Oxen generate_now, response_format b64_json; sim: --result-size {size})"
        ));
        rows.push((
            format!("b64_json result of {} MiB", size >> 20),
            format!("encoded body {:.1} MiB, peak RSS {:.1} MiB", encoded / 1048576.0, mib(rss)),
            format!("RSS / encoded {:.2} (target ≤ 1.5)", rss as f64 * 1024.0 / encoded),
        ));
    }

    // 4. Build and size.
    if !quick {
        let target = root.join("target/bench-clean-build");
        let _ = std::fs::remove_dir_all(&target);
        let start = Instant::now();
        let status = Command::new(cargo)
            .args(["build", "--release", "--locked", "-p", "videogen", "--target-dir"])
            .arg(&target)
            .current_dir(root)
            .stderr(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        let secs = start.elapsed().as_secs_f64();
        let _ = std::fs::remove_dir_all(&target);
        if !status.success() {
            return Err("the clean build failed".into());
        }
        commands.push("cargo build --release -p videogen --target-dir <empty dir>".into());
        rows.push(("clean release build of videogen (default features)".into(), format!("{secs:.0} s"), String::new()));
    }
    let mut lines = Vec::new();
    for api in ["oxen", "videodb", "openai"] {
        let text =
            std::fs::read_to_string(root.join(format!("crates/videogen-{api}/src/generated.rs"))).unwrap_or_default();
        lines.push(format!("{api} {}", text.lines().count()));
    }
    rows.push(("generated code (lines of generated.rs)".into(), lines.join(", "), String::new()));
    let _ = std::fs::remove_dir_all(&scratch);

    let machine = format!(
        "{} cores, {:.1} GiB memory; {}; {}; {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        mem_total_gib(),
        first_line("rustc", &["-V"]),
        first_line("curl", &["--version"]).split(' ').take(2).collect::<Vec<_>>().join(" "),
        first_line("uname", &["-sr"])
    );
    let mut table = String::from("| measure | result | against the target |\n|---|---|---|\n");
    for (a, b, c) in &rows {
        table.push_str(&format!("| {a} | {b} | {c} |\n"));
    }
    println!("\nmachine: {machine}\n\n{table}");
    if !quick {
        let date = first_line("date", &["-u", "+%Y-%m-%d"]);
        let text = format!(
            "# Benchmarks\n\nRun on {date} with `cargo xtask bench` (release builds; the simulator runs as its own \
             process, so only the client's work is measured).\n\nMachine: {machine}.\n\n{table}\nCommands (each \
             against a fresh `videogen-sim --finished-job-cap 100000` with the flags shown):\n\n{}\n\nRerun: \
             `cargo xtask bench` (about 5 minutes, of which the clean build is most); `cargo xtask bench --quick` \
             checks that it runs.\n",
            commands.iter().map(|c| format!("- `{c}`")).collect::<Vec<_>>().join("\n")
        );
        std::fs::write(root.join("BENCHMARKS.md"), text).map_err(|e| e.to_string())?;
        println!("wrote BENCHMARKS.md");
    }
    Ok(())
}
