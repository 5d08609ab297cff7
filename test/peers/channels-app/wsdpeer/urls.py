"""URLconf: the API paths of the real stack, django-prometheus mounted under `metrics` (→ /metricsmetrics)."""
from django.conf import settings
from django.urls import include, path, re_path

from . import views

urlpatterns = [
    path('api/v1/auth/login/', views.login_view),
    path('api/v1/auth/ws-connection-token/', views.ws_connection_token),
    path('api/v1/db/health/', views.db_health),
]
if settings.WSD_METRICS == 'metricsmetrics':
    # django-prometheus defines its own `metrics` route: included under `metrics` it answers at /metricsmetrics.
    urlpatterns.append(path('metrics', include('django_prometheus.urls')))
elif settings.WSD_METRICS == 'metrics':
    urlpatterns.append(path('', include('django_prometheus.urls')))
urlpatterns.append(re_path(r'^(?P<username>[\w.@+-]+)$', views.profile))
