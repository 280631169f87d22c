//! `POST /videos` and `GET /videos/{video_id}` with JSON given and returned as-is, for the
//! gateways' model families whose bodies the spec does not model: AIHubMix passes each vendor's
//! native body through (seedance `{content: [...]}`, dashscope `{input, parameters}`, wan with a
//! bare-string `input_reference`) and answers with extra fields (`duration`, `width`, `height`,
//! result URLs; providers.md §4, AIHubMix `aihubmix-media-adapters` `src/adapters/video.ts`).
//! They run through the same hooks (key, timeouts, redirects, raw errors) as the generated
//! methods and decode errors the same way.

use crate::{Client, Error, ResponseValue, types};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, encode_path};
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
        self.send(request, "createVideo").await
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
        self.send(request, "GetVideo").await
    }

    /// Sends a hand-built request through the generated methods' hooks (key, timeouts,
    /// redirects, raw errors) and decodes the answer as they do: 200 as `T`, 4xx/5xx as the
    /// spec's error body, anything else unexpected. The multipart methods use it too.
    pub(crate) async fn send<T: serde::de::DeserializeOwned>(
        &self,
        mut request: reqwest::Request,
        operation_id: &'static str,
    ) -> Result<ResponseValue<T>, Error<types::ErrorResponse>> {
        let info = OperationInfo { operation_id };
        self.pre(&mut request, &info).await?;
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        match response.status().as_u16() {
            200 => ResponseValue::from_response(response).await,
            400..=599 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }
}
