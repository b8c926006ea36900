"""Runs the scim2-tester compliance checks against a live SCIM endpoint.

Usage: python3 scim2_tester_run.py BASE_URL TOKEN
Prints one line per check and a summary, writes the results as JSON to stdout's last line
(prefixed with RESULTS_JSON=), and exits 1 when any check ended in ERROR or CRITICAL.

scim2-tester needs an HTTP engine; this one is the Python standard library (urllib), so
`pip install scim2-tester` is all CI installs.
"""

import json
import sys
import urllib.error
import urllib.request
from wsgiref.headers import Headers

from scim2_client.client import BaseSyncSCIMClient
from scim2_client.engines.inprocess import InProcessResponse
from scim2_client.engines.inprocess import _prepare_request
from scim2_client.engines.inprocess import _stays_under_base_url
from scim2_tester import Status
from scim2_tester import check_server

FAILING = {Status.ERROR, Status.CRITICAL}


class UrllibSCIMClient(BaseSyncSCIMClient):
    def __init__(self, base_url: str, token: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.token = token

    def _stays_under_base_url(self, endpoint: str) -> bool:
        return _stays_under_base_url(self.base_url, endpoint)

    def request(self, method: str, url: str, **kwargs):
        prepared = _prepare_request(self.base_url, {"Authorization": f"Bearer {self.token}"}, method, url, **kwargs)
        headers = {k: v for k, v in prepared.headers if k.lower() not in ("host", "content-length")}
        req = urllib.request.Request(prepared.url.geturl(), data=prepared.body or None, method=prepared.method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, raw_headers, body = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            status, raw_headers, body = err.code, err.headers, err.read()
        return InProcessResponse(status_code=status, headers=Headers(list(raw_headers.items())), content=body)


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    client = UrllibSCIMClient(base_url, token)
    results = check_server(client)
    counts: dict[str, int] = {}
    rows = []
    for r in results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
        line = f"{r.status.name:<10} {r.resource_type or '-':<6} {r.title or '-'}: {r.reason or ''}".replace("\n", " ")
        print(line[:400])
        rows.append({"status": r.status.name, "title": r.title, "resource_type": r.resource_type, "reason": (r.reason or "")[:2000]})
    failed = sum(counts.get(s.name, 0) for s in FAILING)
    summary = ", ".join(f"{k.lower()} {v}" for k, v in sorted(counts.items()))
    print(f"scim2-tester: {len(results)} checks: {summary}")
    print("RESULTS_JSON=" + json.dumps({"counts": counts, "failed": failed, "results": rows}))
    return 1 if failed > 0 else 0


if __name__ == "__main__":
    sys.exit(main())
