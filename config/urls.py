from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from mozilla_django_oidc import views as oidc_views

from projects import metrics as project_metrics
from projects import views as project_views
from projects.auth_views import LoginView, PasswordChangeView

urlpatterns = [
    path("healthz", project_views.healthz, name="healthz"),
    path("readyz", project_views.readyz, name="readyz"),
    path("metrics", project_metrics.metrics, name="metrics"),  # ops only (METRICS_TOKEN or staff)
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("projects.urls")),
]


def _when_sso_on(view):
    """Single sign-on (OIDC) answers only when configured; otherwise its URLs are a 404."""
    def wrapped(request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)
    return wrapped


urlpatterns.insert(0, path("oidc/authenticate/", _when_sso_on(oidc_views.OIDCAuthenticationRequestView.as_view()),
                           name="oidc_authentication_init"))
urlpatterns.insert(0, path("oidc/callback/", _when_sso_on(oidc_views.OIDCAuthenticationCallbackView.as_view()),
                           name="oidc_authentication_callback"))

# Each app's pages live under its own prefix; an app without urls.py is skipped.
for app in settings.LIFTOFF_APPS:
    if app != "projects" and find_spec(f"{app}.urls") is not None:
        urlpatterns.append(path("", include(f"{app}.urls")))
