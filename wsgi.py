"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi run`."""
from app import create_app

app = create_app()
# Each gunicorn worker compiles every template once at boot (about half a second), so that the first visitors of
# each page in each worker do not wait for it (bench/load.py saw those first requests at two to three times the
# usual time while users arrived).
for _name in app.jinja_env.list_templates(extensions=("html", "txt")):
    app.jinja_env.get_template(_name)
