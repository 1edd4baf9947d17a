"""The bad-input catalog for requests against a real loopback server: each case's traced outcome (status and
the headers the server saw, less the propagation headers the integration adds; or the exception) is the
untraced one, computed here with the plugins off; each sent request makes one span, and a request requests
refuses while preparing it (before ``Session.send``) reaches none of our code. Passwords never reach a tag."""

from __future__ import annotations

import json
from typing import Any
from typing import Dict

import pytest
import requests
from helpers import HTTP_CLIENT_CASES
from helpers import LONG
from helpers import HttpClientCase
from helpers import assert_same_and_traced
from helpers import outcome
from helpers import patched_fixture
from helpers import untraced_then_traced
from helpers import without_propagation

# name -> case: the cases every HTTP client meets alike (helpers.HTTP_CLIENT_CASES), where requests differs
# from them, and requests' own
CASES: Dict[str, HttpClientCase] = {
    **HTTP_CLIENT_CASES,
    "no_host": (lambda b: "http:///headers", {}, 0, False),  # InvalidURL, while preparing
    "control_char_header": (lambda b: b + "/headers", {"headers": {"X-Ctl": "a\r\nX-Injected: 1"}}, 0, False),
    "userinfo_raw_at": (lambda b: b.replace("://", "://user:p@ss@") + "/headers", {}, 1, True),
    "ipv6_zone": (lambda b: "http://[fe80::1%25eth0]:1/headers", {}, 1, True),
    "upper_case_scheme": (lambda b: b.replace("http", "HTTP") + "/headers", {}, 1, True),
    "odd_scheme_casing": (lambda b: b.replace("http", "hTtP") + "/headers", {}, 1, True),
    "unknown_scheme": (lambda b: "gopher://127.0.0.1/", {}, 1, True),  # no adapter: InvalidSchema inside send
    "no_scheme": (lambda b: "127.0.0.1/headers", {}, 0, False),  # MissingSchema, while preparing
    "space_in_host": (lambda b: "http://exa mple/", {}, 0, False),  # InvalidURL, while preparing
    # a list of pairs: requests' headers= takes a mapping (AttributeError while preparing); a dict's later key wins
    "duplicate_header_pairs": (lambda b: b + "/headers", {"headers": [("X-Dup", "1"), ("x-dup", "2")]}, 0, False),
    "duplicate_header_names": (lambda b: b + "/headers", {"headers": {"X-Dup": "1", "x-dup": "2"}}, 1, True),
    "query_64k": (lambda b: b + "/headers?q=" + LONG[:65000], {}, 1, True),
    "query_over_server_limit": (lambda b: b + "/headers?q=" + LONG, {}, 1, True),  # the server answers 414
    "params_mixed_types": (lambda b: b + "/headers?a=1", {"params": {"b": 2, "c": None, "d": ["x", "y"]}}, 1, True),
    "params_bytes": (lambda b: b + "/headers", {"params": b"token=s3cr3t&x=%ff"}, 1, True),
    "fragment": (lambda b: b + "/headers#frag?x=1", {}, 1, True),
    "bytes_header_values": (lambda b: b + "/headers", {"headers": {"X-Bytes": b"\xff\xfe latin"}}, 1, True),
    "bytes_header_names": (lambda b: b + "/headers", {"headers": {b"X-Name": b"v"}}, 1, True),
    "non_ascii_header_str": (lambda b: b + "/headers", {"headers": {"X-Snow": "\u2603"}}, 1, True),
    "int_header_value": (lambda b: b + "/headers", {"headers": {"X-Int": 1}}, 0, False),  # InvalidHeader
    "none_header_value": (lambda b: b + "/headers", {"headers": {"X-None": None}}, 1, True),  # dropped
    "none_user_agent": (lambda b: b + "/headers", {"headers": {"User-Agent": None}}, 1, True),
    "empty_header_value": (lambda b: b + "/headers", {"headers": {"X-Empty": ""}}, 1, True),
    "generator_body": (lambda b: b + "/headers", {"method": "POST", "data": "generator"}, 1, True),
    "method_lower_case": (lambda b: b + "/headers", {"method": "get"}, 1, True),
    "method_unknown": (lambda b: b + "/headers", {"method": "BREW"}, 1, True),  # the server answers 501
}


patched = patched_fixture(scope="module", autouse=True, requests=True)


def seen(response: requests.Response) -> Any:
    if response.headers.get("content-type") == "application/json":
        return response.status_code, without_propagation(response.json())
    return response.status_code, response.text


def run(url: str, kwargs: Dict[str, Any]) -> Any:
    kwargs = dict(kwargs)
    if kwargs.get("data") == "generator":
        kwargs["data"] = iter([b"a", b"b"])  # a fresh generator for each run (sent chunked)
    method = kwargs.pop("method", "GET")
    headers = {"Connection": "close"}  # the server leaves a request body unread
    if isinstance(kwargs.get("headers"), dict):
        headers.update(kwargs.pop("headers"))
    elif "headers" in kwargs:
        headers = [*headers.items(), *kwargs.pop("headers")]  # type: ignore[assignment]
    with requests.Session() as session:
        return seen(session.request(method, url, headers=headers, timeout=5, **kwargs))


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_behaves_as_untraced(name, base, spans, caplog):
    url, kwargs, count, reached = CASES[name]
    untraced, traced = untraced_then_traced(lambda: outcome(lambda: run(url(base), kwargs)), spans, caplog, "requests")
    found = spans.named("requests.request")
    error = traced[0] == "raised" or traced[1][0] >= 500  # a 5xx answer marks the span too
    assert_same_and_traced(untraced, traced, found, count, caplog.records, "requests", reached=reached, error=error)
    for span in found:
        tags = json.dumps([span.resource, span.get_tags()], default=str)
        assert "pa%3Ass" not in tags and "p@ss" not in tags and "ss@" not in tags


def test_an_ipv6_host_is_tagged_whole(base, spans):
    with pytest.raises(requests.ConnectionError):
        requests.get("http://[::1]:1/x")
    span = spans.one("requests.request")
    assert (span.get_tag("out.host"), span.resource, span.get_tag("http.url")) == ("::1", "GET /x", "http://[::1]:1/x")


def test_a_64k_query_is_obfuscated_and_the_url_kept_whole(base, spans):
    requests.get(base + "/status/200?token=s3cr3t&q=" + LONG[:65000])
    url = spans.one("requests.request").get_tag("http.url")
    assert "s3cr3t" not in url and url.endswith("&q=" + LONG[:65000])
