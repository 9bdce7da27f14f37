"""Storage backends: where published files go, laid out exactly as listeners fetch them.

The local folder (`public/` by default) is the embedded backend; S3-compatible object storage
(AWS, Scaleway, OVH, R2, B2, MinIO, SeaweedFS) is the other. This is the only module that
uses boto3, through one client factory; botocore's errors become StorageError here. Every
object gets an explicit Content-Type and Cache-Control: boto3 would store
binary/octet-stream, and Python's mimetypes is wrong for .m4a, .srt and .rss.
Keys are checked so nothing escapes the storage root.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from podcast.core import fsutil, safejson
from podcast.core.errors import StorageError
from podcast.project.config import Config, StorageSettings
from podcast.project.ids import check_key
from podcast.project.ledger import Ledger

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/x-m4a",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".xml": "application/rss+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mp4": "video/mp4",
}
IMMUTABLE = "public, max-age=31536000, immutable"  # content-addressed keys never change
SHORT = "public, max-age=300"  # the feed and pages: apps and browsers see updates within minutes

T = TypeVar("T")
Progress = Callable[[int], None]  # bytes sent since the last call


BY_NAME = {"sitemap.xml": "application/xml"}  # .xml is the feed's type otherwise


def content_type(key: str) -> str:
    name = Path(key).name
    return BY_NAME.get(name) or CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")


def cache_control(key: str) -> str:
    """A year for content-addressed keys; minutes for the rest (the feed, the pages, the
    sitemap, robots.txt, oEmbed answers), which change in place."""
    return IMMUTABLE if _hashed(key) else SHORT


def _hashed(key: str) -> bool:
    return bool(re.search(r"-[0-9a-f]{12}\.[a-z0-9]+$", key))


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str = ""
    etag: str = ""
    cache_control: str = ""


class Storage(Protocol):
    def put_file(self, key: str, path: Path, progress: Progress | None = None) -> None: ...
    def put_bytes(self, key: str, data: bytes, redirect: str = "") -> None: ...
    def get_bytes(self, key: str) -> bytes | None: ...
    def head(self, key: str) -> ObjectInfo | None: ...
    def same(self, key: str, path: Path) -> bool: ...
    def delete(self, key: str) -> None: ...
    def list(self, prefix: str) -> Iterator[tuple[str, int]]: ...
    def read_range(self, key: str, start: int, length: int) -> bytes | None: ...
    def describe(self) -> str: ...


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path, progress: Progress | None = None) -> None:
        try:
            fsutil.copy_file(path, self._path(key))
        except OSError as exc:
            raise StorageError(f"cannot write {self._path(key)}: {exc.strerror or exc}") from None
        if progress:
            progress(path.stat().st_size)

    def put_bytes(self, key: str, data: bytes, redirect: str = "") -> None:
        try:
            fsutil.write_bytes(self._path(key), data)
        except OSError as exc:
            raise StorageError(f"cannot write {self._path(key)}: {exc.strerror or exc}") from None

    def get_bytes(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        return ObjectInfo(path.stat().st_size, content_type(key)) if path.is_file() else None

    def same(self, key: str, path: Path) -> bool:
        target = self._path(key)
        return (
            target.is_file()
            and target.stat().st_size == path.stat().st_size
            and (fsutil.sha256_file(target) == fsutil.sha256_file(path))
        )

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str) -> Iterator[tuple[str, int]]:
        base = self.root / prefix if prefix else self.root
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                rel = path.relative_to(self.root)
                if path.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield rel.as_posix(), path.stat().st_size

    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        """`length` bytes of the object from `start` (fewer at its end); None when it is absent."""
        try:
            with self._path(key).open("rb") as handle:
                handle.seek(start)
                return handle.read(length)
        except (FileNotFoundError, IsADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"cannot read {self._path(key)}: {exc.strerror or exc}") from None

    def describe(self) -> str:
        return str(self.root)


# ---------------------------------------------------------------------------------------
# S3


def multipart_etag(path: Path, part_size: int) -> str:
    """The ETag S3 gives an object uploaded from `path` in parts of `part_size` bytes (a
    single-part upload's ETag is the file's MD5). Read in 1 MiB blocks: memory stays flat."""
    size = path.stat().st_size
    digests = []
    with path.open("rb") as handle:
        for _ in range(max(1, -(-size // part_size))):
            md5 = hashlib.md5(usedforsecurity=False)
            remaining = part_size
            while remaining > 0 and (block := handle.read(min(remaining, fsutil.CHUNK))):
                md5.update(block)
                remaining -= len(block)
            digests.append(md5)
    if len(digests) == 1:
        return digests[0].hexdigest()
    combined = hashlib.md5(b"".join(d.digest() for d in digests), usedforsecurity=False)
    return f"{combined.hexdigest()}-{len(digests)}"


def local_etag_matches(path: Path, etag: str, part_size: int) -> bool:
    """Compare a local file with an object's ETag, single-part or multipart (whatever part
    size uploaded it: the usual sizes are whole MiB, derived from the part count)."""
    etag = etag.strip('"')
    if "-" not in etag:
        return multipart_etag(path, max(1, path.stat().st_size)) == etag
    parts = int(etag.rsplit("-", 1)[1])
    size = path.stat().st_size
    candidates = [part_size, *[mib << 20 for mib in range(1, 5121) if -(-size // (mib << 20)) == parts][:8]]
    return any(multipart_etag(path, candidate) == etag for candidate in dict.fromkeys(candidates))


def make_client(settings: StorageSettings) -> Any:
    """The one boto3 client factory: SigV4, the configured endpoint and addressing style."""
    import boto3
    from botocore.config import Config as BotoConfig

    try:
        session = boto3.session.Session(profile_name=settings.profile or None)
    except Exception as exc:  # botocore.exceptions.ProfileNotFound
        raise StorageError(f"storage.profile: {exc}") from None
    config = BotoConfig(
        signature_version="s3v4",
        s3={"addressing_style": settings.addressing_style},
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
    )
    return session.client(
        "s3", endpoint_url=settings.endpoint_url or None, region_name=settings.region or None, config=config
    )


class S3Storage:
    def __init__(self, settings: StorageSettings) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self.prefix = settings.prefix.strip("/")
        self.client = make_client(settings)

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_file(self, key: str, path: Path, progress: Progress | None = None) -> None:
        from boto3.s3.transfer import TransferConfig

        mib = 1 << 20
        transfer = TransferConfig(
            multipart_threshold=self.settings.multipart_mb * mib,
            multipart_chunksize=self.settings.part_mb * mib,
            max_concurrency=self.settings.concurrency,
        )
        extra = {"ContentType": content_type(key), "CacheControl": cache_control(key)}
        with self._errors(f"uploading {key}"):
            self.client.upload_file(
                str(path), self.bucket, self._key(key), ExtraArgs=extra, Config=transfer, Callback=progress
            )

    def put_bytes(self, key: str, data: bytes, redirect: str = "") -> None:
        """Store `data`; with `redirect`, a bucket's website endpoint answers the key with a 301
        there (x-amz-website-redirect-location), while the REST endpoint still serves `data`."""
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        extra = {"WebsiteRedirectLocation": redirect} if redirect else {}
        with self._errors(f"uploading {key}"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ContentMD5=md5,
                ContentType=content_type(key),
                CacheControl=cache_control(key),
                **extra,
            )

    def get_bytes(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            with self._errors(f"reading {key}", passthrough=ClientError):
                reply = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
                return bytes(reply["Body"].read())
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound") and not self._bucket_missing():
                return None
            raise StorageError(_message(f"reading {key}", exc, self)) from None

    def head(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            with self._errors(f"checking {key}", passthrough=ClientError):
                reply = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound") and not self._bucket_missing():
                return None
            raise StorageError(_message(f"checking {key}", exc, self)) from None
        return ObjectInfo(
            int(reply["ContentLength"]),
            reply.get("ContentType", ""),
            reply.get("ETag", ""),
            reply.get("CacheControl", ""),
        )

    def _bucket_missing(self) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            return _code(exc) in ("404", "NoSuchBucket", "NotFound")
        return False

    def same(self, key: str, path: Path) -> bool:
        info = self.head(key)
        if info is None or info.size != path.stat().st_size:
            return False
        return local_etag_matches(path, info.etag, self.settings.part_mb << 20)

    def delete(self, key: str) -> None:
        with self._errors(f"deleting {key}"):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def list(self, prefix: str) -> Iterator[tuple[str, int]]:
        full = self._key(prefix.rstrip("/")) + "/" if prefix else (f"{self.prefix}/" if self.prefix else "")
        with self._errors(f"listing {prefix or 'the bucket'}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full)
            for page in pages:
                for obj in page.get("Contents", []):
                    key = obj["Key"][len(self.prefix) + 1 :] if self.prefix else obj["Key"]
                    yield key, int(obj["Size"])

    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        """`length` bytes of the object from `start` (fewer at its end); None when it is absent."""
        return self._get(self._key(key), f"reading {key}", f"bytes={start}-{start + length - 1}")

    def _get(self, full_key: str, action: str, byte_range: str = "") -> bytes | None:
        from botocore.exceptions import ClientError

        extra = {"Range": byte_range} if byte_range else {}
        try:
            with self._errors(action, passthrough=ClientError):
                reply = self.client.get_object(Bucket=self.bucket, Key=full_key, **extra)
                return bytes(reply["Body"].read())
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound", "InvalidRange") and not self._bucket_missing():
                return None
            raise StorageError(_message(action, exc, self)) from None

    def list_after(self, start_after: str) -> Iterator[tuple[str, int]]:
        """(key, size) of the bucket's objects under the prefix whose keys sort after
        `start_after`, in key order: the new log objects of a log bucket. Keys are the bucket's
        own (they are not ours to check), and `get_raw` reads them."""
        base = f"{self.prefix}/" if self.prefix else ""
        args = {"Bucket": self.bucket, "Prefix": base}
        if start_after:
            args["StartAfter"] = start_after
        with self._errors(f"listing the logs in {self.describe()}"):
            for page in self.client.get_paginator("list_objects_v2").paginate(**args):
                for obj in page.get("Contents", []):
                    yield obj["Key"], int(obj["Size"])

    def get_raw(self, full_key: str) -> bytes | None:
        """An object by its full key in the bucket (a log object)."""
        return self._get(full_key, f"reading {full_key}")

    def presign(self, key: str, seconds: int) -> str:
        with self._errors(f"signing {key}"):
            return str(
                self.client.generate_presigned_url(
                    "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=seconds
                )
            )

    def resource(self) -> str:
        """The ARN of every object under the prefix."""
        return f"arn:aws:s3:::{self.bucket}/{self.prefix + '/' if self.prefix else ''}*"

    def get_policy(self) -> dict[str, Any] | None:
        """The bucket's policy, or None when it has none."""
        return self._get_config("reading the bucket policy", "NoSuchBucketPolicy", self._read_policy)

    def _read_policy(self) -> dict[str, Any]:
        return dict(safejson.loads(self.client.get_bucket_policy(Bucket=self.bucket)["Policy"], limit=1 << 20))

    def put_policy(self, policy: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        try:
            with self._errors("setting the bucket policy", passthrough=ClientError):
                self.client.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(policy))
        except ClientError as exc:
            if _code(exc) == "AccessDenied" and (why := self._public_access_blocked()):
                raise StorageError(why) from None
            raise StorageError(_message("setting the bucket policy", exc, self)) from None

    def get_cors(self) -> builtins.list[dict[str, Any]] | None:
        """The bucket's CORS rules, or None when it has none."""
        return self._get_config(
            "reading the bucket's CORS rules",
            "NoSuchCORSConfiguration",
            lambda: list(self.client.get_bucket_cors(Bucket=self.bucket)["CORSRules"]),
        )

    def put_cors(self, rules: builtins.list[dict[str, Any]]) -> None:
        with self._errors("setting the bucket's CORS rules"):
            self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": rules})

    def _get_config(self, action: str, absent: str, read: Callable[[], T]) -> T | None:
        from botocore.exceptions import ClientError

        try:
            with self._errors(action, passthrough=ClientError):
                return read()
        except ClientError as exc:
            if _code(exc) in (absent, "NotImplemented"):
                return None
            raise StorageError(_message(action, exc, self)) from None

    def _public_access_blocked(self) -> str:
        """Why AWS refused a public policy, when Block Public Access is the reason ('' if not)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            settings = self.client.get_public_access_block(Bucket=self.bucket)["PublicAccessBlockConfiguration"]
        except (ClientError, BotoCoreError):
            return ""
        if not (settings.get("BlockPublicPolicy") or settings.get("RestrictPublicBuckets")):
            return ""
        return (
            f"setting the bucket policy: AWS Block Public Access is on for bucket '{self.bucket}' (BlockPublicPolicy/"
            "RestrictPublicBuckets) and refuses any public policy. Either turn those two off for this bucket "
            f"(aws s3api put-public-access-block --bucket {self.bucket} --public-access-block-configuration "
            "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false; "
            "also at the account level if it is set there), or keep the bucket private behind a CDN "
            "(e.g. CloudFront with origin access control) and set show.base_url to the CDN's address"
        )

    def describe(self) -> str:
        where = self.settings.endpoint_url or "AWS S3"
        return f"s3://{self.bucket}/{self.prefix + '/' if self.prefix else ''} ({where})"

    @contextlib.contextmanager
    def _errors(self, action: str, passthrough: type[BaseException] | None = None) -> Iterator[None]:
        """Turn botocore's exceptions into one clear StorageError line (credentials never shown)."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError, S3UploadFailedError) as exc:
            if passthrough is not None and isinstance(exc, passthrough):
                raise
            raise StorageError(_message(action, exc, self)) from None


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _message(action: str, exc: BaseException, store: S3Storage) -> str:
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, PartialCredentialsError

    where = store.describe()
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return f"{action}: no storage credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or storage.profile"
    if isinstance(exc, EndpointConnectionError):
        return f"{action}: cannot reach {where}: is the endpoint up and the URL right?"
    if isinstance(exc, S3UploadFailedError):
        return f"{action}: upload failed ({_reason(str(exc))}); nothing half-written is published: run it again"
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = _code(exc)
        if code in ("403", "400", "Forbidden", "BadRequest"):
            code = _diagnose(store) or code  # a HEAD reply has no body to say why
        return f"{action}: {_client_error(code, status, store.bucket)} ({where})"
    return f"{action}: {exc} ({where})"


