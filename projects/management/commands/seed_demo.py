from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand
from django.db import transaction

from projects import demo

# App names load `<app>.demo`; dotted names are modules of their own. In this order: people's
# notification languages first, readiness last (its snapshots and go/no-go read the others' data).
APPS = ["notifications.demo_preferences", "requirements", "defects", "training", "tasks", "hypercare", "notifications",
        "readiness"]


class Command(BaseCommand):
    help = "Load the demo launch (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any project exists already.")

    def handle(self, *args, **options):
        from projects.models import Project

        if options["if_empty"] and Project.objects.exists():
            self.stdout.write("Database already has projects; demo data not loaded.")
            return
        with transaction.atomic():
            project, people = demo.seed(stdout=self.stdout)
            for app in APPS:
                module = app if "." in app else f"{app}.demo"
                if find_spec(module) is not None:
                    import_module(module).seed(project=project, people=people, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo launch ready. Logins (password for all: {demo.DEMO_PASSWORD}):"))
        for username, what in demo.DEMO_LOGINS:
            self.stdout.write(f"  {username:<10} {what}")
