"""A tiny Hugging Face hub on 127.0.0.1 for tests: every folder `root/<org>/<name>/` is a model repository.

It answers what huggingface_hub 2.x asks of the hub for `snapshot_download` and `hf_hub_download`, with
Xet off (`HF_HUB_DISABLE_XET=1`):
- `GET /api/models/<repo>[/revision/<rev>]`: id, sha and siblings (`rfilename`), as `repo_info` reads them;
- `GET /api/models/<repo>/tree/<rev>[/<path>]?recursive=...`: `file` entries (path, size, oid, and `lfs` for
  weights) and `directory` entries, paged by a `Link: <...>; rel="next"` header as the hub pages (1000 a page);
- `HEAD`/`GET /<repo>/resolve/<rev>/<file>`: `X-Repo-Commit`, `ETag` (the git blob sha1, or the sha256 of an
  LFS file, as the hub's `X-Linked-Etag`), `Content-Length`, and `Range` (206 + `Content-Range`) for resumes;
- 404 with `X-Error-Code: RepoNotFound` / `RevisionNotFound` / `EntryNotFound`, which huggingface_hub turns into
  its RepositoryNotFoundError / RevisionNotFoundError / EntryNotFoundError;
- gated repositories: metadata stays public (as on the hub) but files answer 401 `X-Error-Code: GatedRepo`
  unless `Authorization: Bearer <token>` carries the given token.
Revisions are "main" and the commit sha, a hash of the repository's file list and contents.

huggingface_hub reads HF_ENDPOINT and the cache folder once, at import: in-process tests call `use_hub`, or run
a subprocess with HF_ENDPOINT, HF_HUB_CACHE and HF_HUB_DISABLE_XET in its environment.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

# Files the hub stores in LFS (its default .gitattributes): their tree entries carry `lfs` and their ETag is the
# sha256 of the content.
LFS_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".msgpack", ".onnx", ".onnx_data", ".model", ".h5")


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # unquoted, without the query
    range: str | None  # the Range header, when the client resumed
    token: str | None  # the bearer token sent, if any


class HubEndpoint(str):
    """The endpoint URL (use it as HF_ENDPOINT), carrying what the server saw.

    `log` is every request as (method, path); `requests` the same with the Range and token sent.
    """

    requests: list[Request]

    @property
    def log(self) -> list[tuple[str, str]]:
        return [(request.method, request.path) for request in self.requests]

    def downloads(self, repo: str) -> set[str]:
        """The files of `repo` the client asked for (HEAD or GET on resolve). huggingface_hub HEADs every file
        it fetches, and GETs only content its cache lacks: identical files share one blob."""
        prefix = f"/{repo}/resolve/"
        return {request.path[len(prefix):].split("/", 1)[1] for request in self.requests
                if request.path.startswith(prefix)}


class _Repo:
    """One repository folder: its files (relative posix paths) and their ids, read when first asked for."""

    def __init__(self, folder: Path):
        self.folder = folder

    @functools.cached_property
    def files(self) -> dict[str, bytes]:
        return {path.relative_to(self.folder).as_posix(): path.read_bytes()
                for path in sorted(self.folder.rglob("*")) if path.is_file()}

    @functools.cached_property
    def oids(self) -> dict[str, str]:
        """git's blob id of each file."""
        return {name: hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
                for name, content in self.files.items()}

    @functools.cached_property
    def etags(self) -> dict[str, str]:
        """The sha256 of LFS files, the blob id of others, as the hub's (X-Linked-)ETag."""
        return {name: hashlib.sha256(content).hexdigest() if name.endswith(LFS_SUFFIXES) else self.oids[name]
                for name, content in self.files.items()}

    @functools.cached_property
    def sha(self) -> str:
        """The commit: a hash of the file list and contents."""
        return hashlib.sha1("\n".join(f"{name} {oid}" for name, oid in self.oids.items()).encode()).hexdigest()

    def entry(self, name: str) -> dict:
        entry = {"type": "file", "path": name, "size": len(self.files[name]), "oid": self.oids[name]}
        if name.endswith(LFS_SUFFIXES):
            entry["lfs"] = {"oid": self.etags[name], "size": len(self.files[name]), "pointerSize": 134}
        return entry

    def tree(self, under: str, recursive: bool) -> list[dict]:
        """The hub's tree listing of folder `under` ("" for the root): folders before files, by path."""
        prefix = f"{under}/" if under else ""
        folders, files = set(), []
        for name in self.files:
            if not name.startswith(prefix):
                continue
            parts = name[len(prefix):].split("/")
            for depth in range(1, len(parts) if recursive else min(2, len(parts))):
                folders.add(prefix + "/".join(parts[:depth]))
            if recursive or len(parts) == 1:
                files.append(self.entry(name))
        directories = [{"type": "directory", "path": folder, "size": 0,
                        "oid": hashlib.sha1(folder.encode()).hexdigest()} for folder in sorted(folders)]
        return directories + files


