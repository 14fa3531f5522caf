"""The smallest Flask app: one endpoint returning a short string.

city_bench.py serves it under the same gunicorn settings as the portal, so each
portal page's throughput can be given as a share of what Flask and gunicorn
manage on this machine with no database and no templates at all.

    gunicorn --chdir bench bare_app:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello from the bare app."
