//! Golden files (insta) of what the command prints: every command's `--help`, text and `--json`
//! outputs against the simulator, and the exit code of every error class. Review a change with
//! `INSTA_UPDATE=always cargo test -p videogen-cli --test golden` and `git diff`.

mod common;

use common::*;
use std::path::Path;

/// Ids, times, ports and sizes that change per run, replaced by placeholders.
fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uuid]"),
        (r"(video|job)[_-][0-9a-f]{32}", "[$1-id]"),
        (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)?", "[time]"),
        (r"(127\.0\.0\.1|localhost):\d+", "[addr]"),
        (r#""elapsed_seconds": [0-9.e-]+"#, r#""elapsed_seconds": "[secs]""#),
        (r"\d{2}:\d{2}:\d{2}", "[hms]"),
        (r"/tmp/videogen-cli-[^/\s\x22]+", "[dir]"),
    ]
}

fn stdout_of(cmd: &mut assert_cmd::Command, expect: i32) -> String {
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(expect), "{stderr}");
    String::from_utf8(output.stdout).unwrap()
}

macro_rules! golden {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => filters(), prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn help_of_every_command() {
    golden!("help", stdout_of(videogen().arg("--help"), 0));
    for command in [
        "generate",
        "submit",
        "status",
        "wait",
        "download",
        "list",
        "cancel",
        "models",
        "remix",
        "delete",
        "collections",
        "batch",
        "sim",
        "schema",
    ] {
        golden!(format!("help-{command}"), stdout_of(videogen().args([command, "--help"]), 0));
    }
}

#[test]
fn outputs_in_text_and_json() {
    let dir = scratch("golden");
    let state = dir.join("state.json");
    let run = |args: &[&str], expect: i32| stdout_of(videogen_sharing(&state).current_dir(&dir).args(args), expect);
    // A finished Oxen.ai job: generate, then status and wait in later processes.
    let generated = run(&["--json", "generate", "A red balloon", "--out", "balloon.mp4"], 0);
    golden!("generate-json", &generated);
    let job = serde_json::from_str::<serde_json::Value>(&generated).unwrap()["job"].to_string();
    golden!("status-text", run(&["status", &job], 0));
    golden!("status-json", run(&["--json", "status", &job], 0));
    golden!("wait-text", run(&["wait", &job], 0));
    golden!("download-text", run(&["download", &job], 0));
    golden!("generate-count-json", run(&["--json", "generate", "Two cats", "--count", "2", "--out", "cats.mp4"], 0));
    golden!("models-text", run(&["models", "--provider", "openai"], 0));
    golden!("models-json", run(&["--json", "models", "--provider", "videodb"], 0));
    golden!("collections-text", run(&["collections"], 0));
    golden!("schema-batch-line", run(&["schema", "batch-line"], 0));
    std::fs::write(
        dir.join("b.jsonl"),
        "{\"prompt\": \"a red balloon\", \"duration\": 5}\n{\"prompt\": \"a paper boat\", \"provider\": \"openai\", \"model\": \"gateway-video-model\"}\n",
    )
    .unwrap();
    golden!("batch-text", run(&["batch", "b.jsonl", "--out-dir", "videos"], 0));
    golden!("batch-rerun-json", run(&["--json", "batch", "b.jsonl", "--out-dir", "videos"], 0));
    let second = std::fs::read_dir(dir.join("videos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("0002-") && name.ends_with(".mp4")
        })
        .expect("line 2's file");
    // The gateway gives a thumbnail: it is line 2's poster, beside its video.
    let poster = second.with_file_name(format!("{}-poster.webp", second.file_stem().unwrap().to_string_lossy()));
    assert!(std::fs::read(&poster).is_ok_and(|b| b.starts_with(b"RIFF")), "{}", poster.display());
    assert!(is_mp4(&second) && Path::new(&dir.join("balloon.mp4")).is_file());
}

#[test]
fn the_exit_code_of_every_error_class() {
    use videogen_sim::{FaultKind, FaultRule, Provider as SimProvider, Sim, SimConfig};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A simulator of the test's own: OpenAI jobs fail, an Oxen.ai create loses its answer.
    let sim = runtime
        .block_on(Sim::start(SimConfig {
            faults: vec![
                FaultRule::new(SimProvider::OpenAi, "createVideo", FaultKind::JobFails),
                FaultRule::new(SimProvider::Oxen, "enqueue_generation", FaultKind::ResetAfterProcessing),
            ],
            ..Default::default()
        }))
        .unwrap();
    let dir = scratch("codes");
    let state = dir.join("state.json");
    let missing = dir.join("missing.png");
    let missing = missing.to_str().unwrap();
    let slow = String::from_utf8(
        videogen_sharing(&state)
            .args(["submit", "A slow job", "--provider", "openai", "-m", "gateway-video-model"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    type Setup = fn(&mut assert_cmd::Command, &videogen_sim::Sim);
    let at_sim: Setup = |cmd, sim| {
        cmd.env("OPENAI_API_KEY", "sk-test").env("OPENAI_BASE_URL", sim.openai_base_url());
        cmd.env("OXEN_API_KEY", "sk-test").env("OXEN_BASE_URL", sim.base_url());
    };
    let plain: Setup = |_, _| {};
    let bad_base: Setup = |cmd, _| {
        cmd.env("OXEN_API_KEY", "sk-test").env("OXEN_BASE_URL", "ftp://example.com");
    };
    let cases: Vec<(&str, Vec<&str>, Setup)> = vec![
        ("usage: a flag clap refuses", vec!["generate", "x", "--size", "big"], plain),
        ("usage: a model rule", vec!["generate", "x", "--provider", "aihubmix", "--duration", "1"], plain),
        (
            "usage: a retired model",
            vec!["generate", "x", "--provider", "aihubmix", "--model", "veo-3.1-generate-preview"],
            plain,
        ),
        (
            "usage: a retired model let through, as the provider answers it",
            vec![
                "submit",
                "--shot",
                "5=A fox runs",
                "--shot",
                "It jumps",
                "-m",
                "kling-video-o3-pro-reference-to-video",
                "--allow-retired",
            ],
            plain,
        ),
        (
            "usage: a missing reference image",
            vec!["generate", "x", "--provider", "aihubmix", "-m", "wan2.6-i2v", "--image", missing],
            plain,
        ),
        (
            "usage: a field of another provider",
            vec!["generate", "x", "-p", "aihubmix", "--callback-url", "https://example.com/h"],
            plain,
        ),
        (
            "usage: --count where one video is made per request",
            vec!["generate", "x", "--provider", "videodb", "--count", "2"],
            plain,
        ),
        ("usage: a bad job handle", vec!["status", "not-a-job"], plain),
        (
            "refused by the provider: a model it does not know (sent, nothing created)",
            vec!["submit", "x", "--model", "no-such-video-model"],
            plain,
        ),
        ("usage: an operation the provider lacks", vec!["cancel", "openai:video_1"], plain),
        ("usage: a variant the provider lacks", vec!["generate", "x", "--variant", "spritesheet"], plain),
        (
            "failed: a job the provider does not know",
            vec!["status", "openai:video_00000000000000000000000000000000"],
            plain,
        ),
        ("config: a base URL that is not http(s)", vec!["list", "--provider", "oxen"], bad_base),
        (
            "job failed: the job fails at the provider",
            vec!["generate", "x", "--provider", "openai", "-m", "gateway-video-model", "--out", "never.mp4"],
            at_sim,
        ),
        ("timeout: --timeout passes first", vec!["wait", slow.trim(), "--timeout", "0.2"], plain),
        ("outcome unknown: the create's answer is lost", vec!["submit", "x", "--provider", "oxen"], at_sim),
    ];
    let mut table = String::new();
    for (class, args, setup) in &cases {
        let mut cmd = videogen_sharing(&state);
        cmd.current_dir(&dir);
        setup(&mut cmd, &sim);
        let output = cmd.args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let error = stderr.lines().find(|l| l.starts_with("error")).unwrap_or("").to_string();
        table.push_str(&format!("{:>3}  {class}\n     {error}\n", output.status.code().unwrap_or(-1)));
    }
    golden!("exit-codes", table);
    runtime.block_on(sim.stop());
}