def _diagnose(store: S3Storage) -> str:
    """The error code of a request that carries a body (HEAD answers only a status)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        store.client.list_objects_v2(Bucket=store.bucket, MaxKeys=1)
    except ClientError as exc:
        return _code(exc)
    except BotoCoreError:
        return ""
    return ""


def _reason(text: str) -> str:
    if "RequestTimeTooSkewed" in text:
        return "the machine's clock is too far from the server's: set the time (NTP)"
    if "InvalidAccessKeyId" in text or "SignatureDoesNotMatch" in text or "AccessDenied" in text:
        return "access denied: check the credentials"
    return text.split(": ", 1)[-1][:200]


def _client_error(code: str, status: Any, bucket: str) -> str:
    if code in ("404", "NoSuchBucket", "NotFound"):
        return f"bucket '{bucket}' does not exist (create it, or fix storage.bucket)"
    if code in ("RequestTimeTooSkewed",):
        return "the machine's clock is too far from the server's: set the time (NTP) and retry"
    if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden") or status == 403:
        return (
            "access denied: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or storage.profile) and the "
            "bucket's permissions"
        )
    return f"the server answered {code or status}"


class Recorded:
    """A backend whose every write and delete is recorded in the project's ledger: the one
    place that knows which objects this tool published."""

    def __init__(self, backend: LocalStorage | S3Storage, ledger: Ledger) -> None:
        self.backend = backend
        self.ledger = ledger

    def put_file(self, key: str, path: Path, progress: Progress | None = None) -> None:
        self.backend.put_file(key, path, progress)
        self.ledger.put(key, path.stat().st_size)

    def put_bytes(self, key: str, data: bytes, redirect: str = "") -> None:
        self.backend.put_bytes(key, data, redirect)
        self.ledger.put(key, len(data))

    def get_bytes(self, key: str) -> bytes | None:
        return self.backend.get_bytes(key)

    def head(self, key: str) -> ObjectInfo | None:
        return self.backend.head(key)

    def same(self, key: str, path: Path) -> bool:
        return self.backend.same(key, path)

    def delete(self, key: str) -> None:
        self.backend.delete(key)
        self.ledger.forget([key])

    def list(self, prefix: str) -> Iterator[tuple[str, int]]:
        return self.backend.list(prefix)

    def read_range(self, key: str, start: int, length: int) -> bytes | None:
        return self.backend.read_range(key, start, length)

    def describe(self) -> str:
        return self.backend.describe()


def open_storage(config: Config) -> Recorded:
    backend = S3Storage(config.storage) if config.storage.kind == "s3" else LocalStorage(config.public_dir)
    return Recorded(backend, Ledger(config.build_dir))


def open_s3(config: Config, command: str) -> S3Storage:
    """The S3 backend itself, for the operations only S3 has (policies, CORS, presigned links)."""
    if config.storage.kind != "s3":
        raise StorageError(f'{command} needs S3 storage (storage.kind = "s3")')
    return S3Storage(config.storage)
