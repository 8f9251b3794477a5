from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    """Django's login view; django-axes throttles it and locks out after repeated failures."""

    redirect_authenticated_user = True
