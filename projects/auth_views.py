from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext_lazy as _


class LoginView(auth_views.LoginView):
    """Django's login view; django-axes throttles it and locks out after repeated failures."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.OIDC_ENABLED
        context["oidc_provider"] = settings.OIDC_PROVIDER_NAME or _("single sign-on")
        context["sso_failed"] = self.request.GET.get("sso") == "failed"
        context["directory_enabled"] = bool(settings.LDAP_AUTH_URL)
        return context
