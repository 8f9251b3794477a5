"""Hypercare data of the SCALE benchmark launch (`manage.py seed_scale`): 1,000 pieces of staff
feedback, a quarter of them still to triage. (Incidents are the defects found in hypercare that
defects/scale.py makes.) Bulk, idempotent."""

from projects.scale import n

from .models import Feedback, FeedbackCategory, FeedbackStatus

CATEGORIES = FeedbackCategory.values


def seed(*, project, people, size=1.0, stdout=None):
    if Feedback.objects.filter(project=project).exists():
        return
    staff = people.get("staff") or people["manager"]
    statuses = [FeedbackStatus.NEW, FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED, FeedbackStatus.TRIAGED]
    Feedback.objects.bulk_create([
        Feedback(project=project, submitter=staff[k % len(staff)], category=CATEGORIES[k % len(CATEGORIES)],
                 text=f"Branch feedback {k + 1}: the counter screen is slow after 10:00 · 柜面十点后变慢",
                 status=statuses[k % len(statuses)])
        for k in range(n(1000, size))], batch_size=2000)
    if stdout:
        stdout.write(f"Hypercare: {n(1000, size)} feedback.")
