"""A small Flask app factory touching every traced step: hooks, a blueprint, views, templates, errors, streaming."""

import os

from ddtrace.trace import tracer
from flask import Blueprint
from flask import Flask
from flask import abort
from flask import after_this_request
from flask import g
from flask import jsonify
from flask import render_template_string
from flask import request
from flask import request_started
from flask import stream_with_context


class Teapot(Exception):
    pass


def create_app() -> Flask:
    app = Flask(__name__)
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @app.before_request
    def load_user():
        request.environ["ddi.user"] = request.headers.get("X-User", "anonymous")
        root = tracer.current_root_span()
        g.resource_seen = root.resource if root is not None else None
        if root is not None and request.path == "/renamed":
            root.resource = "checkout page"

    @app.after_request
    def add_header(response):
        response.headers["X-Served-By"] = "ddi"
        return response

    @app.teardown_request
    def cleanup(exc):
        pass

    def count_request(sender, **extra):
        sender.config["REQUESTS"] = sender.config.get("REQUESTS", 0) + 1

    request_started.connect(count_request, app, weak=False)

    @app.route("/")
    def index():
        @after_this_request
        def mark(response):
            response.headers["X-Index"] = "1"
            return response

        return "hello"

    @app.route("/pid")
    def pid():
        """The serving process (pre-fork tests: which worker answered)."""
        return str(os.getpid())

    @app.route("/users/<int:uid>")
    def user(uid):
        return jsonify(id=uid, name=f"user{uid}")

    @app.route("/greet/<name>", methods=["GET", "POST"])
    def greet(name):
        return render_template_string("<p>Hello {{ name }}</p>", name=name)

    @app.route("/seen/<int:n>")
    def seen(n):
        """What a before_request hook read as the request span's resource."""
        return str(g.resource_seen)

    @app.route("/renamed")
    def renamed():
        """The before_request hook renamed the request span."""
        return "renamed"

    @app.route("/boom")
    def boom():
        raise ValueError("boom")

    @app.route("/forbidden")
    def forbidden():
        abort(403)

    @app.route("/teapot")
    def teapot():
        raise Teapot()

    @app.errorhandler(Teapot)
    def handle_teapot(exc):
        return "short and stout", 418

    @app.route("/stream")
    def stream():
        def chunks():
            for i in range(3):
                yield f"chunk {i}\n"

        return app.response_class(stream_with_context(chunks()), mimetype="text/plain")

    @bp.before_request
    def shop_open():
        pass

    @bp.route("/items/<slug>")
    def item(slug):
        return jsonify(item=slug)

    app.register_blueprint(bp)
    return app


app = create_app()
