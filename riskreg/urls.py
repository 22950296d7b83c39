from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("enterprises/", views.EnterpriseListView.as_view(), name="enterprise_list"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise_detail"),
    path("sites/", views.SiteListView.as_view(), name="site_list"),
    path("sites/<int:pk>/", views.SiteDetailView.as_view(), name="site_detail"),
    path("concerns/", views.ConcernListView.as_view(), name="concern_list"),
    path("concerns/<int:pk>/", views.ConcernDetailView.as_view(), name="concern_detail"),
    path("measures/", views.MeasureListView.as_view(), name="measure_list"),
    path("measures/<int:pk>/", views.MeasureDetailView.as_view(), name="measure_detail"),
    path("engagements/", views.EngagementListView.as_view(), name="engagement_list"),
    path("engagements/<int:pk>/", views.EngagementDetailView.as_view(), name="engagement_detail"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("map/", views.SiteMapView.as_view(), name="site_map"),
    path("map/data.json", views.SiteMapDataView.as_view(), name="site_map_data"),
    path("map/map.js", views.SiteMapScriptView.as_view(), name="site_map_script"),
]
