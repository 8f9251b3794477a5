from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .security import USERNAME_MAX, lockout_response, login_blocked


class LoginForm(AuthenticationForm):
    def clean(self):
        # A username longer than any account is simply wrong: never authenticated (nor logged by axes).
        if len(self.data.get("username", "") or "") > USERNAME_MAX:
            raise self.get_invalid_login_error()
        return super().clean()


class LoginView(auth_views.LoginView):
    """Django's login view. django-axes locks a username tried too often from one address; an address
    with too many failures across usernames is refused outright (projects.security)."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.OIDC_ENABLED
        context["oidc_provider"] = settings.OIDC_PROVIDER_NAME or _("single sign-on")
        context["sso_failed"] = self.request.GET.get("sso") == "failed"
        context["directory_enabled"] = bool(settings.LDAP_AUTH_URL)
        return context

    authentication_form = LoginForm

    def post(self, request, *args, **kwargs):
        if login_blocked(request):
            return lockout_response(request)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; every API token of the person is revoked with the old password."""

    def form_valid(self, form):
        from .services import api_tokens_revoke_for_user

        response = super().form_valid(form)
        api_tokens_revoke_for_user(user=form.user)
        return response
