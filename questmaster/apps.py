from django.contrib.admin.apps import AdminConfig


class QuestMasterAdminConfig(AdminConfig):
    """Django's admin app, with QuestMaster's admin site as `admin.site`."""

    default_site = "questmaster.admin_site.QuestMasterAdminSite"
