from django.core.management.base import BaseCommand

from notifications import delivery, robots, services


class Command(BaseCommand):
    help = ("Run every reminder rule, escalate unacknowledged alerts and send the pending e-mails and chat "
            "messages now, without Celery (for cron, or when the broker is down). Safe to run while the worker "
            "runs too.")

    def add_arguments(self, parser):
        parser.add_argument("--no-send", action="store_true", help="Only write the notifications; send nothing.")

    def handle(self, *args, **options):
        report = services.sweep(enqueue=False)
        self.stdout.write(f"Sweep: {report}")
        self.stdout.write(f"Escalation: {services.alerts_escalate()} alert(s) moved to their next step")
        if options["no_send"]:
            return
        while True:
            outbox = delivery.deliver_outbox()
            self.stdout.write(f"Outbox: {outbox}")
            if not (outbox.more and outbox.emails):
                break
        for channel_id in robots.channels_with_due_messages():
            self.stdout.write(f"Channel {channel_id}: {robots.deliver_channel(channel_id=channel_id)}")
