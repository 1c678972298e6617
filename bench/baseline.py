"""The bare baseline every benchmark is compared with: Flask's "hello" on the same server."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
