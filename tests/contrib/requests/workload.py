"""The requests workload against a real loopback server, run under ddtrace and under v2."""

import os

import requests
import steps
from ddtrace._trace.pin import Pin  # (internal in ddtrace 4: a pin is how older applications named a service)
from http_server import serve
from requests.adapters import BaseAdapter

server, BASE = serve(int(os.environ["DDI_HTTP_PORT"]))
TRACE_HEADERS = ("x-datadog-trace-id", "traceparent")


class LocalAdapter(BaseAdapter):
    """A transport adapter of the application's own, mounted for ``local://``: answers without a network."""

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code = 202
        response.reason = "Accepted"
        response.headers["X-Served-By"] = "local-adapter"
        response.url = request.url
        response.request = request
        response._content = b"local"
        return response

    def close(self):
        pass


def main():
    session = requests.Session()
    session.mount("local://", LocalAdapter())

    def ok_with_query():
        seen = session.get(BASE + "/headers?token=s3cr3t&page=2", headers={"User-Agent": "ddi-workload"}).json()
        print("propagated", [h for h in TRACE_HEADERS if h in seen])

    def post():
        # ("Connection: close": the server leaves a body unread, which would garble the connection's next request)
        response = session.post(BASE + "/headers", data=b"body", headers={"X-Sign": "abc", "Connection": "close"})
        print("post", response.status_code, response.json()["content-length"])

    def params():
        session.get(BASE + "/status/200", params={"page": "2", "password": "hunter2"})

    def not_found():
        session.get(BASE + "/nowhere")

    def too_many():
        session.get(BASE + "/status/429")

    def server_error():
        session.get(BASE + "/status/503")

    def redirect():
        response = session.get(BASE + "/redirect")
        print("redirect", response.status_code, len(response.history))

    def redirect_not_followed():
        print("not followed", session.get(BASE + "/redirect", allow_redirects=False).status_code)

    def digest_auth():
        print("digest", session.get(BASE + "/digest", auth=requests.auth.HTTPDigestAuth("user", "pw")).status_code)

    def stream():
        with session.get(BASE + "/stream", stream=True) as response:
            print("lines", len(list(response.iter_lines())))

    def prepared():
        request = requests.Request(
            "PUT", BASE + "/headers", headers={"X-Sign": "abc", "Connection": "close"}, data=b"signed"
        ).prepare()
        print("prepared", session.send(request).status_code)  # (ddtrace adds its headers to it; v2 to a copy)

    def module_function():
        print("module", requests.get(BASE + "/status/201").status_code)

    def local_adapter():
        print("adapter", session.get("local://inventory/items?id=7").text)

    def pinned_session():
        pinned = requests.Session()
        Pin.override(pinned, service="pinned-service")  # ddtrace's requests integration does not read it
        pinned.get(BASE + "/status/200")

    def userinfo():
        session.get(BASE.replace("://", "://user:pa55word@") + "/status/200")

    def fragment():
        session.get(BASE + "/status/200?a=1#section")

    def head_method():
        session.head(BASE + "/status/200")

    def refused():
        session.get("http://127.0.0.1:1/")

    def refused_ipv6():
        session.get("http://[::1]:1/")

    def timeout():
        try:
            session.get(BASE + "/slow", timeout=0.3)
        except requests.ReadTimeout as e:  # its message names the server's port, which differs from run to run
            print("timeout: ReadTimeout", str(e).replace(BASE.rsplit(":", 1)[1], "<port>"))

    def odd_scheme():
        session.get("ftp://127.0.0.1/file")

    steps.run(
        [
            ("ok_with_query", ok_with_query),
            ("post", post),
            ("params", params),
            ("not_found", not_found),
            ("too_many", too_many),
            ("server_error", server_error),
            ("redirect", redirect),
            ("redirect_not_followed", redirect_not_followed),
            ("digest_auth", digest_auth),
            ("stream", stream),
            ("prepared", prepared),
            ("module_function", module_function),
            ("local_adapter", local_adapter),
            ("pinned_session", pinned_session),
            ("userinfo", userinfo),
            ("fragment", fragment),
            ("head_method", head_method),
            ("refused", refused),
            ("refused_ipv6", refused_ipv6),
            ("timeout", timeout),
            ("odd_scheme", odd_scheme),
        ]
    )
    session.close()


main()
server.shutdown()
