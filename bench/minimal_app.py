"""The ceiling of bench/load.py: the smallest Flask page (no database, no template), served by the same gunicorn."""
from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "<!doctype html><title>Tandem</title><p>Hello</p>"


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
