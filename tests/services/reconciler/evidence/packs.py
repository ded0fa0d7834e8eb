"""Reading and tampering with packs the way a sceptical reader (or a forger) would."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def read_json(data: bytes, name: str) -> Any:
    return json.loads(members(data)[name])


def journal_lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in members(data)["journal.jsonl"].splitlines()]


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())


def rewritten(data: bytes, edits: dict[str, Callable[[bytes], bytes]], *, fix_manifest: bool = False) -> bytes:
    """The pack with some members edited; ``fix_manifest`` also updates their hashes, as a careful forger would."""
    files = members(data)
    for name, edit in edits.items():
        files[name] = edit(files[name])
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        for entry in manifest["files"]:
            body = files[entry["path"]]
            entry["sha256"], entry["bytes"] = hashlib.sha256(body).hexdigest(), len(body)
        files["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


def save(data: bytes, path: Path) -> Path:
    path.write_bytes(data)
    return path
