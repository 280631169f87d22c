//! The built `videogen` binary, driven as a user would, against the simulator.

use serde_json::Value;

use std::time::Duration;

mod common;

use common::*;

#[test]
fn generate_writes_an_mp4_on_every_provider_offline() {
    let dir = scratch("generate");
    for provider in ["oxen", "videodb", "aihubmix", "openai", "replicate"] {
        let out = dir.join(format!("{provider}.mp4"));
        let output = videogen()
            .args(["generate", "A red balloon floating upward through blue sky", "--provider", provider])
            .args(gateway_model(provider))
            .arg("--out")
            .arg(&out)
            .assert()
            .success()
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("using the built-in simulator"), "{provider}: the simulator notice is shown: {stderr}");
        assert!(is_mp4(&out), "{provider}: {} is an MP4", out.display());
    }
}

/// `--out -`: the checked video's bytes alone on standard output (the report on standard
/// error, JSON there too with --json); no file named `-`; `--count` with it is refused first.
#[test]
fn out_dash_streams_the_checked_video_to_standard_output() {
    let dir = scratch("stdout");
    let output = videogen().current_dir(&dir).args(["generate", "A red balloon", "--out", "-"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(&output.stdout[4..8], b"ftyp", "standard output is the MP4 itself");
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains(&format!("wrote {} bytes to standard output", output.stdout.len()))
    );
    assert!(!dir.join("-").exists(), "no file named -");
    let json = videogen().current_dir(&dir).args(["--json", "generate", "A kite", "-o", "-"]).output().unwrap();
    assert!(json.status.success());
    assert_eq!(&json.stdout[4..8], b"ftyp");
    let report: Value = serde_json::from_str(String::from_utf8_lossy(&json.stderr).lines().last().unwrap()).unwrap();
    let report = &report["outputs"][0];
    assert_eq!((report["file"].as_str(), report["bytes"].as_u64()), (Some("-"), Some(json.stdout.len() as u64)));
    let many =
        videogen().current_dir(&dir).args(["generate", "A kite", "--count", "2", "--out", "-"]).output().unwrap();
    assert_eq!(many.status.code(), Some(2));
    assert!(many.stdout.is_empty());
}

#[test]
fn the_readme_offline_flow_works_across_processes() {
    // README: `videogen submit … --json > job.json`, then `videogen wait "$(cat job.json)"` in a
    // later process, with no key set: the built-in simulator keeps its jobs in a file.
    let dir = scratch("offline");
    let state = dir.join("sim-state.json");
    for provider in ["oxen", "videodb", "aihubmix", "openai", "replicate"] {
        let submitted = videogen_sharing(&state)
            .args(["submit", "A sunset timelapse", "--json", "--provider", provider])
            .args(gateway_model(provider))
            .output()
            .unwrap();
        assert!(submitted.status.success(), "{provider}: {}", String::from_utf8_lossy(&submitted.stderr));
        let handle = String::from_utf8(submitted.stdout).unwrap();
        let out = dir.join(format!("{provider}.mp4"));
        videogen_sharing(&state).args(["wait", handle.trim(), "--out"]).arg(&out).assert().success();
        assert!(is_mp4(&out), "{provider}: waited and downloaded in a later process");
        let status = videogen_sharing(&state).args(["status", handle.trim(), "--json"]).output().unwrap();
        let status: Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(status["status"], "succeeded", "{provider}: {status}");
        let again = dir.join(format!("{provider}-again.mp4"));
        videogen_sharing(&state).args(["download", handle.trim(), "--out"]).arg(&again).assert().success();
        assert!(is_mp4(&again));
        // README: `videogen remix "$(cat job.json)" "…" --model kling-video-o3-omni --out dawn.mp4`
        // right after, from the same handle (Oxen.ai remixes on a model that takes a video).
        if provider == "oxen" {
            let dawn = dir.join("dawn.mp4");
            let remixed = videogen_sharing(&state)
                .args(["remix", handle.trim(), "The same sunset, at dawn", "--model", "kling-video-o3-omni", "--out"])
                .arg(&dawn)
                .output()
                .unwrap();
            assert!(remixed.status.success(), "{}", String::from_utf8_lossy(&remixed.stderr));
            assert!(is_mp4(&dawn), "the remix waited and downloaded");
            let same_model = videogen_sharing(&state).args(["remix", handle.trim(), "Again"]).output().unwrap();
            assert_eq!(same_model.status.code(), Some(2), "the source's model takes no video: refused before sending");
        }
    }
    let listed = videogen_sharing(&state).args(["list", "--provider", "oxen", "--json"]).output().unwrap();
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(2),
        "the earlier processes' job and its remix are listed: {listed}"
    );
    // A fresh state knows nothing of them, and says so.
    let empty = videogen().args(["list", "--provider", "oxen"]).output().unwrap();
    assert!(empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("no jobs at oxen"));
}

