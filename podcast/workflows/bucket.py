"""S3 bucket operations beyond publishing: private preview links, and public access (the
bucket policy and the CORS rules), merged into what the bucket already has.

`podcast share` and `podcast bucket-policy` live here; the boto3 calls themselves are in
`storage.py`, the only module that uses boto3.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from podcast.core.errors import PodcastError
from podcast.edges import storage
from podcast.project import episode as episodes
from podcast.project.config import Config

POLICY_SID = "PodcastPublicRead"
CORS_ID = "PodcastRead"
# Web players and directories fetch transcripts, chapters and audio from other origins, with
# Range requests: read-only, from anywhere.
CORS_RULE: dict[str, Any] = {
    "ID": CORS_ID,
    "AllowedMethods": ["GET", "HEAD"],
    "AllowedOrigins": ["*"],
    "AllowedHeaders": ["Range"],
    "ExposeHeaders": ["Content-Length", "Content-Range", "Accept-Ranges", "ETag"],
    "MaxAgeSeconds": 86400,
}


def parse_duration(text: str) -> int:
    """'7d', '12h', '30m', '3600' → seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not match:
        raise PodcastError(f"--expires {text!r}: use e.g. 7d, 12h, 30m or a number of seconds")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def share(config: Config, slug: str, seconds: int) -> str:
    """A presigned (SigV4) link to the episode's published audio, for a private preview."""
    if not 1 <= seconds <= 7 * 86400:
        raise PodcastError("--expires: SigV4 links last from 1 second to 7 days")
    store = storage.open_s3(config, "share")
    audio = episodes.load(config, slug).publication().audio
    if audio is None:
        raise PodcastError(f"{slug} is not published yet (run `podcast publish {slug}`)")
    return store.presign(audio.key, seconds)


@dataclass(frozen=True)
class Access:
    """The bucket's policy and CORS rules, as they are and as they would be with ours merged in."""

    policy_before: dict[str, Any] | None
    policy_after: dict[str, Any]
    cors_before: list[dict[str, Any]] | None
    cors_after: list[dict[str, Any]]

    @property
    def policy_changes(self) -> bool:
        return bool(_canonical(self.policy_before) != _canonical(self.policy_after))

    @property
    def cors_changes(self) -> bool:
        return self.cors_before != self.cors_after

    @property
    def changes(self) -> bool:
        return self.policy_changes or self.cors_changes

    def diff(self) -> list[str]:
        return [
            *(_diff("bucket policy", self.policy_before, self.policy_after) if self.policy_changes else []),
            *(_diff("CORS rules", self.cors_before, self.cors_after) if self.cors_changes else []),
        ]


def merged_policy(policy: dict[str, Any] | None, resource: str) -> dict[str, Any]:
    """`policy` with our public-read statement added (or updated); every other statement kept."""
    merged: dict[str, Any] = copy.deepcopy(policy) if policy else {"Version": "2012-10-17", "Statement": []}
    statements: Any = merged.setdefault("Statement", [])
    if isinstance(statements, dict):
        statements = merged["Statement"] = [statements]
    ours: dict[str, Any] = {
        "Sid": POLICY_SID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["s3:GetObject"],
        "Resource": [resource],
    }
    for index, statement in enumerate(statements):
        if statement.get("Sid") == POLICY_SID:
            if _canonical(statement) != _canonical(ours):
                statements[index] = ours
            break
    else:
        statements.append(ours)
    return merged


def merged_cors(rules: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """`rules` with our read-only rule added (or updated); every other rule kept. A store that
    drops rule IDs gives ours back without one: it is recognised by its content."""
    rules = copy.deepcopy(rules or [])
    ours = [i for i, rule in enumerate(rules) if rule.get("ID") == CORS_ID or _same_rule(rule, CORS_RULE)]
    if ours and _same_rule(rules[ours[0]], CORS_RULE):
        return rules
    others = [rule for i, rule in enumerate(rules) if i not in ours]
    return [*others, dict(CORS_RULE)]


def _canonical(value: Any) -> Any:
    """A policy statement as S3 means it: stores give back ["s3:GetObject"] as "s3:GetObject"."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return items[0] if len(items) == 1 else sorted(items, key=json.dumps)
    return value


def _same_rule(rule: dict[str, Any], other: dict[str, Any]) -> bool:
    keys = ("AllowedMethods", "AllowedOrigins", "AllowedHeaders", "ExposeHeaders")
    return all(sorted(map(str.lower, rule.get(k, []))) == sorted(map(str.lower, other.get(k, []))) for k in keys)


def access(config: Config) -> Access:
    store = storage.open_s3(config, "bucket-policy")
    policy, cors = store.get_policy(), store.get_cors()
    return Access(policy, merged_policy(policy, store.resource()), cors, merged_cors(cors))


def apply_access(config: Config) -> tuple[Access, str]:
    """Set the merged policy and CORS rules on the bucket (only what changed)."""
    store = storage.open_s3(config, "bucket-policy")
    plan = access(config)
    if plan.policy_changes:
        store.put_policy(plan.policy_after)
    if plan.cors_changes:
        store.put_cors(plan.cors_after)
    done = "public read access and CORS set" if plan.changes else "already set: nothing changed"
    return plan, f"{done} on {store.describe()}"


def _diff(name: str, before: Any, after: Any) -> list[str]:
    if before == after:
        return []
    old = json.dumps(before, indent=2, sort_keys=True).splitlines() if before is not None else []
    new = json.dumps(after, indent=2, sort_keys=True).splitlines()
    return list(difflib.unified_diff(old, new, f"{name} (now)", f"{name} (with ours)", lineterm=""))
