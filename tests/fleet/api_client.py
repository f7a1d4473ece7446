"""One call to a served admin's JSON API, made from inside a host's namespace (the test's own
process has no cable to the fleet's subnet): `python -m tests.fleet.api_client METHOD URL
TOKEN [BODY]`, BODY being JSON, or `@PATH` for a multipart upload of that file (field
`file`), with form fields after it as `@PATH;NAME=VALUE;…`. Prints the status and the
response's body on one line each. Standard library only: it starts in a few milliseconds. A
refused connection is retried for RETRY_SECONDS (the server may be starting)."""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

RETRY_SECONDS = 30.0


def request(method: str, url: str, token: str, body: str | None) -> urllib.request.Request:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if body is not None and body.startswith("@"):
        path_text, *fields = body[1:].split(";")
        path = Path(path_text)
        boundary = uuid.uuid4().hex
        data = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
                        f"\r\n\r\n{value}\r\n".encode()
                        for name, _, value in (field.partition("=") for field in fields))
        data += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                 f"filename=\"{path.name}\"\r\nContent-Type: application/zip\r\n\r\n").encode()
        data += path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = body.encode()
        headers["Content-Type"] = "application/json"
    return urllib.request.Request(url, data=data, headers=headers, method=method)


def main(method: str, url: str, token: str, body: str | None = None) -> None:
    deadline = time.monotonic() + RETRY_SECONDS
    while True:
        try:
            with urllib.request.urlopen(request(method, url, token, body), timeout=60) as reply:
                status, text = reply.status, reply.read().decode()
            break
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
            break
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    print(status)
    print(text)


if __name__ == "__main__":
    main(*sys.argv[1:])
