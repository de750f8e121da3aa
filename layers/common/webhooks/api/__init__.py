"""The management API's HTTP side (routers, schemas, auth, problem responses), included by functions/manage.

It lives in the layer because Lambda imports a function's own files as top-level modules while the
tests import them as `functions.manage.*`: a package here imports the same way in both places.
"""
