//! The multipart forms of `POST /videos` and `POST /videos/{video_id}/remix`, which progenitor 0.15
//! cannot generate (the xtask sets them aside; see `HANDWRITTEN` in xtask/src/codegen.rs). They
//! reuse the generated types, hooks, response decoding and error type, so they behave like the
//! generated methods.
//!
//! Spec: `CreateVideoMultipartBody` and `CreateVideoRemixBody` in `specs/openai/openapi.json`. The
//! multipart form is what openai-python's `videos.create` always sends, and what AIHubMix's API
//! reference documents (`input_reference` as a file part).

use crate::{Client, Error, ResponseValue, types};
use progenitor_client::{ClientInfo, encode_path};
use reqwest::header::{ACCEPT, HeaderValue};
use reqwest::multipart::{Form, Part};

/// A reference image (or video) uploaded as the `input_reference` file part.
#[derive(Clone)]
pub struct InputReferenceFile {
    /// The file's bytes.
    pub bytes: bytes::Bytes,
    /// The file name sent in the part's `Content-Disposition`, e.g. `first_frame.png`.
    pub file_name: String,
    /// The part's content type, e.g. `image/png`, `image/jpeg`, `image/webp`.
    pub content_type: String,
}

impl std::fmt::Debug for InputReferenceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputReferenceFile")
            .field("bytes", &format_args!("{} bytes", self.bytes.len()))
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// The multipart body of `POST /videos` (spec `CreateVideoMultipartBody`).
#[derive(Clone, Debug)]
pub struct CreateVideoMultipart {
    /// Text prompt, 1 to 32,000 characters.
    pub prompt: types::CreateVideoMultipartBodyPrompt,
    /// Model id; the server defaults to `sora-2`.
    pub model: Option<types::VideoModel>,
    /// Clip length: "4", "8" or "12" seconds; the server defaults to "4".
    pub seconds: Option<types::VideoSeconds>,
    /// `WIDTHxHEIGHT` in pixels; the server defaults to `720x1280`.
    pub size: Option<types::VideoSize>,
    /// The reference asset, sent as a file part named `input_reference`.
    pub input_reference: Option<InputReferenceFile>,
    /// Further text fields, passed through as-is (AIHubMix model families take their own keys).
    pub extra: Vec<(String, String)>,
}

impl CreateVideoMultipart {
    /// A body with only `prompt` set.
    pub fn new(prompt: types::CreateVideoMultipartBodyPrompt) -> Self {
        Self { prompt, model: None, seconds: None, size: None, input_reference: None, extra: Vec::new() }
    }

    fn into_form(self) -> Result<Form, reqwest::Error> {
        let mut form = Form::new().text("prompt", String::from(self.prompt));
        if let Some(model) = self.model {
            form = form.text("model", model.0);
        }
        if let Some(seconds) = self.seconds {
            form = form.text("seconds", seconds.to_string());
        }
        if let Some(size) = self.size {
            form = form.text("size", size.to_string());
        }
        for (name, value) in self.extra {
            form = form.text(name, value);
        }
        if let Some(file) = self.input_reference {
            let part = Part::stream_with_length(reqwest::Body::from(file.bytes.clone()), file.bytes.len() as u64)
                .file_name(file.file_name)
                .mime_str(&file.content_type)?;
            form = form.part("input_reference", part);
        }
        Ok(form)
    }
}

impl Client {
    /// `POST /videos` with a multipart body: create a video generation job, uploading the
    /// reference asset as a file part.
    ///
    /// # Errors
    /// As the generated methods: [`Error::ErrorResponse`] with the provider's
    /// [`types::ErrorResponse`] on 4xx/5xx, [`Error::CommunicationError`] when the request fails,
    /// [`Error::InvalidResponsePayload`] when the body is not a `VideoResource`, and
    /// [`Error::InvalidRequest`] for a content type that is not a valid MIME type.
    pub async fn create_video_multipart(
        &self,
        body: CreateVideoMultipart,
    ) -> Result<ResponseValue<types::VideoResource>, Error<types::ErrorResponse>> {
        let form = body.into_form().map_err(|e| Error::InvalidRequest(format!("input_reference content type: {e}")))?;
        let url = format!("{}/videos", self.baseurl());
        self.send_multipart(url, form, "create_video_multipart").await
    }

    /// `POST /videos/{video_id}/remix` with a multipart body holding `prompt`.
    ///
    /// # Errors
    /// As [`Client::create_video_multipart`].
    pub async fn create_video_remix_multipart(
        &self,
        video_id: &str,
        prompt: types::CreateVideoRemixBodyPrompt,
    ) -> Result<ResponseValue<types::VideoResource>, Error<types::ErrorResponse>> {
        let form = Form::new().text("prompt", String::from(prompt));
        let url = format!("{}/videos/{}/remix", self.baseurl(), encode_path(video_id));
        self.send_multipart(url, form, "create_video_remix_multipart").await
    }

    async fn send_multipart(
        &self,
        url: String,
        form: Form,
        operation_id: &'static str,
    ) -> Result<ResponseValue<types::VideoResource>, Error<types::ErrorResponse>> {
        let request = self
            .client()
            .post(url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .multipart(form)
            .build()?;
        self.send_json(request, operation_id).await
    }
}
