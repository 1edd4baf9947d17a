"""Print the traces a test-agent session received, as indented span trees."""

import json
import sys
import urllib.request

SHOWN_TAGS = ("component", "span.kind", "db.system", "db.name", "out.host", "peer.service", "error.type")


def main(agent_url: str, token: str) -> None:
    with urllib.request.urlopen(f"{agent_url}/test/session/traces?test_session_token={token}", timeout=30) as r:
        traces = json.loads(r.read() or b"[]")
    print(f"{sum(len(t) for t in traces)} spans in {len(traces)} traces")
    for trace in traces:
        ids = {s["span_id"] for s in trace}
        children: dict = {}
        for span in sorted(trace, key=lambda s: s["start"]):
            children.setdefault(span.get("parent_id") if span.get("parent_id") in ids else None, []).append(span)
        stack = [(span, 0) for span in reversed(children.get(None, []))]
        while stack:
            span, depth = stack.pop()
            meta = span.get("meta", {})
            tags = " ".join(f"{k}={meta[k]}" for k in SHOWN_TAGS if k in meta)
            error = " ERROR" if span.get("error") else ""
            resource = " ".join(str(span.get("resource", "")).split())[:60]
            print(f"{'  ' * depth}{span['name']}  service={span['service']}  resource={resource!r}{error}  {tags}")
            stack.extend((child, depth + 1) for child in reversed(children.get(span["span_id"], [])))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