@contextlib.contextmanager
def serve_hub(root: Path, *, gated: Iterable[str] = (), token: str | None = None, page_size: int = 1000,
              interrupt: dict[str, int] | None = None) -> Iterator[HubEndpoint]:
    """Serve every `root/<org>/<name>/` folder as a hub model repository; yields the endpoint URL.

    `gated` repositories need `Authorization: Bearer <token>` for their files. `interrupt` maps
    "<repo>/<file>" to a byte count: the first GET of that file breaks off after that many bytes, so the
    client has to resume with a Range request. A repository's files are read when it is first asked for.
    """
    repos = {f"{org.name}/{folder.name}": _Repo(folder)
             for org in sorted(Path(root).iterdir()) if org.is_dir()
             for folder in sorted(org.iterdir()) if folder.is_dir()}
    gated, interrupt = set(gated), dict(interrupt or {})
    requests: list[Request] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_HEAD(self):
            self._answer(head=True)

        def do_GET(self):
            self._answer(head=False)

        def log_message(self, *args):
            pass

        def _answer(self, head: bool) -> None:
            url = urlsplit(self.path)
            path, query = unquote(url.path), parse_qs(url.query)
            authorization = self.headers.get("Authorization", "")
            sent = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else None
            with lock:
                requests.append(Request(self.command, path, self.headers.get("Range"), sent))
            if path.startswith("/api/models/"):
                self._api(path.removeprefix("/api/models/"), query, head)
            elif "/resolve/" in path:
                self._resolve(path.lstrip("/"), sent, head)
            else:
                self._send(404, {"X-Error-Code": "RepoNotFound"}, b"not found", head)

        def _api(self, rest: str, query: dict, head: bool) -> None:
            parts = rest.split("/")
            repo_id, action = "/".join(parts[:2]), parts[2:]
            repo = repos.get(repo_id)
            if repo is None:
                return self._error(404, "RepoNotFound", f"Repository {repo_id} not found", head)
            if not action or action[0] == "revision":
                if action and not self._revision_ok(repo, "/".join(action[1:]), head):
                    return
                info = {"id": repo_id, "modelId": repo_id, "sha": repo.sha, "private": False,
                        "gated": "manual" if repo_id in gated else False, "disabled": False, "tags": [],
                        "siblings": [{"rfilename": name} for name in repo.files]}
                return self._json(info, head)
            if action[0] == "tree" and len(action) >= 2:
                if not self._revision_ok(repo, action[1], head):
                    return
                under = "/".join(action[2:]).strip("/")
                recursive = query.get("recursive", ["false"])[0].lower() in {"true", "1"}
                entries = repo.tree(under, recursive)
                if under and not entries:
                    return self._error(404, "EntryNotFound", f"{under} does not exist", head)
                start = int(query.get("cursor", ["0"])[0])
                page, headers = entries[start:start + page_size], {}
                if start + page_size < len(entries):
                    tree = quote(f"/api/models/{repo_id}/{'/'.join(action)}")
                    next_page = f"http://{self.headers['Host']}{tree}?recursive={recursive}&cursor={start + page_size}"
                    headers["Link"] = f'<{next_page}>; rel="next"'
                return self._json(page, head, headers)
            self._send(404, {}, b"unknown API call", head)

        def _resolve(self, rest: str, sent: str | None, head: bool) -> None:
            before, after = rest.split("/resolve/", 1)
            repo = repos.get(before)
            if repo is None:
                return self._error(404, "RepoNotFound", f"Repository {before} not found", head)
            revision, _, name = after.partition("/")
            if not self._revision_ok(repo, revision, head):
                return
            if before in gated and sent != token:
                code = "GatedRepo" if sent is None else None
                message = (f"Access to model {before} is restricted. You must have access to it and be "
                           "authenticated to access it. Please log in." if sent is None
                           else "Invalid credentials in Authorization header")
                return self._error(401, code, message, head)
            if name not in repo.files:
                return self._error(404, "EntryNotFound", f"{name} does not exist", head, repo.sha)
            content, status = repo.files[name], 200
            headers = {"X-Repo-Commit": repo.sha, "ETag": f'"{repo.etags[name]}"', "Accept-Ranges": "bytes",
                       "Content-Type": "application/octet-stream"}
            wanted = self.headers.get("Range")
            if wanted and not head:
                first, _, last = wanted.removeprefix("bytes=").partition("-")
                start, end = int(first), int(last) if last else len(content) - 1
                headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
                content, status = content[start:end + 1], 206
            cut = None
            if not head:
                with lock:
                    cut = interrupt.pop(f"{before}/{name}", None)
            if cut is not None:  # promise the whole file, send part of it and hang up
                self.send_response(status)
                for key, value in {**headers, "Content-Length": str(len(content)), "Connection": "close"}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(content[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self._send(status, headers, content, head)

        def _revision_ok(self, repo: _Repo, revision: str, head: bool) -> bool:
            if unquote(revision) in {"main", repo.sha}:
                return True
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", head)
            return False

        def _error(self, status: int, code: str | None, message: str, head: bool, commit: str | None = None) -> None:
            headers = {"X-Error-Message": message}
            if code:
                headers["X-Error-Code"] = code
            if commit:
                headers["X-Repo-Commit"] = commit
            self._send(status, headers, json.dumps({"error": message}).encode(), head)

        def _json(self, value, head: bool, headers: dict | None = None) -> None:
            self._send(200, {"Content-Type": "application/json", **(headers or {})}, json.dumps(value).encode(), head)

        def _send(self, status: int, headers: dict, body: bytes, head: bool) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    endpoint = HubEndpoint(f"http://127.0.0.1:{httpd.server_address[1]}")
    endpoint.requests = requests
    try:
        yield endpoint
    finally:
        httpd.shutdown()
        httpd.server_close()


def use_hub(monkeypatch, endpoint: str, cache: Path) -> None:
    """Point this process's huggingface_hub at `endpoint` with the cache in `cache`, as HF_ENDPOINT and
    HF_HUB_CACHE would at import; Xet off and online."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
