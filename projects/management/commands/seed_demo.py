from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from projects import demo

# App names load `<app>.demo`; dotted names are modules of their own. In this order: people's
# notification languages first, readiness last (its snapshots and go/no-go read the others' data).
APPS = ["notifications.demo_preferences", "requirements", "defects", "training", "tasks", "hypercare", "notifications",
        "readiness"]


class Command(BaseCommand):
    help = "Load the demo launch (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any project exists already.")
        parser.add_argument("--allow-without-debug", action="store_true",
                            help="Load the demo (and its accounts with a published password) even with DEBUG off. "
                                 "`make run` passes it; never use it on a production database.")
        languages = [code for code, _name in settings.LANGUAGES]
        parser.add_argument("--language", choices=languages, default=None,
                            help="The language the demo content is written in (milestones, departments, job "
                                 "titles, defects, runbook steps, courses…). Default: settings.LANGUAGE_CODE.")

    def handle(self, *args, **options):
        from projects.models import Project

        if not settings.DEBUG and not options["allow_without_debug"]:
            # The demo accounts share a password printed in the README: never on a real instance by accident.
            raise CommandError(
                "seed_demo creates demo accounts whose password is published in the README, and DEBUG is off, "
                "so this looks like a production instance: nothing was loaded. For a real start run "
                "`manage.py migrate` and `manage.py createsuperuser` (docs/operations.md). To load the demo "
                "anyway (a trial machine), pass --allow-without-debug."
            )
        if options["if_empty"] and Project.objects.exists():
            self.stdout.write("Database already has projects; demo data not loaded.")
            return
        language = options.get("language") or settings.LANGUAGE_CODE
        # The seed's strings are marked for translation: activating the language writes them in it.
        with transaction.atomic(), translation.override(language):
            project, people = demo.seed(stdout=self.stdout)
            for app in APPS:
                module = app if "." in app else f"{app}.demo"
                if find_spec(module) is not None:
                    import_module(module).seed(project=project, people=people, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo launch ready. Logins (password for all: {demo.DEMO_PASSWORD}):"))
        for username, what in demo.DEMO_LOGINS:
            self.stdout.write(f"  {username:<10} {what}")