#[test]
fn json_output_parses_and_resumes_from_the_handle() {
    let dir = scratch("json");
    let out = dir.join("v.mp4");
    let output = videogen()
        .args([
            "--json",
            "--sim",
            "generate",
            "A paper boat",
            "--provider",
            "openai",
            "-m",
            "gateway-video-model",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let v: Value = serde_json::from_slice(&output.stdout).unwrap();
    let v = &v["outputs"][0];
    assert_eq!(v["job"]["provider"], "openai");
    assert_eq!(v["bytes"].as_u64(), Some(std::fs::metadata(&out).unwrap().len()));
    assert!(is_mp4(&out));

    let submitted = videogen().args(["--json", "submit", "A boat", "--provider", "oxen"]).output().unwrap();
    assert!(submitted.status.success());
    let submitted: Value = serde_json::from_slice(&submitted.stdout).unwrap();
    assert_eq!(submitted["jobs"][0]["provider"], "oxen", "{submitted}");
    let schema = videogen().args(["schema", "batch-line"]).output().unwrap();
    let schema: Value = serde_json::from_slice(&schema.stdout).unwrap();
    // A batch line takes every field `generate` takes, and its `out`; none is required (a
    // prompt or shots, checked per line).
    for field in ["prompt", "shots", "input_video", "audio", "images", "callback_url", "count", "extra", "out"] {
        assert!(schema["properties"].get(field).is_some(), "{field}: {schema}");
    }
    assert!(schema.get("required").is_none_or(|r| r.as_array().is_some_and(Vec::is_empty)), "{schema}");
}

#[test]
fn bad_input_exits_non_zero_with_a_clear_message() {
    let cases: [(&[&str], i32, &str); 7] = [
        (&["generate", "x", "--size", "big"], 2, "WIDTHxHEIGHT"),
        (&["generate", "x", "--provider", "nope"], 2, "unknown provider"),
        (
            &["generate", "x", "--provider", "aihubmix", "-m", "wan2.5-t2v-preview", "--duration", "7"],
            2,
            "5, 10 seconds",
        ),
        (&["generate", "x", "--provider", "aihubmix", "-m", "sora-2"], 2, "retired since 2026-09-24"),
        (&["generate", "x", "--provider", "openai"], 2, "give one with --model"),
        (&["status", "not-a-job"], 2, "provider:id"),
        (&["cancel", "openai:video_1"], 2, "does not support cancel"),
    ];
    for (args, code, needle) in cases {
        let output = videogen().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("Error {") && !stderr.contains("ErrorResponse("), "no Debug dumps: {stderr}");
    }
    let dir = scratch("badbatch");
    let file = dir.join("p.jsonl");
    std::fs::write(&file, "{\"prompt\": \"ok\"}\n{\"prompt\": \"x\", \"seconds\": 4}\n").unwrap();
    let output = videogen().args(["batch"]).arg(&file).arg("--out-dir").arg(dir.join("out")).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("line 2, field seconds"), "{stderr}");
}

/// A batch of 20 lines, killed with SIGKILL at several points and rerun until it finishes: 20
/// videos, and no line's job created twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_batch_resumes_without_paying_twice() {
    // Three creates reach the simulator and lose their answer: two stall until the process is
    // killed, one has its connection reset (the CLI journals it as unknown). Each rerun must find
    // those jobs in the provider's list instead of paying for them again.
    use videogen_sim::{FaultKind, FaultRule, Provider, Schedule};
    let faults = vec![
        FaultRule::new(Provider::Oxen, "enqueue_generation", FaultKind::StallBody).schedule(Schedule::Nth(vec![2, 3])),
        FaultRule::new(Provider::Oxen, "enqueue_generation", FaultKind::ResetAfterProcessing)
            .schedule(Schedule::Nth(vec![7])),
    ];
    let sim = videogen_sim::Sim::start(videogen_sim::SimConfig {
        queued_for: Duration::from_millis(100),
        processing_for: Duration::from_millis(400),
        faults,
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = scratch("crash");
    let file = dir.join("prompts.jsonl");
    let lines: Vec<String> =
        (1..=20).map(|i| format!("{{\"prompt\": \"Shot {i}: a red balloon over a city\", \"duration\": 5}}")).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out_dir = dir.join("videos");
    let bin = assert_cmd::cargo::cargo_bin("videogen");
    let run = || {
        let mut cmd = std::process::Command::new(&bin);
        for k in provider_env() {
            cmd.env_remove(k);
        }
        cmd.env("OXEN_API_KEY", "sk-batch").env("OXEN_BASE_URL", sim.base_url());
        cmd.args(["batch"]).arg(&file).arg("--out-dir").arg(&out_dir);
        cmd.args(["--concurrency", "4", "--poll-interval", "0.05"]);
        cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        cmd.spawn().unwrap()
    };
    let mut kills = 0;
    for delay_ms in [150u64, 350, 200, 600, 450] {
        let mut child = run();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    let mut finished = false;
    for _ in 0..10 {
        let status = run().wait().unwrap();
        if status.success() {
            finished = true;
            break;
        }
    }
    assert!(finished, "the batch finishes after reruns");
    assert!(kills >= 3, "the batch was killed mid-run {kills} times");
    let names: Vec<String> =
        std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    for i in 1..=20 {
        let mine: Vec<&String> =
            names.iter().filter(|n| n.starts_with(&format!("{i:04}-")) && n.ends_with(".mp4")).collect();
        assert_eq!(mine.len(), 1, "line {i} has one file: {names:?}");
        let path = out_dir.join(mine[0]);
        assert!(is_mp4(&path), "{} is a whole MP4", path.display());
    }
    let leftovers: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "no partial files: {leftovers:?}");

    // One job per line: the simulator created exactly 20, one per prompt, although three creates
    // lost their answers; every create request that reached it made one of those 20 jobs.
    let counters = sim.counters();
    assert_eq!(counters.faults_injected, 3, "{counters:?}");
    assert_eq!(counters.jobs_created(Provider::Oxen), 20, "{counters:?}");
    assert_eq!(counters.create_requests(Provider::Oxen), 20, "no line was submitted twice: {counters:?}");
    each_prompt_has_one_job(&sim).await;
    sim.stop().await;
}

/// Every prompt appears exactly once in the provider's history.
async fn each_prompt_has_one_job(sim: &videogen_sim::Sim) {
    videogen_transport::install_crypto_provider();
    let history: Value = reqwest::Client::new()
        .get(format!("{}/api/ai/generations?page_size=1000", sim.base_url()))
        .bearer_auth("sk-batch")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut prompts: Vec<String> =
        history["generations"].as_array().unwrap().iter().map(|g| g["prompt"].as_str().unwrap().to_string()).collect();
    prompts.sort();
    let before = prompts.len();
    prompts.dedup();
    assert_eq!((before, prompts.len()), (20, 20), "each line's job exists once");
}

#[test]
fn batch_files_are_checked_whole_before_anything_is_sent() {
    let dir = scratch("batchcheck");
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "\n  \n").unwrap();
    let out = videogen().args(["batch"]).arg(&empty).arg("--out-dir").arg(dir.join("o1")).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("has no requests"), "{stderr}");

    let missing = dir.join("missing.jsonl");
    std::fs::write(
        &missing,
        "{\"prompt\": \"a\", \"provider\": \"aihubmix\", \"model\": \"wan2.6-i2v\", \"images\": [\"nope.png\"]}\n",
    )
    .unwrap();
    let out = videogen().args(["batch"]).arg(&missing).arg("--out-dir").arg(dir.join("o2")).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("line 1") && stderr.contains("nope.png") && stderr.contains("no such file"), "{stderr}");

    // A UTF-8 byte order mark before the first line is accepted.
    let bom = dir.join("bom.jsonl");
    std::fs::write(&bom, "\u{feff}{\"prompt\": \"A balloon\"}\n").unwrap();
    videogen().args(["batch"]).arg(&bom).arg("--out-dir").arg(dir.join("o3")).assert().success();
    let written: Vec<_> = std::fs::read_dir(dir.join("o3")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(written.iter().filter(|p| is_mp4(p)).count(), 1, "{written:?}");

    // A missing --image path is bad input (exit 2), found before anything is sent.
    let out = videogen()
        .args(["generate", "a", "-p", "openai", "-m", "gateway-video-model", "--image", "nope.png"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("nope.png") && stderr.contains("no such file"), "{stderr}");

    // A text file named like an image is refused by its bytes, not taken by its name (exit 2).
    let text = dir.join("notimage.png");
    std::fs::write(&text, "I am text, not a picture\n").unwrap();
    let out = videogen()
        .args(["generate", "a", "-p", "openai", "-m", "gateway-video-model", "--image"])
        .arg(&text)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("notimage.png") && stderr.contains("not a PNG, JPEG or WebP image"), "{stderr}");
}

