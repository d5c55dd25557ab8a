"""The baseline: a bare Flask endpoint, served the same way as the application and
reporting its time the same way (Server-Timing)."""

from flask import Flask

from training import timing

app = Flask(__name__)
timing.init_app(app)


@app.get("/")
def hello() -> str:
    return "ok"
