from django.http import Http404, HttpRequest, HttpResponse


# Placeholders replaced by the GM workflow.
def _todo(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    raise Http404


game_create = game_edit = game_clone = game_status = _todo
