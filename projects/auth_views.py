from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm

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
