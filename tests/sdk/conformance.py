"""The official-SDK conformance tier: the providers' official Python SDKs, unmodified, drive a
running videogen-sim through the calls their docs show, and every answer is checked as the SDK
returns it.

Run by `cargo xtask ci` (which starts the simulator with the fault rules below) as
`target/tools/sdk-venv/bin/python tests/sdk/conformance.py`, with VIDEOGEN_SIM_URL set.

Pinned SDKs: openai==3.51.0, videodb==0.5.1, replicate==1.0.7 (tools/sdk/requirements.txt). The
simulator must be started with `--fault openai:createVideo:429=0:first=1` (the SDK's own retry on
a 429), `--fault openai:ListVideos:429=0:first=1` (RateLimitError from a client without retries)
and `--fault replicate:create_prediction:429=0:first=1` (replicate-python never retries a POST:
its ReplicateError carries the 429).
"""

import json
import os
import struct
import sys
import tempfile
import traceback
import urllib.request
import zlib

SIM = os.environ["VIDEOGEN_SIM_URL"].rstrip("/")
KEY = os.environ.get("VIDEOGEN_SIM_KEY", "sk-sdk-conformance")

checks = []


def check(fn):
    checks.append(fn)
    return fn


def counters():
    with urllib.request.urlopen(f"{SIM}/_sim/counters") as r:
        return json.load(r)


