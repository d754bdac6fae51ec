"""`manage.py seed`: the rows the site cannot run without, created on every deploy.

- the four reserved badges (ids 1–4, awarded at archive and ranked on the leaderboards);
- the club settings row;
- one auth group per delegated staff capability (accounts.capabilities), with its permissions.

Idempotent and safe when two deploys run it at once: rows are created if missing, never
overwritten (staff may rename a badge or add permissions to a group), and a concurrent insert of
the same row is caught by the unique index and read back instead.
"""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction

from accounts.capabilities import CAPABILITIES
from catalog.models import ClubSettings
from trophies.models import RESERVED_TROPHIES, Trophy


@dataclass
class SeedReport:
    trophies_created: int = 0
    trophies_present: int = 0
    settings_created: bool = False
    groups_created: int = 0
    groups_present: int = 0
    permissions_added: int = 0


def seed_trophies(report: SeedReport) -> None:
    for pk, (name, icon) in RESERVED_TROPHIES.items():
        # Looked up by id only: an admin may have renamed the badge or changed its icon since.
        try:
            _trophy, created = Trophy.objects.get_or_create(
                pk=pk, defaults={"name": name, "icon": icon}
            )
        except IntegrityError as error:
            raise CommandError(
                f"Cannot create the reserved badge {pk} “{name}”: another badge has this name. "
                "Rename it in the admin, then run seed again."
            ) from error
        if created:
            report.trophies_created += 1
        else:
            report.trophies_present += 1
    if report.trophies_created:
        # Explicit ids do not advance PostgreSQL's identity sequence: without this, the next
        # badge created in the admin would be given id 1 and collide. (No-op on SQLite.)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Trophy]):
                cursor.execute(sql)


def ensure_permissions() -> None:
    """Create the model permissions, normally created by post_migrate, if still missing."""
    for app_config in apps.get_app_configs():
        try:
            with transaction.atomic():
                create_permissions(app_config, verbosity=0)
        except IntegrityError:
            # Another seed inserted the same permissions in the meantime: they exist now.
            ContentType.objects.clear_cache()
            create_permissions(app_config, verbosity=0)


def seed_groups(report: SeedReport) -> None:
    ensure_permissions()
    wanted = {code for cap in CAPABILITIES for code in cap.permissions}
    permissions = {
        f"{perm.content_type.app_label}.{perm.codename}": perm
        for perm in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in={code.split(".")[0] for code in wanted}
        )
    }
    missing = sorted(wanted - permissions.keys())
    if missing:
        raise CommandError(f"Unknown permissions in accounts.capabilities: {', '.join(missing)}")

    for cap in CAPABILITIES:
        group, created = Group.objects.get_or_create(name=cap.group_name)
        if created:
            report.groups_created += 1
        else:
            report.groups_present += 1
        held = set(group.permissions.values_list("pk", flat=True))
        # Only add: permissions staff gave the group by hand are theirs to keep.
        to_add = [permissions[code] for code in cap.permissions if permissions[code].pk not in held]
        group.permissions.add(*to_add)
        report.permissions_added += len(to_add)


class Command(BaseCommand):
    help = (
        "Create the reserved badges, the club settings row and the staff capability groups. "
        "Idempotent: run it on every deploy."
    )

    def handle(self, *args, **options) -> None:
        report = SeedReport()
        with transaction.atomic():
            seed_trophies(report)
            report.settings_created = not ClubSettings.objects.exists()
            ClubSettings.load()
            seed_groups(report)

        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Badges: {report.trophies_created} created, "
                f"{report.trophies_present} already present."
            )
            self.stdout.write(
                "Club settings: " + ("created." if report.settings_created else "already present.")
            )
            self.stdout.write(
                f"Staff groups: {report.groups_created} created, "
                f"{report.groups_present} already present, "
                f"{report.permissions_added} permission(s) added."
            )
            self.stdout.write(self.style.SUCCESS("Seed complete."))
