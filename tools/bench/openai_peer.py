"""The official openai Python SDK doing the bench's per-job work, for `cargo xtask bench`.

Measured in this process (CPU from time.process_time, peak RSS from getrusage), after a warm-up
job, against the same simulator as the facade:

  overhead    --base URL --jobs N --dir DIR   sync OpenAI client: create, 10 retrieves, the
                                              content streamed to a temporary file, fsync, rename
  concurrency --base URL --jobs N --poll-ms MS
                                              AsyncOpenAI + asyncio.gather: create, then retrieve
                                              every MS until completed (the SDK's own poll loop,
                                              create_and_poll, waits the same way)

Prints one JSON object. The SDK is openai==3.51.0 from tools/sdk/requirements.txt.
"""

import argparse
import asyncio
import json
import os
import resource
import time

import openai
from openai import AsyncOpenAI, OpenAI

KEY = "sk-bench"


def job(client, directory, i):
    video = client.videos.create(model="sora-2", prompt=f"bench {i}", seconds="4")
    for _ in range(10):
        video = client.videos.retrieve(video.id)
    assert video.status == "completed", video.status
    tmp = os.path.join(directory, f".p{i}.part")
    with client.videos.with_streaming_response.download_content(video.id) as response:
        with open(tmp, "wb") as f:
            for chunk in response.iter_bytes():
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, os.path.join(directory, f"p{i}.mp4"))


def overhead(args):
    os.makedirs(args.dir, exist_ok=True)
    client = OpenAI(api_key=KEY, base_url=args.base)
    job(client, args.dir, -1)  # warm the connection pool
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(args.jobs):
        job(client, args.dir, i)
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    return {"jobs": args.jobs, "cpu_ms_per_job": cpu * 1000 / args.jobs, "wall_ms_per_job": wall * 1000 / args.jobs}


async def concurrent_job(client, i, poll):
    video = await client.videos.create(model="sora-2", prompt=f"concurrent {i}", seconds="4")
    while video.status not in ("completed", "failed"):
        await asyncio.sleep(poll)
        video = await client.videos.retrieve(video.id)
    if video.status != "completed":
        raise RuntimeError(video.status)


async def concurrency(args):
    client = AsyncOpenAI(api_key=KEY, base_url=args.base)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    results = await asyncio.gather(
        *(concurrent_job(client, i, args.poll_ms / 1000) for i in range(args.jobs)), return_exceptions=True
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    return {
        "jobs": args.jobs,
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": time.process_time() - cpu0,
        "errors": len(errors),
        "first_error": repr(errors[0]) if errors else None,
    }


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    o = sub.add_parser("overhead")
    o.add_argument("--base", required=True)
    o.add_argument("--jobs", type=int, default=100)
    o.add_argument("--dir", required=True)
    c = sub.add_parser("concurrency")
    c.add_argument("--base", required=True)
    c.add_argument("--jobs", type=int, default=1000)
    c.add_argument("--poll-ms", type=int, default=1000)
    args = parser.parse_args()
    result = overhead(args) if args.command == "overhead" else asyncio.run(concurrency(args))
    result["sdk"] = f"openai {openai.__version__}"
    result["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))


if __name__ == "__main__":
    main()
