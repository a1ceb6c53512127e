from django.contrib import admin
from django.urls import path

from config.views import graphql_view, healthz, readyz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", graphql_view(), name="graphql"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
