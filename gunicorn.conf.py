"""gunicorn's settings for Tandem. gunicorn reads ./gunicorn.conf.py from the folder it starts in (the project
folder, where `wsgi:app` is found; `flask prodserver` and the README's commands start it there), so nothing needs
to name this file; elsewhere, pass it with `-c /srv/tandem/gunicorn.conf.py`.

The other settings (workers, bind) stay on the command line, as the README shows.
"""
import gunicorn.http.wsgi

# gunicorn names itself in every answer's Server header ("gunicorn", with its version before 20.0), which tells an
# attacker what to look up; gunicorn has no setting for it, so its module's value is blanked before the workers
# start (each answer reads it). tests/web/test_production_server.py checks the header under the production setup.
gunicorn.http.wsgi.SERVER = ""