#[test]
fn every_aihubmix_family_generates_from_the_command_line() {
    let dir = scratch("families");
    let image = "https://example.com/a.png";
    let runs: [(&str, &[&str]); 5] = [
        ("wan-t2v", &["-m", "wan2.5-t2v", "-d", "5"]),
        ("wan-i2v", &["-m", "wan2.5-i2v", "--image", image, "-d", "5"]),
        ("seedance", &["-m", "doubao-seedance-1-0-pro-250528", "--image", image, "-d", "5"]),
        ("dashscope", &["-m", "happyhorse-1.0-t2v", "-d", "5"]),
        ("dashscope-i2v", &["-m", "wan2.7-i2v", "--image", image, "-d", "5"]),
    ];
    for (name, args) in runs {
        let out = dir.join(format!("{name}.mp4"));
        let output = videogen()
            .args(["generate", "A cat", "-p", "aihubmix"])
            .args(args)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{name}: {stderr}");
        assert!(is_mp4(&out), "{name}: {} is an MP4", out.display());
    }
}

#[test]
fn negative_seeds_parse_and_the_simulators_help_lists_its_faults() {
    let dir = scratch("seed");
    let out = dir.join("seed.mp4");
    videogen()
        .args(["generate", "A red balloon", "--provider", "oxen", "--seed", "-5", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(is_mp4(&out));
    for help in [videogen().args(["sim", "--help"]).output().unwrap()] {
        let text = String::from_utf8_lossy(&help.stdout);
        for kind in ["429[=SECS]", "reset-after", "gone-when-finished", "events (Oxen.ai's event stream)"] {
            assert!(text.contains(kind), "`videogen sim --help` lists {kind}: {text}");
        }
    }
}

#[test]
fn remix_delete_collections_and_live_models_have_commands() {
    let dir = scratch("ops");
    let state = dir.join("sim-state.json");
    let run = |args: &[&str]| {
        let output = videogen_sharing(&state).args(args).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), stdout, stderr)
    };
    let out = dir.join("boat.mp4");
    let (code, stdout, stderr) = run(&[
        "--json",
        "generate",
        "A paper boat",
        "--provider",
        "openai",
        "-m",
        "gateway-video-model",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let job = serde_json::from_str::<Value>(&stdout).unwrap()["outputs"][0]["job"].to_string();

    let (code, stdout, stderr) = run(&["--json", "remix", &job, "The same boat at night"]);
    assert_eq!(code, Some(0), "{stderr}");
    let remixed: Value = serde_json::from_str(&stdout).unwrap();
    let remixed = &remixed["jobs"][0];
    assert_eq!(remixed["provider"], "openai");
    assert_ne!(remixed.to_string(), job, "a new job");

    let (code, stdout, _) = run(&["delete", &job]);
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("deleted openai:"), "{stdout}");
    let (code, _, stderr) = run(&["delete", "oxen:7cf9b23a-1234-5678-9abc-def012345678"]);
    assert_eq!(code, Some(2), "refused before sending");
    assert!(stderr.contains("does not support delete"), "{stderr}");

    let (code, stdout, stderr) = run(&["--json", "collections", "create", "Launch videos", "--description", "Q3"]);
    assert_eq!(code, Some(0), "{stderr}");
    let id = serde_json::from_str::<Value>(&stdout).unwrap()["id"].as_str().unwrap().to_string();
    let (_, listed, _) = run(&["collections"]);
    assert!(listed.contains("Launch videos") && listed.contains("(default)"), "{listed}");
    assert_eq!(run(&["collections", "delete", &id]).0, Some(0));
    let (_, listed, _) = run(&["--json", "collections", "list"]);
    assert!(!listed.contains(&id), "deleted: {listed}");

    let (code, stdout, stderr) = run(&["--json", "models", "--live", "--provider", "oxen", "--search", "o3"]);
    assert_eq!(code, Some(0), "{stderr}");
    let models: Value = serde_json::from_str(&stdout).unwrap();
    let o3 = models.as_array().unwrap().iter().find(|m| m["id"] == "kling-video-o3-omni").unwrap();
    assert!(o3["request_schema"].is_object() && o3["pricing"]["per_second"].is_string(), "{o3}");
    let (_, text, _) = run(&["models", "--live", "--provider", "oxen"]);
    assert!(text.contains("kling-video-v2-6-pro-text-to-video") && text.contains("USD/s"), "{text}");

    // The drift report: the simulator lists fewer models than the catalogue knows, so it
    // differs (exit 7), naming catalogue models no longer listed, never a retired one.
    let (code, stdout, stderr) = run(&["--json", "models", "--drift", "--provider", "oxen"]);
    assert_eq!(code, Some(7), "{stderr}");
    let drift: Value = serde_json::from_str(&stdout).unwrap();
    let gone: Vec<&str> = drift["no_longer_listed"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(gone.contains(&"ltx-2-3") && !gone.contains(&"openai-sora-2-pro"), "{drift}");
    assert_eq!(drift["not_in_catalogue"], serde_json::json!([]), "{drift}");
    assert!(stderr.contains("no longer listed"), "{stderr}");
    let (code, _, stderr) = run(&["models", "--drift", "--provider", "aihubmix"]);
    assert_eq!(code, Some(2), "{stderr}");
    // The catalogue itself: status, dates, replacement and sources for every model.
    let (code, stdout, _) = run(&["--json", "models", "--provider", "aihubmix"]);
    assert_eq!(code, Some(0));
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    let preview = rows.as_array().unwrap().iter().find(|m| m["id"] == "veo-3.1-generate-preview").unwrap();
    assert_eq!(preview["status"], "retired");
    assert_eq!(preview["lifecycle"]["shutdown"], "2026-10-22");
    assert_eq!(preview["lifecycle"]["replacement"], "gemini-omni-1.1-flash");
    assert!(rows.as_array().unwrap().iter().all(|m| m["source"].as_str().is_some_and(|s| !s.is_empty())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variants_the_synchronous_generate_and_expiry_from_the_command_line() {
    let dir = scratch("variants");
    let state = dir.join("state.json");
    let run = |args: &[&str]| videogen_sharing(&state).current_dir(&dir).args(args).output().unwrap();
    // A thumbnail instead of the video; a spritesheet of the same job later, under its default name.
    let made = run(&[
        "--json",
        "generate",
        "A paper boat",
        "-p",
        "openai",
        "-m",
        "gateway-video-model",
        "--variant",
        "thumbnail",
        "--out",
        "t.webp",
    ]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert_eq!(&std::fs::read(dir.join("t.webp")).unwrap()[8..12], b"WEBP");
    let made: Value = serde_json::from_slice(&made.stdout).unwrap();
    let job = made["outputs"][0]["job"].to_string();
    let id = made["outputs"][0]["job"]["id"].as_str().unwrap();
    assert!(run(&["download", &job, "--variant", "spritesheet"]).status.success());
    assert!(dir.join(format!("videogen-{id}-spritesheet.webp")).is_file());
    // Oxen.ai's synchronous generate with the video inline.
    let now = run(&["generate", "A paper boat", "--now", "--b64", "--out", "now.mp4"]);
    assert!(now.status.success(), "{}", String::from_utf8_lossy(&now.stderr));
    assert!(is_mp4(&dir.join("now.mp4")));
    // What a model or provider lacks is refused before anything is sent.
    for (args, code, needle) in [
        (&["generate", "x", "-p", "aihubmix", "--audio"][..], 2, "does not generate audio"),
        (&["generate", "x", "-p", "aihubmix", "--input-video", "https://example.com/v.mp4"][..], 2, "reference video"),
        (
            &["generate", "x", "-p", "openai", "-m", "gateway-video-model", "--now"][..],
            2,
            "does not support synchronous generate",
        ),
        (&["generate", "x", "--b64"][..], 2, "--now"),
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    // A result URL past its expiry: status says `expired`.
    let sim = videogen_sim::Sim::start(videogen_sim::SimConfig {
        queued_for: Duration::from_millis(50),
        processing_for: Duration::from_millis(100),
        result_ttl: Duration::from_secs(1),
        ..Default::default()
    })
    .await
    .unwrap();
    let at_sim = || videogen_at(&sim, &[videogen::Provider::OpenAi]);
    let submitted = at_sim().args(["submit", "A boat", "-p", "openai", "-m", "gateway-video-model"]).output().unwrap();
    let handle = String::from_utf8(submitted.stdout).unwrap();
    assert!(at_sim().args(["wait", handle.trim()]).output().unwrap().status.success());
    // The simulator answers in whole seconds, as OpenAI does: `expires_at` is its creation second
    // + the rounded-up run time + the TTL, up to 2 s after the job really finished.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let status = at_sim().args(["--json", "status", handle.trim()]).output().unwrap();
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!((status["status"].as_str(), status["expired"].as_bool()), (Some("expired"), Some(true)), "{status}");
    // `wait` on it says the same, in the same shape.
    let waited = at_sim().args(["--json", "wait", handle.trim()]).output().unwrap();
    let waited: Value = serde_json::from_slice(&waited.stdout).unwrap();
    assert_eq!((waited["status"].as_str(), waited["expired"].as_bool()), (Some("expired"), Some(true)), "{waited}");
    sim.stop().await;
}

#[test]
fn the_readme_lists_the_exit_codes_that_help_prints() {
    let readme = include_str!("../../../README.md");
    let help = String::from_utf8(videogen().arg("--help").output().unwrap().stdout).unwrap();
    let codes: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Exit codes:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(codes.len(), 11, "{help}");
    for line in codes {
        let (code, meaning) = line.trim().split_once("  ").unwrap();
        assert!(readme.contains(&format!("| {code} | {meaning} |")), "README lacks exit code {code}: {meaning}");
    }
}

/// `-m gateway-video-model` for the OpenAI-compatible gateway, which has no default model (its
/// models are its operator's); nothing for the others.
fn gateway_model(provider: &str) -> Vec<&'static str> {
    if provider == "openai" { vec!["-m", "gateway-video-model"] } else { vec![] }
}

/// The providers as they are today: `OPENAI_API_KEY` alone configures nothing (the README's first
/// command uses the simulator), `--provider openai` without a gateway is exit 3, and a retired
/// model is exit 2 with its date, nothing sent; let through, the provider's answer is typed.
#[test]
fn openai_key_alone_and_retired_models() {
    let dir = scratch("today");
    let out = dir.join("balloon.mp4");
    let made = videogen()
        .env("OPENAI_API_KEY", "sk-anything")
        .args(["generate", "A red balloon floating upward through blue sky", "--out"])
        .arg(&out)
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&made.stderr).contains("built-in simulator"));
    assert!(is_mp4(&out));
    let refused = videogen()
        .env("OPENAI_API_KEY", "sk-anything")
        .args(["generate", "x", "--provider", "openai", "-m", "gateway-video-model"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("OPENAI_BASE_URL") && stderr.contains("2026-09-24"), "{stderr}");
    let refused = videogen()
        .env("OPENAI_API_KEY", "sk-anything")
        .env("OPENAI_BASE_URL", "https://api.openai.com/v1")
        .args(["generate", "x", "--provider", "openai", "-m", "gateway-video-model"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&refused.stderr).contains("shut down its Videos API"));

    // Against a running simulator, so its create counters show what was sent.
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let sim = rt.block_on(videogen_sim::Sim::start(Default::default())).unwrap();
    let aih = videogen_sim::Provider::AiHubMix;
    for model in ["sora-2", "veo-3.1-generate-preview"] {
        let output = videogen_at(&sim, &[videogen::Provider::AiHubMix])
            .args(["generate", "x", "--provider", "aihubmix", "--model", model])
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("retired since 2026-"), "{stderr}");
    }
    assert_eq!(sim.counters().create_requests(aih), 0, "nothing was sent");
    let output = videogen_at(&sim, &[videogen::Provider::AiHubMix])
        .args(["--allow-retired", "generate", "x", "--provider", "aihubmix", "--model", "sora-2"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("503") && stderr.contains("Incorrect model ID") && stderr.contains("2026-09-24"),
        "{stderr}"
    );
    assert_eq!((sim.counters().create_requests(aih), sim.counters().jobs_created(aih)), (1, 0));
    rt.block_on(sim.stop());
}

/// An existing file is never replaced unless --force: generate refuses it before the create
/// (nothing sent), wait and download before reading; --force replaces it.
#[test]
fn existing_outputs_are_refused_before_anything_is_sent() {
    let dir = scratch("noclobber");
    let precious = dir.join("precious.mp4");
    std::fs::write(&precious, b"precious").unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let sim = rt.block_on(videogen_sim::Sim::start(Default::default())).unwrap();
    let oxen = videogen_sim::Provider::Oxen;
    let at = || videogen_at(&sim, &[videogen::Provider::Oxen]);
    let refused =
        at().args(["generate", "A red balloon", "--out"]).arg(&precious).assert().code(2).get_output().clone();
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already exists"), "{refused:?}");
    assert_eq!(sim.counters().create_requests(oxen), 0, "nothing was sent");
    assert_eq!(std::fs::read(&precious).unwrap(), b"precious");

    let submitted = at().args(["submit", "A red balloon", "--json"]).output().unwrap();
    let handle = String::from_utf8(submitted.stdout).unwrap();
    for command in ["wait", "download"] {
        let out = at().args([command, handle.trim(), "--out"]).arg(&precious).assert().code(2).get_output().clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("already exists") && stderr.contains("job:"), "{command}: {stderr}");
        assert_eq!(std::fs::read(&precious).unwrap(), b"precious", "{command}");
    }
    at().args(["wait", handle.trim(), "--force", "--poll-interval", "0.1", "--out"]).arg(&precious).assert().success();
    assert!(is_mp4(&precious), "--force replaced it");
    rt.block_on(sim.stop());
}

/// A batch file's bad lines are listed one per line on standard error (not as one escaped line).
#[test]
fn bad_batch_lines_are_one_per_line() {
    let dir = scratch("badlines");
    let file = dir.join("bad.jsonl");
    std::fs::write(&file, "{\"prompt\": 5}\n{\"prompt\": \"x\", \"duraton\": 5}\n").unwrap();
    let out = videogen().args(["batch"]).arg(&file).arg("--out-dir").arg(dir.join("o")).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("2 bad lines") && !stderr.contains("\\n"), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("  line 1")) && stderr.lines().any(|l| l.starts_with("  line 2")),
        "{stderr}"
    );
}

/// Never a silent simulator: once one provider is configured, another without its key is exit 3
/// naming the variable (a misspelt OXEN_APIKEY included), nothing sent; --sim still simulates.
#[test]
fn a_configured_pipeline_never_falls_back_to_the_simulator() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let sim = rt.block_on(videogen_sim::Sim::start(Default::default())).unwrap();
    let out = videogen_at(&sim, &[videogen::Provider::VideoDb])
        .env("OXEN_APIKEY", "typo")
        .args(["generate", "A red balloon", "--provider", "oxen"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("OXEN_API_KEY") && !stderr.contains("built-in simulator"), "{stderr}");
    let batch_dir = scratch("nofake");
    let file = batch_dir.join("b.jsonl");
    std::fs::write(&file, "{\"prompt\": \"a\", \"provider\": \"videodb\", \"duration\": 6}\n{\"prompt\": \"b\", \"provider\": \"oxen\"}\n")
        .unwrap();
    videogen_at(&sim, &[videogen::Provider::VideoDb])
        .args(["batch"])
        .arg(&file)
        .arg("--out-dir")
        .arg(batch_dir.join("o"))
        .assert()
        .code(3);
    for p in [videogen_sim::Provider::Oxen, videogen_sim::Provider::VideoDb] {
        assert_eq!(sim.counters().create_requests(p), 0, "nothing was sent to {p:?}");
    }
    let simulated = videogen_at(&sim, &[videogen::Provider::VideoDb])
        .args(["--sim", "submit", "A red balloon", "--provider", "oxen"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&simulated.stderr).contains("--sim: using the built-in simulator"));

    // A base URL alone is a configuration too, not the first-run demo: exit 3 naming the key.
    let out = videogen()
        .env("OXEN_BASE_URL", base_url(&sim, videogen::Provider::Oxen))
        .args(["submit", "A red balloon", "--provider", "oxen"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("OXEN_API_KEY") && !stderr.contains("built-in simulator"), "{stderr}");
    rt.block_on(sim.stop());

    // OPENAI_BASE_URL without OPENAI_API_KEY is a keyless gateway (a LiteLLM proxy without
    // auth), used as such: no Authorization header, and never the simulator.
    let keyless = rt
        .block_on(videogen_sim::Sim::start(videogen_sim::SimConfig { keyless_gateway: true, ..Default::default() }))
        .unwrap();
    let out = videogen()
        .env("OPENAI_BASE_URL", base_url(&keyless, videogen::Provider::OpenAi))
        .args(["--json", "submit", "A red balloon", "--provider", "openai", "--model", "gateway-video-model"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("simulator"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(keyless.counters().jobs_created(videogen_sim::Provider::OpenAi), 1);
    rt.block_on(keyless.stop());
}

/// `generate --count 3` interrupted names every paid job and how to resume each, in text and in
/// `--json` (`"jobs"`), not only the one being waited on.
#[test]
fn an_interrupted_generate_count_reports_every_job() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let config = videogen_sim::SimConfig { processing_for: Duration::from_secs(30), ..Default::default() };
    let sim = rt.block_on(videogen_sim::Sim::start(config)).unwrap();
    let dir = scratch("count-interrupted");
    let child = videogen_process_at(&sim, &[videogen::Provider::Oxen], &dir.join("sim-state.json"))
        .args(["--json", "generate", "Three cats", "--count", "3", "--poll-interval", "0.2", "--out"])
        .arg(dir.join("cats.mp4"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while sim.counters().jobs_created(videogen_sim::Provider::Oxen) < 3 {
        assert!(std::time::Instant::now() < deadline, "the jobs were not created");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: our own child's pid, still running (its jobs take 30 s).
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert_eq!(stderr.matches("resume with: videogen").count(), 3, "{stderr}");
    for n in 1..=3 {
        assert!(stderr.contains(&format!("cats-{n}.mp4")), "{stderr}");
    }
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["jobs"].as_array().map(Vec::len), Some(3), "{json}");
    assert_eq!(
        (json["kind"].as_str(), json["details"].as_array().map(Vec::len)),
        (Some("interrupted"), Some(3)),
        "{json}"
    );
    rt.block_on(sim.stop());
}

/// `status provider:id` for a job the provider does not know prints no invented handle (no
/// `job` with a creation time of "now"), in text or JSON.
#[test]
fn status_of_an_unknown_job_invents_no_handle() {
    let output = videogen().args(["--json", "status", "oxen:doesnotexist"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["job"].is_null(), "{json}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("job: {"));
}

/// With `--json`, a usage error clap finds is one JSON value on standard output too (exit 2),
/// like every other error; `--help` stays text.
#[test]
fn usage_errors_are_json_with_json() {
    let out = videogen().args(["--json", "generate", "x", "--size", "big"]).assert().code(2);
    let value: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(value["exit_code"], 2, "{value}");
    assert!(value["error"].as_str().unwrap().contains("--size"), "{value}");
    let out = videogen().args(["generate", "--json", "--no-such-flag"]).assert().code(2);
    assert!(serde_json::from_slice::<serde_json::Value>(&out.get_output().stdout).is_ok());
    let out = videogen().args(["--json", "--help"]).assert().success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("Usage"));
}

/// SIGTERM (a supervisor's stop) stops a waiting `generate` as Ctrl-C does: the paid job is
/// reported with the command that resumes it, and the exit code is 143.
#[test]
fn sigterm_stops_a_wait_with_its_resume_command() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let config = videogen_sim::SimConfig { processing_for: Duration::from_secs(30), ..Default::default() };
    let sim = rt.block_on(videogen_sim::Sim::start(config)).unwrap();
    let dir = scratch("sigterm-wait");
    let child = videogen_process_at(&sim, &[videogen::Provider::Oxen], &dir.join("sim-state.json"))
        .args(["generate", "A slow balloon", "--poll-interval", "0.2", "--out"])
        .arg(dir.join("slow.mp4"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while sim.counters().jobs_created(videogen_sim::Provider::Oxen) < 1 {
        assert!(std::time::Instant::now() < deadline, "the job was not created");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: our own child's pid, still running (its job takes 30 s).
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains("resume with: videogen generate") || stderr.contains("resume with: videogen wait"),
        "{stderr}"
    );
    assert!(!dir.join("slow.mp4").exists(), "nothing written");
    rt.block_on(sim.stop());
}

/// Replicate from the command line: a documented model makes a playable MP4, `cancel` stops a
/// running job, and `generate --timeout 3` on a slow model has the provider cancel the job itself
/// (its `Cancel-After`, at least 5 s) instead of leaving it running and billed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicate_generates_cancels_and_stops_what_nobody_waits_for() {
    let sim = videogen_sim::Sim::start(videogen_sim::SimConfig {
        queued_for: Duration::from_millis(50),
        processing_for: Duration::from_millis(300),
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = scratch("replicate");
    let at = || videogen_at(&sim, &[videogen::Provider::Replicate]);
    let out = dir.join("b.mp4");
    let made = tokio::task::block_in_place(|| {
        at().args([
            "generate",
            "A red balloon",
            "--provider",
            "replicate",
            "--model",
            "kwaivgi/kling-v3-video",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap()
    });
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(is_mp4(&out));

    let submitted = tokio::task::block_in_place(|| {
        at().args(["submit", "A slow balloon", "-p", "replicate", "-m", "videogen-sim/slow-video", "--json"])
            .output()
            .unwrap()
    });
    assert!(submitted.status.success(), "{}", String::from_utf8_lossy(&submitted.stderr));
    let handle = String::from_utf8(submitted.stdout).unwrap();
    let cancelled = tokio::task::block_in_place(|| at().args(["cancel", handle.trim(), "--json"]).output().unwrap());
    assert!(cancelled.status.success(), "{}", String::from_utf8_lossy(&cancelled.stderr));
    let status = tokio::task::block_in_place(|| at().args(["status", handle.trim(), "--json"]).output().unwrap());
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["status"], "cancelled", "{status}");

    let started = std::time::Instant::now();
    let timed_out = tokio::task::block_in_place(|| {
        at().args(["generate", "A slow balloon", "-p", "replicate", "-m", "videogen-sim/slow-video", "--timeout", "3"])
            .arg("--out")
            .arg(dir.join("slow.mp4"))
            .output()
            .unwrap()
    });
    assert!(!timed_out.status.success());
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(!dir.join("slow.mp4").exists());
    // The command stopped waiting at 3 s; the provider stops the job at its deadline (5 s).
    tokio::time::sleep(Duration::from_millis(5500).saturating_sub(started.elapsed())).await;
    let counters = sim.counters();
    assert_eq!(counters.requests("replicate.deadline_cancels"), 1, "{:?}", counters.requests);
    assert_eq!(counters.jobs_created(videogen_sim::Provider::Replicate), 3);
    sim.stop().await;
}

/// Costs before money: `--dry-run` checks and prices a request (or a whole batch) and sends
/// nothing; `--max-cost` refuses a request whose estimate is over the budget, in another
/// currency, or unknown — before anything is sent — and lets one within it through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_and_budgets_send_nothing_they_should_not() {
    let sim = videogen_sim::Sim::start(videogen_sim::SimConfig {
        queued_for: Duration::from_millis(20),
        processing_for: Duration::from_millis(100),
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = scratch("budget");
    let providers = [videogen::Provider::Oxen, videogen::Provider::AiHubMix, videogen::Provider::Replicate];
    let run = |args: &[&str]| {
        tokio::task::block_in_place(|| videogen_at(&sim, &providers).current_dir(&dir).args(args).output().unwrap())
    };
    let dry = run(&["--json", "generate", "A red balloon", "-p", "oxen", "--duration", "5", "--dry-run"]);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let dry: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!((dry["dry_run"].as_bool(), dry["sent"].as_bool()), (Some(true), Some(false)), "{dry}");
    assert_eq!(dry["estimate"]["currency"], "USD", "{dry}");
    assert_eq!(dry["simulated"], false, "a configured provider's prices are real: {dry}");
    let over = run(&["generate", "A red balloon", "-p", "oxen", "--duration", "5", "--max-cost", "0.01"]);
    assert_eq!(over.status.code(), Some(2), "{}", String::from_utf8_lossy(&over.stderr));
    assert!(String::from_utf8_lossy(&over.stderr).contains("over --max-cost"));
    let unpriced = run(&["submit", "A red balloon", "-p", "aihubmix", "--max-cost", "100"]);
    assert_eq!(unpriced.status.code(), Some(2), "{}", String::from_utf8_lossy(&unpriced.stderr));
    let euros = run(&["submit", "A red balloon", "-p", "oxen", "--duration", "5", "--max-cost", "100 EUR"]);
    assert_eq!(euros.status.code(), Some(2));
    let c = sim.counters();
    let creates: u64 = providers.iter().map(|p| c.create_requests(p.as_str().parse().unwrap())).sum();
    assert_eq!(creates, 0, "nothing was sent: {c:?}");
    let within = run(&["submit", "A red balloon", "-p", "oxen", "--duration", "5", "--max-cost", "100 USD"]);
    assert!(within.status.success(), "{}", String::from_utf8_lossy(&within.stderr));
    assert_eq!(sim.counters().create_requests(videogen_sim::Provider::Oxen), 1);

    // A whole batch: per-provider totals, the lines without a price, nothing sent, no folder made.
    let file = dir.join("mixed.jsonl");
    let lines: Vec<String> = (0..40)
        .map(|i| match i % 4 {
            0 => format!(r#"{{"prompt": "balloon {i}", "provider": "oxen", "duration": 5}}"#),
            1 => format!(r#"{{"prompt": "boat {i}", "provider": "aihubmix", "duration": 5}}"#),
            2 => format!(r#"{{"prompt": "kite {i}", "provider": "replicate", "duration": 5}}"#),
            _ => format!(r#"{{"prompt": "balloon {i}", "provider": "oxen", "duration": 10}}"#),
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = dir.join("videos");
    let batch = run(&["--json", "batch", file.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "--dry-run"]);
    assert!(batch.status.success(), "{}", String::from_utf8_lossy(&batch.stderr));
    let batch: Value = serde_json::from_slice(&batch.stdout).unwrap();
    assert_eq!(batch["lines"], 40);
    assert_eq!(batch["without_price"], 20, "{batch}");
    assert_eq!(batch["by_provider"]["oxen"]["lines"], 20);
    assert_eq!(batch["requests"].as_array().map(Vec::len), Some(40));
    assert_eq!(batch["requests"][0]["line"], 1);
    assert_eq!(batch["total_estimate"][0]["currency"], "USD", "{batch}");
    assert!(!out.exists(), "a dry run makes no folder");
    assert_eq!(sim.counters().create_requests(videogen_sim::Provider::Oxen), 1, "still the one job");

    // A batch under a budget: 5 lines at 0.35 USD each against 1 USD start 2; the third would
    // pass it, so it and every later line are not started (nothing sent for them), exit 2.
    let file = dir.join("budget.jsonl");
    let lines: Vec<String> =
        (0..5).map(|i| format!(r#"{{"prompt": "lantern {i}", "provider": "oxen", "duration": 5}}"#)).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = dir.join("budgeted");
    let args = ["--json", "batch", file.to_str().unwrap(), "--out-dir", out.to_str().unwrap(), "-c", "1"];
    let budgeted = run(&[&args[..], &["--max-cost", "1 USD"]].concat());
    assert_eq!(budgeted.status.code(), Some(2), "{}", String::from_utf8_lossy(&budgeted.stderr));
    let summary: Value = serde_json::from_slice(&budgeted.stdout).unwrap();
    assert_eq!(summary["done"], 2, "{summary}");
    let stopped = summary["stopped"].as_array().unwrap();
    assert_eq!(stopped.len(), 3, "{summary}");
    assert!(stopped.iter().all(|s| s["error"].as_str().unwrap().contains("--max-cost 1 USD")), "{summary}");
    assert_eq!(summary["total_cost"][0]["currency"], "USD", "{summary}");
    assert_eq!(summary["without_reported_cost"], 0, "{summary}");
    assert_eq!(sim.counters().create_requests(videogen_sim::Provider::Oxen), 3, "two more creates, no third");
    // A rerun with a larger budget goes on where it stopped.
    let more = run(&[&args[..], &["--max-cost", "2 USD"]].concat());
    assert!(more.status.success(), "{}", String::from_utf8_lossy(&more.stderr));
    assert_eq!(sim.counters().create_requests(videogen_sim::Provider::Oxen), 6);
    sim.stop().await;
}

/// Shell habits: `list --limit N` and `--collection` (VideoDB's only), and `batch -` reading its
/// lines from standard input.
#[test]
fn list_limits_and_a_batch_from_standard_input() {
    let dir = scratch("habits");
    let state = dir.join("state.json");
    for i in 0..3 {
        let made = videogen_sharing(&state).args(["submit", &format!("balloon {i}"), "-p", "oxen"]).output().unwrap();
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    }
    let listed = videogen_sharing(&state).args(["--json", "list", "-p", "oxen", "--limit", "2"]).output().unwrap();
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    let refused = videogen_sharing(&state).args(["list", "-p", "oxen", "--collection", "c-1"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let zero = videogen_sharing(&state).args(["list", "-p", "oxen", "--limit", "0"]).output().unwrap();
    assert_eq!(zero.status.code(), Some(2));
    let videodb = videogen_sharing(&state).args(["list", "-p", "videodb", "--collection", "default"]).output().unwrap();
    assert!(videodb.status.success(), "{}", String::from_utf8_lossy(&videodb.stderr));

    let out = dir.join("videos");
    let batch = videogen_sharing(&state)
        .args(["--json", "batch", "-", "--out-dir"])
        .arg(&out)
        .write_stdin(
            "{\"prompt\": \"a kite\", \"provider\": \"oxen\"}\n{\"prompt\": \"a boat\", \"provider\": \"oxen\"}\n",
        )
        .output()
        .unwrap();
    assert!(batch.status.success(), "{}", String::from_utf8_lossy(&batch.stderr));
    let summary: Value = serde_json::from_slice(&batch.stdout).unwrap();
    assert_eq!(summary["done"], 2, "{summary}");
    assert_eq!(
        std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "mp4"))
            .count(),
        2
    );
}

/// Logs and shell habits: `RUST_LOG` alone turns logging on, one line per API request (method,
/// path without its query, status, time), no colour codes into a pipe, `--log-format json` lines
/// that parse; completion scripts and a man page from the command's own definitions.
#[test]
fn logs_completions_and_the_man_page() {
    let logged =
        videogen().env("RUST_LOG", "videogen_transport=debug").args(["submit", "A red balloon"]).output().unwrap();
    assert!(logged.status.success());
    let stderr = String::from_utf8_lossy(&logged.stderr);
    assert!(
        stderr.contains("api request") && stderr.contains("path=\"/api/ai/queue\"") && stderr.contains("status=200"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "no colour codes into a pipe: {stderr:?}");
    let json = videogen().args(["-v", "--log-format", "json", "submit", "A red balloon"]).output().unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&json.stderr)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "api request" && l["fields"]["method"] == "POST"),
        "{lines:?}"
    );
    for shell in ["bash", "zsh", "fish"] {
        let script = videogen().args(["completions", shell]).output().unwrap();
        assert!(script.status.success());
        let text = String::from_utf8_lossy(&script.stdout);
        assert!(text.contains("videogen") && text.contains("generate") && text.contains("dry-run"), "{shell}");
    }
    let man = videogen().arg("man").output().unwrap();
    assert!(
        String::from_utf8_lossy(&man.stdout).starts_with(".ie")
            || String::from_utf8_lossy(&man.stdout).contains(".TH videogen 1")
    );
    assert!(String::from_utf8_lossy(&man.stdout).contains("Replicate"));
}

/// Without a terminal there is no spinner: a wait says each new status on its own line (the
/// steady "still waiting" line every 30 s is not waited for here).
#[test]
fn a_wait_without_a_terminal_says_each_new_status() {
    let dir = scratch("plain");
    let out = dir.join("b.mp4");
    let made = videogen().args(["generate", "A red balloon", "-p", "aihubmix", "--out"]).arg(&out).output().unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let stderr = String::from_utf8_lossy(&made.stderr);
    let said: Vec<&str> = stderr.lines().filter(|l| l.starts_with("aihubmix:")).collect();
    assert!(said.iter().any(|l| l.ends_with(": queued")), "{stderr}");
    assert!(said.iter().any(|l| l.contains(": running")), "{stderr}");
    assert_eq!(said.iter().filter(|l| l.contains(": running")).count(), 1, "one line per status word: {stderr}");
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('\r'), "no spinner codes: {stderr:?}");
}
