from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    # Until the register's own pages land, the dashboard is the admin index.
    path("", login_required(RedirectView.as_view(pattern_name="admin:index")), name="dashboard"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("map/", views.SiteMapView.as_view(), name="site_map"),
    path("map/data.json", views.SiteMapDataView.as_view(), name="site_map_data"),
    path("map/map.js", views.SiteMapScriptView.as_view(), name="site_map_script"),
]
