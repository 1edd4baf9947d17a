"""The pricing service: a second process the storefront asks for prices over HTTP. Nothing here knows about
tracing; `ddtrace-integrations run gunicorn pricing:app` traces it, continuing the caller's trace."""

from flask import Flask
from flask import abort
from flask import jsonify
from flask import request

app = Flask("pricing")

LIST_PRICES = {"tea": 650, "mug": 1200, "kettle": 4900}  # cents
BULK_DISCOUNT = {3: 0.9, 10: 0.8}  # from this many units, this share of the price


@app.get("/prices")
def prices():
    skus = [s for s in request.args.get("skus", "").split(",") if s]
    return jsonify({sku: LIST_PRICES[sku] for sku in skus if sku in LIST_PRICES})


@app.post("/quote")
def quote():
    body = request.get_json()
    sku, quantity = body["sku"], int(body["quantity"])
    if sku not in LIST_PRICES:
        abort(404)
    share = min((s for n, s in BULK_DISCOUNT.items() if quantity >= n), default=1.0)
    return jsonify({"sku": sku, "quantity": quantity, "total_cents": round(LIST_PRICES[sku] * quantity * share)})
