#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # manage.py is the developer's tool: DEBUG on unless the environment says otherwise. The
    # served processes (config/wsgi.py, asgi.py, celery.py) keep the safe default, DEBUG off,
    # and refuse to start without SECRET_KEY. In production set DEBUG=0 for manage.py too.
    os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
