//! `Client::from_env`: keys and base URLs from the environment. Alone in its test binary, as it
//! changes the process environment.

use videogen::{Client, Error, Provider, VideoRequest};

#[test]
fn keys_and_base_urls_come_from_the_environment() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sim = runtime.block_on(videogen_sim::Sim::start(Default::default())).unwrap();
    // SAFETY: this test binary runs this one test; the runtime above is single-threaded and idle,
    // so nothing reads the environment while it changes.
    unsafe {
        for p in Provider::ALL {
            std::env::remove_var(p.api_key_env());
            std::env::remove_var(p.base_url_env());
        }
        std::env::set_var("OXEN_API_KEY", "sk-from-env");
        std::env::set_var("OXEN_BASE_URL", sim.base_url());
        // OPENAI_API_KEY alone (exported for OpenAI's other APIs) configures no gateway.
        std::env::set_var("OPENAI_API_KEY", "sk-for-other-openai-apis");
    }
    let client = Client::from_env().unwrap();
    assert_eq!(client.providers(), vec![Provider::Oxen]);
    let job =
        runtime
            .block_on(client.submit(
                &VideoRequest::new(Provider::Oxen, "kling-video-v2-6-pro-text-to-video").prompt("A red balloon"),
            ))
            .unwrap();
    assert_eq!(sim.counters().jobs_created(videogen_sim::Provider::Oxen), 1, "OXEN_BASE_URL was used: {job:?}");
    let openai =
        runtime.block_on(client.submit(&VideoRequest::new(Provider::OpenAi, "gateway-video-model").prompt("x")));
    assert!(matches!(openai, Err(Error::Config { ref message }) if message.contains("OPENAI_API_KEY")), "{openai:?}");

    // SAFETY: as above.
    unsafe {
        std::env::remove_var("OXEN_API_KEY");
        std::env::remove_var("OPENAI_API_KEY");
    }
    assert!(matches!(Client::from_env(), Err(Error::Config { .. })));
    runtime.block_on(sim.stop());

    // OPENAI_BASE_URL without a key: a keyless gateway (a LiteLLM proxy without auth).
    let keyless = runtime
        .block_on(videogen_sim::Sim::start(videogen_sim::SimConfig { keyless_gateway: true, ..Default::default() }))
        .unwrap();
    // SAFETY: as above.
    unsafe {
        std::env::set_var("OPENAI_BASE_URL", keyless.openai_base_url());
    }
    let client = Client::from_env().unwrap();
    assert_eq!(client.providers(), vec![Provider::OpenAi]);
    runtime
        .block_on(
            client.submit(&VideoRequest::new(Provider::OpenAi, "gateway-video-model").prompt("A keyless gateway")),
        )
        .unwrap();
    assert_eq!(keyless.counters().jobs_created(videogen_sim::Provider::OpenAi), 1);
    // SAFETY: as above.
    unsafe {
        std::env::remove_var("OPENAI_BASE_URL");
    }
    runtime.block_on(keyless.stop());
}