def png_file():
    """A 1x1 PNG on disk (a real reference image for the multipart upload)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    raw += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    f = tempfile.NamedTemporaryFile(suffix=".png", delete=False)
    f.write(raw)
    f.close()
    return f.name


# ---------------------------------------------------------------------------------------------
# openai==3.51.0
# ---------------------------------------------------------------------------------------------
import openai  # noqa: E402
from openai import OpenAI  # noqa: E402

oa = OpenAI(api_key=KEY, base_url=f"{SIM}/v1", max_retries=2)
state = {}


@check
def openai_rate_limit_error_without_retries():
    # The simulator answers the first list with 429 (Retry-After: 0); this client does not retry.
    try:
        OpenAI(api_key=KEY, base_url=f"{SIM}/v1", max_retries=0).videos.list()
        raise AssertionError("no 429")
    except openai.RateLimitError as e:
        assert e.status_code == 429, e


@check
def openai_create_retries_a_429_itself_and_makes_one_job():
    before = counters()
    # The simulator answers the first create with 429 (Retry-After: 0); the SDK retries.
    video = oa.videos.create(model="sora-2", prompt="A red balloon", seconds="4", size="720x1280")
    after = counters()
    assert video.id and video.status in ("queued", "in_progress"), video
    assert after["create_requests"]["openai"] - before["create_requests"].get("openai", 0) == 2, after
    assert after["jobs_created"]["openai"] - before["jobs_created"].get("openai", 0) == 1, after
    state["first"] = video.id


@check
def openai_create_as_json_through_client_post():
    video = oa.post(
        "/videos",
        body={"model": "sora-2", "prompt": "A paper boat", "seconds": "8", "size": "1280x720"},
        cast_to=openai.types.Video,
    )
    assert video.id and video.seconds == "8" and video.size == "1280x720", video


@check
def openai_create_multipart_with_an_input_reference_file():
    with open(png_file(), "rb") as f:
        video = oa.videos.create(model="sora-2", prompt="A cat", input_reference=f, seconds="4")
    assert video.id and video.status in ("queued", "in_progress"), video


@check
def openai_create_with_an_input_reference_object():
    # `videos.create` takes only a file for input_reference; the object form goes through the
    # SDK's own multipart encoder (`_serialize_multipartform`), which sends it as the form field
    # `input_reference[image_url]`.
    video = oa.post(
        "/videos",
        body={"model": "sora-2", "prompt": "A dog", "input_reference": {"image_url": "https://example.com/dog.png"}},
        options={"headers": {"Content-Type": "multipart/form-data"}},
        cast_to=openai.types.Video,
    )
    assert video.id, video


@check
def openai_create_and_poll():
    video = oa.videos.create_and_poll(model="sora-2", prompt="A bird", seconds="4", poll_interval_ms=50)
    assert video.status == "completed" and video.progress == 100, video
    state["done"] = video.id


@check
def openai_retrieve():
    video = oa.videos.retrieve(state["done"])
    assert video.id == state["done"] and video.status == "completed", video


@check
def openai_list_auto_paginates_across_pages():
    ids = [v.id for v in oa.videos.list(limit=2)]
    assert len(ids) >= 5 and len(ids) == len(set(ids)), ids
    assert state["done"] in ids and state["first"] in ids, ids
    page = oa.videos.list(limit=2)
    assert len(page.data) == 2 and page.has_more, page


@check
def openai_download_content_every_variant():
    video = oa.videos.download_content(state["done"])
    assert video.content[4:8] == b"ftyp", video.content[:16]
    thumb = oa.videos.download_content(state["done"], variant="thumbnail")
    sprite = oa.videos.download_content(state["done"], variant="spritesheet")
    assert thumb.content[:4] == b"RIFF" and sprite.content[:4] == b"RIFF", (thumb.content[:8], sprite.content[:8])


@check
def openai_download_content_streaming():
    with oa.videos.with_streaming_response.download_content(state["done"]) as response:
        assert response.headers["content-type"].startswith("video/mp4"), response.headers
        data = b"".join(response.iter_bytes())
    assert data[4:8] == b"ftyp" and len(data) > 1000, len(data)


@check
def openai_remix():
    remix = oa.videos.remix(state["done"], prompt="The same bird, at night")
    assert remix.remixed_from_video_id == state["done"] and remix.id != state["done"], remix


@check
def openai_delete():
    deleted = oa.videos.delete(state["done"])
    assert deleted.deleted and deleted.id == state["done"], deleted


@check
def openai_typed_errors():
    try:
        oa.videos.create(model="sora-2", prompt="x", seconds="5")
        raise AssertionError("seconds 5 was accepted")
    except openai.BadRequestError as e:
        assert e.status_code == 400, e
    try:
        OpenAI(api_key="sk-wrong", base_url=f"{SIM}/v1").videos.retrieve("video_x")
        raise AssertionError("a wrong key was accepted")
    except openai.AuthenticationError as e:
        assert e.status_code == 401, e
    try:
        oa.videos.retrieve("video_does_not_exist")
        raise AssertionError("an unknown video was found")
    except openai.NotFoundError as e:
        assert e.status_code == 404, e


# ---------------------------------------------------------------------------------------------
# videodb==0.5.1
# ---------------------------------------------------------------------------------------------
import videodb  # noqa: E402
from videodb.exceptions import AuthenticationError, InvalidRequestError  # noqa: E402

conn = videodb.connect(api_key=KEY, base_url=SIM)


@check
def videodb_collections():
    collections = conn.get_collections()
    assert any(c.id == "default" for c in collections), collections
    default = conn.get_collection()
    assert default.id == "default", default
    made = conn.create_collection(name="SDK collection", description="made by videodb-python")
    assert made.id and made.name == "SDK collection", made
    updated = conn.update_collection(made.id, name="Renamed", description="changed")
    assert updated.name == "Renamed" and updated.description == "changed", updated
    again = conn.get_collection(made.id)
    assert again.name == "Renamed", again
    made.delete()
    try:
        conn.get_collection(made.id)
        raise AssertionError("a deleted collection was found")
    except InvalidRequestError:
        pass


@check
def videodb_generate_video_the_documented_first_call():
    # Seed 003's example, as written: coll.generate_video(prompt=…, duration=6).
    coll = conn.get_collection()
    video = coll.generate_video(prompt="A drone over a city", duration=6)
    assert video.id.startswith("m-") and video.stream_url, video
    state["vdb"] = video.id


@check
def videodb_get_videos_and_get_video():
    coll = conn.get_collection()
    videos = coll.get_videos()
    assert state["vdb"] in [v.id for v in videos], videos
    video = coll.get_video(state["vdb"])
    assert video.id == state["vdb"] and video.collection_id == "default", video
    assert video.length > 0, video


@check
def videodb_generate_stream_update_delete():
    coll = conn.get_collection()
    video = coll.get_video(state["vdb"])
    url = video.generate_stream(timeline=[(0, 2)])
    assert url and url.startswith("http"), url
    video.update(name="Renamed video")
    assert video.name == "Renamed video", video
    assert coll.get_video(state["vdb"]).name == "Renamed video"
    video.delete()
    try:
        coll.get_video(state["vdb"])
        raise AssertionError("a deleted video was found")
    except InvalidRequestError:
        pass


@check
def videodb_typed_errors():
    try:
        videodb.connect(api_key="sk-wrong", base_url=SIM).get_collections()
        raise AssertionError("a wrong key was accepted")
    except AuthenticationError:
        pass
    try:
        conn.get_collection().generate_video(prompt="too short", duration=4)
        raise AssertionError("duration 4 was accepted")
    except (InvalidRequestError, ValueError):
        pass


# ---------------------------------------------------------------------------------------------
# replicate==1.0.7 (replicate-python: base_url is the bare origin, paths carry /v1)
# ---------------------------------------------------------------------------------------------
os.environ["REPLICATE_POLL_INTERVAL"] = "0.05"
import http.server  # noqa: E402
import threading  # noqa: E402

import replicate  # noqa: E402
from replicate.exceptions import ReplicateError  # noqa: E402
from replicate.webhook import InvalidSignatureError, Webhooks, WebhookSigningSecret  # noqa: E402

rc = replicate.Client(api_token=KEY, base_url=SIM)
MODEL = "kwaivgi/kling-v3-video"


def fetch(url):
    with urllib.request.urlopen(url) as r:
        return r.read()


@check
def replicate_create_by_version_429_is_a_replicate_error_and_nothing_is_created():
    # The simulator answers the first version create with 429; the SDK never re-sends a POST.
    before = counters()
    version = rc.models.get(MODEL).latest_version.id
    try:
        rc.predictions.create(version=version, input={"prompt": "A red balloon"})
        raise AssertionError("no 429")
    except ReplicateError as e:
        assert e.status == 429 and "throttled" in (e.detail or ""), e
    after = counters()
    assert after["jobs_created"].get("replicate", 0) == before["jobs_created"].get("replicate", 0), after
    made = rc.predictions.create(version=version, input={"prompt": "A red balloon"})
    assert made.id and made.status == "starting", made


@check
def replicate_run_the_documented_first_call():
    # replicate.run holds the create open (Prefer: wait) and returns the output: one URL.
    output = rc.run(MODEL, input={"prompt": "A red balloon floating upward", "duration": 5})
    url = str(output)
    assert url.startswith("http://localhost:"), output
    assert fetch(url)[4:8] == b"ftyp"


@check
def replicate_create_wait_get():
    prediction = rc.predictions.create(model=MODEL, input={"prompt": "A paper boat", "aspect_ratio": "9:16"})
    assert prediction.status == "starting", prediction
    prediction.wait()
    assert prediction.status == "succeeded", prediction
    again = rc.predictions.get(prediction.id)
    assert again.output == prediction.output and again.model == MODEL, again
    state["replicate"] = prediction.id


@check
def replicate_cancel():
    slow = rc.predictions.create(model="videogen-sim/slow-video", input={"prompt": "A slow boat"})
    slow.cancel()
    assert rc.predictions.get(slow.id).status == "canceled"


@check
def replicate_list_pages_with_cursors():
    # Pages hold 100: fill one, and one more makes a second page.
    for _ in range(101 - len(rc.predictions.list().results)):
        rc.predictions.create(model=MODEL, input={"prompt": "filler"})
    first = rc.predictions.list()
    assert len(first.results) == 100 and first.next, "a full page names the next one"
    second = rc.predictions.list(first.next)
    ids = [p.id for p in first.results] + [p.id for p in second.results]
    assert len(ids) == len(set(ids)) > 100, len(ids)
    every = [p.id for page in replicate.paginate(rc.predictions.list) for p in page]
    assert state["replicate"] in every


@check
def replicate_model_lookup_and_its_input_schema():
    model = rc.models.get(MODEL)
    assert (model.owner, model.name) == ("kwaivgi", "kling-v3-video"), model
    schema = model.latest_version.openapi_schema["components"]["schemas"]["Input"]
    assert "prompt" in schema["required"] and "duration" in schema["properties"], schema


@check
def replicate_typed_errors():
    try:
        replicate.Client(api_token="r8_wrong", base_url=SIM).predictions.list()
        raise AssertionError("a wrong key was accepted")
    except ReplicateError as e:
        assert e.status == 401, e
    try:
        rc.models.get("nobody/nothing")
        raise AssertionError("an unknown model was found")
    except ReplicateError as e:
        assert e.status == 404, e
    try:
        rc.predictions.create(model=MODEL, input={"prompt": "x", "duration": 99})
        raise AssertionError("duration 99 was accepted")
    except ReplicateError as e:
        assert e.status == 422 and "duration" in (e.detail or ""), e


@check
def replicate_webhook_is_signed_as_the_sdk_validates():
    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append((dict(self.headers), body.decode()))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        prediction = rc.predictions.create(
            model=MODEL, input={"prompt": "A kite"}, webhook=url, webhook_events_filter=["completed"]
        )
        prediction.wait()
        for _ in range(100):
            if received:
                break
            threading.Event().wait(0.05)
        assert received, "no webhook"
        headers, body = received[0]
        secret = rc.webhooks.default.secret()
        assert secret.key.startswith("whsec_"), secret
        Webhooks.validate(headers=headers, body=body, secret=secret, tolerance=300)
        assert json.loads(body)["id"] == prediction.id
        try:
            Webhooks.validate(headers=headers, body=body.replace("localhost", "evil"), secret=secret)
            raise AssertionError("a changed body validated")
        except InvalidSignatureError:
            pass
        try:
            wrong = WebhookSigningSecret(key="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            Webhooks.validate(headers=headers, body=body, secret=wrong)
            raise AssertionError("another secret validated")
        except InvalidSignatureError:
            pass
    finally:
        server.shutdown()


def main():
    passed, failed = 0, 0
    for fn in checks:
        try:
            fn()
            passed += 1
            print(f"ok      {fn.__name__}")
        except Exception:  # noqa: BLE001 - every failure is reported, then the run fails
            failed += 1
            print(f"FAILED  {fn.__name__}")
            traceback.print_exc(limit=4)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
