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
        // One fixed result file, so figures compare across runs and with earlier ones.
        .arg("--fixture-videos")
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

/// Runs a command to its end; returns its stdout, wall time and peak RSS (KiB): the process's
/// own `VmHWM` (`/proc/PID/status`), read every 5 ms until it exits. (`wait4`'s `ru_maxrss` is
/// not used: Linux folds the parent's memory into it at fork and exec, so every child would
/// show at least this process's size.)
fn measured(command: &mut Command) -> Result<(String, Duration, u64), String> {
    let start = Instant::now();
    let mut child =
        command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().map_err(|e| format!("{command:?}: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).map(|_| out)
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Some(kib) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmHWM:")?.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = start.elapsed();
    let out = reader.join().map_err(|_| "the stdout reader panicked")?.map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("{command:?} failed ({status})"));
    }
    Ok((out, wall, peak))
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

/// The median of `values` (the upper one of an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub fn run(root: &Path, cargo: &str, quick: bool) -> Result<(), String> {
    let status = Command::new(cargo)
        .args(["build", "--release", "--locked", "-p", "videogen-sim", "-p", "videogen-bench", "-p", "videogen-cli"])
        .current_dir(root)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("building the release binaries failed".into());
    }
    crate::contract::install_tools(root)?;
    let bench = root.join("target/release/videogen-bench");
    let python = root.join("target/tools/sdk-venv/bin/python");
    let peer = root.join("tools/bench/openai_peer.py");
    // Scratch files on a tmpfs where there is one: on a disk, allocating each new file's inode
    // costs about 1 ms per job for every client and compresses every ratio.
    let shm = Path::new("/dev/shm");
    let (scratch, scratch_place): (PathBuf, String) = if shm.is_dir()
        && std::fs::create_dir_all(shm.join(format!("videogen-bench-{}", std::process::id()))).is_ok()
    {
        (shm.join(format!("videogen-bench-{}", std::process::id())), "/dev/shm (tmpfs)".into())
    } else {
        (root.join("target/bench-scratch"), "target/bench-scratch (disk: no /dev/shm)".into())
    };
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    println!("scratch files: {scratch_place}");
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut commands: Vec<String> = Vec::new();

    // 1. Per-job CPU: the facade, the raw reqwest loop and the limit baseline (one process,
    // rotating order) and the official openai Python SDK (its own process), alternating rounds.
    let (jobs, rounds) = if quick { ("20", 2) } else { ("200", 6) };
    {
        let sim = start_sim(root, &["--queued-ms", "0", "--processing-ms", "0", "--result-size", "1048576"])?;
        let base = format!("{}/v1", sim.base);
        let (mut facade, mut raw, mut limit, mut peer_cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let ours = |facade: &mut Vec<f64>, raw: &mut Vec<f64>, limit: &mut Vec<f64>| -> Result<(), String> {
                let args = ["overhead", "--base", &base, "--jobs", jobs, "--rounds", "1", "--dir"];
                let (out, _, _) = measured(Command::new(&bench).args(args).arg(scratch.join("overhead")))?;
                let v = json(&out)?;
                facade.push(v["facade_median_cpu_ms"].as_f64().unwrap_or(0.0));
                raw.push(v["raw_median_cpu_ms"].as_f64().unwrap_or(0.0));
                limit.push(v["limit_median_cpu_ms"].as_f64().unwrap_or(0.0));
                Ok(())
            };
            let theirs = |peer_cpu: &mut Vec<f64>| -> Result<(), String> {
                let (out, _, _) = measured(
                    Command::new(&python)
                        .args(["-W", "ignore::DeprecationWarning"])
                        .arg(&peer)
                        .args(["overhead", "--base", &base, "--jobs", jobs, "--dir"])
                        .arg(scratch.join("peer")),
                )?;
                peer_cpu.push(json(&out)?["cpu_ms_per_job"].as_f64().unwrap_or(0.0));
                Ok(())
            };
            if round % 2 == 0 {
                ours(&mut facade, &mut raw, &mut limit)?;
                theirs(&mut peer_cpu)?;
            } else {
                theirs(&mut peer_cpu)?;
                ours(&mut facade, &mut raw, &mut limit)?;
            }
        }
        commands.push(format!(
            "videogen-bench overhead --jobs {jobs} --rounds 1 and python tools/bench/openai_peer.py overhead --jobs {jobs} \
             (openai 3.51.0, sync client), {rounds} alternating rounds (sim: --queued-ms 0 --processing-ms 0 --result-size 1048576)"
        ));
        let ratios = |num: &[f64], den: &[f64]| -> (f64, f64) {
            let r: Vec<f64> = num.iter().zip(den).map(|(a, b)| a / b).collect();
            (r.iter().copied().fold(f64::MAX, f64::min), r.iter().copied().fold(0.0, f64::max))
        };
        let (py_lo, py_hi) = ratios(&peer_cpu, &facade);
        let (raw_lo, raw_hi) = ratios(&facade, &raw);
        let (lim_lo, lim_hi) = ratios(&facade, &limit);
        rows.push((
            "per-job CPU (create + 10 status reads + 1 MiB download, fsync, rename)".into(),
            format!(
                "facade {:.2} ms, raw reqwest loop {:.2} ms, limit baseline {:.2} ms, openai-python {:.2} ms (medians of {rounds} alternating rounds of {jobs})",
                median(&facade),
                median(&raw),
                median(&limit),
                median(&peer_cpu)
            ),
            format!(
                "openai-python / facade {py_lo:.1}–{py_hi:.1} (target ≥ 10); facade / raw {raw_lo:.2}–{raw_hi:.2} (target ≤ 1.0); facade / limit {lim_lo:.2}–{lim_hi:.2} (target ≤ 1.3)"
            ),
        ));
    }

    // 2. Concurrency: N jobs through one client, jobs that take 3 s, the poll hint honoured;
    // at 1,000 (100 with --quick) the facade and AsyncOpenAI side by side, alternately.
    let sim_args = ["--queued-ms", "1000", "--processing-ms", "2000", "--openai-poll-after-ms", "1000"];
    let facade_run = |n: usize| -> Result<(serde_json::Value, u64, f64), String> {
        let sim = start_sim(root, &sim_args)?;
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
        let polls = after["requests"]["openai.GetVideo"].as_f64().unwrap_or(0.0)
            - before["requests"]["openai.GetVideo"].as_f64().unwrap_or(0.0);
        Ok((json(&out)?, rss, polls / n as f64))
    };
    let side_by_side = if quick { 100 } else { 1000 };
    {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for round in 0..2 {
            let peer_run = || -> Result<(serde_json::Value, u64), String> {
                let sim = start_sim(root, &sim_args)?;
                let (out, _, rss) = measured(
                    Command::new(&python)
                        .args(["-W", "ignore::DeprecationWarning"])
                        .arg(&peer)
                        .args(["concurrency", "--base", &format!("{}/v1", sim.base), "--poll-ms", "1000", "--jobs"])
                        .arg(side_by_side.to_string()),
                )?;
                Ok((json(&out)?, rss))
            };
            if round == 0 {
                ours.push(facade_run(side_by_side)?);
                theirs.push(peer_run()?);
            } else {
                theirs.push(peer_run()?);
                ours.push(facade_run(side_by_side)?);
            }
        }
        let cpu = |v: &serde_json::Value| v["cpu_s"].as_f64().unwrap_or(0.0);
        let (our_cpu, their_cpu): (Vec<f64>, Vec<f64>) =
            (ours.iter().map(|o| cpu(&o.0)).collect(), theirs.iter().map(|t| cpu(&t.0)).collect());
        let our_rss = ours.iter().map(|o| o.1).max().unwrap_or(0);
        let their_rss = theirs.iter().map(|t| t.1).max().unwrap_or(0);
        let errors = |v: &[serde_json::Value]| v.iter().map(|x| x["errors"].as_u64().unwrap_or(0)).sum::<u64>();
        commands.push(format!(
            "videogen-bench concurrency --jobs {side_by_side} --poll-ms 1000 and python tools/bench/openai_peer.py concurrency \
             --jobs {side_by_side} (AsyncOpenAI + asyncio.gather), 2 alternating rounds (sim: {})",
            sim_args.join(" ")
        ));
        rows.push((
            format!("{side_by_side} concurrent jobs: facade and openai-python (AsyncOpenAI) side by side"),
            format!(
                "CPU facade {:.2} s, openai-python {:.2} s (medians); peak RSS {:.1} MiB and {:.1} MiB; errors {} and {}",
                median(&our_cpu),
                median(&their_cpu),
                mib(our_rss),
                mib(their_rss),
                errors(&ours.iter().map(|o| o.0.clone()).collect::<Vec<_>>()),
                errors(&theirs.iter().map(|t| t.0.clone()).collect::<Vec<_>>())
            ),
            format!(
                "CPU ratio {:.1}, memory ratio {:.1}",
                median(&their_cpu) / median(&our_cpu).max(1e-9),
                their_rss as f64 / our_rss.max(1) as f64
            ),
        ));
    }
    let sizes: &[usize] = if quick { &[] } else { &[10_000, 100_000] };
    for &n in sizes {
        let (v, rss, polls) = facade_run(n)?;
        commands.push(format!("videogen-bench concurrency --jobs {n} --poll-ms 1000 (sim: {})", sim_args.join(" ")));
        rows.push((
            format!("{n} concurrent jobs, one Client (jobs take 3 s)"),
            format!(
                "wall {:.2} s, CPU {:.2} s, {polls:.1} polls/job, {} errors; each job's future {} bytes, its wait's stream {} bytes",
                v["wall_s"].as_f64().unwrap_or(0.0),
                v["cpu_s"].as_f64().unwrap_or(0.0),
                v["errors"],
                v["future_bytes"],
                v["stream_bytes"]
            ),
            format!("peak RSS {:.1} MiB (target at 100,000: ≤ 256 MiB, 0 errors)", mib(rss)),
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
            // download_to fsyncs its file before the rename: curl's file is synced too (`sync FILE`).
            let (_, fetch, rss) = measured(Command::new("curl").args(["-s", "-o"]).arg(&file).arg(&url))?;
            let (_, sync, _) = measured(Command::new("sync").arg(&file))?;
            let wall = fetch + sync;
            theirs.push(size as f64 / 1048576.0 / wall.as_secs_f64());
            curl_rss = curl_rss.max(rss);
            let _ = std::fs::remove_file(&file);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        commands.push(format!(
            "videogen-bench download / curl -s -o FILE URL && sync FILE, alternately (sim: --result-size {size})"
        ));
        rows.push((
            format!("download {} MiB", size >> 20),
            format!(
                "download_to {:.0} MiB/s (peak RSS {:.1} MiB), curl {:.0} MiB/s (peak RSS {:.1} MiB)",
                mean(&ours),
                mib(our_rss),
                mean(&theirs),
                mib(curl_rss)
            ),
            format!(
                "throughput ratio {:.2} (target ≥ 1.0, both with fsync; RSS ≤ 16 MiB)",
                mean(&ours) / mean(&theirs)
            ),
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

    // 4. The shared batch ledger: lines per second with 1, 2 and 4 workers on PostgreSQL.
    rows.push(ledger_row(root, &scratch, quick, &mut commands)?);

    // 5. Build and size.
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
        "{} cores, {:.1} GiB memory; {}; {}; {}; scratch files on {scratch_place}",
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

/// `videogen batch` workers on one PostgreSQL ledger (a throwaway cluster) against a simulator
/// whose jobs finish at once: lines per second claimed and completed with 1, 2 and 4 workers,
/// the embedded journal with 1 worker beside them, and the time each line spent in ledger
/// statements (the workers' own count, `ledger.statement_seconds` of their summaries).
fn ledger_row(
    root: &Path,
    scratch: &Path,
    quick: bool,
    commands: &mut Vec<String>,
) -> Result<(String, String, String), String> {
    let lines = if quick { 40 } else { 400 };
    let cluster = videogen_testpg::Cluster::start()?;
    let sim = start_sim(root, &["--queued-ms", "0", "--processing-ms", "0"])?;
    let dir = scratch.join("ledger");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("prompts.jsonl");
    let text: Vec<String> =
        (1..=lines).map(|i| format!("{{\"prompt\": \"Bench line {i}: a paper boat\", \"duration\": 5}}")).collect();
    std::fs::write(&file, text.join("\n")).map_err(|e| e.to_string())?;
    let videogen = root.join("target/release/videogen");
    let worker = |out: &Path, ledger: Option<(&str, &str)>| {
        let mut cmd = Command::new(&videogen);
        for p in ["OXEN", "VIDEODB", "AIHUBMIX", "OPENAI"] {
            cmd.env_remove(format!("{p}_API_KEY")).env_remove(format!("{p}_BASE_URL"));
        }
        cmd.env("OXEN_API_KEY", "sk-bench").env("OXEN_BASE_URL", &sim.base);
        cmd.args(["--json", "batch"]).arg(&file).arg("--out-dir").arg(out);
        cmd.args(["--concurrency", "8", "--poll-interval", "0.05"]);
        if let Some((url, id)) = ledger {
            cmd.args(["--ledger", url, "--batch-id", id]);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::null());
        cmd
    };
    let rate = |wall: Duration| lines as f64 / wall.as_secs_f64();
    // Starts `workers` workers at once and waits for all: wall time, lines done, statement seconds.
    let run = |workers: usize, out: &Path, ledger: Option<(&str, &str)>| -> Result<(Duration, u64, f64), String> {
        let start = Instant::now();
        let children: Vec<Child> =
            (0..workers).map(|_| worker(out, ledger).spawn().map_err(|e| e.to_string())).collect::<Result<_, _>>()?;
        let (mut done, mut statements) = (0, 0.0);
        for child in children {
            let output = child.wait_with_output().map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&output.stdout);
            if !output.status.success() {
                return Err(format!("a batch worker failed ({}): {text}", output.status));
            }
            let v = json(&text)?;
            done += v["done"].as_u64().unwrap_or(0);
            statements += v["ledger"]["statement_seconds"].as_f64().unwrap_or(0.0);
        }
        if done != lines as u64 {
            return Err(format!("{workers} batch workers did {done} of {lines} lines"));
        }
        Ok((start.elapsed(), done, statements))
    };
    let (wall, _, _) = run(1, &dir.join("journal"), None)?;
    let journal = rate(wall);
    let mut figures = Vec::new();
    let mut per_line = Vec::new();
    for workers in [1usize, 2, 4] {
        let id = format!("bench-{workers}");
        let (wall, _, statements) = run(workers, &dir.join(&id), Some((&cluster.url, &id)))?;
        figures.push(format!("{workers} worker{}: {:.0} lines/s", if workers == 1 { "" } else { "s" }, rate(wall)));
        per_line.push(format!("{:.2} ms", statements * 1000.0 / lines as f64));
    }
    commands.push(format!(
        "videogen batch ({lines} lines, --concurrency 8 each) with the embedded journal, then on a throwaway PostgreSQL \
         cluster with 1, 2 and 4 workers (sim: --queued-ms 0 --processing-ms 0)"
    ));
    Ok((
        format!("shared batch ledger on PostgreSQL, {lines} lines, jobs that finish at once"),
        format!("{}; embedded journal, 1 worker: {journal:.0} lines/s", figures.join(", ")),
        format!("ledger statements per line (1, 2, 4 workers): {}", per_line.join(", ")),
    ))
}
