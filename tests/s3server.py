"""A real S3 API on 127.0.0.1 for the fleet tests and benchmarks: moto in server mode.

The server runs as its own process (``python -m moto.server``) so that it can be
stopped and started again on the same port, as a storage outage would, and its
request log (one line per request, with the status) shows what the clients
asked for: ranged reads answer 206, and every PUT of a key is counted.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Tuple

KEY = "testing"
_REQUEST = re.compile(r'"(GET|PUT|HEAD|POST|DELETE) (\S+) HTTP/[\d.]+"\s+(\d{3})')
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def aws_env(endpoint: str) -> dict:
    """The standard AWS variables, pointing at ``endpoint`` with dummy keys (and never at
    a metadata service or a developer's own configuration)."""
    return {
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": KEY,
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }


class MotoServer:
    """``moto.server`` on a free port of 127.0.0.1; ``stop()`` then ``start()`` keeps the port
    (the data is lost, as moto keeps it in memory)."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        return aws_env(self.endpoint)

    def start(self, timeout: float = 60) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto did not listen on {self.port} within {timeout} s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def store(self) -> Store:
        """The test's own client, fresh (no connection kept to a server since stopped)."""
        return Store(self.endpoint)

    def requests(self) -> List[Tuple[str, str, int]]:
        """``(method, path, status)`` of every request the server answered so far.

        The server logs a request after answering it, so the log is read once it
        has stopped growing for a moment (at most a few seconds).
        """
        size, deadline = -1, time.monotonic() + 5
        while self.log.stat().st_size != size and time.monotonic() < deadline:
            size = self.log.stat().st_size
            time.sleep(0.3)
        text = _COLOUR.sub("", self.log.read_text(errors="replace"))
        return [(m, p, int(s)) for m, p, s in _REQUEST.findall(text)]


class Store:
    """The tests' own view of the buckets, through boto3 (a moto dependency).

    Not s3fs: it would leave fsspec's event-loop thread running in the pytest
    process, and later tests fork (pexpect), which a threaded process must not.
    Paths are ``bucket/key``, as s3fs writes them.
    """

    def __init__(self, endpoint: str) -> None:
        import boto3

        self.client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY,
                                   aws_secret_access_key=KEY, region_name="us-east-1")

    def mkdir(self, bucket: str) -> None:
        self.client.create_bucket(Bucket=bucket)

    def ls(self, path: str) -> List[str]:
        """The objects directly under ``bucket/prefix``; none for a missing bucket."""
        bucket, _, prefix = path.partition("/")
        found: List[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/" if prefix else "", Delimiter="/")
        try:
            for page in pages:
                found.extend(f"{bucket}/{item['Key']}" for item in page.get("Contents", ()))
        except self.client.exceptions.NoSuchBucket:
            return []
        return sorted(found)

    def cat_file(self, path: str) -> bytes:
        bucket, _, key = path.partition("/")
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()

    def pipe_file(self, path: str, data: bytes) -> None:
        bucket, _, key = path.partition("/")
        self.client.put_object(Bucket=bucket, Key=key, Body=data)


@contextmanager
def hanging_server() -> Iterator[str]:
    """An endpoint that accepts connections (the kernel does) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
