"""Development e-mail that stays quiet: one log line per batch, not every message printed whole.

The default with DEBUG on and no EMAIL_URL. The first `make run` sends hundreds of reminders;
printing each in full buried the worker's log. `EMAIL_URL=consolemail://` prints them whole again.
"""

import logging

from django.core.mail.backends.base import BaseEmailBackend

log = logging.getLogger("liftoff.mail")


class QuietConsoleBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        messages = list(email_messages or [])
        if messages:
            recipients = sorted({address for message in messages for address in message.recipients()})
            shown = ", ".join(recipients[:3]) + (f" and {len(recipients) - 3} more" if len(recipients) > 3 else "")
            log.info("Development mail, not sent: %d message(s) to %s (first: %r); set EMAIL_URL to deliver",
                     len(messages), shown, messages[0].subject[:80])
        return len(messages)
