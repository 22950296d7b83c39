from django.contrib import admin
from django.contrib.auth.decorators import login_required, permission_required
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # Until the register's own pages land, the dashboard is the admin index.
    path(
        "",
        login_required(
            permission_required("riskreg.view_concern", raise_exception=True)(
                RedirectView.as_view(pattern_name="admin:index")
            )
        ),
        name="dashboard",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
