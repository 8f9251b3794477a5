"""The standard environment checklists of a go-live (上线环境准备): what a bank checks in its data
centre, network, branches and emergency supplies before the cutover. `envcheck_apply_template`
copies them into a project (in the language of the person who applies them); the team then adds
its own items, owners and due dates."""

from django.utils.translation import gettext_lazy as _

from .models import EnvCategory as C

# (category, title) in checklist order.
STANDARD_CHECKS = [
    (C.ENVIRONMENT, _("Production servers installed and hardened (operating system, database, middleware)")),
    (C.ENVIRONMENT, _("Production database parameters match the performance-tested configuration")),
    (C.ENVIRONMENT, _("Disaster-recovery site in sync with production")),
    (C.ENVIRONMENT, _("Monitoring and alerting cover every production server (7x24)")),
    (C.HARDWARE, _("Servers and storage racked, powered and under maintenance contract")),
    (C.HARDWARE, _("Branch counter terminals, printers and card readers installed")),
    (C.HARDWARE, _("Spare parts (disks, power supplies, network cards) on site")),
    (C.NETWORK, _("Network links to all branches tested (bandwidth and latency)")),
    (C.NETWORK, _("Firewall rules for the new system opened and reviewed")),
    (C.NETWORK, _("Backup line of a second carrier tested with a failover")),
    (C.SOFTWARE, _("Software versions in production match the release that passed testing")),
    (C.SOFTWARE, _("Licences and TLS certificates valid beyond the hypercare period")),
    (C.OFFICE, _("Printed quick-reference manuals delivered to the branches")),
    (C.OFFICE, _("War room ready: screens, phone bridge, seats")),
    (C.EMERGENCY, _("Backup power tested: data-centre UPS on battery for 30 minutes")),
    (C.EMERGENCY, _("Diesel generator fuelled and automatic switch-over tested")),
    (C.EMERGENCY, _("Branch UPS units checked and batteries replaced where due")),
    (C.SECURITY, _("Administrator accounts reviewed and default passwords changed")),
    (C.SECURITY, _("Security scan of the production front end passed")),
]
