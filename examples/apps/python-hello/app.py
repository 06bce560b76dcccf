"""cnbkit's example Python app: a Flask app served by gunicorn that answers every request with
a greeting, the CPython and Flask versions, and how long it has been up."""
import platform
import time
from importlib.metadata import version

from flask import Flask

app = Flask(__name__)
started = time.monotonic()


@app.get("/")
def hello():
    up = time.monotonic() - started
    return (
        f"Hello from python-hello on CPython {platform.python_version()} with Flask {version('flask')}, "
        f"up {up:.1f} s\n",
        200,
        {"content-type": "text/plain; charset=utf-8"},
    )
