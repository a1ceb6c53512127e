from django.contrib import admin
from django.urls import path

from config.views import graphql_view, healthz, home, metrics, readyz, schema_sdl

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", graphql_view(), name="graphql"),
    path("graphql/schema.graphql", schema_sdl, name="schema-sdl"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("", home, name="home"),
]
