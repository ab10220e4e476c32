# SPDX-License-Identifier: GPL-2.0-only
"""mitmproxy addon: print each flow's request as one JSON line (method,
scheme, host, port, path, http_version, headers in order, body base64).
Use: mitmdump -nr FLOWS -s tests/py/mitm_flows.py -q"""
import base64
import json


def request(flow):
    r = flow.request
    print(json.dumps({"method": r.method, "scheme": r.scheme, "host": r.host,
                      "port": r.port, "path": r.path, "http_version": r.http_version,
                      "headers": [[k, v] for k, v in r.headers.items(multi=True)],
                      "body": base64.b64encode(r.raw_content or b"").decode()}),
          flush=True)
