//! `POST /videos` and `GET /videos/{video_id}` with JSON given and returned as-is, for the
//! gateways' model families whose bodies the spec does not model: AIHubMix passes each vendor's
//! native body through (seedance `{content: [...]}`, dashscope `{input, parameters}`, wan with a
//! bare-string `input_reference`) and answers with extra fields (`duration`, `width`, `height`,
//! result URLs; providers.md §4, AIHubMix `aihubmix-media-adapters` `src/adapters/video.ts`).
//! They run through the same hooks (key, timeouts, redirects, raw errors) as the generated
//! methods (`send_json`, from `videogen_transport::provider_client!`) and decode errors the same way.

use crate::{Client, Error, ResponseValue, types};
use progenitor_client::{ClientInfo, encode_path};
use reqwest::header::{ACCEPT, HeaderValue};

impl Client {
    /// `POST /videos` with `body` sent as JSON exactly as given; the answer as JSON.
    ///
    /// # Errors
    /// As [`Client::create_video`].
    pub async fn create_video_value(
        &self,
        body: &serde_json::Value,
    ) -> Result<ResponseValue<serde_json::Value>, Error<types::ErrorResponse>> {
        let url = format!("{}/videos", self.baseurl());
        let request =
            self.client().post(url).header(ACCEPT, HeaderValue::from_static("application/json")).json(body).build()?;
        self.send_json(request, "createVideo").await
    }

    /// `GET /videos/{video_id}`; the answer as JSON (with the fields the spec does not list).
    ///
    /// # Errors
    /// As [`Client::get_video`].
    pub async fn get_video_value(
        &self,
        video_id: &str,
    ) -> Result<ResponseValue<serde_json::Value>, Error<types::ErrorResponse>> {
        let url = format!("{}/videos/{}", self.baseurl(), encode_path(video_id));
        let request = self.client().get(url).header(ACCEPT, HeaderValue::from_static("application/json")).build()?;
        self.send_json(request, "GetVideo").await
    }
}
