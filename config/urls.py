from django.contrib import admin
from django.templatetags.static import static
from django.urls import path, re_path
from django.views.generic import RedirectView

from analytics.views import report_chart_view, report_csv_view
from config.views import graphql_view, healthz, home, metrics, readyz, schema_sdl
from journeys.views import map_picture_view

# Downloads beside the API live under /exports/ (workspaces.middleware.EXPORTS_PREFIX):
# bearer tokens work there as on /graphql/.
GLOBAL_ID = r"(?P<{}>[A-Za-z0-9+/=_-]+)"
FORMAT = r"(?P<picture_format>svg|png|pdf)"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", graphql_view(), name="graphql"),
    path("graphql/schema.graphql", schema_sdl, name="schema-sdl"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # Browsers ask for /favicon.ico on every page without a <link rel="icon">.
    path("favicon.ico", RedirectView.as_view(url=static("waymark/favicon.svg"), permanent=True)),
    re_path(
        rf"^exports/maps/{GLOBAL_ID.format('map_id')}\.{FORMAT}$",
        map_picture_view,
        name="map-picture",
    ),
    re_path(
        rf"^exports/reports/{GLOBAL_ID.format('report_id')}/chart\.{FORMAT}$",
        report_chart_view,
        name="report-chart",
    ),
    re_path(
        rf"^exports/reports/{GLOBAL_ID.format('report_id')}/rows\.csv$",
        report_csv_view,
        name="report-csv",
    ),
    path("metrics", metrics, name="metrics"),
    path("", home, name="home"),
]
